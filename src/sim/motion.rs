//! How long the virtual printer needs to execute a command.
//!
//! The firmware asks a [`MotionModel`] for the printer-time cost of every
//! command it executes. [`SimpleMotion`] is a small stand-in (distance over
//! feedrate, fixed homing time); a planner-backed model can replace it without
//! touching the firmware.

use crate::gcode::Line;
use std::time::Duration;

/// Tool position in millimetres, as `M114` reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Position {
    /// X axis.
    pub x: f64,
    /// Y axis.
    pub y: f64,
    /// Z axis.
    pub z: f64,
    /// Extruder.
    pub e: f64,
}

/// The motion side of the firmware: tracks position and prices commands.
///
/// `Clone` is required by the firmware so that a board reset can restore the
/// model as it was at power-on.
pub trait MotionModel: Send {
    /// Applies `line` and returns the printer time the firmware needs to carry
    /// it out (zero for commands that take no time).
    fn execute(&mut self, line: &Line<'_>) -> Duration;

    /// The current (planned) tool position.
    fn position(&self) -> Position;
}

/// Homing time used by [`SimpleMotion`] for `G28`.
pub const DEFAULT_HOMING_TIME: Duration = Duration::from_secs(4);

/// Marlin's default feedrate before the first `F` word, in mm/min.
const DEFAULT_FEEDRATE_MM_MIN: f64 = 1500.0;

/// Straight-line distance over feedrate; enough to give moves a plausible cost.
///
/// Handles `G90`/`G91`, `M82`/`M83`, `G92`, `G0`–`G3` (arcs are priced as
/// their chord), `G4 P<ms>`/`S<s>` and `G28` (a fixed [`DEFAULT_HOMING_TIME`]).
#[derive(Debug, Clone)]
pub struct SimpleMotion {
    position: Position,
    absolute_xyz: bool,
    absolute_e: bool,
    feedrate_mm_min: f64,
    homing_time: Duration,
}

impl Default for SimpleMotion {
    fn default() -> Self {
        SimpleMotion {
            position: Position::default(),
            absolute_xyz: true,
            absolute_e: true,
            feedrate_mm_min: DEFAULT_FEEDRATE_MM_MIN,
            homing_time: DEFAULT_HOMING_TIME,
        }
    }
}

impl SimpleMotion {
    /// A model with a custom homing time.
    pub fn with_homing_time(homing_time: Duration) -> Self {
        SimpleMotion {
            homing_time,
            ..SimpleMotion::default()
        }
    }

    fn target(&self, line: &Line<'_>) -> Position {
        let axis = |letter, current: f64, absolute: bool| match line.get(letter) {
            Some(v) if absolute => v,
            Some(v) => current + v,
            None => current,
        };
        let p = self.position;
        Position {
            x: axis(b'X', p.x, self.absolute_xyz),
            y: axis(b'Y', p.y, self.absolute_xyz),
            z: axis(b'Z', p.z, self.absolute_xyz),
            e: axis(b'E', p.e, self.absolute_e),
        }
    }

    fn move_to(&mut self, line: &Line<'_>) -> Duration {
        if let Some(f) = line.get(b'F').filter(|f| *f > 0.0) {
            self.feedrate_mm_min = f;
        }
        let to = self.target(line);
        let from = self.position;
        self.position = to;
        let (dx, dy, dz) = (to.x - from.x, to.y - from.y, to.z - from.z);
        let mut distance = (dx * dx + dy * dy + dz * dz).sqrt();
        if distance == 0.0 {
            distance = (to.e - from.e).abs();
        }
        seconds(distance / (self.feedrate_mm_min / 60.0))
    }

    fn home(&mut self, line: &Line<'_>) -> Duration {
        let all = !(line.has(b'X') || line.has(b'Y') || line.has(b'Z'));
        if all || line.has(b'X') {
            self.position.x = 0.0;
        }
        if all || line.has(b'Y') {
            self.position.y = 0.0;
        }
        if all || line.has(b'Z') {
            self.position.z = 0.0;
        }
        self.homing_time
    }

    fn set_position(&mut self, line: &Line<'_>) {
        let p = &mut self.position;
        for (letter, axis) in [
            (b'X', &mut p.x),
            (b'Y', &mut p.y),
            (b'Z', &mut p.z),
            (b'E', &mut p.e),
        ] {
            if let Some(v) = line.get(letter) {
                *axis = v;
            }
        }
    }
}

/// A non-negative, finite number of seconds as a `Duration` (zero otherwise).
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)
}

impl MotionModel for SimpleMotion {
    fn execute(&mut self, line: &Line<'_>) -> Duration {
        let Some(code) = line.code.filter(|c| c.sub.is_none()) else {
            return Duration::ZERO;
        };
        match (code.letter, code.number) {
            (b'G', 0..=3) => return self.move_to(line),
            (b'G', 4) => {
                let ms = line.get(b'P').unwrap_or(0.0) + line.get(b'S').unwrap_or(0.0) * 1e3;
                return seconds(ms / 1e3);
            }
            (b'G', 28) => return self.home(line),
            (b'G', 90) => (self.absolute_xyz, self.absolute_e) = (true, true),
            (b'G', 91) => (self.absolute_xyz, self.absolute_e) = (false, false),
            (b'M', 82) => self.absolute_e = true,
            (b'M', 83) => self.absolute_e = false,
            (b'G', 92) => self.set_position(line),
            _ => {}
        }
        Duration::ZERO
    }

    fn position(&self) -> Position {
        self.position
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcode::parse_line;

    fn run(model: &mut SimpleMotion, text: &str) -> Duration {
        let mut issues = Vec::new();
        model.execute(&parse_line(text.as_bytes(), &mut issues))
    }

    #[test]
    fn commands_cost_the_expected_time() {
        // (setup lines, command, expected seconds)
        let cases: &[(&[&str], &str, f64)] = &[
            (&[], "G1 X60 F3600", 1.0),
            (&[], "G0 X30 Y40 F600", 5.0),
            (&[], "G1 X25", 1.0), // default 1500 mm/min
            (&["G1 X10 F600"], "G1 X20", 1.0),
            (&["G91"], "G1 X10 F600", 1.0),
            (&["G1 X10 F600", "G91"], "G1 X10", 1.0),
            (&["G1 X10 F600", "G92 X0"], "G1 X10", 1.0),
            (&[], "G1 E5 F300", 1.0),
            (&["G1 E5 F300", "M83"], "G1 E5", 1.0),
            (&["G1 E5 F300"], "G1 E5", 0.0),
            (&[], "G4 P250", 0.25),
            (&[], "G4 S2", 2.0),
            (&[], "G28", 4.0),
            (&[], "M104 S200", 0.0),
            (&[], "G1 X10 F0", 0.4), // F0 ignored
        ];
        for (setup, command, expected) in cases {
            let mut model = SimpleMotion::default();
            for line in *setup {
                run(&mut model, line);
            }
            let got = run(&mut model, command).as_secs_f64();
            assert!(
                (got - expected).abs() < 1e-9,
                "{setup:?} then {command}: {got} s, expected {expected} s"
            );
        }
    }

    #[test]
    fn homing_zeroes_named_axes_only() {
        let mut model = SimpleMotion::default();
        run(&mut model, "G1 X10 Y20 Z5");
        run(&mut model, "G28 X");
        let p = model.position();
        assert_eq!((p.x, p.y, p.z), (0.0, 20.0, 5.0));
        run(&mut model, "G28");
        assert_eq!(model.position(), Position::default());
    }
}
