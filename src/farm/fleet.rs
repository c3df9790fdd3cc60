//! The printers of the farm: one driver task each, and for simulated printers
//! the virtual printer behind a pseudo-terminal.

use crate::config::{Connection, FlowMode, PrinterProfile, SimSettings};
use crate::gcode::limits::MachineLimits;
use crate::printer::{self, PrinterConfig, PrinterHandle, Scripts};
use crate::protocol;
use crate::sim::{self, FirmwareConfig, PlannedMotion, SimConfig, SimHandle};
use anyhow::Context;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One printer: its profile, its driver, and the job it runs.
pub struct PrinterSlot {
    /// The profile from `printers.toml`.
    pub profile: PrinterProfile,
    /// The driver.
    pub handle: PrinterHandle,
    sim: Mutex<Option<SimHandle>>,
    current: Mutex<Option<(i64, String)>>,
}

impl PrinterSlot {
    /// The store id of the job the driver runs under `run`, if it is the current one.
    pub fn job_of_run(&self, run: i64) -> Option<String> {
        let current = self.current.lock().ok()?;
        current
            .as_ref()
            .filter(|(r, _)| *r == run)
            .map(|(_, job)| job.clone())
    }

    /// The store id of the job running now.
    pub fn current_job(&self) -> Option<String> {
        self.current
            .lock()
            .ok()?
            .as_ref()
            .map(|(_, job)| job.clone())
    }

    /// Records that `run` on the driver is store job `job`.
    pub fn set_current(&self, run: i64, job: String) {
        if let Ok(mut c) = self.current.lock() {
            *c = Some((run, job));
        }
    }

    /// Forgets the current job (it ended).
    pub fn clear_current(&self, run: i64) {
        if let Ok(mut c) = self.current.lock() {
            if c.as_ref().is_some_and(|(r, _)| *r == run) {
                *c = None;
            }
        }
    }
}

/// Every printer of the farm.
pub struct Fleet {
    slots: Vec<Arc<PrinterSlot>>,
    next_run: AtomicI64,
}

impl Fleet {
    /// Starts a driver per printer, and a virtual printer for simulated ones
    /// (its pseudo-terminal linked at `runtime_dir/<name>`).
    pub async fn start(profiles: &[PrinterProfile], runtime_dir: &Path) -> anyhow::Result<Fleet> {
        std::fs::create_dir_all(runtime_dir)
            .with_context(|| format!("creating {}", runtime_dir.display()))?;
        let mut slots = Vec::new();
        for profile in profiles {
            let (port, sim) = match &profile.connection {
                Connection::Serial { port } => (port.clone(), None),
                Connection::Sim(settings) => {
                    let handle = start_sim(profile, settings, runtime_dir)
                        .with_context(|| format!("starting simulated printer {}", profile.name))?;
                    (handle.path().to_path_buf(), Some(handle))
                }
            };
            let handle = printer::spawn(driver_config(profile, &port));
            slots.push(Arc::new(PrinterSlot {
                profile: profile.clone(),
                handle,
                sim: Mutex::new(sim),
                current: Mutex::new(None),
            }));
        }
        Ok(Fleet {
            slots,
            next_run: AtomicI64::new(1),
        })
    }

    /// All printers.
    pub fn slots(&self) -> &[Arc<PrinterSlot>] {
        &self.slots
    }

    /// The printer with this name.
    pub fn slot(&self, name: &str) -> Option<&Arc<PrinterSlot>> {
        self.slots.iter().find(|s| s.profile.name == name)
    }

    /// A fresh driver job number.
    pub fn next_run(&self) -> i64 {
        self.next_run.fetch_add(1, Ordering::SeqCst)
    }

    /// Cancels whatever is printing, so heaters and motors are off.
    pub async fn make_safe(&self) {
        for slot in &self.slots {
            if slot.current_job().is_some() {
                if let Err(e) = slot.handle.cancel().await {
                    tracing::warn!(printer = %slot.profile.name, "could not cancel on shutdown: {e}");
                }
            }
        }
        // Give the drivers a moment to send the cancel script.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// Stops the virtual printers.
    pub async fn stop_simulators(&self) {
        for slot in &self.slots {
            let sim = slot.sim.lock().ok().and_then(|mut s| s.take());
            if let Some(sim) = sim {
                let _ = sim.stop().await;
            }
        }
    }
}

fn start_sim(
    profile: &PrinterProfile,
    settings: &SimSettings,
    dir: &Path,
) -> anyhow::Result<SimHandle> {
    let mut firmware = FirmwareConfig {
        speed: settings.speed,
        advanced_ok: settings.advanced_ok,
        ..FirmwareConfig::default()
    };
    firmware.faults.disconnect_after_lines = settings.disconnect_after_lines;
    firmware.faults.thermal_runaway_at = settings
        .thermal_runaway_after_s
        .map(Duration::from_secs_f64);
    let config = SimConfig {
        name: profile.name.clone(),
        firmware,
        baud: settings.baud,
        latency: Duration::from_millis(settings.latency_ms),
        link: Some(dir.join(&profile.name)),
        ..SimConfig::default()
    };
    // The virtual printer moves with the printer's own limits, so a demo
    // print takes the time the estimator predicts (divided by the speed).
    let mut limits = MachineLimits::default();
    if let Some(overrides) = profile.analyze_options().limits {
        overrides.apply(&mut limits);
    }
    Ok(sim::spawn_with(config, PlannedMotion::new(limits))?)
}

fn driver_config(profile: &PrinterProfile, port: &Path) -> PrinterConfig {
    let mut config = PrinterConfig::new(port, profile.baud);
    config.link.flow = match profile.flow {
        FlowMode::Auto => protocol::FlowMode::Auto,
        FlowMode::PingPong => protocol::FlowMode::PingPong,
        FlowMode::Counting => protocol::FlowMode::Counting,
        FlowMode::Advanced => protocol::FlowMode::Advanced,
    };
    config.link.rx_buffer = profile.rx_buffer as usize;
    config.adapter_latency_ms = Some(profile.adapter_latency_ms).filter(|ms| *ms > 0);
    config.scripts = scripts(profile);
    config
}

fn scripts(profile: &PrinterProfile) -> Scripts {
    let defaults = Scripts::default();
    let lines = |text: &Option<String>, default: Vec<String>| match text {
        Some(t) => t
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        None => default,
    };
    Scripts {
        start: lines(&profile.scripts.start, defaults.start),
        end: lines(&profile.scripts.end, defaults.end),
        pause: lines(&profile.scripts.pause, defaults.pause),
        resume: lines(&profile.scripts.resume, defaults.resume),
        cancel: lines(&profile.scripts.cancel, defaults.cancel),
    }
}
