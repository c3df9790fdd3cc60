//! Faults the virtual printer injects on demand, drawn from a seeded RNG so
//! that a failing test replays exactly.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// Which faults to inject. The default injects none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Probability (0–1) that a numbered line arrives corrupted: Marlin answers
    /// with its checksum error and a resend request.
    pub corrupt_rate: f64,
    /// Probability that the `ok` of a command is never sent.
    pub drop_ok_rate: f64,
    /// Probability that the `ok` of a numbered command is preceded by a
    /// spurious `Resend: <that line>` (the host resends a line already taken).
    pub spurious_resend_rate: f64,
    /// Disconnect (the port goes away) once this many lines have been received.
    pub disconnect_after_lines: Option<u64>,
    /// Disconnect this long (wall time) after power-on.
    pub disconnect_after: Option<Duration>,
    /// Thermal runaway on the hotend at this printer time after power-on.
    pub thermal_runaway_at: Option<Duration>,
    /// Board reset (banner, state cleared, line numbers back to 0) once this
    /// many lines have been received.
    pub reset_after_lines: Option<u64>,
    /// Probability that a command which would complete at once instead holds
    /// the command queue (and its `ok`) for [`Faults::slow_reply_delay`].
    pub slow_reply_rate: f64,
    /// Wall-time delay of a slow reply.
    pub slow_reply_delay: Duration,
}

/// The fault decisions, one coin per event.
#[derive(Debug, Clone)]
pub struct FaultDice {
    faults: Faults,
    rng: StdRng,
}

impl FaultDice {
    /// Dice for `faults`, seeded with `seed`.
    pub fn new(faults: Faults, seed: u64) -> Self {
        FaultDice {
            faults,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The configuration these dice were made from.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    fn roll(&mut self, rate: f64) -> bool {
        rate > 0.0 && self.rng.gen::<f64>() < rate
    }

    /// Should this numbered line arrive corrupted?
    pub fn corrupt_line(&mut self) -> bool {
        self.roll(self.faults.corrupt_rate)
    }

    /// Should this `ok` be lost?
    pub fn drop_ok(&mut self) -> bool {
        self.roll(self.faults.drop_ok_rate)
    }

    /// Should this `ok` come with a spurious resend request?
    pub fn spurious_resend(&mut self) -> bool {
        self.roll(self.faults.spurious_resend_rate)
    }

    /// The extra delay for this command's reply, if it is a slow one.
    pub fn slow_reply(&mut self) -> Option<Duration> {
        self.roll(self.faults.slow_reply_rate)
            .then_some(self.faults.slow_reply_delay)
    }

    /// A random version-4 UUID for `M115`, from the same seeded RNG.
    pub fn uuid(&mut self) -> String {
        let bits: u128 = self.rng.gen();
        let bits = (bits & !(0xf << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
        let hex = format!("{bits:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_honoured_and_reproducible() {
        let faults = Faults {
            corrupt_rate: 0.25,
            ..Faults::default()
        };
        let draw = |seed| {
            let mut dice = FaultDice::new(faults.clone(), seed);
            (0..4000).filter(|_| dice.corrupt_line()).count()
        };
        let hits = draw(7);
        assert!((800..1200).contains(&hits), "{hits} of 4000 at 25 %");
        assert_eq!(draw(7), hits);
        let mut none = FaultDice::new(Faults::default(), 7);
        assert!(!(0..1000).any(|_| none.corrupt_line() || none.drop_ok()));
    }

    #[test]
    fn uuid_is_version_4() {
        let uuid = FaultDice::new(Faults::default(), 1).uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
    }
}
