//! Use cases. Every write goes through here, whether it comes from the JSON API, a web
//! form, a socket or a job, so the rules are enforced once.

pub mod accounts;
pub mod admin;
pub mod articles;
pub mod auth;
pub mod availability;
pub mod booking_writer;
pub mod bookings;
pub mod cache;
pub mod calendar;
pub mod calendars;
pub mod credit_requests;
pub mod credits;
pub mod dashboard;
pub mod demo;
pub mod disputes;
pub mod events;
pub mod forms;
pub mod groups;
pub mod jobs;
pub mod mentees;
pub mod mentors;
pub mod mentorships;
pub mod messages;
pub mod notify;
pub mod payments;
pub mod programs;
pub mod queue;
pub mod reports;
pub mod reviews;
pub mod wind_down;

use std::sync::Arc;

use crate::{clock::Clock, config::Config, store::Db};

/// A new meeting room's link for a booking or a group session `id`: the configured
/// template with a random room name (`{room}`) and the id (`{booking_id}`).
pub(crate) fn new_meeting_link(ctx: &Ctx, id: &str) -> String {
    let mut bytes = [0u8; 10];
    // A predictable room name would let strangers join: stop rather than guess.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let room = hex::encode(bytes);
    ctx.config
        .meeting_url_template
        .replace("{room}", &room)
        .replace("{booking_id}", id)
}

/// Which database engine serves (for health answers and metrics).
pub use crate::store::Backend;

/// What every use case needs: the database, the clock, the settings, and the
/// discovery cache.
#[derive(Clone)]
pub struct Ctx {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub discovery: Arc<cache::DiscoveryCache>,
    /// Live events to connected clients.
    pub realtime: Arc<events::Hub>,
    /// The installation's salt for anonymous article-view keys, once read.
    pub view_salt: Arc<std::sync::OnceLock<String>>,
    /// HTTPS client for the payment provider's API.
    pub http: reqwest::Client,
    /// HTTP client for calendar servers: redirects are followed by hand, each checked.
    pub dav_http: reqwest::Client,
    /// The admins' platform figures, briefly kept per time zone.
    pub admin_stats: Arc<cache::AdminStatsCache>,
    /// Mentors whose cached next free slot is being recomputed in the background.
    pub next_free: Arc<availability::NextFreeQueue>,
    /// The group commit of booking requests.
    pub booking_writer: Arc<booking_writer::BookingWriter>,
    /// How PostgreSQL's booking writer grouped requests (counters for `/metrics`).
    pub booking_groups: Arc<booking_writer::GroupStats>,
}

impl Ctx {
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: Config) -> Self {
        Ctx {
            discovery: Arc::new(cache::DiscoveryCache::new(config.search_cache_ttl, 4096)),
            realtime: Arc::new(events::Hub::new()),
            view_salt: Arc::default(),
            http: http_client(),
            dav_http: dav_client(),
            admin_stats: Arc::new(cache::AdminStatsCache::new(dashboard::ADMIN_STATS_TTL, 64)),
            next_free: Arc::default(),
            booking_writer: Arc::default(),
            booking_groups: Arc::default(),
            db,
            clock,
            config: Arc::new(config),
        }
    }

    /// Now, by the application's clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}

/// The outgoing HTTPS client: rustls on the ring provider (the one lettre uses too),
/// system root certificates, short timeouts.
fn http_client() -> reqwest::Client {
    // Installing twice (several apps in one test process) is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("mentorhub/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "building the HTTPS client; using the defaults");
            reqwest::Client::new()
        })
}

/// The client for calendar servers: like [`http_client`], without following redirects
/// (the CalDAV client checks each address first).
fn dav_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("mentorhub/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "building the calendar client; using the defaults");
            reqwest::Client::new()
        })
}

/// Whether this instance can serve: the database answers a read and takes a write,
/// both within 900 ms — in time for an orchestrator's probe (Kubernetes waits one
/// second by default). A database out of reach would otherwise hold the answer for
/// as long as the pool keeps trying to connect. `Err` says why not.
pub async fn readiness(ctx: &Ctx) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + READINESS_WITHIN;
    let within = READINESS_WITHIN.as_millis();
    match tokio::time::timeout_at(deadline, ctx.db.ping()).await {
        Err(_) => return Err(format!("the database did not answer within {within} ms")),
        Ok(Err(e)) => return Err(format!("the database does not answer: {e}")),
        Ok(Ok(())) => {}
    }
    match tokio::time::timeout_at(deadline, ctx.db.probe_write(ctx.now())).await {
        Err(_) => Err(format!(
            "the database did not take a write within {within} ms"
        )),
        Ok(Err(e)) => Err(format!("the database cannot take a write: {e}")),
        Ok(Ok(())) => Ok(()),
    }
}

/// How long readiness waits for the database in all.
const READINESS_WITHIN: std::time::Duration = std::time::Duration::from_millis(900);

/// Where a request came from; recorded on sessions.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
    /// Whether the browser's language writes times on a 12-hour clock (learned as the
    /// person's clock at their first sign-in on the web, unless they chose one).
    pub hour12: bool,
}

/// Microseconds in a `std::time::Duration`, saturating.
pub fn micros(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
