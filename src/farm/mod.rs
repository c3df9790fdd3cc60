//! The running farm: printers (real or simulated) from `printers.toml`, one
//! supervisor per printer, and the scheduling loop. `printfarm serve` starts
//! one and the API talks to it through [`FleetControl`].
//!
//! Invariants kept here:
//! - one supervisor per printer is the only writer of that printer's state,
//!   in memory (its published view) and in the store;
//! - a job's state changes only through the store (one transaction each);
//!   ending an attempt is one transaction with the printer's bed;
//! - on shutdown each printer is left safe (its cancel script runs) and its
//!   running attempt ends as interrupted by the host, so the job goes back
//!   to the queue without spending its printer budget; after a `kill -9`
//!   the next start's recovery does the same.

mod control;
mod fleet;
mod forecaster;
mod node;
pub mod plan;
pub mod queue_feed;
mod relay;
pub mod schedule;
mod service;
mod supervisor;

pub use control::FleetControl;
pub use fleet::Fleet;
pub use service::Service;
pub use supervisor::SupervisorHandle;

use crate::config::Config;
use crate::metrics::FarmMetrics;
use crate::store::Store;
use anyhow::Context;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How often the scheduler runs when nothing wakes it.
const SCHEDULE_INTERVAL: Duration = Duration::from_secs(2);

/// A started farm.
pub struct Farm {
    /// The store every transition goes through.
    pub store: Store,
    /// The printers and their supervisors.
    pub fleet: Arc<Fleet>,
    /// Wakes the scheduler (new job, bed cleared, printer idle).
    pub wake: Arc<Notify>,
    /// The farm's metrics.
    pub metrics: Arc<FarmMetrics>,
    /// The queue, kept in memory.
    pub queue: queue_feed::QueueHandle,
    /// What the scheduler publishes: material changes it asks
    /// technicians for, its forecast of the queue.
    pub published: schedule::Published,
    /// The other nodes' printers (none on a single host).
    pub remote: tokio::sync::watch::Receiver<Vec<crate::api::PrinterView>>,
    /// This host's node name, in a farm of several hosts.
    pub node: Option<String>,
    scheduler: JoinHandle<()>,
    feed: JoinHandle<()>,
    keeper: Option<JoinHandle<()>>,
    commands: Option<JoinHandle<()>>,
}

impl Farm {
    /// Recovers the store after a previous run, brings up every printer and
    /// starts scheduling.
    pub async fn start(config: &Config, store: Store) -> anyhow::Result<Farm> {
        let local = config.local_printers();
        let names: Vec<String> = local.iter().map(|p| p.name.clone()).collect();
        if config.farm.node.is_some() {
            store.claim_printers(&names).await
        } else {
            store.register_printers(&names).await
        }
        .context("registering printers")?;
        let discarded = store
            .discard_unaccepted_orders()
            .await
            .context("removing orders cut off by a crash")?;
        if !discarded.is_empty() {
            tracing::warn!(?discarded, "removed orders that were never accepted");
        }
        let report = store
            .recover_after_restart()
            .await
            .context("recovering after restart")?;
        tracing::info!(?report, "recovered after restart");
        let beds: HashMap<String, i64> = store
            .list_printers()
            .await
            .context("reading printers")?
            .into_iter()
            .filter_map(|p| Some((p.name, p.bed_full_since?)))
            .collect();
        let wake = Arc::new(Notify::new());
        let metrics = Arc::new(FarmMetrics::new());
        let runtime_dir = config.farm.data_dir.join("run");
        let fleet = Fleet::start(
            &local,
            &config.farm.data_dir,
            &runtime_dir,
            &store,
            &wake,
            &beds,
            &metrics,
        );
        let fleet = Arc::new(fleet.await?);
        let (queue, feed) = queue_feed::start(store.clone())
            .await
            .context("reading the queue")?;
        let (rounds, published) =
            schedule::Scheduler::new(queue.clone(), local, Arc::clone(&fleet), &config.farm.time);
        let scheduler = tokio::spawn(schedule::run(rounds, Arc::clone(&wake), SCHEDULE_INTERVAL));
        let (remote_views, remote) = tokio::sync::watch::channel(Vec::new());
        let keeper = config.farm.node.is_some().then(|| {
            node::NodeKeeper {
                store: store.clone(),
                fleet: Arc::clone(&fleet),
                wake: Arc::clone(&wake),
                lease: Duration::from_secs(u64::from(config.farm.lease_s)),
                listen: config.farm.listen.to_string(),
                remote: remote_views,
            }
            .spawn()
        });
        let commands = config
            .farm
            .node
            .is_some()
            .then(|| relay::serve_commands(store.clone(), Arc::clone(&fleet)));
        Ok(Farm {
            store,
            fleet,
            wake,
            metrics,
            queue,
            published,
            remote,
            node: config.farm.node.clone(),
            scheduler,
            feed,
            keeper,
            commands,
        })
    }

    /// Stops scheduling, leaves every printer safe and closes the store.
    pub async fn shutdown(self) {
        self.scheduler.abort();
        self.feed.abort();
        for task in self.keeper.iter().chain(&self.commands) {
            task.abort();
        }
        self.fleet.shutdown().await;
        if self.node.is_some() {
            if let Err(e) = self.store.leave_node().await {
                tracing::warn!("leaving the farm: {e}");
            }
        }
        self.store.close().await;
    }
}
