//! Byte-rate limiting: a token bucket at the emulated baud rate.

use std::time::Duration;

/// How many milliseconds of traffic may pass in one burst.
const BURST_MS: f64 = 20.0;

/// Bytes per second allowed by a serial line (`baud / 10`: start, 8 data and
/// stop bits), with a small burst allowance.
#[derive(Debug, Clone)]
pub struct ByteRate {
    bytes_per_second: f64,
    burst: f64,
    tokens: f64,
    updated: Duration,
}

impl ByteRate {
    /// A limiter for `baud` that starts with an empty bucket at `now`;
    /// `baud == 0` means unlimited.
    pub fn new(baud: u32, now: Duration) -> Self {
        let bytes_per_second = f64::from(baud) / 10.0;
        ByteRate {
            bytes_per_second,
            burst: (bytes_per_second * BURST_MS / 1e3).max(1.0),
            tokens: 0.0,
            updated: now,
        }
    }

    fn unlimited(&self) -> bool {
        self.bytes_per_second <= 0.0
    }

    fn refill(&mut self, now: Duration) {
        if now > self.updated {
            let earned = (now - self.updated).as_secs_f64() * self.bytes_per_second;
            self.tokens = (self.tokens + earned).min(self.burst);
            self.updated = now;
        }
    }

    /// Bytes that may pass at `now`.
    pub fn available(&mut self, now: Duration) -> usize {
        if self.unlimited() {
            return usize::MAX;
        }
        self.refill(now);
        self.tokens as usize
    }

    /// Records that `bytes` passed.
    pub fn consume(&mut self, bytes: usize) {
        if !self.unlimited() {
            self.tokens -= bytes as f64;
        }
    }

    /// The line was idle until `at`: bytes that start then have no credit
    /// from the idle time, and the first one passes a byte-time after `at`.
    /// (The burst allowance smooths the event loop's wake-ups; it must not
    /// let a line written after a pause cross the wire in no time.)
    pub fn rest_until(&mut self, at: Duration) {
        if !self.unlimited() {
            self.refill(at);
            self.tokens = self.tokens.min(0.0);
            self.updated = self.updated.max(at);
        }
    }

    /// When at least one byte may pass again.
    pub fn next_byte_at(&self) -> Duration {
        if self.unlimited() || self.tokens >= 1.0 {
            return self.updated;
        }
        let wait = (1.0 - self.tokens) / self.bytes_per_second;
        self.updated + Duration::from_secs_f64(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seconds a limiter needs to pass `total` bytes when polled every `step`.
    fn time_for(baud: u32, total: usize, step: Duration) -> f64 {
        let mut rate = ByteRate::new(baud, Duration::ZERO);
        let (mut sent, mut now) = (0, Duration::ZERO);
        while sent < total {
            now = (now + step).max(rate.next_byte_at());
            let n = rate.available(now).min(total - sent);
            rate.consume(n);
            sent += n;
        }
        now.as_secs_f64()
    }

    #[test]
    fn passes_baud_over_ten_bytes_per_second() {
        // (baud, bytes, expected seconds)
        let cases = [
            (9600, 960, 1.0),
            (115_200, 11_520, 1.0),
            (250_000, 2_500, 0.1),
        ];
        for (baud, bytes, expected) in cases {
            for step_ms in [1, 3, 10] {
                let t = time_for(baud, bytes, Duration::from_millis(step_ms));
                assert!(
                    (t - expected).abs() < 0.03,
                    "{baud} baud, step {step_ms} ms: {t} s"
                );
            }
        }
    }

    #[test]
    fn an_idle_line_earns_no_credit_after_a_rest() {
        let mut rate = ByteRate::new(115_200, Duration::ZERO);
        let later = Duration::from_millis(100);
        assert!(rate.available(later) > 200, "a 20 ms burst while idle");
        rate.rest_until(later);
        assert_eq!(rate.available(later), 0);
        let byte_time = Duration::from_secs_f64(1.0 / 11_520.0);
        assert!(rate.next_byte_at() >= later + byte_time.mul_f64(0.99));
        let four_ms = later + Duration::from_millis(4);
        assert_eq!(
            rate.available(four_ms),
            46,
            "11.52 bytes per ms from the rest"
        );
        // A rest in the future (reply latency) starts the credit then.
        let mut out = ByteRate::new(115_200, Duration::ZERO);
        out.rest_until(Duration::from_millis(16));
        assert_eq!(out.available(Duration::from_millis(10)), 0);
        assert_eq!(out.available(Duration::from_millis(17)), 11);
    }

    #[test]
    fn zero_baud_is_unlimited() {
        let mut rate = ByteRate::new(0, Duration::ZERO);
        rate.consume(1 << 20);
        assert_eq!(rate.available(Duration::ZERO), usize::MAX);
    }
}
