//! The one way the store writes: a transaction on its own task, retried
//! while the database is transiently busy.
//!
//! - **Serialised on SQLite.** The write pool has a single connection, so
//!   writers queue in the pool instead of failing with `database is locked`
//!   against each other; readers use the read pool (WAL: readers never
//!   block the writer).
//! - **Never half done.** The transaction runs on a spawned task, so a caller
//!   that stops waiting (a client that hung up, a timeout) cannot cancel it
//!   between `BEGIN` and `COMMIT`; a failed transaction is rolled back
//!   before its connection goes back to the pool.
//! - **Retried.** Busy/locked (SQLite), serialization failures and
//!   deadlocks (PostgreSQL), pool timeouts and I/O errors are retried with
//!   backoff: a few seconds for requests, forever for facts the farm must
//!   not lose (a printer's events).

use super::{Backend, Store, StoreError};
use futures::future::BoxFuture;
use sqlx::AnyConnection;
use std::time::Duration;

/// How long a write keeps trying when the database is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// A request someone waits for: give up after a few seconds.
    Request,
    /// A fact that must not be lost (a printer's event): never give up.
    Durable,
}

/// First wait before a retry; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Retries of a [`Persistence::Request`] write.
const REQUEST_RETRIES: u32 = 10;

/// SQLite's busy and locked result codes, and PostgreSQL's serialization
/// failure, deadlock, lock timeout and shutdown states.
fn transient_code(code: &str) -> bool {
    let postgres = matches!(
        code,
        "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03" | "53300"
    ) || (code.len() == 5 && code.starts_with("08"));
    // SQLite's (extended) result codes are small numbers; the low byte is
    // the primary code.
    postgres
        || code
            .parse::<u16>()
            .is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6))
}

/// True when trying again later may succeed.
pub fn is_transient(error: &StoreError) -> bool {
    let StoreError::Database(error) = error else {
        return false;
    };
    match error {
        sqlx::Error::Database(db) => db.code().is_some_and(|code| transient_code(&code)),
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

/// A unit of work inside one transaction; called again on a retry.
pub(crate) type Work<T> = Box<
    dyn for<'c> Fn(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + Sync,
>;

/// Boxes a closure as [`Work`]; the bound lets the compiler infer the
/// closure's higher-ranked signature. See [`tx`](crate::store::tx) for the
/// usual way to write one.
pub(crate) fn work<T, F>(f: F) -> Work<T>
where
    F: for<'c> Fn(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>>
        + Send
        + Sync
        + 'static,
{
    Box::new(f)
}

/// What a write needs: the writer pool, the backend, the commit counter.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    pub pool: sqlx::AnyPool,
    pub backend: Backend,
    pub changes: std::sync::Arc<super::Changes>,
}

impl Store {
    /// Runs `work` in one write transaction (see the module docs).
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        persistence: Persistence,
        what: &'static str,
        work: Work<T>,
    ) -> Result<T, StoreError> {
        if let Some(queue) = &self.group_commit {
            return super::group_commit::submit(queue, persistence, what, work).await;
        }
        let writer = self.writer();
        let task = tokio::spawn(async move { writer.with_retries(persistence, what, &work).await });
        match task.await {
            Ok(result) => result,
            Err(join) => Err(StoreError::Invalid {
                field: what,
                detail: format!("write task failed: {join}"),
            }),
        }
    }
}

impl Writer {
    /// Runs `work` in its own transaction, retrying transient failures.
    pub(super) async fn with_retries<T>(
        &self,
        persistence: Persistence,
        what: &'static str,
        work: &Work<T>,
    ) -> Result<T, StoreError> {
        let mut backoff = FIRST_BACKOFF;
        let mut retries = 0u32;
        loop {
            match self.transaction(work).await {
                Err(error) if is_transient(&error) => {
                    retries += 1;
                    if persistence == Persistence::Request && retries > REQUEST_RETRIES {
                        return Err(error);
                    }
                    if retries % 10 == 0 {
                        tracing::warn!(%what, retries, "database busy, still retrying: {error}");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                result => return result,
            }
        }
    }

    /// Begins a write transaction. On SQLite it takes the write lock at
    /// once, so read-then-write never fails on a stale snapshot.
    pub(super) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    async fn transaction<T>(&self, work: &Work<T>) -> Result<T, StoreError> {
        let mut tx = self.begin().await?;
        match work(&mut tx).await {
            Ok(value) => {
                tx.commit().await?;
                self.changes.committed();
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!("rollback failed: {rollback}");
                }
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::transient_code;

    #[test]
    fn busy_and_locked_are_transient_and_constraint_failures_are_not() {
        for code in ["5", "6", "261", "517", "40001", "40P01", "08006"] {
            assert!(transient_code(code), "{code}");
        }
        for code in ["19", "2067", "787", "23505", "23503", "42P01"] {
            assert!(!transient_code(code), "{code}");
        }
    }
}
