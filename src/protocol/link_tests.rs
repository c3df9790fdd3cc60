//! Every rule of the link, with byte strings and made-up times.

use super::test_support::{acked, connected, connected_with, events, ms, queue_moves, sent};
use super::{FlowMode, Link, LinkConfig, LinkEvent, LinkState};

fn config(flow: FlowMode) -> LinkConfig {
    LinkConfig {
        flow,
        ..LinkConfig::default()
    }
}

#[test]
fn handshake_starts_after_boot_silence_without_start() {
    let mut link = Link::new(LinkConfig::default(), ms(0));
    assert_eq!(link.next_deadline(), Some(ms(3000)));
    link.handle_deadline(ms(2999));
    assert!(sent(&mut link, ms(2999)).is_empty());
    link.handle_deadline(ms(3000));
    assert_eq!(sent(&mut link, ms(3000)), ["N0 M110 N0"]);
}

#[test]
fn boot_chatter_starts_the_handshake_once_quiet() {
    let mut link = Link::new(LinkConfig::default(), ms(0));
    link.receive(b"echo: Last Updated: 2023\n", ms(100));
    assert_eq!(link.next_deadline(), Some(ms(400)));
    link.handle_deadline(ms(400));
    assert_eq!(link.state(), LinkState::Handshaking);
}

#[test]
fn autoreport_capability_turns_on_m155() {
    let mut link = connected_with(LinkConfig::default(), "Cap:AUTOREPORT_TEMP:1\n");
    assert_eq!(sent(&mut link, ms(40)), ["N2 M155 S2"]);
    assert_eq!(link.next_deadline(), Some(ms(10_040)));
}

#[test]
fn without_autoreport_temperatures_are_polled() {
    let mut link = connected(LinkConfig::default());
    assert_eq!(link.next_deadline(), Some(ms(2030)));
    link.handle_deadline(ms(2030));
    assert_eq!(sent(&mut link, ms(2030)), ["N2 M105"]);
    link.handle_deadline(ms(4030)); // not answered yet: no second poll
    assert!(sent(&mut link, ms(4030)).is_empty());
    link.receive(b"ok T:21.3 /0.0 B:20.1 /0.0 @:0 B@:0\n", ms(4040));
    assert!(matches!(
        events(&mut link)[..],
        [LinkEvent::Temperatures(_)]
    ));
}

#[test]
fn connected_reports_firmware_and_capabilities() {
    let mut link = Link::new(LinkConfig::default(), ms(0));
    link.receive(b"start\n", ms(1));
    sent(&mut link, ms(1));
    link.receive(b"ok\n", ms(2));
    sent(&mut link, ms(2));
    link.receive(
        b"FIRMWARE_NAME:Marlin 2.1\nCap:EEPROM:1\nCap:AUTOREPORT_TEMP:0\nok\n",
        ms(3),
    );
    let LinkEvent::Connected {
        firmware,
        capabilities,
    } = &events(&mut link)[0]
    else {
        panic!("not connected");
    };
    assert_eq!(firmware, "Marlin 2.1");
    assert_eq!(capabilities.get("EEPROM"), Some(&true));
    assert_eq!(capabilities.get("AUTOREPORT_TEMP"), Some(&false));
}

#[test]
fn job_lines_wait_for_the_handshake() {
    let mut link = Link::new(LinkConfig::default(), ms(0));
    link.queue_command("G28", 1).unwrap();
    link.receive(b"start\n", ms(1));
    assert_eq!(sent(&mut link, ms(1)), ["N0 M110 N0"]);
    link.receive(b"ok\n", ms(2));
    assert_eq!(sent(&mut link, ms(2)), ["N1 M115"]);
}

#[test]
fn ping_pong_keeps_one_line_in_flight() {
    let mut link = connected(config(FlowMode::PingPong));
    queue_moves(&mut link, 1..=3);
    assert_eq!(sent(&mut link, ms(40)), ["N2 G1 X1"]);
    assert!(sent(&mut link, ms(41)).is_empty());
    link.receive(b"ok\n", ms(50));
    assert_eq!(sent(&mut link, ms(50)), ["N3 G1 X2"]);
    assert_eq!(acked(&mut link), [1]);
}

#[test]
fn counting_fills_the_receive_buffer_in_one_batch() {
    let mut link = connected(LinkConfig {
        rx_buffer: 30,
        ..config(FlowMode::Counting)
    });
    queue_moves(&mut link, 1..=5); // "N2 G1 X1*cs\n" is 12 or 13 bytes
    assert_eq!(sent(&mut link, ms(40)), ["N2 G1 X1", "N3 G1 X2"]);
    link.receive(b"ok\n", ms(50));
    assert_eq!(sent(&mut link, ms(50)), ["N4 G1 X3"]);
    link.receive(b"ok\nok\n", ms(60));
    assert_eq!(sent(&mut link, ms(60)), ["N5 G1 X4", "N6 G1 X5"]);
    assert_eq!(acked(&mut link), [1, 2, 3]);
}

/// The lines sent at 40 ms with twelve moves queued, then after each reply.
fn flow_script(flow: FlowMode) -> Vec<Vec<String>> {
    let mut link = connected(LinkConfig {
        rx_buffer: 40,
        ..config(flow)
    });
    queue_moves(&mut link, 1..=12); // "N2 G1 X1*99\n" is 12 bytes, N4 and N8 13
    let mut batches = vec![sent(&mut link, ms(40))];
    let replies = ["ok N2 P15 B3", "ok N3 P0 B1", "ok N4", "ok N5 P0 B2"];
    for (i, reply) in (50..).zip(replies) {
        link.receive(format!("{reply}\n").as_bytes(), ms(i));
        batches.push(sent(&mut link, ms(i)));
    }
    batches
}

#[test]
fn advanced_ok_credits_lines_waiting_in_the_command_queue() {
    // B3 after the first line: 4 slots. B1 after N3: N4 and N5 hold the two
    // other slots, so only what follows them can sit in the receive buffer.
    // A plain `ok N4` leaves N5 queued; B2 after N5 puts N6 in the queue.
    let advanced = [
        &["N2 G1 X1", "N3 G1 X2", "N4 G1 X3"][..],
        &["N5 G1 X4"],
        &["N6 G1 X5", "N7 G1 X6", "N8 G1 X7"],
        &[],
        &["N9 G1 X8"],
    ];
    // Counting keeps every unacknowledged byte within the 40.
    let counting = [
        &["N2 G1 X1", "N3 G1 X2", "N4 G1 X3"][..],
        &["N5 G1 X4"],
        &["N6 G1 X5"],
        &["N7 G1 X6"],
        &["N8 G1 X7"],
    ];
    for (flow, expected) in [
        (FlowMode::Advanced, advanced),
        (FlowMode::Auto, advanced),
        (FlowMode::Counting, counting),
    ] {
        assert_eq!(flow_script(flow), expected, "{flow}");
    }
}

#[test]
fn a_resend_request_drops_the_queue_credit() {
    let mut link = connected(LinkConfig {
        rx_buffer: 40,
        ..config(FlowMode::Advanced)
    });
    queue_moves(&mut link, 1..=12);
    assert_eq!(sent(&mut link, ms(40)).len(), 3);
    link.receive(b"ok N2 P15 B3\n", ms(50));
    assert_eq!(sent(&mut link, ms(50)), ["N5 G1 X4"]);
    link.receive(b"ok N3 P0 B1\nResend: 4\nok\n", ms(60));
    assert_eq!(
        sent(&mut link, ms(60)),
        ["N4 G1 X3", "N5 G1 X4", "N6 G1 X5"],
        "after the rewind every line counts against the 40 bytes again"
    );
}

#[test]
fn a_lost_ok_is_recovered_by_a_numbered_ok() {
    let mut link = connected(config(FlowMode::Counting));
    queue_moves(&mut link, 1..=3);
    sent(&mut link, ms(40));
    link.receive(b"ok N3\n", ms(50));
    assert_eq!(acked(&mut link), [1, 2]);
}

#[test]
fn wants_more_bounds_the_queue() {
    let mut link = connected(LinkConfig {
        job_queue_lines: 2,
        ..config(FlowMode::PingPong)
    });
    assert!(link.wants_more());
    queue_moves(&mut link, 1..=2);
    assert!(!link.wants_more());
    sent(&mut link, ms(40));
    assert!(link.wants_more());
}

#[test]
fn held_job_lets_scripts_through() {
    let mut link = connected(config(FlowMode::Counting));
    queue_moves(&mut link, 1..=2);
    link.hold_job(true);
    link.queue_priority("G91").unwrap();
    assert_eq!(sent(&mut link, ms(40)), ["N2 G91"]);
    link.hold_job(false);
    assert_eq!(sent(&mut link, ms(41)), ["N3 G1 X1", "N4 G1 X2"]);
}

#[test]
fn cancel_drops_queued_job_lines_only() {
    let mut link = connected(config(FlowMode::PingPong));
    queue_moves(&mut link, 1..=3);
    sent(&mut link, ms(40));
    link.cancel_job();
    link.queue_priority("M104 S0").unwrap();
    link.receive(b"ok\n", ms(50));
    assert_eq!(sent(&mut link, ms(50)), ["N3 M104 S0"]);
    link.receive(b"ok\n", ms(60));
    assert!(link.is_idle());
}

#[test]
fn emergency_stop_jumps_the_queue_unnumbered() {
    let mut link = connected(config(FlowMode::PingPong));
    queue_moves(&mut link, 1..=3);
    sent(&mut link, ms(40));
    link.emergency_stop();
    assert_eq!(link.poll_transmit(ms(41)).unwrap(), b"M112\n");
    link.receive(b"ok\n", ms(50));
    assert_eq!(link.poll_transmit(ms(50)), None);
    assert_eq!(link.state(), LinkState::Halted);
}

#[test]
fn unframeable_commands_are_refused() {
    let mut link = connected(LinkConfig::default());
    assert!(link.queue_command("G1 X1*12", 1).is_err());
    assert!(link.queue_priority("G1\nG28").is_err());
    link.queue_command("   ", 2).unwrap();
    assert!(link.is_idle());
}

#[test]
fn other_lines_become_events() {
    let mut link = connected(LinkConfig::default());
    link.receive(b"//action:pause\necho:hello\nError:Unknown thing\n", ms(40));
    let got = events(&mut link);
    assert!(matches!(&got[0], LinkEvent::HostAction(a) if a.name == "pause"));
    assert!(matches!(&got[1], LinkEvent::Echo(t) if t == "hello"));
    assert!(matches!(&got[2], LinkEvent::Error { fatal: false, .. }));
}

#[test]
fn partial_lines_are_joined_across_reads() {
    let mut link = connected(config(FlowMode::PingPong));
    queue_moves(&mut link, 1..=1);
    sent(&mut link, ms(40));
    link.receive(b"o", ms(41));
    assert!(acked(&mut link).is_empty());
    link.receive(b"k\r\n", ms(42));
    assert_eq!(acked(&mut link), [1]);
}
