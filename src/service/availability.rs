//! A mentor's availability, free slots, and the cached "next free slot" discovery uses.

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::domain::availability::{OverrideIo, RuleIo};

use super::Ctx;
use crate::{
    domain::{
        availability::{
            self as av, Availability, Busy, DateOverride, Settings, SlotQuery, WeeklyRule,
        },
        mentor::MentorStatus,
        user::TimeZoneName,
    },
    error::{AppError, AppResult, FieldError, Validator},
    store::{self, availability::AvailabilityRow, users::UserRow},
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIo {
    pub min_notice_minutes: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub horizon_days: i64,
    pub slot_step_minutes: i64,
    /// 0: no daily limit.
    pub max_per_day: i64,
}

impl From<Settings> for SettingsIo {
    fn from(s: Settings) -> Self {
        SettingsIo {
            min_notice_minutes: s.min_notice_minutes,
            buffer_before_minutes: s.buffer_before_minutes,
            buffer_after_minutes: s.buffer_after_minutes,
            horizon_days: s.horizon_days,
            slot_step_minutes: s.slot_step_minutes,
            max_per_day: s.max_per_day,
        }
    }
}

impl From<SettingsIo> for Settings {
    fn from(s: SettingsIo) -> Self {
        Settings {
            min_notice_minutes: s.min_notice_minutes,
            buffer_before_minutes: s.buffer_before_minutes,
            buffer_after_minutes: s.buffer_after_minutes,
            horizon_days: s.horizon_days,
            slot_step_minutes: s.slot_step_minutes,
            max_per_day: s.max_per_day,
        }
    }
}

/// `GET/PUT /api/v1/me/availability`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityIo {
    /// IANA time zone the rules are in.
    pub timezone: String,
    pub weekly: Vec<RuleIo>,
    #[serde(default)]
    pub overrides: Vec<OverrideIo>,
    pub settings: SettingsIo,
}

struct Parsed {
    tz: TimeZoneName,
    weekly: Vec<WeeklyRule>,
    overrides: Vec<DateOverride>,
    settings: Settings,
}

/// What a new availability is checked against: the exception dates saved before and
/// the time now (exceptions are for today or later; see [`settle_past_exception`]).
struct Saved<'a> {
    dates: Vec<&'a str>,
    now: Timestamp,
}

fn parse(input: &AvailabilityIo, saved: Option<&Saved>) -> AppResult<Parsed> {
    let mut v = Validator::new();
    let tz = v.check(TimeZoneName::parse("timezone", &input.timezone));
    if input.weekly.len() > 50 {
        v.push(FieldError::new(
            "weekly",
            "too_many",
            "At most 50 weekly rules.",
        ));
    }
    if input.overrides.len() > 366 {
        v.push(FieldError::new(
            "overrides",
            "too_many",
            "At most 366 exceptions in all (one for each date a row covers): remove some.",
        ));
    }
    let mut weekly = vec![];
    for (i, r) in input.weekly.iter().enumerate().take(50) {
        let f = |n: &str| format!("weekly[{i}].{n}");
        let wd = v.check(av::parse_weekday(&f("weekday"), &r.weekday));
        let s = v.check(av::parse_hhmm(&f("start"), &r.start));
        let e = v.check(av::parse_hhmm(&f("end"), &r.end));
        if let (Some(weekday), Some(start), Some(end)) = (wd, s, e.map(|e| until_midnight(s, e))) {
            if end <= start {
                v.push(FieldError::new(
                    &f("end"),
                    "before_start",
                    "The end must be after the start. For hours past midnight, end them at 00:00 and go on from 00:00 the next day.",
                ));
            } else {
                // Hours of one day that overlap are surely a slip (two rows typed for
                // one stretch): said beside the later row, nothing saved.
                let clash = weekly
                    .iter()
                    .find(|w: &&WeeklyRule| w.weekday == weekday && w.start < end && start < w.end);
                if let Some(w) = clash {
                    v.push(FieldError::new(
                        &f("start"),
                        "overlaps",
                        format!(
                            "These hours overlap {}–{} on the same day: make them one, or change one.",
                            av::format_hhmm(w.start),
                            av::format_hhmm(w.end)
                        ),
                    ));
                }
                weekly.push(WeeklyRule {
                    weekday,
                    start,
                    end,
                });
            }
        }
    }
    let mut overrides = vec![];
    for (i, o) in input.overrides.iter().enumerate().take(366) {
        let f = |n: &str| format!("overrides[{i}].{n}");
        let date = v.check(o.date.trim().parse::<jiff::civil::Date>().map_err(|_| {
            FieldError::new(&f("date"), "invalid_date", "Use a date like 2026-03-02.")
        }));
        let window = match (
            o.start.as_deref().filter(|s| !s.is_empty()),
            o.end.as_deref().filter(|s| !s.is_empty()),
        ) {
            (None, None) => Some(None),
            (Some(s), Some(e)) => {
                let s = v.check(av::parse_hhmm(&f("start"), s));
                let e = v
                    .check(av::parse_hhmm(&f("end"), e))
                    .map(|e| until_midnight(s, e));
                match (s, e) {
                    (Some(s), Some(e)) if e > s => Some(Some((s, e))),
                    (Some(_), Some(_)) => {
                        v.push(FieldError::new(
                            &f("end"),
                            "before_start",
                            "The end must be after the start. For hours past midnight, end them at 00:00 and go on from 00:00 the next day.",
                        ));
                        None
                    }
                    _ => None,
                }
            }
            _ => {
                v.push(FieldError::new(
                    &f("start"),
                    "incomplete",
                    "Give both start and end, or neither.",
                ));
                None
            }
        };
        if o.available && matches!(window, Some(None)) {
            v.push(FieldError::new(
                &f("start"),
                "required",
                "Extra hours need a start and an end.",
            ));
            continue;
        }
        // A whole day off and hours on that same day say two things at once.
        if let (Some(d), Some(w)) = (date, window) {
            let off = |available: bool, window: &Option<(av::Minute, av::Minute)>| {
                !available && window.is_none()
            };
            let this_off = off(o.available, &w);
            let clash = overrides
                .iter()
                .any(|x: &DateOverride| x.date == d && off(x.available, &x.window) != this_off);
            if clash {
                let day = d.strftime("%a %-d %b %Y");
                v.push(FieldError::new(
                    &f("date"),
                    "conflicting_exceptions",
                    if this_off {
                        format!("{day} has hours in another exception: remove one of them.")
                    } else {
                        format!("{day} is a day off in another exception: remove one of them.")
                    },
                ));
                continue;
            }
        }
        if let (Some(date), Some(window)) = (date, window) {
            overrides.push(DateOverride {
                date,
                available: o.available,
                window,
            });
            if let (Some(tz), Some(saved)) = (&tz, saved) {
                settle_past_exception(&mut v, &mut overrides, i, tz, saved);
            }
        }
    }
    let settings: Settings = input.settings.into();
    let errors = av::check_settings(&settings);
    // Start times fall on multiples of five minutes (9:00, 9:15), not 9:07, 9:14:
    // asked of what is saved now (one saved before still loads).
    if saved.is_some()
        && settings.slot_step_minutes % 5 != 0
        && !errors
            .iter()
            .any(|e| e.field == "settings.slot_step_minutes")
    {
        v.push(FieldError::new(
            "settings.slot_step_minutes",
            "not_multiple_of_5",
            "The time between start times is a multiple of 5 minutes (such as 15, 30 or 60).",
        ));
    }
    for e in errors {
        v.push(e);
    }
    v.finish()?;
    let tz = tz.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("validator passed without a time zone"))
    })?;
    Ok(Parsed {
        tz,
        weekly,
        overrides,
        settings,
    })
}

fn to_io(row: &AvailabilityRow) -> AvailabilityIo {
    AvailabilityIo {
        timezone: row.timezone.clone(),
        weekly: row.weekly.clone(),
        overrides: row.overrides.clone(),
        settings: SettingsIo {
            min_notice_minutes: row.min_notice_minutes,
            buffer_before_minutes: row.buffer_before_minutes,
            buffer_after_minutes: row.buffer_after_minutes,
            horizon_days: row.horizon_days,
            slot_step_minutes: row.slot_step_minutes,
            max_per_day: row.max_per_day,
        },
    }
}

/// My availability (empty rules in my time zone until I set some).
pub async fn get(ctx: &Ctx, user: &UserRow) -> AppResult<AvailabilityIo> {
    Ok(
        match store::availability::get(&ctx.db.pool, &user.id).await? {
            Some(row) => to_io(&row),
            None => AvailabilityIo {
                timezone: user.timezone.clone(),
                weekly: vec![],
                overrides: vec![],
                settings: Settings::default().into(),
            },
        },
    )
}

/// Replaces my availability (mentors only).
pub async fn put(ctx: &Ctx, user: &UserRow, input: &AvailabilityIo) -> AppResult<AvailabilityIo> {
    let profile = store::mentors::profile(&ctx.db.pool, &user.id).await?;
    if profile.is_none_or(|p| p.status == MentorStatus::Draft) {
        return Err(AppError::forbidden(
            "Fill in your mentor profile first: availability belongs to mentors.",
        ));
    }
    let before = store::availability::get(&ctx.db.pool, &user.id).await?;
    let now = ctx.clock.now();
    let saved = Saved {
        dates: before
            .iter()
            .flat_map(|b| b.overrides.iter().map(|o| o.date.as_str()))
            .collect(),
        now,
    };
    let p = parse(input, Some(&saved))?;
    // Store the normalised form.
    let weekly: Vec<RuleIo> = p
        .weekly
        .iter()
        .map(|r| RuleIo {
            weekday: av::weekday_name(r.weekday).into(),
            start: av::format_hhmm(r.start),
            end: av::format_hhmm(r.end),
        })
        .collect();
    // Exceptions are kept in date order (the page lists them so), whatever order
    // they came in.
    let mut by_date: Vec<&DateOverride> = p.overrides.iter().collect();
    by_date.sort_by_key(|o| (o.date, o.window.map(|w| w.0)));
    // The same exception said twice (two holidays that overlap) is kept once.
    let mut kept: Vec<&DateOverride> = Vec::with_capacity(by_date.len());
    by_date.retain(|o| {
        let new = !kept.contains(o);
        if new {
            kept.push(o);
        }
        new
    });
    let overrides: Vec<OverrideIo> = by_date
        .into_iter()
        .map(|o| OverrideIo {
            date: o.date.to_string(),
            available: o.available,
            start: o.window.map(|w| av::format_hhmm(w.0)),
            end: o.window.map(|w| av::format_hhmm(w.1)),
        })
        .collect();
    let row = AvailabilityRow {
        mentor_id: user.id.to_string(),
        timezone: p.tz.as_str().to_string(),
        weekly,
        overrides,
        min_notice_minutes: p.settings.min_notice_minutes,
        buffer_before_minutes: p.settings.buffer_before_minutes,
        buffer_after_minutes: p.settings.buffer_after_minutes,
        horizon_days: p.settings.horizon_days,
        slot_step_minutes: p.settings.slot_step_minutes,
        max_per_day: p.settings.max_per_day,
        created_at: now,
        updated_at: now,
    };
    store::availability::put(&ctx.db.pool, &row).await?;
    if before.is_none_or(|b| b.timezone != row.timezone) {
        // All-day events block whole days of the mentor's zone: read them again in the
        // new one.
        super::calendars::read_again(ctx, &user.id).await?;
    }
    refresh_next_free(ctx, &user.id).await?;
    Ok(to_io(&row))
}

/// Exceptions are for today or later (in the availability's zone): a new one (the
/// last of `overrides`, sent as `overrides[i]`) for a date that has passed is refused
/// (`past_date`), and one saved before whose date has since passed is dropped (it no
/// longer changes anything, and the list would otherwise only grow).
fn settle_past_exception(
    v: &mut Validator,
    overrides: &mut Vec<DateOverride>,
    i: usize,
    tz: &TimeZoneName,
    saved: &Saved,
) {
    let Some(date) = overrides.last().map(|o| o.date) else {
        return;
    };
    let zone = TimeZone::get(tz.as_str()).unwrap_or(TimeZone::UTC);
    if date >= saved.now.to_zoned(zone).date() {
        return;
    }
    overrides.pop();
    if !saved.dates.contains(&date.to_string().as_str()) {
        v.push(FieldError::new(
            &format!("overrides[{i}].date"),
            "past_date",
            format!(
                "{} has passed: an exception is for today or a later date.",
                date.strftime("%a %-d %b %Y")
            ),
        ));
    }
}

/// One of the mentor's coming sessions that falls in time they have taken off.
#[derive(Debug, Clone)]
pub struct BookedInTimeOff {
    /// The booking's id, or the group session's.
    pub id: String,
    pub group: bool,
    pub title: String,
    /// Who booked it (a group session: empty).
    pub with: String,
    pub start_at: Timestamp,
    /// The exception's date, and whether it is a whole day off.
    pub date: jiff::civil::Date,
    pub day_off: bool,
}

/// The mentor's coming sessions (requested, accepted, or group sessions they lead)
/// that fall in a day off or a blocked window: an exception only stops new bookings,
/// so these stay booked until the mentor moves or cancels them. With the zone of the
/// availability, whose dates they are.
pub async fn booked_in_time_off(
    ctx: &Ctx,
    mentor_id: &str,
) -> AppResult<(TimeZone, Vec<BookedInTimeOff>)> {
    let Some(a) = load(ctx, mentor_id).await? else {
        return Ok((TimeZone::UTC, vec![]));
    };
    if a.overrides.iter().all(|o| o.available) {
        return Ok((a.tz, vec![]));
    }
    let now = ctx.clock.now();
    let pool = &ctx.db.pool;
    // (id, group, title, with whom, start, end) of each coming session they give.
    let bookings = store::dashboard::upcoming(pool, mentor_id, now, 500)
        .await?
        .into_iter()
        .filter(|b| !b.other_is_mentor)
        .map(|b| {
            let with = format!("{} {}", b.other_first_name, b.other_last_name);
            (b.id, false, b.title, with, b.start_at, b.end_at)
        });
    let groups = store::dashboard::upcoming_groups(pool, mentor_id, now, 500)
        .await?
        .into_iter()
        .filter(|g| g.leads)
        .map(|g| (g.id, true, g.title, String::new(), g.start_at, g.end_at));
    let mut found: Vec<BookedInTimeOff> = bookings
        .chain(groups)
        .filter_map(|(id, group, title, with, start_at, end_at)| {
            let off = av::time_off_during(&a, start_at, end_at)?;
            Some(BookedInTimeOff {
                id,
                group,
                title,
                with,
                start_at,
                date: off.date,
                day_off: off.window.is_none(),
            })
        })
        .collect();
    found.sort_by_key(|f| f.start_at);
    Ok((a.tz, found))
}

/// The domain form of a mentor's availability, if they set one.
pub async fn load(ctx: &Ctx, mentor_id: &str) -> AppResult<Option<Availability>> {
    let Some(row) = store::availability::get(&ctx.db.pool, mentor_id).await? else {
        return Ok(None);
    };
    Ok(Some(from_row(&row)?))
}

pub fn from_row(row: &AvailabilityRow) -> AppResult<Availability> {
    let io = to_io(row);
    let p = parse(&io, None)?;
    Ok(Availability {
        tz: TimeZone::get(p.tz.as_str()).unwrap_or(TimeZone::UTC),
        weekly: p.weekly,
        overrides: p.overrides,
        settings: p.settings,
    })
}

/// The longest range one slots query may cover.
pub const MAX_RANGE_DAYS: i64 = 62;

/// What to look for: free starts of `duration` minutes for a mentor in `[from, to)`,
/// ignoring booking `except` (the one being moved).
pub struct SlotAsk<'a> {
    pub mentor_id: &'a str,
    pub duration: i64,
    pub from: Timestamp,
    pub to: Timestamp,
    pub except: Option<&'a str>,
    /// A payment whose slot hold does not count (its own booking being placed).
    pub except_hold: Option<&'a str>,
}

/// How far around a range of starts the mentor's bookings matter for slots of
/// `duration` minutes: the slot and its buffers, and a whole (25-hour, for DST) day when
/// a daily limit counts the day's bookings.
pub fn busy_pad(a: &Availability, duration: i64) -> SignedDuration {
    let day = if a.settings.max_per_day > 0 {
        25 * 60
    } else {
        0
    };
    SignedDuration::from_mins(
        a.settings.buffer_before_minutes.max(0)
            + a.settings.buffer_after_minutes.max(0)
            + duration.max(0)
            + day,
    )
}

/// An end of `00:00` after a later start is midnight at the day's end (`24:00`): the
/// way a clock (and a browser's time field, which cannot show `24:00`) says "until
/// midnight".
fn until_midnight(start: Option<av::Minute>, end: av::Minute) -> av::Minute {
    if end == 0 && start.is_some_and(|s| s > 0) {
        24 * 60
    } else {
        end
    }
}

/// Free starts of `duration` minutes in `[from, to)` given the mentor's busy intervals
/// around that range (see [`busy_pad`]).
pub fn free_among(
    ctx: &Ctx,
    a: &Availability,
    busy: &[Busy],
    (from, to): (Timestamp, Timestamp),
    duration: i64,
) -> Vec<Timestamp> {
    av::free_slots(
        a,
        busy,
        &SlotQuery {
            from,
            to,
            duration_minutes: duration,
            now: ctx.clock.now(),
        },
    )
}

/// Free starts for `ask`, reading the mentor's live bookings through `exec` (inside the
/// caller's transaction when it must be exact, otherwise `ctx.db.generic`, whose
/// connections reuse the busy-time query's plan instead of planning it each time).
pub async fn free_starts(
    ctx: &Ctx,
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    a: &Availability,
    ask: &SlotAsk<'_>,
) -> AppResult<Vec<Timestamp>> {
    let pad = busy_pad(a, ask.duration);
    let busy = store::bookings::mentor_busy(
        exec,
        &store::bookings::BusyAsk {
            mentor_id: ask.mentor_id,
            from: ask.from - pad,
            to: ask.to + pad,
            except: ask.except,
            except_hold: ask.except_hold,
            now: ctx.clock.now(),
        },
    )
    .await?;
    Ok(free_among(ctx, a, &busy, (ask.from, ask.to), ask.duration))
}

/// A mentor's free starts for a `duration`-minute session in `[from, to)` (none
/// without availability), for a page that already checked the viewer may see them.
pub async fn free_starts_of(
    ctx: &Ctx,
    mentor_id: &str,
    duration: i64,
    (from, to): (Timestamp, Timestamp),
) -> AppResult<Vec<Timestamp>> {
    let Some(a) = load(ctx, mentor_id).await? else {
        return Ok(vec![]);
    };
    let ask = SlotAsk {
        mentor_id,
        duration,
        from,
        to,
        except: None,
        except_hold: None,
    };
    free_starts(ctx, &ctx.db.generic, &a, &ask).await
}

/// What a mentor's next days look like to mentees, for their own availability page:
/// the free starts of their shortest timed service and the busy times their own
/// calendars hold (`None` without availability or a timed service).
pub struct Preview {
    pub tz: TimeZone,
    pub duration: i64,
    pub slots: Vec<Timestamp>,
    pub calendar_busy: Vec<(Timestamp, Timestamp)>,
}

pub async fn preview(ctx: &Ctx, mentor: &UserRow, days: i64) -> AppResult<Option<Preview>> {
    let Some((a, duration)) = next_free_basis(ctx, &mentor.id).await? else {
        return Ok(None);
    };
    let from = ctx.now();
    let to = from + SignedDuration::from_hours(24 * days);
    let ask = SlotAsk {
        mentor_id: &mentor.id,
        duration,
        from,
        to,
        except: None,
        except_hold: None,
    };
    let slots = free_starts(ctx, &ctx.db.generic, &a, &ask).await?;
    let calendar_busy = super::calendars::busy_between(ctx, mentor, from, to).await?;
    Ok(Some(Preview {
        tz: a.tz,
        duration,
        slots,
        calendar_busy: super::calendars::merge(calendar_busy),
    }))
}

/// `GET /api/v1/mentors/{id}/slots` for a listed mentor and one of their timed services:
/// the service's length in minutes and its free start times.
pub async fn slots(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    mentor_id: &str,
    service_id: &str,
    from: Timestamp,
    to: Timestamp,
) -> AppResult<(i64, Vec<Timestamp>)> {
    store::discovery::visible_mentor(&ctx.db.pool, mentor_id, viewer.map(|v| v.id.as_str()))
        .await?
        .ok_or(AppError::NotFound)?;
    let service = super::mentors::offered_service(ctx, mentor_id, service_id)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "service_id",
                "not_found",
                "This mentor offers no such service.",
            )
        })?;
    if service.kind.is_review() {
        return Err(AppError::invalid(
            "service_id",
            "not_timed",
            "A review has a deadline, not time slots: book it directly.",
        ));
    }
    if to <= from {
        return Err(AppError::invalid(
            "to",
            "before_from",
            "`to` must come after `from`.",
        ));
    }
    if to.duration_since(from) > SignedDuration::from_hours(24 * MAX_RANGE_DAYS) {
        return Err(AppError::invalid(
            "to",
            "range_too_long",
            format!("Ask for at most {MAX_RANGE_DAYS} days at a time."),
        ));
    }
    let duration = service.duration_minutes;
    let Some(a) = load(ctx, mentor_id).await? else {
        return Ok((duration, vec![]));
    };
    let ask = SlotAsk {
        mentor_id,
        duration,
        from,
        to,
        except: None,
        except_hold: None,
    };
    Ok((duration, free_starts(ctx, &ctx.db.generic, &a, &ask).await?))
}

/// The mentor's availability and the length of their shortest timed service, which
/// "next free slot" is about (`None`: no availability or no timed service).
async fn next_free_basis(ctx: &Ctx, mentor_id: &str) -> AppResult<Option<(Availability, i64)>> {
    let Some(a) = load(ctx, mentor_id).await? else {
        return Ok(None);
    };
    let services = store::mentors::services_of(&ctx.db.pool, mentor_id, false).await?;
    Ok(services
        .iter()
        .filter(|s| !s.kind.is_review())
        .map(|s| s.duration_minutes)
        .min()
        .map(|d| (a, d)))
}

/// The first free slot at or after `from` within the horizon (a week at a time: the
/// first slot is usually close).
async fn first_free_from(
    ctx: &Ctx,
    mentor_id: &str,
    (a, duration): &(Availability, i64),
    from: Timestamp,
) -> AppResult<Option<Timestamp>> {
    let now = ctx.clock.now();
    let to = now + SignedDuration::from_hours(24 * a.settings.horizon_days.min(MAX_RANGE_DAYS));
    let mut from = from.max(now);
    while from < to {
        let until = (from + SignedDuration::from_hours(24 * 7)).min(to);
        let found = free_starts(
            ctx,
            &ctx.db.generic,
            a,
            &SlotAsk {
                mentor_id,
                duration: *duration,
                from,
                to: until,
                except: None,
                except_hold: None,
            },
        )
        .await?;
        if let Some(first) = found.first() {
            return Ok(Some(*first));
        }
        from = until;
    }
    Ok(None)
}

/// The first free slot of the mentor's shortest timed service, if any.
pub async fn next_free(ctx: &Ctx, mentor_id: &str) -> AppResult<Option<Timestamp>> {
    match next_free_basis(ctx, mentor_id).await? {
        Some(basis) => first_free_from(ctx, mentor_id, &basis, ctx.clock.now()).await,
        None => Ok(None),
    }
}

/// [`refresh_next_free`] after a change already stored (an approval, a service): a
/// failure is logged, not answered for a change that was made (the mentor's next
/// availability save or booking looks again).
pub async fn refresh_next_free_after(ctx: &Ctx, mentor_id: &str) {
    if let Err(e) = refresh_next_free(ctx, mentor_id).await {
        tracing::warn!(mentor_id, error = %e.detail(), "refreshing the next free slot failed");
    }
}

/// Recomputes and stores a mentor's next free slot (after anything that changes it).
pub async fn refresh_next_free(ctx: &Ctx, mentor_id: &str) -> AppResult<()> {
    let next = next_free(ctx, mentor_id).await?;
    store::availability::set_next_free(&mut *ctx.db.write_conn().await?, mentor_id, next).await?;
    ctx.discovery.invalidate();
    Ok(())
}

/// What happened to a mentor's time, so that the next free slot can be brought up to
/// date from the cached one without searching from now (which, for a mentor booked
/// far ahead, would walk past every booking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeChange {
    /// Time was taken (a booking, a move's new time): slots only disappeared, so the
    /// next free slot is at or after the cached one.
    Taken,
    /// `[start, end)` was freed (cancelled, declined, moved away): a slot near it may
    /// now come before the cached one.
    Freed(Timestamp, Timestamp),
}

/// Mentors whose cached next free slot a booking change may have moved. Bookings mark
/// them after their commit and go on; one background task brings every marked mentor
/// up to date and stores the results in one transaction, so a burst of bookings on one
/// mentor costs one refresh, not one each, and none runs on the request path. If the
/// process dies first, the maintenance sweep (`refresh_stale`) still catches a slot
/// that has passed.
#[derive(Debug, Default)]
pub struct NextFreeQueue {
    dirty: std::sync::Mutex<std::collections::BTreeMap<String, Vec<TimeChange>>>,
    running: std::sync::atomic::AtomicBool,
}

impl NextFreeQueue {
    fn take(&self) -> Vec<(String, Vec<TimeChange>)> {
        std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|e| e.into_inner()))
            .into_iter()
            .collect()
    }

    fn has_work(&self) -> bool {
        !self
            .dirty
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Whether nothing is marked or being refreshed.
    pub fn is_idle(&self) -> bool {
        !self.running.load(std::sync::atomic::Ordering::SeqCst) && !self.has_work()
    }
}

/// Marks a mentor's next free slot for an update in the background.
pub fn mark_next_free(ctx: &Ctx, mentor_id: &str, change: TimeChange) {
    use std::sync::atomic::Ordering;
    let q = &ctx.next_free;
    q.dirty
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(mentor_id.to_string())
        .or_default()
        .push(change);
    if q.running.swap(true, Ordering::SeqCst) {
        return; // the running task will see it
    }
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let q = ctx.next_free.clone();
        loop {
            // Let a burst of bookings gather into one update.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            let work = q.take();
            if !work.is_empty()
                && let Err(e) = update_many(&ctx, &work).await
            {
                tracing::warn!(error = %e, "updating next free slots failed; the sweep will retry");
            }
            q.running.store(false, Ordering::SeqCst);
            // A mark that came in after the last take: go on if no one else has.
            if !q.has_work() || q.running.swap(true, Ordering::SeqCst) {
                return;
            }
        }
    });
}

/// Waits (up to five seconds) until every marked next free slot has been updated.
/// For tests and for a graceful stop.
pub async fn settle(ctx: &Ctx) {
    for _ in 0..5000 {
        if ctx.next_free.is_idle() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// The next free slot after `changes`, from the cached one (`cached`).
async fn updated_next_free(
    ctx: &Ctx,
    mentor_id: &str,
    cached: Option<Timestamp>,
    changes: &[TimeChange],
) -> AppResult<Option<Timestamp>> {
    let Some(basis) = next_free_basis(ctx, mentor_id).await? else {
        return Ok(None);
    };
    let now = ctx.clock.now();
    let mut next = match cached {
        // Taken time cannot create a slot: nothing free stays nothing free.
        None => None,
        Some(c) if changes.contains(&TimeChange::Taken) => {
            first_free_from(ctx, mentor_id, &basis, c).await?
        }
        Some(c) => Some(c),
    };
    let day = SignedDuration::from_hours(24);
    for change in changes {
        let TimeChange::Freed(start, end) = *change else {
            continue;
        };
        // Freed time can open slots around it (buffers, the daily limit): look at the
        // days around it, never later than what is already known.
        let from = (start - day).max(now);
        let mut to = end + day;
        if let Some(n) = next {
            to = to.min(n);
        }
        if from >= to {
            continue;
        }
        let found = free_starts(
            ctx,
            &ctx.db.generic,
            &basis.0,
            &SlotAsk {
                mentor_id,
                duration: basis.1,
                from,
                to,
                except: None,
                except_hold: None,
            },
        )
        .await?;
        if let Some(first) = found.first() {
            next = Some(next.map_or(*first, |n| n.min(*first)));
        }
    }
    Ok(next)
}

async fn update_many(ctx: &Ctx, work: &[(String, Vec<TimeChange>)]) -> AppResult<()> {
    let mut found = Vec::with_capacity(work.len());
    for (id, changes) in work {
        let cached = store::availability::next_free_of(&ctx.db.pool, id).await?;
        let next = updated_next_free(ctx, id, cached, changes).await?;
        if next != cached {
            found.push((id, next));
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    let mut tx = ctx.db.begin_write().await?;
    for (id, next) in &found {
        store::availability::set_next_free(&mut *tx, id, *next).await?;
    }
    tx.commit().await?;
    ctx.discovery.invalidate();
    Ok(())
}

/// Refreshes mentors whose cached next slot has passed. Run by the maintenance loop.
pub async fn refresh_stale(ctx: &Ctx, batch: i64) -> AppResult<usize> {
    let ids = store::availability::stale_next_free(&ctx.db.pool, ctx.now(), batch).await?;
    for id in &ids {
        let next = next_free(ctx, id).await?;
        store::availability::set_next_free(&mut *ctx.db.write_conn().await?, id, next).await?;
    }
    if !ids.is_empty() {
        ctx.discovery.invalidate();
    }
    Ok(ids.len())
}
