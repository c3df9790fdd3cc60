//! Restart recovery: a new pool on the same file finds every job again.


use printfarm::store::{FailOutcome, JobFilter, JobState, PrinterState, Store};
use crate::store_support::{one_job, sample_file};

#[tokio::test]
async fn recovery_requeues_interrupted_jobs_and_keeps_beds_uncleared() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("farm.db");
    let names: Vec<String> = ["p1", "p2", "p3", "p4"].map(String::from).to_vec();
    let (printing, assigned, queued, done, last_chance);
    {
        let store = Store::open_sqlite(&path).await.unwrap();
        store.register_printers(&names).await.unwrap();
        let file = sample_file(&store).await;
        printing = one_job(&store, &file.id).await;
        assigned = one_job(&store, &file.id).await;
        queued = one_job(&store, &file.id).await;
        done = one_job(&store, &file.id).await;
        last_chance = one_job(&store, &file.id).await;
        for printer in &names {
            store
                .set_printer_state(printer, PrinterState::Busy)
                .await
                .unwrap();
        }
        store.claim_job(&printing, "p1").await.unwrap();
        store.start_printing(&printing).await.unwrap();
        store.record_progress(&printing, 777).await.unwrap();
        store.claim_job(&assigned, "p2").await.unwrap();
        store.claim_job(&done, "p3").await.unwrap();
        store.start_printing(&done).await.unwrap();
        store.complete(&done).await.unwrap();
        store
            .set_printer_state("p3", PrinterState::AwaitingClear)
            .await
            .unwrap();
        for attempt in 0..3 {
            store.claim_job(&last_chance, "p4").await.unwrap();
            store.start_printing(&last_chance).await.unwrap();
            if attempt < 2 {
                assert!(matches!(
                    store.fail(&last_chance, "jam", true).await.unwrap(),
                    FailOutcome::Requeued { .. }
                ));
            }
        }
        store.close().await; // the process "dies" here
    }
    let store = Store::open_sqlite(&path).await.unwrap();
    let report = store.recover_after_restart().await.unwrap();
    let mut requeued = report.requeued.clone();
    requeued.sort();
    let mut expected = vec![printing.clone(), assigned.clone()];
    expected.sort();
    assert_eq!(requeued, expected);
    assert_eq!(report.failed, std::slice::from_ref(&last_chance));
    assert_eq!(report.awaiting_clear, ["p1", "p3", "p4"]);

    let state = |job: &str| {
        let store = store.clone();
        let job = job.to_owned();
        async move { store.get_job(&job).await.unwrap() }
    };
    let p = state(&printing).await;
    assert_eq!(
        (p.state, p.attempts, p.printer),
        (JobState::Queued, 1, None)
    );
    assert_eq!(state(&assigned).await.state, JobState::Queued);
    assert_eq!(state(&queued).await.state, JobState::Queued);
    assert_eq!(state(&done).await.state, JobState::Completed);
    assert_eq!(state(&last_chance).await.state, JobState::Failed);
    assert_eq!(
        store.list_jobs(&JobFilter::default()).await.unwrap().len(),
        5
    );

    let printer_states: Vec<_> = store
        .list_printers()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.state, p.current_job))
        .collect();
    use PrinterState::{AwaitingClear, Offline};
    assert_eq!(
        printer_states,
        [
            ("p1".into(), AwaitingClear, None),
            ("p2".into(), Offline, None),
            ("p3".into(), AwaitingClear, None),
            ("p4".into(), AwaitingClear, None),
        ]
    );
    let again = store.recover_after_restart().await.unwrap();
    assert!(again.requeued.is_empty() && again.failed.is_empty());
}
