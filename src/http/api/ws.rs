//! `GET /api/v1/ws`: the live event socket.
//!
//! Authenticated by a bearer token (header, or `?access_token=` for clients that cannot
//! set headers) or the web session cookie; a foreign `Origin` is refused. The server
//! sends JSON events and a ping every 20 seconds; the client may send
//! `{"type": "typing", "thread_id": …}` and `{"type": "ping"}`.
//!
//! A socket lives as long as the session that opened it: when that session ends
//! (sign-out, password change elsewhere, suspension, account closed) the server sends
//! a close frame with code 4401 at once, on whichever instance holds it; at every ping
//! the socket also checks its session, for ends nobody announced.

use std::time::Duration;

use axum::{
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, header},
    response::Response,
};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::AppError,
    http::{AppState, extract::MaybeUser, problem::Problem},
    service::accounts::UserRow,
    service::{
        auth::{self, Authenticated},
        events,
    },
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
    responses((status = 101, description = "Switching to the WebSocket protocol"), (status = 401, body = Problem), (status = 403, description = "Foreign Origin", body = Problem)))]
async fn ws(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    axum::extract::Query(p): axum::extract::Query<WsParams>,
    upgrade: WebSocketUpgrade,
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
    // Small buffers: clients send tiny frames (typing, ping), and 1,000 idle sockets
    // should not cost 128 KiB each (tungstenite's default read buffer).
    Ok(upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| session(state, auth, socket)))
}

#[derive(Deserialize)]
struct ClientEvent {
    #[serde(rename = "type")]
    kind: String,
    thread_id: Option<String>,
}

/// The close code of a socket whose session ended (4000–4999 are the application's).
const SESSION_ENDED: u16 = 4401;

async fn closed_for_session(tx: &mut futures_util::stream::SplitSink<WebSocket, Message>) {
    let _ = tx
        .send(Message::Close(Some(CloseFrame {
            code: SESSION_ENDED,
            reason: "session ended".into(),
        })))
        .await;
}

async fn session(state: AppState, auth: Authenticated, socket: WebSocket) {
    let user: UserRow = auth.user;
    let session_id = auth.session_id;
    let (conn, mut events, first) = state.ctx.realtime.register(&user.id, &session_id);
    if first {
        events::came_online(&state.ctx, &user.id).await;
    }
    let (mut tx, mut rx) = socket.split();
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    let hello = serde_json::json!({"type": "hello", "user_id": user.id}).to_string();
    if tx.send(Message::Text(hello.into())).await.is_err() {
        if state.ctx.realtime.unregister(&user.id, conn) {
            events::went_offline(&state.ctx, &user.id).await;
        }
        return;
    }
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(text) if text == events::CLOSE => {
                    closed_for_session(&mut tx).await;
                    break;
                }
                Some(text) => {
                    if tx.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                // The hub dropped us: too slow to keep up.
                None => {
                    let _ = tx.send(Message::Close(None)).await;
                    break;
                }
            },
            _ = ping.tick() => {
                // An error reading is not an end: the next ping asks again.
                if let Ok(false) = auth::session_live(&state.ctx, &session_id).await {
                    closed_for_session(&mut tx).await;
                    break;
                }
                if tx.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(ev) = serde_json::from_str::<ClientEvent>(&text) {
                        match (ev.kind.as_str(), ev.thread_id) {
                            ("typing", Some(thread)) => {
                                if let Some(thread) = crate::domain::ids::parse_id(&thread) {
                                    let _ = crate::service::messages::typing(&state.ctx, &user, &thread).await;
                                }
                            }
                            ("ping", _) if tx.send(Message::Text(r#"{"type":"pong"}"#.into())).await.is_err() => break,
                            ("ping", _) => {}
                            _ => {}
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    if state.ctx.realtime.unregister(&user.id, conn) {
        events::went_offline(&state.ctx, &user.id).await;
    }
}
