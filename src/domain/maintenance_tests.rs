use super::*;

const HOUR_MS: i64 = 3_600_000;

fn odometer(hours: f64, jobs: i64, filament_m: f64) -> Odometer {
    Odometer {
        print_ms: (hours * HOUR_MS as f64) as i64,
        filament_mm: (filament_m * 1000.0) as i64,
        jobs,
        last_service_at: None,
    }
}

#[test]
fn due_when_any_threshold_is_reached() {
    let all = Thresholds {
        every_hours: Some(200.0),
        every_jobs: Some(500),
        every_filament_m: Some(5000.0),
    };
    let jobs_only = Thresholds {
        every_jobs: Some(1),
        ..Thresholds::default()
    };
    let cases = [
        (Thresholds::default(), odometer(1e6, 1_000_000, 1e9), vec![]),
        (all, odometer(0.0, 0, 0.0), vec![]),
        (all, odometer(199.9, 499, 4999.9), vec![]),
        (all, odometer(200.0, 0, 0.0), vec![Measure::Hours]),
        (all, odometer(0.0, 500, 0.0), vec![Measure::Jobs]),
        (all, odometer(0.0, 0, 5000.0), vec![Measure::FilamentM]),
        (
            all,
            odometer(300.0, 600, 6000.0),
            vec![Measure::Hours, Measure::Jobs, Measure::FilamentM],
        ),
        (jobs_only, odometer(0.0, 0, 0.0), vec![]),
        (jobs_only, odometer(0.0, 1, 0.0), vec![Measure::Jobs]),
        (jobs_only, odometer(1e6, 0, 1e9), vec![]),
    ];
    for (thresholds, reading, expected) in cases {
        let verdict = assess(&thresholds, &reading);
        let measures: Vec<Measure> = verdict.reached.iter().map(|r| r.measure).collect();
        assert_eq!(measures, expected, "{thresholds:?} {reading:?}");
        assert_eq!(
            verdict.due,
            !expected.is_empty(),
            "{thresholds:?} {reading:?}"
        );
        assert_eq!(verdict.reason().is_some(), verdict.due);
    }
}

#[test]
fn reasons_name_reading_and_threshold() {
    let thresholds = Thresholds {
        every_hours: Some(200.0),
        every_jobs: Some(2),
        every_filament_m: Some(5000.0),
    };
    let cases = [
        (
            odometer(200.3, 0, 0.0),
            "200.3 h printed since the last service, threshold 200 h",
        ),
        (
            odometer(0.0, 3, 0.0),
            "3 jobs since the last service, threshold 2",
        ),
        (
            odometer(0.0, 0, 5000.25),
            "5000.2 m of filament since the last service, threshold 5000 m",
        ),
        (
            odometer(250.0, 2, 0.0),
            "250.0 h printed since the last service, threshold 200 h; \
             2 jobs since the last service, threshold 2",
        ),
    ];
    for (reading, expected) in cases {
        let reason = assess(&thresholds, &reading).reason();
        assert_eq!(reason.as_deref(), Some(expected), "{reading:?}");
    }
}

#[test]
fn an_attempt_adds_its_time_one_job_and_its_filament_share() {
    let base = EndedAttempt {
        started_ms: 1_000,
        ended_ms: 1_000 + HOUR_MS,
        completed: true,
        last_line: 0,
        line_count: Some(1000),
        file_filament_mm: Some(2000.0),
    };
    let cases = [
        // completed: the whole file's filament, whatever the line count
        (base, HOUR_MS, 2000),
        (
            EndedAttempt {
                line_count: None,
                ..base
            },
            HOUR_MS,
            2000,
        ),
        // failed: prorated by acknowledged lines
        (
            EndedAttempt {
                completed: false,
                last_line: 250,
                ..base
            },
            HOUR_MS,
            500,
        ),
        // failed, lines unknown or past the end
        (
            EndedAttempt {
                completed: false,
                last_line: 250,
                line_count: None,
                ..base
            },
            HOUR_MS,
            0,
        ),
        (
            EndedAttempt {
                completed: false,
                last_line: 5000,
                ..base
            },
            HOUR_MS,
            2000,
        ),
        // no filament figure; a clock that went backwards
        (
            EndedAttempt {
                file_filament_mm: None,
                ended_ms: 0,
                ..base
            },
            0,
            0,
        ),
    ];
    for (attempt, print_ms, filament_mm) in cases {
        let wear = wear_of_attempt(&attempt);
        assert_eq!(
            (wear.print_ms, wear.filament_mm, wear.jobs),
            (print_ms, filament_mm, 1),
            "{attempt:?}"
        );
    }
}

#[test]
fn one_job_is_one_job() {
    let thresholds = Thresholds {
        every_jobs: Some(1),
        ..Thresholds::default()
    };
    let reason = assess(&thresholds, &odometer(0.0, 1, 0.0)).reason();
    assert_eq!(
        reason.as_deref(),
        Some("1 job since the last service, threshold 1")
    );
}
