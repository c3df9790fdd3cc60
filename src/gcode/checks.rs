//! Checks of an [`Analysis`] against what a printer can do: build volume,
//! temperatures, tools, nozzle and forbidden commands. Each violation names
//! the line at fault and the reason.

use super::analysis::Analysis;
use serde::{Deserialize, Serialize};

/// Commands refused by default: EEPROM writes, firmware update, PID autotune.
pub const DEFAULT_FORBIDDEN: [&str; 4] = ["M500", "M502", "M997", "M303"];

/// What a printer allows. Built from a printer profile in `printers.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckProfile {
    /// Highest reachable position `[x, y, z]`, mm.
    pub build_volume: [f64; 3],
    /// Lowest reachable position `[x, y, z]`, mm (e.g. `[0, -4, 0]` for a
    /// purge line in front of the bed).
    pub min_position: [f64; 3],
    /// Tolerance on the bounds, mm.
    pub margin: f64,
    /// Hottest hotend temperature allowed, °C.
    pub max_hotend_temp: f64,
    /// Hottest bed temperature allowed, °C.
    pub max_bed_temp: f64,
    /// Number of extruders.
    pub extruders: u32,
    /// Installed nozzle diameter, mm.
    pub nozzle_diameter: Option<f64>,
    /// Commands the printer must never receive, as `M500` or `M862.3`.
    pub forbidden_commands: Vec<String>,
    /// The firmware's command buffer (`MAX_CMD_SIZE`): every serial line
    /// must be shorter.
    #[serde(default = "default_max_command_bytes")]
    pub max_command_bytes: u32,
}

fn default_max_command_bytes() -> u32 {
    96
}

impl Default for CheckProfile {
    fn default() -> Self {
        CheckProfile {
            build_volume: [200.0, 200.0, 200.0],
            min_position: [0.0; 3],
            margin: 0.5,
            max_hotend_temp: 285.0,
            max_bed_temp: 120.0,
            extruders: 1,
            nozzle_diameter: None,
            forbidden_commands: DEFAULT_FORBIDDEN.iter().map(|s| s.to_string()).collect(),
            max_command_bytes: default_max_command_bytes(),
        }
    }
}

/// What kind of rule a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// Extrusion outside the build volume.
    OutOfBounds,
    /// A temperature above the printer's maximum.
    TooHot,
    /// A tool the printer does not have.
    MissingTool,
    /// Sliced for another nozzle.
    NozzleMismatch,
    /// A command the printer must not receive.
    ForbiddenCommand,
    /// A line longer than the firmware's command buffer: it would be
    /// rejected again and again.
    LineTooLong,
    /// The analysis could not finish (the motion planner failed): nothing
    /// is known of where the file moves.
    AnalysisFailed,
}

/// One rule the file breaks on this printer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Violation {
    /// The rule.
    pub kind: ViolationKind,
    /// The line at fault (0 when the whole file is).
    pub line: u64,
    /// A sentence saying what is wrong.
    pub reason: String,
}

const AXES: [&str; 3] = ["X", "Y", "Z"];

/// Every violation of `profile` by the analysed file, ordered by line.
pub fn check(analysis: &Analysis, profile: &CheckProfile) -> Vec<Violation> {
    let mut out = Vec::new();
    bounds(analysis, profile, &mut out);
    temperatures(analysis, profile, &mut out);
    tools(analysis, profile, &mut out);
    nozzle(analysis, profile, &mut out);
    forbidden(analysis, profile, &mut out);
    line_length(analysis, profile, &mut out);
    if let Some(error) = &analysis.motion_error {
        out.push(Violation {
            kind: ViolationKind::AnalysisFailed,
            line: 0,
            reason: format!("the file could not be fully analysed ({error}); it is not printed"),
        });
    }
    out.sort_by_key(|v| v.line);
    out
}

/// A serial line the firmware's command buffer cannot hold is cut, fails
/// its checksum and is asked for again forever.
fn line_length(a: &Analysis, p: &CheckProfile, out: &mut Vec<Violation>) {
    let (Some(longest), Some(serial)) = (a.longest_command, a.longest_serial_line()) else {
        return;
    };
    if serial < p.max_command_bytes {
        return;
    }
    out.push(Violation {
        kind: ViolationKind::LineTooLong,
        line: longest.line,
        reason: format!(
            "the command on line {} is {} bytes, {serial} bytes as a serial line, but the \
             firmware's command buffer (max_command_bytes) holds {}",
            longest.line,
            longest.bytes,
            p.max_command_bytes - 1
        ),
    });
}

fn bounds(a: &Analysis, p: &CheckProfile, out: &mut Vec<Violation>) {
    let Some(e) = a.extrusion_extents else { return };
    for (axis, name) in AXES.iter().enumerate() {
        let low = p.min_position[axis] - p.margin;
        let high = p.build_volume[axis] + p.margin;
        if e.min[axis] < low {
            out.push(Violation {
                kind: ViolationKind::OutOfBounds,
                line: a.extrusion_extent_lines.min[axis],
                reason: format!(
                    "extrudes at {name} = {:.2} mm, below the printer's minimum {:.2} mm",
                    e.min[axis], p.min_position[axis]
                ),
            });
        }
        if e.max[axis] > high {
            out.push(Violation {
                kind: ViolationKind::OutOfBounds,
                line: a.extrusion_extent_lines.max[axis],
                reason: format!(
                    "extrudes at {name} = {:.2} mm, beyond the build volume's {:.2} mm",
                    e.max[axis], p.build_volume[axis]
                ),
            });
        }
    }
}

fn temperatures(a: &Analysis, p: &CheckProfile, out: &mut Vec<Violation>) {
    for t in &a.temperatures.hotend {
        if t.max_c > p.max_hotend_temp {
            out.push(Violation {
                kind: ViolationKind::TooHot,
                line: t.line,
                reason: format!(
                    "hotend T{} set to {:.0} °C, above the printer's maximum {:.0} °C",
                    t.tool, t.max_c, p.max_hotend_temp
                ),
            });
        }
    }
    if let Some(b) = a.temperatures.bed.filter(|b| b.max_c > p.max_bed_temp) {
        out.push(Violation {
            kind: ViolationKind::TooHot,
            line: b.line,
            reason: format!(
                "bed set to {:.0} °C, above the printer's maximum {:.0} °C",
                b.max_c, p.max_bed_temp
            ),
        });
    }
}

fn tools(a: &Analysis, p: &CheckProfile, out: &mut Vec<Violation>) {
    let missing: Vec<String> = a
        .tools
        .iter()
        .filter(|t| **t >= p.extruders)
        .map(|t| format!("T{t}"))
        .collect();
    if !missing.is_empty() {
        let line = a
            .commands
            .iter()
            .filter(|c| missing.contains(&c.command))
            .map(|c| c.first_line)
            .min()
            .unwrap_or(0);
        out.push(Violation {
            kind: ViolationKind::MissingTool,
            line,
            reason: format!(
                "uses {} but the printer has {} extruder(s)",
                missing.join(", "),
                p.extruders
            ),
        });
    }
}

fn nozzle(a: &Analysis, p: &CheckProfile, out: &mut Vec<Violation>) {
    let Some(installed) = p.nozzle_diameter else {
        return;
    };
    for hint in &a.nozzle_hints {
        if (hint.diameter_mm - installed).abs() > 0.001 {
            out.push(Violation {
                kind: ViolationKind::NozzleMismatch,
                line: hint.line,
                reason: format!(
                    "sliced for a {} mm nozzle ({}), the printer has {} mm",
                    hint.diameter_mm, hint.source, installed
                ),
            });
        }
    }
}

fn forbidden(a: &Analysis, p: &CheckProfile, out: &mut Vec<Violation>) {
    for used in &a.commands {
        if p.forbidden_commands
            .iter()
            .any(|f| f.eq_ignore_ascii_case(&used.command))
        {
            out.push(Violation {
                kind: ViolationKind::ForbiddenCommand,
                line: used.first_line,
                reason: format!(
                    "{} is not allowed on this printer ({} time(s))",
                    used.command, used.count
                ),
            });
        }
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
