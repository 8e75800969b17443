//! `/api/v1/me/credit-requests*`, `/api/v1/admin/credit-requests*`: asking the admins
//! for credits, and their answer.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{decode_cursor, next_page, parse_limit, ts};
use crate::{
    domain::credit::CreditRequestStatus,
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPath},
        problem::Problem,
    },
    service::credit_requests::{self, AskInput, CreditRequestRow, DeclineInput, GrantInput},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ask, mine))
        .routes(routes!(withdraw))
        .routes(routes!(queue))
        .routes(routes!(grant))
        .routes(routes!(decline))
}

/// A request for credits.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditRequestView {
    pub id: String,
    pub user_id: String,
    /// The member's name and email (for the admins; your own on your requests).
    pub name: String,
    pub email: String,
    /// Credits asked for.
    pub credits: i64,
    pub note: String,
    /// `open`, `granted`, `declined` or `withdrawn`.
    pub status: String,
    /// Credits granted (0 unless granted).
    pub granted: i64,
    /// The admin's note on a grant, or the reason for declining.
    pub answer: String,
    pub created_at: String,
    pub decided_at: Option<String>,
}

fn view(r: CreditRequestRow) -> CreditRequestView {
    CreditRequestView {
        id: r.id,
        user_id: r.user_id.to_string(),
        name: format!("{} {}", r.first_name, r.last_name)
            .trim()
            .to_string(),
        email: r.email,
        credits: r.credits,
        note: r.note,
        status: r.status.as_str().to_string(),
        granted: r.granted,
        answer: r.answer,
        created_at: ts(r.created_at),
        decided_at: r.decided_at.map(ts),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditRequestList {
    pub items: Vec<CreditRequestView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    /// `open` (default), `granted`, `declined`, `withdrawn` or `all`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Ask the admins for credits, with a note. One open request at a time; every admin is
/// notified.
#[utoipa::path(post, path = "/api/v1/me/credit-requests", tag = "credits", security(("bearer" = [])),
    request_body = AskInput,
    responses((status = 201, body = CreditRequestView),
        (status = 409, description = "`request_open`", body = Problem), (status = 422, body = Problem)))]
async fn ask(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<AskInput>,
) -> Result<impl IntoResponse, AppError> {
    let r = credit_requests::ask(&state.ctx, &me.user, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(view(r))))
}

/// Your requests for credits, newest first.
#[utoipa::path(get, path = "/api/v1/me/credit-requests", tag = "credits", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = CreditRequestList)))]
async fn mine(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<axum::Json<CreditRequestList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let before = decode_cursor(p.cursor.as_deref())?;
    let mut rows =
        credit_requests::mine(&state.ctx, &me.user, before.as_deref(), limit + 1).await?;
    let next_cursor = next_page(&mut rows, limit, |r| r.id.clone());
    Ok(axum::Json(CreditRequestList {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    }))
}

/// Withdraw your open request.
#[utoipa::path(post, path = "/api/v1/me/credit-requests/{id}/withdraw", tag = "credits",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CreditRequestView), (status = 404, body = Problem),
        (status = 409, description = "`already_answered`", body = Problem)))]
async fn withdraw(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<CreditRequestView>, AppError> {
    let r = credit_requests::withdraw(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(view(r)))
}

/// The admins' queue of requests for credits, newest first.
#[utoipa::path(get, path = "/api/v1/admin/credit-requests", tag = "admin", security(("bearer" = [])),
    params(QueueParams), responses((status = 200, body = CreditRequestList), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn queue(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<QueueParams>,
) -> Result<axum::Json<CreditRequestList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let status = match p.status.as_deref().unwrap_or("open") {
        "all" => None,
        s => Some(CreditRequestStatus::parse(s).ok_or_else(|| {
            AppError::invalid(
                "status",
                "invalid",
                "status is open, granted, declined, withdrawn or all.",
            )
        })?),
    };
    let before = decode_cursor(p.cursor.as_deref())?;
    let mut rows =
        credit_requests::queue(&state.ctx, &me.user, status, before.as_deref(), limit + 1).await?;
    let next_cursor = next_page(&mut rows, limit, |r| r.id.clone());
    Ok(axum::Json(CreditRequestList {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    }))
}

/// Grant a request (admins): the amount asked for, or `credits`. The credits reach the
/// member's wallet once, however many admins press at once.
#[utoipa::path(post, path = "/api/v1/admin/credit-requests/{id}/grant", tag = "admin",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = GrantInput,
    responses((status = 200, body = CreditRequestView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`already_answered`, `account_closed`", body = Problem),
        (status = 422, body = Problem)))]
async fn grant(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<GrantInput>,
) -> Result<axum::Json<CreditRequestView>, AppError> {
    let r = credit_requests::grant(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(view(r)))
}

/// Decline a request with a reason for the member (admins).
#[utoipa::path(post, path = "/api/v1/admin/credit-requests/{id}/decline", tag = "admin",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = DeclineInput,
    responses((status = 200, body = CreditRequestView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "`already_answered`", body = Problem),
        (status = 422, body = Problem)))]
async fn decline(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<DeclineInput>,
) -> Result<axum::Json<CreditRequestView>, AppError> {
    let r = credit_requests::decline(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(view(r)))
}
