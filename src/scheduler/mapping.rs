//! Building a [`Snapshot`](super::Snapshot) from configuration and stored rows.

use super::snapshot::{Availability, Extents, JobNeeds, PrinterCaps, QueuedJob, ToolMaterial};
use crate::config::PrinterProfile;
use crate::store;

impl PrinterCaps {
    /// Capabilities from a profile, with the printer's availability now and
    /// since when it has been idle (unix ms; earliest is preferred).
    pub fn from_profile(
        profile: &PrinterProfile,
        availability: Availability,
        idle_since: Option<i64>,
    ) -> PrinterCaps {
        PrinterCaps {
            name: profile.name.clone(),
            availability,
            auto_eject: profile.auto_eject,
            idle_since,
            tools: profile
                .materials
                .iter()
                .map(|m| ToolMaterial {
                    material: m.material.clone(),
                    colour: m.colour.clone(),
                })
                .collect(),
            extruders: profile.extruders,
            nozzle_diameter: profile.nozzle_diameter,
            build_volume: profile.build_volume,
            min_position: profile.min_position,
            bounds_margin: profile.bounds_margin,
            tags: profile.tags.clone(),
            max_hotend_temp: profile.max_hotend_temp,
            max_bed_temp: profile.max_bed_temp,
            max_command_bytes: profile.max_command_bytes,
        }
    }
}

impl JobNeeds {
    /// Needs of a stored job and its file's routing keys.
    pub fn from_store(job: &store::JobRecord, file: &store::FileKeys) -> JobNeeds {
        JobNeeds::for_file(
            file,
            job.material.clone(),
            job.colour.clone(),
            job.required_tags.clone(),
        )
    }

    /// Needs of printing `file` in this material and colour on a printer
    /// with these tags. The file counts as violation-free when its
    /// violations are `null` or an empty array.
    pub fn for_file(
        file: &store::FileKeys,
        material: Option<String>,
        colour: Option<String>,
        required_tags: Vec<String>,
    ) -> JobNeeds {
        let extents = match (file.extents_min, file.extents_max) {
            (Some(min), Some(max)) => Some(Extents { min, max }),
            _ => None,
        };
        let violations_free = match &file.violations {
            serde_json::Value::Null => true,
            serde_json::Value::Array(items) => items.is_empty(),
            _ => false,
        };
        JobNeeds {
            material,
            colour,
            required_tags,
            extents,
            tools_used: file.tools_used.clone(),
            max_hotend_temp: file.max_hotend_temp,
            max_bed_temp: file.max_bed_temp,
            nozzle_diameter: file.nozzle_diameter,
            violations_free,
            longest_line: file.longest_line_bytes.and_then(|b| u32::try_from(b).ok()),
        }
    }
}

impl QueuedJob {
    /// A queue entry from the store's queued-job row.
    pub fn from_store(queued: &store::QueuedJob) -> QueuedJob {
        QueuedJob {
            id: queued.job.id.clone(),
            priority: queued.job.priority,
            due_at: queued.job.due_at,
            created_at: queued.job.created_at,
            needs: JobNeeds::from_store(&queued.job, &queued.file),
        }
    }
}
