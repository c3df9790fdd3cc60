//! The OpenAPI 3.1 description of printfarm's own API, served at
//! `GET /api/openapi.json` (and browsable at `/api/docs`, see [`super::docs`]).
//!
//! The document is built with the router: every route of the own API is
//! registered through `utoipa_axum`'s `routes!`, which takes the path, the
//! methods and the operation from the handler's `#[utoipa::path]`, so a
//! route cannot be served without being described. [`finish`] then adds
//! what every operation shares: the security schemes and the error
//! responses all of them can give (401/403 for a key, 500).
//!
//! The OpenAPI/Moonraker face for slicers ([`super::octoprint`]) is not
//! printfarm's own API and is left out on purpose.

use crate::domain::FailureCause;
use crate::store::JobState;
use std::borrow::Cow;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, OpenApi, Ref, RefOr, ResponseBuilder, Schema, Type,
};

/// The name of the error schema every error response refers to.
pub const ERROR_SCHEMA: &str = "ErrorBody";

/// The document's fixed parts: information, tags and shared schemas.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "printfarm",
        description = "The HTTP API of printfarm, a 3D-print-farm scheduler: G-code files, \
jobs, products, orders, printers, statistics, events, shop connections and their intake, \
shop webhooks and Prometheus metrics.\n\n\
Every `/api` operation needs an API key, in `X-Api-Key` or `Authorization: Bearer` \
(`?apikey=` is accepted too, for clients that cannot set headers). A key has one role: \
`operator` (everything), `technician` (files, jobs, printers, stats, events) or `shop` \
(its own files, jobs and orders); each operation lists the roles it admits as the scopes of \
its security requirement. Shop webhooks are authenticated by the platform's HMAC signature \
of the raw body instead; `/metrics` is open.\n\n\
Every error answers with an `ErrorBody`: 4xx bodies name the field, parameter or header at \
fault; 5xx bodies say only `internal error`."
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "files", description = "G-code uploads, analysed and checked against every printer"),
        (name = "jobs", description = "Print jobs: submit, list, cancel, hold, release, reprioritise; a unit's files"),
        (name = "products", description = "The catalogue: fixed G-code or OpenSCAD template products, versioned"),
        (name = "orders", description = "Orders of several lines, each unit a job"),
        (name = "printers", description = "Live printer state and actions"),
        (name = "stats", description = "Farm statistics"),
        (name = "events", description = "Server-sent farm events"),
        (name = "shops", description = "Shop connections (Shopify, WooCommerce) and their deliveries and callbacks"),
        (name = "intake", description = "Store orders at the farm's door"),
        (name = "webhooks", description = "Signed order webhooks from the shops' platforms"),
        (name = "metrics", description = "Prometheus / OpenMetrics scrape endpoint"),
    )
)]
pub struct ApiDoc;

use super::error::ErrorBody;

impl utoipa::PartialSchema for JobState {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("Lifecycle state of a job."))
            .enum_values(Some(JobState::ALL.iter().map(|s| s.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for JobState {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("JobState")
    }
}

impl utoipa::PartialSchema for FailureCause {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "Why an attempt ended without completing, as a stable code \
                 (`printer.*` for the printer's fault, `job.*` for the file's, …).",
            ))
            .enum_values(Some(FailureCause::ALL.iter().map(|c| c.code())))
            .into()
    }
}

impl utoipa::ToSchema for FailureCause {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("FailureCause")
    }
}

/// Security schemes: `api_key` and `bearer` carry the same API keys;
/// `shopify_hmac` and `woocommerce_signature` are the platforms' signatures.
fn security_schemes(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    let schemes = [
        (
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "An API key (`printfarm keys create --role …`). The scopes of a requirement \
                 are the roles admitted: operator, technician, shop.",
            ))),
        ),
        (
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The same API key as `Authorization: Bearer <key>`."))
                    .build(),
            ),
        ),
        (
            "shopify_hmac",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Shopify-Hmac-Sha256",
                "Base64 HMAC-SHA256 of the raw body with the shop connection's secret.",
            ))),
        ),
        (
            "woocommerce_signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-WC-Webhook-Signature",
                "Base64 HMAC-SHA256 of the raw body with the shop connection's secret.",
            ))),
        ),
    ];
    for (name, scheme) in schemes {
        components.add_security_scheme(name, scheme);
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ERROR_SCHEMA)))
                .build(),
        )
        .into()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// Completes the document the router built: security schemes, unique
/// operation ids, and on every operation the error responses all of them
/// share.
pub fn finish(mut doc: OpenApi) -> OpenApi {
    security_schemes(&mut doc);
    for (path, item) in doc.paths.paths.iter_mut() {
        let keyed = path.starts_with("/api/");
        for operation in operations(item) {
            // Handlers' names repeat across modules (`get`, `list`): the
            // operation id is `<tag>_<handler>`, unique in the document.
            let tag = operation.tags.as_ref().and_then(|t| t.first()).cloned();
            if let (Some(tag), Some(id)) = (tag, operation.operation_id.as_mut()) {
                if !id.starts_with(&format!("{tag}_")) {
                    *id = format!("{tag}_{id}");
                }
            }
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            };
            if keyed {
                add(
                    "401",
                    "No API key, or an unknown one (`field`: `X-Api-Key`)",
                );
                add("403", "The key's role may not do this");
            }
            add("500", "Internal error (details are logged, never returned)");
        }
    }
    doc
}
