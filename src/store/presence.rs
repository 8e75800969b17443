//! Presence across instances: which users have a live socket on which instance
//! (see `service::events`).

use crate::store::column::Column;
use jiff::Timestamp;
use sqlx::{Any, Executor};

/// The user has a socket on this instance (again).
pub async fn mark<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    instance_id: &str,
    user_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO presence (instance_id, user_id, seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (instance_id, user_id) DO UPDATE SET seen_at = excluded.seen_at",
    )
    .bind(instance_id)
    .bind(user_id)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// The user's last socket on this instance closed.
pub async fn clear<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    instance_id: &str,
    user_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM presence WHERE instance_id = $1 AND user_id = $2")
        .bind(instance_id)
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(())
}

/// This instance stops: none of its users is connected to it any more.
pub async fn clear_instance<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    instance_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM presence WHERE instance_id = $1")
        .bind(instance_id)
        .execute(ex)
        .await?;
    Ok(())
}

/// This instance is alive: its rows are fresh again.
pub async fn renew<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    instance_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE presence SET seen_at = $2 WHERE instance_id = $1")
        .bind(instance_id)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

/// Whether the user has a socket on some instance seen since `since`.
pub async fn online<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    since: Timestamp,
) -> sqlx::Result<bool> {
    // COUNT is a BIGINT on both engines (a bare `SELECT 1` is an INT on PostgreSQL).
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM presence WHERE user_id = $1 AND seen_at > $2 \
         LIMIT 1) p",
    )
    .bind(user_id)
    .bind(since.stored())
    .fetch_one(ex)
    .await?;
    Ok(found > 0)
}
