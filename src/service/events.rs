//! Live events to connected clients (WebSocket): new messages, edits, read receipts,
//! typing, notification counts, booking changes.
//!
//! Each connection has a bounded queue; a client too slow to drain it is disconnected
//! rather than letting memory grow. On SQLite (one instance) events go straight to the
//! local connections. On PostgreSQL every event is published with `pg_notify` and each
//! instance's listener (see `app::listen_events`) delivers it to its own connections,
//! so a message posted on instance A reaches a socket on instance B.

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

type Conns = HashMap<String, Vec<(u64, mpsc::Sender<String>)>>;

#[derive(Debug, Default)]
pub struct Hub {
    conns: Mutex<Conns>,
    next: AtomicU64,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new connection of `user_id`: its id and the queue to drain.
    pub fn register(&self, user_id: &str) -> (u64, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(user_id.to_string())
            .or_default()
            .push((id, tx));
        (id, rx)
    }

    pub fn unregister(&self, user_id: &str, conn: u64) {
        let mut map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = map.get_mut(user_id) {
            list.retain(|(id, _)| *id != conn);
            if list.is_empty() {
                map.remove(user_id);
            }
        }
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
                list.retain(|(_, tx)| tx.try_send(event.to_string()).is_ok());
                if list.is_empty() {
                    map.remove(u);
                }
            }
        }
    }

    /// Publishes an event to `users` on every instance. Best effort: a client that
    /// misses an event catches up from the API.
    pub async fn publish(&self, ctx: &Ctx, users: &[String], event: Value) {
        if users.is_empty() {
            return;
        }
        let text = event.to_string();
        match ctx.db.backend {
            Backend::Sqlite => self.deliver_local(users, &text),
            Backend::Postgres => {
                let mut payload = json!({"users": users, "event": event}).to_string();
                if payload.len() > MAX_PAYLOAD {
                    // Too big for NOTIFY: tell clients to refetch instead.
                    let kind = event["type"].clone();
                    payload = json!({"users": users, "event": {"type": "refresh", "of": kind}})
                        .to_string();
                }
                if let Err(e) =
                    crate::store::notify_instances(&ctx.db.pool, CHANNEL, &payload).await
                {
                    tracing::warn!(error = %e, "publishing a live event failed");
                }
            }
        }
    }

    /// Publishes from inside a transaction: on Postgres the NOTIFY is delivered only if
    /// the transaction commits; on SQLite (one instance) the event goes out at once.
    pub async fn publish_in(
        &self,
        tx: &mut crate::store::Tx,
        backend: Backend,
        users: &[String],
        event: Value,
    ) {
        match backend {
            Backend::Sqlite => self.deliver_local(users, &event.to_string()),
            Backend::Postgres => {
                let payload = json!({"users": users, "event": event}).to_string();
                if payload.len() <= MAX_PAYLOAD
                    && let Err(e) = crate::store::notify_in(tx, CHANNEL, &payload).await
                {
                    tracing::warn!(error = %e, "queueing a live event failed");
                }
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
                    json!({"type": "notification", "unread_count": n}),
                )
                .await
            }
            Err(e) => tracing::warn!(error = %e, "counting notifications failed"),
        }
    }

    /// Delivers a payload received from another instance: `{users, event}`, or
    /// `{batch: [{users, event}, …]}` for the events of one transaction.
    pub fn deliver_notification(&self, payload: &str) {
        let Ok(v) = serde_json::from_str::<Value>(payload) else {
            return;
        };
        let one = |v: &Value| {
            let users: Vec<String> = v["users"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|u| u.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            self.deliver_local(&users, &v["event"].to_string());
        };
        match v["batch"].as_array() {
            Some(batch) => batch.iter().for_each(one),
            None => one(&v),
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
    pub fn push(&mut self, users: Vec<String>, event: Value) {
        if !users.is_empty() {
            self.events.push((users, event));
        }
    }

    /// A new notification for `user`; `unread_count` is added when published.
    pub fn notification(&mut self, user: &str, event: Value) {
        self.notifications.push((user.to_string(), event));
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.notifications.is_empty()
    }

    /// Publishes everything (after the commit). On PostgreSQL the events of one write
    /// go out as one `NOTIFY` when they fit in one payload.
    pub async fn publish(self, ctx: &Ctx) {
        let mut all = self.events;
        for (user, mut event) in self.notifications {
            // One instance on SQLite: with no socket here, no one would get it.
            if ctx.db.backend == Backend::Sqlite && !ctx.realtime.is_online(&user) {
                continue;
            }
            match crate::store::notify::unread_count(&ctx.db.pool, &user).await {
                Ok(n) => event["unread_count"] = json!(n),
                Err(e) => tracing::warn!(error = %e, "counting notifications failed"),
            }
            all.push((vec![user], event));
        }
        if all.is_empty() {
            return;
        }
        match ctx.db.backend {
            Backend::Sqlite => {
                for (users, event) in &all {
                    ctx.realtime.deliver_local(users, &event.to_string());
                }
            }
            Backend::Postgres => {
                let batch: Vec<Value> = all
                    .iter()
                    .map(|(users, event)| json!({"users": users, "event": event}))
                    .collect();
                let payload = json!({ "batch": batch }).to_string();
                if payload.len() <= MAX_PAYLOAD {
                    if let Err(e) =
                        crate::store::notify_instances(&ctx.db.pool, CHANNEL, &payload).await
                    {
                        tracing::warn!(error = %e, "publishing live events failed");
                    }
                } else {
                    for (users, event) in all {
                        ctx.realtime.publish(ctx, &users, event).await;
                    }
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
        let (_id, mut rx) = hub.register("u");
        let (_id2, _rx2_kept_but_never_read) = hub.register("u");
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
}
