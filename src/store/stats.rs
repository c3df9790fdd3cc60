//! Farm statistics over a time window. Raw rows are fetched with portable SQL
//! and the arithmetic is done here, so no database-specific numeric types leak.

use super::{now_ms, Store, StoreError};
use serde::Serialize;
use sqlx::{Any, Row};
use std::collections::BTreeMap;

/// How far before the window start a print may have begun and still count.
const LOOKBACK_MS: i64 = 7 * 24 * 3_600_000;

/// Event kinds that open and close a printer's busy interval.
const START_KINDS: [&str; 1] = ["started"];
const END_KINDS: [&str; 4] = ["completed", "failed", "requeued", "cancelled"];

/// Busy time of one printer in the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrinterBusy {
    /// Printer name.
    pub printer: String,
    /// Milliseconds spent printing (or paused mid-print) in the window.
    pub busy_ms: i64,
    /// `busy_ms` / window length, 0..=1.
    pub utilisation: f64,
}

/// Aggregates over `[from_ms, to_ms)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FarmStats {
    /// Window start, unix ms.
    pub from_ms: i64,
    /// Window end, unix ms.
    pub to_ms: i64,
    /// Jobs completed in the window.
    pub jobs_completed: i64,
    /// Jobs failed for good in the window.
    pub jobs_failed: i64,
    /// Completed jobs per hour of window.
    pub parts_per_hour: f64,
    /// completed / (completed + failed), when any finished.
    pub success_rate: Option<f64>,
    /// Jobs queued now.
    pub queue_length: i64,
    /// Mean seconds from creation to start, for jobs started in the window.
    pub mean_queue_wait_s: Option<f64>,
    /// Mean actual / estimated print time of jobs completed in the window.
    pub estimate_ratio: Option<f64>,
    /// Per-printer busy time, by name.
    pub printers: Vec<PrinterBusy>,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

impl Store {
    /// Statistics for the window `[from_ms, to_ms)`.
    pub async fn stats(&self, from_ms: i64, to_ms: i64) -> Result<FarmStats, StoreError> {
        let window_ms = (to_ms - from_ms).max(1);
        let finished = sqlx::query::<Any>(
            "SELECT j.state, j.started_at, j.finished_at, f.estimated_time_s FROM jobs j \
             JOIN files f ON f.id = j.file_id \
             WHERE j.finished_at >= $1 AND j.finished_at < $2 \
             AND j.state IN ('completed', 'failed')",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.read_pool)
        .await?;
        let (mut completed, mut failed, mut ratios) = (0i64, 0i64, Vec::new());
        for row in &finished {
            let state: String = row.try_get("state")?;
            if state != "completed" {
                failed += 1;
                continue;
            }
            completed += 1;
            let started: Option<i64> = row.try_get("started_at")?;
            let finished_at: Option<i64> = row.try_get("finished_at")?;
            let estimate: Option<f64> = row.try_get("estimated_time_s")?;
            if let (Some(s), Some(e), Some(est)) = (started, finished_at, estimate) {
                if est > 0.0 {
                    ratios.push((e - s) as f64 / 1000.0 / est);
                }
            }
        }
        let queue_length: i64 =
            sqlx::query::<Any>("SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued'")
                .fetch_one(&self.read_pool)
                .await?
                .try_get("n")?;
        let waits = self.queue_waits(from_ms, to_ms).await?;
        let printers = self.busy_times(from_ms, to_ms).await?;
        let finished_count = completed + failed;
        Ok(FarmStats {
            from_ms,
            to_ms,
            jobs_completed: completed,
            jobs_failed: failed,
            parts_per_hour: completed as f64 * 3_600_000.0 / window_ms as f64,
            success_rate: (finished_count > 0).then(|| completed as f64 / finished_count as f64),
            queue_length,
            mean_queue_wait_s: mean(&waits),
            estimate_ratio: mean(&ratios),
            printers,
        })
    }

    async fn queue_waits(&self, from_ms: i64, to_ms: i64) -> Result<Vec<f64>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT created_at, started_at FROM jobs WHERE started_at >= $1 AND started_at < $2",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.read_pool)
        .await?;
        rows.iter()
            .map(|row| {
                let created: i64 = row.try_get("created_at")?;
                let started: i64 = row.try_get("started_at")?;
                Ok((started - created) as f64 / 1000.0)
            })
            .collect()
    }

    /// Pairs start and end events per printer and clips them to the window.
    async fn busy_times(&self, from_ms: i64, to_ms: i64) -> Result<Vec<PrinterBusy>, StoreError> {
        let mut busy: BTreeMap<String, i64> = BTreeMap::new();
        for row in sqlx::query::<Any>("SELECT name FROM printers")
            .fetch_all(&self.read_pool)
            .await?
        {
            busy.insert(row.try_get("name")?, 0);
        }
        let events = sqlx::query::<Any>(
            "SELECT at, kind, printer FROM events WHERE printer IS NOT NULL \
             AND at >= $1 AND at < $2 ORDER BY id",
        )
        .bind(from_ms - LOOKBACK_MS)
        .bind(to_ms)
        .fetch_all(&self.read_pool)
        .await?;
        let mut open: BTreeMap<String, i64> = BTreeMap::new();
        let clip = |start: i64, end: i64| (end.min(to_ms) - start.max(from_ms)).max(0);
        for row in &events {
            let at: i64 = row.try_get("at")?;
            let kind: String = row.try_get("kind")?;
            let printer: String = row.try_get("printer")?;
            if START_KINDS.contains(&kind.as_str()) {
                open.insert(printer, at);
            } else if END_KINDS.contains(&kind.as_str()) {
                if let Some(start) = open.remove(&printer) {
                    *busy.entry(printer).or_default() += clip(start, at);
                }
            }
        }
        let now = now_ms();
        for (printer, start) in open {
            *busy.entry(printer).or_default() += clip(start, now);
        }
        let window_ms = (to_ms - from_ms).max(1);
        Ok(busy
            .into_iter()
            .map(|(printer, busy_ms)| PrinterBusy {
                printer,
                busy_ms,
                utilisation: (busy_ms as f64 / window_ms as f64).min(1.0),
            })
            .collect())
    }
}
