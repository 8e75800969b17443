//! Web forms that create something do so once, however often they are sent: each
//! rendered form carries a random key; its first sending claims the key and records
//! where it led, and a second sending (Back, then the same button; a second click
//! while the first is on its way) is led there instead of making a second comment,
//! article or session. Kept for a day.

use jiff::{SignedDuration, Timestamp};

use super::Ctx;
use crate::{error::AppResult, store};

/// How long a claim may stay unfinished before another sending takes it over (the
/// server handling the first stopped).
const STALE_AFTER: SignedDuration = SignedDuration::from_secs(60);
/// How long sendings are remembered.
const KEPT_FOR: SignedDuration = SignedDuration::from_hours(24);

/// What a sending of a form finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sending {
    /// The first: do the work, then [`finish`] (or [`release`] when refused).
    First,
    /// Sent before, and it led here.
    Done(String),
    /// Sent before and still being handled.
    Busy,
}

/// Claims the form `key` of `user_id` for this sending, or says what the earlier one
/// did.
pub async fn claim(ctx: &Ctx, user_id: &str, key: &str) -> AppResult<Sending> {
    let now = ctx.now();
    let stale_before = now.checked_sub(STALE_AFTER).unwrap_or(Timestamp::MIN);
    if store::forms::claim(
        &mut *ctx.db.write_conn().await?,
        user_id,
        key,
        stale_before,
        now,
    )
    .await?
    {
        return Ok(Sending::First);
    }
    Ok(
        match store::forms::location(&ctx.db.pool, user_id, key).await? {
            Some(l) if !l.is_empty() => Sending::Done(l),
            // Being handled, or refused and let go meanwhile (the caller asks again).
            _ => Sending::Busy,
        },
    )
}

/// The first sending succeeded and led to `location`.
pub async fn finish(ctx: &Ctx, user_id: &str, key: &str, location: &str) -> AppResult<()> {
    store::forms::finish(&mut *ctx.db.write_conn().await?, user_id, key, location).await?;
    Ok(())
}

/// The first sending was refused (its input was invalid): the corrected form may be
/// sent again.
pub async fn release(ctx: &Ctx, user_id: &str, key: &str) -> AppResult<()> {
    store::forms::release(&mut *ctx.db.write_conn().await?, user_id, key).await?;
    Ok(())
}

/// Forgets sendings older than a day (maintenance).
pub async fn prune(ctx: &Ctx) -> AppResult<u64> {
    let before = ctx.now().checked_sub(KEPT_FOR).unwrap_or(Timestamp::MIN);
    Ok(store::forms::prune(&mut *ctx.db.write_conn().await?, before).await?)
}
