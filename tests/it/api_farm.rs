//! Printers, events, metrics and stats over real HTTP, with the stub farm.


use crate::api_support::{square_gcode, start, start_with, TestApi};
use futures::StreamExt;
use printfarm::api::{
    relay_store_events, ControlError, FarmEvent, LivePrinter, PrinterCommand, Temperature,
};
use printfarm::store::PrinterState;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

fn live_mk3s_1() -> LivePrinter {
    LivePrinter {
        name: "mk3s-1".into(),
        state: "printing".into(),
        connected: true,
        job_id: Some("j1".into()),
        progress: Some(0.25),
        temperatures: vec![Temperature {
            heater: "T0".into(),
            actual_c: 209.5,
            target_c: 210.0,
        }],
        eta_s: Some(600.0),
        last_error: None,
    }
}

#[tokio::test]
async fn printers_merge_stored_and_live_state() {
    let api = start().await;
    api.farm.live.lock().unwrap().push(live_mk3s_1());
    api.store
        .set_printer_state("mk3s-2", PrinterState::AwaitingClear)
        .await
        .unwrap();
    let (status, printers) = api.get("technician", "/api/printers").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = printers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mk3s-1", "mk3s-2", "mk3s-petg", "big-1"]);
    assert_eq!(printers[0]["live"]["progress"], 0.25);
    assert_eq!(printers[0]["live"]["eta_s"], 600.0);
    assert_eq!(printers[0]["live"]["temperatures"][0]["actual_c"], 209.5);
    assert_eq!(printers[1]["state"], "awaiting_clear");
    assert!(printers[1]["live"].is_null());
}

#[tokio::test]
async fn printer_commands_reach_the_farm_or_say_why_not() {
    let api = start().await;
    api.farm.refuse.lock().unwrap().insert(
        "mk3s-petg".into(),
        ControlError::NotPossible {
            reason: "nothing to resume".into(),
        },
    );
    api.farm.refuse.lock().unwrap().insert(
        "big-1".into(),
        ControlError::Unavailable {
            reason: "driver gone".into(),
        },
    );
    let cases = [
        ("mk3s-1", "pause", StatusCode::OK, ""),
        ("mk3s-1", "resume", StatusCode::OK, ""),
        ("mk3s-2", "cancel", StatusCode::OK, ""),
        ("mk3s-2", "stop", StatusCode::OK, ""),
        (
            "mk3s-petg",
            "resume",
            StatusCode::CONFLICT,
            "nothing to resume",
        ),
        (
            "big-1",
            "pause",
            StatusCode::SERVICE_UNAVAILABLE,
            "driver gone",
        ),
        ("nope", "pause", StatusCode::NOT_FOUND, "nope"),
        ("mk3s-1", "explode", StatusCode::NOT_FOUND, "explode"),
        ("mk3s-1", "clear", StatusCode::CONFLICT, "not awaiting"),
    ];
    for (printer, action, expected, words) in cases {
        let (status, body) = api
            .post(
                "operator",
                &format!("/api/printers/{printer}/{action}"),
                &json!({}),
            )
            .await;
        assert_eq!(status, expected, "{printer} {action}: {body}");
        assert!(
            body["error"].as_str().unwrap_or_default().contains(words),
            "{body}"
        );
    }
    let expected = [
        ("mk3s-1", PrinterCommand::Pause),
        ("mk3s-1", PrinterCommand::Resume),
        ("mk3s-2", PrinterCommand::Cancel),
        ("mk3s-2", PrinterCommand::EmergencyStop),
    ]
    .map(|(p, c)| (p.to_owned(), c));
    assert_eq!(api.farm.commands(), expected);

    api.store
        .set_printer_state("mk3s-1", PrinterState::AwaitingClear)
        .await
        .unwrap();
    let wakes = api.farm.wakes();
    let (status, body) = api
        .post("technician", "/api/printers/mk3s-1/clear", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        api.store.get_printer("mk3s-1").await.unwrap().state,
        PrinterState::Idle
    );
    assert_eq!(
        api.farm.wakes(),
        wakes + 1,
        "clearing the bed wakes the scheduler"
    );
}

/// Reads the SSE stream until `needle` appears (or panics after 5 s).
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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
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
        id: format!("e{n:04}"),
        at: 0,
        kind: kind.into(),
        printer: Some("mk3s-1".into()),
        job: None,
        payload: json!({"n": n}),
    }
}

#[tokio::test]
async fn events_stream_to_clients_and_slow_clients_get_lagged() {
    let api = start_with(1, 4).await;
    let sender = api.events.clone();
    let seen = read_until(&api, "event: completed", || {
        let _ = sender.send(event("completed", 1));
    })
    .await;
    assert!(seen.contains("\"printer\":\"mk3s-1\""), "{seen}");

    let sender = api.events.clone();
    let seen = read_until(&api, "event: last", || {
        for n in 0..20 {
            let _ = sender.send(event("burst", n));
        }
        let _ = sender.send(event("last", 99));
    })
    .await;
    assert!(seen.contains("event: lagged"), "{seen}");
}

#[tokio::test]
async fn the_relay_streams_store_events() {
    let api = start().await;
    tokio::spawn(relay_store_events(
        api.store.clone(),
        api.events.clone(),
        Duration::from_millis(20),
    ));
    let file = api.upload(&square_gcode(60.0)).await;
    let store = api.store.clone();
    let seen = read_until(&api, "event: created", move || {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
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
}

#[tokio::test]
async fn metrics_expose_the_expected_series() {
    let api = start().await;
    api.farm.live.lock().unwrap().push(live_mk3s_1());
    let file = api.upload(&square_gcode(60.0)).await;
    api.post(
        "operator",
        "/api/jobs",
        &json!({"file_id": file, "quantity": 3}),
    )
    .await;
    let response = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    for line in [
        "# TYPE printfarm_jobs_total gauge",
        "printfarm_jobs_total{state=\"queued\"} 3",
        "printfarm_jobs_total{state=\"completed\"} 0",
        "printfarm_queue_length 3",
        "printfarm_printer_up{printer=\"mk3s-1\"} 1",
        "printfarm_printer_up{printer=\"big-1\"} 0",
        "printfarm_printer_progress{printer=\"mk3s-1\"} 0.25",
        "printfarm_printer_awaiting_clear{printer=\"mk3s-2\"} 0",
        "printfarm_printer_temperature_celsius{printer=\"mk3s-1\",heater=\"T0\"} 209.5",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[tokio::test]
async fn stats_accept_windows_and_name_a_bad_one() {
    let api = start().await;
    let file = api.upload(&square_gcode(60.0)).await;
    let ids = api
        .post(
            "operator",
            "/api/jobs",
            &json!({"file_id": file, "quantity": 2}),
        )
        .await
        .1["job_ids"]
        .clone();
    let first = ids[0].as_str().unwrap();
    assert!(api.store.claim_job(first, "mk3s-1").await.unwrap());
    api.store.start_printing(first).await.unwrap();
    api.store.complete(first).await.unwrap();
    for window in ["30m", "24h", "7d"] {
        let (status, stats) = api
            .get("operator", &format!("/api/stats?window={window}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{window}: {stats}");
        assert_eq!(stats["window"], window);
        assert_eq!(stats["jobs_completed"], 1);
        assert_eq!(stats["jobs_failed"], 0);
        assert_eq!(stats["queue_length"], 1);
        assert_eq!(stats["success_rate"], 1.0);
        assert!(stats["parts_per_hour"].as_f64().unwrap() > 0.0);
        assert!(stats["utilisation"]["mk3s-1"].is_number(), "{stats}");
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
}
