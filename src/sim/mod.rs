//! The virtual Marlin printer: a sans-IO firmware emulation ([`firmware`])
//! and its hosting on a pseudo-terminal.
//!
//! The firmware takes bytes and times and returns bytes, so it is tested
//! with byte strings; the host side reads the clock, limits the byte rate to
//! the emulated baud rate and moves bytes between the firmware and a PTY that
//! drivers open like `/dev/ttyUSB0`.

pub mod faults;
pub mod firmware;
pub mod heater;
pub mod host;
mod link;
pub mod motion;
pub mod planned_motion;
mod precise_timer;
pub mod pty;
pub mod serial_in;
pub mod wire;

pub use faults::Faults;
pub use firmware::{Firmware, FirmwareConfig, FirmwareState};
pub use host::{spawn, spawn_with, SimConfig, SimError, SimHandle, SimReset};
pub use motion::{MotionModel, Position, SimpleMotion};
pub use planned_motion::PlannedMotion;
