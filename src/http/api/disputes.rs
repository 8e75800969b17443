//! `/api/v1/bookings/{id}/dispute`, `/api/v1/admin/disputes*`: disputing how a session
//! ended, and the admins' decision (see `service::disputes`).

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ts;
use crate::{
    domain::dispute::DisputeStatus,
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, BookingPath, CurrentUser, IdPath},
        problem::Problem,
    },
    service::disputes::{self, DisputeAnswerInput, DisputeInput, DisputeRow, ResolveDisputeInput},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open, get_one))
        .routes(routes!(answer))
        .routes(routes!(list))
        .routes(routes!(resolve))
}

/// A dispute of how a session ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeView {
    pub id: String,
    pub booking_id: String,
    pub booking_title: String,
    /// The booking's outcome disputed: `completed` or `no_show` (with `no_show_party`).
    pub booking_status: String,
    pub no_show_party: String,
    pub credits: i64,
    pub mentor_id: String,
    pub mentor_name: String,
    pub mentee_id: String,
    pub mentee_name: String,
    /// Who disputes it.
    pub opened_by: String,
    pub reason: String,
    pub status: DisputeStatus,
    /// The admins' note.
    pub resolution: String,
    /// The other side's account ('' until they give one).
    pub answer: String,
    pub answered_at: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

fn view(d: DisputeRow) -> DisputeView {
    DisputeView {
        id: d.id,
        booking_id: d.booking_id,
        booking_title: d.title,
        booking_status: d.booking_status.as_str().to_string(),
        no_show_party: d.no_show_party,
        credits: d.credits_held,
        mentor_id: d.mentor_id,
        mentor_name: d.mentor_name,
        mentee_id: d.mentee_id,
        mentee_name: d.mentee_name,
        opened_by: d.opened_by,
        reason: d.reason,
        status: d.status,
        resolution: d.resolution,
        answer: d.answer,
        answered_at: d.answered_at.map(ts),
        created_at: ts(d.created_at),
        resolved_at: d.resolved_at.map(ts),
    }
}

/// Dispute how a session ended, within 7 days: the mentee a session marked done (or
/// completed by itself) or a no-show the mentor reported; the mentor a no-show the
/// mentee reported. Once per booking; the admins decide.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/dispute", tag = "bookings",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = DisputeInput,
    responses((status = 201, body = DisputeView), (status = 404, body = Problem),
        (status = 409, description = "`not_disputable`, `dispute_closed`, `already_disputed`", body = Problem),
        (status = 422, body = Problem)))]
async fn open(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    BookingPath(id): BookingPath,
    ApiJson(input): ApiJson<DisputeInput>,
) -> Result<impl IntoResponse, AppError> {
    let d = disputes::open(&state.ctx, &me.user, &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(view(d))))
}

/// The other side of a dispute (the one whose word settled the session) gives their
/// account of it for the admins: once, while the dispute is open. The side that
/// opened it is told.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/dispute/answer", tag = "bookings",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = DisputeAnswerInput,
    responses((status = 200, body = DisputeView),
        (status = 404, description = "no such booking, or it has no dispute", body = Problem),
        (status = 409, description = "`not_yours_to_answer`, `already_answered`, `already_resolved`", body = Problem),
        (status = 422, body = Problem)))]
async fn answer(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    BookingPath(id): BookingPath,
    ApiJson(input): ApiJson<DisputeAnswerInput>,
) -> Result<axum::Json<DisputeView>, AppError> {
    let d = disputes::answer(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(view(d)))
}

/// The booking's dispute, if it has one (participants and admins).
#[utoipa::path(get, path = "/api/v1/bookings/{id}/dispute", tag = "bookings",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = DisputeView), (status = 404, body = Problem)))]
async fn get_one(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    BookingPath(id): BookingPath,
) -> Result<axum::Json<DisputeView>, AppError> {
    disputes::of_booking(&state.ctx, &me.user, &id)
        .await?
        .map(|d| axum::Json(view(d)))
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeList {
    pub items: Vec<DisputeView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `open` (default, oldest first), `rejected` or `granted` (newest first; the
    /// last 200).
    pub status: Option<String>,
}

/// Disputes waiting for a decision, or decided (admins).
#[utoipa::path(get, path = "/api/v1/admin/disputes", tag = "admin", security(("bearer" = [])),
    params(ListParams), responses((status = 200, body = DisputeList),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<DisputeList>, AppError> {
    let status = DisputeStatus::parse(p.status.as_deref().unwrap_or("open")).ok_or_else(|| {
        AppError::invalid("status", "invalid", "status is open, rejected or granted.")
    })?;
    let rows = disputes::list(&state.ctx, &me.user, status).await?;
    Ok(axum::Json(DisputeList {
        items: rows.into_iter().map(view).collect(),
    }))
}

/// Decide a dispute (admins): `reject` lets the outcome stand; `grant` settles the
/// session the other way (the mentee refunded in full, or the mentor paid), refused
/// with `insufficient_credits` when someone already spent what would come back.
#[utoipa::path(post, path = "/api/v1/admin/disputes/{id}/resolve", tag = "admin",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ResolveDisputeInput,
    responses((status = 200, body = DisputeView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`already_resolved`, `insufficient_credits`", body = Problem),
        (status = 422, body = Problem)))]
async fn resolve(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ResolveDisputeInput>,
) -> Result<axum::Json<DisputeView>, AppError> {
    let d = disputes::resolve(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(view(d)))
}
