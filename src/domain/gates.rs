//! Whether an upload is G-code at all: a file that is mostly lines the
//! parser cannot read is refused at the door, with the first bad lines.

use crate::gcode::Analysis;

/// Problem lines tolerated before the rate is looked at.
const TOLERATED: u64 = 10;
/// Problems above this share of the lines that say anything make a file
/// "not G-code".
const MAX_PROBLEM_SHARE: f64 = 0.05;
/// Bad lines quoted in the refusal.
const QUOTED: usize = 3;

/// `Some(reason)` when the analysed upload is not G-code.
pub fn not_gcode(analysis: &Analysis) -> Option<String> {
    let commands: u64 = analysis.commands.iter().map(|c| c.count).sum();
    let problems = analysis.diagnostics_total;
    if commands == 0 && problems == 0 {
        return Some("the file contains no G-code commands".to_owned());
    }
    let share = problems as f64 / (commands + problems) as f64;
    if commands > 0 && (problems <= TOLERATED || share <= MAX_PROBLEM_SHARE) {
        return None;
    }
    let first: Vec<String> = analysis
        .diagnostics
        .iter()
        .take(QUOTED)
        .map(|d| format!("line {} column {}: {}", d.line, d.column, d.message))
        .collect();
    Some(format!(
        "not G-code: {problems} problems in {} lines ({:.0} %); first: {}",
        analysis.lines,
        share * 100.0,
        first.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::not_gcode;
    use crate::gcode::{analyze_reader, AnalyzeOptions, SlicerSettings};

    fn verdict(text: &[u8]) -> Option<String> {
        let options = AnalyzeOptions::default();
        let analysis =
            analyze_reader(text, &options, &SlicerSettings::default(), &mut |_| {}).unwrap();
        not_gcode(&analysis)
    }

    #[test]
    fn slicer_output_passes_and_noise_is_refused_naming_lines() {
        let good = b"G28\nM104 S200\nG1 X10 Y10 F3000\n; a comment\nG1 X20 Y20 E1\n";
        assert_eq!(verdict(good), None);
        assert!(verdict(b"; only comments\n\n")
            .unwrap()
            .contains("no G-code"));
        let mut noise = Vec::new();
        let mut state = 7u32;
        for _ in 0..20_000 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            noise.push((state >> 16) as u8);
        }
        let refused = verdict(&noise).expect("random bytes are not G-code");
        assert!(refused.starts_with("not G-code"), "{refused}");
        assert!(refused.contains("line "), "{refused}");
    }
}
