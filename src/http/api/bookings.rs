//! `/api/v1/bookings*`, reviews, calendar files, credits.

use crate::http::extract::MaybeUser;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    decode_cursor, decode_keyset, encode_cursor, next_keyset_page, next_page, parse_limit,
    scheduling::viewer_zone, ts,
};
use crate::{
    domain::{
        booking::{BookingAction, BookingStatus},
        mentor::ServiceKind,
    },
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, BookingPath, CurrentUser, IdPath, OptionalJson},
        problem::Problem,
    },
    service::{
        bookings::{
            self, ActInput, BookingInput, DeliverInput, NotesInput, RescheduleInput, parse_instant,
        },
        calendar,
        credits::{self, CreditsView, GrantInput, GrantView},
        reviews::{self, ReplyInput, ReviewInput},
    },
    service::{
        bookings::{BookingFull, EventRow, ListFilter},
        reviews::ReviewRow,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(cancel))
        .routes(routes!(reschedule))
        .routes(routes!(complete))
        .routes(routes!(no_show))
        .routes(routes!(deliver))
        .routes(routes!(notes))
        .routes(routes!(ics))
        .routes(routes!(calendar_feed, revoke_calendar_feed))
        .routes(routes!(review))
        .routes(routes!(mentor_reviews))
        .routes(routes!(reply))
        .routes(routes!(my_credits))
        .routes(routes!(grant))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Party {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notes {
    pub pre_meeting: String,
    pub pre_meeting_shared: bool,
    pub post_session: String,
    pub post_session_shared: bool,
}

/// The other side's notes: only what they chose to share.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedNotes {
    pub pre_meeting: Option<String>,
    pub post_session: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryItem {
    /// `requested`, `accepted`, `declined`, `rescheduled`, `cancelled`, `completed`, …
    pub kind: String,
    pub actor_id: Option<String>,
    pub from_start: Option<String>,
    pub to_start: Option<String>,
    pub detail: String,
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    pub id: String,
    pub status: BookingStatus,
    pub mentor: Party,
    pub mentee: Party,
    pub service_id: String,
    pub kind: ServiceKind,
    pub title: String,
    pub duration_minutes: i64,
    /// A meeting at a time (false: a review with a deadline, which is `end`).
    pub timed: bool,
    pub start: String,
    pub end: String,
    /// `start`/`end` in the zone asked with `tz` (default: the booker's zone).
    pub start_local: String,
    pub end_local: String,
    /// The booker's time zone.
    pub timezone: String,
    pub topic: String,
    pub message: String,
    pub mentorship_id: Option<String>,
    pub credits_held: i64,
    pub credits_refunded: i64,
    pub credits_paid: i64,
    /// Only shown to the two participants, once accepted.
    pub meeting_link: Option<String>,
    /// When a pending request expires.
    pub expires_at: String,
    pub my_notes: Option<Notes>,
    pub their_notes: Option<SharedNotes>,
    pub decline_reason: String,
    pub cancel_reason: String,
    pub cancelled_by: Option<String>,
    /// `mentee` or `mentor` for a no-show.
    pub no_show_party: String,
    pub delivery_text: String,
    pub delivery_url: String,
    pub delivered_at: Option<String>,
    /// iCalendar SEQUENCE.
    pub sequence: i64,
    /// The recurring series this session belongs to, if any.
    pub series_id: Option<String>,
    /// Present on `GET /bookings/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryItem>>,
    pub created_at: String,
    pub updated_at: String,
}

/// Shapes a booking for `viewer_id` (a participant, or an admin who sees no link or notes).
pub fn view(
    b: &BookingFull,
    viewer_id: &str,
    tz: Option<&jiff::tz::TimeZone>,
    history: Option<Vec<EventRow>>,
) -> BookingView {
    let r = &b.b;
    let zone = tz
        .cloned()
        .unwrap_or_else(|| jiff::tz::TimeZone::get(&r.timezone).unwrap_or(jiff::tz::TimeZone::UTC));
    let local = |t: jiff::Timestamp| {
        t.to_zoned(zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    let is_mentor = r.mentor_id == viewer_id;
    let participant = is_mentor || r.mentee_id == viewer_id;
    let [mine, theirs] = crate::service::bookings::notes_of(r, is_mentor);
    BookingView {
        id: r.id.to_string(),
        status: r.status,
        mentor: Party {
            id: r.mentor_id.to_string(),
            first_name: b.mentor_first_name.clone(),
            last_name: b.mentor_last_name.clone(),
        },
        mentee: Party {
            id: r.mentee_id.to_string(),
            first_name: b.mentee_first_name.clone(),
            last_name: b.mentee_last_name.clone(),
        },
        service_id: r.service_id.clone(),
        kind: r.kind,
        title: r.title.clone(),
        duration_minutes: r.duration_minutes,
        timed: r.timed,
        start: ts(r.start_at),
        end: ts(r.end_at),
        start_local: local(r.start_at),
        end_local: local(r.end_at),
        timezone: r.timezone.clone(),
        topic: r.topic.clone(),
        message: r.message.clone(),
        mentorship_id: r.mentorship_id.clone(),
        credits_held: r.credits_held,
        credits_refunded: r.credits_refunded,
        credits_paid: r.credits_paid,
        meeting_link: Some(r.meeting_link.clone()).filter(|l| participant && !l.is_empty()),
        expires_at: ts(r.expires_at),
        my_notes: participant.then(|| Notes {
            pre_meeting: mine.pre.to_string(),
            pre_meeting_shared: mine.pre_shared,
            post_session: mine.post.to_string(),
            post_session_shared: mine.post_shared,
        }),
        their_notes: participant.then(|| SharedNotes {
            pre_meeting: theirs.pre_for_other().map(str::to_string),
            post_session: theirs.post_for_other().map(str::to_string),
        }),
        decline_reason: r.decline_reason.clone(),
        cancel_reason: r.cancel_reason.clone(),
        cancelled_by: r.cancelled_by.clone(),
        no_show_party: r.no_show_party.clone(),
        delivery_text: r.delivery_text.clone(),
        delivery_url: r.delivery_url.clone(),
        delivered_at: r.delivered_at.map(ts),
        sequence: r.sequence,
        series_id: r.series_id.clone(),
        history: history.map(|h| {
            h.into_iter()
                .map(|e| HistoryItem {
                    kind: e.kind,
                    actor_id: e.actor_id,
                    from_start: e.from_start.map(ts),
                    to_start: e.to_start.map(ts),
                    detail: e.detail,
                    at: ts(e.created_at),
                })
                .collect()
        }),
        created_at: ts(r.created_at),
        updated_at: ts(r.updated_at),
    }
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.to_string())).map_err(|_| {
            AppError::bad_request(
                "invalid_idempotency_key",
                "The Idempotency-Key header must be plain text.",
            )
        }),
    }
}

/// Request a session at a free slot (or a review). The cost moves to escrow at once.
/// Send `Idempotency-Key` to make a retry safe: a replay answers the first booking.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings", security(("bearer" = [])),
    request_body = BookingInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request safe")),
    responses(
        (status = 201, body = BookingView),
        (status = 402, description = "`insufficient_credits`", body = Problem),
        (status = 409, description = "`slot_unavailable`", body = Problem),
        (status = 422, body = Problem),
    ))]
async fn create(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    headers: HeaderMap,
    ApiJson(input): ApiJson<BookingInput>,
) -> Result<Response, AppError> {
    let key = idempotency_key(&headers)?;
    let (b, replayed) = bookings::request(&state.ctx, &me.user, &input, key.as_deref()).await?;
    Ok(created(view(&b, &me.user.id, None, None), replayed))
}

/// 201 with `body`, marked `Idempotent-Replayed: true` when it answers a retry.
pub(super) fn created(body: impl Serialize, replayed: bool) -> Response {
    let mut res = (StatusCode::CREATED, axum::Json(body)).into_response();
    if replayed {
        res.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
    }
    res
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `mentor` or `mentee`; both when absent.
    pub role: Option<String>,
    /// Comma-separated statuses.
    pub status: Option<String>,
    /// Bookings ending after this instant (RFC 3339).
    pub from: Option<String>,
    /// Bookings starting before this instant.
    pub to: Option<String>,
    pub mentorship_id: Option<String>,
    /// `asc` (soonest first, e.g. upcoming) or `desc` (default).
    pub order: Option<String>,
    /// IANA zone for `*_local`.
    pub tz: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingList {
    pub items: Vec<BookingView>,
    pub next_cursor: Option<String>,
}

/// My bookings, as mentor or mentee.
#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = BookingList), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<BookingList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let tz = match p.tz.as_deref() {
        Some(_) => Some(viewer_zone(p.tz.as_deref())?.1),
        None => None,
    };
    let role = match p.role.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("mentor") => Some("mentor"),
        Some("mentee") => Some("mentee"),
        Some(_) => {
            return Err(AppError::invalid(
                "role",
                "invalid_role",
                "role is mentor or mentee.",
            ));
        }
    };
    let mut statuses = vec![];
    for s in p
        .status
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        statuses.push(
            BookingStatus::parse(s)
                .ok_or_else(|| AppError::invalid("status", "invalid_status", "status is one or more of pending, accepted, declined, expired, cancelled, completed, no_show."))?
                .as_str()
                .to_string(),
        );
    }
    let ascending = match p.order.as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => {
            return Err(AppError::invalid(
                "order",
                "invalid_order",
                "order is asc or desc.",
            ));
        }
    };
    let from = p
        .from
        .as_deref()
        .map(|r| parse_instant("from", r))
        .transpose()?;
    let to =
        p.to.as_deref()
            .map(|r| parse_instant("to", r))
            .transpose()?;
    let after = decode_keyset(p.cursor.as_deref())?;
    let mut rows = bookings::list(
        &state.ctx,
        &ListFilter {
            user_id: me.user.id.to_string(),
            role,
            statuses,
            from: from.map(crate::clock::to_micros),
            to: to.map(crate::clock::to_micros),
            mentorship_id: p.mentorship_id.clone(),
            with_user: None,
            ascending,
            after,
            limit: limit + 1,
        },
    )
    .await?;
    let next_cursor = next_keyset_page(&mut rows, limit, |b| (b.b.start_at, b.b.id.as_str()));
    Ok(axum::Json(BookingList {
        items: rows
            .iter()
            .map(|b| view(b, &me.user.id, tz.as_ref(), None))
            .collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TzParam {
    /// IANA zone for `*_local` (default: the booker's).
    pub tz: Option<String>,
}

/// One booking (participants and admins), with its history.
#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path), TzParam),
    responses((status = 200, body = BookingView), (status = 404, body = Problem)))]
async fn get_one(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    BookingPath(id): BookingPath,
    ApiQuery(p): ApiQuery<TzParam>,
) -> Result<axum::Json<BookingView>, AppError> {
    let tz = match p.tz.as_deref() {
        Some(_) => Some(viewer_zone(p.tz.as_deref())?.1),
        None => None,
    };
    let (b, history) = bookings::with_history(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(view(
        &b,
        &me.user.id,
        tz.as_ref(),
        Some(history),
    )))
}

async fn act(
    state: AppState,
    me: CurrentUser,
    id: crate::domain::ids::BookingId,
    action: BookingAction,
    body: Option<ActInput>,
) -> Result<axum::Json<BookingView>, AppError> {
    let b = bookings::act(
        &state.ctx,
        Some(&me.0.user),
        &id,
        action,
        &body.unwrap_or_default(),
    )
    .await?;
    Ok(axum::Json(view(&b, &me.0.user.id, None, None)))
}

/// Accept a request (the mentor): a meeting link is created.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/accept", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<ActInput>, description = "Optional"),
    responses((status = 200, body = BookingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn accept(
    State(s): State<AppState>,
    me: CurrentUser,
    BookingPath(id): BookingPath,
    OptionalJson(b): OptionalJson<ActInput>,
) -> Result<axum::Json<BookingView>, AppError> {
    act(s, me, id, BookingAction::Accept, b).await
}

/// Decline a request (the mentor); the credits go back.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/decline", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<ActInput>, description = "Optional reason"),
    responses((status = 200, body = BookingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn decline(
    State(s): State<AppState>,
    me: CurrentUser,
    BookingPath(id): BookingPath,
    OptionalJson(b): OptionalJson<ActInput>,
) -> Result<axum::Json<BookingView>, AppError> {
    act(s, me, id, BookingAction::Decline, b).await
}

/// Cancel (either side, before the start). Mentor cancels and mentee cancels at least
/// 24 hours ahead refund everything; later mentee cancels refund half (configurable).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<ActInput>, description = "Optional reason"),
    responses((status = 200, body = BookingView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel(
    State(s): State<AppState>,
    me: CurrentUser,
    BookingPath(id): BookingPath,
    OptionalJson(b): OptionalJson<ActInput>,
) -> Result<axum::Json<BookingView>, AppError> {
    act(s, me, id, BookingAction::Cancel, b).await
}

/// Move a session to another free slot (either side), keeping its history.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/reschedule", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RescheduleInput,
    responses((status = 200, body = BookingView), (status = 404, body = Problem), (status = 409, description = "`slot_unavailable` or not movable", body = Problem)))]
async fn reschedule(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    BookingPath(id): BookingPath,
    ApiJson(input): ApiJson<RescheduleInput>,
) -> Result<axum::Json<BookingView>, AppError> {
    let b = bookings::reschedule(&s.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(view(&b, &me.user.id, None, None)))
}

/// Mark a session done (the mentor, once it started): the mentor is paid from escrow.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/complete", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = BookingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn complete(
    State(s): State<AppState>,
    me: CurrentUser,
    BookingPath(id): BookingPath,
) -> Result<axum::Json<BookingView>, AppError> {
    act(s, me, id, BookingAction::Complete, None).await
}

/// Report a no-show after the start: the mentor reports the mentee (mentor paid), the
/// mentee reports the mentor (refund, and it counts against the mentor).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/no-show", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<ActInput>, description = "Optional note"),
    responses((status = 200, body = BookingView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn no_show(
    State(s): State<AppState>,
    me: CurrentUser,
    BookingPath(id): BookingPath,
    OptionalJson(b): OptionalJson<ActInput>,
) -> Result<axum::Json<BookingView>, AppError> {
    let booking = bookings::get(&s.ctx, &me.0.user, &id).await?;
    let action = if booking.b.mentor_id == me.0.user.id {
        BookingAction::MenteeNoShow
    } else {
        BookingAction::MentorNoShow
    };
    act(s, me, id, action, b).await
}

/// Deliver a review service (the mentor): completes it and pays the mentor.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/deliver", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = DeliverInput,
    responses((status = 200, body = BookingView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn deliver(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    BookingPath(id): BookingPath,
    ApiJson(input): ApiJson<DeliverInput>,
) -> Result<axum::Json<BookingView>, AppError> {
    let b = bookings::deliver(&s.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(view(&b, &me.user.id, None, None)))
}

/// Save my pre-meeting and post-session notes, each shared or private.
#[utoipa::path(put, path = "/api/v1/bookings/{id}/notes", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NotesInput,
    responses((status = 200, body = BookingView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn notes(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    BookingPath(id): BookingPath,
    ApiJson(input): ApiJson<NotesInput>,
) -> Result<axum::Json<BookingView>, AppError> {
    let b = bookings::save_notes(&s.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(view(&b, &me.user.id, None, None)))
}

/// The booking as an iCalendar (RFC 5545) file.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/ics", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "text/calendar", content_type = "text/calendar"), (status = 404, body = Problem)))]
async fn ics(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<Response, AppError> {
    let body = calendar::booking_ics(&s.ctx, &me.user, &id).await?;
    Ok(calendar_response(body, &format!("booking-{id}.ics")))
}

pub fn calendar_response(body: String, filename: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedView {
    /// Subscribe to this URL in a calendar program. Keep it secret; issuing a new one
    /// revokes the old.
    pub url: String,
}

/// (Re)issue my secret calendar feed URL (`GET /calendar/{token}.ics`).
#[utoipa::path(post, path = "/api/v1/me/calendar-feed", tag = "bookings", security(("bearer" = [])),
    responses((status = 201, body = FeedView)))]
async fn calendar_feed(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<impl IntoResponse, AppError> {
    let url = calendar::issue_feed(&s.ctx, &me.user).await?;
    Ok((StatusCode::CREATED, axum::Json(FeedView { url })))
}

/// Turn my calendar feed URL off: it answers 404 until a new one is issued (204, also
/// when there was none).
#[utoipa::path(delete, path = "/api/v1/me/calendar-feed", tag = "bookings", security(("bearer" = [])),
    responses((status = 204)))]
async fn revoke_calendar_feed(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<impl IntoResponse, AppError> {
    calendar::revoke_feed(&s.ctx, &me.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub id: String,
    pub booking_id: String,
    pub mentor_id: String,
    pub mentee: Party,
    pub service_title: String,
    pub rating: i64,
    pub comment: String,
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    pub created_at: String,
}

impl From<&ReviewRow> for ReviewView {
    fn from(r: &ReviewRow) -> Self {
        ReviewView {
            id: r.id.clone(),
            booking_id: r.booking_id.clone(),
            mentor_id: r.mentor_id.clone(),
            mentee: Party {
                id: r.mentee_id.clone(),
                first_name: r.mentee_first_name.clone(),
                last_name: r.mentee_last_name.clone(),
            },
            service_title: r.service_title.clone(),
            rating: r.rating,
            comment: r.comment.clone(),
            reply: Some(r.reply.clone()).filter(|x| !x.is_empty()),
            replied_at: r.replied_at.map(ts),
            created_at: ts(r.created_at),
        }
    }
}

/// Review a completed booking (the mentee, once): 1–5 stars and a comment.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/review", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ReviewInput,
    responses((status = 201, body = ReviewView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn review(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ReviewInput>,
) -> Result<impl IntoResponse, AppError> {
    let r = reviews::create(&s.ctx, &me.user, &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(ReviewView::from(&r))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewList {
    pub items: Vec<ReviewView>,
    pub next_cursor: Option<String>,
}

/// A mentor's reviews, newest first.
#[utoipa::path(get, path = "/api/v1/mentors/{id}/reviews", tag = "bookings", params(("id" = String, Path), PageParams),
    responses((status = 200, body = ReviewList), (status = 404, body = Problem)))]
async fn mentor_reviews(
    State(s): State<AppState>,
    MaybeUser(me): MaybeUser,
    IdPath(id): IdPath,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<axum::Json<ReviewList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let before = decode_cursor(p.cursor.as_deref())?;
    let viewer = me.as_ref().map(|a| &a.user);
    let mut rows = reviews::for_mentor(&s.ctx, viewer, &id, before.as_deref(), limit + 1).await?;
    let next_cursor = next_page(&mut rows, limit, |r| r.id.clone());
    Ok(axum::Json(ReviewList {
        items: rows.iter().map(ReviewView::from).collect(),
        next_cursor,
    }))
}

/// Reply to a review of mine (the mentor, once).
#[utoipa::path(post, path = "/api/v1/reviews/{id}/reply", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ReplyInput,
    responses((status = 200, body = ReviewView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reply(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ReplyInput>,
) -> Result<axum::Json<ReviewView>, AppError> {
    let r = reviews::reply(&s.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(ReviewView::from(&r)))
}

/// My wallet: balance, credits held for live bookings, and history.
#[utoipa::path(get, path = "/api/v1/me/credits", tag = "credits", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = CreditsView)))]
async fn my_credits(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<axum::Json<CreditsView>, AppError> {
    let limit = parse_limit(p.limit)?;
    let before = decode_cursor(p.cursor.as_deref())?;
    let mut v = credits::view(&s.ctx, &me.user, before.as_deref(), limit).await?;
    v.next_cursor = v.next_cursor.map(|c| encode_cursor(&c));
    Ok(axum::Json(v))
}

/// Grant credits to a user (admins). Send `Idempotency-Key` to make a retry safe.
#[utoipa::path(post, path = "/api/v1/admin/credits/grant", tag = "admin", security(("bearer" = [])),
    request_body = GrantInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried grant safe")),
    responses((status = 201, body = GrantView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn grant(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    headers: HeaderMap,
    ApiJson(input): ApiJson<GrantInput>,
) -> Result<impl IntoResponse, AppError> {
    let key = idempotency_key(&headers)?;
    let g = credits::grant(&s.ctx, &me.user, &input, key.as_deref()).await?;
    Ok((StatusCode::CREATED, axum::Json(g)))
}

/// The calendar feed (not under /api: calendar programs fetch it without a token
/// header; the secret is in the path).
pub async fn feed(
    State(s): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let body = calendar::feed(&s.ctx, token).await?;
    Ok(calendar_response(body, "mentorhub.ics"))
}
