//! An order's status, derived from the states of its units' jobs.

use crate::store::JobState;
use serde::Serialize;

/// Where an order stands, as shops and operators see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Accepted; no unit has started.
    Queued,
    /// Some unit is on a printer or done, and some unit is not finished.
    InProgress,
    /// Every unit finished and at least one completed, none failed.
    Completed,
    /// Every unit finished and at least one failed.
    Failed,
    /// Every unit was cancelled.
    Cancelled,
}

impl OrderStatus {
    /// The spelling in the API and in status callbacks.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Queued => "queued",
            OrderStatus::InProgress => "in_progress",
            OrderStatus::Completed => "completed",
            OrderStatus::Failed => "failed",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

/// `queued` until a unit starts; `in_progress` while any unit is not
/// terminal; then `failed` if any failed, `cancelled` if all were
/// cancelled, else `completed`.
pub fn order_status(states: &[JobState]) -> OrderStatus {
    if states.is_empty() {
        return OrderStatus::Queued;
    }
    if !states.iter().all(|s| s.is_terminal()) {
        let waiting = states.iter().all(|s| s.is_waiting());
        return if waiting {
            OrderStatus::Queued
        } else {
            OrderStatus::InProgress
        };
    }
    if states.contains(&JobState::Failed) {
        OrderStatus::Failed
    } else if states.iter().all(|s| *s == JobState::Cancelled) {
        OrderStatus::Cancelled
    } else {
        OrderStatus::Completed
    }
}

/// How many of an item's units are in each kind of state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnitCounts {
    /// Completed.
    pub done: usize,
    /// On a printer.
    pub in_progress: usize,
    /// Failed for good.
    pub failed: usize,
    /// Cancelled.
    pub cancelled: usize,
}

impl UnitCounts {
    /// Counts `states`.
    pub fn of(states: impl IntoIterator<Item = JobState>) -> UnitCounts {
        let mut counts = UnitCounts::default();
        for state in states {
            match state {
                JobState::Completed => counts.done += 1,
                JobState::Failed => counts.failed += 1,
                JobState::Cancelled => counts.cancelled += 1,
                s if s.is_active() => counts.in_progress += 1,
                _ => {}
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::{order_status, OrderStatus, UnitCounts};
    use crate::store::JobState::*;

    #[test]
    fn status_follows_the_jobs() {
        let cases = [
            (vec![], OrderStatus::Queued),
            (vec![Queued, Queued], OrderStatus::Queued),
            (vec![Queued, Held], OrderStatus::Queued),
            (vec![Queued, Printing], OrderStatus::InProgress),
            (vec![Completed, Queued], OrderStatus::InProgress),
            (vec![Failed, Printing], OrderStatus::InProgress),
            (vec![Completed, Completed], OrderStatus::Completed),
            (vec![Completed, Cancelled], OrderStatus::Completed),
            (vec![Completed, Failed], OrderStatus::Failed),
            (vec![Cancelled, Cancelled], OrderStatus::Cancelled),
        ];
        for (states, expected) in cases {
            assert_eq!(order_status(&states), expected, "{states:?}");
        }
    }

    #[test]
    fn units_are_counted_by_kind() {
        let counts = UnitCounts::of([Completed, Printing, Paused, Queued, Failed, Cancelled]);
        let expected = UnitCounts {
            done: 1,
            in_progress: 2,
            failed: 1,
            cancelled: 1,
        };
        assert_eq!(counts, expected);
    }
}
