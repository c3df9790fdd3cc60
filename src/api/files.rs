//! `POST /api/files` (upload, analyse, check, store) and `GET /api/files/{id}`.

use super::auth::{Caller, SUBMIT_ROLES};
use super::error::ApiError;
use super::profiles::{file_keys, stored_violations, violations_by_printer};
use super::upload::{self, Received, FILE_FIELD};
use super::AppState;
use crate::gcode::{self, Analysis, AnalyzeOptions, Violation, ViolationKind};
use crate::store::{FileRecord, NewFile};
use anyhow::Context;
use axum::extract::{Multipart, Path, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A stored file as the API shows it (without its path on the server).
#[derive(Debug, Serialize)]
pub struct FileView {
    id: String,
    sha256: String,
    original_name: String,
    size_bytes: i64,
    created_at: i64,
    analysis: serde_json::Value,
    violations_by_printer: BTreeMap<String, Vec<Violation>>,
}

impl FileView {
    fn new(record: FileRecord, violations_by_printer: BTreeMap<String, Vec<Violation>>) -> Self {
        FileView {
            id: record.id,
            sha256: record.sha256,
            original_name: record.original_name,
            size_bytes: record.size_bytes,
            created_at: record.created_at,
            analysis: record.analysis,
            violations_by_printer,
        }
    }
}

async fn analyse(path: PathBuf) -> Result<Analysis, ApiError> {
    let analysis = tokio::task::spawn_blocking(move || {
        gcode::analyze_file(&path, &AnalyzeOptions::default(), &mut |_| {})
            .with_context(|| format!("analysing {}", path.display()))
    })
    .await
    .context("analysis task")??;
    Ok(analysis)
}

/// The violations of a stored file, re-checked against today's profiles.
fn recheck(state: &AppState, record: &FileRecord) -> BTreeMap<String, Vec<Violation>> {
    match serde_json::from_value::<Analysis>(record.analysis.clone()) {
        Ok(analysis) => violations_by_printer(&analysis, &state.config),
        Err(error) => {
            tracing::warn!("file {}: stored analysis unreadable: {error}", record.id);
            BTreeMap::new()
        }
    }
}

/// A line too long for every printer's command buffer would be rejected by
/// the firmware forever: such a file is refused at the door.
fn refuse_lines_no_printer_takes(
    by_printer: &BTreeMap<String, Vec<Violation>>,
) -> Result<(), ApiError> {
    let too_long = |violations: &Vec<Violation>| {
        violations
            .iter()
            .find(|v| v.kind == ViolationKind::LineTooLong)
            .cloned()
    };
    let mut found = by_printer.values().map(too_long);
    let first = found.next().flatten();
    match first {
        Some(violation) if found.all(|v| v.is_some()) => Err(ApiError::unprocessable(
            FILE_FIELD,
            format!("line {}: {}", violation.line, violation.reason),
        )),
        _ => Ok(()),
    }
}

/// Analyses, checks and records a received upload for `owner`, moving it
/// into `files/`.
async fn store_upload(
    state: &AppState,
    received: Received,
    owner: Option<String>,
) -> Result<FileView, ApiError> {
    let analysis = analyse(received.file.path().to_owned()).await?;
    if let Some(reason) = crate::domain::gates::not_gcode(&analysis) {
        return Err(ApiError::unprocessable(FILE_FIELD, reason));
    }
    let by_printer = violations_by_printer(&analysis, &state.config);
    refuse_lines_no_printer_takes(&by_printer)?;
    let keys = file_keys(&analysis, &stored_violations(&by_printer));
    let target = state
        .data_dir
        .join("files")
        .join(format!("{}.gcode", received.sha256));
    let shared = target.exists();
    let analysis_json = serde_json::to_value(&analysis).context("serialising the analysis")?;
    received
        .file
        .persist(&target)
        .await
        .with_context(|| format!("moving the upload to {}", target.display()))?;
    let new = NewFile {
        sha256: received.sha256,
        original_name: received.original_name,
        size_bytes: i64::try_from(received.size_bytes).unwrap_or(i64::MAX),
        path: target.display().to_string(),
        analysis: analysis_json,
        keys,
        line_count: i64::try_from(analysis.lines).ok(),
        first_extrusion_line: analysis
            .first_extrusion_line
            .and_then(|l| i64::try_from(l).ok()),
        owner_key_id: owner,
    };
    let record = state.store.insert_file(new).await.inspect_err(|_| {
        if !shared {
            let _ = std::fs::remove_file(&target);
        }
    })?;
    Ok(FileView::new(record, by_printer))
}

/// The same content as `other`, recorded again for `owner` under the name
/// they gave it: the analysis and the stored copy are shared, nothing of
/// `other` is shown.
async fn record_copy(
    state: &AppState,
    other: FileRecord,
    received: Received,
    owner: Option<String>,
) -> Result<FileRecord, ApiError> {
    let new = NewFile {
        sha256: other.sha256,
        original_name: received.original_name,
        size_bytes: other.size_bytes,
        path: other.path,
        analysis: other.analysis,
        keys: other.keys,
        line_count: other.line_count,
        first_extrusion_line: other.first_extrusion_line,
        owner_key_id: owner,
    };
    Ok(state.store.insert_file(new).await?)
}

/// Refuses an upload whose declared size is over the limit before reading
/// it (the multipart framing gets 1 MiB of slack).
fn refuse_oversized(headers: &HeaderMap, limit_mb: u64) -> Result<(), ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let limit = limit_mb.saturating_add(1).saturating_mul(1024 * 1024);
    match declared {
        Some(length) if length > limit => Err(ApiError::TooLarge { limit_mb }),
        _ => Ok(()),
    }
}

/// `POST /api/files`: multipart field `file`. Content already stored is
/// not analysed again; a shop's upload never reveals another owner's file.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let limit_mb = state.config.farm.max_upload_mb;
    refuse_oversized(&headers, limit_mb)?;
    let files_dir = state.data_dir.join("files");
    tokio::fs::create_dir_all(&files_dir)
        .await
        .with_context(|| format!("creating {}", files_dir.display()))?;
    let received = upload::receive(multipart, &state.data_dir.join("uploads"), limit_mb).await?;
    let owner = caller.owner_filter();
    let store = &state.store;
    if let Some(mine) = store
        .find_file_by_sha256(&received.sha256, owner.as_deref())
        .await?
    {
        let violations = recheck(&state, &mine);
        return Ok((StatusCode::CREATED, Json(FileView::new(mine, violations))));
    }
    let view = match store.any_file_with_sha256(&received.sha256).await? {
        Some(other) => {
            let record = record_copy(&state, other, received, owner).await?;
            let violations = recheck(&state, &record);
            FileView::new(record, violations)
        }
        None => store_upload(&state, received, owner).await?,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// The file `id` if the caller may use it: a shop only its own uploads.
/// Anything else is "not found", naming `field`.
pub async fn usable_file(
    state: &AppState,
    caller: &Caller,
    id: &str,
    field: &str,
) -> Result<FileRecord, ApiError> {
    let record = state
        .store
        .get_file(id)
        .await
        .map_err(|e| ApiError::from_store(e, field))?;
    if !caller.may_see(record.owner_key_id.as_deref()) {
        return Err(ApiError::not_found(field, format!("file {id:?} not found")));
    }
    Ok(record)
}

/// `GET /api/files/{id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FileView>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let record = usable_file(&state, &caller, &id, "id").await?;
    let violations = recheck(&state, &record);
    Ok(Json(FileView::new(record, violations)))
}
