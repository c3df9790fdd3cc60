//! The persistent render queue: one row per distinct input, shared by every
//! unit that needs it. Finishing a render settles its units in the same
//! transaction: queued with the file, or set aside for review.

use super::events;
use super::types::NewRender;
use super::write::Persistence;
use super::{now_ms, rows, tx, Store, StoreError};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::{Any, AnyConnection, Row};

/// A render as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderRecord {
    /// The cache key.
    pub key: String,
    /// The product.
    pub sku: String,
    /// Its version.
    pub version: i64,
    /// The slicer profile.
    pub profile: String,
    /// The unit's values.
    pub values: Value,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// The G-code made, once done.
    pub file_id: Option<String>,
    /// The STL made, once done.
    pub stl_path: Option<String>,
    /// Why it failed (or why the last try did).
    pub error: Option<String>,
    /// Tries so far.
    pub tries: i64,
    /// Not tried again before (unix ms).
    pub not_before: i64,
}

fn render(row: &sqlx::any::AnyRow) -> Result<RenderRecord, StoreError> {
    Ok(RenderRecord {
        key: row.try_get("key")?,
        sku: row.try_get("sku")?,
        version: row.try_get("version")?,
        profile: row.try_get("profile")?,
        values: rows::json(row, "values_json")?,
        state: row.try_get("state")?,
        file_id: row.try_get("file_id")?,
        stl_path: row.try_get("stl_path")?,
        error: row.try_get("error")?,
        tries: row.try_get("tries")?,
        not_before: row.try_get("not_before")?,
    })
}

/// How a render ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderOutcome {
    /// Made: the G-code file and the STL.
    Done {
        /// The G-code, recorded as a file.
        file_id: String,
        /// The STL.
        stl_path: String,
    },
    /// Failed for good: its units need a person.
    Failed {
        /// Why, with the tool's own words.
        error: String,
    },
    /// Failed in a way that may pass: try again at `retry_at`.
    Retry {
        /// Why.
        error: String,
        /// Unix ms.
        retry_at: i64,
    },
}

/// Records that `render` is needed (nothing when it is known already).
pub(super) async fn ensure_in(conn: &mut AnyConnection, new: &NewRender) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO renders (key, sku, version, profile, values_json, state, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', $6) ON CONFLICT (key) DO NOTHING",
    )
    .bind(&new.key)
    .bind(&new.sku)
    .bind(new.version)
    .bind(&new.profile)
    .bind(new.values.to_string())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves the render's units on, with an event each.
async fn settle_units(
    conn: &mut AnyConnection,
    key: &str,
    outcome: &RenderOutcome,
) -> Result<(), StoreError> {
    let (to, kind, file_id, reason) = match outcome {
        RenderOutcome::Done { file_id, .. } => ("queued", "rendered", Some(file_id.as_str()), None),
        RenderOutcome::Failed { error } => {
            ("needs_review", "needs_review", None, Some(error.as_str()))
        }
        RenderOutcome::Retry { .. } => return Ok(()),
    };
    let waiting = sqlx::query::<Any>(
        "SELECT id FROM jobs WHERE render_key = $1 AND state = 'rendering' ORDER BY id",
    )
    .bind(key)
    .fetch_all(&mut *conn)
    .await?;
    for row in &waiting {
        let job: String = row.try_get("id")?;
        sqlx::query::<Any>(
            "UPDATE jobs SET state = $2, file_id = COALESCE($3, file_id), \
             failure_reason = COALESCE($4, failure_reason) WHERE id = $1 AND state = 'rendering'",
        )
        .bind(&job)
        .bind(to)
        .bind(file_id)
        .bind(reason)
        .execute(&mut *conn)
        .await?;
        let payload = json!({ "from": "rendering", "to": to, "render": key, "reason": reason });
        events::append(conn, kind, None, Some(&job), payload).await?;
    }
    Ok(())
}

/// Puts the renders `node` was running (all running ones on a single host)
/// back in the queue.
pub(super) async fn requeue_running_in(
    conn: &mut AnyConnection,
    node: Option<&str>,
) -> Result<u64, StoreError> {
    let scope = match node {
        Some(_) => "node = $2",
        None => "$2 = $2",
    };
    let done = sqlx::query::<Any>(&format!(
        "UPDATE renders SET state = 'queued', updated_at = $1 WHERE state = 'running' AND {scope}"
    ))
    .bind(now_ms())
    .bind(node.unwrap_or_default())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

impl Store {
    /// Takes the oldest render due now (`queued` → `running`).
    /// On a node the render is marked as its own; of two nodes that chose
    /// the same render, one gets it.
    pub async fn claim_render(&self) -> Result<Option<RenderRecord>, StoreError> {
        let node = self.lease().map(|lease| lease.node);
        self.write(
            Persistence::Request,
            "claim render",
            tx!([node] | conn | {
                let row = sqlx::query::<Any>(
                    "SELECT * FROM renders WHERE state = 'queued' AND not_before <= $1 \
                     ORDER BY updated_at, key LIMIT 1",
                )
                .bind(now_ms())
                .fetch_optional(&mut *conn)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let mut found = render(&row)?;
                let claimed = sqlx::query::<Any>(
                    "UPDATE renders SET state = 'running', tries = tries + 1, updated_at = $2, \
                     node = $3 WHERE key = $1 AND state = 'queued'",
                )
                .bind(&found.key)
                .bind(now_ms())
                .bind(&node)
                .execute(&mut *conn)
                .await?;
                if claimed.rows_affected() == 0 {
                    return Ok(None);
                }
                found.state = "running".to_owned();
                found.tries += 1;
                Ok(Some(found))
            }),
        )
        .await
    }

    /// Records how a render ended and settles its units, in one
    /// transaction retried until it succeeds.
    pub async fn finish_render(
        &self,
        key: &str,
        outcome: &RenderOutcome,
    ) -> Result<(), StoreError> {
        let (key, outcome) = (key.to_owned(), outcome.clone());
        self.write(
            Persistence::Durable,
            "finish render",
            tx!([key, outcome] | conn | {
                let (state, file_id, stl, error, not_before) = match &outcome {
                    RenderOutcome::Done { file_id, stl_path } => (
                        "done",
                        Some(file_id.clone()),
                        Some(stl_path.clone()),
                        None,
                        0,
                    ),
                    RenderOutcome::Failed { error } => {
                        ("failed", None, None, Some(error.clone()), 0)
                    }
                    RenderOutcome::Retry { error, retry_at } => {
                        ("queued", None, None, Some(error.clone()), *retry_at)
                    }
                };
                sqlx::query::<Any>(
                    "UPDATE renders SET state = $2, file_id = $3, stl_path = $4, error = $5, \
                     not_before = $6, updated_at = $7 WHERE key = $1",
                )
                .bind(&key)
                .bind(state)
                .bind(file_id)
                .bind(stl)
                .bind(error)
                .bind(not_before)
                .bind(now_ms())
                .execute(&mut *conn)
                .await?;
                settle_units(conn, &key, &outcome).await
            }),
        )
        .await
    }

    /// After a restart: renders that were running start over (on a node,
    /// the ones it was running).
    pub async fn requeue_running_renders(&self) -> Result<u64, StoreError> {
        let node = self.lease().map(|lease| lease.node);
        self.write(
            Persistence::Request,
            "requeue renders",
            tx!([node] | conn | requeue_running_in(conn, node.as_deref()).await),
        )
        .await
    }

    /// One render.
    pub async fn get_render(&self, key: &str) -> Result<RenderRecord, StoreError> {
        let row = sqlx::query::<Any>("SELECT * FROM renders WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "render",
                id: key.to_owned(),
            })?;
        render(&row)
    }

    /// Renders in each state (for metrics and the operator).
    pub async fn render_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query::<Any>("SELECT state, COUNT(*) AS n FROM renders GROUP BY state ORDER BY state")
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("state")?, row.try_get("n")?)))
            .collect()
    }

    /// Sends a unit that needs review back to rendering with `render` (its
    /// values corrected, or its product fixed): a render that failed is
    /// tried again. `personalisation` replaces the unit's when given.
    pub async fn rerender_job(
        &self,
        job: &str,
        render: &NewRender,
        personalisation: Option<&Value>,
    ) -> Result<(), StoreError> {
        let (job, render, personalisation) =
            (job.to_owned(), render.clone(), personalisation.cloned());
        self.write(
            Persistence::Request,
            "rerender",
            tx!([job, render, personalisation] |conn| {
                let cur = super::transitions::current(conn, &job).await?;
                if cur.state != super::JobState::NeedsReview {
                    return Err(StoreError::InvalidTransition {
                        job: job.clone(),
                        state: cur.state,
                        action: "render again",
                    });
                }
                ensure_in(conn, &render).await?;
                sqlx::query::<Any>(
                    "UPDATE renders SET state = 'queued', tries = 0, not_before = 0, error = NULL, \
                     updated_at = $2 WHERE key = $1 AND state = 'failed'",
                )
                .bind(&render.key)
                .bind(now_ms())
                .execute(&mut *conn)
                .await?;
                sqlx::query::<Any>(
                    "UPDATE jobs SET state = 'rendering', render_key = $2, product_version = $3, \
                     personalisation_json = COALESCE($4, personalisation_json), failure_reason = NULL \
                     WHERE id = $1 AND state = 'needs_review'",
                )
                .bind(&job)
                .bind(&render.key)
                .bind(render.version)
                .bind(personalisation.as_ref().map(Value::to_string))
                .execute(&mut *conn)
                .await?;
                let payload = json!({ "from": "needs_review", "to": "rendering", "render": render.key });
                events::append(conn, "rerender", None, Some(&job), payload).await?;
                // A render already done settles the unit at once.
                let state: String = sqlx::query::<Any>("SELECT state FROM renders WHERE key = $1")
                    .bind(&render.key)
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get("state")?;
                if state == "done" {
                    let done = sqlx::query::<Any>("SELECT file_id, stl_path FROM renders WHERE key = $1")
                        .bind(&render.key)
                        .fetch_one(&mut *conn)
                        .await?;
                    let outcome = RenderOutcome::Done {
                        file_id: done.try_get("file_id")?,
                        stl_path: done.try_get::<Option<String>, _>("stl_path")?.unwrap_or_default(),
                    };
                    settle_units(conn, &render.key, &outcome).await?;
                }
                Ok(())
            }),
        )
        .await
    }
}
