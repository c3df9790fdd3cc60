//! Several nodes on one PostgreSQL: claims per second and claim latency
//! with 1, 2 and 3 nodes sharing 200 printers, lost claims (two nodes
//! picking one job), and the time from a node's last heartbeat to its jobs
//! back in the queue. Each node is its own `Store` (own pool, own lease),
//! each node runs rounds as `serve` does (the head of the shared queue,
//! one job per printer, all claimed at once, fenced) and ends each claimed
//! job at once, so the figures are the coordination's cost, not printing.
//!
//! `PRINTFARM_TEST_POSTGRES_URL=postgres://… cargo bench --bench node_claims`

use printfarm::domain::{AttemptEnd, Phase};
use printfarm::store::{AttemptEnding, FileKeys, NewFile, NewJob, Store};
use serde_json::json;
use sqlx::{Executor, Row};
use std::time::{Duration, Instant};

const PRINTERS: usize = 200;
const JOBS: u32 = 4000;
const LEASE: Duration = Duration::from_secs(15);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let Ok(base) = std::env::var("PRINTFARM_TEST_POSTGRES_URL") else {
        eprintln!("set PRINTFARM_TEST_POSTGRES_URL to a PostgreSQL database");
        return Ok(());
    };
    sqlx::any::install_default_drivers();
    println!("| nodes | printers | jobs | claims/s | lost claims per claim | claim p50 ms | claim p99 ms |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for nodes in 1..=3 {
        let run = claims(&fresh_schema(&base).await?, nodes).await?;
        println!(
            "| {nodes} | {PRINTERS} | {JOBS} | {:.0} | {:.2} | {:.1} | {:.1} |",
            run.per_second, run.lost_per_claim, run.p50_ms, run.p99_ms
        );
    }
    let requeued = requeue_after_death(&fresh_schema(&base).await?).await?;
    println!(
        "\nlease {} s: a silent node's jobs were back in the queue {:.1} s after its last heartbeat",
        LEASE.as_secs(),
        requeued.as_secs_f64()
    );
    Ok(())
}

struct Run {
    per_second: f64,
    lost_per_claim: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn fresh_schema(base: &str) -> anyhow::Result<String> {
    let schema = format!("bench{}", printfarm::store::new_id());
    let admin = sqlx::AnyPool::connect(base).await?;
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await?;
    admin.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{base}{separator}options=-c%20search_path%3D{schema}"
    ))
}

/// `nodes` stores joined as n0…, the 200 printers dealt between them.
async fn join(url: &str, nodes: usize) -> anyhow::Result<Vec<(Store, Vec<String>)>> {
    let mut joined = Vec::new();
    for n in 0..nodes {
        let store = Store::connect(url).await?;
        store.join_node(&format!("n{n}"), "bench", LEASE).await?;
        let printers: Vec<String> = (0..PRINTERS)
            .filter(|p| p % nodes == n)
            .map(|p| format!("p{p:03}"))
            .collect();
        store.claim_printers(&printers).await?;
        joined.push((store, printers));
    }
    Ok(joined)
}

async fn queue_jobs(store: &Store, quantity: u32) -> anyhow::Result<()> {
    let file = store
        .insert_file(NewFile {
            sha256: "cd".repeat(32),
            original_name: "cube.gcode".into(),
            size_bytes: 1234,
            path: "/bench/cube.gcode".into(),
            analysis: json!({}),
            keys: FileKeys::default(),
            line_count: Some(4000),
            first_extrusion_line: Some(10),
            owner_key_id: None,
        })
        .await?;
    let mut left = quantity;
    while left > 0 {
        let batch = left.min(500);
        let new = NewJob {
            file_id: file.id.clone(),
            quantity: batch,
            ..NewJob::default()
        };
        store.create_jobs(&new).await?;
        left -= batch;
    }
    Ok(())
}

async fn claims(url: &str, nodes: usize) -> anyhow::Result<Run> {
    let joined = join(url, nodes).await?;
    queue_jobs(&joined[0].0, JOBS).await?;
    let started = Instant::now();
    let tasks: Vec<_> = joined
        .iter()
        .map(|(store, printers)| tokio::spawn(node_loop(store.clone(), printers.clone())))
        .collect();
    let (mut latencies, mut lost) = (Vec::new(), 0u64);
    for task in tasks {
        let (mine, missed) = task.await??;
        latencies.extend(mine);
        lost += missed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    Ok(Run {
        per_second: latencies.len() as f64 / elapsed,
        lost_per_claim: lost as f64 / latencies.len() as f64,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
    })
}

/// One node's rounds, as `serve` runs them: read the head of the shared
/// queue, give each of its printers a different job, claim them all at
/// once; a printer whose claim another node won tries again next round.
/// Per claim, the time from the start of its round to holding the job.
async fn node_loop(store: Store, printers: Vec<String>) -> anyhow::Result<(Vec<f64>, u64)> {
    let (mut latencies, mut lost) = (Vec::new(), 0u64);
    loop {
        let round = Instant::now();
        let queued: Vec<String> = sqlx::query(
            "SELECT id FROM jobs WHERE state = 'queued' ORDER BY priority DESC, id LIMIT $1",
        )
        .bind(printers.len() as i64)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
        if queued.is_empty() {
            return Ok((latencies, lost));
        }
        let claims = printers.iter().zip(queued).map(|(printer, job)| {
            let (store, printer) = (store.clone(), printer.clone());
            tokio::spawn(async move { claim_and_end(&store, &printer, job).await })
        });
        for claim in futures::future::join_all(claims).await {
            match claim?? {
                true => latencies.push(round.elapsed().as_secs_f64() * 1000.0),
                false => lost += 1,
            }
        }
    }
}

/// Claims `job` for `printer` and, when it got it, ends it at once.
async fn claim_and_end(store: &Store, printer: &str, job: String) -> anyhow::Result<bool> {
    let Some(start) = store.begin_attempt(&job, printer).await? else {
        return Ok(false);
    };
    let ending = AttemptEnding {
        printer: printer.to_owned(),
        job,
        attempt: start.attempt,
        end: AttemptEnd::Completed,
        last_line: 4000,
        bed_full_since: None,
        phase: Phase::Idle,
    };
    store.end_attempt(&ending).await?;
    Ok(true)
}

/// Two nodes; n1 claims jobs and goes silent; n0 reaps once a second (as
/// a node's keeper does). The time from n1's last heartbeat to its jobs
/// back in the queue.
async fn requeue_after_death(url: &str) -> anyhow::Result<Duration> {
    let joined = join(url, 2).await?;
    let (survivor, (silent, printers)) = (&joined[0].0, (&joined[1].0, &joined[1].1));
    queue_jobs(survivor, 20).await?;
    for printer in printers.iter().take(10) {
        let job: String =
            sqlx::query("SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1")
                .fetch_one(survivor.pool())
                .await?
                .try_get("id")?;
        silent.begin_attempt(&job, printer).await?;
    }
    silent.heartbeat().await?;
    let last_beat = Instant::now();
    loop {
        survivor.heartbeat().await?;
        let lost = survivor.reap_lost_nodes(LEASE).await?;
        if let Some(node) = lost.first() {
            anyhow::ensure!(node.requeued.len() == 10, "requeued {:?}", node.requeued);
            return Ok(last_beat.elapsed());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
