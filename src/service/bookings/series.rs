//! Recurring sessions: a series of the same service at the same local time every week
//! or every two weeks, booked in one request.
//!
//! The occurrences keep the mentor's wall-clock time (their availability's zone), so a
//! Tuesday 18:00 stays 18:00 there across a DST change. They are all checked and held
//! in one write transaction — each its own booking with its own credits in escrow,
//! written the way a single request is — so the series is booked whole or not at all:
//! one taken slot (or a wallet short of the total) refuses it, naming the date. The
//! mentor is notified once and the chat gets one invite, for the first occurrence.
//! The mentor answers the whole series or single occurrences; the mentee cancels one,
//! or one and all that follow, each refunded by the cancellation policy as a single
//! booking would be. Moving one occurrence is moving that booking: the others stay.

use super::*;

/// The most occurrences one series may have.
pub const MAX_OCCURRENCES: i64 = 26;

/// `POST /api/v1/bookings/series`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesInput {
    pub mentor_id: String,
    pub service_id: String,
    /// RFC 3339 start of the first session (one of the mentor's free slots).
    pub start: String,
    /// 1: every week; 2: every two weeks.
    pub every_weeks: i64,
    /// How many sessions, 2 to 26 (`count` is taken too, as API.md names it).
    #[serde(alias = "count")]
    pub occurrences: i64,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub message: String,
    /// The booker's IANA time zone (defaults to their profile's).
    #[serde(default)]
    pub timezone: Option<String>,
}

/// `POST /api/v1/bookings/series/{id}/cancel`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesCancelInput {
    /// Cancel this occurrence and every later one (default: every occurrence still to
    /// come).
    #[serde(default)]
    pub from_booking_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A series and its occurrences (oldest first).
#[derive(Debug, Clone)]
pub struct Series {
    pub row: store::bookings::SeriesRow,
    pub occurrences: Vec<BookingFull>,
}

/// The starts of a series: `first`, then the same wall-clock time in `tz` every
/// `every_weeks` weeks (a time a DST change skips moves forward, as calendars do).
pub fn series_starts(
    first: Timestamp,
    tz: &jiff::tz::TimeZone,
    every_weeks: i64,
    occurrences: i64,
) -> Vec<Timestamp> {
    let local = first.to_zoned(tz.clone()).datetime();
    (0..occurrences)
        .filter_map(|k| {
            let dt = local
                .checked_add(jiff::Span::new().days(k * 7 * every_weeks))
                .ok()?;
            tz.to_ambiguous_timestamp(dt).compatible().ok()
        })
        .collect()
}

fn check_shape(input: &SeriesInput) -> AppResult<()> {
    let mut v = crate::error::Validator::new();
    if !matches!(input.every_weeks, 1 | 2) {
        v.push(crate::error::FieldError::new(
            "every_weeks",
            "invalid",
            "Repeat every week (1) or every two weeks (2).",
        ));
    }
    if !(2..=MAX_OCCURRENCES).contains(&input.occurrences) {
        v.push(crate::error::FieldError::new(
            "occurrences",
            "out_of_range",
            format!("A series has 2 to {MAX_OCCURRENCES} sessions."),
        ));
    }
    v.finish()
}

/// What a series would be, checked like the request would be but nothing written:
/// for the booking form's confirmation.
pub struct SeriesPreview {
    /// Each start, and whether it is free now.
    pub dates: Vec<(Timestamp, bool)>,
    /// The zone whose wall-clock time the series keeps.
    pub tz: jiff::tz::TimeZone,
    /// What one session costs.
    pub cost_each: i64,
    /// How far ahead the mentor takes bookings: a start from then on is not free
    /// because it is too far ahead, not because it is taken.
    pub horizon_end: Timestamp,
}

pub async fn preview_series(
    ctx: &Ctx,
    mentee: &UserRow,
    input: &SeriesInput,
) -> AppResult<SeriesPreview> {
    check_shape(input)?;
    let p = prepare(ctx, mentee, &single(input)).await?;
    let a = p.availability.clone().ok_or_else(not_timed)?;
    let starts = series_starts(p.start, &a.tz, input.every_weeks, input.occurrences);
    // One read for the whole span: a start is free exactly when it is among the free
    // starts of the span (they are aligned to the same steps).
    let (Some(first), Some(last)) = (starts.first(), starts.last()) else {
        return Ok(SeriesPreview {
            dates: vec![],
            horizon_end: horizon_end(&a, p.now),
            tz: a.tz,
            cost_each: p.context.credit_cost,
        });
    };
    let free = availability::free_starts(
        ctx,
        &ctx.db.generic,
        &a,
        &availability::SlotAsk {
            mentor_id: &p.mentor_id,
            duration: p.context.duration_minutes,
            from: *first,
            to: *last + SignedDuration::from_mins(1),
            except: None,
            except_hold: None,
        },
    )
    .await?;
    Ok(SeriesPreview {
        dates: starts
            .iter()
            .map(|s| (*s, free.binary_search(s).is_ok()))
            .collect(),
        horizon_end: horizon_end(&a, p.now),
        tz: a.tz,
        cost_each: p.context.credit_cost,
    })
}

/// The end of how far ahead the mentor takes bookings, from `now`.
fn horizon_end(a: &crate::domain::availability::Availability, now: Timestamp) -> Timestamp {
    now.saturating_add(SignedDuration::from_hours(24 * a.settings.horizon_days))
        .unwrap_or(Timestamp::MAX)
}

fn single(input: &SeriesInput) -> BookingInput {
    BookingInput {
        mentor_id: input.mentor_id.clone(),
        service_id: input.service_id.clone(),
        start: Some(input.start.clone()),
        topic: input.topic.clone(),
        message: input.message.clone(),
        timezone: input.timezone.clone(),
    }
}

fn not_timed() -> AppError {
    AppError::invalid(
        "service_id",
        "not_timed",
        "A review has a deadline, not a time: it cannot repeat.",
    )
}

/// Books a series (see the module docs). With an `Idempotency-Key`, a retry gets the
/// series the first request booked (`true`: a replay).
#[tracing::instrument(name = "bookings::request_series", skip_all, fields(user_id = %mentee.id))]
pub async fn request_series(
    ctx: &Ctx,
    mentee: &UserRow,
    input: &SeriesInput,
    idempotency_key: Option<&str>,
) -> AppResult<(Series, bool)> {
    check_shape(input)?;
    let key = idempotency_key_of(idempotency_key)?;
    let hash = series_hash(input);
    if let Some(k) = key
        && let Some(existing) =
            store::bookings::by_idempotency_key(&ctx.db.pool, &mentee.id, k).await?
    {
        return replay_series(ctx, mentee, &existing.id, &existing.request_hash, &hash).await;
    }
    let first = prepare(ctx, mentee, &single(input)).await?;
    let a = first.availability.clone().ok_or_else(not_timed)?;
    let starts = series_starts(first.start, &a.tz, input.every_weeks, input.occurrences);
    let total = first.context.credit_cost * starts.len() as i64;
    let series_id = new_id();
    let series_row = store::bookings::SeriesRow {
        id: series_id.clone(),
        mentor_id: first.mentor_id.clone(),
        mentee_id: mentee.id.to_string(),
        service_id: first.context.service_id.clone(),
        every_weeks: input.every_weeks,
        occurrences: starts.len() as i64,
        timezone: a.tz.iana_name().unwrap_or("UTC").to_string(),
        created_at: first.now,
    };
    let duration = SignedDuration::from_mins(first.context.duration_minutes);
    let expiry = first
        .now
        .saturating_add(SignedDuration::from_hours(ctx.config.pending_expiry_hours))
        .unwrap_or(Timestamp::MAX);

    // Every row of every occurrence, composed before the transaction.
    let mut jobs_ = Vec::with_capacity(starts.len());
    let mut bookings = Vec::with_capacity(starts.len());
    for (i, start) in starts.iter().enumerate() {
        let mut p = first.clone();
        p.start = *start;
        p.end = *start + duration;
        p.expires_at = (*start).min(expiry);
        let id = BookingId::new();
        let mut booking = new_booking(&p, mentee, &id, key.filter(|_| i == 0), &hash);
        booking.b.series_id = Some(series_id.clone());
        let mut note = notify::booking_note(
            ctx,
            &booking,
            true,
            notify::BOOKING_REQUESTED,
            "New booking request",
            &booking.b.message,
            false,
        );
        note.title = format!(
            "New series request: {} sessions, {}",
            starts.len(),
            text::every_weeks(input.every_weeks)
        );
        if i == 0 {
            // Every date, so the mentor can check them from the message alone.
            let dates: Vec<String> = starts
                .iter()
                .map(|t| format!("- {}", crate::domain::clock::stamp(*t)))
                .collect();
            note.body = format!(
                "{}\nAll {} sessions:\n{}",
                note.body,
                starts.len(),
                dates.join("\n")
            );
        }
        let (in_app, email) = notify::wants_stored(
            notify::BOOKING_REQUESTED,
            p.context.pref_in_app.zip(p.context.pref_email),
        );
        // One notification, one email and one invite: the first occurrence's.
        let tell = i == 0;
        let email = tell && email && notify::deliverable(&note);
        let ids = RowIds {
            notification: new_id(),
            outbox: new_id(),
            message: new_id(),
        };
        // The invite (the first session's) says it opens a series.
        let mut invite_meta = messages::invite_metadata(&booking);
        invite_meta["series_sessions"] = starts.len().into();
        invite_meta["series_every_weeks"] = input.every_weeks.into();
        let mut rows = request_rows(
            ctx,
            &booking,
            &note,
            (tell && in_app, email),
            ids,
            &invite_meta,
        );
        if !tell {
            rows.invite = None;
        }
        jobs_.push(WriteJob {
            rows,
            availability: p.availability.clone(),
            hold: None,
            thread_id: p.context.thread_id.clone(),
            sponsored_account: p.context.sponsored_account.clone(),
        });
        bookings.push(booking);
    }

    let mut tx = ctx.db.begin_write().await?;
    if !store::bookings::lock_people_open(&mut tx, ctx.db.backend, &first.mentor_id, &mentee.id)
        .await?
    {
        return Err(super::request::account_gone());
    }
    store::bookings::insert_series(&mut tx, &series_row).await?;
    let mut thread = first.context.thread_id.clone();
    for (job, start) in jobs_.iter_mut().zip(&starts) {
        job.thread_id = thread.clone();
        let written = write_request(ctx, &mut *tx, job, false)
            .await
            .map_err(|e| occurrence_refused(e, *start, &a.tz, mentee.reads().hour12, total))?;
        match written {
            Written::Booked { thread_id } => thread = Some(thread_id),
            Written::Replay { id, hash: stored } => {
                drop(tx);
                return replay_series(ctx, mentee, &id, &stored, &hash).await;
            }
        }
    }
    store::bookings::tie_to_series(
        &mut tx,
        &series_id,
        &bookings
            .iter()
            .map(|b| b.b.id.to_string())
            .collect::<Vec<_>>(),
    )
    .await?;
    tx.commit().await?;

    let mut live = Live::new();
    live.push(
        vec![first.mentor_id.clone(), mentee.id.to_string()],
        Event::Booking {
            booking_id: bookings[0].b.id.to_string(),
            status: BookingStatus::Pending.as_str().to_string(),
        },
    );
    if let Some(t) = thread {
        live.push(
            vec![first.mentor_id.clone(), mentee.id.to_string()],
            Event::ThreadUpdated { thread_id: t },
        );
    }
    live.publish(ctx).await;
    availability::mark_next_free(ctx, &first.mentor_id, availability::TimeChange::Taken);
    mentee_time_taken(ctx, mentee);
    if first.context.calendar_read_at.is_some() {
        for b in &bookings {
            crate::service::calendars::queue_push(ctx, &b.b.id, &first.mentor_id).await;
        }
    }
    // The rows as written (nothing read back), as a single request answers.
    Ok((
        Series {
            row: series_row,
            occurrences: bookings,
        },
        false,
    ))
}

/// A refusal of one occurrence, as the refusal of the series: which date, and for a
/// short wallet, what the whole series costs.
fn occurrence_refused(
    e: AppError,
    start: Timestamp,
    tz: &jiff::tz::TimeZone,
    hour12: bool,
    total: i64,
) -> AppError {
    let time = crate::domain::clock::time_format(hour12);
    let when = start
        .to_zoned(tz.clone())
        .strftime(&format!("%A %-d %B %Y, {time} (%Z)"))
        .to_string();
    match e {
        AppError::Conflict { code, detail } => AppError::Conflict {
            code,
            detail: format!("The session of {when} cannot be booked: {detail} Nothing was booked."),
        },
        AppError::PaymentRequired { .. } => credits::insufficient(total),
        other => other,
    }
}

fn series_hash(input: &SeriesInput) -> String {
    let text = serde_json::json!({
        "series": true,
        "mentor_id": input.mentor_id,
        "service_id": input.service_id,
        "start": input.start,
        "every_weeks": input.every_weeks,
        "occurrences": input.occurrences,
        "topic": input.topic,
        "message": input.message,
        "timezone": input.timezone,
    })
    .to_string();
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn replay_series(
    ctx: &Ctx,
    mentee: &UserRow,
    booking_id: &str,
    stored_hash: &str,
    hash: &str,
) -> AppResult<(Series, bool)> {
    let (b, _) = replay(ctx, booking_id, stored_hash, hash).await?;
    let series_id = b.b.series_id.ok_or_else(|| {
        AppError::invalid(
            "Idempotency-Key",
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a single booking.",
        )
    })?;
    Ok((get_series(ctx, mentee, &series_id).await?, true))
}

/// A series, for its mentor or mentee (admins too).
pub async fn get_series(ctx: &Ctx, viewer: &UserRow, id: &str) -> AppResult<Series> {
    let row = store::bookings::series(&ctx.db.pool, id)
        .await?
        .filter(|s| {
            s.mentor_id == viewer.id.as_str()
                || s.mentee_id == viewer.id.as_str()
                || is_admin(viewer)
        })
        .ok_or(AppError::NotFound)?;
    let occurrences = store::bookings::of_series(&ctx.db.pool, id).await?;
    Ok(Series { row, occurrences })
}

/// The mentor accepts or declines every occurrence still pending (each is its own
/// booking: one that expired or was cancelled meanwhile is left as it is).
pub async fn answer_series(
    ctx: &Ctx,
    mentor: &UserRow,
    id: &str,
    action: BookingAction,
    input: &ActInput,
) -> AppResult<Series> {
    let s = get_series(ctx, mentor, id).await?;
    if s.row.mentor_id != mentor.id.as_str() {
        return Err(AppError::forbidden(
            "Only the mentor answers a booking request.",
        ));
    }
    let pending: Vec<_> = s
        .occurrences
        .iter()
        .filter(|b| b.b.status == BookingStatus::Pending)
        .collect();
    if pending.is_empty() {
        return Err(AppError::conflict(
            "invalid_transition",
            "No session of this series waits for an answer.",
        ));
    }
    let ids: Vec<BookingId> = pending.iter().map(|b| b.b.id.clone()).collect();
    act_on_series(ctx, mentor, &s, &ids, action, input.reason.as_deref()).await?;
    get_series(ctx, mentor, id).await
}

/// Applies `action` to the sessions `ids` of series `s` in one transaction, and tells
/// the other person once for all of them (one notification, one email with every
/// session's event, one chat line). A session that changed meanwhile (expired,
/// cancelled) is left as it is; when none is left to change, nothing is written.
async fn act_on_series(
    ctx: &Ctx,
    user: &UserRow,
    s: &Series,
    ids: &[BookingId],
    action: BookingAction,
    reason: Option<&str>,
) -> AppResult<()> {
    let reason = text::optional_text("reason", reason.unwrap_or(""), 1000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let now = ctx.now();
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    store::bookings::lock_people(&mut tx, ctx.db.backend, &s.row.mentor_id, &s.row.mentee_id)
        .await?;
    let step = Step {
        user: Some(user),
        action,
        reason: &reason,
        tell: Tell::Caller,
        now,
    };
    let mut done = Vec::with_capacity(ids.len());
    let mut actor = Actor::System;
    for id in ids {
        match apply(ctx, &mut tx, id, &step, None, &mut live).await {
            Ok(a) => {
                actor = a.actor;
                done.push(a.after);
            }
            // Changed meanwhile: the others still go ahead.
            Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if done.is_empty() {
        return Err(AppError::conflict(
            "invalid_transition",
            "These sessions changed meanwhile; reload the series.",
        ));
    }
    let (kind, change, attach) = match action {
        BookingAction::Accept => (notify::BOOKING_ACCEPTED, "accepted", true),
        BookingAction::Decline => (notify::BOOKING_DECLINED, "declined", false),
        _ => (notify::BOOKING_CANCELLED, "cancelled", true),
    };
    let detail = if reason.is_empty() {
        String::new()
    } else {
        format!("Reason: {reason}")
    };
    let headline = format!("Series {change}");
    let note = notify::series_note(
        ctx,
        &done,
        actor == Actor::Mentee,
        kind,
        &headline,
        &detail,
        attach,
    );
    notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    let thread = series_chat_line(&mut tx, s, &done, change, user.id.as_str(), now).await?;
    tx.commit().await?;
    let (mut live, mut thread) = (live, thread);
    for b in &done {
        announce(
            ctx,
            std::mem::take(&mut live),
            &b.b,
            b.b.status,
            thread.take(),
        )
        .await;
    }
    Ok(())
}

/// The pair's chat line of a series change ("Series accepted: 4 sessions of Career
/// chat"), on the series' booking invite (its first session's); none when the series
/// has no invite in a thread.
async fn series_chat_line(
    tx: &mut store::Tx,
    s: &Series,
    done: &[BookingFull],
    change: &str,
    by: &str,
    now: Timestamp,
) -> AppResult<Option<String>> {
    for o in &s.occurrences {
        if store::messages::invite_of(&mut **tx, &o.b.id)
            .await?
            .is_none()
        {
            continue;
        }
        let current = match done.iter().find(|d| d.b.id == o.b.id) {
            Some(d) => d.clone(),
            None => store::bookings::get(&mut **tx, &o.b.id)
                .await?
                .ok_or(AppError::NotFound)?,
        };
        let sessions = text::sessions(done.len());
        let topic = match current.b.topic.trim() {
            "" => String::new(),
            t => format!(" ({t})"),
        };
        let what = format!("Series {change}: {sessions} of {}{topic}", current.b.title);
        return messages::booking_changed(tx, &current, done, &what, Some(by), now).await;
    }
    Ok(None)
}

/// Cancels the live occurrences from `from_booking_id` on (or all still to come), for
/// either person; each is refunded by the policy as a single booking would be.
pub async fn cancel_series(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    input: &SeriesCancelInput,
) -> AppResult<Series> {
    let s = get_series(ctx, user, id).await?;
    if s.row.mentor_id != user.id.as_str() && s.row.mentee_id != user.id.as_str() {
        return Err(AppError::NotFound);
    }
    let now = ctx.now();
    let from = match &input.from_booking_id {
        Some(b) => {
            s.occurrences
                .iter()
                .find(|o| o.b.id.as_str() == b)
                .ok_or_else(|| {
                    AppError::invalid(
                        "from_booking_id",
                        "not_in_series",
                        "That booking is not a session of this series.",
                    )
                })?
                .b
                .start_at
        }
        None => now,
    };
    let to_cancel: Vec<_> = s
        .occurrences
        .iter()
        .filter(|o| o.b.status.is_live() && o.b.start_at >= from && o.b.end_at > now)
        .collect();
    if to_cancel.is_empty() {
        return Err(AppError::conflict(
            "invalid_transition",
            "No session of this series is left to cancel from there.",
        ));
    }
    let ids: Vec<BookingId> = to_cancel.iter().map(|b| b.b.id.clone()).collect();
    act_on_series(
        ctx,
        user,
        &s,
        &ids,
        BookingAction::Cancel,
        input.reason.as_deref(),
    )
    .await?;
    get_series(ctx, user, id).await
}
