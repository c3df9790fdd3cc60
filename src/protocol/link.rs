//! [`Link`]: the host side of the Marlin serial protocol as a state machine.
//! Bytes and times go in; bytes to write and events come out.

use super::config::{FlowMode, LinkConfig};
use super::event::{LinkEvent, LinkState, LinkStats};
use super::outbox::{FlowLimit, Origin, Outbox};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Longest reply line kept; the rest of a longer line is dropped.
const MAX_REPLY_LINE: usize = 4096;

/// A command the link refuses to queue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Line breaks or `*` would break the framing.
    #[error("command {0:?} contains a line break or '*'")]
    Unframeable(String),
}

/// The host side of one printer connection. See the module docs.
pub struct Link {
    pub(super) config: LinkConfig,
    pub(super) state: LinkState,
    pub(super) outbox: Outbox,
    rx: Vec<u8>,
    pub(super) events: VecDeque<LinkEvent>,
    urgent: Option<Vec<u8>>,
    pub(super) boot_deadline: Duration,
    pub(super) last_progress: Duration,
    pub(super) poked: bool,
    pub(super) swallow_ok: bool,
    pub(super) stale_resends: usize,
    pub(super) resending: Option<(u32, u32)>,
    /// The firmware's `ok`s carry `N`, `P` and `B` (`ADVANCED_OK`).
    pub(super) advanced_oks: bool,
    /// Command queue slots (`BUFSIZE`) as far as known: the largest `B + 1`.
    pub(super) command_slots: u32,
    pub(super) firmware: Option<String>,
    pub(super) capabilities: BTreeMap<String, bool>,
    pub(super) next_temp_poll: Option<Duration>,
    pub(super) temp_poll_outstanding: bool,
    pub(super) stats: LinkStats,
    job_held: bool,
}

impl Link {
    /// A link for a port opened at `now`; it waits for the board to boot.
    pub fn new(config: LinkConfig, now: Duration) -> Self {
        Link {
            boot_deadline: now + config.boot_wait,
            outbox: Outbox::new(config.history_lines),
            config,
            state: LinkState::Booting,
            rx: Vec::new(),
            events: VecDeque::new(),
            urgent: None,
            last_progress: now,
            poked: false,
            swallow_ok: false,
            stale_resends: 0,
            resending: None,
            advanced_oks: false,
            command_slots: 0,
            firmware: None,
            capabilities: BTreeMap::new(),
            next_temp_poll: None,
            temp_poll_outstanding: false,
            stats: LinkStats::default(),
            job_held: false,
        }
    }

    /// Where the link stands.
    pub fn state(&self) -> LinkState {
        self.state
    }

    /// Counters: lines and bytes sent, resends.
    pub fn stats(&self) -> LinkStats {
        LinkStats {
            lines_sent: self.outbox.lines_sent,
            ..self.stats
        }
    }

    /// Feeds bytes read from the port; complete lines are handled at once.
    pub fn receive(&mut self, bytes: &[u8], now: Duration) {
        for &byte in bytes {
            if byte == b'\n' || byte == b'\r' {
                if !self.rx.is_empty() {
                    let line = std::mem::take(&mut self.rx);
                    self.handle_line(&line, now);
                }
            } else if self.rx.len() < MAX_REPLY_LINE {
                self.rx.push(byte);
            }
        }
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<LinkEvent> {
        self.events.pop_front()
    }

    /// Bytes to write now: `M112` alone after an emergency stop, otherwise
    /// every line the flow control lets through, coalesced in one batch.
    pub fn poll_transmit(&mut self, now: Duration) -> Option<Vec<u8>> {
        if let Some(urgent) = self.urgent.take() {
            self.stats.bytes_sent += urgent.len() as u64;
            return Some(urgent);
        }
        if !matches!(self.state, LinkState::Handshaking | LinkState::Ready) {
            return None;
        }
        let was_idle = !self.outbox.has_in_flight();
        let send_job = self.state == LinkState::Ready && !self.job_held;
        let mut out = Vec::new();
        let limit = self.flow_limit();
        self.outbox
            .transmit(limit, send_job, &self.config.timeouts, &mut out);
        if out.is_empty() {
            return None;
        }
        if was_idle {
            self.last_progress = now;
        }
        self.stats.bytes_sent += out.len() as u64;
        Some(out)
    }

    fn flow_limit(&self) -> FlowLimit {
        let one = FlowLimit {
            lines: 1,
            bytes: usize::MAX,
            credit_queued: false,
        };
        let counting = FlowLimit {
            lines: usize::MAX,
            bytes: self.config.rx_buffer,
            credit_queued: false,
        };
        let advanced = FlowLimit {
            credit_queued: true,
            ..counting
        };
        if self.state == LinkState::Handshaking {
            return one;
        }
        match (self.config.flow, self.advanced_oks) {
            (FlowMode::PingPong, _) => one,
            (FlowMode::Counting, _) | (FlowMode::Advanced | FlowMode::Auto, false) => counting,
            (FlowMode::Advanced | FlowMode::Auto, true) => advanced,
        }
    }

    /// When [`Link::handle_deadline`] should next be called, if ever.
    pub fn next_deadline(&self) -> Option<Duration> {
        match self.state {
            LinkState::Booting => Some(self.boot_deadline),
            LinkState::Handshaking | LinkState::Ready => {
                let reply = self
                    .outbox
                    .in_flight_timeout()
                    .map(|t| self.last_progress.saturating_add(t));
                [reply, self.next_temp_poll].into_iter().flatten().min()
            }
            LinkState::Halted | LinkState::Lost => None,
        }
    }

    /// Acts on whatever deadline has passed at `now`: boot wait, reply
    /// timeout (poke with `M105` once, then give up), temperature poll.
    pub fn handle_deadline(&mut self, now: Duration) {
        match self.state {
            LinkState::Booting if now >= self.boot_deadline => self.begin_handshake(now),
            LinkState::Handshaking | LinkState::Ready => {
                let timeout = self.outbox.in_flight_timeout();
                if timeout.is_some_and(|t| now >= self.last_progress.saturating_add(t)) {
                    self.on_timeout(now);
                }
                if self.next_temp_poll.is_some_and(|at| now >= at) {
                    self.poll_temperatures(now);
                }
            }
            _ => {}
        }
    }

    fn on_timeout(&mut self, now: Duration) {
        self.stale_resends = 0;
        if self.poked {
            self.state = LinkState::Lost;
            self.outbox.clear_queues();
            self.events.push_back(LinkEvent::Lost);
        } else {
            self.poked = true;
            self.last_progress = now;
            self.outbox.push("M105".to_owned(), Origin::Poke);
        }
    }

    fn poll_temperatures(&mut self, now: Duration) {
        if !self.temp_poll_outstanding {
            self.temp_poll_outstanding = true;
            self.outbox.push("M105".to_owned(), Origin::TempPoll);
        }
        self.next_temp_poll = Some(now + self.config.temperature_interval);
    }

    /// Queues a job line; `tag` (its line in the source file) comes back in
    /// [`LinkEvent::Acked`]. Blank commands are ignored.
    pub fn queue_command(&mut self, command: &str, tag: u64) -> Result<(), CommandError> {
        self.queue(command, Origin::Job(tag))
    }

    /// Queues a command ahead of the job lines not sent yet (scripts, user commands).
    pub fn queue_priority(&mut self, command: &str) -> Result<(), CommandError> {
        self.queue(command, Origin::Script)
    }

    fn queue(&mut self, command: &str, origin: Origin) -> Result<(), CommandError> {
        let command = command.trim();
        if command.contains(['\n', '\r', '*']) {
            return Err(CommandError::Unframeable(command.to_owned()));
        }
        if !command.is_empty() {
            self.outbox.push(command.to_owned(), origin);
        }
        Ok(())
    }

    /// True while the link is ready and holds fewer job lines than configured:
    /// feed it one more line.
    pub fn wants_more(&self) -> bool {
        self.state == LinkState::Ready && self.outbox.job_queued() < self.config.job_queue_lines
    }

    /// True when nothing is queued, waiting for a resend or unacknowledged.
    pub fn is_idle(&self) -> bool {
        self.outbox.is_idle()
    }

    /// Holds (or releases) the job lines; priority commands still go out.
    pub fn hold_job(&mut self, held: bool) {
        self.job_held = held;
    }

    /// Drops the job lines not sent yet. Lines already sent still complete.
    pub fn cancel_job(&mut self) {
        self.outbox.clear_job();
        self.job_held = false;
    }

    /// Sends `M112` unnumbered ahead of everything and drops all queues.
    pub fn emergency_stop(&mut self) {
        self.urgent = Some(b"M112\n".to_vec());
        self.outbox.clear_queues();
        self.state = LinkState::Halted;
    }

    /// Starts over: `M110 N0` then `M115`, ping-pong until identified.
    pub(super) fn begin_handshake(&mut self, now: Duration) {
        self.state = LinkState::Handshaking;
        self.outbox.restart_numbering();
        self.outbox.push("M115".to_owned(), Origin::Identify);
        self.last_progress = now;
        self.poked = false;
        self.swallow_ok = false;
        self.stale_resends = 0;
        self.resending = None;
        self.advanced_oks = false;
        self.command_slots = 0;
        self.firmware = None;
        self.capabilities.clear();
        self.next_temp_poll = None;
        self.temp_poll_outstanding = false;
        self.job_held = false;
    }
}
