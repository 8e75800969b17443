//! A mentor's own calendars, both ways, over CalDAV.
//!
//! **Reading busy times.** A mentor connects an account (server address, user name,
//! app password); discovery finds its calendars, all of which count as busy until the
//! mentor says otherwise. The password is sealed with the operator's key
//! (`MENTORHUB_CALENDAR_KEY`, [`crate::domain::secret`]) and never shown again. The
//! busy intervals of the booking horizon (from a day ago to the horizon plus a week)
//! are read into `calendar_busy`: on connect and on "sync now", from the job queue
//! every [`Config::calendar_sync_interval`](crate::config::Config), and before a booking
//! is placed when the last read is older than `calendar_fresh_for`. A calendar whose
//! change token (`sync-token`, else `getctag`) is the one last seen, and whose last read
//! still covers the horizon, is not read again. Events are expanded here
//! ([`crate::domain::ical`]): free (`TRANSP:TRANSPARENT`) and cancelled events do not
//! block, all-day events block the mentor's whole local day, recurrences keep their
//! own zone's wall-clock time. Every slot listing, the next free slot and the booking
//! check itself read those intervals beside the bookings (`store::bookings::busy`),
//! with the mentor's buffers; they do not count toward the daily limit, which counts
//! sessions.
//!
//! **Failures.** A server that cannot be reached or refuses marks the connection
//! failing with the reason (shown on the settings page) and notifies the mentor once;
//! the last good busy times keep counting for `calendar_keep_stale` (72 hours by
//! default), so a booking is never let into time the last good read showed busy. After
//! that they are dropped and the mentor is told. Failing connections are tried again
//! every minute.
//!
//! **Writing bookings.** A mentor may choose one calendar to receive bookings: an
//! accepted timed booking is written there as one event resource named after the
//! booking (`mentorhub-<id>.ics`, UID `<id>@mentorhub`), so a retry overwrites instead of
//! duplicating; a pending request is written as `TENTATIVE` when the mentor opts in; a
//! move rewrites it; a cancel, decline or expiry removes it. The mentor's group
//! sessions are written the same way (`mentorhub-group-<id>.ics`), removed when
//! cancelled. The job queue does the
//! writing and retries until the server takes it. The event carries no `ORGANIZER` or
//! `ATTENDEE`, so a server that schedules (RFC 6638) sends no invitations of its own.
//! Our own events are recognised by their UID when busy times are read, so a booking
//! never blocks itself.

pub mod caldav;

use jiff::{SignedDuration, Timestamp};
use reqwest::Url;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Ctx, availability, events::Live, notify};
use crate::{
    domain::{ical, ids::new_id, secret},
    error::{AppError, AppResult, FieldError},
    store::{
        self,
        calendars::{BusyRead, CalendarRow, ConnectionRow, PushRow},
        users::UserRow,
    },
};
use caldav::{Dav, DavError};

/// `POST /api/v1/me/calendars`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectInput {
    /// The CalDAV server's address: the account's URL, or just the server's (found
    /// through `/.well-known/caldav`). API.md's name `url` is taken too.
    #[serde(alias = "url")]
    pub server_url: String,
    pub username: String,
    /// An app password (stored encrypted, never shown again).
    pub password: String,
}

/// `PATCH /api/v1/me/calendars/{id}`: a connection's settings.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    /// Write pending requests too, as tentative events.
    pub write_tentative: Option<bool>,
}

/// `PATCH /api/v1/me/calendars/{id}/calendars/{calendar_id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarPatch {
    /// Its events make the mentor busy.
    pub busy: Option<bool>,
    /// Bookings are written to it (only one calendar of a person at a time; `false`
    /// stops writing there).
    pub target: Option<bool>,
}

/// A connected account as its owner sees it (never the password).
#[derive(Debug, Clone)]
pub struct ConnectionView {
    pub id: String,
    pub server_url: String,
    pub username: String,
    /// `ok` or `failing`.
    pub status: String,
    /// Why the last read failed (empty when fine).
    pub last_error: String,
    pub last_attempt_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub failing_since: Option<Timestamp>,
    pub write_tentative: bool,
    pub calendars: Vec<CalendarView>,
}

#[derive(Debug, Clone)]
pub struct CalendarView {
    pub id: String,
    pub name: String,
    pub color: String,
    pub url: String,
    pub busy: bool,
    pub target: bool,
    /// Events found in its last read.
    pub events: i64,
}

fn view(c: ConnectionRow, cals: &[CalendarRow]) -> ConnectionView {
    ConnectionView {
        calendars: cals
            .iter()
            .filter(|k| k.connection_id == c.id)
            .map(|k| CalendarView {
                id: k.id.clone(),
                name: k.name.clone(),
                color: k.color.clone(),
                url: k.url.clone(),
                busy: k.busy,
                target: k.target,
                events: k.events,
            })
            .collect(),
        id: c.id,
        server_url: c.server_url,
        username: c.username,
        status: c.status,
        last_error: c.last_error,
        last_attempt_at: c.last_attempt_at,
        last_success_at: c.last_success_at,
        failing_since: c.failing_since,
        write_tentative: c.write_tentative,
    }
}

/// Whether the operator set a key (and so connecting calendars is on).
pub fn enabled(ctx: &Ctx) -> bool {
    ctx.config.calendar_key.is_some()
}

fn key(ctx: &Ctx) -> AppResult<&[u8; 32]> {
    ctx.config.calendar_key.as_ref().ok_or_else(|| AppError::Unavailable {
        code: "calendars_off",
        detail: "Connecting calendars is switched off on this server: its operator has not set MENTORHUB_CALENDAR_KEY.".into(),
    })
}

/// The user's connections with their calendars.
pub async fn list(ctx: &Ctx, user: &UserRow) -> AppResult<Vec<ConnectionView>> {
    let conns = store::calendars::connections_of(&ctx.db.pool, &user.id).await?;
    let cals = store::calendars::calendars_of(&ctx.db.pool, &user.id).await?;
    Ok(conns.into_iter().map(|c| view(c, &cals)).collect())
}

async fn one(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ConnectionView> {
    list(ctx, user)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)
}

async fn owned(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ConnectionRow> {
    store::calendars::connection(&ctx.db.pool, id)
        .await?
        .filter(|c| c.user_id == user.id)
        .ok_or(AppError::NotFound)
}

/// Most connections one person may have.
pub const MAX_CONNECTIONS: usize = 5;

fn dav_problem(e: DavError) -> AppError {
    match e {
        DavError::Refused(why) => AppError::invalid("password", "refused", why),
        DavError::Unreachable(why) => AppError::invalid("server_url", "unreachable", why),
        DavError::NotCalDav(why) => AppError::invalid("server_url", "not_caldav", why),
        DavError::Forbidden(why) => AppError::invalid("server_url", "not_allowed", why),
    }
}

/// Connects a CalDAV account: checks the input, finds the calendars (all count as
/// busy), stores the password sealed, and queues the first read.
pub async fn connect(ctx: &Ctx, user: &UserRow, input: &ConnectInput) -> AppResult<ConnectionView> {
    let key = key(ctx)?;
    if store::mentors::profile(&ctx.db.pool, &user.id)
        .await?
        .is_none()
    {
        return Err(AppError::forbidden(
            "Calendars are for mentors: create your mentor profile first.",
        ));
    }
    let mut v = crate::error::Validator::new();
    let url = input.server_url.trim();
    let parsed = if url.is_empty() || url.len() > 500 {
        v.push(FieldError::new(
            "server_url",
            "invalid",
            "Give the server's address (at most 500 characters).",
        ));
        None
    } else {
        match Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Some(u),
            _ => {
                v.push(FieldError::new(
                    "server_url",
                    "invalid",
                    "Give an address starting with https://.",
                ));
                None
            }
        }
    };
    if input.username.trim().is_empty() || input.username.len() > 200 {
        v.push(FieldError::new(
            "username",
            "invalid",
            "Give the account's user name (at most 200 characters).",
        ));
    }
    if input.password.is_empty() || input.password.len() > 500 {
        v.push(FieldError::new(
            "password",
            "invalid",
            "Give the account's (app) password.",
        ));
    }
    v.finish()?;
    let Some(server) = parsed else {
        return Err(AppError::invalid(
            "server_url",
            "invalid",
            "Give the server's address.",
        ));
    };
    if store::calendars::connections_of(&ctx.db.pool, &user.id)
        .await?
        .len()
        >= MAX_CONNECTIONS
    {
        return Err(AppError::conflict(
            "too_many_calendars",
            format!("You can connect at most {MAX_CONNECTIONS} calendar accounts."),
        ));
    }
    let username = input.username.trim();
    let dav = Dav {
        http: &ctx.dav_http,
        username,
        password: &input.password,
        allow_private: ctx.config.calendar_allow_private,
    };
    let (home, found) = dav.discover(&server).await.map_err(dav_problem)?;
    let id = new_id();
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    // Checked again under the mentor's row lock: connects sent at once (a double
    // click, a retry) neither pass the limit nor connect one account twice.
    store::bookings::lock_users(&mut tx, ctx.db.backend, &[user.id.to_string()]).await?;
    let existing = store::calendars::connections_of(&mut *tx, &user.id).await?;
    if existing.len() >= MAX_CONNECTIONS {
        return Err(AppError::conflict(
            "too_many_calendars",
            format!("You can connect at most {MAX_CONNECTIONS} calendar accounts."),
        ));
    }
    if existing
        .iter()
        .any(|c| c.home_url == home.as_str() && c.username == username)
    {
        return Err(AppError::conflict(
            "calendar_connected",
            "This calendar account is already connected.",
        ));
    }
    store::calendars::insert_connection(
        &mut tx,
        &store::calendars::NewConnection {
            id: &id,
            user_id: &user.id,
            server_url: server.as_str(),
            username,
            password_sealed: &secret::seal(key, &id, &input.password),
            home_url: home.as_str(),
            now,
        },
    )
    .await?;
    for c in &found {
        store::calendars::upsert_calendar(
            &mut tx,
            &new_id(),
            &id,
            &user.id,
            &c.url,
            &c.name,
            &c.color,
            now,
        )
        .await?;
    }
    queue_read(&mut tx, &id, None, now).await?;
    tx.commit().await?;
    one(ctx, user, &id).await
}

/// Changes a connection's settings.
pub async fn update_connection(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    patch: &ConnectionPatch,
) -> AppResult<ConnectionView> {
    let c = owned(ctx, user, id).await?;
    if let Some(on) = patch.write_tentative {
        let now = ctx.now();
        let mut tx = ctx.db.begin_write().await?;
        store::calendars::set_write_tentative(&mut tx, &c.id, on, now).await?;
        queue_pushes(&mut tx, &user.id, now).await?;
        tx.commit().await?;
    }
    one(ctx, user, id).await
}

/// Queues a write of each live upcoming booking and group session of the mentor
/// (after a change of where or what is written).
async fn queue_pushes(tx: &mut store::Tx, mentor_id: &str, now: Timestamp) -> AppResult<()> {
    for b in store::calendars::live_bookings_of(&mut **tx, mentor_id, now, 500).await? {
        store::calendars::enqueue_push(tx, &b, mentor_id, now).await?;
    }
    for g in store::calendars::live_groups_of(&mut **tx, mentor_id, now, 500).await? {
        store::calendars::enqueue_push_group(tx, &g, mentor_id, now).await?;
    }
    Ok(())
}

/// Chooses whether a calendar counts as busy and whether bookings are written to it.
pub async fn update_calendar(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    calendar_id: &str,
    patch: &CalendarPatch,
) -> AppResult<ConnectionView> {
    let c = owned(ctx, user, id).await?;
    let cal = store::calendars::calendars_in(&ctx.db.pool, &c.id)
        .await?
        .into_iter()
        .find(|k| k.id == calendar_id)
        .ok_or(AppError::NotFound)?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    if let Some(busy) = patch.busy.filter(|b| *b != cal.busy) {
        store::calendars::set_busy(&mut tx, &cal.id, busy, now).await?;
        if busy {
            queue_read(&mut tx, &c.id, None, now).await?;
        }
    }
    if let Some(target) = patch.target.filter(|t| *t != cal.target) {
        let to = target.then_some(cal.id.as_str());
        store::calendars::set_target(&mut tx, &user.id, to, now).await?;
        queue_pushes(&mut tx, &user.id, now).await?;
    }
    tx.commit().await?;
    if patch.busy == Some(false) && cal.busy {
        availability::refresh_next_free(ctx, &user.id).await?;
    }
    one(ctx, user, id).await
}

/// Disconnects an account: its calendars and busy times are forgotten at once (events
/// already written stay in the calendar; mentorhub can no longer reach it).
pub async fn disconnect(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<()> {
    let c = owned(ctx, user, id).await?;
    let mut tx = ctx.db.begin_write().await?;
    store::calendars::delete_connection(&mut tx, &c.id).await?;
    tx.commit().await?;
    availability::refresh_next_free(ctx, &user.id).await?;
    Ok(())
}

/// Queues a read of a connection's calendars (once per `dedupe` key, when given).
async fn queue_read(
    tx: &mut store::Tx,
    connection_id: &str,
    dedupe: Option<&str>,
    now: Timestamp,
) -> AppResult<()> {
    let job = super::jobs::Job::CalendarSync {
        connection_id: connection_id.to_string(),
    };
    super::jobs::enqueue(tx, &job, now, dedupe, now).await
}

/// Queues a full read of every calendar of the user (their zone changed: all-day
/// events cover other hours now), whatever the change tokens say.
pub async fn read_again(ctx: &Ctx, user_id: &str) -> AppResult<()> {
    let conns = store::calendars::connections_of(&ctx.db.pool, user_id).await?;
    if conns.is_empty() {
        return Ok(());
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    for c in &conns {
        store::calendars::forget_tokens(&mut tx, &c.id).await?;
        queue_read(&mut tx, &c.id, None, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Forgets everything read from the user's calendars and their connections (closing
/// the account): passwords, busy times, the record of written events.
pub async fn erase_user(tx: &mut store::Tx, user_id: &str) -> AppResult<()> {
    for c in store::calendars::connections_of(&mut **tx, user_id).await? {
        store::calendars::delete_connection(tx, &c.id).await?;
    }
    store::calendars::erase_pushes_of(tx, user_id).await?;
    Ok(())
}

/// "Sync now": finds the account's calendars again (new ones count as busy) and reads
/// them at once; the answer shows the outcome.
/// Reads every calendar account of the person again now (`POST
/// /api/v1/me/calendars/sync`), one after the other, and lists them with how each went.
pub async fn resync_all(ctx: &Ctx, user: &UserRow) -> AppResult<Vec<ConnectionView>> {
    for c in store::calendars::connections_of(&ctx.db.pool, &user.id).await? {
        resync(ctx, user, &c.id).await?;
    }
    list(ctx, user).await
}

pub async fn resync(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ConnectionView> {
    let c = owned(ctx, user, id).await?;
    if let Ok(password) = password_of(ctx, &c)
        && let Ok(home) = Url::parse(&c.home_url)
        && let Ok(found) = dav_of(ctx, &c, &password).calendars(&home).await
    {
        let now = ctx.now();
        let mut tx = ctx.db.begin_write().await?;
        for k in &found {
            store::calendars::upsert_calendar(
                &mut tx,
                &new_id(),
                &c.id,
                &user.id,
                &k.url,
                &k.name,
                &k.color,
                now,
            )
            .await?;
        }
        tx.commit().await?;
    }
    sync_connection(ctx, &c, true).await?;
    one(ctx, user, id).await
}

fn password_of(ctx: &Ctx, c: &ConnectionRow) -> Result<String, DavError> {
    let key = ctx.config.calendar_key.as_ref().ok_or_else(|| {
        DavError::Refused(
            "This server has no calendar key any more (MENTORHUB_CALENDAR_KEY).".into(),
        )
    })?;
    secret::open(key, &c.id, &c.password_sealed).ok_or_else(|| {
        DavError::Refused(
            "The stored password cannot be read with this server's calendar key (was it changed?): disconnect and connect again."
                .into(),
        )
    })
}

fn dav_of<'a>(ctx: &'a Ctx, c: &'a ConnectionRow, password: &'a str) -> Dav<'a> {
    Dav {
        http: &ctx.dav_http,
        username: &c.username,
        password,
        allow_private: ctx.config.calendar_allow_private,
    }
}

/// The job: reads a connection's busy calendars (nothing when it was disconnected).
pub async fn sync(ctx: &Ctx, connection_id: &str) -> AppResult<()> {
    let Some(c) = store::calendars::connection(&ctx.db.pool, connection_id).await? else {
        return Ok(());
    };
    sync_connection(ctx, &c, false).await
}

/// Reads what needs reading, records the outcome, tells the mentor of a new failure,
/// and brings their next free slot up to date when busy times changed.
async fn sync_connection(ctx: &Ctx, c: &ConnectionRow, force: bool) -> AppResult<()> {
    let outcome = read_calendars(ctx, c, force).await?;
    let now = ctx.now();
    match &outcome {
        Ok(_) => {
            store::calendars::mark_sync(&mut *ctx.db.write_conn().await?, &c.id, Ok(()), now)
                .await?
        }
        Err(e) => {
            let why = e.to_string();
            let mut live = Live::new();
            let mut tx = ctx.db.begin_write().await?;
            store::calendars::mark_sync(&mut *tx, &c.id, Err(&why), now).await?;
            if c.status == "ok" {
                let body = format!(
                    "{why} Its last good busy times keep counting for {} hours; after that, bookings can land on them. Check the connection in your calendar settings.",
                    ctx.config.calendar_keep_stale.as_secs() / 3600
                );
                tell(
                    ctx,
                    &mut tx,
                    c,
                    "Your calendar cannot be read",
                    &body,
                    &mut live,
                )
                .await?;
            }
            tx.commit().await?;
            live.publish(ctx).await;
        }
    }
    if matches!(outcome, Ok(true)) {
        availability::refresh_next_free(ctx, &c.user_id).await?;
    }
    Ok(())
}

async fn tell(
    ctx: &Ctx,
    tx: &mut store::Tx,
    c: &ConnectionRow,
    title: &str,
    body: &str,
    live: &mut Live,
) -> AppResult<()> {
    let Some(user) = store::users::by_id(&mut **tx, &c.user_id).await? else {
        return Ok(());
    };
    notify::notify(
        ctx,
        tx,
        &notify::Note {
            reader: None,
            user_id: &user.id,
            email: &user.email,
            kind: notify::CALENDAR_FAILING,
            title: title.to_string(),
            body: body.to_string(),
            link: "/settings/calendars".into(),
            related_id: Some(&c.id),
            ics: None,
        },
        ctx.now(),
        live,
    )
    .await
}

/// The window a read covers: from a day ago to the horizon plus a week (the read is
/// skipped while the last one still covers the horizon plus a day).
fn window(now: Timestamp, horizon_days: i64) -> (Timestamp, Timestamp, Timestamp) {
    let day = SignedDuration::from_hours(24);
    let horizon = now + SignedDuration::from_hours(24 * horizon_days.clamp(1, 400));
    (now - day, horizon + day, horizon + day * 7)
}

/// Reads the busy calendars of a connection: `Ok(true)` when busy times were
/// replaced, the server's problem as `Err`; the outer error is ours (the database).
async fn read_calendars(
    ctx: &Ctx,
    c: &ConnectionRow,
    force: bool,
) -> AppResult<Result<bool, DavError>> {
    let password = match password_of(ctx, c) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let dav = dav_of(ctx, c, &password);
    let (tz, horizon) = match availability::load(ctx, &c.user_id).await? {
        Some(a) => (a.tz.clone(), a.settings.horizon_days),
        None => {
            let tz = store::users::by_id(&ctx.db.pool, &c.user_id)
                .await?
                .and_then(|u| jiff::tz::TimeZone::get(&u.timezone).ok())
                .unwrap_or(jiff::tz::TimeZone::UTC);
            (tz, 60)
        }
    };
    let now = ctx.now();
    let (from, needed, to) = window(now, horizon);
    let mut changed = false;
    for cal in store::calendars::calendars_in(&ctx.db.pool, &c.id).await? {
        if !cal.busy {
            continue;
        }
        let Ok(url) = Url::parse(&cal.url) else {
            return Ok(Err(DavError::NotCalDav(format!(
                "Bad calendar address {}",
                cal.url
            ))));
        };
        let token = match dav.token(&url).await {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let covered = cal
            .synced_from
            .is_some_and(|f| f <= from + SignedDuration::from_hours(24))
            && cal.synced_to.is_some_and(|t| t >= needed);
        if !force && !token.is_empty() && token == cal.change_token && covered {
            continue;
        }
        let events = match dav.events(&url, from, to).await {
            Ok(e) => e,
            Err(e) => return Ok(Err(e)),
        };
        let spans = busy_of(&events, from, to, &tz);
        let mut tx = ctx.db.begin_write().await?;
        store::calendars::replace_busy(
            &mut tx,
            &BusyRead {
                calendar_id: &cal.id,
                mentor_id: &c.user_id,
                token: &token,
                from,
                to,
                events: events.len() as i64,
                spans: &spans,
                now,
            },
        )
        .await?;
        tx.commit().await?;
        changed = true;
    }
    Ok(Ok(changed))
}

/// A server problem while writing an event: the job fails with it and is retried.
fn dav_failure(e: DavError) -> AppError {
    AppError::Unavailable {
        code: "calendar_failing",
        detail: e.to_string(),
    }
}

/// Whether a UID is one of the events mentorhub writes.
fn ours(uid: &str) -> bool {
    uid.ends_with("@mentorhub")
}

/// The busy intervals of `events` in `[from, to)`, merged, cut into pieces of at most
/// a day (see [`store::calendars::PIECE`]). An event that does not read is skipped.
pub fn busy_of(
    events: &[caldav::RemoteEvent],
    from: Timestamp,
    to: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Vec<(Timestamp, Timestamp)> {
    let mut spans: Vec<(Timestamp, Timestamp)> = vec![];
    for e in events {
        match ical::busy_spans(&e.data, from, to, tz, &ours) {
            Ok(found) => spans.extend(found.into_iter().map(|s| (s.start, s.end))),
            Err(why) => {
                tracing::info!(href = %e.href, error = %why, "skipping an unreadable calendar event")
            }
        }
    }
    merge_and_cut(spans)
}

/// Merges overlapping or touching intervals (dropping empty ones), sorted.
pub fn merge(mut spans: Vec<(Timestamp, Timestamp)>) -> Vec<(Timestamp, Timestamp)> {
    spans.retain(|(s, e)| s < e);
    spans.sort();
    let mut merged: Vec<(Timestamp, Timestamp)> = vec![];
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Merges overlapping intervals and cuts each into pieces of at most a day.
pub fn merge_and_cut(spans: Vec<(Timestamp, Timestamp)>) -> Vec<(Timestamp, Timestamp)> {
    let merged = merge(spans);
    let piece = SignedDuration::from_micros(store::calendars::PIECE);
    let mut out = Vec::with_capacity(merged.len());
    for (mut s, e) in merged {
        while e.duration_since(s) > piece {
            out.push((s, s + piece));
            s += piece;
        }
        out.push((s, e));
    }
    out
}

/// Before a booking is placed: reads the mentor's calendars again when the oldest
/// attempt is older than `calendar_fresh_for` (`oldest`: from the booking's context;
/// `None` means they have none). A failure leaves the last good busy times in force.
pub async fn refresh_if_stale(ctx: &Ctx, mentor_id: &str, oldest: Option<Timestamp>) {
    let Some(oldest) = oldest else {
        return;
    };
    let fresh =
        SignedDuration::try_from(ctx.config.calendar_fresh_for).unwrap_or(SignedDuration::ZERO);
    if ctx.now().duration_since(oldest) < fresh {
        return;
    }
    let conns = match store::calendars::connections_of(&ctx.db.pool, mentor_id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "reading calendar connections before a booking");
            return;
        }
    };
    for c in conns {
        let limit = std::time::Duration::from_secs(10);
        match tokio::time::timeout(limit, sync_connection(ctx, &c, false)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, connection = %c.id, "calendar read before a booking failed")
            }
            Err(_) => {
                tracing::warn!(connection = %c.id, "calendar read before a booking timed out")
            }
        }
    }
}

/// The maintenance pass: queues reads of connections due one (every
/// `calendar_sync_interval`, failing ones every minute), and forgets busy times of
/// connections failing longer than `calendar_keep_stale` (telling their owners).
pub async fn maintain(ctx: &Ctx) -> AppResult<()> {
    let now = ctx.now();
    let interval = SignedDuration::try_from(ctx.config.calendar_sync_interval)
        .unwrap_or(SignedDuration::from_mins(15));
    let due = store::calendars::due(
        &ctx.db.pool,
        now - interval,
        now - SignedDuration::from_mins(1),
        200,
    )
    .await?;
    if !due.is_empty() {
        let mut tx = ctx.db.begin_write().await?;
        // One queued read per connection and minute, whichever instance gets here.
        let minute = now.as_second() / 60;
        for (id, _) in &due {
            let once = format!("calendar.sync:{id}:{minute}");
            queue_read(&mut tx, id, Some(&once), now).await?;
        }
        tx.commit().await?;
    }
    let keep = SignedDuration::try_from(ctx.config.calendar_keep_stale)
        .unwrap_or(SignedDuration::from_hours(72));
    let stale = store::calendars::stale(&ctx.db.pool, now - keep).await?;
    for (id, user_id) in stale {
        let mut live = Live::new();
        let mut tx = ctx.db.begin_write().await?;
        // Re-read under the write lock: a read that just worked keeps its times.
        let Some(c) = store::calendars::connection(&mut *tx, &id)
            .await?
            .filter(|c| c.failing_since.is_some_and(|f| f < now - keep))
        else {
            continue;
        };
        store::calendars::drop_busy(&mut tx, &id).await?;
        let body = format!(
            "mentorhub could not read your calendar for {} hours ({}), so its busy times stopped blocking your slots. Fix or disconnect the connection in your calendar settings.",
            keep.as_hours(),
            c.last_error
        );
        tell(
            ctx,
            &mut tx,
            &c,
            "Your calendar's busy times no longer count",
            &body,
            &mut live,
        )
        .await?;
        tx.commit().await?;
        live.publish(ctx).await;
        availability::refresh_next_free(ctx, &user_id).await?;
    }
    Ok(())
}

/// The job: makes the mentor's calendar show booking `booking_id` as it is now —
/// written (or rewritten after a move) while it is accepted, or pending when the
/// mentor wants tentative events; removed otherwise. A failure is retried by the
/// queue.
pub async fn push(ctx: &Ctx, booking_id: &str) -> AppResult<()> {
    let Some(b) = store::bookings::get(&ctx.db.pool, booking_id).await? else {
        return Ok(());
    };
    use crate::domain::booking::BookingStatus as S;
    let tentative = b.b.status == S::Pending;
    let live = b.b.timed && (b.b.status == S::Accepted || tentative);
    let mut event = super::calendar::event(ctx, &b, &b.b.mentor_id);
    event.description = format!(
        "Mentor: {} {}\nMentee: {} {}\n{}",
        b.mentor_first_name,
        b.mentor_last_name,
        b.mentee_first_name,
        b.mentee_last_name,
        event.description
    );
    write_event(
        ctx,
        &b.b.mentor_id,
        booking_id,
        &format!("mentorhub-{booking_id}.ics"),
        live.then_some(Wanted {
            event,
            tentative,
            sequence: b.b.sequence,
        }),
    )
    .await
}

/// The job: makes the mentor's calendar show their group session `session_id` as it
/// is now (removed once cancelled).
pub async fn push_group(ctx: &Ctx, session_id: &str) -> AppResult<()> {
    let Some(g) = store::groups::get(&ctx.db.pool, session_id).await? else {
        return Ok(());
    };
    let live = g.status != crate::domain::group::GroupStatus::Cancelled;
    let event = super::calendar::group_event(ctx, &g, None);
    write_event(
        ctx,
        &g.mentor_id,
        &format!("group:{session_id}"),
        &format!("mentorhub-group-{session_id}.ics"),
        live.then_some(Wanted {
            event,
            tentative: false,
            sequence: g.sequence,
        }),
    )
    .await
}

/// What a calendar should show for one booking or session.
struct Wanted {
    event: crate::domain::ics::IcsEvent,
    /// Written only when the mentor wants tentative events.
    tentative: bool,
    sequence: i64,
}

/// Brings one event resource (`name` in the mentor's target calendar, recorded under
/// `key`) to what is `wanted`: written when wanted and changed since last written,
/// removed from where it was when no longer wanted or the target moved.
async fn write_event(
    ctx: &Ctx,
    mentor_id: &str,
    key: &str,
    name: &str,
    wanted: Option<Wanted>,
) -> AppResult<()> {
    let pushed = store::calendars::push_of(&ctx.db.pool, key).await?;
    let target = store::calendars::target_of(&ctx.db.pool, mentor_id).await?;
    let conn = match &target {
        Some(t) => store::calendars::connection(&ctx.db.pool, &t.connection_id).await?,
        None => None,
    };
    let wanted = match (target, conn, wanted) {
        (Some(t), Some(c), Some(w)) if !w.tentative || c.write_tentative => Some((t, c, w)),
        _ => None,
    };
    // Written elsewhere (or no longer wanted): remove it there first.
    if let Some(p) = &pushed
        && wanted
            .as_ref()
            .is_none_or(|(t, _, _)| t.id != p.calendar_id)
    {
        remove(ctx, p).await?;
    }
    let Some((t, c, w)) = wanted else {
        return Ok(());
    };
    let status = if w.tentative {
        "TENTATIVE"
    } else {
        "CONFIRMED"
    };
    if pushed
        .as_ref()
        .is_some_and(|p| p.calendar_id == t.id && p.sequence == w.sequence && p.status == status)
    {
        return Ok(());
    }
    let password = password_of(ctx, &c).map_err(dav_failure)?;
    let bad = || dav_failure(DavError::NotCalDav("bad calendar address".into()));
    let href = Url::parse(&t.url)
        .and_then(|u| u.join(name))
        .map_err(|_| bad())?;
    let ics = crate::domain::ics::calendar("mentorhub", &[w.event]);
    let etag = dav_of(ctx, &c, &password)
        .put(&href, &ics)
        .await
        .map_err(dav_failure)?;
    store::calendars::put_push(
        &mut *ctx.db.write_conn().await?,
        &PushRow {
            booking_id: key.to_string(),
            mentor_id: mentor_id.to_string(),
            calendar_id: t.id.clone(),
            href: href.to_string(),
            etag,
            sequence: w.sequence,
            status: status.into(),
        },
        ctx.now(),
    )
    .await?;
    Ok(())
}

/// After a booking request's commit, for a mentor with calendars: queues its write (a
/// tentative event, when they want those). The request's own write does not carry it,
/// to keep that write one statement for everyone else; a crash in between leaves the
/// request out of their calendar until its next change (its acceptance writes it).
pub async fn queue_push(ctx: &Ctx, booking_id: &str, mentor_id: &str) {
    let now = ctx.now();
    let queued = async {
        let mut tx = ctx.db.begin_write().await?;
        store::calendars::enqueue_push(&mut tx, booking_id, mentor_id, now).await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = queued {
        tracing::warn!(error = %e, booking = %booking_id, "queueing a calendar write failed");
    }
}

/// Removes a written event (its calendar's connection gone: only the record).
async fn remove(ctx: &Ctx, p: &PushRow) -> AppResult<()> {
    let cal = store::calendars::calendar(&ctx.db.pool, &p.calendar_id).await?;
    if let Some(cal) = cal
        && let Some(c) = store::calendars::connection(&ctx.db.pool, &cal.connection_id).await?
    {
        let password = password_of(ctx, &c).map_err(dav_failure)?;
        let href = Url::parse(&p.href)
            .map_err(|_| dav_failure(DavError::NotCalDav("bad event address".into())))?;
        dav_of(ctx, &c, &password)
            .delete(&href)
            .await
            .map_err(dav_failure)?;
    }
    store::calendars::delete_push(&mut *ctx.db.write_conn().await?, &p.booking_id).await?;
    Ok(())
}

/// The mentor's busy times from their calendars in `[from, to)` (for their own
/// availability preview).
pub async fn busy_between(
    ctx: &Ctx,
    user: &UserRow,
    from: Timestamp,
    to: Timestamp,
) -> AppResult<Vec<(Timestamp, Timestamp)>> {
    Ok(store::calendars::busy_between(&ctx.db.pool, &user.id, from, to).await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn spans_merge_and_long_ones_are_cut_into_days() {
        let got = merge_and_cut(vec![
            (t("2026-12-01T10:00:00Z"), t("2026-12-01T11:00:00Z")),
            (t("2026-12-01T10:30:00Z"), t("2026-12-01T12:00:00Z")),
            (t("2026-12-01T12:00:00Z"), t("2026-12-01T12:30:00Z")),
            (t("2026-12-03T00:00:00Z"), t("2026-12-05T06:00:00Z")),
            (t("2026-12-09T00:00:00Z"), t("2026-12-09T00:00:00Z")),
        ]);
        assert_eq!(
            got,
            vec![
                (t("2026-12-01T10:00:00Z"), t("2026-12-01T12:30:00Z")),
                (t("2026-12-03T00:00:00Z"), t("2026-12-04T00:00:00Z")),
                (t("2026-12-04T00:00:00Z"), t("2026-12-05T00:00:00Z")),
                (t("2026-12-05T00:00:00Z"), t("2026-12-05T06:00:00Z")),
            ]
        );
    }

    #[test]
    fn a_read_covers_the_horizon_and_a_week() {
        let now = t("2026-12-01T00:00:00Z");
        let (from, needed, to) = window(now, 30);
        assert_eq!(from, t("2026-11-30T00:00:00Z"));
        assert_eq!(needed, t("2027-01-01T00:00:00Z"));
        assert_eq!(to, t("2027-01-07T00:00:00Z"));
    }
}
