//! Sign-in sessions and their tokens (stored as SHA-256 hashes only).

use crate::store::column::{Column, row};
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};

use super::users::UserRow;

pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub kind: &'a str,
    pub csrf_token: &'a str,
    pub user_agent: &'a str,
    pub ip: &'a str,
    pub expires_at: Timestamp,
    pub now: Timestamp,
}

pub async fn insert_session<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    s: &NewSession<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, kind, csrf_token, user_agent, ip, expires_at, \
         last_used_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)",
    )
    .bind(s.id)
    .bind(s.user_id)
    .bind(s.kind)
    .bind(s.csrf_token)
    .bind(s.user_agent)
    .bind(s.ip)
    .bind(s.expires_at.stored())
    .bind(s.now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn insert_token<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    session_id: &str,
    kind: &str,
    expires_at: Timestamp,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO session_tokens (token_hash, session_id, kind, expires_at, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(token_hash)
    .bind(session_id)
    .bind(kind)
    .bind(expires_at.stored())
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// A session resolved from a presented token, with its user.
#[derive(Debug, Clone, FromRow)]
pub struct AuthRow {
    pub session_id: String,
    pub session_kind: String,
    pub csrf_token: String,
    /// 1 when the token and its session are unexpired and unrevoked and the user is
    /// neither suspended nor deleted (see [`resolve`]).
    pub live: i64,
    #[sqlx(flatten)]
    pub user: UserRow,
}

impl super::native::FromNative for AuthRow {
    fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            session_id: row.get("session_id")?,
            session_kind: row.get("session_kind")?,
            csrf_token: row.get("csrf_token")?,
            live: row.get("live")?,
            user: UserRow::from_native(row)?,
        })
    }
}

/// Whether a token, its session and its user can act, as a column: a `CASE` in the
/// select list, evaluated on the one row the keys found. As `WHERE` conditions the
/// planner would estimate them (a `NULL` test on a table without statistics keeps
/// 0.5 % of its rows) and, finding "one" suspended-or-deleted-filtered user or
/// revoked-filtered session cheaper to start from than the token's unique key, walk
/// every user and join each one's sessions: 130 buffer reads and ~80 µs per request
/// with 32 users on PostgreSQL, more with every user, until the estimate tips over.
/// With only keys in `WHERE`, every plan starts from the token (or session) and
/// follows primary keys, whatever the statistics. `now` is the placeholder of the
/// current time; the value is a BIGINT on both engines (a bare `1` is an INT on
/// PostgreSQL, which does not decode as `i64`).
fn live(now: &str) -> String {
    format!(
        "CAST(CASE WHEN s.revoked_at IS NULL AND s.expires_at > {now} \
         AND u.suspended_at IS NULL AND u.deleted_at IS NULL THEN 1 ELSE 0 END AS BIGINT)"
    )
}

/// Resolves an access token or web cookie: the token must be unexpired, its session not
/// revoked or expired, and its user neither suspended nor deleted. One query per request,
/// which reads one row of each table by its key (see [`live`]).
///
/// A read by key on the hot path ([`super::Db::read_key`]: natively on SQLite,
/// coalesced with other requests' on PostgreSQL).
pub async fn resolve(
    db: &super::Db,
    token_hash: &str,
    kind: &str,
    now: Timestamp,
) -> sqlx::Result<Option<AuthRow>> {
    let args = || [token_hash.into(), kind.into(), now.stored().into()];
    Ok(live_only(db.read_key(resolve_sql(), args).await?))
}

/// [`resolve`] through sqlx, on `ex`.
pub async fn resolve_in<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    kind: &str,
    now: Timestamp,
) -> sqlx::Result<Option<AuthRow>> {
    let row: Option<AuthRow> = sqlx::query_as(sqlx::AssertSqlSafe(resolve_sql()))
        .bind(token_hash)
        .bind(kind)
        .bind(now.stored())
        .fetch_optional(ex)
        .await?;
    Ok(live_only(row))
}

/// The row [`resolve`] answers: only one that can act (see [`live`]).
fn live_only(row: Option<AuthRow>) -> Option<AuthRow> {
    row.filter(|r| r.live == 1)
}

fn resolve_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT s.id AS session_id, s.kind AS session_kind, s.csrf_token, \
             CAST(CASE WHEN t.expires_at > $3 THEN {} ELSE 0 END AS BIGINT) AS live, {} \
             FROM session_tokens t JOIN sessions s ON s.id = t.session_id \
             JOIN users u ON u.id = s.user_id \
             WHERE t.token_hash = $1 AND t.kind = $2",
            live("$3"),
            super::users::USER_COLUMNS
        )
    })
}

/// Whether a session can still act: not revoked, not expired, its user neither
/// suspended nor deleted (the same rule as [`resolve`], read the same way: by keys).
pub async fn is_live<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    session_id: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let sql = format!(
        "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id = $1",
        live("$2")
    );
    let live: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(session_id)
        .bind(now.stored())
        .fetch_optional(ex)
        .await?;
    Ok(live == Some(1))
}

row! {
/// What a refresh needs to know about a presented refresh token.
#[derive(Debug, Clone)]
pub struct RefreshRow {
    pub session_id: String,
    pub user_id: String,
    pub token_expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub session_expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub suspended_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
}
}

pub async fn find_refresh<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
) -> sqlx::Result<Option<RefreshRow>> {
    sqlx::query_as(
        "SELECT s.id AS session_id, s.user_id, t.expires_at AS token_expires_at, t.used_at, \
         s.expires_at AS session_expires_at, s.revoked_at, u.suspended_at, u.deleted_at \
         FROM session_tokens t JOIN sessions s ON s.id = t.session_id \
         JOIN users u ON u.id = s.user_id \
         WHERE t.token_hash = $1 AND t.kind = 'refresh'",
    )
    .bind(token_hash)
    .fetch_optional(ex)
    .await
}

/// Marks a refresh token as used; returns false if it already was (a concurrent
/// refresh, or a replay).
pub async fn mark_refresh_used<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE session_tokens SET used_at = $2, updated_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL",
    )
    .bind(token_hash)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Pushes a session's expiry to `expires_at` and records its use (on refresh).
pub async fn extend<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    session_id: &str,
    expires_at: Timestamp,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sessions SET expires_at = $2, last_used_at = $3, updated_at = $3 WHERE id = $1",
    )
    .bind(session_id)
    .bind(expires_at.stored())
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// Revokes one session. Its tokens stop resolving at once (the join checks
/// `revoked_at`); the rows are kept so a replayed refresh token is recognised.
pub async fn revoke<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    session_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sessions SET revoked_at = $2, updated_at = $2 WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// Revokes every live session of a user, except `keep` when given.
pub async fn revoke_all_for_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    keep: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "UPDATE sessions SET revoked_at = $2, updated_at = $2 \
         WHERE user_id = $1 AND revoked_at IS NULL AND ($3 IS NULL OR id <> $3)",
    )
    .bind(user_id)
    .bind(now.stored())
    .bind(keep)
    .execute(ex)
    .await?;
    Ok(r.rows_affected())
}

/// Number of live sessions of a user (for the export and the tests).
pub async fn count_live<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    now: Timestamp,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now.stored())
    .fetch_one(ex)
    .await
}

row! {
/// Sessions of a user, newest first, for the data export.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub kind: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}
}

pub async fn list_for_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<SessionInfo>> {
    sqlx::query_as(
        "SELECT id, kind, user_agent, ip, created_at, last_used_at, expires_at, revoked_at \
         FROM sessions WHERE user_id = $1 ORDER BY created_at DESC",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await
}
