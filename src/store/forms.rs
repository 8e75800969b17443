//! Web forms sent more than once: the first sending of each rendered form (table
//! `form_submissions`, migration 0025).

use jiff::Timestamp;
use sqlx::{Any, Executor};

use crate::store::column::Column;

/// Claims `form_key` of `user_id` for this sending: true when it is the first (or the
/// first's claim is older than `stale_before` and never finished: its server stopped
/// while handling it). One statement each, so of two sendings at once one claims.
pub async fn claim(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    form_key: &str,
    stale_before: Timestamp,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO form_submissions (user_id, form_key, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, form_key) DO NOTHING",
    )
    .bind(user_id)
    .bind(form_key)
    .bind(now.stored())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(true);
    }
    let taken_over = sqlx::query(
        "UPDATE form_submissions SET created_at = $3 \
         WHERE user_id = $1 AND form_key = $2 AND location = '' AND created_at < $4",
    )
    .bind(user_id)
    .bind(form_key)
    .bind(now.stored())
    .bind(stale_before.stored())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(taken_over == 1)
}

/// Where the first sending of the form led: `None` when there is no such sending (or it
/// failed and let go of its claim), `Some("")` while it is being handled.
pub async fn location<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    form_key: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT location FROM form_submissions WHERE user_id = $1 AND form_key = $2")
        .bind(user_id)
        .bind(form_key)
        .fetch_optional(ex)
        .await
}

/// The first sending succeeded and led to `location`.
pub async fn finish<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    form_key: &str,
    location: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE form_submissions SET location = $3 WHERE user_id = $1 AND form_key = $2")
        .bind(user_id)
        .bind(form_key)
        .bind(location)
        .execute(ex)
        .await?;
    Ok(())
}

/// The sending was refused (invalid input): the form may be corrected and sent again.
pub async fn release<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    form_key: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM form_submissions WHERE user_id = $1 AND form_key = $2 AND location = ''",
    )
    .bind(user_id)
    .bind(form_key)
    .execute(ex)
    .await?;
    Ok(())
}

/// Forgets sendings older than `before`.
pub async fn prune<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    before: Timestamp,
) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM form_submissions WHERE created_at < $1")
            .bind(before.stored())
            .execute(ex)
            .await?
            .rows_affected(),
    )
}
