//! `printfarm print`: streams one G-code file to one printer.

use crate::domain::FailureCause;
use crate::printer::{
    self, JobSource, JobStats, PrinterConfig, PrinterEvent, PrinterHandle, PrinterState,
};
use crate::protocol::FlowMode;
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Arguments of `printfarm print`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Serial device or pseudo-terminal of the printer.
    #[arg(long)]
    pub port: PathBuf,
    /// Baud rate.
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// Flow control: auto, ping-pong, counting or advanced.
    #[arg(long, default_value_t = FlowMode::Auto)]
    pub flow: FlowMode,
    /// The firmware's receive buffer in bytes (for counting).
    #[arg(long, default_value_t = 128)]
    pub rx_buffer: usize,
    /// Seconds to wait for the printer to connect.
    #[arg(long, default_value_t = 30)]
    pub connect_timeout: u64,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
    /// The G-code file.
    pub file: PathBuf,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let stats = runtime.block_on(print(&args))?;
    report(&args, &stats)?;
    Ok(ExitCode::SUCCESS)
}

async fn print(args: &Args) -> anyhow::Result<JobStats> {
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    let mut config = PrinterConfig::new(&args.port, args.baud);
    config.link.flow = args.flow;
    config.link.rx_buffer = args.rx_buffer;
    let printer = printer::spawn(config);
    wait_until_idle(&printer, args).await?;
    let mut events = printer.subscribe();
    printer
        .start_job(1, JobSource::File(args.file.clone()))
        .await
        .context("starting the job")?;
    let bar = progress_bar(size);
    let outcome = follow(&printer, &mut events, &bar).await;
    bar.finish_and_clear();
    outcome
}

async fn wait_until_idle(printer: &PrinterHandle, args: &Args) -> anyhow::Result<()> {
    let mut status = printer.watch_status();
    let timeout = Duration::from_secs(args.connect_timeout);
    let idle = status.wait_for(|s| s.state == PrinterState::Idle);
    if tokio::time::timeout(timeout, idle).await.is_err() {
        let why = printer
            .status()
            .last_error
            .unwrap_or_else(|| "no answer".to_owned());
        bail!(
            "cannot connect to {} within {timeout:?}: {why}",
            args.port.display()
        );
    }
    Ok(())
}

fn progress_bar(size: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {percent}% eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(size).with_style(style)
}

/// How long Ctrl-C waits for the cancel script to be acknowledged.
const CANCEL_DRAIN: Duration = Duration::from_secs(5);

/// Waits for the end of the job, updating the bar; Ctrl-C cancels.
async fn follow(
    printer: &PrinterHandle,
    events: &mut tokio::sync::broadcast::Receiver<PrinterEvent>,
    bar: &ProgressBar,
) -> anyhow::Result<JobStats> {
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = tokio::signal::ctrl_c() => {
                printer.cancel().await.context("cancelling")?;
                // The cancel script must reach the firmware before we exit.
                let _ = tokio::time::timeout(CANCEL_DRAIN, printer.when_idle()).await;
                bail!("cancelled");
            }
        };
        match event {
            Ok(PrinterEvent::Progress(p)) => bar.set_position(p.bytes_acked),
            Ok(PrinterEvent::JobFinished { stats, .. }) => return Ok(stats),
            Ok(PrinterEvent::JobFailed {
                cause,
                reason,
                last_acked_line,
                ..
            }) => {
                bail!(
                    "{} at line {last_acked_line}",
                    describe_failure(cause, &reason)
                )
            }
            Ok(PrinterEvent::JobCancelled { .. }) => bail!("the job was cancelled"),
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => bail!("the printer task stopped"),
        }
    }
}

/// The failure in words, by whose fault it was.
fn describe_failure(cause: FailureCause, reason: &str) -> String {
    match cause {
        FailureCause::PrinterDisconnected => format!("printer {reason}"),
        FailureCause::JobLineRejected
        | FailureCause::JobUnreadable
        | FailureCause::JobFileMissing => {
            format!("the file cannot be printed: {reason}")
        }
        FailureCause::OperatorEmergencyStop => "emergency stop".to_owned(),
        _ => format!("printer halted: {reason}"),
    }
}

fn report(args: &Args, stats: &JobStats) -> anyhow::Result<()> {
    let seconds = stats.duration.as_secs_f64();
    if args.json {
        let summary = serde_json::json!({
            "lines_sent": stats.lines_sent,
            "bytes_sent": stats.bytes_sent,
            "resends": stats.resends,
            "duration_s": seconds,
        });
        println!(
            "{}",
            serde_json::to_string(&summary).context("writing the summary")?
        );
    } else {
        eprintln!(
            "printed {}: {} lines, {} bytes, {} resends in {seconds:.1} s",
            args.file.display(),
            stats.lines_sent,
            stats.bytes_sent,
            stats.resends
        );
    }
    Ok(())
}
