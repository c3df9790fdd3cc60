//! `printers.toml`: the farm settings and one profile per printer.
//!
//! The file is read into raw serde structs ([`raw`]), then validated into
//! [`Config`]. Syntax errors carry line and column from the TOML parser;
//! validation errors name the printer (with the line of its `name`) and the
//! field, e.g. `printers.toml:12: printer "mk3s-1": build_volume: must be
//! three positive numbers`.

mod gcode_profile;
mod profile;
mod raw;
mod validate;
pub(crate) use validate::node_name;

pub use profile::{
    Connection, FarmSettings, FarmTime, FlowMode, LoadedMaterial, MotionLimits, PrinterProfile,
    Scripts, SimSettings, DEFAULT_FORBIDDEN_COMMANDS,
};

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Why `printers.toml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The text is not valid TOML or has unknown / mistyped keys.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// File name used in messages.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A printer's field has a bad value.
    #[error("{file}{}: printer \"{printer}\": {field}: {message}", line_suffix(*line))]
    InvalidPrinter {
        /// File name used in messages.
        file: String,
        /// Line of the printer's `name`, when known.
        line: Option<usize>,
        /// The printer's name.
        printer: String,
        /// The offending field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A `[farm]` field has a bad value.
    #[error("{file}: [farm] {field}: {message}")]
    InvalidFarm {
        /// File name used in messages.
        file: String,
        /// The offending field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

/// The validated contents of `printers.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Farm-wide settings.
    pub farm: FarmSettings,
    /// Printers in file order; names are unique.
    pub printers: Vec<PrinterProfile>,
}

impl Config {
    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        Config::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses and validates TOML text; `source_name` appears in error messages.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Config, ConfigError> {
        let raw: raw::RawConfig =
            toml::from_str(text).map_err(|e| syntax_error(&e, text, source_name))?;
        let farm = validate::farm(raw.farm, source_name)?;
        let mut seen = HashSet::new();
        let mut printers = Vec::with_capacity(raw.printers.len());
        for raw_printer in raw.printers {
            let name = raw_printer.name.get_ref().clone();
            let site = validate::Site {
                file: source_name,
                printer: &name,
                line: Some(line_col(text, raw_printer.name.span().start).0),
            };
            if name.trim().is_empty() {
                return Err(site.err("name", "must not be empty"));
            }
            if !seen.insert(name.clone()) {
                return Err(site.err("name", "is used by another printer"));
            }
            printers.push(validate::printer(raw_printer, &site)?);
        }
        Ok(Config { farm, printers })
    }

    /// The printer with this name, if configured.
    pub fn printer(&self, name: &str) -> Option<&PrinterProfile> {
        self.printers.iter().find(|p| p.name == name)
    }

    /// True when this host drives `printer`: always on a single host; on a
    /// node, the printers named for it and those named for no node.
    pub fn drives(&self, printer: &PrinterProfile) -> bool {
        match (&self.farm.node, &printer.node) {
            (Some(me), Some(node)) => me == node,
            _ => true,
        }
    }

    /// The printers this host drives, in file order.
    pub fn local_printers(&self) -> Vec<PrinterProfile> {
        self.printers
            .iter()
            .filter(|p| self.drives(p))
            .cloned()
            .collect()
    }
}

fn syntax_error(error: &toml::de::Error, text: &str, file: &str) -> ConfigError {
    let (line, column) = error
        .span()
        .map(|span| line_col(text, span.start))
        .unwrap_or((1, 1));
    ConfigError::Syntax {
        file: file.to_owned(),
        line,
        column,
        message: error.message().to_owned(),
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
