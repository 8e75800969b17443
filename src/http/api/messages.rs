//! `/api/v1/threads*` and `/api/v1/messages/{id}`.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{decode_cursor, decode_keyset, next_keyset_page, next_page, parse_limit, ts};
use crate::{
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPath, OptionalJson},
        problem::Problem,
    },
    service::messages::{
        self, EditInput, MessageInput, NewThreadInput, ThreadSummary, message_json,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_threads, create_thread))
        .routes(routes!(get_thread))
        .routes(routes!(list_messages, send))
        .routes(routes!(read))
        .routes(routes!(archive))
        .routes(routes!(unarchive))
        .routes(routes!(edit, delete))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantView {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar_url: String,
    /// The newest message id they have read.
    pub last_read_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadView {
    pub id: String,
    /// `direct` or `group`.
    pub kind: String,
    /// A group session's thread: the session's current title.
    pub title: String,
    /// A group session's thread: the session, and when it starts (weekly repeats
    /// share a title).
    pub group_session_id: Option<String>,
    pub group_session_start: Option<String>,
    pub participants: Vec<ParticipantView>,
    pub unread_count: i64,
    pub archived: bool,
    /// The newest message (its JSON), if any.
    #[schema(value_type = Option<Object>)]
    pub last_message: Option<Value>,
    pub last_message_at: Option<String>,
    pub created_at: String,
}

fn thread_view(summary: ThreadSummary) -> ThreadView {
    let t = summary.thread;
    let group = summary.group;
    ThreadView {
        id: t.t.id,
        kind: t.t.kind,
        title: group.as_ref().map_or(t.t.title, |g| g.title.clone()),
        group_session_id: group.as_ref().map(|g| g.id.clone()),
        group_session_start: group.as_ref().map(|g| ts(g.start_at)),
        participants: summary
            .participants
            .into_iter()
            .map(|p| ParticipantView {
                id: p.user_id,
                first_name: p.first_name,
                last_name: p.last_name,
                avatar_url: p.avatar_url,
                last_read_id: p.last_read_id,
            })
            .collect(),
        unread_count: t.unread_count,
        archived: t.archived,
        last_message: summary.last.as_ref().map(message_json),
        last_message_at: t.t.last_message_at.map(ts),
        created_at: ts(t.t.created_at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadList {
    pub items: Vec<ThreadView>,
    /// Unread messages over all my unarchived threads.
    pub unread_total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ThreadParams {
    /// true: archived threads only; false (default): the others.
    pub archived: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// My threads, most recent activity first, with unread counts and last messages.
#[utoipa::path(get, path = "/api/v1/threads", tag = "messages", security(("bearer" = [])), params(ThreadParams),
    responses((status = 200, body = ThreadList), (status = 422, body = Problem)))]
async fn list_threads(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<ThreadParams>,
) -> Result<axum::Json<ThreadList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let before = decode_keyset(p.cursor.as_deref())?;
    let mut rows = messages::my_threads(
        &s.ctx,
        &me.user.id,
        p.archived.unwrap_or(false),
        before,
        limit + 1,
    )
    .await?;
    let next_cursor = next_keyset_page(&mut rows, limit, |t| {
        let t = &t.thread.t;
        (t.last_message_at.unwrap_or(t.created_at), t.id.as_str())
    });
    Ok(axum::Json(ThreadList {
        items: rows.into_iter().map(thread_view).collect(),
        unread_total: messages::unread_total(&s.ctx, &me.user.id).await?,
        next_cursor,
    }))
}

/// Start a thread: 1:1 with one person you are connected to (an existing one is
/// returned), or a group (mentors and admins).
#[utoipa::path(post, path = "/api/v1/threads", tag = "messages", security(("bearer" = [])), request_body = NewThreadInput,
    responses((status = 201, body = ThreadView), (status = 200, description = "The existing 1:1 thread", body = ThreadView),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_thread(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<NewThreadInput>,
) -> Result<impl IntoResponse, AppError> {
    let (id, created) = messages::create_thread(&s.ctx, &me.user, &input).await?;
    // A thread just opened is shown without its history.
    let view = thread_view(messages::summary(&s.ctx, &me.user, &id, false).await?);
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        axum::Json(view),
    ))
}

/// One of my threads.
#[utoipa::path(get, path = "/api/v1/threads/{id}", tag = "messages", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ThreadView), (status = 404, body = Problem)))]
async fn get_thread(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ThreadView>, AppError> {
    Ok(axum::Json(thread_view(
        messages::summary(&s.ctx, &me.user, &id, true).await?,
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    /// Newest first. Each: `{id, thread_id, sender_id, kind, content, metadata, booking_id,
    /// deleted, edited_at, created_at}`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A thread's messages, newest first.
#[utoipa::path(get, path = "/api/v1/threads/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path), PageParams), responses((status = 200, body = MessageList), (status = 404, body = Problem)))]
async fn list_messages(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<axum::Json<MessageList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let before = decode_cursor(p.cursor.as_deref())?;
    let mut rows = messages::page(&s.ctx, &me.user, &id, before.as_deref(), limit + 1).await?;
    let next_cursor = next_page(&mut rows, limit, |m| m.id.clone());
    Ok(axum::Json(MessageList {
        items: rows.iter().map(message_json).collect(),
        next_cursor,
    }))
}

/// Send a message (`text`, or `image` with an https URL). Pushed live to participants.
#[utoipa::path(post, path = "/api/v1/threads/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MessageInput,
    responses((status = 201, description = "The message", body = Object), (status = 404, body = Problem),
        (status = 409, description = "`recipient_closed`: everyone else in the thread closed their account", body = Problem),
        (status = 422, body = Problem)))]
async fn send(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<MessageInput>,
) -> Result<impl IntoResponse, AppError> {
    let m = messages::send(&s.ctx, &me.user, &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(message_json(&m))))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadInput {
    /// Read up to this message (default: the newest).
    pub message_id: Option<String>,
}

/// Mark the thread read (up to a message); the others get a read receipt.
#[utoipa::path(post, path = "/api/v1/threads/{id}/read", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<ReadInput>, description = "Optional"),
    responses((status = 204), (status = 404, body = Problem)))]
async fn read(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(b): OptionalJson<ReadInput>,
) -> Result<StatusCode, AppError> {
    let upto = b
        .and_then(|b| b.message_id)
        .map(|m| crate::domain::ids::parse_id(&m).ok_or(AppError::NotFound))
        .transpose()?;
    messages::read(&s.ctx, &me.user, &id, upto.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Archive the thread for me (a new message brings it back).
#[utoipa::path(post, path = "/api/v1/threads/{id}/archive", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
async fn archive(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    messages::archive(&s.ctx, &me.user, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bring an archived thread back.
#[utoipa::path(post, path = "/api/v1/threads/{id}/unarchive", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
async fn unarchive(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    messages::archive(&s.ctx, &me.user, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Edit my text message.
#[utoipa::path(patch, path = "/api/v1/messages/{id}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = EditInput,
    responses((status = 200, description = "The message", body = Object), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn edit(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<EditInput>,
) -> Result<axum::Json<Value>, AppError> {
    let m = messages::edit(&s.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(message_json(&m)))
}

/// Delete my message: it shows as deleted.
#[utoipa::path(delete, path = "/api/v1/messages/{id}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete(
    State(s): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    messages::delete(&s.ctx, &me.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
