//! What a [`super::Link`] reports to its driver.

use super::reply::HostAction;
use super::temps::Temperatures;
use std::collections::BTreeMap;

/// Where the link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Port just opened: waiting for `start` or a few seconds of silence.
    Booting,
    /// `M110` and `M115` sent; waiting for the firmware to identify itself.
    Handshaking,
    /// Connected: lines flow.
    Ready,
    /// The firmware stopped (fatal error, emergency stop); nothing is sent.
    Halted,
    /// The firmware stopped answering; the port should be reopened.
    Lost,
}

/// Something the driver should know about.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The handshake finished.
    Connected {
        /// Firmware name and version from `M115`, or `unknown`.
        firmware: String,
        /// `Cap:` lines: capability name → enabled.
        capabilities: BTreeMap<String, bool>,
    },
    /// A temperature report.
    Temperatures(Temperatures),
    /// The firmware took the job line with this tag.
    Acked {
        /// The tag given to [`super::Link::queue_command`].
        tag: u64,
    },
    /// The firmware asks the host to do something (`//action:pause`).
    HostAction(HostAction),
    /// An error line, or a protocol failure.
    Error {
        /// True when the printer stopped or the link gave up.
        fatal: bool,
        /// What happened, e.g. `thermal runaway (bed)`.
        message: String,
    },
    /// The firmware kept rejecting one line (too long for its command
    /// buffer, or corrupted every time); the link gave up on it, dropped
    /// every line queued or in flight and re-synchronised the line numbers
    /// (`M110`). The printer itself is fine.
    LineRejected {
        /// The serial line number.
        line: u32,
        /// How often it was rejected.
        count: u32,
        /// The tag of the job line, when it was one.
        tag: Option<u64>,
    },
    /// The firmware rebooted (`start` after the handshake): queues were dropped.
    Reset,
    /// No answer within the timeout, even after a poke.
    Lost,
    /// `busy:`: the firmware is working.
    Busy(String),
    /// `echo:` and unrecognised lines.
    Echo(String),
}

/// Counters of one link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Numbered lines sent (each counted once).
    pub lines_sent: u64,
    /// Bytes written, resends included.
    pub bytes_sent: u64,
    /// Resend requests honoured.
    pub resends: u64,
}
