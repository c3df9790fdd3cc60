//! The API's view of the farm: printers' published views and actions sent
//! to their supervisors.

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
        }
    }

    fn supervisor(&self, printer: &str) -> Result<super::SupervisorHandle, ControlError> {
        if let Some(supervisor) = self.fleet.printer(printer) {
            return Ok(supervisor.clone());
        }
        match self.remote.borrow().iter().find(|p| p.name == printer) {
            Some(remote) => Err(ControlError::Unavailable {
                reason: format!(
                    "printer {printer} is driven by node {}: send the action to that node",
                    remote.node.as_deref().unwrap_or("?")
                ),
            }),
            None => Err(ControlError::UnknownPrinter {
                printer: printer.to_owned(),
            }),
        }
    }
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
        let supervisor = self.supervisor(printer);
        async move { supervisor?.act(action).await }.boxed()
    }

    fn cancel_job(&self, printer: &str, job: &str) -> BoxFuture<'static, Result<(), ControlError>> {
        let supervisor = self.supervisor(printer);
        let job = job.to_owned();
        async move { supervisor?.cancel_job(&job).await }.boxed()
    }

    fn confirm_service(
        &self,
        printer: &str,
        by: Option<String>,
    ) -> BoxFuture<'static, Result<(), ControlError>> {
        let supervisor = self.supervisor(printer);
        async move { supervisor?.confirm_service(by).await }.boxed()
    }

    fn load_material(
        &self,
        printer: &str,
        loads: Vec<crate::store::ToolLoad>,
    ) -> BoxFuture<'static, Result<(), ControlError>> {
        let supervisor = self.supervisor(printer);
        async move { supervisor?.load(loads).await }.boxed()
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
