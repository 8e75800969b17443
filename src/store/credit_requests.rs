//! Members' requests for credits and the admins' answers.

use crate::store::column::Column;
use sqlx::{Any, Executor};

use jiff::Timestamp;

use super::{Tx, column::row};
use crate::domain::{credit::CreditRequestStatus, ids::UserId};

row! {
#[derive(Debug, Clone)]
pub struct CreditRequestRow {
    pub id: String,
    pub user_id: UserId,
    /// The member's name and email, for the admins' queue.
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// The member's wallet balance now.
    pub balance: i64,
    pub credits: i64,
    pub note: String,
    pub status: CreditRequestStatus,
    /// Credits granted (0 unless granted).
    pub granted: i64,
    /// The admin's note on a grant, or their reason for declining.
    pub answer: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub created_at: Timestamp,
}
}

const SELECT: &str = "SELECT r.id, r.user_id, u.first_name, u.last_name, u.email, \
    COALESCE((SELECT a.balance FROM ledger_accounts a WHERE a.user_id = r.user_id \
    AND a.kind = 'wallet'), 0) AS balance, r.credits, \
    r.note, r.status, r.granted, r.answer, r.decided_by, r.decided_at, r.created_at \
    FROM credit_requests r JOIN users u ON u.id = r.user_id";

/// Files an open request. Whether it was written: `false` when the member already has
/// an open one (its unique key; a duplicate perhaps sent at the same time), which
/// PostgreSQL then does not log as an error.
pub async fn insert(
    tx: &mut Tx,
    id: &str,
    user_id: &str,
    credits: i64,
    note: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let written = sqlx::query(
        "INSERT INTO credit_requests (id, user_id, credits, note, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'open', $5, $5) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(user_id)
    .bind(credits)
    .bind(note)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(written.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<CreditRequestRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1")))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Requests with this status (or all), of one member (or everyone's), newest first,
/// those before the one with id `before_id`.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: Option<&str>,
    status: Option<CreditRequestStatus>,
    before_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<CreditRequestRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 = '' OR r.user_id = $1) AND ($2 = '' OR r.status = $2) \
         AND ($3 = '' OR r.id < $3) ORDER BY r.id DESC LIMIT $4"
    )))
    .bind(user_id.unwrap_or(""))
    .bind(status.map(|s| s.as_str()).unwrap_or(""))
    .bind(before_id.unwrap_or(""))
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Closes an open request as `to` (granted with `granted` credits, declined or
/// withdrawn). False when it was no longer open: someone else answered first.
pub async fn close(
    tx: &mut Tx,
    id: &str,
    to: CreditRequestStatus,
    granted: i64,
    (answer, by): (&str, Option<&str>),
    now: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE credit_requests SET status = $2, granted = $3, answer = $4, decided_by = $5, \
         decided_at = $6, updated_at = $6 WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(granted)
    .bind(answer)
    .bind(by)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws a member's open request (their account is closing).
/// Withdraws a member's open request (at most one); the ids withdrawn.
pub async fn withdraw_open(
    tx: &mut Tx,
    user_id: &str,
    now: Timestamp,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "UPDATE credit_requests SET status = 'withdrawn', decided_at = $2, updated_at = $2 \
         WHERE user_id = $1 AND status = 'open' RETURNING id",
    )
    .bind(user_id)
    .bind(now.stored())
    .fetch_all(&mut **tx)
    .await
}
