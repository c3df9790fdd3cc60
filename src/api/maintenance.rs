//! Maintenance on the printer's view (the odometer since the last service,
//! due or not and why) and `POST /api/printers/{name}/service`, by which a
//! technician or operator confirms a service.

use super::auth::{Caller, FARM_ROLES};
use super::error::{ApiError, ErrorBody};
use super::farm::PrinterView;
use super::printers::control_error;
use super::AppState;
use crate::domain::maintenance::Thresholds;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};

/// A printer's maintenance odometer as the API shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MaintenanceView {
    /// Hours spent on attempts since the last service (for spreading wear:
    /// the least-worn printer has the fewest).
    pub print_hours: f64,
    /// Metres of filament pushed since the last service.
    pub filament_m: f64,
    /// Jobs (ended attempts) since the last service.
    pub jobs: i64,
    /// Unix ms of the last confirmed service, if any.
    pub last_service_at: Option<i64>,
    /// The API key id that confirmed the last service, if known.
    pub last_service_by: Option<String>,
    /// True when a threshold is reached: the printer takes no new job until
    /// a service is confirmed.
    pub service_due: bool,
    /// Why it is due, e.g. `200.3 h printed since the last service,
    /// threshold 200 h` (every threshold reached, joined with `; `).
    pub reason: Option<String>,
    /// The printer's thresholds from `printers.toml` (none: never due).
    pub thresholds: Thresholds,
}

/// `POST /api/printers/{name}/service`.
#[utoipa::path(
    post,
    path = "/printers/{name}/service",
    tag = "printers",
    params(("name" = String, Path, description = "Printer name")),
    responses(
        (status = 200, description = "Service recorded: the odometer starts again from zero and the printer takes work again", body = PrinterView),
        (status = 404, description = "No such printer (`name`)", body = ErrorBody),
        (status = 409, description = "A job is on the printer", body = ErrorBody),
        (status = 503, description = "The printer's control is unavailable", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn confirm_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<PrinterView>, ApiError> {
    caller.require(FARM_ROLES)?;
    let unknown = || ApiError::not_found("name", format!("printer {name:?} not found"));
    if !state.knows_printer(&name) {
        return Err(unknown());
    }
    state
        .farm
        .confirm_service(&name, Some(caller.key_id.clone()))
        .await
        .map_err(control_error)?;
    let printer = state.farm.printers().into_iter().find(|p| p.name == name);
    printer.map(Json).ok_or_else(unknown)
}
