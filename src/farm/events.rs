//! Turns one printer's driver events into store transitions.

use super::fleet::PrinterSlot;
use crate::printer::{PrinterEvent, PrinterState as DriverState};
use crate::store::{JobState, PrinterState, Store};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Notify;

/// Watches one printer.
pub struct EventWatcher {
    store: Store,
    slot: Arc<PrinterSlot>,
    wake: Arc<Notify>,
    shutting_down: Arc<AtomicBool>,
}

impl EventWatcher {
    /// A watcher for `slot`.
    pub fn new(
        store: Store,
        slot: Arc<PrinterSlot>,
        wake: Arc<Notify>,
        shutting_down: Arc<AtomicBool>,
    ) -> Self {
        EventWatcher {
            store,
            slot,
            wake,
            shutting_down,
        }
    }

    fn name(&self) -> &str {
        &self.slot.profile.name
    }

    /// Runs until the driver stops.
    pub async fn run(self) {
        let mut events = self.slot.handle.subscribe();
        self.on_state(self.slot.handle.status().state).await;
        loop {
            match events.recv().await {
                Ok(event) => {
                    if self.shutting_down.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Err(e) = self.on_event(event).await {
                        tracing::error!(printer = %self.name(), "store update failed: {e:#}");
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(printer = %self.name(), "missed {n} driver events")
                }
                Err(RecvError::Closed) => return,
            }
        }
    }

    async fn on_event(&self, event: PrinterEvent) -> anyhow::Result<()> {
        match event {
            PrinterEvent::StateChanged(state) => {
                self.job_follows(state).await;
                self.on_state(state).await;
            }
            PrinterEvent::Progress(p) => {
                if let Some(job) = self.slot.job_of_run(p.job_id) {
                    self.store
                        .record_progress(&job, i64::try_from(p.last_acked_line).unwrap_or(i64::MAX))
                        .await?;
                }
            }
            PrinterEvent::Temperatures(_) => {}
            PrinterEvent::JobFinished { job_id, .. } => {
                if let Some(job) = self.slot.job_of_run(job_id) {
                    self.bed_now_full().await?;
                    self.store.complete(&job).await?;
                    self.slot.clear_current(job_id);
                    tracing::info!(printer = %self.name(), %job, "completed");
                }
            }
            PrinterEvent::JobFailed {
                job_id,
                reason,
                printer_caused,
                last_acked_line,
            } => {
                if let Some(job) = self.slot.job_of_run(job_id) {
                    self.store
                        .record_progress(&job, i64::try_from(last_acked_line).unwrap_or(i64::MAX))
                        .await?;
                    self.bed_now_full().await?;
                    let outcome = self.store.fail(&job, &reason, printer_caused).await?;
                    self.slot.clear_current(job_id);
                    tracing::warn!(printer = %self.name(), %job, %reason, ?outcome, "failed");
                }
            }
            PrinterEvent::JobCancelled { job_id, .. } => {
                if let Some(job) = self.slot.job_of_run(job_id) {
                    self.bed_now_full().await?;
                    // The API may have cancelled it in the store already.
                    let _ = self.store.cancel(&job).await;
                    self.slot.clear_current(job_id);
                }
            }
        }
        self.wake.notify_one();
        Ok(())
    }

    /// A print ended (however): the bed holds a part until someone clears it,
    /// unless the printer ejects parts itself. Set before the job leaves the
    /// active states, so the scheduler never sees a full bed as free.
    async fn bed_now_full(&self) -> anyhow::Result<()> {
        let state = if self.slot.profile.auto_eject {
            PrinterState::Idle
        } else {
            PrinterState::AwaitingClear
        };
        self.store.set_printer_state(self.name(), state).await?;
        Ok(())
    }

    /// Pausing and resuming on the printer moves its job between
    /// `printing` and `paused` in the store.
    async fn job_follows(&self, state: DriverState) {
        let Some(job) = self.slot.current_job() else {
            return;
        };
        let result = match state {
            DriverState::Paused => self.store.pause(&job).await,
            DriverState::Printing => match self.store.get_job(&job).await {
                Ok(record) if record.state == JobState::Paused => self.store.resume(&job).await,
                _ => Ok(()),
            },
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(printer = %self.name(), %job, "job state not updated: {e}");
        }
    }

    async fn on_state(&self, state: DriverState) {
        let current = match self.store.get_printer(self.name()).await {
            Ok(record) => record.state,
            Err(e) => return tracing::error!(printer = %self.name(), "reading printer: {e}"),
        };
        let next = match (state, current) {
            // A full bed stays full whatever the link does.
            (_, PrinterState::AwaitingClear) => return,
            (DriverState::Idle, PrinterState::Busy) if self.slot.current_job().is_some() => return,
            (DriverState::Idle, _) => PrinterState::Idle,
            (DriverState::Printing | DriverState::Paused, _) => PrinterState::Busy,
            (DriverState::Error, _) => PrinterState::Error,
            (DriverState::Disconnected | DriverState::Connecting, _) => PrinterState::Offline,
        };
        if next != current {
            if let Err(e) = self.store.set_printer_state(self.name(), next).await {
                tracing::error!(printer = %self.name(), "setting state: {e}");
            }
        }
    }
}
