//! `/api/shops`: shop connections (operator role). The secret is kept to
//! verify deliveries and sign callbacks; it is never shown.

use super::super::auth::Caller;
use super::super::body::ApiJson;
use super::super::error::{ApiError, ErrorBody};
use super::super::validate;
use super::super::AppState;
use crate::shops::mapping::ShopMaps;
use crate::shops::Platform;
use crate::store::{now_ms, Role, ShopRecord, StoreError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Roles that manage shop connections.
pub(super) const SHOP_ADMIN_ROLES: &[Role] = &[Role::Operator];

/// Body of `POST /api/shops`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShop {
    name: String,
    platform: Platform,
    secret: String,
    callback_url: Option<String>,
    #[serde(default)]
    sku_map: BTreeMap<String, String>,
    #[serde(default)]
    property_map: BTreeMap<String, String>,
    #[serde(default)]
    accept_partially_paid: bool,
    ship_within_hours: Option<i64>,
    due_property: Option<String>,
}

/// Body of `PATCH /api/shops/{name}`: the fields to change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopPatch {
    secret: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, required = false)]
    callback_url: Option<Option<String>>,
    sku_map: Option<BTreeMap<String, String>>,
    property_map: Option<BTreeMap<String, String>>,
    accept_partially_paid: Option<bool>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, required = false)]
    ship_within_hours: Option<Option<i64>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, required = false)]
    due_property: Option<Option<String>>,
}

/// A field that is present, `null` included (`Some(None)` clears it).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A shop connection as the API shows it (no secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShopView {
    name: String,
    platform: String,
    webhook_path: String,
    callback_url: Option<String>,
    sku_map: BTreeMap<String, String>,
    property_map: BTreeMap<String, String>,
    accept_partially_paid: bool,
    ship_within_hours: Option<i64>,
    due_property: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<ShopRecord> for ShopView {
    fn from(s: ShopRecord) -> ShopView {
        ShopView {
            webhook_path: format!("/webhooks/{}/{}", s.platform, s.name),
            name: s.name,
            platform: s.platform,
            callback_url: s.callback_url,
            sku_map: s.maps.sku_map,
            property_map: s.maps.property_map,
            accept_partially_paid: s.accept_partially_paid,
            ship_within_hours: s.ship_within_hours,
            due_property: s.due_property,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "name",
            "1 to 64 characters: letters, digits, '.', '_' or '-'",
        ))
    }
}

fn check_secret(secret: &str) -> Result<(), ApiError> {
    if secret.trim().is_empty() || secret.len() > 256 {
        return Err(ApiError::unprocessable(
            "secret",
            "must be 1 to 256 characters",
        ));
    }
    Ok(())
}

fn check_url(url: Option<&str>) -> Result<(), ApiError> {
    let Some(url) = url else { return Ok(()) };
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(ApiError::unprocessable(
            "callback_url",
            "must be an absolute http or https URL",
        )),
    }
}

fn check_maps(maps: &ShopMaps, hours: Option<i64>) -> Result<(), ApiError> {
    for (field, map) in [
        ("sku_map", &maps.sku_map),
        ("property_map", &maps.property_map),
    ] {
        if map.len() > validate::MAX_ITEMS {
            let why = format!("at most {} entries", validate::MAX_ITEMS);
            return Err(ApiError::unprocessable(field, why));
        }
        for (from, to) in map {
            validate::text(&format!("{field}.{from}"), from)?;
            validate::text(&format!("{field}.{from}"), to)?;
        }
    }
    if hours.is_some_and(|h| !(1..=24 * 365).contains(&h)) {
        return Err(ApiError::unprocessable(
            "ship_within_hours",
            "must be 1 to 8760 hours",
        ));
    }
    Ok(())
}

/// `POST /api/shops`.
#[utoipa::path(
    post,
    path = "/shops",
    tag = "shops",
    request_body = NewShop,
    responses(
        (status = 201, description = "Connected; its webhook path is in the answer", body = ShopView),
        (status = 409, description = "A shop with this name exists", body = ErrorBody),
        (status = 400, description = "Not JSON, or not sent as `application/json`", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "A field is missing, unknown or out of bounds (`field` names it)", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewShop>,
) -> Result<(StatusCode, Json<ShopView>), ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    check_name(&body.name)?;
    check_secret(&body.secret)?;
    check_url(body.callback_url.as_deref())?;
    let maps = ShopMaps {
        sku_map: body.sku_map,
        property_map: body.property_map,
    };
    check_maps(&maps, body.ship_within_hours)?;
    if let Some(p) = &body.due_property {
        validate::text("due_property", p)?;
    }
    if state.store.shop(&body.name).await.is_ok() {
        let why = format!("a shop named {:?} exists", body.name);
        return Err(ApiError::conflict("name", why));
    }
    let (key, _) = state
        .store
        .create_api_key(Role::Shop, &format!("shop connection {}", body.name))
        .await?;
    let now = now_ms();
    let record = ShopRecord {
        name: body.name,
        platform: body.platform.as_str().to_owned(),
        secret: body.secret,
        callback_url: body.callback_url,
        maps,
        accept_partially_paid: body.accept_partially_paid,
        ship_within_hours: body.ship_within_hours,
        due_property: body.due_property,
        key_id: key.id,
        created_at: now,
        updated_at: now,
    };
    state
        .store
        .create_shop(&record)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => ApiError::conflict("name", "a shop with this name exists"),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// `GET /api/shops`.
#[utoipa::path(
    get,
    path = "/shops",
    tag = "shops",
    responses(
        (status = 200, description = "Every shop connection", body = Vec<ShopView>),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ShopView>>, ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    let shops = state.store.list_shops().await?;
    Ok(Json(shops.into_iter().map(ShopView::from).collect()))
}

/// `GET /api/shops/{name}`.
#[utoipa::path(
    get,
    path = "/shops/{name}",
    tag = "shops",
    params(("name" = String, Path, description = "Shop connection name")),
    responses(
        (status = 200, description = "The shop connection", body = ShopView),
        (status = 404, description = "No such shop connection", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<ShopView>, ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    Ok(Json(found(&state, &name).await?.into()))
}

/// `PATCH /api/shops/{name}`.
#[utoipa::path(
    patch,
    path = "/shops/{name}",
    tag = "shops",
    params(("name" = String, Path, description = "Shop connection name")),
    request_body = ShopPatch,
    responses(
        (status = 200, description = "Changed", body = ShopView),
        (status = 404, description = "No such shop connection", body = ErrorBody),
        (status = 400, description = "Not JSON, or not sent as `application/json`", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "A field is missing, unknown or out of bounds (`field` names it)", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ShopPatch>,
) -> Result<Json<ShopView>, ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    let mut shop = found(&state, &name).await?;
    if let Some(secret) = body.secret {
        check_secret(&secret)?;
        shop.secret = secret;
    }
    if let Some(url) = body.callback_url {
        check_url(url.as_deref())?;
        shop.callback_url = url;
    }
    shop.maps.sku_map = body.sku_map.unwrap_or(shop.maps.sku_map);
    shop.maps.property_map = body.property_map.unwrap_or(shop.maps.property_map);
    shop.accept_partially_paid = body
        .accept_partially_paid
        .unwrap_or(shop.accept_partially_paid);
    shop.ship_within_hours = body.ship_within_hours.unwrap_or(shop.ship_within_hours);
    shop.due_property = body.due_property.unwrap_or(shop.due_property);
    check_maps(&shop.maps, shop.ship_within_hours)?;
    shop.updated_at = now_ms();
    state.store.update_shop(&shop).await?;
    Ok(Json(shop.into()))
}

/// `DELETE /api/shops/{name}`: its webhooks are refused from now on.
#[utoipa::path(
    delete,
    path = "/shops/{name}",
    tag = "shops",
    params(("name" = String, Path, description = "Shop connection name")),
    responses(
        (status = 204, description = "Removed; its webhooks are refused from now on"),
        (status = 404, description = "No such shop connection", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(SHOP_ADMIN_ROLES)?;
    state
        .store
        .delete_shop(&name)
        .await
        .map_err(|e| ApiError::from_store(e, "name"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The shop named `name`, or 404 naming it.
pub(super) async fn found(state: &AppState, name: &str) -> Result<ShopRecord, ApiError> {
    state
        .store
        .shop(name)
        .await
        .map_err(|e| ApiError::from_store(e, "name"))
}
