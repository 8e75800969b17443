//! `GET /api/v1/ws`: the live event socket.
//!
//! Authenticated by a bearer token (header, or `?access_token=` for clients that cannot
//! set headers) or the web session cookie; a foreign `Origin` is refused. The server
//! sends JSON events and a ping every 20 seconds; the client may send
//! `{"type": "typing", "thread_id": …}` and `{"type": "ping"}`.
//!
//! This is the HTTP side (authentication, `Origin`, the upgrade); the socket's life
//! after the upgrade is `crate::realtime::socket`.

use axum::{
    extract::{State, WebSocketUpgrade, ws::rejection::WebSocketUpgradeRejection},
    http::{HeaderMap, header},
    response::Response,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::AppError,
    http::{AppState, extract::MaybeUser, problem::Problem},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ws))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsParams {
    /// An access token, for clients that cannot send an Authorization header.
    pub access_token: Option<String>,
}

/// Whether `Origin` (when a browser sends one) is this site.
fn origin_ok(headers: &HeaderMap, base_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true; // not a browser
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    origin == base_url.trim_end_matches('/') || (!host.is_empty() && origin_host == host)
}

/// Upgrade to a WebSocket carrying live events (messages, read receipts, typing,
/// notifications, booking changes).
#[utoipa::path(get, path = "/api/v1/ws", tag = "messages", security(("bearer" = [])), params(WsParams),
    responses((status = 101, description = "Switching to the WebSocket protocol"), (status = 400, description = "Not a WebSocket handshake", body = Problem), (status = 422, description = "A query parameter cannot be read", body = Problem), (status = 401, body = Problem), (status = 403, description = "Foreign Origin", body = Problem)))]
async fn ws(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    crate::http::extract::ApiQuery(p): crate::http::extract::ApiQuery<WsParams>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    if !origin_ok(&headers, &state.ctx.config.base_url) {
        return Err(AppError::forbidden(
            "This socket only accepts pages of this site.",
        ));
    }
    let auth = match (user, p.access_token) {
        (Some(a), _) => a,
        (None, Some(token)) => crate::service::auth::resolve_bearer(&state.ctx, &token)
            .await?
            .ok_or_else(|| {
                AppError::unauthorized(
                    "invalid_token",
                    "The access token is invalid, expired or revoked.",
                )
            })?,
        (None, None) => return Err(AppError::unauthorized("unauthenticated", "Sign in first.")),
    };
    // A plain request (no `Upgrade: websocket`, another method or version) is told so
    // as a problem, like every other refusal, once it is known who asks.
    let upgrade = upgrade.map_err(|e| {
        AppError::bad_request(
            "bad_request",
            format!(
                "This address only opens a WebSocket ({}).",
                e.body_text().trim_end_matches('.')
            ),
        )
    })?;
    // Small buffers: clients send tiny frames (typing, ping), and 1,000 idle sockets
    // should not cost 128 KiB each (tungstenite's default read buffer).
    Ok(upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| crate::realtime::socket::run(state.ctx, auth, socket)))
}
