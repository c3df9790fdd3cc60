//! The running farm: printers (real or simulated) from `printers.toml`, the
//! scheduler loop, and the glue that turns driver events into store
//! transitions. `printfarm serve` starts one and the API talks to it.
//!
//! Invariants kept here:
//! - a job's state changes only through the store (one transaction each);
//! - a printer is marked `awaiting_clear` *before* its job leaves the active
//!   states, so the scheduler never sees a full bed as free;
//! - on shutdown printers are left safe (the cancel script: heaters and
//!   motors off) but their jobs stay active in the store, so the next start's
//!   recovery re-queues them instead of losing them.

mod control;
mod dispatch;
mod events;
mod fleet;
mod service;

pub use control::FleetControl;
pub use fleet::{Fleet, PrinterSlot};
pub use service::Service;

use crate::config::Config;
use crate::store::Store;
use anyhow::Context;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

/// How often the scheduler runs when nothing wakes it.
const SCHEDULE_INTERVAL: Duration = Duration::from_secs(2);

/// A started farm.
pub struct Farm {
    /// The store every transition goes through.
    pub store: Store,
    /// The printers and their drivers.
    pub fleet: Arc<Fleet>,
    /// Wakes the scheduler (new job, bed cleared, printer idle).
    pub wake: Arc<Notify>,
    shutting_down: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Farm {
    /// Recovers the store after a previous run, brings up every printer and
    /// starts scheduling.
    pub async fn start(config: &Config, store: Store) -> anyhow::Result<Farm> {
        let names: Vec<String> = config.printers.iter().map(|p| p.name.clone()).collect();
        store
            .register_printers(&names)
            .await
            .context("registering printers")?;
        let report = store
            .recover_after_restart()
            .await
            .context("recovering after restart")?;
        tracing::info!(?report, "recovered after restart");
        let runtime_dir = config.farm.data_dir.join("run");
        let fleet = Arc::new(Fleet::start(&config.printers, &runtime_dir).await?);
        let wake = Arc::new(Notify::new());
        let shutting_down = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for slot in fleet.slots() {
            let watcher = events::EventWatcher::new(
                store.clone(),
                slot.clone(),
                wake.clone(),
                shutting_down.clone(),
            );
            tasks.push(tokio::spawn(watcher.run()));
        }
        let (assigned_tx, assigned_rx) = mpsc::channel(64);
        let profiles = config.printers.clone();
        tasks.push(tokio::spawn(crate::scheduler::run::run_loop(
            store.clone(),
            profiles,
            SCHEDULE_INTERVAL,
            wake.clone(),
            assigned_tx,
        )));
        tasks.push(tokio::spawn(dispatch::run(
            store.clone(),
            fleet.clone(),
            assigned_rx,
            wake.clone(),
        )));
        Ok(Farm {
            store,
            fleet,
            wake,
            shutting_down,
            tasks,
        })
    }

    /// Stops scheduling, leaves every printer safe and waits for the store.
    pub async fn shutdown(self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        for task in &self.tasks {
            task.abort();
        }
        self.fleet.make_safe().await;
        self.fleet.stop_simulators().await;
        self.store.close().await;
    }
}
