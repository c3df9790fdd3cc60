//! Attempts: a job given to a printer, and how that ended. Beginning one is
//! the atomic claim; ending one settles the job (through the failure policy
//! of [`crate::domain`]), the attempt row, the printer's bed and its
//! maintenance odometer in one transaction.

use super::events;
use super::rows;
use super::states::JobState;
use super::transitions::current;
use super::{is_unique_violation, new_id, now_ms, tx, Store, StoreError};
use crate::domain::{
    after_failure, AfterFailure, AttemptEnd, FailureCause, FailurePolicy, PastFailure, Phase,
};
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};

/// A claim that was won.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptStart {
    /// The attempt's id.
    pub attempt: String,
    /// Path of the job's G-code on the host that recorded it.
    pub file_path: String,
    /// Hex SHA-256 of the G-code (its blob's key).
    pub sha256: String,
    /// Size of the G-code in bytes.
    pub size_bytes: i64,
    /// The file's first line that pushes filament, when known.
    pub first_extrusion_line: Option<u64>,
    /// How long the job waited since it was queued (created or requeued), ms.
    pub queue_wait_ms: i64,
    /// Filament the file deposits, mm.
    pub filament_mm: Option<f64>,
}

/// The end of an attempt, as the printer's supervisor reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptEnding {
    /// The printer.
    pub printer: String,
    /// The job.
    pub job: String,
    /// The attempt (empty: the job's open attempt on that printer).
    pub attempt: String,
    /// How it ended.
    pub end: AttemptEnd,
    /// Last acknowledged source line.
    pub last_line: u64,
    /// Since when a print is on the bed, if one is.
    pub bed_full_since: Option<i64>,
    /// The printer's phase afterwards.
    pub phase: Phase,
}

/// What became of the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum JobOutcome {
    /// Completed.
    Completed,
    /// Back in the queue.
    Requeued {
        /// Printer-caused failures so far.
        printer_faults: i64,
    },
    /// Held for an operator.
    Held,
    /// Cancelled.
    Cancelled,
    /// Failed for good.
    Failed {
        /// The cause it failed with.
        cause: FailureCause,
    },
    /// The job had already left the printer (nothing changed but the attempt).
    Untouched,
}

/// One attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptRecord {
    /// Id.
    pub id: String,
    /// The job.
    pub job_id: String,
    /// The printer.
    pub printer: String,
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms, once ended.
    pub ended_at: Option<i64>,
    /// `completed` or `failed`, once ended.
    pub outcome: Option<String>,
    /// Why it failed.
    pub cause: Option<FailureCause>,
    /// In the failure's own words.
    pub reason: Option<String>,
    /// Last source line the firmware acknowledged.
    pub last_acked_line: i64,
    /// Lines of the file, when known.
    pub line_count: Option<i64>,
}

fn attempt(row: &sqlx::any::AnyRow) -> Result<AttemptRecord, StoreError> {
    let cause: Option<String> = row.try_get("cause")?;
    Ok(AttemptRecord {
        id: row.try_get("id")?,
        job_id: row.try_get("job_id")?,
        printer: row.try_get("printer")?,
        started_at: row.try_get("started_at")?,
        ended_at: row.try_get("ended_at")?,
        outcome: row.try_get("outcome")?,
        cause: cause.map(|c| rows::cause(&c)).transpose()?,
        reason: row.try_get("reason")?,
        last_acked_line: row.try_get("last_acked_line")?,
        line_count: row.try_get("line_count")?,
    })
}

/// Lost claims end the transaction with this, so nothing of it is kept.
const CLAIM_LOST: &str = "claim lost";

impl Store {
    /// Gives a queued job to `printer` (the atomic claim): the job becomes
    /// `printing` on it and an attempt is opened. `None` when the job is no
    /// longer queued or the printer already has an active job (the
    /// database's unique indexes refuse a second one).
    pub async fn begin_attempt(
        &self,
        job: &str,
        printer: &str,
    ) -> Result<Option<AttemptStart>, StoreError> {
        let (job, printer, lease) = (job.to_owned(), printer.to_owned(), self.lease());
        let result = self
            .owner_write(
                "begin attempt",
                tx!([job, printer, lease] | conn | {
                    begin_in(conn, &job, &printer, lease.as_ref()).await
                }),
            )
            .await;
        match result {
            Ok(start) => Ok(start),
            Err(StoreError::Duplicate(CLAIM_LOST)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Ends an attempt: the job's new state (completed, or what the failure
    /// policy decides), the attempt row, the printer's state and bed, its
    /// maintenance odometer (the attempt's time, filament and one job) and
    /// their events, in one transaction that is retried until it succeeds.
    pub async fn end_attempt(&self, ending: &AttemptEnding) -> Result<JobOutcome, StoreError> {
        let (ending, policy) = (ending.clone(), self.policy);
        self.owner_write(
            "end attempt",
            tx!([ending] | conn | end_in(conn, &ending, policy, now_ms()).await),
        )
        .await
    }

    /// Records how far the running attempt got. Ignored unless the job is
    /// printing or paused on `printer`.
    pub async fn save_progress(
        &self,
        job: &str,
        printer: &str,
        line: u64,
    ) -> Result<(), StoreError> {
        let (job, printer) = (job.to_owned(), printer.to_owned());
        let line = i64::try_from(line).unwrap_or(i64::MAX);
        self.owner_write(
            "save progress",
            tx!([job, printer] | conn | {
                sqlx::query::<Any>(
                    "UPDATE jobs SET last_acked_line = $3 WHERE id = $1 AND printer = $2 \
                     AND state IN ('printing', 'paused')",
                )
                .bind(&job)
                .bind(&printer)
                .bind(line)
                .execute(&mut *conn)
                .await?;
                sqlx::query::<Any>(
                    "UPDATE attempts SET last_acked_line = $3 \
                     WHERE job_id = $1 AND printer = $2 AND ended_at IS NULL",
                )
                .bind(&job)
                .bind(&printer)
                .bind(line)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }),
        )
        .await
    }

    /// Records a pause or resume on the printer (`printing` ⇄ `paused`).
    pub async fn save_paused(&self, job: &str, paused: bool) -> Result<(), StoreError> {
        let job = job.to_owned();
        let (from, to, kind) = if paused {
            (JobState::Printing, JobState::Paused, "paused")
        } else {
            (JobState::Paused, JobState::Printing, "resumed")
        };
        self.owner_write(
            "save pause",
            tx!([job] | conn | {
                let cur = current(conn, &job).await?;
                if cur.state != from {
                    return Ok(());
                }
                sqlx::query::<Any>("UPDATE jobs SET state = $3 WHERE id = $1 AND state = $2")
                    .bind(&job)
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .execute(&mut *conn)
                    .await?;
                let payload = json!({ "from": from, "to": to });
                events::append(conn, kind, cur.printer.as_deref(), Some(&job), payload).await
            }),
        )
        .await
    }

    /// Every attempt of a job, oldest first.
    pub async fn job_attempts(&self, job: &str) -> Result<Vec<AttemptRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM attempts WHERE job_id = $1 ORDER BY started_at, id")
            .bind(job)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(attempt)
            .collect()
    }
}

async fn begin_in(
    conn: &mut AnyConnection,
    job: &str,
    printer: &str,
    lease: Option<&super::Lease>,
) -> Result<Option<AttemptStart>, StoreError> {
    let row = sqlx::query::<Any>(
        "SELECT j.state, j.created_at, f.path, f.sha256, f.size_bytes, f.line_count, \
         f.first_extrusion_line, f.filament_mm, \
         (SELECT MAX(a.ended_at) FROM attempts a WHERE a.job_id = j.id) AS last_end \
         FROM jobs j JOIN files f ON f.id = j.file_id WHERE j.id = $1",
    )
    .bind(job)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::NotFound {
        kind: "job",
        id: job.to_owned(),
    })?;
    if rows::job_state(&row, "state")? != JobState::Queued {
        return Ok(None);
    }
    let now = now_ms();
    let claimed = sqlx::query::<Any>(
        "UPDATE jobs SET state = 'printing', printer = $2, started_at = $3, last_acked_line = 0 \
         WHERE id = $1 AND state = 'queued'",
    )
    .bind(job)
    .bind(printer)
    .bind(now)
    .execute(&mut *conn)
    .await;
    match claimed {
        Ok(done) if done.rows_affected() == 1 => {}
        Ok(_) => return Ok(None),
        Err(e) if is_unique_violation(&e) => return Err(StoreError::Duplicate(CLAIM_LOST)),
        Err(e) => return Err(super::jobs::missing_reference(e, "printer", printer)),
    }
    let id = new_id();
    sqlx::query::<Any>(
        "INSERT INTO attempts (id, job_id, printer, started_at, line_count, node, epoch) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(job)
    .bind(printer)
    .bind(now)
    .bind(row.try_get::<Option<i64>, _>("line_count")?)
    .bind(lease.map(|l| l.node.clone()))
    .bind(lease.map(|l| l.epoch))
    .execute(&mut *conn)
    .await
    .map_err(|e| match is_unique_violation(&e) {
        true => StoreError::Duplicate(CLAIM_LOST),
        false => StoreError::Database(e),
    })?;
    let payload = json!({ "attempt": id, "state": JobState::Printing });
    events::append(conn, "claimed", Some(printer), Some(job), payload.clone()).await?;
    events::append(conn, "started", Some(printer), Some(job), payload).await?;
    super::printers::set_state_in(conn, printer, Phase::Printing, None).await?;
    let first_extrusion: Option<i64> = row.try_get("first_extrusion_line")?;
    let created_at: i64 = row.try_get("created_at")?;
    let last_end: Option<i64> = row.try_get("last_end")?;
    let queued_since = last_end.map_or(created_at, |end| end.max(created_at));
    Ok(Some(AttemptStart {
        queue_wait_ms: now.saturating_sub(queued_since).max(0),
        filament_mm: row.try_get("filament_mm")?,
        attempt: id,
        file_path: row.try_get("path")?,
        sha256: row.try_get("sha256")?,
        size_bytes: row.try_get("size_bytes")?,
        first_extrusion_line: first_extrusion.and_then(|l| u64::try_from(l).ok()),
    }))
}

/// Earlier failed attempts of a job, oldest first, without `except`.
async fn past_failures(
    conn: &mut AnyConnection,
    job: &str,
    except: &str,
) -> Result<Vec<PastFailure>, StoreError> {
    let rows = sqlx::query::<Any>(
        "SELECT printer, cause, reason FROM attempts \
         WHERE job_id = $1 AND outcome = 'failed' AND id <> $2 ORDER BY started_at, id",
    )
    .bind(job)
    .bind(except)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PastFailure {
                printer: row.try_get("printer")?,
                cause: rows::cause(&row.try_get::<String, _>("cause")?)?,
                reason: row
                    .try_get::<Option<String>, _>("reason")?
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The open attempt of `job` on `printer`, when the caller did not know it.
async fn open_attempt(
    conn: &mut AnyConnection,
    job: &str,
    printer: &str,
) -> Result<String, StoreError> {
    let row = sqlx::query::<Any>(
        "SELECT id FROM attempts WHERE job_id = $1 AND printer = $2 AND ended_at IS NULL",
    )
    .bind(job)
    .bind(printer)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => row.try_get("id")?,
        None => String::new(),
    })
}

/// Ends an attempt inside the caller's transaction; see [`Store::end_attempt`].
pub(super) async fn end_in(
    conn: &mut AnyConnection,
    ending: &AttemptEnding,
    policy: FailurePolicy,
    now: i64,
) -> Result<JobOutcome, StoreError> {
    let attempt = match ending.attempt.as_str() {
        "" => open_attempt(conn, &ending.job, &ending.printer).await?,
        id => id.to_owned(),
    };
    let last_line = i64::try_from(ending.last_line).unwrap_or(i64::MAX);
    let (outcome, cause, reason) = match &ending.end {
        AttemptEnd::Completed => ("completed", None, None),
        AttemptEnd::Failed { cause, reason } => {
            ("failed", Some(cause.code()), Some(reason.as_str()))
        }
    };
    let ended = sqlx::query::<Any>(
        "UPDATE attempts SET ended_at = $2, outcome = $3, cause = $4, reason = $5, \
         last_acked_line = $6 WHERE id = $1 AND ended_at IS NULL",
    )
    .bind(&attempt)
    .bind(now)
    .bind(outcome)
    .bind(cause)
    .bind(reason)
    .bind(last_line)
    .execute(&mut *conn)
    .await?;
    if ended.rows_affected() == 1 {
        super::maintenance::advance_in(conn, &attempt, now).await?;
    }
    let job_outcome = settle_job(conn, ending, &attempt, policy, now).await?;
    super::printers::set_state_in(conn, &ending.printer, ending.phase, ending.bed_full_since)
        .await?;
    Ok(job_outcome)
}

/// Moves the job out of its active state as the attempt's end demands.
async fn settle_job(
    conn: &mut AnyConnection,
    ending: &AttemptEnding,
    attempt: &str,
    policy: FailurePolicy,
    now: i64,
) -> Result<JobOutcome, StoreError> {
    let cur = current(conn, &ending.job).await?;
    if !cur.state.is_active() || cur.printer.as_deref() != Some(ending.printer.as_str()) {
        return Ok(JobOutcome::Untouched);
    }
    let (cause, reason) = match &ending.end {
        AttemptEnd::Completed => return complete(conn, ending, cur.state, now).await,
        AttemptEnd::Failed { cause, reason } => (*cause, reason.clone()),
    };
    let failure = PastFailure {
        printer: ending.printer.clone(),
        cause,
        reason: reason.clone(),
    };
    let history = past_failures(conn, &ending.job, attempt).await?;
    let faults = u32::try_from(cur.attempts).unwrap_or(u32::MAX);
    let decision = after_failure(policy, &failure, faults, &history);
    let (to, kind, final_cause, faults, outcome) = match decision {
        AfterFailure::Requeue { printer_faults } => {
            let n = i64::from(printer_faults);
            (
                JobState::Queued,
                "requeued",
                cause,
                n,
                JobOutcome::Requeued { printer_faults: n },
            )
        }
        AfterFailure::Hold => (
            JobState::Held,
            "held",
            cause,
            cur.attempts,
            JobOutcome::Held,
        ),
        AfterFailure::Cancel => (
            JobState::Cancelled,
            "cancelled",
            cause,
            cur.attempts,
            JobOutcome::Cancelled,
        ),
        AfterFailure::Fail {
            cause: failed,
            printer_faults,
        } => {
            let n = i64::from(printer_faults);
            (
                JobState::Failed,
                "failed",
                failed,
                n,
                JobOutcome::Failed { cause: failed },
            )
        }
    };
    let waiting = to.is_waiting();
    let sql = if waiting {
        "UPDATE jobs SET state = $3, printer = NULL, started_at = NULL, last_acked_line = 0, \
         attempts = $4, failure_cause = $5, failure_reason = $6 WHERE id = $1 AND state = $2"
    } else {
        "UPDATE jobs SET state = $3, finished_at = $7, last_acked_line = $8, attempts = $4, \
         failure_cause = $5, failure_reason = $6 WHERE id = $1 AND state = $2"
    };
    let mut query = sqlx::query::<Any>(sql)
        .bind(&ending.job)
        .bind(cur.state.as_str())
        .bind(to.as_str())
        .bind(faults)
        .bind(final_cause.code())
        .bind(&reason);
    if !waiting {
        query = query
            .bind(now)
            .bind(i64::try_from(ending.last_line).unwrap_or(i64::MAX));
    }
    query.execute(&mut *conn).await?;
    let payload = json!({
        "from": cur.state, "to": to, "cause": final_cause, "reason": reason,
        "printer_faults": faults, "attempt": attempt, "last_acked_line": ending.last_line,
    });
    events::append(
        conn,
        kind,
        Some(&ending.printer),
        Some(&ending.job),
        payload,
    )
    .await?;
    Ok(outcome)
}

async fn complete(
    conn: &mut AnyConnection,
    ending: &AttemptEnding,
    from: JobState,
    now: i64,
) -> Result<JobOutcome, StoreError> {
    sqlx::query::<Any>(
        "UPDATE jobs SET state = 'completed', finished_at = $3, last_acked_line = $4 \
         WHERE id = $1 AND state = $2",
    )
    .bind(&ending.job)
    .bind(from.as_str())
    .bind(now)
    .bind(i64::try_from(ending.last_line).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await?;
    let payload =
        json!({ "from": from, "to": JobState::Completed, "last_acked_line": ending.last_line });
    events::append(
        conn,
        "completed",
        Some(&ending.printer),
        Some(&ending.job),
        payload,
    )
    .await?;
    Ok(JobOutcome::Completed)
}
