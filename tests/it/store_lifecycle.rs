//! Job state transitions, the failure policy, progress, printers and stats.


use printfarm::store::{FailOutcome, JobState, PrinterState, Store, StoreError};
use crate::store_support::{fresh_store, one_job, sample_file};

/// Puts a fresh job into `state` on printer p1 (for active states).
async fn job_in(store: &Store, file: &str, state: JobState) -> String {
    let job = one_job(store, file).await;
    match state {
        JobState::Queued => {}
        JobState::Held => store.hold(&job).await.unwrap(),
        JobState::Cancelled => store.cancel(&job).await.unwrap(),
        _ => {
            assert!(store.claim_job(&job, "p1").await.unwrap());
            if state != JobState::Assigned {
                store.start_printing(&job).await.unwrap();
            }
            match state {
                JobState::Paused => store.pause(&job).await.unwrap(),
                JobState::Completed => store.complete(&job).await.unwrap(),
                JobState::Failed => {
                    store.fail(&job, "spaghetti", false).await.unwrap();
                }
                _ => {}
            }
        }
    }
    assert_eq!(store.get_job(&job).await.unwrap().state, state);
    job
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Start,
    Pause,
    Resume,
    Complete,
    Cancel,
    Hold,
    Release,
}

async fn apply(store: &Store, job: &str, action: Action) -> Result<(), StoreError> {
    match action {
        Action::Start => store.start_printing(job).await,
        Action::Pause => store.pause(job).await,
        Action::Resume => store.resume(job).await,
        Action::Complete => store.complete(job).await,
        Action::Cancel => store.cancel(job).await,
        Action::Hold => store.hold(job).await,
        Action::Release => store.release(job).await,
    }
}

#[tokio::test]
async fn transitions_follow_the_state_machine() {
    use Action::*;
    use JobState::*;
    // (from, action, Some(to) when allowed / None when refused)
    let table = [
        (Assigned, Start, Some(Printing)),
        (Queued, Start, None),
        (Printing, Pause, Some(Paused)),
        (Assigned, Pause, None),
        (Paused, Resume, Some(Printing)),
        (Printing, Resume, None),
        (Printing, Complete, Some(Completed)),
        (Paused, Complete, None),
        (Queued, Cancel, Some(Cancelled)),
        (Held, Cancel, Some(Cancelled)),
        (Printing, Cancel, Some(Cancelled)),
        (Paused, Cancel, Some(Cancelled)),
        (Completed, Cancel, None),
        (Failed, Cancel, None),
        (Cancelled, Cancel, None),
        (Queued, Hold, Some(Held)),
        (Printing, Hold, None),
        (Held, Release, Some(Queued)),
        (Queued, Release, None),
    ];
    let (store, _dir) = fresh_store().await;
    let file = sample_file(&store).await;
    for (from, action, expected) in table {
        let job = job_in(&store, &file.id, from).await;
        let result = apply(&store, &job, action).await;
        let now = store.get_job(&job).await.unwrap().state;
        match expected {
            Some(to) => assert_eq!((result.is_ok(), now), (true, to), "{from} {action:?}"),
            None => {
                assert!(
                    matches!(result, Err(StoreError::InvalidTransition { state, .. }) if state == from),
                    "{from} {action:?}"
                );
                assert_eq!(now, from);
            }
        }
        // leave p1 free for the next case
        if now.is_active() {
            store.cancel(&job).await.unwrap();
        }
    }
}

#[tokio::test]
async fn printer_caused_failures_requeue_until_the_limit() {
    let (store, _dir) = fresh_store().await;
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    let expected = [
        FailOutcome::Requeued { attempts: 1 },
        FailOutcome::Requeued { attempts: 2 },
        FailOutcome::Failed { attempts: 3 },
    ];
    for outcome in expected {
        assert!(store.claim_job(&job, "p1").await.unwrap());
        store.start_printing(&job).await.unwrap();
        store.record_progress(&job, 500).await.unwrap();
        assert_eq!(
            store.fail(&job, "thermal runaway", true).await.unwrap(),
            outcome
        );
    }
    let failed = store.get_job(&job).await.unwrap();
    assert_eq!((failed.state, failed.attempts), (JobState::Failed, 3));
    assert_eq!(failed.failure_reason.as_deref(), Some("thermal runaway"));
    let kinds: Vec<_> = store
        .job_events(&job)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "created", "claimed", "started", "requeued", "claimed", "started", "requeued",
            "claimed", "started", "failed"
        ]
    );
}

#[tokio::test]
async fn requeued_jobs_are_reset_and_other_failures_are_final() {
    let (store, _dir) = fresh_store().await;
    let store = store.with_requeue_limit(5);
    let file = sample_file(&store).await;
    let job = job_in(&store, &file.id, JobState::Printing).await;
    assert!(store.record_progress(&job, 1234).await.unwrap());
    assert_eq!(store.get_job(&job).await.unwrap().last_acked_line, 1234);
    store.fail(&job, "serial lost", true).await.unwrap();
    let requeued = store.get_job(&job).await.unwrap();
    assert_eq!(requeued.state, JobState::Queued);
    assert_eq!(
        (
            requeued.printer,
            requeued.started_at,
            requeued.last_acked_line
        ),
        (None, None, 0)
    );
    assert!(
        !store.record_progress(&job, 10).await.unwrap(),
        "progress on a queued job"
    );

    let other = job_in(&store, &file.id, JobState::Paused).await;
    let outcome = store.fail(&other, "bad file", false).await.unwrap();
    assert_eq!(outcome, FailOutcome::Failed { attempts: 0 });
    assert!(store.get_job(&other).await.unwrap().finished_at.is_some());
    assert!(matches!(
        store.fail(&job, "queued jobs cannot fail", true).await,
        Err(StoreError::InvalidTransition { .. })
    ));
}

#[tokio::test]
async fn priorities_change_until_the_job_finishes() {
    let (store, _dir) = fresh_store().await;
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    store.set_priority(&job, 9).await.unwrap();
    assert_eq!(store.get_job(&job).await.unwrap().priority, 9);
    store.cancel(&job).await.unwrap();
    assert!(store.set_priority(&job, 1).await.is_err());
    assert!(matches!(
        store.set_priority("nope", 1).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn printer_states_and_bed_clearing() {
    let (store, _dir) = fresh_store().await;
    assert_eq!(
        store.get_printer("p1").await.unwrap().state,
        PrinterState::Offline
    );
    assert!(!store.clear_bed("p1").await.unwrap());
    store
        .set_printer_state("p1", PrinterState::AwaitingClear)
        .await
        .unwrap();
    assert!(store.clear_bed("p1").await.unwrap());
    assert_eq!(
        store.get_printer("p1").await.unwrap().state,
        PrinterState::Idle
    );
    assert!(matches!(
        store.set_printer_state("ghost", PrinterState::Idle).await,
        Err(StoreError::NotFound {
            kind: "printer",
            ..
        })
    ));
    store
        .register_printers(&["p1".into(), "p3".into()])
        .await
        .unwrap();
    let names: Vec<_> = store
        .list_printers()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["p1", "p2", "p3"]);
    assert_eq!(
        store.get_printer("p1").await.unwrap().state,
        PrinterState::Idle
    );
}

#[tokio::test]
async fn stats_count_outcomes_queue_and_busy_time() {
    let (store, _dir) = fresh_store().await;
    let file = sample_file(&store).await;
    let from = printfarm::store::now_ms() - 1;
    job_in(&store, &file.id, JobState::Completed).await;
    job_in(&store, &file.id, JobState::Failed).await;
    one_job(&store, &file.id).await;
    let to = printfarm::store::now_ms() + 1;
    let stats = store.stats(from, to).await.unwrap();
    assert_eq!(
        (stats.jobs_completed, stats.jobs_failed, stats.queue_length),
        (1, 1, 1)
    );
    assert_eq!(stats.success_rate, Some(0.5));
    assert!(stats.parts_per_hour > 0.0);
    assert!(stats.mean_queue_wait_s.is_some());
    assert!(stats.estimate_ratio.is_some_and(|r| r >= 0.0));
    let names: Vec<_> = stats.printers.iter().map(|p| p.printer.as_str()).collect();
    assert_eq!(names, ["p1", "p2"]);
    assert!(stats
        .printers
        .iter()
        .all(|p| (0.0..=1.0).contains(&p.utilisation)));
    let empty = store.stats(0, 1000).await.unwrap();
    assert_eq!((empty.jobs_completed, empty.success_rate), (0, None));
}
