//! Persistence: files, jobs, orders, printers, events and API keys in SQL.
//!
//! One [`Store`] holds an `sqlx::AnyPool`, so the same code runs on SQLite
//! (the default; WAL, `busy_timeout`, foreign keys on) and PostgreSQL
//! (`postgres://…`). Migrations in `migrations/<backend>/` are applied by
//! [`Store::connect`].
//!
//! Portability choices: ids are TEXT, generated in Rust and time-ordered
//! ([`new_id`]); timestamps are BIGINT unix milliseconds, UTC ([`now_ms`]);
//! JSON is stored as TEXT; placeholders are `$1`, `$2`, ….
//!
//! Invariants live in the schema: CHECK constraints on states and a partial
//! UNIQUE index so a printer has at most one `assigned|printing|paused` job.
//! Every job state change runs in a transaction that appends an event row.
//! Writes go through [`write`]: one transaction on its own task, retried
//! while the database is busy; on SQLite a single writer connection.
//!
//! Policy (which job goes where) lives in [`crate::scheduler`]; what a
//! failure means for its job lives in [`crate::domain`], which the store
//! calls inside the transaction that ends the attempt.

mod api_queries;
mod attempts;
mod blobs;
mod commands;
mod events;
mod files;
mod group_commit;
mod history;
mod intake;
mod jobs;
mod keys;
mod loads;
mod maintenance;
mod nodes;
mod orders;
mod printers;
mod products;
mod renders;
mod rows;
mod shops;
mod states;
mod stats;
mod transitions;
mod types;
pub mod write;

pub use api_queries::OrderItemRecord;
pub use attempts::{AttemptEnding, AttemptRecord, AttemptStart, JobOutcome};
pub use blobs::{BlobChunks, BLOB_CHUNK_BYTES};
pub use commands::{TakenCommand, COMMANDS_CHANNEL};
pub use history::{AttemptInterval, FarmHistory, FarmOee};
pub use intake::{CallbackRecord, IntakeRecord, StatusReport};
pub use loads::ToolLoad;
pub use maintenance::OdometerRecord;
pub use nodes::{Lease, LostNode, RemoteView};
pub use products::{NewProduct, ProductKind, ProductRecord};
pub use renders::{RenderOutcome, RenderRecord};
pub use shops::{DeliveryRecord, ShopRecord};
pub use states::{JobState, PrinterState, Role};
pub use stats::{FarmStats, PrinterBusy};
pub use types::{
    ApiKeyRecord, CreatedOrder, EventRecord, FileKeys, FileRecord, JobFilter, JobRecord, NewFile,
    NewJob, NewOrder, NewOrderItem, NewRender, NewUnit, OrderRecord, PrinterRecord, QueuedJob,
    RecoveryReport,
};

use crate::domain::FailurePolicy;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Migrations embedded from `migrations/sqlite/` and `migrations/postgres/`:
/// the same schema, apart from what the two cannot share (SQLite rebuilds a
/// table to change a CHECK constraint, PostgreSQL alters it).
static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

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
    /// A local file the store was to read could not be read.
    #[error("reading {}: {source}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
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
    /// The thing already exists (a shop's external order id): its id.
    #[error("{what} exists already: {id}")]
    Exists {
        /// What (`order`).
        what: &'static str,
        /// The existing one's id.
        id: String,
    },
    /// This node lost its lease (declared lost, or another process joined
    /// under its name): it may not write as the owner of its printers.
    #[error("node {node} (epoch {epoch}) lost its lease; its writes are refused")]
    Fenced {
        /// The node.
        node: String,
        /// The epoch it held.
        epoch: i64,
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
    url: String,
    read_pool: AnyPool,
    write_pool: AnyPool,
    backend: Backend,
    policy: FailurePolicy,
    changes: Arc<Changes>,
    /// SQLite's single writer, which commits queued writes together.
    group_commit: Option<group_commit::Queue>,
    /// The lease of this process when it is a node of a farm of several
    /// hosts (see [`nodes`]).
    lease: nodes::LeaseCell,
}

/// Committed writes of this process: a counter and a signal, so readers of
/// the change stream know when they have caught up.
#[derive(Debug, Default)]
struct Changes {
    committed: AtomicU64,
    signal: Notify,
}

impl Changes {
    /// Counts a commit and wakes whoever waits for one.
    pub(crate) fn committed(&self) {
        self.committed.fetch_add(1, Ordering::AcqRel);
        self.signal.notify_waiters();
    }
}

/// Runs a block in a write transaction, cloning the named values into each
/// try: `self.write(Persistence::Request, "what", tx!([job] |conn| body))`.
macro_rules! tx {
    ([$($arg:ident),*] |$conn:ident| $body:expr) => {{
        $(#[allow(clippy::redundant_clone)] let $arg = $arg.clone();)*
        $crate::store::write::work(move |$conn| {
            $(#[allow(clippy::redundant_clone)] let $arg = $arg.clone();)*
            Box::pin(async move { $body })
        })
    }};
}
pub(crate) use tx;

/// A `sqlite:` URL that creates the file when it is missing, as the
/// default one does (`sqlite://farm.db` alone would refuse to).
pub fn sqlite_url_creating(url: &str) -> String {
    if !url.starts_with("sqlite:") || url.contains("mode=") || url.contains(":memory:") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`) and applies
    /// pending migrations. A missing SQLite file is created.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let url = sqlite_url_creating(url);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let (read_pool, write_pool) = match backend {
            Backend::Sqlite => {
                let write_pool = sqlite_pool(1, false).connect(&url).await?;
                SQLITE_MIGRATOR.run(&write_pool).await?;
                (sqlite_pool(8, true).connect(&url).await?, write_pool)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    // A process stopped inside a transaction (SIGSTOP, a
                    // hung host) must not hold its locks against the
                    // nodes that reap it.
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute("SET idle_in_transaction_session_timeout = '5s'")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                POSTGRES_MIGRATOR.run(&pool).await?;
                (pool.clone(), pool)
            }
        };
        Ok(Store {
            url,
            read_pool,
            write_pool,
            backend,
            policy: FailurePolicy {
                requeue_limit: DEFAULT_REQUEUE_LIMIT,
                ..FailurePolicy::default()
            },
            changes: Arc::default(),
            group_commit: None,
            lease: Arc::default(),
        }
        .with_group_commit())
    }

    /// Opens (creating if needed) an SQLite database file.
    pub async fn open_sqlite(path: &std::path::Path) -> Result<Store, StoreError> {
        Store::connect(&format!("sqlite://{}", path.display())).await
    }

    /// Sets how many printer-caused failures a job survives (at least 1).
    pub fn with_requeue_limit(mut self, limit: u32) -> Store {
        self.policy.requeue_limit = limit.max(1);
        self
    }

    /// Sets the failure policy (requeue limit, repeated-failure rule).
    pub fn with_failure_policy(mut self, policy: FailurePolicy) -> Store {
        self.policy = FailurePolicy {
            requeue_limit: policy.requeue_limit.max(1),
            ..policy
        };
        self
    }

    /// The failure policy in force.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.policy
    }

    /// The pool for reads, for tests and ad-hoc queries.
    pub fn pool(&self) -> &AnyPool {
        &self.read_pool
    }

    /// The pool writes go through (one connection on SQLite), for tests
    /// that write raw SQL.
    pub fn write_pool(&self) -> &AnyPool {
        &self.write_pool
    }

    /// Write transactions this process has committed so far.
    pub fn committed_writes(&self) -> u64 {
        self.changes.committed.load(Ordering::Acquire)
    }

    /// Resolves after the next write this process commits.
    pub async fn next_write(&self) {
        self.changes.signal.notified().await;
    }

    /// What a write needs.
    fn writer(&self) -> write::Writer {
        write::Writer {
            pool: self.write_pool.clone(),
            backend: self.backend,
            changes: Arc::clone(&self.changes),
        }
    }

    /// On SQLite, starts the single writer that commits queued writes
    /// together (see [`group_commit`]).
    fn with_group_commit(mut self) -> Store {
        if self.backend == Backend::Sqlite {
            self.group_commit = Some(group_commit::start(self.writer()));
        }
        self
    }

    /// The URL it was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which database this store uses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes all connections.
    pub async fn close(&self) {
        self.read_pool.close().await;
        self.write_pool.close().await;
    }
}

/// Pool options for one SQLite file: WAL, a busy timeout, foreign keys; the
/// read pool's connections refuse writes (`query_only`).
fn sqlite_pool(connections: u32, read_only: bool) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(60))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = NORMAL").await?;
                if read_only {
                    conn.execute("PRAGMA query_only = ON").await?;
                }
                Ok(())
            })
        })
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
