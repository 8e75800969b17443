//! Reports of content or people for the admins.

use crate::store::column::Column;
use sqlx::{Any, Executor};

use jiff::Timestamp;

use super::{Tx, column::row};
use crate::domain::report::ReportStatus;

row! {
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: String,
    pub reporter_id: String,
    pub reporter_email: String,
    pub target_type: String,
    pub target_id: String,
    pub reason: String,
    pub status: ReportStatus,
    pub resolution: String,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<Timestamp>,
    pub created_at: Timestamp,
}
}

const SELECT: &str = "SELECT r.id, r.reporter_id, u.email AS reporter_email, r.target_type, r.target_id, \
    r.reason, r.status, r.resolution, r.resolved_by, r.resolved_at, r.created_at \
    FROM reports r JOIN users u ON u.id = r.reporter_id";

/// Whether it was written: `false` when a unique key already held it (a duplicate,
/// perhaps sent at the same time), which PostgreSQL then does not log as an error.
pub async fn insert(
    tx: &mut Tx,
    id: &str,
    reporter_id: &str,
    target: (&str, &str),
    reason: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let written = sqlx::query(
        "INSERT INTO reports (id, reporter_id, target_type, target_id, reason, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $6) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(reporter_id)
    .bind(target.0)
    .bind(target.1)
    .bind(reason)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(written.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<ReportRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1")))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Reports with this status (or all), newest first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    status: Option<&str>,
    before_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<ReportRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 = '' OR r.status = $1) AND ($2 = '' OR r.id < $2) ORDER BY r.id DESC LIMIT $3"
    )))
    .bind(status.unwrap_or(""))
    .bind(before_id.unwrap_or(""))
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Closes every open report on the target with this outcome; returns who filed them
/// (none: another admin resolved them first).
pub async fn resolve(
    tx: &mut Tx,
    target: (&str, &str),
    status: &str,
    resolution: &str,
    admin_id: &str,
    now: Timestamp,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "UPDATE reports SET status = $3, resolution = $4, resolved_by = $5, resolved_at = $6, updated_at = $6 \
         WHERE target_type = $1 AND target_id = $2 AND status = 'open' RETURNING reporter_id",
    )
    .bind(target.0)
    .bind(target.1)
    .bind(status)
    .bind(resolution)
    .bind(admin_id)
    .bind(now.stored())
    .fetch_all(&mut **tx)
    .await
}
