//! Receiving an upload: the multipart field `file` is streamed to a temporary
//! file while being hashed, and refused once it passes the size limit.

use super::error::ApiError;
use axum::extract::multipart::{Field, Multipart, MultipartError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The multipart field that carries the G-code.
pub const FILE_FIELD: &str = "file";

/// A file on disk that is deleted when dropped, unless kept.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops deleting it (it was moved elsewhere).
    pub fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// An upload written to disk.
#[derive(Debug)]
pub struct Received {
    /// The temporary file holding the content.
    pub file: TempFile,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// File name the client gave, or `upload.gcode`.
    pub original_name: String,
}

pub(super) fn multipart_error(error: MultipartError, limit_mb: u64) -> ApiError {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::TooLarge { limit_mb };
    }
    ApiError::bad_request(
        FILE_FIELD,
        format!("malformed multipart body: {}", error.body_text()),
    )
}

/// Prefix of the temporary files uploads are streamed into.
const TEMP_PREFIX: &str = ".upload-";

/// Removes temporary files of uploads a crash cut off (only this process
/// writes them, and it is starting). Returns how many were removed.
pub fn remove_orphans(dir: &Path) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Streams the `file` field of `multipart` into `dir`, at most `limit_mb` MiB.
pub async fn receive(
    mut multipart: Multipart,
    dir: &Path,
    limit_mb: u64,
) -> Result<Received, ApiError> {
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit_mb))?
    {
        if field.name() == Some(FILE_FIELD) {
            return write_field(field, dir, limit_mb).await;
        }
    }
    Err(ApiError::unprocessable(
        FILE_FIELD,
        "the multipart field `file` with the G-code is missing",
    ))
}

pub(super) async fn write_field(
    mut field: Field<'_>,
    dir: &Path,
    limit_mb: u64,
) -> Result<Received, ApiError> {
    let original_name = field.file_name().unwrap_or("upload.gcode").to_owned();
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    let temp = TempFile {
        path: dir.join(format!("{TEMP_PREFIX}{}", crate::store::new_id())),
        keep: false,
    };
    let mut out = tokio::fs::File::create(temp.path())
        .await
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", temp.path().display()))?;
    let limit_bytes = limit_mb.saturating_mul(1024 * 1024);
    let mut hasher = Sha256::new();
    let mut size_bytes: u64 = 0;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| multipart_error(e, limit_mb))?
    {
        size_bytes += chunk.len() as u64;
        if size_bytes > limit_bytes {
            return Err(ApiError::TooLarge { limit_mb });
        }
        hasher.update(&chunk);
        out.write_all(&chunk)
            .await
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", temp.path().display()))?;
    }
    out.flush()
        .await
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", temp.path().display()))?;
    Ok(Received {
        file: temp,
        sha256: hex::encode(hasher.finalize()),
        size_bytes,
        original_name,
    })
}
