//! `/api/v1/admin/users*`: user administration. Admins only; every change is audited.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{UserView, decode_cursor, next_page, parse_limit};
use crate::{
    domain::user::Role,
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPath, OptionalJson},
        problem::Problem,
    },
    service::accounts::UserStatus,
    service::admin::{self, RolesInput, SuspendInput, UserQuery},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(suspend))
        .routes(routes!(unsuspend))
        .routes(routes!(set_roles))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserListParams {
    /// Part of an email or name.
    pub q: Option<String>,
    /// `mentee`, `mentor` or `admin`.
    pub role: Option<String>,
    /// `active`, `suspended` or `deleted`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

/// Search users, newest first.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])),
    params(UserListParams),
    responses(
        (status = 200, body = UserList),
        (status = 403, body = Problem),
        (status = 422, body = Problem),
    ))]
async fn list_users(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<UserListParams>,
) -> Result<axum::Json<UserList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let role = match p.role.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            AppError::invalid(
                "role",
                "invalid_role",
                "role is one of mentee, mentor, admin.",
            )
        })?),
    };
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("active") => Some(UserStatus::Active),
        Some("suspended") => Some(UserStatus::Suspended),
        Some("deleted") => Some(UserStatus::Deleted),
        Some(_) => {
            return Err(AppError::invalid(
                "status",
                "invalid_status",
                "status is one of active, suspended, deleted.",
            ));
        }
    };
    let query = UserQuery {
        q: p.q,
        role,
        status,
        before_id: decode_cursor(p.cursor.as_deref())?,
        limit: limit + 1,
    };
    let mut rows = admin::list_users(&state.ctx, &me.user, &query).await?;
    let next_cursor = next_page(&mut rows, limit, |u| u.id.to_string());
    Ok(axum::Json(UserList {
        items: rows.iter().map(UserView::from).collect(),
        next_cursor,
    }))
}

/// Suspend a user: their sessions end at once and their tokens stop working.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/suspend", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content = Option<SuspendInput>, description = "Optional reason"),
    responses(
        (status = 200, body = UserView),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "Admins cannot suspend themselves", body = Problem),
    ))]
async fn suspend(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(body): OptionalJson<SuspendInput>,
) -> Result<axum::Json<UserView>, AppError> {
    let input = body.unwrap_or_default();
    let (u, _) = admin::suspend(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(UserView::from(&u)))
}

/// Lift a suspension.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/unsuspend", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = UserView),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
    ))]
async fn unsuspend(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<UserView>, AppError> {
    let u = admin::unsuspend(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(UserView::from(&u)))
}

/// Replace a user's roles (`mentee` is always kept).
#[utoipa::path(put, path = "/api/v1/admin/users/{id}/roles", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = RolesInput,
    responses(
        (status = 200, body = UserView),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 422, body = Problem),
    ))]
async fn set_roles(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<RolesInput>,
) -> Result<axum::Json<UserView>, AppError> {
    let u = admin::set_roles(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(UserView::from(&u)))
}
