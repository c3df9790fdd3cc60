//! The maintenance odometer: advanced by the transaction that ends an
//! attempt (time, filament, one job), never twice for one attempt, also by
//! recovery after a restart, and reset by a confirmed service. Every test
//! runs on SQLite and PostgreSQL.

use crate::store_support::{one_job, sample_file, store_tests};
use printfarm::domain::maintenance::Odometer;
use printfarm::domain::{AttemptEnd, FailureCause, Phase};
use printfarm::store::{AttemptEnding, Store, StoreError};

/// The sample file deposits 1500 mm over 4000 lines.
const FILE_FILAMENT_MM: i64 = 1500;

fn ending(printer: &str, job: &str, end: AttemptEnd, last_line: u64) -> AttemptEnding {
    AttemptEnding {
        printer: printer.to_owned(),
        job: job.to_owned(),
        attempt: String::new(),
        end,
        last_line,
        bed_full_since: None,
        phase: Phase::Idle,
    }
}

/// Claims a new job of the sample file on `printer`, its attempt started
/// `ago_ms` before now; returns the job.
async fn printing(store: &Store, printer: &str, ago_ms: i64) -> String {
    let file = sample_file(store).await;
    let job = one_job(store, &file.id).await;
    let start = store.begin_attempt(&job, printer).await.unwrap().unwrap();
    sqlx::query("UPDATE attempts SET started_at = started_at - $1 WHERE id = $2")
        .bind(ago_ms)
        .bind(&start.attempt)
        .execute(store.write_pool())
        .await
        .unwrap();
    job
}

async fn reading(store: &Store, printer: &str) -> Odometer {
    store.odometer(printer).await.unwrap().odometer
}

async fn ending_attempts_advances_the_odometer_once_each(store: Store) {
    assert_eq!(reading(&store, "p1").await, Odometer::default());
    let job = printing(&store, "p1", 90_000).await;
    let done = ending("p1", &job, AttemptEnd::Completed, 4000);
    store.end_attempt(&done).await.unwrap();
    let after_one = reading(&store, "p1").await;
    assert_eq!(
        (after_one.jobs, after_one.filament_mm),
        (1, FILE_FILAMENT_MM)
    );
    assert!(
        (90_000..120_000).contains(&after_one.print_ms),
        "start to end: {after_one:?}"
    );
    // Ending it again changes nothing: the attempt was already ended.
    store.end_attempt(&done).await.unwrap();
    assert_eq!(reading(&store, "p1").await, after_one);

    // A failed attempt: its filament is prorated by lines acknowledged.
    let job = printing(&store, "p1", 30_000).await;
    let cause = FailureCause::PrinterDisconnected;
    let end = AttemptEnd::Failed {
        cause,
        reason: "gone".to_owned(),
    };
    store
        .end_attempt(&ending("p1", &job, end, 1000))
        .await
        .unwrap();
    let after_two = reading(&store, "p1").await;
    assert_eq!(after_two.jobs, 2);
    assert_eq!(
        after_two.filament_mm,
        FILE_FILAMENT_MM + FILE_FILAMENT_MM / 4
    );
    assert!(after_two.print_ms >= after_one.print_ms + 30_000);
    assert_eq!(reading(&store, "p2").await, Odometer::default(), "p2 idle");
}

async fn recovery_after_a_restart_counts_the_interrupted_attempt(store: Store) {
    printing(&store, "p2", 5_000).await;
    store.recover_after_restart().await.unwrap();
    let odometer = reading(&store, "p2").await;
    assert_eq!(odometer.jobs, 1);
    assert!(odometer.print_ms >= 5_000, "{odometer:?}");
}

async fn a_confirmed_service_resets_the_odometer(store: Store) {
    let job = printing(&store, "p1", 10_000).await;
    let done = ending("p1", &job, AttemptEnd::Completed, 4000);
    store.end_attempt(&done).await.unwrap();
    let before = reading(&store, "p1").await;
    assert_eq!(before.jobs, 1);
    let since = printfarm::store::now_ms();
    let after = store.confirm_service("p1", Some("key-7")).await.unwrap();
    let stored = store.odometer("p1").await.unwrap();
    assert_eq!(stored, after);
    assert_eq!(stored.last_service_by.as_deref(), Some("key-7"));
    let odometer = stored.odometer;
    assert_eq!(
        (odometer.print_ms, odometer.filament_mm, odometer.jobs),
        (0, 0, 0)
    );
    assert!(odometer.last_service_at.is_some_and(|at| at >= since));
    let events = store.list_events(since, 100).await.unwrap();
    let serviced = events
        .iter()
        .find(|e| e.kind == "serviced")
        .expect("a serviced event");
    assert_eq!(serviced.printer.as_deref(), Some("p1"));
    assert_eq!(serviced.payload["reset"]["jobs"], 1);
    assert_eq!(serviced.payload["by"], "key-7");
    assert!(matches!(
        store.confirm_service("nope", None).await,
        Err(StoreError::NotFound {
            kind: "printer",
            ..
        })
    ));
}

store_tests!(
    ending_attempts_advances_the_odometer_once_each,
    recovery_after_a_restart_counts_the_interrupted_attempt,
    a_confirmed_service_resets_the_odometer,
);
