//! The instance format (JSON) and its model in seconds: printers, jobs,
//! shifts, times. Errors name the field at fault.

use crate::domain::calendar::{Calendar, Shift};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A farm and its work, as written in an instance file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// When the simulation starts (RFC 3339).
    pub start: String,
    /// IANA time zone of the shifts.
    pub timezone: String,
    /// Weekly shifts.
    pub shifts: Vec<ShiftSpec>,
    /// Minutes an operator takes to clear a bed.
    pub bed_clear_min: f64,
    /// Minutes an operator takes to change a printer's material.
    pub material_change_min: f64,
    /// Prints heating at once, at most.
    pub max_concurrent_heatups: u32,
    /// The printers.
    pub printers: Vec<PrinterSpec>,
    /// The jobs.
    pub jobs: Vec<JobSpec>,
}

/// A shift as written: `{"days": "mon-fri", "from": "08:00", "to": "18:00", "operators": 2}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftSpec {
    /// `"mon-fri"`, `"sat"`, `"mon,wed,fri"`, `"daily"`.
    pub days: String,
    /// `"HH:MM"`.
    pub from: String,
    /// `"HH:MM"`.
    pub to: String,
    /// People on it.
    pub operators: u32,
}

/// A printer as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSpec {
    /// Name.
    pub name: String,
    /// Print-time factor (2.0 prints twice as fast).
    pub speed: f64,
    /// Loaded material at the start.
    pub material: String,
    /// Loaded colour at the start.
    pub colour: String,
    /// X, Y, Z in mm.
    pub build_volume: [f64; 3],
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A job as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// Id.
    pub id: String,
    /// The order it belongs to.
    pub order: String,
    /// Not before (RFC 3339).
    pub release: String,
    /// Due (RFC 3339).
    pub due: String,
    /// Weight of lateness.
    pub weight: f64,
    /// Print time at speed 1, seconds.
    pub duration_s: f64,
    /// Material.
    pub material: String,
    /// Colour.
    pub colour: String,
    /// X, Y, Z in mm.
    pub size: [f64; 3],
    /// Tags a printer needs.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Why an instance cannot be simulated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InstanceError {
    /// Where (`jobs[3].due`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

fn error(field: impl Into<String>, reason: impl Into<String>) -> InstanceError {
    InstanceError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A printer in the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Printer {
    /// Name.
    pub name: String,
    /// Print-time factor.
    pub speed: f64,
    /// `material/colour` at the start.
    pub load: String,
    /// Build volume.
    pub volume: [f64; 3],
    /// Tags.
    pub tags: Vec<String>,
}

/// A job in the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Id.
    pub id: String,
    /// Index of its order.
    pub order: usize,
    /// Release, s.
    pub release: i64,
    /// Due, s.
    pub due: i64,
    /// Weight.
    pub weight: f64,
    /// Print time at speed 1, s.
    pub duration: f64,
    /// `material/colour`.
    pub load: String,
    /// Size.
    pub size: [f64; 3],
    /// Tags needed.
    pub tags: Vec<String>,
}

impl Job {
    /// True when `printer` can print it (each axis fits, tags present).
    pub fn fits(&self, printer: &Printer) -> bool {
        (0..3).all(|i| self.size[i] <= printer.volume[i])
            && self.tags.iter().all(|t| printer.tags.contains(t))
    }

    /// Seconds it prints on `printer`.
    pub fn seconds_on(&self, printer: &Printer) -> i64 {
        (self.duration / printer.speed).ceil() as i64
    }
}

/// An instance in seconds since its start.
#[derive(Debug, Clone)]
pub struct Model {
    /// The start.
    pub start: Timestamp,
    /// Shifts as intervals.
    pub calendar: Calendar,
    /// Seconds per bed clear.
    pub bed_clear: i64,
    /// Seconds per material change.
    pub material_change: i64,
    /// Heat-ups at once.
    pub max_heatups: u32,
    /// Printers.
    pub printers: Vec<Printer>,
    /// Jobs.
    pub jobs: Vec<Job>,
    /// Order names, by index.
    pub orders: Vec<String>,
}

/// The first minutes of a print: its heat-up.
pub const HEATUP_S: i64 = 600;

fn instant(text: &str, field: &str, start: Timestamp) -> Result<i64, InstanceError> {
    let at: Timestamp = text
        .parse()
        .map_err(|e| error(field, format!("not an RFC 3339 time: {e}")))?;
    Ok(at.as_second() - start.as_second())
}

impl Instance {
    /// Checks the instance and converts it to seconds.
    pub fn model(&self) -> Result<Model, InstanceError> {
        let start: Timestamp = self
            .start
            .parse()
            .map_err(|e| error("start", format!("not an RFC 3339 time: {e}")))?;
        let tz = TimeZone::get(&self.timezone)
            .map_err(|e| error("timezone", format!("not an IANA time zone: {e}")))?;
        let shifts = self.shifts()?;
        let printers = self.printers()?;
        let (jobs, orders) = self.jobs(start, &printers)?;
        let horizon_days =
            jobs.iter().map(|j| j.due.max(j.release)).max().unwrap_or(0) / 86_400 + 60;
        let minutes = |m: f64, field: &str| {
            (m.is_finite() && m >= 0.0)
                .then(|| (m * 60.0).round() as i64)
                .ok_or_else(|| error(field, "must be a number of minutes, 0 or more"))
        };
        Ok(Model {
            start,
            calendar: Calendar::new(&shifts, &tz, start, horizon_days),
            bed_clear: minutes(self.bed_clear_min, "bed_clear_min")?,
            material_change: minutes(self.material_change_min, "material_change_min")?,
            max_heatups: self.max_concurrent_heatups.max(1),
            printers,
            jobs,
            orders,
        })
    }

    fn shifts(&self) -> Result<Vec<Shift>, InstanceError> {
        self.shifts
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Shift::parse(&s.days, &s.from, &s.to, s.operators)
                    .map_err(|e| error(format!("shifts[{i}].{}", e.field), e.reason))
            })
            .collect()
    }

    fn printers(&self) -> Result<Vec<Printer>, InstanceError> {
        if self.printers.is_empty() {
            return Err(error("printers", "at least one printer"));
        }
        self.printers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if !(p.speed.is_finite() && p.speed > 0.0) {
                    return Err(error(format!("printers[{i}].speed"), "must be positive"));
                }
                Ok(Printer {
                    name: p.name.clone(),
                    speed: p.speed,
                    load: format!("{}/{}", p.material, p.colour),
                    volume: p.build_volume,
                    tags: p.tags.clone(),
                })
            })
            .collect()
    }

    fn jobs(
        &self,
        start: Timestamp,
        printers: &[Printer],
    ) -> Result<(Vec<Job>, Vec<String>), InstanceError> {
        let mut orders: Vec<String> = Vec::new();
        let mut jobs = Vec::with_capacity(self.jobs.len());
        for (i, j) in self.jobs.iter().enumerate() {
            let field = |f: &str| format!("jobs[{i}].{f}");
            if !(j.duration_s.is_finite() && j.duration_s > 0.0) {
                return Err(error(field("duration_s"), "must be positive"));
            }
            if !(j.weight.is_finite() && j.weight >= 0.0) {
                return Err(error(field("weight"), "must be 0 or more"));
            }
            let order = match orders.iter().position(|o| *o == j.order) {
                Some(o) => o,
                None => {
                    orders.push(j.order.clone());
                    orders.len() - 1
                }
            };
            let job = Job {
                id: j.id.clone(),
                order,
                release: instant(&j.release, &field("release"), start)?,
                due: instant(&j.due, &field("due"), start)?,
                weight: j.weight,
                duration: j.duration_s,
                load: format!("{}/{}", j.material, j.colour),
                size: j.size,
                tags: j.tags.clone(),
            };
            if !printers.iter().any(|p| job.fits(p)) {
                return Err(error(field("size"), "no printer can print it"));
            }
            jobs.push(job);
        }
        Ok((jobs, orders))
    }
}
