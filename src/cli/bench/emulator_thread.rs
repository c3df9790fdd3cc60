//! A virtual printer on a thread of its own, as a real printer has its own
//! microcontroller: the emulator's timing does not wait for the driver's
//! thread, and the driver pays its own wake-ups, as it would in production.
//! With two CPUs or more the emulator and the driver are pinned to
//! different ones, so the emulator's polling never takes the driver's CPU.

use crate::sim::{self, MotionModel, SimConfig, SimError, SimHandle};
use anyhow::Context;
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// A one-thread tokio runtime that runs virtual printers until dropped.
pub(super) struct EmulatorThread {
    runtime: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmulatorThread {
    /// Starts the thread, pinned to `cpu` if given.
    pub(super) fn start(cpu: Option<usize>) -> anyhow::Result<Self> {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the emulator's runtime")?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("virtual-printer".into())
            .spawn(move || {
                if let Some(cpu) = cpu {
                    // Unpinned, the figures are only noisier.
                    let _ = pin_current_thread(cpu);
                }
                let _ = runtime.block_on(stopped); // a dropped sender also stops
            })
            .context("starting the emulator's thread")?;
        Ok(EmulatorThread {
            runtime: handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Starts a virtual printer on this thread.
    pub(super) fn spawn<M>(&self, config: SimConfig, motion: M) -> Result<SimHandle, SimError>
    where
        M: MotionModel + Clone + 'static,
    {
        let _inside = self.runtime.enter();
        sim::spawn_with(config, motion)
    }
}

impl Drop for EmulatorThread {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join(); // a panic there was already reported
        }
    }
}

/// Every CPU the process was allowed, read when first asked.
static ALLOWED: std::sync::OnceLock<Option<CpuSet>> = std::sync::OnceLock::new();

fn allowed_cpus() -> Option<CpuSet> {
    *ALLOWED.get_or_init(|| sched_getaffinity(Pid::from_raw(0)).ok())
}

/// Two different CPUs this process may run on: one for the driver, one for
/// the virtual printer; `None` with fewer than two.
pub(super) fn two_cpus() -> Option<(usize, usize)> {
    let allowed = allowed_cpus()?;
    let mut cpus = (0..CpuSet::count()).filter(|&cpu| allowed.is_set(cpu).unwrap_or(false));
    let first = cpus.next()?;
    let last = cpus.last()?;
    Some((first, last))
}

/// Keeps the calling thread (and the threads it starts later) on `cpu`.
pub(super) fn pin_current_thread(cpu: usize) -> nix::Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu)?;
    sched_setaffinity(Pid::from_raw(0), &set)
}

/// Lets the calling thread run on every CPU it was allowed at first.
pub(super) fn unpin_current_thread() -> nix::Result<()> {
    match allowed_cpus() {
        Some(set) => sched_setaffinity(Pid::from_raw(0), &set),
        None => Ok(()),
    }
}
