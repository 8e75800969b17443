//! Short-lived caches of expensive reads, one type for all of them ([`TtlCache`]).
//!
//! - **Discovery** ([`DiscoveryCache`]): search pages, so popular searches do not
//!   re-rank the full-text index on every request. Every write in this instance that
//!   changes what discovery shows (a profile, an approval, a suspension, a mentorship
//!   that changes capacity, a name) calls [`TtlCache::invalidate`], which drops
//!   everything at once; another instance's writes become visible here within the
//!   time-to-live (10 s by default, `MENTORHUB_SEARCH_CACHE_SECS`; 0 turns it off).
//!   Timed by the machine's monotonic clock.
//! - **The admins' platform figures** ([`AdminStatsCache`]): they scan whole tables;
//!   kept 30 s per time zone, timed by the application clock.
//!
//! Entries carry the generation they were computed at: a value computed before an
//! invalidation is never stored after it.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::store::discovery::MentorCardRow;

/// Search pages by query.
pub type DiscoveryCache = TtlCache<Discovered>;

/// What discovery keeps: a page of a search, how many mentors a search found (the
/// search page says it), or the vocabulary of tags, dropped together when discovery
/// changes.
#[derive(Debug, Clone)]
pub enum Discovered {
    Page(Arc<Vec<MentorCardRow>>),
    Count(i64),
    /// The tags listed mentors carry, for the search filters.
    Vocabulary(Arc<Vec<crate::store::discovery::TagCount>>),
}
/// Platform figures by time zone.
pub type AdminStatsCache = TtlCache<super::dashboard::AdminStats>;

/// Values by key for `ttl`, at most `max_entries` (then it starts over), dropped at
/// once by [`invalidate`](Self::invalidate). Times are microseconds on whatever clock
/// the caller keeps to (see [`monotonic_micros`]).
#[derive(Debug)]
pub struct TtlCache<V> {
    ttl: i64,
    max_entries: usize,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (u64, i64, V)>>,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl: i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX),
            max_entries,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn current(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A fresh value for `key` at `now`, if there is one.
    pub fn get(&self, key: &str, now: i64) -> Option<V> {
        if self.ttl <= 0 {
            return None;
        }
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(generation, at, _)| {
                *generation == self.current() && now.saturating_sub(*at) < self.ttl
            })
            .map(|(_, _, v)| v.clone())
    }

    /// Stores a value computed at `generation` (read before the computation ran, so a
    /// write that landed meanwhile makes the entry stale at once).
    pub fn put(&self, key: String, generation: u64, now: i64, value: V) {
        if self.ttl <= 0 || generation != self.current() {
            return;
        }
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.max_entries {
            map.clear();
        }
        map.insert(key, (generation, now, value));
    }

    /// The generation to pass to [`put`](Self::put) for a computation about to run.
    pub fn generation(&self) -> u64 {
        self.current()
    }

    /// Forgets everything: the data changed.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// Microseconds on the machine's monotonic clock (since the first call).
pub fn monotonic_micros() -> i64 {
    static START: OnceLock<Instant> = OnceLock::new();
    i64::try_from(START.get_or_init(Instant::now).elapsed().as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidation_and_ttl() {
        let c: TtlCache<u8> = TtlCache::new(Duration::from_secs(60), 10);
        let g = c.generation();
        c.put("k".into(), g, 0, 1);
        assert_eq!(c.get("k", 59_999_999), Some(1));
        assert_eq!(c.get("k", 60_000_000), None, "expired");
        c.invalidate();
        assert_eq!(c.get("k", 1), None);
        // A value computed before a write is never stored after it.
        c.put("k".into(), g, 1, 1);
        assert_eq!(c.get("k", 1), None);
        let off: TtlCache<u8> = TtlCache::new(Duration::ZERO, 10);
        off.put("k".into(), off.generation(), 0, 1);
        assert_eq!(off.get("k", 0), None);
        let small: TtlCache<u8> = TtlCache::new(Duration::from_secs(60), 2);
        for k in ["a", "b", "c"] {
            small.put(k.into(), 0, 0, 1);
        }
        assert_eq!(small.get("a", 0), None, "full: started over");
        assert_eq!(small.get("c", 0), Some(1));
    }
}
