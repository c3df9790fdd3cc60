//! Faults of the whole process, with `printfarm serve` as a child process:
//! `kill -9` restarts in the middle of printing, and a large order plus API
//! load while sixteen printers report progress.

use crate::farm_support::{count, sample, state, TestFarm, TestPrinter};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(120);

/// Clears every printer that waits for it.
async fn clear_full_beds(farm: &TestFarm) {
    for (name, printer_state) in farm.printer_states().await {
        if printer_state == "awaiting_clear" {
            farm.clear(&name).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_kill_9_restarts_during_printing_leave_the_order_completing() {
    let slow = |name| TestPrinter {
        baud: 500_000,
        ..TestPrinter::pla(name)
    };
    let mut farm = TestFarm::start(&[slow("p1"), slow("p2")]).await;
    let file = farm.upload(&sample()).await;
    let order = json!({"external_id": "o-1", "customer_ref": "c",
                       "items": [{"file_id": file, "quantity": 4}]});
    let (status, body) = farm.post("/api/orders", order).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order_id = body["id"].as_str().unwrap().to_owned();
    for restart in 0..3 {
        farm.wait_jobs("a print under way", LONG, |jobs| {
            jobs.iter()
                .any(|j| state(j) == "printing" && j["last_acked_line"].as_i64() > Some(100))
        })
        .await;
        farm.kill9();
        farm.spawn().await;
        let jobs = farm.jobs().await;
        assert_eq!(jobs.len(), 4, "restart {restart}: nothing lost: {jobs:#?}");
        assert!(
            jobs.iter().all(|j| state(j) != "failed"),
            "restart {restart}: a restart fails nothing: {jobs:#?}"
        );
        clear_full_beds(&farm).await;
    }
    let deadline = Instant::now() + LONG;
    loop {
        clear_full_beds(&farm).await;
        let jobs = farm.jobs().await;
        if count(&jobs, "completed") == 4 {
            assert!(jobs.iter().all(|j| j["printer_faults"] == 0), "{jobs:#?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not completed: {jobs:#?}\n{}",
            farm.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let order = farm.get(&format!("/api/orders/{order_id}")).await;
    assert_eq!(order["status"], "completed", "{order}");
    let restarted = farm
        .jobs()
        .await
        .iter()
        .filter(|j| j["failure_cause"] == "host.restart")
        .count();
    assert!(restarted >= 1, "interrupted units carry the host's cause");
}

/// Sends one request of the load mix; panics on a 5xx or a timeout.
async fn one_request(farm: &TestFarm, client: &reqwest::Client, n: usize, file: &str) {
    let request = match n % 4 {
        0 => client.get(farm.url("/api/printers")),
        1 => client.get(farm.url("/api/jobs?state=queued&limit=50")),
        2 => client.get(farm.url("/api/stats?window=1h")),
        _ => client
            .post(farm.url("/api/jobs"))
            .json(&json!({"file_id": file, "quantity": 1, "colour": "black"})),
    };
    let response = request
        .header("X-Api-Key", &farm.key)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap_or_else(|e| panic!("request {n} failed: {e}"));
    assert!(
        !response.status().is_server_error(),
        "request {n}: {}",
        response.status()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_order_and_api_load_drop_no_printer_update_and_stall_no_request() {
    let fast = |name| TestPrinter {
        auto_eject: true,
        ..TestPrinter::pla(name)
    };
    let names: Vec<&'static str> = (1..=16)
        .map(|i| &*Box::leak(format!("p{i:02}").into_boxed_str()))
        .collect();
    let mut printers: Vec<TestPrinter> = names.iter().map(|n| fast(n)).collect();
    // White PLA is loaded only on a printer that is unplugged: the large
    // order is accepted and stays queued while the others print.
    printers.push(TestPrinter {
        colour: "white",
        unplugged: true,
        ..TestPrinter::pla("white")
    });
    let farm = TestFarm::start(&printers).await;
    let file = farm.upload(&sample()).await;
    let (status, _) = farm
        .post(
            "/api/jobs",
            json!({"file_id": file, "quantity": 32, "colour": "black"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    farm.wait_jobs("printers busy", LONG, |jobs| count(jobs, "printing") >= 8)
        .await;

    let client = reqwest::Client::new();
    let load = async {
        for n in 0..200 {
            one_request(&farm, &client, n, &file).await;
        }
    };
    let order = json!({"external_id": "big", "customer_ref": "c",
                       "items": [{"file_id": file, "quantity": 1000, "colour": "white"}]});
    let big_order = async {
        let started = Instant::now();
        let (status, body) = farm.post("/api/orders", order).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["job_ids"].as_array().map(Vec::len), Some(1000));
        started.elapsed()
    };
    let ((), took) = tokio::join!(load, big_order);
    eprintln!("1000-unit order accepted in {took:?}");

    // 32 jobs, then 50 more from the load: every one printed and recorded.
    let deadline = Instant::now() + LONG;
    loop {
        let completed = farm.jobs_where("state=completed").await.len();
        let active = farm.jobs_where("state=assigned,printing,paused").await;
        if completed == 82 && active.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{completed} completed, active: {active:#?}\n{}",
            farm.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let white = farm.jobs_where("state=queued").await;
    assert_eq!(white.len(), 1000, "the order's units wait for white PLA");
    let log = farm.log();
    assert!(!log.contains("ERROR"), "errors in the log:\n{log}");
    let printers: Value = farm.get("/api/printers").await;
    let stuck: Vec<_> = printers
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["state"] == "printing")
        .collect();
    assert!(stuck.is_empty(), "no printer left printing: {stuck:#?}");
}
