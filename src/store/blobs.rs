//! File contents in the database, so that every host of the farm can read a
//! file whichever host recorded it.
//!
//! A blob is keyed by the SHA-256 of its content and stored in chunks
//! (`blob_chunks`, [`BLOB_CHUNK_BYTES`] each, the last one shorter). Putting
//! one is idempotent: the file is hashed first (a blob never holds content
//! other than its key's), each chunk is its own transaction
//! (`ON CONFLICT DO NOTHING`, so an interrupted or concurrent put is
//! continued, never doubled), and `complete_at` is set last, only when every
//! chunk is there. A complete blob is never written again. Reading goes one
//! chunk per query ([`BlobChunks`]), so a file is never whole in memory.

use super::write::Persistence;
use super::{now_ms, tx, Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyConnection, Row};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncReadExt;

/// Bytes per stored chunk.
pub const BLOB_CHUNK_BYTES: usize = 1024 * 1024;

/// A complete blob, read one chunk at a time (see [`Store::read_blob`]).
#[derive(Debug)]
pub struct BlobChunks {
    store: Store,
    sha256: String,
    size_bytes: u64,
    chunks: i64,
    next: i64,
}

impl BlobChunks {
    /// The blob's key, the hex SHA-256 of its content.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The blob's size in bytes, as recorded when it was put.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    /// The next chunk in order, or `None` after the last one.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, StoreError> {
        if self.next >= self.chunks {
            return Ok(None);
        }
        let data = self.store.blob_chunk(&self.sha256, self.next).await?;
        self.next += 1;
        Ok(Some(data))
    }
}

impl Store {
    /// Stores the content of `path` as the blob `sha256`, in chunks of
    /// [`BLOB_CHUNK_BYTES`]; does nothing when that blob is complete.
    pub async fn put_blob(&self, sha256: &str, path: &Path) -> Result<(), StoreError> {
        self.put_blob_chunked(sha256, path, BLOB_CHUNK_BYTES).await
    }

    /// [`put_blob`](Store::put_blob) with chunks of `chunk_bytes` (tests use
    /// small ones). An incomplete blob left by an earlier put is continued
    /// with its own chunk size.
    pub async fn put_blob_chunked(
        &self,
        sha256: &str,
        path: &Path,
        chunk_bytes: usize,
    ) -> Result<(), StoreError> {
        if self.blob_complete(sha256).await? {
            return Ok(());
        }
        let size = verified_size(sha256, path).await?;
        let chunk_bytes = self.begin_blob(sha256, size, chunk_bytes).await?;
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| file_error(path, e))?;
        let mut seq = 0i64;
        loop {
            let data = read_up_to(&mut file, chunk_bytes)
                .await
                .map_err(|e| file_error(path, e))?;
            if data.is_empty() {
                break;
            }
            self.put_chunk(sha256, seq, data).await?;
            seq += 1;
        }
        self.complete_blob(sha256).await
    }

    /// True when the blob `sha256` is stored whole.
    pub async fn blob_complete(&self, sha256: &str) -> Result<bool, StoreError> {
        let complete_at: Option<Option<i64>> = sqlx::query_scalar::<Any, Option<i64>>(
            "SELECT complete_at FROM blobs WHERE sha256 = $1",
        )
        .bind(sha256)
        .fetch_optional(&self.read_pool)
        .await?;
        Ok(matches!(complete_at, Some(Some(_))))
    }

    /// The complete blob `sha256`, to read chunk by chunk; `None` when it
    /// is missing or not complete.
    pub async fn read_blob(&self, sha256: &str) -> Result<Option<BlobChunks>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT size_bytes, chunks FROM blobs WHERE sha256 = $1 AND complete_at IS NOT NULL",
        )
        .bind(sha256)
        .fetch_optional(&self.read_pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let size: i64 = row.try_get("size_bytes")?;
        Ok(Some(BlobChunks {
            store: self.clone(),
            sha256: sha256.to_owned(),
            size_bytes: u64::try_from(size).map_err(|_| corrupt("blobs.size_bytes", size))?,
            chunks: row.try_get("chunks")?,
            next: 0,
        }))
    }

    /// Chunk `seq` of blob `sha256`.
    async fn blob_chunk(&self, sha256: &str, seq: i64) -> Result<Vec<u8>, StoreError> {
        sqlx::query_scalar::<Any, Vec<u8>>(
            "SELECT data FROM blob_chunks WHERE sha256 = $1 AND seq = $2",
        )
        .bind(sha256)
        .bind(seq)
        .fetch_optional(&self.read_pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "blob chunk",
            id: format!("{sha256}/{seq}"),
        })
    }

    /// Inserts the blob's row unless there is one; returns the chunk size
    /// its chunks are (or are to be) written in.
    async fn begin_blob(
        &self,
        sha256: &str,
        size: u64,
        chunk_bytes: usize,
    ) -> Result<usize, StoreError> {
        let size = i64::try_from(size).map_err(|_| invalid_size(size))?;
        let chunk = i64::try_from(chunk_bytes.max(1)).map_err(|_| invalid_size(chunk_bytes))?;
        let chunks = (size + chunk - 1) / chunk;
        let sha256 = sha256.to_owned();
        let stored: i64 = self
            .write(
                Persistence::Request,
                "begin blob",
                tx!([sha256] | conn | begin_blob_in(conn, &sha256, size, chunk, chunks).await),
            )
            .await?;
        usize::try_from(stored)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| corrupt("blobs.chunk_bytes", stored))
    }

    /// Writes one chunk, unless it is there already.
    async fn put_chunk(&self, sha256: &str, seq: i64, data: Vec<u8>) -> Result<(), StoreError> {
        let (sha256, data) = (sha256.to_owned(), Arc::new(data));
        self.write(
            Persistence::Request,
            "put blob chunk",
            tx!([sha256, data] | conn | {
                sqlx::query::<Any>(
                    "INSERT INTO blob_chunks (sha256, seq, data) VALUES ($1, $2, $3) \
                     ON CONFLICT (sha256, seq) DO NOTHING",
                )
                .bind(&sha256)
                .bind(seq)
                .bind(data.as_slice())
                .execute(&mut *conn)
                .await?;
                Ok(())
            }),
        )
        .await
    }

    /// Marks the blob complete once all its chunks are in.
    async fn complete_blob(&self, sha256: &str) -> Result<(), StoreError> {
        let sha256 = sha256.to_owned();
        self.write(
            Persistence::Request,
            "complete blob",
            tx!([sha256] | conn | complete_blob_in(conn, &sha256).await),
        )
        .await
    }
}

async fn begin_blob_in(
    conn: &mut AnyConnection,
    sha256: &str,
    size: i64,
    chunk: i64,
    chunks: i64,
) -> Result<i64, StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO blobs (sha256, size_bytes, chunk_bytes, chunks, complete_at, created_at) \
         VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(size)
    .bind(chunk)
    .bind(chunks)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    let stored = sqlx::query::<Any>("SELECT size_bytes, chunk_bytes FROM blobs WHERE sha256 = $1")
        .bind(sha256)
        .fetch_one(&mut *conn)
        .await?;
    let stored_size: i64 = stored.try_get("size_bytes")?;
    if stored_size != size {
        return Err(corrupt("blobs.size_bytes", stored_size));
    }
    Ok(stored.try_get("chunk_bytes")?)
}

async fn complete_blob_in(conn: &mut AnyConnection, sha256: &str) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "UPDATE blobs SET complete_at = $2 WHERE sha256 = $1 AND complete_at IS NULL \
         AND chunks = (SELECT COUNT(*) FROM blob_chunks c WHERE c.sha256 = $1)",
    )
    .bind(sha256)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    let complete: Option<i64> =
        sqlx::query_scalar::<Any, Option<i64>>("SELECT complete_at FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_one(&mut *conn)
            .await?;
    match complete {
        Some(_) => Ok(()),
        None => Err(StoreError::Corrupt {
            column: "blob_chunks",
            detail: format!("blob {sha256} lacks chunks after they were written"),
        }),
    }
}

/// Hashes the file on a blocking thread; its size when it hashes to
/// `sha256`.
async fn verified_size(sha256: &str, path: &Path) -> Result<u64, StoreError> {
    let owned = path.to_owned();
    let hashed = tokio::task::spawn_blocking(move || hash_file(&owned))
        .await
        .map_err(|e| StoreError::Invalid {
            field: "sha256",
            detail: format!("hashing task failed: {e}"),
        })?;
    let (actual, size) = hashed.map_err(|e| file_error(path, e))?;
    if actual != sha256 {
        return Err(StoreError::Invalid {
            field: "sha256",
            detail: format!("{} hashes to {actual}, not {sha256}", path.display()),
        });
    }
    Ok(size)
}

/// Hex SHA-256 and size of a file.
fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), size))
}

/// Reads until `limit` bytes or the end of the file.
async fn read_up_to(file: &mut tokio::fs::File, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(limit);
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    (&mut *file).take(limit).read_to_end(&mut data).await?;
    Ok(data)
}

fn file_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::File {
        path: PathBuf::from(path),
        source,
    }
}

fn corrupt(column: &'static str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        column,
        detail: format!("unexpected {value}"),
    }
}

fn invalid_size(size: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid {
        field: "size_bytes",
        detail: format!("{size} bytes cannot be stored"),
    }
}
