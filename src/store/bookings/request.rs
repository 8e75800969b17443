//! A booking request: its context in one read, its rows in one write (a multi-statement command on SQLite, data-modifying CTEs on PostgreSQL).

use super::*;
use crate::domain::availability::{OverrideIo, RuleIo};
use crate::store::bind_all;
use crate::store::column::Column;
use crate::store::native::NativeConn;
use futures_util::future::BoxFuture;
use sqlx::AnyConnection;

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
    pub mentor_clock: String,
    pub mentee_first_name: String,
    pub mentee_last_name: String,
    pub mentee_email: String,
    pub mentee_timezone: String,
    pub mentee_clock: String,
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
    /// Whether the mentor is listed (approved, public, active): checked on the row
    /// found by keys rather than in `WHERE`, where PostgreSQL estimated the status
    /// tests at 0.5 % of the rows and walked every approved mentor's profile through
    /// the status index to find this one.
    pub listed: bool,
    /// Whether the mentor is approved and active, public or not: a hidden profile
    /// takes bookings from mentees with an accepted mentorship.
    pub approved: bool,
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

/// The request's context: a read by key on the hot path
/// ([`crate::store::Db::read_key`]: natively on SQLite, coalesced with other
/// requests' on PostgreSQL).
pub async fn request_context(
    db: &crate::store::Db,
    mentor_id: &str,
    service_id: &str,
    mentee_id: &str,
) -> sqlx::Result<Option<RequestContext>> {
    let args = || {
        [
            mentor_id.into(),
            service_id.into(),
            mentee_id.into(),
            crate::store::messages::pair_key(mentor_id, mentee_id).into(),
        ]
    };
    Ok(listed_only(db.read_key(request_context_sql(), args).await?))
}

/// [`request_context`] through sqlx, on `ex`.
pub async fn request_context_in<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    service_id: &str,
    mentee_id: &str,
) -> sqlx::Result<Option<RequestContext>> {
    let found: Option<RequestContext> = sqlx::query_as(sqlx::AssertSqlSafe(request_context_sql()))
        .bind(mentor_id)
        .bind(service_id)
        .bind(mentee_id)
        .bind(crate::store::messages::pair_key(mentor_id, mentee_id))
        .fetch_optional(ex)
        .await?;
    Ok(listed_only(found))
}

/// The context [`request_context`] answers: only a listed mentor's (see
/// [`RequestContext::listed`]), or a hidden one's for their mentee.
fn listed_only(found: Option<RequestContext>) -> Option<RequestContext> {
    found.filter(|c| c.listed || (c.approved && c.mentorship_id.is_some()))
}

fn request_context_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT s.id AS service_id, s.kind, s.title, s.duration_minutes, s.credit_cost, \
         (SELECT m.id FROM mentorships m WHERE m.mentor_id = s.mentor_id AND m.mentee_id = $3 \
          AND m.status = 'accepted') AS mentorship_id, \
         u.first_name AS mentor_first_name, u.last_name AS mentor_last_name, \
         u.email AS mentor_email, u.timezone AS mentor_timezone, u.clock AS mentor_clock, \
         c.first_name AS mentee_first_name, c.last_name AS mentee_last_name, \
         c.email AS mentee_email, c.timezone AS mentee_timezone, c.clock AS mentee_clock, \
         p.next_free_at, \
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
         a.slot_step_minutes AS av_slot_step_minutes, a.max_per_day AS av_max_per_day, \
         CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS listed, \
         CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS approved \
         FROM services s JOIN mentor_profiles p ON p.user_id = s.mentor_id \
         JOIN users u ON u.id = s.mentor_id JOIN users c ON c.id = $3 \
         LEFT JOIN availability a ON a.mentor_id = s.mentor_id \
         WHERE s.id = $2 AND s.mentor_id = $1 AND s.active = 1 AND s.deleted_at IS NULL",
            crate::store::discovery::LISTED,
            crate::store::discovery::ACTIVE_APPROVED
        )
    })
}

/// What a booking request writes once its slot is checked, every value ready.
#[derive(Debug, Clone)]
pub struct RequestRows {
    /// The booking as it will be stored (`created_at` is the request's time).
    pub booking: BookingRow,
    pub event_id: String,
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
/// sponsored credits (`$44` from the account `$43`), then the wallet for the rest —
/// refused by the accounts' `balance >= 0` check when short, and by the entry's NOT
/// NULL account when there is no wallet; the credit of the booking's escrow account
/// last. (PostgreSQL's group commit runs these over many requests' rows at once:
/// `batch::write_all`; it sums the escrow credit per account, as escrow accounts are
/// shared.)
pub(super) const REQUEST_STATEMENTS: [&str; 13] = [
    "UPDATE ledger_accounts SET balance = balance - $44, updated_at = $19 \
     WHERE id = $43 AND kind = 'sponsored' AND $44 > 0",
    "UPDATE ledger_accounts SET balance = balance - ($15 - $44), updated_at = $19 \
     WHERE kind = 'wallet' AND user_id = $3 AND $41 = 1 AND $15 - $44 > 0",
    "INSERT INTO bookings (id, mentor_id, mentee_id, service_id, kind, title, duration_minutes, timed, \
     start_at, end_at, timezone, topic, message, mentorship_id, status, credits_held, expires_at, \
     idempotency_key, request_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
     $9, $10, $11, $12, $13, $14, 'pending', $15, $16, $17, $18, $19, $19)",
    "INSERT INTO booking_events (id, booking_id, actor_id, kind, detail, created_at, updated_at) \
     VALUES ($20, $1, $3, 'requested', '', $19, $19)",
    "INSERT INTO notifications (id, user_id, kind, title, body, link, related_id, created_at, updated_at) \
     SELECT $22, $2, $23, $24, $25, $26, $1, $19, $19 WHERE $21 = 1",
    "INSERT INTO outbox (id, user_id, to_email, subject, body, ics, status, created_at, updated_at) \
     SELECT $28, $2, $29, $24, $30, $31, 'queued', $19, $19 WHERE $27 = 1",
    "INSERT INTO jobs (id, kind, payload, status, run_at, created_at, updated_at) \
     SELECT $32, 'email.send', $33, 'queued', $19, $19, $19 WHERE $27 = 1",
    "INSERT INTO messages (id, thread_id, sender_id, kind, content, metadata, booking_id, created_at, updated_at) \
     SELECT $34, $35, $3, 'invite', $13, $36, $1, $19, $19 WHERE $46 = 1",
    "UPDATE threads SET last_message_at = $19, updated_at = $19 WHERE id = $35",
    "UPDATE thread_participants SET archived = 0, updated_at = $19 WHERE thread_id = $35 AND archived = 1",
    "INSERT INTO ledger_transfers (id, idempotency_key, kind, booking_id, actor_id, memo, created_at, updated_at) \
     SELECT $37, $38, 'booking_hold', $1, $3, 'Credits held for a booking', $19, $19 WHERE $41 = 1",
    "INSERT INTO ledger_entries (id, transfer_id, account_id, amount, created_at, updated_at) \
     SELECT $39, $37, (SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND user_id = $3), \
     0 - ($15 - $44), $19, $19 WHERE $41 = 1 AND $15 - $44 > 0 \
     UNION ALL SELECT $40, $37, $42, $15, $19, $19 WHERE $41 = 1 \
     UNION ALL SELECT $45, $37, $43, 0 - $44, $19, $19 WHERE $41 = 1 AND $44 > 0",
    "UPDATE ledger_accounts SET balance = balance + $15, updated_at = $19 WHERE id = $42 AND $41 = 1",
];

/// The parameters of [`REQUEST_STATEMENTS`], in order (`$1` first).
pub(super) fn request_args(
    w: &RequestRows,
    thread: &str,
    sponsored: Option<(&str, i64)>,
) -> Vec<Arg> {
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
    let flag = |on: bool| Arg::from(i64::from(on));
    vec![
        b.id.as_str().into(),
        b.mentor_id.as_str().into(),
        b.mentee_id.as_str().into(),
        (&b.service_id).into(),
        b.kind.stored().into(),
        (&b.title).into(),
        b.duration_minutes.into(),
        b.timed.stored().into(),
        b.start_at.stored().into(),
        b.end_at.stored().into(),
        (&b.timezone).into(),
        (&b.topic).into(),
        (&b.message).into(),
        (&b.mentorship_id).into(),
        b.credits_held.into(),
        b.expires_at.stored().into(),
        (&b.idempotency_key).into(),
        (&b.request_hash).into(),
        b.created_at.stored().into(),
        (&w.event_id).into(),
        flag(w.notification.is_some()),
        n_id.into(),
        n_kind.into(),
        title.into(),
        n_body.into(),
        n_link.into(),
        flag(w.email.is_some()),
        e_id.into(),
        e_to.into(),
        e_body.into(),
        e_ics.into(),
        e_job.into(),
        e_payload.into(),
        invite_id.into(),
        thread.into(),
        invite_meta.into(),
        t_id.into(),
        crate::store::ledger::booking_hold_key(&b.id).into(),
        entry1.into(),
        entry2.into(),
        flag(w.hold.is_some()),
        crate::store::ledger::escrow_for(&b.id).into(),
        sponsored.map_or("", |(a, _)| a).into(),
        sponsored.map_or(0, |(_, n)| n).into(),
        crate::domain::ids::new_id().into(),
        flag(w.invite.is_some()),
    ]
}

/// Writes a booking request (the wallet debit, the booking, its event, the mentor's notification and email, the invite in the pair's `thread`, the
/// escrow transfer and the escrow credit) in one round trip: on SQLite one
/// multi-statement command, on PostgreSQL one statement of data-modifying CTEs. A
/// short wallet fails it with a constraint error.
///
/// With `release`, the SQLite command ends by releasing the savepoint `booking` the
/// caller opened (one round trip less per request in a group commit).
pub async fn insert_request(
    conn: &mut AnyConnection,
    backend: Backend,
    w: &RequestRows,
    thread: &str,
    release: bool,
    sponsored: Option<(&str, i64)>,
) -> sqlx::Result<()> {
    static REQUEST: crate::store::OneTrip = crate::store::OneTrip::new(&REQUEST_STATEMENTS);
    static SQLITE_RELEASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = match backend {
        Backend::Sqlite if release => SQLITE_RELEASE
            .get_or_init(|| format!("{};\nRELEASE booking", REQUEST.sql(backend)))
            .as_str(),
        _ => REQUEST.sql(backend),
    };
    let args = request_args(w, thread, sponsored);
    bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), args)
        .execute(conn)
        .await?;
    Ok(())
}

/// The reads and the write of a booking request's transaction (see
/// `service::bookings::write_request`): on a sqlx connection inside its transaction,
/// or on SQLite's native connection, where the booking writer runs them without a
/// thread hand-off per statement ([`crate::store::native`]). Both run the same SQL.
pub trait RequestTx: Send {
    /// The booking (id, request hash) this mentee already made with this key.
    fn by_idempotency_key<'a>(
        &'a mut self,
        mentee_id: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, sqlx::Result<Option<(String, String)>>>;
    /// See [`super::slot_conflicts`].
    fn slot_conflicts<'a>(
        &'a mut self,
        ask: &'a BusyAsk<'a>,
        mentee_id: &'a str,
        mentee_span: (Timestamp, Timestamp),
    ) -> BoxFuture<'a, sqlx::Result<SlotConflicts>>;
    /// The mentee's wallet balance (0 without a wallet).
    fn wallet_balance<'a>(&'a mut self, user_id: &'a str) -> BoxFuture<'a, sqlx::Result<i64>>;
    /// An account's balance (0 when there is no such account).
    fn balance_of<'a>(&'a mut self, account: &'a str) -> BoxFuture<'a, sqlx::Result<i64>>;
    /// The pair's direct thread, created (with both participants) when they have none.
    fn direct_thread<'a>(
        &'a mut self,
        a: &'a str,
        b: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, sqlx::Result<String>>;
    /// See [`insert_request`].
    fn insert_request<'a>(
        &'a mut self,
        backend: Backend,
        w: &'a RequestRows,
        thread: &'a str,
        release: bool,
        sponsored: Option<(&'a str, i64)>,
    ) -> BoxFuture<'a, sqlx::Result<()>>;
}

const BY_IDEMPOTENCY_KEY: &str =
    "SELECT id, request_hash FROM bookings WHERE mentee_id = $1 AND idempotency_key = $2";

/// The thread rows of a new direct thread: the thread, then each participant.
pub(super) fn new_thread_rows(
    a: &str,
    b: &str,
    now: Timestamp,
) -> (String, Vec<(&'static str, Vec<Arg>)>) {
    use crate::store::messages::{ADD_PARTICIPANT, CREATE_THREAD};
    let id = crate::domain::ids::new_id();
    let key = crate::store::messages::pair_key(a, b);
    let at = Arg::from(now.stored());
    let mut rows = vec![(
        CREATE_THREAD,
        vec![
            id.as_str().into(),
            "direct".into(),
            "".into(),
            Some(a).into(),
            Some(key.as_str()).into(),
            at.clone(),
        ],
    )];
    for user in [a, b] {
        rows.push((
            ADD_PARTICIPANT,
            vec![id.as_str().into(), user.into(), at.clone()],
        ));
    }
    (id, rows)
}

impl RequestTx for AnyConnection {
    fn by_idempotency_key<'a>(
        &'a mut self,
        mentee_id: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, sqlx::Result<Option<(String, String)>>> {
        Box::pin(
            sqlx::query_as(BY_IDEMPOTENCY_KEY)
                .bind(mentee_id)
                .bind(key)
                .fetch_optional(self),
        )
    }

    fn slot_conflicts<'a>(
        &'a mut self,
        ask: &'a BusyAsk<'a>,
        mentee_id: &'a str,
        mentee_span: (Timestamp, Timestamp),
    ) -> BoxFuture<'a, sqlx::Result<SlotConflicts>> {
        Box::pin(super::slot_conflicts(self, ask, mentee_id, mentee_span))
    }

    fn wallet_balance<'a>(&'a mut self, user_id: &'a str) -> BoxFuture<'a, sqlx::Result<i64>> {
        Box::pin(crate::store::ledger::wallet_balance(self, user_id))
    }

    fn balance_of<'a>(&'a mut self, account: &'a str) -> BoxFuture<'a, sqlx::Result<i64>> {
        Box::pin(crate::store::ledger::balance_of(self, account))
    }

    fn direct_thread<'a>(
        &'a mut self,
        a: &'a str,
        b: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, sqlx::Result<String>> {
        Box::pin(async move {
            let key = crate::store::messages::pair_key(a, b);
            let found: Option<String> = sqlx::query_scalar(crate::store::messages::THREAD_BY_PAIR)
                .bind(key)
                .fetch_optional(&mut *self)
                .await?;
            if let Some(id) = found {
                return Ok(id);
            }
            let (id, rows) = new_thread_rows(a, b, now);
            for (sql, args) in rows {
                bind_all(sqlx::query(sql), args).execute(&mut *self).await?;
            }
            Ok(id)
        })
    }

    fn insert_request<'a>(
        &'a mut self,
        backend: Backend,
        w: &'a RequestRows,
        thread: &'a str,
        release: bool,
        sponsored: Option<(&'a str, i64)>,
    ) -> BoxFuture<'a, sqlx::Result<()>> {
        Box::pin(insert_request(self, backend, w, thread, release, sponsored))
    }
}

/// Whether both people of a request may still book and be booked (see
/// [`super::lock_people_open`]), on SQLite's booking writer.
pub fn people_open_native(conn: &mut NativeConn, a: &str, b: &str) -> sqlx::Result<bool> {
    let open: Vec<i64> = conn.rows(super::PEOPLE_OPEN, &[a.into(), b.into()], |r| r.get(0))?;
    Ok(open.first().copied().unwrap_or(0) == if a == b { 1 } else { 2 })
}

/// The native connection answers at once: each future is ready when first polled.
impl RequestTx for NativeConn {
    fn by_idempotency_key<'a>(
        &'a mut self,
        mentee_id: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, sqlx::Result<Option<(String, String)>>> {
        let rows = self.rows(BY_IDEMPOTENCY_KEY, &[mentee_id.into(), key.into()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        });
        Box::pin(std::future::ready(rows.map(|r| r.into_iter().next())))
    }

    fn slot_conflicts<'a>(
        &'a mut self,
        ask: &'a BusyAsk<'a>,
        mentee_id: &'a str,
        mentee_span: (Timestamp, Timestamp),
    ) -> BoxFuture<'a, sqlx::Result<SlotConflicts>> {
        let rows = self.rows(
            SLOT_CONFLICTS,
            &slot_conflicts_args(ask, mentee_id, mentee_span),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        );
        Box::pin(std::future::ready(rows.and_then(conflicts_from)))
    }

    fn wallet_balance<'a>(&'a mut self, user_id: &'a str) -> BoxFuture<'a, sqlx::Result<i64>> {
        let rows = self.rows(
            crate::store::ledger::WALLET_BALANCE,
            &[user_id.into()],
            |r| r.get(0),
        );
        Box::pin(std::future::ready(
            rows.map(|r| r.into_iter().next().unwrap_or(0)),
        ))
    }

    fn balance_of<'a>(&'a mut self, account: &'a str) -> BoxFuture<'a, sqlx::Result<i64>> {
        let rows = self.rows(crate::store::ledger::BALANCE_OF, &[account.into()], |r| {
            r.get(0)
        });
        Box::pin(std::future::ready(
            rows.map(|r| r.into_iter().next().unwrap_or(0)),
        ))
    }

    fn direct_thread<'a>(
        &'a mut self,
        a: &'a str,
        b: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, sqlx::Result<String>> {
        let result = (|| {
            let key = crate::store::messages::pair_key(a, b);
            let found: Vec<String> = self.rows(
                crate::store::messages::THREAD_BY_PAIR,
                &[key.as_str().into()],
                |r| r.get(0),
            )?;
            if let Some(id) = found.into_iter().next() {
                return Ok(id);
            }
            let (id, rows) = new_thread_rows(a, b, now);
            for (sql, args) in rows {
                self.execute(sql, &args)?;
            }
            Ok(id)
        })();
        Box::pin(std::future::ready(result))
    }

    fn insert_request<'a>(
        &'a mut self,
        _backend: Backend,
        w: &'a RequestRows,
        thread: &'a str,
        release: bool,
        sponsored: Option<(&'a str, i64)>,
    ) -> BoxFuture<'a, sqlx::Result<()>> {
        let args = request_args(w, thread, sponsored);
        let result = (|| {
            for sql in REQUEST_STATEMENTS {
                self.execute(sql, &args)?;
            }
            if release {
                self.batch("RELEASE booking")?;
            }
            Ok(())
        })();
        Box::pin(std::future::ready(result))
    }
}
