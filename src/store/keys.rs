//! API keys: only the SHA-256 of a key is stored.

use super::rows;
use super::states::Role;
use super::types::ApiKeyRecord;
use super::write::Persistence;
use super::{new_id, now_ms, tx, Store, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{Any, Row};

/// Hex SHA-256 of a key as presented.
fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn api_key(row: &sqlx::any::AnyRow) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        role: rows::role(row)?,
        label: row.try_get("label")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Creates a key: returns its record and the key itself (64 hex digits),
    /// which is shown once and never stored.
    pub async fn create_api_key(
        &self,
        role: Role,
        label: &str,
    ) -> Result<(ApiKeyRecord, String), StoreError> {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let key = hex::encode(secret);
        let record = ApiKeyRecord {
            id: new_id(),
            role,
            label: label.to_owned(),
            created_at: now_ms(),
        };
        let row = (record.clone(), key_hash(&key));
        self.write(
            Persistence::Request,
            "create api key",
            tx!([row] | conn | {
                let (record, hash) = &row;
                sqlx::query::<Any>(
                    "INSERT INTO api_keys (id, key_sha256, role, label, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&record.id)
                .bind(hash)
                .bind(record.role.as_str())
                .bind(&record.label)
                .bind(record.created_at)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }),
        )
        .await?;
        Ok((record, key))
    }

    /// The key's record if `key` is a known key.
    pub async fn lookup_api_key(&self, key: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row = sqlx::query::<Any>("SELECT * FROM api_keys WHERE key_sha256 = $1")
            .bind(key_hash(key.trim()))
            .fetch_optional(&self.read_pool)
            .await?;
        row.as_ref().map(api_key).transpose()
    }

    /// All keys' records, oldest first.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        sqlx::query::<Any>("SELECT * FROM api_keys ORDER BY id")
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(api_key)
            .collect()
    }
}
