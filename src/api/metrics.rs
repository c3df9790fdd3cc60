//! `GET /metrics`: the farm's metrics in the OpenMetrics text format, which
//! Prometheus scrapes. Open: no key required. Counters and histograms are
//! recorded as attempts start and end; gauges are read from the store and
//! the printers' supervisors at each scrape.

use super::error::ApiError;
use super::AppState;
use crate::domain::Phase;
use crate::metrics::{FarmMetrics, HeaterLabel, PrinterStateLabel, StateLabel};
use crate::store::JobState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

/// Every farm state a printer can be in, so each series exists at zero.
const PHASES: [Phase; 7] = [
    Phase::Offline,
    Phase::Idle,
    Phase::Assigned,
    Phase::Printing,
    Phase::Paused,
    Phase::AwaitingClear,
    Phase::Error,
];

/// The window of the OEE gauges: the last 24 hours.
const OEE_WINDOW_MS: i64 = 24 * 3_600_000;

/// `GET /metrics`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "metrics",
    responses(
        (status = 200, description = "The farm's metrics", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String),
    )
)]
pub async fn get(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let counts = state.store.job_counts_by_state().await?;
    let printers = state.farm.printers();
    let to_ms = crate::store::now_ms() + 1;
    let from_ms = to_ms - OEE_WINDOW_MS;
    let oee = state
        .store
        .history(from_ms, to_ms)
        .await?
        .oee(from_ms, to_ms);
    let text = state.metrics.scrape(|m| {
        m.set_oee(&oee);
        for job_state in JobState::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| *s == job_state)
                .map_or(0, |(_, n)| *n);
            let label = StateLabel {
                state: job_state.as_str().to_owned(),
            };
            m.jobs.get_or_create(&label).set(n);
        }
        for view in &printers {
            let printer = FarmMetrics::printer(&view.name);
            let up = i64::from(view.connection == "connected");
            m.printer_up.get_or_create(&printer).set(up);
            let progress = view.job.as_ref().and_then(|j| j.progress).unwrap_or(0.0);
            m.printer_progress.get_or_create(&printer).set(progress);
            for phase in PHASES {
                let label = PrinterStateLabel {
                    printer: view.name.clone(),
                    state: phase.as_str().to_owned(),
                };
                m.printer_state
                    .get_or_create(&label)
                    .set(i64::from(view.state == phase));
            }
            for reading in &view.temperatures {
                let label = HeaterLabel {
                    printer: view.name.clone(),
                    heater: reading.heater.clone(),
                };
                m.printer_temperature
                    .get_or_create(&label)
                    .set(reading.actual_c);
            }
        }
    });
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    Ok(([(header::CONTENT_TYPE, content_type)], text))
}
