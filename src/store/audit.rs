//! The audit log of admin actions.

use crate::store::column::{Column, row};
use jiff::Timestamp;
use sqlx::{Any, Executor};

row! {
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub id: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before_json: String,
    pub after_json: String,
    pub created_at: Timestamp,
}
}

pub struct NewAudit<'a> {
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub now: Timestamp,
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    a: &NewAudit<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, actor_id, action, target_type, target_id, before_json, \
         after_json, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(crate::domain::ids::new_id())
    .bind(a.actor_id)
    .bind(a.action)
    .bind(a.target_type)
    .bind(a.target_id)
    .bind(a.before.to_string())
    .bind(a.after.to_string())
    .bind(a.now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn for_target<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    target_type: &str,
    target_id: &str,
) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as(
        "SELECT id, actor_id, action, target_type, target_id, before_json, after_json, created_at \
         FROM audit_log WHERE target_type = $1 AND target_id = $2 ORDER BY id DESC",
    )
    .bind(target_type)
    .bind(target_id)
    .fetch_all(ex)
    .await
}
