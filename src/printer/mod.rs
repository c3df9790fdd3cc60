//! The printer driver: one tokio task per printer owns its serial port (or
//! pseudo-terminal) and drives a [`crate::protocol::Link`]; a cloneable
//! [`PrinterHandle`] starts, pauses, resumes, cancels and stops jobs, and
//! publishes a [`PrinterStatus`] (`watch`) and [`PrinterEvent`]s (`broadcast`).
//!
//! Job files are read on a blocking thread through a bounded channel, only
//! as fast as the link drains, so memory stays constant whatever the file.
//! After a disconnect the task reopens the port with exponential backoff; a
//! disconnect or firmware error during a job fails it as printer-caused.

pub mod adapter;
mod driver;
mod handle;
mod job;
mod job_feed;
mod requests;
mod session;
mod types;

pub use handle::{spawn, spawn_owned, PrinterHandle};
pub use types::{
    JobId, JobProgress, JobSource, JobStats, PrinterConfig, PrinterError, PrinterEvent,
    PrinterState, PrinterStatus, Scripts,
};
