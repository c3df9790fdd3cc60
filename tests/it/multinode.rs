//! A farm of several hosts: three `printfarm serve --node …` processes,
//! each with its own simulated printers, sharing one PostgreSQL database.
//! Skipped without `PRINTFARM_TEST_POSTGRES_URL` (`.ci/run` sets it).

use crate::farm_support::{count, sample, state, TestFarm, TestPrinter};
use crate::store_support::fresh_postgres_url;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(120);

fn printer(name: &'static str, baud: u32) -> TestPrinter {
    TestPrinter {
        auto_eject: true,
        baud,
        ..TestPrinter::pla(name)
    }
}

/// Starts nodes `a`, `b`, `c` with the given printers each.
async fn three_nodes(url: &str, printers: [Vec<TestPrinter>; 3], lease_s: u32) -> Vec<TestFarm> {
    let mut nodes = Vec::new();
    for (name, printers) in ["a", "b", "c"].into_iter().zip(printers) {
        let extra = format!("node = \"{name}\"\nlease_s = {lease_s}");
        nodes.push(TestFarm::start_node(&printers, &extra, url).await);
    }
    nodes
}

/// Every printer as `node`'s API lists it: name → (node, state).
async fn printers_seen_by(node: &TestFarm) -> HashMap<String, (String, String)> {
    let list = node.get("/api/printers").await;
    list.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let text = |key: &str| p[key].as_str().unwrap_or("").to_owned();
            (text("name"), (text("node"), text("state")))
        })
        .collect()
}

/// Each completed job has exactly one completed attempt, and no job's
/// attempts overlap in time (it never printed on two printers at once).
async fn assert_printed_once(node: &TestFarm, jobs: &[Value]) {
    for job in jobs {
        let id = job["id"].as_str().expect("id");
        let detail = node.get(&format!("/api/jobs/{id}")).await;
        let attempts = detail["attempts"].as_array().cloned().unwrap_or_default();
        let completed = attempts
            .iter()
            .filter(|a| a["outcome"] == "completed")
            .count();
        assert_eq!(completed, 1, "{detail:#}");
        let mut spans: Vec<(i64, i64)> = attempts
            .iter()
            .map(|a| {
                let start = a["started_at"].as_i64().unwrap_or(0);
                (start, a["ended_at"].as_i64().unwrap_or(i64::MAX))
            })
            .collect();
        spans.sort();
        for pair in spans.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "attempts overlap: {detail:#}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_print_one_queue_each_job_once() {
    let Some(url) = fresh_postgres_url().await else {
        println!("SKIPPED three_nodes_print_one_queue_each_job_once: no PostgreSQL");
        return;
    };
    // Each virtual printer records the commands it executes.
    let records = tempfile::tempdir().expect("records dir");
    let record = |name: &str| records.path().join(format!("{name}.gcode"));
    let fast = |names: [&'static str; 4]| {
        names
            .map(|n| TestPrinter {
                extra_sim: Box::leak(
                    format!(", record = \"{}\"", record(n).display()).into_boxed_str(),
                ),
                ..printer(n, 2_000_000)
            })
            .into()
    };
    let nodes = three_nodes(
        &url,
        [
            fast(["a1", "a2", "a3", "a4"]),
            fast(["b1", "b2", "b3", "b4"]),
            fast(["c1", "c2", "c3", "c4"]),
        ],
        15,
    )
    .await;
    // A client of node a's event stream hears every node's prints.
    let heard = Arc::new(Mutex::new(String::new()));
    let mut stream = nodes[0]
        .client
        .get(nodes[0].url("/api/events"))
        .header("X-Api-Key", &nodes[0].key)
        .send()
        .await
        .expect("event stream");
    let listener = {
        let heard = Arc::clone(&heard);
        tokio::spawn(async move {
            while let Ok(Some(chunk)) = stream.chunk().await {
                heard
                    .lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&chunk));
            }
        })
    };
    // The hosts share no disk: once uploaded, the file is gone from every
    // host's data directory, so each prints from the database's copy,
    // fetched into its own.
    let mut files = Vec::new();
    for node in &nodes {
        files.push(node.upload(&sample()).await);
    }
    for node in &nodes {
        remove_files(&node.dir.path().join("data/files"));
    }
    // 60 jobs, submitted through the three nodes.
    for (node, file) in nodes.iter().zip(&files) {
        let (status, body) = node
            .post("/api/jobs", json!({"file_id": file, "quantity": 20}))
            .await;
        assert!(status.is_success(), "{status} {body}");
    }
    let jobs = nodes[1]
        .wait_jobs("60 jobs completed", LONG, |jobs| {
            jobs.len() == 60 && count(jobs, "completed") == 60
        })
        .await;
    assert_printed_once(&nodes[2], &jobs).await;
    // What the printers executed agrees: each printer ran the file to its
    // end exactly as often as the store says it completed a job.
    for name in [
        "a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4", "c1", "c2", "c3", "c4",
    ] {
        let executed = std::fs::read_to_string(record(name)).unwrap_or_default();
        let ran = executed
            .lines()
            .filter(|l| l.starts_with("M73 P100"))
            .count();
        let completed = jobs.iter().filter(|j| j["printer"] == name).count();
        assert_eq!(ran, completed, "{name} ran the file to its end {ran} times");
    }
    // Every node printed, and every node's API shows the whole farm.
    for node in &nodes {
        let seen = printers_seen_by(node).await;
        assert_eq!(seen.len(), 12, "{seen:?}");
        for (name, (owner, _)) in &seen {
            assert_eq!(&name[..1], owner, "{name} is driven by its node: {seen:?}");
        }
    }
    let by_node = |prefix: char| {
        jobs.iter()
            .filter(|j| j["printer"].as_str().is_some_and(|p| p.starts_with(prefix)))
            .count()
    };
    listener.abort();
    let heard = heard.lock().expect("lock").clone();
    for (prefix, node) in ['a', 'b', 'c'].into_iter().zip(&nodes) {
        assert!(by_node(prefix) > 0, "node {prefix} printed nothing");
        let started = format!("\"kind\":\"started\",\"printer\":\"{prefix}");
        assert!(
            heard.contains(&started),
            "a's stream did not carry {started}"
        );
        let fetched =
            std::fs::read_dir(node.dir.path().join("data/files")).map_or(0, Iterator::count);
        assert_eq!(fetched, 1, "node {prefix} fetched the file once");
    }
}

fn remove_files(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).expect("files dir").flatten() {
        std::fs::remove_file(entry.path()).expect("remove");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_s_prints_are_requeued_and_finish_on_the_others() {
    let Some(url) = fresh_postgres_url().await else {
        println!(
            "SKIPPED a_killed_node_s_prints_are_requeued_and_finish_on_the_others: no PostgreSQL"
        );
        return;
    };
    let slow = |names: [&'static str; 2]| names.map(|n| printer(n, 250_000)).into();
    let mut nodes = three_nodes(
        &url,
        [slow(["a1", "a2"]), slow(["b1", "b2"]), slow(["c1", "c2"])],
        5,
    )
    .await;
    let file = nodes[0].upload(&sample()).await;
    let (status, body) = nodes[0]
        .post("/api/jobs", json!({"file_id": file, "quantity": 6}))
        .await;
    assert!(status.is_success(), "{status} {body}");
    let printing_on = |jobs: &[Value], node: char| -> Vec<(String, String)> {
        jobs.iter()
            .filter(|j| state(j) == "printing")
            .filter_map(|j| {
                Some((
                    j["id"].as_str()?.to_owned(),
                    j["printer"].as_str()?.to_owned(),
                ))
            })
            .filter(|(_, printer)| printer.starts_with(node))
            .collect()
    };
    // An action sent to node b for a printer of node a reaches the printer
    // (relayed through the database), and so does one sent to c.
    let jobs = nodes[0]
        .wait_jobs("prints on nodes a and c", LONG, |jobs| {
            !printing_on(jobs, 'a').is_empty() && !printing_on(jobs, 'c').is_empty()
        })
        .await;
    let (job, printer) = printing_on(&jobs, 'a')[0].clone();
    for (via, action, after) in [(1, "pause", "paused"), (2, "resume", "printing")] {
        let (status, body) = nodes[via]
            .post(&format!("/api/printers/{printer}/{action}"), json!({}))
            .await;
        assert!(
            status.is_success(),
            "{action} through another node: {status} {body}"
        );
        nodes[0]
            .wait_jobs(after, LONG, |jobs| {
                jobs.iter()
                    .any(|j| j["id"] == job.as_str() && state(j) == after)
            })
            .await;
    }
    let jobs = nodes[0]
        .wait_jobs("a print on node c", LONG, |jobs| {
            !printing_on(jobs, 'c').is_empty()
        })
        .await;
    let interrupted: Vec<String> = printing_on(&jobs, 'c')
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    nodes[2].kill9();
    let killed = Instant::now();
    nodes[0]
        .wait_jobs("c's jobs back in the queue", LONG, |jobs| {
            jobs.iter()
                .filter(|j| interrupted.iter().any(|id| j["id"] == id.as_str()))
                .all(|j| j["printer_faults"] == 1)
        })
        .await;
    let requeued_after = killed.elapsed();
    assert!(
        requeued_after < Duration::from_secs(30),
        "re-queued {requeued_after:?} after the kill"
    );
    // Every node shows c's printers offline, their node lost, within a
    // second or two (each reads the others' printers once a second).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = nodes[1].get("/api/printers").await;
        let lost = |name: &str| {
            list.as_array().into_iter().flatten().any(|p| {
                p["name"] == name
                    && p["node"] == "c"
                    && p["state"] == "offline"
                    && p["connection"] == "node_lost"
            })
        };
        if lost("c1") && lost("c2") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "c's printers still shown as {list:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = nodes[1].post("/api/printers/c1/pause", json!({})).await;
    assert_eq!(status.as_u16(), 503, "{body}");
    assert!(body.to_string().contains("not answering"), "{body}");
    let jobs = nodes[1]
        .wait_jobs("all 6 completed", LONG, |jobs| {
            count(jobs, "completed") == 6
        })
        .await;
    for job in jobs
        .iter()
        .filter(|j| interrupted.iter().any(|id| j["id"] == id.as_str()))
    {
        let printer = job["printer"].as_str().unwrap_or("");
        assert!(!printer.starts_with('c'), "{job:#}");
    }
    assert_printed_once(&nodes[0], &jobs).await;
}

#[test]
fn a_node_on_sqlite_is_refused_at_start_with_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("printers.toml");
    let text = format!(
        "[farm]\ndatabase_url = \"sqlite://{}/farm.db\"\n\n[[printer]]\nname = \"p1\"\n\
         port = \"/dev/null-printer\"\nbuild_volume = [250, 210, 210]\n\
         max_hotend_temp = 300\nmax_bed_temp = 120\n",
        dir.path().display()
    );
    std::fs::write(&config, text).expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_printfarm"))
        .args(["serve", "--node", "a", "--config"])
        .arg(&config)
        .output()
        .expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("several nodes need PostgreSQL"), "{stderr}");
    assert!(!dir.path().join("farm.db").exists(), "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_stopped_past_its_lease_stops_printing_and_rejoins() {
    let Some(url) = fresh_postgres_url().await else {
        println!("SKIPPED a_node_stopped_past_its_lease_stops_printing_and_rejoins: no PostgreSQL");
        return;
    };
    let slow = |name| printer(name, 250_000);
    let a =
        TestFarm::start_node(&[slow("a1"), slow("a2")], "node = \"a\"\nlease_s = 5", &url).await;
    let b = TestFarm::start_node(&[slow("b1")], "node = \"b\"\nlease_s = 5", &url).await;
    let file = a.upload(&sample()).await;
    let (status, body) = a
        .post("/api/jobs", json!({"file_id": file, "quantity": 3}))
        .await;
    assert!(status.is_success(), "{status} {body}");
    let on_b = |jobs: &[Value]| {
        jobs.iter()
            .find(|j| state(j) == "printing" && j["printer"] == "b1")
            .and_then(|j| j["id"].as_str().map(str::to_owned))
    };
    let jobs = a
        .wait_jobs("a print on b1", LONG, |jobs| on_b(jobs).is_some())
        .await;
    let job = on_b(&jobs).expect("printing on b1");
    b.signal(nix::sys::signal::Signal::SIGSTOP);
    // Past b's lease, a takes its job back: re-queued as the printer's fault.
    a.wait_jobs("b's job re-queued", LONG, |jobs| {
        jobs.iter()
            .any(|j| j["id"] == job.as_str() && j["printer_faults"] == 1)
    })
    .await;
    b.signal(nix::sys::signal::Signal::SIGCONT);
    // b stops its stale print at once and joins again under a new epoch.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = b.get("/api/printers").await;
        let b1 = list
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "b1")
            .cloned()
            .unwrap_or_default();
        let seen_by_a = printers_seen_by(&a).await;
        let rejoined = seen_by_a
            .get("b1")
            .is_some_and(|(_, state)| state != "offline");
        if b1["job"].is_null() && rejoined {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "b1 {b1:#}\nas a sees it: {seen_by_a:?}\n{}",
            b.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(b.log().contains("joined the farm again"), "{}", b.log());
    // b's stale end of the attempt was refused; the job completes once.
    let _ = b.post("/api/printers/b1/clear", json!({})).await;
    let jobs = a
        .wait_jobs("all 3 completed", LONG, |jobs| {
            count(jobs, "completed") == 3
        })
        .await;
    assert_printed_once(&a, &jobs).await;
    let detail = a.get(&format!("/api/jobs/{job}")).await;
    let attempts = detail["attempts"].as_array().cloned().unwrap_or_default();
    assert_eq!(attempts[0]["cause"], "printer.node_lost", "{detail:#}");
}
