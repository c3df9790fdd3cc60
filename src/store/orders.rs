//! Orders from shops, their items, and the product catalogue.

use super::events;
use super::jobs::{insert_job, missing_reference, JobInsert};
use super::states::JobState;
use super::types::{CatalogueEntry, CreatedOrder, ItemSource, NewOrder, NewOrderItem, OrderRecord};
use super::write::Persistence;
use super::{is_unique_violation, new_id, now_ms, tx, Store, StoreError};
use serde_json::{json, Value};
use sqlx::{Any, AnyConnection, Row};

/// File, material and colour an order item resolves to.
#[derive(Debug, Clone)]
struct Resolved {
    file_id: String,
    sku: Option<String>,
    material: Option<String>,
    colour: Option<String>,
}

/// The personalisation of copy `unit`: an array of one value per copy is
/// split; anything else is shared by every copy.
fn unit_personalisation(item: &NewOrderItem, unit: usize) -> Option<&Value> {
    match &item.personalisation {
        Some(Value::Array(values)) if values.len() == item.quantity as usize => values.get(unit),
        other => other.as_ref(),
    }
}

fn catalogue_entry(row: &sqlx::any::AnyRow) -> Result<CatalogueEntry, StoreError> {
    Ok(CatalogueEntry {
        sku: row.try_get("sku")?,
        file_id: row.try_get("file_id")?,
        material: row.try_get("material")?,
        colour: row.try_get("colour")?,
    })
}

async fn resolve(conn: &mut AnyConnection, item: &NewOrderItem) -> Result<Resolved, StoreError> {
    match &item.source {
        ItemSource::File(file_id) => Ok(Resolved {
            file_id: file_id.clone(),
            sku: None,
            material: item.material.clone(),
            colour: item.colour.clone(),
        }),
        ItemSource::Sku(sku) => {
            let row = sqlx::query::<Any>("SELECT * FROM catalogue WHERE sku = $1")
                .bind(sku)
                .fetch_optional(conn)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    kind: "sku",
                    id: sku.clone(),
                })?;
            let entry = catalogue_entry(&row)?;
            Ok(Resolved {
                file_id: entry.file_id,
                sku: Some(entry.sku),
                material: item.material.clone().or(entry.material),
                colour: item.colour.clone().or(entry.colour),
            })
        }
    }
}

/// Units written per transaction when an order is stored, so a large order
/// never holds SQLite's write lock for more than a few milliseconds.
pub const ORDER_BATCH: usize = 100;

/// One unit to insert: its item, its number within the item, its values.
#[derive(Debug, Clone)]
struct Unit {
    item: usize,
    index: usize,
    personalisation: Option<Value>,
}

/// An item once its file, SKU and material are known.
#[derive(Debug, Clone)]
struct StoredItem {
    id: String,
    resolved: Resolved,
}

impl Store {
    /// Stores an order: the order and its items first, then its units in
    /// batches of [`ORDER_BATCH`] as `pending` jobs, then one transaction
    /// that accepts them all (`pending` → `queued`). Until then nothing of
    /// it is scheduled; an order cut off by a crash is removed at the next
    /// start ([`Store::discard_unaccepted_orders`]). A duplicate external id
    /// is refused with the existing order's id.
    pub async fn create_order(&self, new: &NewOrder) -> Result<CreatedOrder, StoreError> {
        if let Some(item) = new.items.iter().find(|i| i.quantity == 0) {
            return Err(StoreError::Invalid {
                field: "quantity",
                detail: format!("item {:?} must have quantity at least 1", item.source),
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
        let stored = self
            .write(
                Persistence::Request,
                "create order",
                tx!([order, new] | conn | insert_order(conn, &order, &new).await),
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
    /// units are still `pending`; nobody was told they exist). Returns
    /// their ids.
    pub async fn discard_unaccepted_orders(&self) -> Result<Vec<String>, StoreError> {
        self.write(
            Persistence::Request,
            "discard unaccepted orders",
            tx!([] | conn | {
                let rows = sqlx::query::<Any>(
                    "SELECT DISTINCT order_id FROM jobs WHERE state = 'pending' \
                     AND order_id IS NOT NULL ORDER BY order_id",
                )
                .fetch_all(&mut *conn)
                .await?;
                let mut ids = Vec::new();
                for row in &rows {
                    let id: String = row.try_get("order_id")?;
                    delete_unaccepted(conn, &id).await?;
                    ids.push(id);
                }
                Ok(ids)
            }),
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

    /// Adds or replaces a catalogue product.
    pub async fn upsert_catalogue_entry(&self, entry: &CatalogueEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.write(
            Persistence::Request,
            "catalogue",
            tx!([entry] |conn| {
                sqlx::query::<Any>(
                    "INSERT INTO catalogue (sku, file_id, material, colour) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (sku) DO UPDATE SET file_id = excluded.file_id, \
                     material = excluded.material, colour = excluded.colour",
                )
                .bind(&entry.sku)
                .bind(&entry.file_id)
                .bind(&entry.material)
                .bind(&entry.colour)
                .execute(&mut *conn)
                .await
                .map_err(|e| missing_reference(e, "file", &entry.file_id))?;
                Ok(())
            }),
        )
        .await
    }

    pub async fn list_catalogue(&self) -> Result<Vec<CatalogueEntry>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM catalogue ORDER BY sku")
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(catalogue_entry)
            .collect()
    }
}

/// The order row and its items; units come after, in batches.
async fn insert_order(
    conn: &mut AnyConnection,
    order: &OrderRecord,
    new: &NewOrder,
) -> Result<Vec<StoredItem>, StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO orders (id, external_id, customer_ref, due_at, owner_key_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&order.id)
    .bind(&order.external_id)
    .bind(&order.customer_ref)
    .bind(order.due_at)
    .bind(&order.owner_key_id)
    .bind(order.created_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| match is_unique_violation(&e) {
        true => StoreError::Duplicate("external order id"),
        false => StoreError::Database(e),
    })?;
    let mut items = Vec::with_capacity(new.items.len());
    for item in &new.items {
        let resolved = resolve(conn, item).await?;
        let id = new_id();
        sqlx::query::<Any>(
            "INSERT INTO order_items (id, order_id, file_id, sku, quantity, personalisation_json) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&order.id)
        .bind(&resolved.file_id)
        .bind(&resolved.sku)
        .bind(i64::from(item.quantity))
        .bind(item.personalisation.as_ref().map(Value::to_string))
        .execute(&mut *conn)
        .await
        .map_err(|e| missing_reference(e, "file", &resolved.file_id))?;
        items.push(StoredItem { id, resolved });
    }
    Ok(items)
}

/// Every unit of every item, in item then unit order.
fn units_of(new: &NewOrder) -> Vec<Unit> {
    let mut units = Vec::new();
    for (item_index, item) in new.items.iter().enumerate() {
        for index in 0..item.quantity as usize {
            units.push(Unit {
                item: item_index,
                index,
                personalisation: unit_personalisation(item, index).cloned(),
            });
        }
    }
    units
}

/// One batch of units as `pending` jobs.
async fn insert_units(
    conn: &mut AnyConnection,
    order: &OrderRecord,
    new: &NewOrder,
    items: &[StoredItem],
    units: &[Unit],
) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::with_capacity(units.len());
    for unit in units {
        let Some(item) = items.get(unit.item) else {
            continue;
        };
        let job = JobInsert {
            file_id: &item.resolved.file_id,
            order_id: Some(&order.id),
            order_item_id: Some(&item.id),
            unit_index: unit.index as i64,
            personalisation: unit.personalisation.as_ref(),
            priority: new.priority,
            due_at: order.due_at,
            material: item.resolved.material.as_deref(),
            colour: item.resolved.colour.as_deref(),
            required_tags: &[],
            owner_key_id: order.owner_key_id.as_deref(),
            state: JobState::Pending,
        };
        ids.push(insert_job(conn, &job).await?);
    }
    Ok(ids)
}

/// Makes an order's units schedulable, all at once.
async fn accept_order(
    conn: &mut AnyConnection,
    order: &OrderRecord,
    jobs: usize,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "UPDATE jobs SET state = 'queued' WHERE order_id = $1 AND state = 'pending'",
    )
    .bind(&order.id)
    .execute(&mut *conn)
    .await?;
    let payload = json!({ "order": order.id, "external_id": order.external_id, "jobs": jobs });
    events::append(conn, "order_created", None, None, payload).await
}

/// Deletes an order whose units are still `pending`, with its items.
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
