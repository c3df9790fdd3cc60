//! `/api/printers`: every printer as its supervisor publishes it, and
//! actions (clear the bed, pause, resume, cancel, emergency stop, reset).

use super::auth::{Caller, FARM_ROLES};
use super::error::{ApiError, ErrorBody};
use super::farm::{ControlError, PrinterAction, PrinterView};
use super::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;

/// `GET /api/printers`: in `printers.toml` order.
#[utoipa::path(
    get,
    path = "/printers",
    tag = "printers",
    responses(
        (status = 200, description = "Every printer, in `printers.toml` order", body = Vec<PrinterView>),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
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

/// Answer to a printer action.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrinterActed {
    /// The printer after the action.
    printer: Option<PrinterView>,
    /// The action word from the path.
    action: String,
    /// Always true (a refused action answers with an error).
    ok: bool,
}

/// `POST /api/printers/{name}/{clear|pause|resume|cancel|stop|reset}`.
#[utoipa::path(
    post,
    path = "/printers/{name}/{action}",
    tag = "printers",
    params(("name" = String, Path, description = "Printer name"), ("action" = String, Path, description = "`clear`, `pause`, `resume`, `cancel`, `stop` or `reset`")),
    responses(
        (status = 200, description = "Done", body = PrinterActed),
        (status = 404, description = "No such printer (`name`) or action (`action`)", body = ErrorBody),
        (status = 409, description = "Not possible in the printer's state", body = ErrorBody),
        (status = 503, description = "The printer's control is unavailable", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, word)): Path<(String, String)>,
) -> Result<Json<PrinterActed>, ApiError> {
    caller.require(FARM_ROLES)?;
    let action = PrinterAction::parse(&word).ok_or_else(|| {
        ApiError::not_found(
            "action",
            format!("unknown action {word:?}; use clear, pause, resume, cancel, stop or reset"),
        )
    })?;
    if !state.knows_printer(&name) {
        return Err(ApiError::not_found(
            "name",
            format!("printer {name:?} not found"),
        ));
    }
    state.farm.act(&name, action).await.map_err(control_error)?;
    let printer = state.farm.printers().into_iter().find(|p| p.name == name);
    Ok(Json(PrinterActed {
        printer,
        action: word,
        ok: true,
    }))
}
