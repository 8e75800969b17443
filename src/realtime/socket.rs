//! One live socket, after the upgrade: registers it with the hub under its session,
//! sends the hub's events ([`Event`]) and a ping every 20 seconds, reads the client's
//! `{"type": "typing", "thread_id": …}` and `{"type": "ping"}`.
//!
//! A socket lives as long as the session that opened it: when that session ends
//! (sign-out, password change elsewhere, suspension, account closed) the server sends
//! a close frame with code 4401 at once, on whichever instance holds it; at every ping
//! the socket also checks its session, for ends nobody announced. When the server
//! stops, every socket gets a close frame with code 1001 (going away), and the page
//! reconnects.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt, stream::SplitSink};
use serde::Deserialize;

use crate::service::{
    Ctx,
    auth::{self, Authenticated},
    events::{self, Event},
};

/// The close code of a socket whose session ended (4000–4999 are the application's).
pub const SESSION_ENDED: u16 = 4401;

/// The close code of every socket when the server stops (the page reconnects).
pub const GOING_AWAY: u16 = 1001;

/// How often the server pings (and rechecks the session).
const PING_EVERY: Duration = Duration::from_secs(20);

#[derive(Deserialize)]
struct ClientEvent {
    #[serde(rename = "type")]
    kind: String,
    thread_id: Option<String>,
}

async fn closed_for_session(tx: &mut SplitSink<WebSocket, Message>) {
    let _ = tx
        .send(Message::Close(Some(CloseFrame {
            code: SESSION_ENDED,
            reason: "session ended".into(),
        })))
        .await;
}

fn text(event: &Event) -> Message {
    Message::Text(event.to_value().to_string().into())
}

/// Serves one socket of `auth`'s session until either side ends it.
pub async fn run(ctx: Ctx, auth: Authenticated, socket: WebSocket) {
    let user = auth.user;
    let session_id = auth.session_id;
    let (conn, mut queue, first) = ctx.realtime.register(&user.id, &session_id);
    if first {
        events::came_online(&ctx, &user.id).await;
    }
    let (mut tx, mut rx) = socket.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    let hello = Event::Hello {
        user_id: user.id.to_string(),
    };
    if tx.send(text(&hello)).await.is_ok() {
        loop {
            tokio::select! {
                event = queue.recv() => match event {
                    Some(t) if t == events::CLOSE => {
                        closed_for_session(&mut tx).await;
                        break;
                    }
                    Some(t) if t == events::GOING_AWAY => {
                        let _ = tx
                            .send(Message::Close(Some(CloseFrame {
                                code: GOING_AWAY,
                                reason: "the server is restarting".into(),
                            })))
                            .await;
                        break;
                    }
                    Some(t) => {
                        if tx.send(Message::Text(t.into())).await.is_err() {
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
                    if let Ok(false) = auth::session_live(&ctx, &session_id).await {
                        closed_for_session(&mut tx).await;
                        break;
                    }
                    if tx.send(Message::Ping(Vec::new().into())).await.is_err() {
                        break;
                    }
                }
                incoming = rx.next() => match incoming {
                    Some(Ok(Message::Text(t))) => {
                        let Ok(ev) = serde_json::from_str::<ClientEvent>(&t) else {
                            continue;
                        };
                        match (ev.kind.as_str(), ev.thread_id) {
                            ("typing", Some(thread)) => {
                                if let Some(thread) = crate::domain::ids::parse_id(&thread) {
                                    let _ = crate::service::messages::typing(&ctx, &user, &thread).await;
                                }
                            }
                            ("ping", _) if tx.send(text(&Event::Pong)).await.is_err() => break,
                            _ => {}
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
    if ctx.realtime.unregister(&user.id, conn) {
        events::went_offline(&ctx, &user.id).await;
    }
}
