//! The printers of the farm: for each, its driver task, the virtual
//! printer behind a pseudo-terminal when it is simulated, and its
//! supervisor.

use super::supervisor::{Supervisor, SupervisorHandle, SupervisorParts};
use crate::config::{Connection, FlowMode, PrinterProfile, SimSettings};
use crate::gcode::limits::MachineLimits;
use crate::metrics::FarmMetrics;
use crate::printer::{self, PrinterConfig, Scripts};
use crate::protocol;
use crate::sim::{self, FirmwareConfig, PlannedMotion, SimConfig, SimHandle};
use crate::store::{Store, ToolLoad};
use anyhow::Context;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Every printer of the farm.
pub struct Fleet {
    printers: Vec<SupervisorHandle>,
    sims: Mutex<Vec<SimHandle>>,
}

impl Fleet {
    /// Starts a driver and a supervisor per printer, and a virtual printer
    /// for simulated ones (its pseudo-terminal linked at `runtime_dir/<name>`).
    /// `beds` is what the store knows of each printer's bed; job files
    /// fetched from the database go to `data_dir/files`.
    pub async fn start(
        profiles: &[PrinterProfile],
        data_dir: &Path,
        runtime_dir: &Path,
        store: &Store,
        wake: &Arc<Notify>,
        beds: &HashMap<String, i64>,
        metrics: &Arc<FarmMetrics>,
    ) -> anyhow::Result<Fleet> {
        std::fs::create_dir_all(runtime_dir)
            .with_context(|| format!("creating {}", runtime_dir.display()))?;
        let mut printers = Vec::new();
        let mut sims = Vec::new();
        for profile in profiles {
            let (port, sim) = match &profile.connection {
                Connection::Serial { port } => (port.clone(), None),
                Connection::Sim(settings) => {
                    let handle = start_sim(profile, settings, runtime_dir)
                        .with_context(|| format!("starting simulated printer {}", profile.name))?;
                    (handle.path().to_path_buf(), Some(handle))
                }
            };
            let (driver, events) = printer::spawn_owned(driver_config(profile, &port));
            let loaded = first_loads(store, profile).await?;
            printers.push(Supervisor::spawn(SupervisorParts {
                profile: profile.clone(),
                driver,
                events,
                sim_reset: sim.as_ref().map(SimHandle::reset_trigger),
                store: store.clone(),
                wake: Arc::clone(wake),
                bed_full_since: beds.get(&profile.name).copied(),
                metrics: Arc::clone(metrics),
                loaded,
                data_dir: data_dir.to_owned(),
            }));
            sims.extend(sim);
        }
        Ok(Fleet {
            printers,
            sims: Mutex::new(sims),
        })
    }

    /// All printers' supervisors, in `printers.toml` order.
    pub fn printers(&self) -> &[SupervisorHandle] {
        &self.printers
    }

    /// The printer with this name.
    pub fn printer(&self, name: &str) -> Option<&SupervisorHandle> {
        self.printers.iter().find(|p| p.name() == name)
    }

    /// Stops every supervisor (each leaves its printer safe), then the
    /// virtual printers.
    pub async fn shutdown(&self) {
        futures::future::join_all(self.printers.iter().map(SupervisorHandle::shutdown)).await;
        let sims = std::mem::take(&mut *self.sims.lock().unwrap_or_else(|e| e.into_inner()));
        for sim in sims {
            let _ = sim.stop().await;
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
    firmware.max_command_size = settings
        .max_command_size
        .unwrap_or(profile.max_command_bytes) as usize;
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
        record: settings.record.clone(),
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

/// What `profile`'s printer has loaded: as last recorded, or at the first
/// start the materials its configuration names.
async fn first_loads(store: &Store, profile: &PrinterProfile) -> anyhow::Result<Vec<ToolLoad>> {
    let recorded = store
        .printer_loads(&profile.name)
        .await
        .with_context(|| format!("reading what {} has loaded", profile.name))?;
    Ok(recorded.unwrap_or_else(|| {
        profile
            .materials
            .iter()
            .map(|m| ToolLoad {
                material: m.material.clone(),
                colour: m.colour.clone(),
            })
            .collect()
    }))
}
