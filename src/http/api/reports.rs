//! `/api/v1/reports`, `/api/v1/admin/reports*`: reporting content and people, and the
//! admins' moderation queue.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{decode_cursor, next_page, parse_limit, ts};
use crate::{
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPath},
        problem::Problem,
    },
    service::reports::ReportRow,
    service::reports::{self, ReportInput, ReportLine, ResolveInput},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(resolve))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportCreated {
    pub id: String,
}

/// Report an article, a comment, a chat message or a user to the admins. You can only
/// report what you can see (else 404).
#[utoipa::path(post, path = "/api/v1/reports", tag = "admin", security(("bearer" = [])),
    request_body = ReportInput,
    responses((status = 201, body = ReportCreated), (status = 404, body = Problem),
        (status = 409, description = "`already_reported`", body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<ReportInput>,
) -> Result<impl IntoResponse, AppError> {
    let id = reports::report(&state.ctx, &me.user, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(ReportCreated { id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: String,
    pub reporter_id: String,
    pub reporter_email: String,
    pub target_type: String,
    pub target_id: String,
    /// What the target is, in a line.
    pub summary: String,
    pub reason: String,
    /// `open`, `dismissed` or `actioned`.
    pub status: String,
    pub resolution: String,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

fn view(r: &ReportRow, summary: String) -> ReportView {
    ReportView {
        id: r.id.clone(),
        reporter_id: r.reporter_id.clone(),
        reporter_email: r.reporter_email.clone(),
        target_type: r.target_type.clone(),
        target_id: r.target_id.clone(),
        summary,
        reason: r.reason.clone(),
        status: r.status.as_str().to_string(),
        resolution: r.resolution.clone(),
        created_at: ts(r.created_at),
        resolved_at: r.resolved_at.map(ts),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub items: Vec<ReportView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `open` (default), `dismissed`, `actioned` or `all`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The moderation queue (admins), newest first.
#[utoipa::path(get, path = "/api/v1/admin/reports", tag = "admin", security(("bearer" = [])),
    params(ListParams), responses((status = 200, body = ReportList), (status = 403, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<ReportList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let status = match p.status.as_deref().unwrap_or("open") {
        "all" => None,
        s @ ("open" | "dismissed" | "actioned") => Some(s),
        _ => {
            return Err(AppError::invalid(
                "status",
                "invalid",
                "status is open, dismissed, actioned or all.",
            ));
        }
    };
    let before = decode_cursor(p.cursor.as_deref())?;
    let mut rows: Vec<ReportLine> =
        reports::list(&state.ctx, &me.user, status, before.as_deref(), limit + 1).await?;
    let next_cursor = next_page(&mut rows, limit, |r| r.row.id.clone());
    Ok(axum::Json(ReportList {
        items: rows.into_iter().map(|l| view(&l.row, l.summary)).collect(),
        next_cursor,
    }))
}

/// Dismiss the reports on a target, or act on it (admins). Closes every open report
/// on the same target.
#[utoipa::path(post, path = "/api/v1/admin/reports/{id}/resolve", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ResolveInput,
    responses((status = 200, body = ReportView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`already_resolved`", body = Problem), (status = 422, body = Problem)))]
async fn resolve(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ResolveInput>,
) -> Result<axum::Json<ReportView>, AppError> {
    let r = reports::resolve(&state.ctx, &me.user, &id, &input).await?;
    let summary = format!("{} {}", r.target_type, r.target_id);
    Ok(axum::Json(view(&r, summary)))
}
