//! Orders from shops and their items; each unit becomes a job.

use super::events;
use super::jobs::{insert_job, missing_reference, JobInsert};
use super::states::JobState;
use super::types::{CreatedOrder, NewOrder, OrderRecord};
use super::write::Persistence;
use super::{is_unique_violation, new_id, now_ms, tx, Store, StoreError};
use serde_json::{json, Value};
use sqlx::{Any, AnyConnection, Row};

/// Units written per transaction when an order is stored, so a large order
/// never holds SQLite's write lock for more than a few milliseconds.
pub const ORDER_BATCH: usize = 100;

/// One unit to insert: its item and its number within the item.
#[derive(Debug, Clone, Copy)]
struct Unit {
    item: usize,
    index: usize,
}

impl Store {
    /// Stores an order: the order and its items first, then its units in
    /// batches of [`ORDER_BATCH`] as `pending` jobs, then one transaction
    /// that accepts them all (`pending` → `queued`). Until then nothing of
    /// it is scheduled; an order cut off by a crash is removed at the next
    /// start ([`Store::discard_unaccepted_orders`]). A duplicate external id
    /// is refused with the existing order's id.
    pub async fn create_order(&self, new: &NewOrder) -> Result<CreatedOrder, StoreError> {
        if new.items.iter().any(|i| i.units.is_empty()) {
            return Err(StoreError::Invalid {
                field: "quantity",
                detail: "every item needs at least one unit".into(),
            });
        }
        let order = OrderRecord {
            id: new_id(),
            external_id: new.external_id.clone(),
            customer_ref: new.customer_ref.clone(),
            due_at: new.due_at,
            owner_key_id: new.owner_key_id.clone(),
            created_at: now_ms(),
        };
        let new = new.clone();
        let node = self.lease().map(|lease| lease.node);
        let stored = self
            .write(
                Persistence::Request,
                "create order",
                tx!([order, new, node] | conn | {
                    insert_order(conn, &order, &new, node.as_deref()).await
                }),
            )
            .await;
        let items = match stored {
            Ok(items) => items,
            Err(StoreError::Duplicate(what)) => return Err(self.existing_order(&new, what).await),
            Err(e) => return Err(e),
        };
        let units = units_of(&new);
        let mut job_ids = Vec::with_capacity(units.len());
        for batch in units.chunks(ORDER_BATCH) {
            let batch = batch.to_vec();
            let written = self
                .write(
                    Persistence::Request,
                    "order units",
                    tx!([order, new, items, batch]
                        | conn
                        | insert_units(conn, &order, &new, &items, &batch).await),
                )
                .await;
            match written {
                Ok(ids) => job_ids.extend(ids),
                Err(e) => {
                    self.discard_order(&order.id).await;
                    return Err(e);
                }
            }
        }
        let jobs = job_ids.len();
        let accepted = self
            .write(
                Persistence::Request,
                "accept order",
                tx!([order] | conn | accept_order(conn, &order, jobs).await),
            )
            .await;
        if let Err(e) = accepted {
            self.discard_order(&order.id).await;
            return Err(e);
        }
        Ok(CreatedOrder { order, job_ids })
    }

    /// The refusal of a duplicate external id, naming the order that has it.
    async fn existing_order(&self, new: &NewOrder, what: &'static str) -> StoreError {
        let found = sqlx::query::<Any>(
            "SELECT id FROM orders WHERE external_id = $1 AND \
             (owner_key_id = $2 OR (owner_key_id IS NULL AND $2 IS NULL))",
        )
        .bind(&new.external_id)
        .bind(&new.owner_key_id)
        .fetch_optional(&self.read_pool)
        .await;
        match found {
            Ok(Some(row)) => match row.try_get::<String, _>("id") {
                Ok(id) => StoreError::Exists { what: "order", id },
                Err(e) => StoreError::Database(e),
            },
            _ => StoreError::Duplicate(what),
        }
    }

    /// Removes an order that was never accepted (best effort: what is left
    /// is removed at the next start).
    async fn discard_order(&self, order: &str) {
        let order = order.to_owned();
        let result = self
            .write(
                Persistence::Request,
                "discard order",
                tx!([order] | conn | delete_unaccepted(conn, &order).await),
            )
            .await;
        if let Err(e) = result {
            tracing::warn!(%order, "could not remove an order that was not accepted: {e}");
        }
    }

    /// Removes orders a crash cut off before they were accepted (their
    /// units are still `pending`; nobody was told they exist): on a node,
    /// only the orders it was taking. Returns their ids.
    pub async fn discard_unaccepted_orders(&self) -> Result<Vec<String>, StoreError> {
        let node = self.lease().map(|lease| lease.node);
        self.write(
            Persistence::Request,
            "discard unaccepted orders",
            tx!([node] | conn | discard_unaccepted_in(conn, node.as_deref()).await),
        )
        .await
    }

    pub async fn get_order(&self, id: &str) -> Result<OrderRecord, StoreError> {
        let row = sqlx::query::<Any>("SELECT * FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "order",
                id: id.to_owned(),
            })?;
        super::api_queries::order(&row)
    }
}

/// The order row and its items; units come after, in batches. Returns
/// the items' ids.
async fn insert_order(
    conn: &mut AnyConnection,
    order: &OrderRecord,
    new: &NewOrder,
    node: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO orders (id, external_id, customer_ref, due_at, owner_key_id, created_at, \
         node) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&order.id)
    .bind(&order.external_id)
    .bind(&order.customer_ref)
    .bind(order.due_at)
    .bind(&order.owner_key_id)
    .bind(order.created_at)
    .bind(node)
    .execute(&mut *conn)
    .await
    .map_err(|e| match is_unique_violation(&e) {
        true => StoreError::Duplicate("external order id"),
        false => StoreError::Database(e),
    })?;
    let mut ids = Vec::with_capacity(new.items.len());
    for item in &new.items {
        let id = new_id();
        let (sku, version) = item.product.clone().unzip();
        sqlx::query::<Any>(
            "INSERT INTO order_items (id, order_id, file_id, sku, product_version, quantity, \
             personalisation_json) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(&order.id)
        .bind(&item.file_id)
        .bind(sku)
        .bind(version)
        .bind(item.units.len() as i64)
        .bind(item.personalisation.as_ref().map(Value::to_string))
        .execute(&mut *conn)
        .await
        .map_err(|e| missing_reference(e, "file", item.file_id.as_deref().unwrap_or("")))?;
        ids.push(id);
    }
    Ok(ids)
}

/// Every unit of every item, in item then unit order.
fn units_of(new: &NewOrder) -> Vec<Unit> {
    let mut units = Vec::new();
    for (item, line) in new.items.iter().enumerate() {
        units.extend((0..line.units.len()).map(|index| Unit { item, index }));
    }
    units
}

/// One batch of units as `pending` jobs, with the renders they need.
async fn insert_units(
    conn: &mut AnyConnection,
    order: &OrderRecord,
    new: &NewOrder,
    item_ids: &[String],
    units: &[Unit],
) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::with_capacity(units.len());
    for unit in units {
        let (Some(item), Some(item_id)) = (new.items.get(unit.item), item_ids.get(unit.item))
        else {
            continue;
        };
        let Some(this) = item.units.get(unit.index) else {
            continue;
        };
        if let Some(render) = &this.render {
            super::renders::ensure_in(conn, render).await?;
        }
        let (sku, version) = item.product.clone().unzip();
        let job = JobInsert {
            file_id: item.file_id.as_deref(),
            order_id: Some(&order.id),
            order_item_id: Some(item_id),
            unit_index: unit.index as i64,
            personalisation: this.personalisation.as_ref(),
            priority: new.priority,
            due_at: order.due_at,
            material: item.material.as_deref(),
            colour: item.colour.as_deref(),
            required_tags: &item.required_tags,
            owner_key_id: order.owner_key_id.as_deref(),
            state: JobState::Pending,
            product_sku: sku.as_deref(),
            product_version: version,
            render_key: this.render.as_ref().map(|r| r.key.as_str()),
        };
        ids.push(insert_job(conn, &job).await?);
    }
    Ok(ids)
}

/// Makes an order's units live, all at once: a unit whose file exists (an
/// upload, a fixed product, a render done before) is queued; one whose
/// render failed before needs review; the others wait for their render.
async fn accept_order(
    conn: &mut AnyConnection,
    order: &OrderRecord,
    jobs: usize,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "UPDATE jobs SET \
           file_id = COALESCE(file_id, \
             (SELECT r.file_id FROM renders r WHERE r.key = jobs.render_key AND r.state = 'done')), \
           failure_reason = CASE WHEN render_key IS NOT NULL AND \
             (SELECT r.state FROM renders r WHERE r.key = jobs.render_key) = 'failed' \
             THEN (SELECT r.error FROM renders r WHERE r.key = jobs.render_key) \
             ELSE failure_reason END, \
           state = CASE \
             WHEN render_key IS NULL THEN 'queued' \
             WHEN (SELECT r.state FROM renders r WHERE r.key = jobs.render_key) = 'done' THEN 'queued' \
             WHEN (SELECT r.state FROM renders r WHERE r.key = jobs.render_key) = 'failed' \
               THEN 'needs_review' \
             ELSE 'rendering' END \
         WHERE order_id = $1 AND state = 'pending'",
    )
    .bind(&order.id)
    .execute(&mut *conn)
    .await?;
    let payload = json!({ "order": order.id, "external_id": order.external_id, "jobs": jobs });
    events::append(conn, "order_created", None, None, payload).await
}

/// Deletes an order whose units are still `pending`, with its items.
/// Removes the unaccepted orders that `node` was taking (all of them on a
/// single host).
pub(super) async fn discard_unaccepted_in(
    conn: &mut AnyConnection,
    node: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    let scope = match node {
        Some(_) => "o.node = $1",
        None => "$1 = $1",
    };
    let rows = sqlx::query::<Any>(&format!(
        "SELECT DISTINCT j.order_id FROM jobs j JOIN orders o ON o.id = j.order_id \
         WHERE j.state = 'pending' AND {scope} ORDER BY j.order_id"
    ))
    .bind(node.unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let mut ids = Vec::new();
    for row in &rows {
        let id: String = row.try_get("order_id")?;
        delete_unaccepted(conn, &id).await?;
        ids.push(id);
    }
    Ok(ids)
}

async fn delete_unaccepted(conn: &mut AnyConnection, order: &str) -> Result<(), StoreError> {
    let accepted = sqlx::query::<Any>(
        "SELECT COUNT(*) AS n FROM jobs WHERE order_id = $1 AND state <> 'pending'",
    )
    .bind(order)
    .fetch_one(&mut *conn)
    .await?;
    if accepted.try_get::<i64, _>("n")? > 0 {
        return Ok(());
    }
    for sql in [
        "DELETE FROM jobs WHERE order_id = $1",
        "DELETE FROM order_items WHERE order_id = $1",
        "DELETE FROM orders WHERE id = $1",
    ] {
        sqlx::query::<Any>(sql)
            .bind(order)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
