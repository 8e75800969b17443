//! Booking sessions and reviews: request, answer, cancel, move, complete, deliver.
//!
//! Guarantees, whatever the concurrency: a request re-checks that its start is a free
//! slot *inside* a write transaction that holds both people's row locks (Postgres) or
//! the database's single write lock (SQLite), so two live bookings never overlap for a
//! mentor (with buffers) or a mentee; the credits move to escrow in that same
//! transaction, so only a booking that exists is paid for; escrow is released exactly
//! once per booking (the settlement transfer's idempotency key is the booking id).
//!
//! By seam, one file each: `request` (asking for a slot, its one write transaction),
//! `transition` (answer, cancel, complete, deliver, no-shows, notes), `reschedule`
//! (moving a booking), `series` (recurring sessions booked as one), `sweep` (what time alone decides: expiry and completion).
//! Inputs and reads are here.

mod request;
mod reschedule;
mod series;
mod sweep;
mod transition;

pub use self::{request::*, reschedule::*, series::*, sweep::*, transition::*};

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::admin::is_admin;
use super::events::Event;
use super::{
    Ctx, availability,
    booking_writer::{self, Written},
    credits,
    events::Live,
    jobs, messages, notify,
};
use crate::{
    clock::{from_micros, to_micros},
    domain::{
        booking::{self as rules, Actor, BookingAction, BookingStatus, Facts, Refusal},
        ids::{BookingId, UserId, new_id},
        mentor::ServiceKind,
        text,
        user::TimeZoneName,
    },
    error::{AppError, AppResult},
    store::{
        self,
        bookings::{BookingText, RequestTx, StatusChange},
        users::UserRow,
    },
};

pub use crate::store::bookings::{BookingFull, EventRow, ListFilter};

/// One side's notes on a booking: what they wrote, and whether the other side may read it.
#[derive(Debug, Clone, Copy)]
pub struct SideNotes<'a> {
    pub pre: &'a str,
    pub pre_shared: bool,
    pub post: &'a str,
    pub post_shared: bool,
}

impl<'a> SideNotes<'a> {
    /// The pre-meeting note as the other side sees it: shared and not empty.
    pub fn pre_for_other(&self) -> Option<&'a str> {
        (self.pre_shared && !self.pre.is_empty()).then_some(self.pre)
    }

    /// The post-session note as the other side sees it: shared and not empty.
    pub fn post_for_other(&self) -> Option<&'a str> {
        (self.post_shared && !self.post.is_empty()).then_some(self.post)
    }
}

/// The viewer's own notes and the other side's, one read model for the API and the
/// pages. `viewer_is_mentor` picks the side.
pub fn notes_of(r: &store::bookings::BookingRow, viewer_is_mentor: bool) -> [SideNotes<'_>; 2] {
    let mentor = SideNotes {
        pre: &r.mentor_pre_notes,
        pre_shared: r.mentor_pre_shared,
        post: &r.mentor_post_notes,
        post_shared: r.mentor_post_shared,
    };
    let mentee = SideNotes {
        pre: &r.mentee_pre_notes,
        pre_shared: r.mentee_pre_shared,
        post: &r.mentee_post_notes,
        post_shared: r.mentee_post_shared,
    };
    if viewer_is_mentor {
        [mentor, mentee]
    } else {
        [mentee, mentor]
    }
}

/// `POST /api/v1/bookings`.
#[derive(Debug, Clone, Deserialize, ToSchema, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    pub mentor_id: String,
    pub service_id: String,
    /// RFC 3339 start of a session (one of the mentor's free slots). Not used for review
    /// services, which have a deadline instead.
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub message: String,
    /// The booker's IANA time zone (defaults to their profile's).
    #[serde(default)]
    pub timezone: Option<String>,
}

/// Optional body of the transition endpoints.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActInput {
    /// Why (decline, cancel, no-show).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/bookings/{id}/reschedule`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// RFC 3339 new start: one of the mentor's free slots.
    pub start: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/bookings/{id}/deliver` (review services).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverInput {
    /// The review itself, or a note with the link.
    #[serde(default)]
    pub text: String,
    /// An https link to the delivered review.
    #[serde(default)]
    pub url: String,
}

/// `PUT /api/v1/bookings/{id}/notes`: my notes on a booking.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotesInput {
    /// Before the meeting (agenda, questions).
    #[serde(default)]
    pub pre_meeting: String,
    /// Shown to the other side (default true).
    #[serde(default = "yes")]
    pub pre_meeting_shared: bool,
    /// After the session (takeaways, next steps).
    #[serde(default)]
    pub post_session: String,
    /// Shown to the other side (default false: private).
    #[serde(default)]
    pub post_session_shared: bool,
}

fn yes() -> bool {
    true
}

pub(super) const HOUR: i64 = 3_600_000_000;

pub fn parse_instant(field: &str, raw: &str) -> AppResult<Timestamp> {
    crate::clock::parse_instant(raw)
        .map_err(|why| AppError::invalid(field, "invalid_datetime", why.message()))
}

/// A booking its participants (and admins) may see, with its history (oldest first).
pub async fn with_history(
    ctx: &Ctx,
    viewer: &UserRow,
    id: &BookingId,
) -> AppResult<(BookingFull, Vec<EventRow>)> {
    let b = get(ctx, viewer, id).await?;
    let history = store::bookings::events(&ctx.db.pool, id).await?;
    Ok((b, history))
}

/// A booking its participants (and admins) may see.
pub async fn get(ctx: &Ctx, viewer: &UserRow, id: &BookingId) -> AppResult<BookingFull> {
    store::bookings::get(&ctx.db.pool, id)
        .await?
        .filter(|b| b.b.mentor_id == viewer.id || b.b.mentee_id == viewer.id || is_admin(viewer))
        .ok_or(AppError::NotFound)
}

/// The part of booking `b`'s held credits a program's sponsored credits paid: the
/// program's name and the credits (`b` as [`get`] gave it to one who may see it).
pub async fn program_share(ctx: &Ctx, b: &BookingFull) -> AppResult<Option<(String, i64)>> {
    Ok(store::ledger::sponsored_share(&ctx.db.pool, b.b.id.as_str()).await?)
}

/// Where the credits that came back from booking `b` (as settled) went: how many to a
/// program — the mentee's credits of it, or the program itself once it is over
/// (`true`) — the rest being in the mentee's wallet (see
/// [`crate::service::credits::settlement_legs`]). `(0, false)`: all to the wallet.
pub async fn refund_split(ctx: &Ctx, b: &BookingFull) -> AppResult<(i64, bool)> {
    refund_split_in(&ctx.db.pool, b).await
}

/// [`refund_split`] read through `ex` (the transaction that settled it, for its notice).
pub(super) async fn refund_split_in<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    b: &BookingFull,
) -> AppResult<(i64, bool)> {
    if b.b.credits_refunded == 0 {
        return Ok((0, false));
    }
    Ok(
        match store::ledger::sponsored_hold(ex, b.b.id.as_str()).await? {
            Some((_, held, _, over)) => (held.min(b.b.credits_refunded), over),
            None => (0, false),
        },
    )
}

pub async fn list(ctx: &Ctx, filter: &ListFilter) -> AppResult<Vec<BookingFull>> {
    Ok(store::bookings::list(&ctx.db.pool, filter).await?)
}

/// After a mentee booked timed sessions: when they mentor too, they are busy then as
/// a mentor, so their own cached next free slot may move (only then: for everyone
/// else it would be a wasted read on every booking).
fn mentee_time_taken(ctx: &Ctx, mentee: &UserRow) {
    use crate::domain::user::{Role, Roles};
    if Roles::from_db(&mentee.roles).has(Role::Mentor) {
        availability::mark_next_free(ctx, &mentee.id, availability::TimeChange::Taken);
    }
}

/// What the booking rules need to know of booking `b` at `now`.
fn facts_of(b: &store::bookings::BookingRow, now: Timestamp) -> Facts {
    Facts {
        status: b.status,
        timed: b.timed,
        start: b.start_at,
        end: b.end_at,
        expires_at: b.expires_at,
        now,
    }
}
