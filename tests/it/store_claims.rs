//! Claiming jobs: atomic, and at most one active job per printer, enforced by the database.


use printfarm::store::{JobState, StoreError};
use crate::store_support::{fresh_store, one_job, sample_file};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_of_one_job_have_exactly_one_winner() {
    let (store, _dir) = fresh_store().await;
    let file = sample_file(&store).await;
    for _ in 0..20 {
        let job = one_job(&store, &file.id).await;
        let (a, b) = (store.clone(), store.clone());
        let (ja, jb) = (job.clone(), job.clone());
        let first = tokio::spawn(async move { a.claim_job(&ja, "p1").await.unwrap() });
        let second = tokio::spawn(async move { b.claim_job(&jb, "p2").await.unwrap() });
        let wins = [first.await.unwrap(), second.await.unwrap()];
        assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
        let claimed = store.get_job(&job).await.unwrap();
        assert_eq!(claimed.state, JobState::Assigned);
        let winner = if wins[0] { "p1" } else { "p2" };
        assert_eq!(claimed.printer.as_deref(), Some(winner));
        store.cancel(&job).await.unwrap();
    }
}

#[tokio::test]
async fn a_busy_printer_cannot_claim_a_second_job() {
    let (store, _dir) = fresh_store().await;
    let file = sample_file(&store).await;
    let (first, second) = (
        one_job(&store, &file.id).await,
        one_job(&store, &file.id).await,
    );
    assert!(store.claim_job(&first, "p1").await.unwrap());
    assert!(!store.claim_job(&second, "p1").await.unwrap());
    assert_eq!(
        store.get_job(&second).await.unwrap().state,
        JobState::Queued
    );
    assert_eq!(
        store
            .get_printer("p1")
            .await
            .unwrap()
            .current_job
            .as_deref(),
        Some(first.as_str())
    );
    store.start_printing(&first).await.unwrap();
    store.complete(&first).await.unwrap();
    assert!(store.claim_job(&second, "p1").await.unwrap());
}

#[tokio::test]
async fn the_database_rejects_a_second_active_job_even_from_raw_sql() {
    let (store, _dir) = fresh_store().await;
    let file = sample_file(&store).await;
    let (first, second) = (
        one_job(&store, &file.id).await,
        one_job(&store, &file.id).await,
    );
    assert!(store.claim_job(&first, "p1").await.unwrap());
    for state in ["assigned", "printing", "paused"] {
        let raw = sqlx::query("UPDATE jobs SET state = $1, printer = 'p1' WHERE id = $2")
            .bind(state)
            .bind(&second)
            .execute(store.pool())
            .await;
        let error = raw.expect_err("second active job accepted");
        assert!(
            matches!(&error, sqlx::Error::Database(db) if db.is_unique_violation()),
            "{error}"
        );
    }
}

#[tokio::test]
async fn check_constraints_reject_bad_states_and_printerless_active_jobs() {
    let (store, _dir) = fresh_store().await;
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    for sql in [
        "UPDATE jobs SET state = 'exploded' WHERE id = $1",
        "UPDATE jobs SET state = 'printing' WHERE id = $1",
        "UPDATE jobs SET printer = 'p1' WHERE id = $1",
        "UPDATE jobs SET printer = 'no-such-printer', state = 'assigned' WHERE id = $1",
    ] {
        let result = sqlx::query(sql).bind(&job).execute(store.pool()).await;
        assert!(result.is_err(), "accepted: {sql}");
    }
}

#[tokio::test]
async fn claims_of_jobs_that_are_not_queued_fail_softly() {
    let (store, _dir) = fresh_store().await;
    let file = sample_file(&store).await;
    let job = one_job(&store, &file.id).await;
    store.hold(&job).await.unwrap();
    assert!(!store.claim_job(&job, "p1").await.unwrap());
    assert!(!store.claim_job("no-such-job", "p1").await.unwrap());
    store.release(&job).await.unwrap();
    assert!(matches!(
        store.claim_job(&job, "no-such-printer").await,
        Err(StoreError::NotFound {
            kind: "printer",
            ..
        })
    ));
    assert!(store.claim_job(&job, "p2").await.unwrap());
}
