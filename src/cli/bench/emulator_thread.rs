//! A virtual printer on a thread of its own, as a real printer has its own
//! microcontroller: the emulator's timing does not wait for the driver's
//! thread, and the driver pays its own wake-ups, as it would in production.

use crate::sim::{self, MotionModel, SimConfig, SimError, SimHandle};
use anyhow::Context;
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// A one-thread tokio runtime that runs virtual printers until dropped.
pub(super) struct EmulatorThread {
    runtime: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmulatorThread {
    /// Starts the thread.
    pub(super) fn start() -> anyhow::Result<Self> {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the emulator's runtime")?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("virtual-printer".into())
            .spawn(move || {
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
