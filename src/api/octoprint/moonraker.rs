//! The Moonraker endpoints PrusaSlicer (2.6 and later) and OrcaSlicer use:
//! server info, file roots, upload (with `print`) and starting a print.
//! PrusaSlicer wants `result` as the first key of `/server/info`: every
//! answer here is a struct whose first field is `result`, so the order
//! holds whatever serde_json's map type.

use super::super::auth::{Caller, SUBMIT_ROLES};
use super::super::body;
use super::super::error::ApiError;
use super::super::AppState;
use super::files::{keep, named_file, start_once};
use super::{form, Target};
use axum::body::Bytes;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The Moonraker version claimed.
const MOONRAKER_VERSION: &str = "v0.9.3-printfarm";
/// The only file root.
const GCODES: &str = "gcodes";

/// A Moonraker answer: `{"result": …}`, `result` first.
#[derive(Debug, Serialize)]
pub struct Enveloped<T: Serialize> {
    /// The answer.
    pub result: T,
}

/// `GET /server/info`.
pub async fn info(_caller: Caller, _target: Target) -> Json<Enveloped<Value>> {
    Json(Enveloped {
        result: json!({
            "klippy_connected": true,
            "klippy_state": "ready",
            "components": ["file_manager", "octoprint_compat"],
            "failed_components": [],
            "registered_directories": [GCODES],
            "warnings": [],
            "websocket_count": 0,
            "moonraker_version": MOONRAKER_VERSION,
            "api_version": [1, 5, 0],
            "api_version_string": "1.5.0",
        }),
    })
}

/// `GET /server/files/roots`.
pub async fn roots(_caller: Caller, _target: Target) -> Json<Enveloped<Value>> {
    Json(Enveloped {
        result: json!([{ "name": GCODES, "path": GCODES, "permissions": "rw" }]),
    })
}

/// What an upload did, as Moonraker says it.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    item: Value,
    print_started: bool,
    print_queued: bool,
    action: &'static str,
    printfarm: Value,
}

/// Moonraker's upload answer: under `result` and at the top level.
#[derive(Debug, Serialize)]
pub struct UploadAnswer {
    result: Created,
    #[serde(flatten)]
    top: Created,
}

/// `POST /server/files/upload` (`root` = `gcodes`, optional `path`,
/// `print`): 201; with `print`, a job in the queue.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<(StatusCode, Json<UploadAnswer>), ApiError> {
    let form = form::read(&state, &caller, &headers, multipart).await?;
    let root = form.text("root");
    if !root.is_empty() && root != GCODES {
        return Err(ApiError::bad_request(
            "root",
            format!("unknown root {root:?}; use gcodes"),
        ));
    }
    let print = form.flag("print");
    let sent = keep(&state, &caller, &target, form, print).await?;
    let created = Created {
        item: json!({ "path": sent.path, "root": GCODES, "size": sent.file.size_bytes }),
        print_started: false,
        print_queued: !sent.job_ids.is_empty(),
        action: "create_file",
        printfarm: json!({ "file": sent.view, "job_ids": sent.job_ids }),
    };
    let answer = UploadAnswer {
        result: created.clone(),
        top: created,
    };
    Ok((StatusCode::CREATED, Json(answer)))
}

/// The `filename` of a start request, in a JSON body.
#[derive(Debug, Deserialize)]
struct StartBody {
    filename: String,
}

/// `POST /printer/print/start?filename=…` (or `{"filename": …}`): queues
/// the file once; asking again while it waits or prints changes nothing.
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<Enveloped<&'static str>>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let filename = match query.get("filename") {
        Some(name) => name.clone(),
        None if body.is_empty() => {
            return Err(ApiError::bad_request(
                "filename",
                "which file? (?filename=)",
            ));
        }
        None => body::parse::<StartBody>(&body)?.filename,
    };
    let file = named_file(&state, &caller, &filename, "filename").await?;
    start_once(&state, &caller, &target, &file).await?;
    state.selections.select(&caller, &target, &file.id);
    Ok(Json(Enveloped { result: "ok" }))
}
