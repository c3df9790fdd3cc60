//! The host side of the Marlin serial protocol, without I/O or clock.
//!
//! A [`Link`] takes bytes read from the port and the current time (a
//! [`std::time::Duration`] since any origin), and hands out bytes to write
//! and [`LinkEvent`]s. It does the handshake (`M110 N0`, `M115`, `M155` or
//! `M105` polls), numbers and checksums lines, serves resend requests from
//! its history, keeps as many lines in flight as the [`FlowMode`] allows,
//! and watches for timeouts, `busy:` keep-alives, fatal errors and resets.
//!
//! ```
//! use printfarm::protocol::{Link, LinkConfig, LinkEvent};
//! use std::time::Duration;
//!
//! let mut link = Link::new(LinkConfig::default(), Duration::ZERO);
//! link.receive(b"start\n", Duration::from_millis(500));
//! assert_eq!(link.poll_transmit(Duration::from_millis(500)).unwrap(), b"N0 M110 N0*125\n");
//! link.receive(b"ok\n", Duration::from_millis(510));
//! assert_eq!(link.poll_transmit(Duration::from_millis(510)).unwrap(), b"N1 M115*39\n");
//! link.receive(b"FIRMWARE_NAME:Marlin 2.1.2\nCap:AUTOREPORT_TEMP:1\nok\n", Duration::from_millis(520));
//! assert!(matches!(link.poll_event(), Some(LinkEvent::Connected { .. })));
//! ```

mod config;
mod errors;
mod event;
mod frame;
mod link;
mod link_replies;
mod outbox;
mod reply;
mod temps;

#[cfg(test)]
mod link_resend_tests;
#[cfg(test)]
mod link_tests;
#[cfg(test)]
mod link_timeout_tests;
#[cfg(test)]
mod reply_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod transcript_tests;

pub use config::{FlowMode, LinkConfig, UnknownFlowMode};
pub use errors::{classify_error, is_thermal, ErrorClass};
pub use event::{LinkEvent, LinkState, LinkStats};
pub use frame::{command_timeout, frame_line, Timeouts};
pub use link::{CommandError, Link};
pub use reply::{parse_reply, HostAction, OkReply, Reply};
pub use temps::{parse_temperatures, TemperatureReading, Temperatures};
