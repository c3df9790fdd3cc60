//! The in-memory queue follows the store: every change that moves a job in
//! or out of `queued` is reflected by the time a reader asks.

use crate::store_support::{one_job, sample_file, store_tests};
use printfarm::domain::{AttemptEnd, FailureCause, Phase};
use printfarm::farm::queue_feed;
use printfarm::store::{AttemptEnding, NewOrder, NewOrderItem, Store};

async fn queued_ids(store: &Store) -> Vec<String> {
    let mut ids: Vec<String> = store
        .queued_jobs()
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.job.id)
        .collect();
    ids.sort();
    ids
}

async fn book_ids(queue: &queue_feed::QueueHandle) -> Vec<String> {
    let mut ids: Vec<String> = queue
        .current()
        .await
        .newest(None, usize::MAX)
        .into_iter()
        .map(|j| j.id)
        .collect();
    ids.sort();
    ids
}

async fn the_queue_in_memory_matches_the_store_after_every_change(store: Store) {
    let file = sample_file(&store).await;
    let (queue, feed) = queue_feed::start(store.clone()).await.unwrap();
    let a = one_job(&store, &file.id).await;
    let b = one_job(&store, &file.id).await;
    assert_eq!(book_ids(&queue).await, queued_ids(&store).await);
    store.hold(&a).await.unwrap();
    assert_eq!(book_ids(&queue).await, std::slice::from_ref(&b));
    store.release(&a).await.unwrap();
    assert!(store.begin_attempt(&b, "p1").await.unwrap().is_some());
    assert_eq!(book_ids(&queue).await, std::slice::from_ref(&a));
    let ending = AttemptEnding {
        printer: "p1".into(),
        job: b.clone(),
        attempt: String::new(),
        end: AttemptEnd::Failed {
            cause: FailureCause::PrinterDisconnected,
            reason: "gone".into(),
        },
        last_line: 0,
        bed_full_since: None,
        phase: Phase::Idle,
    };
    store.end_attempt(&ending).await.unwrap();
    assert_eq!(book_ids(&queue).await, queued_ids(&store).await, "requeued");
    let order = NewOrder {
        items: vec![NewOrderItem::of_file(&file.id, 250)],
        ..NewOrder::default()
    };
    store.create_order(&order).await.unwrap();
    let book = book_ids(&queue).await;
    assert_eq!(book.len(), 252, "an order's units arrive with it");
    assert_eq!(book, queued_ids(&store).await);
    store.cancel_waiting(&a).await.unwrap();
    assert_eq!(book_ids(&queue).await, queued_ids(&store).await);
    feed.abort();
}

store_tests!(the_queue_in_memory_matches_the_store_after_every_change);
