//! The slot picker of a mentor's page, as people who use Cal.com expect it: the
//! service as tabs, a month calendar with the free days marked, then the times of the
//! chosen day — in the viewer's zone (a visitor's is detected by the browser or chosen
//! with the switcher), on a 12- or 24-hour clock as their language writes it, each
//! with the mentor's local time beside it and night-time hours flagged. A signed-in
//! viewer sees the times that clash with their own sessions (on either side) marked and
//! not offered: booking one would be refused.
//!
//! Everything is a plain link, so it works without JavaScript and with the keyboard;
//! `app.js` only swaps the picker in place instead of loading the whole page. A
//! visitor who picks a time goes to sign in (or sign up) and comes back to that
//! time's booking form.

use std::collections::BTreeMap;

use jiff::{Timestamp, ToSpan, Zoned, civil::Date, tz::TimeZone};
use serde::Deserialize;

use super::{WebCtx, timezones, urlencode};
use crate::{
    error::AppResult,
    http::AppState,
    service::{availability, mentors::ServiceRow},
};

/// The picker's query string on `/mentors/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct PickerQuery {
    #[serde(default)]
    pub service: String,
    /// The month shown, `YYYY-MM`.
    #[serde(default)]
    pub month: String,
    /// The chosen day, `YYYY-MM-DD` in the viewer's zone.
    #[serde(default)]
    pub date: String,
    /// A zone chosen with the switcher (an IANA name).
    #[serde(default)]
    pub tz: String,
    /// Older links: a day of the week to show.
    #[serde(default)]
    pub week: String,
}

impl PickerQuery {
    /// The zone chosen with the switcher, if it is one.
    pub fn chosen_zone(&self) -> Option<(String, TimeZone)> {
        let name = self.tz.trim();
        if name.is_empty() {
            return None;
        }
        TimeZone::get(name).ok().map(|z| (name.to_string(), z))
    }
}

/// A service, as a tab of the picker.
pub struct Tab {
    pub href: String,
    /// The service's title, as its mentor wrote it (isolated on the page: a title in
    /// a right-to-left script does not carry what follows with it).
    pub title: String,
    /// Its length (or "written, by a deadline") and price.
    pub details: String,
    pub current: bool,
}

/// A day of the month grid (`day` empty: a blank before the 1st or after the last).
pub struct Cell {
    pub day: String,
    /// Where picking it leads; empty when the day has no free time.
    pub href: String,
    /// "Tuesday 8 December, 5 times free".
    pub aria: String,
    pub chosen: bool,
    pub today: bool,
}

/// A free time of the chosen day.
pub struct Slot {
    /// The booking form (or signing in first); empty on the mentor's own page.
    pub href: String,
    /// "9:00 AM", in the viewer's zone.
    pub time: String,
    /// "6:00 PM in Nairobi" (empty when the mentor is in the viewer's zone).
    pub mentor_time: String,
    /// Between 22:00 and 07:00 for the viewer.
    pub night: bool,
    /// The whole line for a screen reader.
    pub aria: String,
    /// The viewer has a session of their own then (not offered).
    pub clash: bool,
}

/// Everything `partials/slot_picker.html` shows.
pub struct Picker {
    pub tabs: Vec<Tab>,
    /// A session with times (false: a review, booked with a deadline).
    pub timed: bool,
    /// A review's booking form (or signing in first).
    pub review_href: String,
    pub action: String,
    pub service: String,
    pub month: String,
    pub date: String,
    pub zone: String,
    pub zones: super::Zones,
    pub mentor_zone: String,
    pub month_label: String,
    pub prev_month: String,
    pub next_month: String,
    pub prev_label: String,
    pub next_label: String,
    pub weekdays: Vec<(&'static str, &'static str)>,
    pub weeks: Vec<Vec<Cell>>,
    /// "Tuesday 8 December" (empty: no day chosen).
    pub day_label: String,
    pub slots: Vec<Slot>,
    /// The month of the mentor's next free time, when this month has none.
    pub next_free_href: String,
    pub next_free_label: String,
    /// The mentor has no free time open at all (none within the horizon).
    pub nothing_open: bool,
    /// The month shown starts beyond how far ahead the mentor takes bookings (that
    /// many days): no month after it has anything either.
    pub beyond_horizon: Option<i64>,
    pub signed_in: bool,
    pub is_self: bool,
}

const WEEKDAYS: [(&str, &str); 7] = [
    ("Mon", "Monday"),
    ("Tue", "Tuesday"),
    ("Wed", "Wednesday"),
    ("Thu", "Thursday"),
    ("Fri", "Friday"),
    ("Sat", "Saturday"),
    ("Sun", "Sunday"),
];

/// The city of a zone name: "America/Los_Angeles" → "Los Angeles".
pub fn city(zone: &str) -> String {
    zone.rsplit('/').next().unwrap_or(zone).replace('_', " ")
}

/// What the picker needs of the mentor.
pub struct Mentor<'a> {
    pub id: &'a str,
    pub zone: &'a str,
    pub next_free: Option<Timestamp>,
    pub is_self: bool,
}

pub async fn build(
    state: &AppState,
    web: &WebCtx,
    mentor: &Mentor<'_>,
    services: &[ServiceRow],
    q: &PickerQuery,
) -> AppResult<Picker> {
    let now = state.ctx.clock.now();
    let chosen_zone = q.chosen_zone();
    let tz = chosen_zone
        .as_ref()
        .map(|(_, z)| z.clone())
        .unwrap_or_else(|| web.zone());
    let zone = tz.iana_name().unwrap_or("UTC").to_string();
    let today = now.to_zoned(tz.clone()).date();
    let service = services
        .iter()
        .find(|s| s.id == q.service)
        .or_else(|| services.iter().find(|s| !s.kind.is_review()))
        .or(services.first());
    let timed = service.is_some_and(|s| !s.kind.is_review());
    let service_id = service.map(|s| s.id.clone()).unwrap_or_default();
    let asked_day = [&q.date, &q.week]
        .into_iter()
        .find_map(|d| d.trim().parse::<Date>().ok())
        .filter(|d| *d >= today);
    let this_month = today.first_of_month();
    let last_month = this_month.saturating_add(12.months());
    let month = format!("{}-01", q.month.trim())
        .parse::<Date>()
        .ok()
        .or(asked_day.map(|d| d.first_of_month()))
        .unwrap_or(this_month)
        .clamp(this_month, last_month);
    let month_end = month.saturating_add(1.month());
    let link = Links {
        base: format!("/mentors/{}", mentor.id),
        zone: chosen_zone.map(|(name, _)| name),
    };

    let free = match service.filter(|_| timed) {
        Some(s) => {
            free_days(
                state,
                mentor.id,
                s.duration_minutes,
                &tz,
                (month, month_end),
            )
            .await?
        }
        None => BTreeMap::new(),
    };
    // An empty month past the mentor's horizon: said, rather than a chain of "try
    // the next month" links through empty months.
    let beyond_horizon = match (free.is_empty() && timed, month.to_zoned(tz.clone())) {
        (true, Ok(first)) => availability::load(&state.ctx, mentor.id)
            .await?
            .map(|a| a.settings.horizon_days)
            .filter(|days| {
                state
                    .ctx
                    .clock
                    .now()
                    .saturating_add(jiff::SignedDuration::from_hours(24 * days))
                    .is_ok_and(|edge| first.timestamp() >= edge)
            }),
        _ => None,
    };
    let chosen = asked_day
        .filter(|d| free.contains_key(d))
        .or_else(|| free.keys().next().copied());

    let mentor_tz = TimeZone::get(mentor.zone).unwrap_or(TimeZone::UTC);
    let same_zone = mentor.zone == zone;
    let times = chosen.and_then(|d| free.get(&d));
    let duration = service.map_or(0, |s| s.duration_minutes);
    let mine = match (times, &web.auth) {
        (Some(t), Some(a)) if !mentor.is_self && !t.is_empty() => {
            let span = (t[0].timestamp(), t[t.len() - 1].timestamp());
            my_sessions(state, &a.user.id, span, duration).await?
        }
        _ => vec![],
    };
    let slots = times
        .map(|times| {
            times
                .iter()
                .map(|z| {
                    let start = z.timestamp();
                    let end = start + jiff::SignedDuration::from_mins(duration);
                    let clash = mine.iter().any(|(s, e)| *s < end && *e > start);
                    slot(web, mentor, &service_id, z, (&mentor_tz, same_zone), clash)
                })
                .collect()
        })
        .unwrap_or_default();

    let sunday_first = web.hour12;
    let mut weekdays = WEEKDAYS.to_vec();
    if sunday_first {
        weekdays.rotate_right(1);
    }
    let weeks = month_grid(month, sunday_first, |d| {
        day_cell(d, &free, (today, chosen), || {
            link.to(&service_id, month, Some(d), "#times")
        })
    });
    let prev = month.saturating_sub(1.month());
    let (next_free_href, next_free_label) = match mentor.next_free {
        Some(t) if free.is_empty() && timed => next_free(&link, &service_id, t, &tz, month_end),
        _ => (String::new(), String::new()),
    };
    Ok(Picker {
        tabs: tabs(&link, services, &service_id, month),
        timed,
        review_href: gate(
            web,
            mentor.is_self,
            format!("/mentors/{}/book?service={service_id}", mentor.id),
        ),
        action: link.base.clone(),
        service: service_id.clone(),
        month: month.strftime("%Y-%m").to_string(),
        date: chosen.map(|d| d.to_string()).unwrap_or_default(),
        zone,
        zones: timezones(),
        mentor_zone: mentor.zone.to_string(),
        month_label: month.strftime("%B %Y").to_string(),
        prev_month: if month > this_month {
            link.to(&service_id, prev, None, "#book")
        } else {
            String::new()
        },
        next_month: if month < last_month {
            link.to(&service_id, month_end, None, "#book")
        } else {
            String::new()
        },
        prev_label: prev.strftime("%B").to_string(),
        next_label: month_end.strftime("%B").to_string(),
        weekdays,
        weeks,
        day_label: chosen
            .map(|d| d.strftime("%A %-d %B").to_string())
            .unwrap_or_default(),
        slots,
        next_free_href,
        next_free_label,
        nothing_open: timed && mentor.next_free.is_none(),
        beyond_horizon,
        signed_in: web.auth.is_some(),
        is_self: mentor.is_self,
    })
}

/// Where the mentor's next free time is, when it is after the month shown: a link to
/// its day and the day's name.
fn next_free(
    link: &Links,
    service: &str,
    t: Timestamp,
    tz: &TimeZone,
    month_end: Date,
) -> (String, String) {
    let d = t.to_zoned(tz.clone()).date();
    if d < month_end {
        return (String::new(), String::new());
    }
    (
        link.to(service, d.first_of_month(), Some(d), "#times"),
        d.strftime("%A %-d %B").to_string(),
    )
}

/// The services as tabs, each keeping the month shown.
fn tabs(link: &Links, services: &[ServiceRow], current: &str, month: Date) -> Vec<Tab> {
    services
        .iter()
        .map(|s| Tab {
            href: link.to(&s.id, month, None, "#book"),
            // A review is written by a deadline: no minutes to show.
            title: s.title.clone(),
            details: format!(
                "{} · {}",
                if s.kind.is_review() {
                    "written, by a deadline".to_string()
                } else {
                    format!("{} min", s.duration_minutes)
                },
                match s.credit_cost {
                    0 => "free".to_string(),
                    n => format!("{n} credits"),
                }
            ),
            current: s.id == current,
        })
        .collect()
}

/// The free starts of a month, by day in the viewer's zone (none before now).
async fn free_days(
    state: &AppState,
    mentor_id: &str,
    duration: i64,
    tz: &TimeZone,
    (month, month_end): (Date, Date),
) -> AppResult<BTreeMap<Date, Vec<Zoned>>> {
    let mut free: BTreeMap<Date, Vec<Zoned>> = BTreeMap::new();
    let start_of = |d: Date| d.to_zoned(tz.clone()).map(|z| z.timestamp()).ok();
    let (Some(from), Some(to)) = (start_of(month), start_of(month_end)) else {
        return Ok(free);
    };
    let from = from.max(state.ctx.clock.now());
    if from < to {
        for t in availability::free_starts_of(&state.ctx, mentor_id, duration, (from, to)).await? {
            let z = t.to_zoned(tz.clone());
            free.entry(z.date()).or_default().push(z);
        }
    }
    Ok(free)
}

/// A day of the month grid: a link when it has free times, and what it is said as.
fn day_cell(
    d: Date,
    free: &BTreeMap<Date, Vec<Zoned>>,
    (today, chosen): (Date, Option<Date>),
    href: impl FnOnce() -> String,
) -> Cell {
    let times = free.get(&d).map(Vec::len).unwrap_or(0);
    let long = d.strftime("%A %-d %B").to_string();
    Cell {
        day: d.day().to_string(),
        href: if times > 0 { href() } else { String::new() },
        aria: match times {
            0 => format!("{long}, nothing free"),
            1 => format!("{long}, 1 time free"),
            n => format!("{long}, {n} times free"),
        },
        chosen: Some(d) == chosen,
        today: d == today,
    }
}

/// The picker's own links: the mentor's page with a service, month and day, keeping a
/// zone chosen with the switcher.
struct Links {
    base: String,
    zone: Option<String>,
}

impl Links {
    fn to(&self, service: &str, month: Date, day: Option<Date>, anchor: &str) -> String {
        let mut href = format!(
            "{}?service={}&month={}",
            self.base,
            urlencode(service),
            month.strftime("%Y-%m")
        );
        if let Some(d) = day {
            href.push_str(&format!("&date={d}"));
        }
        if let Some(z) = &self.zone {
            href.push_str(&format!("&tz={}", urlencode(z)));
        }
        href + anchor
    }
}

/// Where a booking link leads: the form when signed in, signing in first (and back)
/// for a visitor, nowhere on the mentor's own page.
fn gate(web: &WebCtx, is_self: bool, form: String) -> String {
    match (is_self, web.auth.is_some()) {
        (true, _) => String::new(),
        (false, true) => form,
        (false, false) => format!("/login?next={}", urlencode(&form)),
    }
}

/// The viewer's own live timed sessions (as mentee or mentor) that could overlap a
/// slot starting in `[first, last]` and lasting `duration` minutes: (start, end).
async fn my_sessions(
    state: &AppState,
    me: &str,
    (first, last): (Timestamp, Timestamp),
    duration: i64,
) -> AppResult<Vec<(Timestamp, Timestamp)>> {
    let filter = crate::service::bookings::ListFilter {
        user_id: me.to_string(),
        statuses: vec!["pending".into(), "accepted".into()],
        from: Some(first.as_microsecond()),
        to: Some((last + jiff::SignedDuration::from_mins(duration)).as_microsecond()),
        ascending: true,
        limit: 200,
        ..Default::default()
    };
    Ok(crate::service::bookings::list(&state.ctx, &filter)
        .await?
        .into_iter()
        .filter(|b| b.b.timed)
        .map(|b| (b.b.start_at, b.b.end_at))
        .collect())
}

fn slot(
    web: &WebCtx,
    mentor: &Mentor<'_>,
    service: &str,
    z: &Zoned,
    (mentor_tz, same_zone): (&TimeZone, bool),
    clash: bool,
) -> Slot {
    let time = web.clock_time(z);
    let night = crate::domain::clock::at_night(z);
    let mentor_time = if same_zone {
        String::new()
    } else {
        let m = z.timestamp().to_zoned(mentor_tz.clone());
        let day = if m.date() == z.date() {
            String::new()
        } else {
            format!(" {}", m.strftime("%a"))
        };
        format!("{}{day} in {}", web.clock_time(&m), city(mentor.zone))
    };
    let mut aria = time.clone();
    if !mentor_time.is_empty() {
        aria.push_str(&format!(", {mentor_time} for the mentor"));
    }
    if night {
        aria.push_str(", night time for you");
    }
    if clash {
        aria.push_str(", you have a session then");
    }
    let form = format!(
        "/mentors/{}/book?service={}&start={}&tz={}",
        mentor.id,
        urlencode(service),
        urlencode(&z.timestamp().to_string()),
        urlencode(z.time_zone().iana_name().unwrap_or("UTC"))
    );
    Slot {
        href: if clash {
            String::new()
        } else {
            gate(web, mentor.is_self, form)
        },
        time,
        mentor_time,
        night,
        aria,
        clash,
    }
}

/// The weeks of `month` as rows of seven cells (blank before the 1st and after the
/// last), starting on Monday or Sunday.
fn month_grid(
    month: Date,
    sunday_first: bool,
    mut cell: impl FnMut(Date) -> Cell,
) -> Vec<Vec<Cell>> {
    let blank = || Cell {
        day: String::new(),
        href: String::new(),
        aria: String::new(),
        chosen: false,
        today: false,
    };
    let offset = if sunday_first {
        month.weekday().to_sunday_zero_offset()
    } else {
        month.weekday().to_monday_zero_offset()
    };
    let mut cells: Vec<Cell> = (0..offset).map(|_| blank()).collect();
    let mut d = month;
    while d.month() == month.month() {
        cells.push(cell(d));
        d = d.saturating_add(1.day());
    }
    while !cells.len().is_multiple_of(7) {
        cells.push(blank());
    }
    let mut weeks = vec![];
    let mut it = cells.into_iter().peekable();
    while it.peek().is_some() {
        weeks.push(it.by_ref().take(7).collect());
    }
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(weeks: &[Vec<Cell>]) -> Vec<Vec<String>> {
        weeks
            .iter()
            .map(|w| w.iter().map(|c| c.day.clone()).collect())
            .collect()
    }

    #[test]
    fn a_month_grid_starts_on_the_right_weekday() {
        let cell = |d: Date| Cell {
            day: d.day().to_string(),
            href: String::new(),
            aria: String::new(),
            chosen: false,
            today: false,
        };
        // 1 December 2026 is a Tuesday.
        let dec: Date = "2026-12-01".parse().unwrap();
        let monday = days(&month_grid(dec, false, cell));
        assert_eq!(monday[0], ["", "1", "2", "3", "4", "5", "6"]);
        assert_eq!(monday.len(), 5);
        assert_eq!(monday[4], ["28", "29", "30", "31", "", "", ""]);
        let sunday = days(&month_grid(dec, true, cell));
        assert_eq!(sunday[0], ["", "", "1", "2", "3", "4", "5"]);
        // February 2027 starts on a Monday and fills four rows exactly.
        let feb: Date = "2027-02-01".parse().unwrap();
        assert_eq!(month_grid(feb, false, cell).len(), 4);
    }

    #[test]
    fn a_zone_reads_as_its_city() {
        assert_eq!(city("America/Los_Angeles"), "Los Angeles");
        assert_eq!(city("Africa/Nairobi"), "Nairobi");
        assert_eq!(city("UTC"), "UTC");
    }
}
