//! Migrations, files, jobs from quantities, orders, catalogue and API keys.

use crate::store_support::{sample_file, store_tests};
use printfarm::store::{
    JobFilter, JobState, NewJob, NewOrder, NewOrderItem, NewProduct, NewUnit, ProductKind, Role,
    Store, StoreError,
};
use serde_json::json;
use sqlx::Row;

async fn migrations_create_every_table_and_reapply_cleanly(store: Store) {
    for table in [
        "attempts",
        "files",
        "jobs",
        "orders",
        "order_items",
        "catalogue",
        "printers",
        "events",
        "api_keys",
    ] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let n: i64 = sqlx::query(&sql)
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("n");
        assert!(n >= 0, "{table}");
    }
    let url = store.url().to_owned();
    store.close().await;
    let again = Store::connect(&url).await.unwrap();
    assert_eq!(again.list_printers().await.unwrap().len(), 2);
    again.close().await;
}

async fn files_round_trip_with_routing_keys(store: Store) {
    let file = sample_file(&store).await;
    assert_eq!(store.get_file(&file.id).await.unwrap(), file);
    let found = store.find_file_by_sha256(&file.sha256, None).await.unwrap();
    assert_eq!(found.map(|f| f.id), Some(file.id.clone()));
    assert!(matches!(
        store.get_file("nope").await,
        Err(StoreError::NotFound { kind: "file", .. })
    ));
}

async fn quantity_creates_that_many_queued_jobs(store: Store) {
    let file = sample_file(&store).await;
    for quantity in [1u32, 3, 7] {
        let new = NewJob {
            file_id: file.id.clone(),
            quantity,
            priority: 5,
            material: Some("PLA".into()),
            required_tags: vec!["mk3s".into()],
            ..NewJob::default()
        };
        let ids = store.create_jobs(&new).await.unwrap();
        assert_eq!(ids.len(), quantity as usize);
        for (unit, id) in ids.iter().enumerate() {
            let job = store.get_job(id).await.unwrap();
            assert_eq!(job.state, JobState::Queued);
            assert_eq!(job.unit_index, unit as i64);
            assert_eq!(job.required_tags, ["mk3s"]);
            assert_eq!(job.priority, 5);
        }
    }
    let queued = store.queued_jobs().await.unwrap();
    assert_eq!(queued.len(), 11);
    assert_eq!(queued[0].file, file.keys);
    let zero = NewJob {
        file_id: file.id,
        quantity: 0,
        ..NewJob::default()
    };
    assert!(matches!(
        store.create_jobs(&zero).await,
        Err(StoreError::Invalid { .. })
    ));
}

async fn jobs_for_a_missing_file_are_refused_and_nothing_is_written(store: Store) {
    let new = NewJob {
        file_id: "missing".into(),
        quantity: 2,
        ..NewJob::default()
    };
    assert!(matches!(
        store.create_jobs(&new).await,
        Err(StoreError::NotFound { kind: "file", .. })
    ));
    assert!(store
        .list_jobs(&JobFilter::default())
        .await
        .unwrap()
        .is_empty());
}

async fn order_items_become_jobs_with_personalisation_per_unit(store: Store) {
    let file = sample_file(&store).await;
    let tag = sample_file(&store).await;
    let product = NewProduct {
        sku: "TAG-1".into(),
        spec: json!({ "name": "Tag", "material": "PETG" }),
        kind: ProductKind::File {
            file_id: tag.id.clone(),
        },
        profiles: json!([]),
        charset: None,
        owner_key_id: None,
    };
    let version = store
        .create_product_version(&product)
        .await
        .unwrap()
        .version;
    let unit = |name: &str| NewUnit {
        personalisation: Some(json!({ "name": name })),
        render: None,
    };
    let same = NewUnit {
        personalisation: Some(json!({ "text": "same" })),
        render: None,
    };
    let order = NewOrder {
        external_id: Some("shop-1001".into()),
        due_at: Some(1_900_000_000_000),
        priority: 2,
        items: vec![
            NewOrderItem {
                file_id: Some(tag.id.clone()),
                product: Some(("TAG-1".into(), version)),
                units: vec![unit("Ann"), unit("Bo"), unit("Cy")],
                material: Some("PETG".into()),
                colour: Some("blue".into()),
                ..NewOrderItem::default()
            },
            NewOrderItem {
                units: vec![same.clone(), same],
                material: Some("PLA".into()),
                ..NewOrderItem::of_file(&file.id, 0)
            },
        ],
        ..NewOrder::default()
    };
    let created = store.create_order(&order).await.unwrap();
    assert_eq!(created.job_ids.len(), 5);
    let filter = JobFilter {
        order_id: Some(created.order.id.clone()),
        ..JobFilter::default()
    };
    let mut jobs = store.list_jobs(&filter).await.unwrap();
    jobs.sort_by(|a, b| a.id.cmp(&b.id));
    let seen: Vec<_> = jobs
        .iter()
        .map(|j| {
            (
                j.file_id.as_deref() == Some(tag.id.as_str()),
                j.material.clone(),
                j.colour.clone(),
                j.personalisation.clone(),
            )
        })
        .collect();
    let petg = || Some("PETG".to_owned());
    let blue = || Some("blue".to_owned());
    assert_eq!(
        seen,
        vec![
            (true, petg(), blue(), Some(json!({ "name": "Ann" }))),
            (true, petg(), blue(), Some(json!({ "name": "Bo" }))),
            (true, petg(), blue(), Some(json!({ "name": "Cy" }))),
            (
                false,
                Some("PLA".into()),
                None,
                Some(json!({ "text": "same" }))
            ),
            (
                false,
                Some("PLA".into()),
                None,
                Some(json!({ "text": "same" }))
            ),
        ]
    );
    assert!(jobs
        .iter()
        .all(|j| j.due_at == Some(1_900_000_000_000) && j.priority == 2));
    assert_eq!(
        store.get_order(&created.order.id).await.unwrap(),
        created.order
    );
}

async fn orders_are_all_or_nothing(store: Store) {
    let file = sample_file(&store).await;
    let order = NewOrder {
        items: vec![
            NewOrderItem::of_file(&file.id, 2),
            NewOrderItem::of_file("no-such-file", 2),
        ],
        ..NewOrder::default()
    };
    assert!(matches!(
        store.create_order(&order).await,
        Err(StoreError::NotFound { kind: "file", .. })
    ));
    assert!(store
        .list_jobs(&JobFilter::default())
        .await
        .unwrap()
        .is_empty());
}

async fn a_shop_cannot_submit_the_same_external_order_twice(store: Store) {
    let file = sample_file(&store).await;
    let (key, _) = store.create_api_key(Role::Shop, "etsy").await.unwrap();
    let order = NewOrder {
        external_id: Some("E-1".into()),
        owner_key_id: Some(key.id.clone()),
        items: vec![NewOrderItem::of_file(&file.id, 1)],
        ..NewOrder::default()
    };
    store.create_order(&order).await.unwrap();
    let first = store.list_orders(None, 10).await.unwrap()[0].id.clone();
    assert!(matches!(
        store.create_order(&order).await,
        Err(StoreError::Exists { what: "order", id }) if id == first
    ));
    let mine = JobFilter {
        owner_key_id: Some(key.id),
        ..JobFilter::default()
    };
    assert_eq!(store.list_jobs(&mine).await.unwrap().len(), 1);
}

async fn api_keys_are_stored_hashed_and_looked_up_by_key(store: Store) {
    let mut issued = Vec::new();
    for (role, label) in [
        (Role::Operator, "ops"),
        (Role::Technician, "tech"),
        (Role::Shop, "shop"),
    ] {
        let (record, key) = store.create_api_key(role, label).await.unwrap();
        assert_eq!(key.len(), 64);
        issued.push((record, key));
    }
    for (record, key) in &issued {
        let found = store.lookup_api_key(key).await.unwrap();
        assert_eq!(found.as_ref(), Some(record));
        let stored: String = sqlx::query("SELECT key_sha256 FROM api_keys WHERE id = $1")
            .bind(&record.id)
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("key_sha256");
        assert_ne!(&stored, key);
        assert_eq!(stored.len(), 64);
    }
    assert_eq!(store.lookup_api_key(&"0".repeat(64)).await.unwrap(), None);
    assert_eq!(store.list_api_keys().await.unwrap().len(), 3);
}

store_tests!(
    migrations_create_every_table_and_reapply_cleanly,
    files_round_trip_with_routing_keys,
    quantity_creates_that_many_queued_jobs,
    jobs_for_a_missing_file_are_refused_and_nothing_is_written,
    order_items_become_jobs_with_personalisation_per_unit,
    orders_are_all_or_nothing,
    a_shop_cannot_submit_the_same_external_order_twice,
    api_keys_are_stored_hashed_and_looked_up_by_key,
);

#[tokio::test]
async fn a_plain_sqlite_url_creates_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new-farm.db");
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(path.exists());
    store.register_printers(&["p1".to_owned()]).await.unwrap();
    store.close().await;
    let with_options = dir.path().join("with-options.db");
    let url = format!("sqlite:{}?cache=shared", with_options.display());
    Store::connect(&url).await.unwrap().close().await;
    assert!(with_options.exists());
}
