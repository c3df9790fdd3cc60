//! A target described as one printer. On a farm the queue always takes
//! work, so the target reads as busy (`Printing`, `Paused`) only when none
//! of its printers is free and one is printing (or paused), and as `Error`
//! only when every one of its printers is in error; otherwise it is
//! `Operational` and ready, even with its printers offline (jobs wait in the
//! queue). A slicer that refuses to send to a busy printer (Cura with
//! auto-print) thus sends whenever a printer of the target is free.

use super::super::farm::{PrinterView, Temperature};
use super::super::AppState;
use super::Target;
use crate::domain::Phase;
use serde::Serialize;
use std::collections::BTreeMap;

/// OctoPrint's state flags (Cura reads all eight named in its plugin).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Flags {
    /// Connected and usable.
    pub operational: bool,
    /// Busy printing.
    pub printing: bool,
    /// Paused.
    pub paused: bool,
    /// Pausing (never: pausing is immediate here).
    pub pausing: bool,
    /// Cancelling (never: the answer comes once cancelled).
    pub cancelling: bool,
    /// Ready for a new print.
    pub ready: bool,
    /// In error.
    pub error: bool,
    /// Closed or in error.
    pub closed_or_error: bool,
    /// SD card ready (never: no SD card).
    pub sd_ready: bool,
}

/// The target's state as OctoPrint words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// `Operational`, `Printing`, `Paused` or `Error`.
    pub text: &'static str,
    /// The flags matching `text`.
    pub flags: Flags,
}

/// The target's printers as the farm knows them now.
pub fn printers(state: &AppState, target: &Target) -> Vec<PrinterView> {
    let names: Vec<&str> = target
        .printers(&state.config)
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let all = state.farm.printers();
    all.into_iter()
        .filter(|p| names.contains(&p.name.as_str()))
        .collect()
}

/// The target's state from its printers' (see the module's rule).
pub fn look(printers: &[PrinterView]) -> Look {
    let any = |phases: &[Phase]| printers.iter().any(|p| phases.contains(&p.state));
    let error = !printers.is_empty() && printers.iter().all(|p| p.state == Phase::Error);
    let free = any(&[Phase::Idle]);
    let printing = !error && !free && any(&[Phase::Assigned, Phase::Printing]);
    let paused = !error && !free && !printing && any(&[Phase::Paused]);
    let text = match (error, printing, paused) {
        (true, _, _) => "Error",
        (_, true, _) => "Printing",
        (_, _, true) => "Paused",
        _ => "Operational",
    };
    let flags = Flags {
        operational: !error,
        printing,
        paused,
        ready: !error && !printing && !paused,
        error,
        closed_or_error: error,
        ..Flags::default()
    };
    Look { text, flags }
}

/// One heater as OctoPrint shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Reading {
    /// Measured °C.
    pub actual: f64,
    /// Target °C.
    pub target: f64,
    /// Offset (always 0).
    pub offset: f64,
}

/// `tool0` and `bed` of a representative printer: the first printing, else
/// the first with readings; zeros when none has any.
pub fn temperatures(printers: &[PrinterView]) -> BTreeMap<&'static str, Reading> {
    let shown = printers
        .iter()
        .find(|p| p.job.is_some() && !p.temperatures.is_empty())
        .or_else(|| printers.iter().find(|p| !p.temperatures.is_empty()));
    let reading = |heater: &str| {
        shown
            .and_then(|p| p.temperatures.iter().find(|t| t.heater == heater))
            .map_or_else(Reading::default, |t: &Temperature| Reading {
                actual: t.actual_c,
                target: t.target_c,
                offset: 0.0,
            })
    };
    BTreeMap::from([("tool0", reading("T0")), ("bed", reading("B"))])
}

#[cfg(test)]
mod tests {
    use super::look;
    use crate::api::PrinterView;
    use crate::domain::Phase;

    fn printer(state: Phase) -> PrinterView {
        PrinterView {
            name: format!("{state:?}"),
            state,
            since: 0,
            connection: "connected".into(),
            accepts_work: state == Phase::Idle,
            job: None,
            bed_full_since: None,
            firmware: None,
            temperatures: Vec::new(),
            last_error: None,
            maintenance: Default::default(),
            loaded: Vec::new(),
            node: None,
        }
    }

    #[test]
    fn a_target_is_busy_only_when_no_printer_is_free() {
        use Phase::*;
        let cases: [(&[Phase], &str); 8] = [
            (&[], "Operational"),
            (&[Offline, Offline], "Operational"),
            (&[Idle, Printing], "Operational"),
            (&[Printing, AwaitingClear], "Printing"),
            (&[Assigned], "Printing"),
            (&[Paused, Offline], "Paused"),
            (&[Error, Error], "Error"),
            (&[Error, Offline], "Operational"),
        ];
        for (phases, text) in cases {
            let printers: Vec<PrinterView> = phases.iter().map(|p| printer(*p)).collect();
            let seen = look(&printers);
            assert_eq!(seen.text, text, "{phases:?}");
            let flags = seen.flags;
            assert_eq!(flags.printing, text == "Printing", "{phases:?}");
            assert_eq!(flags.paused, text == "Paused", "{phases:?}");
            assert_eq!(flags.ready, text == "Operational", "{phases:?}");
            assert_eq!(flags.error, text == "Error", "{phases:?}");
            assert_eq!(flags.closed_or_error, flags.error, "{phases:?}");
            assert_eq!(flags.operational, !flags.error, "{phases:?}");
        }
    }
}
