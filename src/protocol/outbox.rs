//! What the host has to send and has sent: queues, numbered history for
//! resends, and the lines in flight (sent, not yet acknowledged).

use super::frame::{command_timeout, frame_line, Timeouts};
use std::collections::VecDeque;
use std::time::Duration;

/// Why a line is sent: decides what its acknowledgement means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A job line; the tag is its line in the source file.
    Job(u64),
    /// A script or user command.
    Script,
    /// `M110 N0`: resets the firmware's line number.
    LineReset,
    /// `M115` of the handshake.
    Identify,
    /// `M105` of the periodic temperature poll.
    TempPoll,
    /// `M105` sent once when the printer stopped answering.
    Poke,
}

struct Queued {
    text: String,
    origin: Origin,
}

struct SentLine {
    number: u32,
    bytes: Vec<u8>,
    origin: Origin,
    timeout: Duration,
}

struct InFlight {
    number: u32,
    len: usize,
    timeout: Duration,
}

/// How much may be in flight at once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlowLimit {
    /// Most lines in flight.
    pub lines: usize,
    /// In-flight bytes that may sit in the receive buffer must stay below
    /// this (one line is always allowed).
    pub bytes: usize,
    /// Leave out of `bytes` the oldest lines in flight known to have moved
    /// on into the firmware's command queue (see [`Outbox::set_queued`]).
    pub credit_queued: bool,
}

/// A resend request the history could not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutOfHistory {
    /// Oldest line kept, if any.
    pub oldest: Option<u32>,
    /// Next line number to be used.
    pub next: u32,
}

/// The result of rewinding to a requested line.
#[derive(Debug, Default)]
pub(crate) struct Rewind {
    /// Lines in flight before the requested one: the firmware has them.
    pub acked: Vec<Origin>,
    /// Lines in flight after it: each may still draw a stale resend request.
    pub stale: usize,
}

/// Queues, history and in-flight accounting. Numbers lines as they go out.
pub(crate) struct Outbox {
    priority: VecDeque<Queued>,
    job: VecDeque<Queued>,
    history: VecDeque<SentLine>,
    cursor: usize,
    in_flight: VecDeque<InFlight>,
    in_flight_bytes: usize,
    /// The oldest this many lines in flight are in the command queue.
    queued: usize,
    next_number: u32,
    history_lines: usize,
    /// Lines sent for the first time.
    pub lines_sent: u64,
}

impl Outbox {
    /// An empty outbox keeping `history_lines` acknowledged lines for resends.
    pub fn new(history_lines: usize) -> Self {
        Outbox {
            priority: VecDeque::new(),
            job: VecDeque::new(),
            history: VecDeque::new(),
            cursor: 0,
            in_flight: VecDeque::new(),
            in_flight_bytes: 0,
            queued: 0,
            next_number: 0,
            history_lines,
            lines_sent: 0,
        }
    }

    /// Forgets everything and queues `M110 N0` as line 0.
    pub fn restart_numbering(&mut self) {
        self.clear_queues();
        self.history.clear();
        self.in_flight.clear();
        self.in_flight_bytes = 0;
        self.queued = 0;
        self.cursor = 0;
        self.next_number = 0;
        self.priority.push_back(Queued {
            text: "M110 N0".to_owned(),
            origin: Origin::LineReset,
        });
    }

    /// Drops every line not numbered yet (job lines and scripts).
    pub fn clear_queues(&mut self) {
        self.priority.clear();
        self.job.clear();
    }

    /// Drops the job lines not numbered yet.
    pub fn clear_job(&mut self) {
        self.job.clear();
    }

    /// Queues a job or system line behind the others of its kind.
    pub fn push(&mut self, text: String, origin: Origin) {
        let queued = Queued { text, origin };
        match origin {
            Origin::Job(_) => self.job.push_back(queued),
            Origin::Poke => self.priority.push_front(queued),
            _ => self.priority.push_back(queued),
        }
    }

    /// Job lines waiting to be numbered.
    pub fn job_queued(&self) -> usize {
        self.job.len()
    }

    /// True when nothing is queued, waiting for resend or in flight.
    pub fn is_idle(&self) -> bool {
        self.priority.is_empty()
            && self.job.is_empty()
            && self.cursor == self.history.len()
            && self.in_flight.is_empty()
    }

    /// True when some line is waiting for its acknowledgement.
    pub fn has_in_flight(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// The longest acknowledgement time among the lines in flight.
    pub fn in_flight_timeout(&self) -> Option<Duration> {
        self.in_flight.iter().map(|l| l.timeout).max()
    }

    /// Appends to `out` every line the flow limit lets through: resends first,
    /// then system lines, then (when `send_job`) job lines. Returns the count.
    pub fn transmit(
        &mut self,
        limit: FlowLimit,
        send_job: bool,
        timeouts: &Timeouts,
        out: &mut Vec<u8>,
    ) -> usize {
        let mut count = 0;
        while let Some((len, forced)) = self.next_len(send_job) {
            if !forced && !self.fits(limit, len) {
                break;
            }
            if self.cursor == self.history.len() {
                self.number_next(send_job, timeouts);
            }
            let Some(line) = self.history.get(self.cursor) else {
                break;
            };
            out.extend_from_slice(&line.bytes);
            self.in_flight_bytes += line.bytes.len();
            self.in_flight.push_back(InFlight {
                number: line.number,
                len: line.bytes.len(),
                timeout: line.timeout,
            });
            self.cursor += 1;
            count += 1;
        }
        count
    }

    fn fits(&self, limit: FlowLimit, len: usize) -> bool {
        if self.in_flight.is_empty() {
            return true;
        }
        let credit = if limit.credit_queued {
            self.in_flight.iter().take(self.queued).map(|l| l.len).sum()
        } else {
            0
        };
        self.in_flight.len() < limit.lines && self.in_flight_bytes - credit + len < limit.bytes
    }

    /// Records that the firmware's command queue holds the oldest `lines`
    /// lines in flight (from an `ok N P B`): they have left its receive
    /// buffer. Acknowledgements and rewinds keep the count true.
    pub fn set_queued(&mut self, lines: usize) {
        self.queued = lines.min(self.in_flight.len());
    }

    /// Length of the next line to send, and whether it may bypass the flow limit.
    fn next_len(&self, send_job: bool) -> Option<(usize, bool)> {
        if let Some(line) = self.history.get(self.cursor) {
            return Some((line.bytes.len(), false));
        }
        let next = self
            .priority
            .front()
            .or(self.job.front().filter(|_| send_job))?;
        let len = frame_line(self.next_number, &next.text).len();
        Some((len, next.origin == Origin::Poke))
    }

    fn number_next(&mut self, send_job: bool, timeouts: &Timeouts) {
        let queued = match self.priority.pop_front() {
            Some(q) => q,
            None if send_job => match self.job.pop_front() {
                Some(q) => q,
                None => return,
            },
            None => return,
        };
        self.history.push_back(SentLine {
            number: self.next_number,
            bytes: frame_line(self.next_number, &queued.text),
            origin: queued.origin,
            timeout: command_timeout(&queued.text, timeouts),
        });
        self.next_number = self.next_number.wrapping_add(1);
        self.lines_sent += 1;
    }

    /// Where the numbered line `number` came from, while it is kept.
    pub fn origin_of(&self, number: u32) -> Option<Origin> {
        let first = self.history.front()?.number;
        let index = usize::try_from(number.checked_sub(first)?).ok()?;
        self.history.get(index).map(|l| l.origin)
    }

    fn pop_in_flight(&mut self) -> Option<Origin> {
        let line = self.in_flight.pop_front()?;
        self.in_flight_bytes -= line.len;
        self.queued = self.queued.saturating_sub(1);
        self.origin_of(line.number)
    }

    /// Takes an `ok`: with a line number, acknowledges every line in flight up
    /// to it; without, the oldest. Returns what was acknowledged, oldest first.
    pub fn ack(&mut self, line: Option<u32>) -> Vec<Origin> {
        let mut acked = Vec::new();
        match line {
            Some(n) => {
                while self.in_flight.front().is_some_and(|l| l.number <= n) {
                    acked.extend(self.pop_in_flight());
                }
            }
            None => acked.extend(self.pop_in_flight()),
        }
        self.trim_history();
        acked
    }

    /// Rewinds so that `number` and everything after it is sent again.
    pub fn rewind(&mut self, number: u32) -> Result<Rewind, OutOfHistory> {
        let first = self.history.front().map(|l| l.number);
        let index = match first {
            Some(first) if number >= first && number <= self.next_number => {
                usize::try_from(number - first).unwrap_or(usize::MAX)
            }
            _ if number == self.next_number => self.history.len(),
            _ => {
                return Err(OutOfHistory {
                    oldest: first,
                    next: self.next_number,
                })
            }
        };
        let mut rewind = Rewind::default();
        while self.in_flight.front().is_some_and(|l| l.number < number) {
            rewind.acked.extend(self.pop_in_flight());
        }
        rewind.stale = self.in_flight.iter().filter(|l| l.number > number).count();
        self.in_flight.clear();
        self.in_flight_bytes = 0;
        self.queued = 0;
        self.cursor = index.min(self.history.len());
        Ok(rewind)
    }

    /// Drops acknowledged lines beyond the history length.
    fn trim_history(&mut self) {
        let oldest_needed = self.in_flight.front().map(|l| l.number);
        while self.history.len() > self.history_lines && self.cursor > 0 {
            let Some(front) = self.history.front() else {
                break;
            };
            if oldest_needed.is_some_and(|n| front.number >= n) {
                break;
            }
            self.history.pop_front();
            self.cursor -= 1;
        }
    }
}
