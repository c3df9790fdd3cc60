//! A first-order heater: rate-limited heating, exponential settling and
//! cooling, all in printer time.

/// Room temperature the heaters start at and cool down to, in °C.
pub const AMBIENT_C: f64 = 21.0;

/// How a heater responds; rates in °C per printer second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeaterParams {
    /// Fastest heating rate (heater at full power).
    pub max_heat_rate: f64,
    /// Time constant of the final approach to the target, in seconds.
    pub settle_tau: f64,
    /// Time constant of cooling towards the target or ambient, in seconds.
    pub cool_tau: f64,
}

impl HeaterParams {
    /// A typical hotend: about 2.5 °C/s, 200 °C in a bit over a minute.
    pub const HOTEND: HeaterParams = HeaterParams {
        max_heat_rate: 2.5,
        settle_tau: 5.0,
        cool_tau: 60.0,
    };
    /// A typical heated bed: about 0.6 °C/s.
    pub const BED: HeaterParams = HeaterParams {
        max_heat_rate: 0.6,
        settle_tau: 15.0,
        cool_tau: 240.0,
    };
}

/// One heater's temperature and target.
#[derive(Debug, Clone, PartialEq)]
pub struct Heater {
    /// Current temperature, °C.
    pub temperature: f64,
    /// Target temperature, °C (0 = off).
    pub target: f64,
    params: HeaterParams,
}

impl Heater {
    /// A heater at ambient temperature, switched off.
    pub fn new(params: HeaterParams) -> Self {
        Heater {
            temperature: AMBIENT_C,
            target: 0.0,
            params,
        }
    }

    /// Lets `dt` printer seconds pass.
    pub fn advance(&mut self, dt: f64) {
        if dt <= 0.0 || !dt.is_finite() {
            return;
        }
        let floor = self.target.max(AMBIENT_C);
        if self.temperature > floor {
            let gap = self.temperature - floor;
            self.temperature = floor + gap * (-dt / self.params.cool_tau).exp();
        } else if self.temperature < self.target {
            self.heat(dt);
        }
    }

    /// Linear at the maximum rate while far away, then exponential settling.
    fn heat(&mut self, mut dt: f64) {
        let HeaterParams {
            max_heat_rate,
            settle_tau,
            ..
        } = self.params;
        let knee = max_heat_rate * settle_tau; // gap where the two regimes meet
        let gap = self.target - self.temperature;
        if gap > knee {
            let linear_time = (gap - knee) / max_heat_rate;
            if dt <= linear_time {
                self.temperature += max_heat_rate * dt;
                return;
            }
            self.temperature = self.target - knee;
            dt -= linear_time;
        }
        let gap = self.target - self.temperature;
        self.temperature = self.target - gap * (-dt / settle_tau).exp();
    }

    /// Printer seconds until the temperature is within `window` °C of the
    /// target (zero if it already is); `None` if it never gets there.
    pub fn seconds_until_within(&self, window: f64) -> Option<f64> {
        if self.within(window) {
            return Some(0.0);
        }
        let HeaterParams {
            max_heat_rate,
            settle_tau,
            cool_tau,
        } = self.params;
        let floor = self.target.max(AMBIENT_C);
        if self.temperature > self.target {
            let slack = window - (floor - self.target); // room above the floor that counts
            return (slack > 0.0).then(|| cool_tau * ((self.temperature - floor) / slack).ln());
        }
        let gap = self.target - self.temperature;
        let knee = max_heat_rate * settle_tau;
        let linear = ((gap - knee) / max_heat_rate).max(0.0);
        Some(linear + settle_tau * (gap.min(knee) / window).ln().max(0.0))
    }

    /// True when the temperature is within `window` °C of the target.
    pub fn within(&self, window: f64) -> bool {
        (self.temperature - self.target).abs() <= window
    }

    /// True when the heater is on and still below its target.
    pub fn is_heating(&self) -> bool {
        self.target > 0.0 && self.temperature < self.target
    }

    /// Heater power as Marlin reports it after `@:` (0–127).
    pub fn power(&self) -> u8 {
        match self.target - self.temperature {
            _ if self.target <= 0.0 => 0,
            gap if gap > 5.0 => 127,
            gap if gap > 0.0 => 96,
            _ => 40,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time_to_reach(params: HeaterParams, target: f64, window: f64, step: f64) -> f64 {
        let mut heater = Heater::new(params);
        heater.target = target;
        let mut t = 0.0;
        while !heater.within(window) {
            heater.advance(step);
            t += step;
            assert!(t < 3600.0, "never reached {target}");
        }
        t
    }

    #[test]
    fn heaters_reach_their_targets_in_plausible_times() {
        // (params, target, min s, max s)
        let cases = [
            (HeaterParams::HOTEND, 200.0, 60.0, 100.0),
            (HeaterParams::HOTEND, 30.0, 5.0, 20.0),
            (HeaterParams::BED, 60.0, 60.0, 150.0),
        ];
        for (params, target, min, max) in cases {
            let t = time_to_reach(params, target, 1.0, 0.1);
            assert!(t >= min && t <= max, "{target} °C took {t} s");
        }
    }

    #[test]
    fn step_size_does_not_change_the_result() {
        let fine = time_to_reach(HeaterParams::HOTEND, 200.0, 1.0, 0.01);
        let mut coarse = Heater::new(HeaterParams::HOTEND);
        coarse.target = 200.0;
        coarse.advance(fine);
        assert!(coarse.within(1.01), "one big step: {}", coarse.temperature);
    }

    #[test]
    fn heating_rate_is_limited_then_settles_without_overshoot() {
        let mut heater = Heater::new(HeaterParams::HOTEND);
        heater.target = 200.0;
        heater.advance(10.0);
        assert!((heater.temperature - 46.0).abs() < 1e-9);
        heater.advance(1000.0);
        assert!(heater.temperature <= 200.0 && heater.within(0.01));
    }

    #[test]
    fn predicted_arrival_matches_simulation() {
        // (params, start, target)
        let cases = [
            (HeaterParams::HOTEND, AMBIENT_C, 200.0),
            (HeaterParams::HOTEND, AMBIENT_C, 28.0),
            (HeaterParams::BED, AMBIENT_C, 60.0),
            (HeaterParams::HOTEND, 210.0, 180.0),
        ];
        for (params, start, target) in cases {
            let mut heater = Heater::new(params);
            (heater.temperature, heater.target) = (start, target);
            let eta = heater.seconds_until_within(0.99).unwrap();
            heater.advance(eta * 0.97);
            assert!(!heater.within(1.0), "{start}->{target} arrived early");
            heater.advance(eta * 0.03);
            assert!(
                heater.within(1.0),
                "{start}->{target}: {}",
                heater.temperature
            );
        }
        let mut off = Heater::new(HeaterParams::HOTEND);
        off.temperature = 100.0;
        assert_eq!(off.seconds_until_within(1.0), None, "cannot cool to 0 °C");
    }

    #[test]
    fn switched_off_heater_cools_towards_ambient() {
        let mut heater = Heater::new(HeaterParams::HOTEND);
        heater.temperature = 200.0;
        heater.advance(60.0);
        assert!(heater.temperature < 100.0 && heater.temperature > AMBIENT_C);
        heater.advance(6000.0);
        assert!((heater.temperature - AMBIENT_C).abs() < 0.01);
        assert_eq!(heater.power(), 0);
    }
}
