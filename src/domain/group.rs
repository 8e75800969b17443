//! Group sessions: what a mentor may publish, who may see and join one (the same rule
//! as articles), the waitlist's promotion, and what leaving costs.

use jiff::{SignedDuration, Timestamp};

use super::{
    article::{self, Reader, Visibility},
    booking::{self, Actor, BookingStatus, Policy, Settlement},
    mentor::{MAX_DURATION, MIN_DURATION},
};
use crate::error::FieldError;

/// Fewest and most seats a session has.
pub const MIN_SEATS: i64 = 2;
pub const MAX_SEATS: i64 = 200;
/// Most credits a seat costs.
pub const MAX_SEAT_CREDITS: i64 = 100_000;
/// Most weekly occurrences one publication makes.
pub const MAX_REPEAT_WEEKS: i64 = 12;
/// How far ahead a session may start (the first of a weekly run; the longest a mentor
/// lets one-to-one bookings reach ahead, too).
pub const MAX_DAYS_AHEAD: i64 = 365;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    Open,
    Cancelled,
    Completed,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Open, Self::Cancelled, Self::Completed]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// One person's place in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatStatus {
    /// Holds a seat; its credits are in escrow.
    Seated,
    /// In line for a seat; nothing is held.
    Waiting,
    /// Left (a seat, or the line).
    Left,
    /// A seat freed while first in line, but the balance was short: out of the line.
    Skipped,
    /// The session was cancelled: credits returned.
    Refunded,
    /// Was there (the mentor's record): the seat paid the mentor.
    Attended,
    /// Did not come: like a mentee's no-show, the seat paid the mentor.
    Absent,
}

impl SeatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seated => "seated",
            Self::Waiting => "waiting",
            Self::Left => "left",
            Self::Skipped => "skipped",
            Self::Refunded => "refunded",
            Self::Attended => "attended",
            Self::Absent => "absent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Seated,
            Self::Waiting,
            Self::Left,
            Self::Skipped,
            Self::Refunded,
            Self::Attended,
            Self::Absent,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    /// The place as pages say it after "group session, ": "in line", "marked absent",
    /// "cancelled" (refunded when the session was)…
    pub fn in_words(self) -> &'static str {
        match self {
            Self::Seated => "seated",
            Self::Waiting => "in line",
            Self::Left => "left",
            Self::Skipped => "passed over",
            Self::Refunded => "cancelled",
            Self::Attended => "attended",
            Self::Absent => "marked absent",
        }
    }

    /// Seated or waiting: the person is in the session.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Seated | Self::Waiting)
    }
}

/// A session as a mentor asks to publish it, fields as sent.
#[derive(Debug, Clone, Default)]
pub struct RawGroup<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub start: Option<&'a str>,
    pub duration_minutes: Option<i64>,
    pub seats: Option<i64>,
    pub credits_per_seat: Option<i64>,
    pub audience: Option<&'a str>,
    pub min_attendance: Option<i64>,
    pub decide_at: Option<&'a str>,
    pub join_until: Option<&'a str>,
    pub repeat_weeks: Option<i64>,
}

/// A checked session (the first occurrence; later weekly ones are [`Draft::week`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub title: String,
    pub description: String,
    pub start: Timestamp,
    pub duration_minutes: i64,
    pub seats: i64,
    pub credits_per_seat: i64,
    pub audience: Visibility,
    pub min_attendance: Option<i64>,
    pub decide_at: Option<Timestamp>,
    pub join_until: Timestamp,
    pub repeat_weeks: i64,
}

impl Draft {
    pub fn end(&self) -> Timestamp {
        self.start + SignedDuration::from_mins(self.duration_minutes)
    }

    /// The `n`th weekly occurrence (0 is this one) at the same wall-clock time in
    /// `tz`, so 18:00 stays 18:00 across a change of summer time; its decision time
    /// and join deadline keep their distance from the start.
    pub fn week(&self, n: i64, tz: &jiff::tz::TimeZone) -> Option<Draft> {
        let start = self
            .start
            .to_zoned(tz.clone())
            .checked_add(jiff::Span::new().weeks(n))
            .ok()?
            .timestamp();
        let shift = start.duration_since(self.start);
        Some(Draft {
            start,
            decide_at: self.decide_at.map(|d| d + shift),
            join_until: self.join_until + shift,
            ..self.clone()
        })
    }
}

fn instant(field: &str, raw: &str) -> Result<Timestamp, FieldError> {
    crate::clock::parse_instant(raw)
        .map_err(|why| FieldError::new(field, "invalid_datetime", why.message()))
}

/// Checks a session to publish at `now`; every problem at once.
pub fn check(raw: &RawGroup<'_>, now: Timestamp) -> Result<Draft, Vec<FieldError>> {
    let mut errors = vec![];
    let mut push = |e: FieldError| errors.push(e);
    let title = raw.title.trim();
    if title.is_empty() || title.chars().count() > 120 {
        push(FieldError::new(
            "title",
            "invalid_length",
            "Give the session a title of 1 to 120 characters.",
        ));
    }
    if raw.description.chars().count() > 5000 {
        push(FieldError::new(
            "description",
            "too_long",
            "The description has at most 5,000 characters.",
        ));
    }
    let start = match raw.start {
        None => {
            push(FieldError::new("start", "required", "When does it start?"));
            None
        }
        Some(s) => match instant("start", s) {
            Ok(t) if t <= now => {
                push(FieldError::new(
                    "start",
                    "in_the_past",
                    "The start is in the past.",
                ));
                None
            }
            Ok(t) if t > now + SignedDuration::from_hours(24 * MAX_DAYS_AHEAD) => {
                push(FieldError::new(
                    "start",
                    "too_far_ahead",
                    format!(
                        "A session starts within {MAX_DAYS_AHEAD} days from now: pick an earlier date."
                    ),
                ));
                None
            }
            Ok(t) => Some(t),
            Err(e) => {
                push(e);
                None
            }
        },
    };
    let duration = raw.duration_minutes.unwrap_or(60);
    if !(MIN_DURATION..=MAX_DURATION).contains(&duration) || duration % 5 != 0 {
        push(FieldError::new(
            "duration_minutes",
            "invalid_duration",
            "A session lasts 15 minutes to 8 hours, in steps of 5 minutes.",
        ));
    }
    let seats = raw.seats.unwrap_or(0);
    if !(MIN_SEATS..=MAX_SEATS).contains(&seats) {
        push(FieldError::new(
            "seats",
            "invalid_seats",
            "A group session has 2 to 200 seats.",
        ));
    }
    let credits = raw.credits_per_seat.unwrap_or(0);
    if !(0..=MAX_SEAT_CREDITS).contains(&credits) {
        push(FieldError::new(
            "credits_per_seat",
            "invalid_number",
            "A seat costs 0 to 100,000 credits.",
        ));
    }
    let audience = match Visibility::parse(raw.audience.unwrap_or("public")) {
        Ok(v) => Some(v),
        Err(_) => {
            push(FieldError::new(
                "audience",
                "invalid",
                "Choose public, members or my_mentees.",
            ));
            None
        }
    };
    let repeat = raw.repeat_weeks.unwrap_or(1);
    if !(1..=MAX_REPEAT_WEEKS).contains(&repeat) {
        push(FieldError::new(
            "repeat_weeks",
            "invalid_number",
            "Repeat it weekly for 1 to 12 weeks.",
        ));
    }
    let decide_at = raw.decide_at.map(|d| instant("decide_at", d));
    let join_until = raw.join_until.map(|d| instant("join_until", d));
    let mut decide = None;
    match (raw.min_attendance, decide_at) {
        (None, None) => {}
        (Some(_), None) | (None, Some(_)) => push(FieldError::new(
            "min_attendance",
            "incomplete",
            "A minimum attendance needs a decision time (decide_at), and the other way round.",
        )),
        (Some(_), Some(Err(e))) => push(e),
        (Some(min), Some(Ok(at))) => {
            if min < 1 || min > seats.max(MIN_SEATS) {
                push(FieldError::new(
                    "min_attendance",
                    "invalid_number",
                    "The minimum attendance is at least 1 and at most the seats.",
                ));
            }
            if at <= now || start.is_some_and(|s| at > s) {
                push(FieldError::new(
                    "decide_at",
                    "invalid_time",
                    "The decision time is after now and no later than the start.",
                ));
            }
            decide = Some(at);
        }
    }
    let join = match join_until {
        None => start,
        Some(Err(e)) => {
            push(e);
            None
        }
        Some(Ok(at)) => {
            if at <= now || start.is_some_and(|s| at > s) {
                push(FieldError::new(
                    "join_until",
                    "invalid_time",
                    "People can join until a time after now and no later than the start.",
                ));
            }
            Some(at)
        }
    };
    match (start, audience, join) {
        (Some(start), Some(audience), Some(join_until)) if errors.is_empty() => Ok(Draft {
            title: title.to_string(),
            description: raw.description.trim().to_string(),
            start,
            duration_minutes: duration,
            seats,
            credits_per_seat: credits,
            audience,
            min_attendance: raw.min_attendance,
            decide_at: decide,
            join_until,
            repeat_weeks: repeat,
        }),
        _ => Err(errors),
    }
}

/// Who may see (and so join) a session: the rule of articles by its audience.
pub fn can_see(reader: Reader<'_>, mentor_id: &str, audience: Visibility) -> bool {
    article::can_read(reader, mentor_id, audience, true)
}

/// One person in line, in order, with their balance when the seats freed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InLine<'a> {
    pub seat_id: &'a str,
    pub balance: i64,
}

/// Who a freed seat (or several) goes to: the first in line who can pay the seat, in
/// order; everyone before them who cannot is skipped. Returns (seated, skipped).
pub fn promote<'a>(line: &[InLine<'a>], free: i64, cost: i64) -> (Vec<&'a str>, Vec<&'a str>) {
    let (mut seated, mut skipped) = (vec![], vec![]);
    for p in line {
        if seated.len() as i64 >= free {
            break;
        }
        if p.balance >= cost {
            seated.push(p.seat_id);
        } else {
            skipped.push(p.seat_id);
        }
    }
    (seated, skipped)
}

/// What a seated attendee leaving at `now` gets back: the booking policy of a mentee
/// cancelling an accepted session (all before the notice, the configured share after;
/// the rest pays the mentor).
pub fn leave_settlement(cost: i64, start: Timestamp, now: Timestamp, p: &Policy) -> Settlement {
    booking::settle(
        cost,
        BookingStatus::Accepted,
        BookingStatus::Cancelled,
        Actor::Mentee,
        start,
        now,
        p,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + n * 3600).unwrap()
    }

    fn raw(start: &str) -> RawGroup<'_> {
        RawGroup {
            title: "Intro to Rust",
            start: Some(start),
            seats: Some(10),
            credits_per_seat: Some(20),
            ..RawGroup::default()
        }
    }

    #[test]
    fn a_valid_session_and_its_defaults() {
        let start = h(48).to_string();
        let d = check(&raw(&start), h(0)).unwrap();
        assert_eq!(d.duration_minutes, 60);
        assert_eq!(
            d.join_until,
            h(48),
            "joining closes at the start by default"
        );
        assert_eq!(d.audience, Visibility::Public);
        assert_eq!(d.end(), h(49));
    }

    #[test]
    fn every_problem_at_once() {
        let r = RawGroup {
            title: " ",
            start: Some("tomorrow"),
            seats: Some(1),
            credits_per_seat: Some(-1),
            audience: Some("friends"),
            min_attendance: Some(3),
            repeat_weeks: Some(13),
            duration_minutes: Some(7),
            ..RawGroup::default()
        };
        let fields: Vec<String> = check(&r, h(0))
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "title",
                "start",
                "duration_minutes",
                "seats",
                "credits_per_seat",
                "audience",
                "repeat_weeks",
                "min_attendance"
            ]
        );
    }

    #[test]
    fn times_must_be_in_order() {
        let start = h(48).to_string();
        let late = h(49).to_string();
        let past = h(-1).to_string();
        let r = RawGroup {
            min_attendance: Some(3),
            decide_at: Some(&late),
            join_until: Some(&past),
            ..raw(&start)
        };
        let fields: Vec<String> = check(&r, h(0))
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["decide_at", "join_until"]);
        assert!(check(&raw(&past), h(0)).is_err(), "no session in the past");
        let far = h(24 * MAX_DAYS_AHEAD + 1).to_string();
        let far_err = check(&raw(&far), h(0)).unwrap_err();
        assert_eq!(far_err[0].code, "too_far_ahead", "{far_err:?}");
        let year = h(24 * MAX_DAYS_AHEAD).to_string();
        assert!(check(&raw(&year), h(0)).is_ok(), "a year ahead is fine");
    }

    #[test]
    fn weekly_occurrences_keep_the_local_time_across_summer_time() {
        let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        // Tue 2027-03-23 18:00 in Berlin (UTC+1); summer time starts on the 28th.
        let start: Timestamp = "2027-03-23T17:00:00Z".parse().unwrap();
        let d = Draft {
            start,
            join_until: start - SignedDuration::from_hours(1),
            decide_at: None,
            ..check(&raw(&start.to_string()), h(0)).unwrap()
        };
        let next = d.week(1, &tz).unwrap();
        assert_eq!(
            next.start.to_string(),
            "2027-03-30T16:00:00Z",
            "18:00 local"
        );
        assert_eq!(next.join_until, next.start - SignedDuration::from_hours(1));
    }

    #[test]
    fn promotion_seats_those_who_can_pay_in_order_and_skips_the_rest_before_them() {
        let line = [
            InLine {
                seat_id: "a",
                balance: 5,
            },
            InLine {
                seat_id: "b",
                balance: 30,
            },
            InLine {
                seat_id: "c",
                balance: 0,
            },
            InLine {
                seat_id: "d",
                balance: 20,
            },
            InLine {
                seat_id: "e",
                balance: 99,
            },
        ];
        assert_eq!(promote(&line, 1, 20), (vec!["b"], vec!["a"]));
        assert_eq!(promote(&line, 2, 20), (vec!["b", "d"], vec!["a", "c"]));
        assert_eq!(promote(&line, 0, 20), (vec![], vec![]));
        assert_eq!(promote(&line, 9, 0).0.len(), 5, "free seats: everyone");
    }

    #[test]
    fn leaving_follows_the_cancellation_policy() {
        let p = Policy::default();
        assert_eq!(leave_settlement(40, h(48), h(0), &p).to_mentee, 40);
        let late = leave_settlement(40, h(48), h(40), &p);
        assert_eq!((late.to_mentee, late.to_mentor), (20, 20));
    }

    #[test]
    fn the_audience_is_the_article_rule() {
        let anon = Reader::default();
        let member = Reader {
            user_id: Some("u"),
            ..Reader::default()
        };
        let mentee = Reader {
            user_id: Some("u"),
            is_current_mentee: true,
            ..Reader::default()
        };
        assert!(can_see(anon, "m", Visibility::Public));
        assert!(!can_see(anon, "m", Visibility::Members));
        assert!(can_see(member, "m", Visibility::Members));
        assert!(!can_see(member, "m", Visibility::MyMentees));
        assert!(can_see(mentee, "m", Visibility::MyMentees));
    }
}
