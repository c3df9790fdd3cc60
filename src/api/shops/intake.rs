//! Turning stored deliveries into farm orders: one task works the
//! deliveries in arrival order; each store order is advanced (waiting for
//! payment, mapped, ordered once, or cancelled) under one lock, which the
//! operator's release takes too. The farm order's external id is the store
//! order's id under the shop's own key, so the store's unique index is the
//! last guard against ordering twice.

use super::super::auth::Caller;
use super::super::body::Timestamp;
use super::super::error::ApiError;
use super::super::orders::{self, CreateOrder, CreateOrderItem, PlaceError};
use super::super::AppState;
use super::status;
use crate::render::spec::ProductSpec;
use crate::shops::mapping::{self, LineOverride};
use crate::shops::payload::{self, Delivered, Payment, StoreOrder};
use crate::shops::{IntakeState, Platform};
use crate::store::{
    new_id, now_ms, DeliveryRecord, IntakeRecord, JobFilter, ShopRecord, StoreError,
};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Mutex;

/// How often waiting deliveries are looked for without a wake-up.
const POLL: Duration = Duration::from_secs(2);

/// One store order is advanced at a time.
fn advancing() -> &'static Mutex<()> {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| Mutex::new(()))
}

/// Works the stored deliveries until the task is stopped.
pub async fn run(state: AppState) {
    loop {
        if let Err(e) = work_waiting(&state).await {
            tracing::warn!("shop intake: {e}; trying again");
        }
        tokio::select! {
            () = state.intake_wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn work_waiting(state: &AppState) -> Result<(), StoreError> {
    loop {
        let waiting = state.store.waiting_deliveries(50).await?;
        if waiting.is_empty() {
            return Ok(());
        }
        for delivery in waiting {
            let failed = process(state, &delivery).await?;
            if let Some(why) = &failed {
                tracing::warn!(shop = %delivery.shop, delivery = %delivery.id, "delivery not processed: {why}");
            }
            state.store.finish_delivery(&delivery.id, failed).await?;
        }
    }
}

/// Processes one delivery: `Ok(Some(why))` when the delivery itself is
/// at fault (kept as failed), `Err` when the store is (tried again).
async fn process(
    state: &AppState,
    delivery: &DeliveryRecord,
) -> Result<Option<String>, StoreError> {
    let shop = match state.store.shop(&delivery.shop).await {
        Ok(shop) => shop,
        Err(StoreError::NotFound { .. }) => {
            return Ok(Some("the shop connection was removed".into()))
        }
        Err(e) => return Err(e),
    };
    let Some(platform) = Platform::parse(&shop.platform) else {
        return Ok(Some(format!("unknown platform {:?}", shop.platform)));
    };
    match payload::read(platform, &delivery.topic, delivery.body.as_bytes()) {
        Err(e) => Ok(Some(format!("malformed {} payload: {e}", delivery.topic))),
        Ok(Delivered::Ignored(_)) => Ok(None),
        Ok(Delivered::Order(order)) => receive(state, &shop, order).await.map(|_| None),
    }
}

/// Records the latest version of a store order and advances it.
async fn receive(state: &AppState, shop: &ShopRecord, order: StoreOrder) -> Result<(), StoreError> {
    let _one_at_a_time = advancing().lock().await;
    let existing = state.store.intake_by_store(&shop.name, &order.id).await?;
    let mut record = existing.unwrap_or_else(|| IntakeRecord {
        id: new_id(),
        shop: shop.name.clone(),
        store_order_id: order.id.clone(),
        state: IntakeState::WaitingPayment.as_str().into(),
        reason: None,
        order: order.clone(),
        overrides: Default::default(),
        order_id: None,
        reported_status: None,
        started_units: None,
        created_at: now_ms(),
        updated_at: now_ms(),
    });
    if record.state == IntakeState::Cancelled.as_str() {
        return Ok(());
    }
    if !(order.lines.is_empty() && order.cancelled) {
        record.order = order;
    } else {
        record.order.cancelled = true;
    }
    advance(state, shop, record).await
}

/// Moves a store order as far as it can go and saves it.
async fn advance(
    state: &AppState,
    shop: &ShopRecord,
    mut record: IntakeRecord,
) -> Result<(), StoreError> {
    let (next, reason) = if record.order.cancelled {
        cancel(state, &mut record).await?
    } else if record.state == IntakeState::Ordered.as_str() {
        (IntakeState::Ordered, None)
    } else if !paid(shop, record.order.payment) {
        (IntakeState::WaitingPayment, None)
    } else {
        order(state, shop, &mut record).await?
    };
    let just_ordered = next == IntakeState::Ordered && record.state != next.as_str();
    record.state = next.as_str().into();
    record.reason = reason;
    state.store.save_intake(&record).await?;
    status::report(state, shop, &record, just_ordered).await
}

fn paid(shop: &ShopRecord, payment: Payment) -> bool {
    payment == Payment::Paid || (payment == Payment::PartiallyPaid && shop.accept_partially_paid)
}

/// Cancels the units not started; the started ones are kept and listed.
async fn cancel(
    state: &AppState,
    record: &mut IntakeRecord,
) -> Result<(IntakeState, Option<String>), StoreError> {
    let Some(order_id) = &record.order_id else {
        return Ok((IntakeState::Cancelled, None));
    };
    let filter = JobFilter {
        order_id: Some(order_id.clone()),
        limit: Some(i64::MAX),
        ..JobFilter::default()
    };
    let mut started = Vec::new();
    for job in state.store.list_jobs(&filter).await? {
        if job.state.is_waiting() {
            match state.store.cancel_waiting(&job.id).await {
                Ok(()) | Err(StoreError::InvalidTransition { .. }) => {}
                Err(e) => return Err(e),
            }
        } else if job.state != crate::store::JobState::Cancelled {
            started.push(job.id);
        }
    }
    let reason = (!started.is_empty()).then(|| {
        format!(
            "{} unit(s) had started and were not cancelled",
            started.len()
        )
    });
    record.started_units = Some(started);
    Ok((IntakeState::Cancelled, reason))
}

/// Maps the lines and places the farm's order, or says what a person
/// must do first.
async fn order(
    state: &AppState,
    shop: &ShopRecord,
    record: &mut IntakeRecord,
) -> Result<(IntakeState, Option<String>), StoreError> {
    let mut items = Vec::with_capacity(record.order.lines.len());
    let mut unmapped = Vec::new();
    for line in &record.order.lines {
        let correction = record.overrides.get(&line.id);
        let spec = match mapping::farm_sku(&shop.maps, line, correction) {
            Ok(sku) => match product_spec(state, &sku).await? {
                Some(spec) => Some((sku, spec)),
                None => {
                    unmapped.push(format!(
                        "line {} ({}): no product {sku:?}",
                        line.id, line.title
                    ));
                    None
                }
            },
            Err(why) => {
                unmapped.push(format!("line {}: {why}", line.id));
                None
            }
        };
        if let Some((sku, spec)) = spec {
            let personalisation =
                mapping::personalisation(&shop.maps, spec.as_ref(), line, correction);
            items.push(CreateOrderItem {
                file_id: None,
                sku: Some(sku),
                quantity: line.quantity,
                personalisation,
                material: None,
                colour: None,
            });
        }
    }
    if !unmapped.is_empty() {
        return Ok((IntakeState::NeedsMapping, Some(unmapped.join("; "))));
    }
    let due_at = match due_at(shop, &record.order) {
        Ok(due) => due,
        Err(why) => return Ok((IntakeState::NeedsReview, Some(why))),
    };
    let body = CreateOrder {
        external_id: record.order.id.clone(),
        customer_ref: record.order.name.clone(),
        due_at: due_at.map(Timestamp::Millis),
        priority: 0,
        items,
    };
    let caller = Caller {
        key_id: shop.key_id.clone(),
        role: crate::store::Role::Shop,
    };
    match orders::place(state, &caller, body).await {
        Ok(created) => record.order_id = Some(created.order.id),
        Err(PlaceError::Store(StoreError::Exists { id, .. })) => record.order_id = Some(id),
        Err(PlaceError::Store(e)) => return Err(e),
        Err(PlaceError::Refused(e)) => {
            return Ok((IntakeState::NeedsReview, Some(refusal(&record.order, &e))))
        }
    }
    Ok((IntakeState::Ordered, None))
}

/// The live product's spec (`Some(None)` for a fixed file); `None` when no
/// product of that SKU takes orders.
async fn product_spec(
    state: &AppState,
    sku: &str,
) -> Result<Option<Option<ProductSpec>>, StoreError> {
    match state.store.latest_product(sku).await {
        Ok(p) if p.retired_at.is_none() => Ok(Some(serde_json::from_value(p.spec).ok())),
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The order's due date: a line property the shop names, else hours
/// after payment.
fn due_at(shop: &ShopRecord, order: &StoreOrder) -> Result<Option<i64>, String> {
    let given = shop.due_property.as_ref().and_then(|wanted| {
        order
            .lines
            .iter()
            .flat_map(|l| &l.properties)
            .find(|(label, _)| label == wanted)
            .map(|(_, value)| value.clone())
    });
    if let Some(text) = given {
        let text = if text.len() == 10 {
            format!("{text}T23:59:59Z")
        } else {
            text
        };
        return Timestamp::Text(text)
            .to_ms("due")
            .map(Some)
            .map_err(|e| format!("the due date property is not a date: {e}"));
    }
    Ok(shop.ship_within_hours.map(|h| now_ms() + h * 3_600_000))
}

/// A refusal of the farm's order in the store's terms: `items[1]` is the
/// store's second line.
fn refusal(order: &StoreOrder, error: &ApiError) -> String {
    let field = error.field().unwrap_or_default();
    let line = field
        .strip_prefix("items[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| order.lines.get(i));
    match line {
        Some(line) => format!("line {} ({}): {field}: {error}", line.id, line.title),
        None => format!("{field}: {error}"),
    }
}

/// Applies an operator's corrections and advances the store order again.
pub(super) async fn release(
    state: &AppState,
    id: &str,
    corrections: std::collections::BTreeMap<String, LineOverride>,
) -> Result<IntakeRecord, ApiError> {
    let _one_at_a_time = advancing().lock().await;
    let mut record = state.store.intake(id).await?;
    let waiting = [IntakeState::NeedsMapping, IntakeState::NeedsReview];
    if !waiting.iter().any(|s| s.as_str() == record.state) {
        let why = format!(
            "the order is {}; only orders that need mapping or review are released",
            record.state
        );
        return Err(ApiError::conflict("state", why));
    }
    if let Some(unknown) = corrections
        .keys()
        .find(|k| !record.order.lines.iter().any(|l| &l.id == *k))
    {
        return Err(ApiError::unprocessable(
            &format!("lines.{unknown}"),
            "no such line in this order",
        ));
    }
    record.overrides.extend(corrections);
    let shop = state.store.shop(&record.shop).await?;
    advance(state, &shop, record).await?;
    Ok(state.store.intake(id).await?)
}
