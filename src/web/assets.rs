//! The dashboard's script and style sheet, compiled into the binary (no
//! CDN, no build step).

use axum::http::header;
use axum::response::IntoResponse;

/// The dashboard's script: SSE, rendering of live data, actions.
pub const SCRIPT: &str = include_str!("assets/app.js");
/// The dashboard's style sheet.
pub const STYLE: &str = include_str!("assets/app.css");

/// `GET /assets/app.js`.
pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
}

/// `GET /assets/app.css`.
pub async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        STYLE,
    )
}
