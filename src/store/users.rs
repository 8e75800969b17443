//! Users: accounts, profile fields, roles, suspension, soft deletion.

use crate::store::column::Column;
use jiff::Timestamp;
use sqlx::{Any, Executor};

use super::column::row;
use crate::domain::ids::UserId;

row! {
/// One row of `users`.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    pub roles: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub bio: String,
    pub avatar_url: String,
    pub resume_url: String,
    pub linkedin_url: String,
    pub timezone: String,
    /// `24h`, `12h`, or empty while unknown (see [`UserRow::hour12`]).
    pub clock: String,
    pub suspended_at: Option<Timestamp>,
    pub suspended_reason: String,
    pub deleted_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
}

/// The columns of [`UserRow`], for queries that join.
pub const USER_COLUMNS: &str = "u.id, u.email, u.password_hash, u.roles, u.first_name, \
    u.last_name, u.headline, u.bio, u.avatar_url, u.resume_url, u.linkedin_url, u.timezone, \
    u.clock, u.suspended_at, u.suspended_reason, u.deleted_at, u.created_at, u.updated_at";

pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub roles: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub timezone: &'a str,
    /// `24h`, `12h` or empty (unknown).
    pub clock: &'a str,
    pub now: Timestamp,
}

impl UserRow {
    /// Whether the person reads times on a 12-hour clock ("2:00 PM"): `Some` once
    /// known (chosen, or taken from their browser), `None` before.
    pub fn hour12(&self) -> Option<bool> {
        crate::domain::clock::hour12_of(&self.clock)
    }

    /// The name people are shown ("Ada Lovelace"), or the email address when both
    /// names are empty.
    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.first_name, self.last_name);
        match name.trim() {
            "" => self.email.clone(),
            n => n.to_string(),
        }
    }

    /// How messages to this person write times: their clock, 24-hour while unknown.
    pub fn reads(&self) -> crate::domain::clock::Reader<'_> {
        crate::domain::clock::Reader::of(&self.timezone, &self.clock)
    }
}

/// Records the clock a person's browser writes times with, unless one is known.
pub async fn learn_clock<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    hour12: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET clock = $2 WHERE id = $1 AND clock = ''")
        .bind(id)
        .bind(crate::domain::clock::stored(hour12))
        .execute(ex)
        .await?;
    Ok(())
}

/// Whether it was written: `false` when a unique key already held it (a duplicate,
/// perhaps sent at the same time), which PostgreSQL then does not log as an error.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    u: &NewUser<'_>,
) -> sqlx::Result<bool> {
    let written = sqlx::query(
        "INSERT INTO users (id, email, password_hash, roles, first_name, last_name, timezone, \
         created_at, updated_at, clock) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) \
         ON CONFLICT DO NOTHING",
    )
    .bind(u.id)
    .bind(u.email)
    .bind(u.password_hash)
    .bind(u.roles)
    .bind(u.first_name)
    .bind(u.last_name)
    .bind(u.timezone)
    .bind(u.now.stored())
    .bind(u.clock)
    .execute(ex)
    .await?;
    Ok(written.rows_affected() == 1)
}

pub async fn by_id<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

pub async fn by_email<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    email: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as("SELECT * FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(ex)
        .await
}

/// Gives the account the address `email`, unless another account holds it: whether it
/// did. (Two accounts taking one address at once: the unique index refuses the second,
/// which the caller reads as taken.)
pub async fn set_email<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    email: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET email = $2, updated_at = $3 WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM users o WHERE o.email = $2)",
    )
    .bind(id)
    .bind(email)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The profile fields a user edits about themself.
pub struct ProfileUpdate<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub headline: &'a str,
    pub bio: &'a str,
    pub avatar_url: &'a str,
    pub resume_url: &'a str,
    pub linkedin_url: &'a str,
    pub timezone: &'a str,
    pub clock: &'a str,
}

pub async fn update_profile<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    p: &ProfileUpdate<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET first_name = $2, last_name = $3, headline = $4, bio = $5, \
         avatar_url = $6, resume_url = $7, linkedin_url = $8, timezone = $9, updated_at = $10, \
         clock = $11 WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(p.first_name)
    .bind(p.last_name)
    .bind(p.headline)
    .bind(p.bio)
    .bind(p.avatar_url)
    .bind(p.resume_url)
    .bind(p.linkedin_url)
    .bind(p.timezone)
    .bind(now.stored())
    .bind(p.clock)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn set_password_hash<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    hash: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_suspension<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    suspended_at: Option<Timestamp>,
    reason: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET suspended_at = $2, suspended_reason = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(suspended_at.stored())
    .bind(reason)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// Records that `id`'s suspension was wound down at `now`.
pub async fn mark_wound_down<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET wound_down_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

/// Suspended (since `before` or earlier) people whose suspension was not wound down:
/// the oldest first, up to `limit`.
pub async fn not_wound_down<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    before: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as(
        "SELECT * FROM users WHERE suspended_at IS NOT NULL AND suspended_at <= $1 \
         AND deleted_at IS NULL AND (wound_down_at IS NULL OR wound_down_at < suspended_at) \
         ORDER BY suspended_at LIMIT $2",
    )
    .bind(before.stored())
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn set_roles<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    roles: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET roles = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(roles)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

/// Soft-deletes an account: the row stays (history points at it) but every piece of
/// personal data is erased and the email is freed for a new sign-up.
pub async fn anonymise<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET email = $2, password_hash = '!', first_name = 'Deleted', \
         last_name = 'user', headline = '', bio = '', avatar_url = '', resume_url = '', \
         linkedin_url = '', timezone = 'UTC', clock = '', deleted_at = $3, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(crate::domain::user::erased_email(id))
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// Whether another account still open bears this first and last name.
pub async fn others_named<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    first_name: &str,
    last_name: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE first_name = $2 AND last_name = $3 AND id <> $1 \
         AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(first_name)
    .bind(last_name)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// Filters for the admin's user list.
#[derive(Debug, Default)]
pub struct UserFilter {
    /// Matches email or name, case-insensitively (already LIKE-escaped, lower-cased),
    /// or the whole id (as the report queue and the audit log link to an account).
    pub q: Option<String>,
    /// A `LIKE` pattern on `roles` (see `Roles::like_pattern`).
    pub role_pattern: Option<String>,
    pub status: Option<UserStatus>,
    /// Return only ids strictly before this one (newest first).
    pub before_id: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Suspended,
    Deleted,
}

pub async fn search<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    f: &UserFilter,
) -> sqlx::Result<Vec<UserRow>> {
    let status_sql = match f.status {
        None => "",
        Some(UserStatus::Active) => " AND suspended_at IS NULL AND deleted_at IS NULL",
        Some(UserStatus::Suspended) => " AND suspended_at IS NOT NULL AND deleted_at IS NULL",
        Some(UserStatus::Deleted) => " AND deleted_at IS NOT NULL",
    };
    let sql = format!(
        "SELECT * FROM users WHERE ($1 IS NULL OR LOWER(email) LIKE $1 ESCAPE '\\' \
         OR LOWER(first_name || ' ' || last_name) LIKE $1 ESCAPE '\\' OR id = $5) \
         AND ($2 IS NULL OR roles LIKE $2) AND ($3 IS NULL OR id < $3){status_sql} \
         ORDER BY id DESC LIMIT $4"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(f.q.as_deref().map(|q| format!("%{q}%")))
        .bind(f.role_pattern.as_deref())
        .bind(f.before_id.as_deref())
        .bind(f.limit)
        .bind(f.q.as_deref())
        .fetch_all(ex)
        .await
}

/// Demo data only: moves each account's sign-up to `lead` before its first session
/// (as mentor or mentee) or article when those came earlier, then dates approved
/// mentors' applications at sign-up and their approval `approval` later (not after
/// `now`).
pub async fn backdate_demo_accounts(
    tx: &mut super::Tx,
    lead: i64,
    approval: i64,
    now: Timestamp,
) -> sqlx::Result<()> {
    for (table, who, at) in [
        ("bookings", "mentor_id", "start_at"),
        ("bookings", "mentee_id", "start_at"),
        ("articles", "author_id", "created_at"),
    ] {
        let first = format!("(SELECT MIN(x.{at}) FROM {table} x WHERE x.{who} = users.id) - $1");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET created_at = {first} WHERE {first} < created_at"
        )))
        .bind(lead)
        .execute(&mut **tx)
        .await?;
    }
    let joined = "(SELECT u.created_at FROM users u WHERE u.id = mentor_profiles.user_id)";
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE mentor_profiles SET applied_at = {joined}, created_at = {joined}, \
         decided_at = CASE WHEN {joined} + $1 < $2 THEN {joined} + $1 ELSE $2 END \
         WHERE status = 'approved'"
    )))
    .bind(approval)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Accounts that are neither suspended nor closed.
pub async fn count_active<'e, E: Executor<'e, Database = Any>>(ex: E) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE deleted_at IS NULL AND suspended_at IS NULL",
    )
    .fetch_one(ex)
    .await
}

/// How many active administrators other than `id` there are. On PostgreSQL their
/// rows are locked until the transaction ends, so that two admins closing their
/// accounts at once cannot both count the other (SQLite's writer is alone already).
pub async fn other_admins_locked(
    tx: &mut super::Tx,
    backend: super::Backend,
    id: &str,
) -> sqlx::Result<usize> {
    let lock = match backend {
        super::Backend::Postgres => " FOR NO KEY UPDATE",
        super::Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT id FROM users WHERE roles LIKE '%,admin,%' AND suspended_at IS NULL \
         AND deleted_at IS NULL ORDER BY id{lock}"
    );
    let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **tx)
        .await?;
    Ok(ids.iter().filter(|a| *a != id).count())
}

/// The ids and emails of the active administrators (whom a request for credits, a
/// mentor application or a report is told to).
pub async fn admins<'e, E: Executor<'e, Database = Any>>(
    ex: E,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT id, email FROM users WHERE roles LIKE '%,admin,%' \
         AND suspended_at IS NULL AND deleted_at IS NULL ORDER BY id LIMIT 100",
    )
    .fetch_all(ex)
    .await
}
