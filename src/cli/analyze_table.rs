//! The human-readable table `printfarm analyze` prints.

use crate::gcode::{Analysis, Violation};
use std::fmt::Write;
use std::path::Path;

/// Formats seconds as `1h 02m 03s`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m {sec:02}s"),
        (h, m, sec) => format!("{h}h {m:02}m {sec:02}s"),
    }
}

/// Renders one file's analysis (and its violations when a printer was given).
pub fn render(file: &Path, a: &Analysis, violations: &[Violation], checked: bool) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{}", file.display());
    row(&mut t, "slicer", &slicer(a));
    row(
        &mut t,
        "print time",
        &format!(
            "{} (motion {}, dwell {})",
            duration(a.estimated_time_s),
            duration(a.motion_time_s),
            duration(a.dwell_time_s)
        ),
    );
    row(
        &mut t,
        "waits",
        &format!(
            "{} heating, {} operator pause(s)",
            a.heating_waits.len(),
            a.operator_pauses.len()
        ),
    );
    row(&mut t, "filament", &filament(a));
    row(
        &mut t,
        "extrusion extents",
        &a.extrusion_extents.map_or("none".into(), |e| {
            format!(
                "X {:.2}..{:.2}  Y {:.2}..{:.2}  Z {:.2}..{:.2}",
                e.min[0], e.max[0], e.min[1], e.max[1], e.min[2], e.max[2]
            )
        }),
    );
    row(&mut t, "layers", &layers(a));
    row(
        &mut t,
        "tools",
        &a.tools
            .iter()
            .map(|t| format!("T{t}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    row(&mut t, "temperatures", &temperatures(a));
    row(
        &mut t,
        "max feedrate",
        &format!("{:.0} mm/s", a.max_feedrate_mm_s),
    );
    row(&mut t, "limits from", &a.limits_source);
    if !a.objects.is_empty() {
        row(&mut t, "objects", &a.objects.join(", "));
    }
    row(&mut t, "lines", &format!("{} ({} bytes)", a.lines, a.bytes));
    row(&mut t, "diagnostics", &diagnostics(a));
    if checked {
        row(
            &mut t,
            "violations",
            if violations.is_empty() { "none" } else { "" },
        );
        for v in violations {
            let _ = writeln!(t, "    line {}: {}", v.line, v.reason);
        }
    }
    t
}

fn row(t: &mut String, label: &str, value: &str) {
    let _ = writeln!(t, "  {label:<18} {value}");
}

fn slicer(a: &Analysis) -> String {
    let s = &a.slicer;
    let mut text = match (&s.name, &s.version) {
        (Some(n), Some(v)) => format!("{n} {v}"),
        (Some(n), None) => n.clone(),
        _ => "unknown".into(),
    };
    if let Some(est) = s.estimated_time_s {
        let _ = write!(text, " (its estimate {}", duration(est));
        if let Some(f) = s.filament_mm {
            let _ = write!(text, ", {f:.1} mm");
        }
        text.push(')');
    }
    text
}

fn filament(a: &Analysis) -> String {
    let per_tool: Vec<String> = a
        .filament_mm
        .iter()
        .zip(&a.filament_cm3)
        .enumerate()
        .filter(|(_, (mm, _))| **mm > 0.0)
        .map(|(t, (mm, cm3))| format!("T{t} {mm:.1} mm ({cm3:.2} cm³)"))
        .collect();
    let mut text = if per_tool.is_empty() {
        "none".into()
    } else {
        per_tool.join(", ")
    };
    if a.prime_filament_mm > 0.0 {
        let _ = write!(text, "; start G-code {:.1} mm", a.prime_filament_mm);
    }
    text
}

fn layers(a: &Analysis) -> String {
    let mut text = a.layers.to_string();
    if let (Some(first), Some(h)) = (a.first_layer_height_mm, a.layer_height_mm) {
        let _ = write!(text, " (first at {first} mm, then {h} mm)");
    }
    text
}

fn temperatures(a: &Analysis) -> String {
    let mut parts: Vec<String> = a
        .temperatures
        .hotend
        .iter()
        .map(|t| format!("T{} {:.0} °C", t.tool, t.max_c))
        .collect();
    if let Some(b) = a.temperatures.bed {
        parts.push(format!("bed {:.0} °C", b.max_c));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn diagnostics(a: &Analysis) -> String {
    if a.diagnostics_total == 0 {
        return "none".into();
    }
    let first: Vec<String> = a
        .diagnostics
        .iter()
        .take(3)
        .map(|d| format!("line {}:{}: {}", d.line, d.column, d.message))
        .collect();
    format!("{} ({})", a.diagnostics_total, first.join("; "))
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_naturally() {
        for (s, want) in [
            (0.4, "0s"),
            (59.6, "1m 00s"),
            (1420.0, "23m 40s"),
            (3723.0, "1h 02m 03s"),
        ] {
            assert_eq!(duration(s), want);
        }
    }
}
