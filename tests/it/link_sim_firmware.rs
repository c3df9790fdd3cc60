//! The virtual firmware with planner-backed motion, sans I/O: moves whose
//! time is not final yet cost nothing, and must not stall what follows.

use printfarm::gcode::checksum;
use printfarm::sim::{Firmware, FirmwareConfig, PlannedMotion};
use std::time::Duration;

fn numbered(n: u32, body: &str) -> String {
    let text = format!("N{n} {body}");
    format!("{text}*{}\n", checksum(text.as_bytes()))
}

#[test]
fn a_sync_after_a_zero_cost_move_completes_without_time_passing() {
    let config = FirmwareConfig {
        speed: 50.0,
        ..FirmwareConfig::default()
    };
    let mut firmware = Firmware::new(config, PlannedMotion::default(), Duration::ZERO).unwrap();
    firmware.take_output(); // banner
    let now = Duration::from_millis(10);
    // The look-ahead keeps the move's time back: it costs nothing yet, and
    // the M400 behind it (same read, same instant) flushes the planner.
    let bytes = numbered(1, "G1 X1 F600") + &numbered(2, "M400");
    firmware.receive(bytes.as_bytes(), now);
    firmware.poll(now);
    let oks_now = String::from_utf8(firmware.take_output()).unwrap();
    assert_eq!(oks_now.matches("ok").count(), 1, "{oks_now:?}");
    // M400 now waits for the ~0.1 s printer time (2 ms wall) of the move.
    firmware.poll(now + Duration::from_millis(5));
    let later = String::from_utf8(firmware.take_output()).unwrap();
    assert_eq!(later, "ok\n");
    assert_eq!(firmware.executed(), ["G1 X1 F600", "M400"]);
}
