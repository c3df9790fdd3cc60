//! Executing the queue front: what each command does and how long it holds
//! the queue.

use super::line_check::command_text;
use super::queue::{Outcome, Wait};
use super::{messages, Firmware};
use crate::gcode::{parse_line, Code, Line};
use crate::sim::motion::MotionModel;
use std::time::Duration;

/// How a command uses the machine, which decides how its time is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Goes into the planner (`G0`–`G3`, `G5`).
    Move,
    /// Waits for the planner to empty, then takes its own time (`G4`, `G28`, `M400`…).
    Synchronising,
    /// Handled by the firmware itself (temperatures, reports, settings).
    Firmware,
    /// Accepted without effect beyond the motion model's.
    Accepted,
    /// Not a Marlin command.
    Unknown,
}

fn kind(code: Code) -> Kind {
    if code.sub.is_some() {
        return Kind::Unknown; // e.g. Prusa's M862.3: Marlin does not know it
    }
    match (code.letter, code.number) {
        (b'G', 0..=3 | 5) => Kind::Move,
        (b'G', 4 | 28 | 29) | (b'M', 18 | 84 | 400) => Kind::Synchronising,
        (b'M', 104 | 105 | 108..=110 | 112..=115 | 118 | 140 | 155 | 190 | 410) => Kind::Firmware,
        (b'G', 10 | 11 | 17..=21 | 27 | 53..=61 | 80 | 90..=92) => Kind::Accepted,
        (b'M', 0 | 1 | 17 | 20..=34 | 73 | 75..=92 | 106 | 107 | 117 | 119..=121) => Kind::Accepted,
        (b'M', 141 | 145 | 149 | 150 | 163..=166 | 191 | 200..=222 | 280 | 290) => Kind::Accepted,
        (b'M', 300..=304 | 350 | 355 | 380 | 381 | 401..=428 | 486 | 500..=504) => Kind::Accepted,
        (b'M', 524 | 540 | 569 | 575 | 600..=605 | 665 | 666 | 851 | 876 | 900) => Kind::Accepted,
        (b'M', 906 | 907 | 911..=915 | 928 | 997 | 999) => Kind::Accepted,
        (b'T', _) => Kind::Accepted,
        _ => Kind::Unknown,
    }
}

impl<M: MotionModel + Clone> Firmware<M> {
    /// Executes one queued line.
    pub(super) fn execute(&mut self, raw: &[u8]) -> Outcome {
        let mut issues = Vec::new();
        let line = parse_line(raw, &mut issues);
        let Some(code) = line.code else {
            return self.unknown(raw);
        };
        let kind = kind(code);
        if kind == Kind::Unknown {
            return self.unknown(raw);
        }
        let printer_cost = self.motion.execute(&line);
        let cost = self.to_wall(printer_cost);
        match kind {
            Kind::Move if self.planner.len() < self.config.planner_slots => {
                self.plan(cost);
                Outcome::Done
            }
            Kind::Move => Outcome::Wait(Wait::PlannerSlot(cost)),
            Kind::Synchronising => Outcome::Wait(Wait::PlannerEmpty(cost)),
            Kind::Firmware => self.firmware_command(code, &line),
            _ if cost.is_zero() => Outcome::Done,
            _ => Outcome::Wait(Wait::Until(self.clock.saturating_add(cost))),
        }
    }

    fn unknown(&mut self, raw: &[u8]) -> Outcome {
        self.say(&messages::unknown_command(&command_text(raw)));
        Outcome::Done
    }

    fn firmware_command(&mut self, code: Code, line: &Line<'_>) -> Outcome {
        match code.number {
            104 | 109 => self.set_target(line, false),
            140 | 190 => self.set_target(line, true),
            105 => {
                let states = messages::heater_states(&self.hotend, &self.bed);
                self.say(&format!("ok{states}"));
                return Outcome::Replied;
            }
            110 => {
                if let Some(n) = line.get(b'N').and_then(as_line_number) {
                    self.last_line = n;
                }
            }
            112 => self.kill(),
            113 => {
                let seconds = line.get(b'S').unwrap_or(2.0).clamp(0.0, 60.0);
                self.keepalive_interval = Duration::from_secs_f64(seconds);
            }
            114 => {
                let report = messages::position_report(self.motion.position());
                self.say(&report);
            }
            115 => {
                for info in messages::firmware_info(&self.uuid, self.config.advanced_ok) {
                    self.say(&info);
                }
            }
            118 => {
                let text = line.text.map(String::from_utf8_lossy).unwrap_or_default();
                self.say(&text);
            }
            155 => self.set_autoreport(line),
            410 => self.planner.clear(),
            _ => {} // M108: nothing is waiting when it runs from the queue
        }
        match code.number {
            109 | 190 => Outcome::Wait(Wait::Heater {
                bed: code.number == 190,
                cooling_too: line.has(b'R'),
            }),
            _ => Outcome::Done,
        }
    }

    fn set_target(&mut self, line: &Line<'_>, bed: bool) {
        let Some(target) = line.get(b'S').or_else(|| line.get(b'R')) else {
            return;
        };
        let heater = if bed { &mut self.bed } else { &mut self.hotend };
        heater.target = target.clamp(0.0, 500.0);
    }

    fn set_autoreport(&mut self, line: &Line<'_>) {
        let seconds = line.get(b'S').unwrap_or(0.0).clamp(0.0, 60.0);
        self.autoreport = Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|interval| !interval.is_zero())
            .map(|interval| (interval, self.clock + interval));
    }
}

/// A G-code number as a line number, when it is a whole number in range.
fn as_line_number(value: f64) -> Option<u32> {
    let whole = value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX);
    whole.then_some(value as u32)
}
