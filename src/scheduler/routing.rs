//! Whether a printer can print a job, and why not.

use super::snapshot::{Extents, JobNeeds, PrinterCaps, ToolMaterial};
use std::fmt;

/// Nozzle diameters closer than this are the same nozzle, mm.
const NOZZLE_TOLERANCE: f64 = 0.005;

/// One reason a particular printer cannot print a job.
#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    /// The file failed its checks.
    Violations,
    /// The job uses a tool the printer does not have.
    ToolMissing {
        /// Tool number used.
        tool: u32,
        /// Tools the printer has.
        extruders: u32,
    },
    /// The wanted filament is not loaded in a tool the job uses.
    Filament {
        /// Tool number.
        tool: u32,
        /// Wanted material, if any.
        material: Option<String>,
        /// Wanted colour, if any.
        colour: Option<String>,
        /// What is loaded there.
        loaded: Option<ToolMaterial>,
    },
    /// Another nozzle is fitted.
    Nozzle {
        /// Wanted diameter, mm.
        wanted: f64,
        /// Fitted diameter, mm.
        fitted: f64,
    },
    /// Extrusion leaves the build volume.
    OutsideBuildVolume {
        /// The job's extents.
        extents: Extents,
    },
    /// The file heats the hotend beyond the printer's maximum.
    HotendTooHot {
        /// Wanted °C.
        wanted: f64,
        /// Allowed °C.
        max: f64,
    },
    /// The file heats the bed beyond the printer's maximum.
    BedTooHot {
        /// Wanted °C.
        wanted: f64,
        /// Allowed °C.
        max: f64,
    },
    /// The printer lacks required tags.
    MissingTags {
        /// Tags it lacks.
        tags: Vec<String>,
    },
    /// A serial line of the file is too long for the firmware's command buffer.
    LineTooLong {
        /// Bytes of the longest serial line.
        bytes: u32,
        /// The firmware's `MAX_CMD_SIZE`.
        limit: u32,
    },
}

/// Millimetres without a trailing `.0`.
pub(super) fn mm(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// `PLA red`, `PLA`, `red filament`, or `filament`.
pub(super) fn filament(material: Option<&str>, colour: Option<&str>) -> String {
    match (material, colour) {
        (Some(m), Some(c)) => format!("{m} {c}"),
        (Some(m), None) => m.to_owned(),
        (None, Some(c)) => format!("{c} filament"),
        (None, None) => "filament".to_owned(),
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Violations => write!(f, "the file has violations"),
            Mismatch::ToolMissing { tool, extruders } => {
                write!(f, "uses tool {tool} but has {extruders} extruder(s)")
            }
            Mismatch::Filament {
                tool,
                material,
                colour,
                loaded,
            } => {
                let wanted = filament(material.as_deref(), colour.as_deref());
                let has = loaded.as_ref().map_or("nothing known".to_owned(), |l| {
                    filament(Some(&l.material), l.colour.as_deref())
                });
                write!(f, "tool {tool} has {has}, not {wanted}")
            }
            Mismatch::Nozzle { wanted, fitted } => {
                write!(f, "has a {} mm nozzle, not {} mm", mm(*fitted), mm(*wanted))
            }
            Mismatch::OutsideBuildVolume { .. } => write!(f, "extents exceed its build volume"),
            Mismatch::HotendTooHot { wanted, max } => {
                write!(f, "hotend {wanted} °C exceeds its maximum {max} °C")
            }
            Mismatch::BedTooHot { wanted, max } => {
                write!(f, "bed {wanted} °C exceeds its maximum {max} °C")
            }
            Mismatch::MissingTags { tags } => write!(f, "lacks tags {}", tags.join(", ")),
            Mismatch::LineTooLong { bytes, limit } => write!(
                f,
                "a {bytes}-byte serial line does not fit its {limit}-byte command buffer"
            ),
        }
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn filament_loaded(needs: &JobNeeds, loaded: Option<&ToolMaterial>) -> bool {
    let material_ok = needs
        .material
        .as_deref()
        .is_none_or(|wanted| loaded.is_some_and(|l| same_name(&l.material, wanted)));
    let colour_ok = needs.colour.as_deref().is_none_or(|wanted| {
        loaded
            .and_then(|l| l.colour.as_deref())
            .is_some_and(|c| same_name(c, wanted))
    });
    material_ok && colour_ok
}

fn fits(extents: &Extents, printer: &PrinterCaps) -> bool {
    let margin = printer.bounds_margin;
    (0..3).all(|axis| {
        extents.min[axis] >= printer.min_position[axis] - margin
            && extents.max[axis] <= printer.build_volume[axis] + margin
    })
}

fn tool_mismatches(needs: &JobNeeds, printer: &PrinterCaps, out: &mut Vec<Mismatch>) {
    let tools: &[u32] = if needs.tools_used.is_empty() {
        &[0]
    } else {
        &needs.tools_used
    };
    for &tool in tools {
        if tool >= printer.extruders {
            out.push(Mismatch::ToolMissing {
                tool,
                extruders: printer.extruders,
            });
            continue;
        }
        let loaded = printer.tools.get(tool as usize);
        if !filament_loaded(needs, loaded) {
            out.push(Mismatch::Filament {
                tool,
                material: needs.material.clone(),
                colour: needs.colour.clone(),
                loaded: loaded.cloned(),
            });
        }
    }
}

/// Every reason `printer` cannot print a job with these needs; empty when it can.
/// Availability is not considered.
pub fn mismatches(needs: &JobNeeds, printer: &PrinterCaps) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if !needs.violations_free {
        out.push(Mismatch::Violations);
    }
    tool_mismatches(needs, printer, &mut out);
    if let Some(wanted) = needs.nozzle_diameter {
        if (wanted - printer.nozzle_diameter).abs() > NOZZLE_TOLERANCE {
            out.push(Mismatch::Nozzle {
                wanted,
                fitted: printer.nozzle_diameter,
            });
        }
    }
    if let Some(extents) = needs.extents.filter(|e| !fits(e, printer)) {
        out.push(Mismatch::OutsideBuildVolume { extents });
    }
    if let Some(wanted) = needs
        .max_hotend_temp
        .filter(|t| *t > printer.max_hotend_temp)
    {
        out.push(Mismatch::HotendTooHot {
            wanted,
            max: printer.max_hotend_temp,
        });
    }
    if let Some(wanted) = needs.max_bed_temp.filter(|t| *t > printer.max_bed_temp) {
        out.push(Mismatch::BedTooHot {
            wanted,
            max: printer.max_bed_temp,
        });
    }
    let missing: Vec<String> = needs
        .required_tags
        .iter()
        .filter(|tag| !printer.tags.contains(tag))
        .cloned()
        .collect();
    if !missing.is_empty() {
        out.push(Mismatch::MissingTags { tags: missing });
    }
    if let Some(bytes) = needs
        .longest_line
        .filter(|b| *b >= printer.max_command_bytes)
    {
        out.push(Mismatch::LineTooLong {
            bytes,
            limit: printer.max_command_bytes,
        });
    }
    out
}

/// Whether `printer` can print the job as loaded (`Some(false)`), after a
/// person changes its material (`Some(true)`: a single-tool printer whose
/// only mismatch is the filament), or not at all (`None`). The same checks
/// as [`mismatches`], without building them: a scheduling round asks this
/// for every free printer and waiting job.
pub fn fit_with_change(needs: &JobNeeds, printer: &PrinterCaps) -> Option<bool> {
    let nozzle_ok = needs
        .nozzle_diameter
        .is_none_or(|wanted| (wanted - printer.nozzle_diameter).abs() <= NOZZLE_TOLERANCE);
    let fits_otherwise = needs.violations_free
        && nozzle_ok
        && needs.extents.is_none_or(|e| fits(&e, printer))
        && needs
            .max_hotend_temp
            .is_none_or(|t| t <= printer.max_hotend_temp)
        && needs.max_bed_temp.is_none_or(|t| t <= printer.max_bed_temp)
        && needs
            .required_tags
            .iter()
            .all(|tag| printer.tags.contains(tag))
        && needs
            .longest_line
            .is_none_or(|b| b < printer.max_command_bytes);
    if !fits_otherwise {
        return None;
    }
    let tools: &[u32] = if needs.tools_used.is_empty() {
        &[0]
    } else {
        &needs.tools_used
    };
    if tools.iter().any(|&tool| tool >= printer.extruders) {
        return None;
    }
    let loaded = tools
        .iter()
        .all(|&tool| filament_loaded(needs, printer.tools.get(tool as usize)));
    match (loaded, printer.extruders) {
        (true, _) => Some(false),
        (false, 1) => Some(true),
        (false, _) => None,
    }
}

/// True when `printer` could print the job (ignoring availability).
pub fn can_print(needs: &JobNeeds, printer: &PrinterCaps) -> bool {
    mismatches(needs, printer).is_empty()
}
