//! Job state changes. Each runs in one transaction, checks the current state,
//! updates conditionally on it, and appends an event row.

use super::events;
use super::rows;
use super::states::JobState;
use super::types::FailOutcome;
use super::{now_ms, Store, StoreError};
use serde_json::{json, Value};
use sqlx::{Any, AnyConnection, Row};

use JobState::{Assigned, Cancelled, Completed, Failed, Held, Paused, Printing, Queued};

/// Which timestamp a transition sets.
#[derive(Clone, Copy)]
enum Stamp {
    None,
    Started,
    Finished,
}

/// The job's row as the transaction found it.
pub(super) struct Current {
    pub state: JobState,
    pub printer: Option<String>,
    pub attempts: i64,
}

pub(super) async fn current(conn: &mut AnyConnection, job: &str) -> Result<Current, StoreError> {
    let row = sqlx::query::<Any>("SELECT state, printer, attempts FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "job",
            id: job.to_owned(),
        })?;
    Ok(Current {
        state: rows::job_state(&row, "state")?,
        printer: row.try_get("printer")?,
        attempts: row.try_get("attempts")?,
    })
}

fn require(
    job: &str,
    current: &Current,
    allowed: &[JobState],
    action: &'static str,
) -> Result<(), StoreError> {
    if allowed.contains(&current.state) {
        Ok(())
    } else {
        Err(StoreError::InvalidTransition {
            job: job.to_owned(),
            state: current.state,
            action,
        })
    }
}

/// Moves the job from `from` to `to`, failing if it changed meanwhile.
async fn move_state(
    conn: &mut AnyConnection,
    job: &str,
    from: JobState,
    to: JobState,
    stamp: Stamp,
) -> Result<(), StoreError> {
    let set = match stamp {
        Stamp::None => "",
        Stamp::Started => ", started_at = $4",
        Stamp::Finished => ", finished_at = $4",
    };
    let sql = format!("UPDATE jobs SET state = $3{set} WHERE id = $1 AND state = $2");
    let mut query = sqlx::query::<Any>(&sql)
        .bind(job)
        .bind(from.as_str())
        .bind(to.as_str());
    if !matches!(stamp, Stamp::None) {
        query = query.bind(now_ms());
    }
    if query.execute(conn).await?.rows_affected() == 0 {
        return Err(StoreError::InvalidTransition {
            job: job.to_owned(),
            state: from,
            action: "change state concurrently",
        });
    }
    Ok(())
}

fn change(from: JobState, to: JobState, extra: Value) -> Value {
    let mut payload = json!({ "from": from, "to": to });
    if let (Some(map), Value::Object(extra)) = (payload.as_object_mut(), extra) {
        map.extend(extra);
    }
    payload
}

impl Store {
    async fn simple_transition(
        &self,
        job: &str,
        action: &'static str,
        allowed: &[JobState],
        to: JobState,
        stamp: Stamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let cur = current(&mut tx, job).await?;
        require(job, &cur, allowed, action)?;
        move_state(&mut tx, job, cur.state, to, stamp).await?;
        let payload = change(cur.state, to, Value::Null);
        events::append(&mut tx, action, cur.printer.as_deref(), Some(job), payload).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `assigned` → `printing`; records the start time.
    pub async fn start_printing(&self, job: &str) -> Result<(), StoreError> {
        self.simple_transition(job, "started", &[Assigned], Printing, Stamp::Started)
            .await
    }

    /// `printing` → `paused`.
    pub async fn pause(&self, job: &str) -> Result<(), StoreError> {
        self.simple_transition(job, "paused", &[Printing], Paused, Stamp::None)
            .await
    }

    /// `paused` → `printing`.
    pub async fn resume(&self, job: &str) -> Result<(), StoreError> {
        self.simple_transition(job, "resumed", &[Paused], Printing, Stamp::None)
            .await
    }

    /// `printing` → `completed`; records the finish time.
    pub async fn complete(&self, job: &str) -> Result<(), StoreError> {
        self.simple_transition(job, "completed", &[Printing], Completed, Stamp::Finished)
            .await
    }

    /// Any non-terminal state → `cancelled`.
    pub async fn cancel(&self, job: &str) -> Result<(), StoreError> {
        let allowed = [Queued, Held, Assigned, Printing, Paused];
        self.simple_transition(job, "cancelled", &allowed, Cancelled, Stamp::Finished)
            .await
    }

    /// `queued` → `held`: kept out of scheduling.
    pub async fn hold(&self, job: &str) -> Result<(), StoreError> {
        self.simple_transition(job, "held", &[Queued], Held, Stamp::None)
            .await
    }

    /// `held` → `queued`.
    pub async fn release(&self, job: &str) -> Result<(), StoreError> {
        self.simple_transition(job, "released", &[Held], Queued, Stamp::None)
            .await
    }

    /// Changes the priority of a job that has not finished.
    pub async fn set_priority(&self, job: &str, priority: i64) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let cur = current(&mut tx, job).await?;
        let allowed = [Queued, Held, Assigned, Printing, Paused];
        require(job, &cur, &allowed, "change priority")?;
        sqlx::query::<Any>("UPDATE jobs SET priority = $2 WHERE id = $1")
            .bind(job)
            .bind(priority)
            .execute(&mut *tx)
            .await?;
        let payload = json!({ "priority": priority });
        events::append(
            &mut tx,
            "priority",
            cur.printer.as_deref(),
            Some(job),
            payload,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the last line the printer acknowledged. Cheap: one UPDATE, no
    /// event; ignored unless the job is printing or paused. Returns whether
    /// the row changed.
    pub async fn record_progress(&self, job: &str, acked_line: i64) -> Result<bool, StoreError> {
        let result = sqlx::query::<Any>(
            "UPDATE jobs SET last_acked_line = $2 \
             WHERE id = $1 AND state IN ('printing', 'paused')",
        )
        .bind(job)
        .bind(acked_line.max(0))
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Ends the active attempt of a job. A printer-caused failure puts the
    /// job back in the queue (attempts + 1) until the requeue limit is
    /// reached; any other failure, or the last allowed one, fails it for good.
    pub async fn fail(
        &self,
        job: &str,
        reason: &str,
        printer_caused: bool,
    ) -> Result<FailOutcome, StoreError> {
        let mut tx = self.begin().await?;
        let outcome = fail_in(&mut tx, job, reason, printer_caused, self.requeue_limit).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

/// The failure policy, inside the caller's transaction.
pub(super) async fn fail_in(
    conn: &mut AnyConnection,
    job: &str,
    reason: &str,
    printer_caused: bool,
    requeue_limit: u32,
) -> Result<FailOutcome, StoreError> {
    let cur = current(conn, job).await?;
    require(job, &cur, &[Assigned, Printing, Paused], "fail")?;
    let attempts = cur.attempts + i64::from(printer_caused);
    let requeue = printer_caused && attempts < i64::from(requeue_limit);
    let (sql, to, outcome) = if requeue {
        (
            "UPDATE jobs SET state = 'queued', printer = NULL, started_at = NULL, \
             last_acked_line = 0, attempts = $3, failure_reason = $4 \
             WHERE id = $1 AND state = $2",
            Queued,
            FailOutcome::Requeued { attempts },
        )
    } else {
        (
            "UPDATE jobs SET state = 'failed', finished_at = $5, attempts = $3, \
             failure_reason = $4 WHERE id = $1 AND state = $2",
            Failed,
            FailOutcome::Failed { attempts },
        )
    };
    let mut query = sqlx::query::<Any>(sql)
        .bind(job)
        .bind(cur.state.as_str())
        .bind(attempts)
        .bind(reason);
    if !requeue {
        query = query.bind(now_ms());
    }
    if query.execute(&mut *conn).await?.rows_affected() == 0 {
        return Err(StoreError::InvalidTransition {
            job: job.to_owned(),
            state: cur.state,
            action: "fail concurrently",
        });
    }
    let kind = if requeue { "requeued" } else { "failed" };
    let extra = json!({ "reason": reason, "printer_caused": printer_caused, "attempts": attempts });
    let payload = change(cur.state, to, extra);
    events::append(conn, kind, cur.printer.as_deref(), Some(job), payload).await?;
    Ok(outcome)
}
