//! Moving a booking to another free slot.

use super::*;

/// Moves a live session to another free slot of the mentor, keeping its history.
#[tracing::instrument(name = "bookings::reschedule", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn reschedule(
    ctx: &Ctx,
    user: &UserRow,
    id: &BookingId,
    input: &RescheduleInput,
) -> AppResult<BookingFull> {
    let reason = text::optional_text("reason", input.reason.as_deref().unwrap_or(""), 1000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let start = parse_instant("start", &input.start)?;
    let now = ctx.clock.now();
    slot_passed(start, now)?;
    let current = store::bookings::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = actor_of(&current, user).ok_or(AppError::NotFound)?;
    let a = availability::load(ctx, &current.b.mentor_id)
        .await?
        .ok_or_else(slot_taken)?;
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    store::bookings::lock_people(
        &mut tx,
        ctx.db.backend,
        &current.b.mentor_id,
        &current.b.mentee_id,
    )
    .await?;
    let b = store::bookings::get_for_update(&mut tx, ctx.db.backend, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let facts = facts_of(&b.b, now);
    rules::next(&facts, BookingAction::Reschedule, actor)
        .map_err(|r| refusal(r, BookingAction::Reschedule))?;
    if rules::move_too_late(&facts, actor, &ctx.config.policy) && !b.b.short_notice_by_mentor {
        return Err(super::transition::late_move(ctx));
    }
    let end = start + SignedDuration::from_mins(b.b.duration_minutes);
    if start == b.b.start_at {
        return Err(AppError::invalid(
            "start",
            "unchanged",
            "That is already the booking's time.",
        ));
    }
    check_slot(
        ctx,
        &mut *tx,
        &a,
        &SlotCheck {
            mentor_id: &b.b.mentor_id,
            mentee_id: &b.b.mentee_id,
            span: (start, end),
            hold: None,
            except: Some(id),
            mentee_busy: "The mentee already has a session at that time.",
        },
    )
    .await?;
    move_booking(ctx, &mut tx, &b.b, &user.id, (start, end), &reason, now).await?;
    let after = store::bookings::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The other side is told the time it was moved from (in their zone, when they
    // read it) and why.
    let to_mentor = actor == Actor::Mentee;
    let mut detail = format!("Moved from: {}", crate::domain::clock::stamp(b.b.start_at));
    if !reason.is_empty() {
        detail.push_str(&format!("\nReason: {reason}"));
    }
    let note = notify::booking_note(
        ctx,
        &after,
        to_mentor,
        notify::BOOKING_RESCHEDULED,
        "Booking moved",
        &detail,
        true,
    );
    notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    // The pair's chat says so too, and its invite shows the new time.
    let what = super::transition::chat_line("moved", &after);
    let thread = messages::booking_changed(
        &mut tx,
        &after,
        std::slice::from_ref(&after),
        &what,
        Some(&user.id),
        now,
    )
    .await?;
    notify::seen_by_acting(&mut tx, &user.id, id.as_str(), now, &mut live).await?;
    tx.commit().await?;
    if let Some(t) = thread {
        live.push(
            vec![after.b.mentor_id.to_string(), after.b.mentee_id.to_string()],
            crate::service::events::Event::ThreadUpdated { thread_id: t },
        );
    }
    live.publish(ctx).await;
    // Both people's: a mentor who booked someone else is busy then as well.
    for person in [&b.b.mentor_id, &b.b.mentee_id] {
        availability::mark_next_free(ctx, person, availability::TimeChange::Taken);
        availability::mark_next_free(
            ctx,
            person,
            availability::TimeChange::Freed(b.b.start_at, b.b.end_at),
        );
    }
    Ok(after)
}

/// Writes the move of booking `b` to `(start, end)` by `by`: the new times and expiry,
/// the "rescheduled" event, and for an accepted booking the jobs of the new time in
/// place of the old time's (its reminders and completion; a pending one expires by its
/// new `expires_at`, which the expiry sweep reads).
async fn move_booking(
    ctx: &Ctx,
    tx: &mut store::Tx,
    b: &store::bookings::BookingRow,
    by: &str,
    (start, end): (Timestamp, Timestamp),
    reason: &str,
    now: Timestamp,
) -> AppResult<()> {
    let id = &b.id;
    let expires_at = if b.status == BookingStatus::Pending {
        let expiry = b
            .created_at
            .saturating_add(SignedDuration::from_hours(ctx.config.pending_expiry_hours))
            .unwrap_or(Timestamp::MAX);
        start.min(expiry)
    } else {
        b.expires_at
    };
    // The mentor moving a session (accepted, or a request they accept later) to within
    // the notice: its mentee may then cancel it for everything back (the late terms
    // are for times the mentee chose).
    let policy = &ctx.config.policy;
    let short_notice = by == b.mentor_id.as_str()
        && matches!(b.status, BookingStatus::Accepted | BookingStatus::Pending)
        && b.timed
        && start < crate::clock::after(now, policy.full_refund_notice_hours * 3_600_000_000);
    store::bookings::reschedule(
        &mut *tx,
        id,
        (to_micros(start), to_micros(end)),
        expires_at,
        short_notice,
        now,
    )
    .await?;
    store::bookings::add_event(
        &mut *tx,
        id,
        Some(by),
        "rescheduled",
        Some((to_micros(b.start_at), to_micros(start))),
        reason,
        now,
    )
    .await?;
    store::calendars::enqueue_push(tx, id, &b.mentor_id, now).await?;
    if b.status != BookingStatus::Pending {
        unschedule_accepted(ctx, tx, b, b.start_at, b.end_at).await?;
        schedule_accepted(ctx, tx, b, start, end, now).await?;
    }
    Ok(())
}
