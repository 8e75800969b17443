//! Connected calendars (CalDAV): connections, their calendars, the busy intervals last
//! read from them, and the events written for bookings.

use jiff::Timestamp;
use sqlx::{Any, Executor};

use super::{
    Tx,
    column::{Column, row},
};

row! {
#[derive(Debug, Clone)]
pub struct ConnectionRow {
    pub id: String,
    pub user_id: String,
    pub server_url: String,
    pub username: String,
    pub password_sealed: String,
    pub home_url: String,
    pub status: String,
    pub last_error: String,
    pub last_attempt_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub failing_since: Option<Timestamp>,
    pub write_tentative: bool,
    pub created_at: Timestamp,
}
}

row! {
#[derive(Debug, Clone)]
pub struct CalendarRow {
    pub id: String,
    pub connection_id: String,
    pub user_id: String,
    pub url: String,
    pub name: String,
    pub color: String,
    pub busy: bool,
    pub target: bool,
    pub change_token: String,
    pub synced_from: Option<Timestamp>,
    pub synced_to: Option<Timestamp>,
    pub events: i64,
}
}

row! {
#[derive(Debug, Clone)]
pub struct PushRow {
    pub booking_id: String,
    pub mentor_id: String,
    pub calendar_id: String,
    pub href: String,
    pub etag: String,
    pub sequence: i64,
    pub status: String,
}
}

const CONNECTION: &str = "id, user_id, server_url, username, password_sealed, home_url, status, \
     last_error, last_attempt_at, last_success_at, failing_since, write_tentative, created_at";
const CALENDAR: &str = "id, connection_id, user_id, url, name, color, busy, target, change_token, \
     synced_from, synced_to, events";

pub struct NewConnection<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub server_url: &'a str,
    pub username: &'a str,
    pub password_sealed: &'a str,
    pub home_url: &'a str,
    pub now: Timestamp,
}

pub async fn insert_connection(tx: &mut Tx, c: &NewConnection<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO calendar_connections (id, user_id, server_url, username, password_sealed, \
         home_url, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'ok', $7, $7)",
    )
    .bind(c.id)
    .bind(c.user_id)
    .bind(c.server_url)
    .bind(c.username)
    .bind(c.password_sealed)
    .bind(c.home_url)
    .bind(c.now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds a calendar found on a connection (or refreshes its name and color).
#[allow(clippy::too_many_arguments)]
pub async fn upsert_calendar(
    tx: &mut Tx,
    id: &str,
    connection_id: &str,
    user_id: &str,
    url: &str,
    name: &str,
    color: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO calendar_calendars (id, connection_id, user_id, url, name, color, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (connection_id, url) \
         DO UPDATE SET name = excluded.name, color = excluded.color, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(connection_id)
    .bind(user_id)
    .bind(url)
    .bind(name)
    .bind(color)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn connections_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<ConnectionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CONNECTION} FROM calendar_connections WHERE user_id = $1 ORDER BY created_at, id"
    )))
    .bind(user_id)
    .fetch_all(ex)
    .await
}

pub async fn connection<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<ConnectionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CONNECTION} FROM calendar_connections WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

pub async fn calendars_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<CalendarRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CALENDAR} FROM calendar_calendars WHERE user_id = $1 ORDER BY name, url"
    )))
    .bind(user_id)
    .fetch_all(ex)
    .await
}

pub async fn calendar<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<CalendarRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CALENDAR} FROM calendar_calendars WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// A connection's calendars.
pub async fn calendars_in<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    connection_id: &str,
) -> sqlx::Result<Vec<CalendarRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CALENDAR} FROM calendar_calendars WHERE connection_id = $1 ORDER BY name, url"
    )))
    .bind(connection_id)
    .fetch_all(ex)
    .await
}

/// Removes a connection with its calendars, their busy times and the record of what was
/// written to them.
pub async fn delete_connection(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    for sql in [
        "DELETE FROM calendar_busy WHERE calendar_id IN (SELECT id FROM calendar_calendars WHERE connection_id = $1)",
        "DELETE FROM calendar_pushes WHERE calendar_id IN (SELECT id FROM calendar_calendars WHERE connection_id = $1)",
        "DELETE FROM calendar_calendars WHERE connection_id = $1",
        "DELETE FROM calendar_connections WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Sets whether a calendar counts as busy; dropping it from busy forgets its times.
pub async fn set_busy(
    tx: &mut Tx,
    calendar_id: &str,
    busy: bool,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE calendar_calendars SET busy = $2, change_token = CASE WHEN $2 = 1 THEN change_token ELSE '' END, \
         updated_at = $3 WHERE id = $1",
    )
    .bind(calendar_id)
    .bind(i64::from(busy))
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    if !busy {
        sqlx::query("DELETE FROM calendar_busy WHERE calendar_id = $1")
            .bind(calendar_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Makes the next read of a connection's calendars fetch them whole.
pub async fn forget_tokens(tx: &mut Tx, connection_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE calendar_calendars SET change_token = '' WHERE connection_id = $1")
        .bind(connection_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets the record of events written for a user's bookings.
pub async fn erase_pushes_of(tx: &mut Tx, mentor_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM calendar_pushes WHERE mentor_id = $1")
        .bind(mentor_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Makes `calendar_id` the one bookings are written to (or none).
pub async fn set_target(
    tx: &mut Tx,
    user_id: &str,
    calendar_id: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE calendar_calendars SET target = 0, updated_at = $2 WHERE user_id = $1 AND target = 1")
        .bind(user_id)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    if let Some(id) = calendar_id {
        sqlx::query("UPDATE calendar_calendars SET target = 1, updated_at = $3 WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .bind(now.stored())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn set_write_tentative(
    tx: &mut Tx,
    id: &str,
    on: bool,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE calendar_connections SET write_tentative = $2, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(i64::from(on))
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What one read of a calendar found.
pub struct BusyRead<'a> {
    pub calendar_id: &'a str,
    pub mentor_id: &'a str,
    pub token: &'a str,
    pub from: Timestamp,
    pub to: Timestamp,
    pub events: i64,
    /// Busy intervals, each at most [`PIECE`] long.
    pub spans: &'a [(Timestamp, Timestamp)],
    pub now: Timestamp,
}

/// The longest stored busy interval (µs): longer ones are stored in pieces, so an
/// overlap with `[from, to)` starts after `from - PIECE`.
pub const PIECE: i64 = 24 * 3_600_000_000;

/// Replaces a calendar's busy intervals with a new read.
pub async fn replace_busy(tx: &mut Tx, r: &BusyRead<'_>) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM calendar_busy WHERE calendar_id = $1")
        .bind(r.calendar_id)
        .execute(&mut **tx)
        .await?;
    for chunk in r.spans.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO calendar_busy (calendar_id, mentor_id, start_at, end_at) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, $2, ${}, ${})", 3 + 2 * i, 4 + 2 * i));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(r.calendar_id)
            .bind(r.mentor_id);
        for (s, e) in chunk {
            q = q.bind(s.stored()).bind(e.stored());
        }
        q.execute(&mut **tx).await?;
    }
    mark_read(tx, r).await
}

/// Records a read that found the calendar unchanged (same change token): the window
/// it now covers.
pub async fn mark_read(tx: &mut Tx, r: &BusyRead<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE calendar_calendars SET change_token = $2, synced_from = $3, synced_to = $4, \
         events = $5, updated_at = $6 WHERE id = $1",
    )
    .bind(r.calendar_id)
    .bind(r.token)
    .bind(r.from.stored())
    .bind(r.to.stored())
    .bind(r.events)
    .bind(r.now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the outcome of a sync attempt: `Ok` clears the failure, `Err` keeps the
/// first failure's time.
pub async fn mark_sync(
    ex: impl Executor<'_, Database = Any>,
    id: &str,
    outcome: Result<(), &str>,
    now: Timestamp,
) -> sqlx::Result<()> {
    match outcome {
        Ok(()) => {
            sqlx::query(
                "UPDATE calendar_connections SET status = 'ok', last_error = '', last_attempt_at = $2, \
                 last_success_at = $2, failing_since = NULL, updated_at = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(now.stored())
            .execute(ex)
            .await?;
        }
        Err(why) => {
            sqlx::query(
                "UPDATE calendar_connections SET status = 'failing', last_error = $2, last_attempt_at = $3, \
                 failing_since = COALESCE(failing_since, $3), updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(why)
            .bind(now.stored())
            .execute(ex)
            .await?;
        }
    }
    Ok(())
}

/// Connections due a read: never tried, last tried before `due`, or failing and last
/// tried before `retry`.
pub async fn due<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    due: Timestamp,
    retry: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT id, user_id FROM calendar_connections WHERE last_attempt_at IS NULL OR last_attempt_at < $1 \
         OR (status = 'failing' AND last_attempt_at < $2) ORDER BY last_attempt_at LIMIT $3",
    )
    .bind(due.stored())
    .bind(retry.stored())
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Connections failing since before `before` that still hold busy times, with their
/// owners.
pub async fn stale<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    before: Timestamp,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT k.id, k.user_id FROM calendar_connections k WHERE k.status = 'failing' \
         AND k.failing_since < $1 AND EXISTS (SELECT 1 FROM calendar_calendars c \
         JOIN calendar_busy b ON b.calendar_id = c.id WHERE c.connection_id = k.id)",
    )
    .bind(before.stored())
    .fetch_all(ex)
    .await
}

/// Forgets a connection's busy times (and so the windows its reads covered).
pub async fn drop_busy(tx: &mut Tx, connection_id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM calendar_busy WHERE calendar_id IN (SELECT id FROM calendar_calendars WHERE connection_id = $1)",
    )
    .bind(connection_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE calendar_calendars SET change_token = '', synced_from = NULL, synced_to = NULL \
         WHERE connection_id = $1",
    )
    .bind(connection_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The calendar bookings of `mentor_id` are written to.
pub async fn target_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
) -> sqlx::Result<Option<CalendarRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CALENDAR} FROM calendar_calendars WHERE user_id = $1 AND target = 1"
    )))
    .bind(mentor_id)
    .fetch_optional(ex)
    .await
}

pub async fn push_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<Option<PushRow>> {
    sqlx::query_as(
        "SELECT booking_id, mentor_id, calendar_id, href, etag, sequence, status FROM calendar_pushes \
         WHERE booking_id = $1",
    )
    .bind(booking_id)
    .fetch_optional(ex)
    .await
}

pub async fn put_push(
    ex: impl Executor<'_, Database = Any>,
    p: &PushRow,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO calendar_pushes (booking_id, mentor_id, calendar_id, href, etag, sequence, status, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (booking_id) DO UPDATE SET \
         calendar_id = excluded.calendar_id, href = excluded.href, etag = excluded.etag, \
         sequence = excluded.sequence, status = excluded.status, updated_at = excluded.updated_at",
    )
    .bind(&p.booking_id)
    .bind(&p.mentor_id)
    .bind(&p.calendar_id)
    .bind(&p.href)
    .bind(&p.etag)
    .bind(p.sequence)
    .bind(&p.status)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn delete_push(
    ex: impl Executor<'_, Database = Any>,
    booking_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM calendar_pushes WHERE booking_id = $1")
        .bind(booking_id)
        .execute(ex)
        .await?;
    Ok(())
}

/// In the caller's transaction: a job to write booking `booking_id` to its mentor's
/// calendar, only when the mentor has a calendar that receives bookings or the
/// booking was written before (one statement; nothing for everyone else).
pub async fn enqueue_push(
    tx: &mut Tx,
    booking_id: &str,
    mentor_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    let job = crate::domain::job::Job::CalendarPush {
        booking_id: booking_id.to_string(),
    };
    enqueue_if_written(tx, &job, booking_id, mentor_id, now).await
}

/// [`enqueue_push`] for a group session (recorded as `group:<id>`).
pub async fn enqueue_push_group(
    tx: &mut Tx,
    session_id: &str,
    mentor_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    let job = crate::domain::job::Job::CalendarPushGroup {
        session_id: session_id.to_string(),
    };
    enqueue_if_written(tx, &job, &format!("group:{session_id}"), mentor_id, now).await
}

async fn enqueue_if_written(
    tx: &mut Tx,
    job: &crate::domain::job::Job,
    key: &str,
    mentor_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, run_at, created_at, updated_at) \
         SELECT $1, $2, $3, 'queued', $4, $4, $4 WHERE EXISTS (SELECT 1 FROM calendar_calendars \
         WHERE user_id = $5 AND target = 1) OR EXISTS (SELECT 1 FROM calendar_pushes WHERE booking_id = $6)",
    )
    .bind(crate::domain::ids::new_id())
    .bind(job.kind())
    .bind(job.payload().to_string())
    .bind(now.stored())
    .bind(mentor_id)
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The mentor's live future timed bookings (to write them when a calendar starts
/// receiving bookings), at most `limit`.
pub async fn live_bookings_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    now: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM bookings WHERE mentor_id = $1 AND timed = 1 AND status IN ('pending', 'accepted') \
         AND end_at > $2 ORDER BY start_at LIMIT $3",
    )
    .bind(mentor_id)
    .bind(now.stored())
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The mentor's open upcoming group sessions, at most `limit`.
pub async fn live_groups_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    now: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM group_sessions WHERE mentor_id = $1 AND status = 'open' AND end_at > $2 \
         ORDER BY start_at LIMIT $3",
    )
    .bind(mentor_id)
    .bind(now.stored())
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A mentor's calendar busy intervals overlapping `[from, to)`.
pub async fn busy_between<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    from: Timestamp,
    to: Timestamp,
) -> sqlx::Result<Vec<(Timestamp, Timestamp)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT start_at, end_at FROM calendar_busy WHERE mentor_id = $1 AND start_at < $3 \
         AND start_at > $2 - $4 AND end_at > $2 ORDER BY start_at",
    )
    .bind(mentor_id)
    .bind(from.stored())
    .bind(to.stored())
    .bind(PIECE)
    .fetch_all(ex)
    .await?;
    rows.into_iter()
        .map(|(s, e)| {
            Ok((
                super::column::instant(s, "start_at")?,
                super::column::instant(e, "end_at")?,
            ))
        })
        .collect()
}
