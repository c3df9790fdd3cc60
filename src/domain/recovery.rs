//! What a restart means for the jobs that were on printers.

use super::failure::FailureCause;
use crate::store::JobState;

/// How an attempt interrupted by a restart of printfarm is ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    /// The cause recorded: the host's, so it spends no printer budget.
    pub cause: FailureCause,
    /// True when plastic may be on the bed (the printer had started).
    pub bed_full: bool,
}

/// The recovery rule for a job found in `state` at start-up. `None` for
/// jobs that were not on a printer.
pub fn after_restart(state: JobState) -> Option<Interrupted> {
    match state {
        JobState::Printing | JobState::Paused => Some(Interrupted {
            cause: FailureCause::HostRestart,
            bed_full: true,
        }),
        JobState::Assigned => Some(Interrupted {
            cause: FailureCause::HostRestart,
            bed_full: false,
        }),
        _ => None,
    }
}

/// The rule for a job found in `state` on a printer whose node was lost:
/// blamed on the printer (the failure policy re-queues it for another one
/// and counts it against the job's printer-fault budget). `None` for jobs
/// that were not on a printer.
pub fn after_node_lost(state: JobState) -> Option<Interrupted> {
    after_restart(state).map(|interrupted| Interrupted {
        cause: FailureCause::PrinterNodeLost,
        ..interrupted
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_node_s_jobs_are_the_printer_s_failures_with_the_same_beds() {
        for state in [
            JobState::Queued,
            JobState::Assigned,
            JobState::Printing,
            JobState::Paused,
            JobState::Completed,
        ] {
            let lost = after_node_lost(state);
            assert_eq!(
                lost.map(|i| i.bed_full),
                after_restart(state).map(|i| i.bed_full)
            );
            if let Some(interrupted) = lost {
                assert!(interrupted.cause.spends_printer_budget(), "{state}");
            }
        }
    }

    #[test]
    fn started_jobs_leave_a_full_bed_and_none_spends_the_budget() {
        for state in [
            JobState::Queued,
            JobState::Assigned,
            JobState::Printing,
            JobState::Paused,
            JobState::Completed,
            JobState::Held,
        ] {
            let got = after_restart(state);
            assert_eq!(got.is_some(), state.is_active(), "{state}");
            if let Some(interrupted) = got {
                assert!(!interrupted.cause.spends_printer_budget());
                assert_eq!(interrupted.bed_full, state != JobState::Assigned);
            }
        }
    }
}
