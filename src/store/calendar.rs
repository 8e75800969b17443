//! Secret calendar feed tokens (hashed).

use crate::store::column::Column;
use jiff::Timestamp;
use sqlx::{Any, Executor};

pub async fn put_feed<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    token_hash: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO calendar_feeds (user_id, token_hash, created_at, updated_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(token_hash)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// Takes the user's feed address away (its calendars stop updating); false when
/// there was none.
pub async fn delete_feed<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The active user a feed token belongs to.
pub async fn user_of_feed<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
) -> sqlx::Result<Option<super::users::UserRow>> {
    // The user's state is checked here rather than in `WHERE`, so the plan can only
    // start from the feed's key (see `sessions::live`).
    let sql = format!(
        "SELECT {} FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
         WHERE f.token_hash = $1",
        super::users::USER_COLUMNS
    );
    let user: Option<super::users::UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .fetch_optional(ex)
        .await?;
    Ok(user.filter(|u| u.suspended_at.is_none() && u.deleted_at.is_none()))
}

/// When the user's current feed address was issued, if they have one.
pub async fn feed_issued<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Option<Timestamp>> {
    let stored: Option<i64> =
        sqlx::query_scalar("SELECT updated_at FROM calendar_feeds WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(ex)
            .await?;
    stored
        .map(|t| super::column::instant(t, "updated_at"))
        .transpose()
}
