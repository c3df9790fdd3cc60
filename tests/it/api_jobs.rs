//! Jobs over real HTTP: submission refusals from the scheduler, body errors
//! naming the field, state filters, personalisation, cancel reaching the farm.

use crate::api_support::{square_gcode, start};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn submission_is_refused_when_no_printer_can_print_it() {
    let api = start().await;
    let small = api.upload(&square_gcode(60.0)).await;
    let huge = api.upload(&square_gcode(400.0)).await;
    // (body, status, field named, words in the error)
    let cases: [(Value, StatusCode, &str, &str); 6] = [
        (
            json!({"file_id": small, "quantity": 2}),
            StatusCode::CREATED,
            "",
            "",
        ),
        (
            json!({"file_id": small, "quantity": 1, "material": "PETG"}),
            StatusCode::CREATED,
            "",
            "",
        ),
        (
            json!({"file_id": small, "quantity": 1, "material": "ABS"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "material",
            "ABS",
        ),
        (
            json!({"file_id": small, "quantity": 1, "tags": ["resin"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tags",
            "resin",
        ),
        (
            json!({"file_id": huge, "quantity": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "file_id",
            "build volume",
        ),
        (
            json!({"file_id": "missing", "quantity": 1}),
            StatusCode::NOT_FOUND,
            "file_id",
            "missing",
        ),
    ];
    for (body, expected, field, words) in cases {
        let (status, answer) = api.post("operator", "/api/jobs", &body).await;
        assert_eq!(status, expected, "{body}: {answer}");
        if status == StatusCode::CREATED {
            assert_eq!(
                answer["job_ids"].as_array().unwrap().len(),
                body["quantity"].as_u64().unwrap() as usize
            );
            continue;
        }
        assert_eq!(answer["field"], field, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(words),
            "{body}: {answer}"
        );
    }
}

#[tokio::test]
async fn malformed_bodies_name_the_field() {
    let api = start().await;
    let file = api.upload(&square_gcode(60.0)).await;
    let cases = [
        ("{\"file_id\": ", StatusCode::BAD_REQUEST, "body"),
        (
            "{\"quantity\": 1}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "file_id",
        ),
        (
            &*format!("{{\"file_id\": \"{file}\", \"quantity\": \"two\"}}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            &*format!("{{\"file_id\": \"{file}\", \"quantity\": -1}}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            &*format!("{{\"file_id\": \"{file}\", \"quantity\": 0}}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            &*format!("{{\"file_id\": \"{file}\", \"quantity\": 1, \"qty\": 1}}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "qty",
        ),
        (
            &*format!("{{\"file_id\": \"{file}\", \"quantity\": 1, \"due_at\": \"soon\"}}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "due_at",
        ),
        ("\"text\"", StatusCode::UNPROCESSABLE_ENTITY, "body"),
        ("[1, 2]", StatusCode::UNPROCESSABLE_ENTITY, "body"),
    ];
    for (body, expected, field) in cases {
        let (status, answer) = api.post_raw("operator", "/api/jobs", body).await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{answer}"
        );
    }
    let syntax = api
        .post_raw("operator", "/api/jobs", "{\"file_id\": ")
        .await
        .1;
    assert!(
        syntax["error"].as_str().unwrap().contains("line 1"),
        "{syntax}"
    );
}

#[tokio::test]
async fn jobs_list_by_state_and_show_personalisation() {
    let api = start().await;
    let file = api.upload(&square_gcode(60.0)).await;
    let body = json!({"file_id": file, "quantity": 3, "personalisation": {"name": "Alice"},
                      "due_at": "2030-01-01T00:00:00Z", "priority": 5});
    let ids: Vec<String> =
        serde_json::from_value(api.post("operator", "/api/jobs", &body).await.1["job_ids"].clone())
            .unwrap();
    api.store.hold(&ids[0]).await.unwrap();
    api.store.cancel_waiting(&ids[1]).await.unwrap();
    let cases = [
        ("", 3),
        ("?state=queued", 1),
        ("?state=queued,held", 2),
        ("?state=queued&state=cancelled", 2),
        ("?state=completed", 0),
    ];
    for (query, count) in cases {
        let (status, jobs) = api.get("technician", &format!("/api/jobs{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(jobs.as_array().unwrap().len(), count, "{query}: {jobs}");
    }
    let (status, answer) = api.get("operator", "/api/jobs?state=queued,sleeping").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["field"], "state");
    assert!(answer["error"].as_str().unwrap().contains("sleeping"));

    let (status, job) = api.get("operator", &format!("/api/jobs/{}", ids[2])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job["personalisation"], json!({"name": "Alice"}));
    assert_eq!(job["priority"], 5);
    assert_eq!(job["due_at"], 1_893_456_000_000i64);
    assert_eq!(
        api.get("operator", "/api/jobs/nope").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cancelling_a_waiting_job_needs_no_printer() {
    let api = start().await;
    let file = api.upload(&square_gcode(60.0)).await;
    let body = json!({"file_id": file, "quantity": 1});
    let id = api.post("operator", "/api/jobs", &body).await.1["job_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/jobs/{id}/cancel");
    let (status, answer) = api.post("operator", &path, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "cancelled");
    assert_eq!(answer["attempts"], json!([]));
    let (status, answer) = api.post("operator", &path, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["field"], "state");
}

#[tokio::test]
async fn hold_release_and_priority() {
    let api = start().await;
    let file = api.upload(&square_gcode(60.0)).await;
    let id = api
        .post(
            "operator",
            "/api/jobs",
            &json!({"file_id": file, "quantity": 1}),
        )
        .await
        .1["job_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let steps = [
        ("hold", json!({}), StatusCode::OK, "held"),
        ("hold", json!({}), StatusCode::CONFLICT, ""),
        ("release", json!({}), StatusCode::OK, "queued"),
        ("priority", json!({"priority": 9}), StatusCode::OK, "queued"),
        (
            "priority",
            json!({"priority": "high"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
    ];
    for (action, body, expected, state) in steps {
        let (status, answer) = api
            .post("operator", &format!("/api/jobs/{id}/{action}"), &body)
            .await;
        assert_eq!(status, expected, "{action}: {answer}");
        if status == StatusCode::OK {
            assert_eq!(answer["state"], state, "{action}");
        }
    }
    assert_eq!(api.store.get_job(&id).await.unwrap().priority, 9);
}

#[tokio::test]
async fn waiting_jobs_name_the_printers_that_could_take_them() {
    let api = start().await;
    let small = api.upload(&square_gcode(60.0)).await;
    let wide = api.upload(&square_gcode(300.0)).await;
    for body in [
        json!({"file_id": small, "quantity": 1, "material": "PETG"}),
        json!({"file_id": small, "quantity": 1, "material": "PLA"}),
        json!({"file_id": wide, "quantity": 1}),
    ] {
        let (status, created) = api.post("operator", "/api/jobs", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    let (_, listed) = api.get("operator", "/api/jobs?state=queued,held").await;
    let able = |material: Option<&str>, file: &str| -> Vec<String> {
        let job = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["file_id"] == file && j["material"].as_str() == material)
            .expect("the job");
        serde_json::from_value(job["printers_able"].clone()).expect("a list of names")
    };
    assert_eq!(able(Some("PETG"), &small), ["mk3s-petg"]);
    assert_eq!(able(Some("PLA"), &small), ["mk3s-1", "mk3s-2", "big-1"]);
    assert_eq!(able(None, &wide), ["big-1"]);
    let (_, all) = api.get("operator", "/api/jobs").await;
    assert!(
        all[0].get("printers_able").is_none(),
        "only in listings of waiting jobs"
    );
    api.stop().await;
}
