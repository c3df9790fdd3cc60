//! The supervisor task: its inputs, its effects, its shutdown.

mod service;

use super::{Request, SupervisorHandle};
use crate::api::maintenance::MaintenanceView;
use crate::api::{ControlError, PrinterAction, PrinterView};
use crate::config::PrinterProfile;
use crate::domain::{Action, AttemptEnd, Effect, FailureCause, Lifecycle, Link};
use crate::files::cache;
use crate::metrics::FarmMetrics;
use crate::printer::{
    JobSource, PrinterError, PrinterEvent, PrinterHandle, PrinterState, PrinterStatus,
};
use crate::sim::SimReset;
use crate::store::{now_ms, AttemptEnding, AttemptStart, JobOutcome, Store, ToolLoad};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify};

/// How long shutdown waits for the cancel script to be acknowledged.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(5);

/// What a supervisor is made of.
pub(crate) struct SupervisorParts {
    /// The printer's profile.
    pub profile: PrinterProfile,
    /// Its driver.
    pub driver: PrinterHandle,
    /// Every event of the driver, in order.
    pub events: mpsc::UnboundedReceiver<PrinterEvent>,
    /// Power-cycles a simulated printer's board on a reset.
    pub sim_reset: Option<SimReset>,
    /// The store.
    pub store: Store,
    /// Wakes the scheduler.
    pub wake: Arc<Notify>,
    /// Since when a print is on the bed, as the store knew at start.
    pub bed_full_since: Option<i64>,
    /// Where attempts' outcomes are counted.
    pub metrics: Arc<FarmMetrics>,
    /// What each tool has loaded.
    pub loaded: Vec<ToolLoad>,
    /// The farm's data directory, where job files fetched from the
    /// database are kept.
    pub data_dir: PathBuf,
}

/// What the metrics need of the running attempt.
struct Running {
    started_ms: i64,
    filament_mm: Option<f64>,
}

/// One printer's supervisor (see the module docs).
pub(crate) struct Supervisor {
    parts: SupervisorParts,
    status: watch::Receiver<PrinterStatus>,
    life: Lifecycle,
    view: watch::Sender<PrinterView>,
    requests: mpsc::Receiver<Request>,
    since: i64,
    shutting_down: bool,
    running: Option<Running>,
    maintenance: MaintenanceView,
}

/// The lifecycle's view of a driver state.
fn link_of(state: PrinterState) -> Link {
    match state {
        PrinterState::Disconnected | PrinterState::Connecting => Link::Down,
        PrinterState::Idle => Link::Ready,
        PrinterState::Printing => Link::Printing,
        PrinterState::Paused => Link::Paused,
        PrinterState::Error => Link::Halted,
    }
}

/// Why the driver would not start a job, as a failure cause.
fn start_failure(error: &PrinterError) -> FailureCause {
    match error {
        PrinterError::JobFile { cause, .. } => *cause,
        PrinterError::WrongState(..) => FailureCause::PrinterUnavailable,
        PrinterError::Stopped => FailureCause::HostRestart,
    }
}

fn not_possible(reason: impl ToString) -> ControlError {
    ControlError::NotPossible {
        reason: reason.to_string(),
    }
}

impl Supervisor {
    /// Starts the supervisor task; returns its handle.
    pub(crate) fn spawn(parts: SupervisorParts) -> SupervisorHandle {
        let name = parts.profile.name.clone();
        let life = Lifecycle::new(parts.profile.auto_eject, parts.bed_full_since);
        let status = parts.driver.watch_status();
        let since = now_ms();
        let maintenance = MaintenanceView {
            thresholds: parts.profile.service,
            ..MaintenanceView::default()
        };
        let initial = super::view::build(
            &name,
            &life,
            &status.borrow(),
            since,
            &maintenance,
            &parts.loaded,
        );
        let (view, view_rx) = watch::channel(initial);
        let (requests_tx, requests) = mpsc::channel(64);
        let supervisor = Supervisor {
            parts,
            status,
            life,
            view,
            requests,
            since,
            shutting_down: false,
            running: None,
            maintenance,
        };
        tokio::spawn(supervisor.run());
        SupervisorHandle {
            name,
            requests: requests_tx,
            view: view_rx,
        }
    }

    fn name(&self) -> &str {
        &self.parts.profile.name
    }

    async fn run(mut self) {
        // Due for service or not, before the printer can look free.
        let mut effects = self.refresh_maintenance().await;
        let first = link_of(self.status.borrow().state);
        effects.extend(self.life.on_link(first));
        self.apply(effects).await;
        loop {
            tokio::select! {
                biased;
                event = self.parts.events.recv() => match event {
                    Some(event) => self.on_driver_event(event).await,
                    None => return tracing::error!(printer = %self.name(), "driver task ended"),
                },
                request = self.requests.recv() => match request {
                    Some(Request::Shutdown { reply }) => {
                        self.shutdown().await;
                        let _ = reply.send(());
                        return;
                    }
                    Some(request) => self.on_request(request).await,
                    None => return self.shutdown().await,
                },
                changed = self.status.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    self.publish();
                }
            }
        }
    }

    async fn on_request(&mut self, request: Request) {
        match request {
            Request::Offer { job, reply } => {
                let taken = self.offer(&job).await;
                let _ = reply.send(taken);
            }
            Request::Act { action, reply } => {
                let result = self.act(action).await;
                let _ = reply.send(result);
            }
            Request::Service { by, reply } => {
                let result = self.confirm_service(by).await;
                let _ = reply.send(result);
            }
            Request::CancelJob { job, reply } => {
                let on_printer = self.life.attempt().is_some_and(|a| a.job == job);
                let result = if on_printer {
                    self.act(PrinterAction::Cancel).await
                } else {
                    Err(not_possible(format!("job {job} is not on {}", self.name())))
                };
                let _ = reply.send(result);
            }
            Request::Load { loads, reply } => {
                let result = self.load(loads).await;
                let _ = reply.send(result);
            }
            Request::Shutdown { .. } => {}
        }
    }

    /// Records a new load (a technician changed the material): refused
    /// while a job is on the printer.
    async fn load(&mut self, loads: Vec<ToolLoad>) -> Result<(), ControlError> {
        if let Some(attempt) = self.life.attempt() {
            return Err(not_possible(format!(
                "job {} is on {}; change the material when it has ended",
                attempt.job,
                self.name()
            )));
        }
        if let Err(e) = self
            .parts
            .store
            .set_printer_loads(self.name(), &loads)
            .await
        {
            tracing::error!(printer = %self.name(), "saving the load failed: {e}");
            return Err(ControlError::Unavailable {
                reason: "the store could not record the change".to_owned(),
            });
        }
        self.parts.loaded = loads;
        self.publish();
        self.parts.wake.notify_one();
        Ok(())
    }

    /// Claims `job` for this printer and starts it on the driver.
    async fn offer(&mut self, job: &str) -> bool {
        let Ok(run) = self.life.offer(job) else {
            return false;
        };
        let claim = self.parts.store.begin_attempt(job, self.name()).await;
        let start = match claim {
            Ok(Some(start)) => start,
            Ok(None) => {
                let effects = self.life.on_claim_lost(run);
                self.apply(effects).await;
                return false;
            }
            Err(e) => {
                tracing::error!(printer = %self.name(), %job, "claim failed: {e}");
                let effects = self.life.on_claim_lost(run);
                self.apply(effects).await;
                return false;
            }
        };
        self.life
            .on_claimed(run, &start.attempt, start.first_extrusion_line);
        let metrics = &self.parts.metrics;
        metrics
            .queue_wait_seconds
            .observe(start.queue_wait_ms as f64 / 1000.0);
        self.running = Some(Running {
            started_ms: now_ms(),
            filament_mm: start.filament_mm,
        });
        let effects = match self.start_claimed(run, &start).await {
            Ok(()) => {
                tracing::info!(printer = %self.name(), %job, "started");
                self.life.on_started(run)
            }
            Err((cause, reason)) => {
                tracing::warn!(printer = %self.name(), %job, "could not start: {reason}");
                self.life.on_start_failed(run, cause, reason, now_ms())
            }
        };
        self.apply(effects).await;
        true
    }

    /// Gets the job's file on this host (from the database when it is not
    /// here) and starts the job on the driver.
    async fn start_claimed(
        &self,
        run: i64,
        start: &AttemptStart,
    ) -> Result<(), (FailureCause, String)> {
        let wanted = cache::Wanted {
            sha256: &start.sha256,
            size_bytes: u64::try_from(start.size_bytes).unwrap_or(u64::MAX),
            path_hint: Path::new(&start.file_path),
        };
        let path = cache::local_copy(&self.parts.store, wanted, &self.parts.data_dir)
            .await
            .map_err(|e| (e.cause(), e.to_string()))?;
        self.parts
            .driver
            .start_job(run, JobSource::File(path))
            .await
            .map_err(|e| (start_failure(&e), e.to_string()))
    }

    async fn act(&mut self, action: PrinterAction) -> Result<(), ControlError> {
        let driver_action = match action {
            PrinterAction::ClearBed => {
                let effects = self.life.clear_bed().map_err(not_possible)?;
                self.apply(effects).await;
                return Ok(());
            }
            PrinterAction::Pause => Action::Pause,
            PrinterAction::Resume => Action::Resume,
            PrinterAction::Cancel => Action::Cancel,
            PrinterAction::EmergencyStop => Action::EmergencyStop,
            PrinterAction::Reset => Action::Reset,
        };
        self.life.may(driver_action).map_err(not_possible)?;
        let driver = &self.parts.driver;
        let result = match driver_action {
            Action::Pause => driver.pause().await,
            Action::Resume => driver.resume().await,
            Action::Cancel => driver.cancel().await,
            Action::EmergencyStop => driver.emergency_stop().await,
            Action::Reset => {
                if let Some(board) = &self.parts.sim_reset {
                    board.trigger();
                }
                driver.reset().await
            }
        };
        result.map_err(|e| match e {
            PrinterError::Stopped => ControlError::Unavailable {
                reason: e.to_string(),
            },
            other => not_possible(other),
        })?;
        // What the driver did is already in its event channel: settle it
        // before answering, so the answer and the view agree.
        self.drain_driver_events().await;
        Ok(())
    }

    async fn drain_driver_events(&mut self) {
        while let Ok(event) = self.parts.events.try_recv() {
            self.on_driver_event(event).await;
        }
    }

    async fn on_driver_event(&mut self, event: PrinterEvent) {
        let now = now_ms();
        let effects = match event {
            PrinterEvent::StateChanged(state) => self.life.on_link(link_of(state)),
            PrinterEvent::Progress(p) => self.life.on_progress(p.job_id, p.last_acked_line, now),
            PrinterEvent::Temperatures(_) => Vec::new(),
            PrinterEvent::JobFinished { job_id, .. } => {
                self.life.on_ended(job_id, AttemptEnd::Completed, 0, now)
            }
            PrinterEvent::JobFailed {
                job_id,
                cause,
                reason,
                last_acked_line,
            } => {
                let end = AttemptEnd::Failed { cause, reason };
                self.life.on_ended(job_id, end, last_acked_line, now)
            }
            PrinterEvent::JobCancelled {
                job_id,
                last_acked_line,
            } => {
                let end = if self.shutting_down {
                    AttemptEnd::Failed {
                        cause: FailureCause::HostRestart,
                        reason: "printfarm stopped".to_owned(),
                    }
                } else {
                    AttemptEnd::Failed {
                        cause: FailureCause::OperatorCancel,
                        reason: "cancelled".to_owned(),
                    }
                };
                self.life.on_ended(job_id, end, last_acked_line, now)
            }
        };
        self.apply(effects).await;
    }

    /// Carries out the lifecycle's effects in order (and those they lead
    /// to), then publishes.
    async fn apply(&mut self, effects: Vec<Effect>) {
        let mut queue = VecDeque::from(effects);
        while let Some(effect) = queue.pop_front() {
            match self.apply_one(effect).await {
                Ok(more) => queue.extend(more),
                Err(e) => tracing::error!(printer = %self.name(), "store update failed: {e}"),
            }
        }
        self.publish();
    }

    /// Carries out one effect; returns the effects it leads to.
    async fn apply_one(&mut self, effect: Effect) -> Result<Vec<Effect>, crate::store::StoreError> {
        let store = &self.parts.store;
        match effect {
            Effect::SaveState {
                phase,
                bed_full_since,
            } => store
                .save_printer_state(self.name(), phase, bed_full_since)
                .await
                .map(|()| Vec::new()),
            Effect::SaveProgress { job, line } => store
                .save_progress(&job, self.name(), line)
                .await
                .map(|()| Vec::new()),
            Effect::SavePaused { job, paused } => {
                store.save_paused(&job, paused).await.map(|()| Vec::new())
            }
            Effect::EndAttempt {
                job,
                attempt,
                end,
                last_line,
                bed_full_since,
                phase,
            } => {
                let ending = AttemptEnding {
                    printer: self.name().to_owned(),
                    job: job.clone(),
                    attempt,
                    end,
                    last_line,
                    bed_full_since,
                    phase,
                };
                let outcome = store.end_attempt(&ending).await?;
                tracing::info!(printer = %self.name(), %job, ?outcome, "attempt ended");
                self.count_end(&ending.end, outcome);
                // The odometer advanced in that transaction.
                Ok(self.refresh_maintenance().await)
            }
            Effect::WakeScheduler => {
                self.parts.wake.notify_one();
                Ok(Vec::new())
            }
        }
    }

    /// Counts an ended attempt in the metrics.
    fn count_end(&mut self, end: &AttemptEnd, outcome: JobOutcome) {
        let metrics = &self.parts.metrics;
        let printer = FarmMetrics::printer(&self.parts.profile.name);
        if let Some(running) = self.running.take() {
            let seconds = (now_ms() - running.started_ms).max(0) as f64 / 1000.0;
            metrics
                .print_seconds
                .get_or_create(&printer)
                .inc_by(seconds);
            metrics.print_duration_seconds.observe(seconds);
            if outcome == JobOutcome::Completed {
                let filament = running.filament_mm.unwrap_or(0.0);
                metrics
                    .filament_millimetres
                    .get_or_create(&printer)
                    .inc_by(filament);
            }
        }
        if let AttemptEnd::Failed { cause, .. } = end {
            let label = FarmMetrics::cause(cause.code());
            metrics.attempts_failed.get_or_create(&label).inc();
        }
        match outcome {
            JobOutcome::Completed => {
                metrics.jobs_completed.inc();
            }
            JobOutcome::Failed { cause } => {
                let label = FarmMetrics::cause(cause.code());
                metrics.jobs_failed.get_or_create(&label).inc();
            }
            _ => {}
        }
    }

    fn publish(&mut self) {
        let phase = self.life.phase();
        let now = now_ms();
        if self.view.borrow().state != phase {
            self.since = now;
        }
        let view = super::view::build(
            self.name(),
            &self.life,
            &self.status.borrow(),
            self.since,
            &self.maintenance,
            &self.parts.loaded,
        );
        self.view.send_replace(view);
    }

    /// Leaves the printer safe: a running job is cancelled (its cancel
    /// script runs; the attempt ends as interrupted by the host, so the job
    /// goes back to the queue without spending its printer budget).
    async fn shutdown(&mut self) {
        self.shutting_down = true;
        if self.life.attempt().is_some() {
            if let Err(e) = self.parts.driver.cancel().await {
                tracing::warn!(printer = %self.name(), "could not cancel on shutdown: {e}");
            }
            self.drain_driver_events().await;
            let drained = tokio::time::timeout(SHUTDOWN_DRAIN, self.parts.driver.when_idle()).await;
            if drained.is_err() {
                tracing::warn!(printer = %self.name(), "cancel script not acknowledged in time");
            }
        }
    }
}
