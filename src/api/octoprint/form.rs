//! A slicer's multipart upload: the part named `file` streamed to disk by
//! [`upload::write_field`], the text parts (`path`, `select`, `print`,
//! `root`) before or after it, every other part ignored; and the checks on
//! the library path the client asked for.

use super::super::auth::{Caller, SUBMIT_ROLES};
use super::super::error::ApiError;
use super::super::files::refuse_oversized;
use super::super::upload::{self, multipart_error, Received, FILE_FIELD};
use super::super::AppState;
use axum::extract::multipart::Field;
use axum::extract::Multipart;
use axum::http::HeaderMap;
use std::collections::HashMap;

/// Longest text part read, in bytes.
const TEXT_LIMIT: usize = 4096;
/// Longest library path, in characters.
const PATH_LIMIT: usize = 255;
/// File name endings taken as G-code (lower case).
const GCODE_ENDINGS: [&str; 3] = [".gcode", ".gco", ".g"];
/// The text parts read; others are skipped.
const TEXT_FIELDS: [&str; 4] = ["path", "select", "print", "root"];

/// A slicer's upload, received.
#[derive(Debug)]
pub struct SlicerForm {
    /// The G-code, in a temporary file.
    pub received: Received,
    /// The text parts by name.
    texts: HashMap<String, String>,
}

impl SlicerForm {
    /// The text part `name`, empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.texts.get(name).map_or("", |v| v.trim())
    }

    /// The text part `name` read as an OctoPrint boolean (`true`, `yes`,
    /// `y`, `1`, any case); false when absent.
    pub fn flag(&self, name: &str) -> bool {
        octo_bool(self.text(name))
    }
}

/// An OctoPrint boolean.
pub fn octo_bool(value: &str) -> bool {
    ["true", "yes", "y", "1"]
        .iter()
        .any(|word| value.trim().eq_ignore_ascii_case(word))
}

/// Checks the caller may upload and the declared size, then reads the form
/// (the G-code into the data directory's `uploads/`).
pub async fn read(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<SlicerForm, ApiError> {
    caller.require(SUBMIT_ROLES)?;
    let limit_mb = state.config.farm.max_upload_mb;
    refuse_oversized(headers, limit_mb)?;
    let dir = state.data_dir.join("uploads");
    let mut received = None;
    let mut texts = HashMap::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit_mb))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == FILE_FIELD && received.is_none() {
            received = Some(upload::write_field(field, &dir, limit_mb).await?);
        } else if TEXT_FIELDS.contains(&name.as_str()) {
            let value = small_text(field, &name, limit_mb).await?;
            texts.insert(name, value);
        }
    }
    let received = received.ok_or_else(|| {
        ApiError::unprocessable(
            FILE_FIELD,
            "the multipart part `file` with the G-code is missing",
        )
    })?;
    Ok(SlicerForm { received, texts })
}

/// A text part of at most [`TEXT_LIMIT`] bytes, as UTF-8.
async fn small_text(mut field: Field<'_>, name: &str, limit_mb: u64) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| multipart_error(e, limit_mb))?
    {
        if bytes.len() + chunk.len() > TEXT_LIMIT {
            return Err(ApiError::bad_request(
                name,
                format!("longer than {TEXT_LIMIT} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| ApiError::bad_request(name, "not UTF-8"))
}

/// The library path of `file_name` in folder `dir`: both split on `/` and
/// `\`, empty parts dropped; `.`, `..` and control characters refused,
/// naming `field`.
pub fn library_path(dir: &str, file_name: &str, field: &str) -> Result<String, ApiError> {
    let mut parts = Vec::new();
    for part in dir.split(['/', '\\']).chain(file_name.split(['/', '\\'])) {
        if part == "." || part == ".." {
            return Err(ApiError::bad_request(
                field,
                format!("{part:?} is not allowed in a path"),
            ));
        }
        if part.chars().any(char::is_control) {
            return Err(ApiError::bad_request(field, "control characters in a path"));
        }
        if !part.is_empty() {
            parts.push(part);
        }
    }
    let path = parts.join("/");
    if path.is_empty() || file_name.ends_with(['/', '\\']) || path.chars().count() > PATH_LIMIT {
        return Err(ApiError::bad_request(
            field,
            format!("no usable file name in {path:?}"),
        ));
    }
    Ok(path)
}

/// `Ok` when the path names a G-code file; else a 422 naming the file.
pub fn ensure_gcode(path: &str) -> Result<(), ApiError> {
    let lower = path.to_ascii_lowercase();
    if GCODE_ENDINGS.iter().any(|ending| lower.ends_with(ending)) {
        return Ok(());
    }
    Err(ApiError::unprocessable(
        FILE_FIELD,
        format!("{path:?} is not G-code: the farm takes .gcode, .gco or .g files"),
    ))
}

#[cfg(test)]
mod tests {
    use super::{ensure_gcode, library_path, octo_bool};

    #[test]
    fn octoprint_booleans() {
        for yes in ["true", "TRUE", "Yes", "y", "1", " true "] {
            assert!(octo_bool(yes), "{yes}");
        }
        for no in ["", "false", "0", "no", "on", "truthy"] {
            assert!(!octo_bool(no), "{no}");
        }
    }

    #[test]
    fn library_paths_are_relative_and_plain() {
        let good = [
            ("", "a.gcode", "a.gcode"),
            ("/", "a.gcode", "a.gcode"),
            ("sub", "a.gcode", "sub/a.gcode"),
            ("/sub/deeper/", "a.gcode", "sub/deeper/a.gcode"),
            ("", "sub\\a.gcode", "sub/a.gcode"),
        ];
        for (dir, name, expected) in good {
            assert_eq!(
                library_path(dir, name, "path").ok().as_deref(),
                Some(expected)
            );
        }
        let bad = [
            ("..", "a.gcode"),
            ("sub/../..", "a.gcode"),
            ("", "../a.gcode"),
            ("", "..\\..\\a.gcode"),
            ("", "./a.gcode"),
            ("", ""),
            ("sub", "/"),
            ("", "a\u{0}.gcode"),
        ];
        for (dir, name) in bad {
            assert!(library_path(dir, name, "path").is_err(), "{dir:?} {name:?}");
        }
    }

    #[test]
    fn only_gcode_endings() {
        for name in ["a.gcode", "A.GCODE", "b.gco", "c.g"] {
            assert!(ensure_gcode(name).is_ok(), "{name}");
        }
        for name in ["a.stl", "a.3mf", "a.gcode.zip", "gcode", "a.bgcode"] {
            assert!(ensure_gcode(name).is_err(), "{name}");
        }
    }
}
