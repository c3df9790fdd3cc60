//! Building a [`Snapshot`](super::Snapshot) from configuration and stored rows.

use super::snapshot::{Availability, Extents, JobNeeds, PrinterCaps, QueuedJob, ToolMaterial};
use crate::config::PrinterProfile;
use crate::store::{self, PrinterRecord, PrinterState};

impl Availability {
    /// Availability from the stored printer state and whether it holds a job.
    pub fn from_state(state: PrinterState, has_current_job: bool) -> Availability {
        match state {
            _ if has_current_job => Availability::Busy,
            PrinterState::Idle => Availability::Idle,
            PrinterState::Busy => Availability::Busy,
            PrinterState::AwaitingClear => Availability::AwaitingClear,
            PrinterState::Offline | PrinterState::Error => Availability::Offline,
        }
    }
}

impl PrinterCaps {
    /// Capabilities from a profile; availability and idle time from the store
    /// row (`updated_at` of an idle printer is when it became idle).
    pub fn from_profile(profile: &PrinterProfile, record: Option<&PrinterRecord>) -> PrinterCaps {
        let availability = record.map_or(Availability::Offline, |r| {
            Availability::from_state(r.state, r.current_job.is_some())
        });
        let idle_since = record
            .filter(|_| availability == Availability::Idle)
            .map(|r| r.updated_at);
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
