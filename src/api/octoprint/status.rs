//! What OctoPrint clients read before sending: version, printer state,
//! connection, settings, the logged-in user and the printer profile.

use super::super::auth::{Caller, SUBMIT_ROLES};
use super::super::error::ApiError;
use super::super::AppState;
use super::{look, Target};
use crate::store::Role;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// The OctoPrint version claimed (PrusaSlicer wants `text` to start with
/// `OctoPrint`).
pub const OCTOPRINT_VERSION: &str = "1.10.0";
/// The id of the one printer profile a target has.
const PROFILE_ID: &str = "_default";
/// The baud rate shown for the farm's "port".
const SHOWN_BAUD: u32 = 115_200;

/// `GET /api/version`: any valid key, on a target that exists.
pub async fn version(_caller: Caller, _target: Target) -> Json<Value> {
    Json(json!({
        "api": "0.1",
        "server": OCTOPRINT_VERSION,
        "text": format!(
            "OctoPrint {OCTOPRINT_VERSION} (printfarm {})",
            env!("CARGO_PKG_VERSION")
        ),
    }))
}

/// `GET /api/printer`: the target as one printer.
pub async fn printer(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let printers = look::printers(&state, &target);
    let seen = look::look(&printers);
    Ok(Json(json!({
        "state": { "text": seen.text, "flags": seen.flags },
        "temperature": look::temperatures(&printers),
        "sd": { "ready": false },
    })))
}

/// The "port" a target is shown on.
fn port_name(target: &Target) -> String {
    match target.name.as_str() {
        "" => "printfarm".to_owned(),
        name => format!("printfarm/{name}"),
    }
}

/// `GET /api/connection`.
pub async fn connection(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let seen = look::look(&look::printers(&state, &target));
    let port = port_name(&target);
    Ok(Json(json!({
        "current": {
            "state": seen.text,
            "port": port,
            "baudrate": SHOWN_BAUD,
            "printerProfile": PROFILE_ID,
        },
        "options": {
            "ports": [port],
            "baudrates": [SHOWN_BAUD],
            "printerProfiles": [{ "id": PROFILE_ID, "name": port }],
            "portPreference": port,
            "baudratePreference": SHOWN_BAUD,
            "printerProfilePreference": PROFILE_ID,
            "autoconnect": true,
        },
    })))
}

/// `GET /api/settings`: no plugins, no webcam, no SD card; nothing secret.
pub async fn settings(caller: Caller, target: Target) -> Result<Json<Value>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    Ok(Json(json!({
        "api": { "allowCrossOrigin": false },
        "appearance": { "name": port_name(&target) },
        "feature": { "sdSupport": false },
        "folder": {},
        "plugins": {},
        "webcam": { "webcamEnabled": false, "streamUrl": "", "snapshotUrl": "" },
    })))
}

/// `POST /api/login` (`{"passive": true}` or anything else): the key's
/// user; never a key or password.
pub async fn login(caller: Caller, _target: Target) -> Json<Value> {
    let admin = caller.role == Role::Operator;
    Json(json!({
        "name": caller.key_id,
        "active": true,
        "user": true,
        "admin": admin,
        "roles": [caller.role.to_string()],
        "groups": if admin { vec!["admins", "users"] } else { vec!["users"] },
        "permissions": [],
    }))
}

/// `GET /api/printerprofiles`: one profile, current and default, with the
/// volume and nozzle of the target's first printer (zeros if none).
pub async fn profiles(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let printers = target.printers(&state.config);
    let first = printers.first();
    let [width, depth, height] = first.map_or([0.0; 3], |p| p.build_volume);
    let profile = json!({
        "id": PROFILE_ID,
        "name": port_name(&target),
        "model": first.map(|p| p.name.clone()),
        "color": "default",
        "current": true,
        "default": true,
        "heatedBed": true,
        "heatedChamber": false,
        "volume": {
            "width": width, "depth": depth, "height": height,
            "formFactor": "rectangular", "origin": "lowerleft", "custom_box": false,
        },
        "extruder": {
            "count": first.map_or(1, |p| p.extruders),
            "nozzleDiameter": first.map_or(0.4, |p| p.nozzle_diameter),
            "offsets": [[0.0, 0.0]],
            "sharedNozzle": false,
        },
    });
    Ok(Json(json!({ "profiles": { PROFILE_ID: profile } })))
}
