//! OctoPrint's `/api/files`: uploads into the farm's library (the same
//! streaming, analysis and records as `POST /api/files`), the caller's files,
//! and `select` (with `print`: a job in the queue).

use super::super::auth::{Caller, SUBMIT_ROLES};
use super::super::body::ApiJson;
use super::super::error::ApiError;
use super::super::files::{keep_received, usable_file, FileView};
use super::super::jobs::submit;
use super::super::AppState;
use super::form::{self, SlicerForm};
use super::{Links, Target};
use crate::files::record_copy;
use crate::store::{FileRecord, JobFilter, JobState};
use axum::extract::{Multipart, Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// Files listed at most.
const LIST_MAX: i64 = 1000;

/// An upload kept in the library, and the jobs it queued.
#[derive(Debug)]
pub struct Sent {
    /// The library path the client asked for.
    pub path: String,
    /// The file record (shared with `/api/files`).
    pub file: FileRecord,
    /// Its checks against every printer, as `/api/files` shows them.
    pub view: FileView,
    /// Selected (or printed).
    pub select: bool,
    /// Jobs queued for it.
    pub job_ids: Vec<String>,
}

/// Keeps the form's file as `/api/files` does (owner, analysis, checks),
/// under the library path it asked for; selects it when `select` or `print`
/// and queues a job on the target when `print`.
pub async fn keep(
    state: &AppState,
    caller: &Caller,
    target: &Target,
    form: SlicerForm,
    print: bool,
) -> Result<Sent, ApiError> {
    let select = print || form.flag("select");
    let dir = form.text("path").to_owned();
    let mut received = form.received;
    let path = form::library_path(&dir, &received.original_name, "path")?;
    form::ensure_gcode(&path)?;
    received.original_name = path.clone();
    let (file, violations) = keep_received(state, received, caller.owner_filter()).await?;
    let file = under_path(state, caller, file, &path).await?;
    tracing::info!(key = %caller.key_id, file = %file.id, %path, print, "slicer upload");
    if select {
        state.selections.select(caller, target, &file.id);
    }
    let job_ids = match print {
        true => submit(state, caller, &file, target.submission()).await?,
        false => Vec::new(),
    };
    let view = FileView::new(file.clone(), violations);
    Ok(Sent {
        path,
        file,
        view,
        select,
        job_ids,
    })
}

/// `file` under library path `path`: itself, or, when its content was kept
/// before under another name, a record of the same content named `path`
/// (the stored copy and analysis shared), so the path finds it later.
async fn under_path(
    state: &AppState,
    caller: &Caller,
    file: FileRecord,
    path: &str,
) -> Result<FileRecord, ApiError> {
    if file.original_name == path {
        return Ok(file);
    }
    Ok(record_copy(&state.store, file, path, caller.owner_filter()).await?)
}

/// Queues `file` for the caller on the target, unless a job of it from
/// this caller is still waiting or on a printer: a repeated start is
/// harmless. Returns that job's or the new job's ids.
pub async fn start_once(
    state: &AppState,
    caller: &Caller,
    target: &Target,
    file: &FileRecord,
) -> Result<Vec<String>, ApiError> {
    let filter = JobFilter {
        states: JobState::ALL
            .into_iter()
            .filter(|s| !s.is_terminal())
            .collect(),
        owner_key_id: Some(caller.key_id.clone()),
        limit: Some(LIST_MAX),
        ..JobFilter::default()
    };
    let open = state.store.list_jobs(&filter).await?;
    let mine: Vec<String> = open
        .into_iter()
        .filter(|job| job.file_id.as_deref() == Some(file.id.as_str()) && target.sent(job))
        .map(|job| job.id)
        .collect();
    if !mine.is_empty() {
        return Ok(mine);
    }
    submit(state, caller, file, target.submission()).await
}

/// The caller's file at library path `path`, or 404 naming `field`.
pub async fn named_file(
    state: &AppState,
    caller: &Caller,
    path: &str,
    field: &str,
) -> Result<FileRecord, ApiError> {
    let path = form::library_path("", path, field)?;
    let owner = caller.owner_filter();
    let files = state.store.list_files(owner.as_deref(), LIST_MAX).await?;
    files
        .into_iter()
        .find(|f| f.original_name == path)
        .ok_or_else(|| ApiError::not_found(field, format!("no file {path:?}")))
}

/// A file as OctoPrint describes it.
#[derive(Debug, Serialize)]
struct Entry {
    name: String,
    path: String,
    origin: &'static str,
    refs: Refs,
}

#[derive(Debug, Serialize)]
struct Refs {
    resource: String,
    download: String,
}

impl Entry {
    fn new(path: &str, links: &Links) -> Entry {
        let name = path.rsplit('/').next().unwrap_or(path).to_owned();
        Entry {
            name,
            path: path.to_owned(),
            origin: "local",
            refs: Refs {
                resource: links.file(path),
                download: links.download(path),
            },
        }
    }
}

/// OctoPrint's answer to an upload, with printfarm's file and jobs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Uploaded {
    files: HashMap<&'static str, Entry>,
    done: bool,
    effective_select: bool,
    effective_print: bool,
    printfarm: Value,
}

/// `POST /api/files/local`: 201 with `Location` and OctoPrint's body.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let form = form::read(&state, &caller, &headers, multipart).await?;
    let print = form.flag("print");
    let sent = keep(&state, &caller, &target, form, print).await?;
    let links = Links::new(&headers, &target);
    let location = links.file(&sent.path);
    let body = Uploaded {
        files: HashMap::from([("local", Entry::new(&sent.path, &links))]),
        done: true,
        effective_select: sent.select,
        effective_print: !sent.job_ids.is_empty(),
        printfarm: json!({ "file": sent.view, "job_ids": sent.job_ids }),
    };
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(body)).into_response())
}

/// `GET /api/files` and `GET /api/files/local`: the caller's files (a
/// shop's own; everyone's for the farm's staff), newest first, one per path.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let owner = caller.owner_filter();
    let records = state.store.list_files(owner.as_deref(), LIST_MAX).await?;
    let links = Links::new(&headers, &target);
    let mut seen = BTreeSet::new();
    let files: Vec<Value> = records
        .iter()
        .filter(|f| seen.insert(f.original_name.clone()))
        .map(|f| listed(f, &links))
        .collect();
    Ok(Json(json!({ "files": files, "free": free_bytes(&state) })))
}

/// One file of a listing.
fn listed(file: &FileRecord, links: &Links) -> Value {
    let entry = Entry::new(&file.original_name, links);
    json!({
        "name": entry.name, "path": entry.path, "origin": entry.origin, "refs": entry.refs,
        "type": "machinecode", "typePath": ["machinecode", "gcode"],
        "size": file.size_bytes, "date": file.created_at / 1000,
        "gcodeAnalysis": { "estimatedPrintTime": file.analysis.get("estimated_time_s") },
        "printfarm": { "id": file.id },
    })
}

/// Free bytes where files are stored (0 when unknown).
fn free_bytes(state: &AppState) -> u64 {
    let Ok(stats) = nix::sys::statvfs::statvfs(&state.data_dir) else {
        return 0;
    };
    let blocks: u64 = stats.blocks_available();
    let block_size: u64 = stats.fragment_size();
    blocks.saturating_mul(block_size)
}

/// Body of `POST /api/files/local/{path}`.
#[derive(Debug, Deserialize)]
pub struct FileCommand {
    command: String,
    #[serde(default)]
    print: bool,
}

/// `POST /api/files/local/{path}` with `{"command": "select", "print": b}`:
/// selects the file, and with `print` queues it (once); 204.
pub async fn command(
    State(state): State<AppState>,
    caller: Caller,
    target: Target,
    Path(params): Path<HashMap<String, String>>,
    ApiJson(body): ApiJson<FileCommand>,
) -> Result<StatusCode, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    if body.command != "select" {
        let message = format!("unsupported command {:?}; use select", body.command);
        return Err(ApiError::bad_request("command", message));
    }
    let path = params.get("path").map_or("", String::as_str);
    let file = named_file(&state, &caller, path, "path").await?;
    state.selections.select(&caller, &target, &file.id);
    if body.print {
        start_once(&state, &caller, &target, &file).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The file `caller` selected on `target`, or 409.
pub async fn selected_file(
    state: &AppState,
    caller: &Caller,
    target: &Target,
) -> Result<FileRecord, ApiError> {
    let id = state
        .selections
        .selected(caller, target)
        .ok_or_else(|| ApiError::conflict("command", "no file is selected"))?;
    usable_file(state, caller, &id, "command").await
}
