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
pub mod error;
pub mod events;
pub mod farm;
mod feasibility;
mod files;
mod jobs;
mod metrics;
pub mod octoprint;
mod orders;
mod printers;
mod products;
pub mod server;
mod shops;
mod stats;
mod units;
pub mod upload;
pub mod validate;
pub mod views;

pub use auth::Caller;
pub use error::ApiError;
pub use events::{relay_store_events, FarmEvent};
pub use farm::{ControlError, FarmControl, JobOnPrinter, PrinterAction, PrinterView, Temperature};
pub use stats::parse_window;

use crate::config::Config;
use crate::store::Store;
use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::broadcast;
use tower_http::trace::TraceLayer;

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

/// Starts the shop intake and the status callbacks over `state`.
pub fn shops_start(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    shops::start(state)
}

/// Largest JSON body accepted.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// The API's routes over `state`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(
            "/files",
            post(files::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/files/{id}", get(files::get))
        .route("/jobs", post(jobs::create).get(jobs::list))
        .route("/jobs/{id}", get(jobs::get))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/jobs/{id}/hold", post(jobs::hold))
        .route("/jobs/{id}/release", post(jobs::release))
        .route("/jobs/{id}/priority", post(jobs::priority))
        .route("/jobs/{id}/personalisation", post(units::correct))
        .route("/jobs/{id}/gcode", get(units::gcode))
        .route("/jobs/{id}/stl", get(units::stl))
        .route(
            "/products",
            post(products::create)
                .get(products::list)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/products/{sku}",
            get(products::get).delete(products::retire),
        )
        .route("/orders", post(orders::create).get(orders::list))
        .route("/orders/{id}", get(orders::get))
        .route("/printers", get(printers::list))
        .route("/printers/{name}/{action}", post(printers::act))
        .route("/stats", get(stats::get))
        .route("/events", get(events::stream))
        .route(
            "/shops",
            post(shops::connections::create).get(shops::connections::list),
        )
        .route(
            "/shops/{name}",
            get(shops::connections::get)
                .patch(shops::connections::patch)
                .delete(shops::connections::delete),
        )
        .route("/shops/{name}/deliveries", get(shops::deliveries))
        .route("/shops/{name}/callbacks", get(shops::callbacks))
        .route("/intake", get(shops::list_intake))
        .route("/intake/{id}", get(shops::get_intake))
        .route("/intake/{id}/release", post(shops::release));
    let webhooks = Router::new()
        .route("/shopify/{shop}", post(shops::webhooks::shopify))
        .route("/woocommerce/{shop}", post(shops::webhooks::woocommerce));
    Router::new()
        .nest("/api", api.layer(DefaultBodyLimit::max(JSON_BODY_LIMIT)))
        .nest("/webhooks", webhooks.layer(DefaultBodyLimit::disable()))
        .merge(octoprint::router().layer(DefaultBodyLimit::max(JSON_BODY_LIMIT)))
        .route("/metrics", get(metrics::get))
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
