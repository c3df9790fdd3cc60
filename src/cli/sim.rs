//! `printfarm sim`: virtual Marlin printers on pseudo-terminals until Ctrl-C.

use crate::sim::{self, FirmwareConfig, PlannedMotion, SimConfig, SimHandle};
use anyhow::{ensure, Context};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `printfarm sim`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of virtual printers.
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    /// Directory for the `printer0`, `printer1`… symlinks to the PTYs (created if missing).
    #[arg(long)]
    pub link_dir: PathBuf,
    /// Emulated baud rate, both ways (0 = unlimited).
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// Printer seconds per wall second (60: a one-minute move takes a second).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Delay added to every reply, like a USB-serial adapter.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Probability (0–1) that a numbered line arrives corrupted.
    #[arg(long, default_value_t = 0.0)]
    pub corrupt_rate: f64,
    /// Close the port once this many lines have been received.
    #[arg(long)]
    pub disconnect_after_lines: Option<u64>,
    /// Directory to write `<printer>.gcode`: every executed command, one per line.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Send `ok N<line> P<planner free> B<queue free>`.
    #[arg(long)]
    pub advanced_ok: bool,
    /// Seed of the fault dice (printer i uses seed + i).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let configs = printer_configs(&args)?;
    std::fs::create_dir_all(&args.link_dir)
        .with_context(|| format!("creating {}", args.link_dir.display()))?;
    if let Some(dir) = &args.record {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    runtime.block_on(serve(configs))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(configs: Vec<SimConfig>) -> anyhow::Result<()> {
    let mut printers = Vec::with_capacity(configs.len());
    let mut stdout = std::io::stdout().lock();
    for config in configs {
        let name = config.name.clone();
        // Moves take the time the print-time estimator gives them.
        let printer = sim::spawn_with(config, PlannedMotion::default())
            .with_context(|| format!("starting {name}"))?;
        writeln!(stdout, "{} -> {}", printer.name(), printer.path().display())?;
        printers.push(printer);
    }
    stdout.flush()?;
    drop(stdout);
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    stop_all(printers).await
}

async fn stop_all(printers: Vec<SimHandle>) -> anyhow::Result<()> {
    for printer in printers {
        let name = printer.name().to_owned();
        printer
            .stop()
            .await
            .with_context(|| format!("stopping {name}"))?;
    }
    Ok(())
}

/// One [`SimConfig`] per printer from the command line.
pub fn printer_configs(args: &Args) -> anyhow::Result<Vec<SimConfig>> {
    ensure!(
        (0.0..=1.0).contains(&args.corrupt_rate),
        "--corrupt-rate must be between 0 and 1"
    );
    let mut firmware = FirmwareConfig {
        advanced_ok: args.advanced_ok,
        speed: args.speed,
        ..FirmwareConfig::default()
    };
    firmware.faults.corrupt_rate = args.corrupt_rate;
    firmware.faults.disconnect_after_lines = args.disconnect_after_lines;
    firmware.validate().context("invalid --speed")?;
    let configs = (0..args.count).map(|i| {
        let name = format!("printer{i}");
        SimConfig {
            link: Some(args.link_dir.join(&name)),
            record: args
                .record
                .as_ref()
                .map(|d| d.join(format!("{name}.gcode"))),
            firmware: FirmwareConfig {
                seed: args.seed.wrapping_add(i as u64),
                ..firmware.clone()
            },
            baud: args.baud,
            latency: Duration::from_millis(args.latency_ms),
            poll_window: Duration::ZERO,
            name,
        }
    });
    Ok(configs.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn configs(line: &str) -> anyhow::Result<Vec<SimConfig>> {
        let words = std::iter::once("sim").chain(line.split_whitespace());
        printer_configs(&Cli::try_parse_from(words)?.args)
    }

    #[test]
    fn command_line_maps_to_printer_configs() {
        let line = "--count 2 --link-dir /tmp/l --baud 9600 --speed 60 --latency-ms 8 \
                    --corrupt-rate 0.1 --disconnect-after-lines 50 --record /tmp/r --advanced-ok --seed 7";
        let configs = configs(line).unwrap();
        assert_eq!(configs.len(), 2);
        let second = &configs[1];
        assert_eq!(second.name, "printer1");
        assert_eq!(second.link.as_deref(), Some("/tmp/l/printer1".as_ref()));
        assert_eq!(
            second.record.as_deref(),
            Some("/tmp/r/printer1.gcode".as_ref())
        );
        assert_eq!(
            (second.baud, second.latency),
            (9600, Duration::from_millis(8))
        );
        let firmware = &second.firmware;
        assert_eq!(
            (firmware.speed, firmware.seed, firmware.advanced_ok),
            (60.0, 8, true)
        );
        assert_eq!(firmware.faults.corrupt_rate, 0.1);
        assert_eq!(firmware.faults.disconnect_after_lines, Some(50));
    }

    #[test]
    fn defaults_and_bad_values() {
        let defaults = configs("--link-dir d").unwrap();
        assert_eq!(defaults.len(), 1);
        assert_eq!(defaults[0].baud, 115_200);
        assert_eq!(defaults[0].record, None);
        assert_eq!(defaults[0].firmware, FirmwareConfig::default());
        for bad in [
            "--link-dir d --corrupt-rate 1.5",
            "--link-dir d --speed 0",
            "--count 2",
        ] {
            assert!(configs(bad).is_err(), "{bad} accepted");
        }
    }
}
