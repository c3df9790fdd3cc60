//! `/api/orders`: shops' orders, each unit becoming a job.

mod items;

use super::auth::{Caller, ORDER_ROLES};
use super::body::{optional_ms, ApiJson, Timestamp};
use super::error::{ApiError, ErrorBody};
use super::validate;
use super::AppState;
use crate::domain::promise::{at_risk, estimated_completion, UnitTiming};
use crate::domain::{order_status, OrderStatus, UnitCounts};
use crate::store::{now_ms, CreatedOrder, JobFilter, JobRecord, NewOrder, OrderRecord, StoreError};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Orders listed when no `?limit=` is given, and the most one may ask for.
const LIST_DEFAULT: i64 = 100;
const LIST_MAX: i64 = 500;

/// Body of `POST /api/orders`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    pub(crate) external_id: String,
    pub(crate) customer_ref: String,
    pub(crate) due_at: Option<Timestamp>,
    #[serde(default)]
    pub(crate) priority: i64,
    pub(crate) items: Vec<CreateOrderItem>,
}

/// One line of `POST /api/orders`: a `file_id` or a product's `sku`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderItem {
    pub(crate) file_id: Option<String>,
    pub(crate) sku: Option<String>,
    pub(crate) quantity: u32,
    pub(crate) personalisation: Option<Value>,
    pub(crate) material: Option<String>,
    pub(crate) colour: Option<String>,
}

impl CreateOrder {
    /// Bounds on everything the request carries, before anything is read.
    pub(super) fn check(&self, max_units: u32) -> Result<(), ApiError> {
        validate::text("external_id", &self.external_id)?;
        validate::text("customer_ref", &self.customer_ref)?;
        if self.items.is_empty() {
            return Err(ApiError::unprocessable(
                "items",
                "an order needs at least one item",
            ));
        }
        if self.items.len() > validate::MAX_ITEMS {
            let message = format!("at most {} items per order", validate::MAX_ITEMS);
            return Err(ApiError::unprocessable("items", message));
        }
        let units: u64 = self.items.iter().map(|i| u64::from(i.quantity)).sum();
        if units > u64::from(max_units) {
            let message = format!(
                "the order asks for {units} units; at most {max_units} per order (max_units_per_order)"
            );
            return Err(ApiError::unprocessable("items", message));
        }
        for (index, item) in self.items.iter().enumerate() {
            item.check(&format!("items[{index}]."))?;
        }
        Ok(())
    }
}

impl CreateOrderItem {
    fn check(&self, prefix: &str) -> Result<(), ApiError> {
        let field = |name: &str| format!("{prefix}{name}");
        if self.quantity == 0 {
            return Err(ApiError::unprocessable(
                &field("quantity"),
                "must be at least 1",
            ));
        }
        validate::optional_text(&field("file_id"), self.file_id.as_deref())?;
        validate::optional_text(&field("sku"), self.sku.as_deref())?;
        validate::optional_text(&field("material"), self.material.as_deref())?;
        validate::optional_text(&field("colour"), self.colour.as_deref())?;
        if let Some(value) = &self.personalisation {
            validate::personalisation(&field("personalisation"), value)?;
        }
        Ok(())
    }
}

/// Answer to an order submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedOrderView {
    id: String,
    external_id: Option<String>,
    status: OrderStatus,
    job_ids: Vec<String>,
}

/// An order as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    id: String,
    external_id: Option<String>,
    customer_ref: Option<String>,
    due_at: Option<i64>,
    owner_key_id: Option<String>,
    created_at: i64,
    status: OrderStatus,
    /// When the order should be complete (unix ms): its last unit's end,
    /// finished or forecast by simulating the queue under the scheduler;
    /// null while a unit has no estimate (rendering, held, failed).
    estimated_completion: Option<i64>,
    /// True when `estimated_completion` is after `due_at` (or the order is
    /// overdue without an estimate).
    at_risk: bool,
    items: Vec<ItemProgress>,
}

/// Progress of one order line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemProgress {
    id: String,
    file_id: Option<String>,
    sku: Option<String>,
    product_version: Option<i64>,
    personalisation: Option<Value>,
    total: i64,
    #[serde(flatten)]
    units: UnitCounts,
}

/// The query of `GET /api/orders` (for the API description).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListOrders {
    /// At most this many (default 100, at most 500).
    limit: Option<i64>,
}

/// Reads an order's items and jobs and derives its view.
async fn order_view(state: &AppState, order: OrderRecord) -> Result<OrderView, ApiError> {
    let filter = JobFilter {
        order_id: Some(order.id.clone()),
        limit: Some(i64::MAX),
        ..JobFilter::default()
    };
    let jobs = state.store.list_jobs(&filter).await?;
    let items = state.store.order_items(&order.id).await?;
    let states: Vec<_> = jobs.iter().map(|j| j.state).collect();
    let forecast = state.farm.forecast();
    let timings: Vec<UnitTiming> = jobs
        .iter()
        .map(|j| UnitTiming {
            state: j.state,
            finished_at: j.finished_at,
            expected_end: forecast.ends.get(&j.id).copied(),
        })
        .collect();
    let estimate = estimated_completion(&timings);
    let of_item = |item: &str| {
        jobs.iter()
            .filter(|j| j.order_item_id.as_deref() == Some(item))
            .map(|j: &JobRecord| j.state)
            .collect::<Vec<_>>()
    };
    let items = items
        .into_iter()
        .map(|item| ItemProgress {
            units: UnitCounts::of(of_item(&item.id)),
            id: item.id,
            file_id: item.file_id,
            sku: item.sku,
            product_version: item.product_version,
            personalisation: item.personalisation,
            total: item.quantity,
        })
        .collect();
    Ok(OrderView {
        status: order_status(&states),
        estimated_completion: estimate,
        at_risk: at_risk(order.due_at, estimate, &timings, now_ms()),
        id: order.id,
        external_id: order.external_id,
        customer_ref: order.customer_ref,
        due_at: order.due_at,
        owner_key_id: order.owner_key_id,
        created_at: order.created_at,
        items,
    })
}

/// Why an order was not placed.
#[derive(Debug)]
pub(crate) enum PlaceError {
    /// The request is at fault (the error names the field).
    Refused(ApiError),
    /// The store refused it (e.g. the external id exists: its order).
    Store(StoreError),
}

/// Checks an order and stores it: what `POST /api/orders` and the shops'
/// intake share.
pub(crate) async fn place(
    state: &AppState,
    caller: &Caller,
    body: CreateOrder,
) -> Result<CreatedOrder, PlaceError> {
    body.check(state.config.farm.max_units_per_order)
        .map_err(PlaceError::Refused)?;
    let due_at = optional_ms(body.due_at.as_ref(), "due_at").map_err(PlaceError::Refused)?;
    let mut items = Vec::with_capacity(body.items.len());
    for (index, item) in body.items.into_iter().enumerate() {
        let item = items::checked(state, caller, index, item).await;
        items.push(item.map_err(PlaceError::Refused)?);
    }
    let new = NewOrder {
        external_id: Some(body.external_id),
        customer_ref: Some(body.customer_ref),
        due_at,
        priority: body.priority,
        owner_key_id: Some(caller.key_id.clone()),
        items,
    };
    let created = state
        .store
        .create_order(&new)
        .await
        .map_err(PlaceError::Store)?;
    state.farm.wake_scheduler();
    Ok(created)
}

/// `POST /api/orders`.
#[utoipa::path(
    post,
    path = "/orders",
    tag = "orders",
    request_body = CreateOrder,
    responses(
        (status = 201, description = "Accepted, each unit a job", body = CreatedOrderView),
        (status = 404, description = "An item's file or product does not exist (`field` names the item)", body = ErrorBody),
        (status = 409, description = "An order with this `external_id` exists (`existing_id` names it)", body = ErrorBody),
        (status = 400, description = "Not JSON, or not sent as `application/json`", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "Out of bounds, or an item no printer could print (`reasons` says why)", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "shop"]), ("bearer" = ["operator", "shop"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateOrder>,
) -> Result<(StatusCode, Json<CreatedOrderView>), ApiError> {
    caller.require(ORDER_ROLES)?;
    let created = place(&state, &caller, body).await.map_err(|e| match e {
        PlaceError::Refused(e) => e,
        PlaceError::Store(e) => ApiError::from_store(e, "items"),
    })?;
    let view = CreatedOrderView {
        id: created.order.id,
        external_id: created.order.external_id,
        status: OrderStatus::Queued,
        job_ids: created.job_ids,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/orders/{id}` with its status and per-item progress.
#[utoipa::path(
    get,
    path = "/orders/{id}",
    tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order with its status and per-item progress", body = OrderView),
        (status = 404, description = "No such order (or not the caller's)", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "shop"]), ("bearer" = ["operator", "shop"]))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    caller.require(ORDER_ROLES)?;
    let order = state.store.get_order(&id).await?;
    if !caller.may_see(order.owner_key_id.as_deref()) {
        return Err(ApiError::not_found("id", format!("order {id:?} not found")));
    }
    Ok(Json(order_view(&state, order).await?))
}

/// `GET /api/orders`: newest first; a shop sees only its own.
#[utoipa::path(
    get,
    path = "/orders",
    tag = "orders",
    params(ListOrders),
    responses(
        (status = 200, description = "Orders, newest first; a shop sees only its own", body = Vec<OrderView>),
        (status = 400, description = "Bad limit", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "shop"]), ("bearer" = ["operator", "shop"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Vec<OrderView>>, ApiError> {
    caller.require(ORDER_ROLES)?;
    let owner = caller.owner_filter();
    let limit = validate::limit(&query, LIST_DEFAULT, LIST_MAX)?;
    let orders = state.store.list_orders(owner.as_deref(), limit).await?;
    let mut views = Vec::with_capacity(orders.len());
    for order in orders {
        views.push(order_view(&state, order).await?);
    }
    Ok(Json(views))
}
