//! Slot computation for a 30-day window with 5 weekly rules, 3 overrides and 200
//! existing bookings (the target: under 50 µs).
//!
//! `cargo bench --bench slots`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp, civil::Weekday, tz::TimeZone};
use mentorhub::domain::availability::{
    Availability, Busy, DateOverride, Settings, SlotQuery, WeeklyRule, free_slots,
};

fn setup() -> (Availability, Vec<Busy>, SlotQuery) {
    let weekly = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ]
    .into_iter()
    .map(|weekday| WeeklyRule {
        weekday,
        start: 8 * 60,
        end: 18 * 60,
    })
    .collect();
    let d = |s: &str| s.parse().expect("date");
    let overrides = vec![
        DateOverride {
            date: d("2026-03-10"),
            available: false,
            window: None,
        },
        DateOverride {
            date: d("2026-03-12"),
            available: false,
            window: Some((12 * 60, 14 * 60)),
        },
        DateOverride {
            date: d("2026-03-14"),
            available: true,
            window: Some((10 * 60, 13 * 60)),
        },
    ];
    let a = Availability {
        tz: TimeZone::get("America/New_York").expect("zone"),
        weekly,
        overrides,
        settings: Settings {
            min_notice_minutes: 120,
            buffer_before_minutes: 10,
            buffer_after_minutes: 15,
            horizon_days: 60,
            slot_step_minutes: 15,
            max_per_day: 12,
        },
    };
    let start: Timestamp = "2026-03-02T00:00:00Z".parse().expect("ts");
    // 200 bookings spread over the 30 days (some overlapping the rules, some not).
    let busy = (0..200)
        .map(|i| {
            let s = start + SignedDuration::from_mins(13 * 60 + i * 211);
            Busy {
                start: s,
                end: s + SignedDuration::from_mins(45),
                booked: true,
            }
        })
        .collect();
    let q = SlotQuery {
        from: start,
        to: start + SignedDuration::from_hours(24 * 30),
        duration_minutes: 60,
        now: start,
    };
    (a, busy, q)
}

fn bench(c: &mut Criterion) {
    let (a, busy, q) = setup();
    let n = free_slots(&a, &busy, &q).len();
    c.bench_function(
        &format!("free_slots 30 days, 5 rules, 3 overrides, 200 bookings ({n} slots)"),
        |b| b.iter(|| free_slots(black_box(&a), black_box(&busy), black_box(&q))),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
