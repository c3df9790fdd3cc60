//! A file's analysis against every printer of the farm, and the routing
//! keys the store keeps for it.

use crate::config::Config;
use crate::gcode::{self, Analysis, Violation, ViolationKind};
use crate::store::FileKeys;
use std::collections::BTreeMap;

/// The violations of an analysed file on each configured printer, by name.
pub fn violations_by_printer(
    analysis: &Analysis,
    config: &Config,
) -> BTreeMap<String, Vec<Violation>> {
    config
        .printers
        .iter()
        .map(|p| (p.name.clone(), gcode::check(analysis, &p.check_profile())))
        .collect()
}

/// The violations stored with a file: forbidden commands on any printer, and
/// an analysis that could not finish.
///
/// Build volume, temperatures, tools, nozzle and line length are routed per
/// printer by the scheduler from the file keys; forbidden commands are not,
/// so a file that some printer forbids is kept from every printer, and a
/// file whose motion is unknown is kept from all.
pub fn stored_violations(by_printer: &BTreeMap<String, Vec<Violation>>) -> Vec<Violation> {
    let mut out: Vec<Violation> = Vec::new();
    let forbidden = by_printer.values().flatten().filter(|v| {
        matches!(
            v.kind,
            ViolationKind::ForbiddenCommand | ViolationKind::AnalysisFailed
        )
    });
    for violation in forbidden {
        if !out.iter().any(|v| v.line == violation.line) {
            out.push(violation.clone());
        }
    }
    out
}

/// The routing keys of an analysed file.
pub fn file_keys(analysis: &Analysis, violations: &[Violation]) -> FileKeys {
    let extents = analysis.extrusion_extents;
    let hottest = analysis
        .temperatures
        .hotend
        .iter()
        .map(|t| t.max_c)
        .fold(None, |acc: Option<f64>, t| {
            Some(acc.map_or(t, |a| a.max(t)))
        });
    FileKeys {
        extents_min: extents.map(|e| e.min),
        extents_max: extents.map(|e| e.max),
        tools_used: analysis.tools.clone(),
        max_hotend_temp: hottest,
        max_bed_temp: analysis.temperatures.bed.map(|b| b.max_c),
        nozzle_diameter: analysis.nozzle_hints.first().map(|h| h.diameter_mm),
        estimated_time_s: Some(analysis.estimated_time_s),
        filament_mm: Some(analysis.total_filament_mm()),
        violations: serde_json::to_value(violations).unwrap_or_default(),
        longest_line_bytes: analysis.longest_serial_line().map(i64::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcode::analysis::{Extents, TemperatureRequest};

    fn demo_config() -> Config {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/printers.toml");
        Config::load(std::path::Path::new(path)).unwrap()
    }

    #[test]
    fn file_keys_take_extremes_from_the_analysis() {
        let analysis = Analysis {
            extrusion_extents: Some(Extents {
                min: [1.0, 2.0, 0.2],
                max: [10.0, 20.0, 5.0],
            }),
            tools: vec![0, 1],
            estimated_time_s: 60.0,
            filament_mm: vec![100.0, 50.0],
            ..Analysis::default()
        };
        let mut analysis = analysis;
        for (tool, max_c) in [(0, 215.0), (1, 240.0)] {
            let line = 1;
            analysis
                .temperatures
                .hotend
                .push(TemperatureRequest { tool, max_c, line });
        }
        let keys = file_keys(&analysis, &[]);
        assert_eq!(keys.extents_max, Some([10.0, 20.0, 5.0]));
        assert_eq!(keys.max_hotend_temp, Some(240.0));
        assert_eq!(keys.max_bed_temp, None);
        assert_eq!(keys.filament_mm, Some(150.0));
        assert_eq!(keys.violations, serde_json::json!([]));
    }

    #[test]
    fn extrusion_beyond_every_bed_violates_every_printer() {
        let analysis = Analysis {
            extrusion_extents: Some(Extents {
                min: [0.0, 0.0, 0.2],
                max: [400.0, 20.0, 5.0],
            }),
            ..Analysis::default()
        };
        let by_printer = violations_by_printer(&analysis, &demo_config());
        assert_eq!(by_printer.len(), 4);
        assert!(by_printer
            .values()
            .all(|v| v[0].kind == ViolationKind::OutOfBounds));
        assert!(stored_violations(&by_printer).is_empty());
    }

    #[test]
    fn a_file_whose_motion_analysis_failed_is_refused_everywhere() {
        let analysis = Analysis {
            command_lines: 10,
            motion_error: Some("the motion planner failed: boom".into()),
            ..Analysis::default()
        };
        let config = demo_config();
        let by_printer = violations_by_printer(&analysis, &config);
        let stored = stored_violations(&by_printer);
        assert_eq!(stored.len(), 1, "{stored:?}");
        assert_eq!(stored[0].kind, ViolationKind::AnalysisFailed);
        let keys = file_keys(&analysis, &stored);
        let needs = crate::scheduler::JobNeeds::for_file(&keys, None, None, Vec::new());
        let printers: Vec<_> = config
            .printers
            .iter()
            .map(|p| {
                crate::scheduler::PrinterCaps::from_profile(
                    p,
                    crate::scheduler::Availability::Idle,
                    None,
                )
            })
            .collect();
        assert!(crate::scheduler::can_any_print(&needs, &printers).is_err());
    }
}
