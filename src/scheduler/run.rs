//! The loop that applies decisions: snapshot from the store, [`decide`],
//! claim each assignment, tell the caller. All policy stays in `decide`.

use super::decide::decide;
use super::snapshot::{Assignment, PrinterCaps, QueuedJob, Snapshot};
use crate::config::PrinterProfile;
use crate::store::Store;
use anyhow::Context;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

/// Shortest time between two scheduling rounds.
pub const MIN_ROUND_GAP: Duration = Duration::from_millis(250);

/// Reads the current snapshot from the store.
pub async fn load_snapshot(store: &Store, profiles: &[PrinterProfile]) -> anyhow::Result<Snapshot> {
    let queued = store.queued_jobs().await.context("reading the queue")?;
    let records = store.list_printers().await.context("reading printers")?;
    let printers = profiles
        .iter()
        .map(|profile| {
            let record = records.iter().find(|r| r.name == profile.name);
            PrinterCaps::from_profile(profile, record)
        })
        .collect();
    Ok(Snapshot {
        queue: queued.iter().map(QueuedJob::from_store).collect(),
        printers,
    })
}

/// One round: decide, then claim each assignment. Returns the assignments
/// that were claimed (a claim can lose to a concurrent change).
pub async fn schedule_once(
    store: &Store,
    profiles: &[PrinterProfile],
) -> anyhow::Result<Vec<Assignment>> {
    let snapshot = load_snapshot(store, profiles).await?;
    let mut claimed = Vec::new();
    for assignment in decide(&snapshot) {
        let won = store
            .claim_job(&assignment.job_id, &assignment.printer)
            .await
            .with_context(|| {
                format!(
                    "claiming job {} for {}",
                    assignment.job_id, assignment.printer
                )
            })?;
        if won {
            claimed.push(assignment);
        }
    }
    Ok(claimed)
}

/// Runs rounds until `assigned` is closed: after every `wake` notification
/// and at least every `interval`. Claimed assignments are sent on `assigned`
/// for the printer drivers. Errors of one round are logged, not fatal.
pub async fn run_loop(
    store: Store,
    profiles: Vec<PrinterProfile>,
    interval: Duration,
    wake: std::sync::Arc<Notify>,
    assigned: mpsc::Sender<Assignment>,
) {
    loop {
        match schedule_once(&store, &profiles).await {
            Ok(claimed) => {
                for assignment in claimed {
                    if assigned.send(assignment).await.is_err() {
                        return;
                    }
                }
            }
            Err(error) => tracing::warn!("scheduling round failed: {error:#}"),
        }
        if assigned.is_closed() {
            return;
        }
        // A burst of submissions wakes the loop once per job; spacing the
        // rounds keeps the queue read from running back to back.
        tokio::time::sleep(MIN_ROUND_GAP.min(interval)).await;
        let _ = tokio::time::timeout(interval, wake.notified()).await;
    }
}
