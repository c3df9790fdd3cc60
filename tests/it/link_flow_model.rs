//! Flow control checked against the virtual firmware, both sans I/O, joined
//! by a modelled serial wire in virtual time (baud rate both ways, reply
//! latency). The PTY tests (`printer_*`, `sim_pty`) cover the real port;
//! this one explores many buffer sizes, speeds and latencies quickly.
//!
//! The property: whatever the flow mode, the firmware's receive buffer never
//! overflows, every job line executes once and in order, and no resend is
//! ever needed on a clean wire.

use printfarm::protocol::{FlowMode, Link, LinkConfig, LinkEvent};
use printfarm::sim::{Firmware, FirmwareConfig, SimpleMotion};
use proptest::prelude::*;
use std::collections::VecDeque;
use std::time::Duration;

/// Virtual time step.
const STEP: Duration = Duration::from_micros(50);
/// Give up (and fail) after this much virtual time.
const LIMIT: Duration = Duration::from_secs(120);

/// One direction of a serial line: bytes with the time they arrive.
struct Wire {
    byte_time: Duration,
    last_arrival: Duration,
    bytes: VecDeque<(Duration, u8)>,
}

impl Wire {
    fn new(baud: u32) -> Self {
        Wire {
            byte_time: Duration::from_secs(10) / baud,
            last_arrival: Duration::ZERO,
            bytes: VecDeque::new(),
        }
    }

    /// Bytes that start crossing at `start`, one byte time each, in order.
    fn send(&mut self, bytes: &[u8], start: Duration) {
        for &byte in bytes {
            self.last_arrival = self.last_arrival.max(start) + self.byte_time;
            self.bytes.push_back((self.last_arrival, byte));
        }
    }

    fn arrived(&mut self, now: Duration) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(&(at, byte)) = self.bytes.front() {
            if at > now {
                break;
            }
            out.push(byte);
            self.bytes.pop_front();
        }
        out
    }
}

#[derive(Debug, Clone)]
struct Case {
    flow: FlowMode,
    rx_buffer: usize,
    command_slots: usize,
    advanced_ok: bool,
    speed: f64,
    baud: u32,
    latency: Duration,
    moves: Vec<String>,
}

fn a_move() -> impl Strategy<Value = String> {
    (0.0..200.0f64, 0.0..200.0f64, 0u32..4, 1u32..=5).prop_map(|(x, y, extra, feed)| {
        let mut text = format!("G1 X{x:.3} Y{y:.3}");
        for i in 0..extra {
            text.push_str(&format!(" E{:.5}", f64::from(i) * 0.01234));
        }
        text.push_str(&format!(" F{}", feed * 3000));
        text
    })
}

fn a_case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![
            Just(FlowMode::Counting),
            Just(FlowMode::Advanced),
            Just(FlowMode::Auto)
        ],
        prop_oneof![Just(64usize), Just(128), Just(256), Just(1024)],
        1usize..=8,
        any::<bool>(),
        prop_oneof![Just(20.0), Just(1e6)],
        prop_oneof![Just(115_200u32), Just(250_000)],
        (0u64..=16).prop_map(Duration::from_millis),
        prop::collection::vec(a_move(), 5..60),
    )
        .prop_map(
            |(flow, rx_buffer, command_slots, advanced_ok, speed, baud, latency, moves)| Case {
                flow,
                rx_buffer,
                command_slots,
                advanced_ok,
                speed,
                baud,
                latency,
                moves,
            },
        )
}

struct Run {
    acked: Vec<u64>,
    /// Bytes sent from the handshake's end to the last acknowledgement.
    job_bytes: u64,
    /// Time from the handshake's end to the last acknowledgement.
    job_time: Duration,
    executed: Vec<String>,
    rx_dropped: u64,
    resends: u64,
}

fn run(case: &Case) -> Run {
    let config = FirmwareConfig {
        rx_buffer_size: case.rx_buffer,
        command_slots: case.command_slots,
        advanced_ok: case.advanced_ok,
        speed: case.speed,
        keepalive_interval: Duration::ZERO,
        ..FirmwareConfig::default()
    };
    let mut firmware = Firmware::new(config, SimpleMotion::default(), Duration::ZERO).unwrap();
    let mut link = Link::new(
        LinkConfig {
            flow: case.flow,
            rx_buffer: case.rx_buffer,
            job_queue_lines: usize::MAX,
            ..LinkConfig::default()
        },
        Duration::ZERO,
    );
    let (mut to_firmware, mut to_host) = (Wire::new(case.baud), Wire::new(case.baud));
    let mut acked = Vec::new();
    let mut now = Duration::ZERO;
    let mut connected = (Duration::ZERO, 0);
    while acked.len() < case.moves.len() && now < LIMIT {
        now += STEP;
        link.handle_deadline(now);
        while let Some(bytes) = link.poll_transmit(now) {
            to_firmware.send(&bytes, now);
        }
        firmware.receive(&to_firmware.arrived(now), now);
        firmware.poll(now);
        to_host.send(&firmware.take_output(), now + case.latency);
        link.receive(&to_host.arrived(now), now);
        while let Some(event) = link.poll_event() {
            match event {
                // The handshake drops lines queued before it: queue after.
                LinkEvent::Connected { .. } => {
                    connected = (now, link.stats().bytes_sent);
                    for (tag, text) in (1..).zip(&case.moves) {
                        link.queue_command(text, tag).unwrap();
                    }
                }
                LinkEvent::Acked { tag } => acked.push(tag),
                _ => {}
            }
        }
    }
    Run {
        acked,
        job_bytes: link.stats().bytes_sent - connected.1,
        job_time: now - connected.0,
        executed: firmware
            .executed()
            .iter()
            .filter(|c| c.starts_with("G1"))
            .cloned()
            .collect(),
        rx_dropped: firmware.rx_dropped(),
        resends: link.stats().resends,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn flow_control_never_overruns_the_receive_buffer(case in a_case()) {
        let result = run(&case);
        prop_assert_eq!(result.rx_dropped, 0, "receive buffer overflowed");
        prop_assert_eq!(result.resends, 0, "resends on a clean wire");
        let expected: Vec<u64> = (1..=case.moves.len() as u64).collect();
        prop_assert_eq!(result.acked, expected);
        prop_assert_eq!(result.executed, case.moves.clone());
    }
}

/// Link use (bytes sent ÷ what the baud rate carries) in virtual time, with
/// a firmware that executes instantly: the host's flow control alone decides.
fn link_use(flow: FlowMode, rx_buffer: usize, latency_ms: u64) -> f64 {
    let moves: Vec<String> = (0..1000)
        .map(|i| format!("G1 X{}.{} Y{}.25 E0.01234", i % 90, i % 7, i % 50))
        .collect();
    let case = Case {
        flow,
        rx_buffer,
        command_slots: 4,
        advanced_ok: true,
        speed: 1e6,
        baud: 250_000,
        latency: Duration::from_millis(latency_ms),
        moves: moves.clone(),
    };
    let result = run(&case);
    assert_eq!(result.executed, moves, "{flow}");
    result.job_bytes as f64 / (result.job_time.as_secs_f64() * 25_000.0)
}

#[test]
fn buffer_aware_modes_fill_the_link_that_the_buffer_allows() {
    // (flow, rx buffer, latency ms, lowest link use, highest link use)
    let cases = [
        (FlowMode::PingPong, 128, 2, 0.0, 0.5),
        (FlowMode::Counting, 128, 2, 0.95, 1.0),
        (FlowMode::Advanced, 128, 2, 0.95, 1.0),
        (FlowMode::Counting, 128, 16, 0.0, 0.4),
        (FlowMode::Counting, 1024, 16, 0.95, 1.0),
        (FlowMode::Advanced, 1024, 16, 0.95, 1.0),
    ];
    for (flow, rx, latency, low, high) in cases {
        let used = link_use(flow, rx, latency);
        eprintln!("{flow} rx {rx} latency {latency} ms: {:.1} %", used * 100.0);
        assert!(
            (low..=high).contains(&used),
            "{flow}, {rx} B, {latency} ms: {used:.3} not in {low}..={high}"
        );
    }
}
