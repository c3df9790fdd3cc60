use super::{Assignment, Edd, Policy, Printfarm, View};
use crate::farmsim::instance::{Instance, Model};
use serde_json::json;

const H: i64 = 3600;

/// A weekday 08:00–17:00 farm from Monday 2026-01-05 00:00 UTC, with
/// `printers` as (name, material) and `jobs` as (id, hours, material, due hours).
fn model(printers: &[(&str, &str)], jobs: &[(&str, f64, &str, i64)]) -> Model {
    let at = |h: i64| {
        "2026-01-05T00:00:00Z"
            .parse::<jiff::Timestamp>()
            .map(|t| {
                t.checked_add(jiff::SignedDuration::from_hours(h))
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    };
    let instance: Instance = serde_json::from_value(json!({
        "start": "2026-01-05T00:00:00Z", "timezone": "UTC",
        "shifts": [{"days": "mon-fri", "from": "08:00", "to": "17:00", "operators": 1}],
        "bed_clear_min": 5, "material_change_min": 15, "max_concurrent_heatups": 4,
        "printers": printers.iter().map(|(name, material)| json!({
            "name": name, "speed": 1.0, "material": material, "colour": "black",
            "build_volume": [250, 210, 210]})).collect::<Vec<_>>(),
        "jobs": jobs.iter().map(|(id, hours, material, due)| json!({
            "id": id, "order": id, "release": at(0), "due": at(*due), "weight": 1.0,
            "duration_s": hours * 3600.0, "material": material, "colour": "black",
            "size": [50, 50, 10]})).collect::<Vec<_>>(),
    }))
    .expect("instance");
    instance.model().expect("model")
}

fn decide(
    policy: &mut dyn Policy,
    model: &Model,
    now: i64,
    free: &[usize],
    slots: u32,
) -> Vec<Assignment> {
    let waiting: Vec<usize> = (0..model.jobs.len()).collect();
    let loads: Vec<String> = model.printers.iter().map(|p| p.load.clone()).collect();
    let free_at = vec![None; model.printers.len()];
    let weights: Vec<f64> = model.jobs.iter().map(|j| j.weight).collect();
    let dues: Vec<i64> = model.jobs.iter().map(|j| j.due).collect();
    let view = View {
        now,
        model,
        waiting: &waiting,
        free,
        loads: &loads,
        free_at: &free_at,
        heatup_slots: slots,
        order_weight: &weights,
        order_due: &dues,
    };
    policy.decide(&view)
}

#[test]
fn an_evening_start_prefers_the_long_job() {
    // Monday 16:30: the 1-hour print would sit on its bed until Tuesday 08:00.
    let m = model(
        &[("p", "PLA")],
        &[("short", 1.0, "PLA", 200), ("long", 14.0, "PLA", 200)],
    );
    let evening = decide(&mut Printfarm::default(), &m, 16 * H + H / 2, &[0], 4);
    assert_eq!(evening, [Assignment { job: 1, printer: 0 }]);
    // In the morning the short one goes first (it is cleared the same day).
    let morning = decide(&mut Printfarm::default(), &m, 9 * H, &[0], 4);
    assert_eq!(morning, [Assignment { job: 0, printer: 0 }]);
}

#[test]
fn the_loaded_material_wins_when_the_due_dates_allow() {
    let m = model(
        &[("p", "PLA")],
        &[("petg", 2.0, "PETG", 48), ("pla", 2.0, "PLA", 72)],
    );
    assert_eq!(
        decide(&mut Printfarm::default(), &m, 9 * H, &[0], 4)[0].job,
        1
    );
    assert_eq!(
        decide(&mut Edd, &m, 9 * H, &[0], 4)[0].job,
        0,
        "EDD changes material"
    );
    // When the other job is already late, it goes first, change or not.
    let late = model(
        &[("p", "PLA")],
        &[("petg", 2.0, "PETG", 5), ("pla", 2.0, "PLA", 72)],
    );
    assert_eq!(
        decide(&mut Printfarm::default(), &late, 9 * H, &[0], 4)[0].job,
        0
    );
}

#[test]
fn no_more_prints_start_than_the_heat_up_cap_allows() {
    let m = model(
        &[("a", "PLA"), ("b", "PLA"), ("c", "PLA")],
        &[
            ("1", 1.0, "PLA", 48),
            ("2", 1.0, "PLA", 48),
            ("3", 1.0, "PLA", 48),
        ],
    );
    assert_eq!(
        decide(&mut Printfarm::default(), &m, 9 * H, &[0, 1, 2], 1).len(),
        1
    );
    assert_eq!(
        decide(&mut Printfarm::default(), &m, 9 * H, &[0, 1, 2], 0).len(),
        0
    );
    assert_eq!(
        decide(&mut Printfarm::default(), &m, 9 * H, &[0, 1, 2], 5).len(),
        3
    );
}
