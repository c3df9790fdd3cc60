//! Classification of the error lines firmware sends: the ones followed by a
//! resend request, the ones that stop the printer, and the rest.

use serde::Serialize;

/// What an error line means for the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ErrorClass {
    /// A line was rejected (checksum, line number); a resend request follows.
    LineRejected,
    /// The printer stopped; the cause names the heater when the firmware did.
    Fatal {
        /// Short cause, e.g. `thermal runaway (bed)`.
        cause: String,
    },
    /// Any other error: reported, the print goes on.
    Other,
}

/// Texts of line errors, lower case.
const LINE_ERRORS: &[&str] = &[
    "checksum mismatch",
    "line number is not last line number+1",
    "no checksum with line number",
    "no line number with checksum",
    "expected line",
    "wrong checksum",
];

/// Fatal causes: text to look for (lower case) and the name to report.
const FATAL_CAUSES: &[(&str, &str)] = &[
    ("thermal runaway", "thermal runaway"),
    ("mintemp", "MINTEMP triggered"),
    ("maxtemp", "MAXTEMP triggered"),
    ("heating failed", "heating failed"),
    ("emergency stop", "emergency stop"),
    ("kill() called", "printer halted"),
    ("printer halted", "printer halted"),
    ("shutdown", "firmware shutdown"),
    ("heater decoupled", "heater decoupled"),
];

/// True when a fatal cause (as [`classify_error`] names it) is a heater
/// fault: thermal runaway, MINTEMP, MAXTEMP, heating failed, decoupled.
pub fn is_thermal(cause: &str) -> bool {
    const THERMAL: &[&str] = &[
        "thermal",
        "mintemp",
        "maxtemp",
        "heating failed",
        "decoupled",
    ];
    let lower = cause.to_ascii_lowercase();
    THERMAL.iter().any(|word| lower.contains(word))
}

/// Classifies the text of an error line (without its `Error:`, `!!` or `fatal:` marker).
/// `marked_fatal` is true for Repetier's `fatal:` lines.
pub fn classify_error(text: &str, marked_fatal: bool) -> ErrorClass {
    let lower = text.to_ascii_lowercase();
    if LINE_ERRORS.iter().any(|e| lower.contains(e)) {
        return ErrorClass::LineRejected;
    }
    let found = FATAL_CAUSES
        .iter()
        .find(|(needle, _)| lower.contains(needle));
    match (found, marked_fatal) {
        (Some((_, name)), _) => ErrorClass::Fatal {
            cause: with_heater(name, &lower),
        },
        (None, true) => ErrorClass::Fatal {
            cause: text.trim().to_owned(),
        },
        (None, false) => ErrorClass::Other,
    }
}

/// Appends the heater the text names: `Heater_ID: bed`, Prusa's `0:` prefix, `BED`.
fn with_heater(cause: &str, lower: &str) -> String {
    match heater(lower) {
        Some(h) => format!("{cause} ({h})"),
        None => cause.to_owned(),
    }
}

fn heater(lower: &str) -> Option<String> {
    if let Some(at) = lower.find("heater_id:") {
        let id = lower[at + "heater_id:".len()..].split_whitespace().next()?;
        return Some(heater_name(id.trim_matches(|c: char| !c.is_alphanumeric())));
    }
    let first = lower.split(':').next().unwrap_or("").trim();
    if !first.is_empty() && first.chars().all(|c| c.is_ascii_digit()) {
        return Some(heater_name(first));
    }
    ["bed", "chamber", "hotend", "extruder"]
        .into_iter()
        .find(|word| lower.contains(word))
        .map(heater_name)
}

fn heater_name(id: &str) -> String {
    match id {
        "b" | "bed" | "-1" => "bed".to_owned(),
        "c" | "chamber" | "-2" => "chamber".to_owned(),
        "extruder" | "hotend" | "e" => "hotend".to_owned(),
        n if n.chars().all(|c| c.is_ascii_digit()) => format!("hotend {n}"),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fatal(cause: &str) -> ErrorClass {
        ErrorClass::Fatal {
            cause: cause.to_owned(),
        }
    }

    #[test]
    fn classifies_firmware_errors() {
        let table = [
            ("checksum mismatch, Last Line: 22", ErrorClass::LineRejected),
            (
                "Line Number is not Last Line Number+1, Last Line: 22",
                ErrorClass::LineRejected,
            ),
            (
                "No Checksum with line number, Last Line: 4",
                ErrorClass::LineRejected,
            ),
            ("expected line 23 got 25", ErrorClass::LineRejected),
            ("Printer halted. kill() called!", fatal("printer halted")),
            (
                "Thermal Runaway, system stopped! Heater_ID: bed",
                fatal("thermal runaway (bed)"),
            ),
            (
                "MINTEMP triggered, system stopped! Heater_ID: 0",
                fatal("MINTEMP triggered (hotend 0)"),
            ),
            (
                "0: Extruder switched off. MAXTEMP triggered !",
                fatal("MAXTEMP triggered (hotend 0)"),
            ),
            (
                "Heating failed, system stopped! Heater_ID: 1",
                fatal("heating failed (hotend 1)"),
            ),
            ("BED THERMAL RUNAWAY", fatal("thermal runaway (bed)")),
            (
                "MCU 'mcu' shutdown: Timer too close",
                fatal("firmware shutdown"),
            ),
            ("Unknown command", ErrorClass::Other),
            (
                "Move out of range: 300.000 0.000 0.200 [0.000]",
                ErrorClass::Other,
            ),
        ];
        for (text, want) in table {
            assert_eq!(classify_error(text, false), want, "{text}");
        }
    }

    #[test]
    fn repetier_fatal_marker_is_fatal_whatever_the_text() {
        assert_eq!(
            classify_error("Sensor defect", true),
            fatal("Sensor defect")
        );
    }
}
