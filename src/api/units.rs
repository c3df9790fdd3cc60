//! A personalised unit's files and review: `GET /api/jobs/{id}/gcode`,
//! `GET /api/jobs/{id}/stl`, and sending a unit that needs review back to
//! rendering (`POST /api/jobs/{id}/release` with the product fixed, or
//! `POST /api/jobs/{id}/personalisation` with its values corrected).

use super::auth::{Caller, JOB_ADMIN_ROLES, SUBMIT_ROLES};
use super::body::ApiJson;
use super::error::{ApiError, ErrorBody};
use super::jobs::visible_job;
use super::views::JobView;
use super::AppState;
use crate::render::{bundle, Template};
use crate::store::{JobRecord, NewRender};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

/// `GET /api/jobs/{id}/gcode`: the G-code the job prints.
#[utoipa::path(
    get,
    path = "/jobs/{id}/gcode",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The G-code the job prints (an attachment)", content_type = "text/x-gcode", body = String),
        (status = 404, description = "No such job, or no G-code yet", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician", "shop"]), ("bearer" = ["operator", "technician", "shop"]))
)]
pub async fn gcode(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let job = visible_job(&state, &caller, &id).await?;
    let file_id = job.file_id.ok_or_else(|| {
        ApiError::not_found("id", format!("job {id} has no G-code yet ({})", job.state))
    })?;
    let file = state.store.get_file(&file_id).await?;
    let name = format!("{}.gcode", job.id);
    send(std::path::Path::new(&file.path), "text/x-gcode", &name).await
}

/// `GET /api/jobs/{id}/stl`: the part rendered for a personalised unit.
#[utoipa::path(
    get,
    path = "/jobs/{id}/stl",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The part rendered for a personalised unit (an attachment)", content_type = "model/stl", body = String),
        (status = 404, description = "No such job, or no rendered part", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician", "shop"]), ("bearer" = ["operator", "technician", "shop"]))
)]
pub async fn stl(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let job = visible_job(&state, &caller, &id).await?;
    let no_part = || ApiError::not_found("id", format!("job {id} has no rendered part"));
    let key = job.render_key.clone().ok_or_else(no_part)?;
    let render = state.store.get_render(&key).await?;
    let path = render
        .stl_path
        .filter(|_| render.state == "done")
        .ok_or_else(no_part)?;
    send(
        std::path::Path::new(&path),
        "model/stl",
        &format!("{}.stl", job.id),
    )
    .await
}

async fn send(
    path: &std::path::Path,
    content_type: &'static str,
    name: &str,
) -> Result<Response, ApiError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("opening {}: {e}", path.display())))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// Body of `POST /api/jobs/{id}/personalisation`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// The unit's values, by parameter name.
    #[schema(value_type = Object)]
    personalisation: Map<String, Value>,
}

/// Sends a unit in review back to rendering with its product's current
/// version and `values` (its own when `None`).
pub async fn rerender(
    state: &AppState,
    job: &JobRecord,
    values: Option<Map<String, Value>>,
) -> Result<(), ApiError> {
    let sku = job.product_sku.as_deref().ok_or_else(|| {
        ApiError::conflict("id", format!("job {} is not a personalised unit", job.id))
    })?;
    if let Some(why) = state.tools.unavailable() {
        return Err(ApiError::Unavailable(format!(
            "{sku} cannot be rendered: {why}"
        )));
    }
    let record = state.store.latest_product(sku).await?;
    let template = Template::from_record(&record)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?
        .ok_or_else(|| {
            ApiError::conflict("id", format!("product {sku} is no longer a template"))
        })?;
    let given = values
        .clone()
        .unwrap_or_else(|| match &job.personalisation {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        });
    let render = plan(state, &template, &given)?;
    let personalisation = values.map(Value::Object);
    state
        .store
        .rerender_job(&job.id, &render, personalisation.as_ref())
        .await?;
    Ok(())
}

fn plan(
    state: &AppState,
    template: &Template,
    given: &Map<String, Value>,
) -> Result<NewRender, ApiError> {
    let printer_tags: Vec<Vec<String>> = state
        .config
        .printers
        .iter()
        .map(|p| p.tags.clone())
        .collect();
    let profile = bundle::choose(&template.profiles, &printer_tags).ok_or_else(|| {
        ApiError::unprocessable(
            "sku",
            "no printer carries the tag of any of the product's slicer profiles",
        )
    })?;
    template
        .plan_unit(given, profile, &state.tools)
        .map_err(|refusal| {
            ApiError::unprocessable(&format!("personalisation.{}", refusal.name), refusal.reason)
        })
}

/// `POST /api/jobs/{id}/personalisation` with `{"personalisation": {…}}`:
/// corrects a unit in review and renders it again.
#[utoipa::path(
    post,
    path = "/jobs/{id}/personalisation",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    request_body = Correction,
    responses(
        (status = 200, description = "Corrected and rendering again", body = JobView),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "Not a personalised unit, or its product is no longer a template", body = ErrorBody),
        (status = 400, description = "Not JSON, or not sent as `application/json`", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "A field is missing, unknown or out of bounds (`field` names it)", body = ErrorBody),
        (status = 503, description = "The render tools are missing", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn correct(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Correction>,
) -> Result<axum::Json<JobView>, ApiError> {
    caller.require(JOB_ADMIN_ROLES)?;
    let job = visible_job(&state, &caller, &id).await?;
    rerender(&state, &job, Some(body.personalisation)).await?;
    Ok(axum::Json(super::jobs::job_view(&state, &id).await?))
}
