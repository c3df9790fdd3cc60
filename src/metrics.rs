//! The farm's Prometheus metrics (`prometheus-client`): counters and
//! histograms recorded by printers' supervisors as attempts start and end,
//! and gauges set from the farm's state when `/metrics` is scraped. Names
//! follow Prometheus' rules: counters end in `_total`, units are base units
//! (`_seconds`, `_millimetres`), gauges carry no `_total`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

/// A printer label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PrinterLabel {
    /// Printer name.
    pub printer: String,
}

/// A failure cause label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CauseLabel {
    /// The cause's code (`printer.thermal`).
    pub cause: String,
}

/// A job state label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// The state.
    pub state: String,
}

/// A printer and one of its states.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PrinterStateLabel {
    /// Printer name.
    pub printer: String,
    /// Farm state (`idle`, `printing`, …).
    pub state: String,
}

/// A printer's heater.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HeaterLabel {
    /// Printer name.
    pub printer: String,
    /// Heater (`T0`, `B`).
    pub heater: String,
}

/// One factor of OEE (`availability`, `performance`, `quality`, `oee`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FactorLabel {
    /// The factor.
    pub factor: String,
}

/// A printer and one factor of its OEE.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PrinterFactorLabel {
    /// Printer name.
    pub printer: String,
    /// The factor.
    pub factor: String,
}

type FloatCounter = Counter<f64, AtomicU64>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric of the farm; share it in an `Arc`.
pub struct FarmMetrics {
    registry: Registry,
    /// Jobs completed.
    pub jobs_completed: Counter,
    /// Jobs failed for good, by cause.
    pub jobs_failed: Family<CauseLabel, Counter>,
    /// Attempts that ended without completing, by cause (requeues included).
    pub attempts_failed: Family<CauseLabel, Counter>,
    /// Seconds spent printing, per printer.
    pub print_seconds: Family<PrinterLabel, FloatCounter>,
    /// Filament of completed jobs, per printer, mm.
    pub filament_millimetres: Family<PrinterLabel, FloatCounter>,
    /// Seconds from queued to started.
    pub queue_wait_seconds: Histogram,
    /// Seconds an attempt lasted, completed or not.
    pub print_duration_seconds: Histogram,
    /// Jobs in each state now.
    pub jobs: Family<StateLabel, Gauge>,
    /// Printers in each farm state now (1 for the current one).
    pub printer_state: Family<PrinterStateLabel, Gauge>,
    /// 1 when the printer's link is up.
    pub printer_up: Family<PrinterLabel, Gauge>,
    /// Fraction of the current job done.
    pub printer_progress: Family<PrinterLabel, FloatGauge>,
    /// Measured heater temperature.
    pub printer_temperature: Family<HeaterLabel, FloatGauge>,
    /// The farm's OEE and its factors over the last 24 hours.
    pub farm_oee: Family<FactorLabel, FloatGauge>,
    /// Each printer's OEE and its factors over the last 24 hours.
    pub printer_oee: Family<PrinterFactorLabel, FloatGauge>,
    /// Scrapes are serialised: gauges are reset and set, then encoded.
    scrape: Mutex<()>,
}

impl Default for FarmMetrics {
    fn default() -> Self {
        FarmMetrics::new()
    }
}

impl FarmMetrics {
    /// Registers every metric.
    pub fn new() -> FarmMetrics {
        let mut registry = Registry::with_prefix("printfarm");
        let jobs_completed = Counter::default();
        registry.register("jobs_completed", "Jobs completed", jobs_completed.clone());
        let jobs_failed = Family::<CauseLabel, Counter>::default();
        registry.register(
            "jobs_failed",
            "Jobs failed for good, by cause",
            jobs_failed.clone(),
        );
        let attempts_failed = Family::<CauseLabel, Counter>::default();
        let help = "Attempts that ended without completing, by cause";
        registry.register("attempts_failed", help, attempts_failed.clone());
        let print_seconds = Family::<PrinterLabel, FloatCounter>::default();
        let help = "Time spent printing, per printer";
        registry.register_with_unit("print", help, Unit::Seconds, print_seconds.clone());
        let filament = Family::<PrinterLabel, FloatCounter>::default();
        let help = "Filament of completed jobs, per printer";
        let mm = Unit::Other("millimetres".into());
        registry.register_with_unit("filament", help, mm, filament.clone());
        let queue_wait = Histogram::new(exponential_buckets(1.0, 4.0, 10));
        let help = "Time from queued to started";
        registry.register_with_unit("queue_wait", help, Unit::Seconds, queue_wait.clone());
        let duration = Histogram::new(exponential_buckets(60.0, 2.0, 12));
        let help = "Duration of attempts, completed or not";
        registry.register_with_unit("print_duration", help, Unit::Seconds, duration.clone());
        let jobs = Family::<StateLabel, Gauge>::default();
        registry.register("jobs", "Jobs in each state", jobs.clone());
        let printer_state = Family::<PrinterStateLabel, Gauge>::default();
        let help = "1 for each printer's current farm state";
        registry.register("printer_state", help, printer_state.clone());
        let printer_up = Family::<PrinterLabel, Gauge>::default();
        registry.register(
            "printer_up",
            "1 when the printer is connected",
            printer_up.clone(),
        );
        let progress = Family::<PrinterLabel, FloatGauge>::default();
        let help = "Fraction of the current job done";
        registry.register("printer_progress", help, progress.clone());
        let temperature = Family::<HeaterLabel, FloatGauge>::default();
        let help = "Measured heater temperature";
        let celsius = Unit::Celsius;
        registry.register_with_unit("printer_temperature", help, celsius, temperature.clone());
        let farm_oee = Family::<FactorLabel, FloatGauge>::default();
        let help = "The farm's OEE (availability x performance x quality) over 24 h, by factor";
        registry.register("farm_oee", help, farm_oee.clone());
        let printer_oee = Family::<PrinterFactorLabel, FloatGauge>::default();
        let help = "Each printer's OEE over 24 h, by factor";
        registry.register("printer_oee", help, printer_oee.clone());
        FarmMetrics {
            registry,
            farm_oee,
            printer_oee,
            jobs_completed,
            jobs_failed,
            attempts_failed,
            print_seconds,
            filament_millimetres: filament,
            queue_wait_seconds: queue_wait,
            print_duration_seconds: duration,
            jobs,
            printer_state,
            printer_up,
            printer_progress: progress,
            printer_temperature: temperature,
            scrape: Mutex::new(()),
        }
    }

    /// Resets the scrape-time gauges, lets `set` fill them, and encodes
    /// everything in the OpenMetrics text format.
    pub fn scrape(&self, set: impl FnOnce(&FarmMetrics)) -> String {
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        self.jobs.clear();
        self.printer_state.clear();
        self.printer_up.clear();
        self.printer_progress.clear();
        self.printer_temperature.clear();
        self.farm_oee.clear();
        self.printer_oee.clear();
        set(self);
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("encoding the metrics failed");
        }
        out
    }

    /// A printer label.
    pub fn printer(name: &str) -> PrinterLabel {
        PrinterLabel {
            printer: name.to_owned(),
        }
    }

    /// Sets the OEE gauges from `oee` (farm and per printer).
    pub fn set_oee(&self, oee: &crate::store::FarmOee) {
        for (factor, value) in factors(&oee.farm) {
            let label = FactorLabel {
                factor: factor.to_owned(),
            };
            self.farm_oee.get_or_create(&label).set(value);
        }
        for (printer, figures) in &oee.printers {
            for (factor, value) in factors(figures) {
                let label = PrinterFactorLabel {
                    printer: printer.clone(),
                    factor: factor.to_owned(),
                };
                self.printer_oee.get_or_create(&label).set(value);
            }
        }
    }

    /// A cause label.
    pub fn cause(code: &str) -> CauseLabel {
        CauseLabel {
            cause: code.to_owned(),
        }
    }
}

/// The factors of `oee` as gauge values (an unmeasured one as 1).
fn factors(oee: &crate::domain::oee::Oee) -> [(&'static str, f64); 4] {
    [
        ("availability", oee.availability),
        ("performance", oee.performance.unwrap_or(1.0)),
        ("quality", oee.quality.unwrap_or(1.0)),
        ("oee", oee.oee),
    ]
}
