//! How a [`super::Link`] behaves: flow control, buffer size, timeouts.

use super::frame::Timeouts;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How many lines the host keeps in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowMode {
    /// One line at a time: send, wait for `ok`, send the next.
    PingPong,
    /// Count the bytes in flight against the firmware's receive buffer.
    Counting,
    /// Counting, plus what `ok N P B` (Marlin `ADVANCED_OK`) tells: lines
    /// that wait in the command queue no longer take receive-buffer room.
    Advanced,
    /// Advanced when the firmware's `ok` carries `N`/`P`/`B`, counting otherwise.
    #[default]
    Auto,
}

/// A flow mode name that is not one of `auto`, `ping-pong`, `counting`, `advanced`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown flow mode {0:?}: expected auto, ping-pong, counting or advanced")]
pub struct UnknownFlowMode(pub String);

impl FromStr for FlowMode {
    type Err = UnknownFlowMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(FlowMode::Auto),
            "ping-pong" | "pingpong" => Ok(FlowMode::PingPong),
            "counting" => Ok(FlowMode::Counting),
            "advanced" => Ok(FlowMode::Advanced),
            other => Err(UnknownFlowMode(other.to_owned())),
        }
    }
}

impl fmt::Display for FlowMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlowMode::PingPong => "ping-pong",
            FlowMode::Counting => "counting",
            FlowMode::Advanced => "advanced",
            FlowMode::Auto => "auto",
        })
    }
}

/// Settings of one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkConfig {
    /// Flow control.
    pub flow: FlowMode,
    /// The firmware's serial receive buffer, bytes (Marlin: 128).
    pub rx_buffer: usize,
    /// How long acknowledgements may take.
    pub timeouts: Timeouts,
    /// Silence after opening the port before the handshake starts anyway
    /// (boards reset when the port opens and may say nothing).
    pub boot_wait: Duration,
    /// Quiet time after the last boot message before the handshake starts.
    pub boot_quiet: Duration,
    /// More resend requests than this for one line fail the link.
    pub max_resends_per_line: u32,
    /// Acknowledged lines kept for resends, on top of the lines in flight.
    pub history_lines: usize,
    /// Job lines the link holds before [`super::Link::wants_more`] says no.
    pub job_queue_lines: usize,
    /// Interval of temperature reports (`M155`) or polls (`M105`).
    pub temperature_interval: Duration,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            flow: FlowMode::Auto,
            rx_buffer: 128,
            timeouts: Timeouts::default(),
            boot_wait: Duration::from_secs(3),
            boot_quiet: Duration::from_millis(300),
            max_resends_per_line: 10,
            history_lines: 64,
            job_queue_lines: 16,
            temperature_interval: Duration::from_secs(2),
        }
    }
}
