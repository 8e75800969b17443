//! Mentorships: requests and relationships between a mentor and a mentee.

use crate::store::column::Column;
use sqlx::{Any, Executor, FromRow};

use jiff::Timestamp;

use super::{Backend, Tx, column::row};
use crate::domain::mentorship::MentorshipStatus;

row! {
#[derive(Debug, Clone)]
pub struct MentorshipRow {
    pub id: String,
    pub mentor_id: String,
    pub mentee_id: String,
    pub status: MentorshipStatus,
    pub message: String,
    pub answer: String,
    pub ended_by: Option<String>,
    pub expires_at: Timestamp,
    pub responded_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
}

/// A mentorship with both people's names, for lists and pages.
#[derive(Debug, Clone, FromRow)]
pub struct MentorshipListRow {
    #[sqlx(flatten)]
    pub m: MentorshipRow,
    pub mentor_first_name: String,
    pub mentor_last_name: String,
    pub mentor_headline: String,
    pub mentor_avatar_url: String,
    pub mentee_first_name: String,
    pub mentee_last_name: String,
    pub mentee_headline: String,
    pub mentee_avatar_url: String,
    /// 1 while the mentor takes sessions (approved, account neither suspended nor
    /// closed): their profile opens and books.
    pub mentor_open: i64,
    /// 1 while the mentee's account is neither suspended nor closed.
    pub mentee_open: i64,
}

const LIST_SELECT: &str = "SELECT m.*, a.first_name AS mentor_first_name, a.last_name AS mentor_last_name, \
    a.headline AS mentor_headline, a.avatar_url AS mentor_avatar_url, \
    b.first_name AS mentee_first_name, b.last_name AS mentee_last_name, \
    b.headline AS mentee_headline, b.avatar_url AS mentee_avatar_url, \
    CAST(CASE WHEN a.suspended_at IS NULL AND a.deleted_at IS NULL AND EXISTS (SELECT 1 \
    FROM mentor_profiles mp WHERE mp.user_id = m.mentor_id AND mp.status = 'approved') \
    THEN 1 ELSE 0 END AS BIGINT) AS mentor_open, \
    CAST(CASE WHEN b.suspended_at IS NULL AND b.deleted_at IS NULL THEN 1 ELSE 0 END AS BIGINT) \
    AS mentee_open \
    FROM mentorships m JOIN users a ON a.id = m.mentor_id JOIN users b ON b.id = m.mentee_id";

pub struct NewMentorship<'a> {
    pub id: &'a str,
    pub mentor_id: &'a str,
    pub mentee_id: &'a str,
    pub message: &'a str,
    pub expires_at: Timestamp,
    pub now: Timestamp,
}

/// Whether it was written: `false` when a unique key already held it (a duplicate,
/// perhaps sent at the same time), which PostgreSQL then does not log as an error.
pub async fn insert(tx: &mut Tx, m: &NewMentorship<'_>) -> sqlx::Result<bool> {
    let written = sqlx::query(
        "INSERT INTO mentorships (id, mentor_id, mentee_id, status, message, expires_at, \
         created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6) ON CONFLICT DO NOTHING",
    )
    .bind(m.id)
    .bind(m.mentor_id)
    .bind(m.mentee_id)
    .bind(m.message)
    .bind(m.expires_at.stored())
    .bind(m.now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(written.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<MentorshipListRow>> {
    let sql = format!("{LIST_SELECT} WHERE m.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Locks a user's row until the end of the transaction (Postgres; SQLite's write
/// transaction already excludes other writers). Serialises a mentee's requests.
pub async fn lock_user(tx: &mut Tx, backend: Backend, user_id: &str) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn count_pending_for_mentee(
    tx: &mut Tx,
    mentee_id: &str,
    now: Timestamp,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM mentorships WHERE mentee_id = $1 AND status = 'pending' AND expires_at > $2",
    )
    .bind(mentee_id)
    .bind(now.stored())
    .fetch_one(&mut **tx)
    .await
}

/// The live relationship of a pair, if any.
pub async fn live_between<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    mentee_id: &str,
) -> sqlx::Result<Option<MentorshipRow>> {
    sqlx::query_as(
        "SELECT * FROM mentorships WHERE mentor_id = $1 AND mentee_id = $2 \
         AND status IN ('pending', 'accepted')",
    )
    .bind(mentor_id)
    .bind(mentee_id)
    .fetch_optional(ex)
    .await
}

/// Moves a mentorship from `from` to `to`, only if it is still in `from` (so two racing
/// answers cannot both win). Returns whether it moved.
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    tx: &mut Tx,
    id: &str,
    from: &str,
    to: &str,
    answer: Option<&str>,
    ended_by: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE mentorships SET status = $3, \
         answer = CASE WHEN $4 IS NULL THEN answer ELSE $4 END, \
         ended_by = CASE WHEN $5 IS NULL THEN ended_by ELSE $5 END, \
         responded_at = CASE WHEN $2 = 'pending' THEN $6 ELSE responded_at END, \
         started_at = CASE WHEN $3 = 'accepted' THEN $6 ELSE started_at END, \
         ended_at = CASE WHEN $3 IN ('ended', 'declined', 'cancelled', 'expired') THEN $6 ELSE ended_at END, \
         updated_at = $6 WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(answer)
    .bind(ended_by)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Expires every pending request whose time is up; returns how many.
pub async fn expire_due<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    now: Timestamp,
) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "UPDATE mentorships SET status = 'expired', ended_at = $1, updated_at = $1 \
         WHERE status = 'pending' AND expires_at <= $1",
    )
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(r.rows_affected())
}

/// Filters for a user's mentorship list.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub user_id: String,
    /// `Some("mentor")`: where I am the mentor; `Some("mentee")`; `None`: either.
    pub role: Option<&'static str>,
    pub statuses: Vec<String>,
    pub before_id: Option<String>,
    pub limit: i64,
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    f: &ListFilter,
) -> sqlx::Result<Vec<MentorshipListRow>> {
    let mut b = super::SqlBuilder::new(LIST_SELECT);
    match f.role {
        Some("mentor") => {
            b.push(" WHERE m.mentor_id = ")
                .bind(super::Arg::Text(f.user_id.clone()));
        }
        Some(_) => {
            b.push(" WHERE m.mentee_id = ")
                .bind(super::Arg::Text(f.user_id.clone()));
        }
        None => {
            b.push(" WHERE (m.mentor_id = ")
                .bind(super::Arg::Text(f.user_id.clone()));
            b.push(" OR m.mentee_id = ")
                .bind(super::Arg::Text(f.user_id.clone()));
            b.push(")");
        }
    }
    if !f.statuses.is_empty() {
        b.push(" AND m.status IN (");
        for (i, s) in f.statuses.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind(super::Arg::Text(s.clone()));
        }
        b.push(")");
    }
    if let Some(before) = &f.before_id {
        b.push(" AND m.id < ")
            .bind(super::Arg::Text(before.clone()));
    }
    b.push(" ORDER BY m.id DESC LIMIT ")
        .bind(super::Arg::Int(f.limit));
    b.query_as().fetch_all(ex).await
}
