//! Shop connections and the webhook deliveries they send, stored raw
//! before they are answered and processed afterwards.

use super::write::Persistence;
use super::{is_unique_violation, new_id, now_ms, rows, tx, Store, StoreError};
use crate::shops::mapping::ShopMaps;
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};

/// A shop connection as stored (the secret included: never shown).
#[derive(Debug, Clone, PartialEq)]
pub struct ShopRecord {
    /// Unique name, in the webhook URL.
    pub name: String,
    /// `shopify` or `woocommerce`.
    pub platform: String,
    /// The webhook secret (verifies deliveries, signs callbacks).
    pub secret: String,
    /// Where status callbacks go.
    pub callback_url: Option<String>,
    /// SKU and property maps.
    pub maps: ShopMaps,
    /// Print Shopify orders that are only partly paid.
    pub accept_partially_paid: bool,
    /// Due date: this many hours after the order is paid.
    pub ship_within_hours: Option<i64>,
    /// A line property holding the due date, when the shop sends one.
    pub due_property: Option<String>,
    /// The API key the shop's orders are owned by.
    pub key_id: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

fn shop(row: &sqlx::any::AnyRow) -> Result<ShopRecord, StoreError> {
    let maps = ShopMaps {
        sku_map: map(row, "sku_map_json")?,
        property_map: map(row, "property_map_json")?,
    };
    Ok(ShopRecord {
        name: row.try_get("name")?,
        platform: row.try_get("platform")?,
        secret: row.try_get("secret")?,
        callback_url: row.try_get("callback_url")?,
        maps,
        accept_partially_paid: row.try_get::<i64, _>("accept_partially_paid")? != 0,
        ship_within_hours: row.try_get("ship_within_hours")?,
        due_property: row.try_get("due_property")?,
        key_id: row.try_get("key_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn map(
    row: &sqlx::any::AnyRow,
    column: &'static str,
) -> Result<std::collections::BTreeMap<String, String>, StoreError> {
    serde_json::from_value(rows::json(row, column)?).map_err(|e| StoreError::Corrupt {
        column,
        detail: e.to_string(),
    })
}

fn to_json(maps: &std::collections::BTreeMap<String, String>) -> String {
    serde_json::to_string(maps).unwrap_or_else(|_| "{}".to_owned())
}

async fn write_shop(
    conn: &mut AnyConnection,
    s: &ShopRecord,
    insert: bool,
) -> Result<u64, StoreError> {
    let sql = if insert {
        "INSERT INTO shops (name, platform, secret, callback_url, sku_map_json, property_map_json, \
         accept_partially_paid, ship_within_hours, due_property, key_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    } else {
        "UPDATE shops SET platform = $2, secret = $3, callback_url = $4, sku_map_json = $5, \
         property_map_json = $6, accept_partially_paid = $7, ship_within_hours = $8, \
         due_property = $9, key_id = $10, created_at = $11, updated_at = $12 WHERE name = $1"
    };
    let done = sqlx::query::<Any>(sql)
        .bind(&s.name)
        .bind(&s.platform)
        .bind(&s.secret)
        .bind(&s.callback_url)
        .bind(to_json(&s.maps.sku_map))
        .bind(to_json(&s.maps.property_map))
        .bind(i64::from(s.accept_partially_paid))
        .bind(s.ship_within_hours)
        .bind(&s.due_property)
        .bind(&s.key_id)
        .bind(s.created_at)
        .bind(s.updated_at)
        .execute(&mut *conn)
        .await
        .map_err(|e| match e {
            e if is_unique_violation(&e) => StoreError::Duplicate("shop name"),
            e => StoreError::Database(e),
        })?;
    Ok(done.rows_affected())
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryRecord {
    /// Id (sorts by arrival).
    pub id: String,
    /// The shop.
    pub shop: String,
    /// The platform's topic.
    pub topic: String,
    /// What made it unique (the platform's event id, or a hash).
    pub dedup_key: String,
    /// The raw body.
    #[serde(skip)]
    pub body: String,
    /// `received`, `processed` or `failed`.
    pub state: String,
    /// Why processing failed.
    pub error: Option<String>,
    /// Unix ms.
    pub received_at: i64,
    /// Unix ms.
    pub processed_at: Option<i64>,
}

fn delivery(row: &sqlx::any::AnyRow) -> Result<DeliveryRecord, StoreError> {
    Ok(DeliveryRecord {
        id: row.try_get("id")?,
        shop: row.try_get("shop")?,
        topic: row.try_get("topic")?,
        dedup_key: row.try_get("dedup_key")?,
        body: row.try_get("body")?,
        state: row.try_get("state")?,
        error: row.try_get("error")?,
        received_at: row.try_get("received_at")?,
        processed_at: row.try_get("processed_at")?,
    })
}

impl Store {
    /// Records a new shop connection.
    pub async fn create_shop(&self, shop: &ShopRecord) -> Result<(), StoreError> {
        let shop = shop.clone();
        self.write(
            Persistence::Request,
            "create shop",
            tx!([shop] | conn | write_shop(conn, &shop, true).await.map(|_| ())),
        )
        .await
    }

    /// Replaces a shop connection's settings.
    pub async fn update_shop(&self, shop: &ShopRecord) -> Result<(), StoreError> {
        let shop = shop.clone();
        let changed = self
            .write(
                Persistence::Request,
                "update shop",
                tx!([shop] | conn | write_shop(conn, &shop, false).await),
            )
            .await?;
        match changed {
            0 => Err(not_found(&shop.name)),
            _ => Ok(()),
        }
    }

    /// Removes a shop connection (its deliveries and intake stay on record).
    pub async fn delete_shop(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        let removed = self
            .write(
                Persistence::Request,
                "delete shop",
                tx!([name] | conn | {
                    let done = sqlx::query::<Any>("DELETE FROM shops WHERE name = $1")
                        .bind(&name)
                        .execute(&mut *conn)
                        .await?;
                    Ok(done.rows_affected())
                }),
            )
            .await?;
        match removed {
            0 => Err(not_found(&name)),
            _ => Ok(()),
        }
    }

    /// One shop connection.
    pub async fn shop(&self, name: &str) -> Result<ShopRecord, StoreError> {
        let row = sqlx::query::<Any>("SELECT * FROM shops WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| not_found(name))?;
        shop(&row)
    }

    /// Every shop connection, by name.
    pub async fn list_shops(&self) -> Result<Vec<ShopRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM shops ORDER BY name")
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(shop)
            .collect()
    }

    /// Stores a verified delivery before it is answered. False when one
    /// with the same key was stored already (a replay).
    pub async fn store_delivery(
        &self,
        shop: &str,
        topic: &str,
        dedup_key: &str,
        body: &str,
    ) -> Result<bool, StoreError> {
        let row = (
            new_id(),
            shop.to_owned(),
            topic.to_owned(),
            dedup_key.to_owned(),
            body.to_owned(),
        );
        self.write(
            Persistence::Durable,
            "store delivery",
            tx!([row] | conn | {
                let done = sqlx::query::<Any>(
                    "INSERT INTO deliveries (id, shop, topic, dedup_key, body, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (shop, dedup_key) DO NOTHING",
                )
                .bind(&row.0)
                .bind(&row.1)
                .bind(&row.2)
                .bind(&row.3)
                .bind(&row.4)
                .bind(now_ms())
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() == 1)
            }),
        )
        .await
    }

    /// Deliveries not processed yet, oldest first.
    pub async fn waiting_deliveries(&self, limit: i64) -> Result<Vec<DeliveryRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM deliveries WHERE state = 'received' ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(delivery)
            .collect()
    }

    /// Marks a delivery processed, or failed with why.
    pub async fn finish_delivery(&self, id: &str, error: Option<String>) -> Result<(), StoreError> {
        let args = (id.to_owned(), error);
        self.write(
            Persistence::Durable,
            "finish delivery",
            tx!([args] | conn | {
                let state = if args.1.is_some() {
                    "failed"
                } else {
                    "processed"
                };
                sqlx::query::<Any>(
                    "UPDATE deliveries SET state = $2, error = $3, processed_at = $4 WHERE id = $1",
                )
                .bind(&args.0)
                .bind(state)
                .bind(&args.1)
                .bind(now_ms())
                .execute(&mut *conn)
                .await?;
                Ok(())
            }),
        )
        .await
    }

    /// A shop's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        shop: &str,
        limit: i64,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM deliveries WHERE shop = $1 ORDER BY id DESC LIMIT $2")
            .bind(shop)
            .bind(limit)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(delivery)
            .collect()
    }
}

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: "shop",
        id: name.to_owned(),
    }
}
