//! The task that moves bytes between a PTY and the firmware at the emulated
//! baud rate. The clock is read here, and only here.

use super::firmware::{Firmware, FirmwareState};
use super::host::{Shared, SimConfig, SimError};
use super::motion::MotionModel;
use super::pty::Pty;
use super::throttle::ByteRate;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::sync::watch;
use tokio::time::Instant;

/// Replies kept for a host that does not read; beyond this they are lost,
/// as a UART's are when nobody listens.
const MAX_PENDING_OUTPUT: usize = 16 * 1024;
/// Longest sleep when nothing is scheduled.
const IDLE_WAKEUP: Duration = Duration::from_secs(1);

/// How the task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The handle asked it to stop.
    Stopped,
    /// The disconnect fault fired: the PTY was closed.
    Disconnected,
}

/// Everything but the file descriptors: firmware, rates, output queue, record.
pub(super) struct Engine<M: MotionModel + Clone> {
    firmware: Firmware<M>,
    clock: Instant,
    inbound: ByteRate,
    outbound: ByteRate,
    latency: Duration,
    /// Reply bytes with the time they may leave.
    pending: VecDeque<(Duration, Vec<u8>)>,
    pending_bytes: usize,
    shared: Arc<Shared>,
    published: usize,
    record: Option<(PathBuf, BufWriter<File>)>,
    /// The host's bytes were all read: the wire is idle until new ones come.
    input_idle: bool,
}

impl<M: MotionModel + Clone> Engine<M> {
    pub(super) fn new(
        firmware: Firmware<M>,
        config: &SimConfig,
        clock: Instant,
        shared: Arc<Shared>,
    ) -> Result<Self, SimError> {
        let record = match &config.record {
            Some(path) => {
                let file = File::create(path).map_err(|source| SimError::Record {
                    path: path.clone(),
                    source,
                })?;
                Some((path.clone(), BufWriter::new(file)))
            }
            None => None,
        };
        let mut engine = Engine {
            firmware,
            clock,
            inbound: ByteRate::new(config.baud, Duration::ZERO),
            outbound: ByteRate::new(config.baud, Duration::ZERO),
            latency: config.latency,
            pending: VecDeque::new(),
            pending_bytes: 0,
            shared,
            published: 0,
            record,
            input_idle: true,
        };
        engine.collect_output(Duration::ZERO); // the power-on banner
        Ok(engine)
    }

    fn now(&self) -> Duration {
        self.clock.elapsed()
    }

    /// Advances the firmware and queues its replies.
    fn tick(&mut self) -> Result<(), SimError> {
        let now = self.now();
        self.firmware.poll(now);
        self.collect_output(now);
        self.publish()
    }

    fn collect_output(&mut self, now: Duration) {
        let bytes = self.firmware.take_output();
        let room = MAX_PENDING_OUTPUT.saturating_sub(self.pending_bytes);
        let kept = &bytes[..bytes.len().min(room)];
        if !kept.is_empty() {
            let due = now + self.latency;
            if self.pending.is_empty() {
                self.outbound.rest_until(due); // the wire was idle until now
            }
            self.pending_bytes += kept.len();
            self.pending.push_back((due, kept.to_vec()));
        }
    }

    /// Shares new executed commands with the handle and the record file.
    fn publish(&mut self) -> Result<(), SimError> {
        self.shared.set_state(self.firmware.state());
        let new = &self.firmware.executed()[self.published..];
        if new.is_empty() {
            return Ok(());
        }
        self.shared.record(new);
        if let Some((path, file)) = &mut self.record {
            let written: io::Result<()> = new
                .iter()
                .try_for_each(|command| writeln!(file, "{command}"))
                .and_then(|()| file.flush());
            written.map_err(|source| SimError::Record {
                path: path.clone(),
                source,
            })?;
        }
        self.published += new.len();
        Ok(())
    }

    /// Bytes the host may read now, if any.
    fn sendable(&mut self, now: Duration) -> Option<&[u8]> {
        let allowed = self.outbound.available(now);
        let (due, bytes) = self.pending.front()?;
        (*due <= now && allowed > 0).then(|| &bytes[..allowed.min(bytes.len())])
    }

    fn sent(&mut self, count: usize) {
        self.outbound.consume(count);
        self.pending_bytes -= count;
        if let Some((_, bytes)) = self.pending.front_mut() {
            bytes.drain(..count.min(bytes.len()));
            if bytes.is_empty() {
                self.pending.pop_front();
            }
        }
    }

    /// When the loop must wake up even if the PTY stays quiet.
    fn deadline(&mut self, now: Duration) -> Duration {
        let mut deadline = self.firmware.next_wakeup().unwrap_or(now + IDLE_WAKEUP);
        if self.inbound.available(now) == 0 {
            deadline = deadline.min(self.inbound.next_byte_at());
        }
        if let Some((due, _)) = self.pending.front() {
            let due = (*due).max(self.outbound.next_byte_at());
            deadline = deadline.min(due);
        }
        deadline.min(now + IDLE_WAKEUP)
    }
}

/// Serves the PTY until stopped or disconnected.
pub(super) async fn run<M: MotionModel + Clone>(
    pty: Pty,
    mut engine: Engine<M>,
    mut stop: watch::Receiver<bool>,
) -> Result<Exit, SimError> {
    let Pty { master, slave, .. } = pty;
    // SAFETY: an `OwnedFd` is a valid, open descriptor that keeps its number
    // and stays open for as long as the `AsyncFd` owns it.
    let master = unsafe { AsyncFd::register(master) }.map_err(|e| e.into_parts().1)?;
    let mut buffer = vec![0u8; 4096];
    let shared = Arc::clone(&engine.shared);
    loop {
        engine.tick()?;
        if engine.firmware.state() == FirmwareState::Disconnected {
            drop(slave); // closing both ends: the driver sees the port vanish
            return Ok(Exit::Disconnected);
        }
        let now = engine.now();
        let budget = engine.inbound.available(now).min(buffer.len());
        let can_send = engine.sendable(now).is_some();
        let wake = engine.clock + engine.deadline(now);
        tokio::select! {
            biased;
            _ = stop.changed() => return Ok(Exit::Stopped),
            () = shared.reset.notified() => engine.firmware.reset(),
            ready = master.readable(), if budget > 0 => {
                let mut guard = ready?;
                let now = engine.now();
                if std::mem::take(&mut engine.input_idle) {
                    engine.inbound.rest_until(now); // these bytes were just written
                }
                let budget = engine.inbound.available(now).min(buffer.len());
                if budget > 0 {
                    match guard.try_io(|fd| read_some(fd.get_ref(), &mut buffer[..budget])) {
                        Ok(result) => {
                            let count = result?;
                            engine.input_idle = count < budget;
                            engine.inbound.consume(count);
                            engine.firmware.receive(&buffer[..count], now);
                        }
                        Err(_would_block) => engine.input_idle = true,
                    }
                }
            }
            ready = master.writable(), if can_send => {
                let mut guard = ready?;
                let now = engine.now();
                let bytes = engine.sendable(now).unwrap_or_default();
                if let Ok(result) = guard.try_io(|fd| write_some(fd.get_ref(), bytes)) {
                    engine.sent(result?);
                }
            }
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}

fn read_some(fd: &OwnedFd, buffer: &mut [u8]) -> io::Result<usize> {
    match nix::unistd::read(fd.as_raw_fd(), buffer) {
        // No slave open (EIO) or end of file: cannot happen while we hold the
        // slave, but never spin on it.
        Err(nix::Error::EIO) | Ok(0) => Err(io::ErrorKind::WouldBlock.into()),
        other => other.map_err(io::Error::from),
    }
}

fn write_some(fd: &OwnedFd, bytes: &[u8]) -> io::Result<usize> {
    nix::unistd::write(fd, bytes).map_err(io::Error::from)
}
