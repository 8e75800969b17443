//! `/api/v1/users/{id}`: public profiles.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ts;
use crate::{
    domain::user::{Role, Roles},
    error::AppError,
    http::{AppState, extract::IdPath, problem::Problem},
    service::accounts,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_user))
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

/// A user's public profile. Suspended and closed accounts are not found.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = PublicUserView),
        (status = 404, body = Problem),
    ))]
async fn get_user(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<axum::Json<PublicUserView>, AppError> {
    let u = accounts::public_profile(&state.ctx, &id).await?;
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
