//! The printer driver against the virtual Marlin (`printfarm::sim`) on a real
//! PTY: printer-caused failures (disconnect, thermal runaway, reset) and the
//! emergency stop.

use crate::virtual_printer::*;
use printfarm::domain::{Blame, FailureCause};
use printfarm::printer::{JobSource, PrinterEvent, PrinterState};
use printfarm::protocol::FlowMode;
use printfarm::sim::FirmwareState;
use std::time::Duration;
use tokio::time::Instant;

/// Fails the test unless `event` is a printer-caused `JobFailed`; returns its reason.
fn printer_caused_failure(event: &PrinterEvent) -> (String, u64) {
    match event {
        PrinterEvent::JobFailed {
            reason,
            cause,
            last_acked_line,
            ..
        } if cause.blame() == Blame::Printer => (reason.clone(), *last_acked_line),
        other => panic!("expected a printer-caused failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_mid_print_is_detected_within_two_seconds() {
    let mut firmware = fast_firmware(50.0);
    firmware.faults.disconnect_after_lines = Some(80);
    let sim = start_sim(firmware);
    let (printer, mut events) = connect(&sim, FlowMode::Counting).await;
    printer
        .start_job(3, JobSource::Lines(paced_job(500)))
        .await
        .unwrap();

    let mut gone_at = None;
    let (event, failed_at) = loop {
        tokio::select! {
            event = events.recv() => {
                let event = event.unwrap();
                if matches!(event, PrinterEvent::JobFailed { .. } | PrinterEvent::JobFinished { .. }) {
                    break (event, Instant::now());
                }
            }
            () = tokio::time::sleep(Duration::from_millis(2)) => {
                if gone_at.is_none() && sim.state() == FirmwareState::Disconnected {
                    gone_at = Some(Instant::now());
                }
            }
            () = tokio::time::sleep(WAIT) => panic!("no job end"),
        }
    };

    assert_eq!(sim.state(), FirmwareState::Disconnected);
    let detected = failed_at - gone_at.unwrap_or(failed_at);
    assert!(detected < Duration::from_secs(2), "took {detected:?}");
    let (reason, last_acked) = printer_caused_failure(&event);
    assert!(reason.starts_with("disconnected"), "{reason}");
    assert!(last_acked > 0, "the job had started");
    assert_ne!(printer.status().state, PrinterState::Printing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thermal_runaway_fails_the_job_naming_the_heater() {
    let mut firmware = fast_firmware(20.0);
    // Printer time: about two wall seconds after power-on, mid-job.
    firmware.faults.thermal_runaway_at = Some(Duration::from_secs(40));
    let sim = start_sim(firmware);
    let (printer, mut events) = connect(&sim, FlowMode::Counting).await;
    let before = sim.recorded_commands().len();
    printer
        .start_job(2, JobSource::Lines(paced_job(5000)))
        .await
        .unwrap();

    let (reason, last_acked) = printer_caused_failure(&job_end(&mut events).await);
    assert_eq!(reason, "thermal runaway (hotend 0)");
    assert!(last_acked > 0, "the runaway came mid-job");
    assert_eq!(printer.status().state, PrinterState::Error);
    assert_eq!(sim.state(), FirmwareState::Halted);
    let executed = recorded_since(&sim, before);
    assert!(executed.len() < paced_job(5000).len());
    assert_eq!(executed, paced_job(5000)[..executed.len()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_banner_mid_print_aborts_the_job_and_reconnects() {
    let mut firmware = fast_firmware(50.0);
    firmware.faults.reset_after_lines = Some(100);
    let sim = start_sim(firmware);
    let (printer, mut events) = connect(&sim, FlowMode::Counting).await;
    printer
        .start_job(5, JobSource::Lines(paced_job(500)))
        .await
        .unwrap();

    let (reason, last_acked) = printer_caused_failure(&job_end(&mut events).await);
    assert_eq!(reason, "printer reset");
    assert!(last_acked > 0, "the reset came mid-job");
    wait_for_state(&printer, PrinterState::Idle).await;
    // Connected again: a new job runs to the end.
    printer
        .start_job(6, JobSource::Lines(paced_job(5)))
        .await
        .unwrap();
    let end = job_end(&mut events).await;
    assert!(
        matches!(end, PrinterEvent::JobFinished { job_id: 6, .. }),
        "{end:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_stop_reaches_the_firmware_ahead_of_queued_lines() {
    let sim = start_sim(fast_firmware(2.0)); // a move + M400 takes ~50 ms
    let (printer, mut events) = connect(&sim, FlowMode::Counting).await;
    let before = sim.recorded_commands().len();
    let job = paced_job(200);
    printer
        .start_job(4, JobSource::Lines(job.clone()))
        .await
        .unwrap();
    assert!(eventually(|| job_moves(&recorded_since(&sim, before)).len() >= 3).await);

    let at_stop = recorded_since(&sim, before).len();
    printer.emergency_stop().await.unwrap();
    let event = job_end(&mut events).await;
    assert!(
        matches!(
            event,
            PrinterEvent::JobFailed {
                cause: FailureCause::OperatorEmergencyStop,
                ..
            }
        ),
        "{event:?}"
    );
    assert!(eventually(|| sim.state() == FirmwareState::Halted).await);
    assert_eq!(printer.status().state, PrinterState::Error);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let executed = recorded_since(&sim, before);
    // Lines in flight and queued in the link never ran: at most the
    // firmware's command queue (4 slots) finished after the request.
    assert!(
        executed.len() <= at_stop + 4,
        "{} lines ran after the stop request",
        executed.len() - at_stop
    );
    assert_eq!(
        executed,
        job[..executed.len()],
        "a prefix of the job, nothing else"
    );
}
