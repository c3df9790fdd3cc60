//! `GET /metrics`: Prometheus text exposition format, written by hand (it is
//! a few lines of text; no client library needed). Open: no key required.

use super::error::ApiError;
use super::farm::PrinterView;
use super::AppState;
use crate::domain::Phase;
use crate::store::JobState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::fmt::Write;

/// Every job state, so each series exists even at zero.
const JOB_STATES: [JobState; 8] = [
    JobState::Queued,
    JobState::Assigned,
    JobState::Printing,
    JobState::Paused,
    JobState::Completed,
    JobState::Failed,
    JobState::Cancelled,
    JobState::Held,
];

/// Escapes a label value (backslash, quote, newline).
pub fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

async fn job_metrics(state: &AppState, out: &mut String) -> Result<(), ApiError> {
    let counts = state.store.job_counts_by_state().await?;
    let count_of = |s: JobState| counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n);
    header(out, "printfarm_jobs_total", "gauge", "Jobs by state.");
    for job_state in JOB_STATES {
        let n = count_of(job_state);
        let _ = writeln!(out, "printfarm_jobs_total{{state=\"{job_state}\"}} {n}");
    }
    header(
        out,
        "printfarm_queue_length",
        "gauge",
        "Jobs waiting for a printer.",
    );
    let _ = writeln!(out, "printfarm_queue_length {}", count_of(JobState::Queued));
    Ok(())
}

/// One sample line per printer for each printer series.
#[derive(Default)]
struct PrinterSeries {
    up: String,
    progress: String,
    awaiting_clear: String,
    temperatures: String,
}

impl PrinterSeries {
    fn add(&mut self, view: &PrinterView) {
        let name = label_value(&view.name);
        let is_up = view.connection == "connected";
        let progress = view.job.as_ref().and_then(|j| j.progress).unwrap_or(0.0);
        let awaiting = view.state == Phase::AwaitingClear;
        let label = format!("{{printer=\"{name}\"}}");
        let _ = writeln!(self.up, "printfarm_printer_up{label} {}", u8::from(is_up));
        let _ = writeln!(
            self.progress,
            "printfarm_printer_progress{label} {progress}"
        );
        let _ = writeln!(
            self.awaiting_clear,
            "printfarm_printer_awaiting_clear{label} {}",
            u8::from(awaiting)
        );
        for reading in &view.temperatures {
            let heater = label_value(&reading.heater);
            let _ = writeln!(
                self.temperatures,
                "printfarm_printer_temperature_celsius{{printer=\"{name}\",heater=\"{heater}\"}} {}",
                reading.actual_c
            );
        }
    }
}

async fn printer_metrics(state: &AppState, out: &mut String) -> Result<(), ApiError> {
    let mut series = PrinterSeries::default();
    for view in &state.farm.printers() {
        series.add(view);
    }
    header(
        out,
        "printfarm_printer_up",
        "gauge",
        "1 when the printer is connected.",
    );
    out.push_str(&series.up);
    header(
        out,
        "printfarm_printer_progress",
        "gauge",
        "Fraction of the current job done.",
    );
    out.push_str(&series.progress);
    let help = "1 when a print waits on the bed.";
    header(out, "printfarm_printer_awaiting_clear", "gauge", help);
    out.push_str(&series.awaiting_clear);
    let help = "Measured heater temperature.";
    header(out, "printfarm_printer_temperature_celsius", "gauge", help);
    out.push_str(&series.temperatures);
    Ok(())
}

/// `GET /metrics`.
pub async fn get(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let mut out = String::new();
    job_metrics(&state, &mut out).await?;
    printer_metrics(&state, &mut out).await?;
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    Ok(([(header::CONTENT_TYPE, content_type)], out))
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_are_escaped() {
        assert_eq!(super::label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
