//! What an account leaves behind when it closes or is suspended: the sessions it would
//! never come to. Its coming bookings are cancelled (also those waiting for its answer
//! as the mentor) as if the person had done it — the usual rules, refunds and
//! notifications, with the reason said by the person's part, never their name — and the group sessions it leads are cancelled
//! with every seat refunded; when the person closes their own account, the seats they
//! hold are left for the line, and their mentorships and requests end; when an
//! administrator suspends them, their waiting mentorship requests (sent or received)
//! end and their accepted mentorships stay, the other side told why the person went
//! quiet. One that the other side changed meanwhile is skipped.

use super::Ctx;
use crate::{
    domain::{
        booking::BookingAction,
        mentorship::{Action, MentorshipStatus},
    },
    error::{AppError, AppResult},
    service::{accounts::UserRow, bookings, dashboard, groups, mentorships},
};

/// Why the account stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The person closed it (they act on their mentorships and seats themselves).
    Closed,
    /// An administrator suspended it.
    Suspended,
}

/// What a wind-down ended: the coming bookings cancelled and the group sessions (the
/// person led) cancelled.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ended {
    pub bookings: usize,
    pub groups: usize,
}

/// Ends what `user` would not come to; `by` cancels the group sessions they lead (they
/// themselves when closing, the administrator who suspended them); says what it ended.
/// An action refused because things changed meanwhile (a 4xx) is skipped; any other
/// failure stops here with its error, before the account is erased.
pub async fn wind_down(ctx: &Ctx, user: &UserRow, why: Why, by: &UserRow) -> AppResult<Ended> {
    let mut ended = Ended::default();
    let now = ctx.now();
    // Said of the person by their part (never by name: a closed account's name is
    // erased, and the reason stays on the booking).
    let reason = |role: &str| match why {
        Why::Closed => format!("The {role} closed their account."),
        Why::Suspended => format!("The {role}'s account is no longer active."),
    };
    let filter = bookings::ListFilter {
        user_id: user.id.to_string(),
        statuses: vec!["pending".into(), "accepted".into()],
        limit: 1000,
        ..Default::default()
    };
    let coming: Vec<_> = (bookings::list(ctx, &filter).await?.into_iter())
        // Under way: completed or reported as usual.
        .filter(|b| !(b.b.timed && b.b.start_at <= now))
        .collect();
    let mut series_done: Vec<&str> = vec![];
    for b in &coming {
        // Cancelled, also a request waiting for the person's answer as the mentor: they
        // did not decline it (all is refunded either way).
        let role = if b.b.mentor_id == user.id {
            "mentor"
        } else {
            "mentee"
        };
        // The sessions of a series still to come, cancelled together: one notice, one
        // email and one chat line for the series, as when a person cancels it.
        if let Some(series) = b.b.series_id.as_deref() {
            if series_done.contains(&series) {
                continue;
            }
            series_done.push(series);
            let input = bookings::SeriesCancelInput {
                from_booking_id: None,
                reason: Some(reason(role)),
            };
            if skip_refused(bookings::cancel_series(ctx, user, series, &input).await)? {
                ended.bookings += (coming.iter())
                    .filter(|o| o.b.series_id.as_deref() == Some(series))
                    .count();
            }
            continue;
        }
        let input = bookings::ActInput {
            reason: Some(reason(role)),
        };
        if skip_refused(
            bookings::act(ctx, Some(user), &b.b.id, BookingAction::Cancel, &input).await,
        )? {
            ended.bookings += 1;
        }
    }
    for (start, g) in dashboard::coming_group_sessions(ctx, user).await? {
        if start <= now {
            continue; // under way
        }
        match (g.status.as_str(), why) {
            ("leading", _) => {
                if skip_refused(groups::cancel(ctx, by, &g.id, &reason("host"), false).await)? {
                    ended.groups += 1;
                }
            }
            (_, Why::Closed) => {
                skip_refused(groups::leave(ctx, user, &g.id).await)?;
            }
            (_, Why::Suspended) => {} // a seat stays theirs: it is theirs to leave
        }
    }
    // A closed account's mentorships end; a suspended one's waiting requests end (the
    // other side is told, and may ask again or elsewhere), its accepted mentorships
    // stay for the administrators to lift the suspension or not.
    let statuses = match why {
        Why::Closed => vec!["pending".into(), "accepted".into()],
        Why::Suspended => vec!["pending".into()],
    };
    {
        let filter = crate::store::mentorships::ListFilter {
            user_id: user.id.to_string(),
            role: None,
            statuses,
            before_id: None,
            limit: 1000,
        };
        for m in mentorships::list(ctx, &filter).await? {
            let mentor = m.m.mentor_id == user.id;
            let action = match (m.m.status, mentor) {
                (MentorshipStatus::Pending, true) => Action::Decline,
                (MentorshipStatus::Pending, false) => Action::Cancel,
                _ => Action::End,
            };
            let input = mentorships::AnswerInput {
                reason: Some(reason(if mentor { "mentor" } else { "mentee" })),
                account_gone: Some(why),
            };
            skip_refused(mentorships::act(ctx, user, &m.m.id, action, &input).await)?;
        }
    }
    if why == Why::Suspended {
        tell_accepted_mentorships(ctx, user).await?;
    }
    Ok(ended)
}

/// How long after a suspension the maintenance pass takes over its wind-down, if the
/// request that suspended did not finish it (it is normally done within a second).
pub const TAKE_OVER_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// Records that `user`'s suspension is wound down. Should recording fail, the
/// maintenance pass winds it down again: nothing is left to cancel, but the other
/// sides of accepted mentorships are told a second time.
pub async fn done(ctx: &Ctx, user: &UserRow) {
    if let Err(e) = crate::store::users::mark_wound_down(&ctx.db.pool, &user.id, ctx.now()).await {
        tracing::warn!(user_id = %user.id, error = %e, "recording a finished wind-down failed");
    }
}

/// Finishes the wind-downs of suspensions that their request did not finish (a crash
/// between the suspension's commit and the end of its wind-down, or a database that
/// failed meanwhile): a few at a time, each suspended for [`TAKE_OVER_AFTER`]. The
/// group sessions such a person leads are cancelled in their own name. Returns how
/// many were finished.
pub async fn finish_interrupted(ctx: &Ctx) -> AppResult<usize> {
    let before = ctx
        .now()
        .saturating_sub(TAKE_OVER_AFTER)
        .unwrap_or(ctx.now());
    let due = crate::store::users::not_wound_down(&ctx.db.pool, before, 10).await?;
    let mut finished = 0;
    for user in due {
        match wind_down(ctx, &user, Why::Suspended, &user).await {
            Ok(_) => {
                done(ctx, &user).await;
                finished += 1;
            }
            Err(e) => {
                tracing::warn!(user_id = %user.id, error = %e.detail(), "winding down a suspension failed; will retry");
            }
        }
    }
    Ok(finished)
}

/// A suspended person's accepted mentorships stay: the other side of each is told why
/// the person went quiet and what stays.
async fn tell_accepted_mentorships(ctx: &Ctx, user: &UserRow) -> AppResult<()> {
    use crate::{service::notify, store};
    let filter = store::mentorships::ListFilter {
        user_id: user.id.to_string(),
        role: None,
        statuses: vec!["accepted".into()],
        before_id: None,
        limit: 1000,
    };
    let accepted = mentorships::list(ctx, &filter).await?;
    if accepted.is_empty() {
        return Ok(());
    }
    let now = ctx.now();
    let mut live = super::events::Live::new();
    let mut tx = ctx.db.begin_write().await?;
    for m in accepted {
        let (other_id, tab) = if m.m.mentor_id == user.id {
            (&m.m.mentee_id, "mentors")
        } else {
            (&m.m.mentor_id, "mentees")
        };
        let Some(other) = store::users::by_id(&mut *tx, other_id).await? else {
            continue;
        };
        let note = notify::Note {
            reader: None,
            user_id: &other.id,
            email: &other.email,
            kind: notify::MENTORSHIP_ANSWERED,
            title: format!("{}'s account is no longer active", user.first_name),
            body: format!(
                "Your coming sessions with {} were cancelled (their credits settled as for any cancellation). Your mentorship stays as it is: if the account becomes active again you carry on, and you may end it from your mentorship page.",
                user.first_name
            ),
            link: format!("/mentorship?tab={tab}"),
            related_id: Some(&m.m.id),
            ics: None,
        };
        notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    }
    tx.commit().await?;
    live.publish(ctx).await;
    Ok(())
}

/// Done (`true`), or refused because the thing changed meanwhile (answered, cancelled,
/// started: `false`): either way nothing is left to do. Anything else is an error.
fn skip_refused<T>(r: AppResult<T>) -> AppResult<bool> {
    match r {
        Ok(_) => Ok(true),
        Err(e @ (AppError::Conflict { .. } | AppError::NotFound | AppError::Invalid(_))) => {
            tracing::info!(error = %e.detail(), "left as it is");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}
