//! The farm's rules as pure functions: no I/O, no clock (times are passed
//! in). The store, the printer supervisors and the API call them; tests
//! exercise every rule without a database or a port.
//!
//! - [`calendar`]: operator shifts as a weekly calendar in an IANA zone;
//! - [`catalogue`]: what an order line asks of its units;
//! - [`failure`]: failure causes, blame and the requeue policy;
//! - [`gates`]: whether an upload is G-code at all;
//! - [`lifecycle`]: one printer's farm lifecycle as a state machine;
//! - [`maintenance`]: the service odometer and when a printer is due;
//! - [`oee`]: overall equipment effectiveness and lost time from intervals;
//! - [`order_status`]: an order's status from its units;
//! - [`promise`]: an order's estimated completion and whether it is at risk;
//! - [`recovery`]: what a restart means for interrupted jobs.

pub mod calendar;
pub mod catalogue;
pub mod failure;
pub mod gates;
pub mod lifecycle;
pub mod maintenance;
pub mod oee;
pub mod order_status;
pub mod promise;
pub mod recovery;

pub use failure::{after_failure, AfterFailure, Blame, FailureCause, FailurePolicy, PastFailure};
pub use lifecycle::{Action, Attempt, AttemptEnd, Effect, Lifecycle, Link, Phase, Refused};
pub use order_status::{order_status, OrderStatus, UnitCounts};
