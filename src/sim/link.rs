//! The task that moves bytes between a PTY and the firmware at the emulated
//! baud rate. The clock is read here, and only here.

use super::firmware::{Firmware, FirmwareState};
use super::host::{Shared, SimConfig, SimError};
use super::motion::MotionModel;
use super::precise_timer::PreciseTimer;
use super::pty::Pty;
use super::wire::Wire;
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
/// Host bytes taken off the PTY ahead of the wire: a USB-serial adapter's
/// transmit FIFO. Beyond it the host's writes wait in the PTY.
const ADAPTER_FIFO: usize = 256;
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

/// Everything but the file descriptors: firmware, wires, record.
pub(super) struct Engine<M: MotionModel + Clone> {
    firmware: Firmware<M>,
    clock: Instant,
    /// Host to board.
    inbound: Wire,
    /// Board to host; replies enter it one latency after they are made.
    outbound: Wire,
    latency: Duration,
    poll_window: Duration,
    /// Reply bytes that have crossed, waiting for the host to read them.
    arrived: Vec<u8>,
    shared: Arc<Shared>,
    published: usize,
    record: Option<(PathBuf, BufWriter<File>)>,
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
            inbound: Wire::new(config.baud),
            outbound: Wire::new(config.baud),
            latency: config.latency,
            poll_window: config.poll_window,
            arrived: Vec::new(),
            shared,
            published: 0,
            record,
        };
        engine.collect_output(Duration::ZERO); // the power-on banner
        Ok(engine)
    }

    fn now(&self) -> Duration {
        self.clock.elapsed()
    }

    /// Hands the firmware each line at the time it crossed (the board's
    /// clock does not see how late this task woke), advances it to now and
    /// takes in the replies that have crossed.
    fn tick(&mut self) -> Result<(), SimError> {
        let now = self.now();
        while let Some((at, bytes)) = self.inbound.next_arrived(now) {
            self.firmware.receive(&bytes, at);
            self.collect_output(at);
        }
        self.firmware.poll(now);
        self.collect_output(now);
        let crossed = self.outbound.arrived(now);
        let room = MAX_PENDING_OUTPUT.saturating_sub(self.arrived.len());
        self.arrived
            .extend_from_slice(&crossed[..crossed.len().min(room)]);
        self.publish()
    }

    /// Queues the firmware's replies made at `at`.
    fn collect_output(&mut self, at: Duration) {
        let bytes = self.firmware.take_output();
        if !bytes.is_empty() {
            self.outbound.send(&bytes, at + self.latency);
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

    /// How many host bytes may be taken off the PTY now.
    fn intake_room(&self) -> usize {
        ADAPTER_FIFO.saturating_sub(self.inbound.queued())
    }

    /// When the loop must wake up even if the PTY stays quiet.
    fn deadline(&self, now: Duration) -> Duration {
        [
            self.firmware.next_wakeup(),
            self.inbound.next_arrival(),
            self.outbound.next_arrival(),
        ]
        .into_iter()
        .flatten()
        .fold(now + IDLE_WAKEUP, Duration::min)
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
    let mut buffer = [0u8; ADAPTER_FIFO];
    let timer = PreciseTimer::new(engine.poll_window)?;
    let shared = Arc::clone(&engine.shared);
    loop {
        engine.tick()?;
        if engine.firmware.state() == FirmwareState::Disconnected {
            drop(slave); // closing both ends: the driver sees the port vanish
            return Ok(Exit::Disconnected);
        }
        let now = engine.now();
        let room = engine.intake_room();
        let can_send = !engine.arrived.is_empty();
        let wake = engine.clock + engine.deadline(now);
        tokio::select! {
            biased;
            _ = stop.changed() => return Ok(Exit::Stopped),
            () = shared.reset.notified() => engine.firmware.reset(),
            ready = master.readable(), if room > 0 => {
                let mut guard = ready?;
                if let Ok(result) = guard.try_io(|fd| read_some(fd.get_ref(), &mut buffer[..room])) {
                    let count = result?;
                    engine.inbound.send(&buffer[..count], engine.now());
                }
            }
            ready = master.writable(), if can_send => {
                let mut guard = ready?;
                if let Ok(result) = guard.try_io(|fd| write_some(fd.get_ref(), &engine.arrived)) {
                    engine.arrived.drain(..result?);
                }
            }
            slept = timer.sleep_until(wake) => slept?,
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
