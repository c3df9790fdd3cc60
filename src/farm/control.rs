//! The API's view of the farm: live state from the drivers, commands to them.

use super::Farm;
use crate::api::{ControlError, FarmControl, LivePrinter, PrinterCommand, Temperature};
use crate::printer::{PrinterError, PrinterState};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::sync::Arc;
use tokio::sync::Notify;

/// Implements [`FarmControl`] over a started farm's fleet.
pub struct FleetControl {
    fleet: Arc<super::Fleet>,
    wake: Arc<Notify>,
}

impl FleetControl {
    /// Control over `farm`'s printers.
    pub fn new(farm: &Farm) -> Self {
        FleetControl {
            fleet: farm.fleet.clone(),
            wake: farm.wake.clone(),
        }
    }
}

fn state_name(state: PrinterState) -> &'static str {
    match state {
        PrinterState::Disconnected => "disconnected",
        PrinterState::Connecting => "connecting",
        PrinterState::Idle => "idle",
        PrinterState::Printing => "printing",
        PrinterState::Paused => "paused",
        PrinterState::Error => "error",
    }
}

impl FarmControl for FleetControl {
    fn live_printers(&self) -> Vec<LivePrinter> {
        self.fleet
            .slots()
            .iter()
            .map(|slot| {
                let status = slot.handle.status();
                let progress = status.job.as_ref().and_then(|j| {
                    (j.bytes_total > 0).then(|| j.bytes_acked as f64 / j.bytes_total as f64)
                });
                let temperatures = status
                    .temperatures
                    .iter()
                    .flat_map(|t| &t.readings)
                    .map(|r| Temperature {
                        heater: r.sensor.clone(),
                        actual_c: r.actual,
                        target_c: r.target.unwrap_or(0.0),
                    })
                    .collect();
                LivePrinter {
                    name: slot.profile.name.clone(),
                    state: state_name(status.state).to_string(),
                    connected: !matches!(
                        status.state,
                        PrinterState::Disconnected | PrinterState::Connecting
                    ),
                    job_id: slot.current_job(),
                    progress,
                    temperatures,
                    eta_s: status
                        .job
                        .as_ref()
                        .and_then(|j| j.eta)
                        .map(|d| d.as_secs_f64()),
                    last_error: status.last_error,
                }
            })
            .collect()
    }

    fn command(
        &self,
        printer: &str,
        command: PrinterCommand,
    ) -> BoxFuture<'static, Result<(), ControlError>> {
        let Some(slot) = self.fleet.slot(printer).cloned() else {
            let printer = printer.to_string();
            return async move { Err(ControlError::UnknownPrinter { printer }) }.boxed();
        };
        async move {
            let handle = &slot.handle;
            let result = match command {
                PrinterCommand::Pause => handle.pause().await,
                PrinterCommand::Resume => handle.resume().await,
                PrinterCommand::Cancel => handle.cancel().await,
                PrinterCommand::EmergencyStop => handle.emergency_stop().await,
            };
            result.map_err(|e| match e {
                PrinterError::Stopped => ControlError::Unavailable {
                    reason: e.to_string(),
                },
                other => ControlError::NotPossible {
                    reason: other.to_string(),
                },
            })
        }
        .boxed()
    }

    fn wake_scheduler(&self) {
        self.wake.notify_one();
    }
}
