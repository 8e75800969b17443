//! Bookings, their event history, and the queries that keep time slots exclusive.
//!
//! `request` holds a booking request's one read and one write; `busy` the overlap
//! queries (a mentor's busy time, a slot's conflicts); `series` recurring series; the
//! rest is here.

pub mod batch;
mod busy;
mod request;
mod series;

pub use self::{busy::*, request::*, series::*};

use crate::store::column::Column;
use sqlx::{Any, Executor, FromRow};

use jiff::Timestamp;

use super::{Arg, Backend, SqlBuilder, Tx, column::row};
use crate::domain::ids::{BookingId, UserId, new_id};
use crate::domain::{booking::BookingStatus, mentor::ServiceKind};

row! {
#[derive(Debug, Clone)]
pub struct BookingRow {
    pub id: BookingId,
    pub mentor_id: UserId,
    pub mentee_id: UserId,
    pub service_id: String,
    pub kind: ServiceKind,
    pub title: String,
    pub duration_minutes: i64,
    pub timed: bool,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub timezone: String,
    pub topic: String,
    pub message: String,
    pub mentorship_id: Option<String>,
    pub status: BookingStatus,
    pub credits_held: i64,
    pub credits_refunded: i64,
    pub credits_paid: i64,
    pub meeting_link: String,
    pub expires_at: Timestamp,
    pub mentee_pre_notes: String,
    pub mentee_pre_shared: bool,
    pub mentor_pre_notes: String,
    pub mentor_pre_shared: bool,
    pub mentee_post_notes: String,
    pub mentee_post_shared: bool,
    pub mentor_post_notes: String,
    pub mentor_post_shared: bool,
    pub decline_reason: String,
    pub cancel_reason: String,
    pub cancelled_by: Option<String>,
    pub no_show_party: String,
    pub delivery_text: String,
    pub delivery_url: String,
    pub delivered_at: Option<Timestamp>,
    pub accepted_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub sequence: i64,
    /// The recurring series this booking is an occurrence of.
    pub series_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Its mentor moved it to a time within the cancellation notice: its mentee may
    /// cancel that time for everything back (migration 0038).
    pub short_notice_by_mentor: bool,
}
}

/// A booking with both people's names.
#[derive(Debug, Clone, FromRow)]
pub struct BookingFull {
    #[sqlx(flatten)]
    pub b: BookingRow,
    pub mentor_first_name: String,
    pub mentor_last_name: String,
    pub mentor_email: String,
    pub mentor_timezone: String,
    pub mentor_clock: String,
    pub mentee_first_name: String,
    pub mentee_last_name: String,
    pub mentee_email: String,
    pub mentee_timezone: String,
    pub mentee_clock: String,
}

impl BookingFull {
    /// How messages to the mentor write times.
    pub fn mentor_reads(&self) -> crate::domain::clock::Reader<'_> {
        crate::domain::clock::Reader::of(&self.mentor_timezone, &self.mentor_clock)
    }

    /// How messages to the mentee write times.
    pub fn mentee_reads(&self) -> crate::domain::clock::Reader<'_> {
        crate::domain::clock::Reader::of(&self.mentee_timezone, &self.mentee_clock)
    }
}

const FULL: &str = "SELECT b.*, a.first_name AS mentor_first_name, a.last_name AS mentor_last_name, \
    a.email AS mentor_email, a.timezone AS mentor_timezone, a.clock AS mentor_clock, \
    c.first_name AS mentee_first_name, c.last_name AS mentee_last_name, c.email AS mentee_email, \
    c.timezone AS mentee_timezone, c.clock AS mentee_clock \
    FROM bookings b JOIN users a ON a.id = b.mentor_id JOIN users c ON c.id = b.mentee_id";

pub struct NewBooking<'a> {
    pub id: &'a str,
    pub mentor_id: &'a str,
    pub mentee_id: &'a str,
    pub service_id: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub duration_minutes: i64,
    pub timed: bool,
    pub start_at: i64,
    pub end_at: i64,
    pub timezone: &'a str,
    pub topic: &'a str,
    pub message: &'a str,
    pub mentorship_id: Option<&'a str>,
    pub credits_held: i64,
    pub expires_at: Timestamp,
    pub idempotency_key: Option<&'a str>,
    pub request_hash: &'a str,
    pub now: Timestamp,
}

pub async fn insert(tx: &mut Tx, b: &NewBooking<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO bookings (id, mentor_id, mentee_id, service_id, kind, title, duration_minutes, timed, \
         start_at, end_at, timezone, topic, message, mentorship_id, status, credits_held, expires_at, \
         idempotency_key, request_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         $9, $10, $11, $12, $13, $14, 'pending', $15, $16, $17, $18, $19, $19)",
    )
    .bind(b.id)
    .bind(b.mentor_id)
    .bind(b.mentee_id)
    .bind(b.service_id)
    .bind(b.kind)
    .bind(b.title)
    .bind(b.duration_minutes)
    .bind(i64::from(b.timed))
    .bind(b.start_at)
    .bind(b.end_at)
    .bind(b.timezone)
    .bind(b.topic)
    .bind(b.message)
    .bind(b.mentorship_id)
    .bind(b.credits_held)
    .bind(b.expires_at.stored())
    .bind(b.idempotency_key)
    .bind(b.request_hash)
    .bind(b.now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<BookingFull>> {
    let sql = format!("{FULL} WHERE b.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Reads a booking and locks its row until the end of the transaction (Postgres; on
/// SQLite the write transaction already excludes other writers). The lock is `FOR NO
/// KEY UPDATE`: rows that reference the booking (its events, ledger transfers) can
/// still be written by others, so those inserts never wait on it.
pub async fn get_for_update(
    tx: &mut Tx,
    backend: Backend,
    id: &str,
) -> sqlx::Result<Option<BookingFull>> {
    if backend == Backend::Postgres {
        let sql = format!("{FULL} WHERE b.id = $1 FOR NO KEY UPDATE OF b");
        return sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await;
    }
    get(&mut **tx, id).await
}

/// A booking's mentor and mentee (fixed for its life), to lock them first.
pub async fn people_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("SELECT mentor_id, mentee_id FROM bookings WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

pub async fn by_idempotency_key<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentee_id: &str,
    key: &str,
) -> sqlx::Result<Option<BookingRow>> {
    sqlx::query_as("SELECT * FROM bookings WHERE mentee_id = $1 AND idempotency_key = $2")
        .bind(mentee_id)
        .bind(key)
        .fetch_optional(ex)
        .await
}

/// Locks these people's rows (in id order, in one statement: see [`lock_people`]).
pub async fn lock_users(tx: &mut Tx, backend: Backend, ids: &[String]) -> sqlx::Result<()> {
    if backend == Backend::Postgres && !ids.is_empty() {
        let mut b = crate::store::SqlBuilder::new("SELECT id FROM users WHERE id IN (");
        b.bind_list(ids).push(") ORDER BY id FOR NO KEY UPDATE");
        b.query_as::<(String,)>().fetch_all(&mut **tx).await?;
    }
    Ok(())
}

/// Whether a `users` row may still book or be booked: 1 while neither closed nor
/// suspended, else 0 (a column of the queries below).
macro_rules! open_sql {
    () => {
        "CASE WHEN deleted_at IS NULL AND suspended_at IS NULL THEN 1 ELSE 0 END"
    };
}
pub(crate) use open_sql;

/// Serialises every booking action that involves either person: takes both users'
/// row locks in id order in one statement (Postgres). This is the first lock of the
/// global order every booking action follows (people, then the booking, then ledger
/// accounts in id order, escrow last). `FOR NO KEY UPDATE` does not conflict with the
/// key-share locks that inserts referencing a user take (notifications, events, ledger
/// rows), so other transactions' writes never wait on it. SQLite's single writer
/// already serialises all writers.
///
/// The same statement sets `plan_cache_mode = force_generic_plan` for the rest of the
/// transaction (`set_config(…, true)`, undone at its end; no extra round trip). Once the
/// tables have statistics, PostgreSQL would otherwise plan the action's statements
/// afresh on every execution (their estimated generic cost is above a custom plan's,
/// for range conditions on parameters): measured, that planning made the booking write
/// path ~25 % slower after the first minute of load. Their generic plans (made with
/// statistics) are the right ones: key lookups, one mentor's index range, inserts.
pub async fn lock_people(tx: &mut Tx, backend: Backend, a: &str, b: &str) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        lock_two(tx, a, b).await?;
    }
    Ok(())
}

/// PostgreSQL's lock of [`lock_people`], answering for each person locked whether
/// they may still book and be booked (see [`lock_people_open`]).
async fn lock_two(tx: &mut Tx, a: &str, b: &str) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query_as(concat!(
        "SELECT id, set_config('plan_cache_mode', 'force_generic_plan', true), ",
        open_sql!(),
        " FROM users WHERE id IN ($1, $2) ORDER BY id FOR NO KEY UPDATE"
    ))
    .bind(a)
    .bind(b)
    .fetch_all(&mut **tx)
    .await
}

/// [`lock_people`] for a booking request, and whether both people may still book and be
/// booked: an account closed or suspended after the request was read (its checks ran
/// before the write) must not get a booking. On PostgreSQL the lock's own statement
/// answers it (no round trip more); on SQLite, whose writer holds the database, one
/// read.
pub async fn lock_people_open(
    tx: &mut Tx,
    backend: Backend,
    a: &str,
    b: &str,
) -> sqlx::Result<bool> {
    let people = if a == b { 1 } else { 2 };
    if backend == Backend::Postgres {
        let rows = lock_two(tx, a, b).await?;
        return Ok(rows.iter().filter(|r| r.2 == 1).count() == people);
    }
    let open: i64 = sqlx::query_scalar(PEOPLE_OPEN)
        .bind(a)
        .bind(b)
        .fetch_one(&mut **tx)
        .await?;
    Ok(open == people as i64)
}

/// How many of two people (one when the same) may still book and be booked.
pub const PEOPLE_OPEN: &str = concat!(
    "SELECT COUNT(*) FROM users WHERE id IN ($1, $2) AND ",
    open_sql!(),
    " = 1"
);

/// Moves a booking from `from` to `to` status (only if still in `from`) and records the
/// settlement amounts. Returns whether it moved.
pub struct StatusChange<'a> {
    pub id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub refunded: i64,
    pub paid: i64,
    pub finished: bool,
    pub now: Timestamp,
}

/// Moves a booking from one status to another. Its calendar event's `SEQUENCE` goes up
/// whenever its calendar status changes (accepted: confirmed; cancelled, declined or
/// expired: cancelled), so that calendars take the newer file for the older.
pub async fn change_status(tx: &mut Tx, c: &StatusChange<'_>) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE bookings SET status = $3, credits_refunded = credits_refunded + $4, \
         credits_paid = credits_paid + $5, finished_at = CASE WHEN $6 = 1 THEN $7 ELSE finished_at END, \
         accepted_at = CASE WHEN $3 = 'accepted' THEN $7 ELSE accepted_at END, \
         sequence = sequence + CASE WHEN $3 IN ('accepted', 'cancelled', 'declined', 'expired') \
         THEN 1 ELSE 0 END, \
         updated_at = $7 WHERE id = $1 AND status = $2",
    )
    .bind(c.id)
    .bind(c.from)
    .bind(c.to)
    .bind(c.refunded)
    .bind(c.paid)
    .bind(i64::from(c.finished))
    .bind(c.now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Sets free-text fields that go with a transition.
pub async fn set_text(
    tx: &mut Tx,
    id: &str,
    column: BookingText,
    value: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    let col = match column {
        BookingText::MeetingLink => "meeting_link",
        BookingText::DeclineReason => "decline_reason",
        BookingText::NoShowParty => "no_show_party",
    };
    let sql = format!("UPDATE bookings SET {col} = $2, updated_at = $3 WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(value)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub enum BookingText {
    MeetingLink,
    DeclineReason,
    NoShowParty,
}

/// Records why a booking was cancelled and by whom (`None`: the system), in one
/// statement.
pub async fn set_cancelled(
    tx: &mut Tx,
    id: &str,
    reason: &str,
    by: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE bookings SET cancel_reason = $2, cancelled_by = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(reason)
    .bind(by)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_delivery(
    tx: &mut Tx,
    id: &str,
    text: &str,
    url: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE bookings SET delivery_text = $2, delivery_url = $3, delivered_at = $4, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(text)
        .bind(url)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn reschedule(
    tx: &mut Tx,
    id: &str,
    (start, end): (i64, i64),
    expires_at: Timestamp,
    short_notice_by_mentor: bool,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE bookings SET start_at = $2, end_at = $3, expires_at = $4, sequence = sequence + 1, \
         updated_at = $5, short_notice_by_mentor = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(start)
    .bind(end)
    .bind(expires_at.stored())
    .bind(now.stored())
    .bind(i64::from(short_notice_by_mentor))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One side's notes (`side` is "mentee" or "mentor").
pub async fn set_notes(
    ex: impl Executor<'_, Database = Any>,
    id: &str,
    side: &str,
    pre: (&str, bool),
    post: (&str, bool),
    now: Timestamp,
) -> sqlx::Result<()> {
    let sql = format!(
        "UPDATE bookings SET {side}_pre_notes = $2, {side}_pre_shared = $3, {side}_post_notes = $4, \
         {side}_post_shared = $5, updated_at = $6 WHERE id = $1"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(pre.0)
        .bind(i64::from(pre.1))
        .bind(post.0)
        .bind(i64::from(post.1))
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn add_event(
    tx: &mut Tx,
    booking_id: &str,
    actor_id: Option<&str>,
    kind: &str,
    moved: Option<(i64, i64)>,
    detail: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO booking_events (id, booking_id, actor_id, kind, from_start, to_start, detail, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(new_id())
    .bind(booking_id)
    .bind(actor_id)
    .bind(kind)
    .bind(moved.map(|m| m.0))
    .bind(moved.map(|m| m.1))
    .bind(detail)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

row! {
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: String,
    pub booking_id: String,
    pub actor_id: Option<String>,
    pub kind: String,
    pub from_start: Option<Timestamp>,
    pub to_start: Option<Timestamp>,
    pub detail: String,
    pub created_at: Timestamp,
}
}

pub async fn events<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT id, booking_id, actor_id, kind, from_start, to_start, detail, created_at \
         FROM booking_events WHERE booking_id = $1 ORDER BY id",
    )
    .bind(booking_id)
    .fetch_all(ex)
    .await
}

/// The histories of several bookings in one read, each oldest first.
pub async fn events_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_ids: &[&str],
) -> sqlx::Result<Vec<EventRow>> {
    if booking_ids.is_empty() {
        return Ok(vec![]);
    }
    let mut b = SqlBuilder::new(
        "SELECT id, booking_id, actor_id, kind, from_start, to_start, detail, created_at \
         FROM booking_events WHERE booking_id IN (",
    );
    for (i, id) in booking_ids.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind(Arg::Text(id.to_string()));
    }
    b.push(") ORDER BY booking_id, id");
    b.query_as().fetch_all(ex).await
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub user_id: String,
    /// "mentor", "mentee" or either.
    pub role: Option<&'static str>,
    pub statuses: Vec<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub mentorship_id: Option<String>,
    /// Only bookings with this other person.
    pub with_user: Option<String>,
    /// Order by start ascending (upcoming) instead of newest first.
    pub ascending: bool,
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    f: &ListFilter,
) -> sqlx::Result<Vec<BookingFull>> {
    let mut b = SqlBuilder::new(FULL);
    match f.role {
        Some("mentor") => {
            b.push(" WHERE b.mentor_id = ")
                .bind(Arg::Text(f.user_id.clone()));
        }
        Some(_) => {
            b.push(" WHERE b.mentee_id = ")
                .bind(Arg::Text(f.user_id.clone()));
        }
        None => {
            b.push(" WHERE (b.mentor_id = ")
                .bind(Arg::Text(f.user_id.clone()));
            b.push(" OR b.mentee_id = ")
                .bind(Arg::Text(f.user_id.clone()))
                .push(")");
        }
    }
    if !f.statuses.is_empty() {
        b.push(" AND b.status IN (");
        for (i, s) in f.statuses.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind(Arg::Text(s.clone()));
        }
        b.push(")");
    }
    if let Some(from) = f.from {
        b.push(" AND b.end_at > ").bind(Arg::Int(from));
    }
    if let Some(to) = f.to {
        b.push(" AND b.start_at < ").bind(Arg::Int(to));
    }
    if let Some(m) = &f.mentorship_id {
        b.push(" AND b.mentorship_id = ").bind(Arg::Text(m.clone()));
    }
    if let Some(other) = &f.with_user {
        b.push(" AND (b.mentor_id = ")
            .bind(Arg::Text(other.clone()));
        b.push(" OR b.mentee_id = ")
            .bind(Arg::Text(other.clone()))
            .push(")");
    }
    let (cmp, dir) = if f.ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    if let Some((at, id)) = &f.after {
        b.push(&format!(" AND (b.start_at {cmp} "))
            .bind(Arg::Int(*at));
        b.push(" OR (b.start_at = ").bind(Arg::Int(*at));
        b.push(&format!(" AND b.id {cmp} "))
            .bind(Arg::Text(id.clone()))
            .push("))");
    }
    b.push(&format!(" ORDER BY b.start_at {dir}, b.id {dir} LIMIT "))
        .bind(Arg::Int(f.limit));
    b.query_as().fetch_all(ex).await
}

/// Pending bookings whose time to answer is up.
pub async fn due_expiries<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    now: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<BookingId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM bookings WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
    )
    .bind(now.stored())
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(ids.into_iter().map(BookingId::trusted).collect())
}

/// The statement of [`due_endings`]: it reads `bookings_ending`, an index of accepted
/// bookings only (pending ones are not written to it).
pub const DUE_ENDINGS: &str = "SELECT id FROM bookings WHERE status = 'accepted' \
     AND ((timed = 1 AND end_at <= $1) OR (timed = 0 AND end_at <= $2)) ORDER BY end_at LIMIT $3";

/// Accepted bookings past their end (meetings) or deadline (reviews), by `cutoff`.
pub async fn due_endings<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    cutoff: Timestamp,
    now: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<BookingId>> {
    let ids: Vec<String> = sqlx::query_scalar(DUE_ENDINGS)
        .bind(cutoff.stored())
        .bind(now.stored())
        .bind(limit)
        .fetch_all(ex)
        .await?;
    Ok(ids.into_iter().map(BookingId::trusted).collect())
}

/// Records a mentor no-show against their profile.
pub async fn count_mentor_no_show(tx: &mut Tx, mentor_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE mentor_profiles SET no_show_count = no_show_count + 1 WHERE user_id = $1")
        .bind(mentor_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
