//! Scheduling policies the simulator compares: `edd` (earliest due date,
//! printfarm's rule until now), `atcs` (Lee & Pinedo's apparent tardiness
//! cost with setups) and `printfarm` (the time-aware rule: a job costs the
//! time it blocks its printer, until someone on shift can clear the bed;
//! material changes are avoided when a printer with that material is free
//! soon; the heat-up cap is respected). All are pure functions of a view.

use super::instance::{Job, Model};
use crate::scheduler::timed::{Clock, Round, Station, TimedRule, Work};

/// What a policy sees at a decision point.
#[derive(Debug)]
pub struct View<'a> {
    /// Seconds since the start.
    pub now: i64,
    /// The farm and its work.
    pub model: &'a Model,
    /// Released jobs not assigned yet.
    pub waiting: &'a [usize],
    /// Printers idle with a clear bed, idle longest first.
    pub free: &'a [usize],
    /// Each printer's material/colour (after changes asked for).
    pub loads: &'a [String],
    /// Busy printers' expected free time (print end, bed cleared).
    pub free_at: &'a [Option<i64>],
    /// Prints that may start heating now.
    pub heatup_slots: u32,
    /// Each order's weight (its largest unit weight).
    pub order_weight: &'a [f64],
    /// Each order's due time (its earliest unit due time).
    pub order_due: &'a [i64],
}

/// A job given to a printer (a material change first when loads differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// Job index.
    pub job: usize,
    /// Printer index.
    pub printer: usize,
}

/// A scheduling rule.
pub trait Policy {
    /// Assignments for now; printers left out stay idle.
    fn decide(&mut self, view: &View<'_>) -> Vec<Assignment>;
}

/// The policies by name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PolicyKind {
    /// Earliest due date on the printer idle longest.
    Edd,
    /// ATCS with its two constants.
    Atcs {
        /// Due-date look-ahead constant.
        k1: f64,
        /// Setup constant.
        k2: f64,
    },
    /// The time-aware rule.
    Printfarm,
}

impl PolicyKind {
    /// The policy itself.
    pub fn build(self) -> Box<dyn Policy> {
        match self {
            PolicyKind::Edd => Box::new(Edd),
            PolicyKind::Atcs { k1, k2 } => Box::new(Atcs { k1, k2 }),
            PolicyKind::Printfarm => Box::new(Printfarm::default()),
        }
    }

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Edd => "edd",
            PolicyKind::Atcs { .. } => "atcs",
            PolicyKind::Printfarm => "printfarm",
        }
    }
}

/// Earliest due date first, each free printer in turn; materials ignored.
pub struct Edd;

impl Policy for Edd {
    fn decide(&mut self, view: &View<'_>) -> Vec<Assignment> {
        let mut taken = vec![false; view.waiting.len()];
        let mut out = Vec::new();
        for &printer in view.free {
            let p = &view.model.printers[printer];
            let best = view
                .waiting
                .iter()
                .enumerate()
                .filter(|(i, &j)| !taken[*i] && view.model.jobs[j].fits(p))
                .min_by_key(|(_, &j)| (view.model.jobs[j].due, view.model.jobs[j].release, j));
            if let Some((i, &job)) = best {
                taken[i] = true;
                out.push(Assignment { job, printer });
            }
        }
        out
    }
}

/// Mean print time of the waiting jobs at speed 1, s (at least a minute).
fn mean_duration(view: &View<'_>) -> f64 {
    let n = view.waiting.len().max(1) as f64;
    let total: f64 = view
        .waiting
        .iter()
        .map(|&j| view.model.jobs[j].duration)
        .sum();
    (total / n).max(60.0)
}

/// Lee & Pinedo's ATCS index, each free printer in turn.
pub struct Atcs {
    k1: f64,
    k2: f64,
}

impl Policy for Atcs {
    fn decide(&mut self, view: &View<'_>) -> Vec<Assignment> {
        let mean_p = mean_duration(view);
        let mean_s = (view.model.material_change as f64).max(1.0);
        let mut taken = vec![false; view.waiting.len()];
        let mut out = Vec::new();
        for &printer in view.free {
            let p = &view.model.printers[printer];
            let index = |job: &Job| {
                let duration = job.seconds_on(p) as f64;
                let setup = if job.load == view.loads[printer] {
                    0.0
                } else {
                    mean_s
                };
                let slack = (job.due as f64 - duration - setup - view.now as f64).max(0.0);
                job.weight.max(0.01) / duration
                    * (-slack / (self.k1 * mean_p)).exp()
                    * (-setup / (self.k2 * mean_s)).exp()
            };
            let best = view
                .waiting
                .iter()
                .enumerate()
                .filter(|(i, &j)| !taken[*i] && view.model.jobs[j].fits(p))
                .max_by(|(_, &a), (_, &b)| {
                    index(&view.model.jobs[a]).total_cmp(&index(&view.model.jobs[b]))
                });
            if let Some((i, &job)) = best {
                taken[i] = true;
                out.push(Assignment { job, printer });
            }
        }
        out
    }
}

/// The time-aware rule, the one `serve` runs: [`TimedRule`] over the
/// simulator's view.
#[derive(Debug, Clone, Default)]
pub struct Printfarm {
    /// The rule and its constants.
    pub rule: TimedRule,
}

impl Policy for Printfarm {
    fn decide(&mut self, view: &View<'_>) -> Vec<Assignment> {
        let model = view.model;
        let jobs: Vec<Work> = view
            .waiting
            .iter()
            .map(|&j| {
                let job = &model.jobs[j];
                Work {
                    due: view.order_due[job.order].min(job.due),
                    weight: view.order_weight[job.order].max(job.weight),
                    duration: job.duration,
                }
            })
            .collect();
        let printers: Vec<Station> = model
            .printers
            .iter()
            .enumerate()
            .map(|(p, printer)| Station {
                speed: printer.speed,
                free_at: view.free_at[p],
                wear_h: 0.0,
            })
            .collect();
        let round = Round {
            clock: Clock {
                now: view.now,
                calendar: Some(&model.calendar),
                bed_clear: model.bed_clear,
                material_change: model.material_change,
            },
            jobs: &jobs,
            printers: &printers,
            free: view.free,
            heatup_slots: view.heatup_slots,
            fit: |j: usize, p: usize| {
                let job = &model.jobs[view.waiting[j]];
                job.fits(&model.printers[p])
                    .then(|| job.load != view.loads[p])
            },
        };
        self.rule
            .decide(&round)
            .into_iter()
            .map(|pick| Assignment {
                job: view.waiting[pick.job],
                printer: pick.printer,
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
