//! The farm's G-code files, uploaded or rendered: analysed, refused when
//! they are not G-code or no printer could take their lines, checked against
//! every printer, and recorded (content stored once, per-owner rows).
//!
//! The content goes into the database as a blob before the file's row is
//! written, so every host of the farm can print a recorded file; [`cache`]
//! gets a job's file on the host that prints it.

pub mod cache;
pub mod checks;

use crate::config::Config;
use crate::domain::gates::not_gcode;
use crate::gcode::{self, Analysis, AnalyzeOptions, Violation, ViolationKind};
use crate::store::{FileRecord, NewFile, Store, StoreError};
use checks::{file_keys, stored_violations, violations_by_printer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Violations of a file, by printer name.
pub type ByPrinter = BTreeMap<String, Vec<Violation>>;

/// Why a file is not recorded.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// It is not G-code, or no printer could take one of its lines.
    #[error("{0}")]
    Unprintable(String),
    /// The host failed (reading, analysing, storing).
    #[error(transparent)]
    Host(#[from] anyhow::Error),
    /// The store refused it.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A file received into a temporary place, to record.
#[derive(Debug)]
pub struct Incoming<'a> {
    /// Where it is now; moved into the library when recorded.
    pub path: &'a Path,
    /// Hex SHA-256 of its content.
    pub sha256: &'a str,
    /// Size in bytes.
    pub size_bytes: u64,
    /// The name it goes by.
    pub original_name: &'a str,
    /// The key it belongs to (`None`: the farm's own).
    pub owner_key_id: Option<String>,
}

/// Analyses a file on a blocking thread.
pub async fn analyse(path: PathBuf) -> anyhow::Result<Analysis> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || {
        gcode::analyze_file(&path, &AnalyzeOptions::default(), &mut |_| {})
    })
    .await
    .map_err(|e| anyhow::anyhow!("analysis task: {e}"))?
    .map_err(|e| anyhow::anyhow!("analysing {shown}: {e}"))
}

/// A line too long for every printer's command buffer would be rejected by
/// the firmware forever: such a file is refused.
fn lines_no_printer_takes(by_printer: &ByPrinter) -> Option<String> {
    let too_long = |violations: &Vec<Violation>| {
        violations
            .iter()
            .find(|v| v.kind == ViolationKind::LineTooLong)
            .cloned()
    };
    let mut found = by_printer.values().map(too_long);
    match found.next().flatten() {
        Some(v) if found.all(|other| other.is_some()) => {
            Some(format!("line {}: {}", v.line, v.reason))
        }
        _ => None,
    }
}

/// The violations of a stored file, re-checked against today's printers.
pub fn recheck(config: &Config, record: &FileRecord) -> ByPrinter {
    match serde_json::from_value::<Analysis>(record.analysis.clone()) {
        Ok(analysis) => violations_by_printer(&analysis, config),
        Err(error) => {
            tracing::warn!("file {}: stored analysis unreadable: {error}", record.id);
            BTreeMap::new()
        }
    }
}

/// Analyses, checks and records a file, moving it to `data_dir/files/`.
pub async fn record(
    store: &Store,
    config: &Config,
    data_dir: &Path,
    incoming: Incoming<'_>,
) -> Result<(FileRecord, ByPrinter), Refused> {
    let analysis = analyse(incoming.path.to_owned()).await?;
    if let Some(reason) = not_gcode(&analysis) {
        return Err(Refused::Unprintable(reason));
    }
    let by_printer = violations_by_printer(&analysis, config);
    if let Some(reason) = lines_no_printer_takes(&by_printer) {
        return Err(Refused::Unprintable(reason));
    }
    let keys = file_keys(&analysis, &stored_violations(&by_printer));
    let files_dir = data_dir.join("files");
    tokio::fs::create_dir_all(&files_dir)
        .await
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", files_dir.display()))?;
    let target = files_dir.join(format!("{}.gcode", incoming.sha256));
    let shared = target.exists();
    let analysis_json = serde_json::to_value(&analysis)
        .map_err(|e| anyhow::anyhow!("serialising the analysis: {e}"))?;
    tokio::fs::rename(incoming.path, &target)
        .await
        .map_err(|e| anyhow::anyhow!("moving the file to {}: {e}", target.display()))?;
    let new = NewFile {
        sha256: incoming.sha256.to_owned(),
        original_name: incoming.original_name.to_owned(),
        size_bytes: i64::try_from(incoming.size_bytes).unwrap_or(i64::MAX),
        path: target.display().to_string(),
        analysis: analysis_json,
        keys,
        line_count: i64::try_from(analysis.lines).ok(),
        first_extrusion_line: analysis
            .first_extrusion_line
            .and_then(|l| i64::try_from(l).ok()),
        owner_key_id: incoming.owner_key_id,
    };
    let stored = async {
        store.put_blob(incoming.sha256, &target).await?;
        store.insert_file(new).await
    }
    .await;
    let record = stored.inspect_err(|_| {
        if !shared {
            let _ = std::fs::remove_file(&target);
        }
    })?;
    Ok((record, by_printer))
}

/// The same content as `other`, recorded again for `owner` under `name`:
/// the analysis and the stored copy are shared, nothing of `other` shows.
/// A file recorded before contents were stored in the database gets its
/// blob now (from `other`'s path).
pub async fn record_copy(
    store: &Store,
    other: FileRecord,
    name: &str,
    owner: Option<String>,
) -> Result<FileRecord, StoreError> {
    let new = NewFile {
        sha256: other.sha256,
        original_name: name.to_owned(),
        size_bytes: other.size_bytes,
        path: other.path,
        analysis: other.analysis,
        keys: other.keys,
        line_count: other.line_count,
        first_extrusion_line: other.first_extrusion_line,
        owner_key_id: owner,
    };
    store.put_blob(&new.sha256, Path::new(&new.path)).await?;
    store.insert_file(new).await
}
