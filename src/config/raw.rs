//! The `printers.toml` file as written: serde structs with optional fields.
//! Nothing here is validated; see [`super::validate`].

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub farm: RawFarm,
    #[serde(default, rename = "printer")]
    pub printers: Vec<RawPrinter>,
}

/// The `[farm]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFarm {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub data_dir: Option<String>,
    pub max_upload_mb: Option<i64>,
    pub requeue_limit: Option<i64>,
    pub max_units_per_order: Option<i64>,
    pub max_connections: Option<i64>,
    pub header_read_timeout_s: Option<i64>,
    pub products_dir: Option<String>,
    pub render_workers: Option<i64>,
    pub callback_retry_max_s: Option<i64>,
    pub timezone: Option<String>,
    #[serde(default)]
    pub shifts: Vec<RawShift>,
    pub bed_clear_min: Option<f64>,
    pub material_change_min: Option<f64>,
    pub max_concurrent_heatups: Option<i64>,
    pub node: Option<String>,
    pub lease_s: Option<i64>,
}

/// One entry of `[farm] shifts = [...]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawShift {
    pub days: String,
    pub from: String,
    pub to: String,
    pub operators: Option<i64>,
}

/// One `[[printer]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrinter {
    pub name: Spanned<String>,
    pub port: Option<String>,
    pub sim: Option<RawSim>,
    pub baud: Option<i64>,
    pub flow: Option<String>,
    pub rx_buffer: Option<i64>,
    pub max_command_bytes: Option<i64>,
    pub adapter_latency_ms: Option<i64>,
    pub build_volume: Option<Vec<f64>>,
    pub min_position: Option<Vec<f64>>,
    pub bounds_margin: Option<f64>,
    pub nozzle_diameter: Option<f64>,
    pub extruders: Option<i64>,
    #[serde(default)]
    pub materials: Vec<RawMaterial>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub max_hotend_temp: Option<f64>,
    pub max_bed_temp: Option<f64>,
    #[serde(default)]
    pub motion: RawMotion,
    #[serde(default)]
    pub auto_eject: bool,
    #[serde(default)]
    pub scripts: RawScripts,
    pub forbidden_commands: Option<Vec<String>>,
    pub service: Option<RawService>,
    pub node: Option<String>,
}

/// The `service = { … }` table: maintenance thresholds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawService {
    pub every_hours: Option<f64>,
    pub every_jobs: Option<i64>,
    pub every_filament_m: Option<f64>,
}

/// The `sim = { … }` inline table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSim {
    pub speed: Option<f64>,
    pub baud: Option<i64>,
    pub latency_ms: Option<i64>,
    #[serde(default)]
    pub advanced_ok: bool,
    pub disconnect_after_lines: Option<u64>,
    pub thermal_runaway_after_s: Option<f64>,
    pub max_command_size: Option<i64>,
    pub record: Option<String>,
}

/// One entry of `materials = [...]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMaterial {
    pub material: String,
    pub colour: Option<String>,
}

/// The `motion = { … }` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMotion {
    pub max_feedrate: Option<Vec<f64>>,
    pub max_acceleration: Option<Vec<f64>>,
    pub acceleration: Option<f64>,
    pub retract_acceleration: Option<f64>,
    pub travel_acceleration: Option<f64>,
    pub jerk: Option<Vec<f64>>,
    pub junction_deviation: Option<f64>,
}

/// The `scripts = { … }` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScripts {
    pub start: Option<String>,
    pub end: Option<String>,
    pub pause: Option<String>,
    pub resume: Option<String>,
    pub cancel: Option<String>,
}
