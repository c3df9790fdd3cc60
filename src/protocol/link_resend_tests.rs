//! Resend requests in every format, repeats, limits and history bounds.

use super::test_support::{acked, connected, events, ms, queue_moves, sent};
use super::{FlowMode, LinkConfig, LinkEvent, LinkState};

fn counting() -> LinkConfig {
    LinkConfig {
        flow: FlowMode::Counting,
        rx_buffer: 1000,
        temperature_interval: std::time::Duration::from_secs(3600),
        ..LinkConfig::default()
    }
}

/// A link with moves 1..=4 sent as lines N2..N5.
fn four_in_flight() -> super::Link {
    let mut link = connected(counting());
    queue_moves(&mut link, 1..=4);
    assert_eq!(sent(&mut link, ms(40)).len(), 4);
    link
}

#[test]
fn every_resend_format_rewinds_to_the_line() {
    for request in ["Resend: 3", "Resend:3", "Resend: N:3", "rs N3", "skip 2"] {
        let mut link = four_in_flight();
        let reply = format!("ok\nError:checksum mismatch, Last Line: 2\n{request}\nok\n");
        link.receive(reply.as_bytes(), ms(50));
        assert_eq!(acked(&mut link), [1], "{request}");
        assert_eq!(
            sent(&mut link, ms(50)),
            ["N3 G1 X2", "N4 G1 X3", "N5 G1 X4"],
            "{request}"
        );
        assert_eq!(link.stats().resends, 1);
    }
}

#[test]
fn a_resend_request_implies_the_earlier_lines_arrived() {
    let mut link = four_in_flight();
    link.receive(b"Resend: 4\nok\n", ms(50));
    assert_eq!(acked(&mut link), [1, 2]);
    assert_eq!(sent(&mut link, ms(50)), ["N4 G1 X3", "N5 G1 X4"]);
}

#[test]
fn repeated_requests_from_lines_sent_before_the_rewind_are_ignored() {
    let mut link = four_in_flight();
    let one = "Error:Line Number is not Last Line Number+1, Last Line: 1\nResend: 2\nok\n";
    link.receive(one.as_bytes(), ms(50));
    assert_eq!(sent(&mut link, ms(50)).len(), 4);
    link.receive(one.repeat(3).as_bytes(), ms(60)); // from N3, N4, N5 sent before
    assert!(sent(&mut link, ms(60)).is_empty());
    link.receive(b"ok\nok\nok\nok\n", ms(70));
    assert_eq!(acked(&mut link), [1, 2, 3, 4]);
    assert_eq!(link.stats().resends, 1);
}

#[test]
fn a_request_after_the_stale_ones_is_honoured() {
    let mut link = four_in_flight();
    link.receive(b"Resend: 2\nok\n", ms(50));
    sent(&mut link, ms(50));
    link.receive(b"Resend: 2\nok\n".repeat(4).as_slice(), ms(60)); // 3 stale + 1 new
    assert_eq!(sent(&mut link, ms(60)).len(), 4);
    assert_eq!(link.stats().resends, 2);
}

#[test]
fn a_missing_ok_after_a_resend_is_tolerated() {
    let mut link = four_in_flight();
    link.receive(b"Resend: 2\n", ms(50));
    sent(&mut link, ms(50));
    link.receive(b"echo:hello\nok\nok\nok\nok\n", ms(60));
    assert_eq!(acked(&mut link), [1, 2, 3, 4]);
    assert!(link.is_idle());
}

#[test]
fn a_line_rejected_too_often_is_dropped_and_the_numbers_start_over() {
    let mut link = connected(LinkConfig {
        max_resends_per_line: 3,
        flow: FlowMode::PingPong,
        ..counting()
    });
    queue_moves(&mut link, 1..=3);
    assert_eq!(sent(&mut link, ms(40)), ["N2 G1 X1"]);
    for i in 0..3 {
        link.receive(b"Resend: 2\nok\n", ms(50 + i));
        assert_eq!(sent(&mut link, ms(50 + i)), ["N2 G1 X1"]);
    }
    link.receive(b"Resend: 2\nok\n", ms(60));
    let got = events(&mut link);
    assert_eq!(
        got,
        [LinkEvent::LineRejected {
            line: 2,
            count: 4,
            tag: Some(1)
        }]
    );
    assert_eq!(
        link.state(),
        LinkState::Ready,
        "the printer is still usable"
    );
    // Nothing of the job is left; the next command goes out after M110.
    assert_eq!(sent(&mut link, ms(61)), ["N0 M110 N0"]);
    link.receive(b"ok\n", ms(62));
    link.queue_priority("M104 S0").unwrap();
    assert_eq!(sent(&mut link, ms(63)), ["N1 M104 S0"]);
}

#[test]
fn a_request_outside_the_history_is_an_error() {
    let mut link = connected(LinkConfig {
        history_lines: 4,
        ..counting()
    });
    queue_moves(&mut link, 1..=10);
    sent(&mut link, ms(40));
    link.receive("ok\n".repeat(10).as_bytes(), ms(50));
    acked(&mut link);
    link.receive(b"Resend: 3\n", ms(60));
    let got = events(&mut link);
    assert!(
        matches!(&got[..], [LinkEvent::Error { fatal: true, message }] if message.contains("resend line 3, but lines 8..12 are kept")),
        "{got:?}"
    );
    let mut link = four_in_flight();
    link.receive(b"Resend: 99\n", ms(60));
    assert_eq!(link.state(), LinkState::Halted);
}

#[test]
fn history_keeps_everything_in_flight() {
    let mut link = connected(LinkConfig {
        history_lines: 1,
        ..counting()
    });
    queue_moves(&mut link, 1..=20);
    assert_eq!(sent(&mut link, ms(40)).len(), 20);
    link.receive(b"ok\nok\nResend: 5\nok\n", ms(50));
    assert_eq!(sent(&mut link, ms(50)).len(), 17);
}
