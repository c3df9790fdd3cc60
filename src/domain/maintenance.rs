//! The maintenance odometer: what a printer has done since its last
//! service, and whether that makes it due for another one.
//!
//! Pure: the store keeps the odometer and advances it when an attempt ends
//! ([`wear_of_attempt`]); the printer's supervisor asks [`assess`] whether
//! its printer is due, and a due printer takes no new job until a
//! technician confirms the service.

use serde::Serialize;

/// Service thresholds of one printer (`service = { … }` in
/// `printers.toml`); each optional, none set: never due.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Thresholds {
    /// Print hours between services.
    pub every_hours: Option<f64>,
    /// Jobs (ended attempts) between services.
    pub every_jobs: Option<u64>,
    /// Metres of filament between services.
    pub every_filament_m: Option<f64>,
}

impl Thresholds {
    /// True when no threshold is set.
    pub fn is_empty(&self) -> bool {
        self.every_hours.is_none() && self.every_jobs.is_none() && self.every_filament_m.is_none()
    }
}

/// What a printer has done since its last service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Odometer {
    /// Time spent on attempts, ms.
    pub print_ms: i64,
    /// Filament pushed, mm (whole millimetres are plenty).
    pub filament_mm: i64,
    /// Attempts ended.
    pub jobs: i64,
    /// Unix ms of the last confirmed service, if any.
    pub last_service_at: Option<i64>,
}

impl Odometer {
    /// Print hours.
    pub fn print_hours(&self) -> f64 {
        self.print_ms as f64 / 3_600_000.0
    }

    /// Filament in metres.
    pub fn filament_m(&self) -> f64 {
        self.filament_mm as f64 / 1000.0
    }
}

/// Which threshold was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Print hours.
    Hours,
    /// Jobs.
    Jobs,
    /// Filament metres.
    FilamentM,
}

/// One threshold reached: the reading and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reached {
    /// What is measured.
    pub measure: Measure,
    /// The reading since the last service.
    pub value: f64,
    /// The threshold.
    pub threshold: f64,
}

impl std::fmt::Display for Reached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (value, threshold) = (self.value, self.threshold);
        match self.measure {
            Measure::Hours => write!(
                f,
                "{value:.1} h printed since the last service, threshold {threshold} h"
            ),
            Measure::Jobs => {
                let jobs = if value == 1.0 { "job" } else { "jobs" };
                write!(
                    f,
                    "{value} {jobs} since the last service, threshold {threshold}"
                )
            }
            Measure::FilamentM => write!(
                f,
                "{value:.1} m of filament since the last service, threshold {threshold} m"
            ),
        }
    }
}

/// The verdict on one printer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// True when at least one threshold is reached.
    pub due: bool,
    /// The thresholds reached, in the order hours, jobs, filament.
    pub reached: Vec<Reached>,
}

impl Assessment {
    /// The reasons in words, joined with `; ` (`None` when not due).
    pub fn reason(&self) -> Option<String> {
        let words: Vec<String> = self.reached.iter().map(Reached::to_string).collect();
        (!words.is_empty()).then(|| words.join("; "))
    }
}

/// Whether `odometer` reaches any of `thresholds` (a reading equal to a
/// threshold is due).
pub fn assess(thresholds: &Thresholds, odometer: &Odometer) -> Assessment {
    let readings = [
        (
            Measure::Hours,
            odometer.print_hours(),
            thresholds.every_hours,
        ),
        (
            Measure::Jobs,
            odometer.jobs as f64,
            thresholds.every_jobs.map(|n| n as f64),
        ),
        (
            Measure::FilamentM,
            odometer.filament_m(),
            thresholds.every_filament_m,
        ),
    ];
    let reached: Vec<Reached> = readings
        .into_iter()
        .filter_map(|(measure, value, threshold)| {
            let threshold = threshold?;
            (value >= threshold).then_some(Reached {
                measure,
                value,
                threshold,
            })
        })
        .collect();
    Assessment {
        due: !reached.is_empty(),
        reached,
    }
}

/// One ended attempt, as the odometer needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndedAttempt {
    /// Unix ms the attempt started.
    pub started_ms: i64,
    /// Unix ms it ended.
    pub ended_ms: i64,
    /// True when every line was acknowledged.
    pub completed: bool,
    /// Last acknowledged source line.
    pub last_line: i64,
    /// Lines of the file, when known.
    pub line_count: Option<i64>,
    /// Filament the whole file deposits, mm, when known.
    pub file_filament_mm: Option<f64>,
}

/// What one ended attempt adds to the odometer: its time from start to
/// end, one job, and the file's filament — whole when completed, else
/// prorated by the share of lines acknowledged (none when the line count
/// is unknown).
pub fn wear_of_attempt(attempt: &EndedAttempt) -> Odometer {
    let filament = attempt.file_filament_mm.unwrap_or(0.0).max(0.0);
    let share = match (attempt.completed, attempt.line_count) {
        (true, _) => 1.0,
        (false, Some(lines)) if lines > 0 => {
            (attempt.last_line as f64 / lines as f64).clamp(0.0, 1.0)
        }
        (false, _) => 0.0,
    };
    Odometer {
        print_ms: attempt.ended_ms.saturating_sub(attempt.started_ms).max(0),
        filament_mm: (filament * share).round() as i64,
        jobs: 1,
        last_service_at: None,
    }
}

#[cfg(test)]
#[path = "maintenance_tests.rs"]
mod tests;
