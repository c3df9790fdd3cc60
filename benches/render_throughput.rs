//! Personalised-product rendering: units rendered per minute, cold and
//! cached, and the time from an order of 20 distinct names accepted to its
//! last unit queued. A plain `main` that prints markdown; run with
//! `cargo bench --bench render_throughput` (needs `openscad` and
//! `prusa-slicer`; never part of `cargo test`).
//!
//! The baseline, in the same run, is the two tools run by hand on the demo
//! name tag (`openscad -p params.json -P set`, then `prusa-slicer
//! --export-gcode`), one unit after another and two at a time: what an
//! operator's script would do without printfarm. printfarm runs the same
//! tools, plus the wrapper's read-back of applied values, the bed check,
//! its own G-code analysis and the store, on `render_workers` workers.

use printfarm::api;
use printfarm::config::Config;
use printfarm::farm::Service;
use printfarm::store::{Role, Store};
use reqwest::Client;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Distinct names per order.
const NAMES: usize = 20;
/// Units the hand-run baseline renders.
const BASELINE_UNITS: usize = 8;

fn products() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("products/nametag")
}

fn names(round: &str) -> Vec<String> {
    (0..NAMES).map(|i| format!("{round} Name {i:02}")).collect()
}

/// One unit by hand: OpenSCAD to STL, PrusaSlicer to G-code.
fn by_hand(dir: &Path, name: &str) -> Duration {
    let started = Instant::now();
    let params = json!({"fileFormatVersion": "1",
                        "parameterSets": {"set": {"name": name, "font_size": "10"}}});
    std::fs::write(dir.join("params.json"), params.to_string()).expect("params");
    let template = products().join("template.scad");
    let ok = Command::new("openscad")
        .current_dir(dir)
        .args(["-o", "part.stl", "-p", "params.json", "-P", "set"])
        .arg(&template)
        .output()
        .expect("openscad")
        .status
        .success();
    assert!(ok, "openscad failed");
    let ok = Command::new("prusa-slicer")
        .current_dir(dir)
        .args(["--export-gcode", "--load"])
        .arg(products().join("profile.ini"))
        .args(["-o", "part.gcode", "part.stl"])
        .output()
        .expect("prusa-slicer")
        .status
        .success();
    assert!(ok, "prusa-slicer failed");
    started.elapsed()
}

/// Units per minute of the hand-run pipeline with `parallel` at a time.
fn baseline(parallel: usize) -> f64 {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for lane in 0..parallel {
            scope.spawn(move || {
                let dir = tempfile::tempdir().expect("temp dir");
                for unit in (lane..BASELINE_UNITS).step_by(parallel) {
                    by_hand(dir.path(), &format!("Hand Name {unit:02}"));
                }
            });
        }
    });
    BASELINE_UNITS as f64 * 60.0 / started.elapsed().as_secs_f64()
}

fn farm_toml(dir: &Path) -> String {
    format!(
        "[farm]\ndatabase_url = \"sqlite://{0}/farm.db?mode=rwc\"\nlisten = \"127.0.0.1:0\"\n\
         data_dir = \"{0}/data\"\nproducts_dir = \"{1}\"\n\n[[printer]]\nname = \"sim-1\"\n\
         sim = {{ speed = 60.0, baud = 250000 }}\nbuild_volume = [250.0, 210.0, 210.0]\n\
         min_position = [0.0, -4.0, 0.0]\nnozzle_diameter = 0.4\n\
         max_hotend_temp = 300.0\nmax_bed_temp = 120.0\nauto_eject = true\n\
         materials = [{{ material = \"PLA\", colour = \"black\" }}]\n",
        dir.display(),
        products().parent().expect("products").display()
    )
}

struct Farm {
    _dir: tempfile::TempDir,
    service: Service,
    base: String,
    key: String,
    client: Client,
}

async fn start() -> Farm {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::from_toml_str(&farm_toml(dir.path()), "render.toml").expect("config");
    std::fs::create_dir_all(&config.farm.data_dir).expect("data dir");
    let store = Store::connect(&config.farm.database_url)
        .await
        .expect("store");
    let (_, key) = store
        .create_api_key(Role::Operator, "bench")
        .await
        .expect("key");
    let service = Service::start(&config, store).await.expect("farm");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(api::serve(
        listener,
        service.state.clone(),
        std::future::pending(),
    ));
    Farm {
        _dir: dir,
        service,
        base,
        key,
        client: Client::new(),
    }
}

impl Farm {
    /// Places an order of one unit per name; returns its job ids and when
    /// it was accepted.
    async fn order(&self, id: &str, names: &[String]) -> (Vec<String>, Instant) {
        let units: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
        let body = json!({"external_id": id, "customer_ref": "bench",
            "items": [{"sku": "nametag", "quantity": names.len(), "personalisation": units}]});
        let response = self
            .client
            .post(format!("{}/api/orders", self.base))
            .header("X-Api-Key", &self.key)
            .json(&body)
            .send()
            .await
            .expect("order");
        let accepted = Instant::now();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.expect("json");
        let ids = created["job_ids"]
            .as_array()
            .expect("ids")
            .iter()
            .filter_map(|j| j.as_str().map(str::to_owned))
            .collect();
        (ids, accepted)
    }

    /// The jobs in `state`.
    async fn listing(&self, state: &str) -> Vec<Value> {
        let listed: Value = self
            .client
            .get(format!("{}/api/jobs?state={state}&limit=1000", self.base))
            .header("X-Api-Key", &self.key)
            .send()
            .await
            .expect("jobs")
            .json()
            .await
            .expect("json");
        listed
            .as_array()
            .or_else(|| listed["jobs"].as_array())
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until none of `jobs` is rendering (one listing every 50 ms);
    /// the time since `accepted`.
    async fn rendered(&self, jobs: &[String], accepted: Instant) -> Duration {
        loop {
            let rendering = self
                .listing("rendering")
                .await
                .iter()
                .filter(|j| jobs.iter().any(|id| j["id"] == id.as_str()))
                .count();
            if rendering == 0 {
                return accepted.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::main]
async fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("## Rendering personalised units ({cores} cores)\n");
    let serial = baseline(1);
    let parallel = baseline(2);
    let farm = start().await;
    let cold_names = names("Cold");
    let (jobs, accepted) = farm.order("cold", &cold_names).await;
    let cold = farm.rendered(&jobs, accepted).await;
    let (jobs, accepted) = farm.order("cached", &cold_names).await;
    let cached = farm.rendered(&jobs, accepted).await;
    let per_min = |d: Duration| NAMES as f64 * 60.0 / d.as_secs_f64();
    println!("| run | units | time | units/min | vs by hand, 2 at a time |");
    println!("|---|---:|---:|---:|---:|");
    let row = |what: &str, units: usize, secs: f64, rate: f64| {
        println!(
            "| {what} | {units} | {secs:.2} s | {rate:.1} | {:.2}× |",
            rate / parallel
        );
    };
    row(
        "by hand, one at a time",
        BASELINE_UNITS,
        BASELINE_UNITS as f64 * 60.0 / serial,
        serial,
    );
    row(
        "by hand, two at a time",
        BASELINE_UNITS,
        BASELINE_UNITS as f64 * 60.0 / parallel,
        parallel,
    );
    row(
        "printfarm, 20 distinct names (order accepted → last unit queued)",
        NAMES,
        cold.as_secs_f64(),
        per_min(cold),
    );
    println!(
        "| printfarm, the same 20 names again (cached: queued in the order's transaction) | {NAMES} | {:.1} ms | — | — |",
        cached.as_secs_f64() * 1000.0
    );
    let review = farm.listing("needs_review").await;
    assert!(review.is_empty(), "renders failed: {review:?}");
    farm.service.shutdown().await;
}
