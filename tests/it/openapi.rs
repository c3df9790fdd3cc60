//! The OpenAPI description (`GET /api/openapi.json`) and its page
//! (`GET /api/docs`): the document is OpenAPI 3.1 with security schemes and
//! error responses; every operation it describes is served, and every route
//! registered in `src/` is described, or deliberately left out (the
//! OctoPrint/Moonraker face for slicers, the docs page itself).

use crate::api_support::{self, TestApi};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Routes registered in `src/` that are not printfarm's own API, with why.
/// Anything else a `.route(…)` registers must be in the document.
const NOT_DESCRIBED: &[(&str, &str, &str)] = &[
    ("GET", "/api/openapi.json", "the document itself"),
    ("GET", "/api/docs", "the Swagger UI page over the document"),
    (
        "GET",
        "/api/docs/swagger-ui-bundle.js",
        "an asset of the page",
    ),
    ("GET", "/api/docs/swagger-ui.css", "an asset of the page"),
    ("GET", "/api/docs/LICENSE", "the assets' licence"),
    ("GET", "/", "a dashboard page (HTML over the JSON API)"),
    ("GET", "/tasks", "a dashboard page (HTML over the JSON API)"),
    ("GET", "/queue", "a dashboard page (HTML over the JSON API)"),
    (
        "GET",
        "/orders",
        "a dashboard page (HTML over the JSON API)",
    ),
    (
        "GET",
        "/upload",
        "a dashboard page (HTML over the JSON API)",
    ),
    (
        "GET",
        "/throughput",
        "a dashboard page (HTML over the JSON API)",
    ),
    (
        "POST",
        "/session",
        "the dashboard's sign-in form (a key for a cookie)",
    ),
    ("POST", "/session/end", "the dashboard's sign-out"),
    ("GET", "/assets/app.js", "an asset of the dashboard"),
    ("GET", "/assets/app.css", "an asset of the dashboard"),
];

/// Files whose routes are the OctoPrint/Moonraker compatibility face: not
/// printfarm's own API, so not in the document (they must still answer).
const OCTOPRINT_FACE: &str = "src/api/octoprint/";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn document(api: &TestApi) -> Value {
    let response = api
        .client
        .get(format!("{}/api/openapi.json", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "no key needed");
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    response.json().await.unwrap()
}

/// Every (METHOD, path) the document describes, with its operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                out.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    out
}

fn error_ref(response: &Value) -> Option<&str> {
    response["content"]["application/json"]["schema"]["$ref"].as_str()
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_document_is_3_1_with_security_and_error_responses() {
    let api = api_support::start().await;
    let doc = document(&api).await;
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1"), "{version}");
    assert_eq!(doc["info"]["title"], "printfarm");
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["api_key"]["type"], "apiKey");
    assert_eq!(schemes["api_key"]["name"], "X-Api-Key");
    assert_eq!(schemes["api_key"]["in"], "header");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["shopify_hmac"]["name"], "X-Shopify-Hmac-Sha256");
    assert_eq!(
        schemes["woocommerce_signature"]["name"],
        "X-WC-Webhook-Signature"
    );
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["error"]), "{error}");
    for field in ["error", "field", "reasons", "existing_id"] {
        assert!(error["properties"].get(field).is_some(), "{field}: {error}");
    }

    let error_schema = "#/components/schemas/ErrorBody";
    let ops = operations(&doc);
    assert!(ops.len() >= 35, "{} operations", ops.len());
    let ids: BTreeSet<&str> = ops
        .iter()
        .map(|(m, p, op)| {
            op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{m} {p}"))
        })
        .collect();
    assert_eq!(ids.len(), ops.len(), "operation ids repeat: {ids:?}");
    for (method, path, op) in &ops {
        let what = format!("{method} {path}");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{what}: no 2xx"
        );
        let mut errors = 0;
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(error_ref(response), Some(error_schema), "{what} {status}");
                errors += 1;
            }
        }
        assert!(responses.contains_key("500"), "{what}: no 500");
        assert!(errors >= 1, "{what}: no error response");
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{what}"
        );
        let security = op["security"].as_array();
        if path.starts_with("/api/") {
            let security = security.unwrap_or_else(|| panic!("{what}: no security"));
            let schemes: BTreeSet<&str> = security
                .iter()
                .flat_map(|r| r.as_object().unwrap().keys().map(String::as_str))
                .collect();
            assert_eq!(schemes, BTreeSet::from(["api_key", "bearer"]), "{what}");
            for requirement in security {
                for roles in requirement.as_object().unwrap().values() {
                    let roles = roles.as_array().unwrap();
                    assert!(!roles.is_empty(), "{what}: no roles");
                    for role in roles {
                        let role = role.as_str().unwrap();
                        assert!(["operator", "technician", "shop"].contains(&role), "{what}");
                    }
                }
            }
            assert!(responses.contains_key("401"), "{what}: no 401");
        } else if path.starts_with("/webhooks/") {
            let security = security.unwrap_or_else(|| panic!("{what}: no signature"));
            assert_eq!(security.len(), 1, "{what}");
            assert!(responses.contains_key("401"), "{what}: no 401");
        } else {
            assert_eq!(
                path, "/metrics",
                "{what} is neither /api, /webhooks nor /metrics"
            );
            assert!(security.is_none(), "/metrics is open");
        }
    }
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    for target in targets {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {target}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "$ref {target} does not resolve"
        );
    }
    api.stop().await;
}

/// `path` with every `{param}` (and `{*rest}`) replaced by a placeholder.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').unwrap() + open;
        out.push_str("openapi-probe");
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Calls `method path` as the operator and fails unless the router has the
/// route: not 405, and no 404 from the fallback (`no such endpoint`). A
/// handler's own 404 for a missing resource is fine.
async fn assert_served(api: &TestApi, method: &str, path: &str, why: &str) {
    let url = format!("{}{}", api.base, concrete(path));
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = api
        .client
        .request(method.clone(), &url)
        .header("X-Api-Key", api.key("operator"));
    if method == Method::POST || method == Method::PATCH || method == Method::PUT {
        request = request
            .header("content-type", "application/json")
            .body("{}");
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let what = format!("{method} {path} ({why})");
    assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{what}: 405");
    assert_ne!(
        status,
        StatusCode::UNAUTHORIZED,
        "{what}: the key was refused"
    );
    if status == StatusCode::NOT_FOUND {
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let error = body["error"].as_str().unwrap_or_default();
        assert!(
            !error.starts_with("no such endpoint"),
            "{what}: the router has no such route ({body})"
        );
        assert!(
            body["field"].is_string(),
            "{what}: 404 without a field: {body}"
        );
    }
    // Not reading other bodies: `/api/events` streams forever.
}

#[tokio::test]
async fn openapi_every_described_operation_is_served() {
    let api = api_support::start().await;
    let doc = document(&api).await;
    for (method, path, _) in operations(&doc) {
        assert_served(&api, &method, &path, "in the document").await;
    }
    api.stop().await;
}

/// A route registration found in the source.
#[derive(Debug)]
struct Registered {
    /// `src/…:line`.
    at: String,
    /// Upper-case method, or `*` for a service.
    method: String,
    /// The path literal as written (relative to any `nest`).
    path: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text of the call whose `(` is at `open`, up to its matching `)`.
fn call_text(text: &str, open: usize) -> &str {
    let bytes = text.as_bytes();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..=i];
                }
            }
            _ => {}
        }
    }
    &text[open..]
}

/// The methods a `MethodRouter` expression names (`get(…)`, `.post(…)`, …).
fn methods_in(call: &str) -> Vec<String> {
    let mut found = BTreeSet::new();
    for method in METHODS {
        let needle = format!("{method}(");
        for (at, _) in call.match_indices(&needle) {
            let before = call[..at].chars().next_back();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                found.insert(method.to_uppercase());
            }
        }
    }
    found.into_iter().collect()
}

/// Every `.route(…)`, `.route_service(…)` and `.nest_service(…)` in `src/`.
/// (Routes of the own API are added with `routes!(handler)`, which takes
/// them from the handler's `#[utoipa::path]`, so they never appear here.)
fn registered_routes() -> Vec<Registered> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(root).unwrap().display().to_string();
        for call in [".route(", ".route_service(", ".nest_service("] {
            for (at, _) in text.match_indices(call) {
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                if text[line_start..at].trim_start().starts_with("//") {
                    continue;
                }
                let line = text[..at].matches('\n').count() + 1;
                let open = at + call.len() - 1;
                let args = call_text(&text, open);
                let path = args[1..]
                    .trim_start()
                    .strip_prefix('"')
                    .and_then(|rest| rest.split_once('"'))
                    .map_or_else(|| "<not a literal>".to_owned(), |(p, _)| p.to_owned());
                let methods = if call == ".route(" {
                    methods_in(args)
                } else {
                    vec!["*".to_owned()]
                };
                for method in methods {
                    out.push(Registered {
                        at: format!("{name}:{line}"),
                        method,
                        path: path.clone(),
                    });
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn openapi_every_registered_route_is_described_or_deliberately_not() {
    let api = api_support::start().await;
    let doc = document(&api).await;
    let described: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let registered = registered_routes();
    let face: Vec<&Registered> = registered
        .iter()
        .filter(|r| r.at.starts_with(OCTOPRINT_FACE))
        .collect();
    assert!(
        face.len() >= 10,
        "the OctoPrint face's routes were not found"
    );

    let mut undescribed = Vec::new();
    for route in &registered {
        let key = (route.method.as_str(), route.path.as_str());
        if route.at.starts_with(OCTOPRINT_FACE) {
            let clash = described.contains(&(route.method.clone(), route.path.clone()));
            assert!(
                !clash,
                "{route:?}: the OctoPrint face is not in the document"
            );
            assert_served(&api, &route.method, &route.path, "OctoPrint face").await;
            continue;
        }
        if let Some((_, _, why)) = NOT_DESCRIBED.iter().find(|(m, p, _)| (*m, *p) == key) {
            assert_served(&api, &route.method, &route.path, why).await;
            continue;
        }
        // A route of the own API added without `routes!`: it must still be
        // described (the path as written may be relative to a `nest`).
        let in_document = described
            .iter()
            .any(|(m, p)| *m == route.method && p.ends_with(&route.path));
        if !in_document {
            undescribed.push(format!(
                "  {} {} registered at {}",
                route.method, route.path, route.at
            ));
        }
    }
    assert!(
        undescribed.is_empty(),
        "routes served but not in the OpenAPI document (/api/openapi.json):\n{}\n\
         Annotate each handler with #[utoipa::path(…)] and register it with \
         `.routes(routes!(handler))` in `api::own_api`, or, if it is not part of \
         printfarm's own API, list it in NOT_DESCRIBED in tests/it/openapi.rs with why.",
        undescribed.join("\n")
    );
    for (method, path, why) in NOT_DESCRIBED {
        assert!(
            registered
                .iter()
                .any(|r| r.method == *method && r.path == *path),
            "NOT_DESCRIBED lists {method} {path} ({why}), which is no longer registered"
        );
        let key = (method.to_string(), path.to_string());
        assert!(
            !described.contains(&key),
            "{method} {path} is described after all"
        );
    }
    api.stop().await;
}

#[test]
fn openapi_route_scan_reads_methods_and_paths() {
    let source = r#"Router::new()
        .route("/a/{id}", get(h::get).post(h::post))
        .route(
            "/b",
            upload_route(post(x::upload)).get(x::list),
        )
        .route("/c", get(|| async { asset("text/css", CSS) }))"#;
    let mut found = Vec::new();
    for (at, _) in source.match_indices(".route(") {
        let args = call_text(source, at + ".route(".len() - 1);
        found.push((methods_in(args), args.lines().count()));
    }
    assert_eq!(found[0].0, ["GET", "POST"]);
    assert_eq!(found[1].0, ["GET", "POST"]);
    assert_eq!(found[2].0, ["GET"]);
}

#[tokio::test]
async fn openapi_docs_page_loads_only_local_assets() {
    let api = api_support::start().await;
    let response = api
        .client
        .get(format!("{}/api/docs", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "no key needed");
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    assert!(html.contains("/api/openapi.json"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            assets.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    assert!(assets.len() >= 2, "{assets:?}");
    let mut kinds = BTreeSet::new();
    for asset in &assets {
        assert!(
            asset.starts_with("/api/docs/") && !asset.starts_with("//"),
            "{asset} is not local"
        );
        let response = api
            .client
            .get(format!("{}{asset}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        let kind = if asset.ends_with(".js") {
            "text/javascript"
        } else if asset.ends_with(".css") {
            "text/css"
        } else {
            panic!("unexpected asset {asset}")
        };
        assert!(content_type.starts_with(kind), "{asset}: {content_type}");
        let body = response.bytes().await.unwrap();
        assert!(body.len() > 10_000, "{asset}: {} bytes", body.len());
        kinds.insert(kind);
    }
    assert_eq!(kinds.len(), 2, "a script and a stylesheet");
    api.stop().await;
}
