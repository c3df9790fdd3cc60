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

#[cfg(test)]
mod tests {
    use super::*;

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
