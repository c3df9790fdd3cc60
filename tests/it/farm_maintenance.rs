//! The maintenance odometer end to end: a printer due for service takes no
//! new job until a technician confirms the service.

use crate::farm_support::{count, sample, state, TestFarm, TestPrinter};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(90);
/// How long a queued job must stay queued on a printer due for service; a
/// print of the sample takes well under a second at the test farm's speed.
const HELD_FOR: Duration = Duration::from_secs(3);

async fn printer(farm: &TestFarm, name: &str) -> Value {
    let printers = farm.get("/api/printers").await;
    let list = printers.as_array().cloned().unwrap_or_default();
    list.into_iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no printer {name}: {printers}"))
}

/// Polls `name`'s view until `done` holds for it.
async fn wait_printer(
    farm: &TestFarm,
    name: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + LONG;
    loop {
        let view = printer(farm, name).await;
        if done(&view) {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {view:#}\nlog:\n{}",
            farm.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_due_for_service_waits_for_a_technician() {
    let p1 = TestPrinter {
        auto_eject: true, // no bed to clear: only the service can hold it
        extra: "service = { every_jobs = 1 }",
        ..TestPrinter::pla("p1")
    };
    let farm = TestFarm::start(&[p1]).await;
    let fresh = printer(&farm, "p1").await;
    assert_eq!(fresh["maintenance"]["service_due"], false, "{fresh:#}");
    assert_eq!(fresh["maintenance"]["thresholds"]["every_jobs"], 1);
    let file = farm.upload(&sample()).await;
    let (status, body) = farm
        .post("/api/jobs", json!({"file_id": file, "quantity": 2}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    farm.wait_jobs("one completed", LONG, |jobs| count(jobs, "completed") == 1)
        .await;
    let due = wait_printer(&farm, "p1", "service due", |p| {
        p["maintenance"]["service_due"] == true && p["state"] == "idle"
    })
    .await;
    let maintenance = &due["maintenance"];
    assert_eq!(due["accepts_work"], false, "{due:#}");
    assert_eq!(maintenance["jobs"], 1, "{due:#}");
    assert!(
        maintenance["print_hours"].as_f64().is_some_and(|h| h > 0.0),
        "{due:#}"
    );
    assert!(
        maintenance["filament_m"].as_f64().is_some_and(|m| m > 0.0),
        "{due:#}"
    );
    assert_eq!(
        maintenance["reason"], "1 job since the last service, threshold 1",
        "{due:#}"
    );
    let tasks = farm.get("/api/tasks").await;
    let service = tasks["tasks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["kind"] == "maintenance"))
        .unwrap_or_else(|| panic!("a maintenance task: {tasks:#}"));
    assert_eq!(service["printer"], "p1");
    assert_eq!(service["action"]["path"], "/api/printers/p1/service");

    // The second job stays queued while the printer is due.
    let until = Instant::now() + HELD_FOR;
    while Instant::now() < until {
        let jobs = farm.jobs().await;
        assert_eq!(
            (count(&jobs, "completed"), count(&jobs, "queued")),
            (1, 1),
            "a printer due for service took a job: {jobs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (status, body) = farm.post("/api/printers/nope/service", json!({})).await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::NOT_FOUND, &json!("name"))
    );
    let (status, serviced) = farm.post("/api/printers/p1/service", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{serviced}");
    let after = &serviced["maintenance"];
    assert_eq!(
        (&after["service_due"], &after["jobs"], &after["reason"]),
        (&json!(false), &json!(0), &Value::Null),
        "{serviced:#}"
    );
    assert!(after["last_service_at"].is_i64(), "{serviced:#}");
    assert!(after["last_service_by"].is_string(), "{serviced:#}");

    // The scheduler is woken: the second job prints, and then p1 is due again.
    let jobs = farm
        .wait_jobs("both completed", LONG, |jobs| count(jobs, "completed") == 2)
        .await;
    assert!(jobs.iter().all(|j| state(j) == "completed"));
    wait_printer(&farm, "p1", "due again", |p| {
        p["maintenance"]["service_due"] == true && p["maintenance"]["jobs"] == 1
    })
    .await;
}
