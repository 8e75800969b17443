//! Password reset links: the hash of each link's token, whose account it resets, until
//! when it works and when it was used (table `password_resets`, migration 0024).

use jiff::Timestamp;
use sqlx::{Any, Executor};

use crate::clock::from_micros;
use crate::store::column::Column;

/// Records a new link for `user_id`, working until `expires_at`.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    user_id: &str,
    expires_at: Timestamp,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at.stored())
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// When the account's latest link was asked for, if ever.
pub async fn last_requested<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Option<Timestamp>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT created_at FROM password_resets WHERE user_id = $1 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(ex)
    .await?;
    Ok(at.map(from_micros))
}

/// The account a link resets, if the link still works at `now` (unused, unexpired, and
/// its account neither closed nor suspended). A read only: [`spend`] decides.
pub async fn live_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    now: Timestamp,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id \
         WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 \
         AND u.deleted_at IS NULL AND u.suspended_at IS NULL",
    )
    .bind(token_hash)
    .bind(now.stored())
    .fetch_optional(ex)
    .await
}

/// Uses a link: marks it used if it still works at `now` and answers whose it was. Of
/// two requests spending one link at once, one gets the account and the other `None`
/// (the row is updated under its lock on both engines).
pub async fn spend<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    now: Timestamp,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
    )
    .bind(token_hash)
    .bind(now.stored())
    .fetch_optional(ex)
    .await
}

/// Spends every unused link of an account (its password was just set).
pub async fn spend_all_for_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}
