//! The [`PrinterView`] a supervisor publishes: its lifecycle plus the
//! driver's live status.

use crate::api::maintenance::MaintenanceView;
use crate::api::{JobOnPrinter, PrinterView, Temperature};
use crate::domain::maintenance::{Assessment, Thresholds};
use crate::domain::Lifecycle;
use crate::printer::{PrinterState, PrinterStatus};
use crate::store::OdometerRecord;
use crate::store::ToolLoad;

fn connection(state: PrinterState) -> &'static str {
    match state {
        PrinterState::Disconnected => "disconnected",
        PrinterState::Connecting => "connecting",
        PrinterState::Error => "halted",
        PrinterState::Idle | PrinterState::Printing | PrinterState::Paused => "connected",
    }
}

/// The maintenance part of the view: the odometer and the verdict on it.
pub(super) fn maintenance(
    thresholds: Thresholds,
    record: &OdometerRecord,
    verdict: &Assessment,
) -> MaintenanceView {
    let odometer = &record.odometer;
    MaintenanceView {
        print_hours: odometer.print_hours(),
        filament_m: odometer.filament_m(),
        jobs: odometer.jobs,
        last_service_at: odometer.last_service_at,
        last_service_by: record.last_service_by.clone(),
        service_due: verdict.due,
        reason: verdict.reason(),
        thresholds,
    }
}

/// The view of printer `name`.
pub(super) fn build(
    name: &str,
    life: &Lifecycle,
    status: &PrinterStatus,
    since: i64,
    maintenance: &MaintenanceView,
    loaded: &[ToolLoad],
) -> PrinterView {
    let job = life.attempt().map(|attempt| {
        let progress = status.job.as_ref().filter(|j| j.job_id == attempt.run);
        JobOnPrinter {
            id: attempt.job.clone(),
            attempt: attempt.attempt.clone(),
            progress: progress
                .filter(|j| j.bytes_total > 0)
                .map(|j| j.bytes_acked as f64 / j.bytes_total as f64),
            last_acked_line: progress.map_or(attempt.last_line, |j| j.last_acked_line),
            eta_s: progress.and_then(|j| j.eta).map(|d| d.as_secs_f64()),
        }
    });
    let temperatures = status
        .temperatures
        .iter()
        .flat_map(|t| &t.readings)
        .map(|r| Temperature {
            heater: r.sensor.clone(),
            actual_c: r.actual,
            target_c: r.target.unwrap_or(0.0),
        })
        .collect();
    PrinterView {
        name: name.to_owned(),
        state: life.phase(),
        since,
        connection: connection(status.state).to_owned(),
        accepts_work: life.accepts_work(),
        job,
        bed_full_since: life.bed_full_since(),
        firmware: status.firmware.clone(),
        temperatures,
        last_error: status.last_error.clone(),
        maintenance: maintenance.clone(),
        loaded: loaded.to_vec(),
        node: None,
    }
}
