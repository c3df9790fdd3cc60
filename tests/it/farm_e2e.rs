//! The farm end to end: `printfarm serve` as a process, real HTTP on
//! loopback, a real SQLite file, virtual printers on pseudo-terminals.

use crate::farm_support::{count, sample, state, TestFarm, TestPrinter};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_completes_and_the_bed_clear_gate_holds() {
    let farm = TestFarm::start(&[TestPrinter::pla("p1"), TestPrinter::pla("p2")]).await;
    let file = farm.upload(&sample()).await;
    let order = json!({
        "external_id": "shop-1001",
        "customer_ref": "alice",
        "items": [
            {"file_id": file, "quantity": 2, "personalisation": [{"name": "Alice"}, {"name": "Bob"}]},
            {"file_id": file, "quantity": 1, "personalisation": {"name": "Carol"}},
            {"file_id": file, "quantity": 1},
        ],
    });
    let (status, body) = farm.post("/api/orders", order).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order_id = body["order"]["id"]
        .as_str()
        .or(body["id"].as_str())
        .expect("order id")
        .to_string();

    // Two printers, four units: two print, then both beds wait to be cleared.
    farm.wait_jobs("two completed", LONG, |jobs| count(jobs, "completed") == 2)
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let jobs = farm.jobs().await;
    assert_eq!(
        (count(&jobs, "completed"), count(&jobs, "queued")),
        (2, 2),
        "the gate must hold: {jobs:#?}"
    );
    let states = farm.printer_states().await;
    assert!(
        states.iter().all(|(_, s)| s == "awaiting_clear"),
        "{states:?}"
    );

    for printer in ["p1", "p2"] {
        assert_eq!(farm.clear(printer).await, StatusCode::OK);
    }
    farm.wait_jobs("all completed", LONG, |jobs| count(jobs, "completed") == 4)
        .await;
    let order = farm.get(&format!("/api/orders/{order_id}")).await;
    assert_eq!(order["status"], "completed", "{order}");
    let log = farm.log();
    assert!(log.contains("attempt ended"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "no terminal colours in a log written to a file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petg_job_only_reaches_the_petg_printer() {
    let petg = TestPrinter {
        name: "petg",
        material: "PETG",
        auto_eject: true,
        ..TestPrinter::pla("petg")
    };
    let pla = |name| TestPrinter {
        auto_eject: true,
        ..TestPrinter::pla(name)
    };
    let farm = TestFarm::start(&[pla("pla-1"), petg, pla("pla-2")]).await;
    let file = farm.upload(&sample()).await;
    let (status, body) = farm
        .post(
            "/api/jobs",
            json!({"file_id": file, "quantity": 3, "material": "PETG"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let jobs = farm
        .wait_jobs("all completed", LONG, |jobs| count(jobs, "completed") == 3)
        .await;
    assert!(jobs.iter().all(|j| j["printer"] == "petg"), "{jobs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_gone_from_this_host_prints_from_the_database() {
    let farm = TestFarm::start(&[TestPrinter {
        auto_eject: true,
        ..TestPrinter::pla("p1")
    }])
    .await;
    let file = farm.upload(&sample()).await;
    let files_dir = farm.dir.path().join("data/files");
    let stored: Vec<_> = std::fs::read_dir(&files_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
    std::fs::remove_file(&stored[0]).unwrap();

    let (status, body) = farm
        .post("/api/jobs", json!({"file_id": file, "quantity": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    farm.wait_jobs("completed", LONG, |jobs| count(jobs, "completed") == 1)
        .await;
    let fetched = std::fs::read(&stored[0]).expect("the copy fetched from the database");
    assert_eq!(fetched, std::fs::read(sample()).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_too_big_for_every_printer_is_refused_with_its_reason() {
    let farm = TestFarm::start(&[TestPrinter::pla("p1")]).await;
    let big = farm.dir.path().join("too-big.gcode");
    std::fs::write(
        &big,
        "M83\nG1 Z0.2 F600\nG1 X10 Y10 F3000\nG1 X400 Y10 E12 F1200\n",
    )
    .unwrap();
    let file = farm.upload(&big).await;
    let (status, body) = farm
        .post("/api/jobs", json!({"file_id": file, "quantity": 1}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("build volume") || text.contains("X = 400"),
        "{text}"
    );
    assert!(farm.jobs().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_caused_failure_requeues_the_job_on_another_printer() {
    let flaky = TestPrinter {
        extra_sim: ", disconnect_after_lines = 400",
        ..TestPrinter::pla("flaky")
    };
    let good = |name| TestPrinter {
        auto_eject: true,
        ..TestPrinter::pla(name)
    };
    let farm = TestFarm::start(&[flaky, good("good-1"), good("good-2")]).await;
    let file = farm.upload(&sample()).await;
    let (status, _) = farm
        .post("/api/jobs", json!({"file_id": file, "quantity": 3}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let jobs = farm
        .wait_jobs("all completed", LONG, |jobs| count(jobs, "completed") == 3)
        .await;
    let retried: Vec<_> = jobs.iter().filter(|j| j["printer_faults"] == 1).collect();
    assert_eq!(
        retried.len(),
        1,
        "exactly the job on the flaky printer was retried: {jobs:#?}"
    );
    assert_ne!(retried[0]["printer"], "flaky");
    assert!(jobs.iter().all(|j| j["printer"] != "flaky"), "{jobs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_farm_restarts_without_losing_or_doubling_a_job() {
    let slow = |name| TestPrinter {
        baud: 500_000,
        ..TestPrinter::pla(name)
    };
    let mut farm = TestFarm::start(&[slow("p1"), slow("p2")]).await;
    let file = farm.upload(&sample()).await;
    let (status, _) = farm
        .post("/api/jobs", json!({"file_id": file, "quantity": 3}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Progress is persisted while printing.
    farm.wait_jobs("progress persisted", LONG, |jobs| {
        jobs.iter()
            .filter(|j| state(j) == "printing" && j["last_acked_line"].as_i64() > Some(200))
            .count()
            == 2
    })
    .await;
    farm.kill9();

    farm.spawn().await;
    let jobs = farm.jobs().await;
    assert_eq!(jobs.len(), 3, "nothing lost: {jobs:#?}");
    let interrupted: Vec<_> = jobs
        .iter()
        .filter(|j| j["failure_cause"] == "host.restart")
        .collect();
    assert_eq!(
        interrupted.len(),
        2,
        "the two interrupted prints are re-queued: {jobs:#?}"
    );
    assert!(
        jobs.iter().all(|j| j["printer_faults"] == 0),
        "a restart is not the printers' fault: {jobs:#?}"
    );
    // Each interrupted attempt is in the job's history, with where it stopped.
    for job in &interrupted {
        let id = job["id"].as_str().unwrap();
        let detail = farm.get(&format!("/api/jobs/{id}")).await;
        let attempts = detail["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "{detail:#}");
        assert_eq!(attempts[0]["cause"], "host.restart");
        assert!(
            attempts[0]["last_acked_line"].as_i64() > Some(200),
            "{detail:#}"
        );
    }
    let states = farm.printer_states().await;
    assert!(
        states.iter().all(|(_, s)| s == "awaiting_clear"),
        "a half-printed bed must be cleared: {states:?}"
    );
    for printer in ["p1", "p2"] {
        assert_eq!(farm.clear(printer).await, StatusCode::OK);
    }
    farm.wait_jobs("two completed", LONG, |jobs| count(jobs, "completed") == 2)
        .await;
    for printer in ["p1", "p2"] {
        farm.clear(printer).await;
    }
    farm.wait_jobs("all completed", LONG, |jobs| count(jobs, "completed") == 3)
        .await;
}

/// A farm of one PLA printer at `baud`, printing one job of the sample.
async fn printing_on_one_printer(baud: u32) -> TestFarm {
    let farm = TestFarm::start(&[TestPrinter {
        baud,
        ..TestPrinter::pla("p1")
    }])
    .await;
    let file = farm.upload(&sample()).await;
    farm.post("/api/jobs", json!({"file_id": file, "quantity": 1}))
        .await;
    farm.wait_jobs("printing", LONG, |jobs| {
        jobs.iter().any(|j| state(j) == "printing")
    })
    .await;
    farm
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_leaves_printers_safe_and_keeps_the_job() {
    let mut farm = printing_on_one_printer(250_000).await;
    let status = farm.terminate();
    assert!(
        status.success(),
        "clean exit on SIGTERM: {status:?}\n{}",
        farm.log()
    );
    farm.spawn().await;
    let jobs = farm.jobs().await;
    assert_eq!((jobs.len(), state(&jobs[0])), (1, "queued"), "{jobs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_on_the_printer_follow_in_the_job() {
    let farm = printing_on_one_printer(460_800).await;
    let (status, body) = farm.post("/api/printers/p1/pause", json!({})).await;
    assert!(status.is_success(), "{status} {body}");
    farm.wait_jobs("paused", LONG, |jobs| state(&jobs[0]) == "paused")
        .await;
    let (status, body) = farm.post("/api/printers/p1/resume", json!({})).await;
    assert!(status.is_success(), "{status} {body}");
    farm.wait_jobs("completed", LONG, |jobs| state(&jobs[0]) == "completed")
        .await;
}
