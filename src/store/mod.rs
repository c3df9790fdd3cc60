//! Persistence: files, jobs, orders, printers, events and API keys in SQL.
//!
//! One [`Store`] holds an `sqlx::AnyPool`, so the same code runs on SQLite
//! (the default; WAL, `busy_timeout`, foreign keys on) and PostgreSQL
//! (`postgres://…`). Migrations in `migrations/` are applied by
//! [`Store::connect`].
//!
//! Portability choices: ids are TEXT, generated in Rust and time-ordered
//! ([`new_id`]); timestamps are BIGINT unix milliseconds, UTC ([`now_ms`]);
//! JSON is stored as TEXT; placeholders are `$1`, `$2`, ….
//!
//! Invariants live in the schema: CHECK constraints on states and a partial
//! UNIQUE index so a printer has at most one `assigned|printing|paused` job.
//! Every job state change runs in a transaction that appends an event row.
//! Policy (which job goes where) lives in [`crate::scheduler`], not here; the
//! only rule applied here is the requeue limit for printer-caused failures.

mod api_queries;
mod events;
mod files;
mod jobs;
mod keys;
mod orders;
mod printers;
mod rows;
mod states;
mod stats;
mod transitions;
mod types;

pub use api_queries::OrderItemRecord;
pub use states::{JobState, PrinterState, Role};
pub use stats::{FarmStats, PrinterBusy};
pub use types::{
    ApiKeyRecord, CatalogueEntry, CreatedOrder, EventRecord, FailOutcome, FileKeys, FileRecord,
    ItemSource, JobFilter, JobRecord, NewFile, NewJob, NewOrder, NewOrderItem, OrderRecord,
    PrinterRecord, QueuedJob, RecoveryReport,
};

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

/// Migrations embedded from `migrations/`.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Default printer-caused failures before a job fails for good.
pub const DEFAULT_REQUEUE_LIMIT: u32 = 3;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row that was referred to does not exist.
    #[error("{kind} {id:?} not found")]
    NotFound {
        /// What was looked for (`job`, `file`, …).
        kind: &'static str,
        /// The id or name given.
        id: String,
    },
    /// The job is not in a state that allows this action.
    #[error("job {job:?} is {state}; cannot {action}")]
    InvalidTransition {
        /// The job id.
        job: String,
        /// Its current state.
        state: JobState,
        /// The refused action.
        action: &'static str,
    },
    /// A unique key is already taken (e.g. a shop's external order id).
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    /// A stored value could not be read back.
    #[error("corrupt value in column {column}: {detail}")]
    Corrupt {
        /// The column.
        column: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A value given by the caller cannot be stored.
    #[error("invalid {field}: {detail}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What was wrong.
        detail: String,
    },
}

/// Which database the pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    requeue_limit: u32,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and
    /// applies pending migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        if backend == Backend::Sqlite {
            options = options.max_connections(8).after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(url).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Store {
            pool,
            backend,
            requeue_limit: DEFAULT_REQUEUE_LIMIT,
        })
    }

    /// Opens (creating if needed) an SQLite database file.
    pub async fn open_sqlite(path: &std::path::Path) -> Result<Store, StoreError> {
        Store::connect(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Sets how many printer-caused failures a job survives (at least 1).
    pub fn with_requeue_limit(mut self, limit: u32) -> Store {
        self.requeue_limit = limit.max(1);
        self
    }

    /// The underlying pool, for tests and ad-hoc queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this store uses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes all connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so read-then-write never fails with a busy snapshot.
    async fn begin(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }
}

/// Current time in unix milliseconds.
pub fn now_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

/// A new id: 12 hex digits of milliseconds, a 4-digit per-process sequence
/// and 12 random hex digits, so ids from one process sort by creation.
pub fn new_id() -> String {
    static SEQUENCE: AtomicU16 = AtomicU16::new(0);
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let random: u64 = rand::random::<u64>() & 0xffff_ffff_ffff;
    format!("{:012x}{sequence:04x}{random:012x}", now_ms().max(0))
}

/// True when the error is a unique-constraint violation.
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}
