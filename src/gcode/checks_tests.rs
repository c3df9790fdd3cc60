use super::*;
use crate::gcode::{analyze_reader, AnalyzeOptions, SlicerSettings};

fn analyse(src: &str) -> Analysis {
    analyze_reader(
        src.as_bytes(),
        &AnalyzeOptions::default(),
        &SlicerSettings::default(),
        &mut |_| {},
    )
    .unwrap()
}

fn mk3s() -> CheckProfile {
    CheckProfile {
        build_volume: [250.0, 210.0, 210.0],
        min_position: [0.0, -4.0, 0.0],
        max_hotend_temp: 300.0,
        max_bed_temp: 120.0,
        nozzle_diameter: Some(0.4),
        ..CheckProfile::default()
    }
}

#[test]
fn a_clean_file_passes() {
    let a = analyse("M104 S215\nM140 S60\nG1 Z0.2\nG1 Y-3 F1000\nG1 X100 E12.5\nG1 X200 Y200 E5\n");
    assert_eq!(check(&a, &mk3s()), []);
}

#[test]
fn each_rule_names_its_line() {
    let src = "M83\nM862.1 P0.6\nM104 S320\nM190 S130\nG1 Z0.2\nG1 X260 E5\nG1 Y-10 E1\nT1\nG1 X10 E1\nM500\n";
    let a = analyse(src);
    let got: Vec<(ViolationKind, u64)> = check(&a, &mk3s())
        .iter()
        .map(|v| (v.kind, v.line))
        .collect();
    assert_eq!(
        got,
        [
            (ViolationKind::NozzleMismatch, 2),
            (ViolationKind::TooHot, 3),
            (ViolationKind::TooHot, 4),
            (ViolationKind::OutOfBounds, 6),
            (ViolationKind::OutOfBounds, 7),
            (ViolationKind::MissingTool, 8),
            (ViolationKind::ForbiddenCommand, 10),
        ]
    );
}

#[test]
fn reasons_are_sentences_with_numbers() {
    let a = analyse("G1 Z0.2\nG1 X300 E5\n");
    let v = check(&a, &mk3s());
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0].reason,
        "extrudes at X = 300.00 mm, beyond the build volume's 250.00 mm"
    );
}

#[test]
fn the_margin_forgives_small_overshoots() {
    let a = analyse("G1 Z0.2\nG1 X250.3 E5\n");
    assert_eq!(check(&a, &mk3s()), []);
}

#[test]
fn travel_outside_the_bed_is_not_extrusion() {
    let a = analyse("G1 Z0.2\nG1 X300 Y-20\nG1 X10 Y10\nG1 X20 E1\n");
    assert_eq!(check(&a, &mk3s()), []);
}

#[test]
fn forbidden_list_is_configurable() {
    let a = analyse("M303 E0 S200 C8\nM117 hi\n");
    let mut p = mk3s();
    assert_eq!(check(&a, &p).len(), 1);
    p.forbidden_commands = vec!["M117".into()];
    let v = check(&a, &p);
    assert_eq!((v.len(), v[0].line), (1, 2));
}

#[test]
fn t_as_a_parameter_is_no_tool_change() {
    let a = analyse("M104 T1 S200\nG1 X10 E1\n");
    assert_eq!(check(&a, &mk3s()), []);
}
