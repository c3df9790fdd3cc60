//! Instances like a real farm's, from a seed: printers of three kinds;
//! print times 60 % 20 min–3 h, 28 % 3–8 h, 12 % 8–24 h; orders of 1–5
//! items due 24, 48 or 72 h after release (10 % express: 24 h, weight 4);
//! 3–6 materials of skewed popularity; one weekday shift; releases spread
//! so the work is `load` times the farm's shift-adjusted capacity.

use super::instance::{Instance, JobSpec, PrinterSpec, ShiftSpec};
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recipe {
    /// Printers.
    pub printers: usize,
    /// Jobs.
    pub jobs: usize,
    /// Work over shift-adjusted capacity (0.7, 0.9, 1.1).
    pub load: f64,
    /// Random seed.
    pub seed: u64,
}

/// The share of the week a printer prints when beds are cleared only on
/// weekday shifts (prints ending at night or at weekends wait): the
/// capacity `load` is measured against.
pub const SHIFT_ADJUSTED: f64 = 0.4;

const KINDS: [(&str, [f64; 3], f64); 3] = [
    ("mk4", [250.0, 210.0, 220.0], 1.0),
    ("xl", [360.0, 360.0, 360.0], 1.2),
    ("mini", [180.0, 180.0, 180.0], 0.9),
];
const LOADS: [(&str, &str); 6] = [
    ("PLA", "black"),
    ("PLA", "white"),
    ("PETG", "grey"),
    ("PLA", "red"),
    ("ASA", "black"),
    ("TPU", "clear"),
];
const START: &str = "2026-01-05T06:00:00+01:00";

fn pick_load(rng: &mut StdRng, kinds: usize) -> usize {
    let weights: Vec<f64> = (0..kinds)
        .map(|i| 1.0 / ((i + 1) as f64).powf(1.2))
        .collect();
    let mut x = rng.gen::<f64>() * weights.iter().sum::<f64>();
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    kinds - 1
}

fn duration(rng: &mut StdRng) -> f64 {
    let h = 3600.0;
    let (lo, hi): (f64, f64) = match rng.gen::<f64>() {
        x if x < 0.60 => (h / 3.0, 3.0 * h),
        x if x < 0.88 => (3.0 * h, 8.0 * h),
        _ => (8.0 * h, 24.0 * h),
    };
    rng.gen_range(lo..hi).round()
}

fn size(rng: &mut StdRng) -> [f64; 3] {
    match rng.gen::<f64>() {
        x if x < 0.85 => [
            rng.gen_range(20.0..150.0),
            rng.gen_range(20.0..150.0),
            rng.gen_range(5.0..150.0),
        ],
        x if x < 0.95 => [
            rng.gen_range(150.0..240.0),
            rng.gen_range(100.0..200.0),
            rng.gen_range(5.0..200.0),
        ],
        _ => [
            rng.gen_range(250.0..340.0),
            rng.gen_range(200.0..340.0),
            rng.gen_range(5.0..300.0),
        ],
    }
}

fn at(start: Timestamp, seconds: f64) -> String {
    let offset = SignedDuration::from_secs(seconds.round() as i64);
    start.checked_add(offset).unwrap_or(start).to_string()
}

/// An instance from `recipe`.
pub fn generate(recipe: Recipe) -> Instance {
    let mut rng = StdRng::seed_from_u64(recipe.seed);
    let loads = rng.gen_range(3..=6);
    let printers: Vec<PrinterSpec> = (0..recipe.printers.max(1))
        .map(|i| {
            let (kind, volume, speed) = KINDS[match i % 10 {
                0 => 1,
                5 => 2,
                _ => 0,
            }];
            let (material, colour) = LOADS[pick_load(&mut rng, loads)];
            PrinterSpec {
                name: format!("{kind}-{i:03}"),
                speed,
                material: material.into(),
                colour: colour.into(),
                build_volume: volume,
                tags: Vec::new(),
            }
        })
        .collect();
    let durations: Vec<f64> = (0..recipe.jobs).map(|_| duration(&mut rng)).collect();
    let work: f64 = durations.iter().sum();
    let capacity_per_s = recipe.printers.max(1) as f64 * SHIFT_ADJUSTED * recipe.load.max(0.05);
    let horizon = work / capacity_per_s;
    let start: Timestamp = START.parse().unwrap_or(Timestamp::UNIX_EPOCH);
    let mut jobs = Vec::with_capacity(recipe.jobs);
    let mut order = 0;
    while jobs.len() < recipe.jobs {
        let items = rng.gen_range(1..=5).min(recipe.jobs - jobs.len());
        let release = rng.gen_range(0.0..horizon.max(1.0));
        let express = rng.gen::<f64>() < 0.1;
        let lead = if express {
            24.0
        } else {
            [24.0, 48.0, 72.0][rng.gen_range(0..3)]
        };
        for _ in 0..items {
            let (material, colour) = LOADS[pick_load(&mut rng, loads)];
            jobs.push(JobSpec {
                id: format!("j{}", jobs.len()),
                order: format!("o{order}"),
                release: at(start, release),
                due: at(start, release + lead * 3600.0),
                weight: if express { 4.0 } else { 1.0 },
                duration_s: durations[jobs.len()],
                material: material.into(),
                colour: colour.into(),
                size: size(&mut rng),
                tags: Vec::new(),
            });
        }
        order += 1;
    }
    Instance {
        start: START.into(),
        timezone: "Europe/Berlin".into(),
        shifts: vec![ShiftSpec {
            days: "mon-fri".into(),
            from: "08:00".into(),
            to: "17:00".into(),
            operators: (recipe.printers as u32 / 15).max(1),
        }],
        bed_clear_min: 5.0,
        material_change_min: 15.0,
        max_concurrent_heatups: (recipe.printers as u32 / 4).max(2),
        printers,
        jobs,
    }
}
