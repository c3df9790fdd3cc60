//! Every injected fault, seen from the host side.

use super::tests::{board, exchange, numbered, replies, secs, wait_until};
use super::*;
use crate::sim::faults::Faults;

fn with_faults(faults: Faults) -> Firmware<crate::sim::SimpleMotion> {
    board(FirmwareConfig {
        faults,
        seed: 42,
        ..FirmwareConfig::default()
    })
}

/// A ping-pong host: sends line n, resends on `Resend:`, moves on on `ok`.
fn stream(fw: &mut Firmware<crate::sim::SimpleMotion>, commands: &[String]) -> usize {
    let mut next = 1usize;
    let mut resends = 0;
    let mut at = Duration::ZERO;
    for _ in 0..10 * commands.len() {
        let Some(body) = commands.get(next - 1) else {
            return resends;
        };
        at += secs(0.01);
        let lines = exchange(fw, &numbered(next as u32, body), at);
        match lines.iter().find_map(|l| l.strip_prefix("Resend: ")) {
            Some(n) => {
                next = n.parse().unwrap();
                resends += 1;
            }
            None if lines.iter().any(|l| l == "ok") => next += 1,
            None => panic!("no reply to line {next}: {lines:?}"),
        }
    }
    panic!("did not finish")
}

#[test]
fn corrupted_and_spurious_resends_lose_and_double_nothing() {
    let commands: Vec<String> = (0..200).map(|i| format!("M117 line {i}")).collect();
    // (corrupt rate, spurious resend rate)
    for (corrupt_rate, spurious_resend_rate) in [(0.3, 0.0), (0.0, 0.3), (0.2, 0.2)] {
        let mut fw = with_faults(Faults {
            corrupt_rate,
            spurious_resend_rate,
            ..Faults::default()
        });
        let resends = stream(&mut fw, &commands);
        assert!(
            resends > 20,
            "only {resends} resends at {corrupt_rate}/{spurious_resend_rate}"
        );
        assert_eq!(fw.executed(), commands);
    }
}

#[test]
fn corruption_hits_numbered_lines_only() {
    let mut fw = with_faults(Faults {
        corrupt_rate: 1.0,
        ..Faults::default()
    });
    let expected = ["Error:checksum mismatch, Last Line: 0", "Resend: 1", "ok"];
    assert_eq!(
        exchange(&mut fw, &numbered(1, "G90"), Duration::ZERO),
        expected
    );
    assert_eq!(exchange(&mut fw, "G90\n", Duration::ZERO), ["ok"]);
}

#[test]
fn dropped_oks_are_never_sent() {
    let mut fw = with_faults(Faults {
        drop_ok_rate: 1.0,
        ..Faults::default()
    });
    assert!(exchange(&mut fw, "G90\nG90\n", Duration::ZERO).is_empty());
    assert_eq!(fw.executed().len(), 2);
    let error = exchange(&mut fw, &numbered(5, "G90"), Duration::ZERO);
    assert_eq!(
        error.last().map(String::as_str),
        Some("ok"),
        "resend oks stay"
    );
}

#[test]
fn spurious_resend_asks_for_a_line_already_taken() {
    let mut fw = with_faults(Faults {
        spurious_resend_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        exchange(&mut fw, &numbered(1, "G90"), Duration::ZERO),
        ["Resend: 1", "ok"]
    );
    let again = exchange(&mut fw, &numbered(1, "G90"), Duration::ZERO);
    assert_eq!(again[1..], ["Resend: 2", "ok"]);
    assert_eq!(fw.executed(), ["G90"]);
}

#[test]
fn disconnect_after_lines_drops_the_next_line() {
    let mut fw = with_faults(Faults {
        disconnect_after_lines: Some(2),
        ..Faults::default()
    });
    assert_eq!(
        exchange(&mut fw, "G90\nG91\nG92\n", Duration::ZERO),
        ["ok", "ok"]
    );
    assert_eq!(fw.state(), FirmwareState::Disconnected);
    assert_eq!(fw.executed(), ["G90", "G91"]);
    assert_eq!(fw.next_wakeup(), None);
}

#[test]
fn disconnect_after_time_is_a_scheduled_event() {
    let mut fw = with_faults(Faults {
        disconnect_after: Some(secs(3.0)),
        ..Faults::default()
    });
    assert_eq!(fw.next_wakeup(), Some(secs(3.0)));
    wait_until(&mut fw, secs(2.9));
    assert_eq!(fw.state(), FirmwareState::Running);
    wait_until(&mut fw, secs(3.0));
    assert_eq!(fw.state(), FirmwareState::Disconnected);
}

#[test]
fn thermal_runaway_at_printer_time_halts_the_printer() {
    let mut fw = board(FirmwareConfig {
        speed: 10.0,
        faults: Faults {
            thermal_runaway_at: Some(secs(100.0)),
            ..Faults::default()
        },
        ..FirmwareConfig::default()
    });
    exchange(&mut fw, "M104 S200\n", Duration::ZERO);
    assert!(wait_until(&mut fw, secs(9.9)).is_empty());
    let expected = [messages::THERMAL_RUNAWAY, messages::KILLED];
    assert_eq!(wait_until(&mut fw, secs(10.0)), expected);
    assert_eq!(fw.state(), FirmwareState::Halted);
    assert!(exchange(&mut fw, "M105\n", secs(11.0)).is_empty());
}

#[test]
fn reset_mid_print_prints_the_banner_and_forgets_line_numbers() {
    let mut fw = with_faults(Faults {
        reset_after_lines: Some(2),
        ..Faults::default()
    });
    let input = numbered(1, "G90") + &numbered(2, "G1 X5") + &numbered(3, "G1 X6");
    let lines = exchange(&mut fw, &input, Duration::ZERO);
    assert_eq!(lines[..3], ["ok", "ok", "start"]);
    assert_eq!(fw.executed(), ["G90", "G1 X5"]);
    let stale = exchange(&mut fw, &numbered(3, "G1 X6"), secs(1.0));
    assert_eq!(
        stale[0],
        "Error:Line Number is not Last Line Number+1, Last Line: 0"
    );
    assert_eq!(
        exchange(&mut fw, &numbered(1, "M114"), secs(1.0))[0],
        "X:0.00 Y:0.00 Z:0.00 E:0.00 Count X:0 Y:0 Z:0"
    );
    // Only once.
    assert_eq!(exchange(&mut fw, "G90\nG90\nG90\n", secs(2.0)), ["ok"; 3]);
}

#[test]
fn slow_replies_hold_the_ok() {
    let mut fw = with_faults(Faults {
        slow_reply_rate: 1.0,
        slow_reply_delay: secs(0.5),
        ..Faults::default()
    });
    assert!(exchange(&mut fw, "G90\nG90\n", Duration::ZERO).is_empty());
    assert_eq!(wait_until(&mut fw, secs(0.5)), ["ok"]);
    assert_eq!(wait_until(&mut fw, secs(1.0)), ["ok"]);
    assert!(replies(&mut fw).is_empty());
}
