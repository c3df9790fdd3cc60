//! Printer states and recovery after a restart.

use super::events;
use super::rows;
use super::states::{JobState, PrinterState};
use super::transitions::fail_in;
use super::types::{FailOutcome, PrinterRecord, RecoveryReport};
use super::{now_ms, Store, StoreError};
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};

const PRINTER_SELECT: &str = "SELECT p.name, p.state, p.updated_at, \
    (SELECT j.id FROM jobs j WHERE j.printer = p.name \
     AND j.state IN ('assigned', 'printing', 'paused')) AS current_job FROM printers p";

fn printer(row: &sqlx::any::AnyRow) -> Result<PrinterRecord, StoreError> {
    Ok(PrinterRecord {
        name: row.try_get("name")?,
        state: rows::printer_state(row)?,
        current_job: row.try_get("current_job")?,
        updated_at: row.try_get("updated_at")?,
    })
}

async fn set_state_in(
    conn: &mut AnyConnection,
    name: &str,
    state: PrinterState,
) -> Result<(), StoreError> {
    sqlx::query::<Any>("UPDATE printers SET state = $2, updated_at = $3 WHERE name = $1")
        .bind(name)
        .bind(state.as_str())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    let payload = json!({ "state": state });
    events::append(conn, "printer_state", Some(name), None, payload).await
}

impl Store {
    /// Adds printers named in the configuration (as `offline`); existing rows are kept.
    pub async fn register_printers(&self, names: &[String]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for name in names {
            sqlx::query::<Any>(
                "INSERT INTO printers (name, state, updated_at) VALUES ($1, 'offline', $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One printer with its current job.
    pub async fn get_printer(&self, name: &str) -> Result<PrinterRecord, StoreError> {
        let sql = format!("{PRINTER_SELECT} WHERE p.name = $1");
        let row = sqlx::query::<Any>(&sql)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "printer",
                id: name.to_owned(),
            })?;
        printer(&row)
    }

    /// All printers by name.
    pub async fn list_printers(&self) -> Result<Vec<PrinterRecord>, StoreError> {
        let sql = format!("{PRINTER_SELECT} ORDER BY p.name");
        sqlx::query::<Any>(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(printer)
            .collect()
    }

    /// Sets a printer's state and logs it.
    pub async fn set_printer_state(
        &self,
        name: &str,
        state: PrinterState,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        self.get_printer_in(&mut tx, name).await?;
        set_state_in(&mut tx, name, state).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `awaiting_clear` → `idle` (an operator emptied the bed). Returns false
    /// when the printer was not awaiting a clear.
    pub async fn clear_bed(&self, name: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let state = self.get_printer_in(&mut tx, name).await?;
        if state != PrinterState::AwaitingClear {
            return Ok(false);
        }
        set_state_in(&mut tx, name, PrinterState::Idle).await?;
        events::append(&mut tx, "bed_cleared", Some(name), None, json!({})).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn get_printer_in(
        &self,
        conn: &mut AnyConnection,
        name: &str,
    ) -> Result<PrinterState, StoreError> {
        let row = sqlx::query::<Any>("SELECT state FROM printers WHERE name = $1")
            .bind(name)
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "printer",
                id: name.to_owned(),
            })?;
        rows::printer_state(&row)
    }

    /// After a restart: every `assigned|printing|paused` job was interrupted
    /// and goes through the printer-caused failure policy. Printers that were
    /// printing or paused keep a partial print, so they become
    /// `awaiting_clear`; `awaiting_clear` is kept; every other printer becomes
    /// `offline` until its driver reports in.
    pub async fn recover_after_restart(&self) -> Result<RecoveryReport, StoreError> {
        let mut tx = self.begin().await?;
        let active = sqlx::query::<Any>(
            "SELECT id, state, printer FROM jobs \
             WHERE state IN ('assigned', 'printing', 'paused') ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut report = RecoveryReport::default();
        for row in &active {
            let id: String = row.try_get("id")?;
            let state = rows::job_state(row, "state")?;
            let printer: Option<String> = row.try_get("printer")?;
            let reason = "interrupted: farm restarted";
            match fail_in(&mut tx, &id, reason, true, self.requeue_limit).await? {
                FailOutcome::Requeued { .. } => report.requeued.push(id),
                FailOutcome::Failed { .. } => report.failed.push(id),
            }
            if let (Some(name), JobState::Printing | JobState::Paused) = (printer, state) {
                set_state_in(&mut tx, &name, PrinterState::AwaitingClear).await?;
                report.awaiting_clear.push(name);
            }
        }
        let others = sqlx::query::<Any>(
            "SELECT name FROM printers WHERE state NOT IN ('awaiting_clear', 'offline')",
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in &others {
            let name: String = row.try_get("name")?;
            set_state_in(&mut tx, &name, PrinterState::Offline).await?;
        }
        let mut all_clear = sqlx::query::<Any>(
            "SELECT name FROM printers WHERE state = 'awaiting_clear' ORDER BY name",
        )
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>("name"))
        .collect::<Result<Vec<_>, _>>()?;
        all_clear.dedup();
        report.awaiting_clear = all_clear;
        events::append(&mut tx, "recovered", None, None, json!(report)).await?;
        tx.commit().await?;
        Ok(report)
    }
}
