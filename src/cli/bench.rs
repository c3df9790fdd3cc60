//! `printfarm bench stream`: serial-link throughput against virtual printers.
//!
//! Streams the first command lines of a G-code file to virtual printers on
//! real PTYs at emulated baud rates and reply latencies, in each flow mode,
//! and prints markdown tables: lines per second and link use (bytes sent per
//! second over `baud / 10`), then N printers at once with the CPU time the
//! driver process spends per printer. The printers' motion runs at a very high
//! speed so the link, not the printer, is the bottleneck. Not run in CI.

use crate::gcode::parse_line;
use crate::printer::{self, JobSource, JobStats, PrinterConfig, PrinterEvent, PrinterState};
use crate::protocol::FlowMode;
use crate::sim::{self, FirmwareConfig, PlannedMotion, SimConfig};
use anyhow::{bail, ensure, Context};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

mod fleet;
mod schedule;
mod spread;
use spread::Spread;
use std::process::ExitCode;
use std::time::Duration;

/// Default file: a fine-layer coaster with many short moves.
const DEFAULT_FILE: &str = "../shared/gcode-corpus/prusaslicer/lattice_coaster__mk3s_fine.gcode";
/// Longest wait for a printer to connect or a job to end.
const PATIENCE: Duration = Duration::from_secs(600);

/// Arguments of `printfarm bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to measure.
    #[command(subcommand)]
    pub command: BenchCommand,
}

/// The benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Serial streaming throughput and per-printer CPU cost.
    Stream(StreamArgs),
    /// Scheduling policies compared in the farm simulator.
    Schedule(schedule::ScheduleArgs),
}

/// Arguments of `printfarm bench stream`.
#[derive(Debug, clap::Args)]
pub struct StreamArgs {
    /// The G-code file to stream.
    #[arg(long, default_value = DEFAULT_FILE)]
    pub file: PathBuf,
    /// Stream only the first N command lines.
    #[arg(long, default_value_t = 3000)]
    pub lines: usize,
    /// Emulated baud rates.
    #[arg(long, value_delimiter = ',', default_values_t = [115_200, 250_000])]
    pub baud: Vec<u32>,
    /// Reply latencies, ms (USB-serial adapters add 1–16 ms).
    #[arg(long, value_delimiter = ',', default_values_t = [2, 16])]
    pub latency_ms: Vec<u64>,
    /// Flow modes of the one-printer runs.
    #[arg(long, value_delimiter = ',', default_values_t = [FlowMode::PingPong, FlowMode::Counting, FlowMode::Advanced])]
    pub flow: Vec<FlowMode>,
    /// Printer counts for the fleet run (0 alone skips it).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 10, 50, 100])]
    pub printers: Vec<usize>,
    /// Baud rate of the fleet run.
    #[arg(long, default_value_t = 250_000)]
    pub fleet_baud: u32,
    /// Printer seconds per wall second of the virtual printers.
    #[arg(long, default_value_t = 1e6)]
    pub speed: f64,
    /// The firmware's serial receive buffer, bytes (stock Marlin: 128).
    #[arg(long, default_value_t = 128)]
    pub rx_buffer: usize,
    /// The one-printer runs' emulator polls instead of sleeping for this
    /// many µs before each event, as a board's microcontroller never
    /// sleeps (0: it sleeps on a timer and wakes as late as the OS lets it).
    #[arg(long, default_value_t = 300)]
    pub sim_poll_us: u64,
    /// Runs of each one-printer row; the table gives medians and the range.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        BenchCommand::Stream(stream) => run_stream(&stream)?,
        BenchCommand::Schedule(args) => schedule::run(&args)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn run_stream(args: &StreamArgs) -> anyhow::Result<()> {
    let commands = first_commands(&args.file, args.lines)?;
    ensure!(
        !commands.is_empty(),
        "{} has no commands",
        args.file.display()
    );
    let runtime = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    // One printer: the driver and its virtual printer share one thread.
    // Wake-ups across the VM's CPUs cost 0.1–1 ms each, several per line,
    // where a real printer's MCU answers within microseconds; on one thread
    // each hop wakes the same CPU, and the emulator's polling before its
    // events yields to the driver instead of taking a CPU from it.
    let one_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let (lines, rx) = (commands.len(), args.rx_buffer);
    println!("## Link throughput ({lines} command lines, {rx}-byte receive buffer)\n");
    println!(
        "{} run(s) per row: medians, the range of link use, resends summed; \
         the virtual printer polls {} µs before each event\n",
        args.repeat.max(1),
        args.sim_poll_us
    );
    println!("| baud | latency | flow | lines/s | link use | range | resends | seconds |");
    println!("|---:|---:|---|---:|---:|---:|---:|---:|");
    for &baud in &args.baud {
        for &latency in &args.latency_ms {
            for &flow in &args.flow {
                let link = Emulated {
                    baud,
                    latency: Duration::from_millis(latency),
                    flow,
                    speed: args.speed,
                    rx_buffer: args.rx_buffer,
                    poll_window: Duration::from_micros(args.sim_poll_us),
                };
                let mut runs = Vec::with_capacity(args.repeat.max(1));
                for _ in 0..args.repeat.max(1) {
                    let run = stream_one(link, commands.clone());
                    runs.push(one_thread.block_on(run)?);
                }
                println!("{}", link.row(&runs));
            }
        }
    }
    let counts: Vec<usize> = args.printers.iter().copied().filter(|n| *n > 0).collect();
    if !counts.is_empty() {
        println!(
            "\n## Printers at once ({} baud, 2 ms, auto flow)\n",
            args.fleet_baud
        );
        println!("| printers | lines/s (all) | wall s | driver CPU s | CPU ms per printer | CPU µs per line |");
        println!("|---:|---:|---:|---:|---:|---:|");
        for n in counts {
            println!("{}", runtime.block_on(fleet::fleet(args, n, &commands))?);
        }
    }
    Ok(())
}

/// The first `limit` command lines of a file, as the driver would send them.
fn first_commands(path: &Path, limit: usize) -> anyhow::Result<Vec<String>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut commands = Vec::with_capacity(limit.min(1 << 20));
    let mut issues = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if commands.len() >= limit {
            break;
        }
        let mut parsed = parse_line(line.as_bytes(), &mut issues);
        if !parsed.is_empty() {
            parsed.comment = None;
            parsed.number = None;
            commands.push(parsed.to_string());
        }
    }
    Ok(commands)
}

/// One emulated serial line and flow mode.
#[derive(Debug, Clone, Copy)]
struct Emulated {
    baud: u32,
    latency: Duration,
    flow: FlowMode,
    speed: f64,
    rx_buffer: usize,
    poll_window: Duration,
}

impl Emulated {
    fn firmware(&self) -> FirmwareConfig {
        FirmwareConfig {
            speed: self.speed,
            advanced_ok: self.flow == FlowMode::Advanced,
            rx_buffer_size: self.rx_buffer,
            ..FirmwareConfig::default()
        }
    }

    /// A table row: medians over the runs, and the range of link use.
    fn row(&self, runs: &[JobStats]) -> String {
        let seconds = |s: &JobStats| s.duration.as_secs_f64().max(1e-9);
        let wire_bytes_per_s = f64::from(self.baud) / 10.0;
        let link_use = Spread::of(
            runs.iter()
                .map(|s| 100.0 * s.bytes_sent as f64 / seconds(s) / wire_bytes_per_s),
        );
        let lines_per_s = Spread::of(runs.iter().map(|s| s.lines_sent as f64 / seconds(s)));
        let duration = Spread::of(runs.iter().map(seconds));
        let resends: u64 = runs.iter().map(|s| s.resends).sum();
        format!(
            "| {} | {} ms | {} | {:.0} | {:.1} % | {:.1}–{:.1} % | {} | {:.2} |",
            self.baud,
            self.latency.as_millis(),
            self.flow,
            lines_per_s.median,
            link_use.median,
            link_use.min,
            link_use.max,
            resends,
            duration.median,
        )
    }
}

/// Streams `commands` to a fresh virtual printer and returns the job's counters.
async fn stream_one(link: Emulated, commands: Vec<String>) -> anyhow::Result<JobStats> {
    let config = SimConfig {
        firmware: link.firmware(),
        baud: link.baud,
        latency: link.latency,
        poll_window: link.poll_window,
        ..SimConfig::default()
    };
    let sim = sim::spawn_with(config, PlannedMotion::default()).context("starting the sim")?;
    let stats = drive(sim.path(), link, commands).await;
    sim.stop().await.context("stopping the sim")?;
    stats
}

/// Connects a driver to `port`, streams `commands` and returns the counters.
async fn drive(port: &Path, link: Emulated, commands: Vec<String>) -> anyhow::Result<JobStats> {
    let printer = connected(port, link.baud, link.flow, link.rx_buffer).await?;
    let mut events = printer.subscribe();
    printer.start_job(1, JobSource::Lines(commands)).await?;
    job_stats(&mut events).await
}

async fn connected(
    port: &Path,
    baud: u32,
    flow: FlowMode,
    rx_buffer: usize,
) -> anyhow::Result<printer::PrinterHandle> {
    let mut config = PrinterConfig::new(port, baud);
    config.link.flow = flow;
    config.link.rx_buffer = rx_buffer;
    config.link.boot_wait = Duration::from_millis(500);
    let printer = printer::spawn(config);
    let mut status = printer.watch_status();
    let idle = status.wait_for(|s| s.state == PrinterState::Idle);
    let connected = matches!(tokio::time::timeout(PATIENCE, idle).await, Ok(Ok(_)));
    ensure!(connected, "{} did not connect", port.display());
    Ok(printer)
}

async fn job_stats(
    events: &mut tokio::sync::broadcast::Receiver<PrinterEvent>,
) -> anyhow::Result<JobStats> {
    let end = async {
        loop {
            match events.recv().await {
                Ok(PrinterEvent::JobFinished { stats, .. }) => return Ok(stats),
                Ok(PrinterEvent::JobFailed { reason, .. }) => bail!("job failed: {reason}"),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => bail!("driver stopped"),
                _ => {}
            }
        }
    };
    tokio::time::timeout(PATIENCE, end)
        .await
        .context("the job did not end")?
}
