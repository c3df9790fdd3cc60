//! Status back to shops. A store order's status (accepted, in production,
//! needs review, completed, failed, cancelled) is compared with the last one
//! reported; a change is recorded with its callback in one transaction (the
//! outbox). A sender posts the callbacks, signed, oldest first and one at a
//! time per order, retrying with exponential backoff; all of it survives a
//! restart because all of it is in the store.

use super::super::AppState;
use crate::domain::{order_status, OrderStatus, UnitCounts};
use crate::shops::{signature, IntakeState};
use crate::store::{
    new_id, now_ms, CallbackRecord, IntakeRecord, JobFilter, JobState, ShopRecord, StatusReport,
    StoreError,
};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

/// How often statuses are compared and due callbacks sent.
const TICK: Duration = Duration::from_millis(500);
/// How long a shop's receiver may take to answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The status a store order has now, with the farm's unit counts; `None`
/// while it waits for payment.
async fn status_of(
    state: &AppState,
    record: &IntakeRecord,
) -> Result<Option<(&'static str, UnitCounts)>, StoreError> {
    let counts = UnitCounts::default();
    let at_door = match IntakeState::parse(&record.state) {
        Some(IntakeState::WaitingPayment) | None => return Ok(None),
        Some(IntakeState::NeedsMapping | IntakeState::NeedsReview) => Some("needs_review"),
        Some(IntakeState::Cancelled) => Some("cancelled"),
        Some(IntakeState::Ordered) => None,
    };
    let Some(order_id) = &record.order_id else {
        return Ok(at_door.map(|s| (s, counts)));
    };
    let filter = JobFilter {
        order_id: Some(order_id.clone()),
        limit: Some(i64::MAX),
        ..JobFilter::default()
    };
    let states: Vec<JobState> = state
        .store
        .list_jobs(&filter)
        .await?
        .iter()
        .map(|j| j.state)
        .collect();
    let counts = UnitCounts::of(states.iter().copied());
    if let Some(status) = at_door {
        return Ok(Some((status, counts)));
    }
    let status = if states.contains(&JobState::NeedsReview) {
        "needs_review"
    } else {
        match order_status(&states) {
            OrderStatus::Queued => "accepted",
            OrderStatus::InProgress => "in_production",
            OrderStatus::Completed => "completed",
            OrderStatus::Failed => "failed",
            OrderStatus::Cancelled => "cancelled",
        }
    };
    Ok(Some((status, counts)))
}

/// Reports a store order's status to its shop if it changed since the
/// last report. `accepted` is reported when the farm's order was just
/// made, whatever its units did meanwhile, so a shop always hears it.
pub(super) async fn report(
    state: &AppState,
    shop: &ShopRecord,
    record: &IntakeRecord,
    just_ordered: bool,
) -> Result<(), StoreError> {
    let Some((status, units)) = status_of(state, record).await? else {
        return Ok(());
    };
    let status = if just_ordered { "accepted" } else { status };
    if record.reported_status.as_deref() == Some(status) {
        return Ok(());
    }
    let callback = shop.callback_url.as_ref().map(|_| {
        let key = format!("{}-{}", record.id, new_id());
        let body = json!({
            "event": "order.status",
            "idempotency_key": key,
            "shop": shop.name,
            "store_order_id": record.store_order_id,
            "store_order_name": record.order.name,
            "order_id": record.order_id,
            "status": status,
            "previous_status": record.reported_status,
            "reason": record.reason,
            "units": units,
            "started_units": record.started_units,
            "at": now_ms(),
        });
        (shop.name.clone(), key, body.to_string())
    });
    let report = StatusReport {
        intake_id: record.id.clone(),
        status: status.to_owned(),
        callback,
    };
    state.store.report_status(&report).await?;
    Ok(())
}

/// Compares every open store order's status and sends due callbacks,
/// every [`TICK`], until the task is stopped.
pub async fn run(state: AppState) {
    let client = match reqwest::Client::builder().timeout(SEND_TIMEOUT).build() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("status callbacks cannot be sent: {e}");
            return;
        }
    };
    loop {
        if let Err(e) = report_all(&state).await {
            tracing::warn!("status callbacks: {e}");
        }
        if let Err(e) = send_due(&state, &client).await {
            tracing::warn!("status callbacks: {e}");
        }
        tokio::time::sleep(TICK).await;
    }
}

async fn report_all(state: &AppState) -> Result<(), StoreError> {
    for record in state.store.intake_to_report().await? {
        match state.store.shop(&record.shop).await {
            Ok(shop) => report(state, &shop, &record, false).await?,
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sends each order's oldest pending callback when it is due.
async fn send_due(state: &AppState, client: &reqwest::Client) -> Result<(), StoreError> {
    let now = now_ms();
    let mut seen = HashSet::new();
    for callback in state.store.pending_callbacks(500).await? {
        if !seen.insert(callback.intake_id.clone()) || callback.next_at > now {
            continue;
        }
        let shop = match state.store.shop(&callback.shop).await {
            Ok(shop) => shop,
            Err(StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let failed = send(client, &shop, &callback).await.err().map(|why| {
            let wait = backoff(callback.attempts, state.config.farm.callback_retry_max_s);
            (why, now_ms() + wait)
        });
        state.store.callback_tried(&callback.id, failed).await?;
    }
    Ok(())
}

/// Milliseconds before try `attempts + 2`: 1 s, 2 s, 4 s … at most `max_s`.
fn backoff(attempts: i64, max_s: u32) -> i64 {
    let doubling = 1_000_i64.saturating_mul(1 << attempts.clamp(0, 30));
    doubling.min(i64::from(max_s) * 1_000)
}

async fn send(
    client: &reqwest::Client,
    shop: &ShopRecord,
    callback: &CallbackRecord,
) -> Result<(), String> {
    let Some(url) = &shop.callback_url else {
        return Err("the shop has no callback_url".into());
    };
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-printfarm-topic", "order.status")
        .header("x-printfarm-shop", &shop.name)
        .header("idempotency-key", &callback.idempotency_key)
        .header(
            "x-printfarm-hmac-sha256",
            signature::sign(&shop.secret, callback.body.as_bytes()),
        )
        .body(callback.body.clone())
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("{url} answered {}", response.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let waits: Vec<i64> = (0..6).map(|a| backoff(a, 10)).collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
        assert_eq!(backoff(10_000, 300), 300_000);
    }
}
