//! The result of analysing a file, and the types it is made of.

use super::metadata::{SlicerInfo, Thumbnail};
use serde::{Deserialize, Serialize};

/// An axis-aligned box in mm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Extents {
    /// Lower corner `[x, y, z]`.
    pub min: [f64; 3],
    /// Upper corner `[x, y, z]`.
    pub max: [f64; 3],
}

impl Extents {
    /// Size along each axis.
    pub fn size(&self) -> [f64; 3] {
        [0, 1, 2].map(|a| self.max[a] - self.min[a])
    }
}

/// The source lines where each extent was reached, for violation reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtentLines {
    /// Line of the lowest value on each axis.
    pub min: [u64; 3],
    /// Line of the highest value on each axis.
    pub max: [u64; 3],
}

/// One problem found while reading, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// 1-based line number.
    pub line: u64,
    /// 1-based byte column.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// A temperature request and the line it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TemperatureRequest {
    /// Tool index for hotends; 0 for the bed and chamber.
    pub tool: u32,
    /// Highest requested temperature, °C.
    pub max_c: f64,
    /// Line of that highest request.
    pub line: u64,
}

/// Temperatures the file asks for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Temperatures {
    /// Hotends, one entry per tool that was given a temperature.
    pub hotend: Vec<TemperatureRequest>,
    /// The bed, when set.
    pub bed: Option<TemperatureRequest>,
    /// The chamber, when set.
    pub chamber: Option<TemperatureRequest>,
}

/// A place where the printer waits: for heating, or for an operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    /// Line of the command.
    pub line: u64,
    /// The command, as `M109` or `M600`.
    pub command: String,
    /// Target temperature, for heating waits.
    pub target_c: Option<f64>,
}

/// One layer: its height and the time spent on it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Z of the layer, mm (NaN-free: 0 when unknown).
    pub z: f64,
    /// Planned time spent on the layer, seconds.
    pub time_s: f64,
}

/// A command seen in the file: how often and where first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandUse {
    /// The command, as `M500`.
    pub command: String,
    /// How many times it appears.
    pub count: u64,
    /// The first line it appears on.
    pub first_line: u64,
}

/// A hint about the nozzle the file was sliced for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NozzleHint {
    /// Nozzle diameter, mm.
    pub diameter_mm: f64,
    /// Where it came from (`M862.1` or a slicer setting).
    pub source: String,
    /// Line of the hint.
    pub line: u64,
}

/// The longest command of a file as the host sends it (comment and line
/// number dropped, words in canonical form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandLength {
    /// Source line.
    pub line: u64,
    /// Bytes of the command.
    pub bytes: u32,
}

impl CommandLength {
    /// Bytes of the serial line that carries this command in a file of
    /// `command_lines` commands: `N<number> <command>*<checksum>`. The line
    /// number is bounded by the file's commands plus room for scripts and
    /// the handshake; the checksum has at most three digits.
    pub fn serial_bytes(&self, command_lines: u64) -> u32 {
        let highest = command_lines.saturating_add(10_000);
        let digits = highest.checked_ilog10().unwrap_or(0) + 1;
        // "N" + number + " " + command + "*" + checksum
        self.bytes.saturating_add(digits + 2 + 1 + 3)
    }
}

/// Everything the analysis learns about one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Planned print time: motion plus dwells, seconds. Heating waits and
    /// operator pauses are not included (see `heating_waits`, `operator_pauses`).
    pub estimated_time_s: f64,
    /// Motion time alone, seconds.
    pub motion_time_s: f64,
    /// `G4` dwell time, seconds.
    pub dwell_time_s: f64,
    /// Time of firmware retractions (`G10`/`G11`), seconds; part of the motion
    /// time. Slicers' estimators give these no time at all.
    pub fw_retract_time_s: f64,
    /// Filament the print deposits, per tool (index = tool), mm: extruding
    /// moves in X/Y after the start G-code, as slicers count it. Retractions,
    /// unretractions and filament unloads are not deposits and do not count.
    pub filament_mm: Vec<f64>,
    /// Filament the start G-code lays down (purge and prime lines), mm.
    pub prime_filament_mm: f64,
    /// Filament volume per tool, cm³.
    pub filament_cm3: Vec<f64>,
    /// Filament diameter used for volumes, mm.
    pub filament_diameter_mm: f64,
    /// Bounds of extruding moves (E increases and X, Y or Z moves).
    pub extrusion_extents: Option<Extents>,
    /// Where those bounds were reached.
    pub extrusion_extent_lines: ExtentLines,
    /// Bounds of every move.
    pub move_extents: Option<Extents>,
    /// Number of layers.
    pub layers: u32,
    /// Height of the first layer, mm.
    pub first_layer_height_mm: Option<f64>,
    /// Most common layer height, mm.
    pub layer_height_mm: Option<f64>,
    /// Each layer's height and time.
    pub layer_details: Vec<Layer>,
    /// Tools used, ascending.
    pub tools: Vec<u32>,
    /// Requested temperatures.
    pub temperatures: Temperatures,
    /// Commands that wait for a temperature (`M109`, `M190`, …).
    pub heating_waits: Vec<Wait>,
    /// Commands that wait for an operator (`M600`, `M0`, …).
    pub operator_pauses: Vec<Wait>,
    /// Highest requested feedrate, mm/s.
    pub max_feedrate_mm_s: f64,
    /// Slicer name, version and own figures.
    pub slicer: SlicerInfo,
    /// Embedded thumbnails.
    pub thumbnails: Vec<Thumbnail>,
    /// Object labels.
    pub objects: Vec<String>,
    /// Nozzle-diameter hints.
    pub nozzle_hints: Vec<NozzleHint>,
    /// Distinct G and M commands with their counts and first lines.
    pub commands: Vec<CommandUse>,
    /// Where the motion limits came from.
    pub limits_source: String,
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Problems found (the first few hundred).
    pub diagnostics: Vec<Diagnostic>,
    /// Total number of problems, including those not kept.
    pub diagnostics_total: u64,
    /// Lines that carry a command.
    #[serde(default)]
    pub command_lines: u64,
    /// The longest command as sent to a printer.
    #[serde(default)]
    pub longest_command: Option<CommandLength>,
    /// The first line that pushes filament: until the printer has run it,
    /// nothing is on the bed.
    #[serde(default)]
    pub first_extrusion_line: Option<u64>,
    /// Why the motion planner failed, when it did: times, extents and
    /// filament are then missing, and the file must not be printed.
    #[serde(default)]
    pub motion_error: Option<String>,
}

impl Analysis {
    /// The longest serial line a printer would receive for this file.
    pub fn longest_serial_line(&self) -> Option<u32> {
        self.longest_command
            .map(|c| c.serial_bytes(self.command_lines))
    }

    /// Total filament over all tools, mm.
    pub fn total_filament_mm(&self) -> f64 {
        self.filament_mm.iter().sum()
    }
}
