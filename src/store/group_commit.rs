//! Group commit on SQLite: one task owns the single writer connection and
//! runs the writes that queued up meanwhile in one transaction, so a burst
//! of writes costs one `BEGIN` and one `COMMIT`, not one each.
//!
//! A batch is all or nothing: if any write of it fails, the batch is rolled
//! back and each write runs again in a transaction of its own (with the
//! usual retries), so one failing write never fails another. Every caller
//! hears back only after its write is committed (or has failed).

use super::write::{Persistence, Work, Writer};
use super::StoreError;
use futures::future::BoxFuture;
use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

/// Writes committed together at most.
const MAX_BATCH: usize = 64;

/// The writer's queue.
pub(super) type Queue = mpsc::UnboundedSender<Box<dyn Pending>>;

/// A queued write, its value kept until the batch commits.
pub(super) trait Pending: Send {
    /// Runs the write inside the batch's transaction.
    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, Result<(), StoreError>>;
    /// The batch committed: hand the value to the caller.
    fn deliver(self: Box<Self>);
    /// Runs the write in a transaction of its own and answers the caller.
    fn alone(self: Box<Self>, writer: Writer) -> BoxFuture<'static, ()>;
}

struct PendingWork<T> {
    persistence: Persistence,
    what: &'static str,
    work: Work<T>,
    value: Option<T>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T: Send + 'static> Pending for PendingWork<T> {
    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, Result<(), StoreError>> {
        Box::pin(async move {
            self.value = Some((self.work)(conn).await?);
            Ok(())
        })
    }

    fn deliver(self: Box<Self>) {
        if let Some(value) = self.value {
            let _ = self.reply.send(Ok(value)); // the caller may have gone
        }
    }

    fn alone(self: Box<Self>, writer: Writer) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let result = writer
                .with_retries(self.persistence, self.what, &self.work)
                .await;
            let _ = self.reply.send(result);
        })
    }
}

/// Queues `work` for the writer and waits for its outcome.
pub(super) async fn submit<T: Send + 'static>(
    queue: &Queue,
    persistence: Persistence,
    what: &'static str,
    work: Work<T>,
) -> Result<T, StoreError> {
    let (reply, answer) = oneshot::channel();
    let pending = PendingWork {
        persistence,
        what,
        work,
        value: None,
        reply,
    };
    let closed = || StoreError::Invalid {
        field: what,
        detail: "the store's writer has stopped".to_owned(),
    };
    queue.send(Box::new(pending)).map_err(|_| closed())?;
    answer.await.map_err(|_| closed())?
}

/// Starts the writer; it ends when every [`Queue`] is dropped.
pub(super) fn start(writer: Writer) -> Queue {
    let (queue, mut incoming) = mpsc::unbounded_channel::<Box<dyn Pending>>();
    tokio::spawn(async move {
        while let Some(first) = incoming.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match incoming.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            run_batch(&writer, batch).await;
        }
    });
    queue
}

async fn run_batch(writer: &Writer, mut batch: Vec<Box<dyn Pending>>) {
    if batch.len() > 1 && commit_together(writer, &mut batch).await {
        for pending in batch {
            pending.deliver();
        }
        return;
    }
    for pending in batch {
        pending.alone(writer.clone()).await;
    }
}

/// Runs the whole batch in one transaction; false (rolled back) when any
/// part of it failed.
async fn commit_together(writer: &Writer, batch: &mut [Box<dyn Pending>]) -> bool {
    let Ok(mut tx) = writer.begin().await else {
        return false;
    };
    for pending in batch.iter_mut() {
        if pending.run(&mut tx).await.is_err() {
            if let Err(e) = tx.rollback().await {
                tracing::warn!("rollback failed: {e}");
            }
            return false;
        }
    }
    match tx.commit().await {
        Ok(()) => {
            writer.changes.committed();
            true
        }
        Err(e) => {
            tracing::debug!("a batch of {} writes did not commit: {e}", batch.len());
            false
        }
    }
}
