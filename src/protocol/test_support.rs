//! Helpers for the link tests: made-up times, line splitting, a connected link.

use super::{Link, LinkConfig, LinkEvent};
use crate::gcode::{parse_line, Checksum};
use std::time::Duration;

/// `n` milliseconds since the made-up origin.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Splits a written batch into lines, checks each checksum, and returns
/// the lines without their `*checksum`.
pub fn lines_of(batch: &[u8]) -> Vec<String> {
    batch
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut issues = Vec::new();
            let parsed = parse_line(l, &mut issues);
            let text = String::from_utf8_lossy(l).into_owned();
            match text.rsplit_once('*') {
                Some((body, _)) => {
                    assert!(
                        matches!(parsed.checksum, Some(Checksum::Valid(_))),
                        "bad checksum: {text}"
                    );
                    body.to_owned()
                }
                None => text,
            }
        })
        .collect()
}

/// What `poll_transmit` hands out at `now`, as checked lines.
pub fn sent(link: &mut Link, now: Duration) -> Vec<String> {
    link.poll_transmit(now)
        .map(|b| lines_of(&b))
        .unwrap_or_default()
}

/// All pending events.
pub fn events(link: &mut Link) -> Vec<LinkEvent> {
    std::iter::from_fn(|| link.poll_event()).collect()
}

/// A link through the handshake with a Marlin that offers `caps` lines, at t = 100 ms.
pub fn connected_with(config: LinkConfig, caps: &str) -> Link {
    let mut link = Link::new(config, ms(0));
    link.receive(b"start\n", ms(10));
    assert_eq!(sent(&mut link, ms(10)), ["N0 M110 N0"]);
    link.receive(b"ok\n", ms(20));
    assert_eq!(sent(&mut link, ms(20)), ["N1 M115"]);
    let reply = format!("FIRMWARE_NAME:Marlin 2.1.2 SOURCE_CODE_URL:x\n{caps}ok\n");
    link.receive(reply.as_bytes(), ms(30));
    let connected = events(&mut link);
    assert!(
        matches!(connected.as_slice(), [LinkEvent::Connected { .. }]),
        "{connected:?}"
    );
    link
}

/// A link through the handshake, without auto-report, no line in flight.
pub fn connected(config: LinkConfig) -> Link {
    connected_with(config, "")
}

/// Job lines `G1 X{i}` tagged `i`, for i in the range.
pub fn queue_moves(link: &mut Link, range: std::ops::RangeInclusive<u64>) {
    for i in range {
        link.queue_command(&format!("G1 X{i}"), i).unwrap();
    }
}

/// The tags of the `Acked` events pending.
pub fn acked(link: &mut Link) -> Vec<u64> {
    events(link)
        .into_iter()
        .filter_map(|e| match e {
            LinkEvent::Acked { tag } => Some(tag),
            _ => None,
        })
        .collect()
}
