//! An order's status and per-item progress, derived from its jobs.

use crate::store::{JobFilter, JobRecord, JobState, OrderRecord, Store, StoreError};
use serde::Serialize;
use serde_json::Value;

/// An order as the API shows it.
#[derive(Debug, Serialize)]
pub struct OrderView {
    #[serde(flatten)]
    order: OrderRecord,
    status: &'static str,
    items: Vec<ItemProgress>,
}

/// Progress of one order line.
#[derive(Debug, Serialize)]
pub struct ItemProgress {
    id: String,
    file_id: String,
    sku: Option<String>,
    personalisation: Option<Value>,
    total: i64,
    done: usize,
    in_progress: usize,
    failed: usize,
    cancelled: usize,
}

/// `queued` until a job starts; `in_progress` while any job is not terminal;
/// then `failed` if any failed, `cancelled` if all were cancelled, else `completed`.
pub fn order_status(states: &[JobState]) -> &'static str {
    let all_terminal = states.iter().all(|s| s.is_terminal());
    let count = |wanted: JobState| states.iter().filter(|s| **s == wanted).count();
    if states.is_empty() {
        return "queued";
    }
    if !all_terminal {
        let waiting = states
            .iter()
            .all(|s| matches!(s, JobState::Queued | JobState::Held));
        return if waiting { "queued" } else { "in_progress" };
    }
    if count(JobState::Failed) > 0 {
        "failed"
    } else if count(JobState::Cancelled) == states.len() {
        "cancelled"
    } else {
        "completed"
    }
}

fn count(jobs: &[&JobRecord], test: impl Fn(JobState) -> bool) -> usize {
    jobs.iter().filter(|j| test(j.state)).count()
}

/// Reads an order's items and jobs and derives its view.
pub async fn order_view(store: &Store, order: OrderRecord) -> Result<OrderView, StoreError> {
    let filter = JobFilter {
        order_id: Some(order.id.clone()),
        limit: Some(i64::MAX),
        ..JobFilter::default()
    };
    let jobs = store.list_jobs(&filter).await?;
    let items = store.order_items(&order.id).await?;
    let states: Vec<JobState> = jobs.iter().map(|j| j.state).collect();
    let items = items
        .into_iter()
        .map(|item| {
            let mine: Vec<&JobRecord> = jobs
                .iter()
                .filter(|j| j.order_item_id.as_deref() == Some(item.id.as_str()))
                .collect();
            ItemProgress {
                done: count(&mine, |s| s == JobState::Completed),
                in_progress: count(&mine, JobState::is_active),
                failed: count(&mine, |s| s == JobState::Failed),
                cancelled: count(&mine, |s| s == JobState::Cancelled),
                id: item.id,
                file_id: item.file_id,
                sku: item.sku,
                personalisation: item.personalisation,
                total: item.quantity,
            }
        })
        .collect();
    Ok(OrderView {
        status: order_status(&states),
        order,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::order_status;
    use crate::store::JobState::*;

    #[test]
    fn status_follows_the_jobs() {
        let cases = [
            (vec![Queued, Queued], "queued"),
            (vec![Queued, Held], "queued"),
            (vec![Queued, Printing], "in_progress"),
            (vec![Completed, Queued], "in_progress"),
            (vec![Failed, Printing], "in_progress"),
            (vec![Completed, Completed], "completed"),
            (vec![Completed, Cancelled], "completed"),
            (vec![Completed, Failed], "failed"),
            (vec![Cancelled, Cancelled], "cancelled"),
        ];
        for (states, expected) in cases {
            assert_eq!(order_status(&states), expected, "{states:?}");
        }
    }
}
