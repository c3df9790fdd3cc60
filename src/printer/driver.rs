//! The printer task: opens the port, runs sessions, reconnects with backoff,
//! and turns link events into status and [`PrinterEvent`]s.

use super::adapter::{self, LatencyTimer};
use super::handle::{Reply, Request};
use super::job::{ActiveJob, SCRIPT_LINE};
use super::requests::{queue_script, Queued};
use super::session::SessionEnd;
use super::types::{JobStats, PrinterConfig, PrinterEvent, PrinterState, PrinterStatus};
use crate::domain::FailureCause;
use crate::protocol::{self, Link, LinkEvent, LinkStats};
use std::path::Path;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;
use tokio_serial::SerialPortBuilderExt;

/// Progress events are sent at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// State of one printer task.
pub(crate) struct Driver {
    pub config: PrinterConfig,
    pub requests: mpsc::Receiver<Request>,
    pub status: watch::Sender<PrinterStatus>,
    events: broadcast::Sender<PrinterEvent>,
    owner: Option<mpsc::UnboundedSender<PrinterEvent>>,
    pub job: Option<ActiveJob>,
    /// Requests waiting for everything sent to be acknowledged.
    pub idle_waiters: Vec<Reply>,
    pub origin: Instant,
    job_started: Instant,
    stats_at_start: LinkStats,
    last_progress_event: Instant,
    /// The adapter's latency timer could not be lowered and this was said.
    adapter_refusal_logged: bool,
}

impl Driver {
    pub fn new(
        config: PrinterConfig,
        requests: mpsc::Receiver<Request>,
        status: watch::Sender<PrinterStatus>,
        events: broadcast::Sender<PrinterEvent>,
        owner: Option<mpsc::UnboundedSender<PrinterEvent>>,
    ) -> Self {
        let origin = Instant::now();
        Driver {
            config,
            requests,
            status,
            events,
            owner,
            job: None,
            idle_waiters: Vec::new(),
            origin,
            job_started: origin,
            stats_at_start: LinkStats::default(),
            last_progress_event: origin,
            adapter_refusal_logged: false,
        }
    }

    /// Time since the task started: the link's clock.
    pub fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Opens the port, runs a session, and starts over after a backoff.
    pub async fn run(mut self) {
        let mut backoff = self.config.reconnect_min;
        loop {
            self.set_state(PrinterState::Connecting);
            if let Some(ms) = self.config.adapter_latency_ms {
                self.lower_adapter_latency(ms);
            }
            let opened = tokio_serial::new(self.config.port.to_string_lossy(), self.config.baud)
                .open_native_async();
            let reason = match opened {
                Ok(mut port) => {
                    backoff = self.config.reconnect_min;
                    let end = self.session(&mut port).await;
                    self.release_idle_waiters();
                    match end {
                        SessionEnd::Shutdown => return,
                        SessionEnd::Reset => {
                            tracing::info!(port = %self.config.port.display(), "reset: reconnecting");
                            self.status.send_modify(|s| s.last_error = None);
                            self.set_state(PrinterState::Disconnected);
                            continue;
                        }
                        SessionEnd::Disconnected(reason) => reason,
                    }
                }
                Err(e) => format!("cannot open {}: {e}", self.config.port.display()),
            };
            tracing::warn!(port = %self.config.port.display(), %reason, "printer disconnected");
            self.status
                .send_modify(|s| s.last_error = Some(reason.clone()));
            self.set_state(PrinterState::Disconnected);
            let cause = FailureCause::PrinterDisconnected;
            self.fail_job(format!("disconnected: {reason}"), cause);
            if !self.wait_before_reconnect(backoff).await {
                return;
            }
            backoff = (backoff * 2).min(self.config.reconnect_max);
        }
    }

    /// Lowers the USB-serial adapter's latency timer, if the port has one.
    fn lower_adapter_latency(&mut self, wanted_ms: u32) {
        let port = &self.config.port;
        let sysfs = Path::new(adapter::SYSFS_USB_SERIAL);
        match adapter::lower_latency_timer(port, sysfs, wanted_ms) {
            Ok(LatencyTimer::Lowered { from, to }) => {
                tracing::info!(port = %port.display(), from, to, "adapter latency timer lowered (ms)");
            }
            Ok(LatencyTimer::NotAdjustable | LatencyTimer::AlreadyLow(_)) => {}
            Err(e) if self.adapter_refusal_logged => {
                tracing::debug!(port = %port.display(), "{e}");
            }
            Err(e) => {
                tracing::warn!(port = %port.display(), "{e}");
                self.adapter_refusal_logged = true;
            }
        }
    }

    /// Refuses requests while disconnected (a reset reconnects at once);
    /// false when every handle is gone.
    async fn wait_before_reconnect(&mut self, backoff: Duration) -> bool {
        let until = Instant::now() + backoff;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => return true,
                request = self.requests.recv() => match request {
                    Some(Request::Reset(reply)) => {
                        let _ = reply.send(Ok(()));
                        return true;
                    }
                    Some(Request::WhenIdle(reply)) => {
                        let _ = reply.send(Ok(()));
                    }
                    Some(request) => self.refuse(request),
                    None => return false,
                },
            }
        }
    }

    /// Answers everyone waiting for the link to drain.
    pub fn release_idle_waiters(&mut self) {
        for waiter in self.idle_waiters.drain(..) {
            let _ = waiter.send(Ok(()));
        }
    }

    pub fn state(&self) -> PrinterState {
        self.status.borrow().state
    }

    pub fn set_state(&mut self, state: PrinterState) {
        if self.state() != state {
            self.status.send_modify(|s| s.state = state);
            self.emit(PrinterEvent::StateChanged(state));
        }
    }

    /// Sends an event to the owner (lossless) and to every subscriber.
    pub fn emit(&self, event: PrinterEvent) {
        if let Some(owner) = &self.owner {
            let _ = owner.send(event.clone()); // an owner that left is fine
        }
        let _ = self.events.send(event); // nobody listening is fine
    }

    /// Reacts to one link event; `Err` ends the session.
    pub fn on_link_event(&mut self, event: LinkEvent, link: &mut Link) -> Result<(), SessionEnd> {
        match event {
            LinkEvent::Connected { firmware, .. } => {
                tracing::info!(port = %self.config.port.display(), %firmware, "printer connected");
                self.status.send_modify(|s| s.firmware = Some(firmware));
                self.set_state(PrinterState::Idle);
            }
            LinkEvent::Temperatures(t) => {
                self.status
                    .send_modify(|s| s.temperatures = Some(t.clone()));
                self.emit(PrinterEvent::Temperatures(t));
            }
            LinkEvent::Acked { tag } => self.on_acked(tag),
            LinkEvent::HostAction(action) => self.on_host_action(&action.name, link),
            LinkEvent::Error {
                fatal: true,
                message,
            } => {
                self.status
                    .send_modify(|s| s.last_error = Some(message.clone()));
                self.set_state(PrinterState::Error);
                let cause = if protocol::is_thermal(&message) {
                    FailureCause::PrinterThermal
                } else {
                    FailureCause::PrinterFirmware
                };
                self.fail_job(message, cause);
            }
            LinkEvent::LineRejected { line, count, tag } => {
                let reason = match tag {
                    Some(source) if source != SCRIPT_LINE => format!(
                        "the firmware rejected line {source} of the file {count} times \
                         (too long for its command buffer?)"
                    ),
                    _ => format!("the firmware rejected serial line {line} {count} times"),
                };
                tracing::warn!(port = %self.config.port.display(), %reason, "giving up on a line");
                self.status
                    .send_modify(|s| s.last_error = Some(reason.clone()));
                self.fail_job_and_stop(reason, FailureCause::JobLineRejected, link);
            }
            LinkEvent::Error {
                fatal: false,
                message,
            } => {
                tracing::warn!(%message, "firmware error");
                self.status.send_modify(|s| s.last_error = Some(message));
            }
            LinkEvent::Reset => {
                self.set_state(PrinterState::Connecting);
                self.fail_job("printer reset".to_owned(), FailureCause::PrinterReset);
            }
            LinkEvent::Lost => {
                return Err(SessionEnd::Disconnected("printer stopped answering".into()))
            }
            LinkEvent::Busy(text) | LinkEvent::Echo(text) => tracing::debug!(%text, "printer says"),
        }
        Ok(())
    }

    fn on_acked(&mut self, line: u64) {
        if line == SCRIPT_LINE {
            return; // a start or end script: not part of the file's progress
        }
        let elapsed = self.job_started.elapsed();
        let Some(job) = self.job.as_mut() else { return };
        job.acked(line, elapsed);
        let progress = job.progress.clone();
        self.status.send_modify(|s| s.job = Some(progress.clone()));
        if self.last_progress_event.elapsed() >= PROGRESS_EVERY {
            self.last_progress_event = Instant::now();
            self.emit(PrinterEvent::Progress(progress));
        }
    }

    /// Remembers where a job starts, for its counters.
    pub fn job_started(&mut self, job: ActiveJob, link: &Link) {
        self.job_started = Instant::now();
        self.stats_at_start = link.stats();
        self.status
            .send_modify(|s| s.job = Some(job.progress.clone()));
        self.job = Some(job);
        self.set_state(PrinterState::Printing);
    }

    /// Ends the job when every line was read and acknowledged.
    pub fn finish_if_done(&mut self, link: &Link) {
        let done = self
            .job
            .as_ref()
            .is_some_and(|j| j.source_done && !j.paused && link.is_idle());
        if !done {
            return;
        }
        let Some(job) = self.job.take() else { return };
        let now = link.stats();
        let stats = JobStats {
            lines_sent: now.lines_sent - self.stats_at_start.lines_sent,
            bytes_sent: now.bytes_sent - self.stats_at_start.bytes_sent,
            resends: now.resends - self.stats_at_start.resends,
            duration: self.job_started.elapsed(),
        };
        self.emit(PrinterEvent::Progress(job.progress.clone()));
        self.status.send_modify(|s| s.job = None);
        self.set_state(PrinterState::Idle);
        self.emit(PrinterEvent::JobFinished {
            job_id: job.id,
            stats,
        });
    }

    /// Fails the running job, drops what is left of it in the link and runs
    /// the cancel script, so the printer is left safe and ready.
    pub fn fail_job_and_stop(&mut self, reason: String, cause: FailureCause, link: &mut Link) {
        if self.job.is_none() {
            return;
        }
        link.cancel_job();
        queue_script(&self.config.scripts.cancel, Queued::AheadOfJob, link);
        self.fail_job(reason, cause);
    }

    /// Fails the running job, if any.
    pub fn fail_job(&mut self, reason: String, cause: FailureCause) {
        let Some(job) = self.job.take() else { return };
        tracing::warn!(job = job.id, %reason, "job failed");
        self.status.send_modify(|s| s.job = None);
        if matches!(self.state(), PrinterState::Printing | PrinterState::Paused) {
            self.set_state(PrinterState::Idle);
        }
        self.emit(PrinterEvent::JobFailed {
            job_id: job.id,
            cause,
            reason,
            last_acked_line: job.progress.last_acked_line,
        });
    }
}
