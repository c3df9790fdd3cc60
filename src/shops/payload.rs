//! Shopify and WooCommerce order webhooks read into one [`StoreOrder`].
//! Pure: bytes in, an order or an error naming the field out.

use super::Platform;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether a store's order has been paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Payment {
    /// Paid in full.
    Paid,
    /// Part paid (Shopify's `partially_paid`); prints when the shop says so.
    PartiallyPaid,
    /// Not paid (pending, authorised, on hold).
    Unpaid,
}

/// One line of a store's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoreLine {
    /// The store's line item id.
    pub id: String,
    /// The store's SKU, when the line has one.
    pub sku: Option<String>,
    /// Units ordered.
    pub quantity: u32,
    /// The product's title in the store.
    pub title: String,
    /// Customer-visible properties (label, value), hidden ones left out.
    #[schema(value_type = Vec<Vec<String>>)]
    pub properties: Vec<(String, String)>,
}

/// A store's order, whichever platform sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreOrder {
    /// The store's order id.
    pub id: String,
    /// What the shop calls it (`#1001`).
    pub name: String,
    /// Paid or not.
    pub payment: Payment,
    /// Cancelled (or deleted) in the store.
    pub cancelled: bool,
    /// The lines.
    pub lines: Vec<StoreLine>,
}

/// A webhook delivery, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivered {
    /// An order was created, paid, updated or cancelled.
    Order(StoreOrder),
    /// A topic printfarm does not act on.
    Ignored(String),
}

/// Why a delivery could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PayloadError {
    /// Where in the payload.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

fn error(field: &str, reason: impl Into<String>) -> PayloadError {
    PayloadError {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// Reads a delivery of `topic` from `platform`.
pub fn read(platform: Platform, topic: &str, body: &[u8]) -> Result<Delivered, PayloadError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| error("body", format!("not JSON: {e}")))?;
    match platform {
        Platform::Shopify => shopify(topic, &value),
        Platform::Woocommerce => woocommerce(topic, &value),
    }
}

/// The topics each platform sends that printfarm acts on.
pub fn handles(platform: Platform, topic: &str) -> bool {
    match platform {
        Platform::Shopify => matches!(
            topic,
            "orders/create" | "orders/paid" | "orders/updated" | "orders/cancelled"
        ),
        Platform::Woocommerce => {
            matches!(topic, "order.created" | "order.updated" | "order.deleted")
        }
    }
}

fn shopify(topic: &str, order: &Value) -> Result<Delivered, PayloadError> {
    if !handles(Platform::Shopify, topic) {
        return Ok(Delivered::Ignored(topic.to_owned()));
    }
    let payment = match text(order, "financial_status").as_deref() {
        Some("paid") => Payment::Paid,
        Some("partially_paid") => Payment::PartiallyPaid,
        _ => Payment::Unpaid,
    };
    let cancelled = topic == "orders/cancelled" || !order["cancelled_at"].is_null();
    let lines = list(order, "line_items")?
        .iter()
        .enumerate()
        .map(|(i, line)| shopify_line(i, line))
        .collect::<Result<_, _>>()?;
    Ok(Delivered::Order(StoreOrder {
        id: id(order, "id")?,
        name: text(order, "name")
            .unwrap_or_else(|| text(order, "order_number").unwrap_or_default()),
        payment,
        cancelled,
        lines,
    }))
}

fn shopify_line(index: usize, line: &Value) -> Result<StoreLine, PayloadError> {
    let properties = match &line["properties"] {
        Value::Array(items) => items
            .iter()
            .filter_map(|p| Some((text(p, "name")?, text(p, "value").unwrap_or_default())))
            .filter(|(name, _)| !name.starts_with('_'))
            .collect(),
        _ => Vec::new(),
    };
    store_line(
        index,
        line,
        title(line, "title", "variant_title"),
        properties,
    )
}

/// The fields both platforms' lines share, read the same way.
fn store_line(
    index: usize,
    line: &Value,
    title: String,
    properties: Vec<(String, String)>,
) -> Result<StoreLine, PayloadError> {
    let at = |f: &str| format!("line_items[{index}].{f}");
    Ok(StoreLine {
        id: id(line, "id").map_err(|e| error(&at("id"), e.reason))?,
        sku: text(line, "sku").filter(|s| !s.trim().is_empty()),
        quantity: quantity(line)
            .ok_or_else(|| error(&at("quantity"), "must be a positive integer"))?,
        title,
        properties,
    })
}

fn woocommerce(topic: &str, order: &Value) -> Result<Delivered, PayloadError> {
    if !handles(Platform::Woocommerce, topic) {
        return Ok(Delivered::Ignored(topic.to_owned()));
    }
    let status = text(order, "status").unwrap_or_default();
    let payment = match status.as_str() {
        "processing" | "completed" => Payment::Paid,
        _ => Payment::Unpaid,
    };
    let cancelled = topic == "order.deleted"
        || matches!(
            status.as_str(),
            "cancelled" | "refunded" | "failed" | "trash"
        );
    let lines = match order.get("line_items") {
        None if topic == "order.deleted" => Vec::new(),
        _ => list(order, "line_items")?
            .iter()
            .enumerate()
            .map(|(i, line)| woocommerce_line(i, line))
            .collect::<Result<_, _>>()?,
    };
    Ok(Delivered::Order(StoreOrder {
        id: id(order, "id")?,
        name: text(order, "number").unwrap_or_default(),
        payment,
        cancelled,
        lines,
    }))
}

fn woocommerce_line(index: usize, line: &Value) -> Result<StoreLine, PayloadError> {
    let properties = match &line["meta_data"] {
        Value::Array(items) => items.iter().filter_map(woocommerce_meta).collect(),
        _ => Vec::new(),
    };
    store_line(index, line, title(line, "name", "variation"), properties)
}

/// A `meta_data` entry as (label, value); internal keys (`_…`) left out.
fn woocommerce_meta(meta: &Value) -> Option<(String, String)> {
    let key = text(meta, "key")?;
    if key.starts_with('_') {
        return None;
    }
    let label = text(meta, "display_key").unwrap_or(key);
    let value = text(meta, "value").or_else(|| text(meta, "display_value"))?;
    Some((label, value))
}

/// A string or number field as text.
fn text(value: &Value, field: &str) -> Option<String> {
    match &value[field] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn id(value: &Value, field: &str) -> Result<String, PayloadError> {
    text(value, field)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| error(field, "missing (a number or a string)"))
}

fn list<'a>(value: &'a Value, field: &str) -> Result<&'a Vec<Value>, PayloadError> {
    value[field]
        .as_array()
        .ok_or_else(|| error(field, "missing (a list)"))
}

fn quantity(line: &Value) -> Option<u32> {
    line["quantity"]
        .as_u64()
        .and_then(|q| u32::try_from(q).ok())
        .filter(|q| *q > 0)
}

fn title(line: &Value, name: &str, variant: &str) -> String {
    let base = text(line, name).unwrap_or_default();
    match text(line, variant).filter(|v| !v.is_empty()) {
        Some(v) => format!("{base} ({v})"),
        None => base,
    }
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
