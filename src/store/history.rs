//! What each printer did over a window, for OEE and timelines: its state
//! changes from the event log and its attempts with their files' estimates.
//! The arithmetic is in [`crate::domain::oee`].

use super::{rows, Store, StoreError};
use crate::domain::oee::{self, Activity, AttemptSpan, Ending, Oee, Span};
use crate::domain::FailureCause;
use sqlx::{Any, Row};
use std::collections::BTreeMap;

/// How far before the window a state change is read to know the state at
/// its start.
const LOOKBACK_MS: i64 = 7 * 24 * 3_600_000;

/// One attempt as the history needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptInterval {
    /// Printer.
    pub printer: String,
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms, once over.
    pub ended_at: Option<i64>,
    /// `completed` or `failed`, once over.
    pub outcome: Option<String>,
    /// Why it failed.
    pub cause: Option<FailureCause>,
    /// The file's estimated print time, seconds.
    pub estimated_s: Option<f64>,
}

/// Every printer's state changes and attempts around a window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FarmHistory {
    /// Printer names with their state now.
    pub printers: BTreeMap<String, Activity>,
    /// Time-ordered `(at, activity)` per printer.
    pub changes: BTreeMap<String, Vec<(i64, Activity)>>,
    /// Attempts that overlap the window.
    pub attempts: Vec<AttemptInterval>,
}

/// OEE per printer and for the farm, with each printer's timeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FarmOee {
    /// The whole farm.
    pub farm: Oee,
    /// Per printer, by name.
    pub printers: BTreeMap<String, Oee>,
    /// Per printer, by name.
    pub timelines: BTreeMap<String, Vec<Span>>,
}

impl FarmHistory {
    /// OEE and timelines over `[from, to)`; open attempts end at `to`.
    pub fn oee(&self, from: i64, to: i64) -> FarmOee {
        let mut result = FarmOee::default();
        for (name, now) in &self.printers {
            let changes = self.changes.get(name).map(Vec::as_slice).unwrap_or(&[]);
            // With no change recorded in the lookback, the state now held
            // all along.
            let initial = if changes.is_empty() {
                *now
            } else {
                Activity::Offline
            };
            let spans = oee::timeline(initial, changes, from, to);
            let attempts: Vec<AttemptSpan> = self
                .attempts
                .iter()
                .filter(|a| &a.printer == name)
                .map(|a| AttemptSpan {
                    start: a.started_at,
                    end: a.ended_at.unwrap_or(to),
                    ending: match (a.outcome.as_deref(), a.cause) {
                        (None, _) => Ending::Open,
                        (Some("completed"), _) => Ending::Completed,
                        (Some(_), Some(cause)) => Ending::Failed(cause.blame()),
                        (Some(_), None) => Ending::Failed(crate::domain::Blame::Host),
                    },
                    estimated_s: a.estimated_s,
                })
                .collect();
            result
                .printers
                .insert(name.clone(), oee::printer_oee(&spans, &attempts, from, to));
            result.timelines.insert(name.clone(), spans);
        }
        result.farm = oee::farm_oee(result.printers.values());
        result
    }

    /// End times of attempts completed and failed in `[from, to)`.
    pub fn endings(&self, from: i64, to: i64) -> (Vec<i64>, Vec<i64>) {
        let (mut completed, mut failed) = (Vec::new(), Vec::new());
        for a in &self.attempts {
            let Some(end) = a.ended_at.filter(|e| *e >= from && *e < to) else {
                continue;
            };
            match a.outcome.as_deref() {
                Some("completed") => completed.push(end),
                Some(_) => failed.push(end),
                None => {}
            }
        }
        (completed, failed)
    }
}

impl Store {
    /// State changes and attempts of every printer around `[from, to)`.
    pub async fn history(&self, from: i64, to: i64) -> Result<FarmHistory, StoreError> {
        let mut history = FarmHistory::default();
        for row in sqlx::query::<Any>("SELECT name, state FROM printers")
            .fetch_all(&self.read_pool)
            .await?
        {
            let state: String = row.try_get("state")?;
            history
                .printers
                .insert(row.try_get("name")?, Activity::from_stored(&state));
        }
        let events = sqlx::query::<Any>(
            "SELECT at, printer, payload_json FROM events WHERE kind = 'printer_state' \
             AND printer IS NOT NULL AND at >= $1 AND at < $2 ORDER BY at, id",
        )
        .bind(from - LOOKBACK_MS)
        .bind(to)
        .fetch_all(&self.read_pool)
        .await?;
        for row in &events {
            let payload: String = row.try_get("payload_json")?;
            let value: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
            let state = value["state"].as_str().unwrap_or("offline");
            let printer: String = row.try_get("printer")?;
            history
                .changes
                .entry(printer)
                .or_default()
                .push((row.try_get("at")?, Activity::from_stored(state)));
        }
        let attempts = sqlx::query::<Any>(
            "SELECT a.printer, a.started_at, a.ended_at, a.outcome, a.cause, \
             f.estimated_time_s FROM attempts a JOIN jobs j ON j.id = a.job_id \
             LEFT JOIN files f ON f.id = j.file_id \
             WHERE a.started_at < $2 AND (a.ended_at IS NULL OR a.ended_at >= $1) \
             ORDER BY a.started_at",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.read_pool)
        .await?;
        for row in &attempts {
            let cause: Option<String> = row.try_get("cause")?;
            history.attempts.push(AttemptInterval {
                printer: row.try_get("printer")?,
                started_at: row.try_get("started_at")?,
                ended_at: row.try_get("ended_at")?,
                outcome: row.try_get("outcome")?,
                cause: cause.map(|c| rows::cause(&c)).transpose()?,
                estimated_s: row.try_get("estimated_time_s")?,
            });
        }
        Ok(history)
    }
}
