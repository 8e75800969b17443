//! Group sessions and their seats (waitlist included).
//!
//! Every change to a session's seats runs in a write transaction that first locks the
//! session row ([`lock`]; on SQLite the write transaction already holds the database's
//! single write lock), then the people's rows it charges, then ledger rows: one global
//! order, after which counting seats and writing them cannot race.

use crate::store::column::Column;
use sqlx::{Any, Executor};

use jiff::Timestamp;

use super::{Arg, Backend, SqlBuilder, Tx, column::row};
use crate::domain::{
    article::Visibility,
    group::{GroupStatus, SeatStatus},
    ids::UserId,
};

row! {
/// A group session with its mentor's name.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub id: String,
    pub mentor_id: UserId,
    pub mentor_first_name: String,
    pub mentor_last_name: String,
    pub title: String,
    pub description: String,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub timezone: String,
    pub seats: i64,
    pub credits_per_seat: i64,
    pub audience: Visibility,
    pub min_attendance: Option<i64>,
    pub decide_at: Option<Timestamp>,
    pub join_until: Timestamp,
    pub show_names: bool,
    pub thread_id: String,
    pub seated: i64,
    /// How many are in line.
    pub waiting: i64,
    pub status: GroupStatus,
    pub cancel_reason: String,
    pub sequence: i64,
    /// The meeting room (empty only until maintenance gives an older session one);
    /// for its mentor and the seated: see `service::groups::meeting_link_for`.
    pub meeting_link: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The weekly run it was published in (its first session's id); none for a one-off.
    pub repeats_id: Option<String>,
}
}

/// A session's columns, with `$waiting` for how many are in line.
macro_rules! group_select {
    ($waiting:literal) => {
        concat!(
            "SELECT g.id, g.mentor_id, u.first_name AS mentor_first_name, \
             u.last_name AS mentor_last_name, g.title, g.description, g.start_at, g.end_at, \
             g.timezone, g.seats, g.credits_per_seat, g.audience, g.min_attendance, \
             g.decide_at, g.join_until, g.show_names, g.thread_id, g.seated, ",
            $waiting,
            " AS waiting, g.status, g.cancel_reason, g.sequence, g.meeting_link, g.created_at, \
             g.updated_at, g.repeats_id \
             FROM group_sessions g JOIN users u ON u.id = g.mentor_id"
        )
    };
}

const SELECT: &str = group_select!(
    "(SELECT COUNT(*) FROM group_seats w WHERE w.session_id = g.id AND w.status = 'waiting')"
);

/// The same without counting the line (`waiting` is 0): one index lookup however long
/// the line, for write transactions and calendars.
const SELECT_UNRANKED: &str = group_select!("0");

/// A session to store.
pub struct NewGroup<'a> {
    pub id: &'a str,
    pub mentor_id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub timezone: &'a str,
    pub seats: i64,
    pub credits_per_seat: i64,
    pub audience: Visibility,
    pub min_attendance: Option<i64>,
    pub decide_at: Option<Timestamp>,
    pub join_until: Timestamp,
    pub show_names: bool,
    pub thread_id: &'a str,
    /// Written on insert only: an edit keeps the room people were sent.
    pub meeting_link: &'a str,
    /// The first session of the weekly run it was published in (insert only).
    pub repeats_id: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, g: &NewGroup<'_>, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO group_sessions (id, mentor_id, title, description, start_at, end_at, timezone, \
         seats, credits_per_seat, audience, min_attendance, decide_at, join_until, show_names, \
         thread_id, status, meeting_link, created_at, updated_at, repeats_id, search_doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'open', $16, \
         $17, $17, $18, $19)",
    )
    .bind(g.id)
    .bind(g.mentor_id)
    .bind(g.title)
    .bind(g.description)
    .bind(g.start_at.stored())
    .bind(g.end_at.stored())
    .bind(g.timezone)
    .bind(g.seats)
    .bind(g.credits_per_seat)
    .bind(g.audience.as_str())
    .bind(g.min_attendance)
    .bind(g.decide_at.stored())
    .bind(g.join_until.stored())
    .bind(g.show_names.stored())
    .bind(g.thread_id)
    .bind(g.meeting_link)
    .bind(now.stored())
    .bind(g.repeats_id)
    .bind(search_doc(g.title, g.description))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a session's search matches: its title and description, folded.
fn search_doc(title: &str, description: &str) -> String {
    crate::domain::text::folded(&format!("{title}\n{description}"))
}

/// Open sessions whose search text is not written yet (published before it was), at
/// most `limit`: (id, title, description).
pub async fn without_search_doc<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    limit: i64,
) -> sqlx::Result<Vec<(String, String, String)>> {
    sqlx::query_as(
        "SELECT id, title, description FROM group_sessions \
         WHERE status = 'open' AND search_doc = '' LIMIT $1",
    )
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Writes a session's search text from its title and description (unless a change
/// wrote it meanwhile).
pub async fn fill_search_doc<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    title: &str,
    description: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE group_sessions SET search_doc = $2 WHERE id = $1 AND search_doc = ''")
        .bind(id)
        .bind(search_doc(title, description))
        .execute(ex)
        .await?;
    Ok(())
}

/// The open sessions of session `id`'s weekly run that start after it, earliest first.
pub async fn later_repeats<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Vec<GroupRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.repeats_id = (SELECT r.repeats_id FROM group_sessions r WHERE r.id = $1) \
         AND g.status = 'open' \
         AND g.start_at > (SELECT r.start_at FROM group_sessions r WHERE r.id = $1) \
         ORDER BY g.start_at"
    )))
    .bind(id)
    .fetch_all(ex)
    .await
}

/// The other open sessions of the weekly run `id` was published in, starting after
/// `from`, soonest first (none for a one-off session).
pub async fn other_dates<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    from: Timestamp,
) -> sqlx::Result<Vec<GroupRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.repeats_id = (SELECT r.repeats_id FROM group_sessions r WHERE r.id = $1) \
         AND g.id <> $1 AND g.status = 'open' AND g.start_at > $2 ORDER BY g.start_at LIMIT 12"
    )))
    .bind(id)
    .bind(from.stored())
    .fetch_all(ex)
    .await
}

row! {
/// A group session of a mentor that a person had a place in, and that place.
#[derive(Debug, Clone)]
pub struct SharedSession {
    pub id: String,
    pub title: String,
    pub start_at: Timestamp,
    /// The person's place's status (`seated`, `waiting`, `attended`, …).
    pub place: String,
}
}

/// The group sessions of `mentor_id` that `user_id` had a seat or a place in line in
/// (their latest place in each), latest first.
pub async fn shared_with_mentor<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    user_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<SharedSession>> {
    sqlx::query_as(
        "SELECT g.id, g.title, g.start_at, s.status AS place FROM group_seats s \
         JOIN group_sessions g ON g.id = s.session_id \
         WHERE s.user_id = $2 AND g.mentor_id = $1 AND s.id = (SELECT l.id FROM group_seats l \
         WHERE l.session_id = s.session_id AND l.user_id = $2 ORDER BY l.queued_at DESC, l.id DESC LIMIT 1) \
         ORDER BY g.start_at DESC LIMIT $3",
    )
    .bind(mentor_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<GroupRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE g.id = $1")))
        .bind(id)
        .fetch_optional(ex)
        .await
}

row! {
/// A group session as its chat thread is named: its title and start.
#[derive(Debug, Clone)]
pub struct ThreadGroupRow {
    pub thread_id: String,
    pub id: String,
    pub title: String,
    pub start_at: Timestamp,
    /// `open`, `cancelled` or `completed`.
    pub status: String,
    pub mentor_id: String,
    /// Whether those seated see who else is (else only the mentor does).
    pub show_names: bool,
}
}

/// The sessions whose chat threads these are (by the index on `thread_id`).
pub async fn of_threads<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    thread_ids: &[String],
) -> sqlx::Result<Vec<ThreadGroupRow>> {
    if thread_ids.is_empty() {
        return Ok(vec![]);
    }
    let mut b = SqlBuilder::new(
        "SELECT thread_id, id, title, start_at, status, mentor_id, show_names FROM group_sessions \
         WHERE thread_id IN (",
    );
    b.bind_list(thread_ids).push(")");
    b.query_as().fetch_all(ex).await
}

/// A session without counting its line (`waiting` is 0): what a write transaction
/// needs, read in one index lookup however long the line.
pub async fn get_unranked<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<GroupRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_UNRANKED} WHERE g.id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// The person's live place (seated or waiting), without their rank in line.
pub async fn live_status<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    session_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<SeatStatus>> {
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM group_seats WHERE session_id = $1 AND user_id = $2 \
         AND status IN ('seated', 'waiting')",
    )
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(ex)
    .await?;
    Ok(status.and_then(|s| SeatStatus::parse(&s)))
}

/// Takes the session's row lock for the rest of the transaction (see the module
/// documentation).
pub async fn lock(tx: &mut Tx, backend: Backend, id: &str) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM group_sessions WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Who is asking for a list of sessions, for the audience rule.
pub struct Viewer<'a> {
    pub user_id: Option<&'a str>,
    pub is_admin: bool,
}

/// What to list.
pub struct ListFilter<'a> {
    pub mentor_id: Option<&'a str>,
    /// Only sessions whose mentor carries this skill or expertise.
    pub skill: Option<&'a str>,
    /// Only sessions whose title or description holds these words (as typed,
    /// matched without case), or whose mentor carries them as a skill or expertise.
    pub words: Option<&'a str>,
    pub from: Timestamp,
    pub to: Option<Timestamp>,
    pub offset: i64,
    pub limit: i64,
}

/// Open sessions starting in `[from, to)` that `viewer` may see (the audience rule of
/// `domain::group::can_see`, in SQL), soonest first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    viewer: &Viewer<'_>,
    f: &ListFilter<'_>,
) -> sqlx::Result<Vec<GroupRow>> {
    let mut b = SqlBuilder::new(SELECT);
    b.push(" WHERE g.status = 'open' AND g.start_at >= ")
        .bind(Arg::Int(f.from.stored()));
    if let Some(to) = f.to {
        b.push(" AND g.start_at < ").bind(Arg::Int(to.stored()));
    }
    if let Some(m) = f.mentor_id {
        b.push(" AND g.mentor_id = ").bind(Arg::Text(m.into()));
    }
    if let Some(s) = f.skill {
        b.push(
            " AND g.mentor_id IN (SELECT t.user_id FROM mentor_tags t \
             WHERE t.kind IN ('skill', 'expertise') AND t.tag = ",
        )
        .bind(Arg::Text(s.into()))
        .push(")");
    }
    if let Some(w) = f.words {
        // The folded text ("resume" finds "Résumé"), and as typed for a session whose
        // folded text the maintenance pass has not written yet.
        let folded = format!("%{}%", super::like_escape(&crate::domain::text::folded(w)));
        let pattern = format!("%{}%", super::like_escape(&w.to_lowercase()));
        b.push(" AND (g.search_doc LIKE ")
            .bind(Arg::Text(folded))
            .push(" ESCAPE '\\' OR LOWER(g.title) LIKE ")
            .bind(Arg::Text(pattern.clone()))
            .push(" ESCAPE '\\' OR LOWER(g.description) LIKE ")
            .bind(Arg::Text(pattern))
            .push(
                " ESCAPE '\\' OR g.mentor_id IN (SELECT t.user_id FROM mentor_tags t \
                 WHERE t.kind IN ('skill', 'expertise') AND t.tag = ",
            )
            .bind(Arg::Text(crate::domain::mentor::normalize_tag(w)))
            .push("))");
    }
    if !viewer.is_admin {
        match viewer.user_id {
            None => {
                b.push(" AND g.audience = 'public'");
            }
            Some(me) => {
                b.push(" AND (g.audience IN ('public', 'members') OR g.mentor_id = ")
                    .bind(Arg::Text(me.into()))
                    .push(
                        " OR EXISTS (SELECT 1 FROM mentorships m WHERE m.mentor_id = g.mentor_id \
                         AND m.status = 'accepted' AND m.mentee_id = ",
                    )
                    .bind(Arg::Text(me.into()))
                    .push("))");
            }
        }
    }
    b.push(" ORDER BY g.start_at, g.id LIMIT ")
        .bind(Arg::Int(f.limit))
        .push(" OFFSET ")
        .bind(Arg::Int(f.offset));
    b.query_as().fetch_all(ex).await
}

/// Whether the mentor has an open session overlapping `[start, end)`.
pub async fn mentor_has_session<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    start: Timestamp,
    end: Timestamp,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM group_sessions WHERE mentor_id = $1 AND status = 'open' \
         AND start_at < $3 AND end_at > $2",
    )
    .bind(mentor_id)
    .bind(start.stored())
    .bind(end.stored())
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// Whether `user_id` is busy in `[start, end)`: a live timed booking of theirs (as
/// mentee or mentor), or a seat in another open session.
pub async fn person_busy<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    start: Timestamp,
    end: Timestamp,
    except_session: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM bookings WHERE (mentee_id = $1 OR mentor_id = $1) \
         AND timed = 1 AND status IN ('pending', 'accepted') AND start_at < $3 AND end_at > $2) \
         + (SELECT COUNT(*) FROM group_seats s JOIN group_sessions g ON g.id = s.session_id \
         WHERE s.user_id = $1 AND s.status = 'seated' AND g.status = 'open' AND g.id <> $4 \
         AND g.start_at < $3 AND g.end_at > $2)",
    )
    .bind(user_id)
    .bind(start.stored())
    .bind(end.stored())
    .bind(except_session)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

row! {
/// One person's place in a session.
#[derive(Debug, Clone)]
pub struct SeatRow {
    pub id: String,
    pub session_id: String,
    pub user_id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub status: SeatStatus,
    pub credits_held: i64,
    pub queued_at: Timestamp,
    pub seated_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// In line: how many are ahead (0: next). Otherwise 0.
    pub ahead: i64,
}
}

const SEAT: &str = "SELECT s.id, s.session_id, s.user_id, u.first_name, u.last_name, s.status, \
    s.credits_held, s.queued_at, s.seated_at, s.ended_at, \
    CASE WHEN s.status = 'waiting' THEN (SELECT COUNT(*) FROM group_seats w \
      WHERE w.session_id = s.session_id AND w.status = 'waiting' \
      AND (w.queued_at < s.queued_at OR (w.queued_at = s.queued_at AND w.id < s.id))) ELSE 0 END AS ahead \
    FROM group_seats s JOIN users u ON u.id = s.user_id";

/// The person's live place (seated or waiting) in the session, if any.
pub async fn live_seat<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    session_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<SeatRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SEAT} WHERE s.session_id = $1 AND s.user_id = $2 AND s.status IN ('seated', 'waiting')"
    )))
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(ex)
    .await
}

/// The person's live places among these sessions (a list's "my seat" column), by the
/// sessions' keys of the live-seat index.
pub async fn live_seats_among<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    session_ids: &[String],
) -> sqlx::Result<Vec<SeatRow>> {
    if session_ids.is_empty() {
        return Ok(vec![]);
    }
    let mut b = SqlBuilder::new(SEAT);
    b.push(" WHERE s.user_id = ")
        .bind(Arg::Text(user_id.into()))
        .push(" AND s.status IN ('seated', 'waiting') AND s.session_id IN (");
    for (i, id) in session_ids.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind(Arg::Text(id.clone()));
    }
    b.push(")");
    b.query_as().fetch_all(ex).await
}

/// Everyone in the session with this status (all when `None`), in line order.
pub async fn seats<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    session_id: &str,
    status: Option<SeatStatus>,
) -> sqlx::Result<Vec<SeatRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SEAT} WHERE s.session_id = $1 AND ($2 IS NULL OR s.status = $2) \
         ORDER BY s.queued_at, s.id"
    )))
    .bind(session_id)
    .bind(status.map(SeatStatus::as_str))
    .fetch_all(ex)
    .await
}

/// The line, in order, with each person's wallet balance now.
pub async fn line_with_balances(
    tx: &mut Tx,
    session_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT s.id, s.user_id, COALESCE((SELECT a.balance FROM ledger_accounts a \
         WHERE a.kind = 'wallet' AND a.user_id = s.user_id), 0) \
         FROM group_seats s WHERE s.session_id = $1 AND s.status = 'waiting' \
         ORDER BY s.queued_at, s.id",
    )
    .bind(session_id)
    .fetch_all(&mut **tx)
    .await
}

/// A new seat (or place in line); `key`: the Idempotency-Key it was asked with.
#[allow(clippy::too_many_arguments)]
pub async fn insert_seat(
    tx: &mut Tx,
    id: &str,
    session_id: &str,
    user_id: &str,
    status: SeatStatus,
    credits_held: i64,
    key: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<()> {
    let seated_at = (status == SeatStatus::Seated).then_some(now);
    sqlx::query(
        "INSERT INTO group_seats (id, session_id, user_id, status, credits_held, queued_at, \
         seated_at, created_at, updated_at, idempotency_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $6, $8)",
    )
    .bind(id)
    .bind(session_id)
    .bind(user_id)
    .bind(status.as_str())
    .bind(credits_held)
    .bind(now.stored())
    .bind(seated_at.stored())
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The seat `user_id` took in this session with this Idempotency-Key, whatever became
/// of it since.
pub async fn seat_by_key<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    session_id: &str,
    user_id: &str,
    key: &str,
) -> sqlx::Result<Option<SeatRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SEAT} WHERE s.session_id = $1 AND s.user_id = $2 AND s.idempotency_key = $3"
    )))
    .bind(session_id)
    .bind(user_id)
    .bind(key)
    .fetch_optional(ex)
    .await
}

/// Moves a live seat to `to` (from `from`, or nothing changes: false).
pub async fn move_seat(
    tx: &mut Tx,
    id: &str,
    from: SeatStatus,
    to: SeatStatus,
    credits_held: i64,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE group_seats SET status = $3, credits_held = $4, \
         seated_at = CASE WHEN $3 = 'seated' THEN $5 ELSE seated_at END, \
         ended_at = CASE WHEN $3 IN ('seated', 'waiting') THEN NULL ELSE $5 END, updated_at = $5 \
         WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(credits_held)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Adds `delta` to the seats taken (the table's CHECK refuses more than there are).
pub async fn add_seated(tx: &mut Tx, id: &str, delta: i64, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query("UPDATE group_sessions SET seated = seated + $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(delta)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Cancels an open session (false when it was not open).
pub async fn cancel(tx: &mut Tx, id: &str, reason: &str, now: Timestamp) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE group_sessions SET status = 'cancelled', cancel_reason = $2, seated = 0, \
         sequence = sequence + 1, updated_at = $3 WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(reason)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Open sessions whose decision time has come and whose minimum is not checked yet.
pub async fn due_decisions<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    now: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM group_sessions WHERE status = 'open' AND decide_at <= $1 \
         AND decided_at IS NULL ORDER BY decide_at LIMIT $2",
    )
    .bind(now.stored())
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Records that the minimum was checked (false when it already was).
pub async fn mark_decided(tx: &mut Tx, id: &str, now: Timestamp) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE group_sessions SET decided_at = $2, updated_at = $2 \
         WHERE id = $1 AND decided_at IS NULL",
    )
    .bind(id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Open sessions that ended before `before`.
pub async fn ended<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    before: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM group_sessions WHERE status = 'open' AND end_at <= $1 \
         ORDER BY end_at LIMIT $2",
    )
    .bind(before.stored())
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Closes an open session as held (false when it was not open).
pub async fn complete(tx: &mut Tx, id: &str, now: Timestamp) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE group_sessions SET status = 'completed', updated_at = $2 \
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The sessions a person is in the calendar of, ending after `from` (only the session
/// `only`, when given): those they lead and those they had a seat in (whatever became
/// of it), with their seat's status (`None` for the mentor).
pub async fn calendar_of<'e, E: Executor<'e, Database = Any> + Copy>(
    ex: E,
    user_id: &str,
    from: Timestamp,
    only: Option<&str>,
) -> sqlx::Result<Vec<(GroupRow, Option<SeatStatus>)>> {
    let rows: Vec<GroupRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_UNRANKED} WHERE g.end_at >= $2 AND ($3 IS NULL OR g.id = $3) \
         AND (g.mentor_id = $1 OR g.id IN (SELECT s.session_id \
         FROM group_seats s WHERE s.user_id = $1 AND s.status NOT IN ('waiting', 'skipped'))) \
         ORDER BY g.start_at, g.id LIMIT 1000"
    )))
    .bind(user_id)
    .bind(from.stored())
    .bind(only)
    .fetch_all(ex)
    .await?;
    let seats: Vec<(String, String)> = sqlx::query_as(
        "SELECT session_id, status FROM group_seats WHERE user_id = $1 \
         AND ($2 IS NULL OR session_id = $2) \
         AND status NOT IN ('waiting', 'skipped') ORDER BY created_at",
    )
    .bind(user_id)
    .bind(only)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|g| {
            // The newest seat of theirs in it (one may leave and join again).
            let status = seats
                .iter()
                .rev()
                .find(|(sid, _)| *sid == g.id)
                .and_then(|(_, st)| SeatStatus::parse(st));
            (g, status)
        })
        .collect())
}

/// Every place a person had in a session (the export): session id, title, start,
/// seat status, credits held, when they joined.
pub async fn seats_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<(String, String, i64, String, i64, i64)>> {
    sqlx::query_as(
        "SELECT g.id, g.title, g.start_at, s.status, s.credits_held, s.queued_at \
         FROM group_seats s JOIN group_sessions g ON g.id = s.session_id \
         WHERE s.user_id = $1 ORDER BY s.queued_at, s.id",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// Takes a person out of every line they wait in (their account is closing).
pub async fn leave_lines(tx: &mut Tx, user_id: &str, now: Timestamp) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "UPDATE group_seats SET status = 'left', ended_at = $2, updated_at = $2 \
         WHERE user_id = $1 AND status = 'waiting'",
    )
    .bind(user_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected())
}

/// Open sessions without a meeting room yet (published before rooms existed).
pub async fn without_room<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM group_sessions WHERE status = 'open' AND meeting_link = '' LIMIT $1",
    )
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Gives a session its room unless it has one (two instances filling at once keep
/// the first).
pub async fn set_room<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    link: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE group_sessions SET meeting_link = $2, sequence = sequence + 1, updated_at = $3 \
         WHERE id = $1 AND meeting_link = ''",
    )
    .bind(id)
    .bind(link)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Rewrites a session's fields (its seats must be empty: the caller checks).
pub async fn update(tx: &mut Tx, id: &str, g: &NewGroup<'_>, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE group_sessions SET title = $2, description = $3, start_at = $4, end_at = $5, \
         seats = $6, credits_per_seat = $7, audience = $8, min_attendance = $9, decide_at = $10, \
         join_until = $11, show_names = $12, sequence = sequence + 1, updated_at = $13, \
         search_doc = $14 WHERE id = $1",
    )
    .bind(id)
    .bind(g.title)
    .bind(g.description)
    .bind(g.start_at.stored())
    .bind(g.end_at.stored())
    .bind(g.seats)
    .bind(g.credits_per_seat)
    .bind(g.audience.as_str())
    .bind(g.min_attendance)
    .bind(g.decide_at.stored())
    .bind(g.join_until.stored())
    .bind(g.show_names.stored())
    .bind(now.stored())
    .bind(search_doc(g.title, g.description))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records an attendee's review of a session (a second for the same seat is a unique
/// violation).
#[allow(clippy::too_many_arguments)]
/// Whether it was written: `false` when a unique key already held it (a duplicate,
/// perhaps sent at the same time), which PostgreSQL then does not log as an error.
pub async fn insert_review(
    tx: &mut Tx,
    id: &str,
    seat_id: &str,
    session_id: &str,
    mentor_id: &str,
    user_id: &str,
    rating: i64,
    comment: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let written = sqlx::query(
        "INSERT INTO group_reviews (id, seat_id, session_id, mentor_id, user_id, rating, comment, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(seat_id)
    .bind(session_id)
    .bind(mentor_id)
    .bind(user_id)
    .bind(rating)
    .bind(comment)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// The seat a person attended in a session, if they did.
pub async fn attended_seat<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    session_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT id FROM group_seats WHERE session_id = $1 AND user_id = $2 AND status = 'attended'",
    )
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(ex)
    .await
}

/// A session's reviews, newest first: (first name, rating, comment, when).
pub async fn reviews<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    session_id: &str,
) -> sqlx::Result<Vec<(String, i64, String, i64)>> {
    sqlx::query_as(
        "SELECT u.first_name, r.rating, r.comment, r.created_at FROM group_reviews r \
         JOIN users u ON u.id = r.user_id WHERE r.session_id = $1 ORDER BY r.id DESC LIMIT 100",
    )
    .bind(session_id)
    .fetch_all(ex)
    .await
}

/// The reviews a person wrote of sessions they sat in, newest first: (session id,
/// its title, rating, comment, when) — for their data export.
pub async fn reviews_written_by<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<(String, String, i64, String, i64)>> {
    sqlx::query_as(
        "SELECT r.session_id, g.title, r.rating, r.comment, r.created_at FROM group_seats s \
         JOIN group_reviews r ON r.seat_id = s.id JOIN group_sessions g ON g.id = r.session_id \
         WHERE s.user_id = $1 ORDER BY r.id DESC",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// Whether this seat has its review.
pub async fn reviewed<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    seat_id: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM group_reviews WHERE seat_id = $1")
        .bind(seat_id)
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}
