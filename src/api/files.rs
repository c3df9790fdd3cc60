//! `POST /api/files` (upload, analyse, check, store) and `GET /api/files/{id}`.

use super::auth::{Caller, SUBMIT_ROLES};
use super::error::{ApiError, ErrorBody};
use super::upload::{self, Received, FILE_FIELD};
use super::AppState;
use crate::files;
use crate::gcode::Violation;
use crate::store::FileRecord;
use anyhow::Context;
use axum::extract::{Multipart, Path, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;

/// A stored file as the API shows it (without its path on the server).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    id: String,
    sha256: String,
    original_name: String,
    size_bytes: i64,
    created_at: i64,
    /// The G-code analysis: extents, temperatures, tools, estimated time, …
    #[schema(value_type = Object)]
    analysis: serde_json::Value,
    violations_by_printer: BTreeMap<String, Vec<Violation>>,
}

impl FileView {
    /// The view of `record` with its checks against every printer.
    pub(super) fn new(
        record: FileRecord,
        violations_by_printer: BTreeMap<String, Vec<Violation>>,
    ) -> Self {
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

/// The multipart body of `POST /api/files` (for the API description).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FileUpload {
    /// The G-code file; its file name is kept as `original_name`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Records a received upload for `owner` (see [`files::record`]).
pub(super) async fn record_upload(
    state: &AppState,
    received: Received,
    owner: Option<String>,
) -> Result<(FileRecord, files::ByPrinter), ApiError> {
    let incoming = files::Incoming {
        path: received.file.path(),
        sha256: &received.sha256,
        size_bytes: received.size_bytes,
        original_name: &received.original_name,
        owner_key_id: owner,
    };
    let recorded = files::record(&state.store, &state.config, &state.data_dir, incoming).await;
    match recorded {
        Ok(done) => {
            received.file.keep();
            Ok(done)
        }
        Err(files::Refused::Unprintable(reason)) => {
            Err(ApiError::unprocessable(FILE_FIELD, reason))
        }
        Err(files::Refused::Store(e)) => Err(e.into()),
        Err(files::Refused::Host(e)) => Err(ApiError::Internal(e)),
    }
}

/// Refuses an upload whose declared size is over the limit before reading
/// it (the multipart framing gets 1 MiB of slack).
pub(super) fn refuse_oversized(headers: &HeaderMap, limit_mb: u64) -> Result<(), ApiError> {
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
#[utoipa::path(
    post,
    path = "/files",
    tag = "files",
    request_body(content = FileUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored, analysed and checked against every printer (the caller's copy when the content is known)", body = FileView),
        (status = 400, description = "Not a multipart body, or no `file` part", body = ErrorBody),
        (status = 413, description = "Larger than `max_upload_mb`", body = ErrorBody),
        (status = 422, description = "Not printable G-code", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician", "shop"]), ("bearer" = ["operator", "technician", "shop"]))
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let limit_mb = state.config.farm.max_upload_mb;
    refuse_oversized(&headers, limit_mb)?;
    let received = upload::receive(multipart, &state.data_dir.join("uploads"), limit_mb).await?;
    let (record, violations) = keep_received(&state, received, caller.owner_filter()).await?;
    Ok((StatusCode::CREATED, Json(FileView::new(record, violations))))
}

/// Keeps a received upload as `owner`'s file: the owner's own copy of the
/// same content if there is one, a copy of another owner's record (not
/// analysed again), or a new file.
pub(super) async fn keep_received(
    state: &AppState,
    received: Received,
    owner: Option<String>,
) -> Result<(FileRecord, files::ByPrinter), ApiError> {
    let store = &state.store;
    let files_dir = state.data_dir.join("files");
    tokio::fs::create_dir_all(&files_dir)
        .await
        .with_context(|| format!("creating {}", files_dir.display()))?;
    if let Some(mine) = store
        .find_file_by_sha256(&received.sha256, owner.as_deref())
        .await?
    {
        let violations = files::recheck(&state.config, &mine);
        return Ok((mine, violations));
    }
    match store.any_file_with_sha256(&received.sha256).await? {
        Some(other) => {
            let record = files::record_copy(store, other, &received.original_name, owner).await?;
            let violations = files::recheck(&state.config, &record);
            Ok((record, violations))
        }
        None => record_upload(state, received, owner).await,
    }
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
#[utoipa::path(
    get,
    path = "/files/{id}",
    tag = "files",
    params(("id" = String, Path, description = "File id")),
    responses(
        (status = 200, description = "The file and its checks", body = FileView),
        (status = 404, description = "No such file (or not the caller's)", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician", "shop"]), ("bearer" = ["operator", "technician", "shop"]))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FileView>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let record = usable_file(&state, &caller, &id, "id").await?;
    let violations = files::recheck(&state.config, &record);
    Ok(Json(FileView::new(record, violations)))
}
