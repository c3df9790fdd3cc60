//! Shared fixtures for the API tests: the demo `printers.toml`, a fresh
//! SQLite file, a recording stub farm and the API served on a loopback port.

#![allow(dead_code)]

use futures::future::BoxFuture;
use printfarm::api::{
    self, AppState, ControlError, FarmControl, FarmEvent, LivePrinter, PrinterCommand,
};
use printfarm::config::Config;
use printfarm::store::{Role, Store};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tempfile::TempDir;
use tokio::sync::broadcast;

/// A farm that records what the API asks of it.
#[derive(Default)]
pub struct StubFarm {
    /// Commands received, in order.
    pub commands: Mutex<Vec<(String, PrinterCommand)>>,
    /// How often the scheduler was woken.
    pub wakes: AtomicUsize,
    /// What `live_printers` returns.
    pub live: Mutex<Vec<LivePrinter>>,
    /// Canned failures per printer name.
    pub refuse: Mutex<HashMap<String, ControlError>>,
}

impl StubFarm {
    /// The commands received so far.
    pub fn commands(&self) -> Vec<(String, PrinterCommand)> {
        self.commands.lock().unwrap().clone()
    }

    /// How often the scheduler was woken.
    pub fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl FarmControl for StubFarm {
    fn live_printers(&self) -> Vec<LivePrinter> {
        self.live.lock().unwrap().clone()
    }

    fn command(
        &self,
        printer: &str,
        command: PrinterCommand,
    ) -> BoxFuture<'static, Result<(), ControlError>> {
        let result = match self.refuse.lock().unwrap().get(printer) {
            Some(error) => Err(error.clone()),
            None => {
                self.commands
                    .lock()
                    .unwrap()
                    .push((printer.to_owned(), command));
                Ok(())
            }
        };
        Box::pin(async move { result })
    }

    fn wake_scheduler(&self) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A running API with its store, stub farm and one key per role.
pub struct TestApi {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The store behind the API.
    pub store: Store,
    /// The stub farm.
    pub farm: Arc<StubFarm>,
    /// The event channel the API streams from.
    pub events: broadcast::Sender<FarmEvent>,
    /// Keys by role name: `operator`, `technician`, `shop`, `shop2`.
    pub keys: HashMap<&'static str, String>,
    /// The data directory.
    pub data_dir: PathBuf,
    _dir: TempDir,
}

/// The demo farm's configuration with `data_dir` in `dir`.
pub fn demo_config(dir: &std::path::Path, max_upload_mb: u64) -> Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/printers.toml");
    let mut config = Config::load(std::path::Path::new(path)).unwrap();
    config.farm.data_dir = dir.join("data");
    config.farm.max_upload_mb = max_upload_mb;
    config
}

/// Starts the API over a fresh database, with a 1 MiB upload limit.
pub async fn start() -> TestApi {
    start_with(1, 64).await
}

/// Starts the API with an upload limit and an event channel capacity.
pub async fn start_with(max_upload_mb: u64, event_capacity: usize) -> TestApi {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path(), max_upload_mb);
    let store = Store::open_sqlite(&dir.path().join("farm.db"))
        .await
        .unwrap();
    let names: Vec<String> = config.printers.iter().map(|p| p.name.clone()).collect();
    store.register_printers(&names).await.unwrap();
    let mut keys = HashMap::new();
    for (name, role) in [
        ("operator", Role::Operator),
        ("technician", Role::Technician),
        ("shop", Role::Shop),
        ("shop2", Role::Shop),
    ] {
        keys.insert(name, store.create_api_key(role, name).await.unwrap().1);
    }
    let farm = Arc::new(StubFarm::default());
    let (events, _) = broadcast::channel(event_capacity);
    let data_dir = config.farm.data_dir.clone();
    let state = AppState {
        store: store.clone(),
        config: Arc::new(config),
        farm: farm.clone(),
        events: events.clone(),
        data_dir: data_dir.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(api::serve(listener, state, std::future::pending()));
    TestApi {
        base,
        client: reqwest::Client::new(),
        store,
        farm,
        events,
        keys,
        data_dir,
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

/// The PrusaSlicer name tag (a copy of the corpus file kept in the repository).
pub fn corpus_nametag() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/gcode-samples/prusaslicer/nametag-alice__mk3s_m73_limits.gcode"
    );
    std::fs::read(path).unwrap()
}

impl TestApi {
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
        let (status, body) = self
            .upload_as("operator", "file", gcode.as_bytes().to_vec())
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }
}
