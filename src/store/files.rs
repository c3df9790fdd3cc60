//! Uploaded files and their analysis.

use super::rows;
use super::types::{FileRecord, NewFile};
use super::write::Persistence;
use super::{new_id, now_ms, tx, Store, StoreError};
use sqlx::Any;

impl Store {
    /// Records an analysed file and returns it with its new id.
    pub async fn insert_file(&self, file: NewFile) -> Result<FileRecord, StoreError> {
        let id = new_id();
        let created_at = now_ms();
        let tools =
            serde_json::to_string(&file.keys.tools_used).map_err(|e| StoreError::Invalid {
                field: "tools_used",
                detail: e.to_string(),
            })?;
        let row = (id.clone(), file.clone(), tools, created_at);
        self.write(
            Persistence::Request,
            "insert file",
            tx!([row] |conn| {
                let (id, file, tools, created_at) = &row;
                let keys = &file.keys;
                let min = keys.extents_min.map_or([None; 3], |p| p.map(Some));
                let max = keys.extents_max.map_or([None; 3], |p| p.map(Some));
                sqlx::query::<Any>(
                    "INSERT INTO files (id, sha256, original_name, size_bytes, path, analysis_json, \
                     extents_min_x, extents_min_y, extents_min_z, extents_max_x, extents_max_y, \
                     extents_max_z, tools_used_json, max_hotend_temp, max_bed_temp, nozzle_diameter, \
                     estimated_time_s, filament_mm, violations_json, created_at, line_count, \
                     longest_line_bytes, first_extrusion_line, owner_key_id) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                     $19, $20, $21, $22, $23, $24)",
                )
                .bind(id)
                .bind(&file.sha256)
                .bind(&file.original_name)
                .bind(file.size_bytes)
                .bind(&file.path)
                .bind(file.analysis.to_string())
                .bind(min[0])
                .bind(min[1])
                .bind(min[2])
                .bind(max[0])
                .bind(max[1])
                .bind(max[2])
                .bind(tools)
                .bind(keys.max_hotend_temp)
                .bind(keys.max_bed_temp)
                .bind(keys.nozzle_diameter)
                .bind(keys.estimated_time_s)
                .bind(keys.filament_mm)
                .bind(keys.violations.to_string())
                .bind(*created_at)
                .bind(file.line_count)
                .bind(keys.longest_line_bytes)
                .bind(file.first_extrusion_line)
                .bind(&file.owner_key_id)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }),
        )
        .await?;
        Ok(FileRecord {
            id,
            sha256: file.sha256,
            original_name: file.original_name,
            size_bytes: file.size_bytes,
            path: file.path,
            analysis: file.analysis,
            keys: file.keys,
            line_count: file.line_count,
            first_extrusion_line: file.first_extrusion_line,
            owner_key_id: file.owner_key_id,
            created_at,
        })
    }

    /// The file with this id.
    pub async fn get_file(&self, id: &str) -> Result<FileRecord, StoreError> {
        let row = sqlx::query::<Any>("SELECT * FROM files f WHERE f.id = $1")
            .bind(id)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "file",
                id: id.to_owned(),
            })?;
        rows::file(&row)
    }

    /// The most recent file with this content hash, if any (for deduplication).
    pub async fn find_file_by_sha256(
        &self,
        sha256: &str,
        owner_key_id: Option<&str>,
    ) -> Result<Option<FileRecord>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT * FROM files f WHERE f.sha256 = $1 AND \
             (f.owner_key_id = $2 OR (f.owner_key_id IS NULL AND $2 IS NULL)) \
             ORDER BY f.id DESC LIMIT 1",
        )
        .bind(sha256)
        .bind(owner_key_id)
        .fetch_optional(&self.read_pool)
        .await?;
        row.as_ref().map(rows::file).transpose()
    }

    /// Any stored file with this content, whoever uploaded it: its analysis
    /// and stored copy are reused; never shown to another owner.
    pub async fn any_file_with_sha256(
        &self,
        sha256: &str,
    ) -> Result<Option<FileRecord>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT * FROM files f WHERE f.sha256 = $1 ORDER BY f.id DESC LIMIT 1",
        )
        .bind(sha256)
        .fetch_optional(&self.read_pool)
        .await?;
        row.as_ref().map(rows::file).transpose()
    }

    /// Files newest first, at most `limit`: only `owner`'s when given.
    pub async fn list_files(
        &self,
        owner: Option<&str>,
        limit: i64,
    ) -> Result<Vec<FileRecord>, StoreError> {
        let query = match owner {
            Some(owner) => sqlx::query::<Any>(
                "SELECT * FROM files f WHERE f.owner_key_id = $1 ORDER BY f.id DESC LIMIT $2",
            )
            .bind(owner.to_owned()),
            None => sqlx::query::<Any>("SELECT * FROM files f ORDER BY f.id DESC LIMIT $1"),
        };
        query
            .bind(limit)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(rows::file)
            .collect()
    }
}
