//! `/api/v1/bookings/series*`: recurring sessions booked as one request, answered and
//! cancelled as a whole or from one occurrence on.

use axum::{extract::State, http::HeaderMap, response::Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    bookings::{BookingView, created, idempotency_key, view},
    ts,
};
use crate::{
    domain::booking::BookingAction,
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, CurrentUser, IdPath, OptionalJson},
        problem::Problem,
    },
    service::bookings::{self, ActInput, Series, SeriesCancelInput, SeriesInput},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(preview))
        .routes(routes!(get_one))
        .routes(routes!(series_ics))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(cancel))
}

/// A recurring series and its sessions (each a booking of its own).
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesView {
    pub id: String,
    pub mentor_id: String,
    pub mentee_id: String,
    pub service_id: String,
    /// 1: weekly; 2: every two weeks.
    pub every_weeks: i64,
    pub occurrences: i64,
    /// The zone whose wall-clock time the series keeps (the mentor's).
    pub timezone: String,
    pub created_at: String,
    /// Oldest first.
    pub bookings: Vec<BookingView>,
}

fn series_view(s: &Series, viewer_id: &str) -> SeriesView {
    SeriesView {
        id: s.row.id.clone(),
        mentor_id: s.row.mentor_id.clone(),
        mentee_id: s.row.mentee_id.clone(),
        service_id: s.row.service_id.clone(),
        every_weeks: s.row.every_weeks,
        occurrences: s.row.occurrences,
        timezone: s.row.timezone.clone(),
        created_at: ts(s.row.created_at),
        bookings: s
            .occurrences
            .iter()
            .map(|b| view(b, viewer_id, None, None))
            .collect(),
    }
}

/// Book a series: the same service at the same local time (the mentor's) every week or
/// every two weeks, 2 to 26 times; all sessions are held at once or none is. Send
/// `Idempotency-Key` to make a retry safe.
#[utoipa::path(post, path = "/api/v1/bookings/series", tag = "bookings", security(("bearer" = [])),
    request_body = SeriesInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request safe")),
    responses(
        (status = 201, body = SeriesView),
        (status = 402, description = "`insufficient_credits` for the whole series", body = Problem),
        (status = 409, description = "`slot_unavailable`: names the session that is not free", body = Problem),
        (status = 422, body = Problem),
    ))]
async fn create(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SeriesInput>,
) -> Result<Response, AppError> {
    let key = idempotency_key(&headers)?;
    let (s, replayed) =
        bookings::request_series(&state.ctx, &me.user, &input, key.as_deref()).await?;
    Ok(created(series_view(&s, &me.user.id), replayed))
}

/// One session a series would take.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesDate {
    pub start: String,
    /// Whether it is free now.
    pub free: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPreview {
    pub items: Vec<SeriesDate>,
}

/// The dates a series would take and whether each is free now; nothing is booked.
#[utoipa::path(post, path = "/api/v1/bookings/series/preview", tag = "bookings", security(("bearer" = [])),
    request_body = SeriesInput,
    responses((status = 200, body = SeriesPreview), (status = 422, body = Problem)))]
async fn preview(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<SeriesInput>,
) -> Result<axum::Json<SeriesPreview>, AppError> {
    let preview = bookings::preview_series(&state.ctx, &me.user, &input).await?;
    Ok(axum::Json(SeriesPreview {
        items: preview
            .dates
            .into_iter()
            .map(|(start, free)| SeriesDate {
                start: ts(start),
                free,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/bookings/series/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = SeriesView), (status = 404, body = Problem)))]
async fn get_one(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<SeriesView>, AppError> {
    let s = bookings::get_series(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(series_view(&s, &me.user.id)))
}

/// Every session of the series as one iCalendar (RFC 5545) file; a cancelled or
/// declined one is marked cancelled.
#[utoipa::path(get, path = "/api/v1/bookings/series/{id}/ics", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "text/calendar", content_type = "text/calendar"), (status = 404, body = Problem)))]
async fn series_ics(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<Response, AppError> {
    let body = crate::service::calendar::series_ics(&state.ctx, &me.user, &id).await?;
    Ok(super::bookings::calendar_response(
        body,
        &format!("series-{id}.ics"),
    ))
}

/// Accept every session of the series still waiting (the mentor).
#[utoipa::path(post, path = "/api/v1/bookings/series/{id}/accept", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<ActInput>, description = "Optional"),
    responses((status = 200, body = SeriesView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`: nothing waits for an answer", body = Problem)))]
async fn accept(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(input): OptionalJson<ActInput>,
) -> Result<axum::Json<SeriesView>, AppError> {
    let input = input.unwrap_or_default();
    let s =
        bookings::answer_series(&state.ctx, &me.user, &id, BookingAction::Accept, &input).await?;
    Ok(axum::Json(series_view(&s, &me.user.id)))
}

/// Decline every session of the series still waiting (the mentor); their credits go
/// back.
#[utoipa::path(post, path = "/api/v1/bookings/series/{id}/decline", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<ActInput>, description = "Optional reason"),
    responses((status = 200, body = SeriesView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`: nothing waits for an answer", body = Problem)))]
async fn decline(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(input): OptionalJson<ActInput>,
) -> Result<axum::Json<SeriesView>, AppError> {
    let input = input.unwrap_or_default();
    let s =
        bookings::answer_series(&state.ctx, &me.user, &id, BookingAction::Decline, &input).await?;
    Ok(axum::Json(series_view(&s, &me.user.id)))
}

/// Cancel the sessions of a series still to come — all, or one and every later one
/// (`from_booking_id`); each is refunded by the cancellation policy.
#[utoipa::path(post, path = "/api/v1/bookings/series/{id}/cancel", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<SeriesCancelInput>, description = "Optional"),
    responses((status = 200, body = SeriesView), (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`: nothing left to cancel", body = Problem),
        (status = 422, body = Problem)))]
async fn cancel(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(input): OptionalJson<SeriesCancelInput>,
) -> Result<axum::Json<SeriesView>, AppError> {
    let input = input.unwrap_or_default();
    let s = bookings::cancel_series(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(series_view(&s, &me.user.id)))
}
