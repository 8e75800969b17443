//! Bookings, their event history, and the queries that keep time slots exclusive.

use sqlx::{Any, Executor, FromRow};

use super::{Arg, Backend, SqlBuilder, Tx};
use crate::domain::ids::new_id;

#[derive(Debug, Clone, FromRow)]
pub struct BookingRow {
    pub id: String,
    pub mentor_id: String,
    pub mentee_id: String,
    pub service_id: String,
    pub kind: String,
    pub title: String,
    pub duration_minutes: i64,
    pub timed: i64,
    pub start_at: i64,
    pub end_at: i64,
    pub timezone: String,
    pub topic: String,
    pub message: String,
    pub mentorship_id: Option<String>,
    pub status: String,
    pub credits_held: i64,
    pub credits_refunded: i64,
    pub credits_paid: i64,
    pub meeting_link: String,
    pub expires_at: i64,
    pub mentee_pre_notes: String,
    pub mentee_pre_shared: i64,
    pub mentor_pre_notes: String,
    pub mentor_pre_shared: i64,
    pub mentee_post_notes: String,
    pub mentee_post_shared: i64,
    pub mentor_post_notes: String,
    pub mentor_post_shared: i64,
    pub decline_reason: String,
    pub cancel_reason: String,
    pub cancelled_by: Option<String>,
    pub no_show_party: String,
    pub delivery_text: String,
    pub delivery_url: String,
    pub delivered_at: Option<i64>,
    pub accepted_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub sequence: i64,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
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
    pub mentee_first_name: String,
    pub mentee_last_name: String,
    pub mentee_email: String,
    pub mentee_timezone: String,
}

const FULL: &str = "SELECT b.*, a.first_name AS mentor_first_name, a.last_name AS mentor_last_name, \
    a.email AS mentor_email, a.timezone AS mentor_timezone, c.first_name AS mentee_first_name, \
    c.last_name AS mentee_last_name, c.email AS mentee_email, c.timezone AS mentee_timezone \
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
    pub expires_at: i64,
    pub idempotency_key: Option<&'a str>,
    pub request_hash: &'a str,
    pub now: i64,
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
    .bind(b.expires_at)
    .bind(b.idempotency_key)
    .bind(b.request_hash)
    .bind(b.now)
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

/// Serialises every booking action that involves either person: takes both users'
/// row locks in id order in one statement (Postgres). This is the first lock of the
/// global order every booking action follows (people, then the booking, then ledger
/// accounts in id order, escrow last). `FOR NO KEY UPDATE` does not conflict with the
/// key-share locks that inserts referencing a user take (notifications, events, ledger
/// rows), so other transactions' writes never wait on it. SQLite's single writer
/// already serialises all writers.
pub async fn lock_people(tx: &mut Tx, backend: Backend, a: &str, b: &str) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM users WHERE id IN ($1, $2) ORDER BY id FOR NO KEY UPDATE")
            .bind(a)
            .bind(b)
            .fetch_all(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Everything a booking request reads before its transaction, in one statement: the
/// service (active, of a listed mentor), the pair's accepted mentorship, both people's
/// names, emails and zones, and the mentor's availability and next free slot.
#[derive(Debug, Clone, FromRow)]
pub struct RequestContext {
    pub service_id: String,
    pub kind: String,
    pub title: String,
    pub duration_minutes: i64,
    pub credit_cost: i64,
    pub mentorship_id: Option<String>,
    pub mentor_first_name: String,
    pub mentor_last_name: String,
    pub mentor_email: String,
    pub mentor_timezone: String,
    pub mentee_first_name: String,
    pub mentee_last_name: String,
    pub mentee_email: String,
    pub mentee_timezone: String,
    /// The mentor's cached next free slot.
    pub next_free_at: Option<i64>,
    /// The mentor's stored preference for booking-request notifications, if any.
    pub pref_in_app: Option<i64>,
    pub pref_email: Option<i64>,
    /// The pair's chat thread, if they have one.
    pub thread_id: Option<String>,
    /// The mentor's availability (all `None` when they have none).
    pub av_timezone: Option<String>,
    pub av_weekly: Option<String>,
    pub av_overrides: Option<String>,
    pub av_min_notice_minutes: Option<i64>,
    pub av_buffer_before_minutes: Option<i64>,
    pub av_buffer_after_minutes: Option<i64>,
    pub av_horizon_days: Option<i64>,
    pub av_slot_step_minutes: Option<i64>,
    pub av_max_per_day: Option<i64>,
}

impl RequestContext {
    /// The mentor's availability row, if they have one.
    pub fn availability(&self, mentor_id: &str) -> Option<super::availability::AvailabilityRow> {
        Some(super::availability::AvailabilityRow {
            mentor_id: mentor_id.to_string(),
            timezone: self.av_timezone.clone()?,
            weekly: self.av_weekly.clone()?,
            overrides: self.av_overrides.clone()?,
            min_notice_minutes: self.av_min_notice_minutes?,
            buffer_before_minutes: self.av_buffer_before_minutes?,
            buffer_after_minutes: self.av_buffer_after_minutes?,
            horizon_days: self.av_horizon_days?,
            slot_step_minutes: self.av_slot_step_minutes?,
            max_per_day: self.av_max_per_day?,
            created_at: 0,
            updated_at: 0,
        })
    }
}

pub async fn request_context<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    service_id: &str,
    mentee_id: &str,
) -> sqlx::Result<Option<RequestContext>> {
    let sql = format!(
        "SELECT s.id AS service_id, s.kind, s.title, s.duration_minutes, s.credit_cost, \
         (SELECT m.id FROM mentorships m WHERE m.mentor_id = s.mentor_id AND m.mentee_id = $3 \
          AND m.status = 'accepted') AS mentorship_id, \
         u.first_name AS mentor_first_name, u.last_name AS mentor_last_name, \
         u.email AS mentor_email, u.timezone AS mentor_timezone, \
         c.first_name AS mentee_first_name, c.last_name AS mentee_last_name, \
         c.email AS mentee_email, c.timezone AS mentee_timezone, p.next_free_at, \
         (SELECT np.in_app FROM notification_preferences np WHERE np.user_id = s.mentor_id \
          AND np.kind = 'booking_requested') AS pref_in_app, \
         (SELECT np.email FROM notification_preferences np WHERE np.user_id = s.mentor_id \
          AND np.kind = 'booking_requested') AS pref_email, \
         (SELECT t.id FROM threads t WHERE t.pair_key = $4) AS thread_id, \
         a.timezone AS av_timezone, a.weekly AS av_weekly, a.overrides AS av_overrides, \
         a.min_notice_minutes AS av_min_notice_minutes, \
         a.buffer_before_minutes AS av_buffer_before_minutes, \
         a.buffer_after_minutes AS av_buffer_after_minutes, a.horizon_days AS av_horizon_days, \
         a.slot_step_minutes AS av_slot_step_minutes, a.max_per_day AS av_max_per_day \
         FROM services s JOIN mentor_profiles p ON p.user_id = s.mentor_id \
         JOIN users u ON u.id = s.mentor_id JOIN users c ON c.id = $3 \
         LEFT JOIN availability a ON a.mentor_id = s.mentor_id \
         WHERE s.id = $2 AND s.mentor_id = $1 AND s.active = 1 AND s.deleted_at IS NULL \
         AND {}",
        super::discovery::LISTED
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(mentor_id)
        .bind(service_id)
        .bind(mentee_id)
        .bind(super::messages::pair_key(mentor_id, mentee_id))
        .fetch_optional(ex)
        .await
}

/// What a booking request writes once its slot is checked, every value ready.
#[derive(Debug, Clone)]
pub struct RequestRows {
    /// The booking as it will be stored (`created_at` is the request's time).
    pub booking: BookingRow,
    pub event_id: String,
    /// The expiry job: id, payload, dedupe key.
    pub expire_job: (String, String, String),
    /// The mentor's in-app notification: id, kind, title, body, link.
    pub notification: Option<(String, String, String, String, String)>,
    /// The email: outbox id, address, subject, body, calendar file, job id, payload.
    pub email: Option<(String, String, String, String, String, String, String)>,
    /// The invite in the pair's thread: message id, metadata (the thread is given to
    /// [`insert_request`]).
    pub invite: (String, String),
    /// The escrow transfer: transfer id and entry ids (when credits are held).
    pub hold: Option<(String, String, String)>,
}

/// The statements of [`insert_request`], in order: the wallet debit first (refused by
/// the account's `balance >= 0` check when the wallet is short, and by the entry's
/// NOT NULL account when there is no wallet), the credit of the booking's escrow
/// account last.
const REQUEST_STATEMENTS: [&str; 13] = [
    "UPDATE ledger_accounts SET balance = balance - $15, updated_at = $19 \
     WHERE kind = 'wallet' AND user_id = $3 AND $44 = 1",
    "INSERT INTO bookings (id, mentor_id, mentee_id, service_id, kind, title, duration_minutes, timed, \
     start_at, end_at, timezone, topic, message, mentorship_id, status, credits_held, expires_at, \
     idempotency_key, request_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
     $9, $10, $11, $12, $13, $14, 'pending', $15, $16, $17, $18, $19, $19)",
    "INSERT INTO booking_events (id, booking_id, actor_id, kind, detail, created_at, updated_at) \
     VALUES ($20, $1, $3, 'requested', '', $19, $19)",
    "INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, created_at, updated_at) \
     VALUES ($21, 'booking.expire', $22, $23, 'queued', $16, $19, $19) ON CONFLICT DO NOTHING",
    "INSERT INTO notifications (id, user_id, kind, title, body, link, related_id, created_at, updated_at) \
     SELECT $25, $2, $26, $27, $28, $29, $1, $19, $19 WHERE $24 = 1",
    "INSERT INTO outbox (id, user_id, to_email, subject, body, ics, status, created_at, updated_at) \
     SELECT $31, $2, $32, $27, $33, $34, 'queued', $19, $19 WHERE $30 = 1",
    "INSERT INTO jobs (id, kind, payload, status, run_at, created_at, updated_at) \
     SELECT $35, 'email.send', $36, 'queued', $19, $19, $19 WHERE $30 = 1",
    "INSERT INTO messages (id, thread_id, sender_id, kind, content, metadata, booking_id, created_at, updated_at) \
     VALUES ($37, $38, $3, 'invite', $13, $39, $1, $19, $19)",
    "UPDATE threads SET last_message_at = $19, updated_at = $19 WHERE id = $38",
    "UPDATE thread_participants SET archived = 0, updated_at = $19 WHERE thread_id = $38 AND archived = 1",
    "INSERT INTO ledger_transfers (id, idempotency_key, kind, booking_id, actor_id, memo, created_at, updated_at) \
     SELECT $40, $41, 'booking_hold', $1, $3, 'Credits held for a booking', $19, $19 WHERE $44 = 1",
    "INSERT INTO ledger_entries (id, transfer_id, account_id, amount, created_at, updated_at) \
     SELECT $42, $40, (SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND user_id = $3), \
     0 - $15, $19, $19 WHERE $44 = 1 \
     UNION ALL SELECT $43, $40, $45, $15, $19, $19 WHERE $44 = 1",
    "UPDATE ledger_accounts SET balance = balance + $15, updated_at = $19 WHERE id = $45 AND $44 = 1",
];

/// Writes a booking request (the wallet debit, the booking, its event and expiry
/// job, the mentor's notification and email, the invite in the pair's `thread`, the
/// escrow transfer and the escrow credit) in one round trip: on SQLite one
/// multi-statement command, on PostgreSQL one statement of data-modifying CTEs. A
/// short wallet fails it with a constraint error.
///
/// With `release`, the SQLite command ends by releasing the savepoint `booking` the
/// caller opened (one round trip less per request in a group commit).
pub async fn insert_request(
    tx: &mut Tx,
    backend: Backend,
    w: &RequestRows,
    thread: &str,
    release: bool,
) -> sqlx::Result<()> {
    static SQLITE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static SQLITE_RELEASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static POSTGRES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = match backend {
        Backend::Sqlite if release => SQLITE_RELEASE
            .get_or_init(|| format!("{};\nRELEASE booking", REQUEST_STATEMENTS.join(";\n"))),
        Backend::Sqlite => SQLITE.get_or_init(|| REQUEST_STATEMENTS.join(";\n")),
        Backend::Postgres => POSTGRES.get_or_init(|| {
            let (last, rest) = REQUEST_STATEMENTS.split_last().unwrap_or((&"", &[]));
            let ctes: Vec<String> = rest
                .iter()
                .enumerate()
                .map(|(i, s)| format!("w{i} AS ({s})"))
                .collect();
            format!("WITH {} {last}", ctes.join(", "))
        }),
    };
    let b = &w.booking;
    let none = String::new;
    let (n_id, n_kind, n_title, n_body, n_link) = w
        .notification
        .clone()
        .unwrap_or_else(|| (none(), none(), none(), none(), none()));
    let (e_id, e_to, e_subject, e_body, e_ics, e_job, e_payload) = w
        .email
        .clone()
        .unwrap_or_else(|| (none(), none(), none(), none(), none(), none(), none()));
    let title = if w.notification.is_some() {
        n_title
    } else {
        e_subject
    };
    let (t_id, entry1, entry2) = w.hold.clone().unwrap_or_else(|| (none(), none(), none()));
    sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&b.id)
        .bind(&b.mentor_id)
        .bind(&b.mentee_id)
        .bind(&b.service_id)
        .bind(&b.kind)
        .bind(&b.title)
        .bind(b.duration_minutes)
        .bind(b.timed)
        .bind(b.start_at)
        .bind(b.end_at)
        .bind(&b.timezone)
        .bind(&b.topic)
        .bind(&b.message)
        .bind(&b.mentorship_id)
        .bind(b.credits_held)
        .bind(b.expires_at)
        .bind(&b.idempotency_key)
        .bind(&b.request_hash)
        .bind(b.created_at)
        .bind(&w.event_id)
        .bind(&w.expire_job.0)
        .bind(&w.expire_job.1)
        .bind(&w.expire_job.2)
        .bind(i64::from(w.notification.is_some()))
        .bind(n_id)
        .bind(n_kind)
        .bind(title)
        .bind(n_body)
        .bind(n_link)
        .bind(i64::from(w.email.is_some()))
        .bind(e_id)
        .bind(e_to)
        .bind(e_body)
        .bind(e_ics)
        .bind(e_job)
        .bind(e_payload)
        .bind(&w.invite.0)
        .bind(thread)
        .bind(&w.invite.1)
        .bind(t_id)
        .bind(format!("hold:{}", b.id))
        .bind(entry1)
        .bind(entry2)
        .bind(i64::from(w.hold.is_some()))
        .bind(super::ledger::escrow_for(&b.id))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What keeps a mentor busy in `[from, to)`: live timed bookings (but `except`), and
/// slots held for a mentee whose checkout is open (but the hold of `except_hold`).
pub struct BusyAsk<'a> {
    pub mentor_id: &'a str,
    pub from: i64,
    pub to: i64,
    pub except: Option<&'a str>,
    pub except_hold: Option<&'a str>,
    pub now: i64,
}

/// What keeps mentor `$1` busy in `[$2, $3)` (rows `0, start, end`): live timed
/// bookings but `$4`, and open checkouts' held slots (at `$6`) but payment `$5`; `$7`
/// is [`LONGEST`]. Shared by [`mentor_busy`] and [`slot_conflicts`].
macro_rules! mentor_busy_sql {
    () => {
        "SELECT 0, start_at, end_at FROM bookings WHERE mentor_id = $1 AND timed = 1 \
         AND status IN ('pending', 'accepted') AND start_at < $3 AND start_at > $2 - $7 \
         AND +end_at > $2 AND ($4 IS NULL OR id <> $4) \
         UNION ALL SELECT 0, hold_start, hold_end FROM payments WHERE hold_mentor_id = $1 \
         AND hold_until > $6 AND status = 'pending' AND hold_start < $3 AND hold_end > $2 \
         AND ($5 IS NULL OR id <> $5)"
    };
}

/// The longest a timed booking lasts (µs): an overlap with `[from, to)` starts after
/// `from - LONGEST`.
const LONGEST: i64 = crate::domain::mentor::MAX_DURATION * 60_000_000;

/// (In these overlap queries the start is bounded on both sides, so the person's
/// `(id, status, start_at)` index reads only the bookings near the range, not all
/// their bookings before it; and `+end_at` keeps SQLite's planner off the `(status,
/// end_at)` index, which would read every live booking of every mentor.)
pub async fn mentor_busy<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ask: &BusyAsk<'_>,
) -> sqlx::Result<Vec<(i64, i64)>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(concat!(mentor_busy_sql!(), " ORDER BY 2"))
        .bind(ask.mentor_id)
        .bind(ask.from)
        .bind(ask.to)
        .bind(ask.except)
        .bind(ask.except_hold)
        .bind(ask.now)
        .bind(LONGEST)
        .fetch_all(ex)
        .await?;
    Ok(rows.into_iter().map(|(_, s, e)| (s, e)).collect())
}

/// In one statement: what keeps the mentor busy around a requested slot (as
/// [`mentor_busy`]), whether the mentee has a live timed booking overlapping
/// `mentee_span`, and the mentee's wallet balance (0 without a wallet).
pub struct SlotConflicts {
    pub busy: Vec<(i64, i64)>,
    pub mentee_busy: bool,
    pub balance: i64,
}

pub async fn slot_conflicts<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ask: &BusyAsk<'_>,
    mentee_id: &str,
    mentee_span: (i64, i64),
) -> sqlx::Result<SlotConflicts> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(concat!(
        mentor_busy_sql!(),
        " UNION ALL SELECT 1, start_at, end_at FROM bookings WHERE mentee_id = $8 AND timed = 1 \
         AND status IN ('pending', 'accepted') AND start_at < $10 AND start_at > $9 - $7 \
         AND +end_at > $9 AND ($4 IS NULL OR id <> $4) \
         UNION ALL SELECT 2, balance, 0 FROM ledger_accounts WHERE kind = 'wallet' AND user_id = $8"
    ))
    .bind(ask.mentor_id)
    .bind(ask.from)
    .bind(ask.to)
    .bind(ask.except)
    .bind(ask.except_hold)
    .bind(ask.now)
    .bind(LONGEST)
    .bind(mentee_id)
    .bind(mentee_span.0)
    .bind(mentee_span.1)
    .fetch_all(ex)
    .await?;
    let mentee_busy = rows.iter().any(|r| r.0 == 1);
    let balance = rows.iter().find(|r| r.0 == 2).map_or(0, |r| r.1);
    let mut busy: Vec<(i64, i64)> = rows
        .into_iter()
        .filter(|r| r.0 == 0)
        .map(|r| (r.1, r.2))
        .collect();
    busy.sort_unstable();
    Ok(SlotConflicts {
        busy,
        mentee_busy,
        balance,
    })
}

/// Moves a booking from `from` to `to` status (only if still in `from`) and records the
/// settlement amounts. Returns whether it moved.
pub struct StatusChange<'a> {
    pub id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub refunded: i64,
    pub paid: i64,
    pub finished: bool,
    pub now: i64,
}

pub async fn change_status(tx: &mut Tx, c: &StatusChange<'_>) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE bookings SET status = $3, credits_refunded = credits_refunded + $4, \
         credits_paid = credits_paid + $5, finished_at = CASE WHEN $6 = 1 THEN $7 ELSE finished_at END, \
         accepted_at = CASE WHEN $3 = 'accepted' THEN $7 ELSE accepted_at END, \
         sequence = sequence + CASE WHEN $3 IN ('accepted', 'cancelled') THEN 1 ELSE 0 END, \
         updated_at = $7 WHERE id = $1 AND status = $2",
    )
    .bind(c.id)
    .bind(c.from)
    .bind(c.to)
    .bind(c.refunded)
    .bind(c.paid)
    .bind(i64::from(c.finished))
    .bind(c.now)
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
    now: i64,
) -> sqlx::Result<()> {
    let col = match column {
        BookingText::MeetingLink => "meeting_link",
        BookingText::DeclineReason => "decline_reason",
        BookingText::CancelReason => "cancel_reason",
        BookingText::NoShowParty => "no_show_party",
    };
    let sql = format!("UPDATE bookings SET {col} = $2, updated_at = $3 WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(value)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub enum BookingText {
    MeetingLink,
    DeclineReason,
    CancelReason,
    NoShowParty,
}

pub async fn set_cancelled_by(tx: &mut Tx, id: &str, by: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("UPDATE bookings SET cancelled_by = $2 WHERE id = $1")
        .bind(id)
        .bind(by)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_delivery(
    tx: &mut Tx,
    id: &str,
    text: &str,
    url: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE bookings SET delivery_text = $2, delivery_url = $3, delivered_at = $4, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(text)
        .bind(url)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn reschedule(
    tx: &mut Tx,
    id: &str,
    start: i64,
    end: i64,
    expires_at: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE bookings SET start_at = $2, end_at = $3, expires_at = $4, sequence = sequence + 1, \
         updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(start)
    .bind(end)
    .bind(expires_at)
    .bind(now)
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
    now: i64,
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
        .bind(now)
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
    now: i64,
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
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub id: String,
    pub actor_id: Option<String>,
    pub kind: String,
    pub from_start: Option<i64>,
    pub to_start: Option<i64>,
    pub detail: String,
    pub created_at: i64,
}

pub async fn events<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT id, actor_id, kind, from_start, to_start, detail, created_at FROM booking_events \
         WHERE booking_id = $1 ORDER BY id",
    )
    .bind(booking_id)
    .fetch_all(ex)
    .await
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
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM bookings WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2")
        .bind(now)
        .bind(limit)
        .fetch_all(ex)
        .await
}

/// Accepted bookings past their end (meetings) or deadline (reviews), by `cutoff`.
pub async fn due_endings<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    cutoff: i64,
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM bookings WHERE status = 'accepted' \
         AND ((timed = 1 AND end_at <= $1) OR (timed = 0 AND end_at <= $2)) ORDER BY end_at LIMIT $3",
    )
    .bind(cutoff)
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Records a mentor no-show against their profile.
pub async fn count_mentor_no_show(tx: &mut Tx, mentor_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE mentor_profiles SET no_show_count = no_show_count + 1 WHERE user_id = $1")
        .bind(mentor_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
