//! The exact text of what Marlin 2.1.2 prints, in one place.

use super::super::heater::Heater;
use super::super::motion::Position;

/// Marlin's version string.
pub const VERSION: &str = "Marlin 2.1.2";

/// Printed by `kill()`; the printer then ignores everything.
pub const KILLED: &str = "Error:Printer halted. kill() called!";

/// The host keep-alive while a command blocks.
pub const BUSY: &str = "echo:busy: processing";

/// Thermal runaway on the hotend.
pub const THERMAL_RUNAWAY: &str = "Error:Thermal Runaway, system stopped! Heater_ID: 0";

/// Lines printed when the board boots.
pub fn banner() -> Vec<String> {
    vec![
        "start".into(),
        format!("echo:{VERSION}"),
        "echo: Last Updated: 2022-12-22 | Author: (printfarm sim)".into(),
        "echo:Compiled: Dec 22 2022".into(),
        "echo: Free Memory: 4133  PlannerBufferBytes: 1216".into(),
        "echo:Hardcoded Default Settings Loaded".into(),
    ]
}

/// `M115`: firmware info and capabilities (without the final `ok`).
pub fn firmware_info(uuid: &str, advanced_ok: bool) -> Vec<String> {
    let mut lines = vec![format!(
        "FIRMWARE_NAME:{VERSION} (printfarm sim) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin \
         PROTOCOL_VERSION:1.0 MACHINE_TYPE:printfarm-sim EXTRUDER_COUNT:1 UUID:{uuid}"
    )];
    let caps = [
        ("SERIAL_XON_XOFF", false),
        ("BINARY_FILE_TRANSFER", false),
        ("EEPROM", false),
        ("AUTOREPORT_POS", false),
        ("AUTOREPORT_TEMP", true),
        ("PROGRESS", false),
        ("PRINT_JOB", true),
        ("AUTOLEVEL", false),
        ("EMERGENCY_PARSER", true),
        ("HOST_ACTION_COMMANDS", false),
        ("SDCARD", false),
        ("THERMAL_PROTECTION", true),
        ("ARCS", true),
        ("ADVANCED_OK", advanced_ok),
    ];
    lines.extend(
        caps.iter()
            .map(|(name, on)| format!("Cap:{name}:{}", u8::from(*on))),
    );
    lines
}

/// ` T:21.00 /0.00 B:21.00 /0.00 @:0 B@:0`, with Marlin's leading space.
pub fn heater_states(hotend: &Heater, bed: &Heater) -> String {
    format!(
        " T:{:.2} /{:.2} B:{:.2} /{:.2} @:{} B@:{}",
        hotend.temperature,
        hotend.target,
        bed.temperature,
        bed.target,
        hotend.power(),
        bed.power()
    )
}

/// `M114`: position and stepper counts (without the final `ok`).
pub fn position_report(p: Position) -> String {
    const STEPS_PER_MM: [f64; 3] = [80.0, 80.0, 400.0];
    let count = |mm: f64, steps: f64| (mm * steps).round() as i64;
    format!(
        "X:{:.2} Y:{:.2} Z:{:.2} E:{:.2} Count X:{} Y:{} Z:{}",
        p.x,
        p.y,
        p.z,
        p.e,
        count(p.x, STEPS_PER_MM[0]),
        count(p.y, STEPS_PER_MM[1]),
        count(p.z, STEPS_PER_MM[2])
    )
}

/// `echo:Unknown command: "…"`.
pub fn unknown_command(text: &str) -> String {
    format!("echo:Unknown command: \"{text}\"")
}
