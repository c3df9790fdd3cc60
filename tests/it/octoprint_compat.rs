//! The OctoPrint/Moonraker face over real HTTP: the slicers' exact
//! multipart requests, Cura's start-up sequence, targets, refusals, keys,
//! Moonraker, a print on the simulated farm, and the `octorest` client.

use crate::api_support::{corpus_nametag, start, TestApi};
use crate::farm_support::{count, sample, TestFarm, TestPrinter};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// One part of a multipart request, in the order a client sends it.
#[derive(Clone, Copy)]
enum Field {
    Text(&'static str, &'static str),
    File(&'static str, &'static str),
}

/// The form `fields` describe, each file part carrying `content`.
fn form(fields: &[Field], content: &[u8]) -> Form {
    fields.iter().fold(Form::new(), |form, field| match *field {
        Field::Text(name, value) => form.text(name, value),
        Field::File(name, file_name) => {
            form.part(name, Part::bytes(content.to_vec()).file_name(file_name))
        }
    })
}

/// Posts `fields` to `path` as `role`: status, `Location`, JSON body.
async fn post_form(
    api: &TestApi,
    role: &str,
    path: &str,
    fields: &[Field],
    content: &[u8],
) -> (StatusCode, Option<String>, Value) {
    let response = api
        .client
        .post(format!("{}{path}", api.base))
        .header("X-Api-Key", api.key(role))
        .multipart(form(fields, content))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, location, body)
}

/// A slicer's upload and what must come of it.
struct Upload {
    client: &'static str,
    role: &'static str,
    url: &'static str,
    fields: &'static [Field],
    path: &'static str,
    print: bool,
    material: Option<&'static str>,
}

const UPLOADS: &[Upload] = &[
    Upload {
        client: "PrusaSlicer 2.9, upload",
        role: "operator",
        url: "/api/files/local",
        fields: &[
            Field::Text("print", "false"),
            Field::Text("path", ""),
            Field::File("file", "nametag.gcode"),
        ],
        path: "nametag.gcode",
        print: false,
        material: None,
    },
    Upload {
        client: "PrusaSlicer 2.9, upload and print, shop key",
        role: "shop",
        url: "/api/files/local",
        fields: &[
            Field::Text("print", "True"),
            Field::Text("path", "/"),
            Field::File("file", "nametag.gcode"),
        ],
        path: "nametag.gcode",
        print: true,
        material: None,
    },
    Upload {
        client: "Cura, into a folder, auto-print, on a target",
        role: "technician",
        url: "/target/petg-orange/api/files/local",
        fields: &[
            Field::Text("path", "/sub/"),
            Field::File("file", "cura.gcode"),
            Field::Text("select", "true"),
            Field::Text("print", "true"),
        ],
        path: "sub/cura.gcode",
        print: true,
        material: Some("PETG"),
    },
    Upload {
        client: "octoprint-cli, an extra `filename` file part",
        role: "operator",
        url: "/api/files/local",
        fields: &[
            Field::Text("select", "yes"),
            Field::Text("print", "0"),
            Field::File("file", "cli.gco"),
            Field::File("filename", "cli.gco"),
        ],
        path: "cli.gco",
        print: false,
        material: None,
    },
];

#[tokio::test]
async fn octoprint_uploads_in_each_clients_field_order() {
    let api = start().await;
    let content = corpus_nametag();
    for case in UPLOADS {
        let (status, location, body) =
            post_form(&api, case.role, case.url, case.fields, &content).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", case.client);
        let local = &body["files"]["local"];
        assert_eq!(local["path"], case.path, "{}", case.client);
        assert_eq!(local["origin"], "local", "{}", case.client);
        let name = case.path.rsplit('/').next().unwrap();
        assert_eq!(local["name"], name, "{}", case.client);
        let resource = local["refs"]["resource"].as_str().unwrap();
        let prefix = case.url.trim_end_matches("/api/files/local");
        let expected = format!("{}{prefix}/api/files/local/{}", api.base, case.path);
        assert_eq!(resource, expected, "{}", case.client);
        assert_eq!(location.as_deref(), Some(resource), "{}", case.client);
        assert!(local["refs"]["download"].is_string(), "{}", case.client);
        assert_eq!(body["done"], true, "{}", case.client);
        assert_eq!(body["effectivePrint"], case.print, "{}", case.client);
        let file = &body["printfarm"]["file"];
        assert!(file["analysis"]["estimated_time_s"].as_f64().unwrap() > 0.0);
        let (status, stored) = api
            .get(
                case.role,
                &format!("/api/files/{}", file["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {stored}", case.client);
        let jobs = body["printfarm"]["job_ids"].as_array().unwrap();
        assert_eq!(jobs.len(), usize::from(case.print), "{}", case.client);
        for id in jobs {
            let (_, job) = api
                .get("operator", &format!("/api/jobs/{}", id.as_str().unwrap()))
                .await;
            assert_eq!(job["state"], "queued", "{}: {job}", case.client);
            assert_eq!(
                job["owner_key_id"],
                owner_of(&api, case.role).await,
                "{}",
                case.client
            );
            assert_eq!(job["material"].as_str(), case.material, "{}", case.client);
        }
    }
    let (status, listed) = api.get("operator", "/api/files/local").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(listed["free"].as_u64().is_some(), "{listed}");
    let paths: Vec<&str> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for case in UPLOADS {
        assert!(paths.contains(&case.path), "{} in {paths:?}", case.path);
    }
    let first = &listed["files"][0];
    assert_eq!(first["type"], "machinecode");
    assert!(first["size"].as_u64().unwrap() > 0 && first["date"].as_i64().unwrap() > 0);
    let (status, all) = api.get("operator", "/api/files").await;
    assert_eq!((status, &all["files"]), (StatusCode::OK, &listed["files"]));
    let (status, _) = api.get("shop2", "/api/files/local").await;
    assert_eq!(status, StatusCode::OK);
    api.stop().await;
}

/// The key id behind a role's key, as jobs record it.
async fn owner_of(api: &TestApi, role: &str) -> Value {
    let (_, login) = api
        .post(role, "/api/login", &json!({"passive": true}))
        .await;
    login["name"].clone()
}

#[tokio::test]
async fn printfarm_own_files_routes_are_unchanged() {
    let api = start().await;
    let (status, body) = api.upload_as("shop", "file", corpus_nametag()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["id"].is_string() && body.get("files").is_none(),
        "{body}"
    );
    let (status, body) = api
        .get(
            "shop",
            &format!("/api/files/{}", body["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, shop2) = api.get("shop2", "/api/files").await;
    assert_eq!(shop2["files"], json!([]), "a shop lists only its own files");
    api.stop().await;
}

/// A request of Cura's start-up and the fields read from its answer.
const CURA_STARTUP: &[(&str, &str, &[&str])] = &[
    (
        "GET",
        "/api/settings",
        &["/webcam", "/feature/sdSupport", "/plugins"],
    ),
    ("POST", "/api/login", &["/name", "/active"]),
    ("GET", "/api/printerprofiles", &[]),
    ("GET", "/api/version", &["/api", "/server", "/text"]),
    (
        "GET",
        "/api/printer",
        &[
            "/state/text",
            "/state/flags/operational",
            "/state/flags/printing",
            "/state/flags/paused",
            "/state/flags/pausing",
            "/state/flags/cancelling",
            "/state/flags/ready",
            "/state/flags/error",
            "/state/flags/closedOrError",
            "/temperature/tool0/actual",
            "/temperature/tool0/target",
            "/temperature/bed/actual",
            "/temperature/bed/target",
        ],
    ),
    (
        "GET",
        "/api/job",
        &[
            "/job/file/name",
            "/job/estimatedPrintTime",
            "/progress/completion",
            "/progress/printTime",
            "/progress/printTimeLeft",
            "/state",
        ],
    ),
    (
        "GET",
        "/api/connection",
        &["/current/state", "/options/ports"],
    ),
];

#[tokio::test]
async fn cura_startup_sequence_answers_every_field_read() {
    let api = start().await;
    for prefix in ["", "/target/petg-orange", "/target/tag:large"] {
        for (method, path, pointers) in CURA_STARTUP {
            let url = format!("{prefix}{path}");
            let (status, body) = match *method {
                "POST" => api.post("shop", &url, &json!({"passive": true})).await,
                _ => api.get("shop", &url).await,
            };
            assert_eq!(status, StatusCode::OK, "{url}: {body}");
            for pointer in *pointers {
                assert!(
                    body.pointer(pointer).is_some(),
                    "{url} lacks {pointer}: {body}"
                );
            }
        }
        let (_, version) = api.get("shop", &format!("{prefix}/api/version")).await;
        assert!(version["text"].as_str().unwrap().starts_with("OctoPrint"));
        let (_, printer) = api.get("shop", &format!("{prefix}/api/printer")).await;
        assert_eq!(printer["state"]["text"], "Operational", "{printer}");
        assert_eq!(printer["state"]["flags"]["ready"], true, "{printer}");
        let (_, settings) = api.get("shop", &format!("{prefix}/api/settings")).await;
        assert!(
            !settings.to_string().contains(api.key("shop")),
            "no secrets"
        );
    }
    let (_, profiles) = api
        .get("shop", "/target/tag:large/api/printerprofiles")
        .await;
    let profiles = profiles["profiles"].as_object().unwrap();
    assert_eq!(profiles.len(), 1);
    let profile = profiles.values().next().unwrap();
    assert_eq!(
        (profile["current"].clone(), profile["default"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        profile["volume"]["width"], 300.0,
        "big-1's volume: {profile}"
    );
    let (status, body) = api.get("shop", "/target/abs-green/api/version").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["field"], "target");
    api.stop().await;
}

#[tokio::test]
async fn unsafe_paths_and_other_files_are_refused_and_nothing_is_written() {
    let api = start().await;
    let refused: &[(&[Field], StatusCode, &str)] = &[
        (
            &[Field::Text("path", "../.."), Field::File("file", "a.gcode")],
            StatusCode::BAD_REQUEST,
            "path",
        ),
        (
            &[
                Field::File("file", "a.gcode"),
                Field::Text("path", "sub/../../x"),
            ],
            StatusCode::BAD_REQUEST,
            "path",
        ),
        (
            &[Field::File("file", "../../evil.gcode")],
            StatusCode::BAD_REQUEST,
            "path",
        ),
        (
            &[Field::File("file", "..\\..\\evil.gcode")],
            StatusCode::BAD_REQUEST,
            "path",
        ),
        (
            &[Field::File("file", "part.stl")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "file",
        ),
        (
            &[Field::File("filename", "a.gcode")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "file",
        ),
    ];
    for (fields, status, field) in refused {
        for url in ["/api/files/local", "/server/files/upload"] {
            let (got, _, body) = post_form(&api, "operator", url, fields, &corpus_nametag()).await;
            assert_eq!(got, *status, "{url}: {body}");
            assert_eq!(body["field"], *field, "{url}: {body}");
            assert!(body["error"].is_string(), "{body}");
        }
    }
    let (_, _, body) =
        post_form(&api, "operator", "/api/files/local", refused[4].0, b"G28\n").await;
    assert!(
        body["error"].as_str().unwrap().contains("part.stl"),
        "{body}"
    );
    let root = api.data_dir.parent().unwrap();
    assert_eq!(files_under(root, "evil"), Vec::<String>::new());
    assert!(
        !api.data_dir.join("files").exists()
            || files_under(&api.data_dir.join("files"), "").is_empty()
    );
    let leftovers = files_under(&api.data_dir.join("uploads"), "");
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let (status, body) = api
        .post(
            "operator",
            "/api/files/local/..%2F..%2Fetc",
            &json!({"command": "select"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    api.stop().await;
}

/// Paths of every file under `dir` whose name contains `needle`.
fn files_under(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                files_under(&path, needle)
            } else if entry.file_name().to_string_lossy().contains(needle) {
                vec![path.display().to_string()]
            } else {
                Vec::new()
            }
        })
        .collect()
}

#[tokio::test]
async fn keys_as_octoprint_takes_them() {
    let api = start().await;
    let key = api.key("shop").to_owned();
    let url = |path: &str| format!("{}{path}", api.base);
    let cases: Vec<(reqwest::RequestBuilder, StatusCode)> = vec![
        (
            api.client.get(url("/api/version")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            api.client
                .get(url("/api/version"))
                .header("X-Api-Key", "wrong"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            api.client.get(url("/server/info")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            api.client.get(url("/api/version?apikey=wrong")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            api.client.get(url(&format!("/api/version?apikey={key}"))),
            StatusCode::OK,
        ),
        (
            api.client
                .get(url("/api/version"))
                .header("x-API-key", format!(" {key} ")),
            StatusCode::OK,
        ),
        (
            api.client.get(url("/api/version")).bearer_auth(&key),
            StatusCode::OK,
        ),
        (
            api.client
                .post(url("/api/job"))
                .header("X-Api-Key", &key)
                .json(&json!({"command": "cancel"})),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (request, expected) in cases {
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, expected, "{body}");
        if !status.is_success() {
            assert!(body["error"].is_string(), "a JSON error: {body}");
        }
    }
    api.stop().await;
}

#[tokio::test]
async fn moonraker_info_upload_and_idempotent_start() {
    let api = start().await;
    let response = api
        .client
        .get(format!("{}/server/info", api.base))
        .header("X-Api-Key", api.key("shop"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let raw = response.text().await.unwrap();
    assert!(raw.starts_with("{\"result\""), "{raw}");
    let info: Value = serde_json::from_str(&raw).unwrap();
    assert!(info["result"]["moonraker_version"].is_string());
    assert_eq!(info["result"]["klippy_state"], "ready");
    let (_, roots) = api.get("shop", "/server/files/roots").await;
    assert_eq!(roots["result"][0]["name"], "gcodes");

    let fields = [
        Field::Text("root", "gcodes"),
        Field::Text("path", "orca"),
        Field::Text("print", "true"),
        Field::File("file", "plate.gcode"),
    ];
    let (status, _, body) = post_form(
        &api,
        "shop",
        "/server/files/upload",
        &fields,
        &corpus_nametag(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for created in [&body, &body["result"]] {
        assert_eq!(created["item"]["path"], "orca/plate.gcode", "{body}");
        assert_eq!(created["item"]["root"], "gcodes");
        assert_eq!(created["action"], "create_file");
        assert_eq!(created["print_queued"], true);
        assert!(created["print_started"].is_boolean());
    }
    let job_ids = body["printfarm"]["job_ids"].clone();
    for _ in 0..2 {
        let (status, started) = api
            .post(
                "shop",
                "/printer/print/start?filename=orca/plate.gcode",
                &json!({}),
            )
            .await;
        assert_eq!((status, &started["result"]), (StatusCode::OK, &json!("ok")));
    }
    let (_, queued) = api.get("shop", "/api/jobs?state=queued").await;
    let ids: Vec<Value> = queued
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].clone())
        .collect();
    assert_eq!(
        Value::from(ids),
        job_ids,
        "a repeated start queues nothing more"
    );
    let bad_root = [
        Field::Text("root", "config"),
        Field::File("file", "x.gcode"),
    ];
    let (status, _, body) =
        post_form(&api, "shop", "/server/files/upload", &bad_root, b"G28\n").await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::BAD_REQUEST, &json!("root"))
    );
    api.stop().await;
}

#[tokio::test]
async fn select_then_start_queues_once_and_job_reports_it() {
    let api = start().await;
    let fields = [Field::Text("path", ""), Field::File("file", "later.gcode")];
    let (status, _, _) = post_form(
        &api,
        "operator",
        "/api/files/local",
        &fields,
        &corpus_nametag(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = api
        .post("operator", "/api/job", &json!({"command": "start"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing selected yet: {body}");
    let select = json!({"command": "select", "print": false});
    let (status, _) = api
        .post("operator", "/api/files/local/later.gcode", &select)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for _ in 0..2 {
        let (status, body) = api
            .post("operator", "/api/job", &json!({"command": "start"}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let (_, job) = api.get("operator", "/api/job").await;
    assert_eq!(job["job"]["file"]["name"], "later.gcode", "{job}");
    assert!(
        job["job"]["estimatedPrintTime"].as_f64().unwrap() > 0.0,
        "{job}"
    );
    assert_eq!(job["printfarm"]["job_state"], "queued", "{job}");
    let (_, queued) = api.get("operator", "/api/jobs?state=queued").await;
    assert_eq!(queued.as_array().unwrap().len(), 1, "{queued}");
    let (status, _) = api
        .post("operator", "/api/job", &json!({"command": "cancel"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api
        .post("operator", "/api/job", &json!({"command": "cancel"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing left to cancel");
    let (status, _) = api
        .post("operator", "/api/files/local/missing.gcode", &select)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    api.stop().await;
}

/// Uploads the sample to a farm process in PrusaSlicer's field order, to print.
async fn prusaslicer_print(farm: &TestFarm) -> Value {
    let fields = [
        Field::Text("print", "true"),
        Field::Text("path", ""),
        Field::File("file", "nametag.gcode"),
    ];
    let content = std::fs::read(sample()).unwrap();
    let response = farm
        .client
        .post(farm.url("/api/files/local"))
        .header("X-Api-Key", &farm.key)
        .multipart(form(&fields, &content))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_upload_to_print_is_printed_by_the_farm() {
    let farm = TestFarm::start(&[TestPrinter::pla("p1")]).await;
    let body = prusaslicer_print(&farm).await;
    assert_eq!(body["effectivePrint"], true, "{body}");
    let jobs = farm
        .wait_jobs(
            "the slicer's job to complete",
            Duration::from_secs(120),
            |jobs| count(jobs, "completed") == 1,
        )
        .await;
    assert_eq!(jobs[0]["id"], body["printfarm"]["job_ids"][0]);
    let job = farm.get("/api/job").await;
    assert_eq!(job["progress"]["completion"], 100.0, "{job}");
    assert_eq!(job["job"]["file"]["name"], "nametag.gcode", "{job}");
}

/// What the octorest script does: upload, select to print, read the job.
const OCTOREST_SCRIPT: &str = r#"
import json, sys
from octorest import OctoRest
url, key, path = sys.argv[1:4]
client = OctoRest(url=url, apikey=key)
uploaded = client.upload(path)
client.select(uploaded["files"]["local"]["path"], print=True)
print(json.dumps({"version": client.version, "uploaded": uploaded,
                  "printer": client.printer(), "job": client.job_info()}))
"#;

#[tokio::test]
async fn octorest_uploads_and_starts_a_print() {
    let python = std::env::var("PRINTFARM_TEST_OCTOREST_PYTHON").unwrap_or_default();
    if python.is_empty() {
        println!("SKIPPED octorest_uploads_and_starts_a_print: PRINTFARM_TEST_OCTOREST_PYTHON is unset (.ci/run installs octorest)");
        return;
    }
    let farm = TestFarm::start(&[TestPrinter::pla("p1")]).await;
    let output = tokio::process::Command::new(python)
        .args(["-c", OCTOREST_SCRIPT, &farm.url("/"), &farm.key])
        .arg(sample())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "octorest failed: {stderr}");
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(seen["version"]["text"]
        .as_str()
        .unwrap()
        .starts_with("OctoPrint"));
    let name = sample().file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        seen["uploaded"]["files"]["local"]["name"],
        name.as_str(),
        "{seen}"
    );
    assert!(seen["printer"]["state"]["flags"].is_object(), "{seen}");
    assert_eq!(seen["job"]["job"]["file"]["name"], name.as_str(), "{seen}");
    farm.wait_jobs(
        "octorest's job to complete",
        Duration::from_secs(120),
        |jobs| count(jobs, "completed") == 1,
    )
    .await;
}
