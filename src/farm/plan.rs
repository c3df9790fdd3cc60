//! One scheduling round's decision over the farm's live state, without
//! I/O: the queue book's entries and each printer's published view become
//! the time-aware rule's [`Round`], and its picks become offers or
//! material-change requests. `farm::schedule` runs it; the round benchmark
//! calls it directly.

use crate::scheduler::clock::FarmClock;
use crate::scheduler::forecast::{forecast, Shop, Start};
use crate::scheduler::timed::{Round, Station, TimedRule, Work};
use crate::scheduler::{fit_with_change, PrinterCaps, QueuedEntry};
use crate::store::ToolLoad;
use std::collections::{HashMap, HashSet};

/// Far enough ahead that a job without a due date is never urgent, s.
const NO_DUE_S: i64 = 10 * 365 * 86_400;
/// Print time assumed for a file without an estimate, s.
const UNKNOWN_PRINT_S: f64 = 3600.0;

/// A printer as a round sees it.
#[derive(Debug, Clone)]
pub struct PlanPrinter {
    /// What it can print, with what it has loaded now.
    pub caps: PrinterCaps,
    /// True when it may take a job now.
    pub free: bool,
    /// When a busy printer should take work again, unix ms.
    pub free_at_ms: Option<i64>,
    /// Hours printed since its last service.
    pub wear_h: f64,
    /// True while a print on it heats up (counted against the cap).
    pub heating: bool,
}

/// What a round decided for one printer.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanPick {
    /// The job.
    pub job_id: String,
    /// The printer.
    pub printer: String,
    /// `Some(load)` when a person must load this first.
    pub change: Option<ToolLoad>,
}

/// Material changes already asked for: no second one for the same printer
/// or job until it is done or dropped.
#[derive(Debug, Clone, Default)]
pub struct Requested {
    /// Per printer (same order as the round's printers).
    pub printers: Vec<bool>,
    /// Jobs waiting for a change.
    pub jobs: HashSet<String>,
}

/// The decision of one round: `entries` are the waiting jobs (oldest
/// first), `printers` every printer in any order.
pub fn plan(
    rule: &TimedRule,
    clock: &FarmClock,
    now_ms: i64,
    entries: &[&QueuedEntry],
    printers: &[PlanPrinter],
    requested: &Requested,
) -> Vec<PlanPick> {
    let mut free: Vec<usize> = (0..printers.len()).filter(|&p| printers[p].free).collect();
    if free.is_empty() || entries.is_empty() {
        return Vec::new();
    }
    free.sort_by(|&a, &b| {
        let key = |p: usize| {
            (
                printers[p].caps.idle_since.unwrap_or(i64::MAX),
                &printers[p].caps.name,
            )
        };
        key(a).cmp(&key(b))
    });
    let rule_clock = clock.clock(now_ms);
    let jobs: Vec<Work> = entries
        .iter()
        .map(|e| work(e, clock, rule_clock.now))
        .collect();
    let stations: Vec<Station> = printers
        .iter()
        .map(|p| Station {
            speed: 1.0,
            free_at: p.free_at_ms.map(|ms| clock.at(ms)),
            wear_h: p.wear_h,
        })
        .collect();
    let heating = printers.iter().filter(|p| p.heating).count() as u32;
    let slots = clock
        .max_heatups()
        .map_or(u32::MAX, |cap| cap.saturating_sub(heating));
    let round = Round {
        clock: rule_clock,
        jobs: &jobs,
        printers: &stations,
        free: &free,
        heatup_slots: slots,
        fit: |j: usize, p: usize| match fit_with_change(&entries[j].queued.needs, &printers[p].caps)
        {
            Some(true)
                if requested.printers.get(p).copied().unwrap_or(false)
                    || requested.jobs.contains(&entries[j].queued.id) =>
            {
                None
            }
            fit => fit,
        },
    };
    rule.decide(&round)
        .into_iter()
        .map(|pick| {
            let (entry, printer) = (entries[pick.job], &printers[pick.printer]);
            PlanPick {
                job_id: entry.queued.id.clone(),
                printer: printer.caps.name.clone(),
                change: pick.change.then(|| wanted_load(entry, &printer.caps)),
            }
        })
        .collect()
}

/// When each of `entries` should end (unix ms), by a forward simulation of
/// the queue under the same rule ([`forecast`]); jobs without an estimate
/// are left out.
pub fn forecast_ends(
    rule: &TimedRule,
    clock: &FarmClock,
    now_ms: i64,
    entries: &[QueuedEntry],
    printers: &[PlanPrinter],
) -> HashMap<String, i64> {
    let rule_clock = clock.clock(now_ms);
    let jobs: Vec<Work> = entries
        .iter()
        .map(|e| work(e, clock, rule_clock.now))
        .collect();
    let starts: Vec<Start> = printers
        .iter()
        .map(|p| Start {
            available_at: if p.free {
                Some(rule_clock.now)
            } else {
                p.free_at_ms.map(|ms| clock.at(ms))
            },
            auto_eject: p.caps.auto_eject,
        })
        .collect();
    let shop = Farm { entries, printers };
    forecast(rule, rule_clock, &jobs, &starts, &shop)
        .into_iter()
        .zip(entries)
        .filter_map(|(end, e)| Some((e.queued.id.clone(), clock.unix_ms(end?))))
        .collect()
}

/// The farm's jobs and printers as the forecast asks about them.
struct Farm<'a> {
    entries: &'a [QueuedEntry],
    printers: &'a [PlanPrinter],
}

impl Shop for Farm<'_> {
    fn fit(&self, j: usize, p: usize) -> Option<bool> {
        fit_with_change(&self.entries[j].queued.needs, &self.printers[p].caps)
    }

    fn same_load(&self, j: usize, k: usize) -> bool {
        let (needs, other) = (&self.entries[j].queued.needs, &self.entries[k].queued.needs);
        let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (None, _) => true,
            (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
            (Some(_), None) => false,
        };
        same(&needs.material, &other.material) && same(&needs.colour, &other.colour)
    }
}

/// A queued job in the rule's terms: due on the rule's scale, weight from
/// its priority (each step doubles it), print time from its file.
fn work(entry: &QueuedEntry, clock: &FarmClock, now: i64) -> Work {
    let job = &entry.queued;
    Work {
        due: job.due_at.map_or(now + NO_DUE_S, |ms| clock.at(ms)),
        weight: 2f64.powi(job.priority.clamp(-4, 8) as i32),
        duration: entry
            .print_s
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(UNKNOWN_PRINT_S),
    }
}

/// What tool 0 must hold for `entry`: its material and colour, keeping
/// what is loaded where the job does not care.
fn wanted_load(entry: &QueuedEntry, caps: &PrinterCaps) -> ToolLoad {
    let needs = &entry.queued.needs;
    let loaded = caps.tools.first();
    ToolLoad {
        material: needs
            .material
            .clone()
            .or_else(|| loaded.map(|l| l.material.clone()))
            .unwrap_or_default(),
        colour: needs
            .colour
            .clone()
            .or_else(|| loaded.and_then(|l| l.colour.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::{plan, PlanPrinter, Requested};
    use crate::config::FarmTime;
    use crate::scheduler::clock::FarmClock;
    use crate::scheduler::timed::TimedRule;
    use crate::scheduler::{
        Availability, JobNeeds, PrinterCaps, QueuedEntry, QueuedJob, ToolMaterial,
    };
    use crate::store::JobRecord;

    fn printer(name: &str, material: &str, free: bool, heating: bool) -> PlanPrinter {
        let availability = if free {
            Availability::Idle
        } else {
            Availability::Busy
        };
        PlanPrinter {
            caps: PrinterCaps {
                name: name.to_owned(),
                availability,
                auto_eject: false,
                idle_since: free.then_some(0),
                tools: vec![ToolMaterial {
                    material: material.to_owned(),
                    colour: None,
                }],
                extruders: 1,
                nozzle_diameter: 0.4,
                build_volume: [250.0, 210.0, 210.0],
                min_position: [0.0; 3],
                bounds_margin: 0.5,
                tags: Vec::new(),
                max_hotend_temp: 300.0,
                max_bed_temp: 120.0,
                max_command_bytes: 96,
            },
            free,
            free_at_ms: None,
            wear_h: 0.0,
            heating,
        }
    }

    fn entry(id: &str, material: &str) -> QueuedEntry {
        let needs = JobNeeds {
            material: Some(material.to_owned()),
            ..JobNeeds::default()
        };
        let job = JobRecord {
            material: Some(material.to_owned()),
            ..JobRecord::queued_for_test(id)
        };
        QueuedEntry {
            job,
            queued: QueuedJob {
                id: id.to_owned(),
                priority: 0,
                due_at: None,
                created_at: 0,
                needs,
            },
            print_s: Some(3600.0),
        }
    }

    fn none() -> Requested {
        Requested::default()
    }

    #[test]
    fn prints_already_heating_count_against_the_cap() {
        let time = FarmTime {
            max_heatups: Some(2),
            ..FarmTime::default()
        };
        let clock = FarmClock::new(&time, 0);
        let printers = [
            printer("a", "PLA", true, false),
            printer("b", "PLA", true, false),
            printer("c", "PLA", false, true),
        ];
        let (x, y) = (entry("x", "PLA"), entry("y", "PLA"));
        let picks = plan(
            &TimedRule::default(),
            &clock,
            0,
            &[&x, &y],
            &printers,
            &none(),
        );
        assert_eq!(picks.len(), 1, "one slot left: {picks:?}");
        let no_cap = FarmClock::new(&FarmTime::default(), 0);
        assert_eq!(
            plan(
                &TimedRule::default(),
                &no_cap,
                0,
                &[&x, &y],
                &printers,
                &none()
            )
            .len(),
            2
        );
    }

    #[test]
    fn a_job_for_another_material_asks_for_a_change_with_what_to_load() {
        let clock = FarmClock::new(&FarmTime::default(), 0);
        let printers = [printer("a", "PLA", true, false)];
        let petg = entry("x", "PETG");
        let picks = plan(
            &TimedRule::default(),
            &clock,
            0,
            &[&petg],
            &printers,
            &none(),
        );
        let change = picks[0].change.as_ref().expect("a change");
        assert_eq!((change.material.as_str(), &change.colour), ("PETG", &None));
        let pla = entry("y", "PLA");
        let picks = plan(
            &TimedRule::default(),
            &clock,
            0,
            &[&pla],
            &printers,
            &none(),
        );
        assert_eq!(picks[0].change, None);
        let asked = Requested {
            printers: vec![true],
            jobs: Default::default(),
        };
        let again = plan(
            &TimedRule::default(),
            &clock,
            0,
            &[&petg],
            &printers,
            &asked,
        );
        assert!(
            again.is_empty(),
            "one change at a time per printer: {again:?}"
        );
    }
}
