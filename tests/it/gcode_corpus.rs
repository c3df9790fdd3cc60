//! Data-driven accuracy tests: the analysis against the slicers' own figures.
//!
//! Runs over `gcode-samples/` always and over `../shared/gcode-corpus/` when it
//! is there (CI has it). PrusaSlicer files are gated; Cura and Slic3r files
//! are reported (their estimators model motion differently or not at all).

use crate::corpus::Entry;
use printfarm::gcode::{analyze_file, Analysis, AnalyzeOptions};

/// Time tolerance against PrusaSlicer's normal-mode estimate.
const TIME_TOLERANCE: f64 = 0.02;
const FILAMENT_TOLERANCE: f64 = 0.005;
const EXTENTS_TOLERANCE_MM: f64 = 0.05;

fn analyse(e: &Entry) -> Analysis {
    analyze_file(&e.path, &AnalyzeOptions::default(), &mut |_| {}).unwrap()
}

/// PrusaSlicer's estimator gives firmware retractions (G10/G11) no time at
/// all; the firmware does spend it, so our estimate includes it and reports
/// it apart. The comparison leaves it out.
fn comparable_time(a: &Analysis) -> f64 {
    a.estimated_time_s - a.fw_retract_time_s
}

fn relative(got: f64, want: f64) -> f64 {
    (got - want) / want
}

fn check_extents(e: &Entry, a: &Analysis) -> Result<(), String> {
    let ext = a.extrusion_extents.ok_or("no extrusion extents")?;
    let keys = [
        ("x_min", ext.min[0]),
        ("y_min", ext.min[1]),
        ("z_min", ext.min[2]),
        ("x_max", ext.max[0]),
        ("y_max", ext.max[1]),
        ("z_max", ext.max[2]),
    ];
    for (key, got) in keys {
        let want = e.number(key).ok_or(format!("{key} missing"))?;
        if (got - want).abs() > EXTENTS_TOLERANCE_MM {
            return Err(format!("{key} {got:.3} vs {want:.3}"));
        }
    }
    Ok(())
}

fn check_prusaslicer(e: &Entry, a: &Analysis) -> Vec<String> {
    let mut errors = Vec::new();
    let est = e
        .number("est_time_s")
        .expect("PrusaSlicer writes an estimate");
    let dt = relative(comparable_time(a), est);
    if dt.abs() > TIME_TOLERANCE {
        errors.push(format!(
            "{}: time {:.0} s vs {est} s ({:+.2} %)",
            e.rel,
            comparable_time(a),
            dt * 100.0
        ));
    }
    // The MMU file's wipe tower (ramming, cooling moves) is accounted by
    // PrusaSlicer outside its G-code; see ARCHITECTURE.md.
    if !e.rel.contains("mmu") {
        let fil = e.number("filament_mm").expect("filament");
        let df = relative(a.total_filament_mm(), fil);
        if df.abs() > FILAMENT_TOLERANCE {
            errors.push(format!(
                "{}: filament {:.2} vs {fil} ({:+.2} %)",
                e.rel,
                a.total_filament_mm(),
                df * 100.0
            ));
        }
    }
    if let Err(msg) = check_extents(e, a) {
        errors.push(format!("{}: extents {msg}", e.rel));
    }
    errors
}

fn run_corpus(dir: &std::path::Path) {
    let mut errors = Vec::new();
    let mut time_errors = Vec::new();
    for e in crate::corpus::read_manifest(dir) {
        let a = analyse(&e);
        if e.slicer == "PrusaSlicer" {
            errors.extend(check_prusaslicer(&e, &a));
            time_errors.push(
                relative(
                    comparable_time(&a),
                    e.number("est_time_s").unwrap_or(f64::NAN),
                )
                .abs(),
            );
        } else {
            report_other(&e, &a);
            if let Err(msg) = check_extents(&e, &a) {
                errors.push(format!("{}: extents {msg}", e.rel));
            }
        }
    }
    time_errors.sort_by(f64::total_cmp);
    let median = time_errors
        .get(time_errors.len() / 2)
        .copied()
        .unwrap_or(0.0);
    println!(
        "PrusaSlicer files: {}, median time error {:.2} %",
        time_errors.len(),
        median * 100.0
    );
    assert!(
        median <= 0.01,
        "median time error {:.2} % exceeds 1 %",
        median * 100.0
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn report_other(e: &Entry, a: &Analysis) {
    let est = e.number("est_time_s").map_or("none".into(), |t| {
        format!("{t} s ({:+.1} %)", relative(a.estimated_time_s, t) * 100.0)
    });
    let fil = e.number("filament_mm").map_or("none".into(), |f| {
        format!(
            "{f} mm ({:+.2} %)",
            relative(a.total_filament_mm(), f) * 100.0
        )
    });
    println!(
        "report {}: ours {:.0} s, slicer {est}; filament ours {:.1} mm, slicer {fil}",
        e.rel,
        a.estimated_time_s,
        a.total_filament_mm()
    );
}

#[test]
fn samples_match_their_slicers() {
    run_corpus(&crate::corpus::samples_dir());
}

#[test]
fn shared_corpus_matches_its_slicers() {
    match crate::corpus::shared_corpus() {
        Some(dir) => run_corpus(&dir),
        None => println!("../shared/gcode-corpus not present; skipped"),
    }
}

#[test]
fn corpus_files_have_layers_tools_and_slicer_metadata() {
    for e in crate::corpus::read_manifest(&crate::corpus::samples_dir()) {
        let a = analyse(&e);
        assert!(a.layers > 0, "{}", e.rel);
        assert_eq!(a.tools.len() as u32, e.int("tools"), "{}", e.rel);
        assert_eq!(
            a.slicer.name.as_deref(),
            Some(e.slicer.as_str()),
            "{}",
            e.rel
        );
        assert_eq!(
            a.slicer.version.as_deref(),
            e.fields.get("version").map(String::as_str),
            "{}",
            e.rel
        );
        assert_eq!(a.diagnostics_total, 0, "{}: {:?}", e.rel, a.diagnostics);
        let layer_mm = e.number("layer_mm").unwrap();
        assert_eq!(a.layer_height_mm, Some(layer_mm), "{}", e.rel);
    }
}
