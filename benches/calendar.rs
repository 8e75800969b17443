//! Reading a mentor's calendar (`domain::ical::busy_spans` over every event, then the
//! merge and day-cut the cache stores, `service::calendars::busy_of`): 500 events, 20
//! of them weekly series in New York time with an exception, the rest single timed
//! events over 60 days, expanded for a 68-day window in Berlin time. This is the CPU
//! part of a cold read; `bench/calendar.sh` measures the whole of it against Radicale.
//!
//! `cargo bench --bench calendar`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use mentorhub::service::calendars::{busy_of, caldav::RemoteEvent};

fn stamp(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A fixed calendar: the same events every run.
fn calendar(start: Timestamp) -> Vec<RemoteEvent> {
    let mut seed = 7u64;
    let mut next = |n: i64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as i64) % n
    };
    (0..500)
        .map(|i| {
            let body = if i < 20 {
                let hour = 8 + next(9);
                let day = 2 + next(6);
                format!(
                    "BEGIN:VEVENT\r\nUID:series-{i}\r\nDTSTAMP:20260301T000000Z\r\n\
                     DTSTART;TZID=America/New_York:202603{day:02}T{hour:02}0000\r\n\
                     DTEND;TZID=America/New_York:202603{day:02}T{hour:02}4500\r\n\
                     RRULE:FREQ=WEEKLY;COUNT=40\r\n\
                     EXDATE;TZID=America/New_York:202603{:02}T{hour:02}0000\r\nEND:VEVENT\r\n",
                    day + 14
                )
            } else {
                let s = start + SignedDuration::from_mins(15 * next(60 * 24 * 4));
                let e = s + SignedDuration::from_mins(30 + 15 * next(5));
                format!(
                    "BEGIN:VEVENT\r\nUID:event-{i}\r\nDTSTAMP:20260301T000000Z\r\n\
                     DTSTART:{}\r\nDTEND:{}\r\nEND:VEVENT\r\n",
                    stamp(s),
                    stamp(e)
                )
            };
            RemoteEvent {
                href: format!("/cal/event-{i}.ics"),
                data: format!(
                    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n{body}END:VCALENDAR\r\n"
                ),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let start: Timestamp = "2026-03-02T00:00:00Z".parse().expect("an instant");
    let events = calendar(start);
    let tz = TimeZone::get("Europe/Berlin").expect("a zone");
    let (from, to) = (
        start - SignedDuration::from_hours(24),
        start + SignedDuration::from_hours(24 * 67),
    );
    let spans = busy_of(&events, from, to, &tz);
    // 480 single events and 20 series of ~9 weeks, merged where they overlap.
    assert!(spans.len() > 400, "{} spans", spans.len());
    c.bench_function(
        "calendar: expand and merge 500 events (20 weekly series), 68 days",
        |b| b.iter(|| busy_of(black_box(&events), from, to, &tz)),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
