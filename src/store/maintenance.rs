//! The maintenance odometer on each printer's row: advanced in the
//! transaction that ends an attempt, read by the printer's supervisor, reset
//! when a technician confirms a service (with a `serviced` event keeping
//! the readings that were reset).

use super::events;
use super::{now_ms, tx, Store, StoreError};
use crate::domain::maintenance::{wear_of_attempt, EndedAttempt, Odometer};
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};

const ODOMETER_SELECT: &str = "SELECT odometer_print_ms, odometer_filament_mm, odometer_jobs, \
     last_service_at, last_service_by FROM printers WHERE name = $1";

/// A printer's odometer and who confirmed its last service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdometerRecord {
    /// The readings since the last service.
    pub odometer: Odometer,
    /// The API key id that confirmed the last service, if known.
    pub last_service_by: Option<String>,
}

fn record(row: &sqlx::any::AnyRow) -> Result<OdometerRecord, StoreError> {
    Ok(OdometerRecord {
        odometer: Odometer {
            print_ms: row.try_get("odometer_print_ms")?,
            filament_mm: row.try_get("odometer_filament_mm")?,
            jobs: row.try_get("odometer_jobs")?,
            last_service_at: row.try_get("last_service_at")?,
        },
        last_service_by: row.try_get("last_service_by")?,
    })
}

fn not_found(printer: &str) -> StoreError {
    StoreError::NotFound {
        kind: "printer",
        id: printer.to_owned(),
    }
}

/// Adds what attempt `attempt` (just ended at `now`) did to its printer's
/// odometer, inside the caller's transaction: see [`wear_of_attempt`].
pub(super) async fn advance_in(
    conn: &mut AnyConnection,
    attempt: &str,
    now: i64,
) -> Result<(), StoreError> {
    let row = sqlx::query::<Any>(
        "SELECT a.printer, a.started_at, a.outcome, a.last_acked_line, a.line_count, \
         f.filament_mm FROM attempts a JOIN jobs j ON j.id = a.job_id \
         LEFT JOIN files f ON f.id = j.file_id WHERE a.id = $1",
    )
    .bind(attempt)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(());
    };
    let printer: String = row.try_get("printer")?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let wear = wear_of_attempt(&EndedAttempt {
        started_ms: row.try_get("started_at")?,
        ended_ms: now,
        completed: outcome.as_deref() == Some("completed"),
        last_line: row.try_get("last_acked_line")?,
        line_count: row.try_get("line_count")?,
        file_filament_mm: row.try_get("filament_mm")?,
    });
    sqlx::query::<Any>(
        "UPDATE printers SET odometer_print_ms = odometer_print_ms + $2, \
         odometer_filament_mm = odometer_filament_mm + $3, odometer_jobs = odometer_jobs + $4 \
         WHERE name = $1",
    )
    .bind(&printer)
    .bind(wear.print_ms)
    .bind(wear.filament_mm)
    .bind(wear.jobs)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The odometer of `printer`.
    pub async fn odometer(&self, printer: &str) -> Result<OdometerRecord, StoreError> {
        let row = sqlx::query::<Any>(ODOMETER_SELECT)
            .bind(printer)
            .fetch_optional(&self.read_pool)
            .await?
            .ok_or_else(|| not_found(printer))?;
        record(&row)
    }

    /// Records a service of `printer` confirmed by `by` (an API key id):
    /// the odometer starts again from zero, with a `serviced` event holding
    /// the readings that were reset. Returns the odometer afterwards.
    pub async fn confirm_service(
        &self,
        printer: &str,
        by: Option<&str>,
    ) -> Result<OdometerRecord, StoreError> {
        let (printer, by) = (printer.to_owned(), by.map(str::to_owned));
        self.owner_write(
            "confirm service",
            tx!([printer, by] | conn | service_in(conn, &printer, by.as_deref()).await),
        )
        .await
    }
}

async fn service_in(
    conn: &mut AnyConnection,
    printer: &str,
    by: Option<&str>,
) -> Result<OdometerRecord, StoreError> {
    let before = sqlx::query::<Any>(ODOMETER_SELECT)
        .bind(printer)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found(printer))?;
    let before = record(&before)?.odometer;
    let now = now_ms();
    sqlx::query::<Any>(
        "UPDATE printers SET odometer_print_ms = 0, odometer_filament_mm = 0, odometer_jobs = 0, \
         last_service_at = $2, last_service_by = $3 WHERE name = $1",
    )
    .bind(printer)
    .bind(now)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    let payload = json!({ "by": by, "reset": before });
    events::append(conn, "serviced", Some(printer), None, payload).await?;
    Ok(OdometerRecord {
        odometer: Odometer {
            last_service_at: Some(now),
            ..Odometer::default()
        },
        last_service_by: by.map(str::to_owned),
    })
}
