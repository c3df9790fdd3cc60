//! Printers and jobs for the scheduler tests, shaped like the demo farm.

#![allow(dead_code)]

use printfarm::scheduler::{Availability, Extents, JobNeeds, PrinterCaps, QueuedJob, ToolMaterial};

/// An idle MK3S-like printer with one filament loaded.
pub fn mk3s(name: &str, material: &str, colour: &str) -> PrinterCaps {
    PrinterCaps {
        name: name.to_owned(),
        availability: Availability::Idle,
        auto_eject: false,
        idle_since: Some(1_000),
        tools: vec![ToolMaterial {
            material: material.to_owned(),
            colour: Some(colour.to_owned()),
        }],
        extruders: 1,
        nozzle_diameter: 0.4,
        build_volume: [250.0, 210.0, 210.0],
        min_position: [0.0, -4.0, 0.0],
        bounds_margin: 0.5,
        tags: vec!["mk3s".to_owned()],
        max_hotend_temp: 300.0,
        max_bed_temp: 120.0,
        max_command_bytes: 96,
    }
}

/// An idle 300×300×400 printer with white PLA.
pub fn big(name: &str) -> PrinterCaps {
    PrinterCaps {
        build_volume: [300.0, 300.0, 400.0],
        min_position: [0.0; 3],
        tags: vec!["large".to_owned()],
        max_hotend_temp: 280.0,
        max_bed_temp: 110.0,
        ..mk3s(name, "PLA", "white")
    }
}

/// The demo farm: two black-PLA MK3S, one orange-PETG MK3S, one big PLA printer.
pub fn demo_farm() -> Vec<PrinterCaps> {
    vec![
        mk3s("mk3s-1", "PLA", "black"),
        mk3s("mk3s-2", "PLA", "black"),
        mk3s("mk3s-petg", "PETG", "orange"),
        big("big-1"),
    ]
}

/// A small PLA cube's needs.
pub fn cube() -> JobNeeds {
    JobNeeds {
        material: Some("PLA".to_owned()),
        extents: Some(Extents {
            min: [10.0, 0.0, 0.2],
            max: [30.0, 20.0, 10.0],
        }),
        tools_used: vec![0],
        max_hotend_temp: Some(215.0),
        max_bed_temp: Some(60.0),
        nozzle_diameter: Some(0.4),
        ..JobNeeds::default()
    }
}

/// A queued job with priority 0, no due date, created at `created_at`.
pub fn job(id: &str, created_at: i64, needs: JobNeeds) -> QueuedJob {
    QueuedJob {
        id: id.to_owned(),
        priority: 0,
        due_at: None,
        created_at,
        needs,
    }
}
