//! `/api/v1/notifications*` and notification preferences.

use axum::{extract::State, http::StatusCode};
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
    service::notify::{self, NotificationRow, Preference},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read_one))
        .routes(routes!(read_all))
        .routes(routes!(get_preferences, put_preferences))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// `booking_requested`, `booking_reminder`, `new_message`, …
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A path on this site.
    pub link: String,
    pub related_id: Option<String>,
    pub read: bool,
    pub created_at: String,
}

impl From<&NotificationRow> for NotificationView {
    fn from(n: &NotificationRow) -> Self {
        NotificationView {
            id: n.id.clone(),
            kind: n.kind.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            related_id: n.related_id.clone(),
            read: n.read_at.is_some(),
            created_at: ts(n.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    pub unread_count: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only unread ones.
    pub unread: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// My notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = NotificationList), (status = 422, body = Problem)))]
async fn list(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<NotificationList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let before = decode_cursor(p.cursor.as_deref())?;
    let mut rows = notify::inbox(
        &s.ctx,
        &me.user,
        p.unread.unwrap_or(false),
        before.as_deref(),
        limit + 1,
    )
    .await?;
    let next_cursor = next_page(&mut rows, limit, |r| r.id.clone());
    Ok(axum::Json(NotificationList {
        items: rows.iter().map(NotificationView::from).collect(),
        unread_count: notify::unread_count(&s.ctx, &me.user.id).await?,
        next_cursor,
    }))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
async fn read_one(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    notify::mark_read(&s.ctx, &me.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all my notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 204)))]
async fn read_all(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<StatusCode, AppError> {
    notify::mark_all_read(&s.ctx, &me.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// One entry per kind: in-app and email switches.
    pub preferences: Vec<Preference>,
}

/// My notification preferences, per kind and channel.
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Preferences)))]
async fn get_preferences(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<Preferences>, AppError> {
    Ok(axum::Json(Preferences {
        preferences: notify::preferences(&s.ctx, &me.user.id).await?,
    }))
}

/// Change some preferences (the kinds given; the others stay as they are).
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "notifications", security(("bearer" = [])),
    request_body = Preferences, responses((status = 200, body = Preferences), (status = 422, body = Problem)))]
async fn put_preferences(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(p): ApiJson<Preferences>,
) -> Result<axum::Json<Preferences>, AppError> {
    Ok(axum::Json(Preferences {
        preferences: notify::set_preferences(&s.ctx, &me.user.id, &p.preferences).await?,
    }))
}
