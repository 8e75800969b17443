//! The mentor's availability editor: a day at a time (its hours, "+ add hours", and
//! Monday's hours copied to the other weekdays in one tick), date exceptions one row at
//! a time (a row with an "Until" date stands for every date from its first to its last,
//! such as a holiday; the API stores them one date each, and the page shows a run of
//! consecutive dates alike as one row again), the booking rules. Errors are said in
//! plain words beside the field they are about (and in a summary linking to it), never
//! as `weekly[2].end`.

use std::collections::HashMap;

use super::*;

pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
pub(super) const WINDOWS_PER_DAY: usize = 3;

/// One window of a day: its inputs are `{day}_start_{i}` and `{day}_end_{i}`.
pub struct WindowRow {
    pub start: String,
    pub end: String,
    /// An empty window after the day's first: folded behind "+ add hours" with script.
    pub spare: bool,
    pub error: Option<String>,
}

pub struct DayRow {
    pub name: String,
    pub label: String,
    pub windows: Vec<WindowRow>,
}

/// A date exception, or the same one on every date from `date` to `until`; the last
/// row is the empty one to add with.
pub struct OverrideRow {
    pub date: String,
    /// The last date of a run ("" for one date).
    pub until: String,
    pub kind: String,
    pub start: String,
    pub end: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings_availability.html")]
pub(super) struct AvailabilityPage {
    layout: Layout,
    show_services: bool,
    timezone: String,
    /// The zone of their profile (pages and times they read), when the hours are in
    /// another one ("" when the same).
    profile_zone: String,
    timezones: crate::http::web::Zones,
    days: Vec<DayRow>,
    overrides: Vec<OverrideRow>,
    /// The booking rules: (field, label, value, least, most).
    rules: Vec<(&'static str, &'static str, i64, i64, i64)>,
    /// Every error, for the summary: (input id, "Monday, hours 2: …").
    summary: Vec<(String, String)>,
    /// The booking rules' errors and the zone's, by field name.
    errors: FormErrors,
    /// The next two weeks as mentees see them, with the own calendar's busy times.
    preview: Vec<PreviewDay>,
    /// The length of the service the preview is for (minutes; 0: none).
    preview_minutes: i64,
    /// Calendars can be connected here (the preview's greyed times come from them).
    calendars_on: bool,
    /// Coming sessions that fall in time taken off: they stay booked.
    booked_off: Vec<BookedOffLine>,
}

/// A coming session in a day off or a blocked window, linked to where it can be moved
/// or cancelled.
pub struct BookedOffLine {
    pub href: String,
    pub title: String,
    pub with: String,
    pub when: String,
    /// "your day off on Thursday 10 December" / "the time you blocked on …".
    pub why: String,
}

/// The mentor's coming sessions in time they have taken off, in the saved
/// availability's zone (empty when they cannot be read: the page still shows).
async fn booked_off_of(state: &AppState, web: &WebCtx, me: &UserRow) -> Vec<BookedOffLine> {
    let Ok((tz, found)) = availability::booked_in_time_off(&state.ctx, &me.id).await else {
        return vec![];
    };
    found
        .into_iter()
        .map(|f| BookedOffLine {
            href: if f.group {
                format!("/group-sessions/{}", f.id)
            } else {
                format!("/bookings/{}", f.id)
            },
            title: f.title,
            with: if f.group {
                "group session".into()
            } else {
                format!("with {}", f.with)
            },
            when: web.when(f.start_at, &tz),
            why: crate::http::web::time_off_words(f.date, f.day_off),
        })
        .collect()
}

/// One day of the preview: its free start times, and the times the mentor's own
/// calendar keeps busy (shown greyed).
pub struct PreviewDay {
    pub label: String,
    pub slots: Vec<String>,
    pub busy: Vec<String>,
}

/// The next 14 days for the page (in the availability's zone), days with nothing shown.
async fn preview_of(state: &AppState, web: &WebCtx, me: &UserRow) -> (Vec<PreviewDay>, i64) {
    let Ok(Some(p)) = availability::preview(&state.ctx, me, 14).await else {
        return (vec![], 0);
    };
    let mut days: Vec<(jiff::civil::Date, PreviewDay)> = vec![];
    let day_of = |d: jiff::civil::Date, days: &mut Vec<(jiff::civil::Date, PreviewDay)>| {
        if let Some(i) = days.iter().position(|(k, _)| *k == d) {
            return i;
        }
        days.push((
            d,
            PreviewDay {
                label: d.strftime("%A %-d %B").to_string(),
                slots: vec![],
                busy: vec![],
            },
        ));
        days.len() - 1
    };
    for s in &p.slots {
        let z = s.to_zoned(p.tz.clone());
        let i = day_of(z.date(), &mut days);
        days[i].1.slots.push(web.clock_time(&z));
    }
    for (s, e) in &p.calendar_busy {
        let (mut s, e) = (s.to_zoned(p.tz.clone()), e.to_zoned(p.tz.clone()));
        // One line per local day it covers.
        while s < e {
            let Ok(next) = s.date().tomorrow().and_then(|d| d.to_zoned(p.tz.clone())) else {
                break;
            };
            let end = if e < next { e.clone() } else { next.clone() };
            let whole = s.time() == jiff::civil::Time::midnight() && end == next;
            let i = day_of(s.date(), &mut days);
            days[i].1.busy.push(if whole {
                "all day".to_string()
            } else {
                format!("{}–{}", web.clock_time(&s), web.clock_time(&end))
            });
            s = next;
        }
    }
    days.sort_by_key(|(d, _)| *d);
    (days.into_iter().map(|(_, d)| d).collect(), p.duration)
}

/// Where each entry of the sent lists is shown again: the day and place among its
/// windows of weekly rule `i`, the exception row of override `i` (a row with an
/// "Until" date sends one override a date), and the rows as they were filled in.
#[derive(Default)]
struct Origins {
    weekly: Vec<(String, usize)>,
    overrides: Vec<usize>,
    rows: Vec<OverrideRow>,
    /// Rows whose "Until" cannot be read: (row, message), said before anything is sent.
    until_errors: Vec<(usize, String)>,
}

/// The most dates one row may cover (the API keeps at most 366 exceptions).
const MAX_RUN_DAYS: i64 = 366;

/// An exception's kind as the page names it.
fn kind_of(o: &OverrideIo) -> &'static str {
    match (o.available, o.start.is_some() || o.end.is_some()) {
        (true, _) => "extra",
        (false, true) => "blocked",
        (false, false) => "off",
    }
}

/// The saved exceptions as rows: consecutive dates with the same kind and hours, one
/// after the other in the list, are one row from the first date until the last.
fn rows_of(overrides: &[OverrideIo]) -> Vec<OverrideRow> {
    let mut rows: Vec<OverrideRow> = vec![];
    let mut last: Option<(&OverrideIo, jiff::civil::Date)> = None;
    for o in overrides {
        let date = o.date.parse::<jiff::civil::Date>().ok();
        let follows = match (last, date) {
            (Some((prev, prev_date)), Some(d)) => {
                prev.available == o.available
                    && prev.start == o.start
                    && prev.end == o.end
                    && prev_date.tomorrow().ok() == Some(d)
            }
            _ => false,
        };
        match rows.last_mut() {
            Some(row) if follows => row.until = o.date.clone(),
            _ => rows.push(OverrideRow {
                date: o.date.clone(),
                until: String::new(),
                kind: kind_of(o).into(),
                start: o.start.clone().unwrap_or_default(),
                end: field_end(o.end.as_deref().unwrap_or_default()),
                error: None,
            }),
        }
        last = date.map(|d| (o, d));
    }
    rows
}

/// The dates a row covers: `date` alone, or each date to `until`; an "Until" that
/// cannot be read, is before the first date or makes the run too long is an error
/// (a first date that cannot be read is sent as it is, for the API to say so).
fn dates_of(date: &str, until: &str) -> Result<Vec<String>, String> {
    let Ok(first) = date.parse::<jiff::civil::Date>() else {
        return Ok(vec![date.to_string()]);
    };
    if until.is_empty() {
        return Ok(vec![date.to_string()]);
    }
    let Ok(last) = until.parse::<jiff::civil::Date>() else {
        return Err("Use a date like 2026-03-02 for the last day, or leave it empty.".into());
    };
    if last < first {
        return Err(format!(
            "The last day ({}) is before the first.",
            last.strftime("%a %-d %b %Y")
        ));
    }
    let days = first.until(last).map(|s| s.get_days()).unwrap_or(i32::MAX) as i64 + 1;
    if days > MAX_RUN_DAYS {
        return Err(format!(
            "One exception covers at most {MAX_RUN_DAYS} days; this one covers {days}."
        ));
    }
    Ok(first
        .series(jiff::Span::new().days(1))
        .take(days as usize)
        .map(|d| d.to_string())
        .collect())
}

fn rules_of(s: &SettingsIo) -> Vec<(&'static str, &'static str, i64, i64, i64)> {
    let ranged = |(field, label, value): (&'static str, &'static str, i64)| {
        let r = crate::domain::availability::setting_range(field);
        (
            field,
            label,
            value,
            r.map_or(0, |r| r.min),
            r.map_or(i64::MAX, |r| r.max),
        )
    };
    [
        (
            "min_notice_minutes",
            "Minimum notice (minutes)",
            s.min_notice_minutes,
        ),
        (
            "buffer_before_minutes",
            "Free time before each session (minutes)",
            s.buffer_before_minutes,
        ),
        (
            "buffer_after_minutes",
            "Free time after each session (minutes)",
            s.buffer_after_minutes,
        ),
        (
            "horizon_days",
            "Bookable up to (days ahead)",
            s.horizon_days,
        ),
        (
            "slot_step_minutes",
            "Start times every (minutes)",
            s.slot_step_minutes,
        ),
        (
            "max_per_day",
            "At most sessions per day (0: no limit)",
            s.max_per_day,
        ),
    ]
    .into_iter()
    .map(ranged)
    .collect()
}

fn label_of(day: &str) -> String {
    let mut label = day.to_string();
    label[..1].make_ascii_uppercase();
    label
}

/// An end as a time field shows it: midnight at the day's end (`24:00`, which the
/// field cannot show) as `00:00`, which saving reads back as midnight.
fn field_end(end: &str) -> String {
    if end == "24:00" {
        "00:00".into()
    } else {
        end.to_string()
    }
}

fn page_from(
    io: &AvailabilityIo,
    rows: Vec<OverrideRow>,
    errors: &HashMap<String, String>,
) -> (Vec<DayRow>, Vec<OverrideRow>) {
    let days = WEEKDAYS
        .iter()
        .map(|d| {
            let mut windows: Vec<WindowRow> = io
                .weekly
                .iter()
                .filter(|r| r.weekday == *d)
                .map(|r| WindowRow {
                    start: r.start.clone(),
                    end: field_end(&r.end),
                    spare: false,
                    error: None,
                })
                .collect();
            while windows.len() < WINDOWS_PER_DAY {
                let spare = !windows.is_empty();
                windows.push(WindowRow {
                    start: String::new(),
                    end: String::new(),
                    spare,
                    error: None,
                });
            }
            for (i, w) in windows.iter_mut().enumerate() {
                w.error = errors.get(&format!("{d}_{i}")).cloned();
                if w.error.is_some() {
                    w.spare = false;
                }
            }
            DayRow {
                name: d.to_string(),
                label: label_of(d),
                windows,
            }
        })
        .collect();
    let mut overrides = rows;
    overrides.push(OverrideRow {
        date: String::new(),
        until: String::new(),
        kind: "off".into(),
        start: String::new(),
        end: String::new(),
        error: None,
    });
    for (i, o) in overrides.iter_mut().enumerate() {
        o.error = errors.get(&format!("ov_{i}")).cloned();
    }
    (days, overrides)
}

/// The profile's zone when the weekly hours are in another one ("" otherwise).
fn other_zone(me: &crate::service::accounts::UserRow, hours_zone: &str) -> String {
    if me.timezone == hours_zone {
        String::new()
    } else {
        me.timezone.clone()
    }
}

pub(super) async fn availability_form(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    // Availability belongs to a mentor profile (a mentee following an old link is
    // taken to where one starts).
    if !crate::service::mentors::offers_services(&state.ctx, &me).await {
        return Ok(web.redirect_flash("/settings/mentor", "mentor_profile_first"));
    }
    let io = availability::get(&state.ctx, &me).await?;
    let (days, overrides) = page_from(&io, rows_of(&io.overrides), &HashMap::new());
    let (preview, preview_minutes) = preview_of(&state, &web, &me).await;
    let booked_off = booked_off_of(&state, &web, &me).await;
    Ok(web.render(
        &state,
        &AvailabilityPage {
            layout: web.layout(),
            show_services: true,
            timezone: io.timezone.clone(),
            profile_zone: other_zone(&me, &io.timezone),
            timezones: timezones(),
            days,
            overrides,
            rules: rules_of(&io.settings),
            summary: vec![],
            errors: FormErrors::default(),
            preview,
            preview_minutes,
            calendars_on: crate::service::calendars::enabled(&state.ctx),
            booked_off,
        },
    ))
}

/// Reads the editor's form into what the API takes, remembering where each entry came
/// from. Monday's hours go to the other weekdays when "copy" is ticked; exceptions
/// ticked for removal are left out.
fn read_form(form: &[(String, String)]) -> (AvailabilityIo, Origins) {
    // By name (the first of a name counts), so that a long form is read in one pass.
    let mut fields: HashMap<&str, &str> = HashMap::with_capacity(form.len());
    for (n, v) in form {
        fields.entry(n.as_str()).or_insert(v.as_str());
    }
    let get = |k: &str| {
        fields
            .get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let copy = !get("copy_weekdays").is_empty();
    let mut origins = Origins::default();
    let mut weekly = vec![];
    for d in WEEKDAYS {
        let from = if copy && ["tuesday", "wednesday", "thursday", "friday"].contains(&d) {
            "monday"
        } else {
            d
        };
        for i in 0..WINDOWS_PER_DAY {
            let (s, e) = (
                get(&format!("{from}_start_{i}")),
                get(&format!("{from}_end_{i}")),
            );
            if !s.is_empty() || !e.is_empty() {
                // Its place among the day's windows, as the page shows them again.
                let place = weekly.iter().filter(|r: &&RuleIo| r.weekday == d).count();
                weekly.push(RuleIo {
                    weekday: d.into(),
                    start: s,
                    end: e,
                });
                origins.weekly.push((d.to_string(), place));
            }
        }
    }
    let mut overrides = vec![];
    for i in 0..400 {
        let date = get(&format!("ov_date_{i}"));
        let until = get(&format!("ov_until_{i}"));
        let (s, e) = (get(&format!("ov_start_{i}")), get(&format!("ov_end_{i}")));
        // A row left blank is no exception; hours without a date are one that lacks
        // its date (refused, not dropped).
        if (date.is_empty() && until.is_empty() && s.is_empty() && e.is_empty())
            || !get(&format!("ov_remove_{i}")).is_empty()
        {
            continue;
        }
        let kind = get(&format!("ov_kind_{i}"));
        let kind = match kind.as_str() {
            "blocked" | "extra" => kind,
            _ => "off".to_string(),
        };
        // A blocked window keeps its hours even when left empty (`Some("")`), so that
        // it is refused as such rather than read as a day off.
        let keep = |x: &str| match kind.as_str() {
            "off" => None,
            "blocked" => Some(x.to_string()),
            _ => Some(x.to_string()).filter(|x| !x.is_empty()),
        };
        let row = origins.rows.len();
        match dates_of(&date, &until) {
            Ok(dates) => {
                for d in dates {
                    overrides.push(OverrideIo {
                        date: d,
                        available: kind == "extra",
                        start: keep(&s),
                        end: keep(&e),
                    });
                    origins.overrides.push(row);
                }
            }
            Err(message) => origins.until_errors.push((row, message)),
        }
        origins.rows.push(OverrideRow {
            date,
            until,
            kind,
            start: s,
            end: e,
            error: None,
        });
    }
    // A rule absent from the form keeps its default; one emptied on the page is no
    // number (refused with its range, not quietly reset).
    let num = |k: &str, default: i64| match fields.get(k) {
        None => default,
        Some(v) => v.trim().parse::<i64>().unwrap_or(-1),
    };
    let io = AvailabilityIo {
        timezone: get("timezone"),
        weekly,
        overrides,
        settings: SettingsIo {
            min_notice_minutes: num("min_notice_minutes", 0),
            buffer_before_minutes: num("buffer_before_minutes", 0),
            buffer_after_minutes: num("buffer_after_minutes", 0),
            horizon_days: num("horizon_days", 60),
            slot_step_minutes: num("slot_step_minutes", 30),
            max_per_day: num("max_per_day", 0),
        },
    };
    (io, origins)
}

/// What the page refuses before anything is sent: a blocked window whose hours were
/// left empty (an exception without hours is a whole day off, which the person did not
/// choose) and an "Until" that cannot be read. The fields are by row (`rows[i].…`).
fn refused_before_sending(origins: &Origins) -> Option<AppError> {
    let mut errors: Vec<crate::error::FieldError> = origins
        .rows
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind == "blocked" && (o.start.is_empty() || o.end.is_empty()))
        .map(|(i, o)| {
            crate::error::FieldError::new(
                &format!(
                    "rows[{i}].{}",
                    if o.start.is_empty() { "start" } else { "end" }
                ),
                "required",
                "Enter the hours to block, from and to, or choose a day off.",
            )
        })
        .collect();
    for (i, message) in &origins.until_errors {
        errors.push(crate::error::FieldError::new(
            &format!("rows[{i}].until"),
            "invalid_until",
            message.clone(),
        ));
    }
    (!errors.is_empty()).then_some(AppError::Invalid(errors))
}

/// The API's errors placed on the page: by window / exception row (keys `monday_1`,
/// `ov_0`), the summary's lines with the input each links to, and the rest by field
/// name (the zone, the booking rules).
fn place_errors(
    e: &AppError,
    origins: &Origins,
    io: &AvailabilityIo,
) -> (HashMap<String, String>, Vec<(String, String)>, FormErrors) {
    let mut at = HashMap::new();
    let mut summary = vec![];
    let mut rest = vec![];
    let AppError::Invalid(errs) = e else {
        return (at, summary, FormErrors::default());
    };
    // Exception `i` is shown again as the row it came from (removed rows are left out,
    // the kept ones come first, in order); a row is named once in the summary.
    for f in errs {
        match crate::http::web::forms::path_parts(&f.field) {
            Some(("weekly", i, name)) => {
                if let Some((day, w)) = origins.weekly.get(i) {
                    let input = if name == "start" { "start" } else { "end" };
                    at.entry(format!("{day}_{w}")).or_insert(f.message.clone());
                    summary.push((
                        format!("{day}_{input}_{w}"),
                        format!("{}, hours {}: {}", label_of(day), w + 1, f.message),
                    ));
                }
            }
            Some((list @ ("overrides" | "rows"), i, name)) => {
                // The row it came from, and the date it is about (a run's date that
                // has passed names that date, not the run's first).
                let (row, sent) = if list == "rows" {
                    (Some(i), None)
                } else {
                    (origins.overrides.get(i).copied(), io.overrides.get(i))
                };
                let Some((row, o)) = row.and_then(|r| Some((r, origins.rows.get(r)?))) else {
                    continue;
                };
                let key = format!("ov_{row}");
                if at.contains_key(&key) {
                    continue;
                }
                at.insert(key, f.message.clone());
                let date = sent.map_or(o.date.as_str(), |x| x.date.as_str());
                let input = match name {
                    "date" | "until" | "end" => name,
                    _ => "start",
                };
                let n = row + 1;
                summary.push((
                    format!("ov_{input}_{row}"),
                    match date.parse::<jiff::civil::Date>() {
                        // The message names the date already ("Wed 1 Jan 2020 has passed").
                        Ok(d) if f.message.contains(&d.strftime("%a %-d %b %Y").to_string()) => {
                            format!("Exception {n}: {}", f.message)
                        }
                        Ok(d) => format!(
                            "Exception {n} ({}): {}",
                            d.strftime("%a %-d %b %Y"),
                            f.message
                        ),
                        Err(_) => format!("Exception {n}: {}", f.message),
                    },
                ));
            }
            // The exceptions as a whole (too many dates): said at their first row.
            None if f.field == "overrides" => {
                summary.push((
                    "ov_date_0".to_string(),
                    format!("Exceptions: {}", f.message),
                ));
            }
            _ => {
                let name = f.field.strip_prefix("settings.").unwrap_or(&f.field);
                summary.push((name.to_string(), f.message.clone()));
                rest.push(crate::error::FieldError::new(
                    name,
                    &f.code,
                    f.message.clone(),
                ));
            }
        }
    }
    (
        at,
        summary,
        FormErrors::from_error(&AppError::Invalid(rest)),
    )
}

pub(super) async fn save_availability(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let csrf = form
        .iter()
        .find(|(n, _)| n == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    web.check_csrf(csrf)?;
    let (io, origins) = read_form(&form);
    let saved = match refused_before_sending(&origins) {
        Some(e) => Err(e),
        None => availability::put(&state.ctx, &me, &io).await,
    };
    Ok(match saved {
        Ok(_) => web.redirect_flash("/settings/availability", "availability_saved"),
        Err(e @ AppError::Invalid(_)) => {
            let (at, summary, errors) = place_errors(&e, &origins, &io);
            let (days, overrides) = page_from(&io, origins.rows, &at);
            let (preview, preview_minutes) = preview_of(&state, &web, &me).await;
            let booked_off = booked_off_of(&state, &web, &me).await;
            web.render_status(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &AvailabilityPage {
                    layout: web.layout(),
                    show_services: true,
                    timezone: io.timezone.clone(),
                    profile_zone: other_zone(&me, &io.timezone),
                    timezones: timezones(),
                    days,
                    overrides,
                    rules: rules_of(&io.settings),
                    summary,
                    errors,
                    preview,
                    preview_minutes,
                    calendars_on: crate::service::calendars::enabled(&state.ctx),
                    booked_off,
                },
            )
        }
        Err(e) => return Err(e.into()),
    })
}
