//! File contents in the database: chunked blobs put idempotently, and the
//! local copy a printing host fetches, verified by hash.

use crate::store_support::{one_job, sample_file, store_tests};
use printfarm::domain::FailureCause;
use printfarm::files::cache::{local_copy, FetchError, Wanted};
use printfarm::store::{Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::path::{Path, PathBuf};

/// Small chunks, so a few kilobytes make many of them.
const CHUNK: usize = 1000;

/// A file of `size` bytes that repeats no chunk, and its hex SHA-256.
fn content_file(dir: &Path, size: usize) -> (PathBuf, String) {
    let bytes: Vec<u8> = (0..size)
        .map(|i| u8::try_from((i * 7 + i / 251) % 256).unwrap())
        .collect();
    let path = dir.join("content.gcode");
    std::fs::write(&path, &bytes).unwrap();
    (path, hex::encode(Sha256::digest(&bytes)))
}

async fn chunk_count(store: &Store, sha256: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM blob_chunks WHERE sha256 = $1")
        .bind(sha256)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get("n")
}

async fn complete_at(store: &Store, sha256: &str) -> Option<i64> {
    sqlx::query("SELECT complete_at FROM blobs WHERE sha256 = $1")
        .bind(sha256)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get("complete_at")
}

fn wanted<'a>(sha256: &'a str, size_bytes: u64, path_hint: &'a Path) -> Wanted<'a> {
    Wanted {
        sha256,
        size_bytes,
        path_hint,
    }
}

/// Files left in `dir` (none, or only what was put in place).
fn entries(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(read) => read
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn a_multi_chunk_file_round_trips_through_the_database(store: Store) {
    let dir = tempfile::tempdir().unwrap();
    let (source, sha256) = content_file(dir.path(), 10 * CHUNK + 500);
    store
        .put_blob_chunked(&sha256, &source, CHUNK)
        .await
        .unwrap();
    assert!(store.blob_complete(&sha256).await.unwrap());
    assert_eq!(chunk_count(&store, &sha256).await, 11);

    let mut chunks = store.read_blob(&sha256).await.unwrap().expect("complete");
    let mut sizes = Vec::new();
    while let Some(chunk) = chunks.next_chunk().await.unwrap() {
        sizes.push(chunk.len());
    }
    assert_eq!(sizes, [[CHUNK; 10].as_slice(), &[500]].concat());

    let data_dir = dir.path().join("node-b");
    let gone = dir.path().join("elsewhere/content.gcode");
    let size = (10 * CHUNK + 500) as u64;
    let copy = local_copy(&store, wanted(&sha256, size, &gone), &data_dir)
        .await
        .unwrap();
    assert_eq!(copy, data_dir.join(format!("files/{sha256}.gcode")));
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(&source).unwrap()
    );
    assert!(entries(&data_dir.join("uploads")).is_empty());
}

async fn putting_a_blob_again_rewrites_nothing(store: Store) {
    let dir = tempfile::tempdir().unwrap();
    let (source, sha256) = content_file(dir.path(), 3 * CHUNK);
    store
        .put_blob_chunked(&sha256, &source, CHUNK)
        .await
        .unwrap();
    let first = complete_at(&store, &sha256).await;
    assert!(first.is_some());
    // Complete: not read again, not written again, whatever the chunk size.
    std::fs::remove_file(&source).unwrap();
    store.put_blob(&sha256, &source).await.unwrap();
    assert_eq!(complete_at(&store, &sha256).await, first);
    assert_eq!(chunk_count(&store, &sha256).await, 3);
}

async fn content_that_is_not_its_hash_is_not_stored(store: Store) {
    let dir = tempfile::tempdir().unwrap();
    let (source, _) = content_file(dir.path(), 2 * CHUNK);
    let claimed = "0".repeat(64);
    let refused = store.put_blob_chunked(&claimed, &source, CHUNK).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Invalid {
                field: "sha256",
                ..
            })
        ),
        "{refused:?}"
    );
    assert!(!store.blob_complete(&claimed).await.unwrap());
    assert_eq!(chunk_count(&store, &claimed).await, 0);
}

async fn a_damaged_chunk_is_refused_and_not_put_in_place(store: Store) {
    let dir = tempfile::tempdir().unwrap();
    let (source, sha256) = content_file(dir.path(), 5 * CHUNK);
    store
        .put_blob_chunked(&sha256, &source, CHUNK)
        .await
        .unwrap();
    sqlx::query("UPDATE blob_chunks SET data = $1 WHERE sha256 = $2 AND seq = 3")
        .bind(vec![b'x'; CHUNK])
        .bind(&sha256)
        .execute(store.write_pool())
        .await
        .unwrap();

    let data_dir = dir.path().join("node-b");
    let gone = dir.path().join("elsewhere.gcode");
    let fetched = local_copy(&store, wanted(&sha256, 5 * CHUNK as u64, &gone), &data_dir).await;
    let Err(error) = fetched else {
        panic!("a damaged copy was accepted: {fetched:?}");
    };
    assert!(matches!(error, FetchError::Damaged { .. }), "{error:?}");
    assert_eq!(error.cause(), FailureCause::JobUnreadable);
    assert!(error.to_string().contains(&sha256), "{error}");
    assert!(!data_dir.join(format!("files/{sha256}.gcode")).exists());
    assert!(entries(&data_dir.join("uploads")).is_empty());
}

async fn a_missing_or_incomplete_blob_is_a_missing_file(store: Store) {
    let dir = tempfile::tempdir().unwrap();
    let unknown = "ab".repeat(32);
    let gone = dir.path().join("gone.gcode");
    let error = local_copy(&store, wanted(&unknown, 10, &gone), dir.path())
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Missing { .. }), "{error:?}");
    assert_eq!(error.cause(), FailureCause::JobFileMissing);
    assert!(error.to_string().contains(&unknown), "{error}");

    // A put cut off before its last chunk is not readable either.
    let (source, sha256) = content_file(dir.path(), 4 * CHUNK);
    store
        .put_blob_chunked(&sha256, &source, CHUNK)
        .await
        .unwrap();
    sqlx::query("UPDATE blobs SET complete_at = NULL WHERE sha256 = $1")
        .bind(&sha256)
        .execute(store.write_pool())
        .await
        .unwrap();
    assert!(!store.blob_complete(&sha256).await.unwrap());
    let size = 4 * CHUNK as u64;
    let error = local_copy(&store, wanted(&sha256, size, &gone), dir.path())
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Missing { .. }), "{error:?}");
    // Putting it again completes it.
    store
        .put_blob_chunked(&sha256, &source, CHUNK)
        .await
        .unwrap();
    assert!(store.blob_complete(&sha256).await.unwrap());
}

async fn a_local_file_of_the_right_size_is_used_as_it_is(store: Store) {
    let dir = tempfile::tempdir().unwrap();
    let (source, sha256) = content_file(dir.path(), 3 * CHUNK);
    let size = 3 * CHUNK as u64;
    let here = local_copy(&store, wanted(&sha256, size, &source), dir.path())
        .await
        .unwrap();
    assert_eq!(here, source, "no blob needed while the file is here");
    let error = local_copy(&store, wanted(&sha256, size + 1, &source), dir.path())
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Missing { .. }), "{error:?}");
}

async fn a_claim_names_the_content_of_its_file(store: Store) {
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    let start = store.begin_attempt(&job, "p1").await.unwrap().unwrap();
    assert_eq!(
        (start.sha256, start.size_bytes),
        (file.sha256, file.size_bytes)
    );
}

store_tests!(
    a_multi_chunk_file_round_trips_through_the_database,
    putting_a_blob_again_rewrites_nothing,
    content_that_is_not_its_hash_is_not_stored,
    a_damaged_chunk_is_refused_and_not_put_in_place,
    a_missing_or_incomplete_blob_is_a_missing_file,
    a_local_file_of_the_right_size_is_used_as_it_is,
    a_claim_names_the_content_of_its_file,
);
