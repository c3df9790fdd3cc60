//! One direction of the emulated serial line, sans I/O: bytes cross one
//! byte-time apart (`baud / 10` bytes per second: start, 8 data and stop
//! bits) and are handed over a line at a time, when the line's last byte
//! has arrived — the moment a Marlin board or a host can act on it.

use std::collections::VecDeque;
use std::time::Duration;

/// Longest piece handed over at once when no line end comes.
const MAX_CHUNK: usize = 64;

/// Bytes in transit, each piece with the time its last byte arrives.
#[derive(Debug, Clone)]
pub struct Wire {
    byte_time: Duration,
    /// When the last byte queued so far has crossed.
    busy_until: Duration,
    pieces: VecDeque<(Duration, Vec<u8>)>,
    queued: usize,
}

impl Wire {
    /// A wire at `baud`; 0 means unlimited (bytes cross in no time).
    pub fn new(baud: u32) -> Self {
        let byte_time = if baud == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs(10) / baud
        };
        Wire {
            byte_time,
            busy_until: Duration::ZERO,
            pieces: VecDeque::new(),
            queued: 0,
        }
    }

    /// Queues `bytes` that may start crossing at `start`, behind whatever is
    /// still crossing.
    pub fn send(&mut self, bytes: &[u8], start: Duration) {
        for piece in pieces(bytes) {
            let count = u32::try_from(piece.len()).unwrap_or(u32::MAX);
            self.busy_until = self.busy_until.max(start) + self.byte_time * count;
            self.queued += piece.len();
            self.pieces.push_back((self.busy_until, piece.to_vec()));
        }
    }

    /// The oldest piece that has arrived by `now`, with its arrival time.
    pub fn next_arrived(&mut self, now: Duration) -> Option<(Duration, Vec<u8>)> {
        let (at, _) = self.pieces.front().filter(|(at, _)| *at <= now)?;
        let at = *at;
        let (_, piece) = self.pieces.pop_front()?;
        self.queued -= piece.len();
        Some((at, piece))
    }

    /// Everything that has arrived by `now`, oldest first.
    pub fn arrived(&mut self, now: Duration) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some((_, piece)) = self.next_arrived(now) {
            out.extend_from_slice(&piece);
        }
        out
    }

    /// When the next piece arrives, if any is in transit.
    pub fn next_arrival(&self) -> Option<Duration> {
        self.pieces.front().map(|(at, _)| *at)
    }

    /// Bytes in transit.
    pub fn queued(&self) -> usize {
        self.queued
    }
}

/// Splits after each line end, and at most every [`MAX_CHUNK`] bytes.
fn pieces(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .flat_map(|line| line.chunks(MAX_CHUNK))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn a_line_arrives_when_its_last_byte_has_crossed() {
        let mut wire = Wire::new(250_000); // 40 µs a byte
        wire.send(b"ok\nok N2\n", us(1000));
        assert_eq!(wire.next_arrival(), Some(us(1120)));
        assert_eq!(wire.arrived(us(1119)), b"");
        assert_eq!(wire.arrived(us(1120)), b"ok\n");
        assert_eq!(wire.next_arrival(), Some(us(1360)));
        assert_eq!(wire.queued(), 6);
        assert_eq!(wire.arrived(us(5000)), b"ok N2\n");
        assert_eq!(wire.next_arrival(), None);
    }

    #[test]
    fn bytes_queue_behind_those_still_crossing_and_not_before_their_start() {
        let mut wire = Wire::new(250_000);
        wire.send(b"abc\n", us(0)); // crosses 0..160 µs
        wire.send(b"de\n", us(100)); // waits for the first: 160..280 µs
        wire.send(b"f\n", us(1000)); // idle wire: 1000..1080 µs
        let arrivals: Vec<_> = std::iter::from_fn(|| {
            let at = wire.next_arrival()?;
            Some((at, wire.arrived(at)))
        })
        .collect();
        assert_eq!(
            arrivals,
            [
                (us(160), b"abc\n".to_vec()),
                (us(280), b"de\n".to_vec()),
                (us(1080), b"f\n".to_vec())
            ]
        );
    }

    #[test]
    fn pieces_come_out_with_their_arrival_times() {
        let mut wire = Wire::new(250_000);
        wire.send(b"N1 G28\nN2 M105\n", us(0));
        assert_eq!(
            wire.next_arrived(us(300)),
            Some((us(280), b"N1 G28\n".to_vec()))
        );
        assert_eq!(wire.next_arrived(us(300)), None);
        assert_eq!(
            wire.next_arrived(us(900)),
            Some((us(600), b"N2 M105\n".to_vec()))
        );
        assert_eq!(wire.queued(), 0);
    }

    #[test]
    fn long_runs_without_line_end_arrive_in_pieces() {
        let mut wire = Wire::new(0);
        wire.send(&[b'x'; 150], us(7));
        assert_eq!(wire.arrived(us(7)).len(), 150);
        let mut slow = Wire::new(115_200);
        slow.send(&[b'x'; 150], us(0));
        assert_eq!(slow.pieces.len(), 3);
    }

    #[test]
    fn an_unlimited_wire_hands_over_at_once() {
        let mut wire = Wire::new(0);
        wire.send(b"G28\nM105\n", us(42));
        assert_eq!(wire.arrived(us(42)), b"G28\nM105\n");
    }
}
