//! The printer driver against a minimal Marlin on a real pseudo-terminal.

#[path = "printer_support/responder.rs"]
#[allow(dead_code)] // each test crate uses part of it
mod responder;

use printfarm::printer::{
    spawn, JobSource, PrinterConfig, PrinterEvent, PrinterHandle, PrinterState,
};
use responder::Responder;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

const WAIT: Duration = Duration::from_secs(10);

fn job_lines(count: usize) -> Vec<String> {
    let mut lines = vec!["; generated".to_owned(), String::new()];
    lines.extend((1..=count).map(|i| format!("G1 X{i} Y{} ; move {i}", i * 2)));
    lines
}

fn expected_commands(count: usize) -> Vec<String> {
    (1..=count).map(|i| format!("G1 X{i} Y{}", i * 2)).collect()
}

async fn connect(responder: &Responder) -> (PrinterHandle, broadcast::Receiver<PrinterEvent>) {
    let mut config = PrinterConfig::new(&responder.path, 115_200);
    config.link.boot_wait = Duration::from_millis(200);
    config.reconnect_min = Duration::from_millis(100);
    let handle = spawn(config);
    let events = handle.subscribe();
    let mut status = handle.watch_status();
    tokio::time::timeout(WAIT, status.wait_for(|s| s.state == PrinterState::Idle))
        .await
        .expect("printer never became idle")
        .unwrap();
    (handle, events)
}

/// The next job-ending event.
async fn job_end(events: &mut broadcast::Receiver<PrinterEvent>) -> PrinterEvent {
    let wait = async {
        loop {
            let event = events.recv().await.unwrap();
            if let PrinterEvent::JobFinished { .. }
            | PrinterEvent::JobFailed { .. }
            | PrinterEvent::JobCancelled { .. } = event
            {
                return event;
            }
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .expect("job never ended")
}

fn job_commands(responder: &Responder) -> Vec<String> {
    responder
        .accepted()
        .into_iter()
        .filter(|c| c.starts_with("G1 X"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_a_file_with_every_command_acknowledged_once_in_order() {
    let responder = Responder::start();
    let (printer, mut events) = connect(&responder).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), job_lines(300).join("\n")).unwrap();
    printer
        .start_job(7, JobSource::File(file.path().into()))
        .await
        .unwrap();
    let PrinterEvent::JobFinished { job_id, stats } = job_end(&mut events).await else {
        panic!("job did not finish");
    };
    assert_eq!(job_id, 7);
    assert_eq!(job_commands(&responder), expected_commands(300));
    assert_eq!(stats.resends, 0);
    assert_eq!(printer.status().state, PrinterState::Idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_line_is_resent_without_loss_or_duplication() {
    let responder = Responder::start();
    let (printer, mut events) = connect(&responder).await;
    responder.corrupt_line(20);
    printer
        .start_job(1, JobSource::Lines(job_lines(100)))
        .await
        .unwrap();
    let PrinterEvent::JobFinished { stats, .. } = job_end(&mut events).await else {
        panic!("job did not finish");
    };
    assert!(stats.resends >= 1);
    assert_eq!(job_commands(&responder), expected_commands(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thermal_runaway_fails_the_job_as_printer_caused() {
    let responder = Responder::start();
    let (printer, mut events) = connect(&responder).await;
    responder.hold(true);
    printer
        .start_job(2, JobSource::Lines(job_lines(100)))
        .await
        .unwrap();
    assert!(responder.wait_until(WAIT, |r| r.len() > 5));
    responder.say("Error:Thermal Runaway, system stopped! Heater_ID: bed\nError:Printer halted. kill() called!\n");
    let PrinterEvent::JobFailed {
        reason,
        printer_caused,
        ..
    } = job_end(&mut events).await
    else {
        panic!("job did not fail");
    };
    assert_eq!(reason, "thermal runaway (bed)");
    assert!(printer_caused);
    assert_eq!(printer.status().state, PrinterState::Error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_mid_print_is_detected_within_two_seconds() {
    let responder = Responder::start();
    let (printer, mut events) = connect(&responder).await;
    responder.hold(true);
    printer
        .start_job(3, JobSource::Lines(job_lines(100)))
        .await
        .unwrap();
    assert!(responder.wait_until(WAIT, |r| r.len() > 5));
    let dropped = Instant::now();
    responder.drop_connection();
    let PrinterEvent::JobFailed {
        printer_caused,
        reason,
        ..
    } = job_end(&mut events).await
    else {
        panic!("job did not fail");
    };
    assert!(
        dropped.elapsed() < Duration::from_secs(2),
        "took {:?}",
        dropped.elapsed()
    );
    assert!(printer_caused, "{reason}");
    assert!(reason.starts_with("disconnected"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_stop_goes_ahead_of_queued_lines() {
    let responder = Responder::start();
    let (printer, mut events) = connect(&responder).await;
    responder.hold(true);
    printer
        .start_job(4, JobSource::Lines(job_lines(100)))
        .await
        .unwrap();
    assert!(responder.wait_until(WAIT, |r| r.len() > 5));
    printer.emergency_stop().await.unwrap();
    assert!(responder.wait_until(WAIT, |r| r.iter().any(|l| l == "M112")));
    let PrinterEvent::JobFailed { printer_caused, .. } = job_end(&mut events).await else {
        panic!("job did not fail");
    };
    assert!(!printer_caused);
    responder.hold(false);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let received = responder.received();
    assert_eq!(
        received.last().map(String::as_str),
        Some("M112"),
        "{received:?}"
    );
    assert!(job_commands(&responder).len() < 100);
}
