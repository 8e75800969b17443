//! Bookings: the life cycle of a session or review, and how its credits settle.
//!
//! `pending → accepted | declined | expired | cancelled`,
//! `accepted → completed | cancelled | no_show`. Every booking settles its escrow
//! exactly once, when it leaves the live states: to the mentee (refund), to the mentor
//! (payout, less the platform fee), or split (late cancellation).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Pending,
    Accepted,
    Declined,
    Expired,
    Cancelled,
    Completed,
    NoShow,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 7] = [
        BookingStatus::Pending,
        BookingStatus::Accepted,
        BookingStatus::Declined,
        BookingStatus::Expired,
        BookingStatus::Cancelled,
        BookingStatus::Completed,
        BookingStatus::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Accepted => "accepted",
            BookingStatus::Declined => "declined",
            BookingStatus::Expired => "expired",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Completed => "completed",
            BookingStatus::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The status in people's words ("no show").
    pub fn label(self) -> String {
        self.as_str().replace('_', " ")
    }

    /// Pending and accepted bookings hold time and credits.
    pub fn is_live(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Accepted)
    }
}

impl std::fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Mentor,
    Mentee,
    /// The server itself (expiry, automatic completion).
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingAction {
    Accept,
    Decline,
    Cancel,
    Reschedule,
    Complete,
    /// The mentor says the mentee did not come.
    MenteeNoShow,
    /// The mentee says the mentor did not come.
    MentorNoShow,
    Deliver,
    Expire,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This side may never do this.
    NotYours,
    /// Not in this status.
    WrongState(BookingStatus),
    /// Not at this time (before the start, or after it), with a reason.
    WrongTime(&'static str),
    /// Not for this kind of booking.
    WrongKind(&'static str),
}

/// What a booking is, for the rules.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub status: BookingStatus,
    /// A meeting at a time (false: a review with a deadline).
    pub timed: bool,
    pub start: Timestamp,
    pub end: Timestamp,
    pub expires_at: Timestamp,
    pub now: Timestamp,
}

/// How late someone must be before the other may report a no-show (or the whole
/// session, when it is shorter): reported at the first second, a no-show paid or
/// refused the credits at once while the other person was still joining.
pub const NO_SHOW_AFTER_MINUTES: i64 = 10;

/// From when a no-show of the session `[start, end)` may be reported.
pub fn no_show_from(start: Timestamp, end: Timestamp) -> Timestamp {
    let grace = SignedDuration::from_mins(NO_SHOW_AFTER_MINUTES).min(end.duration_since(start));
    start
        .saturating_add(grace.max(SignedDuration::ZERO))
        .unwrap_or(start)
}

/// From when its mentor may mark a session done: halfway through it. One that ends
/// early is done from then; before, the mentee may still be in it, with its meeting
/// link (the sweep completes every session once it is over).
pub fn done_from(start: Timestamp, end: Timestamp) -> Timestamp {
    let half = end.duration_since(start) / 2;
    start
        .saturating_add(half.max(SignedDuration::ZERO))
        .unwrap_or(start)
}

/// The status after `actor` does `action`, or why not.
pub fn next(f: &Facts, action: BookingAction, actor: Actor) -> Result<BookingStatus, Refusal> {
    use BookingAction as A;
    use BookingStatus as S;
    let who = |ok: &[Actor]| {
        if ok.contains(&actor) {
            Ok(())
        } else {
            Err(Refusal::NotYours)
        }
    };
    let from = |ok: &[BookingStatus]| {
        if ok.contains(&f.status) {
            Ok(())
        } else {
            Err(Refusal::WrongState(f.status))
        }
    };
    let started = f.now >= f.start;
    match action {
        A::Accept => {
            who(&[Actor::Mentor])?;
            from(&[S::Pending])?;
            if f.now >= f.expires_at {
                return Err(Refusal::WrongTime(
                    "The request expired before it was answered.",
                ));
            }
            Ok(S::Accepted)
        }
        A::Decline => {
            who(&[Actor::Mentor])?;
            from(&[S::Pending])?;
            Ok(S::Declined)
        }
        A::Expire => {
            who(&[Actor::System])?;
            from(&[S::Pending])?;
            if f.now < f.expires_at {
                return Err(Refusal::WrongTime("Not due to expire yet."));
            }
            Ok(S::Expired)
        }
        A::Cancel => {
            who(&[Actor::Mentor, Actor::Mentee, Actor::System])?;
            from(&[S::Pending, S::Accepted])?;
            if f.timed && started && actor != Actor::System {
                return Err(Refusal::WrongTime(
                    "The session has started; report a no-show or complete it instead.",
                ));
            }
            Ok(S::Cancelled)
        }
        A::Reschedule => {
            who(&[Actor::Mentor, Actor::Mentee])?;
            from(&[S::Pending, S::Accepted])?;
            if !f.timed {
                return Err(Refusal::WrongKind(
                    "A review has a deadline, not a time to move.",
                ));
            }
            if started {
                return Err(Refusal::WrongTime("The session has already started."));
            }
            Ok(f.status)
        }
        A::Complete => {
            who(&[Actor::Mentor, Actor::System])?;
            from(&[S::Accepted])?;
            if !f.timed {
                return Err(Refusal::WrongKind(
                    "A review completes when it is delivered.",
                ));
            }
            if !started {
                return Err(Refusal::WrongTime("The session has not started yet."));
            }
            if f.now < done_from(f.start, f.end) {
                return Err(Refusal::WrongTime(
                    "A session can be marked done from halfway through it: the mentee may still be in it.",
                ));
            }
            Ok(S::Completed)
        }
        A::MenteeNoShow | A::MentorNoShow => {
            who(if action == A::MenteeNoShow {
                &[Actor::Mentor]
            } else {
                &[Actor::Mentee]
            })?;
            from(&[S::Accepted])?;
            if !f.timed {
                return Err(Refusal::WrongKind("A review has no meeting to miss."));
            }
            if !started {
                return Err(Refusal::WrongTime("The session has not started yet."));
            }
            if f.now < no_show_from(f.start, f.end) {
                return Err(Refusal::WrongTime(
                    "A no-show can be reported from 10 minutes after the start: they may still be joining.",
                ));
            }
            Ok(S::NoShow)
        }
        A::Deliver => {
            who(&[Actor::Mentor])?;
            from(&[S::Accepted])?;
            if f.timed {
                return Err(Refusal::WrongKind("Only review services are delivered."));
            }
            Ok(S::Completed)
        }
    }
}

/// How escrow is split when a booking leaves the live states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settlement {
    pub to_mentee: i64,
    pub to_mentor: i64,
    pub to_platform: i64,
}

/// The cancellation and fee policy (configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// A mentee cancelling at least this long before the start gets everything back.
    pub full_refund_notice_hours: i64,
    /// A later mentee cancellation refunds this share (the rest pays the mentor).
    pub late_refund_percent: i64,
    /// The platform's share of what a mentor earns.
    pub platform_fee_percent: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            full_refund_notice_hours: 24,
            late_refund_percent: 50,
            platform_fee_percent: 0,
        }
    }
}

fn pay_mentor(amount: i64, p: &Policy) -> (i64, i64) {
    let fee = amount * p.platform_fee_percent.clamp(0, 100) / 100;
    (amount - fee, fee)
}

/// The settlement for a booking that ends in `to`, cancelled by `by` when it was `from`.
/// Until when a mentee may cancel an accepted session starting at `start` and get
/// everything back (see [`settle`]).
pub fn free_cancel_until(start: Timestamp, p: &Policy) -> Timestamp {
    start
        .checked_sub(SignedDuration::from_hours(p.full_refund_notice_hours))
        .unwrap_or(start)
}

/// Whether `actor` moving the booking now would dodge the late-cancellation terms: a
/// mentee who moves an accepted session within the notice could then cancel the new
/// time for everything back, the mentor left with a slot freed at short notice and
/// nothing for it. So within the notice a mentee cannot move an accepted session
/// (the mentor still can), unless late cancellations are refunded in full anyway.
pub fn move_too_late(f: &Facts, actor: Actor, p: &Policy) -> bool {
    actor == Actor::Mentee
        && f.status == BookingStatus::Accepted
        && f.timed
        && p.late_refund_percent < 100
        && f.now >= free_cancel_until(f.start, p)
}

pub fn settle(
    cost: i64,
    from: BookingStatus,
    to: BookingStatus,
    by: Actor,
    start: Timestamp,
    now: Timestamp,
    p: &Policy,
) -> Settlement {
    let refund_all = Settlement {
        to_mentee: cost,
        ..Settlement::default()
    };
    let pay_all = || {
        let (m, fee) = pay_mentor(cost, p);
        Settlement {
            to_mentee: 0,
            to_mentor: m,
            to_platform: fee,
        }
    };
    match to {
        BookingStatus::Declined | BookingStatus::Expired => refund_all,
        BookingStatus::Completed => pay_all(),
        // The mentor's no-show refunds; the mentee's pays the mentor.
        BookingStatus::NoShow if by == Actor::Mentee => refund_all,
        BookingStatus::NoShow => pay_all(),
        BookingStatus::Cancelled => {
            let notice = start.duration_since(now);
            let late = by == Actor::Mentee
                && from == BookingStatus::Accepted
                && notice < SignedDuration::from_hours(p.full_refund_notice_hours);
            if late {
                let refund = cost * p.late_refund_percent.clamp(0, 100) / 100;
                let (m, fee) = pay_mentor(cost - refund, p);
                Settlement {
                    to_mentee: refund,
                    to_mentor: m,
                    to_platform: fee,
                }
            } else {
                refund_all
            }
        }
        BookingStatus::Pending | BookingStatus::Accepted => Settlement::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::{BookingAction as A, BookingStatus as S, *};

    /// `n` hours after the epoch.
    fn h(n: i64) -> Timestamp {
        Timestamp::from_second(n * 3600).unwrap()
    }

    fn facts(status: S, timed: bool, now: Timestamp) -> Facts {
        Facts {
            status,
            timed,
            start: h(100),
            end: h(101),
            expires_at: h(48),
            now,
        }
    }

    #[test]
    fn a_mentee_moves_an_accepted_session_only_before_the_notice() {
        let p = Policy::default(); // 24 hours, half back when late
        // The start is h(100): free to move until h(76).
        assert!(!move_too_late(
            &facts(S::Accepted, true, h(75)),
            Actor::Mentee,
            &p
        ));
        assert!(move_too_late(
            &facts(S::Accepted, true, h(76)),
            Actor::Mentee,
            &p
        ));
        assert!(move_too_late(
            &facts(S::Accepted, true, h(99)),
            Actor::Mentee,
            &p
        ));
        // The mentor may; a pending request holds nothing; a review has no time.
        assert!(!move_too_late(
            &facts(S::Accepted, true, h(99)),
            Actor::Mentor,
            &p
        ));
        assert!(!move_too_late(
            &facts(S::Pending, true, h(99)),
            Actor::Mentee,
            &p
        ));
        assert!(!move_too_late(
            &facts(S::Accepted, false, h(99)),
            Actor::Mentee,
            &p
        ));
        // Late cancellations refunded in full: moving late dodges nothing.
        let generous = Policy {
            late_refund_percent: 100,
            ..p
        };
        assert!(!move_too_late(
            &facts(S::Accepted, true, h(99)),
            Actor::Mentee,
            &generous
        ));
    }

    #[test]
    fn a_no_show_waits_for_ten_minutes_of_lateness_or_the_whole_session() {
        let at = |now: Timestamp, end: Timestamp| Facts {
            end,
            ..facts(S::Accepted, true, now)
        };
        let min = |m: i64| h(100) + SignedDuration::from_mins(m);
        for action in [A::MenteeNoShow, A::MentorNoShow] {
            let actor = if action == A::MenteeNoShow {
                Actor::Mentor
            } else {
                Actor::Mentee
            };
            for now in [h(100), min(9)] {
                assert!(
                    matches!(next(&at(now, h(101)), action, actor), Err(Refusal::WrongTime(m)) if m.contains("10 minutes")),
                    "{action:?} at {now}"
                );
            }
            assert_eq!(next(&at(min(10), h(101)), action, actor), Ok(S::NoShow));
            // A five-minute session: from its end.
            assert!(next(&at(min(4), min(5)), action, actor).is_err());
            assert_eq!(next(&at(min(5), min(5)), action, actor), Ok(S::NoShow));
        }
        // Done, by contrast, from halfway through: a session ending early is done then.
        assert!(matches!(
            next(&at(min(29), h(101)), A::Complete, Actor::Mentor),
            Err(Refusal::WrongTime(_))
        ));
        assert_eq!(
            next(&at(min(30), h(101)), A::Complete, Actor::Mentor),
            Ok(S::Completed)
        );
    }

    #[test]
    fn who_may_do_what() {
        let f = facts(S::Pending, true, h(0));
        assert_eq!(next(&f, A::Accept, Actor::Mentor), Ok(S::Accepted));
        assert_eq!(next(&f, A::Accept, Actor::Mentee), Err(Refusal::NotYours));
        assert_eq!(next(&f, A::Decline, Actor::Mentee), Err(Refusal::NotYours));
        assert_eq!(next(&f, A::Cancel, Actor::Mentee), Ok(S::Cancelled));
        assert_eq!(
            next(&f, A::Complete, Actor::Mentor),
            Err(Refusal::WrongState(S::Pending))
        );
        assert_eq!(
            next(&f, A::Expire, Actor::System),
            Err(Refusal::WrongTime("Not due to expire yet."))
        );
        assert_eq!(
            next(&facts(S::Pending, true, h(48)), A::Expire, Actor::System),
            Ok(S::Expired)
        );
        assert!(matches!(
            next(&facts(S::Pending, true, h(48)), A::Accept, Actor::Mentor),
            Err(Refusal::WrongTime(_))
        ));

        let a = facts(S::Accepted, true, h(10));
        assert!(matches!(
            next(&a, A::Complete, Actor::Mentor),
            Err(Refusal::WrongTime(_))
        ));
        assert_eq!(next(&a, A::Reschedule, Actor::Mentee), Ok(S::Accepted));
        assert!(matches!(
            next(&a, A::Deliver, Actor::Mentor),
            Err(Refusal::WrongKind(_))
        ));
        let started = facts(S::Accepted, true, h(100));
        assert!(matches!(
            next(&started, A::Complete, Actor::Mentor),
            Err(Refusal::WrongTime(_))
        ));
        let half = facts(S::Accepted, true, h(100) + SignedDuration::from_mins(30));
        assert_eq!(next(&half, A::Complete, Actor::Mentor), Ok(S::Completed));
        let late = Facts {
            now: h(100) + SignedDuration::from_mins(NO_SHOW_AFTER_MINUTES),
            ..started
        };
        assert_eq!(next(&late, A::MenteeNoShow, Actor::Mentor), Ok(S::NoShow));
        assert_eq!(next(&late, A::MentorNoShow, Actor::Mentee), Ok(S::NoShow));
        assert_eq!(
            next(&started, A::MentorNoShow, Actor::Mentor),
            Err(Refusal::NotYours)
        );
        assert!(matches!(
            next(&started, A::Cancel, Actor::Mentee),
            Err(Refusal::WrongTime(_))
        ));
        let review = facts(S::Accepted, false, h(0));
        assert_eq!(next(&review, A::Deliver, Actor::Mentor), Ok(S::Completed));
        assert!(matches!(
            next(&review, A::Reschedule, Actor::Mentee),
            Err(Refusal::WrongKind(_))
        ));
        for done in [
            S::Declined,
            S::Expired,
            S::Cancelled,
            S::Completed,
            S::NoShow,
        ] {
            for action in [
                A::Accept,
                A::Decline,
                A::Cancel,
                A::Reschedule,
                A::Complete,
                A::MenteeNoShow,
                A::Deliver,
            ] {
                for actor in [Actor::Mentor, Actor::Mentee] {
                    let got = next(&facts(done, true, h(200)), action, actor);
                    assert!(
                        matches!(got, Err(Refusal::WrongState(_)) | Err(Refusal::NotYours)),
                        "{done:?} {action:?} {actor:?}: {got:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn settlements_always_balance() {
        let p = Policy {
            platform_fee_percent: 10,
            ..Policy::default()
        };
        let start = h(100);
        let cases = [
            (
                S::Pending,
                S::Declined,
                Actor::Mentor,
                h(0),
                Settlement {
                    to_mentee: 55,
                    to_mentor: 0,
                    to_platform: 0,
                },
            ),
            (
                S::Pending,
                S::Cancelled,
                Actor::Mentee,
                h(99),
                Settlement {
                    to_mentee: 55,
                    to_mentor: 0,
                    to_platform: 0,
                },
            ),
            (
                S::Accepted,
                S::Cancelled,
                Actor::Mentor,
                h(99),
                Settlement {
                    to_mentee: 55,
                    to_mentor: 0,
                    to_platform: 0,
                },
            ),
            (
                S::Accepted,
                S::Cancelled,
                Actor::Mentee,
                h(76),
                Settlement {
                    to_mentee: 55,
                    to_mentor: 0,
                    to_platform: 0,
                },
            ),
            (
                S::Accepted,
                S::Cancelled,
                Actor::Mentee,
                h(77),
                Settlement {
                    to_mentee: 27,
                    to_mentor: 26,
                    to_platform: 2,
                },
            ),
            (
                S::Accepted,
                S::Completed,
                Actor::Mentor,
                h(101),
                Settlement {
                    to_mentee: 0,
                    to_mentor: 50,
                    to_platform: 5,
                },
            ),
            (
                S::Accepted,
                S::NoShow,
                Actor::Mentor,
                h(101),
                Settlement {
                    to_mentee: 0,
                    to_mentor: 50,
                    to_platform: 5,
                },
            ),
            (
                S::Accepted,
                S::NoShow,
                Actor::Mentee,
                h(101),
                Settlement {
                    to_mentee: 55,
                    to_mentor: 0,
                    to_platform: 0,
                },
            ),
        ];
        for (from, to, by, now, want) in cases {
            let got = settle(55, from, to, by, start, now, &p);
            assert_eq!(got, want, "{from:?}->{to:?} by {by:?}");
            assert_eq!(got.to_mentee + got.to_mentor + got.to_platform, 55);
        }
    }
}
