//! Issue #16's reproductions, over real HTTP against the real farm: files a
//! printer cannot take, bounded requests, tenancy, server hygiene.

use crate::api_support::{square_gcode, start, start_configured, Printers, TestApi};
use printfarm::config::Connection;
use reqwest::StatusCode;
use serde_json::json;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);

/// The file: line 4 is a 155-byte `M117`, longer than stock
/// Marlin's 96-byte command buffer; nothing is extruded before line 5.
fn long_line_gcode() -> String {
    format!(
        "G28\nM104 S200\nG1 X10 Y10 F3000\nM117 {}\nG1 X20 Y20 E1\n",
        "A".repeat(150)
    )
}

#[tokio::test]
async fn a_line_too_long_for_stock_marlin_is_refused_at_upload() {
    let api = start().await;
    let (status, body) = api
        .upload_as("operator", "file", long_line_gcode().into_bytes())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "file");
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("line 4:"), "{error}");
    assert!(error.contains("max_command_bytes"), "{error}");
    let stored = std::fs::read_dir(api.data_dir.join("files")).map_or(0, |d| d.count());
    assert_eq!(stored, 0, "nothing of the refused file is kept");
    api.stop().await;
}

#[tokio::test]
async fn random_bytes_are_refused_as_not_gcode_naming_the_first_bad_lines() {
    let api = crate::api_support::start_with(Printers::Unplugged, 2).await;
    let mut noise = Vec::with_capacity(1 << 20);
    let mut state = 0x2545_f491_u64;
    while noise.len() < 1 << 20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        noise.extend_from_slice(&state.to_le_bytes());
    }
    let (status, body) = api.upload_as("operator", "file", noise).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("not G-code"), "{error}");
    assert!(error.contains("first: line "), "{error}");
    api.stop().await;
}

/// The demo farm where `mk3s-petg`'s profile claims a 400-byte command
/// buffer but its (virtual) firmware has Marlin's 96 bytes.
async fn farm_with_a_wrong_profile() -> TestApi {
    start_configured(Printers::Simulated, 1, |config| {
        let petg = config
            .printers
            .iter_mut()
            .find(|p| p.name == "mk3s-petg")
            .unwrap();
        petg.max_command_bytes = 400;
        if let Connection::Sim(sim) = &mut petg.connection {
            sim.max_command_size = Some(96);
        }
    })
    .await
}

async fn submit_petg(api: &TestApi, gcode: &str) -> String {
    let file = api.upload(gcode).await;
    let body = json!({"file_id": file, "quantity": 1, "material": "PETG"});
    let (status, answer) = api.post("operator", "/api/jobs", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["job_ids"][0].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_the_firmware_keeps_rejecting_fails_the_job_and_the_printer_recovers() {
    let api = farm_with_a_wrong_profile().await;
    let job = submit_petg(&api, &long_line_gcode()).await;
    let failed = api
        .wait_for(&format!("/api/jobs/{job}"), LONG, |j| {
            j["state"] == "failed"
        })
        .await;
    assert_eq!(failed["failure_cause"], "job.line_rejected", "{failed:#}");
    assert_eq!(failed["printer_faults"], 0, "not the printer's fault");
    assert!(
        failed["failure_reason"]
            .as_str()
            .unwrap()
            .contains("line 4"),
        "{failed:#}"
    );
    assert_eq!(
        failed["attempts"].as_array().unwrap().len(),
        1,
        "no requeue"
    );
    // Nothing was extruded: the bed is clear and the printer back in service.
    let printers = api
        .wait_for("/api/printers", LONG, |all| all[2]["state"] == "idle")
        .await;
    assert_eq!(printers[2]["name"], "mk3s-petg");
    let next = submit_petg(&api, &square_gcode(60.0)).await;
    let done = api
        .wait_for(&format!("/api/jobs/{next}"), LONG, |j| {
            j["state"] == "completed"
        })
        .await;
    assert_eq!(done["printer"], "mk3s-petg");
    api.stop().await;
}

#[tokio::test]
async fn an_order_over_the_unit_limit_is_refused_naming_the_limit() {
    let api = start().await;
    let file = api.upload_by("shop", &square_gcode(60.0)).await;
    let items: Vec<_> = (0..8)
        .map(|_| json!({"file_id": file, "quantity": 10_000}))
        .collect();
    let order = json!({"external_id": "big", "customer_ref": "c", "items": items});
    let started = Instant::now();
    let (status, body) = api.post("shop", "/api/orders", &order).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "items");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("max_units_per_order"),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused before any work"
    );
    let (_, orders) = api.get("operator", "/api/orders").await;
    assert_eq!(orders, json!([]));
    api.stop().await;
}

#[tokio::test]
async fn shops_never_see_each_others_files() {
    let api = start().await;
    let gcode = square_gcode(60.0).into_bytes();
    let upload = |role: &'static str, name: &'static str| {
        let part = reqwest::multipart::Part::bytes(gcode.clone()).file_name(name);
        let form = reqwest::multipart::Form::new().part("file", part);
        let request = api
            .client
            .post(format!("{}/api/files", api.base))
            .header("X-Api-Key", api.key(role))
            .multipart(form);
        api.send(request)
    };
    let (status, first) = upload("shop", "customer-Jane.gcode").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, second) = upload("shop2", "order-77.gcode").await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_ne!(second["id"], first["id"]);
    assert_eq!(second["original_name"], "order-77.gcode");
    assert!(!second.to_string().contains("Jane"), "{second}");
    let first_id = first["id"].as_str().unwrap();
    let (status, _) = api.get("shop2", &format!("/api/files/{first_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let body = json!({"file_id": first_id, "quantity": 1});
    let (status, answer) = api.post("shop2", "/api/jobs", &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["field"], "file_id");
    // The same bytes again from the same shop are the same file.
    let (_, again) = upload("shop", "customer-Jane.gcode").await;
    assert_eq!(again["id"], first["id"]);
    api.stop().await;
}

#[tokio::test]
async fn bodies_texts_and_listings_are_bounded() {
    let api = start().await;
    let file = api.upload(&square_gcode(60.0)).await;
    let id = api
        .post(
            "operator",
            "/api/jobs",
            &json!({"file_id": file, "quantity": 7}),
        )
        .await
        .1["job_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = api
        .post_raw("operator", &format!("/api/jobs/{id}/priority"), "[1]")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let order = |external: &str| {
        json!({"external_id": external, "customer_ref": "c",
               "items": [{"file_id": file, "quantity": 1}]})
    };
    for (external, expected) in [
        ("x".repeat(300), StatusCode::UNPROCESSABLE_ENTITY),
        ("a\0b".to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
        ("y".repeat(2 << 20), StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let (status, body) = api.post("operator", "/api/orders", &order(&external)).await;
        assert_eq!(
            status,
            expected,
            "{}",
            &body.to_string()[..body.to_string().len().min(300)]
        );
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(body["field"], "external_id", "{body}");
        }
    }
    let (_, page) = api.get("operator", "/api/jobs?limit=5").await;
    assert_eq!(page.as_array().unwrap().len(), 5);
    let (status, body) = api.get("operator", "/api/jobs?limit=5000").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "limit");
    api.stop().await;
}

#[tokio::test]
async fn temp_files_of_cut_off_uploads_are_removed_at_start() {
    let api = start_configured(Printers::Unplugged, 1, |config| {
        let uploads = config.farm.data_dir.join("uploads");
        std::fs::create_dir_all(&uploads).unwrap();
        std::fs::write(uploads.join(".upload-cut-off"), b"G28\nG1 X").unwrap();
        std::fs::write(uploads.join("keep.txt"), b"not ours").unwrap();
    })
    .await;
    let mut left: Vec<_> = std::fs::read_dir(api.data_dir.join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["keep.txt"]);
    api.stop().await;
}

/// Connects to the API's port with a plain socket.
fn raw_socket(api: &TestApi) -> std::net::TcpStream {
    let address = api.base.trim_start_matches("http://");
    let stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let api = start_configured(Printers::Unplugged, 1, |config| {
        config.farm.header_read_timeout_s = 1;
    })
    .await;
    let mut socket = raw_socket(&api);
    let started = Instant::now();
    let closed = tokio::task::spawn_blocking(move || {
        socket
            .write_all(b"GET /api/printers HTTP/1.1\r\nHost: farm\r\nX-Api-Key: ")
            .unwrap();
        let mut buf = [0u8; 512];
        // The server answers (408 or nothing) and closes: read reaches the end.
        loop {
            match socket.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    closed.await.unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "cut off after {took:?}");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_declared_over_the_limit_is_refused_before_it_is_read() {
    let api = start().await;
    let mut socket = raw_socket(&api);
    let key = api.key("operator").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        let head = format!(
            "POST /api/files HTTP/1.1\r\nHost: farm\r\nX-Api-Key: {key}\r\n\
             Content-Type: multipart/form-data; boundary=XYZ\r\n\
             Content-Length: {}\r\n\r\n",
            300u64 << 20
        );
        socket.write_all(head.as_bytes()).unwrap();
        // Not a byte of the body is sent: the answer must come anyway.
        let mut buf = [0u8; 1024];
        let n = socket.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    api.stop().await;
}
