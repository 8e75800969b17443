//! Availability and free slots: a mentor's weekly rules and date overrides, in the
//! mentor's IANA time zone, expanded into concrete UTC start instants.
//!
//! Time zones, deliberately:
//! - Rules are wall-clock times on local dates, converted per date, so a 10:00–12:00
//!   Monday rule in America/New_York is 15:00Z in winter and 14:00Z in summer.
//! - A window *start* that does not exist (spring-forward gap) moves forward by the gap
//!   (02:30 → 03:30 on 2026-03-08 in New York); a start that happens twice (fall-back
//!   fold) takes the first occurrence.
//! - A window *end* in a gap moves forward the same way; an end in a fold takes the
//!   second occurrence, so the window covers all the wall-clock time the mentor named.
//! - Slots step by `slot_step_minutes` of real (absolute) time from each window start
//!   and must fit entirely in the window, so a window that spans a DST change yields
//!   exactly the real time it covers.
//!
//! Each booking occupies its time plus the mentor's buffers
//! (`[start - before, end + after)`); a slot is free when its own padded interval
//! overlaps none of those. The daily cap counts live bookings by their local start date.

use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, Weekday},
    tz::TimeZone,
};

use crate::error::FieldError;

/// A weekly rule as written and stored (text fields, checked by the service).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleIo {
    /// `monday` … `sunday`.
    pub weekday: String,
    /// `HH:MM`, local to the availability's time zone.
    pub start: String,
    /// `HH:MM` (up to `24:00`), after `start`.
    pub end: String,
}

/// A date override as written and stored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideIo {
    /// `YYYY-MM-DD`, local.
    pub date: String,
    /// false: a day off (no times) or a blocked window (with times); true: extra hours
    /// (times required).
    pub available: bool,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
}

/// Minutes since local midnight: `0..=1440` (1440 is the end of the day).
pub type Minute = i64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyRule {
    pub weekday: Weekday,
    pub start: Minute,
    pub end: Minute,
}

/// A change for one date: a day off (`available = false`, no window), a blocked window
/// (`available = false` with a window) or extra hours (`available = true` with a window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOverride {
    pub date: Date,
    pub available: bool,
    pub window: Option<(Minute, Minute)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub min_notice_minutes: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub horizon_days: i64,
    pub slot_step_minutes: i64,
    /// 0 means no daily limit.
    pub max_per_day: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            min_notice_minutes: 120,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            horizon_days: 60,
            slot_step_minutes: 30,
            max_per_day: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Availability {
    pub tz: TimeZone,
    pub weekly: Vec<WeeklyRule>,
    pub overrides: Vec<DateOverride>,
    pub settings: Settings,
}

/// Time the mentor is busy (without buffers; they are added here): a live booking
/// (`booked`, counted toward the daily limit) or time their own calendar holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Busy {
    pub start: Timestamp,
    pub end: Timestamp,
    pub booked: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct SlotQuery {
    pub from: Timestamp,
    pub to: Timestamp,
    pub duration_minutes: i64,
    pub now: Timestamp,
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

/// The instant of a local wall-clock time; `end` chooses the later occurrence in a fold.
pub fn local_instant(tz: &TimeZone, date: Date, minute: Minute, end: bool) -> Option<Timestamp> {
    let (date, minute) = if minute >= 1440 {
        (date.tomorrow().ok()?, minute - 1440)
    } else {
        (date, minute)
    };
    let dt = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
    let amb = tz.to_ambiguous_timestamp(dt);
    let ts = if end && amb.is_ambiguous() && !amb.is_gap_like() {
        amb.later()
    } else {
        amb.compatible()
    };
    ts.ok()
}

trait GapLike {
    fn is_gap_like(&self) -> bool;
}

impl GapLike for jiff::tz::AmbiguousTimestamp {
    fn is_gap_like(&self) -> bool {
        matches!(self.offset(), jiff::tz::AmbiguousOffset::Gap { .. })
    }
}

/// The windows (as instants) the mentor is available on a local date.
pub fn windows_on(a: &Availability, date: Date) -> Vec<(Timestamp, Timestamp)> {
    let todays: Vec<&DateOverride> = a.overrides.iter().filter(|o| o.date == date).collect();
    if todays.iter().any(|o| !o.available && o.window.is_none()) {
        return vec![];
    }
    let mut open: Vec<(Minute, Minute)> = a
        .weekly
        .iter()
        .filter(|r| r.weekday == date.weekday())
        .map(|r| (r.start, r.end))
        .collect();
    open.extend(
        todays
            .iter()
            .filter(|o| o.available)
            .filter_map(|o| o.window),
    );
    // Remove blocked windows (wall-clock arithmetic on the same date).
    for blocked in todays
        .iter()
        .filter(|o| !o.available)
        .filter_map(|o| o.window)
    {
        open = open
            .into_iter()
            .flat_map(|(s, e)| {
                let mut parts = vec![];
                if blocked.0 > s {
                    parts.push((s, e.min(blocked.0)));
                }
                if blocked.1 < e {
                    parts.push((s.max(blocked.1), e));
                }
                parts
            })
            .filter(|(s, e)| s < e)
            .collect();
    }
    open.into_iter()
        .filter_map(|(s, e)| {
            let start = local_instant(&a.tz, date, s, false)?;
            let end = local_instant(&a.tz, date, e, true)?;
            (start < end).then_some((start, end))
        })
        .collect()
}

/// The time off (a day off or a blocked window, in the mentor's zone) that covers part
/// of `[start, end)`, if any: a session booked before the mentor took that time off.
pub fn time_off_during(
    a: &Availability,
    start: Timestamp,
    end: Timestamp,
) -> Option<&DateOverride> {
    a.overrides.iter().filter(|o| !o.available).find(|o| {
        let (from, to) = o.window.unwrap_or((0, 1440));
        match (
            local_instant(&a.tz, o.date, from, false),
            local_instant(&a.tz, o.date, to, true),
        ) {
            (Some(off_start), Some(off_end)) => start < off_end && off_start < end,
            _ => false,
        }
    })
}

/// Free start instants for a service of `q.duration_minutes`, sorted and distinct.
pub fn free_slots(a: &Availability, busy: &[Busy], q: &SlotQuery) -> Vec<Timestamp> {
    let st = &a.settings;
    let duration = mins(q.duration_minutes.max(1));
    let step = mins(st.slot_step_minutes.max(5));
    let before = mins(st.buffer_before_minutes.max(0));
    let after = mins(st.buffer_after_minutes.max(0));
    let earliest = q.from.max(q.now + mins(st.min_notice_minutes.max(0)));
    let horizon = q.now + SignedDuration::from_hours(24 * st.horizon_days.max(0));
    let latest = q.to.min(horizon);
    if earliest >= latest {
        return vec![];
    }

    // Padded busy intervals, sorted by start.
    let mut padded: Vec<(Timestamp, Timestamp)> = busy
        .iter()
        .map(|b| (b.start - before, b.end + after))
        .collect();
    padded.sort();
    let longest = padded
        .iter()
        .map(|(s, e)| e.duration_since(*s))
        .max()
        .unwrap_or(SignedDuration::ZERO);
    // Booking starts, sorted, for the daily cap: a day's count is the number of starts
    // between its local midnight and the next (a binary search, no per-booking zone
    // conversion).
    let mut starts: Vec<Timestamp> = busy.iter().filter(|b| b.booked).map(|b| b.start).collect();
    starts.sort();
    let full = |d: Date| {
        if st.max_per_day <= 0 {
            return false;
        }
        let (Some(lo), Some(hi)) = (
            local_instant(&a.tz, d, 0, false),
            local_instant(&a.tz, d, 1440, false),
        ) else {
            return false;
        };
        let n = starts.partition_point(|t| *t < hi) - starts.partition_point(|t| *t < lo);
        n as i64 >= st.max_per_day
    };

    let conflicts = |s: Timestamp, e: Timestamp| {
        let (ps, pe) = (s - before, e + after);
        // Intervals starting at or after `pe` cannot overlap; walk back from there.
        let hi = padded.partition_point(|(bs, _)| *bs < pe);
        padded[..hi]
            .iter()
            .rev()
            .take_while(|(bs, _)| *bs + longest > ps)
            .any(|(bs, be)| *bs < pe && ps < *be)
    };

    let first_day = (earliest.to_zoned(a.tz.clone()).date())
        .yesterday()
        .unwrap_or(Date::MIN);
    let last_day = latest
        .to_zoned(a.tz.clone())
        .date()
        .tomorrow()
        .unwrap_or(Date::MAX);
    let mut out = vec![];
    let mut day = first_day;
    while day <= last_day {
        let windows = windows_on(a, day);
        if !windows.is_empty() && !full(day) {
            for (ws, we) in windows {
                let mut s = ws;
                while s + duration <= we {
                    if s >= latest {
                        break;
                    }
                    if s >= earliest && !conflicts(s, s + duration) {
                        out.push(s);
                    }
                    s += step;
                }
            }
        }
        match day.tomorrow() {
            Ok(d) => day = d,
            Err(_) => break,
        }
    }
    out.sort();
    out.dedup();
    out
}

// ------------------------------------------------------------------ parsing

/// Parses `"HH:MM"` (00:00 to 24:00) into minutes since midnight.
pub fn parse_hhmm(field: &str, raw: &str) -> Result<Minute, FieldError> {
    let bad = || FieldError::new(field, "invalid_time", "Use a 24-hour time like 09:30.");
    if raw.trim().is_empty() {
        let which = if field.ends_with("end") {
            "an end"
        } else if field.ends_with("start") {
            "a start"
        } else {
            "a"
        };
        return Err(FieldError::new(
            field,
            "required",
            format!("Enter {which} time."),
        ));
    }
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

pub fn format_hhmm(m: Minute) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

pub fn parse_weekday(field: &str, raw: &str) -> Result<Weekday, FieldError> {
    match raw.trim().to_lowercase().as_str() {
        "monday" => Ok(Weekday::Monday),
        "tuesday" => Ok(Weekday::Tuesday),
        "wednesday" => Ok(Weekday::Wednesday),
        "thursday" => Ok(Weekday::Thursday),
        "friday" => Ok(Weekday::Friday),
        "saturday" => Ok(Weekday::Saturday),
        "sunday" => Ok(Weekday::Sunday),
        _ => Err(FieldError::new(
            field,
            "invalid_weekday",
            "A weekday is monday … sunday.",
        )),
    }
}

pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

/// One booking rule's range: its field, what it is in words, the least and the most
/// it may be, and its unit (as written after a number).
pub struct SettingRange {
    pub field: &'static str,
    pub what: &'static str,
    pub min: i64,
    pub max: i64,
    pub unit: &'static str,
}

/// The booking rules' ranges (the editor's inputs take theirs from here too).
pub const SETTING_RANGES: [SettingRange; 6] = [
    SettingRange {
        field: "min_notice_minutes",
        what: "The minimum notice",
        min: 0,
        max: 30 * 24 * 60,
        unit: " minutes",
    },
    SettingRange {
        field: "buffer_before_minutes",
        what: "The free time before each session",
        min: 0,
        max: 240,
        unit: " minutes",
    },
    SettingRange {
        field: "buffer_after_minutes",
        what: "The free time after each session",
        min: 0,
        max: 240,
        unit: " minutes",
    },
    SettingRange {
        field: "horizon_days",
        what: "How far ahead people can book",
        min: 1,
        max: 365,
        unit: " days",
    },
    SettingRange {
        field: "slot_step_minutes",
        what: "The time between start times",
        min: 5,
        max: 240,
        unit: " minutes",
    },
    SettingRange {
        field: "max_per_day",
        what: "The most sessions a day",
        min: 0,
        max: 48,
        unit: "",
    },
];

/// The range of the booking rule `field`.
pub fn setting_range(field: &str) -> Option<&'static SettingRange> {
    SETTING_RANGES.iter().find(|r| r.field == field)
}

/// Checks the settings' ranges.
pub fn check_settings(s: &Settings) -> Vec<FieldError> {
    let value = |field: &str| match field {
        "min_notice_minutes" => s.min_notice_minutes,
        "buffer_before_minutes" => s.buffer_before_minutes,
        "buffer_after_minutes" => s.buffer_after_minutes,
        "horizon_days" => s.horizon_days,
        "slot_step_minutes" => s.slot_step_minutes,
        _ => s.max_per_day,
    };
    SETTING_RANGES
        .iter()
        .filter(|r| !(r.min..=r.max).contains(&value(r.field)))
        .map(|r| {
            FieldError::new(
                &format!("settings.{}", r.field),
                "out_of_range",
                format!("{} is between {} and {}{}.", r.what, r.min, r.max, r.unit),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn rules_out_of_range_are_refused_in_words() {
        let mut s = avail("UTC", vec![]).settings;
        assert!(check_settings(&s).is_empty());
        s.buffer_before_minutes = 500;
        s.horizon_days = 0;
        let said: Vec<(String, String)> = check_settings(&s)
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect();
        assert_eq!(
            said,
            [
                (
                    "settings.buffer_before_minutes".to_string(),
                    "The free time before each session is between 0 and 240 minutes.".to_string()
                ),
                (
                    "settings.horizon_days".to_string(),
                    "How far ahead people can book is between 1 and 365 days.".to_string()
                ),
            ]
        );
    }

    fn avail(tz: &str, weekly: Vec<WeeklyRule>) -> Availability {
        Availability {
            tz: TimeZone::get(tz).unwrap(),
            weekly,
            overrides: vec![],
            settings: Settings {
                min_notice_minutes: 0,
                horizon_days: 365,
                slot_step_minutes: 60,
                ..Settings::default()
            },
        }
    }

    fn monday(start: i64, end: i64) -> WeeklyRule {
        WeeklyRule {
            weekday: Weekday::Monday,
            start,
            end,
        }
    }

    fn q(from: &str, to: &str, d: i64) -> SlotQuery {
        SlotQuery {
            from: ts(from),
            to: ts(to),
            duration_minutes: d,
            now: ts("2026-01-01T00:00:00Z"),
        }
    }

    #[test]
    fn new_york_rule_follows_dst() {
        let a = avail("America/New_York", vec![monday(600, 720)]);
        // Monday 2026-03-02 (EST, -05:00) and Monday 2026-03-09 (EDT, -04:00).
        let got = free_slots(
            &a,
            &[],
            &q("2026-03-01T00:00:00Z", "2026-03-10T00:00:00Z", 60),
        );
        assert_eq!(
            got,
            [
                ts("2026-03-02T15:00:00Z"),
                ts("2026-03-02T16:00:00Z"),
                ts("2026-03-09T14:00:00Z"),
                ts("2026-03-09T15:00:00Z")
            ]
        );
    }

    #[test]
    fn spring_forward_gap_is_skipped_not_invented() {
        // Sunday 2026-03-08, New York: 02:00–03:00 does not exist.
        let a = avail(
            "America/New_York",
            vec![WeeklyRule {
                weekday: Weekday::Sunday,
                start: 60,
                end: 240,
            }],
        );
        let got = free_slots(
            &a,
            &[],
            &q("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", 60),
        );
        // 01:00 EST (06:00Z), then the clock jumps: 03:00 EDT (07:00Z). 01:00–04:00 local is 2 real hours.
        assert_eq!(
            got,
            [ts("2026-03-08T06:00:00Z"), ts("2026-03-08T07:00:00Z")]
        );
        // A window starting inside the gap starts after it.
        let a = avail(
            "America/New_York",
            vec![WeeklyRule {
                weekday: Weekday::Sunday,
                start: 150,
                end: 300,
            }],
        );
        let got = free_slots(
            &a,
            &[],
            &q("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", 60),
        );
        assert_eq!(
            got.first(),
            Some(&ts("2026-03-08T07:30:00Z")),
            "02:30 does not exist: 03:30 EDT"
        );
    }

    #[test]
    fn fall_back_fold_covers_the_repeated_hour() {
        // Sunday 2026-11-01, New York: 01:00–02:00 happens twice.
        let a = avail(
            "America/New_York",
            vec![WeeklyRule {
                weekday: Weekday::Sunday,
                start: 0,
                end: 180,
            }],
        );
        let got = free_slots(
            &a,
            &[],
            &q("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 60),
        );
        // 00:00 EDT (04:00Z) to 03:00 EST (08:00Z): four real hours.
        assert_eq!(
            got,
            [
                ts("2026-11-01T04:00:00Z"),
                ts("2026-11-01T05:00:00Z"),
                ts("2026-11-01T06:00:00Z"),
                ts("2026-11-01T07:00:00Z")
            ]
        );
    }

    #[test]
    fn half_hour_and_odd_zones() {
        let a = avail("Asia/Kolkata", vec![monday(600, 660)]);
        let got = free_slots(
            &a,
            &[],
            &q("2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z", 60),
        );
        assert_eq!(got, [ts("2026-03-02T04:30:00Z")], "10:00 IST is 04:30Z");
        // Lord Howe: +10:30 standard, +11:00 summer (a 30-minute DST shift).
        let a = avail("Australia/Lord_Howe", vec![monday(600, 660)]);
        let winter = free_slots(
            &a,
            &[],
            &q("2026-06-28T00:00:00Z", "2026-06-30T00:00:00Z", 60),
        );
        assert_eq!(
            winter,
            [ts("2026-06-28T23:30:00Z")],
            "Monday 2026-06-29 10:00 +10:30"
        );
        let summer = free_slots(
            &a,
            &[],
            &q("2026-01-04T00:00:00Z", "2026-01-06T00:00:00Z", 60),
        );
        assert_eq!(
            summer,
            [ts("2026-01-04T23:00:00Z")],
            "Monday 2026-01-05 10:00 +11:00"
        );
    }

    #[test]
    fn time_off_covering_a_session_is_found_in_the_mentors_zone() {
        // Berlin is UTC+1 in December.
        let mut a = avail("Europe/Berlin", vec![]);
        let d = |s: &str| s.parse::<Date>().unwrap();
        a.overrides = vec![
            DateOverride {
                date: d("2026-12-10"),
                available: true,
                window: Some((1080, 1200)),
            }, // extra hours: not time off
            DateOverride {
                date: d("2026-12-10"),
                available: false,
                window: Some((600, 660)),
            }, // blocked 10:00–11:00 Berlin
            DateOverride {
                date: d("2026-12-12"),
                available: false,
                window: None,
            }, // day off
        ];
        let off = |s: &str, e: &str| time_off_during(&a, ts(s), ts(e)).map(|o| o.date);
        // 10:30–11:30 Berlin overlaps the blocked hour; 11:00–12:00 only touches it.
        assert_eq!(
            off("2026-12-10T09:30:00Z", "2026-12-10T10:30:00Z"),
            Some(d("2026-12-10"))
        );
        assert_eq!(off("2026-12-10T10:00:00Z", "2026-12-10T11:00:00Z"), None);
        // Extra hours are not time off.
        assert_eq!(off("2026-12-10T17:00:00Z", "2026-12-10T18:00:00Z"), None);
        // The whole Berlin day: 23:30 UTC on the 11th is 00:30 on the 12th there, and
        // 22:30 UTC on the 12th is 23:30; 23:00 UTC on the 12th is the next day.
        assert_eq!(
            off("2026-12-11T23:30:00Z", "2026-12-12T00:30:00Z"),
            Some(d("2026-12-12"))
        );
        assert_eq!(
            off("2026-12-12T22:30:00Z", "2026-12-12T23:00:00Z"),
            Some(d("2026-12-12"))
        );
        assert_eq!(off("2026-12-12T23:00:00Z", "2026-12-13T00:00:00Z"), None);
        assert_eq!(off("2026-12-11T22:00:00Z", "2026-12-11T23:00:00Z"), None);
    }

    #[test]
    fn overrides_buffers_notice_horizon_and_cap() {
        let mut a = avail("UTC", vec![monday(540, 720)]); // 09:00–12:00
        let d = |s: &str| s.parse::<Date>().unwrap();
        a.overrides = vec![
            DateOverride {
                date: d("2026-03-02"),
                available: false,
                window: Some((600, 660)),
            }, // block 10–11
            DateOverride {
                date: d("2026-03-09"),
                available: false,
                window: None,
            }, // day off
            DateOverride {
                date: d("2026-03-10"),
                available: true,
                window: Some((840, 960)),
            }, // Tue 14–16 extra
        ];
        let got = free_slots(
            &a,
            &[],
            &q("2026-03-02T00:00:00Z", "2026-03-11T00:00:00Z", 60),
        );
        assert_eq!(
            got,
            [
                ts("2026-03-02T09:00:00Z"),
                ts("2026-03-02T11:00:00Z"),
                ts("2026-03-10T14:00:00Z"),
                ts("2026-03-10T15:00:00Z")
            ]
        );

        let mut a = avail("UTC", vec![monday(540, 720)]);
        a.settings.buffer_after_minutes = 30;
        a.settings.slot_step_minutes = 30;
        let busy = [Busy {
            start: ts("2026-03-02T09:00:00Z"),
            end: ts("2026-03-02T10:00:00Z"),
            booked: true,
        }];
        let got = free_slots(
            &a,
            &busy,
            &q("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", 60),
        );
        assert_eq!(
            got,
            [ts("2026-03-02T10:30:00Z"), ts("2026-03-02T11:00:00Z")],
            "30 minutes after the booking"
        );

        let mut a = avail("UTC", vec![monday(540, 720)]);
        a.settings.max_per_day = 1;
        assert!(
            free_slots(
                &a,
                &busy,
                &q("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", 60)
            )
            .is_empty()
        );

        let mut a = avail("UTC", vec![monday(540, 720)]);
        a.settings.min_notice_minutes = 120;
        a.settings.horizon_days = 7;
        let now = ts("2026-03-02T08:30:00Z");
        let got = free_slots(
            &a,
            &[],
            &SlotQuery {
                from: ts("2026-03-01T00:00:00Z"),
                to: ts("2026-03-31T00:00:00Z"),
                duration_minutes: 60,
                now,
            },
        );
        assert_eq!(
            got,
            [ts("2026-03-02T11:00:00Z")],
            "not before 10:30, not past 7 days"
        );
    }

    #[test]
    fn parsing() {
        assert_eq!(parse_hhmm("t", "09:30").unwrap(), 570);
        assert_eq!(parse_hhmm("t", "24:00").unwrap(), 1440);
        for bad in ["9:30", "24:30", "12:60", "noon", "", "-1:00"] {
            assert!(parse_hhmm("t", bad).is_err(), "{bad}");
        }
        // A missing time is said as missing, not as a bad format.
        let e = parse_hhmm("weekly[0].end", " ").unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("required", "Enter an end time.")
        );
        assert_eq!(
            parse_hhmm("weekly[0].start", "").unwrap_err().message,
            "Enter a start time."
        );
        assert_eq!(parse_weekday("w", "Monday").unwrap(), Weekday::Monday);
        assert!(parse_weekday("w", "mon").is_err());
        assert!(check_settings(&Settings::default()).is_empty());
        assert_eq!(
            check_settings(&Settings {
                slot_step_minutes: 1,
                ..Settings::default()
            })
            .len(),
            1
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const ZONES: [&str; 5] = [
        "UTC",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "Europe/London",
    ];
    const WEEKDAYS: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    fn base() -> Timestamp {
        // 2026-03-01: the window below spans the March DST changes (US and EU).
        Timestamp::from_second(1_772_323_200).unwrap()
    }

    prop_compose! {
        fn rule()(wd in 0usize..7, start in 0i64..1380, len in 15i64..600) -> WeeklyRule {
            WeeklyRule { weekday: WEEKDAYS[wd], start, end: (start + len).min(1440) }
        }
    }

    prop_compose! {
        fn over()(day in 0i64..40, available in any::<bool>(), window in proptest::option::of((0i64..1300, 15i64..300))) -> DateOverride {
            let date = base().to_zoned(TimeZone::UTC).date().checked_add(jiff::Span::new().days(day)).unwrap();
            DateOverride { date, available: available && window.is_some(), window: window.map(|(s, l)| (s, (s + l).min(1440))) }
        }
    }

    prop_compose! {
        fn busy()(start_min in 0i64..(40 * 1440), len in 15i64..240) -> Busy {
            let start = base() + SignedDuration::from_mins(start_min);
            Busy { start, end: start + SignedDuration::from_mins(len), booked: true }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn slots_respect_every_rule(
            zone in 0usize..ZONES.len(),
            weekly in proptest::collection::vec(rule(), 0..6),
            overrides in proptest::collection::vec(over(), 0..5),
            busy in proptest::collection::vec(busy(), 0..40),
            notice in 0i64..3000,
            before in 0i64..60,
            after in 0i64..60,
            horizon in 1i64..40,
            step in 5i64..120,
            cap in 0i64..4,
            duration in 15i64..180,
            now_min in 0i64..(10 * 1440),
            from_min in 0i64..(20 * 1440),
            span_min in 0i64..(30 * 1440),
        ) {
            let a = Availability {
                tz: TimeZone::get(ZONES[zone]).unwrap(),
                weekly,
                overrides,
                settings: Settings {
                    min_notice_minutes: notice,
                    buffer_before_minutes: before,
                    buffer_after_minutes: after,
                    horizon_days: horizon,
                    slot_step_minutes: step,
                    max_per_day: cap,
                },
            };
            let now = base() + SignedDuration::from_mins(now_min);
            let from = base() + SignedDuration::from_mins(from_min);
            let q = SlotQuery { from, to: from + SignedDuration::from_mins(span_min), duration_minutes: duration, now };
            let slots = free_slots(&a, &busy, &q);
            let d = SignedDuration::from_mins(duration);
            for w in slots.windows(2) {
                prop_assert!(w[0] < w[1], "sorted and distinct");
            }
            for &s in &slots {
                prop_assert!(s >= now + SignedDuration::from_mins(notice), "after the notice");
                prop_assert!(s < now + SignedDuration::from_hours(24 * horizon), "within the horizon");
                prop_assert!(s >= q.from && s < q.to, "inside the asked range");
                // Inside one of the rules' windows, whole.
                let day = s.to_zoned(a.tz.clone()).date();
                let inside = [day.yesterday().unwrap(), day, day.tomorrow().unwrap()]
                    .iter()
                    .flat_map(|d| windows_on(&a, *d))
                    .any(|(ws, we)| ws <= s && s + d <= we);
                prop_assert!(inside, "slot {s} is outside every window");
                // Clear of every booking and its buffers.
                for b in &busy {
                    let (ps, pe) = (s - SignedDuration::from_mins(before), s + d + SignedDuration::from_mins(after));
                    let (bs, be) = (b.start - SignedDuration::from_mins(before), b.end + SignedDuration::from_mins(after));
                    prop_assert!(!(ps < be && bs < pe), "slot {s} overlaps booking {b:?}");
                }
                if cap > 0 {
                    let taken = busy.iter().filter(|b| b.start.to_zoned(a.tz.clone()).date() == day).count() as i64;
                    prop_assert!(taken < cap, "day {day} is full");
                }
            }
        }
    }
}
