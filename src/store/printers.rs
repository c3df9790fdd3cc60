//! Printers' stored state and bed, and recovery after a restart.

use super::attempts::{end_in, AttemptEnding};
use super::events;
use super::rows;
use super::types::{PrinterRecord, RecoveryReport};
use super::write::Persistence;
use super::{now_ms, tx, Store, StoreError};
use crate::domain::recovery::{after_restart, Interrupted};
use crate::domain::{AttemptEnd, Phase};
use crate::store::JobState;
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
        self.owner_write(
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
        let node = self.lease().map(|lease| lease.node);
        self.write(
            Persistence::Request,
            "recover after restart",
            tx!([node] | conn | {
                let scope = Scope::of(node.as_deref());
                let reason = "interrupted: printfarm restarted";
                let mut report = interrupt_in(conn, scope, after_restart, reason, policy).await?;
                report.awaiting_clear = offline_in(conn, scope).await?;
                events::append(conn, "recovered", None, None, json!(report)).await?;
                Ok(report)
            }),
        )
        .await
    }
}

/// The printers a recovery covers: all of them (one host), or one node's.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scope<'a> {
    /// Every printer.
    All,
    /// The printers of this node.
    Node(&'a str),
}

impl<'a> Scope<'a> {
    pub(super) fn of(node: Option<&'a str>) -> Scope<'a> {
        node.map_or(Scope::All, Scope::Node)
    }

    /// A condition on `printers` aliased `p`, with the node as `$1`.
    fn condition(self) -> &'static str {
        match self {
            Scope::All => "$1 = $1",
            Scope::Node(_) => "p.node = $1",
        }
    }

    fn bind(self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Node(node) => node.to_owned(),
        }
    }
}

/// Ends every attempt running on the printers in `scope` as `rule` says
/// (the job back in the queue, or failed when its budget is spent); a
/// printer that had started printing keeps what is on its bed.
pub(super) async fn interrupt_in(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    rule: fn(JobState) -> Option<Interrupted>,
    reason: &str,
    policy: crate::domain::FailurePolicy,
) -> Result<RecoveryReport, StoreError> {
    let now = now_ms();
    let sql = format!(
        "SELECT j.id, j.state, j.printer, j.last_acked_line, p.bed_full_since FROM jobs j \
         JOIN printers p ON p.name = j.printer \
         WHERE j.state IN ('assigned', 'printing', 'paused') AND {} ORDER BY j.id",
        scope.condition()
    );
    let active = sqlx::query::<Any>(&sql)
        .bind(scope.bind())
        .fetch_all(&mut *conn)
        .await?;
    let mut report = RecoveryReport::default();
    for row in &active {
        let job: String = row.try_get("id")?;
        let Some(interrupted) = rule(rows::job_state(row, "state")?) else {
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
                reason: reason.to_owned(),
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
    Ok(report)
}

/// Marks the printers in `scope` `offline` (or `awaiting_clear` when their
/// bed is full) until their drivers report in; the names of the full ones.
pub(super) async fn offline_in(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "SELECT p.name, p.bed_full_since FROM printers p WHERE {} ORDER BY p.name",
        scope.condition()
    );
    let printers = sqlx::query::<Any>(&sql)
        .bind(scope.bind())
        .fetch_all(&mut *conn)
        .await?;
    let mut full = Vec::new();
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
            full.push(name);
        }
    }
    Ok(full)
}
