//! Background work, typed: what the job queue runs. The queue stores a job as its
//! `kind` (a stable string) and a JSON payload; [`Job::kind`], [`Job::payload`] and
//! [`Job::parse`] are the only places that know that encoding, so an enqueued job and
//! its handler cannot disagree about a field, and a row that does not decode is an
//! error, not a guess.

use serde::{Deserialize, Serialize};

use super::ids::BookingId;
use serde_json::{Value, json};

/// A unit of background work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Expire a booking request nobody answered.
    BookingExpire { booking_id: BookingId },
    /// Complete (and pay out) a booking whose time is over.
    BookingFinish { booking_id: BookingId },
    /// Remind both people of a booking starting at `start_at` (µs); `lead` is `"24h"`
    /// or `"1h"`.
    BookingReminder {
        booking_id: BookingId,
        start_at: i64,
        lead: String,
    },
    /// Remind everyone seated in a group session starting at `start_at` (µs); `lead`
    /// is `"24h"` or `"1h"`.
    GroupReminder {
        session_id: String,
        start_at: i64,
        lead: String,
    },
    /// Expire a mentorship request nobody answered.
    MentorshipExpire { mentorship_id: String },
    /// Deliver one email of the outbox.
    EmailSend { outbox_id: String },
    /// Place the booking a paid checkout bought.
    PlaceBooking { payment_id: String },
    /// Read a connected calendar's busy times again.
    CalendarSync { connection_id: String },
    /// Write a booking to (or remove it from) its mentor's calendar as it is now.
    CalendarPush { booking_id: String },
    /// Write a group session to (or remove it from) its mentor's calendar.
    CalendarPushGroup { session_id: String },
    /// Nothing (tests and health checks of the queue).
    Noop,
}

#[derive(Serialize, Deserialize)]
struct Reminder {
    booking_id: BookingId,
    start_at: i64,
    lead: String,
}

#[derive(Serialize, Deserialize)]
struct GroupReminder {
    session_id: String,
    start_at: i64,
    lead: String,
}

impl Job {
    pub const BOOKING_EXPIRE: &'static str = "booking.expire";
    pub const BOOKING_FINISH: &'static str = "booking.finish";
    pub const BOOKING_REMINDER: &'static str = "booking.reminder";
    pub const GROUP_REMINDER: &'static str = "group.reminder";
    pub const MENTORSHIP_EXPIRE: &'static str = "mentorship.expire";
    pub const EMAIL_SEND: &'static str = "email.send";
    pub const PLACE_BOOKING: &'static str = "payment.place_booking";
    pub const CALENDAR_SYNC: &'static str = "calendar.sync";
    pub const CALENDAR_PUSH: &'static str = "calendar.push";
    pub const CALENDAR_PUSH_GROUP: &'static str = "calendar.push_group";
    pub const NOOP: &'static str = "noop";

    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::BookingExpire { .. } => Self::BOOKING_EXPIRE,
            Job::BookingFinish { .. } => Self::BOOKING_FINISH,
            Job::BookingReminder { .. } => Self::BOOKING_REMINDER,
            Job::GroupReminder { .. } => Self::GROUP_REMINDER,
            Job::MentorshipExpire { .. } => Self::MENTORSHIP_EXPIRE,
            Job::EmailSend { .. } => Self::EMAIL_SEND,
            Job::PlaceBooking { .. } => Self::PLACE_BOOKING,
            Job::CalendarSync { .. } => Self::CALENDAR_SYNC,
            Job::CalendarPush { .. } => Self::CALENDAR_PUSH,
            Job::CalendarPushGroup { .. } => Self::CALENDAR_PUSH_GROUP,
            Job::Noop => Self::NOOP,
        }
    }

    /// The stored payload.
    pub fn payload(&self) -> Value {
        match self {
            Job::BookingExpire { booking_id } | Job::BookingFinish { booking_id } => {
                json!({ "booking_id": booking_id })
            }
            Job::BookingReminder {
                booking_id,
                start_at,
                lead,
            } => json!({ "booking_id": booking_id, "start_at": start_at, "lead": lead }),
            Job::GroupReminder {
                session_id,
                start_at,
                lead,
            } => json!({ "session_id": session_id, "start_at": start_at, "lead": lead }),
            Job::MentorshipExpire { mentorship_id } => json!({ "mentorship_id": mentorship_id }),
            Job::EmailSend { outbox_id } => json!({ "outbox_id": outbox_id }),
            Job::PlaceBooking { payment_id } => json!({ "payment_id": payment_id }),
            Job::CalendarSync { connection_id } => json!({ "connection_id": connection_id }),
            Job::CalendarPush { booking_id } => json!({ "booking_id": booking_id }),
            Job::CalendarPushGroup { session_id } => json!({ "session_id": session_id }),
            Job::Noop => json!({}),
        }
    }

    /// A stored job back, or why it cannot be read.
    pub fn parse(kind: &str, payload: &str) -> Result<Job, String> {
        let v: Value = serde_json::from_str(payload)
            .map_err(|e| format!("the payload of a {kind} job is not JSON: {e}"))?;
        let id = |key: &str| {
            v[key]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("a {kind} job without {key}"))
        };
        Ok(match kind {
            Self::BOOKING_EXPIRE => Job::BookingExpire {
                booking_id: BookingId::trusted(id("booking_id")?),
            },
            Self::BOOKING_FINISH => Job::BookingFinish {
                booking_id: BookingId::trusted(id("booking_id")?),
            },
            Self::BOOKING_REMINDER => {
                let r: Reminder =
                    serde_json::from_value(v.clone()).map_err(|e| format!("a {kind} job: {e}"))?;
                Job::BookingReminder {
                    booking_id: r.booking_id,
                    start_at: r.start_at,
                    lead: r.lead,
                }
            }
            Self::GROUP_REMINDER => {
                let r: GroupReminder =
                    serde_json::from_value(v.clone()).map_err(|e| format!("a {kind} job: {e}"))?;
                Job::GroupReminder {
                    session_id: r.session_id,
                    start_at: r.start_at,
                    lead: r.lead,
                }
            }
            Self::MENTORSHIP_EXPIRE => Job::MentorshipExpire {
                mentorship_id: id("mentorship_id")?,
            },
            Self::EMAIL_SEND => Job::EmailSend {
                outbox_id: id("outbox_id")?,
            },
            Self::PLACE_BOOKING => Job::PlaceBooking {
                payment_id: id("payment_id")?,
            },
            Self::CALENDAR_SYNC => Job::CalendarSync {
                connection_id: id("connection_id")?,
            },
            Self::CALENDAR_PUSH => Job::CalendarPush {
                booking_id: id("booking_id")?,
            },
            Self::CALENDAR_PUSH_GROUP => Job::CalendarPushGroup {
                session_id: id("session_id")?,
            },
            Self::NOOP => Job::Noop,
            other => return Err(format!("unknown job kind {other}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_reads_back_as_written() {
        let jobs = [
            Job::BookingExpire {
                booking_id: BookingId::trusted("b".into()),
            },
            Job::BookingFinish {
                booking_id: BookingId::trusted("b".into()),
            },
            Job::BookingReminder {
                booking_id: BookingId::trusted("b".into()),
                start_at: 42,
                lead: "1h".into(),
            },
            Job::GroupReminder {
                session_id: "g".into(),
                start_at: 7,
                lead: "24h".into(),
            },
            Job::MentorshipExpire {
                mentorship_id: "m".into(),
            },
            Job::EmailSend {
                outbox_id: "o".into(),
            },
            Job::PlaceBooking {
                payment_id: "p".into(),
            },
            Job::CalendarSync {
                connection_id: "c".into(),
            },
            Job::CalendarPush {
                booking_id: "b".into(),
            },
            Job::CalendarPushGroup {
                session_id: "g".into(),
            },
            Job::Noop,
        ];
        for job in jobs {
            let back = Job::parse(job.kind(), &job.payload().to_string()).unwrap();
            assert_eq!(back, job);
        }
        assert!(Job::parse("booking.expire", "{}").is_err(), "a missing id");
        assert!(Job::parse("booking.reminder", r#"{"booking_id":"b"}"#).is_err());
        assert!(Job::parse("nope", "{}").is_err(), "an unknown kind");
        assert!(Job::parse("noop", "not json").is_err());
    }
}
