//! A small fixed-window rate limiter for sign-in and sign-up attempts, keyed by client
//! address and by account. In memory, per instance: with several instances behind a
//! balancer each enforces its own window (the limit is a brake on guessing, not an
//! invariant that needs the database).

use std::{collections::HashMap, sync::Mutex};

const WINDOW_MICROS: i64 = 60_000_000;
const MAX_KEYS: usize = 100_000;

#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (u32, i64)>>,
}

impl RateLimiter {
    /// `per_minute == 0` disables limiting.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for `key` at `now_micros`. `Err(seconds)` when over the limit:
    /// how long until the window resets.
    pub fn hit(&self, key: &str, now_micros: i64) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, (_, start)| now_micros - *start < WINDOW_MICROS);
        }
        let entry = map.entry(key.to_string()).or_insert((0, now_micros));
        if now_micros - entry.1 >= WINDOW_MICROS {
            *entry = (0, now_micros);
        }
        if entry.0 >= self.per_minute {
            let left = WINDOW_MICROS - (now_micros - entry.1);
            return Err(u64::try_from((left + 999_999) / 1_000_000)
                .unwrap_or(60)
                .max(1));
        }
        entry.0 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_then_resets() {
        let rl = RateLimiter::new(3);
        for _ in 0..3 {
            assert!(rl.hit("a", 0).is_ok());
        }
        let wait = rl.hit("a", 1_000_000).unwrap_err();
        assert!((59..=60).contains(&wait), "{wait}");
        assert!(rl.hit("b", 1_000_000).is_ok(), "keys are independent");
        assert!(rl.hit("a", WINDOW_MICROS).is_ok(), "a new window starts");
        assert!(RateLimiter::new(0).hit("a", 0).is_ok());
    }
}
