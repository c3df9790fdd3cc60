//! The running farm as the API sees it: every printer's state from its
//! supervisor (the one place it lives), and actions sent to supervisors,
//! behind a trait so the API never touches a serial port.

use crate::domain::Phase;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// What the API needs from the running farm besides the store.
pub trait FarmControl: Send + Sync + 'static {
    /// Every printer, in `printers.toml` order.
    fn printers(&self) -> Vec<PrinterView>;
    /// An action on one printer, carried out by its supervisor.
    fn act(
        &self,
        printer: &str,
        action: PrinterAction,
    ) -> BoxFuture<'static, Result<(), ControlError>>;
    /// Cancels `job` on `printer`, where it is running; resolves once the
    /// attempt has been ended in the store.
    fn cancel_job(&self, printer: &str, job: &str) -> BoxFuture<'static, Result<(), ControlError>>;
    /// Records a service of `printer` confirmed by `by` (an API key id),
    /// through its supervisor: the odometer is reset and a printer that
    /// was due takes work again.
    fn confirm_service(
        &self,
        printer: &str,
        by: Option<String>,
    ) -> BoxFuture<'static, Result<(), ControlError>>;
    /// Records what `printer` has loaded now (a technician changed it).
    fn load_material(
        &self,
        printer: &str,
        loads: Vec<crate::store::ToolLoad>,
    ) -> BoxFuture<'static, Result<(), ControlError>>;
    /// The scheduler's latest forecast.
    fn forecast(&self) -> std::sync::Arc<Forecast>;
    /// Material changes the scheduler is waiting for.
    fn material_changes(&self) -> Vec<MaterialChange>;
    /// Wakes the scheduler after something changed (new job, released job).
    fn wake_scheduler(&self);
    /// Queued jobs, newest first, at most `limit`, only `owner`'s when
    /// given: from the farm's in-memory queue, as current as every write
    /// made before the call.
    fn queued_jobs(
        &self,
        owner: Option<String>,
        limit: usize,
    ) -> BoxFuture<'static, Vec<crate::store::JobRecord>>;
}

/// One printer as the farm knows it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrinterView {
    /// Name from `printers.toml`.
    pub name: String,
    /// Farm state: `offline`, `idle`, `assigned`, `printing`, `paused`,
    /// `awaiting_clear` or `error`.
    pub state: Phase,
    /// Unix ms of the last change of `state`.
    pub since: i64,
    /// The serial link: `disconnected`, `connecting`, `connected` or `halted`.
    pub connection: String,
    /// True when the scheduler may give it a job now.
    pub accepts_work: bool,
    /// The job on it, if any.
    pub job: Option<JobOnPrinter>,
    /// Since when a print is on the bed (unix ms), if one is.
    pub bed_full_since: Option<i64>,
    /// Firmware name from the handshake.
    pub firmware: Option<String>,
    /// Latest temperature reports.
    pub temperatures: Vec<Temperature>,
    /// The last error the printer or its driver reported.
    pub last_error: Option<String>,
    /// The maintenance odometer since the last service, and whether the
    /// printer is due for one.
    pub maintenance: super::maintenance::MaintenanceView,
    /// What each tool has loaded (index = tool number): state a
    /// technician changes with `POST /api/printers/{name}/material`.
    pub loaded: Vec<crate::store::ToolLoad>,
    /// The node that drives it, in a farm of several hosts.
    #[serde(default)]
    pub node: Option<String>,
}

/// A material change the scheduler asks a technician for: load `load` on
/// `printer` so that it can print `job`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MaterialChange {
    /// The printer to change.
    pub printer: String,
    /// The job waiting for it.
    pub job: String,
    /// What to load in tool 0.
    pub load: crate::store::ToolLoad,
    /// Since when it is asked for, unix ms.
    pub since: i64,
}

/// The scheduler's forecast of the queue: when each waiting or running job
/// should end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Forecast {
    /// When it was made, unix ms (0: none yet).
    pub made_at: i64,
    /// Expected end of each job, unix ms; jobs without an estimate are absent.
    pub ends: std::collections::HashMap<String, i64>,
}

/// The job a printer is working on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobOnPrinter {
    /// Job id.
    pub id: String,
    /// Attempt id.
    pub attempt: String,
    /// Fraction of the file acknowledged, 0..=1.
    pub progress: Option<f64>,
    /// Last source line the firmware acknowledged.
    pub last_acked_line: u64,
    /// Estimated seconds until it finishes.
    pub eta_s: Option<f64>,
}

/// One heater's reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Temperature {
    /// Heater name: `T0`, `T1`, `B` (bed), `C` (chamber).
    pub heater: String,
    /// Measured °C.
    pub actual_c: f64,
    /// Target °C (0 when off).
    pub target_c: f64,
}

/// An action on one printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterAction {
    /// The print was taken off the bed: the printer may take work again.
    ClearBed,
    /// Pause the current job.
    Pause,
    /// Resume the paused job.
    Resume,
    /// Cancel the current job (its cancel script runs).
    Cancel,
    /// Emergency stop (`M112`); the job is held for an operator.
    EmergencyStop,
    /// Reconnect and restart the firmware after an error or emergency stop.
    Reset,
}

impl PrinterAction {
    /// The action named in a URL (`clear`, `pause`, `resume`, `cancel`,
    /// `stop`, `reset`).
    pub fn parse(word: &str) -> Option<PrinterAction> {
        Some(match word {
            "clear" => PrinterAction::ClearBed,
            "pause" => PrinterAction::Pause,
            "resume" => PrinterAction::Resume,
            "cancel" => PrinterAction::Cancel,
            "stop" => PrinterAction::EmergencyStop,
            "reset" => PrinterAction::Reset,
            _ => return None,
        })
    }
}

/// Why a printer action was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ControlError {
    /// No printer has this name.
    #[error("unknown printer {printer:?}")]
    UnknownPrinter {
        /// The name given.
        printer: String,
    },
    /// The action makes no sense in the printer's current state.
    #[error("not possible now: {reason}")]
    NotPossible {
        /// Why, in words.
        reason: String,
    },
    /// The printer's supervisor cannot be reached (farm shutting down).
    #[error("printer control unavailable: {reason}")]
    Unavailable {
        /// Why, in words.
        reason: String,
    },
}
