//! Timeouts, keep-alives, fatal errors and resets.

use super::test_support::{acked, connected, events, ms, queue_moves, sent};
use super::{FlowMode, LinkConfig, LinkEvent, LinkState};

fn ping_pong() -> LinkConfig {
    LinkConfig {
        flow: FlowMode::PingPong,
        temperature_interval: std::time::Duration::from_secs(3600),
        ..LinkConfig::default()
    }
}

#[test]
fn silence_pokes_once_then_declares_the_printer_lost() {
    let mut link = connected(ping_pong());
    queue_moves(&mut link, 1..=2);
    sent(&mut link, ms(1000));
    assert_eq!(link.next_deadline(), Some(ms(11_000)));
    link.handle_deadline(ms(11_000));
    assert_eq!(
        sent(&mut link, ms(11_000)),
        ["N3 M105"],
        "poke bypasses ping-pong"
    );
    assert!(events(&mut link).is_empty());
    link.handle_deadline(ms(21_000));
    assert_eq!(events(&mut link), [LinkEvent::Lost]);
    assert_eq!(link.state(), LinkState::Lost);
}

#[test]
fn an_answer_after_the_poke_keeps_going() {
    let mut link = connected(ping_pong());
    queue_moves(&mut link, 1..=2);
    sent(&mut link, ms(1000));
    link.handle_deadline(ms(11_000));
    sent(&mut link, ms(11_000));
    link.receive(b"ok\nok T:20 /0\n", ms(12_000));
    assert_eq!(acked(&mut link), [1]);
    assert_eq!(sent(&mut link, ms(12_000)), ["N4 G1 X2"]);
}

#[test]
fn busy_extends_the_timeout() {
    let mut link = connected(ping_pong());
    link.queue_command("G1 X1", 1).unwrap();
    sent(&mut link, ms(0));
    link.receive(b"echo:busy: processing\n", ms(9000));
    assert_eq!(link.next_deadline(), Some(ms(19_000)));
    assert!(matches!(events(&mut link)[..], [LinkEvent::Busy(_)]));
}

#[test]
fn long_commands_get_long_timeouts() {
    let mut link = connected(ping_pong());
    link.queue_command("M109 S210", 1).unwrap();
    sent(&mut link, ms(0));
    assert_eq!(link.next_deadline(), Some(ms(30 * 60 * 1000)));
    link.receive(b"ok\n", ms(60_000));
    link.queue_command("G4 S60", 2).unwrap();
    sent(&mut link, ms(60_000));
    assert_eq!(link.next_deadline(), Some(ms(130_000)));
}

#[test]
fn thermal_runaway_halts_and_names_the_heater() {
    let mut link = connected(ping_pong());
    queue_moves(&mut link, 1..=3);
    sent(&mut link, ms(40));
    link.receive(
        b"Error:Thermal Runaway, system stopped! Heater_ID: bed\nError:Printer halted. kill() called!\n",
        ms(50),
    );
    let fatal = LinkEvent::Error {
        fatal: true,
        message: "thermal runaway (bed)".into(),
    };
    assert_eq!(events(&mut link), [fatal], "only the first fatal error");
    assert_eq!(link.state(), LinkState::Halted);
    link.receive(b"ok\n", ms(60));
    assert_eq!(link.poll_transmit(ms(60)), None);
}

#[test]
fn start_while_printing_reports_a_reset_and_reconnects() {
    let mut link = connected(ping_pong());
    queue_moves(&mut link, 1..=3);
    sent(&mut link, ms(40));
    link.receive(b"start\n", ms(50));
    assert_eq!(events(&mut link), [LinkEvent::Reset]);
    assert_eq!(sent(&mut link, ms(50)), ["N0 M110 N0"]);
    link.receive(b"ok\n", ms(60));
    assert_eq!(sent(&mut link, ms(60)), ["N1 M115"]);
    link.receive(b"ok\n", ms(70));
    assert!(matches!(
        events(&mut link)[..],
        [LinkEvent::Connected { .. }]
    ));
    assert!(link.is_idle(), "the old job lines are gone");
}

#[test]
fn start_during_the_handshake_restarts_it_quietly() {
    let mut link = super::Link::new(ping_pong(), ms(0));
    link.handle_deadline(ms(3000));
    assert_eq!(sent(&mut link, ms(3000)), ["N0 M110 N0"]);
    link.receive(b"start\n", ms(3500));
    assert!(events(&mut link).is_empty());
    assert_eq!(sent(&mut link, ms(3500)), ["N0 M110 N0"]);
}
