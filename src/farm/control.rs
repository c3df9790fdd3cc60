//! The API's view of the farm: printers' published views and actions sent
//! to their supervisors.

use super::relay::Command;
use super::Farm;
use crate::api::{ControlError, FarmControl, PrinterAction, PrinterView};
use crate::store::JobRecord;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::sync::Arc;
use tokio::sync::Notify;

/// Implements [`FarmControl`] over a started farm's fleet.
pub struct FleetControl {
    fleet: Arc<super::Fleet>,
    wake: Arc<Notify>,
    queue: super::queue_feed::QueueHandle,
    changes: tokio::sync::watch::Receiver<Vec<crate::api::MaterialChange>>,
    forecast: tokio::sync::watch::Receiver<Arc<crate::api::Forecast>>,
    remote: tokio::sync::watch::Receiver<Vec<PrinterView>>,
    node: Option<String>,
    store: crate::store::Store,
}

impl FleetControl {
    /// Control over `farm`'s printers.
    pub fn new(farm: &Farm) -> Self {
        FleetControl {
            fleet: Arc::clone(&farm.fleet),
            wake: Arc::clone(&farm.wake),
            queue: farm.queue.clone(),
            changes: farm.published.changes.clone(),
            forecast: farm.published.forecast.clone(),
            remote: farm.remote.clone(),
            node: farm.node.clone(),
            store: farm.store.clone(),
        }
    }

    /// Who carries out an action on `printer`: its supervisor here, or
    /// the node that drives it.
    fn target(&self, printer: &str) -> Result<Target, ControlError> {
        if let Some(supervisor) = self.fleet.printer(printer) {
            return Ok(Target::Local(supervisor.clone()));
        }
        let remote = self.remote.borrow();
        let view = remote.iter().find(|p| p.name == printer);
        let node =
            view.and_then(|p| p.node.clone())
                .ok_or_else(|| ControlError::UnknownPrinter {
                    printer: printer.to_owned(),
                })?;
        if view.is_some_and(|p| p.connection == super::node::NODE_LOST) {
            return Err(ControlError::Unavailable {
                reason: format!("node {node}, which drives {printer}, is not answering"),
            });
        }
        Ok(Target::Remote {
            store: self.store.clone(),
            node,
            printer: printer.to_owned(),
        })
    }

    /// Runs `command` on `printer`, wherever it is driven.
    fn send(
        &self,
        printer: &str,
        command: Command,
    ) -> BoxFuture<'static, Result<(), ControlError>> {
        let target = self.target(printer);
        async move {
            match target? {
                Target::Local(supervisor) => command.run_on(&supervisor).await,
                Target::Remote {
                    store,
                    node,
                    printer,
                } => super::relay::relay(&store, &node, &printer, &command).await,
            }
        }
        .boxed()
    }
}

/// Where a printer's actions go.
enum Target {
    Local(super::SupervisorHandle),
    Remote {
        store: crate::store::Store,
        node: String,
        printer: String,
    },
}

impl FarmControl for FleetControl {
    fn printers(&self) -> Vec<PrinterView> {
        let local = self.fleet.printers().iter().map(|p| PrinterView {
            node: self.node.clone(),
            ..p.view()
        });
        let mut views: Vec<PrinterView> =
            local.chain(self.remote.borrow().iter().cloned()).collect();
        if !self.remote.borrow().is_empty() {
            views.sort_by(|a, b| a.name.cmp(&b.name));
        }
        views
    }

    fn act(
        &self,
        printer: &str,
        action: PrinterAction,
    ) -> BoxFuture<'static, Result<(), ControlError>> {
        self.send(printer, Command::Act { action })
    }

    fn cancel_job(&self, printer: &str, job: &str) -> BoxFuture<'static, Result<(), ControlError>> {
        let job = job.to_owned();
        self.send(printer, Command::CancelJob { job })
    }

    fn confirm_service(
        &self,
        printer: &str,
        by: Option<String>,
    ) -> BoxFuture<'static, Result<(), ControlError>> {
        self.send(printer, Command::Service { by })
    }

    fn load_material(
        &self,
        printer: &str,
        loads: Vec<crate::store::ToolLoad>,
    ) -> BoxFuture<'static, Result<(), ControlError>> {
        self.send(printer, Command::Load { loads })
    }

    fn material_changes(&self) -> Vec<crate::api::MaterialChange> {
        self.changes.borrow().clone()
    }

    fn forecast(&self) -> Arc<crate::api::Forecast> {
        Arc::clone(&self.forecast.borrow())
    }

    fn wake_scheduler(&self) {
        self.wake.notify_one();
    }

    fn queued_jobs(
        &self,
        owner: Option<String>,
        limit: usize,
    ) -> BoxFuture<'static, Vec<JobRecord>> {
        let queue = self.queue.clone();
        async move { queue.current().await.newest(owner.as_deref(), limit) }.boxed()
    }
}
