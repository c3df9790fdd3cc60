//! Job state changes that need no printer: cancelling, holding and
//! releasing waiting jobs, priorities. Each runs in one transaction, checks
//! the current state, updates conditionally on it, and appends an event row.
//! Changes of jobs on a printer go through that printer's supervisor and
//! [`Store::end_attempt`](super::Store::end_attempt).

use super::events;
use super::rows;
use super::states::JobState;
use super::write::Persistence;
use super::{now_ms, tx, Store, StoreError};
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};

use JobState::{Cancelled, Held, Queued};

/// The job's row as the transaction found it.
pub(super) struct Current {
    pub state: JobState,
    pub printer: Option<String>,
    /// Printer-caused failures so far (the `attempts` column).
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

fn refuse(job: &str, state: JobState, action: &'static str) -> StoreError {
    StoreError::InvalidTransition {
        job: job.to_owned(),
        state,
        action,
    }
}

/// Moves a job from one of `allowed` to `to`, with an event `kind`.
async fn move_job(
    conn: &mut AnyConnection,
    job: &str,
    allowed: &[JobState],
    to: JobState,
    kind: &'static str,
) -> Result<(), StoreError> {
    let cur = current(conn, job).await?;
    if !allowed.contains(&cur.state) {
        return Err(refuse(job, cur.state, kind));
    }
    let finished = to.is_terminal().then(now_ms);
    let moved = sqlx::query::<Any>(
        "UPDATE jobs SET state = $3, finished_at = COALESCE($4, finished_at) \
         WHERE id = $1 AND state = $2",
    )
    .bind(job)
    .bind(cur.state.as_str())
    .bind(to.as_str())
    .bind(finished)
    .execute(&mut *conn)
    .await?;
    if moved.rows_affected() == 0 {
        return Err(refuse(job, cur.state, kind));
    }
    let payload = json!({ "from": cur.state, "to": to });
    events::append(conn, kind, cur.printer.as_deref(), Some(job), payload).await
}

impl Store {
    async fn transition(
        &self,
        job: &str,
        allowed: &'static [JobState],
        to: JobState,
        kind: &'static str,
    ) -> Result<(), StoreError> {
        let job = job.to_owned();
        self.write(
            Persistence::Request,
            kind,
            tx!([job] | conn | move_job(conn, &job, allowed, to, kind).await),
        )
        .await
    }

    /// A waiting job (`queued` or `held`) → `cancelled`. A job on a printer
    /// is cancelled through its printer, which ends the attempt.
    pub async fn cancel_waiting(&self, job: &str) -> Result<(), StoreError> {
        self.transition(job, &[Queued, Held], Cancelled, "cancelled")
            .await
    }

    /// `queued` → `held`: kept out of scheduling.
    pub async fn hold(&self, job: &str) -> Result<(), StoreError> {
        self.transition(job, &[Queued], Held, "held").await
    }

    /// `held` → `queued`.
    pub async fn release(&self, job: &str) -> Result<(), StoreError> {
        self.transition(job, &[Held], Queued, "released").await
    }

    /// Changes the priority of a job that has not finished.
    pub async fn set_priority(&self, job: &str, priority: i64) -> Result<(), StoreError> {
        let job = job.to_owned();
        self.write(
            Persistence::Request,
            "priority",
            tx!([job] | conn | {
                let cur = current(conn, &job).await?;
                if cur.state.is_terminal() {
                    return Err(refuse(&job, cur.state, "change priority"));
                }
                sqlx::query::<Any>("UPDATE jobs SET priority = $2 WHERE id = $1")
                    .bind(&job)
                    .bind(priority)
                    .execute(&mut *conn)
                    .await?;
                let payload = json!({ "priority": priority });
                events::append(
                    conn,
                    "priority",
                    cur.printer.as_deref(),
                    Some(&job),
                    payload,
                )
                .await
            }),
        )
        .await
    }
}
