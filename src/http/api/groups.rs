//! `/api/v1/group-sessions*`: group sessions, their seats and waitlist.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{mentors::search_offset, offset_cursor, parse_limit, ts};
use crate::{
    domain::group::{GroupStatus, SeatStatus},
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPath, MaybeUser, OptionalJson},
        problem::Problem,
    },
    service::groups::{
        self, AttendanceInput, GroupInput, GroupPatch, GroupRow, ListFilter, SeatRow,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, update, patch, delete))
        .routes(routes!(cancel))
        .routes(routes!(join, leave))
        .routes(routes!(roster))
        .routes(routes!(attendance, attendance_put))
        .routes(routes!(waitlist))
        .routes(routes!(ics))
        .routes(routes!(review, reviews))
}

/// A group session.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub mentor_id: String,
    pub mentor_name: String,
    pub title: String,
    pub description: String,
    pub start_at: String,
    pub end_at: String,
    /// The mentor's zone (times are UTC; show them in both zones).
    pub timezone: String,
    pub seats: i64,
    /// Seats held (seated people).
    pub seats_taken: i64,
    pub seats_left: i64,
    /// How many wait in line.
    pub waiting: i64,
    pub credits_per_seat: i64,
    /// `public`, `members` or `my_mentees`.
    pub audience: String,
    pub min_attendance: Option<i64>,
    pub decide_at: Option<String>,
    pub join_until: String,
    pub show_names: bool,
    pub status: GroupStatus,
    pub cancel_reason: String,
    /// The group's chat thread (seated attendees and the mentor are in it).
    pub thread_id: String,
    /// Your place: `seated` or `waiting` (with `ahead`), or none.
    pub my_seat: Option<MySeat>,
    /// Where the session takes place: for its mentor and whoever holds a seat, while
    /// it is open.
    pub meeting_link: Option<String>,
    /// The weekly run it was published in (the run's first session's id), whose other
    /// dates are joined one by one; none for a one-off.
    pub weekly_run: Option<String>,
}

/// Your place in a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct MySeat {
    pub status: SeatStatus,
    /// In line: how many are ahead of you (0: you are next).
    pub ahead: i64,
    pub credits_held: i64,
}

fn view(g: GroupRow, seat: Option<SeatRow>, viewer: Option<&str>) -> GroupView {
    let meeting_link = groups::meeting_link_for(&g, viewer, seat.as_ref()).map(str::to_string);
    GroupView {
        meeting_link,
        id: g.id,
        mentor_id: g.mentor_id.to_string(),
        mentor_name: format!("{} {}", g.mentor_first_name, g.mentor_last_name)
            .trim()
            .to_string(),
        title: g.title,
        description: g.description,
        start_at: ts(g.start_at),
        end_at: ts(g.end_at),
        timezone: g.timezone,
        seats: g.seats,
        seats_taken: g.seated,
        seats_left: (g.seats - g.seated).max(0),
        waiting: g.waiting,
        credits_per_seat: g.credits_per_seat,
        audience: g.audience.as_str().to_string(),
        min_attendance: g.min_attendance,
        decide_at: g.decide_at.map(ts),
        join_until: ts(g.join_until),
        show_names: g.show_names,
        status: g.status,
        cancel_reason: g.cancel_reason,
        thread_id: g.thread_id,
        weekly_run: g.repeats_id,
        my_seat: seat.map(|s| MySeat {
            status: s.status,
            ahead: s.ahead,
            credits_held: s.credits_held,
        }),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub items: Vec<GroupView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub mentor_id: Option<String>,
    /// A skill or expertise of the mentor.
    pub skill: Option<String>,
    /// Words in the title or description (without case), or a skill or expertise
    /// of the mentor.
    pub q: Option<String>,
    /// Starting from (RFC 3339; default now).
    pub from: Option<String>,
    /// Starting before (RFC 3339).
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Publish a group session (approved mentors), or `repeat_weeks` weekly ones at the
/// same local time. Each blocks your time like a booking.
#[utoipa::path(post, path = "/api/v1/group-sessions", tag = "group sessions",
    security(("bearer" = [])), request_body = GroupInput,
    responses((status = 201, body = GroupList), (status = 403, body = Problem),
        (status = 409, description = "`time_taken`", body = Problem),
        (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<GroupInput>,
) -> Result<impl IntoResponse, AppError> {
    let rows = groups::create(&state.ctx, &me.user, &input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(GroupList {
            items: rows
                .into_iter()
                .map(|g| view(g, None, Some(me.user.id.as_str())))
                .collect(),
            next_cursor: None,
        }),
    ))
}

fn instant(field: &str, raw: Option<&str>) -> Result<Option<jiff::Timestamp>, AppError> {
    raw.map(|r| crate::service::bookings::parse_instant(field, r))
        .transpose()
}

/// Open group sessions you may see, soonest first.
#[utoipa::path(get, path = "/api/v1/group-sessions", tag = "group sessions",
    params(ListParams), responses((status = 200, body = GroupList), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<GroupList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let offset = search_offset(p.cursor.as_deref())?;
    let skill = p.skill.as_deref().map(crate::domain::mentor::normalize_tag);
    if p.q.as_deref().is_some_and(|q| q.chars().count() > 200) {
        return Err(AppError::invalid(
            "q",
            "too_long",
            "Must be at most 200 characters.",
        ));
    }
    let rows = groups::list(
        &state.ctx,
        me.as_ref().map(|a| &a.user),
        &ListFilter {
            mentor_id: p.mentor_id.as_deref(),
            skill: skill.as_deref(),
            words: p.q.as_deref().map(str::trim).filter(|q| !q.is_empty()),
            from: instant("from", p.from.as_deref())?.unwrap_or_else(|| state.ctx.now()),
            to: instant("to", p.to.as_deref())?,
            offset,
            limit: limit + 1,
        },
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<GroupRow> = rows.into_iter().take(limit as usize).collect();
    let mut seats = groups::my_seats(&state.ctx, me.as_ref().map(|a| &a.user), &rows).await?;
    Ok(axum::Json(GroupList {
        items: rows
            .into_iter()
            .map(|g| {
                let seat = seats
                    .iter()
                    .position(|s| s.session_id == g.id)
                    .map(|i| seats.swap_remove(i));
                view(g, seat, me.as_ref().map(|a| a.user.id.as_str()))
            })
            .collect(),
        next_cursor: more.then(|| offset_cursor(offset + limit)),
    }))
}

/// One group session, with your place in it.
#[utoipa::path(get, path = "/api/v1/group-sessions/{id}", tag = "group sessions",
    params(("id" = String, Path)),
    responses((status = 200, body = GroupView), (status = 404, body = Problem)))]
async fn get_one(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<GroupView>, AppError> {
    let (g, seat) = groups::get(&state.ctx, me.as_ref().map(|a| &a.user), &id).await?;
    Ok(axum::Json(view(
        g,
        seat,
        me.as_ref().map(|a| a.user.id.as_str()),
    )))
}

/// Why the session is cancelled (attendees read it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    pub reason: String,
    /// Also cancel every later session of the weekly run this one was published in
    /// (those not started yet); each is refunded and told like this one.
    #[serde(default)]
    pub following: bool,
}

/// Cancel a session (its mentor, or an admin): every seat is refunded in full and
/// everyone seated or in line is told. With `following`, the later dates of the weekly
/// run it was published in go too (those not started), in one transaction.
#[utoipa::path(post, path = "/api/v1/group-sessions/{id}/cancel", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = CancelInput,
    responses((status = 200, body = GroupView), (status = 404, body = Problem),
        (status = 409, description = "`session_closed`", body = Problem),
        (status = 422, body = Problem)))]
async fn cancel(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<CancelInput>,
) -> Result<axum::Json<GroupView>, AppError> {
    let g = groups::cancel(&state.ctx, &me.user, &id, &input.reason, input.following)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(view(g, None, Some(me.user.id.as_str()))))
}

/// Take a seat (its credits are held in escrow), or a place in line when the session
/// is full. `201` either way; `my_seat` says which. Send `Idempotency-Key` to make a
/// retry safe: the same key again answers the seat it took (`Idempotent-Replayed`).
#[utoipa::path(post, path = "/api/v1/group-sessions/{id}/seats", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried join safe")),
    responses((status = 201, body = GroupView), (status = 402, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`already_joined`, `joining_closed`, `session_closed`, `slot_unavailable`, `own_session`", body = Problem)))]
async fn join(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    let key = super::bookings::idempotency_key(&headers)?;
    let (g, seat, replayed) =
        groups::join_with_key(&state.ctx, &me.user, &id, key.as_deref()).await?;
    Ok(super::bookings::created(
        view(g, Some(seat), Some(me.user.id.as_str())),
        replayed,
    ))
}

/// What leaving did.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeftView {
    /// Credits back to your wallet (by the cancellation policy; 0 from the line).
    pub refunded: i64,
    /// Whether the freed seat went to someone in line.
    pub seat_taken_by_waitlist: bool,
}

/// Leave your seat (refunded by the cancellation policy; the seat goes to the first
/// in line who can pay it) or your place in line.
#[utoipa::path(delete, path = "/api/v1/group-sessions/{id}/seats", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = LeftView), (status = 404, body = Problem),
        (status = 409, description = "`not_joined`, `session_closed`", body = Problem)))]
async fn leave(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<LeftView>, AppError> {
    let left = groups::leave(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(LeftView {
        refunded: left.refunded,
        seat_taken_by_waitlist: left.promoted > 0,
    }))
}

/// A person in a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatView {
    pub user_id: String,
    pub first_name: String,
    /// For the mentor (empty for attendees).
    pub last_name: String,
    pub status: SeatStatus,
    /// In line: how many are ahead.
    pub ahead: i64,
    pub joined_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RosterView {
    pub items: Vec<SeatView>,
}

/// The roster and the line (the mentor and admins); seated attendees see each other's
/// first names when the mentor shows them.
#[utoipa::path(get, path = "/api/v1/group-sessions/{id}/seats", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RosterView), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn roster(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<RosterView>, AppError> {
    let (g, seats) = groups::roster(&state.ctx, &me.user, &id).await?;
    let full = g.mentor_id == me.user.id || crate::service::admin::is_admin(&me.user);
    Ok(axum::Json(RosterView {
        items: seats
            .into_iter()
            .map(|s| SeatView {
                user_id: if full {
                    s.user_id.to_string()
                } else {
                    String::new()
                },
                first_name: s.first_name,
                last_name: if full { s.last_name } else { String::new() },
                status: s.status,
                ahead: s.ahead,
                joined_at: ts(s.queued_at),
            })
            .collect(),
    }))
}

/// Record who came (the mentor, from the start on): the session is over and every
/// seat pays the mentor, less the platform's fee (an absent attendee's too, as with a
/// mentee's no-show). Unrecorded sessions close by themselves after the completion
/// grace, everyone seated counted as attended.
#[utoipa::path(post, path = "/api/v1/group-sessions/{id}/attendance", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = AttendanceInput,
    responses((status = 200, body = GroupView), (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`, `session_closed`", body = Problem),
        (status = 422, body = Problem)))]
async fn attendance(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<AttendanceInput>,
) -> Result<axum::Json<GroupView>, AppError> {
    let g = groups::attendance(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(view(g, None, Some(me.user.id.as_str()))))
}

/// The line, in order: all of it for the mentor; for anyone else their own place in
/// it (empty when they are not in line). `ahead` is how many are before each.
#[utoipa::path(get, path = "/api/v1/group-sessions/{id}/waitlist", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RosterView), (status = 404, body = Problem)))]
async fn waitlist(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<RosterView>, AppError> {
    let line = groups::waitlist(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(RosterView {
        items: line
            .into_iter()
            // The mentor's whole line, or one's own place: names are theirs to see.
            .map(|s| SeatView {
                user_id: s.user_id.to_string(),
                first_name: s.first_name,
                last_name: s.last_name,
                status: s.status,
                ahead: s.ahead,
                joined_at: ts(s.queued_at),
            })
            .collect(),
    }))
}

/// The session as an iCalendar (RFC 5545) file, for its mentor and whoever had a seat.
#[utoipa::path(get, path = "/api/v1/group-sessions/{id}/ics", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "text/calendar", content_type = "text/calendar"),
        (status = 404, body = Problem)))]
async fn ics(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::response::Response, AppError> {
    let body = crate::service::calendar::group_ics(&state.ctx, &me.user, &id).await?;
    Ok(super::bookings::calendar_response(
        body,
        &format!("group-session-{id}.ics"),
    ))
}

/// Change a session (its mentor): the whole session as on publishing (one
/// occurrence) while nobody has joined; once someone has, only its title, description
/// and `show_names` (its time, length, seats, price and audience stay: cancel and
/// publish anew to change those).
#[utoipa::path(put, path = "/api/v1/group-sessions/{id}", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = GroupInput,
    responses((status = 200, body = GroupView), (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`, `time_taken`, `session_closed`", body = Problem),
        (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<GroupInput>,
) -> Result<axum::Json<GroupView>, AppError> {
    let g = groups::update(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(view(g, None, Some(me.user.id.as_str()))))
}

/// A review of a group session.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupReviewView {
    pub first_name: String,
    pub rating: i64,
    pub comment: String,
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupReviewList {
    pub items: Vec<GroupReviewView>,
}

/// Review a session you attended, once (1 to 5 stars and a comment); it counts in the
/// mentor's rating.
#[utoipa::path(post, path = "/api/v1/group-sessions/{id}/reviews", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)),
    request_body = crate::service::reviews::ReviewInput,
    responses((status = 201, body = GroupReviewList), (status = 404, body = Problem),
        (status = 409, description = "`already_reviewed`, `invalid_transition`", body = Problem),
        (status = 422, body = Problem)))]
async fn review(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<crate::service::reviews::ReviewInput>,
) -> Result<impl IntoResponse, AppError> {
    groups::review(&state.ctx, &me.user, &id, &input).await?;
    let list = review_list(&state, Some(&me.user), &id).await?;
    Ok((StatusCode::CREATED, axum::Json(list)))
}

async fn review_list(
    state: &AppState,
    viewer: Option<&crate::service::accounts::UserRow>,
    id: &str,
) -> Result<GroupReviewList, AppError> {
    Ok(GroupReviewList {
        items: groups::reviews_of(&state.ctx, viewer, id)
            .await?
            .into_iter()
            .map(|(first_name, rating, comment, at)| GroupReviewView {
                first_name,
                rating,
                comment,
                at: ts(at),
            })
            .collect(),
    })
}

/// A session's reviews, newest first (whoever may see the session).
#[utoipa::path(get, path = "/api/v1/group-sessions/{id}/reviews", tag = "group sessions",
    params(("id" = String, Path)),
    responses((status = 200, body = GroupReviewList), (status = 404, body = Problem)))]
async fn reviews(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<GroupReviewList>, AppError> {
    Ok(axum::Json(
        review_list(&state, me.as_ref().map(|a| &a.user), &id).await?,
    ))
}

/// Change some of a session's fields (its mentor): those left out stay as they are;
/// the rules of `PUT` apply (everything while nobody has joined; then only the title,
/// description, `show_names` and `timezone`).
#[utoipa::path(patch, path = "/api/v1/group-sessions/{id}", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = GroupPatch,
    responses((status = 200, body = GroupView), (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`, `time_taken`, `session_closed`", body = Problem),
        (status = 422, body = Problem)))]
async fn patch(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<GroupPatch>,
) -> Result<axum::Json<GroupView>, AppError> {
    let g = groups::patch(&state.ctx, &me.user, &id, input).await?;
    Ok(axum::Json(view(g, None, Some(me.user.id.as_str()))))
}

/// What `DELETE` may say; both optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteInput {
    /// Why (attendees read it; default "No reason given.").
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub following: bool,
}

/// Cancel a session, as `POST …/cancel` does (every seat refunded in full, everyone
/// told), with the body optional.
#[utoipa::path(delete, path = "/api/v1/group-sessions/{id}", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = DeleteInput,
    responses((status = 200, body = GroupView), (status = 404, body = Problem),
        (status = 409, description = "`session_closed`", body = Problem),
        (status = 422, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(body): OptionalJson<DeleteInput>,
) -> Result<axum::Json<GroupView>, AppError> {
    let input = body.unwrap_or_default();
    let reason = input
        .reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| groups::NO_REASON.to_string());
    let g = groups::cancel(&state.ctx, &me.user, &id, &reason, input.following)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(view(g, None, Some(me.user.id.as_str()))))
}

/// Record who came: the same as `POST …/attendance`.
#[utoipa::path(put, path = "/api/v1/group-sessions/{id}/attendance", tag = "group sessions",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = AttendanceInput,
    responses((status = 200, body = GroupView), (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`, `session_closed`", body = Problem),
        (status = 422, body = Problem)))]
async fn attendance_put(
    state: State<AppState>,
    me: CurrentUser,
    id: IdPath,
    input: ApiJson<AttendanceInput>,
) -> Result<axum::Json<GroupView>, AppError> {
    attendance(state, me, id, input).await
}
