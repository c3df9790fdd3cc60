//! `GET /throughput?window=24h|7d`: parts per hour, completed and failed
//! jobs over time, utilisation, success rate, estimate vs actual, OEE per
//! printer and for the farm, hours lost by cause, and each printer's last
//! 24 hours, all rendered on the server.

use super::charts;
use super::pages::{allowed, layout, Page};
use crate::api::{parse_window, ApiError, AppState, Caller};
use crate::domain::oee::{buckets, Oee};
use crate::store::now_ms;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

const HOUR_MS: i64 = 3_600_000;

/// The page's query.
#[derive(Debug, Deserialize)]
pub struct Window {
    window: Option<String>,
}

/// A window the page offers: its name, slots and what a slot is.
fn window_shape(name: &str) -> (&'static str, usize, &'static str) {
    match name {
        "7d" => ("7d", 28, "6 hours"),
        _ => ("24h", 24, "hour"),
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.0} %", v * 100.0))
}

/// Slot labels: the hour (UTC) each slot starts at.
fn slot_labels(from: i64, slot_ms: i64, slots: usize) -> Vec<String> {
    (0..slots)
        .map(|i| {
            let start = from + slot_ms * i as i64;
            let hours = start.div_euclid(HOUR_MS).rem_euclid(24);
            let days_ago = (from + slot_ms * slots as i64 - start) / (24 * HOUR_MS);
            format!("{days_ago} d ago, {hours:02}:00 UTC")
        })
        .collect()
}

/// `GET /throughput`.
pub async fn page(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<Window>,
) -> Result<Response, ApiError> {
    let caller = match allowed(Page::Throughput, caller) {
        Ok(caller) => caller,
        Err(response) => return Ok(*response),
    };
    let (name, slots, slot_name) = window_shape(query.window.as_deref().unwrap_or("24h"));
    let length = parse_window(name)?;
    let to = now_ms() + 1;
    let from = to - length;
    let stats = state.store.stats(from, to).await?;
    let history = state.store.history(from, to).await?;
    let oee = history.oee(from, to);
    let day = history.oee(to - 24 * HOUR_MS, to);
    let (completed, failed) = history.endings(from, to);
    let good = buckets(&completed, from, to, slots);
    let bad = buckets(&failed, from, to, slots);
    let labels = slot_labels(from, length / slots as i64, slots);
    let utilisation: BTreeMap<_, _> = stats
        .printers
        .iter()
        .map(|p| (p.printer.clone(), p.utilisation))
        .collect();
    let rows: Vec<(String, Vec<_>)> = day.timelines.into_iter().collect();
    let main = html! {
        nav.windows aria-label="Window" {
            @for (w, label) in [("24h", "Last 24 hours"), ("7d", "Last 7 days")] {
                @if w == name {
                    a href=(format!("/throughput?window={w}")) aria-current="page" { (label) }
                } @else {
                    a href=(format!("/throughput?window={w}")) { (label) }
                }
            }
        }
        section.figures aria-label="Summary" {
            (figure("Parts per hour", format!("{:.2}", stats.parts_per_hour)))
            (figure("Completed", stats.jobs_completed.to_string()))
            (figure("Failed", stats.jobs_failed.to_string()))
            (figure("Success rate", percent(stats.success_rate)))
            (figure("Actual / estimated time", stats.estimate_ratio.map_or("–".into(), |r| format!("{r:.2}"))))
            (figure("Farm OEE", percent(Some(oee.farm.oee))))
        }
        h2 { "Jobs over time" }
        (charts::stacked_bars(&format!("Jobs ended per {slot_name}"), &labels, &good, &bad))
        h2 { "OEE per printer" }
        p.hint { "OEE = availability (time printing ÷ scheduled time) × performance (estimated ÷ actual print time) × quality (good parts ÷ parts started)." }
        div.scroll { (oee_table(&oee.printers, &oee.farm, &utilisation)) }
        h2 { "Hours lost by cause" }
        (charts::hbars("Hours of the window not spent printing good parts", &oee.farm.losses.by_cause(), "h"))
        h2 { "Last 24 hours per printer" }
        (charts::timelines("What each printer did:", &rows, to - 24 * HOUR_MS, to))
    };
    Ok(layout(Page::Throughput, &caller, main).into_response())
}

fn figure(label: &str, value: String) -> Markup {
    html! { div.figure { span.figure-label { (label) } span.figure-value { (value) } } }
}

fn oee_row(name: &str, oee: &Oee, utilisation: Option<f64>) -> Markup {
    html! {
        tr {
            th scope="row" { (name) }
            td { (percent(utilisation)) }
            td { (percent(Some(oee.availability))) }
            td { (percent(oee.performance)) }
            td { (percent(oee.quality)) }
            td { strong { (percent(Some(oee.oee))) } }
        }
    }
}

fn oee_table(
    printers: &BTreeMap<String, Oee>,
    farm: &Oee,
    utilisation: &BTreeMap<String, f64>,
) -> Markup {
    html! {
        table #oee {
            thead { tr {
                th scope="col" { "Printer" } th scope="col" { "Utilisation" }
                th scope="col" { "Availability" } th scope="col" { "Performance" }
                th scope="col" { "Quality" } th scope="col" { "OEE" }
            } }
            tbody {
                @for (name, figures) in printers {
                    (oee_row(name, figures, utilisation.get(name).copied()))
                }
            }
            tfoot { (oee_row("Farm", farm, None)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{percent, slot_labels, window_shape};

    #[test]
    fn windows_and_labels() {
        assert_eq!(window_shape("7d").1, 28);
        assert_eq!(window_shape("nonsense").0, "24h");
        assert_eq!(percent(Some(0.456)), "46 %");
        assert_eq!(percent(None), "–");
        let labels = slot_labels(0, 3_600_000, 24);
        assert_eq!(labels.len(), 24);
        assert_eq!(labels[0], "1 d ago, 00:00 UTC");
        assert_eq!(labels[23], "0 d ago, 23:00 UTC");
    }
}
