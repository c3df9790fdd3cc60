//! Store orders at the farm's door (one row per shop and store order) and
//! the outbox of status callbacks sent back to shops.

use super::write::Persistence;
use super::{new_id, now_ms, rows, tx, Store, StoreError};
use crate::shops::mapping::LineOverride;
use crate::shops::payload::StoreOrder;
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};
use std::collections::BTreeMap;

/// A store's order as the farm holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntakeRecord {
    /// Id.
    pub id: String,
    /// The shop.
    pub shop: String,
    /// The store's order id.
    pub store_order_id: String,
    /// `waiting_payment`, `needs_mapping`, `needs_review`, `ordered`, `cancelled`.
    pub state: String,
    /// Why it waits for a person.
    pub reason: Option<String>,
    /// The order as last delivered.
    pub order: StoreOrder,
    /// Operators' corrections, by store line id.
    pub overrides: BTreeMap<String, LineOverride>,
    /// The farm's order, once made.
    pub order_id: Option<String>,
    /// The last status reported to the shop.
    pub reported_status: Option<String>,
    /// Units already on a printer when the shop cancelled.
    pub started_units: Option<Vec<String>>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

fn corrupt(column: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::Corrupt {
        column,
        detail: e.to_string(),
    }
}

fn intake(row: &sqlx::any::AnyRow) -> Result<IntakeRecord, StoreError> {
    let started: Option<String> = row.try_get("started_units")?;
    Ok(IntakeRecord {
        id: row.try_get("id")?,
        shop: row.try_get("shop")?,
        store_order_id: row.try_get("store_order_id")?,
        state: row.try_get("state")?,
        reason: row.try_get("reason")?,
        order: serde_json::from_value(rows::json(row, "order_json")?)
            .map_err(corrupt("order_json"))?,
        overrides: serde_json::from_value(rows::json(row, "overrides_json")?)
            .map_err(corrupt("overrides_json"))?,
        order_id: row.try_get("order_id")?,
        reported_status: row.try_get("reported_status")?,
        started_units: started
            .map(|s| serde_json::from_str(&s).map_err(corrupt("started_units")))
            .transpose()?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A JSON column's text (its types always serialise).
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

async fn upsert(conn: &mut AnyConnection, r: &IntakeRecord) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO intake_orders (id, shop, store_order_id, state, reason, order_json, \
         overrides_json, order_id, started_units, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (shop, store_order_id) DO UPDATE SET state = excluded.state, \
         reason = excluded.reason, order_json = excluded.order_json, \
         overrides_json = excluded.overrides_json, order_id = excluded.order_id, \
         started_units = excluded.started_units, updated_at = excluded.updated_at",
    )
    .bind(&r.id)
    .bind(&r.shop)
    .bind(&r.store_order_id)
    .bind(&r.state)
    .bind(&r.reason)
    .bind(json(&r.order))
    .bind(json(&r.overrides))
    .bind(&r.order_id)
    .bind(r.started_units.as_ref().map(json))
    .bind(r.created_at)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A status callback as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallbackRecord {
    /// Id (sorts by creation).
    pub id: String,
    /// The shop.
    pub shop: String,
    /// The store order it reports on.
    pub intake_id: String,
    /// Sent as `Idempotency-Key`.
    pub idempotency_key: String,
    /// The JSON body, signed as sent.
    pub body: String,
    /// `pending` or `delivered`.
    pub state: String,
    /// Tries so far.
    pub attempts: i64,
    /// Not sent again before (unix ms).
    pub next_at: i64,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub delivered_at: Option<i64>,
}

fn callback(row: &sqlx::any::AnyRow) -> Result<CallbackRecord, StoreError> {
    Ok(CallbackRecord {
        id: row.try_get("id")?,
        shop: row.try_get("shop")?,
        intake_id: row.try_get("intake_id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        body: row.try_get("body")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        next_at: row.try_get("next_at")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

/// A status to report: the new status and, when the shop has a callback
/// URL, the callback to send (`body` built with `idempotency_key` in it).
#[derive(Debug, Clone)]
pub struct StatusReport {
    /// The store order.
    pub intake_id: String,
    /// The status now.
    pub status: String,
    /// The callback: shop, idempotency key, body.
    pub callback: Option<(String, String, String)>,
}

async fn report(conn: &mut AnyConnection, r: &StatusReport) -> Result<bool, StoreError> {
    let changed = sqlx::query::<Any>(
        "UPDATE intake_orders SET reported_status = $2 WHERE id = $1 \
         AND (reported_status IS NULL OR reported_status <> $2)",
    )
    .bind(&r.intake_id)
    .bind(&r.status)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    if let Some((shop, key, body)) = &r.callback {
        sqlx::query::<Any>(
            "INSERT INTO callbacks (id, shop, intake_id, idempotency_key, body, next_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(new_id())
        .bind(shop)
        .bind(&r.intake_id)
        .bind(key)
        .bind(body)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

impl Store {
    /// The intake row of a store order, if any.
    pub async fn intake_by_store(
        &self,
        shop: &str,
        store_order_id: &str,
    ) -> Result<Option<IntakeRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM intake_orders WHERE shop = $1 AND store_order_id = $2")
            .bind(shop)
            .bind(store_order_id)
            .fetch_optional(&self.read_pool)
            .await?
            .as_ref()
            .map(intake)
            .transpose()
    }

    /// One intake row.
    pub async fn intake(&self, id: &str) -> Result<IntakeRecord, StoreError> {
        let row = sqlx::query::<Any>("SELECT * FROM intake_orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "intake order",
                id: id.to_owned(),
            })?;
        intake(&row)
    }

    /// Intake rows, newest first, optionally in one state or of one shop.
    pub async fn list_intake(
        &self,
        state: Option<&str>,
        shop: Option<&str>,
        limit: i64,
    ) -> Result<Vec<IntakeRecord>, StoreError> {
        sqlx::query::<Any>(
            "SELECT * FROM intake_orders WHERE ($1 IS NULL OR state = $1) \
             AND ($2 IS NULL OR shop = $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(state)
        .bind(shop)
        .bind(limit)
        .fetch_all(&self.read_pool)
        .await?
        .iter()
        .map(intake)
        .collect()
    }

    /// Intake rows whose status may still change, oldest first.
    pub async fn intake_to_report(&self) -> Result<Vec<IntakeRecord>, StoreError> {
        sqlx::query::<Any>(
            "SELECT * FROM intake_orders WHERE reported_status IS NULL \
             OR reported_status NOT IN ('completed', 'failed', 'cancelled') ORDER BY id",
        )
        .fetch_all(&self.read_pool)
        .await?
        .iter()
        .map(intake)
        .collect()
    }

    /// Writes an intake row (insert, or update by shop and store order).
    pub async fn save_intake(&self, record: &IntakeRecord) -> Result<(), StoreError> {
        let record = record.clone();
        self.write(
            Persistence::Durable,
            "save intake",
            tx!([record] | conn | upsert(conn, &record).await),
        )
        .await
    }

    /// Records a status as reported and queues its callback, once: false
    /// when that status was the last one reported already.
    pub async fn report_status(&self, status: &StatusReport) -> Result<bool, StoreError> {
        let r = status.clone();
        self.write(
            Persistence::Durable,
            "report status",
            tx!([r] | conn | report(conn, &r).await),
        )
        .await
    }

    /// Callbacks not delivered yet, oldest first.
    pub async fn pending_callbacks(&self, limit: i64) -> Result<Vec<CallbackRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM callbacks WHERE state = 'pending' ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(callback)
            .collect()
    }

    /// Records a try: delivered, or failed with why and when to try again.
    pub async fn callback_tried(
        &self,
        id: &str,
        failed: Option<(String, i64)>,
    ) -> Result<(), StoreError> {
        let args = (id.to_owned(), failed);
        self.write(
            Persistence::Durable,
            "callback tried",
            tx!([args] | conn | {
                let query = match &args.1 {
                    None => sqlx::query::<Any>(
                        "UPDATE callbacks SET state = 'delivered', attempts = attempts + 1, \
                         delivered_at = $2, last_error = NULL WHERE id = $1",
                    )
                    .bind(&args.0)
                    .bind(now_ms()),
                    Some((error, next_at)) => sqlx::query::<Any>(
                        "UPDATE callbacks SET attempts = attempts + 1, last_error = $2, \
                         next_at = $3 WHERE id = $1",
                    )
                    .bind(&args.0)
                    .bind(error)
                    .bind(*next_at),
                };
                query.execute(&mut *conn).await?;
                Ok(())
            }),
        )
        .await
    }

    /// A shop's callbacks, newest first.
    pub async fn list_callbacks(
        &self,
        shop: &str,
        limit: i64,
    ) -> Result<Vec<CallbackRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM callbacks WHERE shop = $1 ORDER BY id DESC LIMIT $2")
            .bind(shop)
            .bind(limit)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(callback)
            .collect()
    }
}
