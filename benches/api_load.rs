//! Farm-service load test: job submission throughput and API latency while
//! simulated printers print. A plain `main` (no harness) that prints markdown
//! tables; run with `cargo bench --bench api_load` (never part of `cargo test`).
//!
//! Three parts, each on its own temporary SQLite file:
//! 1. **store enqueue**: `Store::create_jobs` (quantity 1) from 4 and 16
//!    concurrent tasks, 5 s each, no HTTP and no farm; then the two reads
//!    whose cost grows with the queue (`queued_jobs`, `list_jobs`) over the
//!    jobs just created;
//! 2. **HTTP enqueue**: `POST /api/jobs` (quantity 1) from 4 and 16 closed-loop
//!    clients, 5 s each, against the real farm (16 simulated printers, the
//!    scheduler woken by every submission);
//! 3. **latency**: on a fresh farm per rate (200 and 500 req/s), an open-loop
//!    mix of reads and submissions for 20 s while the 16 printers print; the
//!    first farm also reports its CPU use without API load and each request
//!    kind's service time at low load. Each request is due at a fixed
//!    time; its latency runs from that due time to the last byte of the body,
//!    so a stalled server cannot hide queueing delay (no coordinated omission).
//!
//! The farm runs in-process, started as `printfarm serve` starts it, on its own
//! tokio runtime (threads `farm-rt`); the load generator runs on another
//! (thread `load-rt`), so the farm's CPU time can be told apart from the
//! client's through `/proc/self/task/*/stat`.

use printfarm::api;
use printfarm::config::Config;
use printfarm::farm::Service;
use printfarm::store::{FileKeys, JobFilter, JobState, NewFile, NewJob, Role, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Client;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The sample every job prints (a ~12-minute name tag; ~12 s at speed 60).
const SAMPLE: &str = "gcode-samples/prusaslicer/nametag-alice__mk3s_m73_limits.gcode";
/// Simulated printers in the farm.
const PRINTERS: usize = 16;
/// Concurrent clients of the enqueue runs.
const CLIENTS: [usize; 2] = [4, 16];
/// Length of each enqueue run.
const ENQUEUE_RUN: Duration = Duration::from_secs(5);
/// Requests per second of the latency runs unless `API_LOAD_RATES` (a
/// comma-separated list) says otherwise.
const RATES: &str = "1000,3000,5000";
/// Sequential requests per kind for the low-load service times.
const BASELINE_REQUESTS: usize = 40;
/// Length of each latency run, unless `API_LOAD_SECONDS` says otherwise.
const LATENCY_RUN_S: u64 = 20;
/// Jobs queued before the latency run so every printer stays busy.
const BACKLOG: u32 = 200;
/// Timings of each store read (the median is reported).
const READ_REPEATS: usize = 5;
/// How long the farm's CPU use without API load is sampled.
const IDLE_CPU_RUN: Duration = Duration::from_secs(5);
/// Linux reports thread CPU time in clock ticks of 1/100 s (`USER_HZ`).
const TICKS_PER_S: f64 = 100.0;

/// The parts to run (`API_LOAD_PARTS`, default `store,http,latency`).
fn parts() -> String {
    std::env::var("API_LOAD_PARTS").unwrap_or_else(|_| "store,http,latency".to_owned())
}

/// The latency runs' rates (`API_LOAD_RATES`).
fn rates() -> Vec<f64> {
    let text = std::env::var("API_LOAD_RATES").unwrap_or_else(|_| RATES.to_owned());
    text.split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect()
}

/// Length of each latency run (`API_LOAD_SECONDS`).
fn latency_run() -> Duration {
    let seconds = std::env::var("API_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(LATENCY_RUN_S);
    Duration::from_secs(seconds)
}

fn main() {
    init_tracing();
    let farm_rt = runtime("farm-rt", 2);
    let load_rt = runtime("load-rt", 1);
    println!("# api_load\n");
    println!("{}\n", machine());
    let parts = parts();
    if parts.contains("store") {
        farm_rt.block_on(store_enqueue());
    }
    if parts.contains("http") {
        http_enqueue(&farm_rt, &load_rt);
    }
    if parts.contains("latency") {
        for (i, rate) in rates().into_iter().enumerate() {
            latency(&farm_rt, &load_rt, rate, i == 0);
        }
    }
}

/// Warnings and errors of the farm on stderr (`RUST_LOG` overrides).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A multi-thread runtime whose threads are all called `name`.
fn runtime(name: &str, workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// `nproc`, CPU model and load average at the start.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']))
        .unwrap_or("unknown");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "machine: {cores} CPUs, {model}; load average at start: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

// ---------------------------------------------------------------- the farm

/// An in-process farm with its API on a loopback port.
struct RunningFarm {
    _dir: tempfile::TempDir,
    base: String,
    key: String,
    service: Service,
    stop_server: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
}

/// `printers.toml` text: a temp SQLite file and `count` simulated MK3S-like
/// PLA printers that eject their parts, so they keep printing.
fn farm_toml(dir: &Path, count: usize) -> String {
    let mut text = format!(
        "[farm]\ndatabase_url = \"sqlite://{}/farm.db?mode=rwc\"\nlisten = \"127.0.0.1:0\"\n\
         data_dir = \"{}\"\nmax_upload_mb = 20\nrequeue_limit = 3\n",
        dir.display(),
        dir.join("data").display()
    );
    for i in 0..count {
        text.push_str(&format!(
            "\n[[printer]]\nname = \"sim-{i:02}\"\nsim = {{ speed = 60.0, baud = 250000 }}\n\
             build_volume = [250.0, 210.0, 210.0]\nmin_position = [0.0, -4.0, 0.0]\n\
             nozzle_diameter = 0.4\nmax_hotend_temp = 300.0\nmax_bed_temp = 120.0\n\
             materials = [{{ material = \"PLA\", colour = \"black\" }}]\nauto_eject = true\n"
        ));
    }
    text
}

/// Starts the farm as `printfarm serve` does, with an operator key.
async fn start_farm(printers: usize) -> RunningFarm {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::from_toml_str(&farm_toml(dir.path(), printers), "api_load.toml")
        .expect("bench config");
    std::fs::create_dir_all(&config.farm.data_dir).expect("data dir");
    let store = Store::connect(&config.farm.database_url)
        .await
        .expect("store")
        .with_requeue_limit(config.farm.requeue_limit);
    let (_, key) = store
        .create_api_key(Role::Operator, "api_load")
        .await
        .expect("api key");
    let service = Service::start(&config, store).await.expect("farm");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (stop_server, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(api::serve(listener, service.state.clone(), async {
        let _ = stopped.await;
    }));
    RunningFarm {
        _dir: dir,
        base,
        key,
        service,
        stop_server,
        server,
    }
}

impl RunningFarm {
    /// Stops the API, the event relay and the farm (printers left safe).
    async fn stop(self) {
        let _ = self.stop_server.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.server).await;
        self.service.shutdown().await;
    }
}

// ---------------------------------------------------------------- client

/// What the load generator needs to talk to the farm.
struct Api {
    client: Client,
    base: String,
    key: String,
}

impl Api {
    fn new(farm: &RunningFarm) -> Api {
        let client = Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        Api {
            client,
            base: farm.base.clone(),
            key: farm.key.clone(),
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .header("X-Api-Key", &self.key)
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .header("X-Api-Key", &self.key)
    }

    /// GET and parse JSON, panicking on failure (setup only).
    async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).send().await.expect("GET");
        assert!(response.status().is_success(), "GET {path}: {response:?}");
        response.json().await.expect("JSON")
    }

    /// Uploads the sample file; returns its id.
    async fn upload_sample(&self) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE);
        let bytes = std::fs::read(&path).expect("sample file");
        let part = reqwest::multipart::Part::bytes(bytes).file_name("nametag.gcode");
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = self
            .post("/api/files")
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert!(response.status().is_success(), "upload: {response:?}");
        let file: Value = response.json().await.expect("upload JSON");
        file["id"].as_str().expect("file id").to_owned()
    }

    /// Submits `quantity` PLA copies; returns the job ids (setup only).
    async fn submit(&self, file_id: &str, quantity: u32) -> Vec<String> {
        let body = json!({ "file_id": file_id, "quantity": quantity, "material": "PLA" });
        let response = self
            .post("/api/jobs")
            .json(&body)
            .send()
            .await
            .expect("submit");
        assert!(response.status().is_success(), "submit: {response:?}");
        let created: Value = response.json().await.expect("submit JSON");
        created["job_ids"]
            .as_array()
            .expect("job_ids")
            .iter()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect()
    }

    /// The queue length the stats endpoint reports.
    async fn queue_length(&self) -> i64 {
        self.get_json("/api/stats?window=1h").await["queue_length"]
            .as_i64()
            .unwrap_or(-1)
    }

    /// How many printers the drivers report as printing.
    async fn printing(&self) -> usize {
        let printers = self.get_json("/api/printers").await;
        printers.as_array().map_or(0, |list| {
            list.iter().filter(|p| p["state"] == "printing").count()
        })
    }
}

// ---------------------------------------------------------------- statistics

/// The `q`-quantile (0..=1) of sorted durations, nearest rank.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with two decimals.
fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// CPU ticks of the whole process and of each live thread.
struct CpuSample {
    at: Instant,
    process: u64,
    /// Thread id → (name, ticks).
    threads: BTreeMap<u32, (String, u64)>,
}

/// `utime + stime` from the text of a `stat` file, and the thread's name.
fn parse_stat(text: &str) -> Option<(String, u64)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = text.get(close + 2..)?.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

/// The group a thread's CPU time is reported under.
fn thread_group(comm: &str) -> &'static str {
    if comm.starts_with("load-rt") {
        "load generator (reqwest, `load-rt`)"
    } else if comm.starts_with("farm-rt") {
        "farm runtime: API, scheduler, drivers, simulators (`farm-rt`)"
    } else if comm.starts_with("sqlx-sqlite") {
        "SQLite connection threads (`sqlx-sqlite-worker`)"
    } else {
        "other threads"
    }
}

fn cpu_sample() -> CpuSample {
    let process = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|t| parse_stat(&t))
        .map_or(0, |(_, ticks)| ticks);
    let mut threads = BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/task").into_iter().flatten() {
        let Ok(entry) = entry else { continue };
        let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if let Some(thread) = parse_stat(&stat) {
            threads.insert(tid, thread);
        }
    }
    CpuSample {
        at: Instant::now(),
        process,
        threads,
    }
}

/// Ticks per thread group between two samples, for threads alive at the end.
fn group_deltas(before: &CpuSample, after: &CpuSample) -> BTreeMap<&'static str, u64> {
    let mut groups = BTreeMap::new();
    for (tid, (comm, ticks)) in &after.threads {
        let earlier = before.threads.get(tid).map_or(0, |(_, t)| *t);
        *groups.entry(thread_group(comm)).or_insert(0) += ticks.saturating_sub(earlier);
    }
    groups
}

/// A markdown table of CPU use between two samples, in % of one core.
fn cpu_table(before: &CpuSample, after: &CpuSample) -> String {
    let seconds = after.at.duration_since(before.at).as_secs_f64();
    let percent = |ticks: u64| format!("{:.0} %", ticks as f64 / TICKS_PER_S / seconds * 100.0);
    let groups = group_deltas(before, after);
    let total = after.process.saturating_sub(before.process);
    let client = groups.get(thread_group("load-rt")).copied().unwrap_or(0);
    let mut out = String::from("| threads | CPU (% of one core) |\n|---|---:|\n");
    for (name, ticks) in &groups {
        out.push_str(&format!("| {name} | {} |\n", percent(*ticks)));
    }
    let exited = total.saturating_sub(groups.values().sum());
    out.push_str(&format!(
        "| threads that ended during the run | {} |\n\
         | **farm total** (process − load generator) | **{}** |\n| process total | {} |\n",
        percent(exited),
        percent(total.saturating_sub(client)),
        percent(total)
    ));
    out
}

// ---------------------------------------------------------------- part 1

/// A file row for the store-only run (the sample's routing keys, roughly).
fn sample_file() -> NewFile {
    NewFile {
        sha256: "ab".repeat(32),
        original_name: "nametag.gcode".into(),
        size_bytes: 1_000_000,
        path: "/nowhere/nametag.gcode".into(),
        analysis: json!({}),
        keys: FileKeys {
            extents_min: Some([90.0, 80.0, 0.2]),
            extents_max: Some([160.0, 130.0, 5.0]),
            tools_used: vec![0],
            max_hotend_temp: Some(215.0),
            max_bed_temp: Some(60.0),
            nozzle_diameter: Some(0.4),
            estimated_time_s: Some(720.0),
            filament_mm: Some(2000.0),
            violations: json!([]),
            longest_line_bytes: Some(48),
        },
        line_count: Some(40_000),
        first_extrusion_line: Some(30),
        owner_key_id: None,
    }
}

/// Jobs per second through `Store::create_jobs` from `tasks` tasks.
async fn store_run(store: &Store, file_id: &str, tasks: usize) -> (f64, u64) {
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (store, done, errors) = (store.clone(), done.clone(), errors.clone());
            let new = NewJob {
                file_id: file_id.to_owned(),
                quantity: 1,
                priority: 0,
                due_at: None,
                material: Some("PLA".into()),
                colour: None,
                required_tags: Vec::new(),
                personalisation: None,
                owner_key_id: None,
            };
            tokio::spawn(async move {
                while start.elapsed() < ENQUEUE_RUN {
                    match store.create_jobs(&new).await {
                        Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                        Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("store task");
    }
    let rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    (rate, errors.load(Ordering::Relaxed))
}

/// Part 1: the store alone, on a fresh SQLite file.
async fn store_enqueue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_sqlite(&dir.path().join("store.db"))
        .await
        .expect("store");
    let file = store.insert_file(sample_file()).await.expect("file row");
    println!("## Store::create_jobs (quantity 1), SQLite file, no HTTP\n");
    println!("| concurrent tasks | duration | jobs/s | errors |\n|---:|---:|---:|---:|");
    for tasks in CLIENTS {
        let (rate, errors) = store_run(&store, &file.id, tasks).await;
        println!(
            "| {tasks} | {} s | {rate:.0} | {errors} |",
            ENQUEUE_RUN.as_secs()
        );
    }
    println!();
    store_reads(&store).await;
    store.close().await;
}

/// Median of `READ_REPEATS` timings of `read`, and the rows it returned.
async fn time_read<F, Fut>(read: F) -> (Duration, usize)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..READ_REPEATS {
        let start = Instant::now();
        rows = read().await;
        times.push(start.elapsed());
    }
    times.sort();
    (quantile(&times, 0.5), rows)
}

/// The two reads whose cost grows with the queue, over the jobs just created:
/// the scheduler's snapshot of the whole queue and the API's queued list.
async fn store_reads(store: &Store) {
    let (snapshot, queued) =
        time_read(|| async { store.queued_jobs().await.expect("queued jobs").len() }).await;
    let filter = JobFilter {
        states: vec![JobState::Queued],
        order_id: None,
        owner_key_id: None,
        limit: None,
    };
    let (list, listed) =
        time_read(|| async { store.list_jobs(&filter).await.expect("list jobs").len() }).await;
    println!(
        "Reads over that queue (median of {READ_REPEATS}):\n\n\
         | read | rows | ms |\n|---|---:|---:|\n\
         | `Store::queued_jobs` (the scheduler's snapshot, every round) | {queued} | {} |\n\
         | `Store::list_jobs` state=queued (`GET /api/jobs?state=queued`, default limit) | {listed} | {} |\n",
        ms(snapshot),
        ms(list)
    );
}

// ---------------------------------------------------------------- part 2

/// Jobs per second through `POST /api/jobs` from `clients` closed-loop clients;
/// also returns errors and the median and p99 request latency.
async fn http_run(api: Arc<Api>, file_id: Arc<str>, clients: usize) -> (f64, u64, Vec<Duration>) {
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (api, file_id) = (api.clone(), file_id.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let body = json!({ "file_id": &*file_id, "quantity": 1, "material": "PLA" });
                while start.elapsed() < ENQUEUE_RUN {
                    let sent = Instant::now();
                    let response = api.post("/api/jobs").json(&body).send().await;
                    match response {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                            let _ = r.bytes().await;
                            latencies.push(sent.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for handle in handles {
        let (latencies, e) = handle.await.expect("client task");
        all.extend(latencies);
        errors += e;
    }
    let rate = all.len() as f64 / start.elapsed().as_secs_f64();
    all.sort();
    (rate, errors, all)
}

/// Part 2: submissions through the HTTP API of a running farm.
fn http_enqueue(farm_rt: &Runtime, load_rt: &Runtime) {
    let farm = farm_rt.block_on(start_farm(PRINTERS));
    let api = Arc::new(Api::new(&farm));
    let file_id: Arc<str> = load_rt.block_on(api.upload_sample()).into();
    println!(
        "## POST /api/jobs (quantity 1), real farm ({PRINTERS} simulated printers), SQLite file\n"
    );
    println!(
        "| concurrent clients | duration | queued before | jobs/s | p50 ms | p99 ms | errors |\n\
         |---:|---:|---:|---:|---:|---:|---:|"
    );
    for clients in CLIENTS {
        let queued = load_rt.block_on(api.queue_length());
        let (rate, errors, sorted) =
            load_rt.block_on(http_run(api.clone(), file_id.clone(), clients));
        println!(
            "| {clients} | {} s | {queued} | {rate:.0} | {} | {} | {errors} |",
            ENQUEUE_RUN.as_secs(),
            ms(quantile(&sorted, 0.5)),
            ms(quantile(&sorted, 0.99)),
        );
    }
    println!();
    farm_rt.block_on(farm.stop());
}

// ---------------------------------------------------------------- part 3

/// The requests of the latency mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Printers,
    Queued,
    Stats,
    Job,
    Submit,
}

impl Kind {
    /// Every kind with its share of requests, in %.
    const MIX: [(Kind, u32); 5] = [
        (Kind::Printers, 25),
        (Kind::Queued, 20),
        (Kind::Stats, 15),
        (Kind::Job, 25),
        (Kind::Submit, 15),
    ];

    fn pick(rng: &mut StdRng) -> Kind {
        let mut roll = rng.gen_range(0..100);
        for (kind, share) in Kind::MIX {
            if roll < share {
                return kind;
            }
            roll -= share;
        }
        Kind::Printers
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Printers => "GET /api/printers",
            Kind::Queued => "GET /api/jobs?state=queued",
            Kind::Stats => "GET /api/stats?window=1h",
            Kind::Job => "GET /api/jobs/{id}",
            Kind::Submit => "POST /api/jobs (quantity 1)",
        }
    }
}

/// One request's outcome.
struct Sample {
    kind: Kind,
    latency: Duration,
    ok: bool,
    finished: Instant,
}

/// What every request of the latency run needs.
struct Mix {
    api: Api,
    file_id: String,
    job_ids: Vec<String>,
}

/// Sends one request of `kind`, due at `due`, and times it to the last byte.
async fn one_request(mix: Arc<Mix>, kind: Kind, job: usize, due: Instant) -> Sample {
    let api = &mix.api;
    let request = match kind {
        Kind::Printers => api.get("/api/printers"),
        Kind::Queued => api.get("/api/jobs?state=queued"),
        Kind::Stats => api.get("/api/stats?window=1h"),
        Kind::Job => api.get(&format!("/api/jobs/{}", mix.job_ids[job])),
        Kind::Submit => api.post("/api/jobs").json(&json!({
            "file_id": mix.file_id, "quantity": 1, "material": "PLA"
        })),
    };
    let ok = match request.send().await {
        Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
        Err(_) => false,
    };
    let finished = Instant::now();
    Sample {
        kind,
        latency: finished.duration_since(due),
        ok,
        finished,
    }
}

/// Issues requests on a fixed schedule (open loop) and collects every sample.
async fn open_loop(mix: Arc<Mix>, rate: f64) -> (Instant, Vec<Sample>) {
    let mut rng = StdRng::seed_from_u64(42);
    let period = Duration::from_secs_f64(1.0 / rate);
    let total = (rate * latency_run().as_secs_f64()) as u32;
    let start = Instant::now() + Duration::from_millis(10);
    let mut handles = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + period * i;
        tokio::time::sleep_until(due.into()).await;
        let kind = Kind::pick(&mut rng);
        let job = rng.gen_range(0..mix.job_ids.len());
        handles.push(tokio::spawn(one_request(mix.clone(), kind, job, due)));
    }
    let mut samples = Vec::with_capacity(handles.len());
    for handle in handles {
        samples.push(handle.await.expect("request task"));
    }
    (start, samples)
}

/// Latency table rows: one per kind and one for all requests.
fn latency_table(samples: &[Sample]) -> String {
    let mut out = String::from(
        "| request | count | p50 ms | p90 ms | p99 ms | max ms | errors |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    let kinds: Vec<Option<Kind>> = Kind::MIX
        .iter()
        .map(|(k, _)| Some(*k))
        .chain([None])
        .collect();
    for kind in kinds {
        let chosen: Vec<&Sample> = samples
            .iter()
            .filter(|s| kind.is_none_or(|k| s.kind == k))
            .collect();
        let mut sorted: Vec<Duration> = chosen.iter().map(|s| s.latency).collect();
        sorted.sort();
        let errors = chosen.iter().filter(|s| !s.ok).count();
        let label = kind.map_or("**all**", Kind::label);
        out.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {} | {errors} |\n",
            sorted.len(),
            ms(quantile(&sorted, 0.5)),
            ms(quantile(&sorted, 0.9)),
            ms(quantile(&sorted, 0.99)),
            ms(sorted.last().copied().unwrap_or_default()),
        ));
    }
    out
}

/// Waits until `count` printers print, or gives up after a minute.
async fn wait_printing(api: &Api, count: usize) -> Duration {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if api.printing().await >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    start.elapsed()
}

/// Uploads the sample, queues the backlog and waits until every printer prints.
async fn prepare_mix(api: Api) -> Mix {
    let file_id = api.upload_sample().await;
    let job_ids = api.submit(&file_id, BACKLOG).await;
    let waited = wait_printing(&api, PRINTERS).await;
    let printing = api.printing().await;
    println!(
        "{printing}/{PRINTERS} printers printing after {:.1} s; {BACKLOG} jobs queued first\n",
        waited.as_secs_f64()
    );
    Mix {
        api,
        file_id,
        job_ids,
    }
}

/// Service time of each kind at low load: one client, one request at a time.
async fn baseline(mix: Arc<Mix>) -> Vec<Sample> {
    let mut samples = Vec::new();
    for (kind, _) in Kind::MIX {
        for i in 0..BASELINE_REQUESTS {
            let job = i % mix.job_ids.len();
            samples.push(one_request(mix.clone(), kind, job, Instant::now()).await);
        }
    }
    samples
}

/// Part 3: latency of the mixed load at `rate` while the printers print;
/// with `with_baseline`, first the low-load service times.
fn latency(farm_rt: &Runtime, load_rt: &Runtime, rate: f64, with_baseline: bool) {
    let farm = farm_rt.block_on(start_farm(PRINTERS));
    println!(
        "## API latency, open loop at {rate:.0} req/s for {} s, {PRINTERS} simulated printers printing\n",
        latency_run().as_secs()
    );
    let mix = Arc::new(load_rt.block_on(prepare_mix(Api::new(&farm))));
    if with_baseline {
        let before = cpu_sample();
        std::thread::sleep(IDLE_CPU_RUN);
        println!(
            "CPU with the printers printing and no API requests ({} s):\n\n{}",
            IDLE_CPU_RUN.as_secs(),
            cpu_table(&before, &cpu_sample())
        );
        let samples = load_rt.block_on(baseline(mix.clone()));
        println!(
            "Low load first ({BASELINE_REQUESTS} sequential requests of each kind, one client):\n\n{}",
            latency_table(&samples)
        );
    }
    let queued_before = load_rt.block_on(mix.api.queue_length());
    let before = cpu_sample();
    let (start, samples) = load_rt.block_on(open_loop(mix.clone(), rate));
    let after = cpu_sample();
    let printing = load_rt.block_on(mix.api.printing());
    let queued_after = load_rt.block_on(mix.api.queue_length());
    let last = samples.iter().map(|s| s.finished).max().unwrap_or(start);
    let achieved = samples.len() as f64 / last.duration_since(start).as_secs_f64();
    println!("At {rate:.0} req/s:\n\n{}", latency_table(&samples));
    println!(
        "issued {} requests; achieved {achieved:.0} req/s (completed / first due → last done); \
         queue {queued_before} → {queued_after}; {printing}/{PRINTERS} printing at the end\n",
        samples.len()
    );
    println!("CPU during the run:\n\n{}", cpu_table(&before, &after));
    farm_rt.block_on(farm.stop());
}
