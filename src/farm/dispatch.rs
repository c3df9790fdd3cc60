//! Applies the scheduler's claimed assignments: starts the job on the
//! printer's driver and records the start, or hands the job back.

use super::fleet::Fleet;
use crate::printer::{JobSource, PrinterError, PrinterState as DriverState};
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
            hand_back(&store, &fleet, &assignment, &e).await;
            wake.notify_one();
        }
    }
}

/// A job that did not start goes back through the failure policy: a missing
/// or unreadable file is the job's fault, anything else the printer's (so
/// the job is re-queued for another printer). The printer's state follows
/// its driver again.
async fn hand_back(store: &Store, fleet: &Fleet, a: &Assignment, error: &anyhow::Error) {
    let job_caused = matches!(
        error.downcast_ref::<PrinterError>(),
        Some(PrinterError::JobFile { .. })
    );
    let reason = format!("could not start on {}: {error:#}", a.printer);
    if let Err(e) = store.fail(&a.job_id, &reason, !job_caused).await {
        tracing::error!(job = %a.job_id, "could not hand the job back: {e}");
    }
    let driver_idle = fleet
        .slot(&a.printer)
        .is_some_and(|s| s.handle.status().state == DriverState::Idle);
    let state = if driver_idle {
        PrinterState::Idle
    } else {
        PrinterState::Offline
    };
    if let Err(e) = store.set_printer_state(&a.printer, state).await {
        tracing::error!(printer = %a.printer, "could not reset the printer state: {e}");
    }
}

async fn start(store: &Store, fleet: &Fleet, a: &Assignment) -> anyhow::Result<()> {
    let slot = fleet
        .slot(&a.printer)
        .ok_or_else(|| anyhow::anyhow!("no printer {}", a.printer))?;
    let job = store.get_job(&a.job_id).await?;
    let file = store.get_file(&job.file_id).await?;
    // The store knows the job is printing before the driver can report on
    // it: a short job may finish before start_job even returns.
    store
        .set_printer_state(&a.printer, PrinterState::Busy)
        .await?;
    store.start_printing(&a.job_id).await?;
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
    tracing::info!(job = %a.job_id, printer = %a.printer, file = %file.original_name, "started");
    Ok(())
}
