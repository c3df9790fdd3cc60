//! One printer's farm lifecycle as a pure state machine.
//!
//! The printer's supervisor (`farm::supervisor`) feeds it what happens (the
//! driver's state and job events, offers from the scheduler, operators'
//! actions, each with the time) and carries out the [`Effect`]s it returns,
//! in order. Everything a printer's state depends on is decided here, so
//! every edge is tested without a port, a task or a database.
//!
//! The farm-level [`Phase`] is derived, never stored twice: an attempt on
//! the printer wins; then a halted firmware ([`Phase::Error`]); then a full
//! bed ([`Phase::AwaitingClear`]); then the link ([`Phase::Offline`] or
//! [`Phase::Idle`]).

use super::failure::FailureCause;
use serde::Serialize;

/// The printer driver's own state, as the lifecycle needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// Port closed or handshake running.
    Down,
    /// Connected, no job.
    Ready,
    /// Streaming a job.
    Printing,
    /// Job paused.
    Paused,
    /// Firmware halted (fatal error, emergency stop): needs a reset.
    Halted,
}

/// Where the printer stands in the farm.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not connected; its bed is clear.
    Offline,
    /// Connected, bed clear: takes work.
    Idle,
    /// A job was given to it and is starting.
    Assigned,
    /// Printing a job.
    Printing,
    /// Its job is paused.
    Paused,
    /// A print (finished or not) is on the bed until someone clears it.
    AwaitingClear,
    /// The firmware halted; a technician must reset it.
    Error,
}

impl Phase {
    /// The coarse state the store keeps (`busy` for every phase with a job).
    pub fn stored(self) -> &'static str {
        match self {
            Phase::Offline => "offline",
            Phase::Idle => "idle",
            Phase::Assigned | Phase::Printing | Phase::Paused => "busy",
            Phase::AwaitingClear => "awaiting_clear",
            Phase::Error => "error",
        }
    }

    /// The spelling in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Offline => "offline",
            Phase::Idle => "idle",
            Phase::Assigned => "assigned",
            Phase::Printing => "printing",
            Phase::Paused => "paused",
            Phase::AwaitingClear => "awaiting_clear",
            Phase::Error => "error",
        }
    }

    /// True for phases that need a person (shown first on a dashboard).
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            Phase::AwaitingClear | Phase::Error | Phase::Paused | Phase::Offline
        )
    }
}

/// The attempt running on the printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// The store's job id.
    pub job: String,
    /// The store's attempt id (empty until the claim is recorded).
    pub attempt: String,
    /// The driver's run number, so a late event of an earlier run is ignored.
    pub run: i64,
    /// True once the driver took the job: from then on the bed holds plastic.
    pub started: bool,
    /// Paused on the printer.
    pub paused: bool,
    /// Last source line the firmware acknowledged.
    pub last_line: u64,
    /// The file's first line that pushes filament: an attempt that ends
    /// before the firmware took it leaves the bed clear. `None`: unknown,
    /// so any started attempt fills the bed.
    pub first_extrusion_line: Option<u64>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "end", rename_all = "snake_case")]
pub enum AttemptEnd {
    /// Every line was acknowledged.
    Completed,
    /// It stopped before the end.
    Failed {
        /// Why.
        cause: FailureCause,
        /// In the failure's own words.
        reason: String,
    },
}

/// Something the supervisor must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Record the printer's state and bed in the store.
    SaveState {
        /// The coarse state.
        phase: Phase,
        /// Since when a print is on the bed (unix ms), if one is.
        bed_full_since: Option<i64>,
    },
    /// Record how far the attempt got.
    SaveProgress {
        /// Job id.
        job: String,
        /// Last acknowledged source line.
        line: u64,
    },
    /// Record a pause or resume of the job.
    SavePaused {
        /// Job id.
        job: String,
        /// True when paused.
        paused: bool,
    },
    /// End the attempt, the job's state and the bed in one transaction.
    EndAttempt {
        /// Job id.
        job: String,
        /// Attempt id.
        attempt: String,
        /// How it ended.
        end: AttemptEnd,
        /// Last acknowledged source line.
        last_line: u64,
        /// Since when a print is on the bed, if one is.
        bed_full_since: Option<i64>,
        /// The printer's phase once the attempt has ended.
        phase: Phase,
    },
    /// The printer may take work: run the scheduler.
    WakeScheduler,
}

/// Why the lifecycle refused an offer or an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The printer is in a phase where this makes no sense.
    #[error("printer is {phase}; cannot {action}")]
    WrongPhase {
        /// Its phase.
        phase: &'static str,
        /// What was asked.
        action: &'static str,
    },
}

/// Progress is saved at most this often (ms), and always at the end.
pub const PROGRESS_SAVE_MS: i64 = 1_000;

/// The lifecycle of one printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    auto_eject: bool,
    link: Link,
    bed_full_since: Option<i64>,
    attempt: Option<Attempt>,
    next_run: i64,
    progress_saved_at: i64,
    /// The stored state and bed as last saved (the store keeps the coarse
    /// state: `busy` for every phase with a job).
    saved: Option<(&'static str, Option<i64>)>,
    /// Due for service ([`super::maintenance::assess`]): takes no new job
    /// until a technician confirms the service.
    service_due: bool,
}

impl Lifecycle {
    /// A printer whose driver has not connected yet, with the bed as the
    /// store last knew it.
    pub fn new(auto_eject: bool, bed_full_since: Option<i64>) -> Lifecycle {
        Lifecycle {
            auto_eject,
            link: Link::Down,
            bed_full_since: bed_full_since.filter(|_| !auto_eject),
            attempt: None,
            next_run: 1,
            progress_saved_at: i64::MIN,
            saved: None,
            service_due: false,
        }
    }

    /// The farm phase, derived.
    pub fn phase(&self) -> Phase {
        if let Some(attempt) = &self.attempt {
            return match (attempt.started, attempt.paused) {
                (false, _) => Phase::Assigned,
                (true, false) => Phase::Printing,
                (true, true) => Phase::Paused,
            };
        }
        match (self.link, self.bed_full_since) {
            (Link::Halted, _) => Phase::Error,
            (_, Some(_)) => Phase::AwaitingClear,
            (Link::Down, None) => Phase::Offline,
            (_, None) => Phase::Idle,
        }
    }

    /// The attempt on the printer, if any.
    pub fn attempt(&self) -> Option<&Attempt> {
        self.attempt.as_ref()
    }

    /// Since when a print is on the bed.
    pub fn bed_full_since(&self) -> Option<i64> {
        self.bed_full_since
    }

    /// True when the printer may be given a job now: idle, connected and
    /// not due for service.
    pub fn accepts_work(&self) -> bool {
        self.phase() == Phase::Idle && self.link == Link::Ready && !self.service_due
    }

    /// True when the printer is due for service.
    pub fn service_due(&self) -> bool {
        self.service_due
    }

    /// The odometer was read: whether the printer is due for service now.
    /// Wakes the scheduler when that made the printer free.
    pub fn on_service_due(&mut self, due: bool) -> Vec<Effect> {
        let was_refusing = !self.accepts_work();
        self.service_due = due;
        if was_refusing && self.accepts_work() {
            vec![Effect::WakeScheduler]
        } else {
            Vec::new()
        }
    }

    /// Checks that a technician may confirm a service now: not while a job
    /// is on the printer.
    pub fn may_service(&self) -> Result<(), Refused> {
        match self.attempt {
            Some(_) => Err(self.refuse("confirm a service while a job is on it")),
            None => Ok(()),
        }
    }

    /// Effects that record a changed phase (and wake the scheduler when the
    /// printer became free), appended to `effects`.
    fn settle(&mut self, effects: &mut Vec<Effect>) {
        let phase = self.phase();
        let now = (phase.stored(), self.bed_full_since);
        if self.saved == Some(now) {
            return;
        }
        self.saved = Some(now);
        effects.push(Effect::SaveState {
            phase,
            bed_full_since: self.bed_full_since,
        });
        if self.accepts_work() {
            effects.push(Effect::WakeScheduler);
        }
    }

    /// The driver's state changed.
    pub fn on_link(&mut self, link: Link) -> Vec<Effect> {
        let mut effects = Vec::new();
        self.link = link;
        if let Some(attempt) = self.attempt.as_mut().filter(|a| a.started) {
            let paused = link == Link::Paused;
            let following = matches!(link, Link::Printing | Link::Paused);
            if following && attempt.paused != paused {
                attempt.paused = paused;
                effects.push(Effect::SavePaused {
                    job: attempt.job.clone(),
                    paused,
                });
            }
        }
        self.settle(&mut effects);
        effects
    }

    /// The scheduler offers a job: `Ok(run)` when the printer takes it (it
    /// is then `assigned` until [`Lifecycle::on_claimed`] or
    /// [`Lifecycle::on_claim_lost`]). The claim records the printer as
    /// busy in the store, so no effect is needed for that.
    pub fn offer(&mut self, job: &str) -> Result<i64, Refused> {
        if !self.accepts_work() {
            return Err(self.refuse("take a job"));
        }
        let run = self.next_run;
        self.next_run += 1;
        self.attempt = Some(Attempt {
            job: job.to_owned(),
            attempt: String::new(),
            run,
            started: false,
            paused: false,
            last_line: 0,
            first_extrusion_line: None,
        });
        self.saved = Some((Phase::Assigned.stored(), self.bed_full_since));
        Ok(run)
    }

    /// The store gave the job to this printer as `attempt`; the file first
    /// pushes filament on `first_extrusion_line`. No effect: the claim
    /// itself recorded it.
    pub fn on_claimed(&mut self, run: i64, attempt: &str, first_extrusion_line: Option<u64>) {
        if let Some(a) = self.attempt.as_mut().filter(|a| a.run == run) {
            a.attempt = attempt.to_owned();
            a.first_extrusion_line = first_extrusion_line;
        }
    }

    /// Another printer (or a cancel) got the job first.
    pub fn on_claim_lost(&mut self, run: i64) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.attempt.as_ref().is_some_and(|a| a.run == run) {
            self.attempt = None;
            self.saved = None; // the scheduler must hear it is free again
        }
        self.settle(&mut effects);
        effects
    }

    /// The driver took the job: from now on the bed holds plastic (the
    /// claim already recorded the job as printing).
    pub fn on_started(&mut self, run: i64) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(a) = self.attempt.as_mut().filter(|a| a.run == run) {
            a.started = true;
        }
        self.settle(&mut effects);
        effects
    }

    /// The driver refused the job before printing anything.
    pub fn on_start_failed(
        &mut self,
        run: i64,
        cause: FailureCause,
        reason: String,
        now_ms: i64,
    ) -> Vec<Effect> {
        self.end(run, AttemptEnd::Failed { cause, reason }, None, now_ms)
    }

    /// The firmware acknowledged the job up to source line `line`.
    pub fn on_progress(&mut self, run: i64, line: u64, now_ms: i64) -> Vec<Effect> {
        let Some(a) = self.attempt.as_mut().filter(|a| a.run == run) else {
            return Vec::new();
        };
        a.last_line = a.last_line.max(line);
        if now_ms.saturating_sub(self.progress_saved_at) < PROGRESS_SAVE_MS {
            return Vec::new();
        }
        self.progress_saved_at = now_ms;
        vec![Effect::SaveProgress {
            job: a.job.clone(),
            line: a.last_line,
        }]
    }

    /// The driver reports the end of run `run`; `last_line` is the last
    /// acknowledged source line.
    pub fn on_ended(
        &mut self,
        run: i64,
        end: AttemptEnd,
        last_line: u64,
        now_ms: i64,
    ) -> Vec<Effect> {
        self.end(run, end, Some(last_line), now_ms)
    }

    fn end(
        &mut self,
        run: i64,
        end: AttemptEnd,
        last_line: Option<u64>,
        now_ms: i64,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        let Some(attempt) = self.attempt.take_if(|a| a.run == run) else {
            return effects;
        };
        let last_line = last_line
            .unwrap_or(attempt.last_line)
            .max(attempt.last_line);
        let extruded = attempt
            .first_extrusion_line
            .is_none_or(|first| last_line >= first);
        if attempt.started && extruded && !self.auto_eject {
            self.bed_full_since.get_or_insert(now_ms);
        }
        let phase = self.phase();
        effects.push(Effect::EndAttempt {
            job: attempt.job,
            attempt: attempt.attempt,
            end,
            last_line,
            bed_full_since: self.bed_full_since,
            phase,
        });
        // That transaction records the printer's state and bed too.
        self.saved = Some((phase.stored(), self.bed_full_since));
        if self.accepts_work() {
            effects.push(Effect::WakeScheduler);
        }
        self.progress_saved_at = i64::MIN;
        effects
    }

    /// Someone took the print off the bed.
    pub fn clear_bed(&mut self) -> Result<Vec<Effect>, Refused> {
        if self.attempt.is_some() || self.bed_full_since.is_none() {
            return Err(self.refuse("clear the bed: it is not awaiting a clear"));
        }
        self.bed_full_since = None;
        let mut effects = Vec::new();
        self.settle(&mut effects);
        Ok(effects)
    }

    /// Checks that a driver command may be sent now.
    pub fn may(&self, action: Action) -> Result<(), Refused> {
        let phase = self.phase();
        let allowed = match action {
            Action::Pause => phase == Phase::Printing,
            Action::Resume => phase == Phase::Paused,
            Action::Cancel => matches!(phase, Phase::Printing | Phase::Paused),
            Action::EmergencyStop => self.link != Link::Down,
            Action::Reset => self.attempt.is_none(),
        };
        if allowed {
            Ok(())
        } else {
            Err(self.refuse(action.verb()))
        }
    }

    fn refuse(&self, action: &'static str) -> Refused {
        Refused::WrongPhase {
            phase: self.phase().as_str(),
            action,
        }
    }
}

/// An operator's or technician's action that goes to the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Pause the job.
    Pause,
    /// Resume the paused job.
    Resume,
    /// Cancel the job (the cancel script runs).
    Cancel,
    /// `M112` now.
    EmergencyStop,
    /// Reconnect and re-handshake (a halted firmware is restarted).
    Reset,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Cancel => "cancel",
            Action::EmergencyStop => "stop",
            Action::Reset => "reset while a job is on it",
        }
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
