//! The virtual printer's planner-backed motion against the estimator on a
//! real slicer file: over the whole file, the time the sim spends equals
//! `analyze_reader`'s motion plus dwell time.

use printfarm::gcode::{analyze_reader, parse_line, AnalyzeOptions, SlicerSettings};
use printfarm::sim::{MotionModel, PlannedMotion};
use std::time::Duration;

#[test]
fn the_sample_costs_the_estimated_time() {
    let Some(path) = crate::virtual_printer::small_sample() else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    // The firmware does not see the slicer's settings block, only commands.
    let analysis = analyze_reader(
        text.as_bytes(),
        &AnalyzeOptions::default(),
        &SlicerSettings::default(),
        &mut |_| {},
    )
    .unwrap();
    let expected = analysis.motion_time_s + analysis.dwell_time_s;

    let mut model = PlannedMotion::default().with_homing_time(Duration::ZERO);
    let mut issues = Vec::new();
    let mut total = Duration::ZERO;
    for command in crate::virtual_printer::file_commands(&path) {
        total += model.execute(&parse_line(command.as_bytes(), &mut issues));
    }
    let tail = model.finish();
    let got = total.as_secs_f64();

    assert!(expected > 60.0, "estimate {expected} s");
    assert_eq!(tail, Duration::ZERO, "the file's M84 flushed the planner");
    let tolerance = 1e-6 * expected;
    assert!(
        (got - expected).abs() < tolerance,
        "sim {got} s, estimator {expected} s"
    );
}
