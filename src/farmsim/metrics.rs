//! Figures of a simulated schedule, per order where orders matter: an order
//! completes with its last unit, weighs its largest unit weight and is due
//! at its earliest unit due time.

use super::instance::Model;
use super::sim::Outcome;
use serde::Serialize;

/// What `printfarm bench schedule --json` prints per policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Σ order weight × hours late.
    pub weighted_tardiness_h: f64,
    /// Jobs ending after their due time, %.
    pub tardy_jobs_pct: f64,
    /// Orders complete by their due time, %.
    pub orders_on_time_pct: f64,
    /// Material changes made.
    pub material_changes: u32,
    /// Printer-hours with a finished print on the bed and nobody on shift.
    pub overnight_blocked_printer_h: f64,
    /// Hours from the start to the last print's end.
    pub makespan_h: f64,
    /// Printing time over printers × makespan.
    pub utilisation: f64,
    /// Most prints heating at once.
    pub peak_heatups: u32,
    /// 99th percentile of one decision's time, ms.
    pub decide_p99_ms: f64,
    /// Jobs the policy never ran.
    pub unfinished_jobs: usize,
}

/// The figures of `outcome` on `model`.
pub fn figures(model: &Model, outcome: &Outcome) -> Figures {
    let orders = model.orders.len();
    let mut completion = vec![i64::MIN; orders];
    let mut weight = vec![0.0f64; orders];
    let mut due = vec![i64::MAX; orders];
    for job in &model.jobs {
        weight[job.order] = weight[job.order].max(job.weight);
        due[job.order] = due[job.order].min(job.due);
    }
    let mut tardy = 0usize;
    let mut printing = 0i64;
    let mut makespan = 0i64;
    for run in &outcome.runs {
        let job = &model.jobs[run.job];
        completion[job.order] = completion[job.order].max(run.end);
        tardy += usize::from(run.end > job.due);
        printing += run.end - run.start;
        makespan = makespan.max(run.end);
    }
    let hours = |s: i64| s as f64 / 3600.0;
    let late: Vec<f64> = (0..orders)
        .map(|o| match completion[o] {
            i64::MIN => f64::INFINITY,
            c => hours((c - due[o]).max(0)),
        })
        .collect();
    let weighted: f64 = (0..orders).map(|o| weight[o] * late[o]).sum();
    let on_time = late.iter().filter(|l| **l == 0.0).count();
    let blocked: i64 = outcome
        .blocked
        .iter()
        .map(|(_, from, to)| model.calendar.closed_within(*from, *to))
        .sum();
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    Figures {
        weighted_tardiness_h: weighted,
        tardy_jobs_pct: pct(tardy + outcome.unfinished, model.jobs.len()),
        orders_on_time_pct: pct(on_time, orders),
        material_changes: outcome.material_changes,
        overnight_blocked_printer_h: hours(blocked),
        makespan_h: hours(makespan),
        utilisation: printing as f64 / (model.printers.len() as f64 * makespan.max(1) as f64),
        peak_heatups: outcome.peak_heatups,
        decide_p99_ms: percentile(&outcome.decide_s, 0.99) * 1000.0,
        unfinished_jobs: outcome.unfinished,
    }
}

/// The `q` quantile of `values` (nearest rank); 0 when empty.
pub fn percentile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n => sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1],
    }
}
