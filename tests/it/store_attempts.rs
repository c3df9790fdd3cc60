//! Attempts: the atomic claim, ending an attempt in one transaction with the
//! failure policy, waiting-state transitions, recovery after a restart and
//! the schema's own guards. Every test runs on SQLite and PostgreSQL.

use crate::store_support::{one_job, sample_file, store_tests};
use printfarm::domain::{AttemptEnd, FailureCause, Phase};
use printfarm::store::{AttemptEnding, JobOutcome, JobState, PrinterState, Store, StoreError};

/// Ends `job`'s attempt on `printer` as `end`, leaving the bed full.
async fn end(store: &Store, printer: &str, job: &str, end: AttemptEnd) -> JobOutcome {
    let ending = AttemptEnding {
        printer: printer.to_owned(),
        job: job.to_owned(),
        attempt: String::new(),
        end,
        last_line: 321,
        bed_full_since: Some(42),
        phase: Phase::AwaitingClear,
    };
    store.end_attempt(&ending).await.unwrap()
}

fn failed(cause: FailureCause, reason: &str) -> AttemptEnd {
    AttemptEnd::Failed {
        cause,
        reason: reason.to_owned(),
    }
}

async fn claim(store: &Store, job: &str, printer: &str) -> bool {
    store.begin_attempt(job, printer).await.unwrap().is_some()
}

async fn concurrent_claims_of_one_job_have_exactly_one_winner(store: Store) {
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    let (a, b) = tokio::join!(claim(&store, &job, "p1"), claim(&store, &job, "p2"));
    assert!(a ^ b, "exactly one claim wins: {a} {b}");
    let record = store.get_job(&job).await.unwrap();
    assert_eq!(record.state, JobState::Printing);
    assert_eq!(store.job_attempts(&job).await.unwrap().len(), 1);
}

async fn a_busy_printer_cannot_claim_a_second_job(store: Store) {
    let file = sample_file(&store).await;
    let (first, second) = (
        one_job(&store, &file.id).await,
        one_job(&store, &file.id).await,
    );
    let start = store.begin_attempt(&first, "p1").await.unwrap().unwrap();
    assert_eq!(start.file_path, file.path);
    assert!(!claim(&store, &second, "p1").await, "p1 already prints");
    assert_eq!(
        store.get_job(&second).await.unwrap().state,
        JobState::Queued
    );
    assert_eq!(
        end(&store, "p1", &first, AttemptEnd::Completed).await,
        JobOutcome::Completed
    );
    assert!(claim(&store, &second, "p1").await);
}

async fn claims_of_jobs_that_are_not_queued_fail_softly(store: Store) {
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    store.hold(&job).await.unwrap();
    assert!(!claim(&store, &job, "p1").await);
    assert!(matches!(
        store.begin_attempt("no-such-job", "p1").await,
        Err(StoreError::NotFound { kind: "job", .. })
    ));
    store.release(&job).await.unwrap();
    assert!(store.begin_attempt(&job, "no-such-printer").await.is_err());
    assert!(claim(&store, &job, "p2").await);
}

async fn a_completed_attempt_settles_job_attempt_and_bed_together(store: Store) {
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    assert!(claim(&store, &job, "p1").await);
    store.save_progress(&job, "p1", 100).await.unwrap();
    assert_eq!(store.get_job(&job).await.unwrap().last_acked_line, 100);
    assert_eq!(
        end(&store, "p1", &job, AttemptEnd::Completed).await,
        JobOutcome::Completed
    );
    let record = store.get_job(&job).await.unwrap();
    assert_eq!(
        (record.state, record.last_acked_line),
        (JobState::Completed, 321)
    );
    assert!(record.finished_at.is_some());
    let printer = store.get_printer("p1").await.unwrap();
    assert_eq!(
        (printer.state, printer.bed_full_since),
        (PrinterState::AwaitingClear, Some(42))
    );
    assert_eq!(printer.current_job, None);
    let attempts = store.job_attempts(&job).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome.as_deref(), Some("completed"));
    assert_eq!(
        (attempts[0].last_acked_line, attempts[0].line_count),
        (321, Some(4000))
    );
    // A late second report of the same end changes nothing.
    assert_eq!(
        end(&store, "p1", &job, AttemptEnd::Completed).await,
        JobOutcome::Untouched
    );
}

async fn printer_faults_requeue_until_the_limit(store: Store) {
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    let outcomes = [
        ("p1", JobOutcome::Requeued { printer_faults: 1 }),
        ("p1", JobOutcome::Requeued { printer_faults: 2 }),
        (
            "p1",
            JobOutcome::Failed {
                cause: FailureCause::PrinterThermal,
            },
        ),
    ];
    for (printer, outcome) in outcomes {
        assert!(claim(&store, &job, printer).await);
        let got = end(
            &store,
            printer,
            &job,
            failed(FailureCause::PrinterThermal, "thermal runaway"),
        )
        .await;
        assert_eq!(got, outcome);
    }
    let record = store.get_job(&job).await.unwrap();
    assert_eq!((record.state, record.printer_faults), (JobState::Failed, 3));
    assert_eq!(record.failure_cause, Some(FailureCause::PrinterThermal));
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
    assert_eq!(store.job_attempts(&job).await.unwrap().len(), 3);
}

async fn each_cause_ends_the_job_as_its_policy_says(store: Store) {
    let file = sample_file(&store).await;
    let cases = [
        (FailureCause::HostRestart, JobState::Queued, 0),
        (FailureCause::PrinterUnavailable, JobState::Queued, 0),
        (FailureCause::PrinterDisconnected, JobState::Queued, 1),
        (FailureCause::OperatorCancel, JobState::Cancelled, 0),
        (FailureCause::OperatorEmergencyStop, JobState::Held, 0),
        (FailureCause::JobLineRejected, JobState::Failed, 0),
        (FailureCause::JobFileMissing, JobState::Failed, 0),
    ];
    for (cause, state, faults) in cases {
        let job = one_job(&store, &file.id).await;
        assert!(claim(&store, &job, "p1").await);
        end(&store, "p1", &job, failed(cause, "why")).await;
        let record = store.get_job(&job).await.unwrap();
        assert_eq!(
            (record.state, record.printer_faults),
            (state, faults),
            "{cause}"
        );
        assert_eq!(record.failure_cause, Some(cause));
        if state.is_waiting() {
            assert_eq!((record.printer, record.started_at), (None, None), "{cause}");
        }
    }
}

async fn the_same_failure_on_two_printers_fails_the_job(store: Store) {
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    for printer in ["p1", "p2"] {
        assert!(claim(&store, &job, printer).await);
        end(
            &store,
            printer,
            &job,
            failed(FailureCause::PrinterReset, "printer reset"),
        )
        .await;
    }
    let record = store.get_job(&job).await.unwrap();
    assert_eq!(record.state, JobState::Failed);
    assert_eq!(record.failure_cause, Some(FailureCause::JobRepeatedFailure));
}

async fn waiting_jobs_move_only_between_waiting_states(store: Store) {
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    store.hold(&job).await.unwrap();
    assert!(matches!(
        store.hold(&job).await,
        Err(StoreError::InvalidTransition { .. })
    ));
    store.release(&job).await.unwrap();
    assert!(matches!(
        store.release(&job).await,
        Err(StoreError::InvalidTransition { .. })
    ));
    store.set_priority(&job, 9).await.unwrap();
    assert_eq!(store.get_job(&job).await.unwrap().priority, 9);
    assert!(claim(&store, &job, "p1").await);
    assert!(
        matches!(
            store.cancel_waiting(&job).await,
            Err(StoreError::InvalidTransition {
                state: JobState::Printing,
                ..
            })
        ),
        "a printing job is cancelled through its printer"
    );
    end(
        &store,
        "p1",
        &job,
        failed(FailureCause::OperatorCancel, "cancelled"),
    )
    .await;
    assert!(
        store.set_priority(&job, 1).await.is_err(),
        "finished jobs keep their priority"
    );
    let other = one_job(&store, &file.id).await;
    store.cancel_waiting(&other).await.unwrap();
    assert!(store.get_job(&other).await.unwrap().finished_at.is_some());
}

async fn recovery_requeues_interrupted_jobs_without_spending_and_keeps_beds(store: Store) {
    let file = sample_file(&store).await;
    let (printing, queued) = (
        one_job(&store, &file.id).await,
        one_job(&store, &file.id).await,
    );
    assert!(claim(&store, &printing, "p1").await);
    store.save_progress(&printing, "p1", 777).await.unwrap();
    for _ in 0..3 {
        // Three restarts in a row spend nothing.
        let report = store.recover_after_restart().await.unwrap();
        assert_eq!(report.requeued, std::slice::from_ref(&printing));
        assert_eq!(report.awaiting_clear, ["p1"]);
        store
            .save_printer_state("p1", Phase::Idle, None)
            .await
            .unwrap();
        assert!(claim(&store, &printing, "p1").await);
    }
    let record = store.get_job(&printing).await.unwrap();
    assert_eq!(
        (record.state, record.printer_faults),
        (JobState::Printing, 0)
    );
    let attempts = store.job_attempts(&printing).await.unwrap();
    assert_eq!(attempts.len(), 4);
    assert_eq!(attempts[0].cause, Some(FailureCause::HostRestart));
    assert_eq!(
        attempts[0].last_acked_line, 777,
        "where the first print stopped"
    );
    assert_eq!(
        store.get_job(&queued).await.unwrap().state,
        JobState::Queued
    );
    let p2 = store.get_printer("p2").await.unwrap();
    assert_eq!((p2.state, p2.bed_full_since), (PrinterState::Offline, None));
}

async fn the_database_rejects_a_second_active_job_even_from_raw_sql(store: Store) {
    let file = sample_file(&store).await;
    let (first, second) = (
        one_job(&store, &file.id).await,
        one_job(&store, &file.id).await,
    );
    assert!(claim(&store, &first, "p1").await);
    for state in ["assigned", "printing", "paused"] {
        let raw = sqlx::query("UPDATE jobs SET state = $1, printer = 'p1' WHERE id = $2")
            .bind(state)
            .bind(&second)
            .execute(store.write_pool())
            .await;
        let error = raw.expect_err("second active job accepted");
        assert!(
            matches!(&error, sqlx::Error::Database(db) if db.is_unique_violation()),
            "{error}"
        );
    }
}

async fn check_constraints_reject_bad_states_and_printerless_active_jobs(store: Store) {
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    for sql in [
        "UPDATE jobs SET state = 'exploded' WHERE id = $1",
        "UPDATE jobs SET state = 'printing' WHERE id = $1",
        "UPDATE jobs SET printer = 'p1' WHERE id = $1",
        "UPDATE jobs SET printer = 'no-such-printer', state = 'assigned' WHERE id = $1",
    ] {
        let result = sqlx::query(sql)
            .bind(&job)
            .execute(store.write_pool())
            .await;
        assert!(result.is_err(), "accepted: {sql}");
    }
}

store_tests!(
    concurrent_claims_of_one_job_have_exactly_one_winner,
    a_busy_printer_cannot_claim_a_second_job,
    claims_of_jobs_that_are_not_queued_fail_softly,
    a_completed_attempt_settles_job_attempt_and_bed_together,
    printer_faults_requeue_until_the_limit,
    each_cause_ends_the_job_as_its_policy_says,
    the_same_failure_on_two_printers_fails_the_job,
    waiting_jobs_move_only_between_waiting_states,
    recovery_requeues_interrupted_jobs_without_spending_and_keeps_beds,
    the_database_rejects_a_second_active_job_even_from_raw_sql,
    check_constraints_reject_bad_states_and_printerless_active_jobs,
);
