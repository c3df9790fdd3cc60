//! The fleet part of `printfarm bench stream`: N printers streaming at once
//! from one process, with the CPU time the driver process spends per printer.

use super::{connected, job_stats, StreamArgs};
use crate::printer::JobSource;
use crate::protocol::FlowMode;
use anyhow::{ensure, Context};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// `/proc` reports CPU time in clock ticks of `USER_HZ`, 100 on Linux.
const USER_HZ: f64 = 100.0;

/// `n` printers streaming at once; the printers run in a child process so
/// that the CPU time measured is the driver's alone.
pub(super) async fn fleet(
    args: &StreamArgs,
    n: usize,
    commands: &[String],
) -> anyhow::Result<String> {
    let dir = std::env::temp_dir().join(format!("printfarm-bench-{}-{n}", std::process::id()));
    let mut child = spawn_sims(args, n, &dir)?;
    let result = match port_paths(&mut child, n) {
        Ok(ports) => fleet_with(args, &ports, commands).await,
        Err(e) => Err(e),
    };
    child.kill().context("stopping the sims")?;
    child.wait().context("waiting for the sims")?;
    let _ = std::fs::remove_dir_all(&dir); // only symlinks; leftovers are harmless
    result
}

async fn fleet_with(
    args: &StreamArgs,
    ports: &[PathBuf],
    commands: &[String],
) -> anyhow::Result<String> {
    let mut printers = Vec::with_capacity(ports.len());
    for port in ports {
        printers.push(connected(port, args.fleet_baud, FlowMode::Auto, 128).await?);
    }
    let (cpu_before, started) = (cpu_seconds()?, Instant::now());
    let mut jobs = Vec::with_capacity(printers.len());
    for printer in &printers {
        let mut events = printer.subscribe();
        printer
            .start_job(1, JobSource::Lines(commands.to_vec()))
            .await?;
        jobs.push(tokio::spawn(async move { job_stats(&mut events).await }));
    }
    let mut lines = 0;
    for job in jobs {
        lines += job.await.context("a job task failed")??.lines_sent;
    }
    let (cpu, wall) = (cpu_seconds()? - cpu_before, started.elapsed().as_secs_f64());
    let n = ports.len() as f64;
    Ok(format!(
        "| {} | {:.0} | {wall:.2} | {cpu:.2} | {:.1} | {:.1} |",
        ports.len(),
        lines as f64 / wall,
        cpu * 1e3 / n,
        cpu * 1e6 / lines.max(1) as f64
    ))
}

fn spawn_sims(args: &StreamArgs, n: usize, dir: &Path) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("locating the printfarm binary")?;
    Command::new(exe)
        .args(["sim", "--count", &n.to_string(), "--advanced-ok"])
        .args(["--baud", &args.fleet_baud.to_string(), "--latency-ms", "2"])
        .args(["--speed", &args.speed.to_string()])
        .arg("--link-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting `printfarm sim`")
}

/// Reads the `printerN -> /dev/pts/M` lines the sims print.
fn port_paths(child: &mut Child, n: usize) -> anyhow::Result<Vec<PathBuf>> {
    let stdout = child
        .stdout
        .take()
        .context("no output from `printfarm sim`")?;
    let mut ports = Vec::with_capacity(n);
    for line in BufReader::new(stdout).lines().take(n) {
        let line = line.context("reading `printfarm sim` output")?;
        let (_, path) = line.split_once(" -> ").context("unexpected sim output")?;
        ports.push(PathBuf::from(path));
    }
    ensure!(
        ports.len() == n,
        "`printfarm sim` started {} of {n} printers",
        ports.len()
    );
    Ok(ports)
}

/// User plus system CPU time of this process so far, from `/proc/self/stat`.
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| -> anyhow::Result<f64> {
        let field = fields.get(i).context("short /proc/self/stat")?;
        Ok(field.parse::<f64>().context("bad /proc/self/stat")? / USER_HZ)
    };
    Ok(tick(11)? + tick(12)?)
}
