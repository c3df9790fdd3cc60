//! Orders from shops, their items, and the product catalogue.

use super::events;
use super::jobs::{insert_job, missing_reference, JobInsert};
use super::types::{CatalogueEntry, CreatedOrder, ItemSource, NewOrder, NewOrderItem, OrderRecord};
use super::{is_unique_violation, new_id, now_ms, Store, StoreError};
use serde_json::{json, Value};
use sqlx::{Any, AnyConnection, Row};

/// File, material and colour an order item resolves to.
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

impl Store {
    /// Creates an order, its items and one queued job per copy, in one transaction.
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
        let mut tx = self.begin().await?;
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
        .execute(&mut *tx)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Duplicate("external order id"),
            false => StoreError::Database(e),
        })?;
        let mut job_ids = Vec::new();
        for item in &new.items {
            job_ids.extend(insert_item(&mut tx, &order, new, item).await?);
        }
        let payload = json!({ "external_id": order.external_id, "jobs": job_ids.len() });
        events::append(&mut tx, "order_created", None, None, payload).await?;
        tx.commit().await?;
        Ok(CreatedOrder { order, job_ids })
    }

    /// The order with this id.
    pub async fn get_order(&self, id: &str) -> Result<OrderRecord, StoreError> {
        let row = sqlx::query::<Any>("SELECT * FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "order",
                id: id.to_owned(),
            })?;
        super::api_queries::order(&row)
    }

    /// Adds or replaces a catalogue product.
    pub async fn upsert_catalogue_entry(&self, entry: &CatalogueEntry) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO catalogue (sku, file_id, material, colour) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sku) DO UPDATE SET file_id = excluded.file_id, \
             material = excluded.material, colour = excluded.colour",
        )
        .bind(&entry.sku)
        .bind(&entry.file_id)
        .bind(&entry.material)
        .bind(&entry.colour)
        .execute(&self.pool)
        .await
        .map_err(|e| missing_reference(e, "file", &entry.file_id))?;
        Ok(())
    }

    /// All catalogue products by SKU.
    pub async fn list_catalogue(&self) -> Result<Vec<CatalogueEntry>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM catalogue ORDER BY sku")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(catalogue_entry)
            .collect()
    }
}

async fn insert_item(
    conn: &mut AnyConnection,
    order: &OrderRecord,
    new: &NewOrder,
    item: &NewOrderItem,
) -> Result<Vec<String>, StoreError> {
    let resolved = resolve(conn, item).await?;
    let item_id = new_id();
    sqlx::query::<Any>(
        "INSERT INTO order_items (id, order_id, file_id, sku, quantity, personalisation_json) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&item_id)
    .bind(&order.id)
    .bind(&resolved.file_id)
    .bind(&resolved.sku)
    .bind(i64::from(item.quantity))
    .bind(item.personalisation.as_ref().map(Value::to_string))
    .execute(&mut *conn)
    .await
    .map_err(|e| missing_reference(e, "file", &resolved.file_id))?;
    let mut ids = Vec::with_capacity(item.quantity as usize);
    for unit in 0..item.quantity as usize {
        let job = JobInsert {
            file_id: &resolved.file_id,
            order_id: Some(&order.id),
            order_item_id: Some(&item_id),
            unit_index: unit as i64,
            personalisation: unit_personalisation(item, unit),
            priority: new.priority,
            due_at: order.due_at,
            material: resolved.material.as_deref(),
            colour: resolved.colour.as_deref(),
            required_tags: &[],
            owner_key_id: order.owner_key_id.as_deref(),
        };
        ids.push(insert_job(conn, &job).await?);
    }
    Ok(ids)
}
