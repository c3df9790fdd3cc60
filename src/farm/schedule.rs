//! The scheduling loop: each round reads the in-memory queue and every
//! printer's published view, asks the time-aware rule ([`super::plan`])
//! what to start, offers each job to its printer's supervisor (which claims
//! it in the store and starts it), and turns picks that need a material
//! change into requests for a technician. It owns those requests; one per
//! printer and per job at a time. They are advice, not reservations: the
//! printer may still take a job that suits what it has loaded (the request
//! is then dropped), and the job may still go to a printer that has its
//! material.

use super::fleet::Fleet;
use super::forecaster::Forecaster;
use super::plan::{plan, PlanPrinter, Requested};
use super::queue_feed::QueueHandle;
use crate::api::{Forecast, MaterialChange, PrinterView};
use crate::config::{FarmTime, PrinterProfile};
use crate::domain::Phase;
use crate::scheduler::clock::FarmClock;
use crate::scheduler::timed::TimedRule;
use crate::scheduler::{Availability, PrinterCaps, QueueBook, QueuedEntry, ToolMaterial};
use crate::store::{now_ms, ToolLoad};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Shortest time between two rounds: a burst of submissions wakes the loop
/// once per job, and one round serves them all.
pub const MIN_ROUND_GAP: Duration = Duration::from_millis(100);

/// How long a print whose end is not known yet is assumed to take, s.
const UNKNOWN_ETA_S: f64 = 3600.0;

/// A heater this far below its target is still heating, °C.
const HEATING_MARGIN_C: f64 = 3.0;

/// The scheduler's view of a printer's availability.
pub fn availability(view: &PrinterView) -> Availability {
    match view.state {
        _ if view.accepts_work => Availability::Idle,
        Phase::AwaitingClear => Availability::AwaitingClear,
        Phase::Assigned | Phase::Printing | Phase::Paused => Availability::Busy,
        Phase::Idle | Phase::Offline | Phase::Error => Availability::Offline,
    }
}

/// True when `loaded` satisfies `wanted` (names compared without case; no
/// wanted colour means any).
pub fn load_matches(loaded: Option<&ToolLoad>, wanted: &ToolLoad) -> bool {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    loaded.is_some_and(|l| {
        same(&l.material, &wanted.material)
            && wanted
                .colour
                .as_deref()
                .is_none_or(|c| l.colour.as_deref().is_some_and(|have| same(have, c)))
    })
}

/// The scheduling loop's state (see the module).
pub struct Scheduler {
    queue: Arc<QueueHandle>,
    profiles: Vec<PrinterProfile>,
    fleet: Arc<Fleet>,
    clock: FarmClock,
    rule: TimedRule,
    changes: Vec<MaterialChange>,
    published: watch::Sender<Vec<MaterialChange>>,
    forecaster: Forecaster,
}

/// What a scheduler publishes.
pub struct Published {
    /// The material changes it waits for.
    pub changes: watch::Receiver<Vec<MaterialChange>>,
    /// Its latest forecast of the queue.
    pub forecast: watch::Receiver<Arc<Forecast>>,
}

impl Scheduler {
    /// A scheduler over `fleet`, and what it publishes.
    pub fn new(
        queue: QueueHandle,
        profiles: Vec<PrinterProfile>,
        fleet: Arc<Fleet>,
        time: &FarmTime,
    ) -> (Scheduler, Published) {
        let (published, changes) = watch::channel(Vec::new());
        let (forecaster, forecast) = Forecaster::new();
        let scheduler = Scheduler {
            queue: Arc::new(queue),
            profiles,
            fleet,
            clock: FarmClock::new(time, now_ms()),
            rule: TimedRule::default(),
            changes: Vec::new(),
            published,
            forecaster,
        };
        (scheduler, Published { changes, forecast })
    }

    /// One round; returns how many jobs were started.
    pub async fn round(&mut self) -> usize {
        let now = now_ms();
        self.clock.refresh(now);
        let views: Vec<PrinterView> = self.fleet.printers().iter().map(|p| p.view()).collect();
        let queue = Arc::clone(&self.queue);
        let book = queue.current().await;
        self.settle_changes(&views, &book);
        let printers = self.plan_printers(&views, now);
        let entries: Vec<&QueuedEntry> = book.entries().collect();
        self.forecaster
            .maybe_start(&self.rule, &self.clock, now, &entries, &printers, &views);
        if !views.iter().any(|v| v.accepts_work) {
            return 0;
        }
        let requested = Requested {
            printers: views.iter().map(|v| self.requested(&v.name)).collect(),
            jobs: self.changes.iter().map(|c| c.job.clone()).collect(),
        };
        let picks = plan(
            &self.rule,
            &self.clock,
            now,
            &entries,
            &printers,
            &requested,
        );
        drop(entries);
        drop(book);
        let mut offers = Vec::new();
        for pick in picks {
            match pick.change {
                Some(load) => {
                    tracing::info!(printer = %pick.printer, job = %pick.job_id, material = %load.material,
                        colour = ?load.colour, "asking for a material change");
                    self.changes.push(MaterialChange {
                        printer: pick.printer,
                        job: pick.job_id,
                        load,
                        since: now,
                    });
                }
                None => offers.extend(
                    self.fleet
                        .printer(&pick.printer)
                        .cloned()
                        .map(|p| (p, pick.job_id)),
                ),
            }
        }
        self.published.send_replace(self.changes.clone());
        let offers = offers
            .into_iter()
            .map(|(printer, job)| async move { printer.offer(&job).await });
        let taken = futures::future::join_all(offers).await;
        taken.into_iter().filter(|t| *t).count()
    }

    fn requested(&self, printer: &str) -> bool {
        self.changes.iter().any(|c| c.printer == printer)
    }

    /// Forgets requests that are done (the material is loaded), moot (the
    /// job left the queue) or stale (the printer cannot take work).
    fn settle_changes(&mut self, views: &[PrinterView], book: &QueueBook) {
        let before = self.changes.len();
        self.changes.retain(|change| {
            views
                .iter()
                .find(|v| v.name == change.printer)
                .is_some_and(|view| {
                    !load_matches(view.loaded.first(), &change.load)
                        && view.accepts_work
                        && book.contains(&change.job)
                })
        });
        if self.changes.len() != before {
            self.published.send_replace(self.changes.clone());
        }
    }

    fn plan_printers(&self, views: &[PrinterView], now: i64) -> Vec<PlanPrinter> {
        self.profiles
            .iter()
            .zip(views)
            .map(|(profile, view)| {
                let idle_since = view.accepts_work.then_some(view.since);
                let mut caps = PrinterCaps::from_profile(profile, availability(view), idle_since);
                caps.tools = view
                    .loaded
                    .iter()
                    .map(|l| ToolMaterial {
                        material: l.material.clone(),
                        colour: l.colour.clone(),
                    })
                    .collect();
                PlanPrinter {
                    caps,
                    free: view.accepts_work,
                    free_at_ms: self.free_at(view, now),
                    wear_h: view.maintenance.print_hours,
                    heating: heating(view),
                }
            })
            .collect()
    }

    /// When a busy printer should take work again: its print's end, then
    /// the next moment someone on shift clears the bed.
    fn free_at(&self, view: &PrinterView, now: i64) -> Option<i64> {
        let end = match view.state {
            Phase::Assigned | Phase::Printing | Phase::Paused => {
                let eta_s = view.job.as_ref().and_then(|j| j.eta_s);
                now + (eta_s.unwrap_or(UNKNOWN_ETA_S) * 1000.0) as i64
            }
            Phase::AwaitingClear => now,
            _ => return None,
        };
        let clock = self.clock.clock(end);
        Some(self.clock.unix_ms(clock.cleared(clock.now)))
    }
}

/// True while a print heats up: just assigned, or printing with a heater
/// still short of its target.
fn heating(view: &PrinterView) -> bool {
    match view.state {
        Phase::Assigned => true,
        Phase::Printing => view
            .temperatures
            .iter()
            .any(|t| t.target_c > 0.0 && t.actual_c < t.target_c - HEATING_MARGIN_C),
        _ => false,
    }
}

/// Runs rounds forever (abort the task to stop): after every `wake` and at
/// least every `interval`.
pub async fn run(mut scheduler: Scheduler, wake: Arc<Notify>, interval: Duration) {
    loop {
        scheduler.round().await;
        tokio::time::sleep(MIN_ROUND_GAP.min(interval)).await;
        let _ = tokio::time::timeout(interval, wake.notified()).await;
    }
}
