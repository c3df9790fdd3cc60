//! `GET /api/events`: server-sent events from the farm's broadcast channel,
//! and the relay that feeds that channel from the store's event log.

use super::auth::{Caller, FARM_ROLES};
use super::error::ApiError;
use super::AppState;
use crate::store::{now_ms, EventRecord, Store};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

/// Events read from the store per poll.
const RELAY_BATCH: i64 = 500;

/// One state change in the farm, as sent to SSE clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FarmEvent {
    /// Id (time-ordered).
    pub id: String,
    /// Unix ms.
    pub at: i64,
    /// What happened (`created`, `claimed`, `started`, `completed`, `printer_state`, …);
    /// also the SSE event name.
    pub kind: String,
    /// Printer involved.
    pub printer: Option<String>,
    /// Job involved.
    pub job: Option<String>,
    /// Details.
    pub payload: serde_json::Value,
}

impl From<EventRecord> for FarmEvent {
    fn from(record: EventRecord) -> FarmEvent {
        FarmEvent {
            id: record.id,
            at: record.at,
            kind: record.kind,
            printer: record.printer,
            job: record.job,
            payload: record.payload,
        }
    }
}

/// Copies new rows of the store's event log to `sender` every `poll`,
/// forever (abort the task to stop it). Starts with the events written from
/// now on; every job and printer state change is in the log.
pub async fn relay_store_events(
    store: Store,
    sender: broadcast::Sender<FarmEvent>,
    poll: Duration,
) {
    // On PostgreSQL transactions (of this and other nodes) may commit an
    // earlier id later: events of the last seconds are read again and the
    // ones already relayed skipped.
    let lookback_ms = match store.backend() {
        crate::store::Backend::Sqlite => 0,
        crate::store::Backend::Postgres => 5_000,
    };
    let mut since_ms = now_ms();
    let mut seen: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    loop {
        match store.list_events(since_ms, RELAY_BATCH).await {
            Ok(batch) => {
                let full = batch.len() as i64 == RELAY_BATCH;
                let mut newest = since_ms;
                for record in batch {
                    newest = newest.max(record.at);
                    if seen.insert(record.id.clone(), record.at).is_some() {
                        continue;
                    }
                    let _ = sender.send(FarmEvent::from(record));
                }
                // A full batch moves on past what it read; otherwise the
                // window trails the newest event by the lookback.
                since_ms = if full {
                    newest
                } else {
                    since_ms.max(newest - lookback_ms)
                };
                seen.retain(|_, at| *at >= since_ms);
            }
            Err(error) => tracing::warn!("reading the event log failed: {error}"),
        }
        tokio::time::sleep(poll).await;
    }
}

fn sse_event(item: Result<FarmEvent, BroadcastStreamRecvError>) -> Event {
    match item {
        Ok(event) => Event::default()
            .event(event.kind.clone())
            .id(event.id.clone())
            .json_data(&event)
            .unwrap_or_else(|_| Event::default().event("error").data("unserialisable event")),
        Err(BroadcastStreamRecvError::Lagged(skipped)) => Event::default()
            .event("lagged")
            .data(format!("{{\"skipped\":{skipped}}}")),
    }
}

/// `GET /api/events`: every farm event as it happens. A client too slow to
/// keep up gets a `lagged` event with the number skipped, not a dropped
/// connection.
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    responses(
        (status = 200, description = "Server-sent events: each event's name is its `kind`, its data a `FarmEvent`; a `lagged` event says how many a slow client missed; every second a `printers` event carries the list `GET /api/printers` answers", content_type = "text/event-stream", body = FarmEvent),
    ),
    security(("api_key" = ["operator", "technician"]), ("bearer" = ["operator", "technician"]))
)]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(FARM_ROLES)?;
    let events = BroadcastStream::new(state.events.subscribe()).map(|item| Ok(sse_event(item)));
    let farm = state.farm.clone();
    let ticks = tokio::time::interval(PRINTERS_EVERY);
    let printers = tokio_stream::wrappers::IntervalStream::new(ticks)
        .map(move |_| Ok(printers_event(&farm.printers())));
    let merged = futures::stream::select(events, printers);
    Ok(Sse::new(merged).keep_alive(KeepAlive::default()))
}

/// How often `/api/events` sends every printer's live view (progress and
/// temperatures change without state events).
const PRINTERS_EVERY: Duration = Duration::from_secs(1);

/// A `printers` event: the same views as `GET /api/printers`.
fn printers_event(views: &[super::farm::PrinterView]) -> Event {
    let data = serde_json::to_string(views).unwrap_or_else(|_| "[]".to_owned());
    Event::default().event("printers").data(data)
}
