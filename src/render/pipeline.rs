//! One unit rendered: OpenSCAD makes the part from the template and the
//! unit's values, printfarm checks what OpenSCAD applied and whether the
//! part fits a bed, PrusaSlicer slices it. Each run in a fresh directory,
//! with time and memory limits; the directory is removed afterwards.

use super::bundle;
use super::scad;
use super::spec::ParamValue;
use super::stl::{self, Bounds};
use super::tools::{run, Limits, Ran, Tools};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Space the slicer's skirt needs around a part on each side, mm (skirt
/// distance 3 mm plus half a line).
pub const SKIRT_MARGIN_MM: f64 = 3.4;
/// Address space a tool may use, MiB.
pub const MEMORY_MB: u64 = 2048;

/// What one render needs.
#[derive(Debug, Clone)]
pub struct UnitRequest {
    /// The product's bundle directory.
    pub bundle: PathBuf,
    /// The parameters, by name, and whether each is text.
    pub parameters: Vec<(String, bool)>,
    /// The unit's values.
    pub values: BTreeMap<String, ParamValue>,
    /// The slicer profile.
    pub profile: PathBuf,
    /// Build volumes of the printers that could print it.
    pub beds: Vec<[f64; 3]>,
    /// Wall time each tool may take.
    pub timeout: Duration,
}

/// A unit rendered: files in the work directory's place of keeping.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The G-code.
    pub gcode: PathBuf,
    /// The part.
    pub stl: PathBuf,
    /// The part's size.
    pub bounds: Bounds,
}

/// Why a render failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Failure {
    /// True when the same inputs would fail again (the unit needs review).
    pub permanent: bool,
    /// What happened, with the tool's own words.
    pub reason: String,
}

fn permanent(reason: impl Into<String>) -> Failure {
    Failure {
        permanent: true,
        reason: reason.into(),
    }
}

fn transient(reason: impl Into<String>) -> Failure {
    Failure {
        permanent: false,
        reason: reason.into(),
    }
}

/// The lines of a tool's output worth showing a person (at most 12).
fn gist(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('[') && !l.contains("=> "))
        .filter(|l| !l.starts_with("ECHO: \"PRINTFARM_APPLIED"))
        .take(12)
        .collect();
    lines.join(" | ")
}

/// A tool run that did not exit: transient (it may pass another time).
fn not_exited(tool: &str, ran: &Ran) -> Option<Failure> {
    match ran {
        Ran::TimedOut => Some(transient(format!("{tool} took too long and was stopped"))),
        Ran::NotStarted(e) => Some(transient(format!("{tool} could not be started: {e}"))),
        Ran::Exited { .. } => None,
    }
}

/// Renders one unit in `work` (a fresh directory the caller removes).
pub async fn render(
    tools: &Tools,
    request: &UnitRequest,
    work: &Path,
    nonce: &str,
) -> Result<Rendered, Failure> {
    if let Some(why) = tools.unavailable() {
        return Err(transient(why));
    }
    // The tools run inside `work`, so every path they are given is absolute.
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|e| transient(format!("preparing the render: {e}")))
    };
    let work = &absolute(work)?;
    let request = &UnitRequest {
        profile: absolute(&request.profile)?,
        ..request.clone()
    };
    bundle::copy_into(&request.bundle, work)
        .map_err(|e| transient(format!("preparing the render: {e}")))?;
    let params = serde_json::to_vec(&scad::parameter_file(&request.values))
        .map_err(|e| transient(format!("writing the parameters: {e}")))?;
    std::fs::write(work.join("params.json"), params)
        .and_then(|()| {
            std::fs::write(
                work.join("wrapper.scad"),
                scad::wrapper(&request.parameters, nonce),
            )
        })
        .map_err(|e| transient(format!("preparing the render: {e}")))?;
    let stl = work.join("part.stl");
    openscad(tools, request, work, &stl, nonce).await?;
    let bytes = std::fs::read(&stl).map_err(|e| transient(format!("reading the part: {e}")))?;
    let bounds = stl::bounds(&bytes)
        .ok_or_else(|| permanent("the template made no geometry (empty part)"))?;
    fits(&bounds, &request.beds)?;
    let gcode = work.join("part.gcode");
    slice(tools, request, work, &stl, &gcode).await?;
    Ok(Rendered { gcode, stl, bounds })
}

async fn openscad(
    tools: &Tools,
    request: &UnitRequest,
    work: &Path,
    stl: &Path,
    nonce: &str,
) -> Result<(), Failure> {
    let limits = Limits {
        timeout: request.timeout,
        memory_mb: MEMORY_MB,
    };
    let out = stl.display().to_string();
    let args = [
        "-o",
        &out,
        "-p",
        "params.json",
        "-P",
        scad::SET,
        "wrapper.scad",
    ];
    let ran = run(tools, "openscad", &args, work, limits).await;
    if let Some(failure) = not_exited("OpenSCAD", &ran) {
        return Err(failure);
    }
    let Ran::Exited { code, stderr, .. } = ran else {
        return Err(transient("OpenSCAD did not run"));
    };
    if code != Some(0) || !stl.exists() {
        if code.is_none() {
            return Err(transient(format!("OpenSCAD was killed: {}", gist(&stderr))));
        }
        if stderr.contains("top level object is empty") {
            return Err(permanent(format!(
                "the template made no geometry: {}",
                gist(&stderr)
            )));
        }
        return Err(permanent(format!("template error: {}", gist(&stderr))));
    }
    if let Some(problem) = stderr
        .lines()
        .find(|l| l.starts_with("ERROR:") || l.starts_with("WARNING:"))
    {
        return Err(permanent(format!("OpenSCAD reported: {problem}")));
    }
    let applied = scad::applied(&stderr, &request.parameters, nonce).map_err(permanent)?;
    scad::same_as_asked(&request.values, &applied).map_err(permanent)
}

/// The part must fit some bed, with room for the skirt.
fn fits(bounds: &Bounds, beds: &[[f64; 3]]) -> Result<(), Failure> {
    let [x, y, z] = bounds.size();
    let fits_bed = |bed: &[f64; 3]| {
        x + 2.0 * SKIRT_MARGIN_MM <= bed[0] && y + 2.0 * SKIRT_MARGIN_MM <= bed[1] && z <= bed[2]
    };
    if beds.iter().any(fits_bed) {
        return Ok(());
    }
    let mut sizes: Vec<String> = beds
        .iter()
        .map(|b| format!("{:.0} × {:.0} × {:.0}", b[0], b[1], b[2]))
        .collect();
    sizes.dedup();
    let largest = sizes.join(", ");
    Err(permanent(format!(
        "the part is {x:.1} × {y:.1} × {z:.1} mm and fits no printer's bed ({largest} mm, \
         less {SKIRT_MARGIN_MM} mm of skirt on each side)"
    )))
}

async fn slice(
    tools: &Tools,
    request: &UnitRequest,
    work: &Path,
    stl: &Path,
    gcode: &Path,
) -> Result<(), Failure> {
    let limits = Limits {
        timeout: request.timeout,
        memory_mb: MEMORY_MB,
    };
    let (profile, out, input) = (
        request.profile.display().to_string(),
        gcode.display().to_string(),
        stl.display().to_string(),
    );
    let args = [
        "--config-compatibility=disable",
        "--export-gcode",
        "--load",
        &profile,
        "-o",
        &out,
        &input,
    ];
    let ran = run(tools, "prusa-slicer", &args, work, limits).await;
    if let Some(failure) = not_exited("PrusaSlicer", &ran) {
        return Err(failure);
    }
    let Ran::Exited {
        code,
        stdout,
        stderr,
    } = ran
    else {
        return Err(transient("PrusaSlicer did not run"));
    };
    let said = format!("{stderr}\n{stdout}");
    if said.contains("could not fit on the bed") {
        return Err(permanent("the part does not fit the slicer profile's bed"));
    }
    if code != Some(0) || !gcode.exists() {
        return match code {
            None => Err(transient(format!(
                "PrusaSlicer was killed: {}",
                gist(&said)
            ))),
            Some(_) => Err(permanent(format!("slicer error: {}", gist(&said)))),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_must_fit_some_bed_with_its_skirt() {
        let part = |x: f64| Bounds {
            min: [0.0; 3],
            max: [x, 20.0, 4.0],
        };
        let beds = [[250.0, 210.0, 210.0], [180.0, 180.0, 180.0]];
        assert!(fits(&part(243.0), &beds).is_ok());
        let error = fits(&part(244.0), &beds).unwrap_err();
        assert!(error.permanent);
        assert!(
            error.reason.contains("244.0 × 20.0 × 4.0"),
            "{}",
            error.reason
        );
        assert!(fits(&part(10.0), &[]).is_err(), "no printer, no fit");
    }

    #[test]
    fn tool_output_is_shown_without_progress_noise() {
        let stderr = "[2026-12-02 07:48] [trace] init\nERROR: Parser error: syntax error in file x, line 3\n10 => Processing\nCan't parse file 'wrapper.scad'!\n";
        assert_eq!(
            gist(stderr),
            "ERROR: Parser error: syntax error in file x, line 3 | Can't parse file 'wrapper.scad'!"
        );
    }
}
