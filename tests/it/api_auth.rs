//! Keys and roles over real HTTP: 401 without or with an unknown key, 403
//! for the wrong role, and the permission table of every endpoint.

use crate::api_support::{square_gcode, start};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn missing_and_unknown_keys_are_401_and_both_headers_work() {
    let api = start().await;
    let url = format!("{}/api/jobs", api.base);
    let cases = [
        (None, StatusCode::UNAUTHORIZED),
        (
            Some(("X-Api-Key", "0".repeat(64))),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(("Authorization", "Bearer nope".to_owned())),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(("X-Api-Key", api.key("operator").to_owned())),
            StatusCode::OK,
        ),
        (
            Some(("Authorization", format!("Bearer {}", api.key("shop")))),
            StatusCode::OK,
        ),
    ];
    for (header, expected) in cases {
        let mut request = api.client.get(&url);
        if let Some((name, value)) = &header {
            request = request.header(*name, value);
        }
        let (status, body) = api.send(request).await;
        assert_eq!(status, expected, "{header:?}: {body}");
        if status == StatusCode::UNAUTHORIZED {
            assert!(
                body["error"].is_string() && body["field"].is_string(),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn each_role_may_call_exactly_its_endpoints() {
    let api = start().await;
    // The shop's own upload: every role may use it.
    let file = api.upload_by("shop", &square_gcode(60.0)).await;
    let (ok, forbidden, created) = (StatusCode::OK, StatusCode::FORBIDDEN, StatusCode::CREATED);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let order = format!(
        r#"{{"external_id":"e","customer_ref":"c","items":[{{"file_id":"{file}","quantity":1}}]}}"#
    );
    let job_body = format!(r#"{{"file_id":"{file}","quantity":1}}"#);
    // (method, path, body, operator, technician, shop)
    let file_path = format!("/api/files/{file}");
    let table: Vec<(Method, &str, String, [StatusCode; 3])> = vec![
        (Method::GET, "/api/jobs", String::new(), [ok, ok, ok]),
        (
            Method::POST,
            "/api/jobs",
            job_body.clone(),
            [created, created, created],
        ),
        (Method::GET, &file_path, String::new(), [ok, ok, ok]),
        (
            Method::POST,
            "/api/files",
            String::new(),
            [unprocessable, unprocessable, unprocessable],
        ),
        (
            Method::GET,
            "/api/orders",
            String::new(),
            [ok, forbidden, ok],
        ),
        (
            Method::POST,
            "/api/orders",
            order,
            [created, forbidden, created],
        ),
        (
            Method::GET,
            "/api/printers",
            String::new(),
            [ok, ok, forbidden],
        ),
        (
            Method::POST,
            "/api/printers/mk3s-1/pause",
            String::new(),
            // Allowed, but an unplugged printer has nothing to pause.
            [StatusCode::CONFLICT, StatusCode::CONFLICT, forbidden],
        ),
        (
            Method::GET,
            "/api/stats",
            String::new(),
            [ok, ok, forbidden],
        ),
        (
            Method::POST,
            "/api/jobs/none/hold",
            String::new(),
            [StatusCode::NOT_FOUND, StatusCode::NOT_FOUND, forbidden],
        ),
        (
            Method::POST,
            "/api/jobs/none/cancel",
            String::new(),
            [StatusCode::NOT_FOUND, StatusCode::NOT_FOUND, forbidden],
        ),
        (Method::GET, "/metrics", String::new(), [ok, ok, ok]),
    ];
    for (method, path, body, expected) in table {
        for (role, want) in ["operator", "technician", "shop"].into_iter().zip(expected) {
            let mut request = api
                .client
                .request(method.clone(), format!("{}{path}", api.base))
                .header("X-Api-Key", api.key(role));
            request = match (path, body.is_empty()) {
                ("/api/files", _) => {
                    request.multipart(reqwest::multipart::Form::new().text("other", "x"))
                }
                (_, false) => request
                    .header("Content-Type", "application/json")
                    .body(body.clone()),
                (_, true) => request,
            };
            let (status, answer) = api.send(request).await;
            assert_eq!(status, want, "{role} {method} {path}: {answer}");
        }
    }
}

#[tokio::test]
async fn metrics_need_no_key_but_the_api_does() {
    let api = start().await;
    let metrics = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let stats = api
        .client
        .get(format!("{}/api/stats", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(stats.status(), StatusCode::UNAUTHORIZED);
}
