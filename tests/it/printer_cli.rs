//! `printfarm print` against the virtual Marlin on a real PTY.

use crate::virtual_printer::{fast_firmware, file_commands, start_sim};
use printfarm::cli::print::{run, Args};
use printfarm::protocol::FlowMode;
use printfarm::sim::{FirmwareConfig, SimHandle};
use std::path::Path;
use std::time::Duration;

fn args(port: &Path, file: &Path) -> Args {
    Args {
        port: port.into(),
        baud: 115_200,
        flow: FlowMode::Auto,
        rx_buffer: 128,
        connect_timeout: 10,
        json: true,
        file: file.into(),
    }
}

/// A virtual printer on its own runtime: the CLI runs its own, blocking.
fn sim_on_runtime(firmware: FirmwareConfig) -> (tokio::runtime::Runtime, SimHandle) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = {
        let _guard = runtime.enter();
        start_sim(firmware)
    };
    (runtime, sim)
}

#[test]
fn prints_a_file_and_exits_successfully() {
    let (_runtime, sim) = sim_on_runtime(fast_firmware(1000.0));
    let file = tempfile::NamedTempFile::new().unwrap();
    let gcode: String = (1..=50).map(|i| format!("G1 X{i} ; step {i}\n")).collect();
    std::fs::write(file.path(), gcode).unwrap();

    run(args(sim.path(), file.path())).unwrap();

    let recorded = sim.recorded_commands();
    let expected = file_commands(file.path());
    assert_eq!(expected.len(), 50);
    assert!(recorded.ends_with(&expected), "{recorded:?}");
}

#[test]
fn reports_thermal_runaway_with_the_line() {
    let mut firmware = fast_firmware(10.0);
    firmware.faults.thermal_runaway_at = Some(Duration::from_secs(50)); // 5 s wall, well after connecting
    let (_runtime, sim) = sim_on_runtime(firmware);
    let file = tempfile::NamedTempFile::new().unwrap();
    let gcode: String = (1..=2000)
        .map(|i| format!("G1 X{} F600\nM400\n", i % 2))
        .collect();
    std::fs::write(file.path(), gcode).unwrap();

    let message = format!("{:#}", run(args(sim.path(), file.path())).unwrap_err());

    assert!(
        message.starts_with("printer halted: thermal runaway (hotend 0) at line "),
        "{message}"
    );
    let line: u64 = message.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(line > 0 && line < 4000, "{message}");
}

#[test]
fn fails_clearly_on_a_missing_port() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut a = args(Path::new("/dev/does-not-exist"), file.path());
    a.connect_timeout = 1;
    let message = format!("{:#}", run(a).unwrap_err());
    assert!(
        message.contains("cannot connect to /dev/does-not-exist"),
        "{message}"
    );
}
