//! `printfarm analyze` as a user runs it: the real binary on sample files.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const SAMPLE: &str = "gcode-samples/prusaslicer/nametag-ines__mk3s_m600.gcode";

fn analyze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_printfarm"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("analyze")
        .args(args)
        .output()
        .expect("run printfarm")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn json_has_the_documented_fields() {
    let out = analyze(&["--json", SAMPLE]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["estimated_time_s"].as_f64().unwrap() > 600.0);
    assert_eq!(v["filament_mm"].as_array().unwrap().len(), 1);
    assert_eq!(v["extrusion_extents"]["min"].as_array().unwrap().len(), 3);
    assert_eq!(v["extrusion_extents"]["max"].as_array().unwrap().len(), 3);
    assert_eq!(v["layers"], 16);
    assert_eq!(v["slicer"]["name"], "PrusaSlicer");
    assert_eq!(v["slicer"]["version"], "2.5.0");
    assert_eq!(v["slicer"]["estimated_time_s"], 637.0);
    assert!(v["diagnostics"].as_array().unwrap().is_empty());
    assert!(v["violations"].as_array().unwrap().is_empty());
    assert_eq!(v["operator_pauses"][0]["command"], "M600");
}

#[test]
fn one_json_object_per_file_and_line() {
    let out = analyze(&["--json", SAMPLE, SAMPLE]);
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), 2);
    for l in lines {
        serde_json::from_str::<Value>(&l).unwrap();
    }
}

#[test]
fn the_table_reads_like_a_report() {
    let out = analyze(&[SAMPLE]);
    assert!(out.status.success());
    let t = text(&out.stdout);
    for needle in [
        "print time",
        "10m 35s",
        "PrusaSlicer 2.5.0 (its estimate 10m 37s",
        "T0 640.1 mm",
        "layers",
        "16 (first at 0.2 mm, then 0.2 mm)",
        "1 operator pause",
    ] {
        assert!(t.contains(needle), "{needle:?} missing from:\n{t}");
    }
}

#[test]
fn a_missing_file_fails_clearly_but_the_others_are_analysed() {
    let out = analyze(&["--json", "no/such/file.gcode", SAMPLE]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("cannot read no/such/file.gcode"), "{err}");
    assert_eq!(text(&out.stdout).lines().count(), 1);
}

#[test]
fn garbage_is_analysed_with_diagnostics_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.gcode");
    std::fs::write(
        &path,
        b"G1 X10 \xff\xfe Y5\n\x00\x01binary\nG1 X-- E1\nG28 W\n",
    )
    .unwrap();
    let out = analyze(&["--json", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines: Vec<u64> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 3]);
}

#[test]
fn checks_against_a_printer_report_each_violation_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.gcode");
    std::fs::write(&path, "M104 S330\nM83\nG1 Z0.2\nG1 X300 E5\nM500\n").unwrap();
    let out = analyze(&["--json", "--printer", "mk3s-1", path.to_str().unwrap()]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(u64, String)> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["line"].as_u64().unwrap(),
                x["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        (1, "too_hot"),
        (4, "out_of_bounds"),
        (5, "forbidden_command"),
    ];
    assert_eq!(got, want.map(|(l, k)| (l, k.to_string())));
}

#[test]
fn an_unknown_printer_is_named_with_the_known_ones() {
    let out = analyze(&["--printer", "nope", SAMPLE]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("no printer named \"nope\"") && err.contains("mk3s-1"),
        "{err}"
    );
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("printers.toml")
        .exists());
}
