//! Snapshot tests: each sample's key figures are kept in
//! `tests/snapshots/<sample>.json`. A change in the analysis shows up as a
//! diff there. Regenerate with `UPDATE_SNAPSHOTS=1 cargo test --release --test it gcode_snapshots`.

use printfarm::gcode::{analyze_file, check, Analysis, AnalyzeOptions, CheckProfile};
use serde_json::{json, Value};
use std::path::Path;

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn summary(a: &Analysis) -> Value {
    let ext = a
        .extrusion_extents
        .map(|e| json!({"min": e.min.map(round), "max": e.max.map(round)}));
    let mk3s = CheckProfile {
        build_volume: [250.0, 210.0, 210.0],
        min_position: [0.0, -4.0, 0.0],
        nozzle_diameter: Some(0.4),
        ..CheckProfile::default()
    };
    let violations: Vec<String> = check(a, &mk3s)
        .iter()
        .map(|v| format!("line {}: {}", v.line, v.reason))
        .collect();
    json!({
        "estimated_time_s": round(a.estimated_time_s),
        "fw_retract_time_s": round(a.fw_retract_time_s),
        "filament_mm": a.filament_mm.iter().map(|f| round(*f)).collect::<Vec<_>>(),
        "prime_filament_mm": round(a.prime_filament_mm),
        "extrusion_extents": ext,
        "layers": a.layers,
        "first_layer_height_mm": a.first_layer_height_mm,
        "layer_height_mm": a.layer_height_mm,
        "tools": a.tools,
        "temperatures": a.temperatures,
        "heating_waits": a.heating_waits.len(),
        "operator_pauses": a.operator_pauses,
        "slicer": {
            "name": a.slicer.name,
            "version": a.slicer.version,
            "estimated_time_s": a.slicer.estimated_time_s,
            "filament_mm": a.slicer.filament_mm.map(round),
        },
        "thumbnails": a.thumbnails,
        "objects": a.objects,
        "nozzle_hints": a.nozzle_hints,
        "lines": a.lines,
        "diagnostics_total": a.diagnostics_total,
        "violations_on_mk3s": violations,
    })
}

#[test]
fn samples_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    for e in crate::corpus::read_manifest(&crate::corpus::samples_dir()) {
        let a = analyze_file(&e.path, &AnalyzeOptions::default(), &mut |_| {}).unwrap();
        let got = summary(&a);
        let name = e.rel.replace('/', "__").replace(".gcode", ".json");
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            continue;
        }
        let want: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if got != want {
            mismatches.push(format!("{}:\n got  {got}\n want {want}", e.rel));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
