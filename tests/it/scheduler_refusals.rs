//! `can_any_print`: refusing at submission with messages naming why.

use crate::scheduler_support::{cube, demo_farm};
use printfarm::scheduler::{can_any_print, Availability, Extents, JobNeeds, Refusal};

#[test]
fn refusals_name_the_need_no_printer_meets() {
    let cases: Vec<(&str, JobNeeds, Vec<&str>)> = vec![
        (
            "material",
            JobNeeds {
                material: Some("ABS".into()),
                ..cube()
            },
            vec!["no printer has ABS loaded"],
        ),
        (
            "material and colour",
            JobNeeds {
                material: Some("PETG".into()),
                colour: Some("red".into()),
                ..cube()
            },
            vec!["no printer has PETG red loaded"],
        ),
        (
            "extents",
            JobNeeds {
                extents: Some(Extents {
                    min: [0.0; 3],
                    max: [320.0, 200.0, 10.0],
                }),
                ..cube()
            },
            vec!["extents 320×200×10 exceed every printer's build volume"],
        ),
        (
            "huge",
            JobNeeds {
                extents: Some(Extents {
                    min: [0.0; 3],
                    max: [400.5, 10.0, 10.0],
                }),
                ..cube()
            },
            vec!["extents 400.5×10×10 exceed every printer's build volume"],
        ),
        (
            "nozzle",
            JobNeeds {
                nozzle_diameter: Some(0.6),
                ..cube()
            },
            vec!["no printer has a 0.6 mm nozzle"],
        ),
        (
            "hotend",
            JobNeeds {
                max_hotend_temp: Some(320.0),
                ..cube()
            },
            vec!["hotend 320 °C exceeds every printer's maximum"],
        ),
        (
            "bed",
            JobNeeds {
                max_bed_temp: Some(130.0),
                ..cube()
            },
            vec!["bed 130 °C exceeds every printer's maximum"],
        ),
        (
            "tags",
            JobNeeds {
                required_tags: vec!["enclosure".into()],
                ..cube()
            },
            vec!["no printer has tags enclosure"],
        ),
        (
            "tools",
            JobNeeds {
                tools_used: vec![0, 2],
                ..cube()
            },
            vec!["the file uses tool 2 but no printer has that many extruders"],
        ),
        (
            "violations",
            JobNeeds {
                violations_free: false,
                ..cube()
            },
            vec!["the file has violations"],
        ),
        (
            "two needs at once",
            JobNeeds {
                material: Some("ABS".into()),
                max_bed_temp: Some(130.0),
                ..cube()
            },
            vec![
                "no printer has ABS loaded",
                "bed 130 °C exceeds every printer's maximum",
            ],
        ),
    ];
    for (name, needs, expected) in cases {
        let refusals = can_any_print(&needs, &demo_farm()).expect_err(name);
        let messages: Vec<String> = refusals.iter().map(ToString::to_string).collect();
        assert_eq!(messages, expected, "{name}");
    }
}

#[test]
fn needs_met_separately_but_never_together_list_each_printer() {
    // PETG is only on an MK3S; 300 mm Y only fits big-1.
    let needs = JobNeeds {
        material: Some("PETG".into()),
        extents: Some(Extents {
            min: [0.0; 3],
            max: [100.0, 280.0, 10.0],
        }),
        ..cube()
    };
    let refusals = can_any_print(&needs, &demo_farm()).unwrap_err();
    let [Refusal::NoSinglePrinter { printers }] = refusals.as_slice() else {
        panic!("{refusals:?}")
    };
    assert_eq!(printers.len(), 4);
    let message = refusals[0].to_string();
    assert!(
        message.contains("mk3s-petg: extents exceed its build volume"),
        "{message}"
    );
    assert!(
        message.contains("big-1: tool 0 has PLA white, not PETG"),
        "{message}"
    );
}

#[test]
fn printable_jobs_pass_whatever_the_printers_are_doing() {
    let mut printers = demo_farm();
    for p in &mut printers {
        p.availability = Availability::Busy;
    }
    assert_eq!(can_any_print(&cube(), &printers), Ok(()));
    let petg = JobNeeds {
        material: Some("PETG".into()),
        colour: Some("Orange".into()),
        ..cube()
    };
    assert_eq!(can_any_print(&petg, &printers), Ok(()));
    assert_eq!(can_any_print(&cube(), &[]), Err(vec![Refusal::NoPrinters]));
}
