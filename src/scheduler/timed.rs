//! The time-aware rule: which waiting job each free printer should take,
//! knowing the clock. `serve` (through `farm::schedule`) and the farm
//! simulator (`farmsim::policy::Printfarm`) both call [`TimedRule::decide`].
//!
//! It starts from Lee & Pinedo's ATCS index (weight over processing time,
//! discounted by slack and by set-up time) and changes what "processing
//! time" means: a print costs the time it **blocks its printer**, until
//! someone on shift can clear the bed, so a ten-hour print suits the evening
//! and a short one the day. Three look-aheads follow from that:
//!
//! - A print that would spend most of its blocked time finished on the bed
//!   (printing less than [`TimedRule::defer_below`] of it) is not started
//!   when its job still makes its due date starting once that bed would
//!   have been cleared: the printer stays free for a longer job or for one
//!   released while nobody is there.
//! - A material change needs a person: it is asked for only while someone
//!   is on shift, and not while the job is not late and another printer
//!   with that material is free or soon will be (the job waits for it).
//! - A job late even if it started now is tardy whatever happens; it gives
//!   way ([`TimedRule::hopeless`]) to jobs that can still be on time, as in
//!   Moore & Hodgson's rule for the number of tardy jobs, without being
//!   shelved (its weight still counts).
//!
//! Never more prints start than the heat-up cap allows. Among equal
//! choices the printer with fewer hours since its service wins.

use crate::domain::calendar::Calendar;

/// The moment a round decides at and the people who act on its decisions.
#[derive(Debug, Clone, Copy)]
pub struct Clock<'a> {
    /// Now, in seconds on the calendar's scale.
    pub now: i64,
    /// Operator shifts; `None` means someone is always there.
    pub calendar: Option<&'a Calendar>,
    /// Seconds a person takes to clear a bed.
    pub bed_clear: i64,
    /// Seconds a person takes to change a material.
    pub material_change: i64,
}

impl Clock<'_> {
    /// The first moment at or after `t` when someone is on shift (a week
    /// on when the calendar runs out).
    pub fn next_open(&self, t: i64) -> i64 {
        match self.calendar {
            None => t,
            Some(calendar) => calendar.next_open(t).unwrap_or(t + 7 * 86_400),
        }
    }

    /// The first shift boundary after `t`, if shifts are known.
    pub fn next_change(&self, t: i64) -> Option<i64> {
        self.calendar.and_then(|calendar| calendar.next_change(t))
    }

    /// When the bed of a print ending at `end` is clear again.
    pub fn cleared(&self, end: i64) -> i64 {
        self.next_open(end) + self.bed_clear
    }
}

/// A waiting job as the rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Work {
    /// Its order's due time (the earliest of its units), s; far in the
    /// future when it has none.
    pub due: i64,
    /// Its order's weight (the largest of its units).
    pub weight: f64,
    /// Print time at speed 1, s.
    pub duration: f64,
}

/// A printer as the rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Station {
    /// Print-time factor (2.0 prints twice as fast).
    pub speed: f64,
    /// When a busy printer is expected to take work again (print end, bed
    /// cleared); `None` when free or unknown.
    pub free_at: Option<i64>,
    /// Hours printed since its last service.
    pub wear_h: f64,
}

/// Everything one decision looks at.
pub struct Round<'a, F: Fn(usize, usize) -> Option<bool>> {
    /// The clock and the calendar.
    pub clock: Clock<'a>,
    /// Waiting jobs, oldest first (ties go to the earlier one).
    pub jobs: &'a [Work],
    /// Every printer.
    pub printers: &'a [Station],
    /// Indexes of the printers free now, preferred first.
    pub free: &'a [usize],
    /// Prints that may start heating now.
    pub heatup_slots: u32,
    /// Whether job `j` can print on printer `p` as loaded (`Some(false)`),
    /// after a material change (`Some(true)`), or not at all (`None`).
    pub fit: F,
}

/// A decision: `job` on `printer`, after a material change when `change`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    /// Index into [`Round::jobs`].
    pub job: usize,
    /// Index into [`Round::printers`].
    pub printer: usize,
    /// True when the printer's material must be changed first.
    pub change: bool,
}

/// The rule's constants.
#[derive(Debug, Clone)]
pub struct TimedRule {
    /// Due-date look-ahead, in mean print times.
    pub k1: f64,
    /// Set-up constant, in material-change times.
    pub k2: f64,
    /// How soon another printer with the job's material must be free for
    /// a change here to be avoided, s.
    pub material_horizon: i64,
    /// Slack beyond which jobs are equally not urgent, s (so that far-off
    /// due dates do not outweigh a material change).
    pub slack_cap: i64,
    /// Share of its blocked time a print must spend printing to start now
    /// when its job could wait for the bed to be cleared anyway.
    pub defer_below: f64,
    /// Factor on the index of a job that would be late even if it started
    /// now (1.0: no difference; smaller: jobs still savable go first).
    pub hopeless: f64,
}

impl Default for TimedRule {
    fn default() -> Self {
        TimedRule {
            k1: 1.0,
            k2: 0.5,
            material_horizon: 4 * 3600,
            slack_cap: 36 * 3600,
            defer_below: 0.35,
            hopeless: 0.5,
        }
    }
}

/// A candidate's score: the index, then less wear first.
#[derive(Debug, Clone, Copy)]
struct Score {
    index: f64,
    wear_h: f64,
}

impl Score {
    fn beats(&self, other: &Score) -> bool {
        let scale = self
            .index
            .abs()
            .max(other.index.abs())
            .max(f64::MIN_POSITIVE);
        if (self.index - other.index).abs() <= scale * 1e-9 {
            self.wear_h < other.wear_h
        } else {
            self.index > other.index
        }
    }
}

impl TimedRule {
    /// The picks for this round: at most one job per free printer, at most
    /// [`Round::heatup_slots`] in all, the best (job, printer) pair first.
    pub fn decide<F: Fn(usize, usize) -> Option<bool>>(&self, round: &Round<'_, F>) -> Vec<Pick> {
        let slots = (round.heatup_slots as usize).min(round.free.len());
        if slots == 0 || round.jobs.is_empty() {
            return Vec::new();
        }
        let mut elsewhere = Elsewhere::new(round, self.material_horizon);
        let mean_p = mean_duration(round.jobs);
        let mut rankings: Vec<Ranking> = Vec::new();
        // Each free printer's best `slots` candidates: the greedy below
        // never needs more, since each pick takes one job.
        let mut shortlists = Vec::with_capacity(round.free.len());
        for &p in round.free {
            let speed = round.printers[p].speed;
            let r = match rankings.iter().position(|r| r.speed == speed) {
                Some(r) => r,
                None => {
                    rankings.push(self.rank(round, speed, mean_p));
                    rankings.len() - 1
                }
            };
            shortlists.push(shortlist(round, &rankings[r], &mut elsewhere, p, slots));
        }
        greedy(round, &shortlists, slots)
    }

    /// Every job's index on a printer of `speed`, as loaded and after a
    /// change, and the jobs by the better of the two, best first.
    fn rank<F: Fn(usize, usize) -> Option<bool>>(
        &self,
        round: &Round<'_, F>,
        speed: f64,
        mean_p: f64,
    ) -> Ranking {
        let jobs = round.jobs;
        let plain: Vec<Option<Base>> = (0..jobs.len())
            .map(|j| self.index(&round.clock, &jobs[j], speed, false, mean_p))
            .collect();
        let changed: Vec<Option<Base>> = (0..jobs.len())
            .map(|j| self.index(&round.clock, &jobs[j], speed, true, mean_p))
            .collect();
        let mut ranking = Ranking {
            speed,
            order: Vec::new(),
            plain,
            changed,
        };
        let bounds: Vec<f64> = (0..jobs.len()).map(|j| ranking.bound(j)).collect();
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_unstable_by(|&a, &b| bounds[b].total_cmp(&bounds[a]).then(a.cmp(&b)));
        ranking.order = order;
        ranking
    }

    /// The ATCS-like index of `job` on a printer of `speed`, with or without
    /// a material change first; `None` when the job should not start there
    /// now (a change with nobody on shift, or a print that would mostly sit
    /// on the bed while its job can wait). It does not depend on anything
    /// else about the printer, which lets a round rank the queue once.
    fn index(
        &self,
        clock: &Clock<'_>,
        job: &Work,
        speed: f64,
        change: bool,
        mean_p: f64,
    ) -> Option<Base> {
        let now = clock.now;
        if change && clock.next_open(now) > now {
            return None;
        }
        let start = if change {
            now + clock.material_change
        } else {
            now
        };
        let printing = seconds_at(job, speed);
        let end = start + printing;
        let blocked_s = (clock.cleared(end) - now).max(1);
        let blocked = blocked_s as f64;
        let productive = printing as f64 / blocked;
        // Only a bed that waits for a shift makes a print wait: with someone
        // there, a short print is simply short.
        let waits_for_shift = clock.next_open(end) > end;
        if waits_for_shift
            && productive < self.defer_below
            && job.due.saturating_sub(end) > blocked_s
        {
            return None;
        }
        let slack = (job.due.saturating_sub(end)).clamp(0, self.slack_cap) as f64;
        let setup = (start - now) as f64;
        let mut index = job.weight.max(0.01) / blocked
            * productive
            * (-slack / (self.k1 * mean_p)).exp()
            * (-setup / (self.k2 * (clock.material_change as f64).max(60.0))).exp();
        if now.saturating_add(printing) > job.due {
            index *= self.hopeless;
        }
        Some(Base {
            index,
            late: end > job.due,
        })
    }
}

/// A job's index on printers of one speed, before the one thing that
/// depends on the printer itself (another printer with the material).
#[derive(Debug, Clone, Copy)]
struct Base {
    index: f64,
    late: bool,
}

/// A change that is not late scores this share while another printer with
/// the material is free or soon will be.
const CHANGE_ELSEWHERE: f64 = 0.05;

/// The queue ranked for printers of one speed (see [`TimedRule::rank`]).
struct Ranking {
    speed: f64,
    order: Vec<usize>,
    plain: Vec<Option<Base>>,
    changed: Vec<Option<Base>>,
}

impl Ranking {
    /// The best index job `j` can have on any printer of this speed.
    fn bound(&self, j: usize) -> f64 {
        let index = |b: Option<Base>| b.map_or(f64::NEG_INFINITY, |b| b.index);
        index(self.plain[j]).max(index(self.changed[j]))
    }
}

/// `printer`'s best `keep` candidates, best first: the ranking walked until
/// no job left could beat the worst one kept (a later job at most equal to
/// it loses the tie on its place in the queue).
fn shortlist<F: Fn(usize, usize) -> Option<bool>>(
    round: &Round<'_, F>,
    ranking: &Ranking,
    elsewhere: &mut Elsewhere,
    printer: usize,
    keep: usize,
) -> Vec<(Score, usize, bool)> {
    let wear_h = round.printers[printer].wear_h;
    let mut kept: Vec<(Score, usize, bool)> = Vec::with_capacity(keep + 1);
    for &j in &ranking.order {
        let bound = ranking.bound(j);
        if bound == f64::NEG_INFINITY || kept.len() == keep && bound <= kept[keep - 1].0.index {
            break;
        }
        let Some(change) = (round.fit)(j, printer) else {
            continue;
        };
        let base = if change {
            ranking.changed[j]
        } else {
            ranking.plain[j]
        };
        let Some(Base { mut index, late }) = base else {
            continue;
        };
        if change && !late && elsewhere.other_than(round, j, printer) {
            index *= CHANGE_ELSEWHERE;
        }
        let at = kept.partition_point(|(s, k, _)| s.index > index || s.index == index && *k < j);
        kept.insert(at, (Score { index, wear_h }, j, change));
        kept.truncate(keep);
    }
    kept
}

/// Which printers, free now or soon, could take a job without a change:
/// worked out per job the first time a change is weighed for it.
struct Elsewhere {
    soon: Vec<usize>,
    found: Vec<Option<[Option<usize>; 2]>>,
}

impl Elsewhere {
    fn new<F: Fn(usize, usize) -> Option<bool>>(round: &Round<'_, F>, horizon: i64) -> Elsewhere {
        let until = round.clock.now + horizon;
        let soon = (0..round.printers.len())
            .filter(|p| {
                round.free.contains(p) || round.printers[*p].free_at.is_some_and(|t| t <= until)
            })
            .collect();
        Elsewhere {
            soon,
            found: vec![None; round.jobs.len()],
        }
    }

    /// True when a printer other than `printer` has job `j`'s material and
    /// is free or soon will be.
    fn other_than<F: Fn(usize, usize) -> Option<bool>>(
        &mut self,
        round: &Round<'_, F>,
        j: usize,
        printer: usize,
    ) -> bool {
        let soon = &self.soon;
        let two = *self.found[j].get_or_insert_with(|| {
            let mut matching = soon
                .iter()
                .copied()
                .filter(|&o| (round.fit)(j, o) == Some(false));
            [matching.next(), matching.next()]
        });
        two.iter().flatten().any(|&o| o != printer)
    }
}

/// Takes the best remaining (job, printer) pair until slots, printers or
/// shortlists run out.
fn greedy<F: Fn(usize, usize) -> Option<bool>>(
    round: &Round<'_, F>,
    shortlists: &[Vec<(Score, usize, bool)>],
    slots: usize,
) -> Vec<Pick> {
    let mut taken = vec![false; round.jobs.len()];
    let mut printer_done = vec![false; round.free.len()];
    let mut picks = Vec::new();
    while picks.len() < slots {
        let mut best: Option<(Score, usize, usize, bool)> = None;
        for (f, list) in shortlists.iter().enumerate() {
            if printer_done[f] {
                continue;
            }
            let Some(&(score, j, change)) = list.iter().find(|(_, j, _)| !taken[*j]) else {
                continue;
            };
            if best.is_none_or(|(b, ..)| score.beats(&b)) {
                best = Some((score, f, j, change));
            }
        }
        let Some((_, f, j, change)) = best else { break };
        taken[j] = true;
        printer_done[f] = true;
        let printer = round.free[f];
        picks.push(Pick {
            job: j,
            printer,
            change,
        });
    }
    picks
}

/// Seconds `job` prints on `station`.
pub fn seconds_on(job: &Work, station: &Station) -> i64 {
    seconds_at(job, station.speed)
}

/// Seconds `job` prints at `speed`.
fn seconds_at(job: &Work, speed: f64) -> i64 {
    (job.duration / speed.max(1e-6)).ceil().max(1.0) as i64
}

/// Mean print time of the waiting jobs at speed 1, s (at least a minute).
fn mean_duration(jobs: &[Work]) -> f64 {
    let total: f64 = jobs.iter().map(|j| j.duration).sum();
    (total / jobs.len().max(1) as f64).max(60.0)
}

#[cfg(test)]
#[path = "timed_tests.rs"]
mod tests;
