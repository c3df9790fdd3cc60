//! `GET /api/openapi.json` (the document, see [`super::openapi`]) and
//! `GET /api/docs`, a Swagger UI page over it. The Swagger UI assets are
//! vendored from the npm package `swagger-ui-dist` (Apache-2.0, see
//! `assets/swagger-ui/`) and compiled in: the page loads nothing from the
//! network. Neither needs an API key; "Authorize" in the page takes one for
//! trying operations out.

use super::AppState;
use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// Where the page and its assets are served.
pub const DOCS_PATH: &str = "/api/docs";
/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";

const BUNDLE_JS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");
const LICENSE: &[u8] = include_bytes!("../../assets/swagger-ui/LICENSE");

/// The page: Swagger UI's base layout over `/api/openapi.json`. The
/// validator badge is off (`validatorUrl: null`): it would call
/// validator.swagger.io.
const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>printfarm API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false
});
</script>
</body>
</html>
"##;

fn asset(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}

/// The routes of the document and the page; `document` is the JSON served.
pub fn router(document: Bytes) -> Router<AppState> {
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || async move { ([(CONTENT_TYPE, "application/json")], document) }),
        )
        .route(
            "/api/docs",
            get(|| async { ([(CONTENT_TYPE, "text/html; charset=utf-8")], PAGE) }),
        )
        .route(
            "/api/docs/swagger-ui-bundle.js",
            get(|| async { asset("text/javascript; charset=utf-8", BUNDLE_JS) }),
        )
        .route(
            "/api/docs/swagger-ui.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/api/docs/LICENSE",
            get(|| async { asset("text/plain; charset=utf-8", LICENSE) }),
        )
}
