//! `/api/jobs`: submit, list, read, cancel, hold, release, reprioritise.

use super::auth::{Caller, JOB_ADMIN_ROLES, SUBMIT_ROLES};
use super::body::{optional_ms, ApiJson, Timestamp};
use super::error::ApiError;
use super::farm::PrinterCommand;
use super::feasibility::{ensure_printable, Wanted};
use super::AppState;
use crate::store::{JobFilter, JobRecord, JobState, NewJob};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Most copies one request may create.
pub const MAX_QUANTITY: u32 = 10_000;

/// Body of `POST /api/jobs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    file_id: String,
    quantity: u32,
    #[serde(default)]
    priority: i64,
    material: Option<String>,
    colour: Option<String>,
    due_at: Option<Timestamp>,
    #[serde(default)]
    tags: Vec<String>,
    personalisation: Option<Value>,
}

/// Body of `POST /api/jobs/{id}/priority`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPriority {
    priority: i64,
}

/// Answer to a job submission.
#[derive(Debug, Serialize)]
pub struct CreatedJobs {
    job_ids: Vec<String>,
}

/// `POST /api/jobs`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateJob>,
) -> Result<(StatusCode, Json<CreatedJobs>), ApiError> {
    caller.require(SUBMIT_ROLES)?;
    if body.quantity > MAX_QUANTITY {
        let message = format!("at most {MAX_QUANTITY} copies per request");
        return Err(ApiError::unprocessable("quantity", message));
    }
    let due_at = optional_ms(body.due_at.as_ref(), "due_at")?;
    let file = state
        .store
        .get_file(&body.file_id)
        .await
        .map_err(|e| ApiError::from_store(e, "file_id"))?;
    let wanted = Wanted {
        material: body.material.as_deref(),
        colour: body.colour.as_deref(),
        tags: &body.tags,
    };
    ensure_printable(&state, &file.keys, wanted, "").await?;
    let new = NewJob {
        file_id: body.file_id,
        quantity: body.quantity,
        priority: body.priority,
        due_at,
        material: body.material,
        colour: body.colour,
        required_tags: body.tags,
        personalisation: body.personalisation,
        owner_key_id: Some(caller.key_id),
    };
    let job_ids = state
        .store
        .create_jobs(&new)
        .await
        .map_err(|e| ApiError::from_store(e, "file_id"))?;
    state.farm.wake_scheduler();
    Ok((StatusCode::CREATED, Json(CreatedJobs { job_ids })))
}

/// The states named by every `state` parameter (repeated or comma-separated).
pub fn parse_states(query: &[(String, String)]) -> Result<Vec<JobState>, ApiError> {
    let words = query
        .iter()
        .filter(|(name, _)| name == "state")
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
        .filter(|word| !word.is_empty());
    words
        .map(|word| {
            JobState::parse(word).ok_or_else(|| {
                ApiError::bad_request("state", format!("unknown job state {word:?}"))
            })
        })
        .collect()
}

/// `GET /api/jobs?state=…&order_id=…`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Vec<JobRecord>>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let filter = JobFilter {
        states: parse_states(&query)?,
        order_id: query
            .iter()
            .find(|(name, _)| name == "order_id")
            .map(|(_, v)| v.clone()),
        owner_key_id: caller.owner_filter(),
        limit: None,
    };
    Ok(Json(state.store.list_jobs(&filter).await?))
}

/// The job, or 404 when it does not exist or is not the caller's to see.
async fn visible_job(state: &AppState, caller: &Caller, id: &str) -> Result<JobRecord, ApiError> {
    let job = state.store.get_job(id).await?;
    if !caller.may_see(job.owner_key_id.as_deref()) {
        return Err(ApiError::not_found("id", format!("job {id:?} not found")));
    }
    Ok(job)
}

/// `GET /api/jobs/{id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobRecord>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    Ok(Json(visible_job(&state, &caller, &id).await?))
}

/// `POST /api/jobs/{id}/cancel`: also tells the printer when the job is on one.
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(JOB_ADMIN_ROLES)?;
    let before = visible_job(&state, &caller, &id).await?;
    state.store.cancel(&id).await?;
    let printer_command = match (before.state.is_active(), before.printer) {
        (true, Some(printer)) => {
            let result = state.farm.command(&printer, PrinterCommand::Cancel).await;
            if let Err(error) = &result {
                tracing::warn!("job {id}: cancelling on {printer} failed: {error}");
            }
            json!({ "printer": printer, "error": result.err().map(|e| e.to_string()) })
        }
        _ => Value::Null,
    };
    let job = state.store.get_job(&id).await?;
    Ok(Json(
        json!({ "job": job, "printer_command": printer_command }),
    ))
}

/// `POST /api/jobs/{id}/hold`.
pub async fn hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobRecord>, ApiError> {
    caller.require(JOB_ADMIN_ROLES)?;
    state.store.hold(&id).await?;
    Ok(Json(state.store.get_job(&id).await?))
}

/// `POST /api/jobs/{id}/release`.
pub async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobRecord>, ApiError> {
    caller.require(JOB_ADMIN_ROLES)?;
    state.store.release(&id).await?;
    state.farm.wake_scheduler();
    Ok(Json(state.store.get_job(&id).await?))
}

/// `POST /api/jobs/{id}/priority` with `{"priority": n}`.
pub async fn priority(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetPriority>,
) -> Result<Json<JobRecord>, ApiError> {
    caller.require(JOB_ADMIN_ROLES)?;
    state.store.set_priority(&id, body.priority).await?;
    state.farm.wake_scheduler();
    Ok(Json(state.store.get_job(&id).await?))
}
