//! Running virtual printers on pseudo-terminals, one tokio task each.
//!
//! ```no_run
//! # async fn demo() -> Result<(), printfarm::sim::host::SimError> {
//! use printfarm::sim::host::{spawn, SimConfig};
//! let printer = spawn(SimConfig::default())?;
//! println!("open {}", printer.path().display());
//! // … drive it with the serial driver …
//! let executed = printer.recorded_commands();
//! printer.stop().await?;
//! # Ok(()) }
//! ```

use super::firmware::{ConfigError, Firmware, FirmwareConfig, FirmwareState};
use super::link::{self, Engine, Exit};
use super::motion::{MotionModel, SimpleMotion};
use super::pty::{symlink, Pty, PtyError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Everything about one virtual printer.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Name in logs and reports, e.g. `printer0`.
    pub name: String,
    /// The emulated board.
    pub firmware: FirmwareConfig,
    /// Emulated baud rate, both ways (`baud / 10` bytes per second); 0 = unlimited.
    pub baud: u32,
    /// Extra delay before replies reach the host (USB-serial adapters add 1–16 ms).
    pub latency: Duration,
    /// Polls instead of sleeping for this long before each emulated event,
    /// as a board's own microcontroller does; costs CPU (0 = always sleep).
    pub poll_window: Duration,
    /// Symlink to create to the slave device, e.g. `links/printer0`.
    pub link: Option<PathBuf>,
    /// File to write the executed commands to, one per line, as they execute.
    pub record: Option<PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            name: "printer0".into(),
            firmware: FirmwareConfig::default(),
            baud: 115_200,
            latency: Duration::ZERO,
            poll_window: Duration::ZERO,
            link: None,
            record: None,
        }
    }
}

/// Why a virtual printer could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The firmware configuration is invalid.
    #[error("invalid firmware configuration")]
    Config(#[from] ConfigError),
    /// The pseudo-terminal could not be set up.
    #[error("pseudo-terminal")]
    Pty(#[from] PtyError),
    /// `spawn` was called outside a tokio runtime.
    #[error("a virtual printer must be spawned inside a tokio runtime")]
    NoRuntime,
    /// I/O on the pseudo-terminal failed.
    #[error("I/O on the pseudo-terminal")]
    Io(#[from] std::io::Error),
    /// The record file could not be written.
    #[error("cannot write the record to {path}")]
    Record {
        /// The record file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The printer task panicked or was aborted.
    #[error("the printer task ended abnormally")]
    Task(#[from] tokio::task::JoinError),
}

/// State shared between a printer task and its handle.
#[derive(Debug)]
pub(super) struct Shared {
    recorded: Mutex<Vec<String>>,
    state: Mutex<FirmwareState>,
    /// Signalled by [`SimHandle::reset`].
    pub(super) reset: tokio::sync::Notify,
}

impl Shared {
    pub(super) fn record(&self, commands: &[String]) {
        let mut recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        recorded.extend_from_slice(commands);
    }

    pub(super) fn set_state(&self, state: FirmwareState) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }
}

/// A running virtual printer.
#[derive(Debug)]
pub struct SimHandle {
    name: String,
    path: PathBuf,
    link: Option<PathBuf>,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<Exit, SimError>>,
}

/// Starts a virtual printer with [`SimpleMotion`]; call inside a tokio runtime.
pub fn spawn(config: SimConfig) -> Result<SimHandle, SimError> {
    spawn_with(config, SimpleMotion::default())
}

/// Starts a virtual printer whose moves are priced by `motion`.
pub fn spawn_with<M>(config: SimConfig, motion: M) -> Result<SimHandle, SimError>
where
    M: MotionModel + Clone + 'static,
{
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| SimError::NoRuntime)?;
    let _guard = runtime.enter();
    let pty = Pty::open()?;
    if let Some(link) = &config.link {
        symlink(&pty.path, link)?;
    }
    let clock = tokio::time::Instant::now();
    let firmware = Firmware::new(config.firmware.clone(), motion, Duration::ZERO)?;
    let shared = Arc::new(Shared {
        recorded: Mutex::new(Vec::new()),
        state: Mutex::new(FirmwareState::Running),
        reset: tokio::sync::Notify::new(),
    });
    let engine = Engine::new(firmware, &config, clock, Arc::clone(&shared))?;
    let (stop, stopped) = watch::channel(false);
    let path = pty.path.clone();
    let task = runtime.spawn(link::run(pty, engine, stopped));
    Ok(SimHandle {
        name: config.name,
        path,
        link: config.link,
        shared,
        stop,
        task,
    })
}

/// Power-cycles one virtual printer's board on demand; cheap to clone, so
/// the printer's supervisor can hold one while the fleet owns the handle.
#[derive(Clone)]
pub struct SimReset(Arc<Shared>);

impl SimReset {
    /// As [`SimHandle::reset`].
    pub fn trigger(&self) {
        self.0.reset.notify_one();
    }
}

impl std::fmt::Debug for SimReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimReset")
    }
}

impl SimHandle {
    /// A trigger for [`SimHandle::reset`] that outlives borrowing the handle.
    pub fn reset_trigger(&self) -> SimReset {
        SimReset(Arc::clone(&self.shared))
    }

    /// The printer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The slave device to open, e.g. `/dev/pts/5`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The symlink to the slave device, if one was asked for.
    pub fn link(&self) -> Option<&Path> {
        self.link.as_deref()
    }

    /// Every command the firmware executed so far, in order, without line
    /// number, checksum or comment.
    pub fn recorded_commands(&self) -> Vec<String> {
        let recorded = self.shared.recorded.lock();
        recorded.unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Running, halted (M112, thermal runaway) or disconnected (PTY closed).
    pub fn state(&self) -> FirmwareState {
        *self
            .shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Power-cycles the board, as a real one resets when the port opens
    /// (DTR), which a PTY cannot detect: banner again, queues, line number,
    /// targets and position cleared, a halted board running again.
    pub fn reset(&self) {
        self.shared.reset.notify_one();
    }

    /// True once the task has ended (stopped or disconnected).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops the printer, closes its PTY and removes its symlink.
    pub async fn stop(self) -> Result<(), SimError> {
        // The task may already be gone (disconnect fault); that is fine.
        let _ = self.stop.send(true);
        let result = self.task.await;
        if let Some(link) = &self.link {
            let _ = std::fs::remove_file(link); // may be gone already
        }
        result?.map(|_| ())
    }
}
