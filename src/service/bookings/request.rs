//! Requesting a booking: the one-read context, the slot check inside the write transaction, the write itself (SQLite group commit or a PostgreSQL transaction), idempotent replays.

use super::*;

/// A start that is already past: the same refusal as a taken slot, saying why.
pub(super) fn slot_passed(start: Timestamp, now: Timestamp) -> AppResult<()> {
    if start <= now {
        return Err(AppError::conflict(
            "slot_unavailable",
            "This time has already passed. Pick one of the coming free slots.",
        ));
    }
    Ok(())
}

/// A request one of whose two people was closed or suspended after its checks were
/// read and before its write (the write's lock reads it again).
pub(in crate::service) fn account_gone() -> AppError {
    AppError::conflict(
        "account_unavailable",
        "An account of this booking was closed or suspended while it was being made: nothing \
         was booked or charged.",
    )
}

pub(super) fn slot_taken() -> AppError {
    AppError::conflict(
        "slot_unavailable",
        "This time is no longer free. Pick another slot.",
    )
}

/// A time that is not one of the mentor's bookable times, busy or not.
fn not_offered() -> AppError {
    AppError::conflict(
        "slot_unavailable",
        "This time is not one of the mentor's bookable times (their hours, notice and how far ahead they take bookings). Pick one of their free slots.",
    )
}

/// Why `start` is not among the mentor's free starts: taken, or never one of their
/// times at all (their hours, steps, notice and horizon) — told apart by computing the
/// free starts again without the busy times. Only a refusal pays for it.
fn refused_slot(
    ctx: &Ctx,
    a: &crate::domain::availability::Availability,
    start: jiff::Timestamp,
    duration: i64,
) -> AppError {
    let probe = (start, start + SignedDuration::from_mins(1));
    if availability::free_among(ctx, a, &[], probe, duration).first() == Some(&start) {
        slot_taken()
    } else {
        not_offered()
    }
}

pub(super) fn request_hash(input: &BookingInput) -> String {
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
#[derive(Clone)]
pub(super) struct Prepared {
    pub(super) topic: String,
    pub(super) message: String,
    pub(super) tz: String,
    pub(super) mentor_id: String,
    pub(super) context: store::bookings::RequestContext,
    pub(super) kind: ServiceKind,
    pub(super) timed: bool,
    pub(super) start: Timestamp,
    pub(super) end: Timestamp,
    pub(super) expires_at: Timestamp,
    pub(super) availability: Option<crate::domain::availability::Availability>,
    pub(super) now: Timestamp,
}

pub(super) async fn prepare(
    ctx: &Ctx,
    mentee: &UserRow,
    input: &BookingInput,
) -> AppResult<Prepared> {
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
        Some(sid) => store::bookings::request_context(&ctx.db, &mentor_id, sid, &mentee.id).await?,
        None => None,
    };
    let Some(context) = context else {
        return Err(
            match store::discovery::visible_mentor(&ctx.db.pool, &mentor_id, Some(&mentee.id))
                .await?
            {
                None => no_mentor(),
                Some(_) => no_service(),
            },
        );
    };
    let kind = context.kind;
    let timed = !kind.is_review();
    if timed {
        // The mentor's own calendar, read again first when its last read is old.
        crate::service::calendars::refresh_if_stale(ctx, &mentor_id, context.calendar_read_at)
            .await;
    }
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
        slot_passed(start, now)?;
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
    let expiry = now
        .saturating_add(SignedDuration::from_hours(ctx.config.pending_expiry_hours))
        .unwrap_or(Timestamp::MAX);
    let expires_at = if timed { start.min(expiry) } else { expiry };

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
pub(super) struct SlotCheck<'a> {
    pub(super) mentor_id: &'a str,
    pub(super) mentee_id: &'a str,
    pub(super) span: (Timestamp, Timestamp),
    /// A payment whose held slot does not count (its own booking being placed).
    pub(super) hold: Option<&'a str>,
    /// A booking that does not count (the one being moved).
    pub(super) except: Option<&'a str>,
    /// What to say when the mentee is busy then.
    pub(super) mentee_busy: &'static str,
}

/// Inside the write transaction, in one read: the slot is still free (bookings and
/// other mentees' held checkouts) and the mentee has nothing else at that time.
/// Returns the mentee's wallet balance, read in the same statement.
pub(super) async fn check_slot<T: RequestTx>(
    ctx: &Ctx,
    tx: &mut T,
    a: &crate::domain::availability::Availability,
    c: &SlotCheck<'_>,
) -> AppResult<i64> {
    let (start, end) = c.span;
    let duration = end.duration_since(start).as_mins();
    let pad = availability::busy_pad(a, duration);
    let probe_end = start + SignedDuration::from_mins(1);
    let found = tx
        .slot_conflicts(
            &store::bookings::BusyAsk {
                mentor_id: c.mentor_id,
                from: start - pad,
                to: probe_end + pad,
                except: c.except,
                except_hold: c.hold,
                now: ctx.now(),
            },
            c.mentee_id,
            (start, end),
        )
        .await?;
    // The mentee's own session then says more than "not free" (their own booking of
    // this very slot, submitted again, is one).
    if found.mentee_busy {
        return Err(AppError::conflict("slot_unavailable", c.mentee_busy));
    }
    let free = availability::free_among(ctx, a, &found.busy, (start, probe_end), duration);
    if free.first() != Some(&start) {
        return Err(refused_slot(ctx, a, start, duration));
    }
    Ok(found.balance)
}

pub(super) const MENTEE_BUSY: &str = "You already have a session at that time.";

/// Whether a booking request could go through now, reading only: for the booking
/// form, which says why not (a past time, one not among the mentor's free times,
/// another session of the mentee's then) before anyone fills it in. The request
/// itself checks everything again under the write lock.
pub async fn looks_bookable(ctx: &Ctx, mentee: &UserRow, input: &BookingInput) -> AppResult<()> {
    let p = prepare(ctx, mentee, input).await?;
    let Some(a) = &p.availability else {
        return Ok(());
    };
    let free = availability::free_starts(
        ctx,
        &ctx.db.generic,
        a,
        &availability::SlotAsk {
            mentor_id: &p.mentor_id,
            duration: p.context.duration_minutes,
            from: p.start,
            to: p.start + SignedDuration::from_mins(1),
            except: None,
            except_hold: None,
        },
    )
    .await?;
    if free.first() != Some(&p.start) {
        // Said as the request would say it.
        return Err(refused_slot(ctx, a, p.start, p.context.duration_minutes));
    }
    Ok(())
}

/// The mentee's own live booking with this mentor starting at `start`, if any: what a
/// booking form opened again for a time they booked (the browser's Back) points to,
/// rather than calling the time "not free".
pub async fn own_booking_at(
    ctx: &Ctx,
    mentee: &UserRow,
    mentor_id: &str,
    start: jiff::Timestamp,
) -> AppResult<Option<String>> {
    let at = start.as_microsecond();
    let filter = ListFilter {
        user_id: mentee.id.to_string(),
        role: Some("mentee"),
        statuses: vec!["pending".into(), "accepted".into()],
        from: Some(at),
        to: Some(at + 1),
        with_user: Some(mentor_id.to_string()),
        limit: 5,
        ..Default::default()
    };
    let found = crate::store::bookings::list(&ctx.db.pool, &filter).await?;
    Ok(found
        .into_iter()
        .find(|b| b.b.start_at == start)
        .map(|b| b.b.id.to_string()))
}

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
            &mut *tx,
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

/// A mentor's availability, for a checkout that will hold one of their slots: read
/// before the checkout's write transaction (see [`check_slot_free`]).
pub async fn availability_to_hold(
    ctx: &Ctx,
    mentor_id: &str,
) -> AppResult<crate::domain::availability::Availability> {
    availability::load(ctx, mentor_id)
        .await?
        .ok_or_else(slot_taken)
}

/// For a checkout holding a slot: is `[start, end)` of `mentor_id` (whose availability
/// is `a`, read before the transaction: a read through the pool from inside it would
/// hold one connection while waiting for another) still free for `mentee_id`, inside
/// the caller's write transaction?
pub async fn check_slot_free(
    ctx: &Ctx,
    tx: &mut store::Tx,
    a: &crate::domain::availability::Availability,
    (mentor_id, mentee_id): (&str, &str),
    (start, end): (i64, i64),
) -> AppResult<()> {
    let span = (
        crate::clock::from_micros(start),
        crate::clock::from_micros(end),
    );
    check_slot(
        ctx,
        &mut **tx,
        a,
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
pub(super) fn new_booking(
    p: &Prepared,
    mentee: &UserRow,
    id: &str,
    key: Option<&str>,
    hash: &str,
) -> BookingFull {
    let c = &p.context;
    let now = p.now;
    BookingFull {
        b: store::bookings::BookingRow {
            id: BookingId::trusted(id.to_string()),
            mentor_id: UserId::trusted(p.mentor_id.clone()),
            mentee_id: UserId::trusted(mentee.id.to_string()),
            service_id: c.service_id.clone(),
            kind: p.kind,
            title: c.title.clone(),
            duration_minutes: c.duration_minutes,
            timed: p.timed,
            start_at: p.start,
            end_at: p.end,
            timezone: p.tz.clone(),
            topic: p.topic.clone(),
            message: p.message.clone(),
            mentorship_id: c.mentorship_id.clone(),
            status: BookingStatus::Pending,
            credits_held: c.credit_cost,
            credits_refunded: 0,
            credits_paid: 0,
            meeting_link: String::new(),
            expires_at: p.expires_at,
            mentee_pre_notes: String::new(),
            mentee_pre_shared: true,
            mentor_pre_notes: String::new(),
            mentor_pre_shared: true,
            mentee_post_notes: String::new(),
            mentee_post_shared: false,
            mentor_post_notes: String::new(),
            mentor_post_shared: false,
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
            series_id: None,
            idempotency_key: key.map(str::to_string),
            request_hash: hash.to_string(),
            created_at: now,
            updated_at: now,
            short_notice_by_mentor: false,
        },
        mentor_first_name: c.mentor_first_name.clone(),
        mentor_last_name: c.mentor_last_name.clone(),
        mentor_email: c.mentor_email.clone(),
        mentor_timezone: c.mentor_timezone.clone(),
        mentor_clock: c.mentor_clock.clone(),
        mentee_first_name: c.mentee_first_name.clone(),
        mentee_last_name: c.mentee_last_name.clone(),
        mentee_email: c.mentee_email.clone(),
        mentee_timezone: c.mentee_timezone.clone(),
        mentee_clock: c.mentee_clock.clone(),
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
    let key = idempotency_key_of(idempotency_key)?;
    let hash = request_hash(input);
    // A retry of a request that finished long ago: answered without the write lock.
    if let Some(k) = key
        && let Some(existing) =
            store::bookings::by_idempotency_key(&ctx.db.pool, &mentee.id, k).await?
    {
        return replay(ctx, &existing.id, &existing.request_hash, &hash).await;
    }

    let p = prepare(ctx, mentee, input).await?;
    let id = BookingId::new();
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
    let now = p.now;
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
    let invite_meta = messages::invite_metadata(&booking);
    let ids = RowIds {
        notification: notification_id.clone(),
        outbox: outbox_id,
        message: message_id.clone(),
    };
    let rows = request_rows(ctx, &booking, &note, (in_app, email), ids, &invite_meta);
    let job = WriteJob {
        rows,
        availability: p.availability.clone(),
        hold: hold.map(str::to_string),
        thread_id: p.context.thread_id.clone(),
        sponsored_account: p.context.sponsored_account.clone(),
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
            actor_id: None,
        },
    );
    // The invite is in the pair's own thread: its people are the two of them.
    live.push(
        vec![p.mentor_id.clone(), mentee.id.to_string()],
        Event::Message {
            message: messages::message_json(&invite),
        },
    );
    live.publish(ctx).await;
    // Only a booking within a day of the mentor's cached next free slot (its buffers,
    // the daily limit) can move it.
    let next_free_taken = p.context.next_free_at.is_some_and(|n| {
        let day = SignedDuration::from_hours(25);
        n.duration_since(r.start_at) >= -day && n.duration_since(r.end_at) <= day
    });
    if p.timed && next_free_taken {
        availability::mark_next_free(ctx, &p.mentor_id, availability::TimeChange::Taken);
    }
    if p.timed {
        mentee_time_taken(ctx, mentee);
    }
    if p.timed && p.context.calendar_read_at.is_some() {
        crate::service::calendars::queue_push(ctx, &id, &p.mentor_id).await;
    }
    Ok((booking, false))
}

/// An Idempotency-Key header, trimmed; blank is none; at most 200 characters.
pub(super) fn idempotency_key_of(raw: Option<&str>) -> AppResult<Option<&str>> {
    let key = raw.map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > 200) {
        return Err(AppError::bad_request(
            "invalid_idempotency_key",
            "An Idempotency-Key has at most 200 characters.",
        ));
    }
    Ok(key)
}

/// The ids of the rows a booking request writes beside the booking.
pub(super) struct RowIds {
    pub(super) notification: String,
    pub(super) outbox: String,
    pub(super) message: String,
}

/// Every row a booking request writes, composed before its transaction starts: the
/// booking, its event, the mentor's notification and email (when their
/// preferences `(in_app, email)` want them) and the chat invite.
pub(super) fn request_rows(
    ctx: &Ctx,
    booking: &BookingFull,
    note: &notify::Note<'_>,
    (in_app, email): (bool, bool),
    ids: RowIds,
    invite_meta: &serde_json::Value,
) -> store::bookings::RequestRows {
    let r = &booking.b;
    store::bookings::RequestRows {
        booking: r.clone(),
        event_id: new_id(),
        notification: in_app.then(|| {
            (
                ids.notification,
                note.kind.to_string(),
                note.title.clone(),
                note.body.clone(),
                note.link.clone(),
            )
        }),
        email: email.then(|| {
            (
                ids.outbox.clone(),
                note.email.to_string(),
                note.title.clone(),
                notify::email_body(ctx, note),
                note.ics.clone().unwrap_or_default(),
                new_id(),
                jobs::Job::EmailSend {
                    outbox_id: ids.outbox,
                }
                .payload()
                .to_string(),
            )
        }),
        invite: Some((ids.message, invite_meta.to_string())),
        hold: (r.credits_held > 0).then(|| (new_id(), new_id(), new_id())),
    }
}

/// A booking request ready for its write transaction (see [`booking_writer`]).
#[derive(Debug)]
pub struct WriteJob {
    pub(super) rows: store::bookings::RequestRows,
    pub(super) availability: Option<crate::domain::availability::Availability>,
    /// A payment whose held slot does not count (its own booking being placed).
    pub(super) hold: Option<String>,
    pub(super) thread_id: Option<String>,
    /// The mentee's sponsored credits for sessions with this mentor (a program's).
    pub(super) sponsored_account: Option<String>,
}

impl WriteJob {
    /// The booking's mentor and mentee.
    pub fn people(&self) -> (&str, &str) {
        let b = &self.rows.booking;
        (&b.mentor_id, &b.mentee_id)
    }

    /// What the request writes once its slot is checked.
    pub fn rows(&self) -> &store::bookings::RequestRows {
        &self.rows
    }
}

/// Inside the request's write transaction (after the people's lock on PostgreSQL): a
/// retry with the same key gets the first booking; the slot and the mentee's time are
/// still free and the wallet holds the cost (all in one read); then every row is
/// written in one round trip. In a group commit (`in_savepoint`) that round trip also
/// releases the request's savepoint; a replay or a refusal leaves it to the caller.
pub(in crate::service) async fn write_request<T: RequestTx>(
    ctx: &Ctx,
    tx: &mut T,
    job: &WriteJob,
    in_savepoint: bool,
) -> AppResult<Written> {
    let b = &job.rows.booking;
    let now = b.created_at;
    if let Some(k) = &b.idempotency_key
        && let Some((id, hash)) = tx.by_idempotency_key(&b.mentee_id, k).await?
    {
        return Ok(Written::Replay { id, hash });
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
                    span: (b.start_at, b.end_at),
                    hold: job.hold.as_deref(),
                    except: None,
                    mentee_busy: MENTEE_BUSY,
                },
            )
            .await?
        }
        None => tx.wallet_balance(&b.mentee_id).await?,
    };
    // A program's sponsored credits go first, the wallet pays the rest.
    let sponsored = match &job.sponsored_account {
        Some(account) if b.credits_held > 0 => {
            let left = tx.balance_of(account).await?;
            Some((account.as_str(), left.clamp(0, b.credits_held)))
        }
        _ => None,
    };
    let from_wallet = b.credits_held - sponsored.map_or(0, |(_, n)| n);
    if from_wallet > balance {
        return Err(credits::insufficient(b.credits_held));
    }
    let thread_id = match &job.thread_id {
        Some(t) => t.clone(),
        None => tx.direct_thread(&b.mentee_id, &b.mentor_id, now).await?,
    };
    tx.insert_request(
        ctx.db.backend,
        &job.rows,
        &thread_id,
        in_savepoint,
        sponsored,
    )
    .await?;
    Ok(Written::Booked { thread_id })
}

pub(super) async fn replay(
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
