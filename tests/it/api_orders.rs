//! Orders over real HTTP: units become jobs, status and progress derived from
//! them, refusals naming the item, and shops seeing only their own orders.

use crate::api_support::{square_gcode, start};
use printfarm::store::{NewProduct, ProductKind};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn an_order_of_three_items_becomes_one_job_per_unit() {
    let api = start().await;
    let tag = api.upload_by("shop", &square_gcode(60.0)).await;
    let clip = api.upload_by("shop", &square_gcode(80.0)).await;
    let product = NewProduct {
        sku: "CLIP-1".into(),
        spec: json!({ "name": "Clip", "material": "PETG" }),
        kind: ProductKind::File {
            file_id: clip.clone(),
        },
        profiles: json!([]),
        charset: None,
        owner_key_id: None,
    };
    api.store.create_product_version(&product).await.unwrap();
    let order = json!({
        "external_id": "shop-1001", "customer_ref": "cust-7", "due_at": 1_900_000_000_000i64,
        "items": [
            {"file_id": tag, "quantity": 2, "personalisation": [{"name": "Alice"}, {"name": "Bob"}]},
            {"sku": "CLIP-1", "quantity": 3},
            {"file_id": clip, "quantity": 1, "material": "PLA", "colour": "white"}
        ]
    });
    let (status, created) = api.post("shop", "/api/orders", &order).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "queued");
    let job_ids = created["job_ids"].as_array().unwrap();
    assert_eq!(job_ids.len(), 6);

    let id = created["id"].as_str().unwrap();
    let (status, view) = api.get("shop", &format!("/api/orders/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["status"], "queued");
    assert_eq!(view["external_id"], "shop-1001");
    let totals: Vec<i64> = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["total"].as_i64().unwrap())
        .collect();
    assert_eq!(totals, [2, 3, 1]);
    assert_eq!(view["items"][1]["sku"], "CLIP-1");

    let second = job_ids[1].as_str().unwrap();
    let (_, job) = api.get("shop", &format!("/api/jobs/{second}")).await;
    assert_eq!(job["personalisation"], json!({"name": "Bob"}));
    let (_, clip_job) = api
        .get(
            "shop",
            &format!("/api/jobs/{}", job_ids[2].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        clip_job["material"], "PETG",
        "the catalogue's material applies"
    );

    // One unit prints and completes: the order is in progress, one unit done.
    let first = job_ids[0].as_str().unwrap();
    assert!(api
        .store
        .begin_attempt(first, "mk3s-1")
        .await
        .unwrap()
        .is_some());
    let ending = printfarm::store::AttemptEnding {
        printer: "mk3s-1".into(),
        job: first.into(),
        attempt: String::new(),
        end: printfarm::domain::AttemptEnd::Completed,
        last_line: 10,
        bed_full_since: Some(1),
        phase: printfarm::domain::Phase::AwaitingClear,
    };
    api.store.end_attempt(&ending).await.unwrap();
    let (_, view) = api.get("operator", &format!("/api/orders/{id}")).await;
    assert_eq!(view["status"], "in_progress");
    assert_eq!(view["items"][0]["done"], 1);
    assert_eq!(view["items"][0]["total"], 2);
}

#[tokio::test]
async fn bad_orders_name_the_item_at_fault() {
    let api = start().await;
    let file = api.upload(&square_gcode(60.0)).await;
    let huge = api.upload(&square_gcode(400.0)).await;
    let order = |items: Value| json!({"external_id": "x", "customer_ref": "c", "items": items});
    let cases = [
        (order(json!([])), StatusCode::UNPROCESSABLE_ENTITY, "items"),
        (
            order(
                json!([{"file_id": file, "quantity": 1}, {"file_id": file, "quantity": 1, "material": "ABS"}]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[1].material",
        ),
        (
            order(json!([{"file_id": huge, "quantity": 1}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].file_id",
        ),
        (
            order(json!([{"file_id": "nope", "quantity": 1}])),
            StatusCode::NOT_FOUND,
            "items[0].file_id",
        ),
        (
            order(json!([{"sku": "NOPE", "quantity": 1}])),
            StatusCode::NOT_FOUND,
            "items[0].sku",
        ),
        (
            order(json!([{"quantity": 1}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].file_id",
        ),
        (
            order(json!([{"file_id": file, "quantity": 0}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].quantity",
        ),
        (
            order(json!([{"file_id": file}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].quantity",
        ),
        (
            json!({"customer_ref": "c", "items": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "external_id",
        ),
    ];
    for (body, expected, field) in cases {
        let (status, answer) = api.post("operator", "/api/orders", &body).await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
    assert!(
        api.get("operator", "/api/jobs")
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing half-created"
    );

    let good = order(json!([{"file_id": file, "quantity": 1}]));
    assert_eq!(
        api.post("operator", "/api/orders", &good).await.0,
        StatusCode::CREATED
    );
    let (status, answer) = api.post("operator", "/api/orders", &good).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "duplicate external id: {answer}"
    );
    assert_eq!(answer["field"], "external_id");
    let (_, orders) = api.get("operator", "/api/orders").await;
    assert_eq!(answer["existing_id"], orders[0]["id"], "{answer}");
}

#[tokio::test]
async fn a_shop_sees_only_its_own_orders_and_jobs() {
    let api = start().await;
    let mut order_ids = Vec::new();
    for (shop, external) in [("shop", "a-1"), ("shop2", "b-1")] {
        let file = api.upload_by(shop, &square_gcode(60.0)).await;
        let body = json!({"external_id": external, "customer_ref": "c", "items": [{"file_id": file, "quantity": 2}]});
        let (status, created) = api.post(shop, "/api/orders", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        order_ids.push((
            shop,
            created["id"].as_str().unwrap().to_owned(),
            created["job_ids"].clone(),
        ));
    }
    let (_, mine) = api.get("shop", "/api/orders").await;
    let externals: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(externals, ["a-1"]);
    assert_eq!(
        api.get("operator", "/api/orders")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        api.get("shop", "/api/jobs")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        api.get("technician", "/api/jobs")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let (_, other_order, other_jobs) = &order_ids[1];
    let (status, answer) = api.get("shop", &format!("/api/orders/{other_order}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let other_job = other_jobs[0].as_str().unwrap();
    assert_eq!(
        api.get("shop", &format!("/api/jobs/{other_job}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("shop2", &format!("/api/jobs/{other_job}")).await.0,
        StatusCode::OK
    );
}
