//! Plain records read from and written to the store.

use super::states::{JobState, PrinterState, Role};
use crate::domain::FailureCause;
use serde::Serialize;
use serde_json::Value;

/// Values extracted from a file's analysis, used for routing and stats.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileKeys {
    /// Smallest X, Y, Z reached while extruding, if anything is extruded.
    pub extents_min: Option<[f64; 3]>,
    /// Largest X, Y, Z reached while extruding.
    pub extents_max: Option<[f64; 3]>,
    /// Tool numbers the file uses.
    pub tools_used: Vec<u32>,
    /// Highest hotend temperature set, °C.
    pub max_hotend_temp: Option<f64>,
    /// Highest bed temperature set, °C.
    pub max_bed_temp: Option<f64>,
    /// Nozzle diameter the file was sliced for, mm.
    pub nozzle_diameter: Option<f64>,
    /// Estimated print time in seconds.
    pub estimated_time_s: Option<f64>,
    /// Filament used in mm.
    pub filament_mm: Option<f64>,
    /// Violations found by the analysis (a JSON array; empty when clean).
    pub violations: Value,
    /// Bytes of the longest serial line the file makes.
    pub longest_line_bytes: Option<i64>,
}

/// A file to record after upload and analysis.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Name as uploaded.
    pub original_name: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where the content is stored on disk.
    pub path: String,
    /// The full analysis.
    pub analysis: Value,
    /// Routing keys.
    pub keys: FileKeys,
    /// Lines of the file.
    pub line_count: Option<i64>,
    /// The first line that pushes filament.
    pub first_extrusion_line: Option<i64>,
    /// The key that uploaded it (`None`: the farm's own).
    pub owner_key_id: Option<String>,
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRecord {
    /// Id.
    pub id: String,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Name as uploaded.
    pub original_name: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where the content is stored on disk.
    pub path: String,
    /// The full analysis.
    pub analysis: Value,
    /// Routing keys.
    pub keys: FileKeys,
    /// Lines of the file.
    pub line_count: Option<i64>,
    /// The first line that pushes filament.
    pub first_extrusion_line: Option<i64>,
    /// The key that uploaded it (`None`: the farm's own).
    pub owner_key_id: Option<String>,
    /// Unix ms.
    pub created_at: i64,
}

/// Jobs to create for one file.
#[derive(Debug, Clone, Default)]
pub struct NewJob {
    /// The file to print.
    pub file_id: String,
    /// How many copies (one job each); at least 1.
    pub quantity: u32,
    /// Higher runs first.
    pub priority: i64,
    /// Unix ms deadline.
    pub due_at: Option<i64>,
    /// Required material.
    pub material: Option<String>,
    /// Required colour.
    pub colour: Option<String>,
    /// Printer tags required.
    pub required_tags: Vec<String>,
    /// Per-job data for personalised parts.
    pub personalisation: Option<Value>,
    /// Key that submitted it (for the shop role).
    pub owner_key_id: Option<String>,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRecord {
    /// Id.
    pub id: String,
    /// File printed (none until a unit of a template product is rendered).
    pub file_id: Option<String>,
    /// Order it belongs to.
    pub order_id: Option<String>,
    /// Order line it belongs to.
    pub order_item_id: Option<String>,
    /// 0-based copy number within its request.
    pub unit_index: i64,
    /// Per-job personalisation.
    pub personalisation: Option<Value>,
    /// Lifecycle state.
    pub state: JobState,
    /// Higher runs first.
    pub priority: i64,
    /// Unix ms deadline.
    pub due_at: Option<i64>,
    /// Required material.
    pub material: Option<String>,
    /// Required colour.
    pub colour: Option<String>,
    /// Printer tags required.
    pub required_tags: Vec<String>,
    /// Printer it is (or was last) on.
    pub printer: Option<String>,
    /// Printer-caused failures so far (the budget the requeue limit caps).
    pub printer_faults: i64,
    /// The cause of its last failure.
    pub failure_cause: Option<FailureCause>,
    /// Why it last failed, in the failure's own words.
    pub failure_reason: Option<String>,
    /// Last line number the printer acknowledged.
    pub last_acked_line: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms the current attempt started printing.
    pub started_at: Option<i64>,
    /// Unix ms it reached a terminal state.
    pub finished_at: Option<i64>,
    /// Key that submitted it.
    pub owner_key_id: Option<String>,
    /// The product it is a unit of.
    pub product_sku: Option<String>,
    /// The product's version.
    pub product_version: Option<i64>,
    /// The render that makes (or made) its file.
    pub render_key: Option<String>,
}

/// A queued job with its file's routing keys: the scheduler's input.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedJob {
    /// The job.
    pub job: JobRecord,
    /// Its file's routing keys.
    pub file: FileKeys,
}

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only jobs in one of these states (all when empty).
    pub states: Vec<JobState>,
    /// Only jobs of this order.
    pub order_id: Option<String>,
    /// Only jobs submitted with this key.
    pub owner_key_id: Option<String>,
    /// At most this many, newest first (default 500).
    pub limit: Option<i64>,
}

/// The render that makes a unit's file.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRender {
    /// Everything that decides the output, hashed (the cache key).
    pub key: String,
    /// The product.
    pub sku: String,
    /// Its version.
    pub version: i64,
    /// The slicer profile used (its tag, or `default`).
    pub profile: String,
    /// The unit's values, checked and complete.
    pub values: Value,
}

/// One unit of an order line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewUnit {
    /// Its personalisation, as given.
    pub personalisation: Option<Value>,
    /// For a template product: the render that makes its file.
    pub render: Option<NewRender>,
}

/// One line of a new order, resolved by the caller.
#[derive(Debug, Clone, Default)]
pub struct NewOrderItem {
    /// The file every unit prints (an upload or a fixed product); `None`
    /// when each unit is rendered.
    pub file_id: Option<String>,
    /// The product and version ordered.
    pub product: Option<(String, i64)>,
    /// The units, in order.
    pub units: Vec<NewUnit>,
    /// The personalisation as sent (kept on the line).
    pub personalisation: Option<Value>,
    /// Material.
    pub material: Option<String>,
    /// Colour.
    pub colour: Option<String>,
    /// Printer tags required.
    pub required_tags: Vec<String>,
}

impl NewOrderItem {
    /// `quantity` units of one file, without personalisation.
    pub fn of_file(file_id: &str, quantity: usize) -> NewOrderItem {
        NewOrderItem {
            file_id: Some(file_id.to_owned()),
            units: vec![NewUnit::default(); quantity],
            ..NewOrderItem::default()
        }
    }
}

/// A new order.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    /// The shop's own order id.
    pub external_id: Option<String>,
    /// The shop's customer reference.
    pub customer_ref: Option<String>,
    /// Unix ms deadline, copied to its jobs.
    pub due_at: Option<i64>,
    /// Priority of its jobs.
    pub priority: i64,
    /// Submitting key.
    pub owner_key_id: Option<String>,
    /// Lines.
    pub items: Vec<NewOrderItem>,
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRecord {
    /// Id.
    pub id: String,
    /// The shop's own order id.
    pub external_id: Option<String>,
    /// The shop's customer reference.
    pub customer_ref: Option<String>,
    /// Unix ms deadline.
    pub due_at: Option<i64>,
    /// Submitting key.
    pub owner_key_id: Option<String>,
    /// Unix ms.
    pub created_at: i64,
}

/// The result of creating an order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatedOrder {
    /// The order.
    pub order: OrderRecord,
    /// Ids of the jobs created, in item then unit order.
    pub job_ids: Vec<String>,
}

/// A printer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrinterRecord {
    /// Name from `printers.toml`.
    pub name: String,
    /// State.
    pub state: PrinterState,
    /// The active job, derived from `jobs` (never stored twice).
    pub current_job: Option<String>,
    /// Since when a print is on the bed (unix ms), if one is.
    pub bed_full_since: Option<i64>,
    /// Unix ms of the last state change.
    pub updated_at: i64,
}

/// One event-log row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// Id (time-ordered).
    pub id: String,
    /// Unix ms.
    pub at: i64,
    /// What happened (`claimed`, `started`, `completed`, …).
    pub kind: String,
    /// Printer involved.
    pub printer: Option<String>,
    /// Job involved.
    pub job: Option<String>,
    /// Details.
    pub payload: Value,
}

/// An API key's metadata (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyRecord {
    /// Id.
    pub id: String,
    /// Role.
    pub role: Role,
    /// Human label.
    pub label: String,
    /// Unix ms.
    pub created_at: i64,
}

/// What `recover_after_restart` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    /// Interrupted jobs put back in the queue.
    pub requeued: Vec<String>,
    /// Interrupted jobs that did not go back to the queue.
    pub failed: Vec<String>,
    /// Printers left with a partial print on the bed.
    pub awaiting_clear: Vec<String>,
}

#[cfg(test)]
impl JobRecord {
    /// A queued job of file `f` with nothing else set, for unit tests.
    pub(crate) fn queued_for_test(id: &str) -> JobRecord {
        JobRecord {
            id: id.to_owned(),
            file_id: Some("f".into()),
            order_id: None,
            order_item_id: None,
            unit_index: 0,
            personalisation: None,
            state: super::JobState::Queued,
            priority: 0,
            due_at: None,
            material: None,
            colour: None,
            required_tags: Vec::new(),
            printer: None,
            printer_faults: 0,
            failure_cause: None,
            failure_reason: None,
            last_acked_line: 0,
            created_at: 0,
            started_at: None,
            finished_at: None,
            owner_key_id: None,
            product_sku: None,
            product_version: None,
            render_key: None,
        }
    }
}
