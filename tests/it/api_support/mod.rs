//! Shared fixtures for the API tests: the demo `printers.toml`, a fresh
//! SQLite file, the real farm service (supervisors and drivers) and the API
//! served on a loopback port.
//!
//! [`start`] runs the farm with its printers unplugged (each driver's
//! serial port does not exist, so every printer stays offline and jobs stay
//! queued); [`start_printing`] runs the demo's simulated printers on
//! pseudo-terminals at high speed.

#![allow(dead_code)]

use printfarm::api::{self, FarmEvent};
use printfarm::config::{Config, Connection};
use printfarm::farm::Service;
use printfarm::store::{Role, Store};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::broadcast;

/// A running API with its store, farm and one key per role.
pub struct TestApi {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The store behind the API.
    pub store: Store,
    /// The event channel the API streams from.
    pub events: broadcast::Sender<FarmEvent>,
    /// Keys by role name: `operator`, `technician`, `shop`, `shop2`.
    pub keys: HashMap<&'static str, String>,
    /// The data directory.
    pub data_dir: PathBuf,
    service: Option<Service>,
    _dir: TempDir,
}

/// The demo farm's configuration with `data_dir` in `dir`.
pub fn demo_config(dir: &std::path::Path, max_upload_mb: u64) -> Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/printers.toml");
    let mut config = Config::load(std::path::Path::new(path)).unwrap();
    config.farm.data_dir = dir.join("data");
    config.farm.max_upload_mb = max_upload_mb;
    // The demo's product folders are rendered at start; tests of products
    // load them themselves.
    config.farm.products_dir = None;
    config
}

/// What the test farm's printers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printers {
    /// Configured on serial ports that do not exist: always offline.
    Unplugged,
    /// The demo's virtual printers, fast.
    Simulated,
}

/// Starts the API over a fresh database and unplugged printers, with a
/// 1 MiB upload limit.
pub async fn start() -> TestApi {
    start_with(Printers::Unplugged, 1).await
}

/// Starts the API with the demo's simulated printers, fast.
pub async fn start_printing() -> TestApi {
    start_with(Printers::Simulated, 1).await
}

/// Starts the API with these printers and upload limit.
pub async fn start_with(printers: Printers, max_upload_mb: u64) -> TestApi {
    start_configured(printers, max_upload_mb, |_| {}).await
}

/// Starts the API with these printers and upload limit, after `adjust` has
/// changed the demo configuration.
pub async fn start_configured(
    printers: Printers,
    max_upload_mb: u64,
    adjust: impl FnOnce(&mut Config),
) -> TestApi {
    let dir = tempfile::tempdir().unwrap();
    let mut config = demo_config(dir.path(), max_upload_mb);
    adjust(&mut config);
    for profile in &mut config.printers {
        match (&mut profile.connection, printers) {
            (connection, Printers::Unplugged) => {
                let port = dir.path().join("unplugged").join(&profile.name);
                *connection = Connection::Serial { port };
            }
            (Connection::Sim(sim), Printers::Simulated) => {
                sim.speed = 3000.0;
                sim.baud = 2_000_000;
                sim.latency_ms = 1;
            }
            _ => {}
        }
    }
    let store = Store::open_sqlite(&dir.path().join("farm.db"))
        .await
        .unwrap();
    let mut keys = HashMap::new();
    for (name, role) in [
        ("operator", Role::Operator),
        ("technician", Role::Technician),
        ("shop", Role::Shop),
        ("shop2", Role::Shop),
    ] {
        keys.insert(name, store.create_api_key(role, name).await.unwrap().1);
    }
    let data_dir = config.farm.data_dir.clone();
    let service = Service::start(&config, store.clone()).await.unwrap();
    let events = service.state.events.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(api::serve(
        listener,
        service.state.clone(),
        std::future::pending(),
    ));
    TestApi {
        base,
        client: reqwest::Client::new(),
        store,
        events,
        keys,
        data_dir,
        service: Some(service),
        _dir: dir,
    }
}

/// A small G-code file that extrudes a square from (10, 10) to (`max_x`, 50).
pub fn square_gcode(max_x: f64) -> String {
    format!(
        "M104 S210\nM140 S60\nG28\nG90\nM82\nG92 E0\nG1 Z0.2 F600\nG1 X10 Y10 F3000\n\
         G1 X{max_x} Y10 E5 F1500\nG1 X{max_x} Y50 E10\nG1 X10 Y50 E15\nG1 X10 Y10 E20\nM104 S0\n"
    )
}

/// A job that keeps a fast virtual printer (speed 3000) busy for about
/// `seconds` seconds: a square, then dwells of a minute each.
pub fn long_gcode(seconds: u32) -> String {
    let mut text = square_gcode(60.0);
    for _ in 0..seconds * 50 {
        text.push_str("G4 S60\n");
    }
    text
}

/// The PrusaSlicer name tag (a copy of the corpus file kept in the repository).
pub fn corpus_nametag() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/gcode-samples/prusaslicer/nametag-alice__mk3s_m73_limits.gcode"
    );
    std::fs::read(path).unwrap()
}

impl TestApi {
    /// Stops the farm (printers left safe).
    pub async fn stop(mut self) {
        if let Some(service) = self.service.take() {
            service.shutdown().await;
        }
    }

    /// Polls `GET path` as the operator until `done` holds for the body
    /// (or panics after `timeout`); returns that body.
    pub async fn wait_for(
        &self,
        path: &str,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut events = self.events.subscribe();
        loop {
            let (_, body) = self.get("operator", path).await;
            if done(&body) {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting on {path}: {body}"
            );
            // Wait for the next farm event (or a short poll when the
            // condition depends on live state that sends no event).
            let _ = tokio::time::timeout(Duration::from_millis(200), events.recv()).await;
        }
    }

    /// The printer's view from `GET /api/printers`.
    pub async fn printer(&self, name: &str) -> Value {
        let (_, printers) = self.get("operator", "/api/printers").await;
        printers
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// The key of a role name.
    pub fn key(&self, role: &str) -> &str {
        self.keys
            .get(role)
            .map(String::as_str)
            .unwrap_or("no-such-key")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request and returns the status and the JSON body (Null when not JSON).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET path` as `role`.
    pub async fn get(&self, role: &str, path: &str) -> (StatusCode, Value) {
        self.send(
            self.client
                .get(self.url(path))
                .header("X-Api-Key", self.key(role)),
        )
        .await
    }

    /// `POST path` with a JSON body as `role`.
    pub async fn post(&self, role: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let request = self
            .client
            .post(self.url(path))
            .header("X-Api-Key", self.key(role))
            .json(body);
        self.send(request).await
    }

    /// `POST path` with a raw body as `role`.
    pub async fn post_raw(&self, role: &str, path: &str, body: &str) -> (StatusCode, Value) {
        let request = self
            .client
            .post(self.url(path))
            .header("X-Api-Key", self.key(role))
            .header("Content-Type", "application/json")
            .body(body.to_owned());
        self.send(request).await
    }

    /// Uploads `content` as the multipart field `field` as `role`.
    pub async fn upload_as(
        &self,
        role: &str,
        field: &str,
        content: Vec<u8>,
    ) -> (StatusCode, Value) {
        let part = reqwest::multipart::Part::bytes(content).file_name("part.gcode");
        let form = reqwest::multipart::Form::new().part(field.to_owned(), part);
        let request = self
            .client
            .post(self.url("/api/files"))
            .header("X-Api-Key", self.key(role))
            .multipart(form);
        self.send(request).await
    }

    /// Uploads G-code as the operator and returns the file id.
    pub async fn upload(&self, gcode: &str) -> String {
        self.upload_by("operator", gcode).await
    }

    /// Uploads G-code as `role` and returns the file id.
    pub async fn upload_by(&self, role: &str, gcode: &str) -> String {
        let (status, body) = self
            .upload_as(role, "file", gcode.as_bytes().to_vec())
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }
}
