//! Live events to connected clients (WebSocket): new messages, edits, read receipts,
//! typing, notification counts, booking changes.
//!
//! Each connection has a bounded queue; a client too slow to drain it is disconnected
//! rather than letting memory grow. On SQLite (one instance) events go straight to the
//! local connections. On PostgreSQL every event is published with `pg_notify` and each
//! instance's listener (see `app::listen_events`) delivers it to its own connections,
//! so a message posted on instance A reaches a socket on instance B.
//!
//! A socket belongs to the session that opened it. When sessions end (sign-out, a
//! password change ending the others, suspension, closing the account, a replayed
//! refresh token) [`Hub::sessions_ended`] tells every instance, and each closes its
//! sockets of those sessions at once ([`CLOSE`]); the socket task also checks its
//! session at every ping, for ends no instance announced (a CLI run, expiry).
//!
//! Presence is true across instances ([`is_online`]): each instance records which
//! users have a socket on it (table `presence`, renewed every [`PRESENCE_RENEW`]), so
//! a message a user sees live on instance B is not also notified and emailed to them
//! by instance A. A crashed instance's rows stop counting after [`PRESENCE_TTL`].

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Ctx;
use crate::store::Backend;

/// The channel instances talk on.
pub const CHANNEL: &str = "mentorhub_events";
/// Events a connection may have waiting before it is dropped as too slow.
pub const QUEUE: usize = 256;
/// Postgres NOTIFY payloads are limited to 8000 bytes.
const MAX_PAYLOAD: usize = 7800;

/// What the server sends on the live socket (`GET /api/v1/ws`): JSON objects with a
/// `type`. This enum is the socket protocol; every event a service publishes is one of
/// these.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The first frame after connecting.
    Hello { user_id: String },
    /// A new message in one of my threads (the message as the API shows it).
    Message { message: Value },
    /// A message was edited.
    MessageUpdated { message: Value },
    /// A message was deleted.
    MessageDeleted {
        thread_id: String,
        message_id: String,
    },
    /// Someone read a thread up to a message.
    Read {
        thread_id: String,
        user_id: String,
        message_id: String,
    },
    /// Someone is typing in a thread.
    Typing { thread_id: String, user_id: String },
    /// A thread changed (a booking in it moved on): refetch it.
    ThreadUpdated { thread_id: String },
    /// A booking of mine changed status.
    Booking { booking_id: String, status: String },
    /// A new notification (`id`, `kind`, `title`, `link`) and my unread count, or the
    /// count alone after notifications were read.
    Notification {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        link: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        unread_count: Option<i64>,
    },
    /// An event too large to travel between instances: refetch what `of` names.
    Refresh { of: Value },
    /// The answer to a client's `{"type": "ping"}`.
    Pong,
}

impl Event {
    /// A new notification (its unread count is added when published).
    pub fn new_notification(id: &str, kind: &str, title: &str, link: &str) -> Event {
        Event::Notification {
            id: Some(id.to_string()),
            kind: Some(kind.to_string()),
            title: Some(title.to_string()),
            link: Some(link.to_string()),
            unread_count: None,
        }
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// What a socket task receives instead of an event when its session has ended: it
/// closes the socket. No JSON event can equal it.
pub const CLOSE: &str = "\u{0}session ended";
/// The queue item that tells a socket the server is stopping (a close frame with code
/// 1001, "going away": the page reconnects, to another instance or after the restart).
pub const GOING_AWAY: &str = "\u{0}going away";

/// A user's connections on this instance: id, session, queue.
type Conns = HashMap<String, Vec<(u64, String, mpsc::Sender<String>)>>;
/// An event and the users it is for.
type Outgoing = (Vec<String>, Value);

#[derive(Debug)]
pub struct Hub {
    /// This instance, in the `presence` table.
    instance: String,
    conns: Mutex<Conns>,
    next: AtomicU64,
    /// PostgreSQL: the queue to the task that sends events to every instance.
    outgoing: super::queue::TaskQueue<Outgoing>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            instance: crate::domain::ids::new_id(),
            conns: Mutex::default(),
            next: AtomicU64::default(),
            outgoing: Default::default(),
        }
    }
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new connection of `user_id`'s session: its id and the queue to drain, and
    /// whether it is the user's first on this instance.
    pub fn register(&self, user_id: &str, session_id: &str) -> (u64, mpsc::Receiver<String>, bool) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        let list = map.entry(user_id.to_string()).or_default();
        let first = list.is_empty();
        list.push((id, session_id.to_string(), tx));
        (id, rx, first)
    }

    /// A connection ended; whether the user has none left on this instance.
    pub fn unregister(&self, user_id: &str, conn: u64) -> bool {
        let mut map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = map.get_mut(user_id) {
            list.retain(|(id, _, _)| *id != conn);
            if list.is_empty() {
                map.remove(user_id);
            }
        }
        !map.contains_key(user_id)
    }

    /// Whether the user has a live connection on this instance.
    pub fn is_online(&self, user_id: &str) -> bool {
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(user_id)
    }

    /// Connections on this instance (for metrics).
    pub fn connections(&self) -> usize {
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(Vec::len)
            .sum()
    }

    /// Hands an event to this instance's connections of `users`. A full queue drops
    /// that connection (its sender goes away, so its socket task ends).
    pub fn deliver_local(&self, users: &[String], event: &str) {
        let mut map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        for u in users {
            if let Some(list) = map.get_mut(u) {
                list.retain(|(_, _, tx)| tx.try_send(event.to_string()).is_ok());
                if list.is_empty() {
                    map.remove(u);
                }
            }
        }
    }

    /// Publishes an event to `users` on every instance. Best effort: a client that
    /// misses an event catches up from the API. On PostgreSQL the event joins a queue
    /// that one task empties into as few `NOTIFY`s as fit (events published together
    /// travel together, in order), so a busy server sends one notification for many
    /// events instead of a statement each.
    pub async fn publish(&self, ctx: &Ctx, users: &[String], event: Event) {
        self.publish_value(ctx, users, event.to_value()).await
    }

    async fn publish_value(&self, ctx: &Ctx, users: &[String], event: Value) {
        if users.is_empty() {
            return;
        }
        match ctx.db.backend {
            Backend::Sqlite => self.deliver_local(users, &event.to_string()),
            Backend::Postgres => {
                let pool = ctx.db.pool.clone();
                self.outgoing
                    .send((users.to_vec(), event), move |queue| {
                        send_to_instances(pool.clone(), queue)
                    })
                    .await
            }
        }
    }

    /// Sessions of `user_id` ended: closes their sockets on every instance (see the
    /// module documentation). Call after the commit that ended them.
    pub async fn sessions_ended(&self, ctx: &Ctx, user_id: &str, ended: Ended<'_>) {
        match ctx.db.backend {
            Backend::Sqlite => self.close_local(user_id, ended),
            Backend::Postgres => {
                let (only, keep) = match ended {
                    Ended::All => (None, None),
                    Ended::Only(s) => (Some(s), None),
                    Ended::AllBut(s) => (None, Some(s)),
                };
                self.publish_value(
                    ctx,
                    &[user_id.to_string()],
                    json!({"type": SESSIONS_ENDED, "only": only, "keep": keep}),
                )
                .await
            }
        }
    }

    /// The server is stopping: asks every socket on this instance to close with 1001
    /// ("going away") rather than vanish, and waits for them to go, at most `within`.
    pub async fn going_away(&self, within: std::time::Duration) {
        {
            let map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
            for (_, _, tx) in map.values().flatten() {
                let _ = tx.try_send(GOING_AWAY.to_string());
            }
        }
        let deadline = tokio::time::Instant::now() + within;
        while self.connections() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Closes this instance's sockets of the ended sessions.
    fn close_local(&self, user_id: &str, ended: Ended<'_>) {
        let mut map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = map.get_mut(user_id) {
            list.retain(|(_, session, tx)| {
                if ended.includes(session) {
                    // Its task closes the socket; a full queue drops the sender, which
                    // ends the task too.
                    let _ = tx.try_send(CLOSE.to_string());
                    false
                } else {
                    true
                }
            });
            if list.is_empty() {
                map.remove(user_id);
            }
        }
    }

    /// Pushes a user's unread notification count.
    pub async fn notify_count(&self, ctx: &Ctx, user_id: &str) {
        match crate::store::notify::unread_count(&ctx.db.pool, user_id).await {
            Ok(n) => {
                self.publish(
                    ctx,
                    &[user_id.to_string()],
                    Event::Notification {
                        id: None,
                        kind: None,
                        title: None,
                        link: None,
                        unread_count: Some(n),
                    },
                )
                .await
            }
            Err(e) => tracing::warn!(error = %e, "counting notifications failed"),
        }
    }
}

/// How often an instance renews its presence rows.
pub const PRESENCE_RENEW: std::time::Duration = std::time::Duration::from_secs(20);
/// How long presence rows count without being renewed (a crashed instance's).
pub const PRESENCE_TTL: i64 = 60_000_000;

/// Whether the user has a live socket on any instance. On SQLite (one instance) this
/// instance knows; on PostgreSQL the `presence` table says, for users connected
/// elsewhere. A failed read counts as offline (the user then gets a notification too
/// many rather than none).
pub async fn is_online(ctx: &Ctx, user_id: &str) -> bool {
    if ctx.realtime.is_online(user_id) {
        return true;
    }
    if ctx.db.backend == Backend::Sqlite {
        return false;
    }
    crate::store::presence::online(
        &ctx.db.pool,
        user_id,
        crate::clock::before(ctx.now(), PRESENCE_TTL),
    )
    .await
    .unwrap_or_else(|e| {
        tracing::warn!(error = %e, "reading presence failed");
        false
    })
}

/// A user's first socket on this instance opened (PostgreSQL: recorded for the
/// others).
pub async fn came_online(ctx: &Ctx, user_id: &str) {
    if ctx.db.backend == Backend::Postgres
        && let Err(e) =
            crate::store::presence::mark(&ctx.db.pool, &ctx.realtime.instance, user_id, ctx.now())
                .await
    {
        tracing::warn!(error = %e, "recording presence failed");
    }
}

/// A user's last socket on this instance closed.
pub async fn went_offline(ctx: &Ctx, user_id: &str) {
    if ctx.db.backend == Backend::Postgres
        && let Err(e) =
            crate::store::presence::clear(&ctx.db.pool, &ctx.realtime.instance, user_id).await
    {
        tracing::warn!(error = %e, "clearing presence failed");
    }
}

/// This instance stops (after its sockets closed): forget its presence rows.
pub async fn leave_presence(ctx: &Ctx) {
    if ctx.db.backend == Backend::Postgres
        && let Err(e) =
            crate::store::presence::clear_instance(&ctx.db.pool, &ctx.realtime.instance).await
    {
        tracing::warn!(error = %e, "clearing presence failed");
    }
}

/// Keeps this instance's presence rows fresh while it lives (PostgreSQL).
pub async fn renew_presence(ctx: &Ctx) {
    if let Err(e) =
        crate::store::presence::renew(&ctx.db.pool, &ctx.realtime.instance, ctx.now()).await
    {
        tracing::warn!(error = %e, "renewing presence failed");
    }
}

/// The event that carries [`Hub::sessions_ended`] between instances (never delivered
/// to a client).
const SESSIONS_ENDED: &str = "sessions_ended";

/// Which sessions of a user ended.
#[derive(Debug, Clone, Copy)]
pub enum Ended<'a> {
    All,
    Only(&'a str),
    /// All but this one (a password change ends the others).
    AllBut(&'a str),
}

impl Ended<'_> {
    fn includes(&self, session: &str) -> bool {
        match self {
            Ended::All => true,
            Ended::Only(s) => *s == session,
            Ended::AllBut(s) => *s != session,
        }
    }
}

/// The task behind [`Hub::publish`] on PostgreSQL: takes every event waiting, packs
/// them into payloads under the `NOTIFY` limit (`{batch: [{users, event}, …]}`), and
/// sends them (see [`super::queue`]).
async fn send_to_instances(pool: sqlx::AnyPool, mut queue: mpsc::Receiver<Outgoing>) {
    while let Some(items) = super::queue::next_batch(&mut queue, 256).await {
        send_batch(&pool, items).await;
    }
}

/// Packs events into as few payloads as fit under the `NOTIFY` limit and sends them.
async fn send_batch(pool: &sqlx::AnyPool, items: Vec<Outgoing>) {
    let limit = MAX_PAYLOAD - 20;
    let mut payloads: Vec<String> = vec![];
    let mut current: Vec<String> = vec![];
    let mut size = 0;
    for (users, event) in items {
        let mut one = json!({"users": users, "event": event}).to_string();
        if one.len() > limit {
            // Too big for NOTIFY: tell clients to refetch instead.
            let kind = event["type"].clone();
            let refresh = Event::Refresh { of: kind }.to_value();
            one = json!({"users": users, "event": refresh}).to_string();
        }
        if size + one.len() + 1 > limit && !current.is_empty() {
            payloads.push(format!("{{\"batch\":[{}]}}", current.join(",")));
            current.clear();
            size = 0;
        }
        size += one.len() + 1;
        current.push(one);
    }
    if !current.is_empty() {
        payloads.push(format!("{{\"batch\":[{}]}}", current.join(",")));
    }
    for payload in payloads {
        if let Err(e) = crate::store::notify_instances(pool, CHANNEL, &payload).await {
            tracing::warn!(error = %e, "publishing live events failed");
        }
    }
}

/// A notification event with the user's unread count added (as it was, should the
/// count fail).
async fn with_unread_count(ctx: &Ctx, user: &str, mut event: Value) -> Value {
    match crate::store::notify::unread_count(&ctx.db.pool, user).await {
        Ok(n) => event["unread_count"] = json!(n),
        Err(e) => tracing::warn!(error = %e, "counting notifications failed"),
    }
    event
}

/// Delivers a payload received from another instance (or this one): `{users, event}`,
/// or `{batch: [{users, event}, …]}`. A notification that comes without its unread
/// count gets it here, for the users connected to this instance only.
pub async fn deliver_received(ctx: &Ctx, payload: &str) {
    let Ok(v) = serde_json::from_str::<Value>(payload) else {
        return;
    };
    let items = match v["batch"].as_array() {
        Some(batch) => batch.clone(),
        None => vec![v],
    };
    for item in items {
        let users: Vec<String> = item["users"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let event = &item["event"];
        if event["type"] == SESSIONS_ENDED {
            let ended = match (event["only"].as_str(), event["keep"].as_str()) {
                (Some(s), _) => Ended::Only(s),
                (None, Some(s)) => Ended::AllBut(s),
                (None, None) => Ended::All,
            };
            for user in &users {
                ctx.realtime.close_local(user, ended);
            }
        } else if event["type"] == "notification" && event.get("unread_count").is_none() {
            for user in users.iter().filter(|u| ctx.realtime.is_online(u)) {
                let event = with_unread_count(ctx, user, event.clone()).await;
                ctx.realtime
                    .deliver_local(std::slice::from_ref(user), &event.to_string());
            }
        } else {
            ctx.realtime.deliver_local(&users, &event.to_string());
        }
    }
}

/// The live events a write produced, published once its transaction has committed:
/// never from inside it, so a rolled-back write announces nothing, and the write lock
/// is not held while events go out (on PostgreSQL a `NOTIFY` inside a transaction
/// also serialises every committing transaction on the notification queue).
#[derive(Debug, Default)]
pub struct Live {
    events: Vec<(Vec<String>, Value)>,
    /// Notification events: each gets its user's unread count when published.
    notifications: Vec<(String, Value)>,
}

impl Live {
    pub fn new() -> Self {
        Self::default()
    }

    /// An event for `users`.
    pub fn push(&mut self, users: Vec<String>, event: Event) {
        if !users.is_empty() {
            self.events.push((users, event.to_value()));
        }
    }

    /// A new notification for `user`; `unread_count` is added when published.
    pub fn notification(&mut self, user: &str, event: Event) {
        self.notifications
            .push((user.to_string(), event.to_value()));
    }

    /// `user`'s unread count changed (notifications marked read): their badge follows.
    pub fn count_changed(&mut self, user: &str) {
        self.notification(
            user,
            Event::Notification {
                id: None,
                kind: None,
                title: None,
                link: None,
                unread_count: None,
            },
        );
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.notifications.is_empty()
    }

    /// Publishes everything (after the commit). A notification carries the user's
    /// unread count, counted only where the user has a socket: here on SQLite (one
    /// instance), by the receiving instance on PostgreSQL.
    pub async fn publish(self, ctx: &Ctx) {
        match ctx.db.backend {
            Backend::Sqlite => {
                for (users, event) in &self.events {
                    ctx.realtime.deliver_local(users, &event.to_string());
                }
                for (user, event) in self.notifications {
                    if !ctx.realtime.is_online(&user) {
                        continue;
                    }
                    let event = with_unread_count(ctx, &user, event).await;
                    ctx.realtime.deliver_local(&[user], &event.to_string());
                }
            }
            Backend::Postgres => {
                for (users, event) in self.events {
                    ctx.realtime.publish_value(ctx, &users, event).await;
                }
                for (user, event) in self.notifications {
                    ctx.realtime.publish_value(ctx, &[user], event).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_connections_are_dropped_not_buffered() {
        let hub = Hub::new();
        let (_id, mut rx, first) = hub.register("u", "s1");
        assert!(first);
        let (_id2, _rx2_kept_but_never_read, first) = hub.register("u", "s2");
        assert!(!first);
        for i in 0..QUEUE {
            hub.deliver_local(&["u".into()], &format!("{i}"));
        }
        assert_eq!(hub.connections(), 2);
        // Draining one keeps it; the other is full at the next event and goes.
        for _ in 0..QUEUE {
            rx.try_recv().unwrap();
        }
        hub.deliver_local(&["u".into()], "one more");
        assert_eq!(hub.connections(), 1);
        assert_eq!(rx.try_recv().unwrap(), "one more");
        assert!(hub.is_online("u"));
    }

    #[test]
    fn ending_sessions_closes_exactly_their_sockets() {
        let hub = Hub::new();
        let (_, mut a, _) = hub.register("u", "s1");
        let (_, mut b, _) = hub.register("u", "s2");
        let (_, mut c, _) = hub.register("u", "s3");
        let (_, mut other, _) = hub.register("v", "s1");
        hub.close_local("u", Ended::AllBut("s2"));
        assert_eq!(a.try_recv().unwrap(), CLOSE);
        assert_eq!(c.try_recv().unwrap(), CLOSE);
        assert!(b.try_recv().is_err(), "the kept session's socket stays");
        assert!(other.try_recv().is_err(), "another user's socket stays");
        assert_eq!(hub.connections(), 2);
        hub.close_local("u", Ended::Only("s2"));
        assert_eq!(b.try_recv().unwrap(), CLOSE);
        hub.close_local("v", Ended::All);
        assert_eq!(other.try_recv().unwrap(), CLOSE);
        assert_eq!(hub.connections(), 0);
    }
}
