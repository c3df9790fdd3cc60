//! Start, end, pause, resume and cancel against the virtual Marlin on a
//! real PTY: the scripts reach the firmware, nothing of the file runs while
//! paused, and a cancel stops the job and turns the heaters off.

use crate::virtual_printer::*;
use printfarm::printer::{JobSource, PrinterEvent, PrinterState};
use printfarm::protocol::FlowMode;
use std::time::Duration;
use tokio::sync::broadcast;

const PAUSE: [&str; 3] = ["G91", "G1 Z10 F600", "G90"];
const RESUME: [&str; 3] = ["G91", "G1 Z-10 F600", "G90"];
const CANCEL: [&str; 4] = ["M104 S0", "M140 S0", "M107", "M84"];
const START: [&str; 2] = ["M117 Printing", "G28"];
const END: [&str; 3] = ["M104 S0", "G1 Z20 F600", "M84"];

fn ends_with(recorded: &[String], script: &[&str]) -> bool {
    recorded.len() >= script.len() && recorded[recorded.len() - script.len()..] == *script
}

fn strings(script: &[&str]) -> Vec<String> {
    script.iter().map(|s| (*s).to_owned()).collect()
}

/// Waits until the recorded stream ends with `script`, then checks that
/// nothing more runs for a while; returns the stream.
async fn settles_with(
    sim: &printfarm::sim::SimHandle,
    from: usize,
    script: &[&str],
) -> Vec<String> {
    assert!(
        eventually(|| ends_with(&recorded_since(sim, from), script)).await,
        "never ran {script:?}: {:?}",
        recorded_since(sim, from)
    );
    let settled = recorded_since(sim, from);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        recorded_since(sim, from),
        settled,
        "commands ran after {script:?}"
    );
    settled
}

/// The next temperature report.
async fn next_temperatures(events: &mut broadcast::Receiver<PrinterEvent>) -> (f64, f64) {
    let wait = async {
        loop {
            if let PrinterEvent::Temperatures(t) = events.recv().await.unwrap() {
                let target = |r: Option<&printfarm::protocol::TemperatureReading>| {
                    r.and_then(|r| r.target).unwrap()
                };
                return (target(t.hotend()), target(t.bed()));
            }
        }
    };
    tokio::time::timeout(WAIT, wait).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_run_their_scripts_and_hold_the_file() {
    let sim = start_sim(fast_firmware(5.0)); // a move + M400 takes ~20 ms
    let (printer, mut events) = connect(&sim, FlowMode::Counting).await;
    let before = sim.recorded_commands().len();
    let job = paced_job(60);
    printer
        .start_job(1, JobSource::Lines(job.clone()))
        .await
        .unwrap();
    assert!(eventually(|| job_moves(&recorded_since(&sim, before)).len() >= 3).await);

    printer.pause().await.unwrap();
    assert_eq!(printer.status().state, PrinterState::Paused);
    let paused = settles_with(&sim, before, &PAUSE).await;
    let done = paused.len() - PAUSE.len();
    assert!(done < job.len(), "paused mid-job");
    assert_eq!(paused[..done], job[..done], "job lines before the pause");

    printer.resume().await.unwrap();
    let end = job_end(&mut events).await;
    assert!(
        matches!(end, PrinterEvent::JobFinished { job_id: 1, .. }),
        "{end:?}"
    );
    let mut expected = job[..done].to_vec();
    expected.extend(strings(&PAUSE));
    expected.extend(strings(&RESUME));
    expected.extend_from_slice(&job[done..]);
    assert!(eventually(|| recorded_since(&sim, before).len() >= expected.len()).await);
    assert_eq!(
        recorded_since(&sim, before),
        expected,
        "every line once, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_job_and_turns_the_heaters_off() {
    let sim = start_sim(fast_firmware(5.0));
    let (printer, mut events) = connect(&sim, FlowMode::Counting).await;
    let before = sim.recorded_commands().len();
    let mut job = strings(&["M104 S200", "M140 S60"]);
    job.extend(paced_job(200));
    printer
        .start_job(2, JobSource::Lines(job.clone()))
        .await
        .unwrap();
    assert!(eventually(|| job_moves(&recorded_since(&sim, before)).len() >= 3).await);

    printer.cancel().await.unwrap();
    let end = job_end(&mut events).await;
    assert!(
        matches!(end, PrinterEvent::JobCancelled { job_id: 2, .. }),
        "{end:?}"
    );
    let cancelled = settles_with(&sim, before, &CANCEL).await;
    let done = cancelled.len() - CANCEL.len();
    assert!(done < job.len(), "the rest of the job was dropped");
    assert_eq!(cancelled[..done], job[..done]);
    assert_eq!(printer.status().state, PrinterState::Idle);
    // A report made after the cancel script ran shows both targets at zero.
    events = events.resubscribe();
    assert_eq!(next_temperatures(&mut events).await, (0.0, 0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_and_end_scripts_frame_the_job_and_run_before_it_finishes() {
    let sim = start_sim(fast_firmware(5.0));
    let mut config = driver_config(&sim, FlowMode::Counting);
    config.scripts.start = strings(&START);
    config.scripts.end = strings(&END);
    let (printer, mut events) = connect_with(&sim, config).await;
    let before = sim.recorded_commands().len();
    let job = paced_job(5);
    printer
        .start_job(3, JobSource::Lines(job.clone()))
        .await
        .unwrap();
    let end = job_end(&mut events).await;
    let PrinterEvent::JobFinished { job_id: 3, stats } = end else {
        panic!("{end:?}");
    };
    // The firmware acknowledges a command after running it, so the end
    // script has run by the time the job is reported finished.
    let mut expected = strings(&START);
    expected.extend_from_slice(&job);
    expected.extend(strings(&END));
    assert_eq!(recorded_since(&sim, before), expected);
    assert_eq!(stats.lines_sent as usize, expected.len());
    assert_eq!(printer.status().state, PrinterState::Idle);
}
