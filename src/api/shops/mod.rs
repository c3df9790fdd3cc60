//! Shops' doors: connections (`/api/shops`), signed webhooks
//! (`/webhooks/{platform}/{shop}`), the intake of store orders
//! (`/api/intake`), and status callbacks back to the shop.

pub mod connections;
pub mod intake;
pub mod status;
pub mod webhooks;

use super::auth::Caller;
use super::body::ApiJson;
use super::error::{ApiError, ErrorBody};
use super::validate;
use super::AppState;
use crate::shops::mapping::LineOverride;
use crate::shops::IntakeState;
use crate::store::{CallbackRecord, DeliveryRecord, IntakeRecord};
use axum::extract::{Path, Query, State};
use axum::Json;
use connections::SHOP_ADMIN_ROLES;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tokio::task::JoinHandle;

/// Rows listed when no `?limit=` is given, and the most one may ask for.
const LIST_DEFAULT: i64 = 100;
const LIST_MAX: i64 = 1000;

/// Starts the intake worker and the status sender.
pub fn start(state: &AppState) -> Vec<JoinHandle<()>> {
    vec![
        tokio::spawn(intake::run(state.clone())),
        tokio::spawn(status::run(state.clone())),
    ]
}

/// A store order at the farm's door, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntakeView {
    id: String,
    shop: String,
    store_order_id: String,
    store_order_name: String,
    state: String,
    reason: Option<String>,
    paid: crate::shops::payload::Payment,
    lines: Vec<crate::shops::payload::StoreLine>,
    overrides: BTreeMap<String, LineOverride>,
    order_id: Option<String>,
    reported_status: Option<String>,
    started_units: Option<Vec<String>>,
    created_at: i64,
    updated_at: i64,
}

impl From<IntakeRecord> for IntakeView {
    fn from(r: IntakeRecord) -> IntakeView {
        IntakeView {
            id: r.id,
            shop: r.shop,
            store_order_id: r.store_order_id,
            store_order_name: r.order.name,
            state: r.state,
            reason: r.reason,
            paid: r.order.payment,
            lines: r.order.lines,
            overrides: r.overrides,
            order_id: r.order_id,
            reported_status: r.reported_status,
            started_units: r.started_units,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Query of `GET /api/intake`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntakeQuery {
    /// `waiting_payment`, `needs_mapping`, `needs_review`, `ordered` or `cancelled`.
    state: Option<String>,
    /// Only this shop's.
    shop: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<i64>,
}

/// `GET /api/intake[?state=needs_mapping&shop=…&limit=…]`.
#[utoipa::path(
    get,
    path = "/intake",
    tag = "intake",
    params(IntakeQuery),
    responses(
        (status = 200, description = "Store orders, newest first", body = Vec<IntakeView>),
        (status = 400, description = "Unknown state or bad limit", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn list_intake(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<IntakeQuery>,
) -> Result<Json<Vec<IntakeView>>, ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    if let Some(s) = &query.state {
        IntakeState::parse(s).ok_or_else(|| {
            let why = "one of waiting_payment, needs_mapping, needs_review, ordered, cancelled";
            ApiError::bad_request("state", why)
        })?;
    }
    let limit = limit(query.limit)?;
    let rows = state
        .store
        .list_intake(query.state.as_deref(), query.shop.as_deref(), limit)
        .await?;
    Ok(Json(rows.into_iter().map(IntakeView::from).collect()))
}

fn limit(given: Option<i64>) -> Result<i64, ApiError> {
    let query: Vec<(String, String)> = given
        .map(|l| vec![("limit".to_owned(), l.to_string())])
        .unwrap_or_default();
    validate::limit(&query, LIST_DEFAULT, LIST_MAX)
}

/// `GET /api/intake/{id}`.
#[utoipa::path(
    get,
    path = "/intake/{id}",
    tag = "intake",
    params(("id" = String, Path, description = "Intake id")),
    responses(
        (status = 200, description = "The store order", body = IntakeView),
        (status = 404, description = "No such intake row", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn get_intake(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IntakeView>, ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    Ok(Json(state.store.intake(&id).await?.into()))
}

/// Body of `POST /api/intake/{id}/release`: corrections by store line id.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Corrections by the store's line id.
    #[serde(default)]
    lines: BTreeMap<String, LineOverride>,
}

/// `POST /api/intake/{id}/release`: after mapping the SKU (the shop's
/// `sku_map`) or correcting lines here, the order is tried again.
#[utoipa::path(
    post,
    path = "/intake/{id}/release",
    tag = "intake",
    params(("id" = String, Path, description = "Intake id")),
    request_body = Release,
    responses(
        (status = 200, description = "Tried again", body = IntakeView),
        (status = 404, description = "No such intake row", body = ErrorBody),
        (status = 409, description = "Not held for an operator", body = ErrorBody),
        (status = 400, description = "Not JSON, or not sent as `application/json`", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "A field is missing, unknown or out of bounds (`field` names it)", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Release>,
) -> Result<Json<IntakeView>, ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    for (line, correction) in &body.lines {
        validate::text(&format!("lines.{line}"), line)?;
        if let Some(sku) = &correction.sku {
            validate::text(&format!("lines.{line}.sku"), sku)?;
        }
        if let Some(values) = &correction.personalisation {
            validate::personalisation(&format!("lines.{line}.personalisation"), values)?;
        }
    }
    Ok(Json(intake::release(&state, &id, body.lines).await?.into()))
}

/// A webhook delivery as the operator sees it (without its body).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    id: String,
    topic: String,
    dedup_key: String,
    state: String,
    error: Option<String>,
    received_at: i64,
    processed_at: Option<i64>,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(d: DeliveryRecord) -> DeliveryView {
        DeliveryView {
            id: d.id,
            topic: d.topic,
            dedup_key: d.dedup_key,
            state: d.state,
            error: d.error,
            received_at: d.received_at,
            processed_at: d.processed_at,
        }
    }
}

/// A status callback and its tries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackView {
    id: String,
    intake_id: String,
    idempotency_key: String,
    body: serde_json::Value,
    state: String,
    attempts: i64,
    next_at: i64,
    last_error: Option<String>,
    created_at: i64,
    delivered_at: Option<i64>,
}

impl From<CallbackRecord> for CallbackView {
    fn from(c: CallbackRecord) -> CallbackView {
        CallbackView {
            body: serde_json::from_str(&c.body).unwrap_or(serde_json::Value::Null),
            id: c.id,
            intake_id: c.intake_id,
            idempotency_key: c.idempotency_key,
            state: c.state,
            attempts: c.attempts,
            next_at: c.next_at,
            last_error: c.last_error,
            created_at: c.created_at,
            delivered_at: c.delivered_at,
        }
    }
}

/// `GET /api/shops/{name}/deliveries`: what the shop sent, newest first.
#[utoipa::path(
    get,
    path = "/shops/{name}/deliveries",
    tag = "shops",
    params(("name" = String, Path, description = "Shop connection name")),
    responses(
        (status = 200, description = "What the shop sent, newest first", body = Vec<DeliveryView>),
        (status = 404, description = "No such shop connection", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    connections::found(&state, &name).await?;
    let rows = state.store.list_deliveries(&name, LIST_DEFAULT).await?;
    Ok(Json(rows.into_iter().map(DeliveryView::from).collect()))
}

/// `GET /api/shops/{name}/callbacks`: status callbacks and their tries.
#[utoipa::path(
    get,
    path = "/shops/{name}/callbacks",
    tag = "shops",
    params(("name" = String, Path, description = "Shop connection name")),
    responses(
        (status = 200, description = "Status callbacks and their tries", body = Vec<CallbackView>),
        (status = 404, description = "No such shop connection", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn callbacks(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<CallbackView>>, ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    connections::found(&state, &name).await?;
    let rows = state.store.list_callbacks(&name, LIST_DEFAULT).await?;
    Ok(Json(rows.into_iter().map(CallbackView::from).collect()))
}
