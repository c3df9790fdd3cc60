//! Shared fixtures for the store tests: a fresh SQLite file per test.

#![allow(dead_code)]

use printfarm::store::{FileKeys, FileRecord, NewFile, NewJob, Store};
use serde_json::json;
use tempfile::TempDir;

/// A store on a new database file; keep the `TempDir` alive while using it.
pub async fn fresh_store() -> (Store, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("farm.db"))
        .await
        .unwrap();
    store
        .register_printers(&["p1".to_owned(), "p2".to_owned()])
        .await
        .unwrap();
    (store, dir)
}

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
            },
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
