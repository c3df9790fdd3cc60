//! OctoPrint's `/api/job`: the caller's most recent job on the target, and
//! `start` (the selected file, once), `cancel` and `pause` on it.

use super::super::auth::{Caller, JOB_ADMIN_ROLES, SUBMIT_ROLES};
use super::super::body::ApiJson;
use super::super::error::ApiError;
use super::super::farm::{JobOnPrinter, PrinterAction};
use super::super::jobs::cancel_job;
use super::super::printers::control_error;
use super::super::AppState;
use super::files::{selected_file, start_once};
use super::{look, Target};
use crate::store::{now_ms, FileRecord, JobFilter, JobRecord, JobState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// The caller's jobs looked through for the most recent on the target.
const RECENT: i64 = 50;

/// The caller's most recent job sent to `target`, if any.
async fn latest(
    state: &AppState,
    caller: &Caller,
    target: &Target,
) -> Result<Option<JobRecord>, ApiError> {
    let filter = JobFilter {
        owner_key_id: Some(caller.key_id.clone()),
        limit: Some(RECENT),
        ..JobFilter::default()
    };
    let jobs = state.store.list_jobs(&filter).await?;
    Ok(jobs.into_iter().find(|job| target.sent(job)))
}

/// `GET /api/job`: every field OctoPrint has, null when there is no job.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let printers = look::printers(&state, &target);
    let farm_text = look::look(&printers).text;
    let Some(job) = latest(&state, &caller, &target).await? else {
        return Ok(Json(no_job(farm_text)));
    };
    let file = match &job.file_id {
        Some(id) => Some(state.store.get_file(id).await?),
        None => None,
    };
    let running = printers
        .iter()
        .find_map(|p| p.job.clone().filter(|j| j.id == job.id));
    Ok(Json(describe(
        &job,
        file.as_ref(),
        running.as_ref(),
        farm_text,
    )))
}

/// OctoPrint's answer when there is no job: every field, null.
fn no_job(text: &str) -> Value {
    json!({
        "job": {
            "file": { "name": null, "path": null, "origin": null, "size": null, "date": null },
            "estimatedPrintTime": null, "lastPrintTime": null, "filament": null, "user": null,
        },
        "progress": {
            "completion": null, "filepos": null, "printTime": null,
            "printTimeLeft": null, "printTimeLeftOrigin": null,
        },
        "state": text,
    })
}

/// `job` in OctoPrint's words, with its file and its printer's progress.
fn describe(
    job: &JobRecord,
    file: Option<&FileRecord>,
    running: Option<&JobOnPrinter>,
    farm_text: &str,
) -> Value {
    let estimate = file
        .and_then(|f| f.analysis.get("estimated_time_s"))
        .and_then(Value::as_f64);
    let (completion, left) = match (job.state, running) {
        (JobState::Completed, _) => (100.0, Some(0.0)),
        (_, Some(running)) => (running.progress.unwrap_or(0.0) * 100.0, running.eta_s),
        _ => (0.0, estimate),
    };
    let print_time = job
        .started_at
        .map(|start| (job.finished_at.unwrap_or_else(now_ms) - start) / 1000);
    let text = match job.state {
        JobState::Assigned | JobState::Printing => "Printing",
        JobState::Paused => "Paused",
        _ => farm_text,
    };
    let path = file.map(|f| f.original_name.as_str());
    json!({
        "job": {
            "file": {
                "name": path.map(|p| p.rsplit('/').next().unwrap_or(p)),
                "path": path,
                "origin": "local",
                "size": file.map(|f| f.size_bytes),
                "date": file.map(|f| f.created_at / 1000),
            },
            "estimatedPrintTime": estimate,
            "lastPrintTime": null,
            "filament": null,
            "user": job.owner_key_id,
        },
        "progress": {
            "completion": completion,
            "filepos": job.last_acked_line,
            "printTime": print_time,
            "printTimeLeft": left,
            "printTimeLeftOrigin": "estimate",
        },
        "state": text,
        "printfarm": { "job_id": job.id, "job_state": job.state, "printer": job.printer },
    })
}

/// Body of `POST /api/job`.
#[derive(Debug, Deserialize)]
pub struct JobCommand {
    command: String,
    action: Option<String>,
}

/// `POST /api/job`: `start` queues the selected file (once), `cancel`
/// cancels and `pause` (`action`: `pause`, `resume`, `toggle`) pauses or
/// resumes the caller's latest job; 204, or 409 when there is nothing to
/// act on.
pub async fn command(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
    ApiJson(body): ApiJson<JobCommand>,
) -> Result<StatusCode, ApiError> {
    match body.command.as_str() {
        "start" => {
            caller.require(SUBMIT_ROLES)?;
            let file = selected_file(&state, &caller, &target).await?;
            start_once(&state, &caller, &target, &file).await?;
        }
        "cancel" => {
            caller.require(JOB_ADMIN_ROLES)?;
            cancel_job(&state, open_job(&state, &caller, &target).await?).await?;
        }
        "pause" => {
            caller.require(JOB_ADMIN_ROLES)?;
            pause(&state, &caller, &target, body.action.as_deref()).await?;
        }
        other => {
            let message = format!("unsupported command {other:?}; use start, cancel or pause");
            return Err(ApiError::bad_request("command", message));
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's latest job on the target if it is not finished, else 409.
async fn open_job(
    state: &AppState,
    caller: &Caller,
    target: &Target,
) -> Result<JobRecord, ApiError> {
    latest(state, caller, target)
        .await?
        .filter(|job| !job.state.is_terminal())
        .ok_or_else(|| ApiError::conflict("command", "no job of yours is waiting or printing"))
}

/// Pauses or resumes the caller's latest job on its printer.
async fn pause(
    state: &AppState,
    caller: &Caller,
    target: &Target,
    action: Option<&str>,
) -> Result<(), ApiError> {
    let job = open_job(state, caller, target).await?;
    let printer = job
        .printer
        .filter(|_| job.state.is_active())
        .ok_or_else(|| ApiError::conflict("command", "the job is not on a printer"))?;
    let paused = job.state == JobState::Paused;
    let act = match (action.unwrap_or("toggle"), paused) {
        ("pause", false) | ("toggle", false) => PrinterAction::Pause,
        ("resume", true) | ("toggle", true) => PrinterAction::Resume,
        ("pause", true) | ("resume", false) => return Ok(()),
        (other, _) => {
            let message = format!("unknown action {other:?}; use pause, resume or toggle");
            return Err(ApiError::bad_request("action", message));
        }
    };
    state.farm.act(&printer, act).await.map_err(control_error)
}
