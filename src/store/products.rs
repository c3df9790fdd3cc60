//! Products: a fixed G-code file or a template rendered per unit. Each
//! change is a new version; orders keep the version they were placed with.

use super::events;
use super::write::Persistence;
use super::{now_ms, rows, tx, Store, StoreError};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::{Any, AnyConnection, Row};

/// What a product prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProductKind {
    /// The same G-code for every unit.
    File {
        /// The file.
        file_id: String,
    },
    /// An OpenSCAD template rendered for each unit.
    Template {
        /// Where the template, its assets and profiles are kept.
        bundle_dir: String,
        /// SHA-256 of all of them (part of every render's key).
        bundle_sha256: String,
    },
}

/// A product version to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    /// Stock-keeping unit.
    pub sku: String,
    /// The spec as given (JSON).
    pub spec: Value,
    /// File or template.
    pub kind: ProductKind,
    /// The slicer profiles: `[{"name", "tag", "sha256"}]`.
    pub profiles: Value,
    /// The template font's glyphs, when known.
    pub charset: Option<Value>,
    /// Who created it.
    pub owner_key_id: Option<String>,
}

/// A stored product version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductRecord {
    /// Stock-keeping unit.
    pub sku: String,
    /// Version, from 1.
    pub version: i64,
    /// The spec.
    pub spec: Value,
    /// File or template.
    pub kind: ProductKind,
    /// The slicer profiles.
    pub profiles: Value,
    /// The template font's glyphs.
    pub charset: Option<Value>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms it was retired (no new orders).
    pub retired_at: Option<i64>,
}

fn product(row: &sqlx::any::AnyRow) -> Result<ProductRecord, StoreError> {
    let kind = match row.try_get::<String, _>("kind")?.as_str() {
        "file" => ProductKind::File {
            file_id: row.try_get("file_id")?,
        },
        _ => ProductKind::Template {
            bundle_dir: row.try_get("bundle_dir")?,
            bundle_sha256: row
                .try_get::<Option<String>, _>("bundle_sha256")?
                .unwrap_or_default(),
        },
    };
    let charset: Option<String> = row.try_get("charset_json")?;
    Ok(ProductRecord {
        sku: row.try_get("sku")?,
        version: row.try_get("version")?,
        spec: rows::json(row, "spec_json")?,
        kind,
        profiles: rows::json(row, "profiles_json")?,
        charset: charset
            .map(|c| rows::parse_json(&c, "charset_json"))
            .transpose()?,
        created_at: row.try_get("created_at")?,
        retired_at: row.try_get("retired_at")?,
    })
}

const LATEST: &str = "SELECT * FROM products p WHERE p.version = \
    (SELECT MAX(q.version) FROM products q WHERE q.sku = p.sku)";

async fn insert(conn: &mut AnyConnection, new: &NewProduct) -> Result<ProductRecord, StoreError> {
    let latest = sqlx::query::<Any>("SELECT MAX(version) AS v FROM products WHERE sku = $1")
        .bind(&new.sku)
        .fetch_one(&mut *conn)
        .await?;
    let version = latest.try_get::<Option<i64>, _>("v")?.unwrap_or(0) + 1;
    let (kind, file_id, bundle_dir, bundle_sha) = match &new.kind {
        ProductKind::File { file_id } => ("file", Some(file_id.as_str()), None, None),
        ProductKind::Template {
            bundle_dir,
            bundle_sha256,
        } => (
            "template",
            None,
            Some(bundle_dir.as_str()),
            Some(bundle_sha256.as_str()),
        ),
    };
    let now = now_ms();
    sqlx::query::<Any>(
        "INSERT INTO products (sku, version, spec_json, kind, file_id, bundle_dir, bundle_sha256, \
         profiles_json, charset_json, owner_key_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&new.sku)
    .bind(version)
    .bind(new.spec.to_string())
    .bind(kind)
    .bind(file_id)
    .bind(bundle_dir)
    .bind(bundle_sha)
    .bind(new.profiles.to_string())
    .bind(new.charset.as_ref().map(Value::to_string))
    .bind(&new.owner_key_id)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| super::jobs::missing_reference(e, "file", file_id.unwrap_or("")))?;
    let payload = json!({ "sku": new.sku, "version": version, "kind": kind });
    events::append(conn, "product_created", None, None, payload).await?;
    Ok(ProductRecord {
        sku: new.sku.clone(),
        version,
        spec: new.spec.clone(),
        kind: new.kind.clone(),
        profiles: new.profiles.clone(),
        charset: new.charset.clone(),
        created_at: now,
        retired_at: None,
    })
}

impl Store {
    /// Records a new version of a product (version 1 for a new SKU).
    pub async fn create_product_version(
        &self,
        new: &NewProduct,
    ) -> Result<ProductRecord, StoreError> {
        let new = new.clone();
        self.write(
            Persistence::Request,
            "create product",
            tx!([new] | conn | insert(conn, &new).await),
        )
        .await
    }

    /// The latest version of a product, retired or not.
    pub async fn latest_product(&self, sku: &str) -> Result<ProductRecord, StoreError> {
        let sql = format!("{LATEST} AND p.sku = $1");
        let row = sqlx::query::<Any>(&sql)
            .bind(sku)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "product",
                id: sku.to_owned(),
            })?;
        product(&row)
    }

    /// One version of a product.
    pub async fn product_version(
        &self,
        sku: &str,
        version: i64,
    ) -> Result<ProductRecord, StoreError> {
        let row = sqlx::query::<Any>("SELECT * FROM products WHERE sku = $1 AND version = $2")
            .bind(sku)
            .bind(version)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "product",
                id: format!("{sku} version {version}"),
            })?;
        product(&row)
    }

    /// Every version of a product, oldest first.
    pub async fn product_versions(&self, sku: &str) -> Result<Vec<ProductRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM products WHERE sku = $1 ORDER BY version")
            .bind(sku)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(product)
            .collect()
    }

    /// The latest version of every product that is not retired, by SKU.
    pub async fn list_products(&self) -> Result<Vec<ProductRecord>, StoreError> {
        let sql = format!("{LATEST} AND p.retired_at IS NULL ORDER BY p.sku");
        sqlx::query::<Any>(&sql)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(product)
            .collect()
    }

    /// Retires a SKU for new orders; false when it was not live.
    pub async fn retire_product(&self, sku: &str) -> Result<bool, StoreError> {
        let sku = sku.to_owned();
        self.write(
            Persistence::Request,
            "retire product",
            tx!([sku] | conn | {
                let done = sqlx::query::<Any>(
                    "UPDATE products SET retired_at = $2 WHERE sku = $1 AND retired_at IS NULL",
                )
                .bind(&sku)
                .bind(now_ms())
                .execute(&mut *conn)
                .await?;
                if done.rows_affected() > 0 {
                    events::append(conn, "product_retired", None, None, json!({ "sku": sku }))
                        .await?;
                }
                Ok(done.rows_affected() > 0)
            }),
        )
        .await
    }
}
