//! Pause, resume and cancel against a minimal Marlin on a pseudo-terminal.

#[path = "printer_support/responder.rs"]
#[allow(dead_code)] // each test crate uses part of it
mod responder;

use printfarm::printer::{spawn, JobSource, PrinterConfig, PrinterEvent, PrinterState};
use responder::Responder;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
const PAUSE: [&str; 3] = ["G91", "G1 Z10 F600", "G90"];
const RESUME: [&str; 3] = ["G91", "G1 Z-10 F600", "G90"];
const CANCEL: [&str; 4] = ["M104 S0", "M140 S0", "M107", "M84"];

fn job_lines(count: usize) -> Vec<String> {
    (1..=count).map(|i| format!("G1 X{i}")).collect()
}

fn ends_with(accepted: &[String], script: &[&str]) -> bool {
    accepted.len() >= script.len() && accepted[accepted.len() - script.len()..] == *script
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_cancel_run_their_scripts_and_stop_feeding() {
    let responder = Responder::start();
    let mut config = PrinterConfig::new(&responder.path, 115_200);
    config.link.boot_wait = Duration::from_millis(200);
    let printer = spawn(config);
    let mut events = printer.subscribe();
    let mut status = printer.watch_status();
    tokio::time::timeout(WAIT, status.wait_for(|s| s.state == PrinterState::Idle))
        .await
        .unwrap()
        .unwrap();

    responder.hold(true);
    printer
        .start_job(1, JobSource::Lines(job_lines(200)))
        .await
        .unwrap();
    assert!(responder.wait_until(WAIT, |r| r.len() > 5));
    printer.pause().await.unwrap();
    assert_eq!(printer.status().state, PrinterState::Paused);
    responder.hold(false);
    assert!(responder.wait_until(WAIT, |r| r.iter().any(|l| l.contains("G1 Z10 F600"))));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let paused = responder.accepted();
    assert!(ends_with(&paused, &PAUSE), "{paused:?}");

    printer.resume().await.unwrap();
    let finished = tokio::time::timeout(WAIT, async {
        loop {
            if let PrinterEvent::JobFinished { .. } = events.recv().await.unwrap() {
                break;
            }
        }
    });
    finished.await.unwrap();
    let all = responder.accepted();
    let resume_at = paused.len();
    assert_eq!(all[resume_at..resume_at + 3], RESUME);
    let moves: Vec<_> = all
        .iter()
        .filter(|c| c.starts_with("G1 X"))
        .cloned()
        .collect();
    assert_eq!(moves, job_lines(200), "every line once, in order");

    responder.hold(true);
    printer
        .start_job(2, JobSource::Lines(job_lines(200)))
        .await
        .unwrap();
    let before = all.len();
    assert!(responder.wait_until(WAIT, |r| r.len() > before + 5));
    printer.cancel().await.unwrap();
    responder.hold(false);
    loop {
        let event = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap()
            .unwrap();
        if let PrinterEvent::JobCancelled { job_id, .. } = event {
            assert_eq!(job_id, 2);
            break;
        }
    }
    assert!(responder.wait_until(WAIT, |r| r.iter().any(|l| l.contains("M84"))));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cancelled = responder.accepted();
    assert!(ends_with(&cancelled, &CANCEL), "{cancelled:?}");
    assert_eq!(printer.status().state, PrinterState::Idle);
}
