//! The farm simulator: a discrete-event simulation of a print farm in
//! virtual time (printers, operators on shifts clearing beds and changing
//! materials, a cap on heat-ups) that compares scheduling policies on the
//! same instances. `printfarm bench schedule` runs it.
//!
//! Time inside is whole seconds since the instance's start; shifts are
//! local time in the instance's IANA time zone, turned into instants once
//! ([`calendar`]), so daylight-saving changes are handled there.

pub use crate::domain::calendar;
pub mod generate;
pub mod instance;
pub mod metrics;
pub mod policy;
pub mod sim;

pub use instance::{Instance, InstanceError, Model};
pub use metrics::Figures;
pub use policy::{Policy, PolicyKind};
