//! The running farm as the API sees it: live printer state and commands to
//! printer drivers, behind a trait so the API never touches a serial port.

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// What the API needs from the running farm besides the store.
pub trait FarmControl: Send + Sync + 'static {
    /// Live state of every printer (state, job id, progress 0..1, temperatures, ETA seconds, last error).
    fn live_printers(&self) -> Vec<LivePrinter>;
    /// Sends a command to a printer's driver: pause, resume, cancel (the current job), emergency stop.
    fn command(
        &self,
        printer: &str,
        command: PrinterCommand,
    ) -> BoxFuture<'static, Result<(), ControlError>>;
    /// Wakes the scheduler after something changed (new job, bed cleared).
    fn wake_scheduler(&self);
}

/// One printer as its driver sees it right now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LivePrinter {
    /// Printer name from `printers.toml`.
    pub name: String,
    /// Driver state in words (`connecting`, `idle`, `printing`, `paused`, `error`, …).
    pub state: String,
    /// Whether the driver is connected to the firmware.
    pub connected: bool,
    /// The job being printed.
    pub job_id: Option<String>,
    /// Fraction of the job sent and acknowledged, 0..=1.
    pub progress: Option<f64>,
    /// Latest temperature reports.
    pub temperatures: Vec<Temperature>,
    /// Estimated seconds until the job finishes.
    pub eta_s: Option<f64>,
    /// The last error the driver saw.
    pub last_error: Option<String>,
}

/// One heater's reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Temperature {
    /// Heater name: `T0`, `T1`, `B` (bed), `C` (chamber).
    pub heater: String,
    /// Measured °C.
    pub actual_c: f64,
    /// Target °C (0 when off).
    pub target_c: f64,
}

/// A command for one printer's driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterCommand {
    /// Pause the current job.
    Pause,
    /// Resume the paused job.
    Resume,
    /// Cancel the current job.
    Cancel,
    /// Emergency stop (`M112`).
    EmergencyStop,
}

/// Why a printer command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ControlError {
    /// No driver has this name.
    #[error("unknown printer {printer:?}")]
    UnknownPrinter {
        /// The name given.
        printer: String,
    },
    /// The command makes no sense in the printer's current state.
    #[error("not possible now: {reason}")]
    NotPossible {
        /// Why, in words.
        reason: String,
    },
    /// The driver cannot be reached (farm shutting down, driver crashed).
    #[error("printer control unavailable: {reason}")]
    Unavailable {
        /// Why, in words.
        reason: String,
    },
}
