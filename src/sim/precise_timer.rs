//! A one-shot timer with the kernel's resolution. Tokio's timers round up to
//! whole milliseconds, which would add up to a millisecond to every byte the
//! emulated wire hands over: at 250000 baud that is 25 bytes, a fifth of
//! Marlin's receive buffer.
//!
//! Even a `timerfd` wakes tens of microseconds late on a busy or virtual
//! machine, where a printer's own microcontroller never sleeps. With a
//! non-zero `poll_window` the timer sleeps until that long before the
//! deadline and then yields to the runtime until the deadline, so the
//! runtime keeps polling the PTY meanwhile: CPU traded for timing.

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::time::Instant;

/// A `timerfd` on the monotonic clock (the one `Instant` reads).
struct Timer(TimerFd);

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// Sleeps until an [`Instant`] with microsecond precision.
pub(super) struct PreciseTimer {
    fd: AsyncFd<Timer>,
    poll_window: Duration,
}

impl PreciseTimer {
    /// A disarmed timer registered with the current tokio runtime that
    /// polls for the last `poll_window` before each deadline.
    pub(super) fn new(poll_window: Duration) -> io::Result<Self> {
        let flags = TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC;
        let timer = TimerFd::new(ClockId::CLOCK_MONOTONIC, flags).map_err(io::Error::from)?;
        // SAFETY: `Timer` owns the timerfd, which stays open and keeps its
        // number until the `AsyncFd` drops it.
        let fd = unsafe { AsyncFd::register_with_interest(Timer(timer), Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        Ok(PreciseTimer { fd, poll_window })
    }

    /// Returns at `deadline` (at once if it has passed). Dropping the future
    /// early is fine: the next call re-arms the timer.
    pub(super) async fn sleep_until(&self, deadline: Instant) -> io::Result<()> {
        if self.poll_window.is_zero() {
            return self.sleep_in_kernel_until(deadline).await;
        }
        let wake = deadline.checked_sub(self.poll_window).unwrap_or(deadline);
        self.sleep_in_kernel_until(wake).await?;
        while Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    async fn sleep_in_kernel_until(&self, deadline: Instant) -> io::Result<()> {
        let Some(wait) = deadline.checked_duration_since(Instant::now()) else {
            return Ok(());
        };
        if wait.is_zero() {
            return Ok(());
        }
        // Setting the timer also clears expirations of an earlier setting.
        self.fd
            .get_ref()
            .0
            .set(
                Expiration::OneShot(TimeSpec::from_duration(wait)),
                TimerSetTimeFlags::empty(),
            )
            .map_err(io::Error::from)?;
        loop {
            let mut guard = self.fd.readable().await?;
            let mut count = [0u8; 8];
            let read = guard.try_io(|fd| {
                nix::unistd::read(fd.as_raw_fd(), &mut count).map_err(io::Error::from)
            });
            if let Ok(result) = read {
                return result.map(drop);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sleeping or polling, the timer never returns before its deadline.
    #[tokio::test]
    async fn returns_at_the_deadline_not_before() {
        for window in [Duration::ZERO, Duration::from_millis(2)] {
            let timer = PreciseTimer::new(window).expect("a timerfd");
            for wait in [
                Duration::ZERO,
                Duration::from_micros(300),
                Duration::from_millis(3),
            ] {
                let deadline = Instant::now() + wait;
                timer.sleep_until(deadline).await.expect("sleeping");
                assert!(
                    Instant::now() >= deadline,
                    "window {window:?}, wait {wait:?}"
                );
            }
        }
    }
}
