//! The farm simulator's invariants on generated instances, for every
//! policy: one job per printer at a time, each job once, never before its
//! release or on a printer it does not fit, beds cleared only on shift,
//! material changes counted and timed, the heat-up cap held.

use printfarm::farmsim::generate::{generate, Recipe};
use printfarm::farmsim::sim::simulate;
use printfarm::farmsim::{Model, PolicyKind};
use proptest::prelude::*;

fn check(model: &Model, kind: PolicyKind) -> Result<(), TestCaseError> {
    let mut policy = kind.build();
    let outcome = simulate(model, policy.as_mut());
    prop_assert_eq!(outcome.unfinished, 0, "{} left jobs", kind.name());
    let mut seen = vec![0u32; model.jobs.len()];
    for run in &outcome.runs {
        let job = &model.jobs[run.job];
        let printer = &model.printers[run.printer];
        seen[run.job] += 1;
        prop_assert!(
            run.start >= job.release,
            "{} started before release",
            job.id
        );
        prop_assert!(
            job.fits(printer),
            "{} on {} that cannot print it",
            job.id,
            printer.name
        );
        prop_assert_eq!(run.end - run.start, job.seconds_on(printer));
    }
    prop_assert!(seen.iter().all(|n| *n == 1), "each job exactly once");
    for p in 0..model.printers.len() {
        let mut runs: Vec<_> = outcome.runs.iter().filter(|r| r.printer == p).collect();
        runs.sort_by_key(|r| r.start);
        for pair in runs.windows(2) {
            prop_assert!(
                pair[1].start >= pair[0].end + model.bed_clear,
                "printer {p} started a print before the last one was cleared"
            );
        }
    }
    for (printer, full_since, cleared_at) in &outcome.blocked {
        prop_assert!(cleared_at >= full_since);
        prop_assert!(
            model.calendar.operators_at(*cleared_at) > 0,
            "printer {printer} cleared at {cleared_at} with nobody on shift"
        );
    }
    let changed = outcome.runs.iter().filter(|r| r.setup > 0).count() as u32;
    prop_assert_eq!(changed, outcome.material_changes);
    prop_assert!(outcome
        .runs
        .iter()
        .all(|r| r.setup == 0 || r.setup == model.material_change));
    prop_assert!(outcome.peak_heatups <= model.max_heatups);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn every_policy_keeps_the_farm_s_rules(
        seed in 0u64..1_000_000,
        printers in 3usize..25,
        jobs in 5usize..120,
        load in 0.5f64..1.3,
    ) {
        let model = generate(Recipe { printers, jobs, load, seed }).model().expect("generated instances are valid");
        for kind in [PolicyKind::Edd, PolicyKind::Atcs { k1: 2.0, k2: 0.5 }, PolicyKind::Printfarm] {
            check(&model, kind)?;
        }
    }
}

/// Instances that once broke a rule, checked on every run.
#[test]
fn instances_that_once_failed_keep_the_rules() {
    let cases = [(735_949, 10, 54, 0.926_551_643_731_161_2)];
    for (seed, printers, jobs, load) in cases {
        let model = generate(Recipe {
            printers,
            jobs,
            load,
            seed,
        })
        .model()
        .expect("valid instance");
        for kind in [
            PolicyKind::Edd,
            PolicyKind::Atcs { k1: 2.0, k2: 0.5 },
            PolicyKind::Printfarm,
        ] {
            check(&model, kind).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }
}
