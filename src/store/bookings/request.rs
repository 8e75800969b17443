//! A booking request: its context in one read, its rows in one write (a multi-statement command on SQLite, data-modifying CTEs on PostgreSQL).

use super::*;
use crate::domain::availability::{OverrideIo, RuleIo};
use crate::store::column::Column;

row! {
/// Everything a booking request reads before its transaction, in one statement: the
/// service (active, of a listed mentor), the pair's accepted mentorship, both people's
/// names, emails and zones, and the mentor's availability and next free slot.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub service_id: String,
    pub kind: ServiceKind,
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
    pub next_free_at: Option<Timestamp>,
    /// The mentor's stored preference for booking-request notifications, if any.
    pub pref_in_app: Option<bool>,
    pub pref_email: Option<bool>,
    /// The pair's chat thread, if they have one.
    pub thread_id: Option<String>,
    /// When the mentor's connected calendars were last tried, the oldest (the epoch
    /// for one never tried); `None` without any.
    pub calendar_read_at: Option<Timestamp>,
    /// The mentee's sponsored account of the program their accepted mentorship with
    /// this mentor belongs to, while that program is open or running.
    pub sponsored_account: Option<String>,
    /// The mentor's availability (all `None` when they have none).
    pub av_timezone: Option<String>,
    pub av_weekly: Option<Vec<RuleIo>>,
    pub av_overrides: Option<Vec<OverrideIo>>,
    pub av_min_notice_minutes: Option<i64>,
    pub av_buffer_before_minutes: Option<i64>,
    pub av_buffer_after_minutes: Option<i64>,
    pub av_horizon_days: Option<i64>,
    pub av_slot_step_minutes: Option<i64>,
    pub av_max_per_day: Option<i64>,
}
}

impl RequestContext {
    /// The mentor's availability row, if they have one.
    pub fn availability(
        &self,
        mentor_id: &str,
    ) -> Option<crate::store::availability::AvailabilityRow> {
        Some(crate::store::availability::AvailabilityRow {
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
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
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
         (SELECT MIN(COALESCE(k.last_attempt_at, 0)) FROM calendar_connections k \
          WHERE k.user_id = s.mentor_id) AS calendar_read_at, \
         (SELECT la.id FROM mentorships m JOIN programs pr ON pr.id = m.program_id \
          JOIN ledger_accounts la ON la.program_id = m.program_id AND la.kind = 'sponsored' \
          AND la.user_id = $3 WHERE m.mentor_id = s.mentor_id AND m.mentee_id = $3 \
          AND m.status = 'accepted' AND pr.status IN ('open', 'running')) AS sponsored_account, \
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
        crate::store::discovery::LISTED
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(mentor_id)
        .bind(service_id)
        .bind(mentee_id)
        .bind(crate::store::messages::pair_key(mentor_id, mentee_id))
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
    /// [`insert_request`]); a series invites once, with its first occurrence.
    pub invite: Option<(String, String)>,
    /// The escrow transfer: transfer id and entry ids (when credits are held).
    pub hold: Option<(String, String, String)>,
}

/// The statements of [`insert_request`], in order: the debits first — the program's
/// sponsored credits (`$47` from the account `$46`), then the wallet for the rest —
/// refused by the accounts' `balance >= 0` check when short, and by the entry's NOT
/// NULL account when there is no wallet; the credit of the booking's escrow account
/// last.
pub(super) const REQUEST_STATEMENTS: [&str; 14] = [
    "UPDATE ledger_accounts SET balance = balance - $47, updated_at = $19 \
     WHERE id = $46 AND kind = 'sponsored' AND $47 > 0",
    "UPDATE ledger_accounts SET balance = balance - ($15 - $47), updated_at = $19 \
     WHERE kind = 'wallet' AND user_id = $3 AND $44 = 1 AND $15 - $47 > 0",
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
     SELECT $37, $38, $3, 'invite', $13, $39, $1, $19, $19 WHERE $49 = 1",
    "UPDATE threads SET last_message_at = $19, updated_at = $19 WHERE id = $38",
    "UPDATE thread_participants SET archived = 0, updated_at = $19 WHERE thread_id = $38 AND archived = 1",
    "INSERT INTO ledger_transfers (id, idempotency_key, kind, booking_id, actor_id, memo, created_at, updated_at) \
     SELECT $40, $41, 'booking_hold', $1, $3, 'Credits held for a booking', $19, $19 WHERE $44 = 1",
    "INSERT INTO ledger_entries (id, transfer_id, account_id, amount, created_at, updated_at) \
     SELECT $42, $40, (SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND user_id = $3), \
     0 - ($15 - $47), $19, $19 WHERE $44 = 1 AND $15 - $47 > 0 \
     UNION ALL SELECT $43, $40, $45, $15, $19, $19 WHERE $44 = 1 \
     UNION ALL SELECT $48, $40, $46, 0 - $47, $19, $19 WHERE $44 = 1 AND $47 > 0",
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
    sponsored: Option<(&str, i64)>,
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
    let (invite_id, invite_meta) = w.invite.clone().unwrap_or_else(|| (none(), none()));
    sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(b.id.as_str())
        .bind(b.mentor_id.as_str())
        .bind(b.mentee_id.as_str())
        .bind(&b.service_id)
        .bind(b.kind.stored())
        .bind(&b.title)
        .bind(b.duration_minutes)
        .bind(b.timed.stored())
        .bind(b.start_at.stored())
        .bind(b.end_at.stored())
        .bind(&b.timezone)
        .bind(&b.topic)
        .bind(&b.message)
        .bind(&b.mentorship_id)
        .bind(b.credits_held)
        .bind(b.expires_at.stored())
        .bind(&b.idempotency_key)
        .bind(&b.request_hash)
        .bind(b.created_at.stored())
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
        .bind(invite_id)
        .bind(thread)
        .bind(invite_meta)
        .bind(t_id)
        .bind(format!("hold:{}", b.id))
        .bind(entry1)
        .bind(entry2)
        .bind(i64::from(w.hold.is_some()))
        .bind(crate::store::ledger::escrow_for(&b.id))
        .bind(sponsored.map_or("", |(a, _)| a))
        .bind(sponsored.map_or(0, |(_, n)| n))
        .bind(crate::domain::ids::new_id())
        .bind(i64::from(w.invite.is_some()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
