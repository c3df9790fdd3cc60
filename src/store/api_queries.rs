//! Read-only queries the HTTP API needs: order listings, order items and
//! job counts per state.

use super::rows;
use super::states::JobState;
use super::types::OrderRecord;
use super::{Store, StoreError};
use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, Row};

/// One line of a stored order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderItemRecord {
    /// Id.
    pub id: String,
    /// Order it belongs to.
    pub order_id: String,
    /// File printed (none when each unit is rendered).
    pub file_id: Option<String>,
    /// The product's version ordered.
    pub product_version: Option<i64>,
    /// Catalogue product, when ordered by SKU.
    pub sku: Option<String>,
    /// Copies.
    pub quantity: i64,
    /// Personalisation as given.
    pub personalisation: Option<Value>,
}

/// An order from its row.
pub(super) fn order(row: &sqlx::any::AnyRow) -> Result<OrderRecord, StoreError> {
    Ok(OrderRecord {
        id: row.try_get("id")?,
        external_id: row.try_get("external_id")?,
        customer_ref: row.try_get("customer_ref")?,
        due_at: row.try_get("due_at")?,
        owner_key_id: row.try_get("owner_key_id")?,
        created_at: row.try_get("created_at")?,
    })
}

fn order_item(row: &sqlx::any::AnyRow) -> Result<OrderItemRecord, StoreError> {
    let personalisation: Option<String> = row.try_get("personalisation_json")?;
    Ok(OrderItemRecord {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        file_id: row.try_get("file_id")?,
        product_version: row.try_get("product_version")?,
        sku: row.try_get("sku")?,
        quantity: row.try_get("quantity")?,
        personalisation: personalisation
            .map(|text| rows::parse_json(&text, "personalisation_json"))
            .transpose()?,
    })
}

impl Store {
    /// Orders, newest first, at most `limit`; only `owner`'s when given.
    pub async fn list_orders(
        &self,
        owner: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        sqlx::query::<Any>(
            "SELECT * FROM orders WHERE ($1 IS NULL OR owner_key_id = $1) \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(owner)
        .bind(limit)
        .fetch_all(&self.read_pool)
        .await?
        .iter()
        .map(order)
        .collect()
    }

    /// The items of one order, in the order they were given.
    pub async fn order_items(&self, order_id: &str) -> Result<Vec<OrderItemRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM order_items WHERE order_id = $1 ORDER BY id")
            .bind(order_id)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(order_item)
            .collect()
    }

    /// How many jobs are in each state (states with no jobs are left out).
    pub async fn job_counts_by_state(&self) -> Result<Vec<(JobState, i64)>, StoreError> {
        sqlx::query::<Any>("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(|row| Ok((rows::job_state(row, "state")?, row.try_get("n")?)))
            .collect()
    }
}
