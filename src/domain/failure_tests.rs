use super::*;
use FailureCause::*;

fn failure(printer: &str, cause: FailureCause, reason: &str) -> PastFailure {
    PastFailure {
        printer: printer.to_owned(),
        cause,
        reason: reason.to_owned(),
    }
}

#[test]
fn every_cause_round_trips_through_its_code() {
    for cause in FailureCause::ALL {
        assert_eq!(FailureCause::parse(cause.code()), Some(*cause));
        let json = serde_json::to_string(cause).unwrap();
        assert_eq!(serde_json::from_str::<FailureCause>(&json).unwrap(), *cause);
    }
    assert_eq!(FailureCause::parse("printer.bored"), None);
}

#[test]
fn each_cause_leads_to_its_outcome() {
    let policy = FailurePolicy::default();
    let cases = [
        (
            PrinterDisconnected,
            0,
            AfterFailure::Requeue { printer_faults: 1 },
        ),
        (
            PrinterThermal,
            1,
            AfterFailure::Requeue { printer_faults: 2 },
        ),
        (
            PrinterReset,
            2,
            AfterFailure::Fail {
                cause: PrinterReset,
                printer_faults: 3,
            },
        ),
        (
            PrinterFirmware,
            0,
            AfterFailure::Requeue { printer_faults: 1 },
        ),
        (
            PrinterUnavailable,
            2,
            AfterFailure::Requeue { printer_faults: 2 },
        ),
        (
            JobLineRejected,
            0,
            AfterFailure::Fail {
                cause: JobLineRejected,
                printer_faults: 0,
            },
        ),
        (
            JobFileMissing,
            0,
            AfterFailure::Fail {
                cause: JobFileMissing,
                printer_faults: 0,
            },
        ),
        (
            JobUnreadable,
            0,
            AfterFailure::Fail {
                cause: JobUnreadable,
                printer_faults: 0,
            },
        ),
        (OperatorCancel, 0, AfterFailure::Cancel),
        (OperatorEmergencyStop, 2, AfterFailure::Hold),
        (HostRestart, 2, AfterFailure::Requeue { printer_faults: 2 }),
        (
            HostResources,
            0,
            AfterFailure::Requeue { printer_faults: 0 },
        ),
        (HostStorage, 1, AfterFailure::Requeue { printer_faults: 1 }),
    ];
    for (cause, spent, expected) in cases {
        let got = after_failure(policy, &failure("a", cause, "x"), spent, &[]);
        assert_eq!(got, expected, "{cause} after {spent} printer faults");
    }
}

#[test]
fn restarts_never_exhaust_the_budget() {
    let policy = FailurePolicy::default();
    let mut spent = 0;
    for _ in 0..10 {
        match after_failure(policy, &failure("a", HostRestart, "restart"), spent, &[]) {
            AfterFailure::Requeue { printer_faults } => spent = printer_faults,
            other => panic!("a restart gave {other:?}"),
        }
    }
    assert_eq!(spent, 0);
}

#[test]
fn the_same_failure_on_different_printers_blames_the_job() {
    let policy = FailurePolicy::default();
    let earlier = [failure("a", PrinterReset, "printer reset")];
    let same_elsewhere = failure("b", PrinterReset, "printer reset");
    assert_eq!(
        after_failure(policy, &same_elsewhere, 1, &earlier),
        AfterFailure::Fail {
            cause: JobRepeatedFailure,
            printer_faults: 2
        }
    );
    // The same printer twice says nothing about the job.
    let same_printer = failure("a", PrinterReset, "printer reset");
    assert_eq!(
        after_failure(policy, &same_printer, 1, &earlier),
        AfterFailure::Requeue { printer_faults: 2 }
    );
    // Different words are different failures.
    let other_words = failure("b", PrinterReset, "printer reset twice");
    assert_eq!(
        after_failure(policy, &other_words, 1, &earlier),
        AfterFailure::Requeue { printer_faults: 2 }
    );
    // A failure of another kind in between breaks the run.
    let broken = [earlier[0].clone(), failure("c", PrinterDisconnected, "x")];
    assert_eq!(
        after_failure(policy, &same_elsewhere, 2, &broken),
        AfterFailure::Fail {
            cause: PrinterReset,
            printer_faults: 3
        }
    );
    let off = FailurePolicy {
        same_failure_printers: 0,
        ..policy
    };
    assert_eq!(
        after_failure(off, &same_elsewhere, 1, &earlier),
        AfterFailure::Requeue { printer_faults: 2 }
    );
}

#[test]
fn file_errors_are_blamed_on_the_job_or_the_host() {
    use std::io::{Error, ErrorKind};
    let cases = [
        (Error::from(ErrorKind::NotFound), JobFileMissing),
        (Error::from(ErrorKind::InvalidData), JobUnreadable),
        (
            Error::from_raw_os_error(nix::errno::Errno::EMFILE as i32),
            HostResources,
        ),
        (
            Error::from_raw_os_error(nix::errno::Errno::EIO as i32),
            HostStorage,
        ),
        (Error::from(ErrorKind::PermissionDenied), HostStorage),
    ];
    for (error, cause) in cases {
        assert_eq!(FailureCause::of_file_error(&error), cause, "{error}");
    }
}
