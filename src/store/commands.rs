//! Actions relayed between nodes: a node's API that is asked to act on a
//! printer of another node writes a command row and notifies; the owning
//! node takes it once (fenced by its lease), carries it out and writes the
//! result, which the sender reads back.

use super::nodes::fence_in;
use super::write::Persistence;
use super::{new_id, now_ms, tx, Store, StoreError};
use sqlx::{Any, Row};
use std::time::Duration;

/// The channel a node listens on for commands (payload: the node's name).
pub const COMMANDS_CHANNEL: &str = "printfarm_commands";

/// A command taken by the node that carries it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenCommand {
    /// Its id.
    pub id: String,
    /// The printer it is for.
    pub printer: String,
    /// What to do, as JSON.
    pub command_json: String,
}

impl Store {
    /// Queues a command for `node`'s `printer`, valid for `ttl`; its id.
    pub async fn send_command(
        &self,
        node: &str,
        printer: &str,
        command_json: &str,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let (node, printer, json) = (node.to_owned(), printer.to_owned(), command_json.to_owned());
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        self.write(
            Persistence::Request,
            "send command",
            tx!([id, node, printer, json] | conn | {
                let now = now_ms();
                sqlx::query::<Any>(
                    "INSERT INTO node_commands (id, node, printer, command_json, created_at, \
                     expires_at, state) VALUES ($1, $2, $3, $4, $5, $6, 'pending')",
                )
                .bind(&id)
                .bind(&node)
                .bind(&printer)
                .bind(&json)
                .bind(now)
                .bind(now.saturating_add(ttl_ms))
                .execute(&mut *conn)
                .await?;
                sqlx::query::<Any>("SELECT pg_notify($1, $2)")
                    .bind(COMMANDS_CHANNEL)
                    .bind(&node)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }),
        )
        .await?;
        Ok(id)
    }

    /// The result of a command once it was carried out.
    pub async fn command_result(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT result_json FROM node_commands WHERE id = $1 AND state = 'done'",
        )
        .bind(id)
        .fetch_optional(&self.read_pool)
        .await?;
        Ok(row.map(|r| r.try_get("result_json")).transpose()?.flatten())
    }

    /// Takes this node's pending commands that have not expired (each is
    /// taken once, by the node that holds the lease).
    pub async fn take_commands(&self) -> Result<Vec<TakenCommand>, StoreError> {
        let lease = self.lease().ok_or_else(|| StoreError::Invalid {
            field: "node",
            detail: "this process has not joined as a node".to_owned(),
        })?;
        self.write(
            Persistence::Request,
            "take commands",
            tx!([lease] | conn | {
                fence_in(conn, &lease).await?;
                let rows = sqlx::query::<Any>(
                    "UPDATE node_commands SET state = 'running' WHERE id IN \
                     (SELECT id FROM node_commands WHERE node = $1 AND state = 'pending' \
                      AND expires_at > $2 ORDER BY id FOR UPDATE SKIP LOCKED) \
                     RETURNING id, printer, command_json",
                )
                .bind(&lease.node)
                .bind(now_ms())
                .fetch_all(&mut *conn)
                .await?;
                let mut taken = rows
                    .iter()
                    .map(|row| {
                        Ok(TakenCommand {
                            id: row.try_get("id")?,
                            printer: row.try_get("printer")?,
                            command_json: row.try_get("command_json")?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                taken.sort_by(|a, b| a.id.cmp(&b.id));
                Ok(taken)
            }),
        )
        .await
    }

    /// Records what came of a command this node took.
    pub async fn finish_command(&self, id: &str, result_json: &str) -> Result<(), StoreError> {
        let (id, json) = (id.to_owned(), result_json.to_owned());
        self.write(
            Persistence::Request,
            "finish command",
            tx!([id, json] | conn | {
                sqlx::query::<Any>(
                    "UPDATE node_commands SET state = 'done', result_json = $2, done_at = $3 \
                     WHERE id = $1",
                )
                .bind(&id)
                .bind(&json)
                .bind(now_ms())
                .execute(&mut *conn)
                .await?;
                Ok(())
            }),
        )
        .await
    }
}
