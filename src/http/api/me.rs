//! `/api/v1/me*`: the signed-in user's own account.

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::UserView;
use crate::{
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, CurrentUser},
        problem::Problem,
    },
    service::accounts::{self, PasswordChange, ProfilePatch},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me, patch_me, delete_me))
        .routes(routes!(change_password))
        .routes(routes!(export))
}

/// The signed-in user's account.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = Problem),
    ))]
async fn get_me(CurrentUser(me): CurrentUser) -> axum::Json<UserView> {
    axum::Json(UserView::from(&me.user))
}

/// Update profile fields; absent fields are kept, an empty string clears an optional one.
/// URLs must be https; `timezone` must be an IANA name; `clock` is `24h`, `12h` or empty.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    request_body = ProfilePatch,
    responses(
        (status = 200, body = UserView),
        (status = 422, body = Problem),
    ))]
async fn patch_me(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> Result<axum::Json<UserView>, AppError> {
    let user = accounts::update_profile(&state.ctx, &me.user, &patch).await?;
    Ok(axum::Json(UserView::from(&user)))
}

/// Change the password. Every other session of this user ends; this one continues.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "me", security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 422, description = "Wrong current password or a weak new one", body = Problem),
    ))]
async fn change_password(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<PasswordChange>,
) -> Result<StatusCode, AppError> {
    accounts::change_password(&state.ctx, &me.user, &me.session_id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything the platform holds about me, as a JSON download.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "A JSON document", body = Object)))]
async fn export(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<impl IntoResponse, AppError> {
    let doc = accounts::export(&state.ctx, &me.user).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"mentorhub-export.json\"",
        )],
        axum::Json(doc),
    ))
}

/// Close my account: personal data is erased at once, shared history stays anonymised,
/// every session ends.
#[utoipa::path(delete, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses((status = 204, description = "Closed")))]
async fn delete_me(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<StatusCode, AppError> {
    accounts::close_account(&state.ctx, &me.user).await?;
    Ok(StatusCode::NO_CONTENT)
}
