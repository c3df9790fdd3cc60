//! The G-code line parser and the whole analysis never panic, whatever the
//! bytes: the parser never rejects a file (invariant 1).
#![no_main]

use libfuzzer_sys::fuzz_target;
use printfarm::gcode::{analyze_reader, parse_line, AnalyzeOptions, SlicerSettings};

fuzz_target!(|data: &[u8]| {
    let mut issues = Vec::new();
    for line in data.split(|b| *b == b'\n') {
        issues.clear();
        let parsed = parse_line(line, &mut issues);
        let _ = parsed.to_string();
    }
    let options = AnalyzeOptions::default();
    let _ = analyze_reader(data, &options, &SlicerSettings::default(), &mut |_| {});
});
