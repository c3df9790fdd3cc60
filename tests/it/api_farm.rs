//! Printers, actions, events, metrics and stats over real HTTP, against the
//! real farm: supervisors and drivers, with printers unplugged or simulated
//! on pseudo-terminals.

use crate::api_support::{long_gcode, square_gcode, start, start_printing, TestApi};
use futures::StreamExt;
use printfarm::api::FarmEvent;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

fn all_idle(printers: &Value) -> bool {
    printers
        .as_array()
        .is_some_and(|all| all.iter().all(|p| p["state"] == "idle"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printers_show_what_their_supervisors_publish() {
    let api = start().await;
    let (status, printers) = api.get("technician", "/api/printers").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = printers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mk3s-1", "mk3s-2", "mk3s-petg", "big-1"]);
    for printer in printers.as_array().unwrap() {
        assert_eq!(printer["state"], "offline", "{printer}");
        assert_eq!(printer["accepts_work"], false);
    }
    api.stop().await;

    let api = start_printing().await;
    let printers = api.wait_for("/api/printers", LONG, all_idle).await;
    let first = &printers[0];
    assert_eq!(first["connection"], "connected", "{first}");
    assert_eq!(first["accepts_work"], true);
    assert!(first["firmware"].as_str().is_some(), "{first}");
    api.stop().await;
}

/// Submits a long PETG job (only `mk3s-petg` has PETG) and waits until it
/// prints, past its first extrusion (so its bed holds plastic).
async fn printing_on_petg(api: &TestApi) -> String {
    api.wait_for("/api/printers", LONG, all_idle).await;
    let file = api.upload(&long_gcode(30)).await;
    let body = json!({"file_id": file, "quantity": 1, "material": "PETG"});
    let (status, answer) = api.post("operator", "/api/jobs", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let job = answer["job_ids"][0].as_str().unwrap().to_owned();
    api.wait_for("/api/printers", LONG, |all| {
        all[2]["job"]["last_acked_line"].as_u64() > Some(12)
    })
    .await;
    job
}

async fn act(api: &TestApi, printer: &str, action: &str) -> (StatusCode, Value) {
    let path = format!("/api/printers/{printer}/{action}");
    api.post("technician", &path, &json!({})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_that_make_no_sense_now_are_refused_with_why() {
    let api = start_printing().await;
    api.wait_for("/api/printers", LONG, all_idle).await;
    let cases = [
        ("nope", "pause", StatusCode::NOT_FOUND, "nope"),
        ("mk3s-1", "explode", StatusCode::NOT_FOUND, "explode"),
        ("mk3s-1", "clear", StatusCode::CONFLICT, "not awaiting"),
        ("mk3s-1", "pause", StatusCode::CONFLICT, "idle"),
        ("mk3s-1", "resume", StatusCode::CONFLICT, "idle"),
        ("mk3s-1", "cancel", StatusCode::CONFLICT, "idle"),
    ];
    for (printer, action, expected, words) in cases {
        let (status, body) = act(&api, printer, action).await;
        assert_eq!(status, expected, "{printer} {action}: {body}");
        assert!(
            body["error"].as_str().unwrap_or_default().contains(words),
            "{printer} {action}: {body}"
        );
    }
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_stop_reset_and_clear_take_a_printer_round_its_lifecycle() {
    let api = start_printing().await;
    let job = printing_on_petg(&api).await;
    let job_path = format!("/api/jobs/{job}");

    assert_eq!(act(&api, "mk3s-petg", "pause").await.0, StatusCode::OK);
    assert_eq!(api.printer("mk3s-petg").await["state"], "paused");
    api.wait_for(&job_path, LONG, |j| j["state"] == "paused")
        .await;
    assert_eq!(act(&api, "mk3s-petg", "resume").await.0, StatusCode::OK);
    api.wait_for(&job_path, LONG, |j| j["state"] == "printing")
        .await;
    let (status, body) = act(&api, "mk3s-petg", "reset").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The emergency stop holds the job for an operator and spends nothing.
    let (status, body) = act(&api, "mk3s-petg", "stop").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stopped = api
        .wait_for(&job_path, LONG, |j| j["state"] == "held")
        .await;
    assert_eq!(stopped["failure_cause"], "operator.emergency_stop");
    assert_eq!(stopped["printer_faults"], 0);
    let halted = api.printer("mk3s-petg").await;
    assert_eq!(halted["state"], "error", "{halted}");
    assert!(
        halted["bed_full_since"].is_i64(),
        "the stopped print is on the bed"
    );

    // A reset brings the halted printer back; the part is still on the bed.
    assert_eq!(act(&api, "mk3s-petg", "reset").await.0, StatusCode::OK);
    api.wait_for("/api/printers", LONG, |all| {
        all[2]["state"] == "awaiting_clear"
    })
    .await;
    assert_eq!(act(&api, "mk3s-petg", "clear").await.0, StatusCode::OK);
    api.wait_for("/api/printers", LONG, |all| all[2]["state"] == "idle")
        .await;
    assert_eq!(
        act(&api, "mk3s-petg", "clear").await.0,
        StatusCode::CONFLICT
    );
    let stored = api.store.get_printer("mk3s-petg").await.unwrap();
    assert_eq!(stored.bed_full_since, None);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_printing_job_ends_its_attempt_and_fills_the_bed() {
    let api = start_printing().await;
    let job = printing_on_petg(&api).await;
    let (status, answer) = api
        .post("technician", &format!("/api/jobs/{job}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "cancelled", "{answer}");
    assert_eq!(answer["failure_cause"], "operator.cancel");
    let attempts = answer["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["printer"], "mk3s-petg");
    assert_eq!(attempts[0]["cause"], "operator.cancel");
    assert_eq!(api.printer("mk3s-petg").await["state"], "awaiting_clear");
    let (status, _) = api
        .post("technician", &format!("/api/jobs/{job}/cancel"), &json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a cancelled job stays cancelled"
    );
    api.stop().await;
}

/// Reads the SSE stream until `needle` appears (or panics after 10 s).
async fn read_until(api: &TestApi, needle: &str, trigger: impl FnOnce()) -> String {
    let response = api
        .client
        .get(format!("{}/api/events", api.base))
        .header("X-Api-Key", api.key("operator"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    trigger();
    let mut stream = response.bytes_stream();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("timed out")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

fn event(kind: &str, n: usize) -> FarmEvent {
    FarmEvent {
        id: format!("e{n:06}"),
        at: 0,
        kind: kind.into(),
        printer: Some("mk3s-1".into()),
        job: None,
        payload: json!({"n": n}),
    }
}

#[tokio::test]
async fn slow_event_clients_are_told_they_lagged() {
    let api = start().await;
    let sender = api.events.clone();
    let seen = read_until(&api, "event: last", || {
        for n in 0..5_000 {
            let _ = sender.send(event("burst", n));
        }
        let _ = sender.send(event("last", 99));
    })
    .await;
    assert!(
        seen.contains("event: lagged"),
        "{}",
        &seen[..seen.len().min(2000)]
    );
    api.stop().await;
}

#[tokio::test]
async fn store_events_reach_event_stream_clients() {
    let api = start().await;
    let file = api.upload(&square_gcode(60.0)).await;
    let store = api.store.clone();
    let seen = read_until(&api, "event: created", move || {
        tokio::spawn(async move {
            let new = printfarm::store::NewJob {
                file_id: file,
                quantity: 1,
                ..Default::default()
            };
            store.create_jobs(&new).await.unwrap();
        });
    })
    .await;
    assert!(seen.contains("\"kind\":\"created\""), "{seen}");
    api.stop().await;
}

/// `/metrics`, parsed by a Prometheus text-format parser.
async fn scrape(api: &TestApi) -> prometheus_parse::Scrape {
    let response = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines).unwrap()
}

/// The value of the sample `name` whose labels include `labels`.
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            prometheus_parse::Value::Summary(_) => f64::NAN,
        })
}

#[tokio::test]
async fn metrics_follow_prometheus_naming_and_show_the_farm() {
    let api = start().await;
    let file = api.upload(&square_gcode(60.0)).await;
    api.post(
        "operator",
        "/api/jobs",
        &json!({"file_id": file, "quantity": 3}),
    )
    .await;
    let scrape = scrape(&api).await;
    assert_eq!(
        sample(&scrape, "printfarm_jobs", &[("state", "queued")]),
        Some(3.0)
    );
    assert_eq!(
        sample(&scrape, "printfarm_jobs", &[("state", "completed")]),
        Some(0.0)
    );
    assert_eq!(
        sample(&scrape, "printfarm_printer_up", &[("printer", "mk3s-1")]),
        Some(0.0)
    );
    let offline = [("printer", "big-1"), ("state", "offline")];
    assert_eq!(
        sample(&scrape, "printfarm_printer_state", &offline),
        Some(1.0)
    );
    assert_eq!(
        sample(&scrape, "printfarm_jobs_completed_total", &[]),
        Some(0.0)
    );
    for doc in &scrape.docs {
        assert!(
            !doc.0.ends_with("_total"),
            "a family named like a counter sample: {doc:?}"
        );
    }
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_printers_did() {
    let api = start_printing().await;
    api.wait_for("/api/printers", LONG, all_idle).await;
    let file = api.upload(&square_gcode(60.0)).await;
    let body = json!({"file_id": file, "quantity": 1, "material": "PETG"});
    let job = api.post("operator", "/api/jobs", &body).await.1["job_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    api.wait_for(&format!("/api/jobs/{job}"), LONG, |j| {
        j["state"] == "completed"
    })
    .await;
    let scrape = scrape(&api).await;
    assert_eq!(
        sample(&scrape, "printfarm_jobs_completed_total", &[]),
        Some(1.0)
    );
    let petg = [("printer", "mk3s-petg")];
    assert!(sample(&scrape, "printfarm_print_seconds_total", &petg) > Some(0.0));
    assert!(sample(&scrape, "printfarm_filament_millimetres_total", &petg) > Some(0.0));
    assert_eq!(
        sample(&scrape, "printfarm_queue_wait_seconds", &[]),
        Some(1.0)
    );
    assert_eq!(
        sample(&scrape, "printfarm_print_duration_seconds", &[]),
        Some(1.0)
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_accept_windows_and_name_a_bad_one() {
    let api = start_printing().await;
    api.wait_for("/api/printers", LONG, all_idle).await;
    let file = api.upload(&square_gcode(60.0)).await;
    let body = json!({"file_id": file, "quantity": 1, "material": "PETG"});
    let job = api.post("operator", "/api/jobs", &body).await.1["job_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    api.wait_for(&format!("/api/jobs/{job}"), LONG, |j| {
        j["state"] == "completed"
    })
    .await;
    for window in ["30m", "24h", "7d"] {
        let (status, stats) = api
            .get("operator", &format!("/api/stats?window={window}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{window}: {stats}");
        assert_eq!(stats["window"], window);
        assert_eq!(stats["jobs_completed"], 1);
        assert_eq!(stats["jobs_failed"], 0);
        assert_eq!(stats["success_rate"], 1.0);
        assert!(stats["parts_per_hour"].as_f64().unwrap() > 0.0);
        assert!(stats["utilisation"]["mk3s-petg"].is_number(), "{stats}");
        assert!(stats.get("mean_wait_s").is_some() && stats.get("estimate_vs_actual").is_some());
    }
    assert_eq!(api.get("operator", "/api/stats").await.1["window"], "24h");
    for window in ["24", "1w", "0h", "abc"] {
        let (status, body) = api
            .get("operator", &format!("/api/stats?window={window}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{window}");
        assert_eq!(body["field"], "window");
    }
    api.stop().await;
}

#[tokio::test]
async fn the_event_stream_sends_every_printer_s_live_view_each_second() {
    let api = start_printing().await;
    let started = tokio::time::Instant::now();
    // A printers event's data is a list: its end is `]` and a blank line.
    let seen = read_until(&api, "]\n\n", || {}).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "within a second or so"
    );
    let data = seen
        .split("event: printers\n")
        .nth(1)
        .and_then(|rest| rest.lines().find_map(|l| l.strip_prefix("data: ")))
        .expect("a printers event with data");
    let views: Value = serde_json::from_str(data).expect("JSON");
    let names: Vec<&str> = views
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"mk3s-1"), "{views}");
    assert!(views[0].get("state").is_some(), "{views}");
    api.stop().await;
}
