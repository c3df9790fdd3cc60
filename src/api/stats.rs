//! `GET /api/stats?window=24h`: farm statistics over a recent window,
//! computed at most once a second per window.

use super::auth::{Caller, FARM_ROLES};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::domain::oee::Oee;
use crate::store::now_ms;
use anyhow::Context;
use axum::extract::{Query, State};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Longest window accepted, in days.
const MAX_WINDOW_DAYS: i64 = 366;

/// Statistics as the API shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatsView {
    window: String,
    from_ms: i64,
    to_ms: i64,
    jobs_completed: i64,
    jobs_failed: i64,
    parts_per_hour: f64,
    success_rate: Option<f64>,
    queue_length: i64,
    mean_wait_s: Option<f64>,
    /// Mean actual / estimated print time (1.0 = estimates are right).
    estimate_vs_actual: Option<f64>,
    /// Fraction of the window each printer spent printing.
    utilisation: BTreeMap<String, f64>,
    /// OEE (availability × performance × quality) for the farm and per
    /// printer, with hours lost by cause.
    oee: OeeView,
}

/// OEE figures as the API shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OeeView {
    farm: Oee,
    printers: BTreeMap<String, Oee>,
}

/// The query of `GET /api/stats` (for the API description).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct StatsQuery {
    /// A count and a unit (`m`, `h`, `d`), at most a year; default `24h`.
    #[param(example = "24h")]
    window: Option<String>,
}

/// Milliseconds in a window written as a count and a unit: `30m`, `24h`, `7d`.
pub fn parse_window(text: &str) -> Result<i64, ApiError> {
    let bad = |why: &str| {
        ApiError::bad_request(
            "window",
            format!("bad window {text:?}: {why} (e.g. 30m, 24h, 7d)"),
        )
    };
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (count, unit) = (
        text.get(..split).unwrap_or(""),
        text.get(split..).unwrap_or(""),
    );
    let unit_ms: i64 = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad("the unit must be m, h or d")),
    };
    let count: i64 = count
        .parse()
        .map_err(|_| bad("expected a whole number before the unit"))?;
    if count <= 0 {
        return Err(bad("must be positive"));
    }
    let ms = count.saturating_mul(unit_ms);
    if ms > MAX_WINDOW_DAYS * 86_400_000 {
        return Err(bad("longer than a year"));
    }
    Ok(ms)
}

/// `GET /api/stats?window=…` (default `24h`).
#[utoipa::path(
    get,
    path = "/stats",
    tag = "stats",
    params(StatsQuery),
    responses(
        (status = 200, description = "Statistics over the window", body = StatsView),
        (status = 400, description = "Bad window", body = ErrorBody),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(FARM_ROLES)?;
    let window = query
        .into_iter()
        .find(|(name, _)| name == "window")
        .map_or_else(|| "24h".to_owned(), |(_, value)| value);
    let length = parse_window(&window)?;
    if let Some(cached) = state.caches.stats(&window) {
        return Ok(Json(cached));
    }
    // The store's window is half-open: end it after the current millisecond,
    // so a job that finished in this very millisecond counts.
    let to_ms = now_ms() + 1;
    let stats = state.store.stats(to_ms - length, to_ms).await?;
    let oee = state
        .store
        .history(to_ms - length, to_ms)
        .await?
        .oee(to_ms - length, to_ms);
    let view = StatsView {
        window: window.clone(),
        from_ms: stats.from_ms,
        to_ms: stats.to_ms,
        jobs_completed: stats.jobs_completed,
        jobs_failed: stats.jobs_failed,
        parts_per_hour: stats.parts_per_hour,
        success_rate: stats.success_rate,
        queue_length: stats.queue_length,
        mean_wait_s: stats.mean_queue_wait_s,
        estimate_vs_actual: stats.estimate_ratio,
        utilisation: stats
            .printers
            .into_iter()
            .map(|p| (p.printer, p.utilisation))
            .collect(),
        oee: OeeView {
            farm: oee.farm,
            printers: oee.printers,
        },
    };
    let value = serde_json::to_value(view).context("serialising the statistics")?;
    state.caches.remember_stats(&window, value.clone());
    Ok(Json(value))
}

#[cfg(test)]
mod tests {
    use super::parse_window;

    #[test]
    fn windows_parse_or_name_the_parameter() {
        let good = [
            ("30m", 1_800_000),
            ("24h", 86_400_000),
            ("7d", 604_800_000),
            (" 1h ", 3_600_000),
        ];
        for (text, ms) in good {
            assert_eq!(parse_window(text).unwrap(), ms, "{text}");
        }
        for text in [
            "", "h", "24", "0h", "-1h", "1.5h", "24x", "9999d", "1w", "é",
        ] {
            let error = parse_window(text).unwrap_err();
            assert_eq!(error.status(), 400, "{text}");
            assert!(error.to_string().contains("window"), "{text}");
        }
    }
}
