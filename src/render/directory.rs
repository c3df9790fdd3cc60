//! Products kept as folders (`products/<sku>/`): `spec.json`,
//! `template.scad`, `profile.ini` (any printer) or `profile.<tag>.ini`
//! (printers with that tag), and any other `.scad`, `.dxf`, `.svg`, `.stl`
//! or font file the template includes. The farm loads them at start; a
//! folder that does not change makes no new version.

use super::bundle::Parts;
use super::define::{self, Definition, Source};
use super::worker::Context;
use serde_json::Value;
use std::path::Path;

/// Extensions of the files a template may include or use.
const ASSET_EXTENSIONS: &[&str] = &["scad", "dxf", "svg", "stl", "ttf", "otf", "png", "dat"];

/// One product folder, read.
#[derive(Debug, Clone)]
pub struct Folder {
    /// The folder's name: the SKU.
    pub sku: String,
    /// `spec.json`.
    pub spec: Value,
    /// The template, its assets and profiles.
    pub parts: Parts,
}

/// Reads one product folder.
pub fn read_folder(dir: &Path) -> Result<Folder, String> {
    let sku = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: the folder's name is not a SKU", dir.display()))?
        .to_owned();
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let spec: Value = serde_json::from_slice(&read("spec.json")?)
        .map_err(|e| format!("{}: {e}", dir.join("spec.json").display()))?;
    let mut parts = Parts {
        template: read(super::bundle::TEMPLATE)?,
        ..Parts::default()
    };
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "spec.json" || name == super::bundle::TEMPLATE || !entry.path().is_file() {
            continue;
        }
        let content = read(&name)?;
        if name == "profile.ini" {
            parts.profiles.push((None, content));
        } else if let Some(tag) = name
            .strip_prefix("profile.")
            .and_then(|n| n.strip_suffix(".ini"))
        {
            parts.profiles.push((Some(tag.to_owned()), content));
        } else if name
            .rsplit_once('.')
            .is_some_and(|(_, ext)| ASSET_EXTENSIONS.contains(&ext))
        {
            parts.assets.push((name, content));
        }
    }
    Ok(Folder { sku, spec, parts })
}

/// Loads every product folder under `dir`; each failure is logged with the
/// folder at fault and the others still load. Templates are rendered once
/// when they are new and the tools are there.
pub async fn load(context: &Context, dir: &Path) {
    let mut folders: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(e) => {
            tracing::warn!("products directory {}: {e}", dir.display());
            return;
        }
    };
    folders.sort();
    let validate = context.tools.unavailable().is_none();
    for folder in folders {
        let read = match read_folder(&folder) {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!("product not loaded: {e}");
                continue;
            }
        };
        let definition = Definition {
            sku: read.sku.clone(),
            spec: read.spec,
            source: Source::Template(read.parts),
            owner_key_id: None,
        };
        match define::define(context, definition, validate).await {
            Ok(done) if done.created => {
                tracing::info!(sku = %read.sku, version = done.product.version, "product loaded from {}", folder.display());
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(sku = %read.sku, "product in {} not loaded: {e}", folder.display())
            }
        }
    }
}
