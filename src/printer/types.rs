//! The driver's public vocabulary: configuration, status, events, errors.

use crate::domain::FailureCause;
use crate::protocol::{LinkConfig, Temperatures};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// Identifier of a job, as the store knows it.
pub type JobId = i64;

/// G-code sent around a pause, a resume and a cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scripts {
    /// Sent as part of each job, before its first line (default: nothing).
    pub start: Vec<String>,
    /// Sent as part of each job after its last line; the job finishes when
    /// the firmware has acknowledged it (default: nothing).
    pub end: Vec<String>,
    /// Sent when pausing (default: lift Z by 10 mm).
    pub pause: Vec<String>,
    /// Sent when resuming (default: lower Z back by 10 mm).
    pub resume: Vec<String>,
    /// Sent when cancelling (default: heaters and fan off, motors off).
    pub cancel: Vec<String>,
}

fn lines(commands: &[&str]) -> Vec<String> {
    commands.iter().map(|c| (*c).to_owned()).collect()
}

impl Default for Scripts {
    fn default() -> Self {
        Scripts {
            start: Vec::new(),
            end: Vec::new(),
            pause: lines(&["G91", "G1 Z10 F600", "G90"]),
            resume: lines(&["G91", "G1 Z-10 F600", "G90"]),
            cancel: lines(&["M104 S0", "M140 S0", "M107", "M84"]),
        }
    }
}

/// How to reach one printer and drive it.
#[derive(Debug, Clone)]
pub struct PrinterConfig {
    /// Serial device or pseudo-terminal path.
    pub port: PathBuf,
    /// Baud rate.
    pub baud: u32,
    /// Protocol settings.
    pub link: LinkConfig,
    /// Pause, resume and cancel scripts.
    pub scripts: Scripts,
    /// First wait before reopening a lost port; doubles up to `reconnect_max`.
    pub reconnect_min: Duration,
    /// Longest wait between reconnection attempts.
    pub reconnect_max: Duration,
    /// Latency timer (ms) to set on the port's USB-serial adapter, if it has
    /// one (FTDI), each time the port is opened; `None` leaves it alone.
    pub adapter_latency_ms: Option<u32>,
}

impl PrinterConfig {
    /// Defaults for a port at a baud rate.
    pub fn new(port: impl Into<PathBuf>, baud: u32) -> Self {
        PrinterConfig {
            port: port.into(),
            baud,
            link: LinkConfig::default(),
            scripts: Scripts::default(),
            reconnect_min: Duration::from_millis(500),
            reconnect_max: Duration::from_secs(30),
            adapter_latency_ms: Some(1),
        }
    }
}

/// Where a printer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterState {
    /// The port is closed (waiting to reconnect).
    Disconnected,
    /// The port is open; the handshake is running.
    Connecting,
    /// Connected, no job.
    Idle,
    /// A job is streaming.
    Printing,
    /// A job is paused.
    Paused,
    /// The firmware stopped (fatal error, emergency stop); waiting for a reset.
    Error,
}

/// Progress of the running job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobProgress {
    /// The job.
    pub job_id: JobId,
    /// Source-file line of the last acknowledged command (0 before the first).
    pub last_acked_line: u64,
    /// Commands acknowledged.
    pub lines_acked: u64,
    /// Bytes of the file up to the last acknowledged command.
    pub bytes_acked: u64,
    /// Size of the file.
    pub bytes_total: u64,
    /// Estimated time left, from the rate so far.
    pub eta: Option<Duration>,
}

/// A snapshot of one printer, published through a `watch` channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrinterStatus {
    /// Where it stands.
    pub state: PrinterState,
    /// Firmware name from the handshake.
    pub firmware: Option<String>,
    /// The running job, if any.
    pub job: Option<JobProgress>,
    /// Latest temperatures.
    pub temperatures: Option<Temperatures>,
    /// Latest error, fatal or not.
    pub last_error: Option<String>,
}

/// Counters of one finished job.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct JobStats {
    /// Numbered lines sent, each once.
    pub lines_sent: u64,
    /// Bytes written, resends included.
    pub bytes_sent: u64,
    /// Resend requests honoured.
    pub resends: u64,
    /// From start to the last acknowledgement.
    pub duration: Duration,
}

/// What the driver broadcasts, for the store and the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PrinterEvent {
    /// The state changed.
    StateChanged(PrinterState),
    /// The firmware acknowledged job lines up to `last_acked_line` (sent at most every 250 ms).
    Progress(JobProgress),
    /// A temperature report.
    Temperatures(Temperatures),
    /// Every line of the job was acknowledged.
    JobFinished {
        /// The job.
        job_id: JobId,
        /// Counters.
        stats: JobStats,
    },
    /// The job stopped before its end.
    JobFailed {
        /// The job.
        job_id: JobId,
        /// Whose fault it is, decided where the fact is known.
        cause: FailureCause,
        /// What happened, e.g. `thermal runaway (bed)`.
        reason: String,
        /// Last acknowledged source-file line.
        last_acked_line: u64,
    },
    /// The job was cancelled on request.
    JobCancelled {
        /// The job.
        job_id: JobId,
        /// Last acknowledged source-file line.
        last_acked_line: u64,
    },
}

/// Where a job's G-code comes from.
#[derive(Debug, Clone)]
pub enum JobSource {
    /// A file, streamed with constant memory.
    File(PathBuf),
    /// Lines in memory (tests, small scripts).
    Lines(Vec<String>),
}

/// A request the driver refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrinterError {
    /// The request needs another state.
    #[error("printer is {0:?}; cannot {1}")]
    WrongState(PrinterState, &'static str),
    /// The job file cannot be read.
    #[error("cannot read job file {path}: {message}")]
    JobFile {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
        /// Whose fault that is: a missing file is the job's, too many open
        /// files the host's.
        cause: FailureCause,
    },
    /// The driver task has stopped.
    #[error("printer task has stopped")]
    Stopped,
}
