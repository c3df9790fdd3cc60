//! Applies the scheduler's claimed assignments: starts the job on the
//! printer's driver and records the start, or hands the job back.

use super::fleet::Fleet;
use crate::printer::JobSource;
use crate::scheduler::Assignment;
use crate::store::{PrinterState, Store};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{mpsc, Notify};

/// Runs until the scheduler loop closes the channel.
pub async fn run(
    store: Store,
    fleet: Arc<Fleet>,
    mut assigned: mpsc::Receiver<Assignment>,
    wake: Arc<Notify>,
) {
    while let Some(assignment) = assigned.recv().await {
        if let Err(e) = start(&store, &fleet, &assignment).await {
            tracing::warn!(job = %assignment.job_id, printer = %assignment.printer, "could not start: {e:#}");
            // The printer did not take it: printer-caused, so it is re-queued.
            let reason = format!("could not start on {}: {e:#}", assignment.printer);
            if let Err(e) = store.fail(&assignment.job_id, &reason, true).await {
                tracing::error!(job = %assignment.job_id, "could not hand the job back: {e}");
            }
            wake.notify_one();
        }
    }
}

async fn start(store: &Store, fleet: &Fleet, a: &Assignment) -> anyhow::Result<()> {
    let slot = fleet
        .slot(&a.printer)
        .ok_or_else(|| anyhow::anyhow!("no printer {}", a.printer))?;
    let job = store.get_job(&a.job_id).await?;
    let file = store.get_file(&job.file_id).await?;
    let run = fleet.next_run();
    slot.set_current(run, a.job_id.clone());
    if let Err(e) = slot
        .handle
        .start_job(run, JobSource::File(PathBuf::from(&file.path)))
        .await
    {
        slot.clear_current(run);
        return Err(e.into());
    }
    store
        .set_printer_state(&a.printer, PrinterState::Busy)
        .await?;
    store.start_printing(&a.job_id).await?;
    tracing::info!(job = %a.job_id, printer = %a.printer, file = %file.original_name, "started");
    Ok(())
}
