//! `/api/v1/auth/*`: register, login, refresh, logout, password reset, email
//! confirmation (and `/api/v1/me/email-confirmation`, which asks for a link).

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::UserView;
use crate::{
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, Client, CurrentUser},
        problem::Problem,
    },
    service::{
        accounts::{self, LoginInput, RegisterInput, ResetConfirm, ResetRequest},
        auth::{self, TokenPair},
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(request_password_reset))
        .routes(routes!(reset_password))
        .routes(routes!(
            request_email_confirmation,
            email_confirmation_state
        ))
        .routes(routes!(confirm_email))
        .routes(routes!(request_email_change))
}

/// A signed-in user and their tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: UserView,
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Single use: trade it at `/api/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

impl From<TokenPair> for TokenResponse {
    fn from(p: TokenPair) -> Self {
        TokenResponse {
            access_token: p.access_token,
            refresh_token: p.refresh_token,
            token_type: "Bearer".into(),
            expires_in: p.expires_in_secs,
        }
    }
}

fn auth_response(user: &crate::service::accounts::UserRow, pair: TokenPair) -> AuthResponse {
    let t = TokenResponse::from(pair);
    AuthResponse {
        user: UserView::from(user),
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        token_type: t.token_type,
        expires_in: t.expires_in,
    }
}

/// Create an account (a mentee) and sign it in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterInput,
    responses(
        (status = 201, description = "Account created", body = AuthResponse),
        (status = 422, description = "Invalid input, or the email is taken (`email_taken`)", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    ))]
async fn register(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(input): ApiJson<RegisterInput>,
) -> Result<impl IntoResponse, AppError> {
    state.limit_auth("register", &client.ip, &input.email)?;
    let (user, pair) = accounts::register(&state.ctx, &input, &client).await?;
    Ok((StatusCode::CREATED, axum::Json(auth_response(&user, pair))))
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in", body = AuthResponse),
        (status = 401, description = "Unknown email or wrong password (`invalid_credentials`)", body = Problem),
        (status = 403, description = "The account is suspended", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    ))]
async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(input): ApiJson<LoginInput>,
) -> Result<axum::Json<AuthResponse>, AppError> {
    state.limit_auth("login", &client.ip, &input.email)?;
    let (user, pair) = accounts::login(&state.ctx, &input, &client).await?;
    Ok(axum::Json(auth_response(&user, pair)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    pub refresh_token: String,
}

/// Trade a refresh token for a new token pair. The old refresh token stops working;
/// presenting it again ends the session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshInput,
    responses(
        (status = 200, description = "A new pair", body = TokenResponse),
        (status = 401, description = "Invalid, expired or reused refresh token", body = Problem),
    ))]
async fn refresh(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> Result<axum::Json<TokenResponse>, AppError> {
    let pair = auth::refresh(&state.ctx, &input.refresh_token).await?;
    Ok(axum::Json(pair.into()))
}

/// End this session: its access and refresh tokens stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem),
    ))]
async fn logout(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<StatusCode, AppError> {
    auth::logout(&state.ctx, &me.user.id, &me.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forgot the password: email a link to choose a new one. The answer is the same
/// whether or not an account uses the address (only a malformed address is refused);
/// the link works once, for an hour, and a second request within a minute sends
/// nothing more.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "If an account uses the address, a link is on its way"),
        (status = 422, description = "Not an email address", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    ))]
async fn request_password_reset(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(input): ApiJson<ResetRequest>,
) -> Result<StatusCode, AppError> {
    state.limit_auth("reset", &client.ip, &input.email)?;
    accounts::request_password_reset(&state.ctx, &input).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Choose a new password with the emailed link's token. Every session of the account
/// ends (sign in again with the new password); the link and any other link of the
/// account stop working.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth",
    request_body = ResetConfirm,
    responses(
        (status = 204, description = "The password is changed"),
        (status = 422, description = "The link does not work (`invalid_reset_link`: used, expired or mangled) or the password is not acceptable", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    ))]
async fn reset_password(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(input): ApiJson<ResetConfirm>,
) -> Result<StatusCode, AppError> {
    state.limit_auth("reset_confirm", &client.ip, &auth::hash_token(&input.token))?;
    accounts::reset_password(&state.ctx, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the caller's address is confirmed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailConfirmation {
    pub email: String,
    pub confirmed: bool,
    /// What asking did: `sent`, `already_confirmed`, or `too_soon` (a link went less
    /// than a minute ago); absent on `GET`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
}

/// Whether your email address is confirmed (a program open to an email domain admits
/// only a confirmed address there).
#[utoipa::path(get, path = "/api/v1/me/email-confirmation", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = EmailConfirmation), (status = 401, body = Problem)))]
async fn email_confirmation_state(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<EmailConfirmation>, AppError> {
    let confirmed = accounts::email_confirmed(&state.ctx, &me.user).await?;
    Ok(axum::Json(EmailConfirmation {
        email: me.user.email.clone(),
        confirmed,
        outcome: None,
    }))
}

/// Mail a link that confirms your address (it works once, for 48 hours; at most one a
/// minute).
#[utoipa::path(post, path = "/api/v1/me/email-confirmation", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 202, description = "A link is on its way (or was, under a minute ago)", body = EmailConfirmation),
        (status = 200, description = "The address is confirmed already", body = EmailConfirmation),
        (status = 401, body = Problem),
    ))]
async fn request_email_confirmation(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::response::Response, AppError> {
    use accounts::ConfirmationSent as S;
    let outcome = accounts::request_email_confirmation(&state.ctx, &me.user, None).await?;
    let (status, word) = match outcome {
        S::Sent => (StatusCode::ACCEPTED, "sent"),
        S::TooSoon => (StatusCode::ACCEPTED, "too_soon"),
        S::AlreadyConfirmed => (StatusCode::OK, "already_confirmed"),
    };
    let body = EmailConfirmation {
        email: me.user.email.clone(),
        confirmed: outcome == S::AlreadyConfirmed,
        outcome: Some(word),
    };
    Ok((status, axum::Json(body)).into_response())
}

/// Where the link to a new address went.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailChangeSent {
    /// The account's address, unchanged until the link is followed.
    pub email: String,
    /// The address the link went to.
    pub new_email: String,
    /// `sent`, or `too_soon` (a link went less than a minute ago: nothing sent now).
    pub outcome: &'static str,
}

/// Change your address: a link goes to the new one, and following it (`POST
/// /api/v1/auth/confirm-email`) makes it the account's; the old address is told. Asks
/// for the password; at most one link a minute; a new link makes earlier ones stop
/// working; a password reset link sent before stops working once the address changes.
#[utoipa::path(post, path = "/api/v1/me/email", tag = "auth", security(("bearer" = [])),
    request_body = accounts::EmailChange,
    responses(
        (status = 202, description = "A link is on its way to the new address (or was, under a minute ago)", body = EmailChangeSent),
        (status = 401, body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
        (status = 422, description = "Not an address, the current one, taken by another account (`email_taken`), or a wrong password (`wrong_password`)", body = Problem),
    ))]
async fn request_email_change(
    State(state): State<AppState>,
    Client(client): Client,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<accounts::EmailChange>,
) -> Result<axum::response::Response, AppError> {
    // The password is checked: guesses are limited as sign-ins are.
    state.limit_auth("email_change", &client.ip, &me.user.email)?;
    let sent = accounts::request_email_change(&state.ctx, &me.user, &input).await?;
    let body = EmailChangeSent {
        email: me.user.email.clone(),
        new_email: sent
            .clone()
            .unwrap_or_else(|| input.new_email.trim().to_string()),
        outcome: if sent.is_some() { "sent" } else { "too_soon" },
    };
    Ok((StatusCode::ACCEPTED, axum::Json(body)).into_response())
}

/// The token of an emailed confirmation link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmEmailInput {
    pub token: String,
}

/// Confirm an address with the emailed link's token (no sign-in needed: the link is
/// the proof).
#[utoipa::path(post, path = "/api/v1/auth/confirm-email", tag = "auth",
    request_body = ConfirmEmailInput,
    responses(
        (status = 200, body = EmailConfirmation),
        (status = 422, description = "The link does not work (`invalid_confirmation_link`: used, expired or mangled), or the new address it confirms was taken meanwhile by another account (`email_taken`)", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    ))]
async fn confirm_email(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(input): ApiJson<ConfirmEmailInput>,
) -> Result<axum::Json<EmailConfirmation>, AppError> {
    state.limit_auth("confirm_email", &client.ip, &auth::hash_token(&input.token))?;
    let (user, _) = accounts::confirm_email(&state.ctx, &input.token).await?;
    Ok(axum::Json(EmailConfirmation {
        email: user.email,
        confirmed: true,
        outcome: None,
    }))
}
