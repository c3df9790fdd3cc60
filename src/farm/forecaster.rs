//! Keeps the farm's forecast fresh: every few seconds, a forward simulation
//! of the queue under the scheduler's own rule ([`super::plan::forecast_ends`])
//! on a blocking thread, published for the API (orders' estimated
//! completion). One runs at a time, and a long queue spaces them out so
//! that forecasting takes at most a tenth of a core; a round never waits
//! for it.

use super::plan::{forecast_ends, PlanPrinter};
use crate::api::{Forecast, PrinterView};
use crate::scheduler::clock::FarmClock;
use crate::scheduler::timed::TimedRule;
use crate::scheduler::QueuedEntry;
use futures::FutureExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Shortest time between two forecasts.
const EVERY: Duration = Duration::from_secs(5);
/// A forecast may use at most one part in this many of a core: the next
/// waits this many times as long as the last one took.
const DUTY: u32 = 10;

/// The forecast's owner (see the module).
pub struct Forecaster {
    published: Arc<watch::Sender<Arc<Forecast>>>,
    running: Option<JoinHandle<Duration>>,
    last: Option<Instant>,
    gap: Duration,
}

impl Forecaster {
    /// A forecaster and the receiver its forecasts are published on.
    pub fn new() -> (Forecaster, watch::Receiver<Arc<Forecast>>) {
        let (published, forecasts) = watch::channel(Arc::new(Forecast::default()));
        let forecaster = Forecaster {
            published: Arc::new(published),
            running: None,
            last: None,
            gap: EVERY,
        };
        (forecaster, forecasts)
    }

    /// Starts a forecast of this queue on these printers when the last one
    /// is done and old enough.
    pub fn maybe_start(
        &mut self,
        rule: &TimedRule,
        clock: &FarmClock,
        now_ms: i64,
        entries: &[&QueuedEntry],
        printers: &[PlanPrinter],
        views: &[PrinterView],
    ) {
        if let Some(running) = self.running.take_if(|r| r.is_finished()) {
            let took = running
                .now_or_never()
                .and_then(Result::ok)
                .unwrap_or_default();
            self.gap = EVERY.max(took * DUTY);
        }
        if self.running.is_some() || self.last.is_some_and(|at| at.elapsed() < self.gap) {
            return;
        }
        self.last = Some(Instant::now());
        let printing: Vec<(String, i64)> = views
            .iter()
            .filter_map(|v| {
                let job = v.job.as_ref()?;
                Some((job.id.clone(), now_ms + (job.eta_s? * 1000.0) as i64))
            })
            .collect();
        let (rule, clock) = (rule.clone(), clock.clone());
        let entries: Vec<QueuedEntry> = entries.iter().map(|e| (*e).clone()).collect();
        let printers = printers.to_vec();
        let published = Arc::clone(&self.published);
        self.running = Some(tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let mut ends = forecast_ends(&rule, &clock, now_ms, &entries, &printers);
            ends.extend(printing);
            published.send_replace(Arc::new(Forecast {
                made_at: now_ms,
                ends,
            }));
            started.elapsed()
        }));
    }
}
