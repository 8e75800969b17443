//! Group sessions: a mentor publishes a session with seats; members join (a seat and
//! its credits held in escrow, in one transaction) or, when it is full, wait in line;
//! a freed seat goes at once to the first in line who can pay it (the others before
//! them are passed over and told); the mentor cancelling refunds everyone in full.
//!
//! Every change of seats locks the session row first (PostgreSQL; SQLite's single
//! writer serialises them anyway), then reads the seats and writes, so exactly the
//! advertised number of seats can be taken and a freed seat is given once, whatever
//! the concurrency and however many instances run. The table's CHECK on the seat
//! count is the last guard. A seat's credits move through the ledger with keys
//! `seat:<id>:hold` and `seat:<id>:settle`, so each moves once.
//!
//! After the session the mentor records who came (or, after the completion grace, the
//! maintenance loop records everyone seated as attended): each seat pays the mentor.
//! A session with a minimum attendance is checked once at its decision time and, if
//! too few are seated, cancelled with full refunds.
//!
//! Everyone seated is reminded 24 hours and 1 hour before (jobs enqueued when the
//! session is published; a cancelled or completed session reminds nobody).
//!
//! The per-user calendar feed and the data export include sessions (see
//! `calendar::group_event`, `accounts::export`), and so do the dashboards' figures.
//! A session nobody has joined yet can be changed; once people have, its words, its
//! names setting and its seats (never fewer than are seated; added seats go to the
//! line at once, like a freed one) — not its time, price or audience. Each attendee may review a session
//! once; the review counts in the mentor's rating.

use jiff::Timestamp;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Ctx, admin::is_admin, events::Live, notify};
use crate::{
    domain::{
        article::Reader,
        group::{self, Draft, InLine, RawGroup, SeatStatus},
        ids::new_id,
    },
    error::{AppError, AppResult},
    store::{
        self, Tx,
        groups::{NewGroup, Viewer},
        ledger::{Outcome, Transfer, TransferError},
        users::UserRow,
    },
};

pub use crate::store::groups::{GroupRow, ListFilter, SeatRow};

/// `POST /api/v1/group-sessions`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// RFC 3339.
    pub start: Option<String>,
    /// Default 60.
    pub duration_minutes: Option<i64>,
    /// 2 to 200.
    pub seats: Option<i64>,
    /// Default 0 (free). (`credit_cost` is taken too, as API.md names it.)
    #[serde(alias = "credit_cost")]
    pub credits_per_seat: Option<i64>,
    /// `public` (default), `members` or `my_mentees`.
    pub audience: Option<String>,
    /// Cancel (and refund) if fewer are seated at `decide_at` (`min_attendees` is
    /// taken too).
    #[serde(alias = "min_attendees")]
    pub min_attendance: Option<i64>,
    pub decide_at: Option<String>,
    /// Joining closes then (default: the start; `join_deadline` is taken too).
    #[serde(alias = "join_deadline")]
    pub join_until: Option<String>,
    /// The IANA zone the session is set in: its weekly repeats keep their local time
    /// there across summer time, and pages show its time there beside the reader's
    /// (default: the mentor's zone).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Attendees see each other's first names.
    #[serde(default)]
    pub show_names: bool,
    /// Publish the same session weekly for this many weeks (1 to 12, default 1).
    pub repeat_weeks: Option<i64>,
}

impl GroupInput {
    /// The fields as the domain checks them.
    pub fn raw(&self) -> RawGroup<'_> {
        RawGroup {
            title: &self.title,
            description: &self.description,
            start: self.start.as_deref(),
            duration_minutes: self.duration_minutes,
            seats: self.seats,
            credits_per_seat: self.credits_per_seat,
            audience: self.audience.as_deref(),
            min_attendance: self.min_attendance,
            decide_at: self.decide_at.as_deref(),
            join_until: self.join_until.as_deref(),
            repeat_weeks: self.repeat_weeks,
        }
    }
}

fn not_found() -> AppError {
    AppError::NotFound
}

/// The zone the input gives the session, checked (`None` when it gives none: the
/// mentor's on publishing, the session's own on a change).
fn zone_given(input: &GroupInput) -> AppResult<Option<String>> {
    crate::domain::user::TimeZoneName::optional("timezone", input.timezone.as_deref())
        .map_err(|e| AppError::Invalid(vec![e]))
}

/// `PATCH /api/v1/group-sessions/{id}`: [`update`] with what the patch leaves out as
/// it is now.
pub async fn patch(
    ctx: &Ctx,
    mentor: &UserRow,
    id: &str,
    patch: GroupPatch,
) -> AppResult<GroupRow> {
    let g = store::groups::get(&ctx.db.pool, id)
        .await?
        .filter(|g| g.mentor_id == mentor.id)
        .ok_or_else(not_found)?;
    update(ctx, mentor, id, &patched(&g, patch)).await
}

/// The input that changes `g` by `patch`: what the patch leaves out stays as it is.
fn patched(g: &GroupRow, patch: GroupPatch) -> GroupInput {
    let ts = |t: Timestamp| t.to_string();
    GroupInput {
        title: patch.title.unwrap_or_else(|| g.title.clone()),
        description: patch.description.unwrap_or_else(|| g.description.clone()),
        start: Some(patch.start.unwrap_or_else(|| ts(g.start_at))),
        duration_minutes: Some(
            patch
                .duration_minutes
                .unwrap_or((g.end_at.as_second() - g.start_at.as_second()) / 60),
        ),
        seats: Some(patch.seats.unwrap_or(g.seats)),
        credits_per_seat: Some(patch.credits_per_seat.unwrap_or(g.credits_per_seat)),
        audience: Some(
            patch
                .audience
                .unwrap_or_else(|| g.audience.as_str().to_string()),
        ),
        min_attendance: match patch.min_attendance {
            Some(v) => v,
            None => g.min_attendance,
        },
        decide_at: match patch.decide_at {
            Some(v) => v,
            None => g.decide_at.map(ts),
        },
        join_until: Some(patch.join_until.unwrap_or_else(|| ts(g.join_until))),
        show_names: patch.show_names.unwrap_or(g.show_names),
        repeat_weeks: None,
        timezone: Some(patch.timezone.unwrap_or_else(|| g.timezone.clone())),
    }
}

/// A field that was sent, `null` or not (one left out stays `None` by `default`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /api/v1/group-sessions/{id}`: any field of [`GroupInput`] but `repeat_weeks`;
/// one left out stays as it is, `null` clears the minimum attendance and its time.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub start: Option<String>,
    pub duration_minutes: Option<i64>,
    pub seats: Option<i64>,
    #[serde(alias = "credit_cost")]
    pub credits_per_seat: Option<i64>,
    pub audience: Option<String>,
    #[serde(default, alias = "min_attendees", deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub min_attendance: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub decide_at: Option<Option<String>>,
    #[serde(alias = "join_deadline")]
    pub join_until: Option<String>,
    pub show_names: Option<bool>,
    pub timezone: Option<String>,
}

/// Publishes a session (and its weekly repeats): only approved mentors, never over
/// their own bookings, held slots or sessions.
pub async fn create(ctx: &Ctx, mentor: &UserRow, input: &GroupInput) -> AppResult<Vec<GroupRow>> {
    if !super::mentors::is_approved(ctx, &mentor.id).await? {
        return Err(AppError::forbidden(
            "Only approved mentors publish group sessions.",
        ));
    }
    let now = ctx.now();
    let first = group::check(&input.raw(), now).map_err(AppError::Invalid)?;
    let zone = zone_given(input)?.unwrap_or_else(|| mentor.timezone.clone());
    let tz = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let drafts: Vec<Draft> = (0..first.repeat_weeks)
        .filter_map(|n| first.week(n, &tz))
        .collect();
    let mut tx = ctx.db.begin_write().await?;
    // The mentor's row, as a booking with them takes it: no booking slips in between
    // the check and the insert.
    store::bookings::lock_people(&mut tx, ctx.db.backend, &mentor.id, &mentor.id).await?;
    let mut ids: Vec<String> = vec![];
    for d in &drafts {
        ensure_free(ctx, &mut tx, mentor, d, None).await?;
        let id = new_id();
        // A weekly run: each names its first session.
        let run = (drafts.len() > 1).then(|| ids.first().unwrap_or(&id).clone());
        let thread =
            store::messages::create_thread(&mut tx, "group", &d.title, Some(&mentor.id), None, now)
                .await?;
        store::messages::add_participant(&mut tx, &thread, &mentor.id, now).await?;
        let room = super::new_meeting_link(ctx, &id);
        store::groups::insert(
            &mut tx,
            &new_group(
                &id,
                mentor,
                d,
                &zone,
                input.show_names,
                (&thread, &room),
                run.as_deref(),
            ),
            now,
        )
        .await?;
        schedule_reminders(&mut tx, &id, d.start, now).await?;
        store::calendars::enqueue_push_group(&mut tx, &id, &mentor.id, now).await?;
        ids.push(id);
    }
    tx.commit().await?;
    super::availability::mark_next_free(ctx, &mentor.id, super::availability::TimeChange::Taken);
    let mut out = vec![];
    for id in ids {
        out.extend(store::groups::get(&ctx.db.pool, &id).await?);
    }
    Ok(out)
}

/// Changes a session (its mentor): every field as on publishing, one occurrence,
/// never over the mentor's other commitments, while nobody has joined; once someone
/// has, only its title, description and whether attendees see each other's names
/// (what people joined for — its time, length, seats, price and audience — stays).
/// The reminders follow a new start; calendars see a new SEQUENCE.
pub async fn update(
    ctx: &Ctx,
    mentor: &UserRow,
    id: &str,
    input: &GroupInput,
) -> AppResult<GroupRow> {
    let now = ctx.now();
    if input.repeat_weeks.is_some_and(|w| w != 1) {
        return Err(AppError::invalid(
            "repeat_weeks",
            "invalid_number",
            "A published session changes alone; publish more weeks as new sessions.",
        ));
    }
    // A change that keeps every time as it is (a new title after the join deadline)
    // is not checked against now: those times were checked when they were set.
    let before = store::groups::get(&ctx.db.pool, id).await?;
    let check_at = before
        .as_ref()
        .filter(|g| same_times(g, input))
        .map_or(now, |g| {
            let earliest = [Some(g.start_at), Some(g.join_until), g.decide_at]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(g.start_at);
            now.min(earliest - jiff::SignedDuration::from_secs(1))
        });
    let d = group::check(&input.raw(), check_at).map_err(AppError::Invalid)?;
    let zone = zone_given(input)?;
    let mut tx = ctx.db.begin_write().await?;
    let g = locked(ctx, &mut tx, id).await?;
    // Changed since it was read (a move at the same moment): checked again at now.
    if check_at != now && !same_times(&g, input) {
        group::check(&input.raw(), now).map_err(AppError::Invalid)?;
    }
    let zone = zone.unwrap_or_else(|| g.timezone.clone());
    if g.mentor_id != mentor.id {
        return Err(not_found());
    }
    if g.status != group::GroupStatus::Open {
        return Err(not_open(&g));
    }
    // Seated or in line (someone who left holds nothing).
    let places = store::groups::seats(&mut *tx, id, None).await?;
    let joined = places.iter().any(|s| s.status.is_live());
    let in_line = places.iter().any(|s| s.status == SeatStatus::Waiting);
    // The seats may change once people joined (never below those seated); added seats
    // go to the line below, as a freed one does.
    let same_terms = d.start == g.start_at
        && d.end() == g.end_at
        && d.credits_per_seat == g.credits_per_seat
        && d.audience == g.audience
        && d.min_attendance == g.min_attendance
        && d.decide_at == g.decide_at
        && d.join_until == g.join_until;
    if joined && !same_terms {
        return Err(AppError::conflict(
            "invalid_transition",
            "People have joined this session: only its title, description, names setting and seats can change. To change its time, price or audience, cancel it and publish another.",
        ));
    }
    if d.seats < g.seated {
        return Err(AppError::invalid(
            "seats",
            "too_few_seats",
            format!(
                "{} {} a seat: the session keeps at least that many.",
                g.seated,
                if g.seated == 1 {
                    "person has"
                } else {
                    "people have"
                }
            ),
        ));
    }
    // The mentor and, when seats are added, the people in line who may take them: in
    // one statement, in id order (the order every booking keeps).
    let promoting = d.seats > g.seats && in_line && now < g.join_until;
    if promoting {
        let mut people = vec![mentor.id.to_string()];
        people.extend(
            places
                .iter()
                .filter(|s| s.status == SeatStatus::Waiting)
                .map(|s| s.user_id.to_string()),
        );
        store::bookings::lock_users(&mut tx, ctx.db.backend, &people).await?;
    } else {
        store::bookings::lock_people(&mut tx, ctx.db.backend, &mentor.id, &mentor.id).await?;
    }
    ensure_free(ctx, &mut tx, mentor, &d, Some((g.start_at, g.end_at))).await?;
    store::groups::update(
        &mut tx,
        id,
        &new_group(
            id,
            mentor,
            &d,
            &zone,
            input.show_names,
            (&g.thread_id, &g.meeting_link),
            None,
        ),
        now,
    )
    .await?;
    if d.start != g.start_at {
        unschedule_reminders(&mut tx, id, g.start_at).await?;
    }
    schedule_reminders(&mut tx, id, d.start, now).await?;
    store::calendars::enqueue_push_group(&mut tx, id, &mentor.id, now).await?;
    let mut live = Live::new();
    if promoting {
        promote(ctx, &mut tx, &g, d.seats - g.seats, now, &mut live).await?;
    }
    tx.commit().await?;
    live.publish(ctx).await;
    use super::availability::{TimeChange, mark_next_free};
    mark_next_free(ctx, &mentor.id, TimeChange::Freed(g.start_at, g.end_at));
    mark_next_free(ctx, &mentor.id, TimeChange::Taken);
    store::groups::get(&ctx.db.pool, id)
        .await?
        .ok_or_else(not_found)
}

/// Whether `input` gives `g`'s own times (start, length, join deadline, decision time).
fn same_times(g: &GroupRow, input: &GroupInput) -> bool {
    let at = |raw: &Option<String>| raw.as_deref().map(|s| crate::clock::parse_instant(s).ok());
    at(&input.start) == Some(Some(g.start_at))
        && input.duration_minutes == Some((g.end_at.as_second() - g.start_at.as_second()) / 60)
        && match at(&input.join_until) {
            Some(t) => t == Some(g.join_until),
            None => g.join_until == g.start_at,
        }
        && match &input.decide_at {
            Some(raw) => crate::clock::parse_instant(raw).ok() == g.decide_at,
            None => g.decide_at.is_none(),
        }
}

/// The reminder jobs of a session starting at `start`, 24 hours and 1 hour before:
/// each with when it runs and its dedupe key, which names the start (a moved session
/// gets new ones, and [`unschedule_reminders`] takes the old ones back).
fn reminders(id: &str, start: Timestamp) -> [(crate::domain::job::Job, Timestamp, String); 2] {
    [("24h", 24), ("1h", 1)].map(|(lead, before)| {
        (
            crate::domain::job::Job::GroupReminder {
                session_id: id.to_string(),
                start_at: start.as_microsecond(),
                lead: lead.to_string(),
            },
            start - jiff::SignedDuration::from_hours(before),
            format!("group-remind:{lead}:{id}:{}", start.as_microsecond()),
        )
    })
}

/// Queues a session's reminders (see [`reminders`]) whose moment is still ahead.
async fn schedule_reminders(
    tx: &mut Tx,
    id: &str,
    start: Timestamp,
    now: Timestamp,
) -> AppResult<()> {
    for (job, at, key) in reminders(id, start) {
        if at > now {
            super::jobs::enqueue(tx, &job, at, Some(&key), now).await?;
        }
    }
    Ok(())
}

/// Takes back the reminders still queued for a session starting at `start`, when it
/// moves from that time or is cancelled (they would find nothing to do).
async fn unschedule_reminders(tx: &mut Tx, id: &str, start: Timestamp) -> AppResult<()> {
    let keys = reminders(id, start).map(|(_, _, key)| key);
    store::jobs::drop_queued(&mut **tx, &keys).await?;
    Ok(())
}

/// Refuses a session over the mentor's own bookings, held checkouts or other sessions
/// (`own`: the session's current time, when it is being moved, does not count).
async fn ensure_free(
    ctx: &Ctx,
    tx: &mut Tx,
    mentor: &UserRow,
    d: &Draft,
    own: Option<(Timestamp, Timestamp)>,
) -> AppResult<()> {
    let busy = store::bookings::mentor_busy(
        &mut **tx,
        &store::bookings::BusyAsk {
            mentor_id: &mentor.id,
            from: d.start,
            to: d.end(),
            except: None,
            except_hold: None,
            now: ctx.now(),
        },
    )
    .await?;
    // The mentor picks the time themselves: their own calendar's busy times do not
    // stop them (only sessions and bookings do).
    if let Some(clash) = busy
        .iter()
        .find(|b| b.booked && Some((b.start, b.end)) != own)
    {
        // Names the session in the way (from its start), not the new one's.
        return Err(AppError::conflict(
            "time_taken",
            format!(
                "You already have a session or booking at {}. Pick another time.",
                mentor.reads().span((clash.start, clash.end))
            ),
        ));
    }
    Ok(())
}

/// The row of a checked session.
fn new_group<'a>(
    id: &'a str,
    mentor: &'a UserRow,
    d: &'a Draft,
    timezone: &'a str,
    show_names: bool,
    (thread_id, meeting_link): (&'a str, &'a str),
    repeats_id: Option<&'a str>,
) -> NewGroup<'a> {
    NewGroup {
        id,
        mentor_id: &mentor.id,
        title: &d.title,
        description: &d.description,
        start_at: d.start,
        end_at: d.end(),
        timezone,
        seats: d.seats,
        credits_per_seat: d.credits_per_seat,
        audience: d.audience,
        min_attendance: d.min_attendance,
        decide_at: d.decide_at,
        join_until: d.join_until,
        show_names,
        thread_id,
        meeting_link,
        repeats_id,
    }
}

/// The session's meeting link as `viewer_id` may see it: its mentor and whoever holds
/// a seat, while it is open (nobody else: a link is a way in).
pub fn meeting_link_for<'a>(
    g: &'a GroupRow,
    viewer_id: Option<&str>,
    seat: Option<&SeatRow>,
) -> Option<&'a str> {
    let inside = viewer_id.is_some_and(|v| v == g.mentor_id.as_str())
        || seat.is_some_and(|s| s.status == SeatStatus::Seated);
    (inside && g.status == group::GroupStatus::Open && !g.meeting_link.is_empty())
        .then_some(g.meeting_link.as_str())
}

/// Gives open sessions published before meeting rooms existed a room each (the
/// maintenance pass; nothing to do once they have one), and refreshes their mentor's
/// calendar copy. Returns how many were given one.
pub async fn give_rooms(ctx: &Ctx) -> AppResult<usize> {
    let now = ctx.now();
    let mut given = 0;
    for id in store::groups::without_room(&ctx.db.pool, 100).await? {
        let mut tx = ctx.db.begin_write().await?;
        let Some(g) = store::groups::get_unranked(&mut *tx, &id).await? else {
            continue;
        };
        let room = super::new_meeting_link(ctx, &id);
        if store::groups::set_room(&mut *tx, &id, &room, now).await? {
            store::calendars::enqueue_push_group(&mut tx, &id, &g.mentor_id, now).await?;
            given += 1;
        }
        tx.commit().await?;
    }
    Ok(given)
}

/// Writes the search text of open sessions published before it existed (the
/// maintenance pass; nothing to do once each has it). Returns how many were written.
pub async fn fill_search_docs(ctx: &Ctx) -> AppResult<usize> {
    let missing = store::groups::without_search_doc(&ctx.db.pool, 200).await?;
    if missing.is_empty() {
        return Ok(0);
    }
    // In the write turn, as every write (one transaction for the batch).
    let mut tx = ctx.db.begin_write().await?;
    for (id, title, description) in &missing {
        store::groups::fill_search_doc(&mut *tx, id, title, description).await?;
    }
    tx.commit().await?;
    Ok(missing.len())
}

/// Whether `viewer` may see the session (the audience rule of articles).
async fn visible(ctx: &Ctx, viewer: Option<&UserRow>, g: &GroupRow) -> AppResult<bool> {
    let admin = viewer.is_some_and(is_admin);
    let is_current_mentee = match viewer {
        Some(u) if g.audience == crate::domain::article::Visibility::MyMentees => {
            store::articles::is_current_mentee(&ctx.db.pool, &g.mentor_id, &u.id).await?
        }
        _ => false,
    };
    Ok(group::can_see(
        Reader {
            user_id: viewer.map(|u| u.id.as_str()),
            is_admin: admin,
            is_current_mentee,
        },
        &g.mentor_id,
        g.audience,
    ))
}

/// A session the viewer may see, with their place in it.
pub async fn get(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    id: &str,
) -> AppResult<(GroupRow, Option<SeatRow>)> {
    let g = store::groups::get(&ctx.db.pool, id).await?;
    let g = visible_or_not_found(ctx, viewer, g).await?;
    let seat = match viewer {
        Some(u) => store::groups::live_seat(&ctx.db.pool, id, &u.id).await?,
        None => None,
    };
    Ok((g, seat))
}

/// The viewer's live places (seated or in line) among listed sessions.
pub async fn my_seats(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    rows: &[GroupRow],
) -> AppResult<Vec<SeatRow>> {
    let Some(u) = viewer else {
        return Ok(vec![]);
    };
    let ids: Vec<String> = rows.iter().map(|g| g.id.clone()).collect();
    Ok(store::groups::live_seats_among(&ctx.db.pool, &u.id, &ids).await?)
}

/// Who a session is for when it is not for everyone (`members` or `my_mentees`): what
/// a visitor following a shared link is told before signing in. `None` for a public
/// session or none at all.
pub async fn shared_with(
    ctx: &Ctx,
    id: &str,
) -> AppResult<Option<crate::domain::article::Visibility>> {
    Ok(store::groups::get_unranked(&ctx.db.pool, id)
        .await?
        .map(|g| g.audience)
        .filter(|a| *a != crate::domain::article::Visibility::Public))
}

/// A session the viewer may see, without counting its line or reading their place:
/// what an action checks before its transaction.
async fn seen(ctx: &Ctx, viewer: Option<&UserRow>, id: &str) -> AppResult<GroupRow> {
    let g = store::groups::get_unranked(&ctx.db.pool, id).await?;
    visible_or_not_found(ctx, viewer, g).await
}

/// The session if it exists and the viewer may see it; "not found" either way else.
async fn visible_or_not_found(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    g: Option<GroupRow>,
) -> AppResult<GroupRow> {
    let g = g.ok_or_else(not_found)?;
    if !visible(ctx, viewer, &g).await? {
        return Err(not_found());
    }
    Ok(g)
}

/// Open sessions the viewer may see.
pub async fn list(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    f: &ListFilter<'_>,
) -> AppResult<Vec<GroupRow>> {
    let v = Viewer {
        user_id: viewer.map(|u| u.id.as_str()),
        is_admin: viewer.is_some_and(is_admin),
    };
    Ok(store::groups::list(&ctx.db.pool, &v, f).await?)
}

/// Reads the session inside the write transaction, after locking it.
/// (Its `waiting` is not counted: see [`store::groups::get_unranked`].)
async fn locked(ctx: &Ctx, tx: &mut Tx, id: &str) -> AppResult<GroupRow> {
    store::groups::lock(tx, ctx.db.backend, id).await?;
    store::groups::get_unranked(&mut **tx, id)
        .await?
        .ok_or_else(not_found)
}

fn not_open(g: &GroupRow) -> AppError {
    AppError::conflict(
        "session_closed",
        match g.status {
            group::GroupStatus::Cancelled => "This group session was cancelled.",
            _ => "This group session is over.",
        },
    )
}

/// Moves a seat's credits from the person's wallet to escrow (`seat:<id>:hold`).
async fn hold(
    tx: &mut Tx,
    seat_id: &str,
    user_id: &str,
    amount: i64,
    title: &str,
    now: Timestamp,
) -> Result<(), TransferError> {
    if amount == 0 {
        return Ok(());
    }
    let wallet = store::ledger::wallet(tx, user_id, now).await?;
    store::ledger::transfer(
        tx,
        &Transfer {
            key: &seat_hold_key(seat_id),
            kind: "seat_hold",
            booking_id: None,
            actor_id: Some(user_id),
            memo: &seat_memo(title),
            legs: vec![
                (wallet, -amount),
                (store::ledger::escrow_for(seat_id), amount),
            ],
            now,
        },
    )
    .await
    .map(|_| ())
}

/// What a seat's credits are for, in a wallet's history.
fn seat_memo(title: &str) -> String {
    format!("A seat in the group session “{title}”")
}

/// What a seat's settlement is, in the wallets' histories: the person's credits back
/// (all or part: the mentor has the rest), or the mentor's pay.
fn settle_memo(title: &str, to_person: i64, held: i64) -> String {
    let seat = seat_memo(title);
    if to_person >= held {
        format!("{seat}: credits returned")
    } else if to_person > 0 {
        // Read in both wallets' histories: whose each part is.
        format!(
            "{seat}: {to_person} of {held} credits back to the attendee, the rest to the mentor"
        )
    } else {
        seat
    }
}

/// The idempotency key of a seat's hold transfer.
fn seat_hold_key(seat_id: &str) -> String {
    format!("seat:{seat_id}:hold")
}

/// Releases a seat's escrow once: `to_person` back to them, the rest to the mentor
/// less the platform's fee.
async fn settle(
    ctx: &Ctx,
    tx: &mut Tx,
    seat: &SeatRow,
    (mentor_id, title): (&str, &str),
    to_person: i64,
    now: Timestamp,
) -> AppResult<()> {
    let held = seat.credits_held;
    if held == 0 {
        return Ok(());
    }
    let rest = held - to_person;
    let fee = rest * ctx.config.policy.platform_fee_percent.clamp(0, 100) / 100;
    // Released from where the hold went (seats held before migration 0021 used one
    // of sixteen accounts).
    let escrow = store::ledger::escrow_held(&mut **tx, &seat_hold_key(&seat.id)).await?;
    let mut legs = vec![(escrow, -held)];
    if to_person > 0 {
        legs.push((
            store::ledger::wallet(tx, &seat.user_id, now).await?,
            to_person,
        ));
    }
    if rest - fee > 0 {
        legs.push((store::ledger::wallet(tx, mentor_id, now).await?, rest - fee));
    }
    if fee > 0 {
        legs.push((store::ledger::REVENUE.to_string(), fee));
    }
    let outcome = store::ledger::transfer(
        tx,
        &Transfer {
            key: &format!("seat:{}:settle", seat.id),
            kind: "seat_settle",
            booking_id: None,
            actor_id: None,
            memo: &settle_memo(title, to_person, held),
            legs,
            now,
        },
    )
    .await;
    match outcome {
        Ok(Outcome::Applied(_) | Outcome::Replayed(_)) => Ok(()),
        Err(TransferError::Db(e)) => Err(e.into()),
        Err(e) => Err(AppError::Internal(anyhow::anyhow!(
            "settling seat {}: {e:?}",
            seat.id
        ))),
    }
}

/// Takes a seat (its credits held) or, when the session is full, a place in line.
pub async fn join(ctx: &Ctx, me: &UserRow, id: &str) -> AppResult<(GroupRow, SeatRow)> {
    let (g, seat, _) = join_with_key(ctx, me, id, None).await?;
    Ok((g, seat))
}

/// [`join`], asked with an Idempotency-Key: the same key again (a retry) answers the
/// seat it took, whatever became of it, and changes nothing (`true`: a replay).
pub async fn join_with_key(
    ctx: &Ctx,
    me: &UserRow,
    id: &str,
    key: Option<&str>,
) -> AppResult<(GroupRow, SeatRow, bool)> {
    let g = seen(ctx, Some(me), id).await?;
    if g.mentor_id == me.id {
        return Err(AppError::conflict(
            "own_session",
            "This is your own session.",
        ));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let g = locked(ctx, &mut tx, id).await?;
    store::bookings::lock_people(&mut tx, ctx.db.backend, &me.id, &me.id).await?;
    // Under the session's lock: of the same request sent at once, the first takes the
    // seat and the others find it here.
    if let Some(key) = key
        && let Some(seat) = store::groups::seat_by_key(&mut *tx, id, &me.id, key).await?
    {
        return Ok((g, seat, true));
    }
    if g.status != group::GroupStatus::Open {
        return Err(not_open(&g));
    }
    if now >= g.join_until {
        return Err(AppError::conflict(
            "joining_closed",
            format!("Joining closed at {}.", me.reads().at(g.join_until)),
        ));
    }
    if let Some(status) = store::groups::live_status(&mut *tx, id, &me.id).await? {
        return Err(AppError::conflict(
            "already_joined",
            if status == SeatStatus::Seated {
                "You already have a seat in this session."
            } else {
                "You are already in line for this session."
            },
        ));
    }
    if store::groups::person_busy(&mut *tx, &me.id, g.start_at, g.end_at, id).await? {
        return Err(AppError::conflict(
            "slot_unavailable",
            "You already have a session at that time.",
        ));
    }
    let seat_id = new_id();
    if g.seated < g.seats {
        hold(&mut tx, &seat_id, &me.id, g.credits_per_seat, &g.title, now)
            .await
            .map_err(|e| match e {
                TransferError::Db(e) => e.into(),
                _ => super::credits::insufficient(g.credits_per_seat),
            })?;
        store::groups::insert_seat(
            &mut tx,
            &seat_id,
            id,
            &me.id,
            SeatStatus::Seated,
            g.credits_per_seat,
            key,
            now,
        )
        .await?;
        store::groups::add_seated(&mut tx, id, 1, now).await?;
        store::messages::add_participant(&mut tx, &g.thread_id, &me.id, now).await?;
    } else {
        let waiting = SeatStatus::Waiting;
        store::groups::insert_seat(&mut tx, &seat_id, id, &me.id, waiting, 0, key, now).await?;
    }
    let mut live = Live::new();
    let name = me.display_name();
    let (title, body) = if g.seated < g.seats {
        (
            format!("{name} joined “{}”", g.title),
            format!("{} of {} seats are taken now.", g.seated + 1, g.seats),
        )
    } else {
        // No count of the line: the session is read without it, under its lock, so
        // that a join costs the same however long the line (counting it here cost a
        // fifth of the joins a second with 2,700 in line); the page shows it.
        (
            format!("{name} is in line for “{}”", g.title),
            "Every seat is taken. A seat you add or one someone leaves goes to the first in line."
                .to_string(),
        )
    };
    tell(
        ctx,
        &mut tx,
        &g,
        &g.mentor_id,
        (notify::GROUP_ROSTER, title, body),
        now,
        &mut live,
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    let seat = store::groups::live_seat(&ctx.db.pool, id, &me.id)
        .await?
        .ok_or_else(not_found)?;
    let g = store::groups::get(&ctx.db.pool, id)
        .await?
        .ok_or_else(not_found)?;
    Ok((g, seat, false))
}

/// What leaving did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    /// Credits back to the person (a seat; 0 from the line).
    pub refunded: i64,
    /// How many in line took the freed seat (0 or 1).
    pub promoted: usize,
}

/// Leaves a seat (refunded by the cancellation policy; the seat goes to the line) or
/// the line.
pub async fn leave(ctx: &Ctx, me: &UserRow, id: &str) -> AppResult<Left> {
    let now = ctx.now();
    // Read before the transaction: a session the person cannot see is not there for
    // them, whatever they send (one they have a seat in, they may always leave).
    let seen_by_me = match seen(ctx, Some(me), id).await {
        Ok(_) => true,
        Err(AppError::NotFound) => false,
        Err(e) => return Err(e),
    };
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    let g = locked(ctx, &mut tx, id).await?;
    let Some(seat) = store::groups::live_seat(&mut *tx, id, &me.id).await? else {
        if !seen_by_me {
            return Err(not_found());
        }
        return Err(AppError::conflict(
            "not_joined",
            "You have no seat or place in line in this session.",
        ));
    };
    let mut out = Left {
        refunded: 0,
        promoted: 0,
    };
    if seat.status == SeatStatus::Waiting {
        store::groups::move_seat(
            &mut tx,
            &seat.id,
            SeatStatus::Waiting,
            SeatStatus::Left,
            0,
            now,
        )
        .await?;
    } else {
        if g.status != group::GroupStatus::Open {
            return Err(not_open(&g));
        }
        if now >= g.start_at {
            return Err(AppError::conflict(
                "session_started",
                "This session has started: a seat can no longer be left or refunded.",
            ));
        }
        // The people in line, before any ledger row (the order every booking keeps:
        // people, then ledger): one of them may take the seat.
        let line: Vec<String> = store::groups::seats(&mut *tx, id, Some(SeatStatus::Waiting))
            .await?
            .into_iter()
            .map(|s| s.user_id.into())
            .collect();
        store::bookings::lock_users(&mut tx, ctx.db.backend, &line).await?;
        let s = group::leave_settlement(seat.credits_held, g.start_at, now, &ctx.config.policy);
        settle(
            ctx,
            &mut tx,
            &seat,
            (&g.mentor_id, &g.title),
            s.to_mentee,
            now,
        )
        .await?;
        store::groups::move_seat(
            &mut tx,
            &seat.id,
            SeatStatus::Seated,
            SeatStatus::Left,
            seat.credits_held,
            now,
        )
        .await?;
        store::groups::add_seated(&mut tx, id, -1, now).await?;
        store::messages::remove_participant(&mut tx, &g.thread_id, &me.id).await?;
        out.refunded = s.to_mentee;
        let mut took = vec![];
        if now < g.join_until {
            took = promote(ctx, &mut tx, &g, 1, now, &mut live).await?;
            out.promoted = took.len();
        }
        let mut body = String::new();
        for user_id in &took {
            if let Some(u) = store::users::by_id(&mut *tx, user_id).await? {
                body.push_str(&format!(
                    "{} took the seat from the line. ",
                    u.display_name()
                ));
            }
        }
        let seated = g.seated - 1 + took.len() as i64;
        body.push_str(&format!("{seated} of {} seats are taken now.", g.seats));
        let title = format!("{} left “{}”", me.display_name(), g.title);
        tell(
            ctx,
            &mut tx,
            &g,
            &g.mentor_id,
            (notify::GROUP_ROSTER, title, body),
            now,
            &mut live,
        )
        .await?;
    }
    tx.commit().await?;
    live.publish(ctx).await;
    Ok(out)
}

/// Gives up to `free` freed seats to the line, in order (inside the caller's
/// transaction, the session locked): the first who can pay is seated and charged;
/// those before them who cannot are passed over. Everyone concerned is told.
async fn promote(
    ctx: &Ctx,
    tx: &mut Tx,
    g: &GroupRow,
    free: i64,
    now: Timestamp,
    live: &mut Live,
) -> AppResult<Vec<String>> {
    let line = store::groups::line_with_balances(tx, &g.id).await?;
    let mut took: Vec<String> = vec![];
    let mut rest: &[(String, String, i64)] = &line;
    while took.len() < free as usize && !rest.is_empty() {
        let view: Vec<InLine<'_>> = rest
            .iter()
            .map(|(seat_id, _, balance)| InLine {
                seat_id,
                balance: *balance,
            })
            .collect();
        let (take, pass) = group::promote(&view, 1, g.credits_per_seat);
        let decided = take.len() + pass.len();
        for seat_id in pass {
            pass_over(ctx, tx, g, seat_id, rest, now, live, PassedOver::Credits).await?;
        }
        if let Some(seat_id) = take.first() {
            let user_id = rest
                .iter()
                .find(|(s, _, _)| s == seat_id)
                .map(|(_, u, _)| u.clone())
                .unwrap_or_default();
            // Their row was locked with the line's (see `leave`).
            if store::groups::person_busy(&mut **tx, &user_id, g.start_at, g.end_at, &g.id).await? {
                pass_over(ctx, tx, g, seat_id, rest, now, live, PassedOver::Busy).await?;
                rest = &rest[decided.min(rest.len())..];
                continue;
            }
            match hold(tx, seat_id, &user_id, g.credits_per_seat, &g.title, now).await {
                Ok(()) => {
                    store::groups::move_seat(
                        tx,
                        seat_id,
                        SeatStatus::Waiting,
                        SeatStatus::Seated,
                        g.credits_per_seat,
                        now,
                    )
                    .await?;
                    store::groups::add_seated(tx, &g.id, 1, now).await?;
                    store::messages::add_participant(tx, &g.thread_id, &user_id, now).await?;
                    let title = format!("You have a seat in “{}”", g.title);
                    let body = format!(
                        "A seat opened and it is yours: {} credits are held for it.{}",
                        g.credits_per_seat,
                        join_line(g)
                    );
                    tell(
                        ctx,
                        tx,
                        g,
                        &user_id,
                        (notify::GROUP_SEAT, title, body),
                        now,
                        live,
                    )
                    .await?;
                    took.push(user_id);
                }
                // Spent meanwhile (another transaction): passed over, like the rest.
                Err(TransferError::Insufficient { .. }) => {
                    pass_over(ctx, tx, g, seat_id, rest, now, live, PassedOver::Credits).await?;
                }
                Err(e) => return Err(super::credits::transfer_failed(e)),
            }
        }
        rest = &rest[decided.min(rest.len())..];
    }
    Ok(took)
}

/// Why someone first in line did not get a freed seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PassedOver {
    /// Their balance could not pay it.
    Credits,
    /// They have something else at that time now.
    Busy,
}

/// Takes someone out of the line who could not take a freed seat, and tells them.
#[allow(clippy::too_many_arguments)]
async fn pass_over(
    ctx: &Ctx,
    tx: &mut Tx,
    g: &GroupRow,
    seat_id: &str,
    line: &[(String, String, i64)],
    now: Timestamp,
    live: &mut Live,
    why: PassedOver,
) -> AppResult<()> {
    let Some((_, user_id, _)) = line.iter().find(|(s, _, _)| s == seat_id) else {
        return Ok(());
    };
    store::groups::move_seat(
        tx,
        seat_id,
        SeatStatus::Waiting,
        SeatStatus::Skipped,
        0,
        now,
    )
    .await?;
    let title = format!("You were passed over for a seat in “{}”", g.title);
    let body = match why {
        PassedOver::Credits => format!(
            "A seat opened while you were first in line, but your wallet had less than the {} credits it costs, so you were passed over. Add credits and join again if seats are left.",
            g.credits_per_seat
        ),
        PassedOver::Busy => "A seat opened while you were first in line, but you now have another session at that time, so you were passed over.".to_string(),
    };
    tell(
        ctx,
        tx,
        g,
        user_id,
        (notify::GROUP_SEAT, title, body),
        now,
        live,
    )
    .await
}

/// Notifies one person about a session (the kind, title and body given): of their
/// place in it (`GROUP_SEAT`), or its mentor of who joins and leaves (`GROUP_ROSTER`).
async fn tell(
    ctx: &Ctx,
    tx: &mut Tx,
    g: &GroupRow,
    user_id: &str,
    (kind, title, body): (&'static str, String, String),
    now: Timestamp,
    live: &mut Live,
) -> AppResult<()> {
    let Some(u) = store::users::by_id(&mut **tx, user_id).await? else {
        return Ok(());
    };
    let when = both_zones(g, user_id, u.reads());
    notify::notify(
        ctx,
        tx,
        &notify::Note {
            reader: Some(u.reads()),
            user_id,
            email: &u.email,
            kind,
            title,
            body: format!("{body}\n\nWhen: {when}."),
            link: format!("/group-sessions/{}", g.id),
            related_id: Some(&g.id),
            ics: None,
        },
        now,
        live,
    )
    .await
}

/// The later open sessions of `g`'s weekly run, for its mentor (or an admin) to see
/// what "cancel this and the later ones" reaches; none for anyone else.
pub async fn later_repeats(ctx: &Ctx, viewer: &UserRow, g: &GroupRow) -> AppResult<Vec<GroupRow>> {
    if g.mentor_id != viewer.id && !is_admin(viewer) {
        return Ok(vec![]);
    }
    let now = ctx.now();
    Ok(store::groups::later_repeats(&ctx.db.pool, &g.id)
        .await?
        .into_iter()
        .filter(|l| l.start_at > now)
        .collect())
}

/// The other coming dates of the weekly run `g` was published in that the viewer may
/// see (one date's audience may have been changed alone), for its page.
pub async fn other_dates(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    g: &GroupRow,
) -> AppResult<Vec<GroupRow>> {
    let mut out = vec![];
    for d in store::groups::other_dates(&ctx.db.pool, &g.id, ctx.now()).await? {
        if visible(ctx, viewer, &d).await? {
            out.push(d);
        }
    }
    Ok(out)
}

/// The group session whose chat thread `thread_id` is, when `viewer` may see the
/// session (whether or not they are in its chat): where a page sends someone the chat
/// is not for, rather than answering "not found".
pub async fn session_of_chat(
    ctx: &Ctx,
    viewer: &UserRow,
    thread_id: &str,
) -> AppResult<Option<GroupRow>> {
    let Some(t) = store::groups::of_threads(&ctx.db.pool, &[thread_id.to_string()])
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    Ok(seen(ctx, Some(viewer), &t.id).await.ok())
}

/// The reason a cancellation gives when its mentor gave none.
pub const NO_REASON: &str = "No reason given.";

/// The mentor (or an admin) cancels an open session: every seat is refunded in full,
/// the line is closed, everyone is told. With `following`, so is every later session
/// of the weekly run it was published in that has not started, in the same
/// transaction. Returns the sessions cancelled, this one first.
pub async fn cancel(
    ctx: &Ctx,
    by: &UserRow,
    id: &str,
    reason: &str,
    following: bool,
) -> AppResult<Vec<GroupRow>> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid(
            "reason",
            "required",
            "Say in 1 to 500 characters why the session is cancelled; attendees read it.",
        ));
    }
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    let g = locked(ctx, &mut tx, id).await?;
    if g.mentor_id != by.id && !is_admin(by) {
        return Err(not_found());
    }
    if g.status != group::GroupStatus::Open {
        return Err(not_open(&g));
    }
    let by_admin = g.mentor_id != by.id;
    let why = if by_admin {
        format!("An administrator cancelled it: {reason}")
    } else {
        format!("The mentor cancelled it: {reason}")
    };
    cancel_in(ctx, &mut tx, &g, (&why, reason), Some(&by.id), &mut live).await?;
    let mut cancelled = vec![g];
    if following {
        // Locked in start order after this one, as every cancelling of a run does.
        for later in store::groups::later_repeats(&mut *tx, id).await? {
            let l = locked(ctx, &mut tx, &later.id).await?;
            if l.status == group::GroupStatus::Open && l.start_at > ctx.now() {
                cancel_in(ctx, &mut tx, &l, (&why, reason), Some(&by.id), &mut live).await?;
                cancelled.push(l);
            }
        }
    }
    // An administrator cancelled a mentor's session: the mentor is told, as its
    // attendees are (a mentor cancelling their own knows).
    if by_admin {
        for c in &cancelled {
            let title = format!("“{}” is cancelled", c.title);
            // (Read without its line: seated is counted, and a line needs a full session.)
            let told = match c.seated {
                0 => "Nobody had joined it.".to_string(),
                _ if c.credits_per_seat > 0 => {
                    "Everyone who had a seat or a place in line was told, and every seat's credits went back.".to_string()
                }
                _ => "Everyone who had a seat or a place in line was told.".to_string(),
            };
            let body = format!("An administrator cancelled your group session: {reason}\n\n{told}");
            tell(
                ctx,
                &mut tx,
                c,
                &c.mentor_id,
                (notify::GROUP_SEAT, title, body),
                ctx.now(),
                &mut live,
            )
            .await?;
        }
    }
    let ids: Vec<String> = cancelled.into_iter().map(|c| c.id).collect();
    tx.commit().await?;
    live.publish(ctx).await;
    let mut out = vec![];
    for id in ids {
        out.extend(store::groups::get(&ctx.db.pool, &id).await?);
    }
    Ok(out)
}

/// Cancels a locked open session: refunds and tells everyone (`why` opens their
/// message), records `reason`.
async fn cancel_in(
    ctx: &Ctx,
    tx: &mut Tx,
    g: &GroupRow,
    (why, reason): (&str, &str),
    by: Option<&str>,
    live: &mut Live,
) -> AppResult<()> {
    let now = ctx.now();
    let everyone = store::groups::seats(&mut **tx, &g.id, None).await?;
    for s in everyone.iter().filter(|s| s.status.is_live()) {
        if s.status == SeatStatus::Seated {
            settle(ctx, tx, s, (&g.mentor_id, &g.title), s.credits_held, now).await?;
        }
        store::groups::move_seat(
            tx,
            &s.id,
            s.status,
            SeatStatus::Refunded,
            s.credits_held,
            now,
        )
        .await?;
        let body = if s.status == SeatStatus::Seated && s.credits_held > 0 {
            format!(
                "{why}\n\nYour {} credits are back in your wallet.",
                s.credits_held
            )
        } else if s.status == SeatStatus::Waiting && g.credits_per_seat > 0 {
            format!("{why}\n\nYou were in line for a seat, so nothing was charged.")
        } else {
            why.to_string()
        };
        let title = format!("“{}” is cancelled", g.title);
        tell(
            ctx,
            tx,
            g,
            &s.user_id,
            (notify::GROUP_SEAT, title, body),
            now,
            live,
        )
        .await?;
    }
    store::groups::cancel(tx, &g.id, reason, now).await?;
    unschedule_reminders(tx, &g.id, g.start_at).await?;
    store::calendars::enqueue_push_group(tx, &g.id, &g.mentor_id, now).await?;
    // The chat stays (people may still want a word), saying so.
    let note = format!(
        "This session is cancelled. {}",
        crate::domain::text::as_sentence(why)
    );
    super::messages::platform_note(tx, &g.thread_id, &note, by, now, live).await?;
    Ok(())
}

/// `POST /api/v1/group-sessions/{id}/attendance`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    /// The seated people who did not come (user ids); everyone else attended.
    #[serde(default)]
    pub absent: Vec<String>,
}

/// The mentor records who came, from the start on: the session is over, every seat
/// pays the mentor (less the platform's fee; an absent attendee's seat too, as a
/// mentee's no-show does).
pub async fn attendance(
    ctx: &Ctx,
    mentor: &UserRow,
    id: &str,
    input: &AttendanceInput,
) -> AppResult<GroupRow> {
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let g = locked(ctx, &mut tx, id).await?;
    if g.mentor_id != mentor.id {
        return Err(not_found());
    }
    if g.status != group::GroupStatus::Open {
        return Err(not_open(&g));
    }
    if now < g.start_at {
        return Err(AppError::conflict(
            "invalid_transition",
            "Attendance is taken once the session has started.",
        ));
    }
    let seated = store::groups::seats(&mut *tx, id, Some(SeatStatus::Seated)).await?;
    if let Some(stranger) = input
        .absent
        .iter()
        .find(|a| !seated.iter().any(|s| s.user_id.as_str() == a.as_str()))
    {
        return Err(AppError::invalid(
            "absent",
            "not_seated",
            format!("{stranger} has no seat in this session."),
        ));
    }
    complete_in(ctx, &mut tx, &g, &seated, &input.absent).await?;
    // Each one marked absent learns it, and what their seat paid.
    let mut live = Live::new();
    for s in seated.iter().filter(|s| {
        input
            .absent
            .iter()
            .any(|a| a.as_str() == s.user_id.as_str())
    }) {
        let paid = if s.credits_held > 0 {
            format!(
                " As with a missed 1:1 session, your seat's {} credits pay {} for it.",
                s.credits_held, mentor.first_name
            )
        } else {
            String::new()
        };
        let title = format!("Marked absent from “{}”", g.title);
        let body = format!(
            "{} recorded that you did not come.{paid} If you were there, say so to them in the session's chat.",
            mentor.first_name
        );
        tell(
            ctx,
            &mut tx,
            &g,
            &s.user_id,
            (notify::GROUP_SEAT, title, body),
            now,
            &mut live,
        )
        .await?;
    }
    tx.commit().await?;
    live.publish(ctx).await;
    store::groups::get(&ctx.db.pool, id)
        .await?
        .ok_or_else(not_found)
}

/// Closes a locked open session: each seat pays the mentor and is recorded attended
/// or absent.
async fn complete_in(
    ctx: &Ctx,
    tx: &mut Tx,
    g: &GroupRow,
    seated: &[SeatRow],
    absent: &[String],
) -> AppResult<()> {
    let now = ctx.now();
    for s in seated {
        settle(ctx, tx, s, (&g.mentor_id, &g.title), 0, now).await?;
        let to = if absent.iter().any(|a| a.as_str() == s.user_id.as_str()) {
            SeatStatus::Absent
        } else {
            SeatStatus::Attended
        };
        store::groups::move_seat(tx, &s.id, SeatStatus::Seated, to, s.credits_held, now).await?;
    }
    // Whoever is still in line had no seat: out of the line.
    for w in store::groups::seats(&mut **tx, &g.id, Some(SeatStatus::Waiting)).await? {
        store::groups::move_seat(tx, &w.id, SeatStatus::Waiting, SeatStatus::Left, 0, now).await?;
    }
    store::groups::complete(tx, &g.id, now).await?;
    Ok(())
}

/// Checks the minimum of every session whose decision time has come: too few seated,
/// and it is cancelled and everyone refunded. Run by the maintenance loop; each
/// session once, in its own transaction.
pub async fn decide_due(ctx: &Ctx) -> AppResult<usize> {
    let now = ctx.now();
    let due = store::groups::due_decisions(&ctx.db.pool, now, 50).await?;
    let mut cancelled = 0;
    for id in due {
        let mut live = Live::new();
        let mut tx = ctx.db.begin_write().await?;
        let g = locked(ctx, &mut tx, &id).await?;
        if g.status != group::GroupStatus::Open
            || !store::groups::mark_decided(&mut tx, &id, now).await?
        {
            continue;
        }
        let min = g.min_attendance.unwrap_or(0);
        if g.seated < min {
            let why = format!(
                "Fewer than {min} people had joined by the decision time, so the session will not take place."
            );
            cancel_in(
                ctx,
                &mut tx,
                &g,
                (&why, "minimum attendance not reached"),
                None,
                &mut live,
            )
            .await?;
            // Its mentor too: nobody else called it off.
            let joined = match g.seated {
                0 => "nobody had joined".to_string(),
                1 => "1 person had joined and was refunded".to_string(),
                n => format!("{n} people had joined and were refunded"),
            };
            let body = format!(
                "It needed at least {min} people by the decision time; {joined}. The session \
                 is cancelled and its time is free again."
            );
            let title = format!("“{}” is cancelled: too few joined", g.title);
            let mentor = (notify::GROUP_SEAT, title, body);
            tell(ctx, &mut tx, &g, &g.mentor_id, mentor, now, &mut live).await?;
            cancelled += 1;
        }
        tx.commit().await?;
        live.publish(ctx).await;
    }
    Ok(cancelled)
}

/// Closes sessions their mentor did not record, once the completion grace after
/// their end has passed: everyone seated counts as attended. Run by the maintenance
/// loop.
pub async fn finish_due(ctx: &Ctx) -> AppResult<usize> {
    let now = ctx.now();
    let before = now - jiff::SignedDuration::from_mins(ctx.config.completion_grace_minutes);
    let ended = store::groups::ended(&ctx.db.pool, before, 50).await?;
    let mut done = 0;
    for id in ended {
        let mut tx = ctx.db.begin_write().await?;
        let g = locked(ctx, &mut tx, &id).await?;
        if g.status != group::GroupStatus::Open {
            continue;
        }
        let seated = store::groups::seats(&mut *tx, &id, Some(SeatStatus::Seated)).await?;
        complete_in(ctx, &mut tx, &g, &seated, &[]).await?;
        tx.commit().await?;
        done += 1;
    }
    Ok(done)
}

/// The roster (the mentor and admins) or, for an attendee, the seated people's first
/// names when the mentor shows them; the line is the mentor's.
pub async fn roster(ctx: &Ctx, viewer: &UserRow, id: &str) -> AppResult<(GroupRow, Vec<SeatRow>)> {
    let (g, mine) = get(ctx, Some(viewer), id).await?;
    let seats = roster_of(ctx, viewer, &g, mine.as_ref()).await?;
    Ok((g, seats))
}

/// [`roster`] of a session already read with the viewer's place (`mine`).
pub async fn roster_of(
    ctx: &Ctx,
    viewer: &UserRow,
    g: &GroupRow,
    mine: Option<&SeatRow>,
) -> AppResult<Vec<SeatRow>> {
    let is_mentor = g.mentor_id == viewer.id || is_admin(viewer);
    if is_mentor {
        let all = store::groups::seats(&ctx.db.pool, &g.id, None).await?;
        return Ok(all.into_iter().filter(|s| s.status.is_live()).collect());
    }
    let seated = mine.is_some_and(|s| s.status == SeatStatus::Seated);
    if !(seated && g.show_names) {
        return Err(AppError::forbidden(
            "Only the mentor sees who else is in this session.",
        ));
    }
    Ok(store::groups::seats(&ctx.db.pool, &g.id, Some(SeatStatus::Seated)).await?)
}

/// Who came and who was marked absent, once attendance is recorded, or who had a
/// seat or a place in line when it was cancelled (`refunded`; `seated_at` tells which):
/// for the mentor (or an admin) only; nobody else.
pub async fn attendance_of(ctx: &Ctx, viewer: &UserRow, g: &GroupRow) -> AppResult<Vec<SeatRow>> {
    if g.mentor_id != viewer.id && !is_admin(viewer) {
        return Ok(vec![]);
    }
    let all = store::groups::seats(&ctx.db.pool, &g.id, None).await?;
    Ok(all
        .into_iter()
        .filter(|s| {
            matches!(
                s.status,
                SeatStatus::Attended | SeatStatus::Absent | SeatStatus::Refunded
            )
        })
        .collect())
}

/// Whether the viewer is in the session's chat (its mentor, the seated, and once it
/// is over or cancelled those who had a seat then: the chat stays).
pub async fn in_chat(ctx: &Ctx, viewer: &UserRow, g: &GroupRow) -> AppResult<bool> {
    Ok(store::messages::is_participant(&ctx.db.pool, &g.thread_id, &viewer.id).await?)
}

/// A `group.reminder` job: reminds everyone seated, as each prefers (the booking
/// reminder's preference), with the time in their zone and the mentor's. Nothing when
/// the session was cancelled or is over.
pub async fn remind(ctx: &Ctx, session_id: &str, start_at: i64, lead: &str) -> AppResult<()> {
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let Some(g) = store::groups::get(&mut *tx, session_id).await? else {
        return Ok(());
    };
    if g.status != group::GroupStatus::Open
        || g.start_at.as_microsecond() != start_at
        || now >= g.start_at
    {
        return Ok(());
    }
    let headline = if lead == "1h" {
        "In one hour"
    } else {
        "Tomorrow"
    };
    let mut live = Live::new();
    let mut people: Vec<String> =
        store::groups::seats(&mut *tx, session_id, Some(SeatStatus::Seated))
            .await?
            .into_iter()
            .map(|s| s.user_id.into())
            .collect();
    let seated = people.len();
    people.push(g.mentor_id.to_string());
    for user_id in people {
        let Some(u) = store::users::by_id(&mut *tx, &user_id).await? else {
            continue;
        };
        let when = both_zones(&g, &user_id, u.reads());
        // Its mentor leads it; everyone else attends it with them.
        let with = if user_id == g.mentor_id.as_str() {
            format!("you lead ({seated} seated)")
        } else {
            format!("with {} {}", g.mentor_first_name, g.mentor_last_name)
        };
        notify::notify(
            ctx,
            &mut tx,
            &notify::Note {
                reader: Some(u.reads()),
                user_id: &user_id,
                email: &u.email,
                kind: notify::BOOKING_REMINDER,
                title: format!("{headline}: “{}”", g.title),
                body: format!(
                    "The group session “{}” {with} starts {when}.{}",
                    g.title,
                    join_line(&g)
                ),
                link: format!("/group-sessions/{}", g.id),
                related_id: Some(&g.id),
                ics: None,
            },
            now,
            &mut live,
        )
        .await?;
    }
    tx.commit().await?;
    live.publish(ctx).await;
    Ok(())
}

/// "Join: <link>" on its own paragraph, for a message to the seated or the mentor
/// (nothing while the session has no room yet).
fn join_line(g: &GroupRow) -> String {
    if g.meeting_link.is_empty() {
        String::new()
    } else {
        format!("\n\nJoin: {}", g.meeting_link)
    }
}

/// The session's start in the person's zone and, when it differs, the mentor's, saying
/// whose it is (one moment in two zones, not a range): "Thu 10 Dec 2026, 6:00 PM
/// (Europe/Warsaw); for Radia Murphy, Thu 10 Dec 2026, 12:00 PM (America/New_York)".
/// The mentor reads their own only.
/// The times are stamped (written out in the reader's zone and clock when the
/// notification is read).
fn both_zones(g: &GroupRow, user_id: &str, reader: crate::domain::clock::Reader<'_>) -> String {
    use crate::domain::clock::{stamp, stamp_in};
    if reader.zone == g.timezone || user_id == g.mentor_id.as_str() {
        stamp(g.start_at)
    } else {
        format!(
            "{}; for {} {}, {}",
            stamp(g.start_at),
            g.mentor_first_name,
            g.mentor_last_name,
            stamp_in(&g.timezone, g.start_at)
        )
    }
}

/// The line (`GET …/waitlist`): all of it for the mentor (and admins); for anyone
/// else only their own place, if they are in it.
pub async fn waitlist(ctx: &Ctx, viewer: &UserRow, id: &str) -> AppResult<Vec<SeatRow>> {
    let (g, mine) = get(ctx, Some(viewer), id).await?;
    if g.mentor_id == viewer.id || is_admin(viewer) {
        return Ok(store::groups::seats(&ctx.db.pool, id, Some(SeatStatus::Waiting)).await?);
    }
    Ok(mine
        .filter(|s| s.status == SeatStatus::Waiting)
        .into_iter()
        .collect())
}

/// An attendee reviews a session they attended, once; it counts in the mentor's
/// rating like a review of a 1:1 session, and the mentor is told.
pub async fn review(
    ctx: &Ctx,
    me: &UserRow,
    id: &str,
    input: &super::reviews::ReviewInput,
) -> AppResult<()> {
    let mut v = crate::error::Validator::new();
    if !(1..=5).contains(&input.rating) {
        v.push(crate::error::FieldError::new(
            "rating",
            "out_of_range",
            "A rating is 1 to 5 stars.",
        ));
    }
    let comment = v.check(crate::domain::text::optional_text(
        "comment",
        &input.comment,
        5000,
    ));
    v.finish()?;
    let g = seen(ctx, Some(me), id).await?;
    let now = ctx.now();
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    let Some(seat) = store::groups::attended_seat(&mut *tx, id, &me.id).await? else {
        return Err(AppError::conflict(
            "invalid_transition",
            "Only those who attended a group session review it, once it took place.",
        ));
    };
    let inserted = store::groups::insert_review(
        &mut tx,
        &new_id(),
        &seat,
        id,
        &g.mentor_id,
        &me.id,
        input.rating,
        &comment.unwrap_or_default(),
        now,
    )
    .await?;
    if !inserted {
        return Err(AppError::conflict(
            "already_reviewed",
            "You already reviewed this session.",
        ));
    }
    if let Some(mentor) = store::users::by_id(&mut *tx, &g.mentor_id).await? {
        notify::notify(
            ctx,
            &mut tx,
            &notify::Note {
                reader: None,
                user_id: &g.mentor_id,
                email: &mentor.email,
                kind: notify::REVIEW_RECEIVED,
                title: format!(
                    "{} {} reviewed “{}”: {} stars",
                    me.first_name, me.last_name, g.title, input.rating
                ),
                body: input.comment.clone(),
                link: format!("/group-sessions/{id}"),
                related_id: Some(id),
                ics: None,
            },
            now,
            &mut live,
        )
        .await?;
    }
    store::reviews::recompute_rating(&mut tx, &g.mentor_id, now).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.discovery.invalidate();
    Ok(())
}

/// A session's reviews, newest first: (first name, rating, comment, when), for whoever
/// may see it.
pub async fn reviews_of(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    id: &str,
) -> AppResult<Vec<(String, i64, String, Timestamp)>> {
    let g = seen(ctx, viewer, id).await?;
    reviews(ctx, &g).await
}

/// [`reviews_of`] a session already read (and seen).
pub async fn reviews(ctx: &Ctx, g: &GroupRow) -> AppResult<Vec<(String, i64, String, Timestamp)>> {
    Ok(store::groups::reviews(&ctx.db.pool, &g.id)
        .await?
        .into_iter()
        .map(|(n, r, c, at)| (n, r, c, crate::clock::from_micros(at)))
        .collect())
}

/// Whether the person attended the session and has not reviewed it yet.
pub async fn may_review(ctx: &Ctx, me: &UserRow, id: &str) -> AppResult<bool> {
    Ok(
        match store::groups::attended_seat(&ctx.db.pool, id, &me.id).await? {
            Some(seat) => !store::groups::reviewed(&ctx.db.pool, &seat).await?,
            None => false,
        },
    )
}
