//! Refusing a job at submission when no configured printer could ever print it.

use super::routing::{filament, mismatches, mm, Mismatch};
use super::snapshot::{JobNeeds, PrinterCaps};
use std::fmt;
use std::mem::discriminant;

/// Why no printer in the farm can print a job. `Display` gives the message
/// for a 422 response.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The farm has no printers.
    NoPrinters,
    /// The file failed its checks.
    HasViolations,
    /// No printer has enough extruders.
    TooManyTools {
        /// Highest tool number used.
        tool: u32,
    },
    /// No printer has the wanted filament loaded.
    FilamentNotLoaded {
        /// Wanted material.
        material: Option<String>,
        /// Wanted colour.
        colour: Option<String>,
    },
    /// No printer has this nozzle.
    NozzleUnavailable {
        /// Wanted diameter, mm.
        diameter: f64,
    },
    /// The extents fit no printer's build volume.
    ExceedsBuildVolume {
        /// Width, depth, height of the extents, mm.
        size: [f64; 3],
    },
    /// The hotend temperature exceeds every printer's maximum.
    HotendTooHot {
        /// Wanted °C.
        temp: f64,
    },
    /// The bed temperature exceeds every printer's maximum.
    BedTooHot {
        /// Wanted °C.
        temp: f64,
    },
    /// No printer carries these tags.
    MissingTags {
        /// The required tags.
        tags: Vec<String>,
    },
    /// A serial line is longer than every printer's command buffer.
    LineTooLong {
        /// Bytes of the longest serial line.
        bytes: u32,
    },
    /// Each need is met somewhere, but no single printer meets them all.
    NoSinglePrinter {
        /// Per printer, what it lacks.
        printers: Vec<(String, Vec<Mismatch>)>,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NoPrinters => write!(f, "the farm has no printers"),
            Refusal::HasViolations => write!(f, "the file has violations"),
            Refusal::TooManyTools { tool } => {
                write!(
                    f,
                    "the file uses tool {tool} but no printer has that many extruders"
                )
            }
            Refusal::FilamentNotLoaded { material, colour } => write!(
                f,
                "no printer has {} loaded",
                filament(material.as_deref(), colour.as_deref())
            ),
            Refusal::NozzleUnavailable { diameter } => {
                write!(f, "no printer has a {} mm nozzle", mm(*diameter))
            }
            Refusal::ExceedsBuildVolume { size } => write!(
                f,
                "extents {}×{}×{} exceed every printer's build volume",
                mm(size[0]),
                mm(size[1]),
                mm(size[2])
            ),
            Refusal::HotendTooHot { temp } => {
                write!(f, "hotend {temp} °C exceeds every printer's maximum")
            }
            Refusal::BedTooHot { temp } => {
                write!(f, "bed {temp} °C exceeds every printer's maximum")
            }
            Refusal::MissingTags { tags } => {
                write!(f, "no printer has tags {}", tags.join(", "))
            }
            Refusal::LineTooLong { bytes } => write!(
                f,
                "a {bytes}-byte serial line fits no printer's command buffer (max_command_bytes)"
            ),
            Refusal::NoSinglePrinter { printers } => {
                write!(f, "no single printer meets every need:")?;
                for (name, reasons) in printers {
                    let reasons: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                    write!(f, " {name}: {};", reasons.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

fn refusal_for(mismatch: &Mismatch, needs: &JobNeeds) -> Refusal {
    match mismatch {
        Mismatch::Violations => Refusal::HasViolations,
        Mismatch::ToolMissing { .. } => Refusal::TooManyTools {
            tool: needs.tools_used.iter().copied().max().unwrap_or(0),
        },
        Mismatch::Filament {
            material, colour, ..
        } => Refusal::FilamentNotLoaded {
            material: material.clone(),
            colour: colour.clone(),
        },
        Mismatch::Nozzle { wanted, .. } => Refusal::NozzleUnavailable { diameter: *wanted },
        Mismatch::OutsideBuildVolume { extents } => Refusal::ExceedsBuildVolume {
            size: extents.size(),
        },
        Mismatch::HotendTooHot { wanted, .. } => Refusal::HotendTooHot { temp: *wanted },
        Mismatch::BedTooHot { wanted, .. } => Refusal::BedTooHot { temp: *wanted },
        Mismatch::MissingTags { .. } => Refusal::MissingTags {
            tags: needs.required_tags.clone(),
        },
        Mismatch::LineTooLong { bytes, .. } => Refusal::LineTooLong { bytes: *bytes },
    }
}

/// `Ok` when at least one printer (busy or not) could print a job with these
/// needs. Otherwise every need that no printer meets is named; when each need
/// is met by some printer but never all by one, the per-printer reasons are given.
pub fn can_any_print(needs: &JobNeeds, printers: &[PrinterCaps]) -> Result<(), Vec<Refusal>> {
    if printers.is_empty() {
        return Err(vec![Refusal::NoPrinters]);
    }
    let per_printer: Vec<(String, Vec<Mismatch>)> = printers
        .iter()
        .map(|p| (p.name.clone(), mismatches(needs, p)))
        .collect();
    if per_printer.iter().any(|(_, reasons)| reasons.is_empty()) {
        return Ok(());
    }
    let mut refusals: Vec<Refusal> = Vec::new();
    for mismatch in &per_printer[0].1 {
        let kind = discriminant(mismatch);
        let universal = per_printer
            .iter()
            .all(|(_, reasons)| reasons.iter().any(|r| discriminant(r) == kind));
        let refusal = refusal_for(mismatch, needs);
        if universal && !refusals.contains(&refusal) {
            refusals.push(refusal);
        }
    }
    if refusals.is_empty() {
        refusals.push(Refusal::NoSinglePrinter {
            printers: per_printer,
        });
    }
    Err(refusals)
}
