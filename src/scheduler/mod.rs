//! Scheduling: which queued job runs on which printer.
//!
//! [`decide`] is a pure function of a [`Snapshot`] (the queue and every
//! printer's capabilities and availability) returning [`Assignment`]s.
//! [`can_any_print`] refuses, at submission, jobs no printer could ever print.
//! [`timed`] is the time-aware rule (shifts, due dates, materials, heat-ups)
//! that `serve` and the farm simulator share.
//! [`mapping`] builds snapshot types from `config` and `store` data. The
//! loop that applies decisions (offers to printers' supervisors) is
//! `farm::schedule`. No SQL or HTTP lives here.

pub mod clock;
mod decide;
pub mod mapping;
pub mod queue;
mod refusal;
mod routing;
mod snapshot;
pub mod timed;

pub use decide::{decide, decide_over, queue_order};
pub use queue::{QueueBook, QueuedEntry};
pub use refusal::{can_any_print, Refusal};
pub use routing::{can_print, fit_with_change, mismatches, Mismatch};
pub use snapshot::{
    Assignment, Availability, Extents, JobNeeds, PrinterCaps, QueuedJob, Snapshot, ToolMaterial,
};
