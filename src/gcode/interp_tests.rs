use super::*;
use crate::gcode::parse_line;

fn run(src: &str) -> (Interpreter, MachineLimits, Vec<Action>) {
    let mut it = Interpreter::default();
    let mut limits = MachineLimits::default();
    let mut out = Vec::new();
    for text in src.lines() {
        let mut issues = Vec::new();
        let line = parse_line(text.as_bytes(), &mut issues);
        it.execute(&line, &mut limits, &mut out);
    }
    (it, limits, out)
}

fn moves(actions: &[Action]) -> Vec<[f64; 4]> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Move { planned, .. } => Some(planned.delta),
            _ => None,
        })
        .collect()
}

#[test]
fn absolute_and_relative_extrusion() {
    let (_, _, out) = run("M82\nG1 X10 E5\nG1 X20 E7\nM83\nG1 X30 E1");
    assert_eq!(
        moves(&out),
        [
            [10.0, 0.0, 0.0, 5.0],
            [10.0, 0.0, 0.0, 2.0],
            [10.0, 0.0, 0.0, 1.0]
        ]
    );
}

#[test]
fn g91_makes_every_axis_relative_and_g92_resets() {
    let (it, _, out) = run("G1 X5 Y5\nG91\nG1 X1 E1\nG90\nG92 E0\nG1 E2");
    assert_eq!(moves(&out)[1], [1.0, 0.0, 0.0, 1.0]);
    assert_eq!(moves(&out)[2], [0.0, 0.0, 0.0, 2.0]);
    assert_eq!(it.position(), [6.0, 5.0, 0.0, 2.0]);
}

#[test]
fn accumulated_e_survives_g92_resets() {
    let (_, _, out) = run("G92 E0\nG1 X1 E5\nG92 E0\nG1 X2 E3");
    let Action::Move { to, .. } = out[1] else {
        panic!()
    };
    assert_eq!(to[3], 8.0);
}

#[test]
fn inches_are_converted() {
    let (it, _, _) = run("G20\nG1 X1 F60");
    assert_eq!(it.position()[0], 25.4);
}

#[test]
fn feedrate_is_modal_and_scaled_by_m220() {
    let (_, _, out) = run("G1 X10 F1200\nM220 S50\nG1 X20");
    let speeds: Vec<f64> = out
        .iter()
        .filter_map(|a| {
            if let Action::Move { planned, .. } = a {
                Some(planned.feedrate)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(speeds, [20.0, 10.0]);
}

#[test]
fn quarter_arc_bounds_and_length() {
    // Counter-clockwise quarter circle of radius 10 from (10,0) around the origin to (0,10).
    let (it, _, out) = run("G1 X10 Y0\nG3 X0 Y10 I-10 J0 E1");
    let Some(Action::ArcBounds {
        min,
        max,
        extruding,
    }) = out.get(1).copied()
    else {
        panic!("{out:?}")
    };
    assert!(extruding);
    assert!((min[0] - 0.0).abs() < 1e-9 && (max[0] - 10.0).abs() < 1e-9);
    assert!((min[1] - 0.0).abs() < 1e-9 && (max[1] - 10.0).abs() < 1e-9);
    let travelled: f64 = moves(&out[2..]).iter().map(|d| d[0].hypot(d[1])).sum();
    assert!((travelled - 15.7).abs() < 0.05, "{travelled}");
    assert_eq!(it.position()[..2], [0.0, 10.0]);
}

#[test]
fn clockwise_half_circle_reaches_the_far_side() {
    // From (0,0) clockwise around (10,0) to (20,0): passes through (10,10).
    let (_, _, out) = run("G2 X20 Y0 I10 J0");
    let Some(Action::ArcBounds { max, min, .. }) = out.first().copied() else {
        panic!()
    };
    assert!((max[1] - 10.0).abs() < 1e-9, "{max:?}");
    assert!(min[1].abs() < 1e-9, "{min:?}");
}

#[test]
fn radius_arcs_find_their_centre() {
    let (_, _, out) = run("G2 X20 Y0 R10");
    let Some(Action::ArcBounds { max, .. }) = out.first().copied() else {
        panic!()
    };
    assert!((max[1] - 10.0).abs() < 1e-6, "{max:?}");
}

#[test]
fn firmware_retraction_moves_the_extruder_and_back() {
    let (it, _, out) = run("M207 S2 F1800\nG10\nG10\nG11");
    assert_eq!(moves(&out), [[0.0, 0.0, 0.0, -2.0], [0.0, 0.0, 0.0, 2.0]]);
    assert_eq!(it.position()[3], 0.0);
}

#[test]
fn dwell_in_milliseconds_or_seconds() {
    let (_, _, out) = run("G4 P500\nG4 S2\nG4");
    assert_eq!(
        out,
        [Action::Dwell(0.5), Action::Dwell(2.0), Action::Dwell(0.0)]
    );
}

#[test]
fn tool_change_is_a_code_not_a_parameter() {
    let (it, _, _) = run("M104 T1 S200\nM109 T1 S210");
    assert_eq!(it.tool, 0);
    let (it, _, out) = run("T1");
    assert_eq!(it.tool, 1);
    assert_eq!(out, [Action::Sync]);
}

#[test]
fn limit_commands_in_marlin_and_rrf_units() {
    let (_, l, _) = run("M201 X900 Y800\nM203 X200 Z12\nM204 P1100 R1200 T1300\nM205 X7 E4.5");
    assert_eq!(l.max_acceleration[..2], [900.0, 800.0]);
    assert_eq!((l.max_feedrate[0], l.max_feedrate[2]), (200.0, 12.0));
    assert_eq!(
        (
            l.acceleration,
            l.retract_acceleration,
            l.travel_acceleration
        ),
        (1100.0, 1200.0, 1300.0)
    );
    assert_eq!((l.jerk[0], l.jerk[3]), (7.0, 4.5));
    let (_, l, _) = run("M203 X12000 Y12000 Z720\nM566 X480 Y480");
    assert_eq!((l.max_feedrate[0], l.max_feedrate[2]), (200.0, 12.0));
    assert_eq!(l.jerk[0], 8.0);
    let (_, l, _) = run("M204 S500 T700");
    assert_eq!(
        (
            l.acceleration,
            l.travel_acceleration,
            l.retract_acceleration
        ),
        (500.0, 500.0, 700.0)
    );
    let (_, l, _) = run("M205 J0.02");
    assert_eq!(l.junction, JunctionMode::Deviation(0.02));
}

#[test]
fn homing_resets_named_axes() {
    let (it, _, _) = run("G1 X5 Y6 Z7\nG28 X\nG1 E1");
    assert_eq!(it.position()[..3], [0.0, 6.0, 7.0]);
}
