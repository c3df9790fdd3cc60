//! The append-only event log.

use super::rows;
use super::types::EventRecord;
use super::{new_id, now_ms, Store, StoreError};
use serde_json::Value;
use sqlx::{Any, AnyConnection, Row};

/// Appends one event inside the caller's transaction.
pub(super) async fn append(
    conn: &mut AnyConnection,
    kind: &str,
    printer: Option<&str>,
    job: Option<&str>,
    payload: Value,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO events (id, at, kind, printer, job, payload_json) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(now_ms())
    .bind(kind)
    .bind(printer)
    .bind(job)
    .bind(payload.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

fn event(row: &sqlx::any::AnyRow) -> Result<EventRecord, StoreError> {
    Ok(EventRecord {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        kind: row.try_get("kind")?,
        printer: row.try_get("printer")?,
        job: row.try_get("job")?,
        payload: rows::json(row, "payload_json")?,
    })
}

/// An event's id is made a little before its `at` is read: ids this much
/// older than a window's start are still looked at.
const ID_CLOCK_SLACK_MS: i64 = 1_000;

impl Store {
    /// Events at or after `since_ms` with an id after `after_id`, in id
    /// order, at most `limit`: pages through a window of the event log.
    pub async fn events_page(
        &self,
        since_ms: i64,
        after_id: &str,
        limit: i64,
    ) -> Result<Vec<EventRecord>, StoreError> {
        // Ids start with their creation time in hex (`new_id`): bounding
        // the id too lets the primary key serve the range.
        let lowest = format!("{:012x}", since_ms.saturating_sub(ID_CLOCK_SLACK_MS).max(0));
        let after = if after_id > lowest.as_str() {
            after_id
        } else {
            lowest.as_str()
        };
        sqlx::query::<Any>("SELECT * FROM events WHERE id > $2 AND at >= $1 ORDER BY id LIMIT $3")
            .bind(since_ms)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(event)
            .collect()
    }

    /// Events at or after `since_ms`, oldest first, at most `limit`.
    pub async fn list_events(
        &self,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<EventRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM events WHERE at >= $1 ORDER BY id LIMIT $2")
            .bind(since_ms)
            .bind(limit)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(event)
            .collect()
    }

    /// All events of one job, oldest first.
    pub async fn job_events(&self, job_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM events WHERE job = $1 ORDER BY id")
            .bind(job_id)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(event)
            .collect()
    }
}
