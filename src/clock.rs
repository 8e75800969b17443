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

/// Why a time a client sent was refused: not a time at all, or one outside the years
/// the site works with ([`parse_instant`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadInstant {
    Malformed,
    OutOfRange,
}

impl BadInstant {
    /// What to tell the person: `malformed` (the caller's own wording for a time it
    /// could not read), or the range.
    pub fn say(self, malformed: &'static str) -> &'static str {
        match self {
            BadInstant::Malformed => malformed,
            BadInstant::OutOfRange => "Use a time between the years 1900 and 2199.",
        }
    }

    /// What to tell the person, a malformed time explained the API's way.
    pub fn message(self) -> &'static str {
        self.say("Use an RFC 3339 time with an offset, e.g. 2026-03-02T15:00:00Z.")
    }
}

/// Whether `t` lies within the years the site takes from clients (1900 to 2199). Far
/// enough from the ends of what a timestamp can hold that the days, weeks and
/// horizons added to it (slot listings, series, programs) never overflow.
pub fn in_client_range(t: Timestamp) -> bool {
    const FIRST: i64 = -2_208_988_800; // 1900-01-01T00:00:00Z
    const END: i64 = 7_258_118_400; // 2200-01-01T00:00:00Z
    (FIRST..END).contains(&t.as_second())
}

/// An RFC 3339 time from a client (trimmed), within [`in_client_range`].
pub fn parse_instant(raw: &str) -> Result<Timestamp, BadInstant> {
    let t = raw
        .trim()
        .parse::<Timestamp>()
        .map_err(|_| BadInstant::Malformed)?;
    if in_client_range(t) {
        Ok(t)
    } else {
        Err(BadInstant::OutOfRange)
    }
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

    #[test]
    fn client_times_stay_within_the_years_the_site_works_with() {
        assert!(parse_instant(" 2026-03-02T15:00:00Z ").is_ok());
        assert!(parse_instant("1900-01-01T00:00:00Z").is_ok());
        assert!(parse_instant("2199-12-31T23:59:59Z").is_ok());
        assert_eq!(
            parse_instant("2200-01-01T00:00:00Z"),
            Err(BadInstant::OutOfRange)
        );
        assert_eq!(
            parse_instant("9999-12-30T00:00:00Z"),
            Err(BadInstant::OutOfRange)
        );
        assert_eq!(
            parse_instant("1899-12-31T23:59:59Z"),
            Err(BadInstant::OutOfRange)
        );
        assert_eq!(parse_instant("tomorrow"), Err(BadInstant::Malformed));
    }
}
