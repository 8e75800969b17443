//! A short-lived cache of discovery results (search pages), so popular searches do not
//! re-rank the full-text index on every request.
//!
//! Correctness: every write in this instance that changes what discovery shows (a
//! profile, an approval, a suspension, a mentorship that changes capacity, a name)
//! calls [`DiscoveryCache::invalidate`], which drops everything at once. Another
//! instance's writes become visible here within the time-to-live (10 s by default,
//! `MENTORHUB_SEARCH_CACHE_SECS`; 0 turns the cache off).

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::store::discovery::MentorCardRow;

const MAX_ENTRIES: usize = 4096;

type Entry = (u64, Instant, Arc<Vec<MentorCardRow>>);

#[derive(Debug)]
pub struct DiscoveryCache {
    ttl: Duration,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, Entry>>,
}

impl DiscoveryCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn current(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A fresh cached page for `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<Arc<Vec<MentorCardRow>>> {
        if self.ttl.is_zero() {
            return None;
        }
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(generation, at, _)| *generation == self.current() && at.elapsed() < self.ttl)
            .map(|(_, _, rows)| rows.clone())
    }

    /// Stores a page computed at `generation` (read before the query ran, so a write
    /// that landed meanwhile makes the entry stale at once).
    pub fn put(&self, key: String, generation: u64, rows: Arc<Vec<MentorCardRow>>) {
        if self.ttl.is_zero() || generation != self.current() {
            return;
        }
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (generation, Instant::now(), rows));
    }

    /// The generation to pass to [`put`](Self::put) for a query about to run.
    pub fn generation(&self) -> u64 {
        self.current()
    }

    /// Forgets everything: discovery data changed.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidation_and_ttl() {
        let c = DiscoveryCache::new(Duration::from_secs(60));
        let g = c.generation();
        c.put("k".into(), g, Arc::new(vec![]));
        assert!(c.get("k").is_some());
        c.invalidate();
        assert!(c.get("k").is_none());
        // A page computed before a write is never stored after it.
        c.put("k".into(), g, Arc::new(vec![]));
        assert!(c.get("k").is_none());
        let off = DiscoveryCache::new(Duration::ZERO);
        off.put("k".into(), off.generation(), Arc::new(vec![]));
        assert!(off.get("k").is_none());
    }
}
