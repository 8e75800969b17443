//! Realtime: the live sockets and how events travel between instances.
//!
//! The pieces, by room:
//! - `service::events` is the interface services publish through and own: the
//!   socket protocol ([`Event`](crate::service::events::Event)), the in-process hub
//!   of this instance's sockets, publishing after commit ([`Live`]), presence, and
//!   ending a session's sockets;
//! - [`socket`] is one socket's life after the HTTP upgrade (`http::api::ws`);
//! - [`listen`] and [`renew_presence`] are this instance's link to the others on
//!   PostgreSQL: `LISTEN` for the events every instance publishes (`NOTIFY`), and the
//!   heartbeat of its presence rows. On SQLite (one instance) neither runs.
//!
//! It sits beside `http` and `jobs`, above `service`
//! (`domain ← store ← service ← http | realtime | jobs`).
//!
//! [`Live`]: crate::service::events::Live

pub mod socket;

use crate::service::{Ctx, events};

/// On PostgreSQL: receives the live events every instance publishes and hands them to
/// this instance's sockets. Reconnects after a lost connection.
pub async fn listen(ctx: Ctx) {
    let url = crate::store::postgres_url(&ctx.config.effective_database_url());
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut l) => {
                if let Err(e) = l.listen(events::CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed; retrying");
                } else {
                    loop {
                        match l.recv().await {
                            Ok(n) => events::deliver_received(&ctx, n.payload()).await,
                            Err(e) => {
                                tracing::warn!(error = %e, "event listener lost its connection; reconnecting");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "event listener cannot connect; retrying"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// On PostgreSQL: keeps this instance's presence rows fresh.
pub async fn renew_presence(ctx: Ctx) {
    let mut tick = tokio::time::interval(events::PRESENCE_RENEW);
    loop {
        tick.tick().await;
        events::renew_presence(&ctx).await;
    }
}
