//! Shop intake over real HTTP against the farm as a process: Shopify and
//! WooCommerce deliveries shaped like the platforms' own, signed; replays
//! and duplicates; what cannot be mapped waits for a person; cancellations;
//! a crash between the answer and the processing; and status callbacks to
//! a local receiver that is down for a while.

use crate::farm_support::{count, state, TestFarm, TestPrinter};
use crate::shops_support::{
    connect_shop, define_tag_product, intake_of, shopify, shopify_order, wait_for, woo_order,
    Delivery, Receiver, SECRET,
};
use printfarm::shops::signature;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn farm(printers: &[TestPrinter]) -> TestFarm {
    let farm = TestFarm::start_with(printers, "callback_retry_max_s = 1").await;
    define_tag_product(&farm, "tag-fixed").await;
    farm
}

fn ejecting(name: &'static str) -> TestPrinter {
    TestPrinter {
        auto_eject: true,
        ..TestPrinter::pla(name)
    }
}

async fn deliveries(farm: &TestFarm, shop: &str) -> Vec<Value> {
    let v = farm.get(&format!("/api/shops/{shop}/deliveries")).await;
    v.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_paid_shopify_order_prints_once_and_the_shop_hears_every_status_in_order() {
    let farm = farm(&[ejecting("p1"), ejecting("p2")]).await;
    let mut receiver = Receiver::down();
    connect_shop(
        &farm,
        json!({"name": "demo", "platform": "shopify", "secret": SECRET,
               "callback_url": receiver.url(), "sku_map": {"TAG-BLK": "tag-fixed"}}),
    )
    .await;

    let pending = shopify_order(&[]);
    let (status, _) = shopify("demo", "orders/create", "ev-1", &pending)
        .send(&farm)
        .await;
    assert_eq!(status, StatusCode::OK);
    intake_of(&farm, "demo", "the unpaid order", "waiting_payment").await;
    assert!(
        farm.jobs().await.is_empty(),
        "nothing prints before payment"
    );

    // Paid: the same delivery replayed three times, and ten updates at once.
    let paid = shopify_order(&[("financial_status", json!("paid"))]);
    for _ in 0..3 {
        let (status, body) = shopify("demo", "orders/paid", "ev-2", &paid)
            .send(&farm)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let updates = (0..10).map(|i| {
        let farm = &farm;
        let paid = &paid;
        async move {
            shopify("demo", "orders/updated", &format!("ev-u{i}"), paid)
                .send(farm)
                .await
                .0
        }
    });
    let statuses = futures::future::join_all(updates).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );

    let jobs = farm
        .wait_jobs("three units printed", Duration::from_secs(120), |jobs| {
            count(jobs, "completed") == 3
        })
        .await;
    assert_eq!(jobs.len(), 3, "exactly the order's units, once");
    let mut names: Vec<&str> = jobs
        .iter()
        .filter_map(|j| j["personalisation"]["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Jane", "Jane", "Zoë"]);
    let orders = farm.get("/api/orders").await;
    assert_eq!(orders.as_array().map(Vec::len), Some(1), "{orders:#}");
    assert_eq!(orders[0]["external_id"], "5612345678901");
    assert_eq!(
        deliveries(&farm, "demo").await.len(),
        1 + 1 + 10,
        "replays stored once"
    );

    // A bad signature: refused, nothing stored.
    let mut forged = shopify("demo", "orders/paid", "ev-forged", &paid);
    forged.secret = "not-the-secret";
    let (status, body) = forged.send(&farm).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["field"], "x-shopify-hmac-sha256");
    assert_eq!(deliveries(&farm, "demo").await.len(), 12);

    // The receiver comes up: every status arrives once, in order, signed.
    receiver.start().await;
    let seen = receiver.wait_status("completed").await;
    let order = ["accepted", "in_production", "completed"];
    let statuses: Vec<&str> = seen
        .iter()
        .filter_map(|r| r.json["status"].as_str())
        .collect();
    let ranks: Vec<usize> = statuses
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("a known status"))
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] < w[1]),
        "in order, each once: {statuses:?}"
    );
    assert_eq!(statuses.first(), Some(&"accepted"));
    for r in &seen {
        assert!(
            signature::verify(SECRET, &r.body, &r.signature),
            "signed: {r:?}"
        );
        assert_eq!(r.json["idempotency_key"], r.idempotency_key.as_str());
        assert_eq!(r.json["store_order_id"], "5612345678901");
    }
    let callbacks = farm.get("/api/shops/demo/callbacks").await;
    let first = callbacks
        .as_array()
        .and_then(|c| c.last())
        .cloned()
        .unwrap_or_default();
    assert!(
        first["attempts"].as_i64() > Some(1),
        "tried while down: {first:#}"
    );
    assert!(
        first["last_error"].is_null() && first["state"] == "delivered",
        "{first:#}"
    );
}

#[tokio::test]
async fn unmapped_and_unreadable_lines_wait_for_a_person_and_cancellation_spares_started_units() {
    let farm = farm(&[TestPrinter::pla("p1")]).await;
    connect_shop(
        &farm,
        json!({"name": "demo", "platform": "shopify", "secret": SECRET}),
    )
    .await;

    // An unknown SKU: answered 2xx, held as needs_mapping, then mapped and released.
    let mut paid = shopify_order(&[("financial_status", json!("paid"))]);
    paid["line_items"][1]["sku"] = json!("MUG-9");
    paid["line_items"][1]["properties"] = json!([{"name": "Name on tag", "value": "Mia"}]);
    let (status, _) = shopify("demo", "orders/paid", "ev-1", &paid)
        .send(&farm)
        .await;
    assert_eq!(status, StatusCode::OK);
    let held = intake_of(&farm, "demo", "needs mapping", "needs_mapping").await;
    let reason = held["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("TAG-BLK") && reason.contains("MUG-9"),
        "{held:#}"
    );
    let (status, _) = farm
        .patch(
            "/api/shops/demo",
            json!({"sku_map": {"TAG-BLK": "tag-fixed", "MUG-9": "tag-fixed"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let release = format!(
        "/api/intake/{}/release",
        held["id"].as_str().unwrap_or_default()
    );
    let (status, released) = farm.post(&release, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{released}");
    assert_eq!(released["state"], "ordered");

    // One unit prints (and waits for its bed to be cleared); then the shop cancels.
    farm.wait_jobs("one unit printed", Duration::from_secs(60), |jobs| {
        jobs.len() == 3 && count(jobs, "completed") == 1
    })
    .await;
    let cancelled = shopify_order(&[
        ("financial_status", json!("paid")),
        ("cancelled_at", json!("2026-12-02T12:00:00Z")),
    ]);
    let (status, _) = shopify("demo", "orders/cancelled", "ev-2", &cancelled)
        .send(&farm)
        .await;
    assert_eq!(status, StatusCode::OK);
    let done = intake_of(&farm, "demo", "the cancellation", "cancelled").await;
    assert_eq!(
        done["started_units"].as_array().map(Vec::len),
        Some(1),
        "{done:#}"
    );
    let jobs = farm.jobs().await;
    assert_eq!(
        (count(&jobs, "completed"), count(&jobs, "cancelled")),
        (1, 2),
        "{jobs:#?}"
    );

    // A line without its required value: held for review, corrected, ordered.
    let mut missing = shopify_order(&[("id", json!(77)), ("financial_status", json!("paid"))]);
    missing["line_items"][0]["sku"] = json!("MUG-9");
    missing["line_items"][0]["properties"] = json!([]);
    shopify("demo", "orders/paid", "ev-3", &missing)
        .send(&farm)
        .await;
    let rows = wait_for(&farm, "/api/intake?state=needs_review", "review", |v| {
        v[0]["store_order_id"] == "77"
    })
    .await;
    let reason = rows[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("personalisation[0].name"), "{reason}");
    let line = missing["line_items"][0]["id"].to_string();
    let path = format!(
        "/api/intake/{}/release",
        rows[0]["id"].as_str().unwrap_or_default()
    );
    let (status, body) = farm
        .post(
            &path,
            json!({"lines": {line: {"personalisation": {"name": "Fixed"}}}}),
        )
        .await;
    assert_eq!(
        (status, body["state"].as_str()),
        (StatusCode::OK, Some("ordered")),
        "{body}"
    );
}

#[tokio::test]
async fn woocommerce_pings_pending_then_processing_and_bad_payloads() {
    let farm = farm(&[ejecting("p1")]).await;
    connect_shop(
        &farm,
        json!({"name": "woo", "platform": "woocommerce", "secret": SECRET,
               "sku_map": {"TAG-BLK": "tag-fixed"}, "ship_within_hours": 48}),
    )
    .await;
    let ping = farm
        .client
        .post(farm.url("/webhooks/woocommerce/woo"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("webhook_id=17")
        .send()
        .await
        .expect("ping");
    assert_eq!(ping.status(), StatusCode::OK);
    assert!(
        deliveries(&farm, "woo").await.is_empty(),
        "a ping is not an order"
    );

    let woo = |topic: &'static str, id: &str, body: &Value| Delivery {
        platform: "woocommerce",
        shop: "woo",
        topic,
        event_id: id.to_owned(),
        body: body.to_string().into_bytes(),
        secret: SECRET,
    };
    woo("order.created", "d-1", &woo_order("pending"))
        .send(&farm)
        .await;
    intake_of(&farm, "woo", "pending", "waiting_payment").await;
    woo("order.updated", "d-2", &woo_order("processing"))
        .send(&farm)
        .await;
    intake_of(&farm, "woo", "processing", "ordered").await;
    let jobs = farm
        .wait_jobs("two units", Duration::from_secs(60), |jobs| jobs.len() == 2)
        .await;
    assert!(
        jobs.iter().all(|j| j["personalisation"]["name"] == "Olaf"),
        "{jobs:#?}"
    );

    // Signed but malformed: stored as failed with why, answered 2xx.
    let garbage = Delivery {
        body: b"{\"id\": 728, \"line_items\": 5".to_vec(),
        ..woo("order.created", "d-3", &Value::Null)
    };
    assert_eq!(garbage.send(&farm).await.0, StatusCode::OK);
    let failed = wait_for(
        &farm,
        "/api/shops/woo/deliveries",
        "the failed delivery",
        |v| v[0]["state"] == "failed",
    )
    .await;
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("not JSON"),
        "{failed:#}"
    );

    let huge = Delivery {
        body: vec![b' '; 1024 * 1024 + 1],
        ..woo("order.created", "d-4", &Value::Null)
    };
    assert_eq!(huge.send(&farm).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(deliveries(&farm, "woo").await.len(), 3);
}

#[tokio::test]
async fn a_delivery_answered_before_a_crash_is_processed_after_restart_once() {
    let mut farm = farm(&[ejecting("p1")]).await;
    connect_shop(
        &farm,
        json!({"name": "demo", "platform": "shopify", "secret": SECRET,
               "sku_map": {"TAG-BLK": "tag-fixed"}}),
    )
    .await;
    let paid = shopify_order(&[("financial_status", json!("paid"))]);
    let (status, _) = shopify("demo", "orders/paid", "ev-1", &paid)
        .send(&farm)
        .await;
    assert_eq!(status, StatusCode::OK);
    farm.kill9();
    // Whatever the crash cut off, a stored delivery left unprocessed is
    // the state after it: make sure of it, then restart.
    reset_to_received(&farm).await;
    farm.spawn().await;
    let (status, _) = shopify("demo", "orders/paid", "ev-1", &paid)
        .send(&farm)
        .await;
    assert_eq!(status, StatusCode::OK, "a replay after the restart");
    farm.wait_jobs("the units printed", Duration::from_secs(120), |jobs| {
        count(jobs, "completed") == 3
    })
    .await;
    let jobs = farm.jobs().await;
    assert_eq!(jobs.len(), 3, "ordered once: {jobs:#?}");
    assert!(jobs.iter().all(|j| state(j) == "completed"));
    let rows = deliveries(&farm, "demo").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "processed");
}

/// Marks every delivery as received but not processed, as a crash right
/// after the answer leaves it (the farm is not running).
async fn reset_to_received(farm: &TestFarm) {
    let url = format!("sqlite://{}/farm.db", farm.dir.path().display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("farm.db");
    sqlx::query("UPDATE deliveries SET state = 'received', processed_at = NULL")
        .execute(&pool)
        .await
        .expect("reset");
    pool.close().await;
}
