//! The project's virtual Marlin (`printfarm::sim`) on a real PTY, with the
//! driver connected to it, for the integration tests of the serial path.

use printfarm::gcode::parse_line;
use printfarm::printer::{spawn, PrinterConfig, PrinterEvent, PrinterHandle, PrinterState};
use printfarm::protocol::FlowMode;
use printfarm::sim::{spawn_with, FirmwareConfig, PlannedMotion, SimConfig, SimHandle};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::broadcast;

/// Longest wait for anything in these tests.
pub const WAIT: Duration = Duration::from_secs(20);

/// A corpus file by name: `gcode-samples/` first, then the shared corpus.
pub fn corpus_file(name: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        root.join("gcode-samples").join(name),
        root.join("gcode-samples/prusaslicer").join(name),
        root.join("../shared/gcode-corpus/prusaslicer").join(name),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// The small sample the streaming tests use, if present on this machine.
pub fn small_sample() -> Option<PathBuf> {
    let found = corpus_file("nametag-alice__mk3s_m73_limits.gcode");
    if found.is_none() {
        eprintln!("skipped: nametag-alice__mk3s_m73_limits.gcode not found");
    }
    found
}

/// One line as the driver sends it: canonical form, no comment, no number.
pub fn canonical(line: &str) -> Option<String> {
    let mut issues = Vec::new();
    let mut parsed = parse_line(line.as_bytes(), &mut issues);
    if parsed.is_empty() {
        return None;
    }
    parsed.comment = None;
    parsed.number = None;
    Some(parsed.to_string())
}

/// The command lines of a file, in the form the driver sends them.
pub fn file_commands(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().filter_map(canonical).collect()
}

/// Firmware settings for fast tests: printer time runs `speed` times faster.
pub fn fast_firmware(speed: f64) -> FirmwareConfig {
    FirmwareConfig {
        speed,
        ..FirmwareConfig::default()
    }
}

/// Starts a virtual printer (planner-backed motion, unlimited baud rate).
pub fn start_sim(firmware: FirmwareConfig) -> SimHandle {
    let config = SimConfig {
        firmware,
        baud: 0,
        ..SimConfig::default()
    };
    spawn_with(config, PlannedMotion::default()).unwrap()
}

/// Driver settings for `sim` with `flow`.
pub fn driver_config(sim: &SimHandle, flow: FlowMode) -> PrinterConfig {
    let mut config = PrinterConfig::new(sim.path(), 115_200);
    config.link.flow = flow;
    config.link.boot_wait = Duration::from_millis(300);
    config.reconnect_min = Duration::from_millis(100);
    config
}

/// Starts the driver on `sim` and waits until it is idle.
pub async fn connect(
    sim: &SimHandle,
    flow: FlowMode,
) -> (PrinterHandle, broadcast::Receiver<PrinterEvent>) {
    connect_with(sim, driver_config(sim, flow)).await
}

/// Starts a driver with `config` on `sim` and waits until it is idle.
pub async fn connect_with(
    sim: &SimHandle,
    config: PrinterConfig,
) -> (PrinterHandle, broadcast::Receiver<PrinterEvent>) {
    let printer = spawn(config);
    let events = printer.subscribe();
    wait_for_state(&printer, PrinterState::Idle).await;
    // The handshake ends with `M155` (temperature auto-report) after `Idle`.
    let reporting = || {
        sim.recorded_commands()
            .iter()
            .any(|c| c.starts_with("M155"))
    };
    assert!(eventually(reporting).await, "no M155 after the handshake");
    (printer, events)
}

/// Waits until the printer reaches `state`.
pub async fn wait_for_state(printer: &PrinterHandle, state: PrinterState) {
    let mut status = printer.watch_status();
    tokio::time::timeout(WAIT, status.wait_for(|s| s.state == state))
        .await
        .unwrap_or_else(|_| panic!("printer never became {state:?}: {:?}", printer.status()))
        .unwrap();
}

/// The next job-ending event.
pub async fn job_end(events: &mut broadcast::Receiver<PrinterEvent>) -> PrinterEvent {
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

/// Polls `check` every few milliseconds until it holds; false after [`WAIT`].
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let start = tokio::time::Instant::now();
    while start.elapsed() < WAIT {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

/// Commands the sim executed from index `from` on.
pub fn recorded_since(sim: &SimHandle, from: usize) -> Vec<String> {
    sim.recorded_commands()
        .get(from..)
        .unwrap_or_default()
        .to_vec()
}

/// Moves paced by `M400`: each pair takes a predictable printer time
/// (about 0.1 s for 1 mm at F600), whatever the planner's look-ahead does.
pub fn paced_job(count: usize) -> Vec<String> {
    (1..=count)
        .flat_map(|i| [format!("G1 X{i} F600"), "M400".to_owned()])
        .collect()
}

/// The job's own moves among recorded commands.
pub fn job_moves(recorded: &[String]) -> Vec<String> {
    recorded
        .iter()
        .filter(|c| c.starts_with("G1 X"))
        .cloned()
        .collect()
}
