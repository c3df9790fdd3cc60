//! Runs the real `printfarm serve` binary on a loopback port with a temp
//! SQLite database and simulated printers on pseudo-terminals.
#![allow(dead_code)]

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SAMPLE: &str = "gcode-samples/prusaslicer/nametag-alice__mk3s_m73_limits.gcode";

/// One simulated printer of the test farm.
pub struct TestPrinter {
    pub name: &'static str,
    pub material: &'static str,
    pub colour: &'static str,
    pub auto_eject: bool,
    pub baud: u32,
    pub extra_sim: &'static str,
    /// On a serial port that does not exist: always offline.
    pub unplugged: bool,
    /// More lines of its `[[printer]]` table (`service = { … }`).
    pub extra: &'static str,
}

impl TestPrinter {
    pub fn pla(name: &'static str) -> Self {
        TestPrinter {
            name,
            material: "PLA",
            colour: "black",
            auto_eject: false,
            baud: 2_000_000,
            extra_sim: "",
            unplugged: false,
            extra: "",
        }
    }
}

/// A farm process and what it needs.
pub struct TestFarm {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub key: String,
    pub client: Client,
    /// Environment variables the server process gets on top of the test's.
    pub env: Vec<(String, String)>,
    child: Option<Child>,
}

fn printers_toml(
    dir: &Path,
    port: u16,
    printers: &[TestPrinter],
    farm_extra: &str,
    database_url: Option<&str>,
) -> String {
    let sqlite = format!("sqlite://{}/farm.db?mode=rwc", dir.display());
    let mut text = format!(
        "[farm]\ndatabase_url = \"{}\"\nlisten = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\nmax_upload_mb = 20\nrequeue_limit = 3\n{farm_extra}\n",
        database_url.unwrap_or(&sqlite),
        dir.join("data").display()
    );
    for p in printers {
        let connection = if p.unplugged {
            format!("port = \"{}/unplugged-{}\"", dir.display(), p.name)
        } else {
            format!(
                "sim = {{ speed = 3000.0, baud = {}, latency_ms = 1{} }}",
                p.baud, p.extra_sim
            )
        };
        text.push_str(&format!(
            "\n[[printer]]\nname = \"{}\"\n{connection}\nbuild_volume = [250.0, 210.0, 210.0]\nmin_position = [0.0, -4.0, 0.0]\nnozzle_diameter = 0.4\nmax_hotend_temp = 300.0\nmax_bed_temp = 120.0\nmaterials = [{{ material = \"{}\", colour = \"{}\" }}]\nauto_eject = {}\n{}\n",
            p.name, p.material, p.colour, p.auto_eject, p.extra
        ));
    }
    text
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_printfarm")
}

impl TestFarm {
    /// Writes the config, creates an operator key and starts the server.
    pub async fn start(printers: &[TestPrinter]) -> TestFarm {
        Self::start_with(printers, "").await
    }

    /// As [`TestFarm::start`], with more `[farm]` lines (`products_dir = …`).
    pub async fn start_with(printers: &[TestPrinter], farm_extra: &str) -> TestFarm {
        Self::start_with_env(printers, farm_extra, &[]).await
    }

    /// As [`TestFarm::start_with`], the server run with `env` set.
    pub async fn start_with_env(
        printers: &[TestPrinter],
        farm_extra: &str,
        env: &[(&str, &str)],
    ) -> TestFarm {
        Self::start_on(printers, farm_extra, env, None).await
    }

    /// One node of a farm of several hosts on the PostgreSQL database at
    /// `database_url` (`farm_extra` names the node).
    pub async fn start_node(
        printers: &[TestPrinter],
        farm_extra: &str,
        database_url: &str,
    ) -> TestFarm {
        Self::start_on(printers, farm_extra, &[], Some(database_url)).await
    }

    async fn start_on(
        printers: &[TestPrinter],
        farm_extra: &str,
        env: &[(&str, &str)],
        database_url: Option<&str>,
    ) -> TestFarm {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        std::fs::write(
            dir.path().join("printers.toml"),
            printers_toml(dir.path(), port, printers, farm_extra, database_url),
        )
        .unwrap();
        let out = Command::new(binary())
            .args(["keys", "create", "--role", "operator", "--config"])
            .arg(dir.path().join("printers.toml"))
            .output()
            .expect("keys create");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string();
        let mut farm = TestFarm {
            dir,
            port,
            key,
            client: Client::new(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
        };
        farm.spawn().await;
        farm
    }

    /// Starts (or restarts) the server process and waits until it answers.
    pub async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("serve.log"))
            .unwrap();
        let child = Command::new(binary())
            .arg("serve")
            .arg("--config")
            .arg(self.dir.path().join("printers.toml"))
            .stdout(Stdio::null())
            .stderr(log)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .spawn()
            .expect("spawn serve");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.client.get(self.url("/metrics")).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("server did not start; log:\n{}", self.log());
    }

    /// Kills the server with SIGKILL (no shutdown at all).
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` to the server (SIGSTOP, SIGCONT …).
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let child = self.child.as_ref().expect("running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, signal).expect("signal");
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        child.wait().expect("wait")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(self.url(path))
            .header("X-Api-Key", &self.key)
            .send()
            .await
            .expect("GET");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(path))
            .header("X-Api-Key", &self.key)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .patch(self.url(path))
            .header("X-Api-Key", &self.key)
            .json(&body)
            .send()
            .await
            .expect("PATCH");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn upload(&self, path: &Path) -> String {
        let bytes = std::fs::read(path).expect("sample");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("job.gcode")
            .to_string();
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
        let response = self
            .client
            .post(self.url("/api/files"))
            .header("X-Api-Key", &self.key)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        body["id"].as_str().expect("id").to_string()
    }

    pub async fn jobs(&self) -> Vec<Value> {
        self.jobs_where("").await
    }

    /// Jobs matching a query string (`state=completed`), up to 1000.
    pub async fn jobs_where(&self, query: &str) -> Vec<Value> {
        let v = self.get(&format!("/api/jobs?limit=1000&{query}")).await;
        v.as_array()
            .cloned()
            .or_else(|| v["jobs"].as_array().cloned())
            .unwrap_or_default()
    }

    pub async fn printer_states(&self) -> Vec<(String, String)> {
        let v = self.get("/api/printers").await;
        let list = v
            .as_array()
            .cloned()
            .or_else(|| v["printers"].as_array().cloned())
            .unwrap_or_default();
        list.iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or("").to_string(),
                    p["state"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    pub async fn clear(&self, printer: &str) -> StatusCode {
        self.post(&format!("/api/printers/{printer}/clear"), json!({}))
            .await
            .0
    }

    /// Polls until `done` holds for the job list, checking on every poll that
    /// no printer runs two jobs and no job is on two printers.
    pub async fn wait_jobs<F: Fn(&[Value]) -> bool>(
        &self,
        what: &str,
        timeout: Duration,
        done: F,
    ) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let jobs = self.jobs().await;
            assert_single_assignment(&jobs);
            if done(&jobs) {
                return jobs;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; jobs: {jobs:#?}\nlog:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for TestFarm {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE)
}

pub fn state(job: &Value) -> &str {
    job["state"].as_str().unwrap_or("")
}

pub fn count(jobs: &[Value], wanted: &str) -> usize {
    jobs.iter().filter(|j| state(j) == wanted).count()
}

/// Invariant 4: a job prints on at most one printer and a printer prints at most one job.
pub fn assert_single_assignment(jobs: &[Value]) {
    let mut printers = std::collections::HashSet::new();
    for j in jobs
        .iter()
        .filter(|j| matches!(state(j), "assigned" | "printing" | "paused"))
    {
        let printer = j["printer"].as_str().expect("an active job has a printer");
        assert!(
            printers.insert(printer.to_string()),
            "printer {printer} has two active jobs: {jobs:#?}"
        );
    }
}
