//! Whole corpus files streamed by the driver to the virtual printer on a real
//! PTY: the firmware must execute exactly the file's commands, in order, once,
//! in every flow mode, on a clean line and with 2 % of lines corrupted.

use crate::virtual_printer::*;
use printfarm::printer::{JobSource, PrinterEvent, PrinterState};
use printfarm::protocol::FlowMode;

/// Printer seconds per wall second: the sample's ~12 minutes take < 1 s.
const SPEED: f64 = 2000.0;

async fn stream_sample(flow: FlowMode, corrupt_rate: f64) {
    let Some(path) = small_sample() else { return };
    let mut firmware = fast_firmware(SPEED);
    firmware.advanced_ok = flow == FlowMode::Advanced;
    firmware.faults.corrupt_rate = corrupt_rate;
    firmware.seed = 42;
    let sim = start_sim(firmware);
    let (printer, mut events) = connect(&sim, flow).await;
    let before = sim.recorded_commands().len();

    printer
        .start_job(1, JobSource::File(path.clone()))
        .await
        .unwrap();
    let end = job_end(&mut events).await;
    let PrinterEvent::JobFinished { job_id, stats } = end else {
        panic!("{flow} at {corrupt_rate}: job did not finish: {end:?}");
    };

    let expected = file_commands(&path);
    assert_eq!(job_id, 1);
    assert_eq!(stats.lines_sent, expected.len() as u64);
    if corrupt_rate > 0.0 {
        let floor = (expected.len() as f64 * corrupt_rate / 2.0) as u64;
        assert!(stats.resends >= floor, "{} resends", stats.resends);
    } else {
        assert_eq!(stats.resends, 0);
    }
    assert!(eventually(|| recorded_since(&sim, before).len() >= expected.len()).await);
    let recorded = recorded_since(&sim, before);
    for (i, (got, want)) in recorded.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "{flow}: command {i} differs");
    }
    let extra = recorded.get(expected.len()..).unwrap_or_default();
    assert_eq!(recorded.len(), expected.len(), "{flow}: extra {extra:?}");
    assert_eq!(printer.status().state, PrinterState::Idle);
    sim.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_pong_streams_the_sample_exactly() {
    stream_sample(FlowMode::PingPong, 0.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counting_streams_the_sample_exactly() {
    stream_sample(FlowMode::Counting, 0.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advanced_ok_streams_the_sample_exactly() {
    stream_sample(FlowMode::Advanced, 0.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_pong_survives_two_percent_corrupted_lines() {
    stream_sample(FlowMode::PingPong, 0.02).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counting_survives_two_percent_corrupted_lines() {
    stream_sample(FlowMode::Counting, 0.02).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advanced_ok_survives_two_percent_corrupted_lines() {
    stream_sample(FlowMode::Advanced, 0.02).await;
}
