//! Creating and reading jobs (claims are attempts: see `attempts`).

use super::events;
use super::rows::{self, FILE_KEY_COLUMNS, JOB_COLUMNS};
use super::states::JobState;
use super::types::{JobFilter, JobRecord, NewJob, QueuedJob};
use super::write::Persistence;
use super::{new_id, now_ms, tx, Store, StoreError};
use serde_json::{json, Value};
use sqlx::{Any, AnyConnection};

/// Everything needed to insert one job row.
pub(super) struct JobInsert<'a> {
    pub file_id: Option<&'a str>,
    pub order_id: Option<&'a str>,
    pub order_item_id: Option<&'a str>,
    pub unit_index: i64,
    pub personalisation: Option<&'a Value>,
    pub priority: i64,
    pub due_at: Option<i64>,
    pub material: Option<&'a str>,
    pub colour: Option<&'a str>,
    pub required_tags: &'a [String],
    pub owner_key_id: Option<&'a str>,
    pub state: JobState,
    pub product_sku: Option<&'a str>,
    pub product_version: Option<i64>,
    pub render_key: Option<&'a str>,
}

/// Inserts one job (with a `created` event unless it is `pending`: an
/// order announces its jobs once accepted); returns the id.
pub(super) async fn insert_job(
    conn: &mut AnyConnection,
    job: &JobInsert<'_>,
) -> Result<String, StoreError> {
    let id = new_id();
    let tags = serde_json::to_string(job.required_tags).map_err(|e| StoreError::Invalid {
        field: "required_tags",
        detail: e.to_string(),
    })?;
    sqlx::query::<Any>(
        "INSERT INTO jobs (id, file_id, order_id, order_item_id, unit_index, \
         personalisation_json, state, priority, due_at, material, colour, required_tags_json, \
         owner_key_id, created_at, product_sku, product_version, render_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $14, $7, $8, $9, $10, $11, $12, $13, $15, $16, $17)",
    )
    .bind(&id)
    .bind(job.file_id)
    .bind(job.order_id)
    .bind(job.order_item_id)
    .bind(job.unit_index)
    .bind(job.personalisation.map(Value::to_string))
    .bind(job.priority)
    .bind(job.due_at)
    .bind(job.material)
    .bind(job.colour)
    .bind(tags)
    .bind(job.owner_key_id)
    .bind(now_ms())
    .bind(job.state.as_str())
    .bind(job.product_sku)
    .bind(job.product_version)
    .bind(job.render_key)
    .execute(&mut *conn)
    .await
    .map_err(|e| missing_reference(e, "file", job.file_id.unwrap_or("")))?;
    if job.state != JobState::Pending {
        let payload =
            json!({ "file_id": job.file_id, "unit_index": job.unit_index, "state": job.state });
        events::append(conn, "created", None, Some(&id), payload).await?;
    }
    Ok(id)
}

/// A queued job and its file's keys, from a row of both.
fn queued(row: &sqlx::any::AnyRow) -> Result<QueuedJob, StoreError> {
    Ok(QueuedJob {
        job: rows::job(row)?,
        file: rows::file_keys(row)?,
    })
}

/// Turns a foreign-key failure into `NotFound` for the referenced row.
pub(super) fn missing_reference(error: sqlx::Error, kind: &'static str, id: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound {
            kind,
            id: id.to_owned(),
        },
        _ => StoreError::Database(error),
    }
}

impl Store {
    /// Creates `quantity` queued jobs for one file in one transaction; returns their ids.
    pub async fn create_jobs(&self, new: &NewJob) -> Result<Vec<String>, StoreError> {
        if new.quantity == 0 {
            return Err(StoreError::Invalid {
                field: "quantity",
                detail: "must be at least 1".into(),
            });
        }
        let new = new.clone();
        self.write(
            Persistence::Request,
            "create jobs",
            tx!([new] | conn | {
                let mut ids = Vec::with_capacity(new.quantity as usize);
                for unit in 0..new.quantity {
                    let insert = JobInsert {
                        file_id: Some(&new.file_id),
                        order_id: None,
                        order_item_id: None,
                        unit_index: i64::from(unit),
                        personalisation: new.personalisation.as_ref(),
                        priority: new.priority,
                        due_at: new.due_at,
                        material: new.material.as_deref(),
                        colour: new.colour.as_deref(),
                        required_tags: &new.required_tags,
                        owner_key_id: new.owner_key_id.as_deref(),
                        state: JobState::Queued,
                        product_sku: None,
                        product_version: None,
                        render_key: None,
                    };
                    ids.push(insert_job(conn, &insert).await?);
                }
                Ok(ids)
            }),
        )
        .await
    }

    /// The job with this id.
    pub async fn get_job(&self, id: &str) -> Result<JobRecord, StoreError> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs j WHERE j.id = $1");
        let row = sqlx::query::<Any>(&sql)
            .bind(id)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "job",
                id: id.to_owned(),
            })?;
        rows::job(&row)
    }

    /// Jobs matching the filter, newest first.
    pub async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<JobRecord>, StoreError> {
        let mut conditions = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if !filter.states.is_empty() {
            let placeholders: Vec<String> = filter
                .states
                .iter()
                .map(|state| {
                    binds.push(state.as_str().to_owned());
                    format!("${}", binds.len())
                })
                .collect();
            conditions.push(format!("j.state IN ({})", placeholders.join(", ")));
        }
        for (column, value) in [
            ("j.order_id", &filter.order_id),
            ("j.owner_key_id", &filter.owner_key_id),
        ] {
            if let Some(value) = value {
                binds.push(value.clone());
                conditions.push(format!("{column} = ${}", binds.len()));
            }
        }
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs j {where_clause} ORDER BY j.id DESC LIMIT ${}",
            binds.len() + 1
        );
        let mut query = sqlx::query::<Any>(&sql);
        for value in binds {
            query = query.bind(value);
        }
        query
            .bind(filter.limit.unwrap_or(500))
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(rows::job)
            .collect()
    }

    /// Those of `ids` that are queued, with their files' routing keys.
    pub async fn queued_jobs_among(&self, ids: &[String]) -> Result<Vec<QueuedJob>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {JOB_COLUMNS}, {FILE_KEY_COLUMNS} FROM jobs j \
                 JOIN files f ON f.id = j.file_id WHERE j.state = 'queued' AND j.id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query::<Any>(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.read_pool).await? {
                out.push(queued(&row)?);
            }
        }
        Ok(out)
    }

    /// The queued jobs of one order.
    pub async fn queued_jobs_of_order(&self, order: &str) -> Result<Vec<QueuedJob>, StoreError> {
        let sql = format!(
            "SELECT {JOB_COLUMNS}, {FILE_KEY_COLUMNS} FROM jobs j \
             JOIN files f ON f.id = j.file_id WHERE j.state = 'queued' AND j.order_id = $1"
        );
        sqlx::query::<Any>(&sql)
            .bind(order)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(queued)
            .collect()
    }

    /// How many jobs are queued.
    pub async fn count_queued(&self) -> Result<i64, StoreError> {
        let row = sqlx::query::<Any>("SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued'")
            .fetch_one(&self.read_pool)
            .await?;
        Ok(sqlx::Row::try_get(&row, "n")?)
    }

    /// All queued jobs with their files' routing keys: the scheduler's queue.
    pub async fn queued_jobs(&self) -> Result<Vec<QueuedJob>, StoreError> {
        let sql = format!(
            "SELECT {JOB_COLUMNS}, {FILE_KEY_COLUMNS} FROM jobs j \
             JOIN files f ON f.id = j.file_id WHERE j.state = 'queued' ORDER BY j.id"
        );
        sqlx::query::<Any>(&sql)
            .fetch_all(&self.read_pool)
            .await?
            .iter()
            .map(queued)
            .collect()
    }
}
