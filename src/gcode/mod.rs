//! G-code: the nom line parser, the interpreter, the Marlin-style motion
//! planner, slicer metadata, and checks against a printer profile.
//!
//! Nothing here does I/O beyond reading from a reader it is given, and no
//! input makes it panic: bad lines become diagnostics with line numbers.

pub mod analysis;
pub mod analyzer;
pub mod checks;
pub mod interp;
pub mod limits;
pub mod line;
pub mod metadata;
pub mod parser;
mod plan_worker;
pub mod planner;
pub mod prescan;
pub mod reader;
mod tracking;

pub use analysis::{Analysis, Extents};
pub use analyzer::{AnalyzeOptions, Analyzer};
pub use checks::{check, CheckProfile, Violation, ViolationKind};
pub use line::{checksum, Checksum, Code, Line, Value, Word};
pub use parser::{parse_line, IssueKind, ParseIssue};
pub use prescan::SlicerSettings;
pub use reader::{LineReader, RawLine};

use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// Bytes between two progress reports.
const PROGRESS_EVERY: u64 = 4 * 1024 * 1024;

/// Analyses a stream in one pass. `settings` are slicer settings found
/// beforehand (empty for a stream that cannot seek); `progress` is told the
/// bytes read so far, every few MB.
pub fn analyze_reader<R: BufRead>(
    reader: R,
    options: &AnalyzeOptions,
    settings: &SlicerSettings,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Analysis> {
    let mut analyzer = Analyzer::new(options, settings);
    let mut lines = LineReader::new(reader);
    let mut next_report = PROGRESS_EVERY;
    lines.for_each_line(|l| {
        analyzer.feed(l.number, l.bytes, l.truncated);
        if l.offset >= next_report {
            progress(l.offset);
            next_report = l.offset + PROGRESS_EVERY;
        }
    })?;
    let bytes = lines.offset();
    progress(bytes);
    Ok(analyzer.finish(bytes))
}

/// Analyses a file: reads its slicer settings first, then streams it.
pub fn analyze_file(
    path: &Path,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Analysis> {
    let mut file = std::fs::File::open(path)?;
    let settings = SlicerSettings::read_from(&mut file)?;
    analyze_reader(
        BufReader::with_capacity(256 * 1024, file),
        options,
        &settings,
        progress,
    )
}
