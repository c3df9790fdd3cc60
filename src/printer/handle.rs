//! [`PrinterHandle`]: the cloneable way to talk to a printer's task.

use super::driver::Driver;
use super::types::{
    JobId, JobSource, PrinterConfig, PrinterError, PrinterEvent, PrinterState, PrinterStatus,
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// The answer channel of one request.
pub(crate) type Reply = oneshot::Sender<Result<(), PrinterError>>;

/// What a handle asks the task.
pub(crate) enum Request {
    StartJob {
        id: JobId,
        source: JobSource,
        reply: Reply,
    },
    Pause(Reply),
    Resume(Reply),
    Cancel(Reply),
    EmergencyStop(Reply),
    /// Answered once everything sent has been acknowledged.
    WhenIdle(Reply),
    /// Reconnect and re-handshake.
    Reset(Reply),
}

/// Talks to one printer's task. Cheap to clone; the task stops when the last
/// handle is dropped.
#[derive(Clone)]
pub struct PrinterHandle {
    requests: mpsc::Sender<Request>,
    status: watch::Receiver<PrinterStatus>,
    events: broadcast::Sender<PrinterEvent>,
}

/// Starts the task that owns `config.port` on the current tokio runtime.
pub fn spawn(config: PrinterConfig) -> PrinterHandle {
    spawn_inner(config, None)
}

/// Like [`spawn`], and also returns every event the driver emits, in order
/// and without loss, for the one owner of the printer's farm state (the
/// broadcast from [`PrinterHandle::subscribe`] may lag and skip).
pub fn spawn_owned(
    config: PrinterConfig,
) -> (PrinterHandle, mpsc::UnboundedReceiver<PrinterEvent>) {
    let (owner, events) = mpsc::unbounded_channel();
    (spawn_inner(config, Some(owner)), events)
}

fn spawn_inner(
    config: PrinterConfig,
    owner: Option<mpsc::UnboundedSender<PrinterEvent>>,
) -> PrinterHandle {
    let (requests, requests_rx) = mpsc::channel(16);
    let (status_tx, status) = watch::channel(PrinterStatus {
        state: PrinterState::Disconnected,
        firmware: None,
        job: None,
        temperatures: None,
        last_error: None,
    });
    let (events, _) = broadcast::channel(1024);
    let driver = Driver::new(config, requests_rx, status_tx, events.clone(), owner);
    tokio::spawn(driver.run());
    PrinterHandle {
        requests,
        status,
        events,
    }
}

impl PrinterHandle {
    async fn ask(&self, make: impl FnOnce(Reply) -> Request) -> Result<(), PrinterError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(make(reply))
            .await
            .map_err(|_| PrinterError::Stopped)?;
        answer.await.map_err(|_| PrinterError::Stopped)?
    }

    /// Starts streaming a job; the printer must be idle.
    pub async fn start_job(&self, id: JobId, source: JobSource) -> Result<(), PrinterError> {
        self.ask(|reply| Request::StartJob { id, source, reply })
            .await
    }

    /// Stops feeding the job and runs the pause script.
    pub async fn pause(&self) -> Result<(), PrinterError> {
        self.ask(Request::Pause).await
    }

    /// Runs the resume script and feeds the job again.
    pub async fn resume(&self) -> Result<(), PrinterError> {
        self.ask(Request::Resume).await
    }

    /// Drops the rest of the job and runs the cancel script.
    pub async fn cancel(&self) -> Result<(), PrinterError> {
        self.ask(Request::Cancel).await
    }

    /// Sends `M112` ahead of everything queued; the job fails.
    pub async fn emergency_stop(&self) -> Result<(), PrinterError> {
        self.ask(Request::EmergencyStop).await
    }

    /// Waits until everything sent so far (a cancel script, say) has been
    /// acknowledged, or the connection ended.
    pub async fn when_idle(&self) -> Result<(), PrinterError> {
        self.ask(Request::WhenIdle).await
    }

    /// Reconnects and re-handshakes now: a firmware halted by an error or
    /// an emergency stop is restarted (`M999`, and the board reset that
    /// reopening the port gives). Refused by no state; the farm refuses it
    /// while a job is on the printer.
    pub async fn reset(&self) -> Result<(), PrinterError> {
        self.ask(Request::Reset).await
    }

    /// The latest status.
    pub fn status(&self) -> PrinterStatus {
        self.status.borrow().clone()
    }

    /// A receiver of status changes.
    pub fn watch_status(&self) -> watch::Receiver<PrinterStatus> {
        self.status.clone()
    }

    /// A receiver of the events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<PrinterEvent> {
        self.events.subscribe()
    }
}
