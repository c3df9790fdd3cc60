//! Raw structs → validated profiles. Every error names the printer and field.

use super::profile::{
    Connection, FarmSettings, FarmTime, FlowMode, LoadedMaterial, MotionLimits, PrinterProfile,
    Scripts, SimSettings, DEFAULT_FORBIDDEN_COMMANDS,
};
use super::raw::{RawFarm, RawMotion, RawPrinter, RawScripts, RawService, RawShift, RawSim};
use super::ConfigError;
use crate::domain::calendar::Shift;
use crate::domain::maintenance::Thresholds;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where errors are reported from: the file and, for a printer, its name and line.
pub(super) struct Site<'a> {
    pub file: &'a str,
    pub printer: &'a str,
    pub line: Option<usize>,
}

impl Site<'_> {
    pub(super) fn err(&self, field: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::InvalidPrinter {
            file: self.file.to_owned(),
            line: self.line,
            printer: self.printer.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

fn farm_err(file: &str, field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::InvalidFarm {
        file: file.to_owned(),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Validates the `[farm]` table, filling defaults.
pub(super) fn farm(raw: RawFarm, file: &str) -> Result<FarmSettings, ConfigError> {
    let raw_time = RawTime {
        timezone: raw.timezone,
        shifts: raw.shifts,
        bed_clear_min: raw.bed_clear_min,
        material_change_min: raw.material_change_min,
        max_concurrent_heatups: raw.max_concurrent_heatups,
    };
    let data_dir = PathBuf::from(raw.data_dir.unwrap_or_else(|| "data".to_owned()));
    let database_url = raw.database_url.unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("printfarm.db").display()
        )
    });
    if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
        return Err(farm_err(
            file,
            "database_url",
            "must be a sqlite: or postgres: URL",
        ));
    }
    let listen_text = raw.listen.unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let listen: SocketAddr = listen_text.parse().map_err(|_| {
        farm_err(
            file,
            "listen",
            format!("{listen_text:?} is not an address:port"),
        )
    })?;
    let max_upload_mb = positive_int(raw.max_upload_mb.unwrap_or(200))
        .ok_or_else(|| farm_err(file, "max_upload_mb", "must be a positive integer"))?;
    let requeue_limit = positive_int(raw.requeue_limit.unwrap_or(3))
        .ok_or_else(|| farm_err(file, "requeue_limit", "must be a positive integer"))?;
    let max_units_per_order = positive_int(raw.max_units_per_order.unwrap_or(1000))
        .ok_or_else(|| farm_err(file, "max_units_per_order", "must be a positive integer"))?;
    let max_connections = positive_int(raw.max_connections.unwrap_or(4096))
        .ok_or_else(|| farm_err(file, "max_connections", "must be a positive integer"))?;
    let header_read_timeout_s = positive_int(raw.header_read_timeout_s.unwrap_or(10))
        .ok_or_else(|| farm_err(file, "header_read_timeout_s", "must be a positive integer"))?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let render_workers = positive_int(raw.render_workers.unwrap_or(cores as i64))
        .ok_or_else(|| farm_err(file, "render_workers", "must be a positive integer"))?;
    let products_dir = raw.products_dir.map(PathBuf::from);
    let callback_retry_max_s = positive_int(raw.callback_retry_max_s.unwrap_or(300))
        .ok_or_else(|| farm_err(file, "callback_retry_max_s", "must be a positive integer"))?;
    let node = raw
        .node
        .map(|name| node_name(&name).map_err(|why| farm_err(file, "node", why)))
        .transpose()?;
    let lease_s = positive_int(raw.lease_s.unwrap_or(15))
        .filter(|s: &u32| *s >= 3)
        .ok_or_else(|| {
            farm_err(
                file,
                "lease_s",
                "must be a whole number of seconds, at least 3",
            )
        })?;
    Ok(FarmSettings {
        database_url,
        listen,
        data_dir,
        max_upload_mb,
        requeue_limit,
        max_units_per_order,
        max_connections,
        header_read_timeout_s,
        products_dir,
        render_workers,
        callback_retry_max_s,
        time: farm_time(&raw_time, file)?,
        node,
        lease_s,
    })
}

/// The `[farm]` fields of the time model.
struct RawTime {
    timezone: Option<String>,
    shifts: Vec<RawShift>,
    bed_clear_min: Option<f64>,
    material_change_min: Option<f64>,
    max_concurrent_heatups: Option<i64>,
}

fn farm_time(raw: &RawTime, file: &str) -> Result<FarmTime, ConfigError> {
    let timezone = match &raw.timezone {
        None => jiff::tz::TimeZone::UTC,
        Some(name) => jiff::tz::TimeZone::get(name).map_err(|_| {
            farm_err(
                file,
                "timezone",
                format!("{name:?} is not an IANA time zone (e.g. Europe/Berlin)"),
            )
        })?,
    };
    let shifts = raw
        .shifts
        .iter()
        .enumerate()
        .map(|(i, shift)| {
            let operators = positive_int(shift.operators.unwrap_or(1)).ok_or_else(|| {
                farm_err(
                    file,
                    &format!("shifts[{i}].operators"),
                    "must be a positive integer",
                )
            })?;
            Shift::parse(&shift.days, &shift.from, &shift.to, operators)
                .map_err(|e| farm_err(file, &format!("shifts[{i}].{}", e.field), e.reason))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let minutes = |value: Option<f64>, default: i64, field: &str| match value {
        None => Ok(default),
        Some(m) if m.is_finite() && m >= 0.0 => Ok((m * 60.0).round() as i64),
        Some(_) => Err(farm_err(
            file,
            field,
            "must be a number of minutes, 0 or more",
        )),
    };
    let max_heatups = raw
        .max_concurrent_heatups
        .map(|n| {
            positive_int(n).ok_or_else(|| {
                farm_err(file, "max_concurrent_heatups", "must be a positive integer")
            })
        })
        .transpose()?;
    Ok(FarmTime {
        timezone,
        shifts,
        bed_clear_s: minutes(raw.bed_clear_min, 300, "bed_clear_min")?,
        material_change_s: minutes(raw.material_change_min, 900, "material_change_min")?,
        max_heatups,
    })
}

fn positive_int<T: TryFrom<i64>>(value: i64) -> Option<T> {
    if value > 0 {
        T::try_from(value).ok()
    } else {
        None
    }
}

fn positive(value: f64) -> bool {
    value.is_finite() && value > 0.0
}

fn array<const N: usize>(values: &[f64], ok: impl Fn(f64) -> bool) -> Option<[f64; N]> {
    let array: [f64; N] = values.try_into().ok()?;
    array.iter().all(|v| ok(*v)).then_some(array)
}

/// Validates one `[[printer]]` table.
pub(super) fn printer(raw: RawPrinter, site: &Site<'_>) -> Result<PrinterProfile, ConfigError> {
    let connection = connection(raw.port, raw.sim, site)?;
    let default_baud = match &connection {
        Connection::Sim(sim) => i64::from(sim.baud),
        Connection::Serial { .. } => 115_200,
    };
    let baud = positive_int(raw.baud.unwrap_or(default_baud))
        .ok_or_else(|| site.err("baud", "must be a positive integer"))?;
    let flow_text = raw.flow.as_deref().unwrap_or("auto");
    let flow = FlowMode::parse(flow_text).ok_or_else(|| {
        site.err(
            "flow",
            format!("unknown mode {flow_text:?} (expected auto, ping-pong, counting or advanced)"),
        )
    })?;
    let rx_buffer = positive_int(raw.rx_buffer.unwrap_or(128))
        .ok_or_else(|| site.err("rx_buffer", "must be a positive integer"))?;
    let max_command_bytes = command_size(raw.max_command_bytes, "max_command_bytes", site)?
        .unwrap_or(DEFAULT_MAX_COMMAND_BYTES);
    let adapter_latency_ms = match raw.adapter_latency_ms.unwrap_or(1) {
        ms @ 0..=255 => ms as u32,
        _ => {
            let why = "must be 1 to 255 ms, or 0 to leave the adapter as it is";
            return Err(site.err("adapter_latency_ms", why));
        }
    };
    let build_volume = raw
        .build_volume
        .as_deref()
        .and_then(|v| array::<3>(v, positive))
        .ok_or_else(|| site.err("build_volume", "must be three positive numbers"))?;
    let min_position = match raw.min_position.as_deref() {
        None => [0.0; 3],
        Some(v) => array::<3>(v, f64::is_finite)
            .ok_or_else(|| site.err("min_position", "must be three numbers"))?,
    };
    if (0..3).any(|i| min_position[i] >= build_volume[i]) {
        return Err(site.err("min_position", "must be below build_volume on every axis"));
    }
    let bounds_margin = raw.bounds_margin.unwrap_or(0.5);
    if !(bounds_margin.is_finite() && bounds_margin >= 0.0) {
        return Err(site.err("bounds_margin", "must be a non-negative number"));
    }
    let nozzle_diameter = raw.nozzle_diameter.unwrap_or(0.4);
    if !positive(nozzle_diameter) {
        return Err(site.err("nozzle_diameter", "must be a positive number"));
    }
    let extruders: u32 = positive_int(raw.extruders.unwrap_or(1))
        .ok_or_else(|| site.err("extruders", "must be at least 1"))?;
    let materials = materials(raw.materials, extruders, site)?;
    let max_hotend_temp = temperature(raw.max_hotend_temp, "max_hotend_temp", site)?;
    let max_bed_temp = temperature(raw.max_bed_temp, "max_bed_temp", site)?;
    Ok(PrinterProfile {
        name: raw.name.into_inner(),
        connection,
        baud,
        flow,
        rx_buffer,
        max_command_bytes,
        adapter_latency_ms,
        build_volume,
        min_position,
        bounds_margin,
        nozzle_diameter,
        extruders,
        materials,
        tags: raw.tags,
        max_hotend_temp,
        max_bed_temp,
        motion: motion(raw.motion, site)?,
        auto_eject: raw.auto_eject,
        scripts: scripts(raw.scripts),
        forbidden_commands: forbidden(raw.forbidden_commands, site)?,
        service: service(raw.service.unwrap_or_default(), site)?,
        node: raw
            .node
            .map(|name| node_name(&name).map_err(|why| site.err("node", why)))
            .transpose()?,
    })
}

/// A node's name: 1–64 letters, digits, `-`, `_` or `.`.
pub(crate) fn node_name(name: &str) -> Result<String, String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "{name:?} is not a node name (1-64 letters, digits, '-', '_' or '.')"
        ))
    }
}

fn connection(
    port: Option<String>,
    sim: Option<RawSim>,
    site: &Site<'_>,
) -> Result<Connection, ConfigError> {
    match (port, sim) {
        (Some(_), Some(_)) => Err(site.err("port", "give either port or sim, not both")),
        (None, None) => Err(site.err("port", "give either port (a device path) or sim")),
        (Some(port), None) if port.trim().is_empty() => {
            Err(site.err("port", "must be a device path"))
        }
        (Some(port), None) => Ok(Connection::Serial { port: port.into() }),
        (None, Some(sim)) => sim_settings(sim, site).map(Connection::Sim),
    }
}

fn sim_settings(raw: RawSim, site: &Site<'_>) -> Result<SimSettings, ConfigError> {
    let speed = raw.speed.unwrap_or(1.0);
    if !positive(speed) {
        return Err(site.err("sim.speed", "must be a positive number"));
    }
    let baud = positive_int(raw.baud.unwrap_or(250_000))
        .ok_or_else(|| site.err("sim.baud", "must be a positive integer"))?;
    let latency_ms = u64::try_from(raw.latency_ms.unwrap_or(2))
        .map_err(|_| site.err("sim.latency_ms", "must not be negative"))?;
    if raw.thermal_runaway_after_s.is_some_and(|t| !positive(t)) {
        return Err(site.err(
            "sim.thermal_runaway_after_s",
            "must be a positive number of seconds",
        ));
    }
    Ok(SimSettings {
        speed,
        baud,
        latency_ms,
        advanced_ok: raw.advanced_ok,
        disconnect_after_lines: raw.disconnect_after_lines,
        thermal_runaway_after_s: raw.thermal_runaway_after_s,
        max_command_size: command_size(raw.max_command_size, "sim.max_command_size", site)?,
        record: raw.record.map(std::path::PathBuf::from),
    })
}

/// Marlin's `MAX_CMD_SIZE`.
pub const DEFAULT_MAX_COMMAND_BYTES: u32 = 96;

/// A command-buffer size: 32 to 4096 bytes.
fn command_size(
    value: Option<i64>,
    field: &str,
    site: &Site<'_>,
) -> Result<Option<u32>, ConfigError> {
    match value {
        None => Ok(None),
        Some(n @ 32..=4096) => Ok(Some(n as u32)),
        Some(_) => Err(site.err(field, "must be 32 to 4096 bytes")),
    }
}

fn temperature(value: Option<f64>, field: &str, site: &Site<'_>) -> Result<f64, ConfigError> {
    match value {
        Some(t) if positive(t) => Ok(t),
        Some(_) => Err(site.err(field, "must be a positive temperature")),
        None => Err(site.err(field, "is required")),
    }
}

fn materials(
    raw: Vec<super::raw::RawMaterial>,
    extruders: u32,
    site: &Site<'_>,
) -> Result<Vec<LoadedMaterial>, ConfigError> {
    if raw.len() > extruders as usize {
        return Err(site.err(
            "materials",
            format!(
                "{} materials listed but only {extruders} extruder(s)",
                raw.len()
            ),
        ));
    }
    raw.into_iter()
        .map(|m| {
            if m.material.trim().is_empty() {
                return Err(site.err("materials", "material names must not be empty"));
            }
            Ok(LoadedMaterial {
                material: m.material,
                colour: m.colour.filter(|c| !c.trim().is_empty()),
            })
        })
        .collect()
}

fn motion(raw: RawMotion, site: &Site<'_>) -> Result<MotionLimits, ConfigError> {
    let four = |v: Option<Vec<f64>>, field: &str, ok: fn(f64) -> bool| {
        v.map(|v| {
            array::<4>(&v, ok).ok_or_else(|| site.err(field, "must be four numbers [x, y, z, e]"))
        })
        .transpose()
    };
    let one = |v: Option<f64>, field: &str| match v {
        Some(x) if !positive(x) => Err(site.err(field, "must be a positive number")),
        other => Ok(other),
    };
    let non_negative = |x: f64| x.is_finite() && x >= 0.0;
    Ok(MotionLimits {
        max_feedrate: four(raw.max_feedrate, "motion.max_feedrate", positive)?,
        max_acceleration: four(raw.max_acceleration, "motion.max_acceleration", positive)?,
        acceleration: one(raw.acceleration, "motion.acceleration")?,
        retract_acceleration: one(raw.retract_acceleration, "motion.retract_acceleration")?,
        travel_acceleration: one(raw.travel_acceleration, "motion.travel_acceleration")?,
        jerk: four(raw.jerk, "motion.jerk", non_negative)?,
        junction_deviation: one(raw.junction_deviation, "motion.junction_deviation")?,
    })
}

fn scripts(raw: RawScripts) -> Scripts {
    Scripts {
        start: raw.start,
        end: raw.end,
        pause: raw.pause,
        resume: raw.resume,
        cancel: raw.cancel,
    }
}

fn forbidden(raw: Option<Vec<String>>, site: &Site<'_>) -> Result<Vec<String>, ConfigError> {
    let Some(list) = raw else {
        return Ok(DEFAULT_FORBIDDEN_COMMANDS
            .iter()
            .map(|c| (*c).to_owned())
            .collect());
    };
    list.into_iter()
        .map(|c| {
            let code = c.trim().to_ascii_uppercase();
            let valid = code.len() >= 2
                && code.starts_with(['G', 'M', 'T'])
                && code[1..].chars().all(|ch| ch.is_ascii_digit() || ch == '.');
            if valid {
                Ok(code)
            } else {
                Err(site.err(
                    "forbidden_commands",
                    format!("{c:?} is not a G-code command"),
                ))
            }
        })
        .collect()
}

fn service(raw: RawService, site: &Site<'_>) -> Result<Thresholds, ConfigError> {
    let number = |v: Option<f64>, field: &str| match v {
        Some(x) if !positive(x) => Err(site.err(field, "must be a positive number")),
        other => Ok(other),
    };
    let every_jobs = raw
        .every_jobs
        .map(|n| {
            positive_int(n)
                .ok_or_else(|| site.err("service.every_jobs", "must be a positive integer"))
        })
        .transpose()?;
    Ok(Thresholds {
        every_hours: number(raw.every_hours, "service.every_hours")?,
        every_jobs,
        every_filament_m: number(raw.every_filament_m, "service.every_filament_m")?,
    })
}
