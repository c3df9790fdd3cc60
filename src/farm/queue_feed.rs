//! The queue kept in memory: one task owns the [`QueueBook`] and brings it
//! up to date from the store's change stream (the events table: every job
//! transition appends a row in the same transaction), so neither a
//! scheduler round nor a listing of the queue rereads every queued job.
//!
//! Readers call [`QueueHandle::current`]: it waits until the book reflects
//! every write this process committed before the call (read-your-writes),
//! for at most [`CATCH_UP_WAIT`]. Writes of other processes (other nodes,
//! `printfarm keys`) are picked up by polling, and a periodic count check
//! triggers a full reload should the book ever drift.

use crate::scheduler::{QueueBook, QueuedEntry};
use crate::store::{Backend, EventRecord, Store, StoreError};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, RwLock, RwLockReadGuard};
use tokio::task::JoinHandle;

/// Polling interval when this process writes nothing.
const POLL: Duration = Duration::from_millis(250);
/// Longest a reader waits for the book to catch up.
pub const CATCH_UP_WAIT: Duration = Duration::from_secs(2);
/// How often the book's size is checked against the store's count.
const VERIFY_EVERY: Duration = Duration::from_secs(30);
/// Events read per poll.
const BATCH: i64 = 2000;

/// Where the change stream was last read.
#[derive(Debug, Default)]
struct Cursor {
    /// Events at or after this time (unix ms) are read again.
    since_ms: i64,
    /// Ids of events already applied at or after `since_ms - lookback`.
    seen: HashMap<String, i64>,
}

/// The cloneable way to read the book.
#[derive(Clone)]
pub struct QueueHandle {
    book: Arc<RwLock<QueueBook>>,
    applied: watch::Receiver<u64>,
    store: Store,
}

impl QueueHandle {
    /// The book, once it reflects every write this process committed
    /// before the call (or after [`CATCH_UP_WAIT`]).
    pub async fn current(&self) -> RwLockReadGuard<'_, QueueBook> {
        let target = self.store.committed_writes();
        let mut applied = self.applied.clone();
        let caught_up = applied.wait_for(|seen| *seen >= target);
        let _ = tokio::time::timeout(CATCH_UP_WAIT, caught_up).await;
        self.book.read().await
    }
}

/// Loads the queue and starts the task that keeps it current.
pub async fn start(store: Store) -> Result<(QueueHandle, JoinHandle<()>), StoreError> {
    let mut feed = Feed {
        store: store.clone(),
        book: Arc::new(RwLock::new(QueueBook::default())),
        cursor: Cursor::default(),
        lookback_ms: match store.backend() {
            // One writer: events commit in id order.
            Backend::Sqlite => 0,
            // Concurrent transactions may commit an earlier id later.
            Backend::Postgres => 5_000,
        },
    };
    let (applied_tx, applied) = watch::channel(0);
    let written = store.committed_writes();
    feed.reload().await?;
    applied_tx.send_replace(written);
    let handle = QueueHandle {
        book: Arc::clone(&feed.book),
        applied,
        store,
    };
    Ok((handle, tokio::spawn(feed.run(applied_tx))))
}

struct Feed {
    store: Store,
    book: Arc<RwLock<QueueBook>>,
    cursor: Cursor,
    lookback_ms: i64,
}

impl Feed {
    async fn run(mut self, applied: watch::Sender<u64>) {
        let mut verified = tokio::time::Instant::now();
        loop {
            let written = self.store.committed_writes();
            match self.catch_up().await {
                Ok(()) => {
                    applied.send_replace(written);
                }
                Err(e) => tracing::warn!("reading the queue's changes failed: {e}"),
            }
            if verified.elapsed() >= VERIFY_EVERY {
                verified = tokio::time::Instant::now();
                self.verify().await;
            }
            if self.store.committed_writes() == written {
                let _ = tokio::time::timeout(POLL, self.store.next_write()).await;
            }
        }
    }

    /// Reads every queued job again.
    async fn reload(&mut self) -> Result<(), StoreError> {
        let now = crate::store::now_ms();
        let entries = self.store.queued_jobs().await?;
        let book = QueueBook::from_entries(entries.into_iter().map(QueuedEntry::from_store));
        *self.book.write().await = book;
        self.cursor = Cursor {
            // Changes committed while the queue was read are read again.
            since_ms: now - 1_000,
            seen: HashMap::new(),
        };
        Ok(())
    }

    /// Applies the changes recorded since the last call: pages through
    /// the window of the event log that may hold unseen events.
    async fn catch_up(&mut self) -> Result<(), StoreError> {
        let since = self.cursor.since_ms;
        let mut after = String::new();
        let mut newest = since;
        loop {
            let page = self.store.events_page(since, &after, BATCH).await?;
            let Some(last) = page.last() else { break };
            after.clone_from(&last.id);
            let full = page.len() as i64 >= BATCH;
            let fresh: Vec<EventRecord> = page
                .into_iter()
                .filter(|e| !self.cursor.seen.contains_key(&e.id))
                .collect();
            if !fresh.is_empty() {
                self.apply(&fresh).await?;
            }
            for event in fresh {
                newest = newest.max(event.at);
                self.cursor.seen.insert(event.id, event.at);
            }
            if !full {
                break;
            }
        }
        self.cursor.since_ms = since.max(newest - self.lookback_ms);
        let since = self.cursor.since_ms;
        self.cursor.seen.retain(|_, at| *at >= since);
        Ok(())
    }

    /// Reloads the jobs (and accepted orders) the events touch.
    async fn apply(&mut self, events: &[EventRecord]) -> Result<(), StoreError> {
        let jobs: BTreeSet<String> = events.iter().filter_map(|e| e.job.clone()).collect();
        let orders: BTreeSet<String> = events
            .iter()
            .filter(|e| e.kind == "order_created")
            .filter_map(|e| e.payload["order"].as_str().map(str::to_owned))
            .collect();
        let ids: Vec<String> = jobs.into_iter().collect();
        let queued = self.store.queued_jobs_among(&ids).await?;
        let mut order_jobs = Vec::new();
        for order in &orders {
            order_jobs.extend(self.store.queued_jobs_of_order(order).await?);
        }
        let mut book = self.book.write().await;
        for id in &ids {
            book.set(id, None);
        }
        for entry in queued.into_iter().chain(order_jobs) {
            let id = entry.job.id.clone();
            book.set(&id, Some(QueuedEntry::from_store(entry)));
        }
        Ok(())
    }

    /// Reloads everything if the book's size and the store's count differ.
    async fn verify(&mut self) {
        let size = self.book.read().await.len();
        match self.store.count_queued().await {
            Ok(n) if usize::try_from(n).is_ok_and(|n| n == size) => {}
            Ok(n) => {
                tracing::warn!(book = size, store = n, "queue view drifted; reloading");
                if let Err(e) = self.reload().await {
                    tracing::warn!("reloading the queue failed: {e}");
                }
            }
            Err(e) => tracing::warn!("counting the queue failed: {e}"),
        }
    }
}
