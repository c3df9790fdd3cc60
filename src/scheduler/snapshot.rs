//! The scheduler's input and output: plain data, no I/O.

/// Everything [`super::decide`] looks at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Jobs waiting for a printer.
    pub queue: Vec<QueuedJob>,
    /// Every configured printer, busy or not.
    pub printers: Vec<PrinterCaps>,
}

/// One waiting job.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedJob {
    /// Job id.
    pub id: String,
    /// Higher runs first.
    pub priority: i64,
    /// Deadline, unix ms; earlier runs first, none runs last.
    pub due_at: Option<i64>,
    /// Creation time, unix ms; older runs first.
    pub created_at: i64,
    /// What a printer must offer.
    pub needs: JobNeeds,
}

/// What a job requires of a printer: the order's requirements plus what the
/// G-code analysis found in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct JobNeeds {
    /// Material that must be loaded in every tool used (case-insensitive).
    pub material: Option<String>,
    /// Colour that must be loaded in every tool used (case-insensitive).
    pub colour: Option<String>,
    /// Tags the printer must carry.
    pub required_tags: Vec<String>,
    /// Bounding box of extrusion, mm; `None` when nothing is extruded.
    pub extents: Option<Extents>,
    /// Tool numbers used; empty means tool 0 only.
    pub tools_used: Vec<u32>,
    /// Highest hotend temperature the file sets, °C.
    pub max_hotend_temp: Option<f64>,
    /// Highest bed temperature the file sets, °C.
    pub max_bed_temp: Option<f64>,
    /// Nozzle diameter the file was sliced for, mm.
    pub nozzle_diameter: Option<f64>,
    /// False when the analysis found violations (forbidden commands, …).
    pub violations_free: bool,
    /// Bytes of the longest serial line the file makes, when known.
    pub longest_line: Option<u32>,
}

impl Default for JobNeeds {
    fn default() -> Self {
        JobNeeds {
            material: None,
            colour: None,
            required_tags: Vec::new(),
            extents: None,
            tools_used: Vec::new(),
            max_hotend_temp: None,
            max_bed_temp: None,
            nozzle_diameter: None,
            violations_free: true,
            longest_line: None,
        }
    }
}

/// An axis-aligned box, mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extents {
    /// Smallest X, Y, Z.
    pub min: [f64; 3],
    /// Largest X, Y, Z.
    pub max: [f64; 3],
}

impl Extents {
    /// Width, depth and height.
    pub fn size(&self) -> [f64; 3] {
        [0, 1, 2].map(|i| self.max[i] - self.min[i])
    }
}

/// Filament in one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolMaterial {
    /// Material, e.g. `PLA`.
    pub material: String,
    /// Colour, if known.
    pub colour: Option<String>,
}

/// Whether a printer can take a job now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Connected, bed clear, no job.
    Idle,
    /// Running or holding a job.
    Busy,
    /// A finished print is on the bed; nothing until cleared (or auto-eject).
    AwaitingClear,
    /// Not connected or in error.
    Offline,
}

/// One printer's capabilities and current availability.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterCaps {
    /// Printer name.
    pub name: String,
    /// Whether it can take a job now.
    pub availability: Availability,
    /// True when finished parts leave the bed by themselves.
    pub auto_eject: bool,
    /// Since when it has been idle, unix ms (earliest is preferred).
    pub idle_since: Option<i64>,
    /// Filament per tool (index = tool number).
    pub tools: Vec<ToolMaterial>,
    /// Number of tools.
    pub extruders: u32,
    /// Nozzle diameter, mm.
    pub nozzle_diameter: f64,
    /// Largest reachable X, Y, Z, mm.
    pub build_volume: [f64; 3],
    /// Smallest reachable X, Y, Z, mm.
    pub min_position: [f64; 3],
    /// Tolerance on the build volume, mm.
    pub bounds_margin: f64,
    /// Capabilities jobs may require.
    pub tags: Vec<String>,
    /// Highest hotend temperature allowed, °C.
    pub max_hotend_temp: f64,
    /// Highest bed temperature allowed, °C.
    pub max_bed_temp: f64,
    /// The firmware's command buffer, bytes (`MAX_CMD_SIZE`).
    pub max_command_bytes: u32,
}

impl PrinterCaps {
    /// True when the printer may be given a job now: idle, or awaiting a
    /// clear but able to eject the part itself.
    pub fn accepts_work(&self) -> bool {
        match self.availability {
            Availability::Idle => true,
            Availability::AwaitingClear => self.auto_eject,
            Availability::Busy | Availability::Offline => false,
        }
    }
}

/// One decision: run this job on this printer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Assignment {
    /// Job id.
    pub job_id: String,
    /// Printer name.
    pub printer: String,
}
