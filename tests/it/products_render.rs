//! Personalised products with the real OpenSCAD and PrusaSlicer, on a farm
//! process with simulated printers: each unit its own G-code, values
//! checked at submission, units that cannot render held for review, and a
//! render cut by `kill -9` done again after the restart. Skipped, saying
//! so, when the tools are not installed (`.ci/run` installs them).

use crate::farm_support::{count, state, TestFarm, TestPrinter};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const INJECTION: &str = r#"X"; echo("INJECTED"); x=""#;

/// True when OpenSCAD and PrusaSlicer run; otherwise says why the test skips.
fn tools_present(test: &str) -> bool {
    let runs = |tool: &str, arg: &str| {
        std::process::Command::new(tool)
            .arg(arg)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok()
    };
    let present = runs("openscad", "--version") && runs("prusa-slicer", "--help");
    if !present {
        eprintln!(
            "SKIPPED {test}: needs openscad and prusa-slicer \
             (apt-get install -y openscad prusa-slicer fonts-dejavu-core)"
        );
    }
    present
}

fn products_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("products")
}

/// A farm of two self-clearing PLA printers that loads the demo name tag.
async fn nametag_farm() -> TestFarm {
    let printers = [
        TestPrinter {
            auto_eject: true,
            ..TestPrinter::pla("p1")
        },
        TestPrinter {
            auto_eject: true,
            ..TestPrinter::pla("p2")
        },
    ];
    let extra = format!("products_dir = \"{}\"", products_dir().display());
    let farm = TestFarm::start_with(&printers, &extra).await;
    let products = farm.get("/api/products").await;
    assert_eq!(products[0]["sku"], "nametag", "{products}\n{}", farm.log());
    farm
}

fn order(external_id: &str, names: &[&str]) -> Value {
    let units: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
    json!({
        "external_id": external_id, "customer_ref": "c",
        "items": [{ "sku": "nametag", "quantity": names.len(), "personalisation": units }]
    })
}

fn job_ids(created: &Value) -> Vec<String> {
    created["job_ids"]
        .as_array()
        .expect("job_ids")
        .iter()
        .map(|j| j.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Polls one job until `done` holds for its view.
async fn wait_job(farm: &TestFarm, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let job = farm.get(&format!("/api/jobs/{id}")).await;
        if done(&job) {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {job:#}\n{}",
            farm.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn max_x(file: &Value) -> f64 {
    file["analysis"]["extrusion_extents"]["max"][0]
        .as_f64()
        .expect("extents")
}

#[tokio::test]
async fn each_name_prints_its_own_gcode_and_the_order_completes() {
    if !tools_present("each_name_prints_its_own_gcode_and_the_order_completes") {
        return;
    }
    let farm = nametag_farm().await;
    let names = ["Al", "Charlotte", "Zoë", INJECTION, "Al"];
    let (status, created) = farm.post("/api/orders", order("o-names", &names)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let ids = job_ids(&created);
    let order_id = created["id"].as_str().unwrap_or_default().to_owned();
    farm.wait_jobs("every unit printed", Duration::from_secs(300), |jobs| {
        count(jobs, "completed") == names.len()
    })
    .await;
    let order = farm.get(&format!("/api/orders/{order_id}")).await;
    assert_eq!(order["status"], "completed", "{order:#}");

    let mut by_name: Vec<(String, Value, Value)> = Vec::new();
    for id in &ids {
        let job = farm.get(&format!("/api/jobs/{id}")).await;
        assert_eq!(job["render"]["state"], "done", "{job:#}");
        let file_id = job["file_id"].as_str().expect("rendered file");
        let file = farm.get(&format!("/api/files/{file_id}")).await;
        let name = job["render"]["values"]["name"].as_str().unwrap_or_default();
        by_name.push((name.to_owned(), job, file));
    }
    // What OpenSCAD applied is the literal text, the injection included.
    let applied: Vec<&str> = by_name.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(applied, names);
    assert!(!farm.log().contains("INJECTED\""), "{}", farm.log());

    // Equal values render once: the two "Al" units share one G-code.
    assert_eq!(by_name[0].1["file_id"], by_name[4].1["file_id"]);
    assert_eq!(by_name[0].1["render"]["key"], by_name[4].1["render"]["key"]);
    let distinct: std::collections::BTreeSet<&str> = by_name[..4]
        .iter()
        .map(|(_, _, f)| f["sha256"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(distinct.len(), 4, "four names, four G-codes");

    // The tag grows with the name: the longest text, the injection read as
    // 26 characters of text, makes the widest tag.
    let mut widths: Vec<(usize, f64)> = by_name[..4]
        .iter()
        .map(|(n, _, f)| (n.chars().count(), max_x(f)))
        .collect();
    widths.sort_by_key(|(len, _)| *len);
    assert!(
        widths.windows(2).all(|w| w[0].1 < w[1].1),
        "extents by name length: {widths:?}"
    );
    assert_downloads(&farm, &ids[1], &by_name[1].2).await;
}

/// The unit's G-code downloads with the recorded hash; its STL is there too.
async fn assert_downloads(farm: &TestFarm, job: &str, file: &Value) {
    let download = |what: &str| {
        farm.client
            .get(farm.url(&format!("/api/jobs/{job}/{what}")))
            .header("X-Api-Key", &farm.key)
            .send()
    };
    let gcode = download("gcode").await.expect("gcode");
    assert_eq!(gcode.status(), StatusCode::OK);
    let bytes = gcode.bytes().await.expect("gcode bytes");
    let sha = sha2_hex(&bytes);
    assert_eq!(file["sha256"].as_str(), Some(sha.as_str()));
    let stl = download("stl").await.expect("stl");
    assert_eq!(stl.status(), StatusCode::OK);
    assert!(stl.bytes().await.expect("stl bytes").len() > 84);
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn bad_values_are_refused_and_an_unprintable_name_waits_for_review() {
    if !tools_present("bad_values_are_refused_and_an_unprintable_name_waits_for_review") {
        return;
    }
    let farm = nametag_farm().await;
    let unit = |values: Value| {
        json!({"external_id": "bad", "customer_ref": "c",
               "items": [{"sku": "nametag", "quantity": 2, "personalisation": [{"name": "Ok"}, values]}]})
    };
    let refused = [
        (json!({"name": "Al中"}), "items[0].personalisation[1].name"),
        (json!({"name": "Zoë😀"}), "items[0].personalisation[1].name"),
        (
            json!({"name": "A".repeat(41)}),
            "items[0].personalisation[1].name",
        ),
        (
            json!({"name": "Al", "colour": "red"}),
            "items[0].personalisation[1].colour",
        ),
        (
            json!({"name": "Al", "font_size": 40}),
            "items[0].personalisation[1].font_size",
        ),
        (json!({"font_size": 8}), "items[0].personalisation[1].name"),
    ];
    for (values, field) in refused {
        let (status, body) = farm.post("/api/orders", unit(values.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{values}: {body}");
        assert_eq!(body["field"], field, "{values}: {body}");
    }
    let (status, body) = farm
        .post(
            "/api/orders",
            json!({"external_id": "n", "customer_ref": "c",
                   "items": [{"sku": "nametag", "quantity": 3, "personalisation": [{"name": "A"}]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "items[0].personalisation");
    assert!(farm.jobs().await.is_empty(), "nothing refused was queued");

    // 40 wide letters at the largest size fit no bed: held for review, why shown.
    let wide = "W".repeat(40);
    let too_wide = json!({"external_id": "wide", "customer_ref": "c",
        "items": [{"sku": "nametag", "quantity": 1, "personalisation": {"name": wide, "font_size": 16}}]});
    let (status, created) = farm.post("/api/orders", too_wide).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = job_ids(&created).remove(0);
    let job = wait_job(&farm, &id, "review", |j| state(j) == "needs_review").await;
    let reason = job["render"]["error"].as_str().unwrap_or_default();
    assert!(reason.contains("bed"), "{job:#}");

    // The operator corrects the name; the unit renders and prints.
    let path = format!("/api/jobs/{id}/personalisation");
    let (status, body) = farm
        .post(
            &path,
            json!({"personalisation": {"name": "Wanda", "font_size": 16}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let job = wait_job(&farm, &id, "the corrected unit", |j| {
        state(j) == "completed"
    })
    .await;
    assert_eq!(job["personalisation"]["name"], "Wanda");
    assert_eq!(job["attempts"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_render_cut_by_kill9_is_done_again_and_printed_once() {
    if !tools_present("a_render_cut_by_kill9_is_done_again_and_printed_once") {
        return;
    }
    let mut farm = nametag_farm().await;
    let (status, created) = farm
        .post("/api/orders", order("o-kill", &["Kasimir"]))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = job_ids(&created).remove(0);
    wait_job(&farm, &id, "a running render", |j| {
        j["render"]["state"] == "running"
    })
    .await;
    farm.kill9();
    farm.spawn().await;
    let job = wait_job(&farm, &id, "the unit printed", |j| state(j) == "completed").await;
    assert_eq!(job["render"]["state"], "done");
    assert_eq!(job["attempts"].as_array().map(Vec::len), Some(1), "{job:#}");
    let order = farm
        .get(&format!(
            "/api/orders/{}",
            created["id"].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(order["status"], "completed");
    let work = farm.dir.path().join("data/renders/work");
    let left: Vec<_> = std::fs::read_dir(&work)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "render work directories left: {left:?}");
}

/// Multipart parts of a product made from the demo name tag's files.
fn nametag_form(sku: &str, spec: &Value, template: &[u8]) -> reqwest::multipart::Form {
    let profile = std::fs::read(products_dir().join("nametag/profile.ini")).expect("profile");
    reqwest::multipart::Form::new()
        .text("sku", sku.to_owned())
        .text("spec", spec.to_string())
        .part(
            "template",
            reqwest::multipart::Part::bytes(template.to_vec()).file_name("tag.scad"),
        )
        .part(
            "profile",
            reqwest::multipart::Part::bytes(profile).file_name("profile.ini"),
        )
}

async fn define(farm: &TestFarm, form: reqwest::multipart::Form) -> (StatusCode, Value) {
    let response = farm
        .client
        .post(farm.url("/api/products"))
        .header("X-Api-Key", &farm.key)
        .multipart(form)
        .send()
        .await
        .expect("POST /api/products");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn products_are_versioned_checked_by_a_render_and_retired() {
    if !tools_present("products_are_versioned_checked_by_a_render_and_retired") {
        return;
    }
    let farm = nametag_farm().await;
    let template = std::fs::read(products_dir().join("nametag/template.scad")).expect("scad");
    let spec_text =
        std::fs::read_to_string(products_dir().join("nametag/spec.json")).expect("spec");
    let spec: Value = serde_json::from_str(&spec_text).expect("spec json");

    let broken = b"name = \"Alice\";\ncube([10, 10, 10]\n";
    let (status, body) = define(&farm, nametag_form("tag2", &spec, broken)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "template");
    assert!(
        body["error"].as_str().unwrap_or_default().contains("error"),
        "the tool's own message: {body}"
    );

    let (status, first) = define(&farm, nametag_form("tag2", &spec, &template)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["version"], 1);
    let (status, same) = define(&farm, nametag_form("tag2", &spec, &template)).await;
    assert_eq!(status, StatusCode::OK, "unchanged: {same}");
    assert_eq!(same["version"], 1);

    let (status, created) = farm.post("/api/orders", sku_order("tag2", "v1")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mut renamed = spec.clone();
    renamed["name"] = json!("Name tag, second edition");
    let (status, second) = define(&farm, nametag_form("tag2", &renamed, &template)).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["version"], 2);
    let current = farm.get("/api/products/tag2").await;
    assert_eq!(current["version"], 2);
    assert_eq!(current["versions"], json!([1, 2]));
    let old = farm.get("/api/products/tag2?version=1").await;
    assert_eq!(old["spec"]["name"], spec["name"]);
    let order = farm
        .get(&format!(
            "/api/orders/{}",
            created["id"].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(
        order["items"][0]["product_version"], 1,
        "orders keep their version"
    );

    let retired = farm
        .client
        .delete(farm.url("/api/products/tag2"))
        .header("X-Api-Key", &farm.key)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(retired.status(), StatusCode::NO_CONTENT);
    let (status, body) = farm.post("/api/orders", sku_order("tag2", "v3")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "items[0].sku");
}

fn sku_order(sku: &str, external_id: &str) -> Value {
    json!({"external_id": external_id, "customer_ref": "c",
           "items": [{"sku": sku, "quantity": 1, "personalisation": {"name": "Vera"}}]})
}

#[tokio::test]
async fn without_the_tools_the_farm_says_what_cannot_render_and_prints_files() {
    let empty = tempfile::tempdir().expect("temp dir");
    let path = empty.path().display().to_string();
    let extra = format!("products_dir = \"{}\"", products_dir().display());
    let farm =
        TestFarm::start_with_env(&[TestPrinter::pla("p1")], &extra, &[("PATH", &path)]).await;
    let log = farm.log();
    assert!(
        log.contains("cannot render (nametag)") && log.contains("apt-get install"),
        "{log}"
    );
    let (status, body) = farm
        .post("/api/orders", sku_order("nametag", "no-tools"))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("openscad"),
        "{body}"
    );

    let file = farm.upload(&crate::farm_support::sample()).await;
    let plain = json!({"external_id": "plain", "customer_ref": "c",
                       "items": [{"file_id": file, "quantity": 1}]});
    let (status, created) = farm.post("/api/orders", plain).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    farm.wait_jobs("the fixed file printed", Duration::from_secs(120), |jobs| {
        count(jobs, "completed") == 1 || count(jobs, "awaiting_clear") == 1
    })
    .await;
}
