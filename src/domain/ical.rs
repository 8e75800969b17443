//! iCalendar (RFC 5545) input: reads the busy times of a mentor's external calendar
//! events (one CalDAV calendar object resource at a time). Pure: no I/O, no clock reads.
//!
//! RFC parts covered:
//! - content lines (3.1): CRLF or LF endings, unfolding of lines that start with a space or
//!   tab, case-insensitive property and parameter names, DQUOTE-quoted parameter values
//!   (which may hold `:`, `;` and `,`);
//! - components (3.4, 3.6): only properties directly inside a `VEVENT` count; nested
//!   components (`VALARM`) and other components (`VTODO`, `VTIMEZONE`, ...) are skipped.
//!   `TZID`s are resolved through jiff's time zone database rather than `VTIMEZONE`s, with
//!   fallbacks for prefixed ids (`/mozilla.org/.../America/New_York`) and common Windows
//!   names, and finally the mentor's own zone;
//! - values: DATE and DATE-TIME in UTC, `TZID` and floating forms (3.3.4, 3.3.5), DURATION
//!   (3.3.6; days and weeks are nominal, hours, minutes and seconds exact), PERIOD in `RDATE`
//!   (3.3.9). Local times in a DST gap or fold use jiff's "compatible" disambiguation;
//! - event time (3.6.1, 3.8.2): `DTSTART`, `DTEND` or `DURATION`, the one-day default of
//!   all-day events; zero-length events block nothing. All-day events block whole days of
//!   the mentor's zone;
//! - `STATUS:CANCELLED` and `TRANSP:TRANSPARENT` (3.8.1.11, 3.8.2.7) block nothing;
//! - recurrence (3.3.10, 3.8.5): `RRULE` with `FREQ` `DAILY`, `WEEKLY`, `MONTHLY` or
//!   `YEARLY`, `INTERVAL`, `COUNT`, `UNTIL`, `BYMONTH`, `BYYEARDAY`, `BYMONTHDAY`, `BYDAY`
//!   (with ordinals), `BYHOUR`, `BYMINUTE`, `BYSECOND`, `BYSETPOS` and `WKST`, expanded in the
//!   event's own wall-clock time. `DTSTART` is always the first occurrence and counts
//!   toward `COUNT`, even when the rule would not produce it. `RDATE`, `EXDATE` (dates
//!   compared when either side is all-day, instants otherwise); overridden instances
//!   (`RECURRENCE-ID`, 3.8.4.4), which replace the occurrence they name and otherwise
//!   stand alone.
//!
//! Expansion stops at the window's end and after 50,000 periods; without `COUNT` it starts
//! just before the window, so old series cost no more than new ones.
//!
//! Not covered: `BYWEEKNO` and sub-daily frequencies (`HOURLY`, `MINUTELY`, `SECONDLY`),
//! for which only `DTSTART` is used; `RANGE=THISANDFUTURE` is read as a single instance;
//! `VTIMEZONE` definitions themselves are never read; `VFREEBUSY` is ignored.

use std::borrow::Cow;
use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Most periods (days, weeks, months or years) one `RRULE` is expanded over.
const MAX_PERIODS: i64 = 50_000;

/// The day number of 10000-01-01, past the last date jiff (and iCalendar) can hold.
const END_OF_CIVIL_TIME: i64 = 2_932_897;

/// Seconds in a civil day, for rounding exact durations up to days.
const SECONDS_PER_DAY: i64 = 86_400;

/// Common Windows time zone names (as Outlook and Exchange write them) and their IANA zone.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("Eastern Standard Time", "America/New_York"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Central Standard Time", "America/Chicago"),
    ("Mountain Standard Time", "America/Denver"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("FLE Standard Time", "Europe/Helsinki"),
    ("UTC", "UTC"),
    ("Coordinated Universal Time", "UTC"),
    ("India Standard Time", "Asia/Kolkata"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
];

/// Why a calendar object could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcalError(pub String);

impl fmt::Display for IcalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid iCalendar object: {}", self.0)
    }
}

impl std::error::Error for IcalError {}

/// One busy interval of an event, [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BusySpan {
    /// First busy instant.
    pub start: Timestamp,
    /// First instant no longer busy.
    pub end: Timestamp,
}

/// The UIDs of the VEVENTs in `ics` (to recognise our own events), each once, in order of
/// first appearance.
pub fn uids(ics: &str) -> Vec<String> {
    let lines = unfold(ics);
    let parsed = parse_components(&lines);
    let mut out: Vec<String> = Vec::new();
    for props in &parsed.events {
        if let Some(uid) = props.iter().find(|p| p.is("UID")) {
            let uid = uid.value.trim();
            if !uid.is_empty() && !out.iter().any(|u| u == uid) {
                out.push(uid.to_owned());
            }
        }
    }
    out
}

/// The busy spans of every VEVENT in `ics` that overlap `[from, to)`, sorted.
/// `local` is the mentor's zone: floating times (no Z, no TZID) and all-day events are read in it.
/// Events whose UID satisfies `skip_uid` are ignored.
///
/// Spans are not clipped to the window, and identical spans are listed once. A VEVENT
/// whose `DTSTART` cannot be read is skipped; the only error is text that holds no
/// `VCALENDAR` at all.
pub fn busy_spans(
    ics: &str,
    from: Timestamp,
    to: Timestamp,
    local: &TimeZone,
    skip_uid: &dyn Fn(&str) -> bool,
) -> Result<Vec<BusySpan>, IcalError> {
    let lines = unfold(ics);
    let parsed = parse_components(&lines);
    if !parsed.calendar {
        return Err(IcalError("no BEGIN:VCALENDAR".to_owned()));
    }
    let mut spans = Vec::new();
    if from >= to {
        return Ok(spans);
    }
    let mut zones = Zones {
        local,
        cache: Vec::new(),
    };
    let events: Vec<Event> = parsed
        .events
        .iter()
        .filter(|props| {
            let uid = props
                .iter()
                .find(|p| p.is("UID"))
                .map_or("", |p| p.value.trim());
            !skip_uid(uid)
        })
        .filter_map(|props| read_event(props, &mut zones))
        .collect();
    let window = Window { from, to };

    for master in events.iter().filter(|e| e.recurrence_id.is_none()) {
        let overridden: Vec<&Key> = events
            .iter()
            .filter(|o| o.uid == master.uid)
            .filter_map(|o| o.recurrence_id.as_ref())
            .collect();
        master_spans(master, &overridden, window, &mut spans);
    }

    for instance in events
        .iter()
        .filter(|e| e.recurrence_id.is_some() && e.busy)
    {
        let length = instance.length.unwrap_or_else(|| {
            events
                .iter()
                .find(|m| m.recurrence_id.is_none() && m.uid == instance.uid)
                .map_or_else(|| instance.effective_length(), Event::effective_length)
        });
        let start = &instance.start;
        if let Some(s) = start.instant()
            && let Some(e) = length.end(start.civil, &start.tz, s)
        {
            window.push(s, e, &mut spans);
        }
    }

    spans.sort_unstable();
    spans.dedup();
    Ok(spans)
}

// ---------------------------------------------------------------------------------------
// Content lines and components
// ---------------------------------------------------------------------------------------

/// The logical lines of `ics`: line endings removed, folded lines joined, blank lines dropped.
fn unfold(ics: &str) -> Vec<Cow<'_, str>> {
    let ics = ics.strip_prefix('\u{feff}').unwrap_or(ics);
    let mut out: Vec<Cow<'_, str>> = Vec::new();
    for raw in ics.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix([' ', '\t'])
            && let Some(last) = out.last_mut()
        {
            last.to_mut().push_str(rest);
            continue;
        }
        if !line.is_empty() {
            out.push(Cow::Borrowed(line));
        }
    }
    out
}

/// One content line: `name *(";" param) ":" value`.
#[derive(Debug)]
struct Prop<'a> {
    name: &'a str,
    /// Parameter names and values, a single quoted value without its quotes.
    params: Vec<(&'a str, &'a str)>,
    value: &'a str,
}

impl Prop<'_> {
    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Splits a content line into name, parameters and value; `None` when it is not one.
fn parse_line(line: &str) -> Option<Prop<'_>> {
    let bytes = line.as_bytes();
    let mut i = line.find([';', ':'])?;
    let name = line[..i].trim();
    if name.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    while bytes.get(i) == Some(&b';') {
        let start = i + 1;
        let eq = start + line[start..].find(['=', ':', ';'])?;
        if bytes[eq] != b'=' {
            // A parameter without a value: keep going.
            params.push((line[start..eq].trim(), ""));
            i = eq;
            continue;
        }
        let value_start = eq + 1;
        let mut j = value_start;
        loop {
            if bytes.get(j) == Some(&b'"') {
                j += 1 + line[j + 1..].find('"')? + 1;
            } else {
                while j < bytes.len() && !matches!(bytes[j], b',' | b';' | b':') {
                    j += 1;
                }
            }
            if bytes.get(j) == Some(&b',') {
                j += 1;
            } else {
                break;
            }
        }
        let raw = &line[value_start..j];
        let value = raw
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|v| !v.contains('"'))
            .unwrap_or(raw);
        params.push((line[start..eq].trim(), value));
        i = j;
    }
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    Some(Prop {
        name,
        params,
        value: &line[i + 1..],
    })
}

/// What the component structure of a calendar object holds.
struct Parsed<'a> {
    /// Whether a `BEGIN:VCALENDAR` was seen.
    calendar: bool,
    /// The properties directly inside each `VEVENT`.
    events: Vec<Vec<Prop<'a>>>,
}

fn parse_components<'a>(lines: &'a [Cow<'_, str>]) -> Parsed<'a> {
    let mut calendar = false;
    let mut events = Vec::new();
    let mut stack: Vec<&str> = Vec::new();
    // The open VEVENT: the stack depth its own properties live at, and those properties.
    let mut current: Option<(usize, Vec<Prop<'a>>)> = None;
    for line in lines {
        let Some(prop) = parse_line(line) else {
            continue;
        };
        if prop.is("BEGIN") {
            let component = prop.value.trim();
            calendar |= component.eq_ignore_ascii_case("VCALENDAR");
            stack.push(component);
            if current.is_none() && component.eq_ignore_ascii_case("VEVENT") {
                current = Some((stack.len(), Vec::new()));
            }
        } else if prop.is("END") {
            let component = prop.value.trim();
            if let Some(pos) = stack
                .iter()
                .rposition(|c| c.eq_ignore_ascii_case(component))
            {
                stack.truncate(pos);
                if let Some((depth, _)) = &current
                    && stack.len() < *depth
                    && let Some((_, props)) = current.take()
                {
                    events.push(props);
                }
            }
        } else if let Some((depth, props)) = &mut current
            && stack.len() == *depth
        {
            props.push(prop);
        }
    }
    if let Some((_, props)) = current {
        // An unterminated VEVENT at the end of the text: still read it.
        events.push(props);
    }
    Parsed { calendar, events }
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/// Resolves `TZID` parameters to zones, remembering each name for the call.
struct Zones<'a> {
    local: &'a TimeZone,
    cache: Vec<(String, TimeZone)>,
}

impl Zones<'_> {
    /// The zone a property's values are read in: its `TZID`, else `local`.
    fn of(&mut self, prop: &Prop<'_>) -> TimeZone {
        let Some(name) = prop.param("TZID") else {
            return self.local.clone();
        };
        if let Some((_, tz)) = self.cache.iter().find(|(n, _)| n == name) {
            return tz.clone();
        }
        let tz = resolve_tzid(name).unwrap_or_else(|| self.local.clone());
        self.cache.push((name.to_owned(), tz.clone()));
        tz
    }
}

/// A `TZID` as a zone of the database: the name itself, a trailing run of its `/` segments
/// (longest first), or a known Windows name.
fn resolve_tzid(name: &str) -> Option<TimeZone> {
    let name = name.trim();
    let db = jiff::tz::db();
    if let Ok(tz) = db.get(name) {
        return Some(tz);
    }
    let segments: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
    for first in 0..segments.len() {
        if let Ok(tz) = db.get(&segments[first..].join("/")) {
            return Some(tz);
        }
    }
    WINDOWS_ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(name))
        .and_then(|(_, iana)| db.get(iana).ok())
}

/// A DATE or DATE-TIME value, as wall-clock time in a zone.
#[derive(Debug, Clone)]
struct Moment {
    /// Wall-clock time; midnight for a DATE.
    civil: DateTime,
    /// The zone `civil` is read in: UTC for `Z` values, the `TZID`'s zone, else `local`
    /// (always `local` for a DATE).
    tz: TimeZone,
    /// A DATE value (all-day).
    date_only: bool,
}

impl Moment {
    fn instant(&self) -> Option<Timestamp> {
        self.tz.to_timestamp(self.civil).ok()
    }

    fn key(&self) -> Option<Key> {
        Some(Key {
            instant: self.instant()?,
            date: self.civil.date(),
            date_only: self.date_only,
        })
    }
}

/// Identifies one occurrence (for `EXDATE` and `RECURRENCE-ID`).
#[derive(Debug, Clone, Copy)]
struct Key {
    instant: Timestamp,
    /// The value's own wall-clock date.
    date: Date,
    date_only: bool,
}

impl Key {
    /// Whether an occurrence starting at `civil` (its series' wall-clock time), i.e. at
    /// `instant`, is the one meant. Dates are compared when either side is all-day.
    fn matches(&self, civil: DateTime, instant: Timestamp, all_day: bool) -> bool {
        if self.date_only || all_day {
            self.date == civil.date()
        } else {
            self.instant == instant
        }
    }
}

/// A DATE (`YYYYMMDD`) or DATE-TIME (`YYYYMMDDTHHMMSS[Z]`) value; floating date-times are
/// read in `tz`, dates in `local`.
fn parse_moment(text: &str, tz: &TimeZone, local: &TimeZone) -> Option<Moment> {
    let text = text.trim();
    if text.len() == 8 {
        return Some(Moment {
            civil: parse_date(text)?.to_datetime(Time::midnight()),
            tz: local.clone(),
            date_only: true,
        });
    }
    let (date, time) = text.split_once(['T', 't'])?;
    let date = parse_date(date)?;
    let (time, utc) = match time.strip_suffix(['Z', 'z']) {
        Some(time) => (time, true),
        None => (time, false),
    };
    if time.len() != 6 {
        return None;
    }
    let hour = digits(&time[0..2])?;
    let minute = digits(&time[2..4])?;
    // A leap second (60) is read as the second before it.
    let second = digits(&time[4..6])?.min(59);
    let time = Time::new(
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        0,
    )
    .ok()?;
    Some(Moment {
        civil: date.to_datetime(time),
        tz: if utc { TimeZone::UTC } else { tz.clone() },
        date_only: false,
    })
}

fn parse_date(text: &str) -> Option<Date> {
    if text.len() != 8 {
        return None;
    }
    Date::new(
        i16::try_from(digits(&text[0..4])?).ok()?,
        i8::try_from(digits(&text[4..6])?).ok()?,
        i8::try_from(digits(&text[6..8])?).ok()?,
    )
    .ok()
}

/// A non-empty run of ASCII digits as a number.
fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// How long each occurrence lasts: `days` nominal days (added to the wall-clock start in its
/// zone), then `exact` elapsed time.
#[derive(Debug, Clone, Copy)]
struct Length {
    days: i64,
    exact: SignedDuration,
}

impl Length {
    /// One day for an all-day start, nothing for a date-time start (RFC 5545 3.6.1).
    fn default_for(date_only: bool) -> Self {
        Length {
            days: i64::from(date_only),
            exact: SignedDuration::ZERO,
        }
    }

    /// From a start to an end value: whole days between two dates (at least one: some
    /// producers write an all-day event's end as its start), else the exact time.
    fn between(start: &Moment, end: &Moment) -> Option<Self> {
        if start.date_only && end.date_only {
            Some(Length {
                days: (day_number(end.civil.date()) - day_number(start.civil.date())).max(1),
                exact: SignedDuration::ZERO,
            })
        } else {
            Some(Length {
                days: 0,
                exact: end.instant()?.duration_since(start.instant()?),
            })
        }
    }

    /// The end of an occurrence starting at wall-clock `civil` in `tz`, i.e. at `start`.
    fn end(&self, civil: DateTime, tz: &TimeZone, start: Timestamp) -> Option<Timestamp> {
        let base = if self.days == 0 {
            start
        } else {
            let date = date_from_number(day_number(civil.date()).checked_add(self.days)?)?;
            tz.to_timestamp(date.to_datetime(civil.time())).ok()?
        };
        base.checked_add(self.exact).ok()
    }

    /// A number of days at least as long as this, for looking back from a window.
    fn days_upper_bound(&self) -> i64 {
        self.days.max(0) + self.exact.as_secs().max(0) / SECONDS_PER_DAY + 1
    }
}

/// A DURATION value (`P1W`, `P1DT2H`, `PT1H30M`, `-PT15M`).
fn parse_duration(text: &str) -> Option<Length> {
    let text = text.trim();
    let (negative, text) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let mut rest = text.strip_prefix(['P', 'p'])?;
    let (mut days, mut secs, mut in_time, mut any) = (0i64, 0i64, false, false);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(['T', 't']) {
            in_time = true;
            rest = r;
            continue;
        }
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        let value = digits(&rest[..n])?;
        let unit = rest[n..].chars().next()?.to_ascii_uppercase();
        rest = &rest[n + 1..];
        any = true;
        match (in_time, unit) {
            (false, 'W') => days = days.checked_add(value.checked_mul(7)?)?,
            (false, 'D') => days = days.checked_add(value)?,
            (true, 'H') => secs = secs.checked_add(value.checked_mul(3600)?)?,
            (true, 'M') => secs = secs.checked_add(value.checked_mul(60)?)?,
            (true, 'S') => secs = secs.checked_add(value)?,
            _ => return None,
        }
    }
    if !any {
        return None;
    }
    let sign = if negative { -1 } else { 1 };
    Some(Length {
        days: sign * days,
        exact: SignedDuration::from_secs(sign * secs),
    })
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/// One VEVENT, read.
#[derive(Debug)]
struct Event {
    uid: String,
    /// Neither cancelled nor transparent.
    busy: bool,
    /// `DTSTART` (or, for an override without one, its `RECURRENCE-ID`).
    start: Moment,
    /// From `DTEND` or `DURATION`, if either was given.
    length: Option<Length>,
    rules: Vec<Rule>,
    /// Extra occurrences, with the end a PERIOD value gave them.
    rdates: Vec<(Moment, Option<Timestamp>)>,
    exdates: Vec<Key>,
    /// Set on an overridden instance of a recurring event.
    recurrence_id: Option<Key>,
}

impl Event {
    fn effective_length(&self) -> Length {
        self.length
            .unwrap_or_else(|| Length::default_for(self.start.date_only))
    }
}

/// Reads one VEVENT's properties; `None` when it has no readable start.
fn read_event(props: &[Prop<'_>], zones: &mut Zones<'_>) -> Option<Event> {
    let local = zones.local;
    let mut uid = "";
    let mut busy = true;
    let (mut dtstart, mut dtend, mut duration, mut recurrence_id) = (None, None, None, None);
    let mut rules = Vec::new();
    let mut rdates = Vec::new();
    let mut exdates = Vec::new();
    for prop in props {
        match prop.name.to_ascii_uppercase().as_str() {
            "UID" => uid = prop.value.trim(),
            "STATUS" => busy &= !prop.value.trim().eq_ignore_ascii_case("CANCELLED"),
            "TRANSP" => busy &= !prop.value.trim().eq_ignore_ascii_case("TRANSPARENT"),
            "DTSTART" => dtstart = Some(prop),
            "DTEND" => dtend = Some(prop),
            "DURATION" => duration = Some(prop),
            "RECURRENCE-ID" => recurrence_id = Some(prop),
            "RRULE" => rules.extend(parse_rule(prop.value)),
            "EXDATE" => {
                let tz = zones.of(prop);
                exdates.extend(
                    prop.value
                        .split(',')
                        .filter_map(|v| parse_moment(v, &tz, local)?.key()),
                );
            }
            "RDATE" => {
                let tz = zones.of(prop);
                for value in prop.value.split(',') {
                    let (start, end) = match value.split_once('/') {
                        Some((start, end)) => (start, Some(end)),
                        None => (value, None),
                    };
                    let Some(start) = parse_moment(start, &tz, local) else {
                        continue;
                    };
                    let end = match end {
                        None => None,
                        Some(end) => {
                            let end = match parse_duration(end) {
                                Some(length) => start
                                    .instant()
                                    .and_then(|s| length.end(start.civil, &start.tz, s)),
                                None => parse_moment(end, &tz, local).and_then(|m| m.instant()),
                            };
                            // An unreadable period end: skip that value.
                            let Some(end) = end else { continue };
                            Some(end)
                        }
                    };
                    rdates.push((start, end));
                }
            }
            _ => {}
        }
    }

    let recurrence_id = match recurrence_id {
        Some(prop) => {
            let tz = zones.of(prop);
            Some(parse_moment(prop.value, &tz, local)?)
        }
        None => None,
    };
    let start = match dtstart {
        Some(prop) => {
            let tz = zones.of(prop);
            parse_moment(prop.value, &tz, local)?
        }
        None => recurrence_id.clone()?,
    };
    let end = dtend.and_then(|prop| {
        let tz = zones.of(prop);
        parse_moment(prop.value, &tz, local)
    });
    let length = match end {
        Some(end) => Length::between(&start, &end),
        None => duration.and_then(|prop| parse_duration(prop.value)),
    };
    Some(Event {
        uid: uid.to_owned(),
        busy,
        start,
        length,
        rules,
        rdates,
        exdates,
        recurrence_id: match recurrence_id {
            Some(moment) => Some(moment.key()?),
            None => None,
        },
    })
}

/// The window asked for.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Timestamp,
    to: Timestamp,
}

impl Window {
    /// Adds `[start, end)` when it is not empty and overlaps the window.
    fn push(self, start: Timestamp, end: Timestamp, out: &mut Vec<BusySpan>) {
        if start < end && start < self.to && end > self.from {
            out.push(BusySpan { start, end });
        }
    }
}

/// One occurrence of a series: its wall-clock start in the series' zone, its instant, and
/// the end a PERIOD gave it.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    civil: DateTime,
    start: Timestamp,
    end: Option<Timestamp>,
}

/// The spans of a master event's occurrences (`DTSTART`, `RRULE`s, `RDATE`s) in the window,
/// less `EXDATE`s and the instances that `overridden` (the `RECURRENCE-ID`s) replace.
fn master_spans(ev: &Event, overridden: &[&Key], window: Window, out: &mut Vec<BusySpan>) {
    if !ev.busy {
        return;
    }
    let first = &ev.start;
    let Some(first_instant) = first.instant() else {
        return;
    };
    let length = ev.effective_length();
    let mut occurrences = vec![Occurrence {
        civil: first.civil,
        start: first_instant,
        end: None,
    }];
    for rule in &ev.rules {
        expand(rule, first, &length, window, &mut occurrences);
    }
    for (moment, end) in &ev.rdates {
        let civil = if first.date_only {
            moment.civil.date().to_datetime(Time::midnight())
        } else if moment.date_only {
            moment.civil.date().to_datetime(first.civil.time())
        } else {
            let Some(instant) = moment.instant() else {
                continue;
            };
            first.tz.to_datetime(instant)
        };
        if let Ok(start) = first.tz.to_timestamp(civil) {
            occurrences.push(Occurrence {
                civil,
                start,
                end: *end,
            });
        }
    }
    for occ in occurrences {
        let removed = ev
            .exdates
            .iter()
            .chain(overridden.iter().copied())
            .any(|key| key.matches(occ.civil, occ.start, first.date_only));
        if removed {
            continue;
        }
        let end = occ
            .end
            .or_else(|| length.end(occ.civil, &first.tz, occ.start));
        if let Some(end) = end {
            window.push(occ.start, end, out);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Recurrence rules
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// Where a rule stops (`UNTIL`, inclusive).
#[derive(Debug, Clone, Copy)]
enum Until {
    /// A UTC date-time.
    Instant(Timestamp),
    /// A floating date-time, read in the event's zone.
    Civil(DateTime),
    /// A date: occurrences on that date still count.
    Date(Date),
}

/// A supported `RRULE` (RFC 5545 3.3.10). Weekdays are numbered from Monday = 0.
#[derive(Debug, Clone)]
struct Rule {
    freq: Freq,
    interval: i64,
    count: Option<u32>,
    until: Option<Until>,
    by_month: Vec<i64>,
    by_year_day: Vec<i64>,
    by_month_day: Vec<i64>,
    /// (ordinal or 0, weekday).
    by_day: Vec<(i64, i64)>,
    by_hour: Vec<i8>,
    by_minute: Vec<i8>,
    by_second: Vec<i8>,
    by_set_pos: Vec<i64>,
    wkst: i64,
}

/// Reads an `RRULE` value; `None` for a rule that is unsupported or makes no sense (the
/// event then counts as not recurring).
fn parse_rule(value: &str) -> Option<Rule> {
    let mut rule = Rule {
        freq: Freq::Daily,
        interval: 1,
        count: None,
        until: None,
        by_month: Vec::new(),
        by_year_day: Vec::new(),
        by_month_day: Vec::new(),
        by_day: Vec::new(),
        by_hour: Vec::new(),
        by_minute: Vec::new(),
        by_second: Vec::new(),
        by_set_pos: Vec::new(),
        wkst: 0,
    };
    let mut freq = None;
    for part in value.trim().split(';').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=')?;
        let value = value.trim();
        match key.trim().to_ascii_uppercase().as_str() {
            "FREQ" => {
                freq = Some(match value.to_ascii_uppercase().as_str() {
                    "DAILY" => Freq::Daily,
                    "WEEKLY" => Freq::Weekly,
                    "MONTHLY" => Freq::Monthly,
                    "YEARLY" => Freq::Yearly,
                    _ => return None,
                });
            }
            "INTERVAL" => rule.interval = digits(value).filter(|&n| n >= 1)?,
            "COUNT" => rule.count = Some(u32::try_from(digits(value)?).ok().filter(|&n| n >= 1)?),
            "UNTIL" => {
                let moment = parse_moment(value, &TimeZone::UTC, &TimeZone::UTC)?;
                rule.until = Some(if moment.date_only {
                    Until::Date(moment.civil.date())
                } else if value.ends_with(['Z', 'z']) {
                    Until::Instant(moment.instant()?)
                } else {
                    Until::Civil(moment.civil)
                });
            }
            "BYMONTH" => rule.by_month = int_list(value, 1, 12, false)?,
            "BYYEARDAY" => rule.by_year_day = int_list(value, 1, 366, true)?,
            "BYMONTHDAY" => rule.by_month_day = int_list(value, 1, 31, true)?,
            "BYSETPOS" => rule.by_set_pos = int_list(value, 1, 366, true)?,
            "BYHOUR" => rule.by_hour = small_list(value, 23)?,
            "BYMINUTE" => rule.by_minute = small_list(value, 59)?,
            "BYSECOND" => rule.by_second = small_list(value, 60)?,
            "BYDAY" => {
                rule.by_day = value
                    .split(',')
                    .map(parse_by_day)
                    .collect::<Option<Vec<_>>>()?;
            }
            "WKST" => rule.wkst = weekday_code(value)?,
            // Week numbers are not supported: read as not recurring.
            "BYWEEKNO" => return None,
            _ => {}
        }
    }
    rule.freq = freq?;
    Some(rule)
}

/// A comma list of integers within `min..=max` (or `-max..=-min` when `signed`).
fn int_list(value: &str, min: i64, max: i64, signed: bool) -> Option<Vec<i64>> {
    value
        .split(',')
        .map(|item| {
            let item = item.trim();
            let (negative, magnitude) = match item.as_bytes().first()? {
                b'-' if signed => (true, &item[1..]),
                b'+' => (false, &item[1..]),
                _ => (false, item),
            };
            let n = digits(magnitude).filter(|n| (min..=max).contains(n))?;
            Some(if negative { -n } else { n })
        })
        .collect()
}

/// A comma list of `0..=max`, sorted, without repeats, leap seconds read as 59.
fn small_list(value: &str, max: i64) -> Option<Vec<i8>> {
    let mut list = value
        .split(',')
        .map(|item| {
            let n = digits(item.trim()).filter(|&n| n <= max)?;
            i8::try_from(n.min(59)).ok()
        })
        .collect::<Option<Vec<_>>>()?;
    list.sort_unstable();
    list.dedup();
    Some(list)
}

/// One `BYDAY` item: an optional signed ordinal and a two-letter weekday (`-1FR`).
fn parse_by_day(item: &str) -> Option<(i64, i64)> {
    let item = item.trim();
    let split = item.len().checked_sub(2)?;
    if !item.is_char_boundary(split) {
        return None;
    }
    let (ordinal, day) = item.split_at(split);
    let weekday = weekday_code(day)?;
    if ordinal.is_empty() {
        return Some((0, weekday));
    }
    let ordinal = *int_list(ordinal, 1, 53, true)?.first()?;
    Some((ordinal, weekday))
}

fn weekday_code(code: &str) -> Option<i64> {
    const CODES: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    let code = code.trim();
    CODES
        .iter()
        .position(|c| c.eq_ignore_ascii_case(code))
        .and_then(|i| i64::try_from(i).ok())
}

/// The rule's day filters once `DTSTART` has filled in what the rule leaves implicit.
struct DayFilter<'a> {
    rule: &'a Rule,
    by_month: Vec<i64>,
    by_month_day: Vec<i64>,
    by_day: Vec<(i64, i64)>,
}

impl DayFilter<'_> {
    fn new(rule: &Rule, first: Date) -> DayFilter<'_> {
        let mut by_month = rule.by_month.clone();
        let mut by_month_day = rule.by_month_day.clone();
        let mut by_day = rule.by_day.clone();
        if by_month_day.is_empty() && by_day.is_empty() && rule.by_year_day.is_empty() {
            match rule.freq {
                Freq::Daily => {}
                Freq::Weekly => by_day.push((0, weekday(day_number(first)))),
                Freq::Monthly => by_month_day.push(i64::from(first.day())),
                Freq::Yearly => {
                    if by_month.is_empty() {
                        by_month.push(i64::from(first.month()));
                    }
                    by_month_day.push(i64::from(first.day()));
                }
            }
        }
        by_month.sort_unstable();
        by_month.dedup();
        DayFilter {
            rule,
            by_month,
            by_month_day,
            by_day,
        }
    }

    /// A quick first test: whether `BYDAY` (ordinals aside) allows the day's weekday.
    fn weekday_allowed(&self, day: i64) -> bool {
        let wd = weekday(day);
        self.by_day.is_empty() || self.by_day.iter().any(|&(_, w)| w == wd)
    }

    /// Whether the day numbered `day`, the civil date `(year, month, dom)`, passes every
    /// `BYxxx` day rule.
    fn matches(&self, day: i64, (year, month, dom): (i64, i64, i64)) -> bool {
        if !self.by_month.is_empty() && !self.by_month.contains(&month) {
            return false;
        }
        let month_len = days_in_month(year, month);
        if !self.by_month_day.is_empty()
            && !self
                .by_month_day
                .iter()
                .any(|&v| v == dom || v == dom - month_len - 1)
        {
            return false;
        }
        let year_len = if is_leap(year) { 366 } else { 365 };
        let day_of_year = || day - days_from_civil(year, 1, 1) + 1;
        if !self.rule.by_year_day.is_empty() {
            let doy = day_of_year();
            if !self
                .rule
                .by_year_day
                .iter()
                .any(|&v| v == doy || v == doy - year_len - 1)
            {
                return false;
            }
        }
        if self.by_day.is_empty() {
            return true;
        }
        let wd = weekday(day);
        // Ordinals count within the month (MONTHLY, or YEARLY with BYMONTH) or the year.
        let (pos, len) = match self.rule.freq {
            Freq::Monthly => (dom, month_len),
            Freq::Yearly if !self.by_month.is_empty() => (dom, month_len),
            Freq::Yearly => (day_of_year(), year_len),
            Freq::Daily | Freq::Weekly => (0, 0),
        };
        self.by_day.iter().any(|&(ordinal, w)| {
            w == wd
                && (ordinal == 0
                    || len == 0
                    || ordinal == (pos - 1) / 7 + 1
                    || ordinal == -((len - pos) / 7 + 1))
        })
    }
}

/// Appends the occurrences `rule` generates after `first` (which the caller has already
/// counted as the first occurrence), up to the first one starting at or after the window's
/// end. Expansion works on `first`'s wall-clock time in its zone.
fn expand(rule: &Rule, first: &Moment, length: &Length, window: Window, out: &mut Vec<Occurrence>) {
    let tz = &first.tz;
    let start = first.civil;
    let d0 = day_number(start.date());
    let (y0, m0) = (i64::from(start.year()), i64::from(start.month()));
    let week0 = d0 - (weekday(d0) - rule.wkst).rem_euclid(7);
    let month0 = y0 * 12 + m0 - 1;
    let interval = rule.interval;
    let last_day = day_number(tz.to_datetime(window.to).date()) + 1;

    let filter = DayFilter::new(rule, start.date());
    let times = times_of_day(rule, first);

    // Occurrences starting before this day surely end before the window.
    let early_day = day_number(tz.to_datetime(window.from).date()) - length.days_upper_bound() - 1;
    // UNTIL as a day in the event's zone, to avoid most instant computations.
    let until_day = match rule.until {
        Some(Until::Instant(until)) => day_number(tz.to_datetime(until).date()),
        _ => 0,
    };

    // Without COUNT nothing before the window matters: start a little before it.
    let first_period = if rule.count.is_none() {
        let target = early_day;
        let (target_year, target_month, _) = civil_from_days(target);
        let periods = match rule.freq {
            Freq::Daily => (target - d0).div_euclid(interval),
            Freq::Weekly => (target - week0).div_euclid(7 * interval),
            Freq::Monthly => (target_year * 12 + target_month - 1 - month0).div_euclid(interval),
            Freq::Yearly => (target_year - y0).div_euclid(interval),
        };
        (periods - 1).max(0)
    } else {
        0
    };

    let mut emitted: u32 = 1;
    // (day number, date, index into `times`), in order.
    let mut candidates: Vec<(i64, Date, usize)> = Vec::new();
    let mut selected: Vec<(i64, Date, usize)> = Vec::new();
    let mut ranges: Vec<std::ops::Range<i64>> = Vec::new();
    for k in first_period..first_period.saturating_add(MAX_PERIODS) {
        let Some(step) = k.checked_mul(interval) else {
            return;
        };
        let (period_start, period_end) = match rule.freq {
            Freq::Daily => (d0 + step, d0 + step + 1),
            Freq::Weekly => (week0 + 7 * step, week0 + 7 * step + 7),
            Freq::Monthly => {
                let m = month0 + step;
                let (y, m) = (m.div_euclid(12), m.rem_euclid(12) + 1);
                let start = days_from_civil(y, m, 1);
                (start, start + days_in_month(y, m))
            }
            Freq::Yearly => {
                let y = y0 + step;
                (days_from_civil(y, 1, 1), days_from_civil(y + 1, 1, 1))
            }
        };
        if period_start > last_day || period_start >= END_OF_CIVIL_TIME {
            return;
        }

        // The days to test: the period's, or for YEARLY with BYMONTH only those months'.
        ranges.clear();
        if rule.freq == Freq::Yearly && !filter.by_month.is_empty() {
            let year = civil_from_days(period_start).0;
            ranges.extend(filter.by_month.iter().map(|&m| {
                let first = days_from_civil(year, m, 1);
                first..first + days_in_month(year, m)
            }));
        } else {
            ranges.push(period_start..period_end);
        }
        candidates.clear();
        for day in ranges.iter().flat_map(Clone::clone) {
            if !filter.weekday_allowed(day) {
                continue;
            }
            let ymd = civil_from_days(day);
            if filter.matches(day, ymd)
                && let Some(date) = date_from_civil(ymd)
            {
                candidates.extend((0..times.len()).map(|t| (day, date, t)));
            }
        }
        let chosen: &[(i64, Date, usize)] = if rule.by_set_pos.is_empty() {
            &candidates
        } else {
            selected.clear();
            let n = i64::try_from(candidates.len()).unwrap_or(i64::MAX);
            for &pos in &rule.by_set_pos {
                let index = if pos > 0 { pos - 1 } else { n + pos };
                if let Ok(index) = usize::try_from(index)
                    && let Some(&candidate) = candidates.get(index)
                {
                    selected.push(candidate);
                }
            }
            selected.sort_unstable();
            selected.dedup();
            &selected
        };

        for &(day, date, t) in chosen {
            let civil = date.to_datetime(times[t]);
            if civil <= start {
                continue;
            }
            let past_until = match rule.until {
                None => false,
                Some(Until::Instant(until)) => {
                    // A zone's offset moves by less than a day: only near UNTIL's own day
                    // does the instant itself need comparing.
                    day > until_day + 1
                        || (day >= until_day - 1
                            && tz.to_timestamp(civil).is_ok_and(|instant| instant > until))
                }
                Some(Until::Civil(until)) => civil > until,
                Some(Until::Date(until)) => date > until,
            };
            if past_until || rule.count.is_some_and(|c| emitted >= c) {
                return;
            }
            emitted += 1;
            if day < early_day {
                // Only counted (for COUNT): it ends before the window.
                continue;
            }
            let Ok(instant) = tz.to_timestamp(civil) else {
                continue;
            };
            if instant >= window.to {
                return;
            }
            out.push(Occurrence {
                civil,
                start: instant,
                end: None,
            });
        }
    }
}

/// The wall-clock times of day each matching day gets, sorted: `BYHOUR` × `BYMINUTE` ×
/// `BYSECOND`, each defaulting to `DTSTART`'s. All-day events only have midnight.
fn times_of_day(rule: &Rule, first: &Moment) -> Vec<Time> {
    let start = first.civil;
    if first.date_only {
        return vec![Time::midnight()];
    }
    let or_start = |list: &[i8], v: i8| {
        if list.is_empty() {
            vec![v]
        } else {
            list.to_vec()
        }
    };
    let hours = or_start(&rule.by_hour, start.hour());
    let minutes = or_start(&rule.by_minute, start.minute());
    let seconds = or_start(&rule.by_second, start.second());
    let mut times = Vec::with_capacity(hours.len() * minutes.len() * seconds.len());
    for &h in &hours {
        for &m in &minutes {
            for &s in &seconds {
                // The lists were checked against 0..=23 and 0..=59 when read.
                times.extend(Time::new(h, m, s, 0).ok());
            }
        }
    }
    times
}

// ---------------------------------------------------------------------------------------
// Day arithmetic (proleptic Gregorian, days since 1970-01-01; Monday = 0)
// ---------------------------------------------------------------------------------------

fn day_number(date: Date) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    )
}

fn date_from_number(day: i64) -> Option<Date> {
    date_from_civil(civil_from_days(day))
}

fn date_from_civil((y, m, d): (i64, i64, i64)) -> Option<Date> {
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday).
fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn zone(name: &str) -> TimeZone {
        jiff::tz::db().get(name).unwrap()
    }

    fn span(start: &str, end: &str) -> BusySpan {
        BusySpan {
            start: ts(start),
            end: ts(end),
        }
    }

    /// A calendar around `body`, whose lines are trimmed and joined with CRLF.
    fn cal(body: &str) -> String {
        let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n");
        for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str("END:VCALENDAR\r\n");
        out
    }

    fn busy(ics: &str, from: &str, to: &str, local: &str) -> Vec<BusySpan> {
        busy_spans(ics, ts(from), ts(to), &zone(local), &|_| false).unwrap()
    }

    const NOV_FROM: &str = "2026-11-01T00:00:00Z";
    const NOV_TO: &str = "2026-12-01T00:00:00Z";

    #[test]
    fn utc_timed_event() {
        let ics = cal("
            BEGIN:VEVENT
            UID:a
            DTSTAMP:20261001T000000Z
            DTSTART:20261103T180000Z
            DTEND:20261103T190000Z
            SUMMARY:Call
            END:VEVENT
            BEGIN:VEVENT
            UID:b
            DTSTART:20261203T180000Z
            DTEND:20261203T190000Z
            END:VEVENT
        ");
        let expected = vec![span("2026-11-03T18:00:00Z", "2026-11-03T19:00:00Z")];
        assert_eq!(busy(&ics, NOV_FROM, NOV_TO, "Europe/Berlin"), expected);
        // Overlapping the window's start or end: kept whole, not clipped.
        assert_eq!(
            busy(&ics, "2026-11-03T18:30:00Z", NOV_TO, "Europe/Berlin"),
            expected
        );
        assert_eq!(
            busy(&ics, NOV_FROM, "2026-11-03T18:30:00Z", "Europe/Berlin"),
            expected
        );
        // Touching the window only at its edges: not overlapping.
        assert!(busy(&ics, "2026-11-03T19:00:00Z", NOV_TO, "UTC").is_empty());
        assert!(busy(&ics, NOV_FROM, "2026-11-03T18:00:00Z", "UTC").is_empty());
        // An empty window.
        assert!(busy(&ics, NOV_TO, NOV_FROM, "UTC").is_empty());
    }

    #[test]
    fn tzid_event_in_another_zone_than_local() {
        let ics = cal("
            BEGIN:VEVENT
            UID:a
            DTSTART;TZID=America/New_York:20261103T090000
            DTEND;TZID=America/New_York:20261103T100000
            END:VEVENT
            BEGIN:VEVENT
            UID:b
            DTSTART;TZID=Asia/Tokyo:20261110T090000
            DTEND;TZID=Europe/Berlin:20261110T020000
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "Europe/Berlin"),
            vec![
                span("2026-11-03T14:00:00Z", "2026-11-03T15:00:00Z"),
                span("2026-11-10T00:00:00Z", "2026-11-10T01:00:00Z"),
            ]
        );
    }

    #[test]
    fn floating_event_is_read_in_local() {
        let ics = cal("
            BEGIN:VEVENT
            UID:a
            DTSTART:20261103T090000
            DTEND:20261103T100000
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "Europe/Berlin"),
            vec![span("2026-11-03T08:00:00Z", "2026-11-03T09:00:00Z")]
        );
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "America/New_York"),
            vec![span("2026-11-03T14:00:00Z", "2026-11-03T15:00:00Z")]
        );
    }

    #[test]
    fn all_day_events_block_local_days() {
        let ics = cal("
            BEGIN:VEVENT
            UID:single
            DTSTART;VALUE=DATE:20261103
            END:VEVENT
            BEGIN:VEVENT
            UID:multi
            DTSTART;VALUE=DATE:20261023
            DTEND;VALUE=DATE:20261026
            END:VEVENT
            BEGIN:VEVENT
            UID:end-as-start
            DTSTART;VALUE=DATE:20261110
            DTEND;VALUE=DATE:20261110
            END:VEVENT
        ");
        // Berlin: CEST (+2) until 2026-10-25, CET (+1) after.
        assert_eq!(
            busy(&ics, "2026-10-01T00:00:00Z", NOV_TO, "Europe/Berlin"),
            vec![
                span("2026-10-22T22:00:00Z", "2026-10-25T23:00:00Z"),
                span("2026-11-02T23:00:00Z", "2026-11-03T23:00:00Z"),
                span("2026-11-09T23:00:00Z", "2026-11-10T23:00:00Z"),
            ]
        );
        assert_eq!(
            busy(&ics, NOV_FROM, "2026-11-09T00:00:00Z", "America/New_York"),
            vec![span("2026-11-03T05:00:00Z", "2026-11-04T05:00:00Z")]
        );
    }

    #[test]
    fn transparent_and_cancelled_events_are_skipped() {
        let ics = cal("
            BEGIN:VEVENT
            UID:free
            DTSTART:20261103T180000Z
            DTEND:20261103T190000Z
            TRANSP:TRANSPARENT
            END:VEVENT
            BEGIN:VEVENT
            UID:cancelled
            DTSTART:20261104T180000Z
            DTEND:20261104T190000Z
            STATUS:CANCELLED
            END:VEVENT
            BEGIN:VEVENT
            UID:busy
            DTSTART:20261105T180000Z
            DTEND:20261105T190000Z
            STATUS:CONFIRMED
            TRANSP:OPAQUE
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "UTC"),
            vec![span("2026-11-05T18:00:00Z", "2026-11-05T19:00:00Z")]
        );
    }

    #[test]
    fn zero_length_events_block_nothing() {
        let ics = cal("
            BEGIN:VEVENT
            UID:point
            DTSTART:20261103T180000Z
            END:VEVENT
            BEGIN:VEVENT
            UID:same
            DTSTART:20261104T180000Z
            DTEND:20261104T180000Z
            END:VEVENT
            BEGIN:VEVENT
            UID:backwards
            DTSTART:20261105T180000Z
            DTEND:20261105T170000Z
            END:VEVENT
        ");
        assert!(busy(&ics, NOV_FROM, NOV_TO, "UTC").is_empty());
    }

    #[test]
    fn durations() {
        let ics = cal("
            BEGIN:VEVENT
            UID:exact
            DTSTART:20261103T180000Z
            DURATION:PT1H30M
            END:VEVENT
            BEGIN:VEVENT
            UID:nominal-day-across-dst
            DTSTART;TZID=America/New_York:20261031T120000
            DURATION:P1DT2H
            END:VEVENT
            BEGIN:VEVENT
            UID:week
            DTSTART:20261110T000000Z
            DURATION:P1W
            END:VEVENT
            BEGIN:VEVENT
            UID:all-day
            DTSTART;VALUE=DATE:20261024
            DURATION:P2D
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, "2026-10-01T00:00:00Z", NOV_TO, "Europe/Berlin"),
            vec![
                span("2026-10-23T22:00:00Z", "2026-10-25T23:00:00Z"),
                // 12:00 EDT + one day = 12:00 EST, then two hours.
                span("2026-10-31T16:00:00Z", "2026-11-01T19:00:00Z"),
                span("2026-11-03T18:00:00Z", "2026-11-03T19:30:00Z"),
                span("2026-11-10T00:00:00Z", "2026-11-17T00:00:00Z"),
            ]
        );
    }

    #[test]
    fn parse_duration_forms() {
        let d = |text: &str| parse_duration(text).map(|l| (l.days, l.exact.as_secs()));
        assert_eq!(d("PT1H30M"), Some((0, 5400)));
        assert_eq!(d("P1D"), Some((1, 0)));
        assert_eq!(d("P2W"), Some((14, 0)));
        assert_eq!(d("P1DT2H"), Some((1, 7200)));
        assert_eq!(d("P15DT5H0M20S"), Some((15, 18_020)));
        assert_eq!(d("+PT15M"), Some((0, 900)));
        assert_eq!(d("-PT15M"), Some((0, -900)));
        assert_eq!(d("P"), None);
        assert_eq!(d("PT"), None);
        assert_eq!(d("P1H"), None);
        assert_eq!(d("1H"), None);
    }

    #[test]
    fn weekly_rule_keeps_wall_clock_across_dst() {
        let ics = cal("
            BEGIN:VEVENT
            UID:weekly
            DTSTART;TZID=America/New_York:20261020T180000
            DTEND;TZID=America/New_York:20261020T190000
            RRULE:FREQ=WEEKLY
            END:VEVENT
        ");
        assert_eq!(
            busy(
                &ics,
                "2026-10-25T00:00:00Z",
                "2026-11-11T00:00:00Z",
                "Europe/Berlin"
            ),
            vec![
                span("2026-10-27T22:00:00Z", "2026-10-27T23:00:00Z"),
                span("2026-11-03T23:00:00Z", "2026-11-04T00:00:00Z"),
                span("2026-11-10T23:00:00Z", "2026-11-11T00:00:00Z"),
            ]
        );
    }

    #[test]
    fn count_includes_occurrences_before_the_window() {
        let ics = cal("
            BEGIN:VEVENT
            UID:count
            DTSTART:20261101T170000Z
            DTEND:20261101T180000Z
            RRULE:FREQ=DAILY;COUNT=5
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, "2026-11-04T00:00:00Z", NOV_TO, "UTC"),
            vec![
                span("2026-11-04T17:00:00Z", "2026-11-04T18:00:00Z"),
                span("2026-11-05T17:00:00Z", "2026-11-05T18:00:00Z"),
            ]
        );
        assert_eq!(busy(&ics, NOV_FROM, NOV_TO, "UTC").len(), 5);
    }

    #[test]
    fn until_is_inclusive() {
        let utc = cal("
            BEGIN:VEVENT
            UID:until
            DTSTART:20261101T170000Z
            DTEND:20261101T180000Z
            RRULE:FREQ=DAILY;UNTIL=20261103T170000Z
            END:VEVENT
        ");
        assert_eq!(
            busy(&utc, NOV_FROM, NOV_TO, "UTC"),
            vec![
                span("2026-11-01T17:00:00Z", "2026-11-01T18:00:00Z"),
                span("2026-11-02T17:00:00Z", "2026-11-02T18:00:00Z"),
                span("2026-11-03T17:00:00Z", "2026-11-03T18:00:00Z"),
            ]
        );
        // UNTIL in UTC for a zoned event: 2026-11-03 18:00 EST is 23:00Z, after 22:59:59Z.
        let zoned = cal("
            BEGIN:VEVENT
            UID:until
            DTSTART;TZID=America/New_York:20261101T180000
            DURATION:PT1H
            RRULE:FREQ=DAILY;UNTIL=20261103T225959Z
            END:VEVENT
        ");
        assert_eq!(
            busy(&zoned, NOV_FROM, NOV_TO, "UTC"),
            vec![
                span("2026-11-01T23:00:00Z", "2026-11-02T00:00:00Z"),
                span("2026-11-02T23:00:00Z", "2026-11-03T00:00:00Z"),
            ]
        );
        // A DATE UNTIL still includes occurrences on that date.
        let all_day = cal("
            BEGIN:VEVENT
            UID:until
            DTSTART;VALUE=DATE:20261101
            RRULE:FREQ=DAILY;UNTIL=20261102
            END:VEVENT
        ");
        assert_eq!(
            busy(&all_day, NOV_FROM, NOV_TO, "UTC"),
            vec![
                span("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
                span("2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z"),
            ]
        );
    }

    #[test]
    fn weekly_interval_with_several_days_depends_on_wkst() {
        // RFC 5545 3.8.5.3's example.
        let rule = |wkst: &str| {
            cal(&format!(
                "BEGIN:VEVENT
                UID:rfc
                DTSTART;TZID=America/New_York:19970805T090000
                DURATION:PT1H
                RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST={wkst}
                END:VEVENT"
            ))
        };
        let starts = |ics: &str| -> Vec<Timestamp> {
            busy(ics, "1997-08-01T00:00:00Z", "1997-10-01T00:00:00Z", "UTC")
                .iter()
                .map(|s| s.start)
                .collect()
        };
        assert_eq!(
            starts(&rule("MO")),
            vec![
                ts("1997-08-05T13:00:00Z"),
                ts("1997-08-10T13:00:00Z"),
                ts("1997-08-19T13:00:00Z"),
                ts("1997-08-24T13:00:00Z"),
            ]
        );
        assert_eq!(
            starts(&rule("SU")),
            vec![
                ts("1997-08-05T13:00:00Z"),
                ts("1997-08-17T13:00:00Z"),
                ts("1997-08-19T13:00:00Z"),
                ts("1997-08-31T13:00:00Z"),
            ]
        );
    }

    #[test]
    fn monthly_last_friday() {
        let ics = cal("
            BEGIN:VEVENT
            UID:last-friday
            DTSTART;TZID=Europe/Berlin:20260130T100000
            DURATION:PT1H
            RRULE:FREQ=MONTHLY;BYDAY=-1FR
            END:VEVENT
        ");
        assert_eq!(
            busy(
                &ics,
                "2026-01-01T00:00:00Z",
                "2026-05-01T00:00:00Z",
                "America/New_York"
            ),
            vec![
                span("2026-01-30T09:00:00Z", "2026-01-30T10:00:00Z"),
                span("2026-02-27T09:00:00Z", "2026-02-27T10:00:00Z"),
                span("2026-03-27T09:00:00Z", "2026-03-27T10:00:00Z"),
                span("2026-04-24T08:00:00Z", "2026-04-24T09:00:00Z"),
            ]
        );
    }

    #[test]
    fn monthly_day_31_skips_short_months() {
        let expected = vec![
            span("2026-01-31T12:00:00Z", "2026-01-31T13:00:00Z"),
            span("2026-03-31T12:00:00Z", "2026-03-31T13:00:00Z"),
            span("2026-05-31T12:00:00Z", "2026-05-31T13:00:00Z"),
            span("2026-07-31T12:00:00Z", "2026-07-31T13:00:00Z"),
        ];
        for rule in ["FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY"] {
            let ics = cal(&format!(
                "BEGIN:VEVENT
                UID:31
                DTSTART:20260131T120000Z
                DURATION:PT1H
                RRULE:{rule}
                END:VEVENT"
            ));
            assert_eq!(
                busy(&ics, "2026-01-01T00:00:00Z", "2026-08-01T00:00:00Z", "UTC"),
                expected,
                "{rule}"
            );
        }
        // Counting from the end: the last day of every month.
        let ics = cal("
            BEGIN:VEVENT
            UID:last
            DTSTART:20260131T120000Z
            DURATION:PT1H
            RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "UTC"),
            vec![
                span("2026-01-31T12:00:00Z", "2026-01-31T13:00:00Z"),
                span("2026-02-28T12:00:00Z", "2026-02-28T13:00:00Z"),
                span("2026-03-31T12:00:00Z", "2026-03-31T13:00:00Z"),
            ]
        );
    }

    #[test]
    fn yearly_rules() {
        // US Thanksgiving: the fourth Thursday of November.
        let thanksgiving = cal("
            BEGIN:VEVENT
            UID:thanksgiving
            DTSTART;TZID=America/New_York:20221124T120000
            DURATION:PT3H
            RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH
            END:VEVENT
        ");
        assert_eq!(
            busy(&thanksgiving, NOV_FROM, NOV_TO, "UTC"),
            vec![span("2026-11-26T17:00:00Z", "2026-11-26T20:00:00Z")]
        );
        // A 29 February birthday only falls in leap years.
        let leap = cal("
            BEGIN:VEVENT
            UID:leap
            DTSTART;VALUE=DATE:20240229
            RRULE:FREQ=YEARLY
            END:VEVENT
        ");
        assert_eq!(
            busy(&leap, "2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "UTC"),
            vec![
                span("2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"),
                span("2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z"),
            ]
        );
        // The 100th day of the year.
        let year_day = cal("
            BEGIN:VEVENT
            UID:yd
            DTSTART:20250410T080000Z
            DURATION:PT1H
            RRULE:FREQ=YEARLY;BYYEARDAY=100
            END:VEVENT
        ");
        assert_eq!(
            busy(
                &year_day,
                "2026-01-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
                "UTC"
            ),
            vec![span("2026-04-10T08:00:00Z", "2026-04-10T09:00:00Z")]
        );
    }

    #[test]
    fn bysetpos_last_workday_of_month() {
        let ics = cal("
            BEGIN:VEVENT
            UID:setpos
            DTSTART:20260130T160000Z
            DURATION:PT1H
            RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1
            END:VEVENT
        ");
        let starts: Vec<Timestamp> =
            busy(&ics, "2026-02-01T00:00:00Z", "2026-06-01T00:00:00Z", "UTC")
                .iter()
                .map(|s| s.start)
                .collect();
        assert_eq!(
            starts,
            vec![
                ts("2026-02-27T16:00:00Z"),
                ts("2026-03-31T16:00:00Z"),
                ts("2026-04-30T16:00:00Z"),
                ts("2026-05-29T16:00:00Z"),
            ]
        );
    }

    #[test]
    fn byhour_expands_within_the_day() {
        let ics = cal("
            BEGIN:VEVENT
            UID:hours
            DTSTART:20261102T090000Z
            DURATION:PT30M
            RRULE:FREQ=DAILY;BYHOUR=9,15;COUNT=3
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "UTC"),
            vec![
                span("2026-11-02T09:00:00Z", "2026-11-02T09:30:00Z"),
                span("2026-11-02T15:00:00Z", "2026-11-02T15:30:00Z"),
                span("2026-11-03T09:00:00Z", "2026-11-03T09:30:00Z"),
            ]
        );
    }

    #[test]
    fn dtstart_counts_even_when_off_rule() {
        // 2026-11-04 is a Wednesday; the rule wants Mondays.
        let ics = cal("
            BEGIN:VEVENT
            UID:off
            DTSTART:20261104T100000Z
            DURATION:PT1H
            RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "UTC"),
            vec![
                span("2026-11-04T10:00:00Z", "2026-11-04T11:00:00Z"),
                span("2026-11-09T10:00:00Z", "2026-11-09T11:00:00Z"),
            ]
        );
    }

    #[test]
    fn old_rules_without_count_jump_to_the_window() {
        let window = ("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z");
        let daily = |extra: &str| {
            cal(&format!(
                "BEGIN:VEVENT
                UID:old
                DTSTART:20000101T120000Z
                DURATION:PT1H
                RRULE:FREQ=DAILY;INTERVAL=3{extra}
                END:VEVENT"
            ))
        };
        let expected = vec![
            span("2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"),
            span("2026-11-04T12:00:00Z", "2026-11-04T13:00:00Z"),
            span("2026-11-07T12:00:00Z", "2026-11-07T13:00:00Z"),
        ];
        assert_eq!(busy(&daily(""), window.0, window.1, "UTC"), expected);
        // With a COUNT every occurrence since 2000 is generated: same result.
        assert_eq!(
            busy(&daily(";COUNT=40000"), window.0, window.1, "UTC"),
            expected
        );

        let biweekly = cal("
            BEGIN:VEVENT
            UID:old
            DTSTART;TZID=Europe/Berlin:20000103T090000
            DURATION:PT1H
            RRULE:FREQ=WEEKLY;INTERVAL=2
            END:VEVENT
        ");
        assert_eq!(
            busy(
                &biweekly,
                "2026-10-20T00:00:00Z",
                "2026-11-20T00:00:00Z",
                "UTC"
            ),
            vec![
                span("2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z"),
                span("2026-11-16T08:00:00Z", "2026-11-16T09:00:00Z"),
            ]
        );
    }

    #[test]
    fn long_occurrences_starting_before_the_window_are_kept() {
        // Every Monday (2026-01-05 is one) for three days.
        let ics = cal("
            BEGIN:VEVENT
            UID:long
            DTSTART:20260105T000000Z
            DURATION:P3D
            RRULE:FREQ=WEEKLY
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, "2026-11-04T12:00:00Z", "2026-11-05T00:00:00Z", "UTC"),
            vec![span("2026-11-02T00:00:00Z", "2026-11-05T00:00:00Z")]
        );
    }

    #[test]
    fn exdate_removes_occurrences() {
        let ics = cal("
            BEGIN:VEVENT
            UID:weekly
            DTSTART;TZID=America/New_York:20261027T180000
            DTEND;TZID=America/New_York:20261027T190000
            RRULE:FREQ=WEEKLY;COUNT=4
            EXDATE;TZID=America/New_York:20261103T180000
            EXDATE:20261110T230000Z,20991231T000000Z
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, "2026-10-01T00:00:00Z", NOV_TO, "UTC"),
            vec![
                span("2026-10-27T22:00:00Z", "2026-10-27T23:00:00Z"),
                span("2026-11-17T23:00:00Z", "2026-11-18T00:00:00Z"),
            ]
        );
        let all_day = cal("
            BEGIN:VEVENT
            UID:daily
            DTSTART;VALUE=DATE:20261103
            RRULE:FREQ=DAILY;COUNT=3
            EXDATE;VALUE=DATE:20261104
            END:VEVENT
        ");
        assert_eq!(
            busy(&all_day, NOV_FROM, NOV_TO, "Europe/Berlin"),
            vec![
                span("2026-11-02T23:00:00Z", "2026-11-03T23:00:00Z"),
                span("2026-11-04T23:00:00Z", "2026-11-05T23:00:00Z"),
            ]
        );
    }

    #[test]
    fn rdate_adds_occurrences() {
        let ics = cal("
            BEGIN:VEVENT
            UID:rdate
            DTSTART:20261103T180000Z
            DURATION:PT1H
            RDATE:20261105T180000Z,20261106T180000Z
            RDATE;VALUE=PERIOD:20261107T100000Z/PT2H,20261108T100000Z/20261108T103000Z
            EXDATE:20261106T180000Z
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "UTC"),
            vec![
                span("2026-11-03T18:00:00Z", "2026-11-03T19:00:00Z"),
                span("2026-11-05T18:00:00Z", "2026-11-05T19:00:00Z"),
                span("2026-11-07T10:00:00Z", "2026-11-07T12:00:00Z"),
                span("2026-11-08T10:00:00Z", "2026-11-08T10:30:00Z"),
            ]
        );
    }

    /// A weekly Tuesday 18:00 New York series, its `body` appended as further lines.
    fn weekly_with(overrides: &str) -> String {
        cal(&format!(
            "BEGIN:VEVENT
            UID:series
            DTSTART;TZID=America/New_York:20261027T180000
            DTEND;TZID=America/New_York:20261027T190000
            RRULE:FREQ=WEEKLY
            END:VEVENT
            {overrides}"
        ))
    }

    #[test]
    fn override_moves_an_instance() {
        let ics = weekly_with(
            "BEGIN:VEVENT
            UID:series
            RECURRENCE-ID;TZID=America/New_York:20261103T180000
            DTSTART;TZID=America/New_York:20261104T100000
            DTEND;TZID=America/New_York:20261104T113000
            END:VEVENT
            BEGIN:VEVENT
            UID:series
            RECURRENCE-ID:20261117T230000Z
            DTSTART;TZID=America/New_York:20261105T080000
            END:VEVENT
            BEGIN:VEVENT
            UID:series
            RECURRENCE-ID;TZID=America/New_York:20261110T180000
            DTSTART;TZID=America/New_York:20261210T180000
            DTEND;TZID=America/New_York:20261210T190000
            END:VEVENT",
        );
        assert_eq!(
            busy(&ics, NOV_FROM, "2026-11-24T00:00:00Z", "UTC"),
            vec![
                // 3 November moved to the 4th; 17 November (outside) moved in, with the
                // series' one hour; 10 November moved out.
                span("2026-11-04T15:00:00Z", "2026-11-04T16:30:00Z"),
                span("2026-11-05T13:00:00Z", "2026-11-05T14:00:00Z"),
            ]
        );
    }

    #[test]
    fn cancelled_override_removes_an_instance() {
        let ics = weekly_with(
            "BEGIN:VEVENT
            UID:series
            RECURRENCE-ID;TZID=America/New_York:20261103T180000
            DTSTART;TZID=America/New_York:20261103T180000
            DTEND;TZID=America/New_York:20261103T190000
            STATUS:CANCELLED
            END:VEVENT
            BEGIN:VEVENT
            UID:series
            RECURRENCE-ID;TZID=America/New_York:20261110T180000
            DTSTART;TZID=America/New_York:20261110T180000
            DTEND;TZID=America/New_York:20261110T190000
            TRANSP:TRANSPARENT
            END:VEVENT",
        );
        assert_eq!(
            busy(&ics, NOV_FROM, "2026-11-18T00:00:00Z", "UTC"),
            vec![span("2026-11-17T23:00:00Z", "2026-11-18T00:00:00Z")]
        );
    }

    #[test]
    fn override_matching_no_occurrence_stands_alone() {
        let ics = cal("
            BEGIN:VEVENT
            UID:orphan
            RECURRENCE-ID:20261103T180000Z
            DTSTART:20261104T180000Z
            DTEND:20261104T190000Z
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "UTC"),
            vec![span("2026-11-04T18:00:00Z", "2026-11-04T19:00:00Z")]
        );
    }

    #[test]
    fn all_day_override_matches_by_date() {
        let ics = cal("
            BEGIN:VEVENT
            UID:days
            DTSTART;VALUE=DATE:20261103
            RRULE:FREQ=DAILY;COUNT=2
            END:VEVENT
            BEGIN:VEVENT
            UID:days
            RECURRENCE-ID;VALUE=DATE:20261104
            DTSTART;VALUE=DATE:20261110
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "Europe/Berlin"),
            vec![
                span("2026-11-02T23:00:00Z", "2026-11-03T23:00:00Z"),
                span("2026-11-09T23:00:00Z", "2026-11-10T23:00:00Z"),
            ]
        );
    }

    #[test]
    fn skip_uid_ignores_events_and_their_overrides() {
        let ics = weekly_with(
            "BEGIN:VEVENT
            UID:series
            RECURRENCE-ID;TZID=America/New_York:20261103T180000
            DTSTART;TZID=America/New_York:20261104T100000
            DTEND;TZID=America/New_York:20261104T110000
            END:VEVENT
            BEGIN:VEVENT
            UID:booking-1@mentorhub
            DTSTART:20261105T100000Z
            DTEND:20261105T110000Z
            END:VEVENT",
        );
        let skip = |uid: &str| uid.ends_with("@mentorhub");
        let spans = busy_spans(
            &ics,
            ts(NOV_FROM),
            ts("2026-11-08T00:00:00Z"),
            &zone("UTC"),
            &skip,
        )
        .unwrap();
        assert_eq!(
            spans,
            vec![span("2026-11-04T15:00:00Z", "2026-11-04T16:00:00Z")]
        );
        let skip_series = |uid: &str| uid == "series";
        let spans = busy_spans(
            &ics,
            ts(NOV_FROM),
            ts("2026-11-08T00:00:00Z"),
            &zone("UTC"),
            &skip_series,
        )
        .unwrap();
        assert_eq!(
            spans,
            vec![span("2026-11-05T10:00:00Z", "2026-11-05T11:00:00Z")]
        );
    }

    #[test]
    fn folded_lines_quoted_params_and_lf_endings() {
        let ics = "BEGIN:VCALENDAR\r\n\
            VERSION:2.0\r\n\
            BEGIN:VEVENT\r\n\
            UID:fold\r\n\
            ORGANIZER;CN=\"Doe: Jane; Esq.\":mailto:jane@example.com\r\n\
            dtstart;X-NOTE=\"a:b;c,d\",other;tzid=\"America/\r\n New_York\":20261103T09\r\n\t0000\r\n\
            DtEnd;TZID=America/New_York:20261103T100000\r\n\
            END:VEVENT\r\n\
            END:VCALENDAR\r\n";
        let expected = vec![span("2026-11-03T14:00:00Z", "2026-11-03T15:00:00Z")];
        assert_eq!(busy(ics, NOV_FROM, NOV_TO, "UTC"), expected);
        let lf = ics.replace("\r\n", "\n");
        assert_eq!(busy(&lf, NOV_FROM, NOV_TO, "UTC"), expected);
    }

    #[test]
    fn parse_line_parts() {
        let prop = parse_line("DTSTART;TZID=\"A;b:c\";VALUE=DATE-TIME:2026:x").unwrap();
        assert_eq!(prop.name, "DTSTART");
        assert_eq!(prop.params, vec![("TZID", "A;b:c"), ("VALUE", "DATE-TIME")]);
        assert_eq!(prop.value, "2026:x");
        assert!(parse_line("no colon here").is_none());
        assert!(parse_line(":value").is_none());
        assert!(parse_line("X;P=\"unterminated:v").is_none());
    }

    #[test]
    fn only_direct_vevent_properties_count() {
        let ics = cal("
            BEGIN:VTIMEZONE
            TZID:America/New_York
            BEGIN:STANDARD
            DTSTART:19701101T020000
            RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
            TZOFFSETFROM:-0400
            TZOFFSETTO:-0500
            END:STANDARD
            END:VTIMEZONE
            BEGIN:VTODO
            UID:todo
            DTSTART:20261103T080000Z
            DUE:20261103T090000Z
            END:VTODO
            BEGIN:VEVENT
            UID:alarm
            DTSTART:20261103T180000Z
            BEGIN:VALARM
            ACTION:DISPLAY
            TRIGGER:-PT15M
            DURATION:PT5M
            REPEAT:2
            STATUS:CANCELLED
            DTSTART:20261101T000000Z
            END:VALARM
            DTEND:20261103T190000Z
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "UTC"),
            vec![span("2026-11-03T18:00:00Z", "2026-11-03T19:00:00Z")]
        );
        assert_eq!(uids(&ics), vec!["alarm".to_owned()]);
    }

    #[test]
    fn uids_lists_each_event_uid_once() {
        let ics = weekly_with(
            "BEGIN:VEVENT
            UID:series
            RECURRENCE-ID;TZID=America/New_York:20261103T180000
            DTSTART;TZID=America/New_York:20261104T100000
            END:VEVENT
            BEGIN:VEVENT
            UID:other@mentorhub
            DTSTART:20261105T100000Z
            END:VEVENT",
        );
        assert_eq!(
            uids(&ics),
            vec!["series".to_owned(), "other@mentorhub".to_owned()]
        );
        assert!(uids("").is_empty());
    }

    #[test]
    fn not_a_calendar_is_an_error() {
        let err = busy_spans(
            "BEGIN:VEVENT\r\nDTSTART:20261103T180000Z\r\nEND:VEVENT\r\n",
            ts(NOV_FROM),
            ts(NOV_TO),
            &TimeZone::UTC,
            &|_| false,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid iCalendar object: no BEGIN:VCALENDAR"
        );
        assert!(
            busy_spans(
                "<html></html>",
                ts(NOV_FROM),
                ts(NOV_TO),
                &TimeZone::UTC,
                &|_| false
            )
            .is_err()
        );
        // An empty calendar is fine.
        assert_eq!(busy(&cal(""), NOV_FROM, NOV_TO, "UTC"), vec![]);
    }

    #[test]
    fn malformed_start_skips_only_that_event() {
        let ics = cal("
            BEGIN:VEVENT
            UID:bad
            DTSTART:2026-11-03 18:00
            DTEND:20261103T190000Z
            END:VEVENT
            BEGIN:VEVENT
            UID:missing
            DTEND:20261103T190000Z
            END:VEVENT
            BEGIN:VEVENT
            UID:bad-month
            DTSTART:20261303T180000Z
            DURATION:PT1H
            END:VEVENT
            BEGIN:VEVENT
            UID:bad-end
            DTSTART:20261105T180000Z
            DTEND:tomorrow
            END:VEVENT
            BEGIN:VEVENT
            UID:good
            DTSTART:20261104T180000Z
            DTEND:20261104T190000Z
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "UTC"),
            vec![span("2026-11-04T18:00:00Z", "2026-11-04T19:00:00Z")]
        );
    }

    #[test]
    fn tzid_fallbacks() {
        let ics = cal("
            BEGIN:VEVENT
            UID:mozilla
            DTSTART;TZID=/mozilla.org/20050126_1/America/New_York:20261103T090000
            DURATION:PT1H
            END:VEVENT
            BEGIN:VEVENT
            UID:windows
            DTSTART;TZID=\"Eastern Standard Time\":20261104T090000
            DURATION:PT1H
            END:VEVENT
            BEGIN:VEVENT
            UID:windows-eu
            DTSTART;TZID=W. Europe Standard Time:20261105T090000
            DURATION:PT1H
            END:VEVENT
            BEGIN:VEVENT
            UID:unknown
            DTSTART;TZID=Nowhere Standard Time:20261106T090000
            DURATION:PT1H
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "Asia/Tokyo"),
            vec![
                span("2026-11-03T14:00:00Z", "2026-11-03T15:00:00Z"),
                span("2026-11-04T14:00:00Z", "2026-11-04T15:00:00Z"),
                span("2026-11-05T08:00:00Z", "2026-11-05T09:00:00Z"),
                // Unknown: read in local (Tokyo, +9).
                span("2026-11-06T00:00:00Z", "2026-11-06T01:00:00Z"),
            ]
        );
        assert!(resolve_tzid("Europe/Not_A_City").is_none());
    }

    #[test]
    fn nonsense_or_unsupported_rules_keep_only_dtstart() {
        for rule in [
            "FREQ=DAILY;INTERVAL=0",
            "INTERVAL=2",
            "FREQ=HOURLY",
            "FREQ=MINUTELY;COUNT=5",
            "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
            "FREQ=MONTHLY;BYMONTHDAY=32",
            "FREQ=WEEKLY;BYDAY=XX",
            "FREQ=DAILY;COUNT=0",
            "garbage",
        ] {
            let ics = cal(&format!(
                "BEGIN:VEVENT
                UID:x
                DTSTART:20261103T180000Z
                DURATION:PT1H
                RRULE:{rule}
                END:VEVENT"
            ));
            assert_eq!(
                busy(&ics, NOV_FROM, NOV_TO, "UTC"),
                vec![span("2026-11-03T18:00:00Z", "2026-11-03T19:00:00Z")],
                "{rule}"
            );
        }
    }

    #[test]
    fn runaway_rules_terminate() {
        for rule in [
            "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=10",
            "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30",
            "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31;COUNT=1000000",
            "FREQ=MONTHLY;BYDAY=5MO;BYMONTHDAY=1;BYMONTH=2;COUNT=3",
            "FREQ=DAILY;INTERVAL=999999999999",
            "FREQ=YEARLY;INTERVAL=999999999999;COUNT=4000000000",
        ] {
            let ics = cal(&format!(
                "BEGIN:VEVENT
                UID:x
                DTSTART:20261103T180000Z
                DURATION:PT1H
                RRULE:{rule}
                END:VEVENT"
            ));
            assert_eq!(
                busy(&ics, NOV_FROM, NOV_TO, "UTC"),
                vec![span("2026-11-03T18:00:00Z", "2026-11-03T19:00:00Z")],
                "{rule}"
            );
        }
    }

    #[test]
    fn dst_gap_and_fold_use_compatible_disambiguation() {
        let ics = cal("
            BEGIN:VEVENT
            UID:gap
            DTSTART:20260329T023000
            DURATION:PT1H
            END:VEVENT
            BEGIN:VEVENT
            UID:fold
            DTSTART:20261025T023000
            DURATION:PT1H
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, "2026-03-01T00:00:00Z", NOV_TO, "Europe/Berlin"),
            vec![
                // 02:30 does not exist: 03:30 CEST.
                span("2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z"),
                // 02:30 happens twice: the first, CEST.
                span("2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"),
            ]
        );
    }

    #[test]
    fn results_are_sorted_across_events() {
        let ics = cal("
            BEGIN:VEVENT
            UID:late
            DTSTART:20261120T100000Z
            DURATION:PT1H
            END:VEVENT
            BEGIN:VEVENT
            UID:early
            DTSTART:20261102T100000Z
            DURATION:PT1H
            RRULE:FREQ=WEEKLY;COUNT=2
            END:VEVENT
        ");
        assert_eq!(
            busy(&ics, NOV_FROM, NOV_TO, "UTC"),
            vec![
                span("2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z"),
                span("2026-11-09T10:00:00Z", "2026-11-09T11:00:00Z"),
                span("2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z"),
            ]
        );
    }

    #[test]
    fn day_arithmetic_round_trips() {
        for day in -800_000..800_000 {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            assert!((1..=days_in_month(y, m)).contains(&d));
        }
        assert_eq!(days_from_civil(10_000, 1, 1), END_OF_CIVIL_TIME);
        let date = Date::new(2026, 11, 3).unwrap();
        assert_eq!(date_from_number(day_number(date)), Some(date));
        // 2026-11-03 is a Tuesday.
        assert_eq!(weekday(day_number(date)), 1);
    }
}
