//! This host as one node of a farm of several hosts on one PostgreSQL (see
//! [`crate::store::Lease`]): renews its lease, publishes its printers' views
//! for the other nodes, declares silent nodes lost, and stops its own prints
//! the moment its lease may have run out.

use super::Fleet;
use crate::api::{PrinterAction, PrinterView};
use crate::domain::Phase;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// The `connection` shown for a printer whose node is lost or silent.
pub const NODE_LOST: &str = "node_lost";

/// What the keeper needs.
pub struct NodeKeeper {
    /// The shared store (holding this node's lease).
    pub store: Store,
    /// This node's printers.
    pub fleet: Arc<Fleet>,
    /// Wakes the scheduler when another node's jobs came back to the queue.
    pub wake: Arc<Notify>,
    /// How long a node may stay silent before it is declared lost.
    pub lease: Duration,
    /// The address of this node's API, recorded for the others.
    pub listen: String,
    /// Where the other nodes' printers are published for the API.
    pub remote: watch::Sender<Vec<PrinterView>>,
}

impl NodeKeeper {
    /// Runs the keeper until the task is aborted.
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(self.run())
    }

    async fn run(self) {
        let beat = (self.lease / 5).max(Duration::from_millis(500));
        let mut tick = tokio::time::interval(beat.min(Duration::from_secs(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut renewed = Instant::now();
        let mut last_beat = Instant::now();
        loop {
            tick.tick().await;
            // A process that was stopped (or starved) past most of its lease
            // must not go on printing: another node may take its jobs.
            if renewed.elapsed() > self.lease * 2 / 3 {
                self.stop_prints("this node's lease may have run out").await;
            }
            if last_beat.elapsed() >= beat {
                last_beat = Instant::now();
                let sent = Instant::now();
                match tokio::time::timeout(self.lease / 3, self.store.heartbeat()).await {
                    Ok(Ok(())) => renewed = sent,
                    Ok(Err(StoreError::Fenced { .. })) => renewed = self.rejoin().await,
                    Ok(Err(e)) => tracing::warn!("heartbeat failed: {e}"),
                    Err(_) => tracing::warn!("heartbeat timed out"),
                }
            }
            self.publish().await;
            self.reap().await;
        }
    }

    /// Cancels every print on this node's printers (their cancel scripts
    /// leave them safe).
    async fn stop_prints(&self, why: &str) {
        for printer in self.fleet.printers() {
            if printer.view().job.is_some() {
                tracing::error!("{why}: stopping the print on {}", printer.name());
                if let Err(e) = printer.act(PrinterAction::Cancel).await {
                    tracing::warn!("could not stop {}: {e}", printer.name());
                }
            }
        }
    }

    /// This node was declared lost while it was away: its jobs went to
    /// other printers. Stops what it still prints and joins again under a
    /// new epoch; returns when the new lease was taken.
    async fn rejoin(&self) -> Instant {
        self.stop_prints("this node was declared lost").await;
        let name = self.store.lease().map(|l| l.node).unwrap_or_default();
        loop {
            let sent = Instant::now();
            match self.store.join_node(&name, &self.listen, self.lease).await {
                Ok(lease) => {
                    tracing::warn!(epoch = lease.epoch, "node {name} joined the farm again");
                    let names: Vec<String> = self
                        .fleet
                        .printers()
                        .iter()
                        .map(|p| p.name().to_owned())
                        .collect();
                    if let Err(e) = self.store.claim_printers(&names).await {
                        tracing::error!("after joining again: {e}");
                    }
                    self.wake.notify_one();
                    return sent;
                }
                Err(e) => {
                    tracing::warn!("joining again failed: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Writes this node's printer views and reads the others'.
    async fn publish(&self) {
        let views: Vec<(String, String)> = self
            .fleet
            .printers()
            .iter()
            .filter_map(|p| Some((p.name().to_owned(), serde_json::to_string(&p.view()).ok()?)))
            .collect();
        if let Err(e) = self.store.publish_views(&views).await {
            tracing::debug!("publishing printer views: {e}");
        }
        match self.store.remote_views(self.lease).await {
            Ok(remote) => {
                let views = remote.into_iter().filter_map(remote_view).collect();
                self.remote.send_replace(views);
            }
            Err(e) => tracing::debug!("reading the other nodes' printers: {e}"),
        }
    }

    async fn reap(&self) {
        match self.store.reap_lost_nodes(self.lease).await {
            Ok(lost) => {
                for node in &lost {
                    tracing::warn!(
                        node = %node.node,
                        requeued = node.requeued.len(),
                        failed = node.failed.len(),
                        "node lost: its printers are offline and its jobs back in the queue"
                    );
                }
                if !lost.is_empty() {
                    self.wake.notify_one();
                }
            }
            Err(e) => tracing::warn!("checking for lost nodes: {e}"),
        }
    }
}

/// Another node's printer as the API shows it: as that node published it,
/// or `offline` with no job when the node is lost or silent.
fn remote_view(remote: crate::store::RemoteView) -> Option<PrinterView> {
    let mut view: PrinterView = match serde_json::from_str(&remote.view_json) {
        Ok(view) => view,
        Err(e) => {
            tracing::debug!("unreadable view of {}: {e}", remote.printer);
            return None;
        }
    };
    view.node = Some(remote.node.clone());
    if !remote.live {
        view.state = Phase::Offline;
        view.connection = NODE_LOST.to_owned();
        view.accepts_work = false;
        view.job = None;
        view.temperatures.clear();
        view.last_error = Some(format!("node {} is not answering", remote.node));
    }
    Some(view)
}
