//! The queue as the scheduler and the API read it: every queued job with
//! what it needs of a printer, kept in memory and brought up to date from
//! the store's change stream, so a round reads only what changed.

use super::snapshot::{JobNeeds, QueuedJob};
use crate::store::{self, JobRecord};
use std::collections::BTreeMap;

/// One queued job.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedEntry {
    /// The job as stored.
    pub job: JobRecord,
    /// The scheduler's view of it, built once.
    pub queued: QueuedJob,
    /// Its file's estimated print time, s (none while it renders).
    pub print_s: Option<f64>,
}

impl QueuedEntry {
    /// An entry from the store's queued-job row.
    pub fn from_store(queued: store::QueuedJob) -> QueuedEntry {
        let needs = JobNeeds::from_store(&queued.job, &queued.file);
        QueuedEntry {
            print_s: queued.file.estimated_time_s,
            queued: QueuedJob {
                id: queued.job.id.clone(),
                priority: queued.job.priority,
                due_at: queued.job.due_at,
                created_at: queued.job.created_at,
                needs,
            },
            job: queued.job,
        }
    }
}

/// Every queued job by id (ids sort by creation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueBook {
    entries: BTreeMap<String, QueuedEntry>,
}

impl QueueBook {
    /// A book holding exactly `entries`.
    pub fn from_entries(entries: impl IntoIterator<Item = QueuedEntry>) -> QueueBook {
        QueueBook {
            entries: entries.into_iter().map(|e| (e.job.id.clone(), e)).collect(),
        }
    }

    /// Records what the store says of job `id` now: queued (`Some`) or not.
    pub fn set(&mut self, id: &str, entry: Option<QueuedEntry>) {
        match entry {
            Some(entry) => {
                self.entries.insert(id.to_owned(), entry);
            }
            None => {
                self.entries.remove(id);
            }
        }
    }

    /// Number of queued jobs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The queue in the scheduler's terms, borrowed.
    pub fn jobs(&self) -> Vec<&QueuedJob> {
        self.entries.values().map(|e| &e.queued).collect()
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &QueuedEntry> {
        self.entries.values()
    }

    /// Newest first, at most `limit`, only `owner`'s when given.
    pub fn newest(&self, owner: Option<&str>, limit: usize) -> Vec<JobRecord> {
        self.entries
            .values()
            .rev()
            .filter(|e| owner.is_none_or(|o| e.job.owner_key_id.as_deref() == Some(o)))
            .take(limit)
            .map(|e| e.job.clone())
            .collect()
    }

    /// True when job `id` is queued.
    pub fn contains(&self, id: &str) -> bool {
        self.entries.contains_key(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, owner: Option<&str>) -> QueuedEntry {
        QueuedEntry {
            job: JobRecord {
                owner_key_id: owner.map(str::to_owned),
                ..JobRecord::queued_for_test(id)
            },
            queued: QueuedJob {
                id: id.to_owned(),
                priority: 0,
                due_at: None,
                created_at: 0,
                needs: JobNeeds::default(),
            },
            print_s: None,
        }
    }

    #[test]
    fn the_book_follows_what_the_store_says_of_each_job() {
        let mut book = QueueBook::from_entries([entry("a", None), entry("b", Some("shop"))]);
        book.set("c", Some(entry("c", Some("shop"))));
        book.set("a", None);
        book.set("zzz", None);
        assert_eq!(book.len(), 2);
        assert!(book.contains("b") && !book.contains("a"));
        let ids = |jobs: Vec<JobRecord>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
        assert_eq!(ids(book.newest(None, 10)), ["c", "b"]);
        assert_eq!(ids(book.newest(Some("shop"), 1)), ["c"]);
        assert_eq!(book.jobs().len(), 2);
    }
}
