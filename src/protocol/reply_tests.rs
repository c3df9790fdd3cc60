//! Tables of real firmware lines and what the reply parser makes of them.

use super::errors::ErrorClass;
use super::reply::{parse_reply, HostAction, OkReply, Reply};

fn ok(line: Option<u32>, planner_free: Option<u32>, buffer_free: Option<u32>) -> Reply {
    Reply::Ok(OkReply {
        line,
        planner_free,
        buffer_free,
        ..OkReply::default()
    })
}

#[test]
fn reads_acknowledgements() {
    let table = [
        ("ok", ok(None, None, None)),
        ("ok\r", ok(None, None, None)),
        ("ok N23 P15 B3", ok(Some(23), Some(15), Some(3))),
        ("ok N0 P0 B0", ok(Some(0), Some(0), Some(0))),
        ("ok 23", ok(Some(23), None, None)),
        ("OK", ok(None, None, None)),
    ];
    for (text, want) in table {
        assert_eq!(parse_reply(text.as_bytes()), want, "{text}");
    }
}

#[test]
fn reads_resend_requests_in_every_format() {
    for text in [
        "Resend: 23",
        "Resend:23",
        "Resend: N:23",
        "rs N23",
        "rs 23",
        "Resend: N23",
    ] {
        assert_eq!(parse_reply(text.as_bytes()), Reply::Resend(23), "{text}");
    }
    assert_eq!(parse_reply(b"skip 23"), Reply::Skip(23));
}

#[test]
fn reads_ok_with_temperatures_and_firmware() {
    let Reply::Ok(ok) = parse_reply(b"ok T:21.3 /0.0 B:20.1 /0.0 @:0 B@:0") else {
        panic!("not an ok");
    };
    let temps = ok.temperatures.unwrap();
    assert_eq!(temps.hotend().unwrap().actual, 21.3);
    assert_eq!(temps.bed().unwrap().actual, 20.1);
    let Reply::Ok(ok) = parse_reply(b"ok FIRMWARE_VERSION:v0.12.0 FIRMWARE_NAME:Klipper") else {
        panic!("not an ok");
    };
    assert_eq!(ok.firmware.as_deref(), Some("Klipper"));
}

#[test]
fn reads_informational_lines() {
    let cap = |name: &str, enabled| Reply::Capability {
        name: name.to_owned(),
        enabled,
    };
    let action = |name: &str, argument: &str| {
        Reply::HostAction(HostAction {
            name: name.to_owned(),
            argument: argument.to_owned(),
        })
    };
    let table = [
        ("start", Reply::Start),
        ("wait", Reply::Wait),
        ("busy: processing", Reply::Busy("processing".into())),
        (
            "echo:busy: paused for user",
            Reply::Busy("paused for user".into()),
        ),
        ("Cap:AUTOREPORT_TEMP:1", cap("AUTOREPORT_TEMP", true)),
        ("Cap:EEPROM:0", cap("EEPROM", false)),
        ("//action:pause", action("pause", "")),
        ("// action:cancel", action("cancel", "")),
        (
            "//action:notification Filament runout",
            action("notification", "Filament runout"),
        ),
        (
            "echo:Unknown command: \"G999\"",
            Reply::Echo("Unknown command: \"G999\"".into()),
        ),
        ("Marlin 2.1.2", Reply::Other("Marlin 2.1.2".into())),
    ];
    for (text, want) in table {
        assert_eq!(parse_reply(text.as_bytes()), want, "{text}");
    }
}

#[test]
fn reads_firmware_names() {
    let table = [
        (
            "FIRMWARE_NAME:Marlin 2.1.2.1 (Github) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin PROTOCOL_VERSION:1.0 MACHINE_TYPE:Ender-3 EXTRUDER_COUNT:1",
            "Marlin 2.1.2.1 (Github)",
        ),
        (
            "FIRMWARE_NAME:Prusa-Firmware 3.13.0 based on Marlin FIRMWARE_URL:https://github.com/prusa3d/Prusa-Firmware PROTOCOL_VERSION:1.0",
            "Prusa-Firmware 3.13.0 based on Marlin",
        ),
        (
            "FIRMWARE_NAME:Smoothieware, FIRMWARE_URL:http%3A//smoothieware.org, X-SOURCE_CODE_URL:x",
            "Smoothieware",
        ),
        (
            "FIRMWARE_NAME:Repetier_1.0.3 COMPILED:Jan 1 2020 FIRMWARE_URL:https://github.com/repetier",
            "Repetier_1.0.3",
        ),
    ];
    for (text, want) in table {
        assert_eq!(
            parse_reply(text.as_bytes()),
            Reply::Firmware(want.into()),
            "{text}"
        );
    }
}

#[test]
fn reads_errors_with_their_class() {
    let class = |text: &str| match parse_reply(text.as_bytes()) {
        Reply::Error { class, .. } => class,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(
        class("Error:checksum mismatch, Last Line: 22"),
        ErrorClass::LineRejected
    );
    assert_eq!(
        class("Error:Thermal Runaway, system stopped! Heater_ID: bed"),
        ErrorClass::Fatal {
            cause: "thermal runaway (bed)".into()
        }
    );
    assert_eq!(class("!! Move out of range"), ErrorClass::Other);
    assert!(matches!(
        class("fatal:Heater decoupled"),
        ErrorClass::Fatal { .. }
    ));
}

#[test]
fn reads_temperature_reports_on_their_own() {
    let Reply::Temperatures(t) = parse_reply(b" T:21.30/ 0.00 B:20.0 /0 @:0") else {
        panic!("not temperatures");
    };
    assert_eq!(t.readings.len(), 2);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_reply(&bytes);
        }

        #[test]
        fn replies_shaped_lines_never_panic(text in "(ok|Resend:|rs|T:|B:|Cap:|//action:|Error:|echo:)[ -~]{0,60}") {
            let _ = parse_reply(text.as_bytes());
        }

        #[test]
        fn any_resend_number_is_read_back(n in 0u32..u32::MAX) {
            prop_assert_eq!(parse_reply(format!("Resend: {n}").as_bytes()), Reply::Resend(n));
        }
    }
}
