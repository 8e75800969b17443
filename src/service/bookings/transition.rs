//! Booking transitions: accept, decline, cancel, complete, deliver, no-shows; their scheduling (reminders, completion) and notifications; private notes.

use super::*;

pub(super) fn refusal(r: Refusal, action: BookingAction) -> AppError {
    match r {
        Refusal::NotYours => AppError::forbidden(match action {
            BookingAction::Accept | BookingAction::Decline => {
                "Only the mentor answers a booking request."
            }
            BookingAction::Complete => "Only the mentor completes a booking.",
            BookingAction::Deliver => "Only the mentor delivers a review.",
            BookingAction::MenteeNoShow => "Only the mentor reports that the mentee did not come.",
            BookingAction::MentorNoShow => "Only the mentee reports that the mentor did not come.",
            _ => "You cannot do this to this booking.",
        }),
        Refusal::WrongState(s) => AppError::conflict(
            "invalid_transition",
            format!("This booking is {}; that is not possible now.", s.as_str()),
        ),
        Refusal::WrongTime(why) => AppError::conflict("invalid_transition", why),
        Refusal::WrongKind(why) => AppError::conflict("invalid_transition", why),
    }
}

/// The start a cancellation's notice is counted to: the session's, unless its mentor
/// moved it to within the notice — then no notice is late (the mentee did not choose
/// that time), so everything comes back.
pub(super) fn notice_start(b: &store::bookings::BookingRow) -> Timestamp {
    if b.short_notice_by_mentor {
        Timestamp::MAX
    } else {
        b.start_at
    }
}

/// Why a mentee cannot move an accepted session within the cancellation notice
/// ([`rules::move_too_late`]).
pub(super) fn late_move(ctx: &Ctx) -> AppError {
    AppError::conflict(
        "invalid_transition",
        format!(
            "The session starts in less than {} hours, too soon for you to move it. Cancel it \
             (the late-cancellation terms apply) or ask your mentor to move it.",
            ctx.config.policy.full_refund_notice_hours
        ),
    )
}

/// What an action would do to a booking now, for a confirmation: the status it leads
/// to and how the held credits would be settled. Nothing is written; the action itself
/// decides again when it runs.
#[derive(Debug, Clone, Copy)]
pub struct Preview {
    pub to: BookingStatus,
    pub settlement: rules::Settlement,
    pub actor: Actor,
}

pub fn preview(
    ctx: &Ctx,
    b: &BookingFull,
    user: &UserRow,
    action: BookingAction,
) -> AppResult<Preview> {
    let actor = actor_of(b, user).ok_or(AppError::NotFound)?;
    let now = ctx.now();
    let facts = facts_of(&b.b, now);
    let to = rules::next(&facts, action, actor).map_err(|r| refusal(r, action))?;
    if action == BookingAction::Reschedule
        && rules::move_too_late(&facts, actor, &ctx.config.policy)
        && !b.b.short_notice_by_mentor
    {
        return Err(late_move(ctx));
    }
    let settlement = if to.is_live() {
        rules::Settlement::default()
    } else {
        rules::settle(
            b.b.credits_held,
            b.b.status,
            to,
            actor,
            notice_start(&b.b),
            now,
            &ctx.config.policy,
        )
    };
    Ok(Preview {
        to,
        settlement,
        actor,
    })
}

pub(super) fn actor_of(b: &BookingFull, user: &UserRow) -> Option<Actor> {
    if b.b.mentor_id == user.id {
        Some(Actor::Mentor)
    } else if b.b.mentee_id == user.id {
        Some(Actor::Mentee)
    } else {
        None
    }
}

/// Applies a transition for a participant (or the server, with `user = None`).
#[tracing::instrument(name = "bookings::act", skip_all, fields(user_id = user.map(|u| u.id.as_str()), id = %id))]
pub async fn act(
    ctx: &Ctx,
    user: Option<&UserRow>,
    id: &BookingId,
    action: BookingAction,
    input: &ActInput,
) -> AppResult<BookingFull> {
    let reason = text::optional_text("reason", input.reason.as_deref().unwrap_or(""), 1000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    transition(ctx, user, id, action, &reason, None).await
}

/// Marks a review service delivered (and so completed and paid).
#[tracing::instrument(name = "bookings::deliver", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn deliver(
    ctx: &Ctx,
    user: &UserRow,
    id: &BookingId,
    input: &DeliverInput,
) -> AppResult<BookingFull> {
    let mut v = crate::error::Validator::new();
    let text_ = v.check(text::optional_text("text", &input.text, 20_000));
    let url = v.check(text::optional_https_url("url", &input.url));
    v.finish()?;
    let (text_, url) = (text_.unwrap_or_default(), url.unwrap_or_default());
    if text_.is_empty() && url.is_empty() {
        return Err(AppError::invalid(
            "text",
            "required",
            "Deliver the review as text, an https link, or both.",
        ));
    }
    transition(
        ctx,
        Some(user),
        id,
        BookingAction::Deliver,
        "",
        Some((text_, url)),
    )
    .await
}

pub(super) async fn transition(
    ctx: &Ctx,
    user: Option<&UserRow>,
    id: &BookingId,
    action: BookingAction,
    reason: &str,
    delivery: Option<(String, String)>,
) -> AppResult<BookingFull> {
    let now = ctx.now();
    // The people are fixed for a booking's life: read them first, to lock them first.
    let people = store::bookings::people_of(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    store::bookings::lock_people(&mut tx, ctx.db.backend, &people.0, &people.1).await?;
    let step = Step {
        user,
        action,
        reason,
        tell: Tell::Each,
        now,
    };
    let done = apply(ctx, &mut tx, id, &step, delivery, &mut live).await?;
    tx.commit().await?;
    announce(ctx, live, &done.after.b, done.after.b.status, done.thread).await;
    Ok(done.after)
}

/// Who tells the two people of a transition: the transition itself (a booking on its
/// own), or its caller, once for several (a series' sessions answered or cancelled
/// together, see [`super::series`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tell {
    Each,
    Caller,
}

/// One transition to apply: by whom, which, why, told how, when.
pub(super) struct Step<'a> {
    pub user: Option<&'a UserRow>,
    pub action: BookingAction,
    pub reason: &'a str,
    pub tell: Tell,
    pub now: Timestamp,
}

/// A transition written (not yet committed): the booking as it is now, who did it,
/// and the chat thread that got a line.
pub(super) struct Applied {
    pub after: BookingFull,
    pub actor: Actor,
    pub thread: Option<String>,
}

/// Applies one transition inside `tx`, whose caller has locked the booking's two
/// people. A refusal (the rules, or the booking changed meanwhile) is an
/// `AppError::Conflict` or `Forbidden` returned before anything of this booking is
/// written, so the caller may go on with others in the same transaction.
pub(super) async fn apply(
    ctx: &Ctx,
    tx: &mut store::Tx,
    id: &BookingId,
    step: &Step<'_>,
    delivery: Option<(String, String)>,
    live: &mut Live,
) -> AppResult<Applied> {
    let (user, action, reason, now) = (step.user, step.action, step.reason, step.now);
    let b = store::bookings::get_for_update(tx, ctx.db.backend, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = match user {
        None => Actor::System,
        Some(u) => actor_of(&b, u).ok_or(AppError::NotFound)?,
    };
    let from = b.b.status;
    let facts = facts_of(&b.b, now);
    let to = rules::next(&facts, action, actor).map_err(|r| refusal(r, action))?;
    let finished = !to.is_live();
    let s = if finished {
        rules::settle(
            b.b.credits_held,
            from,
            to,
            actor,
            notice_start(&b.b),
            now,
            &ctx.config.policy,
        )
    } else {
        rules::Settlement::default()
    };
    let moved = store::bookings::change_status(
        tx,
        &StatusChange {
            id,
            from: from.as_str(),
            to: to.as_str(),
            refunded: s.to_mentee,
            paid: s.to_mentor,
            finished,
            now,
        },
    )
    .await?;
    if !moved {
        return Err(AppError::conflict(
            "invalid_transition",
            "This booking changed meanwhile; reload it.",
        ));
    }
    if finished {
        let memo = settle_memo(to, &s);
        credits::settle(tx, id, &b.b.mentee_id, &b.b.mentor_id, &s, memo, now).await?;
    }
    let user_id = user.map(|u| u.id.as_str());
    let event = record_action(
        ctx,
        tx,
        &b.b,
        (action, actor, user_id),
        reason,
        delivery,
        now,
    )
    .await?;
    store::bookings::add_event(tx, id, user_id, event, None, reason, now).await?;
    if b.b.timed {
        store::calendars::enqueue_push(tx, id, &b.b.mentor_id, now).await?;
    }
    if to == BookingStatus::Accepted {
        schedule_accepted(ctx, tx, &b.b, b.b.start_at, b.b.end_at, now).await?;
    } else if finished && from == BookingStatus::Accepted {
        unschedule_accepted(ctx, tx, &b.b, b.b.start_at, b.b.end_at).await?;
    }
    let after = store::bookings::get(&mut **tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if step.tell == Tell::Each {
        notify_transition(ctx, tx, &after, action, actor, reason, now, live).await?;
    }
    if let Some(user_id) = user_id {
        notify::seen_by_acting(tx, user_id, id.as_str(), now, live).await?;
    }
    let thread = if step.tell == Tell::Each {
        let what = chat_line(&to.as_str().replace('_', " "), &after);
        messages::booking_changed(
            tx,
            &after,
            std::slice::from_ref(&after),
            &what,
            user_id,
            now,
        )
        .await?
    } else {
        None
    };
    Ok(Applied {
        after,
        actor,
        thread,
    })
}

/// The pair's chat line about a booking's change ("Booking cancelled: Career chat
/// (interviews)"): which booking, for a pair with several in one thread, by its
/// title and topic.
pub(super) fn chat_line(change: &str, b: &BookingFull) -> String {
    let topic = match b.b.topic.trim() {
        "" => String::new(),
        t => format!(" ({t})"),
    };
    format!("Booking {change}: {}{topic}", b.b.title)
}

/// The memo of a late cancellation's split, read alike by both sides.
pub const LATE_SPLIT: &str = "Cancelled late: split as the late-cancellation terms say";

/// The ledger memo of a finished booking's settlement, read by both people in their
/// wallets: a cancellation says how the credits went (all back, or split late).
fn settle_memo(to: BookingStatus, s: &rules::Settlement) -> &'static str {
    match to {
        BookingStatus::Completed => "Session completed",
        BookingStatus::Declined => "Request declined: credits returned",
        BookingStatus::Expired => "Request expired: credits returned",
        BookingStatus::NoShow => "No-show settled",
        _ if s.to_mentor == 0 => "Booking cancelled: credits returned",
        _ if s.to_mentee == 0 => "Cancelled late: the credits go to the mentor",
        _ => LATE_SPLIT,
    }
}

/// After the commit: the live events of a booking that moved to `to` (and of its
/// thread, when a line was added there), and the mentor's next free slot when time
/// came free.
pub(super) async fn announce(
    ctx: &Ctx,
    mut live: Live,
    b: &store::bookings::BookingRow,
    to: BookingStatus,
    thread: Option<String>,
) {
    let people = vec![b.mentor_id.to_string(), b.mentee_id.to_string()];
    live.push(
        people.clone(),
        Event::Booking {
            booking_id: b.id.to_string(),
            status: to.as_str().to_string(),
        },
    );
    if let Some(t) = thread {
        live.push(people, Event::ThreadUpdated { thread_id: t });
    }
    live.publish(ctx).await;
    if !to.is_live() && b.timed {
        // The mentee's too: a mentor who booked someone else is busy then as well.
        for person in [&b.mentor_id, &b.mentee_id] {
            availability::mark_next_free(
                ctx,
                person,
                availability::TimeChange::Freed(b.start_at, b.end_at),
            );
        }
    }
}

/// Writes what an action records beside the status (the meeting link, a reason, who
/// cancelled, a no-show, a delivery) and returns the name of its history event.
async fn record_action(
    ctx: &Ctx,
    tx: &mut store::Tx,
    b: &store::bookings::BookingRow,
    (action, actor, user_id): (BookingAction, Actor, Option<&str>),
    reason: &str,
    delivery: Option<(String, String)>,
    now: Timestamp,
) -> AppResult<&'static str> {
    let id = &b.id;
    Ok(match action {
        BookingAction::Accept => {
            let link = crate::service::new_meeting_link(ctx, id);
            if b.timed {
                store::bookings::set_text(&mut *tx, id, BookingText::MeetingLink, &link, now)
                    .await?;
            }
            "accepted"
        }
        BookingAction::Decline => {
            store::bookings::set_text(&mut *tx, id, BookingText::DeclineReason, reason, now)
                .await?;
            "declined"
        }
        BookingAction::Cancel => {
            let why = if actor == Actor::System && reason.is_empty() {
                "The review was not delivered by its deadline."
            } else {
                reason
            };
            store::bookings::set_cancelled(&mut *tx, id, why, user_id, now).await?;
            "cancelled"
        }
        BookingAction::MenteeNoShow => {
            store::bookings::set_text(&mut *tx, id, BookingText::NoShowParty, "mentee", now)
                .await?;
            "no_show"
        }
        BookingAction::MentorNoShow => {
            store::bookings::set_text(&mut *tx, id, BookingText::NoShowParty, "mentor", now)
                .await?;
            store::bookings::count_mentor_no_show(&mut *tx, &b.mentor_id).await?;
            "no_show"
        }
        BookingAction::Deliver => {
            let (t, u) = delivery.unwrap_or_default();
            store::bookings::set_delivery(&mut *tx, id, &t, &u, now).await?;
            "delivered"
        }
        BookingAction::Complete => "completed",
        BookingAction::Expire => "expired",
        BookingAction::Reschedule => "rescheduled",
    })
}

/// Saves my notes on a booking.
#[tracing::instrument(name = "bookings::save_notes", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn save_notes(
    ctx: &Ctx,
    user: &UserRow,
    id: &BookingId,
    input: &NotesInput,
) -> AppResult<BookingFull> {
    let b = store::bookings::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let side = match actor_of(&b, user) {
        Some(Actor::Mentor) => "mentor",
        Some(Actor::Mentee) => "mentee",
        _ => return Err(AppError::NotFound),
    };
    let mut v = crate::error::Validator::new();
    let pre = v.check(text::optional_text(
        "pre_meeting",
        &input.pre_meeting,
        10_000,
    ));
    let post = v.check(text::optional_text(
        "post_session",
        &input.post_session,
        10_000,
    ));
    v.finish()?;
    store::bookings::set_notes(
        &ctx.db.pool,
        id,
        side,
        (&pre.unwrap_or_default(), input.pre_meeting_shared),
        (&post.unwrap_or_default(), input.post_session_shared),
        ctx.now(),
    )
    .await?;
    store::bookings::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Jobs an accepted booking needs for its time `(start, end)`: completion (or the
/// review's deadline) and, for a session, reminders 24 hours and 1 hour before; each
/// with when it runs and its dedupe key. Keys name the time, so a moved booking gets
/// new ones ([`unschedule_accepted`] takes the old ones back).
fn followups(
    ctx: &Ctx,
    b: &store::bookings::BookingRow,
    start: Timestamp,
    end: Timestamp,
) -> Vec<(jobs::Job, i64, String)> {
    let id = &b.id;
    let (start, end) = (to_micros(start), to_micros(end));
    let finish_at = if b.timed {
        end + ctx.config.completion_grace_minutes * 60_000_000
    } else {
        end
    };
    let mut out = vec![(
        jobs::Job::BookingFinish {
            booking_id: id.clone(),
        },
        finish_at,
        format!("finish:{id}:{finish_at}"),
    )];
    if b.timed {
        for (lead, before) in [("24h", 24 * HOUR), ("1h", HOUR)] {
            let reminder = jobs::Job::BookingReminder {
                booking_id: id.clone(),
                start_at: start,
                lead: lead.to_string(),
            };
            out.push((
                reminder,
                start - before,
                format!("remind:{lead}:{id}:{start}"),
            ));
        }
    }
    out
}

/// Queues an accepted booking's jobs for its time (see [`followups`]); a reminder
/// whose moment has passed is not queued.
pub(super) async fn schedule_accepted(
    ctx: &Ctx,
    tx: &mut store::Tx,
    b: &store::bookings::BookingRow,
    start: Timestamp,
    end: Timestamp,
    now: jiff::Timestamp,
) -> AppResult<()> {
    for (job, at, key) in followups(ctx, b, start, end) {
        let reminder = matches!(job, jobs::Job::BookingReminder { .. });
        if reminder && at <= to_micros(now) {
            continue;
        }
        jobs::enqueue(tx, &job, from_micros(at), Some(&key), now).await?;
    }
    Ok(())
}

/// Takes back the jobs [`schedule_accepted`] queued for an accepted booking's time
/// `(start, end)` when the booking moves from it or ends before it (cancelled,
/// completed or marked early): they would find nothing to do, and the job queue an
/// admin reads should hold only work that will. A job already running is left to
/// finish (its handler re-checks the booking).
pub(super) async fn unschedule_accepted(
    ctx: &Ctx,
    tx: &mut store::Tx,
    b: &store::bookings::BookingRow,
    start: Timestamp,
    end: Timestamp,
) -> AppResult<()> {
    let keys: Vec<String> = followups(ctx, b, start, end)
        .into_iter()
        .map(|(_, _, key)| key)
        .collect();
    store::jobs::drop_queued(&mut **tx, &keys).await?;
    Ok(())
}

/// Tells the other side (or both) what happened.
#[allow(clippy::too_many_arguments)]
pub(super) async fn notify_transition(
    ctx: &Ctx,
    tx: &mut store::Tx,
    b: &BookingFull,
    action: BookingAction,
    actor: Actor,
    reason: &str,
    now: jiff::Timestamp,
    live: &mut Live,
) -> AppResult<()> {
    let mut detail = if reason.is_empty() {
        String::new()
    } else {
        format!("Reason: {reason}")
    };
    // An accepted session's email carries where to meet.
    if action == BookingAction::Accept && !b.b.meeting_link.is_empty() {
        if !detail.is_empty() {
            detail.push('\n');
        }
        detail.push_str(&format!("Meeting link: {}", b.b.meeting_link));
    }
    // A delivered review says where it is.
    if action == BookingAction::Deliver && !b.b.delivery_url.is_empty() {
        if !detail.is_empty() {
            detail.push('\n');
        }
        detail.push_str(&format!("The review: {}", b.b.delivery_url));
    }
    let notes: Vec<(bool, &'static str, &str, bool)> = match action {
        BookingAction::Accept => vec![(false, notify::BOOKING_ACCEPTED, "Booking accepted", true)],
        BookingAction::Decline => {
            vec![(false, notify::BOOKING_DECLINED, "Booking declined", false)]
        }
        BookingAction::Cancel => match actor {
            Actor::Mentor => vec![(false, notify::BOOKING_CANCELLED, "Booking cancelled", true)],
            Actor::Mentee => vec![(true, notify::BOOKING_CANCELLED, "Booking cancelled", true)],
            Actor::System => vec![
                (
                    false,
                    notify::BOOKING_CANCELLED,
                    "Review not delivered in time",
                    false,
                ),
                (
                    true,
                    notify::BOOKING_CANCELLED,
                    "Review not delivered in time",
                    false,
                ),
            ],
        },
        BookingAction::Expire => vec![
            (
                false,
                notify::BOOKING_EXPIRED,
                "Booking request expired",
                false,
            ),
            (
                true,
                notify::BOOKING_EXPIRED,
                "Booking request expired",
                false,
            ),
        ],
        BookingAction::MenteeNoShow => {
            vec![(false, notify::BOOKING_CANCELLED, "Marked as missed", false)]
        }
        BookingAction::MentorNoShow => vec![(
            true,
            notify::BOOKING_CANCELLED,
            "Reported as missed by the mentee",
            false,
        )],
        BookingAction::Deliver => {
            vec![(false, notify::REVIEW_DELIVERED, "Review delivered", false)]
        }
        // The session is over: the mentee is asked how it went (the booking's page
        // holds the review form).
        BookingAction::Complete => {
            detail = format!(
                "How did it go? Rate the session and say a word about it: it helps {} and \
                 the mentees who come next.",
                b.mentor_first_name
            );
            vec![(false, notify::SESSION_COMPLETED, "Session completed", false)]
        }
        _ => vec![],
    };
    // What came back to a program rather than the wallet, for the mentee's words.
    let program = super::refund_split_in(&mut **tx, b).await?;
    for (to_mentor, kind, headline, attach) in notes {
        // Where the credits went, said to each side in its own words.
        let said = match money_line(b, action, to_mentor, program) {
            Some(m) if detail.is_empty() => m,
            Some(m) => format!("{m}\n{detail}"),
            None => detail.clone(),
        };
        let note = notify::booking_note(ctx, b, to_mentor, kind, headline, &said, attach);
        notify::notify(ctx, tx, &note, now, live).await?;
    }
    Ok(())
}

/// What a finished booking's credits did, for one side's notice (`b` as settled):
/// the mentee learns what came back to them, the mentor what was paid to them; the
/// side a no-show report went against learns it may dispute it. `None` when the
/// booking cost nothing or the notice has nothing to say of money.
fn money_line(
    b: &BookingFull,
    action: BookingAction,
    to_mentor: bool,
    program: (i64, bool),
) -> Option<String> {
    let r = &b.b;
    if r.credits_held == 0 {
        return None;
    }
    let dispute = format!(
        " If that is not what happened, dispute it from the booking's page within {} days.",
        crate::domain::dispute::DISPUTE_DAYS
    );
    let (held, back, paid) = (r.credits_held, r.credits_refunded, r.credits_paid);
    let place = refund_place(back, program);
    let to_mentee = || {
        if back == held {
            format!("All {held} credits held for it are {place}.")
        } else if back == 0 {
            format!(
                "The {held} credits held for it are not returned: they pay {} for the session.",
                b.mentor_first_name
            )
        } else {
            format!(
                "{back} of the {held} credits held for it are {place}; the rest pays {}.",
                b.mentor_first_name
            )
        }
    };
    match (action, to_mentor) {
        (BookingAction::MenteeNoShow, false) => Some(format!(
            "{} marked that you did not come. {}{dispute}",
            b.mentor_first_name,
            to_mentee()
        )),
        (BookingAction::MentorNoShow, true) => Some(format!(
            "{} reported that you did not come: their {back} credits went back to them.{dispute}",
            b.mentee_first_name
        )),
        (BookingAction::Decline | BookingAction::Expire | BookingAction::Cancel, false) => {
            Some(to_mentee())
        }
        (BookingAction::Cancel, true) if paid > 0 => Some(format!(
            "As the cancellation terms say, {paid} of the {held} credits are paid to you."
        )),
        _ => None,
    }
}

/// Where `back` credits that came back to a mentee are, `program` being how many of
/// them went to the program that paid them and whether it is over (see
/// [`super::refund_split`]): "back in your wallet", "back in your program credits", or
/// both in numbers.
pub fn refund_place(back: i64, (program, over): (i64, bool)) -> String {
    let gone = "with the program that paid them, which has ended";
    match (program.min(back), over) {
        (0, _) => "back in your wallet".into(),
        (p, false) if p == back => "back in your program credits".into(),
        (p, true) if p == back => format!("back {gone}"),
        (p, over) => format!(
            "back: {} in your wallet, {p} {}",
            back - p,
            if over {
                gone
            } else {
                "in your program credits"
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::refund_place;

    #[test]
    fn a_refund_says_where_its_credits_went() {
        assert_eq!(refund_place(40, (0, false)), "back in your wallet");
        assert_eq!(refund_place(40, (0, true)), "back in your wallet");
        assert_eq!(
            refund_place(40, (40, false)),
            "back in your program credits"
        );
        assert_eq!(
            refund_place(40, (40, true)),
            "back with the program that paid them, which has ended"
        );
        assert_eq!(
            refund_place(20, (30, false)),
            "back in your program credits",
            "never more to the program than came back"
        );
        assert_eq!(
            refund_place(40, (10, false)),
            "back: 30 in your wallet, 10 in your program credits"
        );
    }
}
