//! `printfarm analyze`: print time, filament, extents, layers and checks of
//! G-code files, as a table or as JSON (one object per line).

use crate::config::Config;
use crate::gcode::{analyze_file, check, Analysis, AnalyzeOptions, CheckProfile, Violation};
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Files larger than this get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 32 * 1024 * 1024;

/// Arguments of `printfarm analyze`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per file (one per line) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Printer configuration, for `--printer`.
    #[arg(long, default_value = "printers.toml")]
    pub config: PathBuf,
    /// Check the files against this printer and use its motion limits.
    #[arg(long)]
    pub printer: Option<String>,
    /// G-code files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// One file's result as `--json` prints it.
#[derive(serde::Serialize)]
struct Report<'a> {
    file: &'a Path,
    #[serde(flatten)]
    analysis: &'a Analysis,
    violations: &'a [Violation],
}

/// Runs the subcommand. Exits non-zero only when a file cannot be read.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (options, profile) = printer_settings(&args)?;
    let mut failed = false;
    let stdout = std::io::stdout();
    for file in &args.files {
        match analyse_one(file, &options) {
            Ok(analysis) => {
                let violations = profile
                    .as_ref()
                    .map(|p| check(&analysis, p))
                    .unwrap_or_default();
                let mut out = stdout.lock();
                if args.json {
                    let report = Report {
                        file,
                        analysis: &analysis,
                        violations: &violations,
                    };
                    serde_json::to_writer(&mut out, &report)?;
                    writeln!(out)?;
                } else {
                    write!(
                        out,
                        "{}",
                        super::analyze_table::render(
                            file,
                            &analysis,
                            &violations,
                            profile.is_some()
                        )
                    )?;
                }
            }
            Err(e) => {
                eprintln!("printfarm: {e:#}");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn printer_settings(args: &Args) -> anyhow::Result<(AnalyzeOptions, Option<CheckProfile>)> {
    let Some(name) = &args.printer else {
        return Ok((AnalyzeOptions::default(), None));
    };
    let config =
        Config::load(&args.config).with_context(|| format!("loading {}", args.config.display()))?;
    let Some(printer) = config.printer(name) else {
        let known: Vec<&str> = config.printers.iter().map(|p| p.name.as_str()).collect();
        bail!(
            "no printer named {name:?} in {} (known: {})",
            args.config.display(),
            known.join(", ")
        );
    };
    Ok((printer.analyze_options(), Some(printer.check_profile())))
}

fn analyse_one(file: &Path, options: &AnalyzeOptions) -> anyhow::Result<Analysis> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let bar = progress_bar(size);
    let result = analyze_file(file, options, &mut |bytes| {
        if let Some(b) = &bar {
            b.set_position(bytes);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    result.with_context(|| format!("cannot read {}", file.display()))
}

fn progress_bar(size: u64) -> Option<ProgressBar> {
    if size < PROGRESS_MIN_BYTES || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(size);
    let style =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}
