//! The scheduling loop: each round reads the in-memory queue, asks the pure
//! [`decide`] for assignments over the printers' published views, and
//! offers each job to its printer's supervisor, which claims it in the
//! store and starts it.

use super::fleet::Fleet;
use super::queue_feed::QueueHandle;
use crate::api::PrinterView;
use crate::config::PrinterProfile;
use crate::domain::Phase;
use crate::scheduler::{decide_over, Availability, PrinterCaps};
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
pub async fn round(queue: &QueueHandle, profiles: &[PrinterProfile], fleet: &Fleet) -> usize {
    let views: Vec<PrinterView> = fleet.printers().iter().map(|p| p.view()).collect();
    if !views.iter().any(|v| v.accepts_work) {
        return 0;
    }
    let printers: Vec<PrinterCaps> = profiles
        .iter()
        .zip(&views)
        .map(|(profile, view)| {
            let idle_since = view.accepts_work.then_some(view.since);
            PrinterCaps::from_profile(profile, availability(view), idle_since)
        })
        .collect();
    let assignments = {
        let book = queue.current().await;
        decide_over(book.jobs(), &printers)
    };
    let offers = assignments.into_iter().filter_map(|assignment| {
        let printer = fleet.printer(&assignment.printer)?.clone();
        Some(async move { printer.offer(&assignment.job_id).await })
    });
    let taken = futures::future::join_all(offers).await;
    taken.into_iter().filter(|t| *t).count()
}

/// Runs rounds forever (abort the task to stop): after every `wake` and at
/// least every `interval`.
pub async fn run(
    queue: QueueHandle,
    profiles: Vec<PrinterProfile>,
    fleet: Arc<Fleet>,
    wake: Arc<Notify>,
    interval: Duration,
) {
    loop {
        round(&queue, &profiles, &fleet).await;
        tokio::time::sleep(MIN_ROUND_GAP.min(interval)).await;
        let _ = tokio::time::timeout(interval, wake.notified()).await;
    }
}
