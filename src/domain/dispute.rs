//! Disputes of a finished session's outcome.
//!
//! A session settles by one side's word: the mentor marks it done (or it completes by
//! itself after its end), or one side reports the other absent. The other side may
//! disagree, once, within [`DISPUTE_DAYS`] of the settlement: the admins then look at
//! it and either let the outcome stand (`rejected`) or grant it (`granted`), which
//! settles the session again the other way — the mentee refunded in full, or the
//! mentor paid as for a held session. Cancellations follow the published policy and
//! are not disputed here (a member can still report a person).

use jiff::{SignedDuration, Timestamp};

use super::booking::{Actor, BookingStatus};

/// How long after a settlement its outcome can be disputed.
pub const DISPUTE_DAYS: i64 = 7;

/// What granting a dispute does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// The mentor was paid (done, or the mentee reported absent): everything the
    /// session paid goes back to the mentee.
    RefundMentee,
    /// The mentee was refunded (the mentor reported absent): the mentee pays the
    /// session after all.
    PayMentor,
}

impl Remedy {
    pub fn as_str(self) -> &'static str {
        match self {
            Remedy::RefundMentee => "refund_mentee",
            Remedy::PayMentor => "pay_mentor",
        }
    }
}

/// Who may dispute a booking in `status` (with the absent party a no-show names), and
/// what granting it would do; `None` when the outcome is not one to dispute.
pub fn rule(status: BookingStatus, no_show_party: &str) -> Option<(Actor, Remedy)> {
    match (status, no_show_party) {
        (BookingStatus::Completed, _) | (BookingStatus::NoShow, "mentee") => {
            Some((Actor::Mentee, Remedy::RefundMentee))
        }
        (BookingStatus::NoShow, "mentor") => Some((Actor::Mentor, Remedy::PayMentor)),
        _ => None,
    }
}

/// Until when an outcome settled at `finished_at` can be disputed.
pub fn open_until(finished_at: Timestamp) -> Timestamp {
    finished_at
        .saturating_add(SignedDuration::from_hours(24 * DISPUTE_DAYS))
        .unwrap_or(finished_at)
}

/// Where a dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    /// Waiting for the admins.
    Open,
    /// The outcome stands.
    Rejected,
    /// The session was settled again the other way.
    Granted,
}

impl DisputeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Rejected => "rejected",
            Self::Granted => "granted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Open, Self::Rejected, Self::Granted]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_side_that_lost_money_by_the_others_word_may_dispute() {
        use BookingStatus as S;
        assert_eq!(
            rule(S::Completed, ""),
            Some((Actor::Mentee, Remedy::RefundMentee))
        );
        assert_eq!(
            rule(S::NoShow, "mentee"),
            Some((Actor::Mentee, Remedy::RefundMentee))
        );
        assert_eq!(
            rule(S::NoShow, "mentor"),
            Some((Actor::Mentor, Remedy::PayMentor))
        );
        for s in [
            S::Pending,
            S::Accepted,
            S::Declined,
            S::Expired,
            S::Cancelled,
        ] {
            assert_eq!(rule(s, ""), None, "{s:?}");
        }
    }

    #[test]
    fn a_dispute_is_open_for_seven_days() {
        let t: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        assert_eq!(
            open_until(t),
            "2026-03-08T10:00:00Z".parse::<Timestamp>().unwrap()
        );
        for s in ["open", "rejected", "granted"] {
            assert_eq!(DisputeStatus::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(DisputeStatus::parse("closed"), None);
    }
}
