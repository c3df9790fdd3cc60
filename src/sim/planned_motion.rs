//! A [`MotionModel`] backed by the G-code interpreter and the Marlin-style
//! planner, so virtual moves take the time the print-time estimator gives them.
//!
//! The planner times blocks lazily: a block's time is known only once the
//! look-ahead has settled it. [`PlannedMotion::execute`] therefore returns, for
//! each command, the time of the blocks that became final during that call;
//! most moves cost nothing and every few hundred moves one carries a batch.
//! Commands that make Marlin wait for the planner to empty (`G4`, `M400`,
//! tool changes, `G28`, `M18`/`M84`) flush it, so their cost includes every
//! block still queued. Over a whole file the costs add up to the estimator's
//! motion time plus dwell time (plus [`PlannedMotion::finish`] for a file that
//! ends without such a command).

use super::motion::{MotionModel, Position, DEFAULT_HOMING_TIME};
use crate::gcode::interp::{Action, Interpreter};
use crate::gcode::limits::MachineLimits;
use crate::gcode::planner::Planner;
use crate::gcode::Line;
use std::time::Duration;

/// Interpreter plus planner: the estimator's timing, command by command.
#[derive(Debug, Clone)]
pub struct PlannedMotion {
    interp: Interpreter,
    planner: Planner,
    actions: Vec<Action>,
    homing_time: Duration,
}

impl Default for PlannedMotion {
    /// Marlin's stock limits and [`DEFAULT_HOMING_TIME`].
    fn default() -> Self {
        PlannedMotion::new(MachineLimits::default())
    }
}

impl PlannedMotion {
    /// A model planning with `limits` (e.g. a printer profile's); `M201`,
    /// `M203`, `M204` and `M205` in the stream change them, as on the firmware.
    pub fn new(limits: MachineLimits) -> Self {
        PlannedMotion {
            interp: Interpreter::default(),
            planner: Planner::new(limits),
            actions: Vec::with_capacity(64),
            homing_time: DEFAULT_HOMING_TIME,
        }
    }

    /// The same model with a fixed time for each `G28` (the estimator counts none).
    pub fn with_homing_time(mut self, homing_time: Duration) -> Self {
        self.homing_time = homing_time;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &MachineLimits {
        &self.planner.limits
    }

    /// Times every block still in the look-ahead queue (the end of a file).
    pub fn finish(&mut self) -> Duration {
        let mut total = 0.0;
        self.planner.flush(&mut |_, dt| total += dt);
        seconds(total)
    }

    /// Seconds of the blocks made final by `line`, plus its dwell.
    fn plan_line(&mut self, line: &Line<'_>) -> f64 {
        self.actions.clear();
        self.interp
            .execute(line, &mut self.planner.limits, &mut self.actions);
        let mut total = 0.0;
        let done = &mut |_, dt: f64| total += dt;
        for action in &self.actions {
            match *action {
                Action::Move { planned, .. } => self.planner.push(&planned, 0, done),
                Action::Dwell(dwell) => {
                    self.planner.flush(done);
                    done(0, dwell);
                }
                Action::Sync => self.planner.flush(done),
                Action::ArcBounds { .. } => {}
            }
        }
        total
    }
}

/// Commands the interpreter does not synchronise on but Marlin does.
fn synchronises(line: &Line<'_>) -> bool {
    line.code.is_some_and(|c| {
        c.sub.is_none() && matches!((c.letter, c.number), (b'G', 28) | (b'M', 18 | 84))
    })
}

fn is_homing(line: &Line<'_>) -> bool {
    line.code
        .is_some_and(|c| c.letter == b'G' && c.number == 28 && c.sub.is_none())
}

/// A non-negative, finite number of seconds as a `Duration` (zero otherwise).
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)
}

impl MotionModel for PlannedMotion {
    fn execute(&mut self, line: &Line<'_>) -> Duration {
        let mut cost = seconds(self.plan_line(line));
        if synchronises(line) {
            cost += self.finish();
        }
        if is_homing(line) {
            cost += self.homing_time;
        }
        cost
    }

    fn position(&self) -> Position {
        let [x, y, z, e] = self.interp.position();
        Position { x, y, z, e }
    }
}

#[cfg(test)]
#[path = "planned_motion_tests.rs"]
mod tests;
