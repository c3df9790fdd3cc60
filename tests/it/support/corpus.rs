//! Reads a corpus `MANIFEST.tsv`: one row per G-code file with the slicer's
//! own figures. Shared by the corpus tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One manifest row.
pub struct Entry {
    pub path: PathBuf,
    pub rel: String,
    pub slicer: String,
    pub fields: HashMap<String, String>,
}

impl Entry {
    pub fn number(&self, key: &str) -> Option<f64> {
        self.fields.get(key).and_then(|v| v.parse().ok())
    }
    pub fn int(&self, key: &str) -> u32 {
        self.number(key).map_or(0, |v| v as u32)
    }
}

/// The copied samples (always present).
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("gcode-samples")
}

/// The full shared corpus, when this checkout has it beside it.
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/gcode-corpus");
    dir.join("MANIFEST.tsv").exists().then_some(dir)
}

pub fn read_manifest(dir: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("manifest");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let fields: HashMap<String, String> = header
                .iter()
                .zip(l.split('\t'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let rel = fields["path"].clone();
            Entry {
                path: dir.join(&rel),
                slicer: fields["slicer"].clone(),
                rel,
                fields,
            }
        })
        .collect()
}
