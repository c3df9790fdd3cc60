//! What the farm promises a shop: when an order should be complete, and
//! whether that is later than its due date. An order completes with its
//! last unit.

use crate::store::JobState;

/// One unit of an order as the promise sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitTiming {
    /// Its job's state.
    pub state: JobState,
    /// When it finished, unix ms (for a completed unit).
    pub finished_at: Option<i64>,
    /// When the scheduler's forecast expects it to end, unix ms.
    pub expected_end: Option<i64>,
}

/// The order's estimated completion, unix ms: the latest of its units'
/// ends (finished or forecast); cancelled units do not count. `None` when
/// a unit has no estimate (it renders, waits for review, is held, failed,
/// or lies beyond the forecast) or no unit counts.
pub fn estimated_completion(units: &[UnitTiming]) -> Option<i64> {
    let mut latest: Option<i64> = None;
    for unit in units.iter().filter(|u| u.state != JobState::Cancelled) {
        let end = match unit.state {
            JobState::Completed => unit.finished_at,
            JobState::Failed => None,
            _ => unit.expected_end,
        }?;
        latest = Some(latest.map_or(end, |l| l.max(end)));
    }
    latest
}

/// True when the order is expected to miss `due`: its estimate is later,
/// or it has no estimate, is not finished and `due` has passed at `now`.
pub fn at_risk(due: Option<i64>, estimate: Option<i64>, units: &[UnitTiming], now: i64) -> bool {
    let Some(due) = due else { return false };
    match estimate {
        Some(end) => end > due,
        None => now > due && !units.iter().all(|u| u.state.is_terminal()),
    }
}

#[cfg(test)]
mod tests {
    use super::{at_risk, estimated_completion, UnitTiming};
    use crate::store::JobState::{self, *};

    fn unit(state: JobState, finished_at: Option<i64>, expected_end: Option<i64>) -> UnitTiming {
        UnitTiming {
            state,
            finished_at,
            expected_end,
        }
    }

    #[test]
    fn an_order_completes_with_its_last_unit() {
        let cases: &[(&[UnitTiming], Option<i64>)] = &[
            (&[], None),
            (
                &[
                    unit(Completed, Some(10), None),
                    unit(Queued, None, Some(50)),
                ],
                Some(50),
            ),
            (
                &[
                    unit(Completed, Some(90), None),
                    unit(Printing, None, Some(50)),
                ],
                Some(90),
            ),
            (
                &[unit(Queued, None, Some(40)), unit(Cancelled, None, None)],
                Some(40),
            ),
            (
                &[unit(Queued, None, Some(40)), unit(Rendering, None, None)],
                None,
            ),
            (
                &[unit(Queued, None, Some(40)), unit(Failed, None, None)],
                None,
            ),
        ];
        for (units, expected) in cases {
            assert_eq!(estimated_completion(units), *expected, "{units:?}");
        }
    }

    #[test]
    fn an_order_is_at_risk_when_its_estimate_is_after_its_due_date() {
        let waiting = [unit(Queued, None, None)];
        let done = [unit(Completed, Some(5), None)];
        assert!(at_risk(Some(100), Some(101), &waiting, 0));
        assert!(!at_risk(Some(100), Some(100), &waiting, 0));
        assert!(
            !at_risk(None, Some(1_000), &waiting, 0),
            "no due date, no risk"
        );
        assert!(
            !at_risk(Some(100), None, &waiting, 50),
            "unknown, not yet due"
        );
        assert!(
            at_risk(Some(100), None, &waiting, 150),
            "unknown and overdue"
        );
        assert!(!at_risk(Some(100), None, &done, 150));
    }
}
