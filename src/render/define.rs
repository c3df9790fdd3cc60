//! Defining a product version: the spec checked, a template's bundle
//! written and rendered once with its defaults for every slicer profile,
//! so a broken template or profile is refused when it is created, not at
//! the first order. Used by `POST /api/products` and the products
//! directory loaded at start.

use super::bundle::{self, Parts};
use super::font::Charset;
use super::pipeline::{self, UnitRequest};
use super::spec::ProductSpec;
use super::tools;
use super::worker::{self, Context};
use crate::store::{NewProduct, ProductKind, ProductRecord, StoreError};
use serde_json::Value;
use std::time::Duration;

/// Longest SKU.
const MAX_SKU: usize = 64;
/// Time each tool may take for the validation render.
const VALIDATION_TIMEOUT: Duration = Duration::from_secs(120);

/// What a product is made from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A fixed G-code file already uploaded.
    File {
        /// The file.
        file_id: String,
    },
    /// A template with its assets and profiles.
    Template(Parts),
}

/// A product version to define.
#[derive(Debug, Clone)]
pub struct Definition {
    /// Stock-keeping unit.
    pub sku: String,
    /// The spec, as given.
    pub spec: Value,
    /// What it prints.
    pub source: Source,
    /// Who defines it.
    pub owner_key_id: Option<String>,
}

/// Why a product was not defined.
#[derive(Debug, thiserror::Error)]
pub enum DefineError {
    /// A field is wrong (`field`: the part at fault).
    #[error("{field}: {reason}")]
    Invalid {
        /// `sku`, `spec.…`, `template`, `profile`, `file`.
        field: String,
        /// Why.
        reason: String,
    },
    /// The validation render failed; the tool's own words.
    #[error("rendering the template with its defaults (profile {profile}) failed: {reason}")]
    Render {
        /// The profile being tried.
        profile: String,
        /// What failed.
        reason: String,
    },
    /// OpenSCAD or PrusaSlicer is missing.
    #[error("{0}")]
    ToolsMissing(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the bundle failed.
    #[error("writing the product's files: {0}")]
    Io(#[from] std::io::Error),
}

fn invalid(field: &str, reason: impl Into<String>) -> DefineError {
    DefineError::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// True for a SKU: 1 to 64 letters, digits, `._-`.
pub fn is_sku(sku: &str) -> bool {
    !sku.is_empty()
        && sku.len() <= MAX_SKU
        && sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// How a definition went: the version, and whether it is new (defining the
/// same thing twice keeps the current version).
#[derive(Debug, Clone)]
pub struct Defined {
    /// The product version now current.
    pub product: ProductRecord,
    /// False when the current version already was this.
    pub created: bool,
}

/// Checks and records a product version. `validate` renders a new
/// template version once per profile (and needs the tools); without it a
/// template is only checked and stored. Defining what is already the
/// current version changes nothing (and renders nothing).
pub async fn define(
    context: &Context,
    definition: Definition,
    validate: bool,
) -> Result<Defined, DefineError> {
    if !is_sku(&definition.sku) {
        return Err(invalid(
            "sku",
            "must be 1 to 64 letters, digits, '.', '_' or '-'",
        ));
    }
    let spec: ProductSpec = serde_json::from_value(definition.spec.clone())
        .map_err(|e| invalid("spec", e.to_string()))?;
    spec.check()
        .map_err(|r| invalid(&format!("spec.parameters.{}", r.name), r.reason))?;
    let (kind, profiles, charset) = match &definition.source {
        Source::File { file_id } => {
            context.store.get_file(file_id).await.map_err(|e| match e {
                StoreError::NotFound { .. } => invalid("file", format!("no file {file_id}")),
                other => DefineError::Store(other),
            })?;
            let kind = ProductKind::File {
                file_id: file_id.clone(),
            };
            (kind, Value::Array(Vec::new()), None)
        }
        Source::Template(parts) => template(context, &spec, parts, validate).await?,
    };
    let new = NewProduct {
        sku: definition.sku.clone(),
        spec: definition.spec,
        kind,
        profiles,
        charset,
        owner_key_id: definition.owner_key_id,
    };
    if let Some(current) = current(context, &new.sku).await? {
        if current.spec == new.spec && current.kind == new.kind && current.retired_at.is_none() {
            return Ok(Defined {
                product: current,
                created: false,
            });
        }
    }
    if let (ProductKind::Template { bundle_dir, .. }, true) = (&new.kind, validate) {
        let written: Vec<bundle::Profile> =
            serde_json::from_value(new.profiles.clone()).unwrap_or_default();
        for profile in &written {
            validation_render(context, &spec, std::path::Path::new(bundle_dir), profile).await?;
        }
    }
    let product = context.store.create_product_version(&new).await?;
    Ok(Defined {
        product,
        created: true,
    })
}

async fn current(context: &Context, sku: &str) -> Result<Option<ProductRecord>, StoreError> {
    match context.store.latest_product(sku).await {
        Ok(product) => Ok(Some(product)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn template(
    context: &Context,
    spec: &ProductSpec,
    parts: &Parts,
    validate: bool,
) -> Result<(ProductKind, Value, Option<Value>), DefineError> {
    check_parts(spec, parts)?;
    if validate {
        if let Some(why) = context.tools.unavailable() {
            return Err(DefineError::ToolsMissing(why));
        }
    }
    let charset = match &spec.font {
        Some(font) if context.tools.fontconfig => Some(glyphs(font).await?),
        Some(font) => {
            tracing::warn!("fontconfig (fc-match) is not installed: the glyphs of {font:?} are not checked at order time");
            None
        }
        None => None,
    };
    let written = bundle::write(&context.data_dir.join("products").join("bundles"), parts)?;
    let kind = ProductKind::Template {
        bundle_dir: written.dir.display().to_string(),
        bundle_sha256: written.sha256,
    };
    let profiles = serde_json::to_value(&written.profiles).unwrap_or_default();
    Ok((
        kind,
        profiles,
        charset.map(|c| serde_json::to_value(c).unwrap_or_default()),
    ))
}

fn check_parts(spec: &ProductSpec, parts: &Parts) -> Result<(), DefineError> {
    if parts.template.is_empty() {
        return Err(invalid("template", "is empty"));
    }
    if std::str::from_utf8(&parts.template).is_err() {
        return Err(invalid("template", "is not UTF-8 text"));
    }
    if parts.profiles.is_empty() {
        return Err(invalid(
            "profile",
            "a template needs a PrusaSlicer profile (.ini)",
        ));
    }
    for (name, _) in &parts.assets {
        if !bundle::is_asset_name(name) {
            return Err(invalid(
                "asset",
                format!("{name:?} is not a plain file name"),
            ));
        }
    }
    for (tag, _) in &parts.profiles {
        if tag.as_deref().is_some_and(|t| !bundle::is_tag_name(t)) {
            return Err(invalid("profile", format!("{tag:?} is not a printer tag")));
        }
    }
    if let Some(p) = spec.parameters.iter().find(|p| p.default.is_none()) {
        let why = "needs a default: a new template is rendered once with its defaults";
        return Err(invalid(&format!("spec.parameters.{}", p.name), why));
    }
    Ok(())
}

async fn glyphs(font: &str) -> Result<Charset, DefineError> {
    let (file, text) = tools::font_charset(font)
        .await
        .map_err(|e| invalid("spec.font", e))?;
    Charset::parse(&text).ok_or_else(|| invalid("spec.font", format!("no glyphs read from {file}")))
}

async fn validation_render(
    context: &Context,
    spec: &ProductSpec,
    dir: &std::path::Path,
    profile: &bundle::Profile,
) -> Result<(), DefineError> {
    let values = spec
        .default_values()
        .map_err(|r| invalid(&format!("spec.parameters.{}", r.name), r.reason))?;
    let template = super::Template {
        sku: String::new(),
        version: 0,
        spec: spec.clone(),
        bundle_dir: dir.to_path_buf(),
        bundle_sha256: String::new(),
        profiles: Vec::new(),
        charset: None,
    };
    let request = UnitRequest {
        bundle: dir.to_path_buf(),
        parameters: template.parameter_kinds(&values),
        values,
        profile: profile.path(dir),
        beds: context.beds_for(profile.tag.as_deref(), &spec.tags, true),
        timeout: spec
            .render_timeout_s
            .map_or(VALIDATION_TIMEOUT, Duration::from_secs),
    };
    let nonce = crate::store::new_id();
    let work = worker::work_root(&context.data_dir).join(format!("validate-{nonce}"));
    std::fs::create_dir_all(&work)?;
    let rendered = pipeline::render(&context.tools, &request, &work, &nonce).await;
    let _ = std::fs::remove_dir_all(&work);
    rendered.map(|_| ()).map_err(|f| DefineError::Render {
        profile: profile.name.clone(),
        reason: f.reason,
    })
}
