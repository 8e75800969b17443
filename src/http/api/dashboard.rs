//! `/api/v1/me/dashboard`, `/api/v1/admin/stats`, `/api/v1/admin/audit`,
//! `/api/v1/admin/jobs`: the figures the dashboards show, the audit log and the job
//! queue (the admin console's pages as JSON).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{decode_cursor, next_page, parse_limit, ts};
use crate::{
    error::AppError,
    http::{
        AppState,
        extract::{ApiQuery, CurrentUser, IdPath},
        problem::Problem,
    },
    service::dashboard::AuditFilter,
    service::{
        dashboard::{self, AdminStats, Dashboard, StatusCount},
        jobs,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_dashboard))
        .routes(routes!(admin_stats))
        .routes(routes!(audit_log))
        .routes(routes!(list_jobs))
        .routes(routes!(retry_job))
}

/// My dashboard: sessions, relationships, credits; for mentors also requests waiting,
/// hours, earnings, rating and weekly series over the last 26 weeks in my zone.
#[utoipa::path(get, path = "/api/v1/me/dashboard", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Dashboard)))]
async fn my_dashboard(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<Dashboard>, AppError> {
    Ok(axum::Json(dashboard::for_user(&state.ctx, &me.user).await?))
}

/// Platform totals and weekly series (admins).
#[utoipa::path(get, path = "/api/v1/admin/stats", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = AdminStats), (status = 403, body = Problem)))]
async fn admin_stats(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<AdminStats>, AppError> {
    Ok(axum::Json(
        dashboard::admin_stats(&state.ctx, &me.user).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Actions starting with this (e.g. `user.`, `payment.refund`); words separated by
    /// spaces match the dots and underscores (`credit request grant`).
    pub action: Option<String>,
    /// Only this admin's actions (a user id).
    pub actor: Option<String>,
    /// Only actions on this target (an id).
    pub target: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// The audit log of admin actions, newest first (admins).
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", security(("bearer" = [])),
    params(AuditParams), responses((status = 200, body = AuditList), (status = 403, body = Problem)))]
async fn audit_log(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<axum::Json<AuditList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let mut rows = dashboard::audit(
        &state.ctx,
        &me.user,
        &AuditFilter {
            action: p.action.filter(|s| !s.trim().is_empty()),
            actor_id: p.actor.filter(|s| !s.trim().is_empty()),
            target_id: p.target.filter(|s| !s.trim().is_empty()),
            person_id: None,
            before_id: decode_cursor(p.cursor.as_deref())?,
            limit: limit + 1,
        },
    )
    .await?;
    let next_cursor = next_page(&mut rows, limit, |r| r.id.clone());
    let json = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
    Ok(axum::Json(AuditList {
        items: rows
            .iter()
            .map(|r| AuditEntry {
                id: r.id.clone(),
                actor_id: r.actor_id.clone(),
                actor_email: r.actor_email.clone(),
                action: r.action.clone(),
                target_type: r.target_type.clone(),
                target_id: r.target_id.clone(),
                before: json(&r.before_json),
                after: json(&r.after_json),
                at: ts(r.created_at),
            })
            .collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JobParams {
    /// `queued`, `running`, `done` or `dead` (failed for good); all when absent.
    pub status: Option<String>,
    /// At most this many jobs (1–100, 20 by default), the most recently changed first.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// When it runs (or ran) next.
    pub run_at: String,
    /// The last failure's message; empty when none.
    pub last_error: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    /// Jobs by status, over the whole queue.
    pub counts: Vec<StatusCount>,
    pub items: Vec<JobView>,
}

/// Background jobs: counts by status and the newest jobs (admins). Dead jobs failed
/// every attempt; an admin may put them back in the queue.
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "admin", security(("bearer" = [])),
    params(JobParams),
    responses((status = 200, body = JobList), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_jobs(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<JobParams>,
) -> Result<axum::Json<JobList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s @ ("queued" | "running" | "done" | "dead")) => Some(s),
        Some(_) => {
            return Err(AppError::invalid(
                "status",
                "invalid_status",
                "status is one of queued, running, done, dead.",
            ));
        }
    };
    let (counts, rows) = jobs::overview(&state.ctx, &me.user, status, limit).await?;
    Ok(axum::Json(JobList {
        counts: counts
            .into_iter()
            .map(|(status, count)| StatusCount { status, count })
            .collect(),
        items: rows
            .into_iter()
            .map(|j| JobView {
                id: j.id,
                kind: j.kind,
                status: j.status,
                attempts: j.attempts,
                max_attempts: j.max_attempts,
                run_at: ts(j.run_at),
                last_error: j.last_error,
                updated_at: ts(j.updated_at),
            })
            .collect(),
    }))
}

/// Put a dead job back in the queue with fresh attempts (admins; audited).
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", tag = "admin",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses(
        (status = 204, description = "Queued again"),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The job is not dead", body = Problem),
    ))]
async fn retry_job(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::http::StatusCode, AppError> {
    jobs::retry_dead(&state.ctx, &me.user, &id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
