//! `/api/printers`: every printer as its supervisor publishes it, and
//! actions (clear the bed, pause, resume, cancel, emergency stop, reset).

use super::auth::{Caller, FARM_ROLES};
use super::error::ApiError;
use super::farm::{ControlError, PrinterAction, PrinterView};
use super::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

/// `GET /api/printers`: in `printers.toml` order.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PrinterView>>, ApiError> {
    caller.require(FARM_ROLES)?;
    Ok(Json(state.farm.printers()))
}

/// An API error for a refused printer action.
pub fn control_error(error: ControlError) -> ApiError {
    match error {
        ControlError::UnknownPrinter { .. } => ApiError::not_found("name", error.to_string()),
        ControlError::NotPossible { .. } => ApiError::conflict("action", error.to_string()),
        ControlError::Unavailable { .. } => ApiError::Unavailable(error.to_string()),
    }
}

/// `POST /api/printers/{name}/{clear|pause|resume|cancel|stop|reset}`.
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, word)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require(FARM_ROLES)?;
    let action = PrinterAction::parse(&word).ok_or_else(|| {
        ApiError::not_found(
            "action",
            format!("unknown action {word:?}; use clear, pause, resume, cancel, stop or reset"),
        )
    })?;
    if state.config.printer(&name).is_none() {
        return Err(ApiError::not_found(
            "name",
            format!("printer {name:?} not found"),
        ));
    }
    state.farm.act(&name, action).await.map_err(control_error)?;
    let printer = state.farm.printers().into_iter().find(|p| p.name == name);
    Ok(Json(
        json!({ "printer": printer, "action": word, "ok": true }),
    ))
}
