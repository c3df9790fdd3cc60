use super::{Clock, Pick, Round, Station, TimedRule, Work};
use crate::domain::calendar::{Calendar, Shift};

const H: i64 = 3600;
const FAR: i64 = 30 * 24 * H;

/// Weekdays 08:00–17:00 UTC from Monday 2026-01-05 00:00 (t = 0).
fn weekdays() -> Calendar {
    let shift = Shift::parse("mon-fri", "08:00", "17:00", 1).expect("shift");
    let start: jiff::Timestamp = "2026-01-05T00:00:00Z".parse().expect("start");
    Calendar::new(&[shift], &jiff::tz::TimeZone::UTC, start, 30)
}

/// A job: hours at speed 1, material/colour, due (s).
type JobSpec<'a> = (f64, &'a str, i64);
/// A printer: material/colour loaded, hours since service, busy until (s).
type PrinterSpec<'a> = (&'a str, f64, Option<i64>);

#[allow(clippy::too_many_arguments)]
fn decide_with(
    rule: &TimedRule,
    calendar: Option<&Calendar>,
    now: i64,
    jobs: &[JobSpec<'_>],
    printers: &[PrinterSpec<'_>],
    free: &[usize],
    slots: u32,
    fits: impl Fn(usize, usize) -> bool,
) -> Vec<Pick> {
    let work: Vec<Work> = jobs
        .iter()
        .map(|&(hours, _, due)| Work {
            due,
            weight: 1.0,
            duration: hours * 3600.0,
        })
        .collect();
    let stations: Vec<Station> = printers
        .iter()
        .map(|&(_, wear_h, free_at)| Station {
            speed: 1.0,
            free_at,
            wear_h,
        })
        .collect();
    let round = Round {
        clock: Clock {
            now,
            calendar,
            bed_clear: 300,
            material_change: 900,
        },
        jobs: &work,
        printers: &stations,
        free,
        heatup_slots: slots,
        fit: |j, p| fits(j, p).then(|| jobs[j].1 != printers[p].0),
    };
    rule.decide(&round)
}

fn decide_fit(
    calendar: Option<&Calendar>,
    now: i64,
    jobs: &[JobSpec<'_>],
    printers: &[PrinterSpec<'_>],
    free: &[usize],
    slots: u32,
    fits: impl Fn(usize, usize) -> bool,
) -> Vec<Pick> {
    let rule = TimedRule::default();
    decide_with(&rule, calendar, now, jobs, printers, free, slots, fits)
}

fn decide(
    calendar: Option<&Calendar>,
    now: i64,
    jobs: &[JobSpec<'_>],
    printers: &[PrinterSpec<'_>],
    free: &[usize],
    slots: u32,
) -> Vec<Pick> {
    decide_fit(calendar, now, jobs, printers, free, slots, |_, _| true)
}

const PLA: &str = "PLA/black";
const PETG: &str = "PETG/orange";

#[test]
fn an_evening_start_prefers_the_long_job_and_a_morning_start_the_short_one() {
    let calendar = weekdays();
    let jobs = [(1.0, PLA, FAR), (14.0, PLA, FAR)];
    let printers = [(PLA, 0.0, None)];
    let evening = decide(Some(&calendar), 16 * H, &jobs, &printers, &[0], 1);
    assert_eq!(
        evening[0].job, 1,
        "16:00: the 14-hour print runs through the night"
    );
    let morning = decide(Some(&calendar), 9 * H, &jobs, &printers, &[0], 1);
    assert_eq!(
        morning[0].job, 0,
        "09:00: the one-hour print frees the printer by 10:00"
    );
}

#[test]
fn the_loaded_material_wins_when_due_dates_allow_and_a_late_job_asks_for_a_change() {
    let printers = [(PLA, 0.0, None)];
    let picks = decide(
        None,
        9 * H,
        &[(2.0, PETG, FAR), (2.0, PLA, FAR)],
        &printers,
        &[0],
        1,
    );
    assert_eq!(
        picks,
        vec![Pick {
            job: 1,
            printer: 0,
            change: false
        }]
    );
    let urgent = [(2.0, PETG, 3 * H), (2.0, PLA, FAR)];
    let picks = decide(None, 0, &urgent, &printers, &[0], 1);
    assert_eq!(
        picks,
        vec![Pick {
            job: 0,
            printer: 0,
            change: true
        }]
    );
}

#[test]
fn a_change_is_avoided_when_a_printer_with_the_material_is_free_soon() {
    let printers = [(PLA, 0.0, None), (PETG, 0.0, Some(H))];
    let alone = decide(None, 0, &[(2.0, PETG, FAR)], &printers, &[0], 1);
    assert_eq!(
        alone.len(),
        1,
        "nothing else to do: the change still happens"
    );
    let jobs = [(2.0, PETG, FAR), (2.0, PLA, FAR)];
    let picks = decide(None, 0, &jobs, &printers, &[0], 1);
    assert_eq!(picks[0].job, 1, "the PETG job waits for the PETG printer");
}

#[test]
fn never_more_starts_than_heat_up_slots_nor_two_jobs_per_printer() {
    let jobs = [(1.0, PLA, FAR); 6];
    let printers = [(PLA, 0.0, None); 4];
    assert_eq!(decide(None, 0, &jobs, &printers, &[0, 1, 2, 3], 2).len(), 2);
    let picks = decide(None, 0, &jobs, &printers, &[0, 1, 2, 3], 10);
    assert_eq!(picks.len(), 4);
    let mut printers_used: Vec<usize> = picks.iter().map(|p| p.printer).collect();
    let mut jobs_used: Vec<usize> = picks.iter().map(|p| p.job).collect();
    printers_used.sort_unstable();
    printers_used.dedup();
    jobs_used.sort_unstable();
    jobs_used.dedup();
    assert_eq!((printers_used.len(), jobs_used.len()), (4, 4));
    assert!(decide(None, 0, &jobs, &printers, &[0, 1], 0).is_empty());
}

#[test]
fn among_equal_printers_the_least_worn_takes_the_job() {
    let printers = [(PLA, 120.0, None), (PLA, 3.5, None)];
    let picks = decide(None, 0, &[(1.0, PLA, FAR)], &printers, &[0, 1], 1);
    assert_eq!(picks[0].printer, 1);
}

#[test]
fn a_job_goes_only_where_it_fits() {
    let printers = [(PLA, 0.0, None), (PLA, 9.0, None)];
    let picks = decide_fit(
        None,
        0,
        &[(1.0, PLA, FAR)],
        &printers,
        &[0, 1],
        2,
        |_, p| p == 1,
    );
    assert_eq!(
        picks,
        vec![Pick {
            job: 0,
            printer: 1,
            change: false
        }]
    );
}

#[test]
fn a_short_evening_print_waits_while_its_due_date_allows() {
    let calendar = weekdays();
    let printers = [(PLA, 0.0, None)];
    let relaxed = decide(
        Some(&calendar),
        16 * H,
        &[(1.0, PLA, FAR)],
        &printers,
        &[0],
        1,
    );
    assert!(
        relaxed.is_empty(),
        "16:00: a one-hour print would wait on its bed until 08:00; the job can wait too"
    );
    let pressing = decide(
        Some(&calendar),
        16 * H,
        &[(1.0, PLA, 20 * H)],
        &printers,
        &[0],
        1,
    );
    assert_eq!(pressing.len(), 1, "due at 20:00: it prints now");
}

#[test]
fn no_material_change_is_asked_for_while_nobody_is_on_shift() {
    let calendar = weekdays();
    let printers = [(PLA, 0.0, None)];
    let night = decide(
        Some(&calendar),
        20 * H,
        &[(10.0, PETG, FAR)],
        &printers,
        &[0],
        1,
    );
    assert!(night.is_empty(), "20:00: nobody to change the material");
    let loaded = decide(
        Some(&calendar),
        20 * H,
        &[(10.0, PLA, FAR)],
        &printers,
        &[0],
        1,
    );
    assert_eq!(
        loaded.len(),
        1,
        "20:00: the loaded material can still print"
    );
    let day = decide(
        Some(&calendar),
        9 * H,
        &[(10.0, PETG, FAR)],
        &printers,
        &[0],
        1,
    );
    assert_eq!(
        day,
        vec![Pick {
            job: 0,
            printer: 0,
            change: true
        }]
    );
}

#[test]
fn a_job_that_can_still_be_on_time_goes_before_a_hopeless_one() {
    let printers = [(PLA, 0.0, None)];
    // Job 0 is due in one hour but prints for two; job 1 makes it if it starts now.
    let jobs = [(2.0, PLA, H), (2.0, PLA, 5 * H / 2)];
    let picks = decide(None, 0, &jobs, &printers, &[0], 1);
    assert_eq!(picks[0].job, 1);
    let rule = TimedRule {
        hopeless: 1.0,
        ..TimedRule::default()
    };
    let plain = decide_with(&rule, None, 0, &jobs, &printers, &[0], 1, |_, _| true);
    assert_eq!(plain[0].job, 0, "without the give-way the tighter job wins");
}

#[test]
fn with_someone_always_there_a_tiny_print_starts_at_once() {
    // 36 s of printing against a 5-minute bed clear: short, not deferred.
    let picks = decide(
        None,
        20 * H,
        &[(0.01, PLA, FAR)],
        &[(PLA, 0.0, None)],
        &[0],
        1,
    );
    assert_eq!(picks.len(), 1, "{picks:?}");
}
