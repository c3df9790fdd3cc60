//! The whole service as `printfarm serve` runs it: the farm, the event relay
//! for `/api/events`, and the API's state. Shared by the CLI and benchmarks.

use super::{Farm, FleetControl};
use crate::api::{self, AppState};
use crate::config::Config;
use crate::store::Store;
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
}

impl Service {
    /// Starts the farm on `store` and prepares the API state.
    pub async fn start(config: &Config, store: Store) -> anyhow::Result<Service> {
        let uploads = config.farm.data_dir.join("uploads");
        match api::upload::remove_orphans(&uploads) {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} temporary file(s) of uploads cut off by a crash"),
            Err(e) => tracing::warn!("cleaning {}: {e}", uploads.display()),
        }
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
        };
        Ok(Service { farm, state, relay })
    }

    /// Stops relaying events and shuts the farm down (printers left safe).
    pub async fn shutdown(self) {
        self.relay.abort();
        self.farm.shutdown().await;
    }
}
