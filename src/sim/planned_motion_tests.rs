use super::*;
use crate::gcode::{analyze_reader, parse_line, AnalyzeOptions, SlicerSettings};
use std::fmt::Write as _;

fn run(model: &mut PlannedMotion, text: &str) -> f64 {
    let mut issues = Vec::new();
    model
        .execute(&parse_line(text.as_bytes(), &mut issues))
        .as_secs_f64()
}

/// Seconds the estimator gives `gcode`: motion plus dwell.
fn estimate(gcode: &str) -> f64 {
    let analysis = analyze_reader(
        gcode.as_bytes(),
        &AnalyzeOptions::default(),
        &SlicerSettings::default(),
        &mut |_| {},
    )
    .unwrap();
    analysis.motion_time_s + analysis.dwell_time_s
}

/// Seconds the model gives `gcode`, line by line, plus the final flush.
fn simulate(gcode: &str) -> f64 {
    let mut model = PlannedMotion::default().with_homing_time(Duration::ZERO);
    let total: f64 = gcode.lines().map(|l| run(&mut model, l)).sum();
    total + model.finish().as_secs_f64()
}

/// A zig-zag with arcs, relative moves, retractions, dwells and syncs: enough
/// moves to make the planner time several look-ahead batches.
fn generated_gcode() -> String {
    let mut g = String::from("G28\nG90\nM83\nM204 P1500 T2500\nG1 Z0.2 F600\n");
    for i in 0..900 {
        let x = 10.0 + f64::from(i % 40) * 3.7;
        let y = 10.0 + f64::from(i / 40) * 2.1;
        let feed = if i % 3 == 0 { 9000 } else { 2400 };
        writeln!(g, "G1 X{x:.3} Y{y:.3} E0.21 F{feed}").unwrap();
        match i % 97 {
            13 => g.push_str("G1 E-0.8 F2100\nG4 P120\nG1 E0.8 F2100\n"),
            41 => g.push_str("G2 X20 Y20 I5 J0 E0.5 F1800\n"),
            77 => g.push_str("M400\nG91\nG1 Z0.2 F600\nG90\n"),
            _ => {}
        }
    }
    g.push_str("M104 S0\nG1 X0 Y200 F3000\n");
    g
}

#[test]
fn a_whole_file_costs_what_the_estimator_says() {
    let gcode = generated_gcode();
    let (want, got) = (estimate(&gcode), simulate(&gcode));
    assert!(want > 10.0, "estimate {want} s");
    assert!((got - want).abs() < 1e-6 * want, "{got} s vs {want} s");
}

#[test]
fn block_times_arrive_with_the_command_that_settles_them() {
    let mut model = PlannedMotion::default();
    let first = run(&mut model, "G1 X50 F6000");
    assert_eq!(first, 0.0, "a lone move is not final yet");
    let dwell = run(&mut model, "G4 P500");
    assert!(dwell > 0.5 && dwell < 1.5, "move + 0.5 s dwell: {dwell}");
    assert_eq!(model.finish(), Duration::ZERO);
}

#[test]
fn synchronising_commands_flush_and_homing_takes_its_time() {
    for sync in ["M400", "M84", "G28 X"] {
        let mut model = PlannedMotion::default().with_homing_time(Duration::from_secs(3));
        run(&mut model, "G1 X100 F6000");
        let homing = if sync.starts_with("G28") { 3.0 } else { 0.0 };
        let cost = run(&mut model, sync) - homing;
        assert!(cost > 1.0 && cost < 1.5, "{sync}: {cost}");
    }
}

#[test]
fn position_follows_the_interpreter() {
    let mut model = PlannedMotion::default();
    for line in ["G1 X10 Y20 Z5 E1", "G91", "G1 X5", "G28 X"] {
        run(&mut model, line);
    }
    let p = model.position();
    assert_eq!((p.x, p.y, p.z, p.e), (0.0, 20.0, 5.0, 1.0));
}

#[test]
fn file_limit_commands_change_the_plan() {
    let slow = {
        let mut model = PlannedMotion::default();
        run(&mut model, "M201 X100 Y100");
        run(&mut model, "G1 X100 F6000");
        model.finish()
    };
    let fast = {
        let mut model = PlannedMotion::default();
        run(&mut model, "G1 X100 F6000");
        model.finish()
    };
    assert!(slow > fast, "{slow:?} vs {fast:?}");
    assert_eq!(PlannedMotion::default().limits(), &MachineLimits::default());
}
