//! The dashboard for technicians and operators, served at `/`: pages
//! rendered on the server ([`maud`]) with one small script that reads the
//! same JSON API as curl (signed in by a session cookie, see [`session`]),
//! follows `/api/events` and sends the actions.
//!
//! - [`pages`]: the layout, navigation and the queue, orders and upload pages;
//! - [`farm`]: the farm page (tiles, loads, the material form) and the tasks page;
//! - [`throughput`]: throughput, OEE and lost time, with [`charts`] in SVG;
//! - [`signin`]: `POST /session` and sign-out;
//! - [`assets`]: the script and style sheet, compiled into the binary.

pub mod assets;
pub mod charts;
pub mod farm;
pub mod pages;
pub mod session;
pub mod signin;
pub mod throughput;

use crate::api::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The dashboard's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(farm::farm))
        .route("/tasks", get(farm::tasks))
        .route("/queue", get(pages::queue))
        .route("/orders", get(pages::orders))
        .route("/upload", get(pages::upload))
        .route("/throughput", get(throughput::page))
        .route("/session", post(signin::sign_in))
        .route("/session/end", post(signin::sign_out))
        .route("/assets/app.js", get(assets::script))
        .route("/assets/app.css", get(assets::style))
}
