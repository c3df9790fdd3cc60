use super::{read, Delivered, Payment, StoreOrder};
use crate::shops::Platform;
use serde_json::{json, Value};

const SHOPIFY: &str = include_str!("../../tests/fixtures/shops/shopify-order.json");
const WOO: &str = include_str!("../../tests/fixtures/shops/woocommerce-order.json");

fn order(platform: Platform, topic: &str, body: &Value) -> StoreOrder {
    match read(platform, topic, body.to_string().as_bytes()) {
        Ok(Delivered::Order(order)) => order,
        other => panic!("{topic}: {other:?}"),
    }
}

fn with(base: &str, field: &str, value: Value) -> Value {
    let mut body: Value = serde_json::from_str(base).expect("fixture");
    body[field] = value;
    body
}

#[test]
fn a_shopify_order_reads_with_its_lines_and_visible_properties() {
    let body: Value = serde_json::from_str(SHOPIFY).expect("fixture");
    let read = order(Platform::Shopify, "orders/create", &body);
    assert_eq!(read.id, "5612345678901");
    assert_eq!(read.name, "#1001");
    assert_eq!(read.payment, Payment::Unpaid);
    assert!(!read.cancelled);
    assert_eq!(read.lines.len(), 2);
    let first = &read.lines[0];
    assert_eq!(first.id, "14012345678901");
    assert_eq!(first.sku.as_deref(), Some("TAG-BLK"));
    assert_eq!(first.quantity, 2);
    assert_eq!(first.title, "Key-ring name tag (Black)");
    assert_eq!(
        first.properties,
        [("Name on tag".to_owned(), "Jane".to_owned())],
        "hidden `_` properties are left out"
    );
}

#[test]
fn shopify_payment_and_cancellation_follow_the_order() {
    let cases = [
        (
            "orders/paid",
            "financial_status",
            json!("paid"),
            Payment::Paid,
            false,
        ),
        (
            "orders/updated",
            "financial_status",
            json!("partially_paid"),
            Payment::PartiallyPaid,
            false,
        ),
        (
            "orders/updated",
            "financial_status",
            json!("authorized"),
            Payment::Unpaid,
            false,
        ),
        (
            "orders/updated",
            "cancelled_at",
            json!("2026-12-02T11:00:00+01:00"),
            Payment::Unpaid,
            true,
        ),
        (
            "orders/cancelled",
            "cancel_reason",
            json!("customer"),
            Payment::Unpaid,
            true,
        ),
    ];
    for (topic, field, value, payment, cancelled) in cases {
        let read = order(Platform::Shopify, topic, &with(SHOPIFY, field, value));
        assert_eq!(
            (read.payment, read.cancelled),
            (payment, cancelled),
            "{topic} {field}"
        );
    }
}

#[test]
fn a_woocommerce_order_reads_its_meta_data_by_label() {
    let body: Value = serde_json::from_str(WOO).expect("fixture");
    let read = order(Platform::Woocommerce, "order.created", &body);
    assert_eq!((read.id.as_str(), read.name.as_str()), ("727", "727"));
    assert_eq!(read.payment, Payment::Unpaid);
    assert_eq!(
        read.lines[0].properties,
        [("Name on tag".to_owned(), "Olaf".to_owned())]
    );
    let cases = [
        ("order.updated", "processing", Payment::Paid, false),
        ("order.updated", "completed", Payment::Paid, false),
        ("order.updated", "on-hold", Payment::Unpaid, false),
        ("order.updated", "cancelled", Payment::Unpaid, true),
        ("order.updated", "refunded", Payment::Unpaid, true),
    ];
    for (topic, status, payment, cancelled) in cases {
        let read = order(
            Platform::Woocommerce,
            topic,
            &with(WOO, "status", json!(status)),
        );
        assert_eq!(
            (read.payment, read.cancelled),
            (payment, cancelled),
            "{status}"
        );
    }
    let deleted = order(Platform::Woocommerce, "order.deleted", &json!({"id": 727}));
    assert!(deleted.cancelled && deleted.lines.is_empty());
}

#[test]
fn malformed_payloads_name_the_field_and_other_topics_are_ignored() {
    let bad = [
        (Platform::Shopify, "orders/create", "{", "body"),
        (
            Platform::Shopify,
            "orders/create",
            r#"{"id": 1}"#,
            "line_items",
        ),
        (
            Platform::Shopify,
            "orders/create",
            r#"{"line_items": []}"#,
            "id",
        ),
        (
            Platform::Shopify,
            "orders/paid",
            r#"{"id": 1, "line_items": [{"id": 2, "quantity": 0}]}"#,
            "line_items[0].quantity",
        ),
        (
            Platform::Woocommerce,
            "order.created",
            r#"{"id": 1, "line_items": [{"quantity": 1}]}"#,
            "line_items[0].id",
        ),
    ];
    for (platform, topic, body, field) in bad {
        let error = read(platform, topic, body.as_bytes()).expect_err(body);
        assert_eq!(error.field, field, "{body}");
    }
    let ignored = read(Platform::Shopify, "products/update", b"{}").expect("ignored");
    assert_eq!(ignored, Delivered::Ignored("products/update".into()));
}
