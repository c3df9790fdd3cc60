//! `POST /webhooks/shopify/{shop}` and `POST /webhooks/woocommerce/{shop}`:
//! a delivery is verified (HMAC of the raw body), stored raw, answered, and
//! processed afterwards from the store. Replays are stored once.

use super::super::error::{ApiError, ErrorBody};
use super::super::AppState;
use crate::shops::{payload, signature, Platform};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Largest delivery accepted.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// Answer to a delivery (for the API description; built with `json!`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct WebhookAck {
    /// Always true.
    ok: bool,
    /// True when the delivery was a replay, stored once already.
    duplicate: Option<bool>,
    /// The topic, when printfarm does not act on it.
    ignored: Option<String>,
    /// True for a WooCommerce ping (no signature, `webhook_id=` form body).
    ping: Option<bool>,
}

/// The headers each platform signs and names its deliveries with.
struct Headers {
    signature: &'static str,
    topic: &'static str,
    ids: &'static [&'static str],
}

fn headers_of(platform: Platform) -> Headers {
    match platform {
        Platform::Shopify => Headers {
            signature: "x-shopify-hmac-sha256",
            topic: "x-shopify-topic",
            ids: &["x-shopify-event-id", "x-shopify-webhook-id"],
        },
        Platform::Woocommerce => Headers {
            signature: "x-wc-webhook-signature",
            topic: "x-wc-webhook-topic",
            ids: &["x-wc-webhook-delivery-id"],
        },
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `POST /webhooks/shopify/{shop}`.
#[utoipa::path(
    post,
    path = "/shopify/{shop}",
    tag = "webhooks",
    params(("shop" = String, Path, description = "Shop connection name")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "The platform's order payload, verbatim"),
    responses(
        (status = 200, description = "Stored (or a replay, stored once), ignored topic, or a ping", body = WebhookAck),
        (status = 400, description = "No topic header", body = ErrorBody),
        (status = 401, description = "`X-Shopify-Hmac-Sha256` is missing or does not match the body and the shop's secret", body = ErrorBody),
        (status = 404, description = "No shopify shop connection of this name (`field`: `shop`)", body = ErrorBody),
        (status = 413, description = "Larger than 1 MiB", body = ErrorBody),
    ),
    security(("shopify_hmac" = []))
)]
pub async fn shopify(
    State(state): State<AppState>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    receive(&state, Platform::Shopify, &shop, &headers, body).await
}

/// `POST /webhooks/woocommerce/{shop}`.
#[utoipa::path(
    post,
    path = "/woocommerce/{shop}",
    tag = "webhooks",
    params(("shop" = String, Path, description = "Shop connection name")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "The platform's order payload, verbatim"),
    responses(
        (status = 200, description = "Stored (or a replay, stored once), ignored topic, or a ping", body = WebhookAck),
        (status = 400, description = "No topic header", body = ErrorBody),
        (status = 401, description = "`X-WC-Webhook-Signature` is missing or does not match the body and the shop's secret", body = ErrorBody),
        (status = 404, description = "No woocommerce shop connection of this name (`field`: `shop`)", body = ErrorBody),
        (status = 413, description = "Larger than 1 MiB", body = ErrorBody),
    ),
    security(("woocommerce_signature" = []))
)]
pub async fn woocommerce(
    State(state): State<AppState>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    receive(&state, Platform::Woocommerce, &shop, &headers, body).await
}

async fn receive(
    state: &AppState,
    platform: Platform,
    name: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let body = axum::body::to_bytes(body, WEBHOOK_BODY_LIMIT)
        .await
        .map_err(|_| ApiError::BodyTooLarge {
            limit_kib: WEBHOOK_BODY_LIMIT / 1024,
        })?;
    let shop = state
        .store
        .shop(name)
        .await
        .ok()
        .filter(|s| s.platform == platform.as_str())
        .ok_or_else(|| {
            let why = format!("no {} shop connection named {name:?}", platform.as_str());
            ApiError::not_found("shop", why)
        })?;
    let names = headers_of(platform);
    let Some(signed) = header(headers, names.signature) else {
        if platform == Platform::Woocommerce && body.starts_with(b"webhook_id=") {
            return Ok(Json(json!({ "ok": true, "ping": true })));
        }
        return Err(ApiError::BadSignature {
            message: format!("missing {} header", names.signature),
            header: names.signature.to_owned(),
        });
    };
    if !signature::verify(&shop.secret, &body, signed) {
        return Err(ApiError::BadSignature {
            message: format!(
                "{} does not match the body and the shop's secret",
                names.signature
            ),
            header: names.signature.to_owned(),
        });
    }
    let topic = header(headers, names.topic)
        .ok_or_else(|| ApiError::bad_request(names.topic, "missing topic header"))?;
    if !payload::handles(platform, topic) {
        return Ok(Json(json!({ "ok": true, "ignored": topic })));
    }
    let dedup_key = names
        .ids
        .iter()
        .find_map(|n| header(headers, n).map(|id| format!("{n}:{id}")))
        .unwrap_or_else(|| {
            let mut hash = Sha256::new();
            hash.update(topic.as_bytes());
            hash.update(&body);
            format!("sha256:{}", hex::encode(hash.finalize()))
        });
    let text = String::from_utf8_lossy(&body);
    let stored = state
        .store
        .store_delivery(&shop.name, topic, &dedup_key, &text)
        .await?;
    state.intake_wake.notify_one();
    Ok(Json(json!({ "ok": true, "duplicate": !stored })))
}
