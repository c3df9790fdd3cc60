//! `/api/printers`: stored state merged with the drivers' live state, and
//! commands (clear the bed, pause, resume, cancel, emergency stop).

use super::auth::{Caller, FARM_ROLES};
use super::error::ApiError;
use super::farm::{ControlError, LivePrinter, PrinterCommand};
use super::AppState;
use crate::store::{PrinterRecord, PrinterState};
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

/// One printer as the API shows it.
#[derive(Debug, Serialize)]
pub struct PrinterView {
    /// Name from `printers.toml`.
    pub name: String,
    /// Stored state (`offline`, `idle`, `busy`, `awaiting_clear`, `error`).
    pub state: PrinterState,
    /// The active job according to the store.
    pub current_job: Option<String>,
    /// Unix ms of the last stored state change.
    pub updated_at: Option<i64>,
    /// What the driver reports now, when it reports anything.
    pub live: Option<LivePrinter>,
}

/// Every configured printer, in `printers.toml` order.
pub async fn printer_views(state: &AppState) -> Result<Vec<PrinterView>, ApiError> {
    let records = state.store.list_printers().await?;
    let mut live = state.farm.live_printers();
    let views = state
        .config
        .printers
        .iter()
        .map(|profile| {
            let record: Option<&PrinterRecord> = records.iter().find(|r| r.name == profile.name);
            let live_index = live.iter().position(|l| l.name == profile.name);
            PrinterView {
                name: profile.name.clone(),
                state: record.map_or(PrinterState::Offline, |r| r.state),
                current_job: record.and_then(|r| r.current_job.clone()),
                updated_at: record.map(|r| r.updated_at),
                live: live_index.map(|i| live.swap_remove(i)),
            }
        })
        .collect();
    Ok(views)
}

/// `GET /api/printers`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PrinterView>>, ApiError> {
    caller.require(FARM_ROLES)?;
    Ok(Json(printer_views(&state).await?))
}

/// The driver command of an action word, or `None` for `clear`.
fn command_of(action: &str) -> Result<Option<PrinterCommand>, ApiError> {
    match action {
        "clear" => Ok(None),
        "pause" => Ok(Some(PrinterCommand::Pause)),
        "resume" => Ok(Some(PrinterCommand::Resume)),
        "cancel" => Ok(Some(PrinterCommand::Cancel)),
        "stop" => Ok(Some(PrinterCommand::EmergencyStop)),
        other => Err(ApiError::not_found(
            "action",
            format!("unknown action {other:?}; use clear, pause, resume, cancel or stop"),
        )),
    }
}

fn control_error(error: ControlError) -> ApiError {
    match error {
        ControlError::UnknownPrinter { .. } => ApiError::not_found("name", error.to_string()),
        ControlError::NotPossible { .. } => ApiError::conflict("action", error.to_string()),
        ControlError::Unavailable { .. } => ApiError::Unavailable(error.to_string()),
    }
}

/// `POST /api/printers/{name}/{clear|pause|resume|cancel|stop}`.
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, action)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require(FARM_ROLES)?;
    let command = command_of(&action)?;
    if state.config.printer(&name).is_none() {
        return Err(ApiError::not_found(
            "name",
            format!("printer {name:?} not found"),
        ));
    }
    match command {
        None => {
            let cleared = state
                .store
                .clear_bed(&name)
                .await
                .map_err(|e| ApiError::from_store(e, "name"))?;
            if !cleared {
                let message = format!("printer {name:?} is not awaiting a bed clear");
                return Err(ApiError::conflict("action", message));
            }
            state.farm.wake_scheduler();
        }
        Some(command) => state
            .farm
            .command(&name, command)
            .await
            .map_err(control_error)?,
    }
    Ok(Json(
        json!({ "printer": name, "action": action, "ok": true }),
    ))
}
