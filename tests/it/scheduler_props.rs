//! Properties of `decide` over random snapshots.

use crate::scheduler_support::mk3s;
use printfarm::scheduler::{
    can_print, decide, fit_with_change, mismatches, queue_order, Availability, Extents, JobNeeds,
    Mismatch, PrinterCaps, QueuedJob, Snapshot,
};
use proptest::prelude::*;
use std::collections::HashSet;

const MATERIALS: [&str; 3] = ["PLA", "PETG", "ABS"];

fn printer() -> impl Strategy<Value = PrinterCaps> {
    (
        0usize..3,
        0u8..4,
        any::<bool>(),
        prop::option::of(0i64..100),
        150.0f64..350.0,
    )
        .prop_map(|(material, availability, auto_eject, idle_since, size)| {
            let mut p = mk3s("unnamed", MATERIALS[material], "black");
            p.availability = [
                Availability::Idle,
                Availability::Busy,
                Availability::AwaitingClear,
                Availability::Offline,
            ][availability as usize];
            p.auto_eject = auto_eject;
            p.idle_since = idle_since;
            p.build_volume = [size, size, size];
            p
        })
}

fn queued_job() -> impl Strategy<Value = QueuedJob> {
    (
        -2i64..3,
        prop::option::of(0i64..50),
        0i64..50,
        0usize..4,
        10.0f64..300.0,
    )
        .prop_map(|(priority, due_at, created_at, material, size)| QueuedJob {
            id: String::new(),
            priority,
            due_at,
            created_at,
            needs: JobNeeds {
                material: MATERIALS.get(material).map(|m| (*m).to_owned()),
                extents: Some(Extents {
                    min: [0.0; 3],
                    max: [size, size, 5.0],
                }),
                ..JobNeeds::default()
            },
        })
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    (
        prop::collection::vec(queued_job(), 0..15),
        prop::collection::vec(printer(), 0..6),
    )
        .prop_map(|(mut queue, mut printers)| {
            // job ids and printer names are unique in the farm
            for (i, j) in queue.iter_mut().enumerate() {
                j.id = format!("j{i}");
            }
            for (i, p) in printers.iter_mut().enumerate() {
                p.name = format!("p{i}");
            }
            Snapshot { queue, printers }
        })
}

proptest! {
    #[test]
    fn no_job_or_printer_is_assigned_twice(snapshot in snapshot()) {
        let assignments = decide(&snapshot);
        let jobs: HashSet<_> = assignments.iter().map(|a| &a.job_id).collect();
        let printers: HashSet<_> = assignments.iter().map(|a| &a.printer).collect();
        prop_assert_eq!(jobs.len(), assignments.len());
        prop_assert_eq!(printers.len(), assignments.len());
    }

    #[test]
    fn every_assignment_is_possible_and_the_round_is_greedy_in_queue_order(snapshot in snapshot()) {
        let assignments = decide(&snapshot);
        let job = |id: &str| snapshot.queue.iter().find(|j| j.id == id);
        let printer = |name: &str| snapshot.printers.iter().find(|p| p.name == name && p.accepts_work());
        for a in &assignments {
            let (j, p) = (job(&a.job_id).unwrap(), printer(&a.printer).unwrap());
            prop_assert!(can_print(&j.needs, p));
        }
        // A job left waiting that could use a printer given away must come later in the queue.
        let taken: HashSet<_> = assignments.iter().map(|a| a.job_id.as_str()).collect();
        for waiting in snapshot.queue.iter().filter(|j| !taken.contains(j.id.as_str())) {
            for a in &assignments {
                let p = printer(&a.printer).unwrap();
                if can_print(&waiting.needs, p) {
                    let winner = job(&a.job_id).unwrap();
                    prop_assert!(queue_order(winner, waiting).is_le());
                }
            }
            // and no free printer that could print it is left unused
            let used: HashSet<_> = assignments.iter().map(|a| a.printer.as_str()).collect();
            let idle_fit = snapshot.printers.iter().any(|p| {
                p.accepts_work() && !used.contains(p.name.as_str()) && can_print(&waiting.needs, p)
            });
            prop_assert!(!idle_fit, "job {} left waiting beside a free printer", waiting.id);
        }
    }

    #[test]
    fn decisions_do_not_depend_on_input_order(snapshot in snapshot()) {
        let mut reversed = snapshot.clone();
        reversed.queue.reverse();
        reversed.printers.reverse();
        prop_assert_eq!(decide(&snapshot), decide(&reversed));
    }

    #[test]
    fn fit_with_change_agrees_with_the_mismatches(
        job in queued_job(),
        mut printer in printer(),
        extruders in 1u32..3,
        tags in prop::collection::vec(prop::sample::select(vec!["a", "b"]), 0..2),
    ) {
        printer.extruders = extruders;
        let mut needs = job.needs;
        needs.required_tags = tags.into_iter().map(str::to_owned).collect();
        let found = mismatches(&needs, &printer);
        let expected = if found.is_empty() {
            Some(false)
        } else if extruders == 1 && found.iter().all(|m| matches!(m, Mismatch::Filament { tool: 0, .. })) {
            Some(true)
        } else {
            None
        };
        prop_assert_eq!(fit_with_change(&needs, &printer), expected, "{:?}", found);
    }
}
