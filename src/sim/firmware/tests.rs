//! The firmware fed with byte strings at made-up times.

use super::*;
use crate::gcode::checksum;
use crate::sim::motion::SimpleMotion;

pub(super) fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// `N<n> <body>*<checksum>\n` as a host sends it.
pub(super) fn numbered(n: u32, body: &str) -> String {
    let text = format!("N{n} {body}");
    format!("{text}*{}\n", checksum(text.as_bytes()))
}

/// A board powered on at time zero, banner already read.
pub(super) fn board(config: FirmwareConfig) -> Firmware<SimpleMotion> {
    let mut fw = Firmware::new(config, SimpleMotion::default(), Duration::ZERO).unwrap();
    fw.take_output();
    fw
}

/// Sends `input` at `at` and returns the reply lines.
pub(super) fn exchange(fw: &mut Firmware<SimpleMotion>, input: &str, at: Duration) -> Vec<String> {
    fw.receive(input.as_bytes(), at);
    replies(fw)
}

/// Lets time pass to `at` and returns the reply lines.
pub(super) fn wait_until(fw: &mut Firmware<SimpleMotion>, at: Duration) -> Vec<String> {
    fw.poll(at);
    replies(fw)
}

pub(super) fn replies(fw: &mut Firmware<SimpleMotion>) -> Vec<String> {
    let out = String::from_utf8(fw.take_output()).unwrap();
    out.lines().map(str::to_owned).collect()
}

#[test]
fn power_on_prints_the_banner() {
    let mut fw = Firmware::new(
        FirmwareConfig::default(),
        SimpleMotion::default(),
        secs(5.0),
    )
    .unwrap();
    let lines = replies(&mut fw);
    assert_eq!(lines[..2], ["start", "echo:Marlin 2.1.2"]);
    assert!(lines[2..].iter().all(|l| l.starts_with("echo:")));
}

#[test]
fn replies_match_marlin() {
    let cs = |text: &str| format!("{text}*{}\n", checksum(text.as_bytes()));
    // (input sent at t=0, replies at t=0)
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("G90\n".into(), vec!["ok"]),
        (numbered(1, "G90"), vec!["ok"]),
        (numbered(1, "G90") + &numbered(2, "M82"), vec!["ok", "ok"]),
        (
            "N1 G90*0\n".into(),
            vec!["Error:checksum mismatch, Last Line: 0", "Resend: 1", "ok"],
        ),
        (
            numbered(2, "G90"),
            vec![
                "Error:Line Number is not Last Line Number+1, Last Line: 0",
                "Resend: 1",
                "ok",
            ],
        ),
        (
            "N1 G90\n".into(),
            vec![
                "Error:No Checksum with line number, Last Line: 0",
                "Resend: 1",
                "ok",
            ],
        ),
        (
            numbered(1, "M110 N41") + &numbered(42, "G90"),
            vec!["ok", "ok"],
        ),
        (cs("N7 M110") + &numbered(8, "G90"), vec!["ok", "ok"]),
        (
            "M105\n".into(),
            vec!["ok T:21.00 /0.00 B:21.00 /0.00 @:0 B@:0"],
        ),
        (
            "M114\n".into(),
            vec!["X:0.00 Y:0.00 Z:0.00 E:0.00 Count X:0 Y:0 Z:0", "ok"],
        ),
        (
            "G1 X1.5 Y2 Z0.2 E3\nM114\n".into(),
            vec![
                "ok",
                "X:1.50 Y:2.00 Z:0.20 E:3.00 Count X:120 Y:160 Z:80",
                "ok",
            ],
        ),
        (
            "G999\n".into(),
            vec!["echo:Unknown command: \"G999\"", "ok"],
        ),
        (
            "M862.3 P \"MK3S\"\n".into(),
            vec!["echo:Unknown command: \"M862.3 P \"MK3S\"\"", "ok"],
        ),
        ("M118 hello host\n".into(), vec!["hello host", "ok"]),
        ("; just a comment\n\n\r\n".into(), vec![]),
        (
            "M104 S200 ; heat\nM105\n".into(),
            vec!["ok", "ok T:21.00 /200.00 B:21.00 /0.00 @:127 B@:0"],
        ),
    ];
    for (input, expected) in cases {
        let mut fw = board(FirmwareConfig::default());
        assert_eq!(
            exchange(&mut fw, &input, Duration::ZERO),
            expected,
            "{input:?}"
        );
    }
}

#[test]
fn m115_reports_firmware_and_capabilities() {
    for advanced_ok in [false, true] {
        let mut fw = board(FirmwareConfig {
            advanced_ok,
            ..FirmwareConfig::default()
        });
        let lines = exchange(&mut fw, "M115\n", Duration::ZERO);
        assert!(lines[0].starts_with("FIRMWARE_NAME:Marlin 2.1.2 (printfarm sim) SOURCE_CODE_URL:"));
        assert!(lines[0]
            .contains(" PROTOCOL_VERSION:1.0 MACHINE_TYPE:printfarm-sim EXTRUDER_COUNT:1 UUID:"));
        for cap in ["Cap:AUTOREPORT_TEMP:1", "Cap:EMERGENCY_PARSER:1"] {
            assert!(lines.iter().any(|l| l == cap), "{cap} missing");
        }
        let advanced = format!("Cap:ADVANCED_OK:{}", u8::from(advanced_ok));
        assert!(lines.contains(&advanced), "{advanced} missing");
        assert!(lines.last().is_some_and(|l| l.starts_with("ok")));
    }
}

#[test]
fn bytes_beyond_the_receive_buffer_are_lost_while_a_command_blocks() {
    let mut fw = board(FirmwareConfig::default());
    assert!(exchange(&mut fw, "G28\n", Duration::ZERO).is_empty());
    // 20 lines of 10 bytes arrive during homing: the buffer keeps 128 bytes.
    let flood: String = (0..20).map(|i| format!("M117 m{i:03}\n")).collect();
    assert!(exchange(&mut fw, &flood, secs(1.0)).is_empty());
    assert_eq!(fw.rx_dropped(), 200 - 128);
    let after = wait_until(&mut fw, secs(5.0));
    // A busy line at 2 s, G28's ok, then the 12 whole lines; the 13th line
    // was cut after 8 bytes, so its head runs together with what comes next.
    assert_eq!(after[0], messages::BUSY);
    assert_eq!(after[1..], vec!["ok"; 13]);
    assert_eq!(fw.executed().len(), 13);
    assert_eq!(fw.executed()[12], "M117 m011");
    exchange(&mut fw, "\n", secs(6.0));
    assert_eq!(fw.executed().last().map(String::as_str), Some("M117 m01"));
}

#[test]
fn a_full_command_queue_delays_the_oks() {
    let mut fw = board(FirmwareConfig::default());
    // G4 holds the queue front; three more fit; the fifth waits in RX.
    let input = "G4 S10\nM117 a\nM117 b\nM117 c\nM117 d\n";
    assert!(exchange(&mut fw, input, Duration::ZERO).is_empty());
    assert!(wait_until(&mut fw, secs(9.9))
        .iter()
        .all(|l| l.starts_with("echo:busy")));
    assert_eq!(wait_until(&mut fw, secs(10.0)), vec!["ok"; 5]);
    assert_eq!(
        fw.executed(),
        ["G4 S10", "M117 a", "M117 b", "M117 c", "M117 d"]
    );
}

#[test]
fn a_full_planner_delays_the_oks() {
    let mut fw = board(FirmwareConfig::default());
    let moves: String = (1..=17).map(|i| format!("G1 X{i} F60\n")).collect();
    assert_eq!(exchange(&mut fw, &moves, Duration::ZERO), vec!["ok"; 16]);
    assert!(wait_until(&mut fw, secs(0.99)).is_empty());
    assert_eq!(wait_until(&mut fw, secs(1.0)), ["ok"]);
}

#[test]
fn advanced_ok_reports_line_planner_and_queue_room() {
    let mut fw = board(FirmwareConfig {
        advanced_ok: true,
        ..FirmwareConfig::default()
    });
    let input = numbered(1, "G1 X10 F600") + &numbered(2, "G1 X20") + "G90\n";
    let expected = ["ok N1 P15 B3", "ok N2 P14 B3", "ok P14 B3"];
    assert_eq!(exchange(&mut fw, &input, Duration::ZERO), expected);
    assert_eq!(exchange(&mut fw, "G90\n", secs(1.5)), ["ok P15 B3"]);
}

#[test]
fn speed_factor_scales_motion_but_not_reports() {
    let mut fw = board(FirmwareConfig {
        speed: 60.0,
        ..FirmwareConfig::default()
    });
    // A 60 s move then M400: the ok comes after one wall second.
    assert_eq!(
        exchange(&mut fw, "G1 X60 F60\nM400\n", Duration::ZERO),
        ["ok"]
    );
    assert!(wait_until(&mut fw, secs(0.99)).is_empty());
    assert_eq!(wait_until(&mut fw, secs(1.0)), ["ok"]);
    assert_eq!(
        exchange(&mut fw, "M114\n", secs(1.0))[0],
        "X:60.00 Y:0.00 Z:0.00 E:0.00 Count X:4800 Y:0 Z:0"
    );
}

#[test]
fn busy_lines_keep_the_host_alive_during_long_commands() {
    // (command, seconds it blocks, busy lines expected)
    let cases = [("G4 S7", 7.0, 3), ("G28", 4.0, 1), ("G4 P500", 0.5, 0)];
    for (command, seconds, busy) in cases {
        let mut fw = board(FirmwareConfig::default());
        fw.receive(format!("{command}\n").as_bytes(), Duration::ZERO);
        let lines = wait_until(&mut fw, secs(seconds - 0.01));
        assert_eq!(lines, vec![messages::BUSY; busy], "{command}");
        assert_eq!(wait_until(&mut fw, secs(seconds)), ["ok"], "{command}");
    }
    let mut fw = board(FirmwareConfig::default());
    exchange(&mut fw, "M113 S1\nG4 S3\n", Duration::ZERO);
    assert_eq!(
        wait_until(&mut fw, secs(2.5)).len(),
        2,
        "M113 S1: every second"
    );
}

#[test]
fn auto_report_sends_temperatures_periodically() {
    let mut fw = board(FirmwareConfig::default());
    assert_eq!(exchange(&mut fw, "M155 S2\n", Duration::ZERO), ["ok"]);
    let reports = wait_until(&mut fw, secs(7.0));
    assert_eq!(reports, vec![" T:21.00 /0.00 B:21.00 /0.00 @:0 B@:0"; 3]);
    exchange(&mut fw, "M155 S0\n", secs(7.0));
    assert!(wait_until(&mut fw, secs(20.0)).is_empty());
}

#[test]
fn heaters_reach_their_targets_over_printer_time() {
    let mut fw = board(FirmwareConfig {
        speed: 10.0,
        ..FirmwareConfig::default()
    });
    exchange(&mut fw, "M104 S200\nM140 S60\n", Duration::ZERO);
    let (hotend, bed) = (wait_until(&mut fw, secs(1.0)), fw.temperatures()).1;
    assert!(
        (hotend - 46.0).abs() < 0.01 && bed > 21.0 && bed < 30.0,
        "{hotend} {bed}"
    );
    wait_until(&mut fw, secs(20.0));
    let reply = exchange(&mut fw, "M105\n", secs(20.0));
    assert!(
        reply[0].starts_with("ok T:200.00 /200.00 B:60.00 /60.00"),
        "{reply:?}"
    );
}

#[test]
fn m109_blocks_with_temperature_lines_until_hot() {
    let mut fw = board(FirmwareConfig::default());
    assert!(exchange(&mut fw, "M109 S200\nG90\n", Duration::ZERO).is_empty());
    let waiting = wait_until(&mut fw, secs(60.0));
    assert_eq!(waiting.len(), 60);
    assert!(waiting
        .iter()
        .all(|l| l.starts_with(" T:") && l.ends_with(" /200.00 B:21.00 /0.00 @:127 B@:0 W:?")));
    let rest = wait_until(&mut fw, secs(120.0));
    let oks = rest.iter().filter(|l| *l == "ok").count();
    assert_eq!(oks, 2, "{rest:?}");
    let (hotend, _) = fw.temperatures();
    assert!((hotend - 200.0).abs() <= 1.0, "{hotend}");
    // The wait ended within a second of the predicted ~79 s.
    assert!(
        (17..=20).contains(&rest.iter().position(|l| l == "ok").unwrap()),
        "{rest:?}"
    );
}

#[test]
fn m108_cancels_a_heat_wait_and_m190_r_waits_for_cooling() {
    let mut fw = board(FirmwareConfig::default());
    exchange(&mut fw, "M190 S60\n", Duration::ZERO);
    assert_eq!(wait_until(&mut fw, secs(3.0)).len(), 3);
    assert_eq!(exchange(&mut fw, "M108\n", secs(3.0)), ["ok", "ok"]);
    // Hot bed, lower target: S does not wait for cooling, R does.
    let mut fw = board(FirmwareConfig::default());
    fw.bed.temperature = 80.0;
    assert_eq!(exchange(&mut fw, "M190 S50\n", Duration::ZERO), ["ok"]);
    assert!(exchange(&mut fw, "M190 R50\n", Duration::ZERO).is_empty());
}

#[test]
fn m112_is_seen_ahead_of_a_full_buffer_and_halts_for_good() {
    let mut fw = board(FirmwareConfig::default());
    exchange(&mut fw, "G4 S100\n", Duration::ZERO);
    let flood: String = (0..40).map(|i| format!("G1 X{i}\n")).collect();
    exchange(&mut fw, &flood, secs(1.0));
    assert!(fw.rx_dropped() > 0);
    assert_eq!(exchange(&mut fw, "M112\n", secs(1.5)), [messages::KILLED]);
    assert_eq!(fw.state(), FirmwareState::Halted);
    assert!(exchange(&mut fw, "M105\n", secs(3.0)).is_empty());
    assert!(wait_until(&mut fw, secs(200.0)).is_empty());
    assert_eq!(fw.executed(), ["G4 S100"]);
}

#[test]
fn executed_record_has_each_accepted_line_once() {
    let mut fw = board(FirmwareConfig::default());
    let sends = [
        numbered(1, "G28"),
        numbered(2, "G1 X5").replace('\n', " ; go\n"),
        numbered(2, "G1 X5"),  // duplicate: rejected
        "N3 G1 X6*0\n".into(), // bad checksum: rejected
        numbered(3, "G1 X6"),
        "M105\n".into(),
    ];
    for (i, line) in sends.iter().enumerate() {
        exchange(&mut fw, line, secs(5.0 * i as f64));
    }
    assert_eq!(fw.executed(), ["G28", "G1 X5", "G1 X6", "M105"]);
}

#[test]
fn bad_configurations_are_refused() {
    let bad = [
        FirmwareConfig {
            speed: 0.0,
            ..FirmwareConfig::default()
        },
        FirmwareConfig {
            speed: f64::NAN,
            ..FirmwareConfig::default()
        },
        FirmwareConfig {
            command_slots: 0,
            ..FirmwareConfig::default()
        },
    ];
    for config in bad {
        assert!(
            Firmware::new(config.clone(), SimpleMotion::default(), Duration::ZERO).is_err(),
            "{config:?}"
        );
    }
}
