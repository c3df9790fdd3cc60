//! An OctoPrint- and Moonraker-compatible face on the farm, so a slicer's
//! "Send to printer" (PrusaSlicer, OrcaSlicer, Cura) and OctoPrint clients
//! (`octorest`, `octoprint-cli`) talk to the farm as to one printer.
//!
//! Served twice: at the root, for the whole farm (clients such as
//! `octorest` drop any path from their base URL), and under
//! `/target/{target}/` for the printers a [`Target`] names. An upload with
//! `print` becomes a job in the farm's queue, routed like any other; the
//! status endpoints describe the target as one printer (see [`look`]).
//!
//! `/api/files` already belongs to printfarm's own uploads: `POST` and
//! `GET /api/files/{id}` stay printfarm's; `GET /api/files` (no handler of
//! printfarm's) lists the caller's files in OctoPrint's shape, and
//! `/api/files/local` is a literal segment the router prefers over `{id}`.

mod files;
mod form;
mod job;
pub mod look;
mod moonraker;
mod status;
mod target;

pub use target::Target;

use super::auth::Caller;
use super::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::header::HOST;
use axum::http::HeaderMap;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The face's routes, at the root and under `/target/{target}`.
pub fn router() -> Router<AppState> {
    let face = face();
    Router::new()
        .merge(face.clone())
        .nest("/target/{target}", face)
}

/// An upload route: the body limit is the upload limit, checked while
/// streaming.
fn upload_route(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.layer(DefaultBodyLimit::disable())
}

fn face() -> Router<AppState> {
    Router::new()
        .route("/api/version", get(status::version))
        .route("/api/files", get(files::list))
        .route(
            "/api/files/local",
            upload_route(post(files::upload)).get(files::list),
        )
        .route("/api/files/local/{*path}", post(files::command))
        .route("/api/job", get(job::get).post(job::command))
        .route("/api/printer", get(status::printer))
        .route("/api/connection", get(status::connection))
        .route("/api/settings", get(status::settings))
        .route("/api/login", post(status::login))
        .route("/api/printerprofiles", get(status::profiles))
        .route("/server/info", get(moonraker::info))
        .route("/server/files/roots", get(moonraker::roots))
        .route(
            "/server/files/upload",
            upload_route(post(moonraker::upload)),
        )
        .route("/printer/print/start", post(moonraker::start))
}

/// The file each caller last selected on each target, as OctoPrint keeps
/// one selected file per printer; a `start` prints it.
#[derive(Debug, Default)]
pub struct Selections {
    chosen: Mutex<HashMap<(String, String), String>>,
}

impl Selections {
    /// Selects file `file_id` for `caller` on `target`.
    pub fn select(&self, caller: &Caller, target: &Target, file_id: &str) {
        let mut chosen = self.chosen.lock().unwrap_or_else(PoisonError::into_inner);
        chosen.insert(
            (caller.key_id.clone(), target.name.clone()),
            file_id.to_owned(),
        );
    }

    /// The file `caller` selected on `target`, if any.
    pub fn selected(&self, caller: &Caller, target: &Target) -> Option<String> {
        let chosen = self.chosen.lock().unwrap_or_else(PoisonError::into_inner);
        chosen
            .get(&(caller.key_id.clone(), target.name.clone()))
            .cloned()
    }
}

/// Absolute URLs in answers, from the request's `Host` and the target.
#[derive(Debug, Clone)]
struct Links {
    base: String,
}

impl Links {
    fn new(headers: &HeaderMap, target: &Target) -> Links {
        let host = headers
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
            })
            .unwrap_or("localhost");
        Links {
            base: format!("http://{host}{}", target.prefix()),
        }
    }

    /// The file's OctoPrint resource.
    fn file(&self, path: &str) -> String {
        format!("{}/api/files/local/{}", self.base, escape_path(path))
    }

    /// The file's OctoPrint download address.
    fn download(&self, path: &str) -> String {
        format!("{}/downloads/files/local/{}", self.base, escape_path(path))
    }
}

/// Percent-encodes `path` for a URL, keeping `/` and unreserved characters.
fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_path;

    #[test]
    fn escapes_all_but_unreserved_and_slash() {
        assert_eq!(escape_path("sub/a b#.gcode"), "sub/a%20b%23.gcode");
        assert_eq!(escape_path("é.g"), "%C3%A9.g");
    }
}
