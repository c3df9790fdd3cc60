//! The farm's HTTP API (axum): files, jobs, orders, printers, stats,
//! server-sent events and Prometheus metrics, with API keys and roles; and
//! an OctoPrint/Moonraker face for slicers ([`octoprint`]).
//!
//! Handlers only map requests to calls on the [`Store`], the
//! [`scheduler`](crate::scheduler) submission check, the G-code analysis and
//! the running farm ([`FarmControl`]); they hold no policy of their own.
//! Every 4xx body is `{"error": …, "field": …}`; 5xx bodies say only
//! `internal error` and the cause is logged.

pub mod auth;
pub mod body;
pub mod cache;
pub mod docs;
pub mod error;
pub mod events;
pub mod farm;
mod feasibility;
mod files;
mod jobs;
pub mod maintenance;
mod metrics;
pub mod octoprint;
pub mod openapi;
mod orders;
mod printers;
mod products;
pub mod server;
mod shops;
mod stats;
mod tasks;
mod units;
pub mod upload;
pub mod validate;
pub mod views;

pub use auth::Caller;
pub use error::ApiError;
pub use events::{relay_store_events, FarmEvent};
pub use farm::{
    ControlError, FarmControl, Forecast, JobOnPrinter, MaterialChange, PrinterAction, PrinterView,
    Temperature,
};
pub use stats::parse_window;

use crate::config::Config;
use crate::store::Store;
use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::broadcast;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Everything the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The validated `printers.toml`.
    pub config: Arc<Config>,
    /// The running farm: live printer state and driver commands.
    pub farm: Arc<dyn FarmControl>,
    /// Farm events for `/api/events`; see [`relay_store_events`].
    pub events: broadcast::Sender<FarmEvent>,
    /// Where uploads are written (`files/` and `uploads/` inside it).
    pub data_dir: PathBuf,
    /// The farm's metrics, for `/metrics`.
    pub metrics: Arc<crate::metrics::FarmMetrics>,
    /// Recent answers (keys, statistics).
    pub caches: Arc<cache::ApiCaches>,
    /// The render tools this host has.
    pub tools: Arc<crate::render::tools::Tools>,
    /// Wakes the shop intake when a delivery was stored.
    pub intake_wake: Arc<tokio::sync::Notify>,
    /// The files OctoPrint clients selected (see [`octoprint`]).
    pub selections: Arc<octoprint::Selections>,
    /// Dashboard sessions (see [`crate::web::session`]).
    pub sessions: Arc<crate::web::session::Sessions>,
}

impl AppState {
    /// True for a printer of this farm: in the configuration, or driven by
    /// another node.
    pub fn knows_printer(&self, name: &str) -> bool {
        self.config.printer(name).is_some() || self.farm.printers().iter().any(|p| p.name == name)
    }
}

/// Starts the shop intake and the status callbacks over `state`.
pub fn shops_start(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    shops::start(state)
}

/// Largest JSON body accepted.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// printfarm's own API, every route with its description: `/api/…`,
/// `/webhooks/…` and `/metrics`. Routes are added only through
/// `routes!(handler)`, which takes the path and methods from the handler's
/// `#[utoipa::path]`; `tests/it/openapi.rs` fails on a route added any
/// other way that the document does not have.
fn own_api() -> OpenApiRouter<AppState> {
    // Uploads take their own limit (`max_upload_mb`), checked while reading.
    let uploads = OpenApiRouter::new()
        .routes(routes!(files::upload))
        .routes(routes!(products::create, products::list))
        .layer(DefaultBodyLimit::disable());
    let api = OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(files::get))
        .routes(routes!(jobs::create, jobs::list))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::cancel))
        .routes(routes!(jobs::hold))
        .routes(routes!(jobs::release))
        .routes(routes!(jobs::priority))
        .routes(routes!(units::correct))
        .routes(routes!(units::gcode))
        .routes(routes!(units::stl))
        .routes(routes!(products::get, products::retire))
        .routes(routes!(orders::create, orders::list))
        .routes(routes!(orders::get))
        .routes(routes!(printers::list))
        .routes(routes!(printers::act))
        .routes(routes!(maintenance::confirm_service))
        .routes(routes!(tasks::load_material))
        .routes(routes!(tasks::list_tasks))
        .routes(routes!(stats::get))
        .routes(routes!(events::stream))
        .routes(routes!(
            shops::connections::create,
            shops::connections::list
        ))
        .routes(routes!(
            shops::connections::get,
            shops::connections::patch,
            shops::connections::delete
        ))
        .routes(routes!(shops::deliveries))
        .routes(routes!(shops::callbacks))
        .routes(routes!(shops::list_intake))
        .routes(routes!(shops::get_intake))
        .routes(routes!(shops::release));
    let webhooks = OpenApiRouter::new()
        .routes(routes!(shops::webhooks::shopify))
        .routes(routes!(shops::webhooks::woocommerce));
    OpenApiRouter::with_openapi(<openapi::ApiDoc as utoipa::OpenApi>::openapi())
        .nest("/api", api.layer(DefaultBodyLimit::max(JSON_BODY_LIMIT)))
        .nest("/webhooks", webhooks.layer(DefaultBodyLimit::disable()))
        .routes(routes!(metrics::get))
}

/// The OpenAPI 3.1 document of printfarm's own API (what
/// `GET /api/openapi.json` serves).
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::finish(own_api().into_openapi())
}

/// The API's routes over `state`: printfarm's own API (described at
/// `/api/openapi.json`, browsable at `/api/docs`) and the OctoPrint/Moonraker
/// face for slicers, which is not described.
pub fn router(state: AppState) -> Router {
    let (own, document) = own_api().split_for_parts();
    let document = openapi::finish(document)
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    Router::new()
        .merge(own)
        .merge(octoprint::router().layer(DefaultBodyLimit::max(JSON_BODY_LIMIT)))
        .merge(docs::router(document.into()))
        .merge(crate::web::router())
        .fallback(no_route)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A JSON 404 for paths the API does not have.
async fn no_route(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found("path", format!("no such endpoint: {}", uri.path()))
}

/// Serves the API on `listener` until `shutdown` completes, with the
/// configuration's connection limit and the server's timeouts.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limits = server::ServerLimits {
        max_connections: state.config.farm.max_connections as usize,
        header_read_timeout: std::time::Duration::from_secs(u64::from(
            state.config.farm.header_read_timeout_s,
        )),
    };
    server::run(listener, router(state), limits, shutdown)
        .await
        .context("serving the HTTP API")
}

/// Entry points for the fuzz targets in `fuzz/`; not an API for callers.
#[doc(hidden)]
pub mod fuzzing {
    /// Reads `bytes` as each JSON body the API takes, with its checks.
    pub fn bodies(bytes: &[u8]) {
        use super::body::parse;
        if let Ok(job) = parse::<super::jobs::CreateJob>(bytes) {
            let _ = job.check(1000);
        }
        if let Ok(order) = parse::<super::orders::CreateOrder>(bytes) {
            let _ = order.check(1000);
        }
        let _ = parse::<super::jobs::SetPriority>(bytes);
    }
}
