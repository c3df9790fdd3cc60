//! What the G-code engine needs from a printer profile: the checks it runs
//! and the motion limits the estimator uses.

use super::PrinterProfile;
use crate::gcode::limits::LimitOverrides;
use crate::gcode::{AnalyzeOptions, CheckProfile};

impl PrinterProfile {
    /// The limits a file is checked against on this printer.
    pub fn check_profile(&self) -> CheckProfile {
        CheckProfile {
            build_volume: self.build_volume,
            min_position: self.min_position,
            margin: self.bounds_margin,
            max_hotend_temp: self.max_hotend_temp,
            max_bed_temp: self.max_bed_temp,
            extruders: self.extruders,
            nozzle_diameter: Some(self.nozzle_diameter),
            forbidden_commands: self.forbidden_commands.clone(),
            max_command_bytes: self.max_command_bytes,
        }
    }

    /// Analysis options: this printer's motion limits win over the file's.
    pub fn analyze_options(&self) -> AnalyzeOptions {
        let m = &self.motion;
        let limits = LimitOverrides {
            max_feedrate: m.max_feedrate,
            max_acceleration: m.max_acceleration,
            jerk: m.jerk,
            acceleration: m.acceleration,
            retract_acceleration: m.retract_acceleration,
            travel_acceleration: m.travel_acceleration,
            junction_deviation: m.junction_deviation,
        };
        AnalyzeOptions {
            limits: (!limits.is_empty()).then_some(limits),
            home: [0.0; 3],
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn the_default_farm_maps_to_checks_and_limits() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/printers.toml")).unwrap();
        let config = Config::from_toml_str(&text, "printers.toml").unwrap();
        let mk3s = config.printer("mk3s-1").unwrap();
        let check = mk3s.check_profile();
        assert_eq!(check.build_volume, [250.0, 210.0, 210.0]);
        assert_eq!(check.min_position, [0.0, -4.0, 0.0]);
        assert_eq!(check.nozzle_diameter, Some(0.4));
        let limits = mk3s.analyze_options().limits.unwrap();
        assert_eq!(limits.acceleration, Some(1250.0));
        assert_eq!(limits.jerk, Some([8.0, 8.0, 0.4, 4.5]));
    }
}
