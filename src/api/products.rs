//! The catalogue: `POST /api/products` (multipart), `GET /api/products`,
//! `GET /api/products/{sku}`, `DELETE /api/products/{sku}`.
//!
//! Multipart parts: `sku`; `spec` (JSON); then either `file` (a fixed
//! G-code) or `template` (OpenSCAD source) with `asset` parts (files it
//! includes, by file name) and `profile` parts (a PrusaSlicer `.ini` for
//! any printer) or `profile:<tag>` (for printers with that tag).

use super::auth::{Caller, SUBMIT_ROLES};
use super::error::{ApiError, ErrorBody};
use super::files::{keep_received, refuse_oversized};
use super::upload::{multipart_error, write_field};
use super::AppState;
use crate::render::bundle::Parts;
use crate::render::define::{self, DefineError, Definition, Source};
use crate::render::worker::Context;
use crate::store::{ProductKind, ProductRecord, Role, StoreError};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest template, asset or profile part, and all of them together.
const TEXT_PART_LIMIT: usize = 4 * 1024 * 1024;
const TEXT_PARTS_TOTAL: usize = 16 * 1024 * 1024;
/// Roles that may define and retire products.
const CATALOGUE_ROLES: &[Role] = &[Role::Operator];

/// A product version as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductView {
    sku: String,
    version: i64,
    name: String,
    /// `file` (a fixed G-code) or `template` (OpenSCAD, rendered per unit).
    #[schema(value_type = String, example = "template")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    file_id: Option<String>,
    spec: Value,
    profiles: Vec<String>,
    created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    retired_at: Option<i64>,
    /// Every version (in single-product answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    versions: Option<Vec<i64>>,
}

impl From<ProductRecord> for ProductView {
    fn from(record: ProductRecord) -> ProductView {
        let (kind, file_id) = match &record.kind {
            ProductKind::File { file_id } => ("file", Some(file_id.clone())),
            ProductKind::Template { .. } => ("template", None),
        };
        let profiles = record
            .profiles
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        ProductView {
            sku: record.sku,
            version: record.version,
            name: record.spec["name"].as_str().unwrap_or_default().to_owned(),
            kind,
            file_id,
            spec: record.spec,
            profiles,
            created_at: record.created_at,
            retired_at: record.retired_at,
            versions: None,
        }
    }
}

/// The multipart body of `POST /api/products` (for the API description):
/// `sku` and `spec`, then either `file` or `template` with its `asset`,
/// `profile` and `profile:<tag>` parts (a profile for printers with that tag).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProductUpload {
    /// Stock-keeping unit.
    sku: String,
    /// The product's spec (JSON): name, parameters, material, …
    #[schema(value_type = String, content_media_type = "application/json")]
    spec: String,
    /// A fixed G-code file (instead of `template`).
    #[schema(value_type = Option<String>, format = Binary)]
    file: Option<Vec<u8>>,
    /// OpenSCAD source (instead of `file`).
    #[schema(value_type = Option<String>, format = Binary)]
    template: Option<Vec<u8>>,
    /// Files the template includes, by file name (repeatable).
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    asset: Option<Vec<Vec<u8>>>,
    /// PrusaSlicer `.ini` profiles for any printer (repeatable); a part
    /// named `profile:<tag>` is for printers with that tag.
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    profile: Option<Vec<Vec<u8>>>,
}

fn context(state: &AppState) -> Context {
    Context {
        store: state.store.clone(),
        config: state.config.clone(),
        tools: (*state.tools).clone(),
        data_dir: state.data_dir.clone(),
    }
}

/// What the multipart body held.
#[derive(Default)]
struct Received {
    sku: Option<String>,
    spec: Option<Value>,
    file_id: Option<String>,
    template: Option<Vec<u8>>,
    parts: Parts,
    text_bytes: usize,
}

/// `POST /api/products`: defines a product, or a new version of one. A
/// template is rendered once with its defaults for each profile before it
/// is accepted. 201 for a new version, 200 when nothing changed.
#[utoipa::path(
    post,
    path = "/products",
    tag = "products",
    request_body(content = ProductUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "A new version", body = ProductView),
        (status = 200, description = "Identical to the current version: nothing changed", body = ProductView),
        (status = 400, description = "Not a multipart body", body = ErrorBody),
        (status = 413, description = "Larger than `max_upload_mb`", body = ErrorBody),
        (status = 422, description = "A part is missing, unknown or invalid, or the template does not render (`field` names the part)", body = ErrorBody),
        (status = 503, description = "The render tools are missing", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<(StatusCode, Json<ProductView>), ApiError> {
    caller.require(CATALOGUE_ROLES)?;
    refuse_oversized(&headers, state.config.farm.max_upload_mb)?;
    let received = receive(&state, &caller, multipart).await?;
    let sku = received
        .sku
        .ok_or_else(|| ApiError::unprocessable("sku", "the part `sku` is missing"))?;
    let spec = received
        .spec
        .ok_or_else(|| ApiError::unprocessable("spec", "the part `spec` is missing"))?;
    let source = match (received.file_id, received.template) {
        (Some(file_id), None) => Source::File { file_id },
        (None, Some(template)) => Source::Template(Parts {
            template,
            ..received.parts
        }),
        (Some(_), Some(_)) => {
            return Err(ApiError::unprocessable(
                "file",
                "give `file` or `template`, not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::unprocessable(
                "template",
                "give a `template` (.scad) or a `file` (G-code)",
            ))
        }
    };
    let definition = Definition {
        sku,
        spec,
        source,
        owner_key_id: Some(caller.key_id.clone()),
    };
    let defined = define::define(&context(&state), definition, true)
        .await
        .map_err(define_error)?;
    let status = if defined.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(defined.product.into())))
}

fn define_error(error: DefineError) -> ApiError {
    match error {
        DefineError::Invalid { field, reason } => ApiError::unprocessable(&field, reason),
        e @ DefineError::Render { .. } => ApiError::unprocessable("template", e.to_string()),
        DefineError::ToolsMissing(why) => ApiError::Unavailable(why),
        DefineError::Store(e) => e.into(),
        DefineError::Io(e) => ApiError::Internal(e.into()),
    }
}

async fn receive(
    state: &AppState,
    caller: &Caller,
    mut multipart: Multipart,
) -> Result<Received, ApiError> {
    let limit_mb = state.config.farm.max_upload_mb;
    let mut received = Received::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit_mb))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let upload = write_field(field, &state.data_dir.join("uploads"), limit_mb).await?;
            let (file, _) = keep_received(state, upload, caller.owner_filter()).await?;
            received.file_id = Some(file.id);
            continue;
        }
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| multipart_error(e, limit_mb))?;
        received.text_bytes += bytes.len();
        if bytes.len() > TEXT_PART_LIMIT || received.text_bytes > TEXT_PARTS_TOTAL {
            return Err(ApiError::unprocessable(
                &name,
                "template, asset and profile parts take at most 4 MiB each, 16 MiB in all",
            ));
        }
        take_part(&mut received, &name, file_name, bytes.to_vec())?;
    }
    Ok(received)
}

fn take_part(
    received: &mut Received,
    name: &str,
    file_name: Option<String>,
    bytes: Vec<u8>,
) -> Result<(), ApiError> {
    let text = |bytes: Vec<u8>| {
        String::from_utf8(bytes).map_err(|_| ApiError::unprocessable(name, "must be UTF-8 text"))
    };
    match name {
        "sku" => received.sku = Some(text(bytes)?.trim().to_owned()),
        "spec" => {
            let value: Value = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::unprocessable("spec", format!("not JSON: {e}")))?;
            received.spec = Some(value);
        }
        "template" => received.template = Some(bytes),
        "asset" => {
            let asset = file_name.ok_or_else(|| {
                ApiError::unprocessable("asset", "an asset part needs a file name")
            })?;
            received.parts.assets.push((asset, bytes));
        }
        "profile" => received.parts.profiles.push((None, bytes)),
        other => match other.strip_prefix("profile:") {
            Some(tag) => received.parts.profiles.push((Some(tag.to_owned()), bytes)),
            None => {
                return Err(ApiError::unprocessable(
                    other,
                    "unknown part (sku, spec, file, template, asset, profile, profile:<tag>)",
                ))
            }
        },
    }
    Ok(())
}

/// Which version `GET /api/products/{sku}` shows.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// The version to show (default: the current one).
    version: Option<i64>,
}

/// `GET /api/products`: the current version of every SKU not retired.
#[utoipa::path(
    get,
    path = "/products",
    tag = "products",
    responses(
        (status = 200, description = "The current version of every SKU not retired", body = Vec<ProductView>),
    ),
    security(("api_key" = ["operator", "technician", "shop"]), ("bearer" = ["operator", "technician", "shop"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ProductView>>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let products = state.store.list_products().await?;
    Ok(Json(products.into_iter().map(ProductView::from).collect()))
}

/// `GET /api/products/{sku}[?version=N]`: one version (the current one by
/// default) and the list of versions.
#[utoipa::path(
    get,
    path = "/products/{sku}",
    tag = "products",
    params(("sku" = String, Path, description = "Stock-keeping unit"), VersionQuery),
    responses(
        (status = 200, description = "One version and the list of versions", body = ProductView),
        (status = 404, description = "No such product or version (`field`: `sku`)", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician", "shop"]), ("bearer" = ["operator", "technician", "shop"]))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(sku): Path<String>,
    Query(query): Query<VersionQuery>,
) -> Result<Json<ProductView>, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let record = match query.version {
        Some(version) => state.store.product_version(&sku, version).await,
        None => state.store.latest_product(&sku).await,
    }
    .map_err(|e| not_found(e, &sku))?;
    let versions = state.store.product_versions(&sku).await?;
    let mut view = ProductView::from(record);
    view.versions = Some(versions.iter().map(|v| v.version).collect());
    Ok(Json(view))
}

/// `DELETE /api/products/{sku}`: no new orders for it; orders placed keep
/// their version.
#[utoipa::path(
    delete,
    path = "/products/{sku}",
    tag = "products",
    params(("sku" = String, Path, description = "Stock-keeping unit")),
    responses(
        (status = 204, description = "Retired: no new orders for it"),
        (status = 404, description = "No such product (`field`: `sku`)", body = ErrorBody),
    ),
    security(("api_key" = ["operator"]), ("bearer" = ["operator"]))
)]
pub async fn retire(
    State(state): State<AppState>,
    caller: Caller,
    Path(sku): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(CATALOGUE_ROLES)?;
    state
        .store
        .latest_product(&sku)
        .await
        .map_err(|e| not_found(e, &sku))?;
    state.store.retire_product(&sku).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn not_found(error: StoreError, sku: &str) -> ApiError {
    match error {
        StoreError::NotFound { .. } => ApiError::not_found("sku", format!("no product {sku:?}")),
        other => other.into(),
    }
}
