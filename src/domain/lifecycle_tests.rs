use super::*;
use FailureCause::*;

const T: i64 = 1_000_000;

fn connected(auto_eject: bool) -> Lifecycle {
    let mut life = Lifecycle::new(auto_eject, None);
    life.on_link(Link::Ready);
    life
}

/// A printer printing job `j1` as run 1.
fn printing(auto_eject: bool) -> Lifecycle {
    let mut life = connected(auto_eject);
    let run = life.offer("j1").unwrap();
    life.on_claimed(run, "a1", None);
    life.on_started(run);
    life.on_link(Link::Printing);
    life
}

fn saves(phase: Phase, bed: Option<i64>) -> Effect {
    Effect::SaveState {
        phase,
        bed_full_since: bed,
    }
}

fn ended(end: AttemptEnd, line: u64, bed: Option<i64>, phase: Phase) -> Effect {
    Effect::EndAttempt {
        job: "j1".into(),
        attempt: "a1".into(),
        end,
        last_line: line,
        bed_full_since: bed,
        phase,
    }
}

fn failed(cause: FailureCause, reason: &str) -> AttemptEnd {
    AttemptEnd::Failed {
        cause,
        reason: reason.into(),
    }
}

#[test]
fn a_connected_printer_with_a_clear_bed_is_idle_and_wakes_the_scheduler() {
    let mut life = Lifecycle::new(false, None);
    assert_eq!(life.phase(), Phase::Offline);
    assert_eq!(
        life.on_link(Link::Ready),
        [saves(Phase::Idle, None), Effect::WakeScheduler]
    );
    assert!(life.accepts_work());
    assert_eq!(life.on_link(Link::Ready), [], "no change, nothing saved");
}

#[test]
fn a_bed_left_full_before_a_restart_stays_full_after_connecting() {
    let mut life = Lifecycle::new(false, Some(T));
    assert_eq!(
        life.on_link(Link::Ready),
        [saves(Phase::AwaitingClear, Some(T))]
    );
    assert!(life.offer("j1").is_err());
    assert_eq!(
        life.clear_bed().unwrap(),
        [saves(Phase::Idle, None), Effect::WakeScheduler]
    );
    assert!(life.clear_bed().is_err(), "nothing left to clear");
}

#[test]
fn offers_are_taken_only_when_idle_and_connected() {
    let mut offline = Lifecycle::new(false, None);
    assert!(offline.offer("j1").is_err());
    let mut life = connected(false);
    let run = life.offer("j1").unwrap();
    assert_eq!(life.phase(), Phase::Assigned);
    assert!(life.offer("j2").is_err(), "one job at a time");
    assert_eq!(
        life.on_claim_lost(run),
        [saves(Phase::Idle, None), Effect::WakeScheduler]
    );
    assert_ne!(life.offer("j2").unwrap(), run, "every offer gets a new run");
}

#[test]
fn a_finished_print_fills_the_bed_in_the_same_transaction() {
    let mut life = printing(false);
    assert_eq!(life.phase(), Phase::Printing);
    let effects = life.on_ended(1, AttemptEnd::Completed, 120, T);
    assert_eq!(
        effects,
        [ended(
            AttemptEnd::Completed,
            120,
            Some(T),
            Phase::AwaitingClear
        )]
    );
    assert_eq!(life.phase(), Phase::AwaitingClear);
    assert!(!life.accepts_work());
}

#[test]
fn an_auto_eject_printer_takes_the_next_job_at_once() {
    let mut life = printing(true);
    // The driver reports itself idle just before the job's end.
    assert_eq!(life.on_link(Link::Ready), []);
    let effects = life.on_ended(1, AttemptEnd::Completed, 7, T);
    assert_eq!(
        effects,
        [
            ended(AttemptEnd::Completed, 7, None, Phase::Idle),
            Effect::WakeScheduler
        ]
    );
}

#[test]
fn a_start_the_driver_refused_leaves_the_bed_clear() {
    let mut life = connected(false);
    let run = life.offer("j1").unwrap();
    life.on_claimed(run, "a1", None);
    let effects = life.on_start_failed(run, PrinterUnavailable, "offline".into(), T);
    assert_eq!(
        effects,
        [
            ended(failed(PrinterUnavailable, "offline"), 0, None, Phase::Idle),
            Effect::WakeScheduler
        ]
    );
}

#[test]
fn progress_is_saved_at_most_once_a_second_and_kept_for_the_end() {
    let mut life = printing(false);
    let save = |line| Effect::SaveProgress {
        job: "j1".into(),
        line,
    };
    assert_eq!(life.on_progress(1, 10, T), [save(10)]);
    assert_eq!(life.on_progress(1, 20, T + 500), []);
    assert_eq!(life.on_progress(1, 30, T + 1_000), [save(30)]);
    assert_eq!(life.on_progress(1, 40, T + 1_100), []);
    // The driver's last word may be older than what progress saw.
    let effects = life.on_ended(1, failed(PrinterDisconnected, "gone"), 35, T + 1_200);
    assert_eq!(
        effects,
        [ended(
            failed(PrinterDisconnected, "gone"),
            40,
            Some(T + 1_200),
            Phase::AwaitingClear
        )]
    );
}

#[test]
fn events_of_an_earlier_run_are_ignored() {
    let mut life = printing(false);
    assert_eq!(life.on_progress(0, 99, T), []);
    assert_eq!(life.on_ended(0, AttemptEnd::Completed, 99, T), []);
    assert_eq!(life.phase(), Phase::Printing);
}

#[test]
fn pausing_and_resuming_on_the_printer_follow_in_the_job() {
    let mut life = printing(false);
    let paused = |paused| Effect::SavePaused {
        job: "j1".into(),
        paused,
    };
    assert_eq!(life.on_link(Link::Paused), [paused(true)]);
    assert_eq!(life.phase(), Phase::Paused);
    assert!(life.may(Action::Resume).is_ok());
    assert!(life.may(Action::Pause).is_err());
    assert_eq!(life.on_link(Link::Printing), [paused(false)]);
    assert_eq!(life.phase(), Phase::Printing);
}

#[test]
fn a_cancel_racing_the_end_of_the_print_finds_nothing_to_cancel() {
    // The driver's "finished" is handled first: the cancel comes too late.
    let mut life = printing(false);
    life.on_ended(1, AttemptEnd::Completed, 50, T);
    assert!(life.may(Action::Cancel).is_err());
    // The cancel is accepted first, but the driver had already finished:
    // its word decides, and the job is completed, not cancelled.
    let mut life = printing(false);
    assert!(life.may(Action::Cancel).is_ok());
    let effects = life.on_ended(1, AttemptEnd::Completed, 50, T);
    assert_eq!(
        effects,
        [ended(
            AttemptEnd::Completed,
            50,
            Some(T),
            Phase::AwaitingClear
        )]
    );
}

#[test]
fn a_bed_clear_racing_a_new_print_is_refused() {
    let mut life = printing(false);
    assert!(life.clear_bed().is_err(), "a print is running");
}

#[test]
fn a_halted_firmware_needs_a_reset_and_keeps_its_bed() {
    let mut life = printing(false);
    // Thermal runaway: the driver reports the halt, then the failed job.
    assert_eq!(life.on_link(Link::Halted), []);
    assert_eq!(life.phase(), Phase::Printing, "the attempt is not over yet");
    let end = failed(PrinterThermal, "thermal runaway (bed)");
    assert_eq!(
        life.on_ended(1, end.clone(), 9, T),
        [ended(end, 9, Some(T), Phase::Error)]
    );
    assert!(life.may(Action::Reset).is_ok());
    assert!(life.offer("j2").is_err());
    assert_eq!(
        life.on_link(Link::Down),
        [saves(Phase::AwaitingClear, Some(T))],
        "after the reset the part is still on the bed"
    );
    assert_eq!(life.on_link(Link::Ready), []);
}

#[test]
fn a_disconnect_mid_print_keeps_the_attempt_until_the_driver_ends_it() {
    let mut life = printing(false);
    life.on_link(Link::Down);
    assert_eq!(life.phase(), Phase::Printing);
    life.on_ended(1, failed(PrinterDisconnected, "port closed"), 3, T);
    assert_eq!(life.phase(), Phase::AwaitingClear);
    assert!(life.may(Action::EmergencyStop).is_err(), "nothing to stop");
}

#[test]
fn reset_is_refused_while_a_job_is_on_the_printer() {
    let life = printing(false);
    assert!(life.may(Action::Reset).is_err());
}

#[test]
fn an_attempt_that_ends_before_the_first_extrusion_leaves_the_bed_clear() {
    let mut life = connected(false);
    let run = life.offer("j1").unwrap();
    life.on_claimed(run, "a1", Some(40));
    life.on_started(run);
    life.on_link(Link::Printing);
    life.on_progress(run, 12, T);
    life.on_link(Link::Ready);
    let end = failed(JobLineRejected, "line 13 rejected");
    assert_eq!(
        life.on_ended(run, end.clone(), 12, T),
        [ended(end, 12, None, Phase::Idle), Effect::WakeScheduler]
    );
    // Once the file has pushed filament, the bed holds plastic.
    let run = life.offer("j1").unwrap();
    life.on_claimed(run, "a1", Some(40));
    life.on_started(run);
    let effects = life.on_ended(run, failed(PrinterReset, "reset"), 40, T);
    assert!(
        matches!(
            &effects[..],
            [Effect::EndAttempt {
                bed_full_since: Some(_),
                ..
            }]
        ),
        "{effects:?}"
    );
}

#[test]
fn a_printer_due_for_service_takes_no_job_until_serviced() {
    let mut life = connected(false);
    assert_eq!(
        life.on_service_due(true),
        [],
        "it was free: nothing to wake"
    );
    assert!(life.service_due());
    assert!(!life.accepts_work());
    assert_eq!(life.phase(), Phase::Idle, "the phase is unchanged");
    assert!(life.offer("j1").is_err());
    assert_eq!(life.on_service_due(true), [], "still due");
    assert_eq!(life.on_service_due(false), [Effect::WakeScheduler]);
    assert!(life.accepts_work());
    assert!(life.offer("j1").is_ok());
}

#[test]
fn service_is_refused_while_a_job_is_on_the_printer_and_waits_for_a_clear_bed() {
    let mut life = printing(false);
    assert!(life.may_service().is_err());
    life.on_ended(1, AttemptEnd::Completed, 50, T);
    life.on_link(Link::Ready);
    assert!(life.may_service().is_ok());
    life.on_service_due(true);
    assert_eq!(
        life.on_service_due(false),
        [],
        "serviced, but the bed is still full"
    );
    assert!(!life.accepts_work());
    let cleared = life.clear_bed().unwrap();
    assert!(cleared.contains(&Effect::WakeScheduler), "{cleared:?}");
}

#[test]
fn clearing_the_bed_of_a_printer_due_for_service_does_not_wake_the_scheduler() {
    let mut life = printing(false);
    life.on_ended(1, AttemptEnd::Completed, 50, T);
    life.on_link(Link::Ready);
    life.on_service_due(true);
    let cleared = life.clear_bed().unwrap();
    assert_eq!(cleared, [saves(Phase::Idle, None)]);
    assert!(!life.accepts_work());
}
