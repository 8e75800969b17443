//! Mentorships: the mentor–mentee relationship and its life cycle.
//!
//! `pending → accepted | declined | cancelled | expired`, `accepted → ended`. Only the
//! mentor accepts or declines, only the mentee cancels a pending request, either side
//! ends an accepted one.

use serde::{Deserialize, Serialize};

/// A mentee may have at most this many requests waiting for an answer.
pub const MAX_PENDING_PER_MENTEE: i64 = 5;
/// A request nobody answered expires after this many days.
pub const EXPIRY_DAYS: i64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MentorshipStatus {
    Pending,
    Accepted,
    Declined,
    Cancelled,
    Ended,
    Expired,
}

impl MentorshipStatus {
    pub const ALL: [MentorshipStatus; 6] = [
        MentorshipStatus::Pending,
        MentorshipStatus::Accepted,
        MentorshipStatus::Declined,
        MentorshipStatus::Cancelled,
        MentorshipStatus::Ended,
        MentorshipStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MentorshipStatus::Pending => "pending",
            MentorshipStatus::Accepted => "accepted",
            MentorshipStatus::Declined => "declined",
            MentorshipStatus::Cancelled => "cancelled",
            MentorshipStatus::Ended => "ended",
            MentorshipStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Pending and accepted relationships are "live": one per pair at most.
    pub fn is_live(self) -> bool {
        matches!(self, MentorshipStatus::Pending | MentorshipStatus::Accepted)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Decline,
    Cancel,
    End,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Decline => "decline",
            Action::Cancel => "cancel",
            Action::End => "end",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Mentor,
    Mentee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionError {
    /// This side may never do this.
    NotYours,
    /// Not from the current status.
    WrongState(MentorshipStatus),
}

/// The status after `side` does `action` to a relationship in `from`.
pub fn transition(
    from: MentorshipStatus,
    action: Action,
    side: Side,
) -> Result<MentorshipStatus, TransitionError> {
    use MentorshipStatus::*;
    let (allowed_side, allowed_from, to) = match action {
        Action::Accept => (Some(Side::Mentor), Pending, Accepted),
        Action::Decline => (Some(Side::Mentor), Pending, Declined),
        Action::Cancel => (Some(Side::Mentee), Pending, Cancelled),
        Action::End => (None, Accepted, Ended),
    };
    if allowed_side.is_some_and(|s| s != side) {
        return Err(TransitionError::NotYours);
    }
    if from != allowed_from {
        return Err(TransitionError::WrongState(from));
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::{MentorshipStatus::*, *};

    #[test]
    fn every_transition() {
        for from in MentorshipStatus::ALL {
            for action in [Action::Accept, Action::Decline, Action::Cancel, Action::End] {
                for side in [Side::Mentor, Side::Mentee] {
                    let got = transition(from, action, side);
                    let expected = match (action, side, from) {
                        (Action::Accept, Side::Mentor, Pending) => Ok(Accepted),
                        (Action::Decline, Side::Mentor, Pending) => Ok(Declined),
                        (Action::Cancel, Side::Mentee, Pending) => Ok(Cancelled),
                        (Action::End, _, Accepted) => Ok(Ended),
                        (Action::Accept | Action::Decline, Side::Mentee, _) => {
                            Err(TransitionError::NotYours)
                        }
                        (Action::Cancel, Side::Mentor, _) => Err(TransitionError::NotYours),
                        (_, _, f) => Err(TransitionError::WrongState(f)),
                    };
                    assert_eq!(got, expected, "{from:?} {action:?} by {side:?}");
                }
            }
        }
    }
}
