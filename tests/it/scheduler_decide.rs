//! `decide`: queue order, routing, the bed-clear gate, one job per printer.

use crate::scheduler_support::{big, cube, demo_farm, job, mk3s};
use printfarm::scheduler::{decide, Assignment, Availability, Extents, QueuedJob, Snapshot};

fn pairs(assignments: &[Assignment]) -> Vec<(&str, &str)> {
    assignments
        .iter()
        .map(|a| (a.job_id.as_str(), a.printer.as_str()))
        .collect()
}

fn with(mut job: QueuedJob, priority: i64, due_at: Option<i64>) -> QueuedJob {
    job.priority = priority;
    job.due_at = due_at;
    job
}

#[test]
fn queue_order_is_priority_then_due_date_then_age() {
    // One free printer: the job decide picks is the head of the queue.
    let cases: Vec<(&str, Vec<QueuedJob>, &str)> = vec![
        (
            "higher priority wins",
            vec![
                with(job("low", 1, cube()), 0, Some(10)),
                with(job("high", 2, cube()), 5, None),
            ],
            "high",
        ),
        (
            "earlier due date wins",
            vec![
                with(job("late", 1, cube()), 1, Some(900)),
                with(job("soon", 2, cube()), 1, Some(100)),
            ],
            "soon",
        ),
        (
            "a due date beats none",
            vec![
                with(job("none", 1, cube()), 1, None),
                with(job("due", 2, cube()), 1, Some(5_000)),
            ],
            "due",
        ),
        (
            "older wins among equals",
            vec![job("young", 20, cube()), job("old", 10, cube())],
            "old",
        ),
        (
            "negative priority runs last",
            vec![
                with(job("neg", 1, cube()), -1, Some(1)),
                job("zero", 99, cube()),
            ],
            "zero",
        ),
    ];
    for (name, queue, expected) in cases {
        let snapshot = Snapshot {
            queue,
            printers: vec![mk3s("p", "PLA", "black")],
        };
        assert_eq!(pairs(&decide(&snapshot)), [(expected, "p")], "{name}");
    }
}

#[test]
fn jobs_are_routed_by_material_colour_volume_tags_and_temperature() {
    let tall = |mut n: printfarm::scheduler::JobNeeds| {
        n.extents = Some(Extents {
            min: [0.0; 3],
            max: [280.0, 200.0, 300.0],
        });
        n
    };
    let cases: Vec<(&str, printfarm::scheduler::JobNeeds, Option<&str>)> = vec![
        (
            "plain PLA goes to the idle-longest PLA printer",
            cube(),
            Some("mk3s-1"),
        ),
        (
            "PETG goes to the PETG printer",
            printfarm::scheduler::JobNeeds {
                material: Some("petg".into()),
                ..cube()
            },
            Some("mk3s-petg"),
        ),
        (
            "a colour picks the printer that has it",
            printfarm::scheduler::JobNeeds {
                colour: Some("White".into()),
                ..cube()
            },
            Some("big-1"),
        ),
        (
            "too big for an MK3S goes to big-1",
            tall(cube()),
            Some("big-1"),
        ),
        (
            "a tag restricts the choice",
            printfarm::scheduler::JobNeeds {
                required_tags: vec!["large".into()],
                ..cube()
            },
            Some("big-1"),
        ),
        (
            "a hot bed rules out big-1",
            printfarm::scheduler::JobNeeds {
                max_bed_temp: Some(115.0),
                required_tags: vec!["large".into()],
                ..cube()
            },
            None,
        ),
        (
            "ABS is loaded nowhere",
            printfarm::scheduler::JobNeeds {
                material: Some("ABS".into()),
                ..cube()
            },
            None,
        ),
        (
            "a 0.6 mm file fits no 0.4 mm nozzle",
            printfarm::scheduler::JobNeeds {
                nozzle_diameter: Some(0.6),
                ..cube()
            },
            None,
        ),
        (
            "a second tool fits no single-extruder printer",
            printfarm::scheduler::JobNeeds {
                tools_used: vec![0, 1],
                ..cube()
            },
            None,
        ),
        (
            "a file with violations goes nowhere",
            printfarm::scheduler::JobNeeds {
                violations_free: false,
                ..cube()
            },
            None,
        ),
        (
            "a Y=-3 purge line does not fit big-1 (min_position 0)",
            printfarm::scheduler::JobNeeds {
                extents: Some(Extents {
                    min: [0.0, -3.0, 0.2],
                    max: [10.0, 10.0, 1.0],
                }),
                required_tags: vec!["large".into()],
                ..cube()
            },
            None,
        ),
        (
            "a Y=-3 purge line fits an MK3S (min_position -4)",
            printfarm::scheduler::JobNeeds {
                extents: Some(Extents {
                    min: [0.0, -3.0, 0.2],
                    max: [10.0, 10.0, 1.0],
                }),
                required_tags: vec!["mk3s".into()],
                ..cube()
            },
            Some("mk3s-1"),
        ),
        (
            "the Y=-3 purge line fits min_position -4 but Y=-5 does not on MK3S",
            printfarm::scheduler::JobNeeds {
                extents: Some(Extents {
                    min: [0.0, -5.0, 0.2],
                    max: [10.0, 10.0, 1.0],
                }),
                ..cube()
            },
            None,
        ),
    ];
    for (name, needs, expected) in cases {
        let mut printers = demo_farm();
        printers[0].idle_since = Some(10); // mk3s-1 has been idle longest
        let snapshot = Snapshot {
            queue: vec![job("j", 1, needs)],
            printers,
        };
        let got: Vec<_> = decide(&snapshot).into_iter().map(|a| a.printer).collect();
        assert_eq!(got.first().map(String::as_str), expected, "{name}");
    }
}

#[test]
fn only_printers_that_accept_work_get_jobs() {
    use Availability::*;
    // (availability, auto_eject, gets a job)
    let cases = [
        (Idle, false, true),
        (Busy, false, false),
        (Offline, true, false),
        (AwaitingClear, false, false),
        (AwaitingClear, true, true),
    ];
    for (availability, auto_eject, expected) in cases {
        let mut printer = mk3s("p", "PLA", "black");
        printer.availability = availability;
        printer.auto_eject = auto_eject;
        let snapshot = Snapshot {
            queue: vec![job("j", 1, cube())],
            printers: vec![printer],
        };
        assert_eq!(
            !decide(&snapshot).is_empty(),
            expected,
            "{availability:?} {auto_eject}"
        );
    }
}

#[test]
fn each_printer_gets_one_job_and_unroutable_jobs_do_not_block_the_queue() {
    let petg = printfarm::scheduler::JobNeeds {
        material: Some("PETG".into()),
        ..cube()
    };
    let abs = printfarm::scheduler::JobNeeds {
        material: Some("ABS".into()),
        ..cube()
    };
    let queue = vec![
        with(job("abs", 1, abs), 9, None),
        job("pla-1", 2, cube()),
        job("pla-2", 3, cube()),
        job("pla-3", 4, cube()),
        job("pla-4", 5, cube()),
        job("petg", 6, petg),
    ];
    let mut printers = demo_farm();
    for (i, p) in printers.iter_mut().enumerate() {
        p.idle_since = Some(i as i64);
    }
    let got = decide(&Snapshot { queue, printers });
    assert_eq!(
        pairs(&got),
        [
            ("pla-1", "mk3s-1"),
            ("pla-2", "mk3s-2"),
            ("pla-3", "big-1"),
            ("petg", "mk3s-petg")
        ]
    );
}

#[test]
fn the_printer_idle_longest_is_preferred() {
    let mut a = mk3s("a", "PLA", "black");
    let mut b = mk3s("b", "PLA", "black");
    let c = mk3s("c", "PLA", "black");
    a.idle_since = Some(500);
    b.idle_since = Some(100);
    let mut c_unknown = c;
    c_unknown.idle_since = None;
    let snapshot = Snapshot {
        queue: vec![
            job("1", 1, cube()),
            job("2", 2, cube()),
            job("3", 3, cube()),
        ],
        printers: vec![c_unknown, a, b],
    };
    assert_eq!(
        pairs(&decide(&snapshot)),
        [("1", "b"), ("2", "a"), ("3", "c")]
    );
}

#[test]
fn duplicate_entries_never_double_book() {
    let snapshot = Snapshot {
        queue: vec![job("same", 1, cube()), job("same", 1, cube())],
        printers: vec![
            mk3s("p", "PLA", "black"),
            mk3s("p", "PLA", "black"),
            big("q"),
        ],
    };
    assert_eq!(pairs(&decide(&snapshot)), [("same", "p")]);
}

#[test]
fn empty_inputs_decide_nothing() {
    assert!(decide(&Snapshot::default()).is_empty());
    let no_printers = Snapshot {
        queue: vec![job("j", 1, cube())],
        printers: vec![],
    };
    assert!(decide(&no_printers).is_empty());
}
