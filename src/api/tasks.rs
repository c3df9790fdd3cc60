//! Work for people: `GET /api/tasks` (beds to clear, materials to change,
//! services due, each with its printer, reason and since when) and
//! `POST /api/printers/{name}/material` (a technician loaded a material).

use super::auth::{Caller, FARM_ROLES};
use super::body::ApiJson;
use super::error::{ApiError, ErrorBody};
use super::farm::{MaterialChange, PrinterView};
use super::printers::control_error;
use super::validate;
use super::AppState;
use crate::domain::Phase;
use crate::scheduler::clock::FarmClock;
use crate::store::{now_ms, ToolLoad};
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};

/// What kind of work a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// A finished print is on the bed.
    BedClear,
    /// The scheduler wants another material loaded.
    MaterialChange,
    /// The printer reached a service threshold and takes no job until a
    /// technician confirms the service.
    Maintenance,
}

/// How a task is marked done: the request that does it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskAction {
    /// HTTP method.
    pub method: &'static str,
    /// Path of the request.
    pub path: String,
    /// Its JSON body, if it takes one.
    pub body: Option<serde_json::Value>,
}

/// One task for a technician.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Task {
    /// What to do.
    pub kind: TaskKind,
    /// On which printer.
    pub printer: String,
    /// Why, in words.
    pub reason: String,
    /// Since when it waits, unix ms.
    pub since: i64,
    /// The job it concerns: the print on the bed (the printer's last
    /// attempt), the job waiting for the material.
    pub job: Option<String>,
    /// When someone on shift can do it, unix ms (now, during a shift).
    pub workable_from: i64,
    /// The request that marks it done.
    pub action: TaskAction,
}

/// Tasks oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskList {
    /// The tasks.
    pub tasks: Vec<Task>,
}

fn bed_clear(view: &PrinterView, workable_from: i64) -> Option<Task> {
    if view.state != Phase::AwaitingClear {
        return None;
    }
    Some(Task {
        kind: TaskKind::BedClear,
        printer: view.name.clone(),
        reason: "a finished print is on the bed; take it off and confirm the bed is clear"
            .to_owned(),
        since: view.bed_full_since.unwrap_or(view.since),
        job: view.job.as_ref().map(|j| j.id.clone()),
        workable_from,
        action: TaskAction {
            method: "POST",
            path: format!("/api/printers/{}/clear", view.name),
            body: None,
        },
    })
}

fn maintenance(view: &PrinterView, workable_from: i64) -> Option<Task> {
    let due = &view.maintenance;
    if !due.service_due {
        return None;
    }
    Some(Task {
        kind: TaskKind::Maintenance,
        printer: view.name.clone(),
        reason: format!(
            "service due: {}",
            due.reason.as_deref().unwrap_or("a threshold is reached")
        ),
        since: view.since,
        job: None,
        workable_from,
        action: TaskAction {
            method: "POST",
            path: format!("/api/printers/{}/service", view.name),
            body: None,
        },
    })
}

fn material_change(change: &MaterialChange, views: &[PrinterView], workable_from: i64) -> Task {
    let have = views
        .iter()
        .find(|v| v.name == change.printer)
        .and_then(|v| v.loaded.first())
        .map_or("nothing known".to_owned(), describe);
    Task {
        kind: TaskKind::MaterialChange,
        printer: change.printer.clone(),
        reason: format!(
            "load {} (now {have}) for job {}",
            describe(&change.load),
            change.job
        ),
        since: change.since,
        job: Some(change.job.clone()),
        workable_from,
        action: TaskAction {
            method: "POST",
            path: format!("/api/printers/{}/material", change.printer),
            body: serde_json::to_value(&change.load).ok(),
        },
    }
}

fn describe(load: &ToolLoad) -> String {
    match &load.colour {
        Some(colour) => format!("{} {colour}", load.material),
        None => load.material.clone(),
    }
}

/// `GET /api/tasks`: every bed to clear and material to change, oldest first.
#[utoipa::path(
    get,
    path = "/tasks",
    tag = "printers",
    responses((status = 200, description = "Open tasks, oldest first", body = TaskList)),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TaskList>, ApiError> {
    caller.require(FARM_ROLES)?;
    let views = state.farm.printers();
    let now = now_ms();
    let from = FarmClock::new(&state.config.farm.time, now).next_open_ms(now);
    let mut tasks: Vec<Task> = views.iter().filter_map(|v| bed_clear(v, from)).collect();
    for task in tasks.iter_mut().filter(|t| t.job.is_none()) {
        task.job = state
            .store
            .last_job_on(&task.printer)
            .await
            .map_err(|e| ApiError::from_store(e, "printer"))?;
    }
    tasks.extend(views.iter().filter_map(|v| maintenance(v, from)));
    tasks.extend(
        state
            .farm
            .material_changes()
            .iter()
            .map(|c| material_change(c, &views, from)),
    );
    tasks.sort_by(|a, b| {
        a.since
            .cmp(&b.since)
            .then_with(|| a.printer.cmp(&b.printer))
    });
    Ok(Json(TaskList { tasks }))
}

/// What a technician loaded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadMaterial {
    /// Material, e.g. `PETG`.
    pub material: String,
    /// Colour, if known.
    pub colour: Option<String>,
    /// Tool number (default 0).
    pub tool: Option<u32>,
}

/// `POST /api/printers/{name}/material`: records what a tool now holds.
#[utoipa::path(
    post,
    path = "/printers/{name}/material",
    tag = "printers",
    params(("name" = String, Path, description = "Printer name")),
    request_body = LoadMaterial,
    responses(
        (status = 200, description = "Recorded; the printer as it is now", body = PrinterView),
        (status = 404, description = "No such printer (`name`)", body = ErrorBody),
        (status = 409, description = "A job is on the printer", body = ErrorBody),
        (status = 422, description = "A field is wrong (named)", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn load_material(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<LoadMaterial>,
) -> Result<Json<PrinterView>, ApiError> {
    caller.require(FARM_ROLES)?;
    let profile = state
        .config
        .printer(&name)
        .ok_or_else(|| ApiError::not_found("name", format!("printer {name:?} not found")))?;
    let material = body.material.trim();
    if material.is_empty() {
        return Err(ApiError::unprocessable("material", "must not be empty"));
    }
    validate::text("material", material)?;
    validate::optional_text("colour", body.colour.as_deref())?;
    let tool = body.tool.unwrap_or(0);
    if tool >= profile.extruders {
        let message = format!("{name} has {} tool(s), numbered from 0", profile.extruders);
        return Err(ApiError::unprocessable("tool", message));
    }
    let current = state.farm.printers().into_iter().find(|p| p.name == name);
    let mut loads = current.map(|p| p.loaded).unwrap_or_default();
    loads.resize_with(profile.extruders as usize, || ToolLoad {
        material: String::new(),
        colour: None,
    });
    loads[tool as usize] = ToolLoad {
        material: material.to_owned(),
        colour: body
            .colour
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
    };
    state
        .farm
        .load_material(&name, loads)
        .await
        .map_err(control_error)?;
    state
        .farm
        .printers()
        .into_iter()
        .find(|p| p.name == name)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("name", format!("printer {name:?} not found")))
}
