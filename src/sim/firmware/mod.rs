//! Sans-IO emulation of Marlin 2.1.2's serial behaviour: bytes in, bytes out,
//! time passed in as a `Duration` since an arbitrary origin.
//!
//! Two clocks: the *wall* time the caller passes in, which paces everything
//! the host sees (keep-alives, auto-reports, slow replies, the timed
//! disconnect), and *printer* time, wall time multiplied by
//! [`FirmwareConfig::speed`], which paces the physics (moves, dwells, homing,
//! heaters, the timed thermal runaway). Reported figures are printer figures.
//!
//! Flow: bytes land in the receive buffer ([`FirmwareConfig::rx_buffer_size`],
//! overflow is lost); while the command queue ([`FirmwareConfig::command_slots`])
//! has room, complete lines are checked (line number, checksum) and queued; the
//! queue front executes, and its `ok` is sent when it has executed. Moves go to
//! a planner of [`FirmwareConfig::planner_slots`] blocks that drains in printer
//! time, so a full planner holds the queue, which holds the `ok`s.

mod commands;
mod config;
mod line_check;
mod messages;
mod queue;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_faults;

pub use config::{ConfigError, FirmwareConfig, MAX_SPEED, MIN_SPEED};
pub use line_check::{check_line, command_text, LineError, Verdict};
pub use messages::VERSION;

use super::faults::FaultDice;
use super::heater::{Heater, HeaterParams};
use super::motion::MotionModel;
use super::serial_in::{Emergency, SerialIn};
use queue::{Queued, Running};
use std::collections::VecDeque;
use std::time::Duration;

/// Whether the board still talks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirmwareState {
    /// Normal operation.
    Running,
    /// `kill()` was called (M112, thermal runaway): silent until reset.
    Halted,
    /// The disconnect fault fired: the host side should close the port.
    Disconnected,
}

/// Every how often `M109`/`M190` print the temperatures (wall time).
const HEAT_REPORT_INTERVAL: Duration = Duration::from_secs(1);
/// Safety net against an event that fails to move itself forward.
const MAX_EVENTS_PER_POLL: usize = 1_000_000;

/// One virtual Marlin board.
pub struct Firmware<M: MotionModel + Clone> {
    config: FirmwareConfig,
    motion: M,
    motion_at_power_on: M,
    dice: FaultDice,
    uuid: String,
    serial: SerialIn,
    last_line: u32,
    queue: VecDeque<Queued>,
    running: Option<Running>,
    /// Wall times at which the planned blocks finish, oldest first.
    planner: VecDeque<Duration>,
    hotend: Heater,
    bed: Heater,
    heat_wait_cancelled: bool,
    keepalive_interval: Duration,
    /// Auto-report interval and next due time (wall).
    autoreport: Option<(Duration, Duration)>,
    clock: Duration,
    powered_on_at: Duration,
    lines_received: u64,
    reset_pending: Option<u64>,
    state: FirmwareState,
    output: Vec<u8>,
    executed: Vec<String>,
}

impl<M: MotionModel + Clone> Firmware<M> {
    /// A board that is powered on at `now`: its banner is already in the output.
    pub fn new(config: FirmwareConfig, motion: M, now: Duration) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut dice = FaultDice::new(config.faults.clone(), config.seed);
        let mut firmware = Firmware {
            uuid: dice.uuid(),
            reset_pending: config.faults.reset_after_lines,
            dice,
            serial: SerialIn::new(config.rx_buffer_size, config.max_command_size),
            motion_at_power_on: motion.clone(),
            motion,
            last_line: 0,
            queue: VecDeque::new(),
            running: None,
            planner: VecDeque::new(),
            hotend: Heater::new(HeaterParams::HOTEND),
            bed: Heater::new(HeaterParams::BED),
            heat_wait_cancelled: false,
            keepalive_interval: config.keepalive_interval,
            autoreport: None,
            clock: now,
            powered_on_at: now,
            lines_received: 0,
            state: FirmwareState::Running,
            output: Vec::new(),
            executed: Vec::new(),
            config,
        };
        firmware.boot();
        Ok(firmware)
    }

    /// Bytes from the host arriving at `now`.
    pub fn receive(&mut self, bytes: &[u8], now: Duration) {
        self.poll(now);
        for &byte in bytes {
            if self.state != FirmwareState::Running {
                return;
            }
            match self.serial.receive(byte) {
                Some(Emergency::Kill) => self.kill(),
                Some(Emergency::CancelWait) => self.heat_wait_cancelled = true,
                Some(Emergency::QuickStop) => self.planner.clear(),
                None => {}
            }
            self.run_queue();
        }
    }

    /// Lets time pass up to `now`, handling every event due on the way.
    pub fn poll(&mut self, now: Duration) {
        for _ in 0..MAX_EVENTS_PER_POLL {
            match self.next_wakeup().filter(|t| *t <= now) {
                Some(t) if self.state == FirmwareState::Running => {
                    self.advance_clock(t);
                    self.service();
                }
                _ => break,
            }
        }
        self.advance_clock(now);
        self.service();
    }

    /// The earliest wall time at which something happens without input.
    pub fn next_wakeup(&self) -> Option<Duration> {
        if self.state != FirmwareState::Running {
            return None;
        }
        let faults = self.dice.faults();
        let disconnect = faults
            .disconnect_after
            .map(|d| self.powered_on_at.saturating_add(d));
        let runaway = faults
            .thermal_runaway_at
            .map(|t| self.powered_on_at.saturating_add(self.to_wall(t)));
        [
            disconnect,
            runaway,
            self.autoreport.map(|(_, due)| due),
            self.running_wakeup(),
        ]
        .into_iter()
        .flatten()
        .map(|t| t.max(self.clock))
        .min()
    }

    /// Takes the bytes the board has sent since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Every command executed since power-on, in order, as sent but without
    /// line number, checksum or comment.
    pub fn executed(&self) -> &[String] {
        &self.executed
    }

    /// Whether the board still talks.
    pub fn state(&self) -> FirmwareState {
        self.state
    }

    /// Bytes lost to a full receive buffer.
    pub fn rx_dropped(&self) -> u64 {
        self.serial.dropped()
    }

    /// Current hotend and bed temperatures, °C.
    pub fn temperatures(&self) -> (f64, f64) {
        (self.hotend.temperature, self.bed.temperature)
    }

    /// Power-cycles the board: everything but the heaters' warmth is lost.
    pub fn reset(&mut self) {
        self.serial.flush();
        self.queue.clear();
        self.running = None;
        self.planner.clear();
        self.motion = self.motion_at_power_on.clone();
        self.last_line = 0;
        self.hotend.target = 0.0;
        self.bed.target = 0.0;
        self.autoreport = None;
        self.keepalive_interval = self.config.keepalive_interval;
        self.state = FirmwareState::Running;
        self.boot();
    }

    fn boot(&mut self) {
        for line in messages::banner() {
            self.say(&line);
        }
    }

    fn advance_clock(&mut self, now: Duration) {
        if now > self.clock {
            let printer_seconds = (now - self.clock).as_secs_f64() * self.config.speed;
            self.hotend.advance(printer_seconds);
            self.bed.advance(printer_seconds);
            self.clock = now;
        }
        // Also when the clock stands still: a zero-length block ends the
        // instant it is planned, and a wait on it must not spin.
        while self.planner.front().is_some_and(|end| *end <= self.clock) {
            self.planner.pop_front();
        }
    }

    fn service(&mut self) {
        if self.state != FirmwareState::Running {
            return;
        }
        self.timed_faults();
        if let Some((interval, due)) = self.autoreport.filter(|(_, due)| *due <= self.clock) {
            self.autoreport = Some((interval, next_after(due, interval, self.clock)));
            let report = messages::heater_states(&self.hotend, &self.bed);
            self.say(&report);
        }
        self.run_queue();
    }

    fn timed_faults(&mut self) {
        let faults = self.dice.faults();
        let since_power_on = self.clock.saturating_sub(self.powered_on_at);
        let printer_time = scale(since_power_on, self.config.speed);
        if faults.thermal_runaway_at.is_some_and(|t| printer_time >= t) {
            self.say(messages::THERMAL_RUNAWAY);
            self.kill();
        } else if faults.disconnect_after.is_some_and(|d| since_power_on >= d) {
            self.state = FirmwareState::Disconnected;
        }
    }

    fn kill(&mut self) {
        self.say(messages::KILLED);
        self.hotend.target = 0.0;
        self.bed.target = 0.0;
        self.state = FirmwareState::Halted;
    }

    /// Sends one line to the host.
    fn say(&mut self, line: &str) {
        self.output.extend_from_slice(line.as_bytes());
        self.output.push(b'\n');
    }

    /// Converts printer time to wall time (saturating).
    fn to_wall(&self, printer: Duration) -> Duration {
        scale(printer, 1.0 / self.config.speed)
    }
}

/// `duration * factor`, saturating at `Duration::MAX`.
fn scale(duration: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(duration.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

/// The next tick after `now`: `due + interval`, or `now + interval` when
/// that is already past (missed ticks are skipped).
fn next_after(due: Duration, interval: Duration, now: Duration) -> Duration {
    let interval = interval.max(Duration::from_millis(1));
    let next = due.saturating_add(interval);
    if next > now {
        next
    } else {
        now.saturating_add(interval)
    }
}
