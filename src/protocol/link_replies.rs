//! How a [`Link`] reacts to each kind of reply.

use super::errors::ErrorClass;
use super::event::{LinkEvent, LinkState};
use super::link::Link;
use super::outbox::Origin;
use super::reply::{parse_reply, OkReply, Reply};
use std::time::Duration;

impl Link {
    /// Handles one complete line from the firmware.
    pub(super) fn handle_line(&mut self, line: &[u8], now: Duration) {
        let reply = parse_reply(line);
        if self.state == LinkState::Booting {
            self.while_booting(&reply, now);
            return;
        }
        let after_resend = std::mem::take(&mut self.swallow_ok);
        match reply {
            Reply::Ok(ok) => self.on_ok(ok, after_resend, now),
            Reply::Resend(n) => self.on_resend(n, now),
            Reply::Skip(n) => self.on_resend(n.saturating_add(1), now),
            Reply::Busy(text) => {
                self.last_progress = now;
                self.events.push_back(LinkEvent::Busy(text));
            }
            Reply::Start => self.on_start(now),
            Reply::Firmware(name) => self.firmware = Some(name),
            Reply::Capability { name, enabled } => {
                self.capabilities.insert(name, enabled);
            }
            Reply::HostAction(action) => self.events.push_back(LinkEvent::HostAction(action)),
            Reply::Error { class, text } => self.on_error(class, text),
            Reply::Echo(text) | Reply::Other(text) => self.events.push_back(LinkEvent::Echo(text)),
            Reply::Temperatures(t) => self.events.push_back(LinkEvent::Temperatures(t)),
            Reply::Wait => {}
        }
    }

    /// Boot chatter delays the handshake a little; `start` begins it.
    fn while_booting(&mut self, reply: &Reply, now: Duration) {
        if *reply == Reply::Start {
            self.begin_handshake(now);
        } else {
            self.boot_deadline = self.boot_deadline.min(now + self.config.boot_quiet);
        }
    }

    fn on_ok(&mut self, ok: OkReply, after_resend: bool, now: Duration) {
        let resent_line = self.resending.map(|(line, _)| line);
        let for_resend = ok.line.is_none_or(|n| resent_line.is_some_and(|r| n < r));
        if after_resend && for_resend {
            return; // the `ok` that follows a resend request acknowledges nothing
        }
        self.last_progress = now;
        self.poked = false;
        if let Some(name) = ok.firmware {
            self.firmware = Some(name);
        }
        if let Some(temps) = ok.temperatures {
            self.events.push_back(LinkEvent::Temperatures(temps));
        }
        let acked = self.outbox.ack(ok.line);
        self.note_queue_room(ok.line, ok.planner_free, ok.buffer_free);
        if !acked.is_empty() {
            self.stale_resends = 0;
            self.resending = None;
        }
        for origin in acked {
            self.on_acked(origin, now);
        }
    }

    /// `ok N P B` (Marlin `ADVANCED_OK`): `B` free command slots, counted
    /// while the acknowledged line still held its slot, so the lines in
    /// flight after it that fill the others are out of the receive buffer.
    fn note_queue_room(&mut self, line: Option<u32>, planner: Option<u32>, free: Option<u32>) {
        let (Some(_), Some(_), Some(free)) = (line, planner, free) else {
            return;
        };
        self.advanced_oks = true;
        self.command_slots = self.command_slots.max(free.saturating_add(1));
        let queued = self.command_slots - free - 1;
        self.outbox
            .set_queued(usize::try_from(queued).unwrap_or(usize::MAX));
    }

    fn on_acked(&mut self, origin: Origin, now: Duration) {
        match origin {
            Origin::Job(tag) => self.events.push_back(LinkEvent::Acked { tag }),
            Origin::Identify => self.on_identified(now),
            Origin::TempPoll => self.temp_poll_outstanding = false,
            Origin::Script | Origin::LineReset | Origin::Poke => {}
        }
    }

    fn on_identified(&mut self, now: Duration) {
        self.state = LinkState::Ready;
        let autoreport = self.capabilities.get("AUTOREPORT_TEMP") == Some(&true);
        let interval = self.config.temperature_interval;
        if autoreport {
            let seconds = interval.as_secs().max(1);
            self.outbox.push(format!("M155 S{seconds}"), Origin::Script);
        } else {
            self.next_temp_poll = Some(now + interval);
        }
        self.events.push_back(LinkEvent::Connected {
            firmware: self
                .firmware
                .clone()
                .unwrap_or_else(|| "unknown".to_owned()),
            capabilities: self.capabilities.clone(),
        });
    }

    fn on_resend(&mut self, line: u32, now: Duration) {
        self.last_progress = now;
        self.swallow_ok = true;
        let count = match self.resending {
            Some((current, _)) if current == line && self.stale_resends > 0 => {
                self.stale_resends -= 1; // sent before the rewind: already handled
                return;
            }
            Some((current, count)) if current == line => count + 1,
            _ => 1,
        };
        if count > self.config.max_resends_per_line {
            return self.give_up_on(line, count);
        }
        match self.outbox.rewind(line) {
            Ok(rewind) => {
                self.stats.resends += 1;
                self.stale_resends = rewind.stale;
                self.resending = Some((line, count));
                for origin in rewind.acked {
                    self.on_acked(origin, now);
                }
            }
            Err(range) => {
                let kept = match range.oldest {
                    Some(oldest) => format!("lines {oldest}..{} are kept", range.next),
                    None => "no line is kept".to_owned(),
                };
                self.fail(format!("printer asked to resend line {line}, but {kept}"));
            }
        }
    }

    /// Drops the rejected line and everything after it, and starts the line
    /// numbers over, so the firmware takes the next command again.
    fn give_up_on(&mut self, line: u32, count: u32) {
        let tag = match self.outbox.origin_of(line) {
            Some(Origin::Job(tag)) => Some(tag),
            _ => None,
        };
        self.outbox.restart_numbering();
        self.resending = None;
        self.stale_resends = 0;
        self.swallow_ok = false;
        self.temp_poll_outstanding = false;
        self.poked = false;
        self.events
            .push_back(LinkEvent::LineRejected { line, count, tag });
    }

    fn on_error(&mut self, class: ErrorClass, text: String) {
        match class {
            ErrorClass::LineRejected => {} // a resend request follows
            ErrorClass::Fatal { cause } => self.fail(cause),
            ErrorClass::Other => self.events.push_back(LinkEvent::Error {
                fatal: false,
                message: text,
            }),
        }
    }

    /// Stops the link with a fatal error; only the first one is reported.
    fn fail(&mut self, message: String) {
        if self.state != LinkState::Halted {
            self.state = LinkState::Halted;
            self.outbox.clear_queues();
            self.events.push_back(LinkEvent::Error {
                fatal: true,
                message,
            });
        }
    }

    fn on_start(&mut self, now: Duration) {
        if self.state != LinkState::Handshaking {
            self.events.push_back(LinkEvent::Reset);
        }
        self.begin_handshake(now);
    }
}
