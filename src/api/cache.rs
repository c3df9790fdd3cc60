//! Short-lived answers the API keeps so the busiest requests skip the
//! database: API keys found recently, and statistics computed within the
//! last second.

use crate::store::ApiKeyRecord;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a key found in the database is trusted without asking again.
pub const KEY_TTL: Duration = Duration::from_secs(60);
/// How long computed statistics are served again.
pub const STATS_TTL: Duration = Duration::from_secs(1);
/// Entries kept at most per cache (the oldest are dropped beyond).
const MAX_ENTRIES: usize = 10_000;

/// The API's caches.
#[derive(Default)]
pub struct ApiCaches {
    keys: Mutex<HashMap<[u8; 32], (ApiKeyRecord, Instant)>>,
    stats: Mutex<HashMap<String, (Value, Instant)>>,
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.trim().as_bytes()).into()
}

fn fresh<T: Clone>(entry: Option<&(T, Instant)>, ttl: Duration) -> Option<T> {
    entry
        .filter(|(_, at)| at.elapsed() < ttl)
        .map(|(value, _)| value.clone())
}

fn insert<K: std::hash::Hash + Eq, T>(
    map: &mut HashMap<K, (T, Instant)>,
    key: K,
    value: T,
    ttl: Duration,
) {
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, (_, at)| at.elapsed() < ttl);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
    }
    map.insert(key, (value, Instant::now()));
}

impl ApiCaches {
    /// The key's record, when it was found within [`KEY_TTL`]. Only keys
    /// that exist are kept, so a new key works at once.
    pub fn key(&self, key: &str) -> Option<ApiKeyRecord> {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        fresh(keys.get(&digest(key)), KEY_TTL)
    }

    /// Remembers a key that exists.
    pub fn remember_key(&self, key: &str, record: ApiKeyRecord) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        insert(&mut keys, digest(key), record, KEY_TTL);
    }

    /// Statistics for `window` computed within [`STATS_TTL`].
    pub fn stats(&self, window: &str) -> Option<Value> {
        let stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        fresh(stats.get(window), STATS_TTL)
    }

    /// Remembers statistics for `window`.
    pub fn remember_stats(&self, window: &str, value: Value) {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        insert(&mut stats, window.to_owned(), value, STATS_TTL);
    }
}
