//! Reading typed values out of `AnyRow`s.

use super::states::{JobState, PrinterState, Role};
use super::types::{FileKeys, FileRecord, JobRecord};
use super::StoreError;
use crate::domain::FailureCause;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Columns selected for a [`JobRecord`], prefixed with `j.`.
pub(super) const JOB_COLUMNS: &str = "j.id, j.file_id, j.order_id, j.order_item_id, \
    j.unit_index, j.personalisation_json, j.state, j.priority, j.due_at, j.material, j.colour, \
    j.required_tags_json, j.printer, j.attempts, j.failure_cause, j.failure_reason, j.last_acked_line, \
    j.created_at, j.started_at, j.finished_at, j.owner_key_id, j.product_sku, \
    j.product_version, j.render_key";

/// Columns selected for [`FileKeys`], prefixed with `f.`.
pub(super) const FILE_KEY_COLUMNS: &str = "f.extents_min_x, f.extents_min_y, f.extents_min_z, \
    f.extents_max_x, f.extents_max_y, f.extents_max_z, f.tools_used_json, f.max_hotend_temp, \
    f.max_bed_temp, f.nozzle_diameter, f.estimated_time_s, f.filament_mm, f.violations_json, \
    f.longest_line_bytes";

pub(super) fn parse_json(text: &str, column: &'static str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        column,
        detail: e.to_string(),
    })
}

pub(super) fn json(row: &AnyRow, column: &'static str) -> Result<Value, StoreError> {
    parse_json(&row.try_get::<String, _>(column)?, column)
}

fn optional_json(row: &AnyRow, column: &'static str) -> Result<Option<Value>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| parse_json(&text, column))
        .transpose()
}

fn corrupt(column: &'static str, text: &str) -> StoreError {
    StoreError::Corrupt {
        column,
        detail: format!("unknown value {text:?}"),
    }
}

pub(super) fn job_state(row: &AnyRow, column: &'static str) -> Result<JobState, StoreError> {
    let text: String = row.try_get(column)?;
    JobState::parse(&text).ok_or_else(|| corrupt(column, &text))
}

pub(super) fn printer_state(row: &AnyRow) -> Result<PrinterState, StoreError> {
    let text: String = row.try_get("state")?;
    PrinterState::parse(&text).ok_or_else(|| corrupt("state", &text))
}

pub(super) fn cause(code: &str) -> Result<FailureCause, StoreError> {
    FailureCause::parse(code).ok_or_else(|| corrupt("cause", code))
}

pub(super) fn role(row: &AnyRow) -> Result<Role, StoreError> {
    let text: String = row.try_get("role")?;
    Role::parse(&text).ok_or_else(|| corrupt("role", &text))
}

fn strings(row: &AnyRow, column: &'static str) -> Result<Vec<String>, StoreError> {
    serde_json::from_value(json(row, column)?).map_err(|e| StoreError::Corrupt {
        column,
        detail: e.to_string(),
    })
}

/// Reads a job selected with [`JOB_COLUMNS`].
pub(super) fn job(row: &AnyRow) -> Result<JobRecord, StoreError> {
    Ok(JobRecord {
        id: row.try_get("id")?,
        file_id: row.try_get("file_id")?,
        order_id: row.try_get("order_id")?,
        order_item_id: row.try_get("order_item_id")?,
        unit_index: row.try_get("unit_index")?,
        personalisation: optional_json(row, "personalisation_json")?,
        state: job_state(row, "state")?,
        priority: row.try_get("priority")?,
        due_at: row.try_get("due_at")?,
        material: row.try_get("material")?,
        colour: row.try_get("colour")?,
        required_tags: strings(row, "required_tags_json")?,
        printer: row.try_get("printer")?,
        printer_faults: row.try_get("attempts")?,
        failure_cause: row
            .try_get::<Option<String>, _>("failure_cause")?
            .map(|c| cause(&c))
            .transpose()?,
        failure_reason: row.try_get("failure_reason")?,
        last_acked_line: row.try_get("last_acked_line")?,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        owner_key_id: row.try_get("owner_key_id")?,
        product_sku: row.try_get("product_sku")?,
        product_version: row.try_get("product_version")?,
        render_key: row.try_get("render_key")?,
    })
}

fn point(row: &AnyRow, columns: [&'static str; 3]) -> Result<Option<[f64; 3]>, StoreError> {
    let mut out = [0.0; 3];
    for (slot, column) in out.iter_mut().zip(columns) {
        match row.try_get::<Option<f64>, _>(column)? {
            Some(v) => *slot = v,
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// Reads file keys selected with [`FILE_KEY_COLUMNS`].
pub(super) fn file_keys(row: &AnyRow) -> Result<FileKeys, StoreError> {
    let tools: Vec<u32> =
        serde_json::from_value(json(row, "tools_used_json")?).map_err(|e| StoreError::Corrupt {
            column: "tools_used_json",
            detail: e.to_string(),
        })?;
    Ok(FileKeys {
        extents_min: point(row, ["extents_min_x", "extents_min_y", "extents_min_z"])?,
        extents_max: point(row, ["extents_max_x", "extents_max_y", "extents_max_z"])?,
        tools_used: tools,
        max_hotend_temp: row.try_get("max_hotend_temp")?,
        max_bed_temp: row.try_get("max_bed_temp")?,
        nozzle_diameter: row.try_get("nozzle_diameter")?,
        estimated_time_s: row.try_get("estimated_time_s")?,
        filament_mm: row.try_get("filament_mm")?,
        violations: json(row, "violations_json")?,
        longest_line_bytes: row.try_get("longest_line_bytes")?,
    })
}

/// Reads a whole file row (`f.*` columns).
pub(super) fn file(row: &AnyRow) -> Result<FileRecord, StoreError> {
    Ok(FileRecord {
        id: row.try_get("id")?,
        sha256: row.try_get("sha256")?,
        original_name: row.try_get("original_name")?,
        size_bytes: row.try_get("size_bytes")?,
        path: row.try_get("path")?,
        analysis: json(row, "analysis_json")?,
        keys: file_keys(row)?,
        line_count: row.try_get("line_count")?,
        first_extrusion_line: row.try_get("first_extrusion_line")?,
        owner_key_id: row.try_get("owner_key_id")?,
        created_at: row.try_get("created_at")?,
    })
}
