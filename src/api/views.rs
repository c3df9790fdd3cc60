//! What the API answers with: its own view types, mapped from store
//! records, so the database's shape never leaks into the API's contract.

use crate::domain::FailureCause;
use crate::store::{AttemptRecord, JobRecord, JobState};
use serde::Serialize;
use serde_json::Value;

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    /// Id.
    pub id: String,
    /// File printed (none until a unit of a template product is rendered).
    pub file_id: Option<String>,
    /// Order it belongs to.
    pub order_id: Option<String>,
    /// Order line it belongs to.
    pub order_item_id: Option<String>,
    /// 0-based unit number within its order line or request.
    pub unit_index: i64,
    /// The unit's personalisation.
    pub personalisation: Option<Value>,
    /// Lifecycle state.
    pub state: JobState,
    /// Higher runs first.
    pub priority: i64,
    /// Deadline, unix ms.
    pub due_at: Option<i64>,
    /// Required material.
    pub material: Option<String>,
    /// Required colour.
    pub colour: Option<String>,
    /// Printer tags required.
    pub required_tags: Vec<String>,
    /// Printer it is (or was last) on.
    pub printer: Option<String>,
    /// Printer-caused failures so far (the requeue limit caps these).
    pub printer_faults: i64,
    /// Cause of the last failure (`printer.thermal`, `job.line_rejected`, …).
    pub failure_cause: Option<FailureCause>,
    /// The last failure in its own words.
    pub failure_reason: Option<String>,
    /// Last source line the printer acknowledged in the current attempt.
    pub last_acked_line: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms the current attempt started.
    pub started_at: Option<i64>,
    /// Unix ms it reached a final state.
    pub finished_at: Option<i64>,
    /// Key that submitted it.
    pub owner_key_id: Option<String>,
    /// The product it is a unit of, and the version ordered.
    pub product: Option<ProductRef>,
    /// How its file is being made, for a unit of a template product (in
    /// single-job answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub render: Option<RenderView>,
    /// Where to download its G-code and part.
    pub downloads: Downloads,
    /// Every attempt, oldest first (in single-job answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub attempts: Option<Vec<AttemptView>>,
    /// The printers that could take it (in listings of waiting jobs that
    /// have their file).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub printers_able: Option<Vec<String>>,
}

impl From<JobRecord> for JobView {
    fn from(job: JobRecord) -> JobView {
        let downloads = Downloads::of(&job.id, job.file_id.is_some(), job.render_key.is_some());
        JobView {
            id: job.id,
            file_id: job.file_id,
            order_id: job.order_id,
            order_item_id: job.order_item_id,
            unit_index: job.unit_index,
            personalisation: job.personalisation,
            state: job.state,
            priority: job.priority,
            due_at: job.due_at,
            material: job.material,
            colour: job.colour,
            required_tags: job.required_tags,
            printer: job.printer,
            printer_faults: job.printer_faults,
            failure_cause: job.failure_cause,
            failure_reason: job.failure_reason,
            last_acked_line: job.last_acked_line,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            downloads,
            product: job.product_sku.map(|sku| ProductRef {
                sku,
                version: job.product_version,
            }),
            owner_key_id: job.owner_key_id,
            render: None,
            printers_able: None,
            attempts: None,
        }
    }
}

/// The product a unit belongs to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductRef {
    /// Stock-keeping unit.
    pub sku: String,
    /// The version ordered.
    pub version: Option<i64>,
}

/// Where a job's files can be downloaded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Downloads {
    /// The G-code, once there is one.
    pub gcode: Option<String>,
    /// The rendered part (STL), for a unit of a template product.
    pub stl: Option<String>,
}

impl Downloads {
    fn of(job: &str, has_file: bool, rendered: bool) -> Downloads {
        Downloads {
            gcode: has_file.then(|| format!("/api/jobs/{job}/gcode")),
            stl: (has_file && rendered).then(|| format!("/api/jobs/{job}/stl")),
        }
    }
}

/// A unit's render.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RenderView {
    /// The cache key (equal values share it).
    pub key: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// The values rendered with.
    pub values: Value,
    /// The slicer profile.
    pub profile: String,
    /// Tries so far.
    pub tries: i64,
    /// Why it failed, or why the last try did.
    pub error: Option<String>,
}

impl From<crate::store::RenderRecord> for RenderView {
    fn from(r: crate::store::RenderRecord) -> RenderView {
        RenderView {
            key: r.key,
            state: r.state,
            values: r.values,
            profile: r.profile,
            tries: r.tries,
            error: r.error,
        }
    }
}

/// One time a job was given to a printer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    /// Id.
    pub id: String,
    /// The printer.
    pub printer: String,
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms, once over.
    pub ended_at: Option<i64>,
    /// `completed` or `failed`, once over.
    pub outcome: Option<String>,
    /// Why it failed (a cause code such as `printer.disconnected`).
    pub cause: Option<FailureCause>,
    /// In the failure's own words.
    pub reason: Option<String>,
    /// Last source line the printer acknowledged.
    pub last_acked_line: i64,
    /// Lines in the file, when known.
    pub line_count: Option<i64>,
}

impl From<AttemptRecord> for AttemptView {
    fn from(a: AttemptRecord) -> AttemptView {
        AttemptView {
            id: a.id,
            printer: a.printer,
            started_at: a.started_at,
            ended_at: a.ended_at,
            outcome: a.outcome,
            cause: a.cause,
            reason: a.reason,
            last_acked_line: a.last_acked_line,
            line_count: a.line_count,
        }
    }
}
