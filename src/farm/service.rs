//! The whole service as `printfarm serve` runs it: the farm, the event relay
//! for `/api/events`, and the API's state. Shared by the CLI and benchmarks.

use super::{Farm, FleetControl};
use crate::api::{self, AppState};
use crate::config::Config;
use crate::render::tools::Tools;
use crate::render::{directory, worker};
use crate::store::{ProductKind, Store};
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often new store events are relayed to `/api/events` clients.
const EVENT_POLL: Duration = Duration::from_millis(250);

/// A started farm with the API state that serves it.
pub struct Service {
    /// The running farm.
    pub farm: Farm,
    /// What the API handlers share.
    pub state: AppState,
    relay: JoinHandle<()>,
    renders: Vec<JoinHandle<()>>,
    shops: Vec<JoinHandle<()>>,
}

impl Service {
    /// Starts the farm on `store` and prepares the API state.
    pub async fn start(config: &Config, store: Store) -> anyhow::Result<Service> {
        if let Some(node) = &config.farm.node {
            let lease = Duration::from_secs(u64::from(config.farm.lease_s));
            let joined = store
                .join_node(node, &config.farm.listen.to_string(), lease)
                .await
                .with_context(|| format!("joining the farm as node {node}"))?;
            tracing::info!(epoch = joined.epoch, "joined the farm as node {node}");
        }
        let uploads = config.farm.data_dir.join("uploads");
        match api::upload::remove_orphans(&uploads) {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} temporary file(s) of uploads cut off by a crash"),
            Err(e) => tracing::warn!("cleaning {}: {e}", uploads.display()),
        }
        match worker::remove_leftover_work(&config.farm.data_dir) {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} work folder(s) of renders cut off by a crash"),
            Err(e) => tracing::warn!("cleaning the render work folders: {e}"),
        }
        let tools = Tools::detect().await;
        let context = worker::Context {
            store: store.clone(),
            config: Arc::new(config.clone()),
            tools: tools.clone(),
            data_dir: config.farm.data_dir.clone(),
        };
        if let Some(dir) = &config.farm.products_dir {
            directory::load(&context, dir).await;
        }
        let renders = start_renders(context, config.farm.render_workers).await?;
        let farm = Farm::start(config, store.clone()).await?;
        let (events, _) = tokio::sync::broadcast::channel(1024);
        let relay = tokio::spawn(api::relay_store_events(
            store.clone(),
            events.clone(),
            EVENT_POLL,
        ));
        let state = AppState {
            store,
            config: Arc::new(config.clone()),
            farm: Arc::new(FleetControl::new(&farm)),
            metrics: Arc::clone(&farm.metrics),
            caches: Arc::default(),
            events,
            data_dir: config.farm.data_dir.clone(),
            tools: Arc::new(tools),
            intake_wake: Arc::default(),
            selections: Arc::default(),
            sessions: Arc::default(),
        };
        let shops = api::shops_start(&state);
        Ok(Service {
            farm,
            state,
            relay,
            renders,
            shops,
        })
    }

    /// Stops relaying events and shuts the farm down (printers left safe).
    pub async fn shutdown(self) {
        self.relay.abort();
        for task in self.renders.iter().chain(&self.shops) {
            task.abort();
        }
        self.farm.shutdown().await;
    }
}

/// Starts the render workers, after putting renders a crash cut off back in
/// the queue. Without the tools, says once which products cannot render and
/// how to install them, and starts none (their renders wait in the queue).
async fn start_renders(
    context: worker::Context,
    workers: u32,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let requeued = context.store.requeue_running_renders().await?;
    if requeued > 0 {
        tracing::info!("{requeued} render(s) cut off by a restart will run again");
    }
    if let Some(why) = context.tools.unavailable() {
        let templates: Vec<String> = context
            .store
            .list_products()
            .await?
            .into_iter()
            .filter(|p| matches!(p.kind, ProductKind::Template { .. }) && p.retired_at.is_none())
            .map(|p| p.sku)
            .collect();
        if templates.is_empty() {
            tracing::warn!("personalised products cannot render: {why}");
        } else {
            tracing::warn!(
                "personalised products cannot render ({}): {why}; fixed-file products print as usual",
                templates.join(", ")
            );
        }
        return Ok(Vec::new());
    }
    let workers = usize::try_from(workers).unwrap_or(1);
    Ok(worker::start(context, workers))
}
