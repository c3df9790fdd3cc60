//! Time-aware scheduling in the running farm (`printfarm serve` as a
//! process, virtual printers on pseudo-terminals): outside the operators'
//! shift a full bed waits as a task, materials are state that technicians
//! change through tasks, and the scheduler asks for a change when one pays.

use crate::farm_support::{count, sample, state, TestFarm, TestPrinter};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(90);

/// The lower-case weekday `days` from today (UTC).
fn weekday_in(days: i64) -> String {
    let day = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .expect("date")
        .to_zoned(jiff::tz::TimeZone::UTC)
        .weekday();
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day.to_monday_zero_offset() as usize]
        .to_owned()
}

async fn tasks(farm: &TestFarm) -> Vec<Value> {
    farm.get("/api/tasks").await["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Polls the task list until `done` holds.
async fn wait_tasks(farm: &TestFarm, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + LONG;
    loop {
        let list = tasks(farm).await;
        if done(&list) {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {list:#?}\n{}",
            farm.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Carries out a task's action as a technician would.
async fn do_task(farm: &TestFarm, task: &Value) -> (StatusCode, Value) {
    assert_eq!(task["action"]["method"], "POST", "{task}");
    let path = task["action"]["path"].as_str().expect("path");
    let body = task["action"]["body"].clone();
    let body = if body.is_null() { json!({}) } else { body };
    farm.post(path, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_shift_a_full_bed_waits_as_a_task_until_someone_clears_it() {
    // The only shift is two days from now: nobody is on shift today.
    let shift = format!(
        "timezone = \"UTC\"\nshifts = [{{ days = \"{}\", from = \"08:00\", to = \"17:00\" }}]",
        weekday_in(2)
    );
    let farm = TestFarm::start_with(&[TestPrinter::pla("p1")], &shift).await;
    let file = farm.upload(&sample()).await;
    // Due within hours: a short print that would sit on the bed until the
    // shift waits only while its due date allows, and this one's does not.
    let due = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(2))
        .expect("time")
        .to_string();
    let (status, body) = farm
        .post(
            "/api/jobs",
            json!({"file_id": file, "quantity": 2, "due_at": due}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // A clear bed may start with nobody there; the finished print then
    // waits on the bed, the second job in the queue.
    let jobs = farm
        .wait_jobs("one completed", LONG, |jobs| count(jobs, "completed") == 1)
        .await;
    let first = jobs
        .iter()
        .find(|j| state(j) == "completed")
        .expect("first")["id"]
        .clone();
    let list = wait_tasks(&farm, "a bed clear", |t| !t.is_empty()).await;
    assert_eq!(list.len(), 1, "{list:#?}");
    let task = &list[0];
    assert_eq!(
        (task["kind"].as_str(), task["printer"].as_str()),
        (Some("bed_clear"), Some("p1"))
    );
    assert_eq!(task["job"], first, "{task}");
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let from = task["workable_from"].as_i64().expect("workable_from");
    assert!(
        from > now_ms + 20 * 3600 * 1000,
        "someone is there only in two days: {task}"
    );
    assert_eq!(
        farm.printer_states().await,
        [("p1".to_owned(), "awaiting_clear".to_owned())]
    );
    assert_eq!(count(&farm.jobs().await, "queued"), 1);

    // The technician does the task; the next job prints.
    let (status, body) = do_task(&farm, task).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    farm.wait_jobs("both completed", LONG, |jobs| count(jobs, "completed") == 2)
        .await;
    let list = wait_tasks(&farm, "the second bed clear", |t| {
        t.len() == 1 && t[0]["job"] != first
    })
    .await;
    assert_eq!(list[0]["kind"], "bed_clear");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_asks_for_a_material_change_and_a_technician_does_it() {
    let mut petg = TestPrinter::pla("p1");
    petg.material = "PETG";
    petg.colour = "orange";
    petg.auto_eject = true;
    let mut farm = TestFarm::start(&[petg]).await;

    // A technician puts PLA in; the farm knows, the configuration aside.
    let (status, view) = farm
        .post(
            "/api/printers/p1/material",
            json!({"material": "PLA", "colour": "black"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        view["loaded"],
        json!([{"material": "PLA", "colour": "black"}])
    );
    let (status, body) = farm
        .post(
            "/api/printers/p1/material",
            json!({"material": "PLA", "tool": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("tool"), "{body}");
    let (status, body) = farm
        .post("/api/printers/p1/material", json!({"material": "  "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // A PETG job: the only printer has PLA, so a change is asked for.
    let file = farm.upload(&sample()).await;
    let (status, body) = farm
        .post(
            "/api/jobs",
            json!({"file_id": file, "quantity": 1, "material": "PETG", "colour": "orange"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let list = wait_tasks(&farm, "a material change", |t| {
        t.iter().any(|t| t["kind"] == "material_change")
    })
    .await;
    let task = list
        .iter()
        .find(|t| t["kind"] == "material_change")
        .expect("task");
    assert_eq!(task["printer"], "p1");
    assert_eq!(
        task["action"]["body"],
        json!({"material": "PETG", "colour": "orange"})
    );
    assert!(
        task["reason"].as_str().unwrap_or("").contains("PLA black"),
        "{task}"
    );
    assert_eq!(
        count(&farm.jobs().await, "queued"),
        1,
        "nothing prints before the change"
    );

    let (status, body) = do_task(&farm, task).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let jobs = farm
        .wait_jobs("the PETG job completed", LONG, |jobs| {
            count(jobs, "completed") == 1
        })
        .await;
    assert_eq!(jobs[0]["printer"], "p1");
    let list = tasks(&farm).await;
    assert!(
        !list.iter().any(|t| t["kind"] == "material_change"),
        "{list:#?}"
    );

    // The load survives a restart: it is state, not configuration.
    farm.terminate();
    farm.spawn().await;
    let printers = farm.get("/api/printers").await;
    assert_eq!(
        printers[0]["loaded"],
        json!([{"material": "PETG", "colour": "orange"}])
    );
}

/// Polls an order until it carries an estimated completion.
async fn estimated(farm: &TestFarm, order: &str) -> Value {
    let deadline = Instant::now() + LONG;
    loop {
        let view = farm.get(&format!("/api/orders/{order}")).await;
        if view["estimated_completion"].is_i64() {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "no estimate: {view}\n{}",
            farm.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_get_an_estimated_completion_and_are_at_risk_when_it_is_after_their_due_date() {
    let farm = TestFarm::start(&[TestPrinter::pla("p1")]).await;
    let file = farm.upload(&sample()).await;
    // Fill the bed so that the orders wait in the queue.
    let (status, _) = farm
        .post("/api/jobs", json!({"file_id": file, "quantity": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    farm.wait_jobs("the first completed", LONG, |jobs| {
        count(jobs, "completed") == 1
    })
    .await;

    let now = jiff::Timestamp::now();
    let at = |minutes: i64| {
        now.checked_add(jiff::SignedDuration::from_mins(minutes))
            .expect("time")
            .to_string()
    };
    let mut ids = Vec::new();
    for (reference, due) in [("soon", at(1)), ("later", at(30 * 24 * 60))] {
        let order = json!({"external_id": reference, "customer_ref": reference, "due_at": due,
            "items": [{"file_id": file, "quantity": 2}]});
        let (status, body) = farm.post("/api/orders", order).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    let soon = estimated(&farm, &ids[0]).await;
    let later = estimated(&farm, &ids[1]).await;
    let bed_clear_ms = 5 * 60 * 1000;
    for order in [&soon, &later] {
        let end = order["estimated_completion"].as_i64().expect("estimate");
        assert!(
            end >= now.as_millisecond() + bed_clear_ms,
            "after the bed is cleared: {order}"
        );
    }
    assert_eq!(soon["at_risk"], true, "{soon}");
    assert_eq!(later["at_risk"], false, "{later}");
}
