//! Nodes sharing one PostgreSQL database: leases, fencing, printer
//! ownership and the reaper, with two stores standing for two hosts.
//! PostgreSQL only (skipped without `PRINTFARM_TEST_POSTGRES_URL`); SQLite
//! refuses to be shared.

use crate::store_support::{fresh_postgres_url, fresh_sqlite, one_job, sample_file};
use printfarm::store::{JobState, Store, StoreError};
use std::time::{Duration, Instant};

const LEASE: Duration = Duration::from_secs(15);

/// Two hosts on one fresh database, joined as `a` and `b`.
async fn two_nodes() -> Option<(Store, Store)> {
    let url = fresh_postgres_url().await?;
    let a = Store::connect(&url).await.unwrap();
    let b = Store::connect(&url).await.unwrap();
    a.join_node("a", "127.0.0.1:1", LEASE).await.unwrap();
    b.join_node("b", "127.0.0.1:2", LEASE).await.unwrap();
    Some((a, b))
}

/// Makes `node` look silent for a minute.
async fn silence(store: &Store, node: &str) {
    sqlx::query("UPDATE nodes SET heartbeat_at = heartbeat_at - 60000 WHERE name = $1")
        .bind(node)
        .execute(store.write_pool())
        .await
        .unwrap();
}

fn fenced<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Fenced { .. }))
}

#[tokio::test]
async fn a_shared_sqlite_database_is_refused() {
    let db = fresh_sqlite().await;
    let refused = db.store.join_node("a", "127.0.0.1:1", LEASE).await;
    let message = refused.expect_err("refused").to_string();
    assert!(message.contains("PostgreSQL"), "{message}");
}

#[tokio::test]
async fn a_printer_is_driven_by_one_live_node() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    a.claim_printers(&["p1".to_owned()]).await.unwrap();
    let refused = b.claim_printers(&["p1".to_owned()]).await;
    let message = refused.expect_err("p1 is a's").to_string();
    assert!(
        message.contains("\"p1\"") && message.contains("\"a\""),
        "{message}"
    );
    // Once a is lost, b may take the printer over.
    silence(&b, "a").await;
    let lost = b.reap_lost_nodes(LEASE).await.unwrap();
    assert_eq!(lost.len(), 1);
    b.claim_printers(&["p1".to_owned()]).await.unwrap();
}

#[tokio::test]
async fn a_lost_node_s_job_is_requeued_and_its_late_writes_are_refused() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    a.claim_printers(&["p1".to_owned()]).await.unwrap();
    b.claim_printers(&["p2".to_owned()]).await.unwrap();
    let file = sample_file(&a).await;
    let job = one_job(&a, &file.id).await;
    let start = a.begin_attempt(&job, "p1").await.unwrap().expect("claimed");

    // Nothing happens while a renews its lease.
    a.heartbeat().await.unwrap();
    assert!(b.reap_lost_nodes(LEASE).await.unwrap().is_empty());

    silence(&b, "a").await;
    let lost = b.reap_lost_nodes(LEASE).await.unwrap();
    assert_eq!(
        (lost[0].node.as_str(), lost[0].requeued.clone()),
        ("a", vec![job.clone()])
    );
    let record = b.get_job(&job).await.unwrap();
    assert_eq!(record.state, JobState::Queued);
    assert_eq!(
        record.printer_faults, 1,
        "a lost node is the printer's failure"
    );
    let attempts = b.job_attempts(&job).await.unwrap();
    assert_eq!(
        attempts[0].cause.map(|c| c.code()),
        Some("printer.node_lost")
    );
    let p1 = b.get_printer("p1").await.unwrap();
    assert_eq!(
        p1.state.as_str(),
        "awaiting_clear",
        "a started print may be on the bed"
    );
    // A second pass finds nothing more to do.
    assert!(b.reap_lost_nodes(LEASE).await.unwrap().is_empty());

    // a wakes up: every write it makes as the owner is refused.
    assert!(fenced(a.heartbeat().await));
    assert!(fenced(a.save_progress(&job, "p1", 500).await));
    let ending = printfarm::store::AttemptEnding {
        printer: "p1".into(),
        job: job.clone(),
        attempt: start.attempt.clone(),
        end: printfarm::domain::AttemptEnd::Completed,
        last_line: 900,
        bed_full_since: Some(1),
        phase: printfarm::domain::Phase::AwaitingClear,
    };
    assert!(fenced(a.end_attempt(&ending).await));
    // b prints it; a joins again under a new epoch and may write again.
    assert!(b.begin_attempt(&job, "p2").await.unwrap().is_some());
    let epoch = a.lease().unwrap().epoch;
    let again = a.join_node("a", "127.0.0.1:1", LEASE).await.unwrap();
    assert_eq!(again.epoch, epoch + 1);
    a.heartbeat().await.unwrap();
    // Its old attempt's end changes nothing: the job is b's now.
    a.end_attempt(&ending).await.unwrap();
    let record = b.get_job(&job).await.unwrap();
    assert_eq!(
        (record.state, record.printer.as_deref()),
        (JobState::Printing, Some("p2"))
    );
}

#[tokio::test]
async fn a_second_process_of_a_node_waits_for_the_first_one_s_lease() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let first = Store::connect(&url).await.unwrap();
    let second = Store::connect(&url).await.unwrap();
    let lease = Duration::from_millis(800);
    first.join_node("a", "x", lease).await.unwrap();
    let started = Instant::now();
    let joined = second.join_node("a", "x", lease).await.unwrap();
    assert!(
        started.elapsed() >= lease / 2,
        "it waited for the lease to run out"
    );
    assert_eq!(joined.epoch, 2);
    assert!(
        fenced(first.heartbeat().await),
        "the first one is fenced off"
    );
}
