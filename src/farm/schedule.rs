//! The scheduling loop: each round reads the queue, asks the pure
//! [`decide`] for assignments over the printers' published views, and
//! offers each job to its printer's supervisor, which claims it in the
//! store and starts it.

use super::fleet::Fleet;
use crate::api::PrinterView;
use crate::config::PrinterProfile;
use crate::domain::Phase;
use crate::scheduler::{decide, Availability, PrinterCaps, QueuedJob, Snapshot};
use crate::store::Store;
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Shortest time between two rounds: a burst of submissions wakes the loop
/// once per job, and one round serves them all.
pub const MIN_ROUND_GAP: Duration = Duration::from_millis(100);

/// The scheduler's view of a printer's availability.
pub fn availability(view: &PrinterView) -> Availability {
    match view.state {
        _ if view.accepts_work => Availability::Idle,
        Phase::AwaitingClear => Availability::AwaitingClear,
        Phase::Assigned | Phase::Printing | Phase::Paused => Availability::Busy,
        Phase::Idle | Phase::Offline | Phase::Error => Availability::Offline,
    }
}

/// One round; returns how many jobs were started.
pub async fn round(
    store: &Store,
    profiles: &[PrinterProfile],
    fleet: &Fleet,
) -> anyhow::Result<usize> {
    let views: Vec<PrinterView> = fleet.printers().iter().map(|p| p.view()).collect();
    if !views.iter().any(|v| v.accepts_work) {
        return Ok(0);
    }
    let queued = store.queued_jobs().await.context("reading the queue")?;
    let printers = profiles
        .iter()
        .zip(&views)
        .map(|(profile, view)| {
            let idle_since = view.accepts_work.then_some(view.since);
            PrinterCaps::from_profile(profile, availability(view), idle_since)
        })
        .collect();
    let snapshot = Snapshot {
        queue: queued.iter().map(QueuedJob::from_store).collect(),
        printers,
    };
    let offers = decide(&snapshot).into_iter().filter_map(|assignment| {
        let printer = fleet.printer(&assignment.printer)?.clone();
        Some(async move { printer.offer(&assignment.job_id).await })
    });
    let taken = futures::future::join_all(offers).await;
    Ok(taken.into_iter().filter(|t| *t).count())
}

/// Runs rounds forever (abort the task to stop): after every `wake` and at
/// least every `interval`. Errors of one round are logged, not fatal.
pub async fn run(
    store: Store,
    profiles: Vec<PrinterProfile>,
    fleet: Arc<Fleet>,
    wake: Arc<Notify>,
    interval: Duration,
) {
    loop {
        if let Err(error) = round(&store, &profiles, &fleet).await {
            tracing::warn!("scheduling round failed: {error:#}");
        }
        tokio::time::sleep(MIN_ROUND_GAP.min(interval)).await;
        let _ = tokio::time::timeout(interval, wake.notified()).await;
    }
}
