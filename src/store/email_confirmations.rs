//! Email confirmation links: the hash of each link's token, whose address it confirms,
//! until when it works and when it was used (table `email_confirmations`, migration
//! 0037). An address is confirmed when a link sent to it was used.

use jiff::Timestamp;
use sqlx::{Any, Executor};

use crate::clock::from_micros;
use crate::store::column::Column;

/// Records a new link for `user_id`'s address `email`, working until `expires_at`.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    (user_id, email): (&str, &str),
    expires_at: Timestamp,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO email_confirmations (token_hash, user_id, email, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(email)
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
        "SELECT created_at FROM email_confirmations WHERE user_id = $1 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(ex)
    .await?;
    Ok(at.map(from_micros))
}

/// Uses a link that still works at `now`: marks it used and answers whose address it
/// confirms. Of two requests using one link at once, one gets it.
pub async fn spend<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    now: Timestamp,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "UPDATE email_confirmations SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         RETURNING user_id, email",
    )
    .bind(token_hash)
    .bind(now.stored())
    .fetch_optional(ex)
    .await
}

/// Whether the account confirmed this address (a link sent to it was used).
pub async fn confirmed<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    email: &str,
) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM email_confirmations WHERE user_id = $1 AND email = $2 \
         AND used_at IS NOT NULL LIMIT 1",
    )
    .bind(user_id)
    .bind(email)
    .fetch_optional(ex)
    .await?;
    Ok(found.is_some())
}

/// Makes every link of the account not used yet stop working at `now` (expired, not
/// used: a link that was never followed confirms nothing). A new address asked for,
/// or one taken, leaves no older link able to set another.
pub async fn expire_all_for_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE email_confirmations SET expires_at = $2 \
         WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// The account's link to a new address that still works at `now` (not `current`, the
/// address it has: a link confirming that one changes nothing): the address and until
/// when, the latest if several.
pub async fn pending_change<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    current: &str,
    now: Timestamp,
) -> sqlx::Result<Option<(String, Timestamp)>> {
    let found: Option<(String, i64)> = sqlx::query_as(
        "SELECT email, expires_at FROM email_confirmations WHERE user_id = $1 \
         AND email <> $2 AND used_at IS NULL AND expires_at > $3 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(current)
    .bind(now.stored())
    .fetch_optional(ex)
    .await?;
    Ok(found.map(|(email, at)| (email, from_micros(at))))
}
