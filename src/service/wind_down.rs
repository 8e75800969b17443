//! What an account leaves behind when it closes or is suspended: the sessions it would
//! never come to. Its coming bookings (either side) are cancelled by the server with
//! every credit back to the mentee, the group sessions it leads are cancelled with
//! every seat refunded, and — when the person closes their own account — the seats they
//! hold are left for the line, and their mentorships and requests end. Each through
//! the same action everyone else uses (its rules, its notifications); one that the
//! other side already changed meanwhile is skipped.

use super::Ctx;
use crate::{
    domain::{
        booking::BookingAction,
        mentorship::{Action, MentorshipStatus},
    },
    error::AppResult,
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

/// Ends what `user` would not come to; `by` cancels the group sessions they lead (they
/// themselves when closing, the administrator who suspended them).
pub async fn wind_down(ctx: &Ctx, user: &UserRow, why: Why, by: &UserRow) -> AppResult<()> {
    let now = ctx.now();
    let reason = match why {
        Why::Closed => "The other person closed their account.",
        Why::Suspended => "The other person's account is no longer active.",
    };
    let filter = bookings::ListFilter {
        user_id: user.id.to_string(),
        statuses: vec!["pending".into(), "accepted".into()],
        limit: 500,
        ..Default::default()
    };
    for b in bookings::list(ctx, &filter).await? {
        if b.b.timed && b.b.start_at <= now {
            continue; // under way: completed or reported as usual
        }
        let input = bookings::ActInput {
            reason: Some(reason.to_string()),
        };
        if let Err(e) = bookings::act(ctx, None, &b.b.id, BookingAction::Cancel, &input).await {
            tracing::info!(booking_id = %b.b.id, error = %e.detail(), "left as it is");
        }
    }
    for g in dashboard::coming_group_sessions(ctx, user).await? {
        let not_started = g
            .start
            .parse::<jiff::Timestamp>()
            .is_ok_and(|start| start > now);
        if !not_started {
            continue;
        }
        let done = match (g.status.as_str(), why) {
            ("leading", _) => groups::cancel(ctx, by, &g.id, reason).await.map(|_| ()),
            (_, Why::Closed) => groups::leave(ctx, user, &g.id).await.map(|_| ()),
            (_, Why::Suspended) => Ok(()),
        };
        if let Err(e) = done {
            tracing::info!(group_session_id = %g.id, error = %e.detail(), "left as it is");
        }
    }
    if why == Why::Closed {
        let filter = crate::store::mentorships::ListFilter {
            user_id: user.id.to_string(),
            role: None,
            statuses: vec!["pending".into(), "accepted".into()],
            before_id: None,
            limit: 500,
        };
        for m in mentorships::list(ctx, &filter).await? {
            let mentor = m.m.mentor_id == user.id;
            let action = match (m.m.status, mentor) {
                (MentorshipStatus::Pending, true) => Action::Decline,
                (MentorshipStatus::Pending, false) => Action::Cancel,
                _ => Action::End,
            };
            let input = mentorships::AnswerInput {
                reason: Some(reason.to_string()),
            };
            if let Err(e) = mentorships::act(ctx, user, &m.m.id, action, &input).await {
                tracing::info!(mentorship_id = %m.m.id, error = %e.detail(), "left as it is");
            }
        }
    }
    Ok(())
}
