//! Why an attempt ended without completing, and what happens to the job.
//!
//! The cause is decided where the fact is known (the driver knows a
//! disconnect from a rejected line, the supervisor knows a restart from a
//! cancel) and carried as a [`FailureCause`] to the store and the API. The
//! policy ([`after_failure`]) matches on it; nothing downstream guesses blame
//! from error text.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Who a failure is blamed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blame {
    /// The printer or its connection: the job may do better elsewhere.
    Printer,
    /// The job's file: it would fail on any printer.
    Job,
    /// A person stopped it on purpose.
    Operator,
    /// The machine running printfarm (restart, resources, storage).
    Host,
}

macro_rules! causes {
    ($($(#[$meta:meta])* $variant:ident = $code:literal => $blame:ident),+ $(,)?) => {
        /// Why an attempt ended without completing.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FailureCause { $($(#[$meta])* $variant),+ }

        impl FailureCause {
            /// Every cause, for metrics and documentation.
            pub const ALL: &'static [FailureCause] = &[$(FailureCause::$variant),+];

            /// The stable code stored and shown, e.g. `printer.disconnected`.
            pub fn code(self) -> &'static str {
                match self { $(FailureCause::$variant => $code),+ }
            }

            /// Reads a stored code.
            pub fn parse(code: &str) -> Option<FailureCause> {
                match code { $($code => Some(FailureCause::$variant),)+ _ => None }
            }

            /// Who the cause is blamed on.
            pub fn blame(self) -> Blame {
                match self { $(FailureCause::$variant => Blame::$blame),+ }
            }
        }
    };
}

causes! {
    /// The serial connection was lost or the printer stopped answering.
    PrinterDisconnected = "printer.disconnected" => Printer,
    /// The board rebooted in the middle of the job.
    PrinterReset = "printer.reset" => Printer,
    /// A heater fault: thermal runaway, MINTEMP, MAXTEMP, heating failed.
    PrinterThermal = "printer.thermal" => Printer,
    /// Any other fatal firmware error.
    PrinterFirmware = "printer.firmware_error" => Printer,
    /// The printer could not take the job it was given (it went offline
    /// between the scheduler's choice and the start); nothing was printed.
    PrinterUnavailable = "printer.unavailable" => Printer,
    /// The node driving the printer stopped renewing its lease (crashed,
    /// hung or cut off): another node takes the job.
    PrinterNodeLost = "printer.node_lost" => Printer,
    /// The job's file is gone from the data directory.
    JobFileMissing = "job.file_missing" => Job,
    /// The job's file cannot be read as G-code.
    JobUnreadable = "job.unreadable" => Job,
    /// The firmware kept rejecting one of the file's lines (too long for
    /// its command buffer, or otherwise unframeable).
    JobLineRejected = "job.line_rejected" => Job,
    /// The job failed the same way on several printers in a row.
    JobRepeatedFailure = "job.repeated_failure" => Job,
    /// An operator cancelled it.
    OperatorCancel = "operator.cancel" => Operator,
    /// An operator pressed the emergency stop.
    OperatorEmergencyStop = "operator.emergency_stop" => Operator,
    /// printfarm stopped or crashed while the job was on a printer.
    HostRestart = "host.restart" => Host,
    /// The host ran out of a resource (open files, memory) starting the job.
    HostResources = "host.resources" => Host,
    /// The host's storage failed while reading the job's file.
    HostStorage = "host.storage" => Host,
}

impl FailureCause {
    /// True when the cause spends the job's printer-fault budget.
    pub fn spends_printer_budget(self) -> bool {
        self.blame() == Blame::Printer && self != FailureCause::PrinterUnavailable
    }

    /// The cause of a failure to read a job file, from the OS error.
    pub fn of_file_error(error: &std::io::Error) -> FailureCause {
        use std::io::ErrorKind::*;
        let resources = [
            nix::errno::Errno::EMFILE,
            nix::errno::Errno::ENFILE,
            nix::errno::Errno::ENOMEM,
        ];
        if error
            .raw_os_error()
            .is_some_and(|code| resources.iter().any(|e| *e as i32 == code))
        {
            return FailureCause::HostResources;
        }
        match error.kind() {
            NotFound => FailureCause::JobFileMissing,
            InvalidData | UnexpectedEof => FailureCause::JobUnreadable,
            OutOfMemory | WouldBlock | Interrupted => FailureCause::HostResources,
            _ => FailureCause::HostStorage,
        }
    }
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for FailureCause {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for FailureCause {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        FailureCause::parse(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown failure cause {code:?}")))
    }
}

/// A failed attempt as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastFailure {
    /// The printer it ran on.
    pub printer: String,
    /// Why it ended.
    pub cause: FailureCause,
    /// The failure's own words (`thermal runaway (bed)`).
    pub reason: String,
}

/// The failure policy's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePolicy {
    /// Printer-caused failures a job survives before it fails for good.
    pub requeue_limit: u32,
    /// A job that fails the same way on this many different printers in a
    /// row is blamed itself (0 turns the rule off).
    pub same_failure_printers: u32,
}

impl Default for FailurePolicy {
    fn default() -> Self {
        FailurePolicy {
            requeue_limit: 3,
            same_failure_printers: 2,
        }
    }
}

/// What happens to a job after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AfterFailure {
    /// Back in the queue for any capable printer.
    Requeue {
        /// Printer-caused failures so far (the budget spent).
        printer_faults: u32,
    },
    /// Kept out of the queue until an operator releases or cancels it.
    Hold,
    /// Cancelled for good.
    Cancel,
    /// Failed for good.
    Fail {
        /// The cause it is failed with (may differ from the attempt's own:
        /// `job.repeated_failure`).
        cause: FailureCause,
        /// Printer-caused failures, this one included.
        printer_faults: u32,
    },
}

/// Decides the job's fate after an attempt failed with `cause`.
///
/// `printer_faults` is the budget spent before this attempt; `history` the
/// job's earlier failed attempts, oldest first (this one not included).
pub fn after_failure(
    policy: FailurePolicy,
    failure: &PastFailure,
    printer_faults: u32,
    history: &[PastFailure],
) -> AfterFailure {
    let spent = printer_faults + u32::from(failure.cause.spends_printer_budget());
    let fail = |cause| AfterFailure::Fail {
        cause,
        printer_faults: spent,
    };
    match failure.cause.blame() {
        Blame::Job => fail(failure.cause),
        Blame::Host => AfterFailure::Requeue { printer_faults },
        Blame::Operator => match failure.cause {
            FailureCause::OperatorCancel => AfterFailure::Cancel,
            _ => AfterFailure::Hold,
        },
        Blame::Printer if repeated_elsewhere(policy, failure, history) => {
            fail(FailureCause::JobRepeatedFailure)
        }
        Blame::Printer => {
            if spent >= policy.requeue_limit.max(1) {
                fail(failure.cause)
            } else {
                AfterFailure::Requeue {
                    printer_faults: spent,
                }
            }
        }
    }
}

/// True when the last attempts, this one included, failed with the same
/// cause and words on `same_failure_printers` different printers in a row.
fn repeated_elsewhere(
    policy: FailurePolicy,
    failure: &PastFailure,
    history: &[PastFailure],
) -> bool {
    let needed = policy.same_failure_printers as usize;
    if needed < 2 || !failure.cause.spends_printer_budget() {
        return false;
    }
    let mut printers = vec![failure.printer.as_str()];
    for past in history.iter().rev() {
        if past.cause != failure.cause || past.reason != failure.reason {
            break;
        }
        if !printers.contains(&past.printer.as_str()) {
            printers.push(&past.printer);
        }
        if printers.len() >= needed {
            return true;
        }
    }
    false
}

#[cfg(test)]
#[path = "failure_tests.rs"]
mod tests;
