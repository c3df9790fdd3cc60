//! Shops, deliveries, intake and callbacks in the store, on SQLite and
//! PostgreSQL: deliveries stored once per key, intake rows once per store
//! order, a status reported once, callbacks tried until delivered.

use crate::store_support::store_tests;
use printfarm::shops::mapping::ShopMaps;
use printfarm::shops::payload::{Payment, StoreOrder};
use printfarm::store::{now_ms, IntakeRecord, Role, ShopRecord, StatusReport, Store};

async fn shop(store: &Store) -> ShopRecord {
    let (key, _) = store.create_api_key(Role::Shop, "shop demo").await.unwrap();
    let record = ShopRecord {
        name: "demo".into(),
        platform: "shopify".into(),
        secret: "s".into(),
        callback_url: Some("http://127.0.0.1:9/cb".into()),
        maps: ShopMaps {
            sku_map: [("A".to_owned(), "B".to_owned())].into(),
            property_map: Default::default(),
        },
        accept_partially_paid: true,
        ship_within_hours: Some(48),
        due_property: None,
        key_id: key.id,
        created_at: 1,
        updated_at: 1,
    };
    store.create_shop(&record).await.unwrap();
    record
}

async fn shops_and_deliveries_are_kept_once(store: Store) {
    let record = shop(&store).await;
    assert_eq!(store.shop("demo").await.unwrap(), record);
    assert!(
        store.create_shop(&record).await.is_err(),
        "names are unique"
    );
    assert!(store
        .store_delivery("demo", "orders/paid", "ev-1", "{}")
        .await
        .unwrap());
    assert!(!store
        .store_delivery("demo", "orders/paid", "ev-1", "{}")
        .await
        .unwrap());
    assert!(store
        .store_delivery("demo", "orders/paid", "ev-2", "{}")
        .await
        .unwrap());
    let waiting = store.waiting_deliveries(10).await.unwrap();
    assert_eq!(waiting.len(), 2);
    store.finish_delivery(&waiting[0].id, None).await.unwrap();
    store
        .finish_delivery(&waiting[1].id, Some("bad".into()))
        .await
        .unwrap();
    assert!(store.waiting_deliveries(10).await.unwrap().is_empty());
    let listed = store.list_deliveries("demo", 10).await.unwrap();
    let states: Vec<&str> = listed.iter().map(|d| d.state.as_str()).collect();
    assert_eq!(states, ["failed", "processed"]);
    store.delete_shop("demo").await.unwrap();
    assert!(store.shop("demo").await.is_err());
}

fn intake_row(state: &str) -> IntakeRecord {
    IntakeRecord {
        id: printfarm::store::new_id(),
        shop: "demo".into(),
        store_order_id: "1001".into(),
        state: state.into(),
        reason: None,
        order: StoreOrder {
            id: "1001".into(),
            name: "#1001".into(),
            payment: Payment::Unpaid,
            cancelled: false,
            lines: Vec::new(),
        },
        overrides: Default::default(),
        order_id: None,
        reported_status: None,
        started_units: None,
        created_at: now_ms(),
        updated_at: now_ms(),
    }
}

async fn intake_rows_and_callbacks_are_kept_once(store: Store) {
    shop(&store).await;
    store
        .save_intake(&intake_row("waiting_payment"))
        .await
        .unwrap();
    let mut again = intake_row("needs_mapping");
    again.reason = Some("no product".into());
    store.save_intake(&again).await.unwrap();
    let row = store
        .intake_by_store("demo", "1001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.state.as_str(), row.reason.as_deref()),
        ("needs_mapping", Some("no product"))
    );
    let listed = store
        .list_intake(Some("needs_mapping"), Some("demo"), 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(store
        .list_intake(Some("ordered"), None, 10)
        .await
        .unwrap()
        .is_empty());

    let report = StatusReport {
        intake_id: row.id.clone(),
        status: "needs_review".into(),
        callback: Some((
            "demo".into(),
            "k-1".into(),
            "{\"status\":\"needs_review\"}".into(),
        )),
    };
    assert!(store.report_status(&report).await.unwrap());
    assert!(
        !store.report_status(&report).await.unwrap(),
        "reported once"
    );
    let pending = store.pending_callbacks(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    store
        .callback_tried(&pending[0].id, Some(("refused".into(), now_ms() + 1000)))
        .await
        .unwrap();
    store.callback_tried(&pending[0].id, None).await.unwrap();
    let sent = store.list_callbacks("demo", 10).await.unwrap();
    assert_eq!((sent[0].state.as_str(), sent[0].attempts), ("delivered", 2));
    assert!(store.pending_callbacks(10).await.unwrap().is_empty());
    assert_eq!(store.intake_to_report().await.unwrap().len(), 1);
}

store_tests!(
    shops_and_deliveries_are_kept_once,
    intake_rows_and_callbacks_are_kept_once,
);
