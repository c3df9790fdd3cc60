//! `printfarm bench schedule`: the scheduling policies side by side in the
//! farm simulator, on an instance file or on generated instances (medians
//! over seeds). `atcs` has its two constants tuned by grid on each
//! instance; `printfarm` runs with its fixed defaults.

use crate::farmsim::generate::{generate, Recipe};
use crate::farmsim::metrics::{figures, Figures};
use crate::farmsim::sim::{simulate, Outcome};
use crate::farmsim::{Instance, Model, PolicyKind};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `printfarm bench schedule`.
#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// An instance file (JSON); otherwise instances are generated.
    #[arg(long)]
    pub instance: Option<PathBuf>,
    /// Generate instances (the default without `--instance`).
    #[arg(long)]
    pub generate: bool,
    /// Printers of a generated instance.
    #[arg(long, default_value_t = 40)]
    pub printers: usize,
    /// Jobs of a generated instance.
    #[arg(long, default_value_t = 800)]
    pub jobs: usize,
    /// Work over shift-adjusted capacity.
    #[arg(long, default_value_t = 0.9)]
    pub load: f64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seeds to run (medians are reported).
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// Print JSON instead of a markdown table.
    #[arg(long)]
    pub json: bool,
    /// Write the `printfarm` schedule of the (first) instance as JSON lines.
    #[arg(long)]
    pub schedule_out: Option<PathBuf>,
    /// Write the (first) generated instance to this file.
    #[arg(long)]
    pub instance_out: Option<PathBuf>,
}

const K1: [f64; 5] = [0.5, 1.0, 2.0, 3.0, 4.0];
const K2: [f64; 4] = [0.1, 0.3, 0.6, 1.0];

/// Runs the comparison and prints it.
pub fn run(args: &ScheduleArgs) -> anyhow::Result<()> {
    let instances: Vec<Instance> = match &args.instance {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            vec![serde_json::from_str(&text)
                .with_context(|| format!("{}: not an instance", path.display()))?]
        }
        None => (0..args.seeds.max(1))
            .map(|i| {
                generate(Recipe {
                    printers: args.printers,
                    jobs: args.jobs,
                    load: args.load,
                    seed: args.seed + i,
                })
            })
            .collect(),
    };
    if let (Some(path), Some(first)) = (&args.instance_out, instances.first()) {
        std::fs::write(path, serde_json::to_string_pretty(first)?)?;
    }
    let mut rows: Vec<[Figures; 3]> = Vec::new();
    for (i, instance) in instances.iter().enumerate() {
        let model = instance
            .model()
            .map_err(|e| anyhow::anyhow!("instance: {e}"))?;
        let (edd, _) = run_policy(&model, PolicyKind::Edd);
        let atcs = tuned_atcs(&model);
        let (printfarm, outcome) = run_policy(&model, PolicyKind::Printfarm);
        if i == 0 {
            if let Some(path) = &args.schedule_out {
                write_schedule(path, &model, &outcome)?;
            }
        }
        rows.push([edd, atcs, printfarm]);
    }
    let medians: Vec<(&str, Figures)> = ["edd", "atcs", "printfarm"]
        .into_iter()
        .enumerate()
        .map(|(p, name)| (name, median(rows.iter().map(|r| &r[p]))))
        .collect();
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> = medians
            .iter()
            .map(|(name, f)| {
                (
                    name.to_string(),
                    serde_json::to_value(f).unwrap_or_default(),
                )
            })
            .collect();
        println!("{}", serde_json::Value::Object(map));
    } else {
        print_table(&medians, rows.len());
    }
    Ok(())
}

fn run_policy(model: &Model, kind: PolicyKind) -> (Figures, Outcome) {
    let mut policy = kind.build();
    let outcome = simulate(model, policy.as_mut());
    (figures(model, &outcome), outcome)
}

/// ATCS with the constants of the grid that give the least weighted tardiness.
fn tuned_atcs(model: &Model) -> Figures {
    let mut best: Option<Figures> = None;
    for k1 in K1 {
        for k2 in K2 {
            let (f, _) = run_policy(model, PolicyKind::Atcs { k1, k2 });
            if best
                .as_ref()
                .is_none_or(|b| f.weighted_tardiness_h < b.weighted_tardiness_h)
            {
                best = Some(f);
            }
        }
    }
    best.unwrap_or_default()
}

/// Each figure's median over the instances.
fn median<'a>(all: impl Iterator<Item = &'a Figures>) -> Figures {
    let all: Vec<&Figures> = all.collect();
    let m = |get: fn(&Figures) -> f64| {
        let mut v: Vec<f64> = all.iter().map(|f| get(f)).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    Figures {
        weighted_tardiness_h: m(|f| f.weighted_tardiness_h),
        tardy_jobs_pct: m(|f| f.tardy_jobs_pct),
        orders_on_time_pct: m(|f| f.orders_on_time_pct),
        material_changes: m(|f| f64::from(f.material_changes)) as u32,
        overnight_blocked_printer_h: m(|f| f.overnight_blocked_printer_h),
        makespan_h: m(|f| f.makespan_h),
        utilisation: m(|f| f.utilisation),
        peak_heatups: m(|f| f64::from(f.peak_heatups)) as u32,
        decide_p99_ms: m(|f| f.decide_p99_ms),
        unfinished_jobs: m(|f| f.unfinished_jobs as f64) as usize,
    }
}

fn print_table(rows: &[(&str, Figures)], instances: usize) {
    println!("Medians over {instances} instance(s).\n");
    println!("| policy | weighted tardiness h | tardy jobs % | orders on time % | material changes | overnight blocked printer-h | makespan h | utilisation | peak heat-ups | decide p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, f) in rows {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {} | {:.1} | {:.1} | {:.2} | {} | {:.3} |",
            f.weighted_tardiness_h,
            f.tardy_jobs_pct,
            f.orders_on_time_pct,
            f.material_changes,
            f.overnight_blocked_printer_h,
            f.makespan_h,
            f.utilisation,
            f.peak_heatups,
            f.decide_p99_ms
        );
    }
}

/// The schedule as JSON lines `{job, printer, start, end, setup_s}`.
fn write_schedule(path: &PathBuf, model: &Model, outcome: &Outcome) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let at = |s: i64| {
        model
            .start
            .checked_add(jiff::SignedDuration::from_secs(s))
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    for run in &outcome.runs {
        let line = serde_json::json!({
            "job": model.jobs[run.job].id,
            "printer": model.printers[run.printer].name,
            "start": at(run.start),
            "end": at(run.end),
            "setup_s": run.setup,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}
