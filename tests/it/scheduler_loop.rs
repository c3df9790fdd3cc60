//! `schedule_once` against a real store and the repository's `printers.toml`.

use printfarm::config::Config;
use printfarm::scheduler::run::{load_snapshot, schedule_once};
use printfarm::scheduler::{can_any_print, Availability};
use printfarm::store::{FileKeys, JobState, NewFile, NewJob, PrinterState, Store};
use serde_json::json;
use std::path::Path;

async fn farm() -> (Store, Config, tempfile::TempDir) {
    let config =
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("printers.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("farm.db"))
        .await
        .unwrap();
    let names: Vec<String> = config.printers.iter().map(|p| p.name.clone()).collect();
    store.register_printers(&names).await.unwrap();
    for name in &names {
        store
            .set_printer_state(name, PrinterState::Idle)
            .await
            .unwrap();
    }
    (store, config, dir)
}

async fn pla_file(store: &Store) -> String {
    let keys = FileKeys {
        extents_min: Some([5.0, -3.0, 0.2]),
        extents_max: Some([60.0, 60.0, 20.0]),
        tools_used: vec![0],
        max_hotend_temp: Some(215.0),
        max_bed_temp: Some(60.0),
        nozzle_diameter: Some(0.4),
        violations: json!([]),
        ..FileKeys::default()
    };
    let new = NewFile {
        sha256: "cd".repeat(32),
        original_name: "purge.gcode".into(),
        size_bytes: 10,
        path: "/tmp/purge.gcode".into(),
        analysis: json!({}),
        keys,
    };
    store.insert_file(new).await.unwrap().id
}

#[tokio::test]
async fn a_round_claims_pla_jobs_on_the_mk3s_printers_only() {
    let (store, config, _dir) = farm().await;
    let file = pla_file(&store).await;
    let new = NewJob {
        file_id: file,
        quantity: 4,
        material: Some("PLA".into()),
        ..NewJob::default()
    };
    store.create_jobs(&new).await.unwrap();
    store
        .set_printer_state("mk3s-2", PrinterState::AwaitingClear)
        .await
        .unwrap();

    let snapshot = load_snapshot(&store, &config.printers).await.unwrap();
    assert_eq!(snapshot.queue.len(), 4);
    let availability: Vec<_> = snapshot.printers.iter().map(|p| p.availability).collect();
    use Availability::{AwaitingClear, Idle};
    assert_eq!(availability, [Idle, AwaitingClear, Idle, Idle]);
    assert_eq!(
        can_any_print(&snapshot.queue[0].needs, &snapshot.printers),
        Ok(())
    );

    // The purge line at Y=-3 rules out big-1, PLA rules out mk3s-petg, and
    // mk3s-2 awaits a bed clear: only mk3s-1 gets a job.
    let claimed = schedule_once(&store, &config.printers).await.unwrap();
    let printers: Vec<_> = claimed.iter().map(|a| a.printer.as_str()).collect();
    assert_eq!(printers, ["mk3s-1"]);
    assert_eq!(
        store.get_job(&claimed[0].job_id).await.unwrap().state,
        JobState::Assigned
    );

    assert!(schedule_once(&store, &config.printers)
        .await
        .unwrap()
        .is_empty());
    store.clear_bed("mk3s-2").await.unwrap();
    let claimed = schedule_once(&store, &config.printers).await.unwrap();
    let printers: Vec<_> = claimed.iter().map(|a| a.printer.as_str()).collect();
    assert_eq!(printers, ["mk3s-2"]);
}
