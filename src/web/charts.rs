//! Server-rendered SVG charts: stacked bars over time, horizontal bars and
//! per-printer timelines. Text stays in HTML around the SVG so it reads at
//! any width; shapes carry a `<title>` for their value and a class for
//! their colour (see `app.css`).

use crate::domain::oee::{Activity, Span};
use maud::{html, Markup};

/// Width of a timeline's or horizontal bar's drawing, in SVG units.
const TRACK: f64 = 1000.0;

/// Scales `value` in `0..=max` onto `0..=extent`; values outside are
/// clamped and a non-positive `max` draws nothing.
pub fn scale(value: f64, max: f64, extent: f64) -> f64 {
    if max.is_nan() || max <= 0.0 || !value.is_finite() {
        return 0.0;
    }
    (value / max).clamp(0.0, 1.0) * extent
}

/// A round axis maximum at least `max`: 1, 2 or 5 times a power of ten
/// (1 for nothing to show).
pub fn nice_max(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * power)
        .find(|candidate| *candidate >= max)
        .unwrap_or(10.0 * power)
}

/// The class that colours an activity.
pub fn activity_class(activity: Activity) -> &'static str {
    match activity {
        Activity::Printing => "a-printing",
        Activity::AwaitingClear => "a-clear",
        Activity::Idle => "a-idle",
        Activity::Error => "a-error",
        Activity::Offline => "a-offline",
    }
}

/// Completed and failed counts per slot as stacked bars; `labels` name the
/// slots (for titles), `caption` says what a bar is.
pub fn stacked_bars(caption: &str, labels: &[String], completed: &[u64], failed: &[u64]) -> Markup {
    let slots = labels.len().max(1);
    let totals = completed.iter().zip(failed).map(|(c, f)| c + f);
    let max = nice_max(totals.max().unwrap_or(0) as f64);
    let width = slots as f64 * 10.0;
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {width} 100")) preserveAspectRatio="none" role="img"
                aria-label=(caption) {
                @for (i, label) in labels.iter().enumerate() {
                    @let good = completed.get(i).copied().unwrap_or(0) as f64;
                    @let bad = failed.get(i).copied().unwrap_or(0) as f64;
                    @let good_h = scale(good, max, 100.0);
                    @let bad_h = scale(bad, max, 100.0);
                    @let x = i as f64 * 10.0 + 1.0;
                    rect.c-good x=(x) y=(100.0 - good_h) width="8" height=(good_h) {
                        title { (label) ": " (good) " completed" }
                    }
                    rect.c-bad x=(x) y=(100.0 - good_h - bad_h) width="8" height=(bad_h) {
                        title { (label) ": " (bad) " failed" }
                    }
                }
            }
            figcaption {
                (caption) " — scale 0 to " (max) ". "
                span.key.c-good-key { "completed" } " "
                span.key.c-bad-key { "failed" }
            }
        }
    }
}

/// Labelled horizontal bars of `items` (label, value) on a common scale,
/// each value written with `unit`.
pub fn hbars(caption: &str, items: &[(&str, f64)], unit: &str) -> Markup {
    let max = nice_max(items.iter().map(|(_, v)| *v).fold(0.0, f64::max));
    html! {
        figure.chart.hbars {
            figcaption { (caption) }
            dl {
                @for (label, value) in items {
                    div.hbar {
                        dt { (label) }
                        dd {
                            svg viewBox=(format!("0 0 {TRACK} 10")) preserveAspectRatio="none"
                                aria-hidden="true" {
                                rect.bar x="0" y="0" width=(scale(*value, max, TRACK)) height="10" {}
                            }
                            span { (format!("{value:.1}")) " " (unit) }
                        }
                    }
                }
            }
        }
    }
}

/// The x position and width of `span` on a track of `[from, to)`.
pub fn span_box(span: &Span, from: i64, to: i64) -> (f64, f64) {
    let length = (to - from) as f64;
    let x = scale((span.start - from) as f64, length, TRACK);
    let end = scale((span.end - from) as f64, length, TRACK);
    (x, (end - x).max(0.0))
}

/// One strip per printer of what it did over `[from, to)`.
pub fn timelines(caption: &str, rows: &[(String, Vec<Span>)], from: i64, to: i64) -> Markup {
    html! {
        figure.chart.timelines {
            figcaption {
                (caption) " "
                @for activity in [Activity::Printing, Activity::AwaitingClear, Activity::Idle, Activity::Error, Activity::Offline] {
                    span.key.(activity_class(activity)) { (activity.as_str()) } " "
                }
            }
            @for (printer, spans) in rows {
                div.timeline {
                    span.tl-name { (printer) }
                    svg viewBox=(format!("0 0 {TRACK} 10")) preserveAspectRatio="none" role="img"
                        aria-label=(format!("{printer}: {}", summary(spans))) {
                        @for span in spans {
                            @let (x, w) = span_box(span, from, to);
                            rect.(activity_class(span.activity)) x=(x) y="0" width=(w) height="10" {
                                title { (activity_words(span)) }
                            }
                        }
                    }
                }
            }
            div.tl-axis aria-hidden="true" { span { "24 h ago" } span { "12 h" } span { "now" } }
        }
    }
}

fn activity_words(span: &Span) -> String {
    let minutes = (span.end - span.start) / 60_000;
    format!(
        "{} for {} h {:02} min",
        span.activity.as_str(),
        minutes / 60,
        minutes % 60
    )
}

/// Hours per activity in words, for screen readers.
fn summary(spans: &[Span]) -> String {
    let mut parts = Vec::new();
    for activity in [
        Activity::Printing,
        Activity::AwaitingClear,
        Activity::Idle,
        Activity::Error,
        Activity::Offline,
    ] {
        let ms: i64 = spans
            .iter()
            .filter(|s| s.activity == activity)
            .map(|s| s.end - s.start)
            .sum();
        if ms > 0 {
            parts.push(format!(
                "{} {:.1} h",
                activity.as_str(),
                ms as f64 / 3_600_000.0
            ));
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_scale_onto_the_extent_and_clamp() {
        assert_eq!(scale(5.0, 10.0, 100.0), 50.0);
        assert_eq!(scale(20.0, 10.0, 100.0), 100.0);
        assert_eq!(scale(-1.0, 10.0, 100.0), 0.0);
        assert_eq!(scale(1.0, 0.0, 100.0), 0.0);
        assert_eq!(scale(f64::NAN, 10.0, 100.0), 0.0);
    }

    #[test]
    fn axis_maxima_are_round() {
        let cases = [
            (0.0, 1.0),
            (0.3, 0.5),
            (1.0, 1.0),
            (3.0, 5.0),
            (7.0, 10.0),
            (12.0, 20.0),
            (99.0, 100.0),
        ];
        for (max, expected) in cases {
            assert!((nice_max(max) - expected).abs() < 1e-9, "{max}");
        }
    }

    #[test]
    fn spans_land_where_their_times_are() {
        let span = Span {
            start: 250,
            end: 750,
            activity: Activity::Idle,
        };
        assert_eq!(span_box(&span, 0, 1000), (250.0, 500.0));
        let early = Span {
            start: -500,
            end: 100,
            activity: Activity::Idle,
        };
        assert_eq!(span_box(&early, 0, 1000), (0.0, 100.0));
    }

    #[test]
    fn charts_render_their_bars_and_titles() {
        let labels = vec!["00:00".to_owned(), "01:00".to_owned()];
        let svg = stacked_bars("Jobs per hour", &labels, &[2, 0], &[1, 0]).into_string();
        assert!(svg.contains("00:00: 2 completed"), "{svg}");
        assert!(svg.contains("scale 0 to 5"), "{svg}");
        let bars = hbars("Lost", &[("no work", 2.0), ("offline", 1.0)], "h").into_string();
        assert!(
            bars.contains("width=\"1000\"") && bars.contains("width=\"500\""),
            "{bars}"
        );
        let rows = vec![(
            "p1".to_owned(),
            vec![Span {
                start: 0,
                end: 3_600_000,
                activity: Activity::Printing,
            }],
        )];
        let strip = timelines("Last 24 h", &rows, 0, 3_600_000).into_string();
        assert!(strip.contains("p1: printing 1.0 h"), "{strip}");
    }
}
