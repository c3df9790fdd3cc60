//! Machine motion limits: max feedrates, accelerations, jerk or junction
//! deviation, and where each came from.

use serde::{Deserialize, Serialize};

/// Index of an axis in the `[X, Y, Z, E]` arrays.
pub const X: usize = 0;
/// Y axis index.
pub const Y: usize = 1;
/// Z axis index.
pub const Z: usize = 2;
/// Extruder axis index.
pub const E: usize = 3;

/// How junction speeds between moves are limited.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JunctionMode {
    /// Marlin's classic per-axis jerk (mm/s instant speed change).
    Jerk,
    /// Marlin 2's junction deviation (mm).
    Deviation(f64),
}

/// The limits the planner obeys. Speeds in mm/s, accelerations in mm/s².
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineLimits {
    /// Per-axis maximum feedrate `[X, Y, Z, E]`.
    pub max_feedrate: [f64; 4],
    /// Per-axis maximum acceleration `[X, Y, Z, E]`.
    pub max_acceleration: [f64; 4],
    /// Per-axis jerk `[X, Y, Z, E]` (classic jerk mode).
    pub jerk: [f64; 4],
    /// Acceleration of printing moves (`M204 P`, or `S` on legacy firmware).
    pub acceleration: f64,
    /// Acceleration of extruder-only moves (`M204 R`).
    pub retract_acceleration: f64,
    /// Acceleration of non-extruding moves (`M204 T`).
    pub travel_acceleration: f64,
    /// Upper bound `M204 P`/`S` may set (0 = none).
    pub max_print_acceleration: f64,
    /// Upper bound `M204 T` may set (0 = none).
    pub max_travel_acceleration: f64,
    /// Minimum feedrate of printing moves (`M205 S`).
    pub min_feedrate: f64,
    /// Minimum feedrate of travel moves (`M205 T`).
    pub min_travel_feedrate: f64,
    /// Jerk or junction deviation.
    pub junction: JunctionMode,
}

impl Default for MachineLimits {
    /// Marlin's stock `Configuration.h` values.
    fn default() -> Self {
        MachineLimits {
            max_feedrate: [300.0, 300.0, 5.0, 25.0],
            max_acceleration: [3000.0, 3000.0, 100.0, 10000.0],
            jerk: [10.0, 10.0, 0.3, 5.0],
            acceleration: 3000.0,
            retract_acceleration: 3000.0,
            travel_acceleration: 3000.0,
            max_print_acceleration: 0.0,
            max_travel_acceleration: 0.0,
            min_feedrate: 0.0,
            min_travel_feedrate: 0.0,
            junction: JunctionMode::Jerk,
        }
    }
}

/// Optional overrides, as a printer profile gives them. `None` keeps the value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LimitOverrides {
    /// Per-axis maximum feedrate `[X, Y, Z, E]`, mm/s.
    pub max_feedrate: Option<[f64; 4]>,
    /// Per-axis maximum acceleration `[X, Y, Z, E]`, mm/s².
    pub max_acceleration: Option<[f64; 4]>,
    /// Per-axis jerk `[X, Y, Z, E]`, mm/s.
    pub jerk: Option<[f64; 4]>,
    /// Printing acceleration, mm/s².
    pub acceleration: Option<f64>,
    /// Retract acceleration, mm/s².
    pub retract_acceleration: Option<f64>,
    /// Travel acceleration, mm/s².
    pub travel_acceleration: Option<f64>,
    /// Junction deviation in mm (switches the planner to that mode).
    pub junction_deviation: Option<f64>,
}

impl LimitOverrides {
    /// Writes every value that is set into `limits`.
    pub fn apply(&self, limits: &mut MachineLimits) {
        if let Some(v) = self.max_feedrate {
            limits.max_feedrate = v;
        }
        if let Some(v) = self.max_acceleration {
            limits.max_acceleration = v;
        }
        if let Some(v) = self.jerk {
            limits.jerk = v;
        }
        if let Some(v) = self.acceleration {
            limits.acceleration = v;
            limits.max_print_acceleration = v;
        }
        if let Some(v) = self.retract_acceleration {
            limits.retract_acceleration = v;
        }
        if let Some(v) = self.travel_acceleration {
            limits.travel_acceleration = v;
            limits.max_travel_acceleration = v;
        }
        if let Some(v) = self.junction_deviation {
            limits.junction = JunctionMode::Deviation(v);
        }
    }

    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == LimitOverrides::default()
    }
}

/// Reads the first value of a slicer list such as `1000,960` (normal, silent mode).
pub fn first_number(list: &str) -> Option<f64> {
    list.split(',').next()?.trim().parse().ok()
}

/// Seeds limits from a slicer's embedded configuration (`; machine_max_… = …`).
///
/// Returns true when the key was a motion limit.
pub fn apply_slicer_setting(limits: &mut MachineLimits, key: &str, value: &str) -> bool {
    let Some(v) = first_number(value) else {
        return false;
    };
    let axis = |suffix: &str| ["x", "y", "z", "e"].iter().position(|a| *a == suffix);
    if let Some(rest) = key.strip_prefix("machine_max_acceleration_") {
        match (rest, axis(rest)) {
            (_, Some(a)) => limits.max_acceleration[a] = v,
            ("extruding", _) => {
                limits.max_print_acceleration = v;
                if v > 0.0 {
                    limits.acceleration = v;
                }
            }
            ("retracting", _) if v > 0.0 => limits.retract_acceleration = v,
            ("travel", _) => {
                limits.max_travel_acceleration = v;
                if v > 0.0 {
                    limits.travel_acceleration = v;
                }
            }
            _ => return false,
        }
        return true;
    }
    if let Some(a) = key.strip_prefix("machine_max_feedrate_").and_then(axis) {
        limits.max_feedrate[a] = v;
        return true;
    }
    if let Some(a) = key.strip_prefix("machine_max_jerk_").and_then(axis) {
        limits.jerk[a] = v;
        return true;
    }
    match key {
        "machine_min_extruding_rate" => limits.min_feedrate = v,
        "machine_min_travel_rate" => limits.min_travel_feedrate = v,
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slicer_settings_take_the_normal_mode_value() {
        let mut l = MachineLimits::default();
        let table = [
            ("machine_max_acceleration_x", "1000,960"),
            ("machine_max_acceleration_extruding", "1250,1250"),
            ("machine_max_acceleration_travel", "1500,1250"),
            ("machine_max_feedrate_z", "12,12"),
            ("machine_max_jerk_e", "4.5,4.5"),
        ];
        for (k, v) in table {
            assert!(apply_slicer_setting(&mut l, k, v), "{k}");
        }
        assert_eq!(l.max_acceleration[X], 1000.0);
        assert_eq!(l.acceleration, 1250.0);
        assert_eq!(l.travel_acceleration, 1500.0);
        assert_eq!(l.max_feedrate[Z], 12.0);
        assert_eq!(l.jerk[E], 4.5);
        assert!(!apply_slicer_setting(&mut l, "layer_height", "0.2"));
        assert!(!apply_slicer_setting(
            &mut l,
            "machine_max_feedrate_x",
            "fast"
        ));
    }

    #[test]
    fn overrides_replace_only_what_they_set() {
        let mut l = MachineLimits::default();
        let o = LimitOverrides {
            acceleration: Some(800.0),
            ..Default::default()
        };
        o.apply(&mut l);
        assert_eq!(l.acceleration, 800.0);
        assert_eq!(l.max_feedrate, MachineLimits::default().max_feedrate);
    }
}
