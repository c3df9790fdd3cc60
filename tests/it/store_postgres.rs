//! The store on PostgreSQL. Runs only when `PRINTFARM_TEST_POSTGRES_URL`
//! points to a throwaway database (its `public` schema is dropped first).

use printfarm::store::{
    CatalogueEntry, FailOutcome, FileKeys, ItemSource, JobState, NewFile, NewJob, NewOrder,
    NewOrderItem, PrinterState, Role, Store,
};
use serde_json::json;
use sqlx::Executor;

async fn fresh_postgres() -> Option<Store> {
    let url = std::env::var("PRINTFARM_TEST_POSTGRES_URL").ok()?;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    pool.execute("DROP SCHEMA public CASCADE").await.unwrap();
    pool.execute("CREATE SCHEMA public").await.unwrap();
    pool.close().await;
    Some(Store::connect(&url).await.unwrap())
}

#[tokio::test]
async fn the_whole_store_works_on_postgres() {
    let Some(store) = fresh_postgres().await else {
        eprintln!("PRINTFARM_TEST_POSTGRES_URL not set; skipping");
        return;
    };
    store
        .register_printers(&["p1".into(), "p2".into()])
        .await
        .unwrap();
    store
        .set_printer_state("p1", PrinterState::Idle)
        .await
        .unwrap();
    let keys = FileKeys {
        extents_min: Some([0.0, -3.0, 0.2]),
        extents_max: Some([10.0, 10.0, 5.0]),
        tools_used: vec![0],
        estimated_time_s: Some(60.0),
        violations: json!([]),
        ..FileKeys::default()
    };
    let new_file = NewFile {
        sha256: "ef".repeat(32),
        original_name: "a.gcode".into(),
        size_bytes: 1,
        path: "/tmp/a.gcode".into(),
        analysis: json!({ "ok": true }),
        keys,
    };
    let file = store.insert_file(new_file).await.unwrap();
    assert_eq!(store.get_file(&file.id).await.unwrap(), file);

    let new = NewJob {
        file_id: file.id.clone(),
        quantity: 3,
        ..NewJob::default()
    };
    let ids = store.create_jobs(&new).await.unwrap();
    assert!(store.claim_job(&ids[0], "p1").await.unwrap());
    assert!(!store.claim_job(&ids[1], "p1").await.unwrap());
    assert!(!store.claim_job(&ids[0], "p2").await.unwrap());
    let raw = sqlx::query("UPDATE jobs SET state = 'printing', printer = 'p1' WHERE id = $1")
        .bind(&ids[1])
        .execute(store.pool())
        .await;
    assert!(raw.is_err());
    store.start_printing(&ids[0]).await.unwrap();
    store.record_progress(&ids[0], 42).await.unwrap();
    let outcome = store.fail(&ids[0], "nozzle clog", true).await.unwrap();
    assert_eq!(outcome, FailOutcome::Requeued { attempts: 1 });
    assert!(store.claim_job(&ids[0], "p1").await.unwrap());
    store.start_printing(&ids[0]).await.unwrap();
    store.complete(&ids[0]).await.unwrap();
    store.hold(&ids[2]).await.unwrap();
    store.set_priority(&ids[2], 4).await.unwrap();

    store
        .upsert_catalogue_entry(&CatalogueEntry {
            sku: "S1".into(),
            file_id: file.id.clone(),
            material: Some("PLA".into()),
            colour: None,
        })
        .await
        .unwrap();
    let (shop, key) = store.create_api_key(Role::Shop, "shop").await.unwrap();
    assert_eq!(
        store.lookup_api_key(&key).await.unwrap(),
        Some(shop.clone())
    );
    let order = NewOrder {
        external_id: Some("X".into()),
        owner_key_id: Some(shop.id),
        items: vec![NewOrderItem {
            source: ItemSource::Sku("S1".into()),
            quantity: 2,
            personalisation: Some(json!(["a", "b"])),
            material: None,
            colour: None,
        }],
        ..NewOrder::default()
    };
    let created = store.create_order(&order).await.unwrap();
    assert_eq!(created.job_ids.len(), 2);
    assert!(store.create_order(&order).await.is_err());

    assert!(store.claim_job(&ids[1], "p2").await.unwrap());
    store.start_printing(&ids[1]).await.unwrap();
    let report = store.recover_after_restart().await.unwrap();
    assert_eq!(report.requeued, [ids[1].clone()]);
    assert_eq!(report.awaiting_clear, ["p2"]);
    assert_eq!(
        store.get_job(&ids[1]).await.unwrap().state,
        JobState::Queued
    );

    let stats = store
        .stats(0, printfarm::store::now_ms() + 1)
        .await
        .unwrap();
    assert_eq!((stats.jobs_completed, stats.queue_length), (1, 3));
    assert!(stats.estimate_ratio.is_some());
    assert_eq!(store.list_printers().await.unwrap().len(), 2);
    assert_eq!(store.queued_jobs().await.unwrap().len(), 3);
    assert!(!store.list_events(0, 1000).await.unwrap().is_empty());
}
