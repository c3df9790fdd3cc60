//! `POST /api/files` (upload, analyse, check, store) and `GET /api/files/{id}`.

use super::auth::{Caller, SUBMIT_ROLES};
use super::error::ApiError;
use super::profiles::{file_keys, has_gcode, stored_violations, violations_by_printer};
use super::upload::{self, Received, FILE_FIELD};
use super::AppState;
use crate::gcode::{self, Analysis, AnalyzeOptions, Violation};
use crate::store::{FileRecord, NewFile};
use anyhow::Context;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
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

/// Analyses, checks and records a received upload, moving it into `files/`.
async fn store_upload(state: &AppState, received: Received) -> Result<FileView, ApiError> {
    let analysis = analyse(received.file.path().to_owned()).await?;
    if !has_gcode(&analysis) {
        return Err(ApiError::unprocessable(
            FILE_FIELD,
            "the file contains no G-code commands",
        ));
    }
    let by_printer = violations_by_printer(&analysis, &state.config);
    let keys = file_keys(&analysis, &stored_violations(&by_printer));
    let target = state
        .data_dir
        .join("files")
        .join(format!("{}.gcode", received.sha256));
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
    };
    let record = state.store.insert_file(new).await.inspect_err(|_| {
        let _ = std::fs::remove_file(&target);
    })?;
    Ok(FileView::new(record, by_printer))
}

/// `POST /api/files`: multipart field `file`.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Multipart,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let files_dir = state.data_dir.join("files");
    tokio::fs::create_dir_all(&files_dir)
        .await
        .with_context(|| format!("creating {}", files_dir.display()))?;
    let limit_mb = state.config.farm.max_upload_mb;
    let received = upload::receive(multipart, &state.data_dir.join("uploads"), limit_mb).await?;
    if let Some(existing) = state.store.find_file_by_sha256(&received.sha256).await? {
        let violations = recheck(&state, &existing);
        return Ok((
            StatusCode::CREATED,
            Json(FileView::new(existing, violations)),
        ));
    }
    let view = store_upload(&state, received).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/files/{id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FileView>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let record = state.store.get_file(&id).await?;
    let violations = recheck(&state, &record);
    Ok(Json(FileView::new(record, violations)))
}
