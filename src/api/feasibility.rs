//! Refusing, at submission, work that no printer in the farm could print.

use super::error::ApiError;
use super::AppState;
use crate::scheduler::{can_any_print, Availability, JobNeeds, PrinterCaps, Refusal};
use crate::store::FileKeys;

/// What a request asks of the printer besides the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted<'a> {
    /// Material.
    pub material: Option<&'a str>,
    /// Colour.
    pub colour: Option<&'a str>,
    /// Required printer tags.
    pub tags: &'a [String],
}

/// The scheduler's view of a job printing `file` as `wanted`.
fn job_needs(file: &FileKeys, wanted: Wanted<'_>) -> JobNeeds {
    let own = |v: Option<&str>| v.map(str::to_owned);
    JobNeeds::for_file(
        file,
        own(wanted.material),
        own(wanted.colour),
        wanted.tags.to_vec(),
    )
}

/// The configured printers that could print `file` as `wanted` (online
/// or not).
pub fn printers_able(state: &AppState, file: &FileKeys, wanted: Wanted<'_>) -> Vec<String> {
    let needs = job_needs(file, wanted);
    state
        .config
        .printers
        .iter()
        .filter(|p| {
            let caps = PrinterCaps::from_profile(p, Availability::Offline, None);
            crate::scheduler::can_print(&needs, &caps)
        })
        .map(|p| p.name.clone())
        .collect()
}

/// The request field a refusal is about.
fn refusal_field(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::FilamentNotLoaded {
            material: Some(_), ..
        } => "material",
        Refusal::FilamentNotLoaded { .. } => "colour",
        Refusal::MissingTags { .. } => "tags",
        _ => "file_id",
    }
}

/// `Ok` when some configured printer could print the job; else a 422 naming
/// the field (prefixed with `prefix`, e.g. `items[2].`) and every reason.
pub async fn ensure_printable(
    state: &AppState,
    file: &FileKeys,
    wanted: Wanted<'_>,
    prefix: &str,
) -> Result<(), ApiError> {
    let printers: Vec<PrinterCaps> = state
        .config
        .printers
        .iter()
        .map(|p| PrinterCaps::from_profile(p, Availability::Offline, None))
        .collect();
    let refusals = match can_any_print(&job_needs(file, wanted), &printers) {
        Ok(()) => return Ok(()),
        Err(refusals) => refusals,
    };
    let field = refusals.first().map_or("file_id", refusal_field);
    let reasons: Vec<String> = refusals.iter().map(ToString::to_string).collect();
    Err(ApiError::Unprocessable {
        message: format!(
            "no printer in the farm can print this: {}",
            reasons.join("; ")
        ),
        field: format!("{prefix}{field}"),
        reasons,
    })
}
