//! A job's G-code on this host: the file itself when this host has it,
//! otherwise a copy fetched from the database's blob (see
//! [`crate::store::BlobChunks`]), verified by its SHA-256 before it is put
//! in place as `data_dir/files/<sha256>.gcode`.
//!
//! The copy is written to `data_dir/uploads/.upload-fetch-…`, so a copy a
//! crash cut off is removed at start with the uploads' temporary files, and
//! one that fails the check is removed at once; only a verified copy is
//! renamed into place.

use crate::domain::FailureCause;
use crate::store::{BlobChunks, Store, StoreError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

/// Prefix of a copy being fetched (the uploads' temporary prefix, so that
/// start-up removes what a crash left).
const FETCH_PREFIX: &str = ".upload-fetch-";

/// The file a job needs.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// Hex SHA-256 of its content.
    pub sha256: &'a str,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Where the host that recorded it keeps it (used when it is here).
    pub path_hint: &'a Path,
}

/// Why a job's file cannot be had on this host.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The database has no complete copy of the content.
    #[error("file {sha256} is not here and the database has no complete copy of it")]
    Missing {
        /// The content's hash.
        sha256: String,
    },
    /// The database's copy is not the content it is stored as.
    #[error("the database's copy of file {sha256} is damaged: {detail}")]
    Damaged {
        /// The content's hash.
        sha256: String,
        /// What was wrong.
        detail: String,
    },
    /// Reading the copy from the database failed.
    #[error("reading file {sha256} from the database: {source}")]
    Store {
        /// The content's hash.
        sha256: String,
        /// The store's error.
        source: StoreError,
    },
    /// Writing the copy on this host failed.
    #[error("writing {}: {source}", path.display())]
    Local {
        /// The file written.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl FetchError {
    /// The job's failure cause: a missing or damaged copy is the job's
    /// (trying again cannot help), a failing database or disk the host's.
    pub fn cause(&self) -> FailureCause {
        match self {
            FetchError::Missing { .. } => FailureCause::JobFileMissing,
            FetchError::Damaged { .. } => FailureCause::JobUnreadable,
            FetchError::Store { .. } => FailureCause::HostStorage,
            FetchError::Local { source, .. } => match FailureCause::of_file_error(source) {
                FailureCause::HostResources => FailureCause::HostResources,
                _ => FailureCause::HostStorage,
            },
        }
    }
}

/// A path on this host holding the content `wanted`: its recorded path or
/// `data_dir/files/<sha256>.gcode` when either has the right size, else a
/// verified copy of the database's blob put at the latter.
pub async fn local_copy(
    store: &Store,
    wanted: Wanted<'_>,
    data_dir: &Path,
) -> Result<PathBuf, FetchError> {
    if !is_sha256(wanted.sha256) {
        return Err(damaged(wanted.sha256, "not a SHA-256"));
    }
    let target = data_dir
        .join("files")
        .join(format!("{}.gcode", wanted.sha256));
    // The recorded path names a file on the host that recorded it: trust it
    // only inside this host's data directory.
    let own = tokio::fs::canonicalize(data_dir).await.ok();
    let hint =
        Some(wanted.path_hint).filter(|hint| own.as_ref().is_some_and(|own| hint.starts_with(own)));
    for candidate in hint.into_iter().chain([target.as_path()]) {
        if has_size(candidate, wanted.size_bytes).await {
            return Ok(candidate.to_owned());
        }
    }
    fetch(store, wanted.sha256, &target, &data_dir.join("uploads")).await?;
    Ok(target)
}

/// True when `path` is a file of `size` bytes.
async fn has_size(path: &Path, size: u64) -> bool {
    tokio::fs::metadata(path)
        .await
        .is_ok_and(|meta| meta.is_file() && meta.len() == size)
}

/// Streams the blob into a temporary file in `temp_dir`, checks size and
/// hash, and renames it to `target`.
async fn fetch(
    store: &Store,
    sha256: &str,
    target: &Path,
    temp_dir: &Path,
) -> Result<(), FetchError> {
    let mut chunks = store
        .read_blob(sha256)
        .await
        .map_err(|e| from_store(sha256, e))?
        .ok_or_else(|| FetchError::Missing {
            sha256: sha256.to_owned(),
        })?;
    for dir in [temp_dir, target.parent().unwrap_or(temp_dir)] {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| local(dir, e))?;
    }
    let temp = tempfile::Builder::new()
        .prefix(&format!("{FETCH_PREFIX}{sha256}-"))
        .tempfile_in(temp_dir)
        .map_err(|e| local(temp_dir, e))?;
    let (size, actual) = write_chunks(&mut chunks, &temp).await?;
    if size != chunks.size_bytes() || actual != sha256 {
        let detail = format!(
            "{size} bytes hashing to {actual}, expected {} bytes",
            chunks.size_bytes()
        );
        return Err(damaged(sha256, &detail)); // `temp` is removed on drop
    }
    temp.persist(target).map_err(|e| local(target, e.error))?;
    Ok(())
}

/// Writes the chunks to `temp`, hashing them; the size and hex SHA-256 of
/// what was written.
async fn write_chunks(
    chunks: &mut BlobChunks,
    temp: &NamedTempFile,
) -> Result<(u64, String), FetchError> {
    let path = temp.path();
    let handle = temp.as_file().try_clone().map_err(|e| local(path, e))?;
    let mut out = tokio::fs::File::from_std(handle);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = chunks
        .next_chunk()
        .await
        .map_err(|e| from_store(chunks.sha256(), e))?
    {
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(|e| local(path, e))?;
        size += chunk.len() as u64;
    }
    out.flush().await.map_err(|e| local(path, e))?;
    out.sync_all().await.map_err(|e| local(path, e))?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// True for 64 lowercase hex digits (the form files are stored under).
fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn damaged(sha256: &str, detail: &str) -> FetchError {
    FetchError::Damaged {
        sha256: sha256.to_owned(),
        detail: detail.to_owned(),
    }
}

fn from_store(sha256: &str, source: StoreError) -> FetchError {
    FetchError::Store {
        sha256: sha256.to_owned(),
        source,
    }
}

fn local(path: &Path, source: std::io::Error) -> FetchError {
    FetchError::Local {
        path: path.to_owned(),
        source,
    }
}
