//! `/api/v1/mentorships*`: requests and relationships.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{decode_cursor, next_page, parse_limit, ts};
use crate::{
    domain::mentorship::{Action, MentorshipStatus},
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPath, OptionalJson},
        problem::Problem,
    },
    service::mentorships::{self, AnswerInput, RequestInput},
    service::mentorships::{ListFilter, MentorshipListRow},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, request))
        .routes(routes!(get_one))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(cancel))
        .routes(routes!(end))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub avatar_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MentorshipView {
    pub id: String,
    pub status: MentorshipStatus,
    pub mentor: PersonRef,
    pub mentee: PersonRef,
    /// The mentee's request message.
    pub message: String,
    /// The last answer's note (e.g. a decline reason).
    pub answer: String,
    pub created_at: String,
    /// When a pending request expires if nobody answers.
    pub expires_at: String,
    pub responded_at: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub ended_by: Option<String>,
    /// Whether the mentor takes sessions now (an approved mentor whose account is
    /// neither suspended nor closed): false, and their profile and booking answer 404.
    pub mentor_active: bool,
    /// Whether the mentee's account is neither suspended nor closed.
    pub mentee_active: bool,
}

impl From<&MentorshipListRow> for MentorshipView {
    fn from(r: &MentorshipListRow) -> Self {
        let m = &r.m;
        MentorshipView {
            id: m.id.clone(),
            status: m.status,
            mentor: PersonRef {
                id: m.mentor_id.clone(),
                first_name: r.mentor_first_name.clone(),
                last_name: r.mentor_last_name.clone(),
                headline: r.mentor_headline.clone(),
                avatar_url: r.mentor_avatar_url.clone(),
            },
            mentee: PersonRef {
                id: m.mentee_id.clone(),
                first_name: r.mentee_first_name.clone(),
                last_name: r.mentee_last_name.clone(),
                headline: r.mentee_headline.clone(),
                avatar_url: r.mentee_avatar_url.clone(),
            },
            message: m.message.clone(),
            answer: m.answer.clone(),
            created_at: ts(m.created_at),
            expires_at: ts(m.expires_at),
            responded_at: m.responded_at.map(ts),
            started_at: m.started_at.map(ts),
            ended_at: m.ended_at.map(ts),
            ended_by: m.ended_by.clone(),
            mentor_active: r.mentor_open == 1,
            mentee_active: r.mentee_open == 1,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MentorshipList {
    pub items: Vec<MentorshipView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `mentor` (where I mentor) or `mentee` (where I am mentored); both when absent.
    pub role: Option<String>,
    /// Comma-separated statuses, e.g. `pending,accepted`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// My mentorships, newest first.
#[utoipa::path(get, path = "/api/v1/mentorships", tag = "mentorships", security(("bearer" = [])),
    params(ListParams),
    responses((status = 200, body = MentorshipList), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<MentorshipList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let role = match p.role.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("mentor") => Some("mentor"),
        Some("mentee") => Some("mentee"),
        Some(_) => {
            return Err(AppError::invalid(
                "role",
                "invalid_role",
                "role is mentor or mentee.",
            ));
        }
    };
    let mut statuses = vec![];
    for s in p
        .status
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let st = MentorshipStatus::parse(s).ok_or_else(|| {
            AppError::invalid(
                "status",
                "invalid_status",
                "status is one or more of pending, accepted, declined, cancelled, ended, expired.",
            )
        })?;
        statuses.push(st.as_str().to_string());
    }
    let mut rows = mentorships::list(
        &state.ctx,
        &ListFilter {
            user_id: me.user.id.to_string(),
            role,
            statuses,
            before_id: decode_cursor(p.cursor.as_deref())?,
            limit: limit + 1,
        },
    )
    .await?;
    let next_cursor = next_page(&mut rows, limit, |r| r.m.id.clone());
    Ok(axum::Json(MentorshipList {
        items: rows.iter().map(MentorshipView::from).collect(),
        next_cursor,
    }))
}

/// Ask a mentor for mentorship.
#[utoipa::path(post, path = "/api/v1/mentorships", tag = "mentorships", security(("bearer" = [])),
    request_body = RequestInput,
    responses(
        (status = 201, body = MentorshipView),
        (status = 409, description = "`mentorship_exists` or `too_many_pending`", body = Problem),
        (status = 422, description = "Invalid, unknown mentor, or yourself (`cannot_request_self`)", body = Problem),
    ))]
async fn request(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<RequestInput>,
) -> Result<impl IntoResponse, AppError> {
    let m = mentorships::request(&state.ctx, &me.user, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(MentorshipView::from(&m))))
}

/// One of my mentorships.
#[utoipa::path(get, path = "/api/v1/mentorships/{id}", tag = "mentorships", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = MentorshipView), (status = 404, body = Problem)))]
async fn get_one(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<MentorshipView>, AppError> {
    let m = mentorships::get(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(MentorshipView::from(&m)))
}

async fn act(
    state: AppState,
    me: CurrentUser,
    id: String,
    action: Action,
    body: Option<AnswerInput>,
) -> Result<axum::Json<MentorshipView>, AppError> {
    let m = mentorships::act(
        &state.ctx,
        &me.0.user,
        &id,
        action,
        &body.unwrap_or_default(),
    )
    .await?;
    Ok(axum::Json(MentorshipView::from(&m)))
}

/// Accept a request (the mentor; respects `max_mentees`).
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/accept", tag = "mentorships", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<AnswerInput>, description = "Optional note"),
    responses((status = 200, body = MentorshipView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Not pending, or `mentor_at_capacity`", body = Problem)))]
async fn accept(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(b): OptionalJson<AnswerInput>,
) -> Result<axum::Json<MentorshipView>, AppError> {
    act(state, me, id, Action::Accept, b).await
}

/// Decline a request (the mentor), with an optional reason.
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/decline", tag = "mentorships", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<AnswerInput>, description = "Optional reason"),
    responses((status = 200, body = MentorshipView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn decline(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(b): OptionalJson<AnswerInput>,
) -> Result<axum::Json<MentorshipView>, AppError> {
    act(state, me, id, Action::Decline, b).await
}

/// Withdraw my pending request (the mentee).
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/cancel", tag = "mentorships", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<AnswerInput>, description = "Optional reason"),
    responses((status = 200, body = MentorshipView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(b): OptionalJson<AnswerInput>,
) -> Result<axum::Json<MentorshipView>, AppError> {
    act(state, me, id, Action::Cancel, b).await
}

/// End an accepted mentorship (either side).
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/end", tag = "mentorships", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<AnswerInput>, description = "Optional reason"),
    responses((status = 200, body = MentorshipView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn end(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    OptionalJson(b): OptionalJson<AnswerInput>,
) -> Result<axum::Json<MentorshipView>, AppError> {
    act(state, me, id, Action::End, b).await
}
