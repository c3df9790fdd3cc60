//! The pool that works the persistent render queue: each worker takes the
//! oldest render due, runs it in a directory of its own, records the G-code
//! as a farm file and settles the units waiting for it. A failure the same
//! inputs would repeat sends the units to review; any other is retried with
//! backoff, a few times. After a restart, renders that were running start
//! over.

use super::pipeline::{self, UnitRequest};
use super::tools::Tools;
use super::Template;
use crate::config::Config;
use crate::files::{self, Incoming, Refused};
use crate::store::{now_ms, RenderOutcome, RenderRecord, Store};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Tries of a render that keeps failing in ways that may pass.
pub const MAX_TRIES: i64 = 3;
/// Wait before the first retry; doubles each time.
const FIRST_RETRY: Duration = Duration::from_secs(5);
/// How often an idle worker looks for work without being woken.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Default time each tool may take for one unit.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// What the workers share.
#[derive(Clone)]
pub struct Context {
    /// The store.
    pub store: Store,
    /// The farm's configuration (its printers' beds).
    pub config: Arc<Config>,
    /// The tools found at start.
    pub tools: Tools,
    /// Where renders keep their files.
    pub data_dir: PathBuf,
}

impl Context {
    /// Build volumes of the printers a unit could print on: those with the
    /// profile's tag and the product's tags. With `or_all`, every printer's
    /// when none has them (a product defined before its printers exist).
    pub fn beds_for(
        &self,
        profile_tag: Option<&str>,
        tags: &[String],
        or_all: bool,
    ) -> Vec<[f64; 3]> {
        let printers = &self.config.printers;
        let beds: Vec<[f64; 3]> = printers
            .iter()
            .filter(|p| profile_tag.is_none_or(|t| p.tags.iter().any(|have| have == t)))
            .filter(|p| tags.iter().all(|t| p.tags.contains(t)))
            .map(|p| p.build_volume)
            .collect();
        if beds.is_empty() && or_all {
            return printers.iter().map(|p| p.build_volume).collect();
        }
        beds
    }
}

/// Starts `workers` workers (at least one).
pub fn start(context: Context, workers: usize) -> Vec<JoinHandle<()>> {
    (0..workers.max(1))
        .map(|_| tokio::spawn(work(context.clone())))
        .collect()
}

async fn work(context: Context) {
    loop {
        match context.store.claim_render().await {
            Ok(Some(render)) => {
                let outcome = process(&context, &render).await;
                if let Err(e) = context.store.finish_render(&render.key, &outcome).await {
                    tracing::error!(render = %render.key, "recording the render failed: {e}");
                }
            }
            Ok(None) => {
                let _ = tokio::time::timeout(IDLE_POLL, context.store.next_write()).await;
            }
            Err(e) => {
                tracing::warn!("taking a render failed: {e}");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
}

/// How a failed try ends: for review, or tried again later.
fn after_failure(render: &RenderRecord, permanent: bool, reason: String) -> RenderOutcome {
    if permanent || render.tries >= MAX_TRIES {
        return RenderOutcome::Failed { error: reason };
    }
    let wait = FIRST_RETRY * 2u32.saturating_pow(u32::try_from(render.tries - 1).unwrap_or(0));
    RenderOutcome::Retry {
        error: reason,
        retry_at: now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
    }
}

/// Where renders run, one fresh directory each.
pub fn work_root(data_dir: &Path) -> PathBuf {
    data_dir.join("renders").join("work")
}

/// Removes the work directories of renders a crash cut off; call before any
/// render starts. Returns how many were removed.
pub fn remove_leftover_work(data_dir: &Path) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(work_root(data_dir)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        std::fs::remove_dir_all(entry?.path())?;
        removed += 1;
    }
    Ok(removed)
}

async fn process(context: &Context, render: &RenderRecord) -> RenderOutcome {
    let request = match request(context, render).await {
        Ok(request) => request,
        Err(reason) => return RenderOutcome::Failed { error: reason },
    };
    let nonce = crate::store::new_id();
    let work = work_root(&context.data_dir).join(format!(
        "{}-{nonce}",
        &render.key[..16.min(render.key.len())]
    ));
    if let Err(e) = std::fs::create_dir_all(&work) {
        return after_failure(render, false, format!("creating {}: {e}", work.display()));
    }
    let started = std::time::Instant::now();
    let rendered = pipeline::render(&context.tools, &request, &work, &nonce).await;
    let outcome = match rendered {
        Ok(done) => keep(context, render, &done.gcode, &done.stl).await,
        Err(failure) => after_failure(render, failure.permanent, failure.reason),
    };
    if let Err(e) = std::fs::remove_dir_all(&work) {
        tracing::warn!("removing {}: {e}", work.display());
    }
    tracing::info!(render = %render.key, sku = %render.sku, took = ?started.elapsed(), outcome = ?outcome_word(&outcome), "render");
    outcome
}

fn outcome_word(outcome: &RenderOutcome) -> &'static str {
    match outcome {
        RenderOutcome::Done { .. } => "done",
        RenderOutcome::Failed { .. } => "failed",
        RenderOutcome::Retry { .. } => "retry",
    }
}

/// What the pipeline needs for `render`, from its product version.
async fn request(context: &Context, render: &RenderRecord) -> Result<UnitRequest, String> {
    let record = context
        .store
        .product_version(&render.sku, render.version)
        .await
        .map_err(|e| format!("product {} version {}: {e}", render.sku, render.version))?;
    let template = Template::from_record(&record)?
        .ok_or_else(|| format!("product {} is not a template", render.sku))?;
    let given: Map<String, Value> = render.values.as_object().cloned().unwrap_or_default();
    let values = template
        .spec
        .unit_values(&given, None)
        .map_err(|e| format!("stored values: {e}"))?;
    let profile = template
        .profiles
        .iter()
        .find(|p| p.name == render.profile)
        .ok_or_else(|| format!("product {} has no profile {}", render.sku, render.profile))?;
    let beds = context.beds_for(profile.tag.as_deref(), &template.spec.tags, false);
    let timeout = template
        .spec
        .render_timeout_s
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
    Ok(UnitRequest {
        bundle: template.bundle_dir.clone(),
        parameters: template.parameter_kinds(&values),
        values,
        profile: profile.path(&template.bundle_dir),
        beds,
        timeout,
    })
}

/// Records the G-code as a farm file and keeps the STL.
async fn keep(context: &Context, render: &RenderRecord, gcode: &Path, stl: &Path) -> RenderOutcome {
    let stl_dir = context.data_dir.join("renders").join("parts");
    let stl_target = stl_dir.join(format!("{}.stl", render.key));
    let kept = std::fs::create_dir_all(&stl_dir).and_then(|()| std::fs::rename(stl, &stl_target));
    if let Err(e) = kept {
        return after_failure(render, false, format!("keeping the part: {e}"));
    }
    let bytes = match std::fs::read(gcode) {
        Ok(bytes) => bytes,
        Err(e) => return after_failure(render, false, format!("reading the G-code: {e}")),
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let name = format!(
        "{}-{}.gcode",
        render.sku,
        &render.key[..12.min(render.key.len())]
    );
    let incoming = Incoming {
        path: gcode,
        sha256: &sha256,
        size_bytes: bytes.len() as u64,
        original_name: &name,
        owner_key_id: None,
    };
    let recorded =
        files::record(&context.store, &context.config, &context.data_dir, incoming).await;
    match recorded {
        Ok((file, _)) => RenderOutcome::Done {
            file_id: file.id,
            stl_path: stl_target.display().to_string(),
        },
        Err(Refused::Unprintable(reason)) => RenderOutcome::Failed {
            error: format!("the sliced G-code cannot be printed: {reason}"),
        },
        Err(e) => after_failure(render, false, format!("recording the G-code: {e}")),
    }
}
