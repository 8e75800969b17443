//! Booking sessions and reviews: request, answer, cancel, move, complete, deliver.
//!
//! Guarantees, whatever the concurrency: a request re-checks that its start is a free
//! slot *inside* a write transaction that holds both people's row locks (Postgres) or
//! the database's single write lock (SQLite), so two live bookings never overlap for a
//! mentor (with buffers) or a mentee; the credits move to escrow in that same
//! transaction, so only a booking that exists is paid for; escrow is released exactly
//! once per booking (the settlement transfer's idempotency key is the booking id).

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::events::Event;
use super::{
    Ctx, availability,
    booking_writer::{self, Written},
    credits,
    events::Live,
    jobs, messages, notify,
};
use crate::{
    clock::to_micros,
    domain::{
        booking::{self as rules, Actor, BookingAction, BookingStatus, Facts, Refusal},
        ids::new_id,
        mentor::ServiceKind,
        text,
        user::TimeZoneName,
    },
    error::{AppError, AppResult},
    store::{
        self,
        bookings::{BookingText, StatusChange},
        users::UserRow,
    },
};

pub use crate::store::bookings::{BookingFull, EventRow, ListFilter};

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

const HOUR: i64 = 3_600_000_000;

pub fn parse_instant(field: &str, raw: &str) -> AppResult<Timestamp> {
    raw.trim().parse::<Timestamp>().map_err(|_| {
        AppError::invalid(
            field,
            "invalid_datetime",
            "Use an RFC 3339 time with an offset, e.g. 2026-03-02T15:00:00Z.",
        )
    })
}

fn slot_taken() -> AppError {
    AppError::conflict(
        "slot_unavailable",
        "This time is no longer free. Pick another slot.",
    )
}

fn request_hash(input: &BookingInput) -> String {
    let canonical = serde_json::to_string(input).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Requests a booking. With an idempotency key, a retry returns the first booking
/// (`replayed = true`) and changes nothing; the same key with other parameters is 422.
#[tracing::instrument(name = "bookings::request", skip_all, fields(user_id = %mentee.id))]
pub async fn request(
    ctx: &Ctx,
    mentee: &UserRow,
    input: &BookingInput,
    idempotency_key: Option<&str>,
) -> AppResult<(BookingFull, bool)> {
    request_holding(ctx, mentee, input, idempotency_key, None).await
}

/// A booking request checked against everything but the slot (which is checked again
/// inside the write transaction), with what its notifications need.
struct Prepared {
    topic: String,
    message: String,
    tz: String,
    mentor_id: String,
    context: store::bookings::RequestContext,
    kind: ServiceKind,
    timed: bool,
    start: Timestamp,
    end: Timestamp,
    expires_at: i64,
    availability: Option<crate::domain::availability::Availability>,
    now: Timestamp,
}

async fn prepare(ctx: &Ctx, mentee: &UserRow, input: &BookingInput) -> AppResult<Prepared> {
    let mut v = crate::error::Validator::new();
    let topic = v.check(text::optional_line("topic", &input.topic, 200));
    let message = v.check(text::optional_text("message", &input.message, 2000));
    let tz = v.check(TimeZoneName::parse(
        "timezone",
        input.timezone.as_deref().unwrap_or(&mentee.timezone),
    ));
    v.finish()?;
    let (topic, message, tz) = (
        topic.unwrap_or_default(),
        message.unwrap_or_default(),
        tz.map(|t| t.as_str().to_string()).unwrap_or_default(),
    );
    let no_mentor = || {
        AppError::invalid(
            "mentor_id",
            "not_found",
            "There is no such mentor taking bookings.",
        )
    };
    let no_service = || {
        AppError::invalid(
            "service_id",
            "not_found",
            "This mentor offers no such service.",
        )
    };
    let mentor_id = crate::domain::ids::parse_id(&input.mentor_id).ok_or_else(no_mentor)?;
    if mentor_id == mentee.id {
        return Err(AppError::invalid(
            "mentor_id",
            "cannot_book_self",
            "You cannot book yourself.",
        ));
    }
    let service_id = crate::domain::ids::parse_id(&input.service_id);
    // One read for the service, the mentor's listing, the pair's mentorship and both
    // people; only when it finds nothing, a second one to say which part is missing.
    let context = match &service_id {
        Some(sid) => {
            store::bookings::request_context(&ctx.db.pool, &mentor_id, sid, &mentee.id).await?
        }
        None => None,
    };
    let Some(context) = context else {
        return Err(
            match store::discovery::listed_mentor(&ctx.db.pool, &mentor_id).await? {
                None => no_mentor(),
                Some(_) => no_service(),
            },
        );
    };
    let kind = ServiceKind::parse(&context.kind).unwrap_or(ServiceKind::Custom);
    let timed = !kind.is_review();
    let now = ctx.clock.now();
    let (start, end) = if timed {
        let raw = input.start.as_deref().ok_or_else(|| {
            AppError::invalid(
                "start",
                "required",
                "Pick a start time among the mentor's free slots.",
            )
        })?;
        let start = parse_instant("start", raw)?;
        (
            start,
            start + SignedDuration::from_mins(context.duration_minutes),
        )
    } else {
        (
            now,
            now + SignedDuration::from_hours(ctx.config.review_due_hours),
        )
    };
    let expires_at = if timed {
        to_micros(start).min(to_micros(now) + ctx.config.pending_expiry_hours * HOUR)
    } else {
        to_micros(now) + ctx.config.pending_expiry_hours * HOUR
    };

    let availability = if timed {
        let row = context.availability(&mentor_id).ok_or_else(slot_taken)?;
        Some(availability::from_row(&row)?)
    } else {
        None
    };
    Ok(Prepared {
        topic,
        message,
        tz,
        mentor_id,
        context,
        kind,
        timed,
        start,
        end,
        expires_at,
        availability,
        now,
    })
}

/// What a slot check looks for, inside the write transaction.
struct SlotCheck<'a> {
    mentor_id: &'a str,
    mentee_id: &'a str,
    span: (Timestamp, Timestamp),
    /// A payment whose held slot does not count (its own booking being placed).
    hold: Option<&'a str>,
    /// A booking that does not count (the one being moved).
    except: Option<&'a str>,
    /// What to say when the mentee is busy then.
    mentee_busy: &'static str,
}

/// Inside the write transaction, in one read: the slot is still free (bookings and
/// other mentees' held checkouts) and the mentee has nothing else at that time.
/// Returns the mentee's wallet balance, read in the same statement.
async fn check_slot(
    ctx: &Ctx,
    tx: &mut store::Tx,
    a: &crate::domain::availability::Availability,
    c: &SlotCheck<'_>,
) -> AppResult<i64> {
    let (start, end) = c.span;
    let duration = end.duration_since(start).as_mins();
    let pad = availability::busy_pad(a, duration);
    let probe_end = start + SignedDuration::from_mins(1);
    let found = store::bookings::slot_conflicts(
        &mut **tx,
        &store::bookings::BusyAsk {
            mentor_id: c.mentor_id,
            from: to_micros(start - pad),
            to: to_micros(probe_end + pad),
            except: c.except,
            except_hold: c.hold,
            now: ctx.now(),
        },
        c.mentee_id,
        (to_micros(start), to_micros(end)),
    )
    .await?;
    let free = availability::free_among(ctx, a, &found.busy, (start, probe_end), duration);
    if free.first() != Some(&start) {
        return Err(slot_taken());
    }
    if found.mentee_busy {
        return Err(AppError::conflict("slot_unavailable", c.mentee_busy));
    }
    Ok(found.balance)
}

const MENTEE_BUSY: &str = "You already have a session at that time.";

/// What paying for a booking needs to know before the checkout: its cost and, for a
/// timed session, the slot to hold (mentor, start, end in µs). Checks the request the
/// way booking it would, and that the slot is free now.
pub struct PaidPlan {
    pub cost: i64,
    pub slot: Option<(String, i64, i64)>,
}

pub async fn plan_paid(ctx: &Ctx, mentee: &UserRow, input: &BookingInput) -> AppResult<PaidPlan> {
    let p = prepare(ctx, mentee, input).await?;
    if let Some(a) = &p.availability {
        // A look only (nothing is written); the payment re-checks under the write lock.
        let mut tx = ctx.db.begin_write().await?;
        check_slot(
            ctx,
            &mut tx,
            a,
            &SlotCheck {
                mentor_id: &p.mentor_id,
                mentee_id: &mentee.id,
                span: (p.start, p.end),
                hold: None,
                except: None,
                mentee_busy: MENTEE_BUSY,
            },
        )
        .await?;
        drop(tx);
    }
    Ok(PaidPlan {
        cost: p.context.credit_cost,
        slot: p
            .timed
            .then(|| (p.mentor_id.clone(), to_micros(p.start), to_micros(p.end))),
    })
}

/// For a checkout holding a slot: is `[start, end)` of `mentor_id` still free for
/// `mentee_id` (inside the caller's write transaction)?
pub async fn check_slot_free(
    ctx: &Ctx,
    tx: &mut store::Tx,
    mentor_id: &str,
    mentee_id: &str,
    start: i64,
    end: i64,
) -> AppResult<()> {
    let a = availability::load(ctx, mentor_id)
        .await?
        .ok_or_else(slot_taken)?;
    let span = (
        crate::clock::from_micros(start),
        crate::clock::from_micros(end),
    );
    check_slot(
        ctx,
        tx,
        &a,
        &SlotCheck {
            mentor_id,
            mentee_id,
            span,
            hold: None,
            except: None,
            mentee_busy: MENTEE_BUSY,
        },
    )
    .await
    .map(|_| ())
}

/// The booking a request will insert, as it will be stored (so nothing is read back).
fn new_booking(
    p: &Prepared,
    mentee: &UserRow,
    id: &str,
    key: Option<&str>,
    hash: &str,
) -> BookingFull {
    let c = &p.context;
    let now = to_micros(p.now);
    BookingFull {
        b: store::bookings::BookingRow {
            id: id.to_string(),
            mentor_id: p.mentor_id.clone(),
            mentee_id: mentee.id.clone(),
            service_id: c.service_id.clone(),
            kind: p.kind.as_str().to_string(),
            title: c.title.clone(),
            duration_minutes: c.duration_minutes,
            timed: i64::from(p.timed),
            start_at: to_micros(p.start),
            end_at: to_micros(p.end),
            timezone: p.tz.clone(),
            topic: p.topic.clone(),
            message: p.message.clone(),
            mentorship_id: c.mentorship_id.clone(),
            status: BookingStatus::Pending.as_str().to_string(),
            credits_held: c.credit_cost,
            credits_refunded: 0,
            credits_paid: 0,
            meeting_link: String::new(),
            expires_at: p.expires_at,
            mentee_pre_notes: String::new(),
            mentee_pre_shared: 1,
            mentor_pre_notes: String::new(),
            mentor_pre_shared: 1,
            mentee_post_notes: String::new(),
            mentee_post_shared: 0,
            mentor_post_notes: String::new(),
            mentor_post_shared: 0,
            decline_reason: String::new(),
            cancel_reason: String::new(),
            cancelled_by: None,
            no_show_party: String::new(),
            delivery_text: String::new(),
            delivery_url: String::new(),
            delivered_at: None,
            accepted_at: None,
            finished_at: None,
            sequence: 0,
            idempotency_key: key.map(str::to_string),
            request_hash: hash.to_string(),
            created_at: now,
            updated_at: now,
        },
        mentor_first_name: c.mentor_first_name.clone(),
        mentor_last_name: c.mentor_last_name.clone(),
        mentor_email: c.mentor_email.clone(),
        mentor_timezone: c.mentor_timezone.clone(),
        mentee_first_name: c.mentee_first_name.clone(),
        mentee_last_name: c.mentee_last_name.clone(),
        mentee_email: c.mentee_email.clone(),
        mentee_timezone: c.mentee_timezone.clone(),
    }
}

/// [`request`], for a booking paid through a checkout: the slot that checkout held
/// (`hold`, a payment id) does not count as taken.
///
/// One write transaction, its locks taken in the global order (both people, then the
/// escrow row last, just before the commit). The idempotency key is checked inside it,
/// under the people's lock, so concurrent retries wait for the first and get its
/// booking. The notification, its email (outbox row and job) and the chat invite are
/// composed before the transaction and written as rows in it; live events and the
/// mentor's next-free-slot cache follow after the commit.
#[tracing::instrument(name = "bookings::request_holding", skip_all, fields(user_id = %mentee.id))]
pub async fn request_holding(
    ctx: &Ctx,
    mentee: &UserRow,
    input: &BookingInput,
    idempotency_key: Option<&str>,
    hold: Option<&str>,
) -> AppResult<(BookingFull, bool)> {
    let key = idempotency_key.map(str::trim).filter(|k| !k.is_empty());
    if let Some(k) = key
        && k.len() > 200
    {
        return Err(AppError::bad_request(
            "invalid_idempotency_key",
            "An Idempotency-Key has at most 200 characters.",
        ));
    }
    let hash = request_hash(input);
    // A retry of a request that finished long ago: answered without the write lock.
    if let Some(k) = key
        && let Some(existing) =
            store::bookings::by_idempotency_key(&ctx.db.pool, &mentee.id, k).await?
    {
        return replay(ctx, &existing.id, &existing.request_hash, &hash).await;
    }

    let p = prepare(ctx, mentee, input).await?;
    let id = new_id();
    let booking = new_booking(&p, mentee, &id, key, &hash);
    let note = notify::booking_note(
        ctx,
        &booking,
        true,
        notify::BOOKING_REQUESTED,
        "New booking request",
        &booking.b.message,
        false,
    );
    let now = to_micros(p.now);
    let mut live = Live::new();
    let r = &booking.b;
    // Every id and text the transaction writes, ready before it starts.
    let (in_app, email) = notify::wants_stored(
        notify::BOOKING_REQUESTED,
        p.context.pref_in_app.zip(p.context.pref_email),
    );
    let email = email && notify::deliverable(&note);
    let notification_id = new_id();
    let outbox_id = new_id();
    let message_id = new_id();
    let invite_meta = messages::invite_metadata(&booking).to_string();
    let rows = store::bookings::RequestRows {
        booking: r.clone(),
        event_id: new_id(),
        expire_job: (
            new_id(),
            jobs::Job::BookingExpire {
                booking_id: id.clone(),
            }
            .payload()
            .to_string(),
            format!("expire:{id}:{}", r.expires_at),
        ),
        notification: in_app.then(|| {
            (
                notification_id.clone(),
                note.kind.to_string(),
                note.title.clone(),
                note.body.clone(),
                note.link.clone(),
            )
        }),
        email: email.then(|| {
            (
                outbox_id.clone(),
                note.email.to_string(),
                note.title.clone(),
                notify::email_body(ctx, &note),
                note.ics.clone().unwrap_or_default(),
                new_id(),
                jobs::Job::EmailSend {
                    outbox_id: outbox_id.clone(),
                }
                .payload()
                .to_string(),
            )
        }),
        invite: (message_id.clone(), invite_meta.clone()),
        hold: (r.credits_held > 0).then(|| (new_id(), new_id(), new_id())),
    };
    let job = WriteJob {
        rows,
        availability: p.availability.clone(),
        hold: hold.map(str::to_string),
        thread_id: p.context.thread_id.clone(),
    };
    let thread_id = match booking_writer::write(ctx, job).await? {
        Written::Booked { thread_id } => thread_id,
        Written::Replay { id, hash: stored } => return replay(ctx, &id, &stored, &hash).await,
    };

    if in_app {
        live.notification(
            note.user_id,
            Event::new_notification(&notification_id, note.kind, &note.title, &note.link),
        );
    }
    let invite = messages::stored(
        message_id,
        &store::messages::NewMessage {
            thread_id: &thread_id,
            sender_id: Some(&mentee.id),
            kind: "invite",
            content: &r.message,
            metadata: &invite_meta,
            booking_id: Some(&id),
            now,
        },
    );
    // The invite is in the pair's own thread: its people are the two of them.
    live.push(
        vec![p.mentor_id.clone(), mentee.id.clone()],
        Event::Message {
            message: messages::message_json(&invite),
        },
    );
    live.publish(ctx).await;
    // Only a booking within a day of the mentor's cached next free slot (its buffers,
    // the daily limit) can move it.
    let next_free_taken = p
        .context
        .next_free_at
        .is_some_and(|n| r.start_at - 25 * HOUR <= n && n <= r.end_at + 25 * HOUR);
    if p.timed && next_free_taken {
        availability::mark_next_free(ctx, &p.mentor_id, availability::TimeChange::Taken);
    }
    Ok((booking, false))
}

/// A booking request ready for its write transaction (see [`booking_writer`]).
#[derive(Debug)]
pub struct WriteJob {
    rows: store::bookings::RequestRows,
    availability: Option<crate::domain::availability::Availability>,
    /// A payment whose held slot does not count (its own booking being placed).
    hold: Option<String>,
    thread_id: Option<String>,
}

impl WriteJob {
    /// The booking's mentor and mentee.
    pub fn people(&self) -> (&str, &str) {
        let b = &self.rows.booking;
        (&b.mentor_id, &b.mentee_id)
    }
}

/// Inside the request's write transaction (after the people's lock on PostgreSQL): a
/// retry with the same key gets the first booking; the slot and the mentee's time are
/// still free and the wallet holds the cost (all in one read); then every row is
/// written in one round trip. In a group commit (`in_savepoint`) that round trip also
/// releases the request's savepoint; a replay or a refusal leaves it to the caller.
pub(super) async fn write_request(
    ctx: &Ctx,
    tx: &mut store::Tx,
    job: &WriteJob,
    in_savepoint: bool,
) -> AppResult<Written> {
    let b = &job.rows.booking;
    let now = b.created_at;
    if let Some(k) = &b.idempotency_key
        && let Some(existing) =
            store::bookings::by_idempotency_key(&mut **tx, &b.mentee_id, k).await?
    {
        return Ok(Written::Replay {
            id: existing.id,
            hash: existing.request_hash,
        });
    }
    let balance = match &job.availability {
        Some(a) => {
            check_slot(
                ctx,
                tx,
                a,
                &SlotCheck {
                    mentor_id: &b.mentor_id,
                    mentee_id: &b.mentee_id,
                    span: (
                        crate::clock::from_micros(b.start_at),
                        crate::clock::from_micros(b.end_at),
                    ),
                    hold: job.hold.as_deref(),
                    except: None,
                    mentee_busy: MENTEE_BUSY,
                },
            )
            .await?
        }
        None => store::ledger::wallet_balance(&mut **tx, &b.mentee_id).await?,
    };
    if b.credits_held > balance {
        return Err(credits::insufficient(b.credits_held));
    }
    let thread_id = match &job.thread_id {
        Some(t) => t.clone(),
        None => messages::direct_thread(tx, &b.mentee_id, &b.mentor_id, now).await?,
    };
    store::bookings::insert_request(tx, ctx.db.backend, &job.rows, &thread_id, in_savepoint)
        .await?;
    Ok(Written::Booked { thread_id })
}

async fn replay(
    ctx: &Ctx,
    id: &str,
    stored_hash: &str,
    hash: &str,
) -> AppResult<(BookingFull, bool)> {
    if stored_hash != hash {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different booking request.",
        ));
    }
    let b = store::bookings::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((b, true))
}

use super::admin::is_admin;

/// A booking its participants (and admins) may see, with its history (oldest first).
pub async fn with_history(
    ctx: &Ctx,
    viewer: &UserRow,
    id: &str,
) -> AppResult<(BookingFull, Vec<EventRow>)> {
    let b = get(ctx, viewer, id).await?;
    let history = store::bookings::events(&ctx.db.pool, id).await?;
    Ok((b, history))
}

/// A booking its participants (and admins) may see.
pub async fn get(ctx: &Ctx, viewer: &UserRow, id: &str) -> AppResult<BookingFull> {
    store::bookings::get(&ctx.db.pool, id)
        .await?
        .filter(|b| b.b.mentor_id == viewer.id || b.b.mentee_id == viewer.id || is_admin(viewer))
        .ok_or(AppError::NotFound)
}

pub async fn list(ctx: &Ctx, filter: &ListFilter) -> AppResult<Vec<BookingFull>> {
    Ok(store::bookings::list(&ctx.db.pool, filter).await?)
}

fn refusal(r: Refusal, action: BookingAction) -> AppError {
    match r {
        Refusal::NotYours => AppError::forbidden(match action {
            BookingAction::Accept | BookingAction::Decline => {
                "Only the mentor answers a booking request."
            }
            BookingAction::Complete | BookingAction::Deliver => {
                "Only the mentor completes a booking."
            }
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

fn meeting_link(ctx: &Ctx, booking_id: &str) -> String {
    let mut bytes = [0u8; 10];
    // A predictable room name would let strangers join: stop rather than guess.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let room = hex::encode(bytes);
    ctx.config
        .meeting_url_template
        .replace("{room}", &room)
        .replace("{booking_id}", booking_id)
}

fn actor_of(b: &BookingFull, user: &UserRow) -> Option<Actor> {
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
    id: &str,
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
    id: &str,
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

async fn transition(
    ctx: &Ctx,
    user: Option<&UserRow>,
    id: &str,
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
    let b = store::bookings::get_for_update(&mut tx, ctx.db.backend, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = match user {
        None => Actor::System,
        Some(u) => actor_of(&b, u).ok_or(AppError::NotFound)?,
    };
    let from = BookingStatus::parse(&b.b.status).unwrap_or(BookingStatus::Cancelled);
    let facts = Facts {
        status: from,
        timed: b.b.timed == 1,
        start: b.b.start_at,
        end: b.b.end_at,
        expires_at: b.b.expires_at,
        now,
    };
    let to = rules::next(&facts, action, actor).map_err(|r| refusal(r, action))?;
    let finished = !to.is_live();
    let s = if finished {
        rules::settle(
            b.b.credits_held,
            from,
            to,
            actor,
            b.b.start_at,
            now,
            &ctx.config.policy,
        )
    } else {
        rules::Settlement::default()
    };
    let moved = store::bookings::change_status(
        &mut tx,
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
        let memo = match to {
            BookingStatus::Completed => "Session completed",
            BookingStatus::Declined => "Request declined: credits returned",
            BookingStatus::Expired => "Request expired: credits returned",
            BookingStatus::NoShow => "No-show settled",
            _ => "Booking cancelled",
        };
        credits::settle(&mut tx, id, &b.b.mentee_id, &b.b.mentor_id, &s, memo, now).await?;
    }
    let user_id = user.map(|u| u.id.as_str());
    let event = match action {
        BookingAction::Accept => {
            let link = meeting_link(ctx, id);
            if b.b.timed == 1 {
                store::bookings::set_text(&mut tx, id, BookingText::MeetingLink, &link, now)
                    .await?;
            }
            "accepted"
        }
        BookingAction::Decline => {
            store::bookings::set_text(&mut tx, id, BookingText::DeclineReason, reason, now).await?;
            "declined"
        }
        BookingAction::Cancel => {
            let why = if actor == Actor::System && reason.is_empty() {
                "The review was not delivered by its deadline."
            } else {
                reason
            };
            store::bookings::set_text(&mut tx, id, BookingText::CancelReason, why, now).await?;
            store::bookings::set_cancelled_by(&mut tx, id, user_id).await?;
            "cancelled"
        }
        BookingAction::MenteeNoShow => {
            store::bookings::set_text(&mut tx, id, BookingText::NoShowParty, "mentee", now).await?;
            "no_show"
        }
        BookingAction::MentorNoShow => {
            store::bookings::set_text(&mut tx, id, BookingText::NoShowParty, "mentor", now).await?;
            store::bookings::count_mentor_no_show(&mut tx, &b.b.mentor_id).await?;
            "no_show"
        }
        BookingAction::Deliver => {
            let (t, u) = delivery.unwrap_or_default();
            store::bookings::set_delivery(&mut tx, id, &t, &u, now).await?;
            "delivered"
        }
        BookingAction::Complete => "completed",
        BookingAction::Expire => "expired",
        BookingAction::Reschedule => "rescheduled",
    };
    store::bookings::add_event(&mut tx, id, user_id, event, None, reason, now).await?;
    if to == BookingStatus::Accepted {
        schedule_accepted(ctx, &mut tx, &b.b, b.b.start_at, b.b.end_at, now).await?;
    }
    let after = store::bookings::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    notify_transition(ctx, &mut tx, &after, action, actor, reason, now, &mut live).await?;
    let what = format!("Booking {}", to.as_str().replace('_', " "));
    let thread = messages::booking_changed(&mut tx, &after, &what, now).await?;
    tx.commit().await?;
    let people = vec![b.b.mentor_id.clone(), b.b.mentee_id.clone()];
    live.push(
        people.clone(),
        Event::Booking {
            booking_id: id.to_string(),
            status: to.as_str().to_string(),
        },
    );
    if let Some(t) = thread {
        live.push(
            people,
            Event::ThreadUpdated {
                thread_id: t.to_string(),
            },
        );
    }
    live.publish(ctx).await;
    if finished && b.b.timed == 1 {
        availability::mark_next_free(
            ctx,
            &b.b.mentor_id,
            availability::TimeChange::Freed(b.b.start_at, b.b.end_at),
        );
    }
    Ok(after)
}

/// Moves a live session to another free slot of the mentor, keeping its history.
#[tracing::instrument(name = "bookings::reschedule", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn reschedule(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    input: &RescheduleInput,
) -> AppResult<BookingFull> {
    let reason = text::optional_text("reason", input.reason.as_deref().unwrap_or(""), 1000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let start = parse_instant("start", &input.start)?;
    let now = ctx.now();
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
    let from = BookingStatus::parse(&b.b.status).unwrap_or(BookingStatus::Cancelled);
    let facts = Facts {
        status: from,
        timed: b.b.timed == 1,
        start: b.b.start_at,
        end: b.b.end_at,
        expires_at: b.b.expires_at,
        now,
    };
    rules::next(&facts, BookingAction::Reschedule, actor)
        .map_err(|r| refusal(r, BookingAction::Reschedule))?;
    let end = start + SignedDuration::from_mins(b.b.duration_minutes);
    if to_micros(start) == b.b.start_at {
        return Err(AppError::invalid(
            "start",
            "unchanged",
            "That is already the booking's time.",
        ));
    }
    check_slot(
        ctx,
        &mut tx,
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
    let expires_at = if from == BookingStatus::Pending {
        to_micros(start).min(b.b.created_at + ctx.config.pending_expiry_hours * HOUR)
    } else {
        b.b.expires_at
    };
    store::bookings::reschedule(
        &mut tx,
        id,
        to_micros(start),
        to_micros(end),
        expires_at,
        now,
    )
    .await?;
    store::bookings::add_event(
        &mut tx,
        id,
        Some(&user.id),
        "rescheduled",
        Some((b.b.start_at, to_micros(start))),
        &reason,
        now,
    )
    .await?;
    if from == BookingStatus::Pending {
        jobs::enqueue(
            &mut tx,
            &jobs::Job::BookingExpire {
                booking_id: id.to_string(),
            },
            expires_at,
            Some(&format!("expire:{id}:{expires_at}")),
            now,
        )
        .await?;
    } else {
        schedule_accepted(ctx, &mut tx, &b.b, to_micros(start), to_micros(end), now).await?;
    }
    let after = store::bookings::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let note = notify::booking_note(
        ctx,
        &after,
        actor == Actor::Mentee,
        notify::BOOKING_RESCHEDULED,
        "Booking moved",
        &reason,
        true,
    );
    notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    availability::mark_next_free(ctx, &b.b.mentor_id, availability::TimeChange::Taken);
    availability::mark_next_free(
        ctx,
        &b.b.mentor_id,
        availability::TimeChange::Freed(b.b.start_at, b.b.end_at),
    );
    Ok(after)
}

/// Saves my notes on a booking.
#[tracing::instrument(name = "bookings::save_notes", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn save_notes(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
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

/// Jobs an accepted booking needs: completion (or the review's deadline) and, for a
/// session, reminders 24 hours and 1 hour before. Keyed by start, so a moved booking
/// gets new ones and the old ones find nothing to do.
async fn schedule_accepted(
    ctx: &Ctx,
    tx: &mut store::Tx,
    b: &store::bookings::BookingRow,
    start: i64,
    end: i64,
    now: i64,
) -> AppResult<()> {
    let id = &b.id;
    let finish_at = if b.timed == 1 {
        end + ctx.config.completion_grace_minutes * 60_000_000
    } else {
        end
    };
    jobs::enqueue(
        tx,
        &jobs::Job::BookingFinish {
            booking_id: id.to_string(),
        },
        finish_at,
        Some(&format!("finish:{id}:{finish_at}")),
        now,
    )
    .await?;
    if b.timed == 1 {
        for (lead, before) in [("24h", 24 * HOUR), ("1h", HOUR)] {
            let at = start - before;
            if at > now {
                let reminder = jobs::Job::BookingReminder {
                    booking_id: id.to_string(),
                    start_at: start,
                    lead: lead.to_string(),
                };
                jobs::enqueue(
                    tx,
                    &reminder,
                    at,
                    Some(&format!("remind:{lead}:{id}:{start}")),
                    now,
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Tells the other side (or both) what happened.
#[allow(clippy::too_many_arguments)]
async fn notify_transition(
    ctx: &Ctx,
    tx: &mut store::Tx,
    b: &BookingFull,
    action: BookingAction,
    actor: Actor,
    reason: &str,
    now: i64,
    live: &mut Live,
) -> AppResult<()> {
    let detail = if reason.is_empty() {
        String::new()
    } else {
        format!("Reason: {reason}")
    };
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
        _ => vec![],
    };
    for (to_mentor, kind, headline, attach) in notes {
        let note = notify::booking_note(ctx, b, to_mentor, kind, headline, &detail, attach);
        notify::notify(ctx, tx, &note, now, live).await?;
    }
    Ok(())
}

/// A `booking.expire` job: expires the request if it is still pending and due.
pub async fn expire_one(ctx: &Ctx, id: &str) -> AppResult<()> {
    let Some(b) = store::bookings::get(&ctx.db.pool, id).await? else {
        return Ok(());
    };
    if b.b.status != "pending" || b.b.expires_at > ctx.now() {
        return Ok(());
    }
    ignore_conflict(transition(ctx, None, id, BookingAction::Expire, "", None).await)
}

/// A `booking.finish` job: completes a session past its end (plus the grace period),
/// or cancels with a refund a review not delivered by its deadline.
pub async fn finish_one(ctx: &Ctx, id: &str) -> AppResult<()> {
    let Some(b) = store::bookings::get(&ctx.db.pool, id).await? else {
        return Ok(());
    };
    let now = ctx.now();
    if b.b.status != "accepted" {
        return Ok(());
    }
    if b.b.timed == 1 {
        if b.b.end_at + ctx.config.completion_grace_minutes * 60_000_000 > now {
            return Ok(()); // moved later: a newer job will come
        }
        ignore_conflict(transition(ctx, None, id, BookingAction::Complete, "", None).await)
    } else {
        if b.b.end_at > now {
            return Ok(());
        }
        ignore_conflict(transition(ctx, None, id, BookingAction::Cancel, "", None).await)
    }
}

fn ignore_conflict<T>(r: AppResult<T>) -> AppResult<()> {
    match r {
        Ok(_) | Err(AppError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Expires unanswered requests whose time is up. Returns how many.
pub async fn expire_due(ctx: &Ctx) -> AppResult<usize> {
    let ids = store::bookings::due_expiries(&ctx.db.pool, ctx.now(), 200).await?;
    let mut n = 0;
    for id in ids {
        match transition(ctx, None, &id, BookingAction::Expire, "", None).await {
            Ok(_) => n += 1,
            Err(AppError::Conflict { .. }) => {} // answered meanwhile
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Completes sessions past their end (plus the grace period for no-show reports) and
/// cancels, with a refund, reviews not delivered by their deadline.
pub async fn finish_due(ctx: &Ctx) -> AppResult<usize> {
    let now = ctx.now();
    let cutoff = now - ctx.config.completion_grace_minutes * 60_000_000;
    let ids = store::bookings::due_endings(&ctx.db.pool, cutoff, now, 200).await?;
    let mut n = 0;
    for id in ids {
        let Some(b) = store::bookings::get(&ctx.db.pool, &id).await? else {
            continue;
        };
        let action = if b.b.timed == 1 {
            BookingAction::Complete
        } else {
            BookingAction::Cancel
        };
        match transition(ctx, None, &id, action, "", None).await {
            Ok(_) => n += 1,
            Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
