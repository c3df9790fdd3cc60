//! Nodes: several hosts sharing one PostgreSQL database, each driving its
//! own printers. PostgreSQL is the only coordinator:
//!
//! - **Leases.** A node joins with an `epoch` one higher than its last and
//!   renews `heartbeat_at` (the database's clock, so the hosts' clocks do
//!   not matter). A node silent for longer than the lease is declared lost
//!   by any other node ([`Store::reap_lost_nodes`]).
//! - **Fencing.** Every write a node makes as the owner of its printers
//!   (claims, ends, progress, printer state) first takes a key-share lock
//!   on its `nodes` row and checks its epoch and that it is not lost
//!   ([`fence_in`]). The reaper locks the row `FOR UPDATE`, so a write
//!   either commits before the node is declared lost (and the reaper then
//!   sees what it wrote) or is refused with [`StoreError::Fenced`].
//! - **Ownership.** A printer row names its node; a second node claiming a
//!   printer of a live node is refused.

use super::printers::{interrupt_in, offline_in, Scope};
use super::write::{self, Persistence, Work};
use super::{events, tx, Backend, Store, StoreError};
use crate::domain::recovery::after_node_lost;
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// A node's right to write as the owner of its printers: its name and the
/// epoch it joined with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The node's name (`serve --node`).
    pub node: String,
    /// Grows by one each time the node joins.
    pub epoch: i64,
}

/// The lease this process holds, shared by every clone of the store.
pub(super) type LeaseCell = Arc<RwLock<Option<Lease>>>;

/// What one pass of the reaper did to a lost node.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LostNode {
    /// The node declared lost.
    pub node: String,
    /// Its jobs put back in the queue.
    pub requeued: Vec<String>,
    /// Its jobs that failed (their printer-fault budget was spent).
    pub failed: Vec<String>,
}

/// A printer of another node, as that node last published it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteView {
    /// The printer.
    pub printer: String,
    /// The node that drives it.
    pub node: String,
    /// Its view as JSON (`api::PrinterView`).
    pub view_json: String,
    /// False when the node is lost or silent for longer than the lease.
    pub live: bool,
}

/// The database's clock in unix milliseconds.
const DB_NOW: &str = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

/// Whether a join may proceed.
enum Join {
    Joined(Lease),
    /// A process of this name renewed its lease this long ago.
    Busy {
        silent_ms: i64,
    },
}

impl Store {
    /// The lease this process holds, if it is a node.
    pub fn lease(&self) -> Option<Lease> {
        self.lease.read().ok().and_then(|lease| lease.clone())
    }

    /// Joins the farm as `node` (PostgreSQL only): a new epoch, a fresh
    /// heartbeat. While another process of the same name still holds a
    /// live lease (or one killed a moment ago, which looks the same), waits
    /// for that lease to run out.
    pub async fn join_node(
        &self,
        node: &str,
        listen: &str,
        lease: Duration,
    ) -> Result<Lease, StoreError> {
        if self.backend != Backend::Postgres {
            return Err(StoreError::Invalid {
                field: "database_url",
                detail: "several nodes need PostgreSQL (postgres://…); on SQLite run one \
                         printfarm without --node"
                    .to_owned(),
            });
        }
        let lease_ms = millis(lease);
        let mut told = false;
        loop {
            let (node, listen) = (node.to_owned(), listen.to_owned());
            let joined = self
                .write(
                    Persistence::Request,
                    "join node",
                    tx!([node, listen] | conn | try_join(conn, &node, &listen, lease_ms).await),
                )
                .await?;
            match joined {
                Join::Joined(lease) => {
                    *self.lease.write().map_err(|_| poisoned())? = Some(lease.clone());
                    return Ok(lease);
                }
                Join::Busy { silent_ms } => {
                    if !told {
                        tracing::warn!(
                            "node {node} renewed its lease {silent_ms} ms ago: another process \
                             of that name is running, or one stopped a moment ago; waiting for \
                             its lease to run out"
                        );
                        told = true;
                    }
                    let wait = (lease_ms - silent_ms).clamp(100, lease_ms) as u64;
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
            }
        }
    }

    /// Renews this node's lease; [`StoreError::Fenced`] when it was lost
    /// (or another process joined under its name).
    pub async fn heartbeat(&self) -> Result<(), StoreError> {
        let lease = self.lease().ok_or_else(not_a_node)?;
        self.write(
            Persistence::Request,
            "heartbeat",
            tx!([lease] | conn | {
                let renewed = sqlx::query::<Any>(&format!(
                    "UPDATE nodes SET heartbeat_at = {DB_NOW} \
                     WHERE name = $1 AND epoch = $2 AND lost_at IS NULL"
                ))
                .bind(&lease.node)
                .bind(lease.epoch)
                .execute(&mut *conn)
                .await?;
                if renewed.rows_affected() == 0 {
                    return Err(fenced(&lease));
                }
                Ok(())
            }),
        )
        .await
    }

    /// Leaves the farm after a clean shutdown: the node is marked gone at
    /// once (the others need not wait for its lease) and its printers show
    /// `offline`.
    pub async fn leave_node(&self) -> Result<(), StoreError> {
        let lease = self.lease().ok_or_else(not_a_node)?;
        self.write(
            Persistence::Request,
            "leave node",
            tx!([lease] | conn | {
                fence_in(conn, &lease).await?;
                sqlx::query::<Any>(&format!(
                    "UPDATE nodes SET lost_at = {DB_NOW} WHERE name = $1"
                ))
                .bind(&lease.node)
                .execute(&mut *conn)
                .await?;
                offline_in(conn, Scope::Node(&lease.node)).await?;
                events::append(conn, "node_left", None, None, json!({ "node": lease.node })).await
            }),
        )
        .await
    }

    /// Records that this node drives `printers`; refused when another
    /// node, still live, drives one of them.
    pub async fn claim_printers(&self, printers: &[String]) -> Result<(), StoreError> {
        let lease = self.lease().ok_or_else(not_a_node)?;
        let printers = printers.to_vec();
        self.write(
            Persistence::Request,
            "claim printers",
            tx!([lease, printers] | conn | {
                fence_in(conn, &lease).await?;
                for printer in &printers {
                    claim_printer_in(conn, &lease.node, printer).await?;
                }
                Ok(())
            }),
        )
        .await
    }

    /// Declares lost every node silent for longer than `lease`: its
    /// printers go `offline` and its jobs through the printer-caused
    /// failure policy (back to the queue for another printer). Safe to run
    /// on every node at once: each lost node is reaped by one of them.
    pub async fn reap_lost_nodes(&self, lease: Duration) -> Result<Vec<LostNode>, StoreError> {
        let (lease_ms, policy) = (millis(lease), self.policy);
        self.write(
            Persistence::Request,
            "reap lost nodes",
            tx!([] | conn | {
                let silent = sqlx::query::<Any>(&format!(
                    "SELECT name FROM nodes WHERE lost_at IS NULL AND heartbeat_at < {DB_NOW} - $1 \
                     ORDER BY name FOR UPDATE SKIP LOCKED"
                ))
                .bind(lease_ms)
                .fetch_all(&mut *conn)
                .await?;
                let mut lost = Vec::new();
                for row in &silent {
                    let node: String = row.try_get("name")?;
                    lost.push(reap_in(conn, &node, lease_ms, policy).await?);
                }
                Ok(lost)
            }),
        )
        .await
    }

    /// Publishes this node's printers' views (`(printer, JSON)`, what
    /// `GET /api/printers` shows) for the other nodes.
    pub async fn publish_views(&self, views: &[(String, String)]) -> Result<(), StoreError> {
        let lease = self.lease().ok_or_else(not_a_node)?;
        let views = views.to_vec();
        self.write(
            Persistence::Request,
            "publish views",
            tx!([lease, views] | conn | {
                fence_in(conn, &lease).await?;
                for (printer, json) in &views {
                    sqlx::query::<Any>(
                        "UPDATE printers SET view_json = $3, view_at = $4 \
                         WHERE name = $1 AND node = $2",
                    )
                    .bind(printer)
                    .bind(&lease.node)
                    .bind(json)
                    .bind(super::now_ms())
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }),
        )
        .await
    }

    /// The printers of the other nodes, as they last published them.
    pub async fn remote_views(&self, lease: Duration) -> Result<Vec<RemoteView>, StoreError> {
        let me = self.lease().ok_or_else(not_a_node)?;
        let rows = sqlx::query::<Any>(&format!(
            "SELECT p.name, p.node, p.view_json, \
             CASE WHEN n.lost_at IS NULL AND n.heartbeat_at >= {DB_NOW} - $2 THEN 1 ELSE 0 END \
             AS live FROM printers p JOIN nodes n ON n.name = p.node \
             WHERE p.node <> $1 AND p.view_json IS NOT NULL ORDER BY p.name"
        ))
        .bind(&me.node)
        .bind(millis(lease))
        .fetch_all(&self.read_pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RemoteView {
                    printer: row.try_get("name")?,
                    node: row.try_get("node")?,
                    view_json: row.try_get("view_json")?,
                    live: row.try_get::<i32, _>("live")? == 1,
                })
            })
            .collect()
    }

    /// Runs `work` as a write this process makes as the owner of its
    /// printers: never given up, and on a node fenced by its lease.
    pub(super) async fn owner_write<T: Send + 'static>(
        &self,
        what: &'static str,
        work: Work<T>,
    ) -> Result<T, StoreError> {
        let work = match self.backend {
            Backend::Postgres => fenced_work(Arc::clone(&self.lease), work),
            Backend::Sqlite => work,
        };
        self.write(Persistence::Durable, what, work).await
    }
}

/// `work` preceded by [`fence_in`] with the lease held when it runs (none:
/// a single-host farm, nothing to check).
fn fenced_work<T: Send + 'static>(cell: LeaseCell, work: Work<T>) -> Work<T> {
    let work = Arc::new(work);
    write::work(move |conn| {
        let lease = cell.read().ok().and_then(|lease| lease.clone());
        let work = Arc::clone(&work);
        Box::pin(async move {
            if let Some(lease) = &lease {
                fence_in(conn, lease).await?;
            }
            work(conn).await
        })
    })
}

/// Refuses the transaction unless `lease` is still this node's: same
/// epoch, not declared lost. Holds a key-share lock on the node's row to
/// the end of the transaction, so the reaper waits for it (or skips it).
pub(super) async fn fence_in(conn: &mut AnyConnection, lease: &Lease) -> Result<(), StoreError> {
    let row = sqlx::query::<Any>("SELECT epoch, lost_at FROM nodes WHERE name = $1 FOR KEY SHARE")
        .bind(&lease.node)
        .fetch_optional(&mut *conn)
        .await?;
    let current = match &row {
        Some(row) => Some((
            row.try_get::<i64, _>("epoch")?,
            row.try_get::<Option<i64>, _>("lost_at")?,
        )),
        None => None,
    };
    match current {
        Some((epoch, None)) if epoch == lease.epoch => Ok(()),
        _ => Err(fenced(lease)),
    }
}

async fn try_join(
    conn: &mut AnyConnection,
    node: &str,
    listen: &str,
    lease_ms: i64,
) -> Result<Join, StoreError> {
    let row = sqlx::query::<Any>(&format!(
        "SELECT {DB_NOW} - heartbeat_at AS silent_ms FROM nodes \
         WHERE name = $1 AND lost_at IS NULL FOR UPDATE"
    ))
    .bind(node)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        let silent_ms: i64 = row.try_get("silent_ms")?;
        if silent_ms < lease_ms {
            return Ok(Join::Busy { silent_ms });
        }
    }
    let epoch: i64 = sqlx::query::<Any>(&format!(
        "INSERT INTO nodes (name, epoch, joined_at, heartbeat_at, listen) \
         VALUES ($1, 1, {DB_NOW}, {DB_NOW}, $2) \
         ON CONFLICT (name) DO UPDATE SET epoch = nodes.epoch + 1, \
         joined_at = excluded.joined_at, heartbeat_at = excluded.heartbeat_at, \
         lost_at = NULL, listen = excluded.listen RETURNING epoch"
    ))
    .bind(node)
    .bind(listen)
    .fetch_one(&mut *conn)
    .await?
    .try_get("epoch")?;
    let payload = json!({ "node": node, "epoch": epoch, "listen": listen });
    events::append(conn, "node_joined", None, None, payload).await?;
    Ok(Join::Joined(Lease {
        node: node.to_owned(),
        epoch,
    }))
}

/// Gives `printer` to `node` unless a live other node has it.
async fn claim_printer_in(
    conn: &mut AnyConnection,
    node: &str,
    printer: &str,
) -> Result<(), StoreError> {
    let claimed = sqlx::query::<Any>(
        "INSERT INTO printers (name, state, updated_at, node) VALUES ($1, 'offline', $3, $2) \
         ON CONFLICT (name) DO UPDATE SET node = excluded.node \
         WHERE printers.node IS NULL OR printers.node = excluded.node \
         OR EXISTS (SELECT 1 FROM nodes n WHERE n.name = printers.node AND n.lost_at IS NOT NULL)",
    )
    .bind(printer)
    .bind(node)
    .bind(super::now_ms())
    .execute(&mut *conn)
    .await?;
    if claimed.rows_affected() > 0 {
        return Ok(());
    }
    let owner: Option<String> = sqlx::query::<Any>("SELECT node FROM printers WHERE name = $1")
        .bind(printer)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get("node"))
        .transpose()?
        .flatten();
    Err(StoreError::Invalid {
        field: "printer",
        detail: format!(
            "printer {printer:?} is driven by node {:?}, which is running; give each printer \
             to one node (`node = …` in its [[printer]] table)",
            owner.unwrap_or_default()
        ),
    })
}

/// Declares `node` lost and hands its jobs back to the queue.
async fn reap_in(
    conn: &mut AnyConnection,
    node: &str,
    lease_ms: i64,
    policy: crate::domain::FailurePolicy,
) -> Result<LostNode, StoreError> {
    sqlx::query::<Any>(&format!(
        "UPDATE nodes SET lost_at = {DB_NOW} WHERE name = $1"
    ))
    .bind(node)
    .execute(&mut *conn)
    .await?;
    let reason = format!("node {node} lost: no heartbeat for {} s", lease_ms / 1000);
    let report = interrupt_in(conn, Scope::Node(node), after_node_lost, &reason, policy).await?;
    offline_in(conn, Scope::Node(node)).await?;
    super::orders::discard_unaccepted_in(conn, Some(node)).await?;
    super::renders::requeue_running_in(conn, Some(node)).await?;
    let lost = LostNode {
        node: node.to_owned(),
        requeued: report.requeued,
        failed: report.failed,
    };
    events::append(conn, "node_lost", None, None, json!(lost)).await?;
    Ok(lost)
}

fn fenced(lease: &Lease) -> StoreError {
    StoreError::Fenced {
        node: lease.node.clone(),
        epoch: lease.epoch,
    }
}

fn not_a_node() -> StoreError {
    StoreError::Invalid {
        field: "node",
        detail: "this process has not joined as a node".to_owned(),
    }
}

fn poisoned() -> StoreError {
    StoreError::Invalid {
        field: "node",
        detail: "the lease lock was poisoned".to_owned(),
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
