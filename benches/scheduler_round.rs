//! A whole scheduling round in the running farm's terms, against a real
//! SQLite store: bring the in-memory queue up to date (20 jobs submitted
//! since the last round), the time-aware rule over every queued job and
//! every printer as `serve` runs it (`farm::plan::plan`), and claim each
//! pick in the store. The old queue-order rule (`decide_over`, earliest
//! due date on the printer idle longest) is timed beside it on the same
//! queue. Queues of 1 000,
//! 10 000 and 50 000 jobs × 20 and 200 printers, 10 printers free per round.
//!
//! A plain `main` that prints a markdown table; run with
//! `cargo bench --bench scheduler_round` (never part of `cargo test`).

use printfarm::config::FarmTime;
use printfarm::domain::{AttemptEnd, Phase};
use printfarm::farm::plan::{plan, PlanPrinter, Requested};
use printfarm::farm::queue_feed;
use printfarm::scheduler::clock::FarmClock;
use printfarm::scheduler::timed::TimedRule;
use printfarm::scheduler::{decide_over, Availability, PrinterCaps, QueuedEntry, ToolMaterial};
use printfarm::store::{AttemptEnding, FileKeys, NewFile, NewJob, Store};
use serde_json::json;
use std::time::{Duration, Instant};

/// Rounds measured per configuration (after two warm-up rounds).
const ROUNDS: usize = 40;
/// Jobs submitted between rounds.
const CHURN: u32 = 20;
/// Printers free to take a job in each round.
const FREE: usize = 10;

fn printer(index: usize, free: bool) -> PrinterCaps {
    PrinterCaps {
        name: format!("p{index:03}"),
        availability: if free {
            Availability::Idle
        } else {
            Availability::Busy
        },
        auto_eject: true,
        idle_since: free.then_some(index as i64),
        tools: vec![ToolMaterial {
            material: "PLA".into(),
            colour: Some("black".into()),
        }],
        extruders: 1,
        nozzle_diameter: 0.4,
        build_volume: [250.0, 210.0, 210.0],
        min_position: [0.0, -4.0, 0.0],
        bounds_margin: 0.5,
        tags: Vec::new(),
        max_hotend_temp: 300.0,
        max_bed_temp: 120.0,
        max_command_bytes: 96,
    }
}

fn file() -> NewFile {
    NewFile {
        sha256: "cd".repeat(32),
        original_name: "tag.gcode".into(),
        size_bytes: 1000,
        path: "/nowhere/tag.gcode".into(),
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

/// Times of the parts of one round.
#[derive(Default, Clone, Copy)]
struct Round {
    catch_up: Duration,
    decide: Duration,
    claims: Duration,
    edd: Duration,
}

impl Round {
    fn total(&self) -> Duration {
        self.catch_up + self.decide + self.claims
    }
}

fn quantile(mut values: Vec<Duration>, q: f64) -> Duration {
    values.sort();
    let index = ((values.len() as f64 - 1.0) * q).round() as usize;
    values.get(index).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn measure(queued: u32, printers: usize) -> Vec<Round> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_sqlite(&dir.path().join("round.db"))
        .await
        .expect("store");
    let names: Vec<String> = (0..printers).map(|i| format!("p{i:03}")).collect();
    store.register_printers(&names).await.expect("printers");
    let file_id = store.insert_file(file()).await.expect("file").id;
    let submit = |quantity: u32| NewJob {
        file_id: file_id.clone(),
        quantity,
        material: Some("PLA".into()),
        ..NewJob::default()
    };
    for _ in 0..queued / 1000 {
        store.create_jobs(&submit(1000)).await.expect("jobs");
    }
    let (queue, feed) = queue_feed::start(store.clone()).await.expect("queue");
    let mut rounds = Vec::new();
    let (rule, clock) = (
        TimedRule::default(),
        FarmClock::new(&FarmTime::default(), printfarm::store::now_ms()),
    );
    for round in 0..ROUNDS + 2 {
        store.create_jobs(&submit(CHURN)).await.expect("churn");
        let free: Vec<usize> = (0..FREE).map(|i| (round * FREE + i) % printers).collect();
        let caps: Vec<PrinterCaps> = (0..printers)
            .map(|i| printer(i, free.contains(&i)))
            .collect();
        let plan_printers: Vec<PlanPrinter> = caps
            .iter()
            .map(|c| PlanPrinter {
                caps: c.clone(),
                free: c.availability == Availability::Idle,
                free_at_ms: None,
                wear_h: 0.0,
                heating: false,
            })
            .collect();
        let now = printfarm::store::now_ms();
        let started = Instant::now();
        let book = queue.current().await;
        let caught_up = Instant::now();
        let entries: Vec<&QueuedEntry> = book.entries().collect();
        let picks = plan(
            &rule,
            &clock,
            now,
            &entries,
            &plan_printers,
            &Requested::default(),
        );
        let planned = Instant::now();
        let edd = decide_over(book.jobs(), &caps);
        let edd_time = planned.elapsed();
        assert_eq!(edd.len(), picks.len(), "both rules fill the free printers");
        drop(entries);
        drop(book);
        let decided = Instant::now();
        let assignments: Vec<(String, String)> =
            picks.into_iter().map(|p| (p.job_id, p.printer)).collect();
        // Claims run concurrently, as the farm's offers to supervisors do.
        let claims = assignments
            .iter()
            .map(|(job, printer)| store.begin_attempt(job, printer));
        for claim in futures::future::join_all(claims).await {
            claim.expect("claim");
        }
        let claimed = Instant::now();
        if round >= 2 {
            rounds.push(Round {
                catch_up: caught_up - started,
                decide: planned - caught_up,
                edd: edd_time,
                claims: claimed - decided,
            });
        }
        for (job, printer) in &assignments {
            let ending = AttemptEnding {
                printer: printer.clone(),
                job: job.clone(),
                attempt: String::new(),
                end: AttemptEnd::Completed,
                last_line: 1,
                bed_full_since: None,
                phase: Phase::Idle,
            };
            store.end_attempt(&ending).await.expect("end");
        }
    }
    feed.abort();
    store.close().await;
    rounds
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!("# scheduler_round\n");
    println!(
        "{ROUNDS} rounds each, {CHURN} jobs submitted before each, {FREE} printers free; \
         times in ms (p50 / p99)\n"
    );
    println!("| queued | printers | catch-up | decide (time-aware) | claims | **round** | decide (edd, for comparison) |");
    println!("|---:|---:|---|---|---|---|---|");
    for queued in [1_000, 10_000, 50_000] {
        for printers in [20, 200] {
            let rounds = runtime.block_on(measure(queued, printers));
            let cell = |f: fn(&Round) -> Duration| {
                let values: Vec<Duration> = rounds.iter().map(f).collect();
                format!(
                    "{} / {}",
                    ms(quantile(values.clone(), 0.5)),
                    ms(quantile(values, 0.99))
                )
            };
            println!(
                "| {queued} | {printers} | {} | {} | {} | **{}** | {} |",
                cell(|r| r.catch_up),
                cell(|r| r.decide),
                cell(|r| r.claims),
                cell(Round::total),
                cell(|r| r.edd)
            );
        }
    }
}
