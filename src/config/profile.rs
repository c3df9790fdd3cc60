//! Validated configuration: what the rest of the program reads.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Commands refused in uploaded files unless a printer overrides the list.
pub const DEFAULT_FORBIDDEN_COMMANDS: [&str; 4] = ["M500", "M502", "M997", "M303"];

/// Farm-wide settings from the `[farm]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct FarmSettings {
    /// sqlx database URL (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// Directory for uploaded files and the default SQLite database.
    pub data_dir: PathBuf,
    /// Largest accepted upload, in mebibytes.
    pub max_upload_mb: u64,
    /// Printer-caused failures of one job before it is failed for good.
    pub requeue_limit: u32,
    /// Most units (jobs) one order may ask for.
    pub max_units_per_order: u32,
    /// Most HTTP connections served at once; more wait to be accepted.
    pub max_connections: u32,
    /// Seconds a client may take to send a request's headers (and a
    /// keep-alive connection may stay idle).
    pub header_read_timeout_s: u32,
    /// Directory of product bundles (`<sku>/spec.json` …) loaded at start;
    /// none when unset.
    pub products_dir: Option<PathBuf>,
    /// Renders run at once (OpenSCAD and the slicer are single-threaded).
    pub render_workers: u32,
    /// Longest wait between tries of a status callback to a shop, s.
    pub callback_retry_max_s: u32,
    /// Shifts, set-up times and the heat-up cap the scheduler plans with.
    pub time: FarmTime,
    /// This host's name in a farm of several hosts on one PostgreSQL
    /// (`node`, or `serve --node`); none: a single-host farm.
    pub node: Option<String>,
    /// Seconds a node may stay silent before the others declare it lost
    /// and re-queue its jobs (`lease_s`, default 15).
    pub lease_s: u32,
}

/// The farm's time model: when people are there to clear beds and change
/// spools, how long that takes, and how many prints may heat at once.
#[derive(Debug, Clone, PartialEq)]
pub struct FarmTime {
    /// The zone the shifts are in (`timezone`, IANA name; default UTC).
    pub timezone: jiff::tz::TimeZone,
    /// Weekly shifts; none means someone is always there.
    pub shifts: Vec<crate::domain::calendar::Shift>,
    /// Seconds a person takes to clear a bed (`bed_clear_min`, default 5).
    pub bed_clear_s: i64,
    /// Seconds a person takes to change a spool (`material_change_min`, default 15).
    pub material_change_s: i64,
    /// Prints heating up at once, at most (`max_concurrent_heatups`); none: no cap.
    pub max_heatups: Option<u32>,
}

impl Default for FarmTime {
    fn default() -> Self {
        FarmTime {
            timezone: jiff::tz::TimeZone::UTC,
            shifts: Vec::new(),
            bed_clear_s: 300,
            material_change_s: 900,
            max_heatups: None,
        }
    }
}

/// How a printer is reached.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// A real serial device.
    Serial {
        /// Device path, e.g. `/dev/ttyACM0`.
        port: PathBuf,
    },
    /// A virtual printer run in-process on a pseudo-terminal.
    Sim(SimSettings),
}

/// Settings of a simulated printer.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSettings {
    /// Time compression factor: 60 runs a one-hour print in a minute.
    pub speed: f64,
    /// Simulated line speed in baud.
    pub baud: u32,
    /// Extra latency per reply, in milliseconds.
    pub latency_ms: u64,
    /// Whether the virtual firmware reports `ADVANCED_OK`.
    pub advanced_ok: bool,
    /// Fault injection: the virtual printer drops off the bus after this
    /// many lines (to rehearse failure handling).
    pub disconnect_after_lines: Option<u64>,
    /// Fault injection: thermal runaway after this many printer seconds.
    pub thermal_runaway_after_s: Option<f64>,
    /// The virtual firmware's `MAX_CMD_SIZE`, when it differs from the
    /// printer's `max_command_bytes` (to rehearse a profile that is wrong).
    pub max_command_size: Option<u32>,
    /// A file the virtual printer writes every command it executes to,
    /// one per line (`record`), to check what reached which printer.
    pub record: Option<PathBuf>,
}

/// Serial flow-control strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowMode {
    /// Pick from the firmware's capabilities.
    Auto,
    /// One line in flight; wait for each `ok`.
    PingPong,
    /// Count bytes in flight against `rx_buffer`.
    Counting,
    /// Use `ADVANCED_OK` buffer reports.
    Advanced,
}

impl FlowMode {
    /// Parses the spelling used in `printers.toml`.
    pub fn parse(text: &str) -> Option<FlowMode> {
        match text {
            "auto" => Some(FlowMode::Auto),
            "ping-pong" => Some(FlowMode::PingPong),
            "counting" => Some(FlowMode::Counting),
            "advanced" => Some(FlowMode::Advanced),
            _ => None,
        }
    }
}

/// Filament loaded in one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedMaterial {
    /// Material name as written, e.g. `PLA`.
    pub material: String,
    /// Colour, if the operator said.
    pub colour: Option<String>,
}

/// Firmware motion limits, each optional; they feed the print-time estimator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MotionLimits {
    /// Maximum feedrate per axis X, Y, Z, E in mm/s.
    pub max_feedrate: Option<[f64; 4]>,
    /// Maximum acceleration per axis X, Y, Z, E in mm/s².
    pub max_acceleration: Option<[f64; 4]>,
    /// Default printing acceleration, mm/s².
    pub acceleration: Option<f64>,
    /// Retraction acceleration, mm/s².
    pub retract_acceleration: Option<f64>,
    /// Travel acceleration, mm/s².
    pub travel_acceleration: Option<f64>,
    /// Classic jerk per axis X, Y, Z, E in mm/s.
    pub jerk: Option<[f64; 4]>,
    /// Junction deviation in mm (replaces jerk on newer firmware).
    pub junction_deviation: Option<f64>,
}

/// G-code snippets the farm sends around jobs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scripts {
    /// Sent before each job.
    pub start: Option<String>,
    /// Sent after each job.
    pub end: Option<String>,
    /// Sent when a job is paused.
    pub pause: Option<String>,
    /// Sent when a job resumes.
    pub resume: Option<String>,
    /// Sent when a job is cancelled.
    pub cancel: Option<String>,
}

/// One printer, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterProfile {
    /// Unique name.
    pub name: String,
    /// Serial port or simulator.
    pub connection: Connection,
    /// Line speed in baud.
    pub baud: u32,
    /// Flow-control strategy.
    pub flow: FlowMode,
    /// Firmware receive buffer in bytes.
    pub rx_buffer: u32,
    /// The firmware's longest command line plus one (Marlin's
    /// `MAX_CMD_SIZE`, 96 by default): a serial line (`N…` and `*…`
    /// included) must be shorter.
    pub max_command_bytes: u32,
    /// Latency timer to set on a USB-serial adapter that has one (FTDI), ms;
    /// 0 leaves it as it is.
    pub adapter_latency_ms: u32,
    /// Largest reachable X, Y, Z in mm.
    pub build_volume: [f64; 3],
    /// Smallest reachable X, Y, Z in mm.
    pub min_position: [f64; 3],
    /// Tolerance on the build volume, in mm.
    pub bounds_margin: f64,
    /// Nozzle diameter in mm.
    pub nozzle_diameter: f64,
    /// Number of tools.
    pub extruders: u32,
    /// Material loaded per tool (index = tool number).
    pub materials: Vec<LoadedMaterial>,
    /// Free-form capabilities jobs may require.
    pub tags: Vec<String>,
    /// Highest hotend temperature allowed, °C.
    pub max_hotend_temp: f64,
    /// Highest bed temperature allowed, °C.
    pub max_bed_temp: f64,
    /// Firmware motion limits.
    pub motion: MotionLimits,
    /// True when finished parts leave the bed by themselves.
    pub auto_eject: bool,
    /// Scripts sent around jobs.
    pub scripts: Scripts,
    /// Commands refused in uploaded files (upper case).
    pub forbidden_commands: Vec<String>,
    /// Maintenance thresholds (`service = { … }`); none set: never due.
    pub service: crate::domain::maintenance::Thresholds,
    /// The node that drives it in a farm of several hosts (`node`); none:
    /// the node whose configuration lists it.
    pub node: Option<String>,
}
