//! What time alone decides: unanswered requests expire, past sessions complete.

use super::*;

/// A `booking.expire` job (queued by versions before the every-second expiry sweep,
/// [`expire_due`]): expires the request if it is still pending and due.
pub async fn expire_one(ctx: &Ctx, id: &BookingId) -> AppResult<()> {
    let Some(b) = store::bookings::get(&ctx.db.pool, id).await? else {
        return Ok(());
    };
    if b.b.status != BookingStatus::Pending || b.b.expires_at > ctx.clock.now() {
        return Ok(());
    }
    ignore_conflict(transition(ctx, None, id, BookingAction::Expire, "", None).await)
}

/// A `booking.finish` job: completes a session past its end (plus the grace period),
/// or cancels with a refund a review not delivered by its deadline.
pub async fn finish_one(ctx: &Ctx, id: &BookingId) -> AppResult<()> {
    let Some(b) = store::bookings::get(&ctx.db.pool, id).await? else {
        return Ok(());
    };
    let now = ctx.clock.now();
    if b.b.status != BookingStatus::Accepted {
        return Ok(());
    }
    if b.b.timed {
        let grace = SignedDuration::from_mins(ctx.config.completion_grace_minutes);
        if b.b.end_at.duration_until(now) < grace {
            return Ok(()); // moved later: a newer job will come
        }
        ignore_conflict(transition(ctx, None, id, BookingAction::Complete, "", None).await)
    } else {
        if b.b.end_at > now {
            return Ok(());
        }
        ignore_conflict(transition(ctx, None, id, BookingAction::Cancel, "", None).await)
    }
}

pub(super) fn ignore_conflict<T>(r: AppResult<T>) -> AppResult<()> {
    match r {
        Ok(_) | Err(AppError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Expires unanswered requests whose time is up (every second in the job worker, and
/// in each maintenance pass). Returns how many.
///
/// One request that cannot be expired (its transaction fails every time) is logged
/// and passed over, so it never holds up the others due after it; it is tried again
/// on the next pass.
pub async fn expire_due(ctx: &Ctx) -> AppResult<usize> {
    let ids = store::bookings::due_expiries(&ctx.db.pool, ctx.now(), 200).await?;
    let mut n = 0;
    for id in ids {
        match transition(ctx, None, &id, BookingAction::Expire, "", None).await {
            Ok(_) => n += 1,
            Err(AppError::Conflict { .. }) => {} // answered meanwhile
            Err(e) => {
                tracing::warn!(booking = %id, error = %e, "expiring a booking request failed; will retry");
            }
        }
    }
    Ok(n)
}

/// Completes sessions past their end (plus the grace period for no-show reports) and
/// cancels, with a refund, reviews not delivered by their deadline.
pub async fn finish_due(ctx: &Ctx) -> AppResult<usize> {
    let now = ctx.now();
    let cutoff = crate::clock::before(now, ctx.config.completion_grace_minutes * 60_000_000);
    let ids = store::bookings::due_endings(&ctx.db.pool, cutoff, now, 200).await?;
    let mut n = 0;
    for id in ids {
        let Some(b) = store::bookings::get(&ctx.db.pool, &id).await? else {
            continue;
        };
        let action = if b.b.timed {
            BookingAction::Complete
        } else {
            BookingAction::Cancel
        };
        match transition(ctx, None, &id, action, "", None).await {
            Ok(_) => n += 1,
            Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
