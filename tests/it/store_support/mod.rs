//! Shared fixtures for the store tests: a fresh database per test, SQLite
//! (a temp file) or PostgreSQL (a schema of its own in the database that
//! `PRINTFARM_TEST_POSTGRES_URL` names; `.ci/run` starts one). The
//! [`store_tests!`] macro runs each test on both.

#![allow(dead_code)]

use printfarm::store::{new_id, FileKeys, FileRecord, NewFile, NewJob, Store};
use serde_json::json;
use sqlx::Executor;
use tempfile::TempDir;

/// The environment variable naming a throwaway PostgreSQL database.
pub const POSTGRES_URL: &str = "PRINTFARM_TEST_POSTGRES_URL";

/// A store on a new database, with printers `p1` and `p2`.
pub struct TestDb {
    /// The store.
    pub store: Store,
    /// The URL it was opened with.
    pub url: String,
    _dir: Option<TempDir>,
}

/// A fresh SQLite file.
pub async fn fresh_sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("farm.db").display());
    let store = Store::connect(&url).await.unwrap();
    with_printers(TestDb {
        store,
        url,
        _dir: Some(dir),
    })
    .await
}

/// A fresh schema in the test PostgreSQL database, or `None` (with a note
/// on stderr) when none is configured.
pub async fn fresh_postgres() -> Option<TestDb> {
    let url = fresh_postgres_url().await?;
    let store = Store::connect(&url).await.unwrap();
    Some(
        with_printers(TestDb {
            store,
            url,
            _dir: None,
        })
        .await,
    )
}

/// The URL of a fresh, empty schema in the test PostgreSQL database, or
/// `None` (with a note on stderr) when none is configured.
pub async fn fresh_postgres_url() -> Option<String> {
    let Ok(base) = std::env::var(POSTGRES_URL) else {
        eprintln!("{POSTGRES_URL} is not set: skipping the PostgreSQL run of this test");
        return None;
    };
    sqlx::any::install_default_drivers();
    let schema = format!("t{}", new_id());
    let admin = sqlx::AnyPool::connect(&base).await.unwrap();
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .unwrap();
    admin.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    Some(format!(
        "{base}{separator}options=-c%20search_path%3D{schema}"
    ))
}

async fn with_printers(db: TestDb) -> TestDb {
    db.store
        .register_printers(&["p1".to_owned(), "p2".to_owned()])
        .await
        .unwrap();
    db
}

/// Runs each named `async fn(Store)` on SQLite and on PostgreSQL.
macro_rules! store_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::store_support::fresh_sqlite().await;
                    super::$name(db.store.clone()).await;
                    db.store.close().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::store_support::fresh_postgres().await else {
                        return;
                    };
                    super::$name(db.store.clone()).await;
                    db.store.close().await;
                }
            )+
        }
    };
}
pub(crate) use store_tests;

/// A small analysed file.
pub async fn sample_file(store: &Store) -> FileRecord {
    store
        .insert_file(NewFile {
            sha256: "ab".repeat(32),
            original_name: "cube.gcode".into(),
            size_bytes: 1234,
            path: "/data/files/cube.gcode".into(),
            analysis: json!({ "layers": 10 }),
            keys: FileKeys {
                extents_min: Some([10.0, -3.0, 0.2]),
                extents_max: Some([30.0, 20.0, 10.0]),
                tools_used: vec![0],
                max_hotend_temp: Some(215.0),
                max_bed_temp: Some(60.0),
                nozzle_diameter: Some(0.4),
                estimated_time_s: Some(600.0),
                filament_mm: Some(1500.0),
                violations: json!([]),
                longest_line_bytes: Some(40),
            },
            line_count: Some(4000),
            first_extrusion_line: Some(10),
            owner_key_id: None,
        })
        .await
        .unwrap()
}

/// One queued job for `file_id`; returns its id.
pub async fn one_job(store: &Store, file_id: &str) -> String {
    let new = NewJob {
        file_id: file_id.to_owned(),
        quantity: 1,
        ..NewJob::default()
    };
    store.create_jobs(&new).await.unwrap().remove(0)
}
