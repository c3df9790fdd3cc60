//! The pure decision: which queued job goes to which free printer.

use super::routing::can_print;
use super::snapshot::{Assignment, PrinterCaps, QueuedJob, Snapshot};
use std::cmp::Ordering;
use std::collections::HashSet;

/// Queue order: priority (higher first), then due date (earliest first,
/// none last), then age (oldest first), then id for determinism.
pub fn queue_order(a: &QueuedJob, b: &QueuedJob) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then_with(|| match (a.due_at, b.due_at) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// Printer preference: idle longest first (unknown idle time last), then name.
fn printer_order(a: &PrinterCaps, b: &PrinterCaps) -> Ordering {
    match (a.idle_since, b.idle_since) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| a.name.cmp(&b.name))
}

/// Decides assignments for one scheduling round.
///
/// Jobs are taken in [`queue_order`]; each goes to the most preferred free
/// printer that can print it (see [`super::mismatches`]). A job that fits no
/// free printer does not block the jobs behind it. Each printer gets at most
/// one job and each job at most one printer. Printers that do not
/// [accept work](PrinterCaps::accepts_work) — busy, offline, or awaiting a
/// bed clear without auto-eject — get nothing.
pub fn decide(snapshot: &Snapshot) -> Vec<Assignment> {
    let queue: Vec<&QueuedJob> = snapshot.queue.iter().collect();
    decide_over(queue, &snapshot.printers)
}

/// [`decide`] over borrowed queue entries (the farm's in-memory queue is
/// not copied for a round).
pub fn decide_over(mut queue: Vec<&QueuedJob>, printers: &[PrinterCaps]) -> Vec<Assignment> {
    let mut free: Vec<&PrinterCaps> = printers.iter().filter(|p| p.accepts_work()).collect();
    free.sort_by(|a, b| printer_order(a, b));
    let mut names_taken: HashSet<&str> = HashSet::new();
    free.retain(|p| names_taken.insert(&p.name));

    if free.is_empty() {
        return Vec::new();
    }
    queue.sort_by(|a, b| queue_order(a, b));
    let mut jobs_taken: HashSet<&str> = HashSet::new();
    let mut assignments = Vec::new();
    for job in queue {
        if free.is_empty() {
            break;
        }
        if jobs_taken.contains(job.id.as_str()) {
            continue;
        }
        if let Some(index) = free.iter().position(|p| can_print(&job.needs, p)) {
            let printer = free.remove(index);
            jobs_taken.insert(&job.id);
            assignments.push(Assignment {
                job_id: job.id.clone(),
                printer: printer.name.clone(),
            });
        }
    }
    assignments
}
