//! Actions on printers of other nodes, relayed through the database
//! ([`crate::store::Store::send_command`]): the sending side waits for the
//! owner's answer; the owning side listens (`LISTEN`) and carries each
//! command out once on its printer's supervisor.

use super::Fleet;
use crate::api::{ControlError, PrinterAction};
use crate::store::{Store, ToolLoad, COMMANDS_CHANNEL};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How long a relayed command may wait for its node.
const COMMAND_TTL: Duration = Duration::from_secs(10);
/// How often the sender looks for the answer.
const ANSWER_POLL: Duration = Duration::from_millis(50);
/// How often the owner looks for commands without a notification.
const COMMAND_POLL: Duration = Duration::from_secs(1);

/// What an API asked of another node's printer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// An operator's or technician's action.
    Act {
        /// The action.
        action: PrinterAction,
    },
    /// Cancel this job if it is on the printer.
    CancelJob {
        /// The job.
        job: String,
    },
    /// A technician confirms a service (`by`: an API key id).
    Service {
        /// Who confirmed it.
        by: Option<String>,
    },
    /// A technician changed what the printer has loaded.
    Load {
        /// Per tool.
        loads: Vec<ToolLoad>,
    },
}

impl Command {
    /// Carries the command out on a printer of this node.
    pub async fn run_on(self, supervisor: &super::SupervisorHandle) -> Result<(), ControlError> {
        match self {
            Command::Act { action } => supervisor.act(action).await,
            Command::CancelJob { job } => supervisor.cancel_job(&job).await,
            Command::Service { by } => supervisor.confirm_service(by).await,
            Command::Load { loads } => supervisor.load(loads).await,
        }
    }
}

/// Sends `command` to `node` for `printer` and waits for its answer.
pub async fn relay(
    store: &Store,
    node: &str,
    printer: &str,
    command: &Command,
) -> Result<(), ControlError> {
    let unavailable = |why: String| ControlError::Unavailable { reason: why };
    let json = serde_json::to_string(command).map_err(|e| unavailable(e.to_string()))?;
    let id = store
        .send_command(node, printer, &json, COMMAND_TTL)
        .await
        .map_err(|e| unavailable(format!("relaying to node {node}: {e}")))?;
    let deadline = Instant::now() + COMMAND_TTL;
    while Instant::now() < deadline {
        match store.command_result(&id).await {
            Ok(Some(answer)) => {
                return serde_json::from_str::<Result<(), ControlError>>(&answer)
                    .unwrap_or_else(|e| Err(unavailable(format!("unreadable answer: {e}"))));
            }
            Ok(None) => tokio::time::sleep(ANSWER_POLL).await,
            Err(e) => return Err(unavailable(format!("reading node {node}'s answer: {e}"))),
        }
    }
    Err(unavailable(format!(
        "node {node}, which drives {printer}, did not answer within {} s",
        COMMAND_TTL.as_secs()
    )))
}

/// Carries out the commands other nodes send to this node's printers.
pub fn serve_commands(store: Store, fleet: Arc<Fleet>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut listener = match sqlx::postgres::PgListener::connect(store.url()).await {
            Ok(mut listener) => match listener.listen(COMMANDS_CHANNEL).await {
                Ok(()) => Some(listener),
                Err(e) => {
                    tracing::warn!("listening for commands (polling instead): {e}");
                    None
                }
            },
            Err(e) => {
                tracing::warn!("listening for commands (polling instead): {e}");
                None
            }
        };
        loop {
            run_pending(&store, &fleet).await;
            match listener.as_mut() {
                Some(listener) => {
                    let _ = tokio::time::timeout(COMMAND_POLL, listener.recv()).await;
                }
                None => tokio::time::sleep(COMMAND_POLL).await,
            }
        }
    })
}

async fn run_pending(store: &Store, fleet: &Fleet) {
    let taken = match store.take_commands().await {
        Ok(taken) => taken,
        Err(e) => {
            tracing::debug!("taking commands: {e}");
            return;
        }
    };
    for command in taken {
        let result = match serde_json::from_str::<Command>(&command.command_json) {
            Ok(what) => carry_out(fleet, &command.printer, what).await,
            Err(e) => Err(ControlError::NotPossible {
                reason: format!("unreadable command: {e}"),
            }),
        };
        let answer = serde_json::to_string(&result).unwrap_or_else(|_| "null".to_owned());
        if let Err(e) = store.finish_command(&command.id, &answer).await {
            tracing::warn!("answering command {}: {e}", command.id);
        }
    }
}

async fn carry_out(fleet: &Fleet, printer: &str, command: Command) -> Result<(), ControlError> {
    let supervisor = fleet
        .printer(printer)
        .ok_or_else(|| ControlError::UnknownPrinter {
            printer: printer.to_owned(),
        })?;
    command.run_on(supervisor).await
}
