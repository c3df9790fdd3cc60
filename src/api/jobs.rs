//! `/api/jobs`: submit, list, read, cancel, hold, release, reprioritise.

use super::auth::{Caller, JOB_ADMIN_ROLES, SUBMIT_ROLES};
use super::body::{optional_ms, ApiJson, Timestamp};
use super::error::{ApiError, ErrorBody};
use super::feasibility::{ensure_printable, Wanted};
use super::printers::control_error;
use super::validate;
use super::views::{AttemptView, JobView};
use super::AppState;
use crate::store::{FileRecord, JobFilter, JobRecord, JobState, NewJob};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Jobs listed when no `?limit=` is given, and the most one may ask for.
const LIST_DEFAULT: i64 = 100;
const LIST_MAX: i64 = 1000;

/// Body of `POST /api/jobs`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

impl CreateJob {
    /// Bounds on everything the request carries.
    pub(super) fn check(&self, max_units: u32) -> Result<(), ApiError> {
        if self.quantity == 0 || self.quantity > max_units {
            let message = format!("must be 1 to {max_units} (max_units_per_order)");
            return Err(ApiError::unprocessable("quantity", message));
        }
        validate::text("file_id", &self.file_id)?;
        validate::optional_text("material", self.material.as_deref())?;
        validate::optional_text("colour", self.colour.as_deref())?;
        validate::tags("tags", &self.tags)?;
        if let Some(value) = &self.personalisation {
            validate::personalisation("personalisation", value)?;
        }
        Ok(())
    }
}

/// Body of `POST /api/jobs/{id}/priority`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPriority {
    priority: i64,
}

/// Answer to a job submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedJobs {
    job_ids: Vec<String>,
}

/// The query of `GET /api/jobs` (for the API description; the handler
/// reads the pairs itself, so `state` may repeat).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListJobs {
    /// Only jobs in these states: repeated or comma-separated.
    #[param(example = "queued,held")]
    state: Option<String>,
    /// Only the units of this order.
    order_id: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<i64>,
}

/// `POST /api/jobs`.
#[utoipa::path(
    post,
    path = "/jobs",
    tag = "jobs",
    request_body = CreateJob,
    responses(
        (status = 201, description = "Queued, one job per unit", body = CreatedJobs),
        (status = 404, description = "No such file (`file_id`)", body = ErrorBody),
        (status = 400, description = "Not JSON, or not sent as `application/json`", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "Out of bounds, or no printer of the farm could print it (`reasons` says why)", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician", "shop"]), ("bearer" = ["operator", "technician", "shop"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateJob>,
) -> Result<(StatusCode, Json<CreatedJobs>), ApiError> {
    caller.require(SUBMIT_ROLES)?;
    body.check(state.config.farm.max_units_per_order)?;
    let due_at = optional_ms(body.due_at.as_ref(), "due_at")?;
    let file = super::files::usable_file(&state, &caller, &body.file_id, "file_id").await?;
    let submission = Submission {
        quantity: body.quantity,
        priority: body.priority,
        due_at,
        material: body.material,
        colour: body.colour,
        tags: body.tags,
        personalisation: body.personalisation,
    };
    let job_ids = submit(&state, &caller, &file, submission).await?;
    Ok((StatusCode::CREATED, Json(CreatedJobs { job_ids })))
}

/// What a job request asks for besides the file, already checked.
#[derive(Debug, Clone, Default)]
pub(super) struct Submission {
    /// Copies, one job each.
    pub quantity: u32,
    /// Higher runs first.
    pub priority: i64,
    /// Deadline, unix ms.
    pub due_at: Option<i64>,
    /// Required material.
    pub material: Option<String>,
    /// Required colour.
    pub colour: Option<String>,
    /// Required printer tags.
    pub tags: Vec<String>,
    /// Per-job personalisation.
    pub personalisation: Option<Value>,
}

/// Queues `file` for `caller` as `submission` asks, once some printer of the
/// farm could print it (else a 422 with the scheduler's reasons), and wakes
/// the scheduler. Returns the new jobs' ids.
pub(super) async fn submit(
    state: &AppState,
    caller: &Caller,
    file: &FileRecord,
    submission: Submission,
) -> Result<Vec<String>, ApiError> {
    let wanted = Wanted {
        material: submission.material.as_deref(),
        colour: submission.colour.as_deref(),
        tags: &submission.tags,
    };
    ensure_printable(state, &file.keys, wanted, "").await?;
    let new = NewJob {
        file_id: file.id.clone(),
        quantity: submission.quantity,
        priority: submission.priority,
        due_at: submission.due_at,
        material: submission.material,
        colour: submission.colour,
        required_tags: submission.tags,
        personalisation: submission.personalisation,
        owner_key_id: Some(caller.key_id.clone()),
    };
    let job_ids = state
        .store
        .create_jobs(&new)
        .await
        .map_err(|e| ApiError::from_store(e, "file_id"))?;
    state.farm.wake_scheduler();
    Ok(job_ids)
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
#[utoipa::path(
    get,
    path = "/jobs",
    tag = "jobs",
    params(ListJobs),
    responses(
        (status = 200, description = "Jobs, newest first; a shop sees only its own", body = Vec<JobView>),
        (status = 400, description = "Unknown state or bad limit", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician", "shop"]), ("bearer" = ["operator", "technician", "shop"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Vec<JobView>>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let filter = JobFilter {
        states: parse_states(&query)?,
        order_id: query
            .iter()
            .find(|(name, _)| name == "order_id")
            .map(|(_, v)| v.clone()),
        owner_key_id: caller.owner_filter(),
        limit: Some(validate::limit(&query, LIST_DEFAULT, LIST_MAX)?),
    };
    let only_queued = filter.states == [JobState::Queued] && filter.order_id.is_none();
    let jobs = if only_queued {
        let limit = usize::try_from(filter.limit.unwrap_or(LIST_DEFAULT)).unwrap_or(0);
        state.farm.queued_jobs(filter.owner_key_id, limit).await
    } else {
        state.store.list_jobs(&filter).await?
    };
    let mut views: Vec<JobView> = jobs.into_iter().map(JobView::from).collect();
    if !filter.states.is_empty() && filter.states.iter().all(|s| s.is_waiting()) {
        add_printers_able(&state, &mut views).await?;
    }
    Ok(Json(views))
}

/// Names, on each waiting job with a file, the printers that could take it
/// (each distinct file read once).
async fn add_printers_able(state: &AppState, views: &mut [JobView]) -> Result<(), ApiError> {
    let mut keys: std::collections::HashMap<String, crate::store::FileKeys> = Default::default();
    for view in views.iter_mut() {
        let Some(file_id) = view.file_id.clone() else {
            continue;
        };
        if !keys.contains_key(&file_id) {
            let file = state.store.get_file(&file_id).await?;
            keys.insert(file_id.clone(), file.keys);
        }
        let wanted = super::feasibility::Wanted {
            material: view.material.as_deref(),
            colour: view.colour.as_deref(),
            tags: &view.required_tags,
        };
        view.printers_able = Some(super::feasibility::printers_able(
            state,
            &keys[&file_id],
            wanted,
        ));
    }
    Ok(())
}

/// The job, or 404 when it does not exist or is not the caller's to see.
pub(super) async fn visible_job(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<JobRecord, ApiError> {
    let job = state.store.get_job(id).await?;
    if !caller.may_see(job.owner_key_id.as_deref()) {
        return Err(ApiError::not_found("id", format!("job {id:?} not found")));
    }
    Ok(job)
}

/// The job as the API shows it, with its attempts.
pub(super) async fn job_view(state: &AppState, id: &str) -> Result<JobView, ApiError> {
    let job = state.store.get_job(id).await?;
    let attempts = state.store.job_attempts(id).await?;
    let render = match &job.render_key {
        Some(key) => Some(state.store.get_render(key).await?),
        None => None,
    };
    let mut view = JobView::from(job);
    view.render = render.map(Into::into);
    view.attempts = Some(attempts.into_iter().map(AttemptView::from).collect());
    Ok(view)
}

/// `GET /api/jobs/{id}`: the job and every attempt at printing it.
#[utoipa::path(
    get,
    path = "/jobs/{id}",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job with its attempts", body = JobView),
        (status = 404, description = "No such job (or not the caller's)", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician", "shop"]), ("bearer" = ["operator", "technician", "shop"]))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    visible_job(&state, &caller, &id).await?;
    Ok(Json(job_view(&state, &id).await?))
}

/// `POST /api/jobs/{id}/cancel`: a waiting job is cancelled in the store; a
/// job on a printer is cancelled by that printer (its cancel script runs,
/// the attempt ends), and the answer comes once that is recorded.
#[utoipa::path(
    post,
    path = "/jobs/{id}/cancel",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "Cancelled", body = JobView),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "Not cancellable in its state", body = ErrorBody),
        (status = 503, description = "The printer's control is unavailable", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    caller.require(JOB_ADMIN_ROLES)?;
    let job = visible_job(&state, &caller, &id).await?;
    cancel_job(&state, job).await?;
    Ok(Json(job_view(&state, &id).await?))
}

/// Cancels `job`: in the store while it waits, by its printer while it is
/// on one (resolves once the attempt's end is recorded).
pub(super) async fn cancel_job(state: &AppState, job: JobRecord) -> Result<(), ApiError> {
    match (job.state.is_active(), job.printer) {
        (true, Some(printer)) => state
            .farm
            .cancel_job(&printer, &job.id)
            .await
            .map_err(control_error)?,
        _ => state.store.cancel_waiting(&job.id).await?,
    }
    Ok(())
}

/// `POST /api/jobs/{id}/hold`.
#[utoipa::path(
    post,
    path = "/jobs/{id}/hold",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "Held", body = JobView),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "Not holdable in its state", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    caller.require(JOB_ADMIN_ROLES)?;
    state.store.hold(&id).await?;
    Ok(Json(job_view(&state, &id).await?))
}

/// `POST /api/jobs/{id}/release`: a held job back to the queue; a unit in
/// review back to rendering, with its product's current version.
#[utoipa::path(
    post,
    path = "/jobs/{id}/release",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "Queued again, or rendering again", body = JobView),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "Not held or in review", body = ErrorBody),
        (status = 422, description = "The unit cannot be rendered with the product's current version", body = ErrorBody),
        (status = 503, description = "The render tools are missing", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    caller.require(JOB_ADMIN_ROLES)?;
    let job = visible_job(&state, &caller, &id).await?;
    if job.state == JobState::NeedsReview {
        super::units::rerender(&state, &job, None).await?;
    } else {
        state.store.release(&id).await?;
        state.farm.wake_scheduler();
    }
    Ok(Json(job_view(&state, &id).await?))
}

/// `POST /api/jobs/{id}/priority` with `{"priority": n}`.
#[utoipa::path(
    post,
    path = "/jobs/{id}/priority",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    request_body = SetPriority,
    responses(
        (status = 200, description = "Reprioritised", body = JobView),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "Finished already", body = ErrorBody),
        (status = 400, description = "Not JSON, or not sent as `application/json`", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "A field is missing, unknown or out of bounds (`field` names it)", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn priority(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetPriority>,
) -> Result<Json<JobView>, ApiError> {
    caller.require(JOB_ADMIN_ROLES)?;
    state.store.set_priority(&id, body.priority).await?;
    state.farm.wake_scheduler();
    Ok(Json(job_view(&state, &id).await?))
}
