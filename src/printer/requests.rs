//! Serving the requests of [`super::PrinterHandle`] inside the task.

use super::driver::Driver;
use super::handle::{Reply, Request};
use super::job::{ActiveJob, SCRIPT_LINE};
use super::types::{JobId, JobSource, PrinterError, PrinterEvent, PrinterState};
use crate::domain::FailureCause;
use crate::protocol::Link;

impl Driver {
    /// Answers one request while connected.
    pub(crate) fn serve(&mut self, request: Request, link: &mut Link) {
        let (reply, result) = match request {
            Request::StartJob { id, source, reply } => (reply, self.start(id, source, link)),
            Request::Pause(reply) => (reply, self.pause(link, true)),
            Request::Resume(reply) => (reply, self.resume(link, true)),
            Request::Cancel(reply) => (reply, self.cancel(link)),
            Request::EmergencyStop(reply) => (reply, self.emergency_stop(link)),
            Request::WhenIdle(reply) => {
                if link.is_idle() {
                    let _ = reply.send(Ok(()));
                } else {
                    self.idle_waiters.push(reply);
                }
                return;
            }
            Request::Reset(reply) => (reply, Ok(())), // handled by the session
        };
        let _ = reply.send(result); // the asker may have given up
    }

    /// Answers a request while disconnected.
    pub(crate) fn refuse(&mut self, request: Request) {
        let (reply, what): (Reply, _) = match request {
            Request::StartJob { reply, .. } => (reply, "start a job"),
            Request::Pause(reply) => (reply, "pause"),
            Request::Resume(reply) => (reply, "resume"),
            Request::Cancel(reply) => (reply, "cancel"),
            Request::EmergencyStop(reply) => (reply, "stop"),
            Request::WhenIdle(reply) | Request::Reset(reply) => {
                let _ = reply.send(Ok(()));
                return;
            }
        };
        let _ = reply.send(Err(PrinterError::WrongState(self.state(), what)));
    }

    fn expect(&self, state: PrinterState, what: &'static str) -> Result<(), PrinterError> {
        if self.state() == state {
            Ok(())
        } else {
            Err(PrinterError::WrongState(self.state(), what))
        }
    }

    fn start(&mut self, id: JobId, source: JobSource, link: &mut Link) -> Result<(), PrinterError> {
        self.expect(PrinterState::Idle, "start a job")?;
        let job = ActiveJob::start(id, source)?;
        self.job_started(job, link);
        queue_script(&self.config.scripts.start, Queued::AsJobLines, link);
        Ok(())
    }

    /// Pauses; `with_script` is false when the firmware asked (it parks itself).
    pub(crate) fn pause(&mut self, link: &mut Link, with_script: bool) -> Result<(), PrinterError> {
        self.expect(PrinterState::Printing, "pause")?;
        link.hold_job(true);
        if with_script {
            queue_script(&self.config.scripts.pause, Queued::AheadOfJob, link);
        }
        if let Some(job) = self.job.as_mut() {
            job.paused = true;
        }
        self.set_state(PrinterState::Paused);
        Ok(())
    }

    /// Resumes; `with_script` is false when the firmware asked.
    pub(crate) fn resume(
        &mut self,
        link: &mut Link,
        with_script: bool,
    ) -> Result<(), PrinterError> {
        self.expect(PrinterState::Paused, "resume")?;
        if with_script {
            queue_script(&self.config.scripts.resume, Queued::AheadOfJob, link);
        }
        link.hold_job(false);
        if let Some(job) = self.job.as_mut() {
            job.paused = false;
        }
        self.set_state(PrinterState::Printing);
        Ok(())
    }

    pub(crate) fn cancel(&mut self, link: &mut Link) -> Result<(), PrinterError> {
        let Some(job) = self.job.take() else {
            return Err(PrinterError::WrongState(self.state(), "cancel"));
        };
        link.cancel_job();
        queue_script(&self.config.scripts.cancel, Queued::AheadOfJob, link);
        self.status.send_modify(|s| s.job = None);
        self.set_state(PrinterState::Idle);
        self.emit(PrinterEvent::JobCancelled {
            job_id: job.id,
            last_acked_line: job.progress.last_acked_line,
        });
        Ok(())
    }

    fn emergency_stop(&mut self, link: &mut Link) -> Result<(), PrinterError> {
        link.emergency_stop();
        self.status
            .send_modify(|s| s.last_error = Some("emergency stop".to_owned()));
        self.set_state(PrinterState::Error);
        self.fail_job(
            "emergency stop".to_owned(),
            FailureCause::OperatorEmergencyStop,
        );
        Ok(())
    }

    /// Acts on `//action:` requests from the firmware.
    pub(crate) fn on_host_action(&mut self, name: &str, link: &mut Link) {
        let result = match name {
            "pause" | "paused" if self.state() == PrinterState::Printing => self.pause(link, false),
            "resume" | "resumed" if self.state() == PrinterState::Paused => {
                self.resume(link, false)
            }
            "cancel" if self.job.is_some() => self.cancel(link),
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(%e, action = name, "host action ignored");
        }
    }
}

/// Where a script goes in the link's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Queued {
    /// Ahead of the job lines not sent yet (pause, resume, cancel).
    AheadOfJob,
    /// As lines of the running job (start, end): held by a pause, dropped
    /// by a cancel, acknowledged before the job finishes.
    AsJobLines,
}

/// Queues each command of `script`; one the link refuses is logged and skipped.
pub(crate) fn queue_script(script: &[String], queued: Queued, link: &mut Link) {
    for command in script {
        let result = match queued {
            Queued::AheadOfJob => link.queue_priority(command),
            Queued::AsJobLines => link.queue_command(command, SCRIPT_LINE),
        };
        if let Err(e) = result {
            tracing::warn!(%e, "script command skipped");
        }
    }
}
