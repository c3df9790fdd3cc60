//! One supervisor task per printer: the only owner and writer of that
//! printer's farm state, in memory and in the store.
//!
//! It takes offers from the scheduler, actions from the API, and every
//! event of its printer's driver (losslessly, in order), feeds them to the
//! printer's [`Lifecycle`] and carries out the [`Effect`]s it returns. The
//! API and the scheduler read the printer's state from the [`PrinterView`]
//! it publishes, never from anywhere else.

mod run;
mod view;

use crate::api::{ControlError, PrinterAction, PrinterView};
use crate::store::ToolLoad;
use tokio::sync::{mpsc, oneshot, watch};

pub(crate) use run::{Supervisor, SupervisorParts};

/// A request to a supervisor.
pub(crate) enum Request {
    /// Take this queued job if idle; answers whether it was taken.
    Offer {
        job: String,
        reply: oneshot::Sender<bool>,
    },
    /// An operator's or technician's action.
    Act {
        action: PrinterAction,
        reply: oneshot::Sender<Result<(), ControlError>>,
    },
    /// A technician confirms a service (`by`: an API key id).
    Service {
        by: Option<String>,
        reply: oneshot::Sender<Result<(), ControlError>>,
    },
    /// Cancel this job if it is the one on the printer.
    CancelJob {
        job: String,
        reply: oneshot::Sender<Result<(), ControlError>>,
    },
    /// A technician changed what the printer has loaded.
    Load {
        loads: Vec<ToolLoad>,
        reply: oneshot::Sender<Result<(), ControlError>>,
    },
    /// Stop: leave the printer safe, settle its attempt, then end.
    Shutdown { reply: oneshot::Sender<()> },
}

/// The cloneable way to talk to one printer's supervisor.
#[derive(Clone)]
pub struct SupervisorHandle {
    name: String,
    requests: mpsc::Sender<Request>,
    view: watch::Receiver<PrinterView>,
}

impl SupervisorHandle {
    /// The printer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The printer as its supervisor last published it.
    pub fn view(&self) -> PrinterView {
        self.view.borrow().clone()
    }

    /// A receiver of the printer's view, to wait on changes.
    pub fn watch(&self) -> watch::Receiver<PrinterView> {
        self.view.clone()
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Request) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(make(reply)).await.ok()?;
        answer.await.ok()
    }

    /// Offers a queued job; true when the printer took it (claimed in the
    /// store and handed to the driver, or failed to start and settled).
    pub async fn offer(&self, job: &str) -> bool {
        let job = job.to_owned();
        self.ask(|reply| Request::Offer { job, reply })
            .await
            .unwrap_or(false)
    }

    /// Carries out an action on the printer.
    pub async fn act(&self, action: PrinterAction) -> Result<(), ControlError> {
        self.ask(|reply| Request::Act { action, reply })
            .await
            .unwrap_or_else(|| Err(gone(&self.name)))
    }

    /// Cancels `job` if it runs on this printer; resolves once the attempt
    /// is ended in the store.
    pub async fn cancel_job(&self, job: &str) -> Result<(), ControlError> {
        let job = job.to_owned();
        self.ask(|reply| Request::CancelJob { job, reply })
            .await
            .unwrap_or_else(|| Err(gone(&self.name)))
    }

    /// Records a confirmed service; resolves once it is in the store and
    /// the printer's view shows it.
    pub async fn confirm_service(&self, by: Option<String>) -> Result<(), ControlError> {
        self.ask(|reply| Request::Service { by, reply })
            .await
            .unwrap_or_else(|| Err(gone(&self.name)))
    }

    /// Records what the printer has loaded now, per tool.
    pub async fn load(&self, loads: Vec<ToolLoad>) -> Result<(), ControlError> {
        self.ask(|reply| Request::Load { loads, reply })
            .await
            .unwrap_or_else(|| Err(gone(&self.name)))
    }

    /// Asks the supervisor to stop and waits until it has.
    pub async fn shutdown(&self) {
        let _ = self.ask(|reply| Request::Shutdown { reply }).await;
    }
}

fn gone(name: &str) -> ControlError {
    ControlError::Unavailable {
        reason: format!("printer {name} is shutting down"),
    }
}
