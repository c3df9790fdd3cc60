//! Scheduling policies the simulator compares: `edd` (earliest due date,
//! printfarm's rule until now), `atcs` (Lee & Pinedo's apparent tardiness
//! cost with setups) and `printfarm` (the time-aware rule: a job costs the
//! time it blocks its printer, until someone on shift can clear the bed;
//! material changes are avoided when a printer with that material is free
//! soon; the heat-up cap is respected). All are pure functions of a view.

use super::instance::{Job, Model};

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

/// The time-aware rule (see the module).
#[derive(Debug, Clone)]
pub struct Printfarm {
    /// Due-date look-ahead, in mean print times.
    pub k1: f64,
    /// Setup constant, in material-change times.
    pub k2: f64,
    /// How soon another printer with the job's material must be free for
    /// a change here to be avoided, s.
    pub material_horizon: i64,
    /// Slack beyond which jobs are equally not urgent, s (so that far-off
    /// due dates do not outweigh a material change).
    pub slack_cap: i64,
}

impl Default for Printfarm {
    fn default() -> Self {
        Printfarm {
            k1: 2.0,
            k2: 0.5,
            material_horizon: 4 * 3600,
            slack_cap: 36 * 3600,
        }
    }
}

impl Printfarm {
    /// When the bed of a print ending at `end` is cleared.
    fn cleared(view: &View<'_>, end: i64) -> i64 {
        let open = view
            .model
            .calendar
            .next_open(end)
            .unwrap_or(end + 7 * 86_400);
        open + view.model.bed_clear
    }

    /// When a material change asked for now is done.
    fn changed(view: &View<'_>) -> i64 {
        let open = view
            .model
            .calendar
            .next_open(view.now)
            .unwrap_or(view.now + 7 * 86_400);
        open + view.model.material_change
    }

    /// True when another printer with `load` is free, or will be within the horizon.
    fn load_elsewhere(&self, view: &View<'_>, printer: usize, job: &Job) -> bool {
        view.loads.iter().enumerate().any(|(other, load)| {
            other != printer
                && *load == job.load
                && job.fits(&view.model.printers[other])
                && (view.free.contains(&other)
                    || view.free_at[other].is_some_and(|t| t <= view.now + self.material_horizon))
        })
    }

    fn index(&self, view: &View<'_>, printer: usize, job: &Job, mean_p: f64) -> f64 {
        let p = &view.model.printers[printer];
        let change = job.load != view.loads[printer];
        let start = if change {
            Self::changed(view)
        } else {
            view.now
        };
        let end = start + job.seconds_on(p);
        let blocked = (Self::cleared(view, end) - view.now) as f64;
        let due = view.order_due[job.order].min(job.due);
        let late = end > due;
        let slack = (due - end).clamp(0, self.slack_cap) as f64;
        let weight = view.order_weight[job.order].max(job.weight).max(0.01);
        let setup = (start - view.now) as f64;
        let productive = job.seconds_on(p) as f64 / blocked;
        let mut index = weight / blocked
            * productive
            * (-slack / (self.k1 * mean_p)).exp()
            * (-setup / (self.k2 * (view.model.material_change as f64).max(60.0))).exp();
        if change && !late && self.load_elsewhere(view, printer, job) {
            index *= 0.05;
        }
        if late {
            index *= 1.0 + (end - due) as f64 / mean_p;
        }
        index
    }
}

impl Policy for Printfarm {
    fn decide(&mut self, view: &View<'_>) -> Vec<Assignment> {
        let mean_p = mean_duration(view);
        let mut free: Vec<usize> = view.free.to_vec();
        let mut taken = vec![false; view.waiting.len()];
        let mut out = Vec::new();
        let mut slots = view.heatup_slots;
        while slots > 0 && !free.is_empty() {
            let mut best: Option<(f64, usize, usize)> = None;
            for (fi, &printer) in free.iter().enumerate() {
                let p = &view.model.printers[printer];
                for (wi, &j) in view.waiting.iter().enumerate() {
                    let job = &view.model.jobs[j];
                    if taken[wi] || !job.fits(p) {
                        continue;
                    }
                    let index = self.index(view, printer, job, mean_p);
                    if best.is_none_or(|(b, _, _)| index > b) {
                        best = Some((index, fi, wi));
                    }
                }
            }
            let Some((_, fi, wi)) = best else { break };
            taken[wi] = true;
            out.push(Assignment {
                job: view.waiting[wi],
                printer: free.swap_remove(fi),
            });
            slots -= 1;
        }
        out
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
