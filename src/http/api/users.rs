//! `/api/v1/users/{id}`: public profiles; `/api/v1/mentees/{id}`: a mentee as their
//! mentors see them.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ts;
use crate::{
    domain::user::{Role, Roles},
    error::AppError,
    http::extract::{CurrentUser, MaybeUser},
    http::{AppState, extract::IdPath, problem::Problem},
    service::{accounts, mentees},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_user))
        .routes(routes!(get_mentee))
}

/// What anyone may see of a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicUserView {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub bio: String,
    pub avatar_url: String,
    pub linkedin_url: String,
    pub roles: Vec<Role>,
    pub created_at: String,
}

/// A user's public profile: a listed mentor's for anyone; anyone else's for
/// themselves, admins, and the people they have a mentorship or booking with (not
/// found for others). Suspended and closed accounts are not found.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = PublicUserView),
        (status = 404, body = Problem),
    ))]
async fn get_user(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<PublicUserView>, AppError> {
    let u = accounts::profile_for(&state.ctx, me.as_ref().map(|a| &a.user), &id).await?;
    Ok(axum::Json(PublicUserView {
        id: u.id.to_string(),
        first_name: u.first_name,
        last_name: u.last_name,
        headline: u.headline,
        bio: u.bio,
        avatar_url: u.avatar_url,
        linkedin_url: u.linkedin_url,
        roles: Roles::from_db(&u.roles).list().to_vec(),
        created_at: ts(u.created_at),
    }))
}

/// One session of a mentee with you, their mentor.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionTogether {
    pub id: String,
    pub title: String,
    pub status: String,
    pub start: String,
    pub topic: String,
}

/// A mentee as their mentors see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenteeView {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub avatar_url: String,
    pub timezone: String,
    /// What they tell mentors about themselves as a learner.
    pub bio: String,
    pub goals: Vec<String>,
    pub skills: Vec<String>,
    pub interests: Vec<String>,
    /// Their résumé address (empty when not given): what a résumé review reads.
    pub resume_url: String,
    /// Their LinkedIn profile (empty when not given): what a LinkedIn review reads.
    pub linkedin_url: String,
    /// Your sessions with them, newest first (at most 20).
    pub sessions: Vec<SessionTogether>,
    /// Your group sessions they had a seat or a place in line in, newest first (at
    /// most 20).
    pub group_sessions: Vec<GroupTogether>,
}

/// One of your group sessions a mentee had a place in.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupTogether {
    pub id: String,
    pub title: String,
    pub start: String,
    /// Their place: `seated`, `waiting`, `attended`, `absent`, `refunded` (cancelled),
    /// `skipped` (passed over) or `left`.
    pub place: String,
}

/// A mentee's learning profile and your sessions together: for the mentee, admins,
/// and mentors they asked, booked, are or were mentored by, or whose group session
/// they joined (anyone else: 404).
#[utoipa::path(get, path = "/api/v1/mentees/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = MenteeView), (status = 404, body = Problem)))]
async fn get_mentee(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<MenteeView>, AppError> {
    let d = mentees::detail(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(MenteeView {
        id: d.id,
        first_name: d.first_name,
        last_name: d.last_name,
        headline: d.headline,
        avatar_url: d.avatar_url,
        timezone: d.timezone,
        bio: d.bio,
        goals: d.goals,
        skills: d.skills,
        interests: d.interests,
        resume_url: d.resume_url,
        linkedin_url: d.linkedin_url,
        sessions: d
            .sessions
            .into_iter()
            .map(|b| SessionTogether {
                id: b.b.id.to_string(),
                title: b.b.title,
                status: b.b.status.as_str().to_string(),
                start: ts(b.b.start_at),
                topic: b.b.topic,
            })
            .collect(),
        group_sessions: d
            .group_sessions
            .into_iter()
            .map(|g| GroupTogether {
                id: g.id,
                title: g.title,
                start: ts(g.start_at),
                place: g.place,
            })
            .collect(),
    }))
}
