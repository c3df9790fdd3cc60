//! Scheduler decision time: `scheduler::decide` over a synthetic snapshot of
//! 10 000 queued jobs × 200 printers, and 1 000 jobs × 20 printers for scale.
//!
//! The snapshot is generated from a fixed seed with a mix meant to look like
//! a real farm: four materials in six colours, a few printer kinds (MK3S-like,
//! large format, small, a few multi-tool), optional required tags, part
//! sizes from keychains to plates, priorities, due dates on a third of the
//! jobs, and about half of the printers free to take work.
//!
//! Run with `cargo bench --bench scheduler_decide` (not part of `cargo test`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use printfarm::scheduler::{
    decide, Availability, Extents, JobNeeds, PrinterCaps, QueuedJob, Snapshot, ToolMaterial,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Duration;

/// Materials with their weight in the mix and hotend/bed temperatures.
const MATERIALS: [(&str, u32, f64, f64); 4] = [
    ("PLA", 60, 215.0, 60.0),
    ("PETG", 25, 240.0, 85.0),
    ("ABS", 10, 255.0, 105.0),
    ("TPU", 5, 230.0, 50.0),
];

/// Colours loaded in printers and asked for by jobs.
const COLOURS: [&str; 6] = ["black", "white", "red", "blue", "orange", "grey"];

/// Tags printers may carry and jobs may require.
const TAGS: [&str; 4] = ["mk3s", "large", "enclosure", "direct-drive"];

/// "Now" for the synthetic timestamps, unix ms.
const NOW_MS: i64 = 1_750_000_000_000;

/// A material picked by its weight in [`MATERIALS`].
fn pick_material(rng: &mut StdRng) -> (&'static str, f64, f64) {
    let total: u32 = MATERIALS.iter().map(|m| m.1).sum();
    let mut roll = rng.gen_range(0..total);
    for (name, weight, hotend, bed) in MATERIALS {
        if roll < weight {
            return (name, hotend, bed);
        }
        roll -= weight;
    }
    ("PLA", 215.0, 60.0)
}

/// A colour name from [`COLOURS`].
fn pick_colour(rng: &mut StdRng) -> &'static str {
    COLOURS[rng.gen_range(0..COLOURS.len())]
}

/// Build volume, tags and tool count of one of four printer kinds.
fn printer_kind(rng: &mut StdRng) -> ([f64; 3], Vec<String>, u32) {
    let tags = |list: &[&str]| list.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    match rng.gen_range(0..100) {
        0..=59 => ([250.0, 210.0, 210.0], tags(&["mk3s"]), 1),
        60..=79 => ([300.0, 300.0, 400.0], tags(&["large", "enclosure"]), 1),
        80..=94 => ([180.0, 180.0, 180.0], tags(&["direct-drive"]), 1),
        _ => ([250.0, 210.0, 210.0], tags(&["mk3s", "enclosure"]), 5),
    }
}

/// Idle (about half), busy, awaiting a clear, or offline.
fn availability(rng: &mut StdRng) -> Availability {
    match rng.gen_range(0..100) {
        0..=49 => Availability::Idle,
        50..=84 => Availability::Busy,
        85..=94 => Availability::AwaitingClear,
        _ => Availability::Offline,
    }
}

/// One synthetic printer.
fn printer(rng: &mut StdRng, index: usize) -> PrinterCaps {
    let (build_volume, tags, extruders) = printer_kind(rng);
    let tools = (0..extruders)
        .map(|_| ToolMaterial {
            material: pick_material(rng).0.to_owned(),
            colour: Some(pick_colour(rng).to_owned()),
        })
        .collect();
    let availability = availability(rng);
    let idle_since =
        (availability == Availability::Idle).then(|| NOW_MS - rng.gen_range(0..3_600_000));
    PrinterCaps {
        name: format!("printer-{index:03}"),
        availability,
        auto_eject: rng.gen_bool(0.3),
        idle_since,
        tools,
        extruders,
        nozzle_diameter: if rng.gen_bool(0.9) { 0.4 } else { 0.6 },
        build_volume,
        min_position: [0.0, -4.0, 0.0],
        bounds_margin: 0.5,
        tags,
        max_hotend_temp: if rng.gen_bool(0.8) { 300.0 } else { 260.0 },
        max_bed_temp: 120.0,
        max_command_bytes: 96,
    }
}

/// Extents of a part centred on a 250×210 bed: keychains to full plates.
fn extents(rng: &mut StdRng) -> Extents {
    let (x, y, z) = match rng.gen_range(0..100) {
        0..=49 => (rng.gen_range(20.0..80.0), rng.gen_range(20.0..80.0), 5.0),
        50..=84 => (rng.gen_range(80.0..170.0), rng.gen_range(80.0..170.0), 40.0),
        85..=96 => (
            rng.gen_range(170.0..240.0),
            rng.gen_range(150.0..200.0),
            120.0,
        ),
        _ => (
            rng.gen_range(250.0..290.0),
            rng.gen_range(220.0..290.0),
            300.0,
        ),
    };
    let (cx, cy) = (125.0, 105.0);
    Extents {
        min: [cx - x / 2.0, cy - y / 2.0, 0.2],
        max: [cx + x / 2.0, cy + y / 2.0, rng.gen_range(1.0..=z)],
    }
}

/// What one synthetic job needs.
fn needs(rng: &mut StdRng) -> JobNeeds {
    let (material, hotend, bed) = pick_material(rng);
    let required_tags = if rng.gen_bool(0.1) {
        vec![TAGS[rng.gen_range(0..TAGS.len())].to_owned()]
    } else {
        Vec::new()
    };
    JobNeeds {
        material: rng.gen_bool(0.9).then(|| material.to_owned()),
        colour: rng.gen_bool(0.5).then(|| pick_colour(rng).to_owned()),
        required_tags,
        extents: Some(extents(rng)),
        tools_used: vec![0],
        max_hotend_temp: Some(hotend),
        max_bed_temp: Some(bed),
        nozzle_diameter: Some(if rng.gen_bool(0.92) { 0.4 } else { 0.6 }),
        violations_free: rng.gen_bool(0.98),
        longest_line: None,
    }
}

/// One synthetic queued job.
fn job(rng: &mut StdRng, index: usize) -> QueuedJob {
    let priority = match rng.gen_range(0..100) {
        0..=79 => 0,
        80..=94 => 1,
        _ => rng.gen_range(2..=5),
    };
    let created_at = NOW_MS - rng.gen_range(0..7 * 86_400_000);
    QueuedJob {
        id: format!("{created_at:012x}{index:04x}job"),
        priority,
        due_at: rng
            .gen_bool(0.3)
            .then(|| NOW_MS + rng.gen_range(0..3 * 86_400_000)),
        created_at,
        needs: needs(rng),
    }
}

/// A snapshot of `jobs` queued jobs and `printers` printers, from a fixed seed.
fn snapshot(jobs: usize, printers: usize) -> Snapshot {
    let mut rng = StdRng::seed_from_u64(0x5eed_f00d);
    Snapshot {
        printers: (0..printers).map(|i| printer(&mut rng, i)).collect(),
        queue: (0..jobs).map(|i| job(&mut rng, i)).collect(),
    }
}

/// Prints what the snapshot looks like, so the figures can be read in context.
fn describe(label: &str, snapshot: &Snapshot) {
    let free = snapshot
        .printers
        .iter()
        .filter(|p| p.accepts_work())
        .count();
    let assigned = decide(snapshot).len();
    eprintln!(
        "{label}: {} jobs, {} printers, {free} accept work, {assigned} assignments per round",
        snapshot.queue.len(),
        snapshot.printers.len(),
    );
}

/// `decide` at both sizes.
fn bench_decide(c: &mut Criterion) {
    let mut group = c.benchmark_group("scheduler_decide");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(15));
    for (jobs, printers) in [(1_000, 20), (10_000, 200)] {
        let snapshot = snapshot(jobs, printers);
        let label = format!("{jobs}x{printers}");
        describe(&label, &snapshot);
        group.bench_with_input(BenchmarkId::from_parameter(&label), &snapshot, |b, s| {
            b.iter(|| black_box(decide(black_box(s))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_decide);
criterion_main!(benches);
