//! Printers' stored state and bed, and recovery after a restart.

use super::attempts::{end_in, AttemptEnding};
use super::events;
use super::rows;
use super::types::{PrinterRecord, RecoveryReport};
use super::write::Persistence;
use super::{now_ms, tx, Store, StoreError};
use crate::domain::recovery::after_restart;
use crate::domain::{AttemptEnd, Phase};
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};

const PRINTER_SELECT: &str = "SELECT p.name, p.state, p.updated_at, p.bed_full_since, \
    (SELECT j.id FROM jobs j WHERE j.printer = p.name \
     AND j.state IN ('assigned', 'printing', 'paused')) AS current_job FROM printers p";

fn printer(row: &sqlx::any::AnyRow) -> Result<PrinterRecord, StoreError> {
    Ok(PrinterRecord {
        name: row.try_get("name")?,
        state: rows::printer_state(row)?,
        current_job: row.try_get("current_job")?,
        bed_full_since: row.try_get("bed_full_since")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Records a printer's phase (coarsely) and bed, with an event when either
/// changed.
pub(super) async fn set_state_in(
    conn: &mut AnyConnection,
    name: &str,
    phase: Phase,
    bed_full_since: Option<i64>,
) -> Result<(), StoreError> {
    let changed = sqlx::query::<Any>(
        "UPDATE printers SET state = $2, bed_full_since = $3, updated_at = $4 WHERE name = $1 \
         AND (state <> $2 OR bed_full_since IS NULL AND $3 IS NOT NULL \
              OR bed_full_since IS NOT NULL AND $3 IS NULL)",
    )
    .bind(name)
    .bind(phase.stored())
    .bind(bed_full_since)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    if changed.rows_affected() == 0 {
        return Ok(());
    }
    let payload =
        json!({ "state": phase.stored(), "phase": phase, "bed_full_since": bed_full_since });
    events::append(conn, "printer_state", Some(name), None, payload).await
}

impl Store {
    /// Adds printers named in the configuration (as `offline`); existing rows are kept.
    pub async fn register_printers(&self, names: &[String]) -> Result<(), StoreError> {
        let names = names.to_vec();
        self.write(
            Persistence::Request,
            "register printers",
            tx!([names] | conn | {
                for name in &names {
                    sqlx::query::<Any>(
                        "INSERT INTO printers (name, state, updated_at) VALUES ($1, 'offline', $2) \
                         ON CONFLICT (name) DO NOTHING",
                    )
                    .bind(name)
                    .bind(now_ms())
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }),
        )
        .await
    }

    /// One printer with its current job.
    pub async fn get_printer(&self, name: &str) -> Result<PrinterRecord, StoreError> {
        let sql = format!("{PRINTER_SELECT} WHERE p.name = $1");
        let row = sqlx::query::<Any>(&sql)
            .bind(name)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "printer",
                id: name.to_owned(),
            })?;
        printer(&row)
    }

    /// All printers by name.
    pub async fn list_printers(&self) -> Result<Vec<PrinterRecord>, StoreError> {
        let sql = format!("{PRINTER_SELECT} ORDER BY p.name");
        sqlx::query::<Any>(&sql)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(printer)
            .collect()
    }

    /// Records a printer's phase and bed (the printer's supervisor is the
    /// only caller in a running farm). Retried until it succeeds.
    pub async fn save_printer_state(
        &self,
        name: &str,
        phase: Phase,
        bed_full_since: Option<i64>,
    ) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.write(
            Persistence::Durable,
            "save printer state",
            tx!([name] | conn | set_state_in(conn, &name, phase, bed_full_since).await),
        )
        .await
    }

    /// After a restart: every attempt that was running is ended as
    /// interrupted by the host ([`after_restart`]: no printer budget is
    /// spent, the job goes back to the queue); a printer that had started
    /// printing keeps what is on its bed. Every printer is `offline` (or
    /// `awaiting_clear`) until its driver reports in.
    pub async fn recover_after_restart(&self) -> Result<RecoveryReport, StoreError> {
        let policy = self.policy;
        self.write(
            Persistence::Request,
            "recover after restart",
            tx!([] | conn | recover_in(conn, policy).await),
        )
        .await
    }
}

async fn recover_in(
    conn: &mut AnyConnection,
    policy: crate::domain::FailurePolicy,
) -> Result<RecoveryReport, StoreError> {
    let now = now_ms();
    let active = sqlx::query::<Any>(
        "SELECT j.id, j.state, j.printer, j.last_acked_line, p.bed_full_since FROM jobs j \
         JOIN printers p ON p.name = j.printer \
         WHERE j.state IN ('assigned', 'printing', 'paused') ORDER BY j.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut report = RecoveryReport::default();
    for row in &active {
        let job: String = row.try_get("id")?;
        let Some(interrupted) = after_restart(rows::job_state(row, "state")?) else {
            continue;
        };
        let bed: Option<i64> = row.try_get("bed_full_since")?;
        let bed = if interrupted.bed_full {
            bed.or(Some(now))
        } else {
            bed
        };
        let ending = AttemptEnding {
            printer: row.try_get("printer")?,
            job: job.clone(),
            attempt: String::new(),
            end: AttemptEnd::Failed {
                cause: interrupted.cause,
                reason: "interrupted: printfarm restarted".to_owned(),
            },
            last_line: u64::try_from(row.try_get::<i64, _>("last_acked_line")?).unwrap_or(0),
            bed_full_since: bed,
            phase: if bed.is_some() {
                Phase::AwaitingClear
            } else {
                Phase::Offline
            },
        };
        match end_in(conn, &ending, policy, now).await? {
            super::attempts::JobOutcome::Requeued { .. } => report.requeued.push(job),
            _ => report.failed.push(job),
        }
    }
    let printers = sqlx::query::<Any>("SELECT name, bed_full_since FROM printers ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    for row in &printers {
        let name: String = row.try_get("name")?;
        let bed: Option<i64> = row.try_get("bed_full_since")?;
        let phase = if bed.is_some() {
            Phase::AwaitingClear
        } else {
            Phase::Offline
        };
        set_state_in(conn, &name, phase, bed).await?;
        if bed.is_some() {
            report.awaiting_clear.push(name);
        }
    }
    events::append(conn, "recovered", None, None, json!(report)).await?;
    Ok(report)
}
