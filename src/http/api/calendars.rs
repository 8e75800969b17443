//! `/api/v1/me/calendars*`: a mentor's connected CalDAV calendars — connect, list with
//! their sync status, choose which count as busy and which receives bookings, sync now,
//! disconnect.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ts;
use crate::{
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, CurrentUser, IdPairPath, IdPath},
        problem::Problem,
    },
    service::calendars::{self, CalendarPatch, ConnectInput, ConnectionPatch, ConnectionView},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(connect, list))
        .routes(routes!(update, disconnect))
        .routes(routes!(update_calendar))
        .routes(routes!(resync))
        .routes(routes!(resync_all))
}

/// A connected calendar account (the password is never shown).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CalendarConnection)]
pub struct ConnectionOut {
    pub id: String,
    pub server_url: String,
    pub username: String,
    /// `ok`, or `failing` (see `last_error`).
    pub status: String,
    pub last_error: String,
    pub last_attempt_at: Option<String>,
    /// The last read that worked: its busy times are the ones in force.
    pub last_success_at: Option<String>,
    pub failing_since: Option<String>,
    /// Pending requests are written too, as tentative events.
    pub write_tentative: bool,
    pub calendars: Vec<CalendarOut>,
}

/// One calendar of a connected account.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ConnectedCalendar)]
pub struct CalendarOut {
    pub id: String,
    pub name: String,
    pub color: String,
    pub url: String,
    /// Its events make you busy.
    pub busy: bool,
    /// Bookings are written to it.
    pub target: bool,
    /// Events found in its last read.
    pub events: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CalendarConnectionList)]
pub struct ConnectionList {
    pub items: Vec<ConnectionOut>,
}

fn out(c: ConnectionView) -> ConnectionOut {
    ConnectionOut {
        id: c.id,
        server_url: c.server_url,
        username: c.username,
        status: c.status,
        last_error: c.last_error,
        last_attempt_at: c.last_attempt_at.map(ts),
        last_success_at: c.last_success_at.map(ts),
        failing_since: c.failing_since.map(ts),
        write_tentative: c.write_tentative,
        calendars: c
            .calendars
            .into_iter()
            .map(|k| CalendarOut {
                id: k.id,
                name: k.name,
                color: k.color,
                url: k.url,
                busy: k.busy,
                target: k.target,
                events: k.events,
            })
            .collect(),
    }
}

#[utoipa::path(post, path = "/api/v1/me/calendars", tag = "calendars",
    security(("bearer" = [])), request_body = ConnectInput,
    responses((status = 201, body = ConnectionOut),
        (status = 409, description = "`too_many_calendars`", body = Problem),
        (status = 422, description = "Bad input, or the server cannot be reached, refuses the password or holds no calendars (see `errors`)", body = Problem),
        (status = 503, description = "`calendars_off`: the operator set no key", body = Problem)))]
async fn connect(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<ConnectInput>,
) -> Result<impl IntoResponse, AppError> {
    let c = calendars::connect(&state.ctx, &me.user, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(out(c))))
}

#[utoipa::path(get, path = "/api/v1/me/calendars", tag = "calendars",
    security(("bearer" = [])), responses((status = 200, body = ConnectionList)))]
async fn list(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<ConnectionList>, AppError> {
    let items = calendars::list(&state.ctx, &me.user).await?;
    Ok(axum::Json(ConnectionList {
        items: items.into_iter().map(out).collect(),
    }))
}

#[utoipa::path(patch, path = "/api/v1/me/calendars/{id}", tag = "calendars",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ConnectionPatch,
    responses((status = 200, body = ConnectionOut), (status = 404, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<ConnectionPatch>,
) -> Result<axum::Json<ConnectionOut>, AppError> {
    let c = calendars::update_connection(&state.ctx, &me.user, &id, &patch).await?;
    Ok(axum::Json(out(c)))
}

#[utoipa::path(delete, path = "/api/v1/me/calendars/{id}", tag = "calendars",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn disconnect(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    calendars::disconnect(&state.ctx, &me.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(patch, path = "/api/v1/me/calendars/{id}/calendars/{calendar_id}", tag = "calendars",
    security(("bearer" = [])), params(("id" = String, Path), ("calendar_id" = String, Path)),
    request_body = CalendarPatch,
    responses((status = 200, body = ConnectionOut), (status = 404, body = Problem)))]
async fn update_calendar(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPairPath(id, calendar_id): IdPairPath,
    ApiJson(patch): ApiJson<CalendarPatch>,
) -> Result<axum::Json<ConnectionOut>, AppError> {
    let c = calendars::update_calendar(&state.ctx, &me.user, &id, &calendar_id, &patch).await?;
    Ok(axum::Json(out(c)))
}

#[utoipa::path(post, path = "/api/v1/me/calendars/{id}/sync", tag = "calendars",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "Read now; `status` and `last_error` tell how it went", body = ConnectionOut),
        (status = 404, body = Problem)))]
async fn resync(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ConnectionOut>, AppError> {
    let c = calendars::resync(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(out(c)))
}

/// Read every connected calendar again now; each says how it went (`status`,
/// `last_error`).
#[utoipa::path(post, path = "/api/v1/me/calendars/sync", tag = "calendars",
    security(("bearer" = [])), responses((status = 200, body = ConnectionList)))]
async fn resync_all(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<ConnectionList>, AppError> {
    let items = calendars::resync_all(&state.ctx, &me.user).await?;
    Ok(axum::Json(ConnectionList {
        items: items.into_iter().map(out).collect(),
    }))
}
