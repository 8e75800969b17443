//! The application's notion of "now". Everything that reads the time goes through a
//! [`Clock`], so tests can move time forward deterministically.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Now, to the microsecond: what the database stores, so that an answer built from
    /// it (a new booking's `created_at`) is the one a later read or a replay gives.
    fn now(&self) -> Timestamp {
        from_micros(Timestamp::now().as_microsecond())
    }
}

/// A clock that only moves when told to; used by tests.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.saturating_add(by).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `us` microseconds after `t`, saturating at the representable range.
pub fn after(t: Timestamp, us: i64) -> Timestamp {
    from_micros(t.as_microsecond().saturating_add(us))
}

/// `us` microseconds before `t`, saturating at the representable range.
pub fn before(t: Timestamp, us: i64) -> Timestamp {
    from_micros(t.as_microsecond().saturating_sub(us))
}

/// Microseconds since the Unix epoch: how instants are stored in the database.
pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// The inverse of [`to_micros`]; out-of-range values clamp to the representable range.
pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(if us < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_reads_whole_microseconds() {
        for _ in 0..20 {
            let t = SystemClock.now();
            assert_eq!(t.subsec_nanosecond() % 1000, 0, "{t}");
            std::thread::sleep(std::time::Duration::from_micros(3));
        }
    }
}
