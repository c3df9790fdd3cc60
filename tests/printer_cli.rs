//! `printfarm print` against a minimal Marlin on a pseudo-terminal.

#[path = "printer_support/responder.rs"]
#[allow(dead_code)] // each test crate uses part of it
mod responder;

use printfarm::cli::print::{run, Args};
use printfarm::protocol::FlowMode;
use responder::Responder;

fn args(port: &std::path::Path, file: &std::path::Path) -> Args {
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

#[test]
fn prints_a_file_and_exits_successfully() {
    let responder = Responder::start();
    let file = tempfile::NamedTempFile::new().unwrap();
    let gcode: String = (1..=50).map(|i| format!("G1 X{i} ; step\n")).collect();
    std::fs::write(file.path(), gcode).unwrap();
    run(args(&responder.path, file.path())).unwrap();
    let moves = responder
        .accepted()
        .into_iter()
        .filter(|c| c.starts_with("G1"))
        .count();
    assert_eq!(moves, 50);
}

#[test]
fn reports_thermal_runaway_with_the_line() {
    let responder = Responder::start();
    responder.hold_from_line(3); // N0 M110, N1 M115, N2 G1 X1 answered; the rest held
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "G1 X1\nG1 X2\nG1 X3\n").unwrap();
    let fail = std::thread::scope(|scope| {
        scope.spawn(|| {
            let wait = std::time::Duration::from_secs(10);
            responder.wait_until(wait, |r| r.iter().filter(|l| l.contains("G1")).count() >= 2);
            responder.say("Error:Thermal Runaway, system stopped! Heater_ID: bed\n");
        });
        run(args(&responder.path, file.path())).unwrap_err()
    });
    let message = format!("{fail:#}");
    assert!(
        message.starts_with("printer halted: thermal runaway (bed) at line"),
        "{message}"
    );
}

#[test]
fn fails_clearly_on_a_missing_port() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut a = args(std::path::Path::new("/dev/does-not-exist"), file.path());
    a.connect_timeout = 1;
    let message = format!("{:#}", run(a).unwrap_err());
    assert!(
        message.contains("cannot connect to /dev/does-not-exist"),
        "{message}"
    );
}
