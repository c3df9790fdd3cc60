//! Settings of the virtual board.

use crate::sim::faults::Faults;
use std::time::Duration;

/// Slowest accepted [`FirmwareConfig::speed`].
pub const MIN_SPEED: f64 = 1e-3;
/// Fastest accepted [`FirmwareConfig::speed`].
pub const MAX_SPEED: f64 = 1e6;

/// Settings of one virtual board; the defaults are Marlin's.
#[derive(Debug, Clone, PartialEq)]
pub struct FirmwareConfig {
    /// UART receive buffer, bytes (`RX_BUFFER_SIZE`, 128).
    pub rx_buffer_size: usize,
    /// Command queue slots (`BUFSIZE`, 4).
    pub command_slots: usize,
    /// Planner blocks (`BLOCK_BUFFER_SIZE`, 16).
    pub planner_slots: usize,
    /// Longest command line plus one (`MAX_CMD_SIZE`, 96); longer lines are cut.
    pub max_command_size: usize,
    /// Send `ok N<line> P<planner free> B<queue free>` (`ADVANCED_OK`).
    pub advanced_ok: bool,
    /// Interval of `echo:busy: processing` while a command blocks (wall time);
    /// zero disables it. `M113 S<s>` changes it.
    pub keepalive_interval: Duration,
    /// Printer seconds per wall second (60: a one-minute move takes a second).
    pub speed: f64,
    /// Faults to inject.
    pub faults: Faults,
    /// Seed of the fault dice and of the `M115` UUID.
    pub seed: u64,
}

impl Default for FirmwareConfig {
    fn default() -> Self {
        FirmwareConfig {
            rx_buffer_size: 128,
            command_slots: 4,
            planner_slots: 16,
            max_command_size: 96,
            advanced_ok: false,
            keepalive_interval: Duration::from_secs(2),
            speed: 1.0,
            faults: Faults::default(),
            seed: 0,
        }
    }
}

/// A configuration the firmware cannot run with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The speed factor must lie within [`MIN_SPEED`, `MAX_SPEED`].
    #[error("speed factor must be between {MIN_SPEED} and {MAX_SPEED}, got {0}")]
    Speed(f64),
    /// Buffers must have at least one slot.
    #[error("{0} must be at least 1")]
    ZeroSize(&'static str),
}

impl FirmwareConfig {
    /// Checks that the firmware can run with these settings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let config = self;
        if !(MIN_SPEED..=MAX_SPEED).contains(&config.speed) {
            return Err(ConfigError::Speed(config.speed));
        }
        let sizes = [
            ("rx_buffer_size", config.rx_buffer_size),
            ("command_slots", config.command_slots),
            ("planner_slots", config.planner_slots),
            ("max_command_size", config.max_command_size),
        ];
        match sizes.iter().find(|(_, size)| *size == 0) {
            Some((name, _)) => Err(ConfigError::ZeroSize(name)),
            None => Ok(()),
        }
    }
}
