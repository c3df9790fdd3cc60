//! What each printer has loaded: per tool, a material and maybe a colour.
//! A technician changes it (through the printer's supervisor); the
//! configuration only gives the first load.

use super::events;
use super::{tx, Store, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Row};

/// The filament in one tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolLoad {
    /// Material, e.g. `PLA`.
    pub material: String,
    /// Colour, if known.
    pub colour: Option<String>,
}

impl Store {
    /// What `printer` has loaded, per tool; `None` until a load was recorded.
    pub async fn printer_loads(&self, printer: &str) -> Result<Option<Vec<ToolLoad>>, StoreError> {
        let row = sqlx::query::<Any>("SELECT loaded_json FROM printers WHERE name = $1")
            .bind(printer)
            .fetch_optional(&self.read_pool)
            .await?;
        let Some(text) = row
            .map(|r| r.try_get::<Option<String>, _>("loaded_json"))
            .transpose()?
            .flatten()
        else {
            return Ok(None);
        };
        Ok(serde_json::from_str(&text).ok())
    }

    /// The job of the last attempt that ended on `printer` (what is on its
    /// bed when it waits to be cleared).
    pub async fn last_job_on(&self, printer: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT job_id FROM attempts WHERE printer = $1 AND ended_at IS NOT NULL \
             ORDER BY ended_at DESC LIMIT 1",
        )
        .bind(printer)
        .fetch_optional(&self.read_pool)
        .await?;
        Ok(row.map(|r| r.try_get("job_id")).transpose()?)
    }

    /// Records what `printer` has loaded now, with an event.
    pub async fn set_printer_loads(
        &self,
        printer: &str,
        loads: &[ToolLoad],
    ) -> Result<(), StoreError> {
        let (name, loads) = (printer.to_owned(), loads.to_vec());
        self.owner_write(
            "save printer loads",
            tx!([name, loads] | conn | {
                let text = serde_json::to_string(&loads).unwrap_or_else(|_| "[]".to_owned());
                sqlx::query::<Any>("UPDATE printers SET loaded_json = $2 WHERE name = $1")
                    .bind(&name)
                    .bind(&text)
                    .execute(&mut *conn)
                    .await?;
                let payload = serde_json::json!({ "loaded": loads });
                events::append(conn, "printer_loaded", Some(&name), None, payload).await
            }),
        )
        .await
    }
}
