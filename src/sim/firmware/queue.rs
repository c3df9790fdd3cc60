//! The command queue: taking checked lines off the receive buffer, running
//! the queue front, and acknowledging it with `ok` once it has executed.

use super::line_check::{check_line, command_text, LineError, Verdict};
use super::{messages, Firmware, FirmwareState, HEAT_REPORT_INTERVAL};
use crate::sim::motion::MotionModel;
use std::time::Duration;

/// A line taken into the command queue.
#[derive(Debug, Clone)]
pub(super) struct Queued {
    /// The line as received (comment stripped).
    pub raw: Vec<u8>,
    /// Its `N`, if numbered.
    pub number: Option<u32>,
}

/// What the executing command (the queue front) is waiting for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Wait {
    /// A move of this wall duration waits for a free planner block.
    PlannerSlot(Duration),
    /// Waits for the planner to empty, then for this long (wall).
    PlannerEmpty(Duration),
    /// Done at this wall time.
    Until(Duration),
    /// `M109`/`M190`: waits for a heater to reach its target.
    Heater {
        /// The bed rather than the hotend.
        bed: bool,
        /// Also wait when the heater has to cool down (`R` rather than `S`).
        cooling_too: bool,
    },
}

/// What executing a command led to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Outcome {
    /// Done; its `ok` is still to be sent.
    Done,
    /// Done, and it printed its own `ok` (`M105`).
    Replied,
    /// It holds the queue until this is over.
    Wait(Wait),
}

/// The queue front while it has not finished.
#[derive(Debug, Clone, Copy)]
pub(super) struct Running {
    pub wait: Wait,
    /// When the next keep-alive (busy or temperature line) is due (wall).
    pub next_notice: Duration,
}

/// Heaters count as arrived within this many °C (`TEMP_WINDOW`).
const TEMP_WINDOW: f64 = 1.0;

impl<M: MotionModel + Clone> Firmware<M> {
    /// Runs the queue as far as it goes at the current clock.
    pub(super) fn run_queue(&mut self) {
        loop {
            if self.running.is_some() && !self.try_complete() {
                return;
            }
            self.drain_serial();
            if self.queue.is_empty() || self.state != FirmwareState::Running {
                return;
            }
            self.start_front();
        }
    }

    /// Moves complete lines from the receive buffer into the queue.
    fn drain_serial(&mut self) {
        while self.queue.len() < self.config.command_slots && self.state == FirmwareState::Running {
            let Some(raw) = self.serial.next_line() else {
                return;
            };
            self.lines_received += 1;
            if self.line_count_faults() {
                return;
            }
            let corrupted = raw.trim_ascii_start().starts_with(b"N") && self.dice.corrupt_line();
            match check_line(&raw, self.last_line, corrupted) {
                Verdict::Accept { number } => {
                    if let Some(n) = number {
                        self.last_line = n;
                    }
                    self.queue.push_back(Queued { raw, number });
                }
                Verdict::Reject(error) => self.line_error(error),
            }
        }
    }

    /// Disconnect or reset after N lines; true when the line must be dropped.
    fn line_count_faults(&mut self) -> bool {
        let received = self.lines_received;
        if self
            .dice
            .faults()
            .disconnect_after_lines
            .is_some_and(|n| received > n)
        {
            self.state = FirmwareState::Disconnected;
            return true;
        }
        if self.reset_pending.is_some_and(|n| received > n) {
            self.reset_pending = None;
            self.reset();
            return true;
        }
        false
    }

    /// Marlin's `gcode_line_error`: message, flush, resend request, `ok`.
    fn line_error(&mut self, error: LineError) {
        let last = self.last_line;
        self.say(&format!("Error:{error}, Last Line: {last}"));
        self.serial.flush();
        self.say(&format!("Resend: {}", u64::from(last) + 1));
        self.say("ok");
    }

    fn start_front(&mut self) {
        let Some(front) = self.queue.front() else {
            return;
        };
        let raw = front.raw.clone();
        self.executed.push(command_text(&raw));
        let outcome = match (self.execute(&raw), self.dice.slow_reply()) {
            (Outcome::Done, Some(delay)) => {
                Outcome::Wait(Wait::Until(self.clock.saturating_add(delay)))
            }
            (outcome, _) => outcome,
        };
        if self.state != FirmwareState::Running {
            return; // M112 from the queue, or a fault: no `ok`
        }
        match outcome {
            Outcome::Done => self.finish(),
            Outcome::Replied => {
                self.queue.pop_front();
            }
            Outcome::Wait(wait) => {
                if matches!(wait, Wait::Heater { .. }) {
                    self.heat_wait_cancelled = false;
                }
                self.running = Some(Running {
                    wait,
                    next_notice: self.clock.saturating_add(self.notice_interval(wait)),
                });
            }
        }
    }

    /// Checks the running command; true (and `ok` sent) when it is done.
    fn try_complete(&mut self) -> bool {
        let Some(mut running) = self.running else {
            return true;
        };
        loop {
            let done = match running.wait {
                Wait::PlannerSlot(block) if self.planner.len() < self.config.planner_slots => {
                    self.plan(block);
                    true
                }
                Wait::PlannerEmpty(then) if self.planner.is_empty() => {
                    running.wait = Wait::Until(self.clock.saturating_add(then));
                    continue;
                }
                Wait::Until(t) => t <= self.clock,
                Wait::Heater { bed, cooling_too } => self.heater_arrived(bed, cooling_too),
                _ => false,
            };
            if done {
                self.running = None;
                self.finish();
                return true;
            }
            break;
        }
        self.keep_alive(&mut running);
        self.running = Some(running);
        false
    }

    fn heater_arrived(&self, bed: bool, cooling_too: bool) -> bool {
        let heater = if bed { &self.bed } else { &self.hotend };
        self.heat_wait_cancelled
            || heater.within(TEMP_WINDOW)
            || (!cooling_too && heater.temperature > heater.target)
    }

    /// Busy lines, or temperature lines while heating, when due.
    fn keep_alive(&mut self, running: &mut Running) {
        let interval = self.notice_interval(running.wait);
        if interval.is_zero() || running.next_notice > self.clock {
            return;
        }
        running.next_notice = super::next_after(running.next_notice, interval, self.clock);
        match running.wait {
            Wait::Heater { .. } => {
                let states = messages::heater_states(&self.hotend, &self.bed);
                self.say(&format!("{states} W:?"));
            }
            _ => self.say(messages::BUSY),
        }
    }

    fn notice_interval(&self, wait: Wait) -> Duration {
        match wait {
            Wait::Heater { .. } => HEAT_REPORT_INTERVAL,
            _ => self.keepalive_interval,
        }
    }

    /// Appends a block of `duration` (wall) to the planner.
    pub(super) fn plan(&mut self, duration: Duration) {
        let start = self
            .planner
            .back()
            .map_or(self.clock, |end| (*end).max(self.clock));
        self.planner.push_back(start.saturating_add(duration));
    }

    /// Acknowledges and removes the queue front.
    fn finish(&mut self) {
        let free = self.config.command_slots.saturating_sub(self.queue.len());
        let Some(done) = self.queue.pop_front() else {
            return;
        };
        if let Some(n) = done.number.filter(|_| self.dice.spurious_resend()) {
            self.say(&format!("Resend: {n}"));
        }
        if self.dice.drop_ok() {
            return;
        }
        if !self.config.advanced_ok {
            return self.say("ok");
        }
        let number = done.number.map(|n| format!(" N{n}")).unwrap_or_default();
        let planner_free = self.config.planner_slots.saturating_sub(self.planner.len());
        self.say(&format!("ok{number} P{planner_free} B{free}"));
    }

    /// When the running command next needs attention without input.
    pub(super) fn running_wakeup(&self) -> Option<Duration> {
        let running = self.running?;
        let notice = (!self.notice_interval(running.wait).is_zero()).then_some(running.next_notice);
        let done = match running.wait {
            Wait::PlannerSlot(_) | Wait::PlannerEmpty(_) => self.planner.front().copied(),
            Wait::Until(t) => Some(t),
            Wait::Heater { bed, .. } => {
                let heater = if bed { &self.bed } else { &self.hotend };
                heater
                    .seconds_until_within(TEMP_WINDOW * 0.99)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .map(|printer| self.clock.saturating_add(self.to_wall(printer)))
            }
        };
        [notice, done].into_iter().flatten().min()
    }
}
