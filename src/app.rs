//! `App::build(config)`: the database, the router and its state, the background
//! workers. Used by `main` and by the integration tests alike, so the tests exercise the
//! real thing.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    clock::Clock,
    config::Config,
    http::{self, AppState},
    metrics::Metrics,
    ratelimit::RateLimiter,
    service::Ctx,
    store::Db,
};

/// A built application, ready to serve.
pub struct App {
    pub router: Router,
    pub state: AppState,
}

impl App {
    /// Connects to (and migrates) the database and assembles the router.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
        let db = open_database(&config).await?;
        Ok(Self::with_db(config, clock, db))
    }

    /// Assembles the application over an already migrated database.
    pub fn with_db(config: Config, clock: Arc<dyn Clock>, db: Db) -> App {
        let limiter = Arc::new(RateLimiter::new(config.auth_rate_limit_per_minute));
        let state = AppState {
            limiter,
            ctx: Ctx::new(db, clock, config),
            metrics: Arc::new(Metrics::new()),
        };
        let (api, openapi) = http::api::router().split_for_parts();
        let openapi = http::api::finish_document(openapi);
        let api = api.merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi));
        App {
            router: http::router(state.clone(), api),
            state,
        }
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests
    /// finish and returns.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let background = self.state.ctx.config.background_workers;
        let worker = background.then(|| tokio::spawn(maintenance(self.state.clone())));
        let jobs = background.then(|| tokio::spawn(job_worker(self.state.clone())));
        let events = (self.state.ctx.db.backend == crate::store::Backend::Postgres)
            .then(|| tokio::spawn(crate::realtime::listen(self.state.ctx.clone())));
        let presence = (self.state.ctx.db.backend == crate::store::Backend::Postgres)
            .then(|| tokio::spawn(crate::realtime::renew_presence(self.state.ctx.clone())));
        let checkpoints = (self.state.ctx.db.backend == crate::store::Backend::Sqlite)
            .then(|| tokio::spawn(checkpointer(self.state.ctx.db.clone())));
        let statistics = (background
            && self.state.ctx.db.backend == crate::store::Backend::Postgres)
            .then(|| tokio::spawn(statistics(self.state.ctx.db.clone())));
        let config = &self.state.ctx.config;
        let limits = http::serve::Limits {
            header_read: config.header_read_timeout,
            write_stall: config.write_stall_timeout,
            shutdown_grace: config.request_timeout,
        };
        let served = http::serve::serve_connections(listener, self.router, limits, shutdown).await;
        // Live sockets outlive their HTTP connections: they are told the server is
        // going away (and reconnect elsewhere or later) rather than cut off.
        self.state
            .ctx
            .realtime
            .going_away(std::time::Duration::from_secs(1))
            .await;
        // Each maintenance pass is one transaction, so stopping between or inside
        // passes loses nothing: the next start picks the work up again.
        for task in [worker, jobs].into_iter().flatten() {
            task.abort();
        }
        for task in [events, presence, checkpoints, statistics]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
        crate::service::events::leave_presence(&self.state.ctx).await;
        served
    }
}

/// How often SQLite's write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Copies what the write-ahead log holds back into the database file, beside the
/// writers rather than inside their commits (see [`crate::store::Db::checkpoint`]).
async fn checkpointer(db: crate::store::Db) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = db.checkpoint().await {
            tracing::warn!(error = %e, "copying the write-ahead log into the database failed; will retry");
        }
    }
}

/// How often PostgreSQL's tables are checked for missing planner statistics.
const STATISTICS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Gathers the planner's statistics for tables that filled up without any (see
/// [`crate::store::Db::refresh_statistics`]). On its own short tick rather than in the
/// 30 s maintenance pass: until a table's first statistics, a statement planned on it
/// while it was empty may read a whole index range per call, and on a busy new
/// installation a table passes the threshold within seconds. The check is one read
/// of PostgreSQL's activity counters.
async fn statistics(db: crate::store::Db) {
    let mut tick = tokio::time::interval(STATISTICS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match db.refresh_statistics().await {
            Ok(tables) if !tables.is_empty() => {
                tracing::info!(?tables, "gathered the planner's statistics")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "gathering the planner's statistics failed"),
        }
    }
}

/// How often time-driven work (expiring unanswered requests) runs.
const MAINTENANCE_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Time-driven work, run periodically by every instance. Each pass is idempotent
/// (conditional updates), so several instances may run it at once.
async fn maintenance(state: AppState) {
    let mut tick = tokio::time::interval(MAINTENANCE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        run_maintenance(&state.ctx).await;
    }
}

/// Runs due jobs every second, then expires the booking requests whose time is up
/// (a pending booking carries its `expires_at`: a range of an index finds the due
/// ones, so no job per booking is written). Each job is claimed with a lease in its
/// own transaction, so stopping here (or crashing) loses nothing: an unfinished job is
/// claimed again when its lease runs out.
async fn job_worker(state: AppState) {
    let worker = format!("worker-{}", crate::domain::ids::new_id());
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = crate::jobs::run_ready(&state.ctx, &worker).await {
            tracing::warn!(error = %e, "running jobs failed; will retry");
        }
        if let Err(e) = crate::service::bookings::expire_due(&state.ctx).await {
            tracing::warn!(error = %e, "expiring booking requests failed; will retry");
        }
    }
}

/// One pass of time-driven work (due jobs, then the safety-net sweeps); tests call it
/// after moving the clock.
pub async fn run_maintenance(ctx: &crate::service::Ctx) {
    use crate::{
        jobs,
        service::{articles, availability, bookings, calendars, groups, mentorships, programs},
    };
    // Calendar reads due are queued first, so this pass runs them.
    if let Err(e) = calendars::maintain(ctx).await {
        tracing::warn!(error = %e, "queueing calendar reads failed; will retry");
    }
    if let Err(e) = jobs::run_due(ctx, "maintenance").await {
        tracing::warn!(error = %e, "running jobs failed; will retry");
    }
    if let Err(e) = mentorships::expire_due(ctx).await {
        tracing::warn!(error = %e, "expiring mentorship requests failed; will retry");
    }
    if let Err(e) = bookings::expire_due(ctx).await {
        tracing::warn!(error = %e, "expiring booking requests failed; will retry");
    }
    if let Err(e) = bookings::finish_due(ctx).await {
        tracing::warn!(error = %e, "completing past bookings failed; will retry");
    }
    if let Err(e) = availability::refresh_stale(ctx, 200).await {
        tracing::warn!(error = %e, "refreshing next free slots failed; will retry");
    }
    if let Err(e) = crate::service::wind_down::finish_interrupted(ctx).await {
        tracing::warn!(error = %e, "finishing interrupted suspensions failed; will retry");
    }
    if let Err(e) = groups::decide_due(ctx).await {
        tracing::warn!(error = %e, "checking group sessions' minimum attendance failed; will retry");
    }
    if let Err(e) = groups::give_rooms(ctx).await {
        tracing::warn!(error = %e, "giving group sessions their meeting rooms failed; will retry");
    }
    if let Err(e) = groups::fill_search_docs(ctx).await {
        tracing::warn!(error = %e, "writing group sessions' search text failed; will retry");
    }
    if let Err(e) = groups::finish_due(ctx).await {
        tracing::warn!(error = %e, "closing past group sessions failed; will retry");
    }
    if let Err(e) = programs::nudges::send_due(ctx).await {
        tracing::warn!(error = %e, "sending program nudges failed; will retry");
    }
    if let Err(e) = articles::refresh_rendering(ctx, 100).await {
        tracing::warn!(error = %e, "rendering stored articles again failed; will retry");
    }
    if let Err(e) = crate::service::forms::prune(ctx).await {
        tracing::warn!(error = %e, "forgetting old form sendings failed; will retry");
    }
}

/// The database for a command that checks what is there (`ledger verify`): an error,
/// rather than a new empty database that passes every check, when the address given
/// (a mistyped data directory, an empty PostgreSQL database) holds none.
pub async fn open_existing_database(config: &Config) -> anyhow::Result<Db> {
    let url = config.effective_database_url();
    let shown = crate::config::redact_url(&url);
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or_default();
        if !path.contains(":memory:") && !std::path::Path::new(path).exists() {
            anyhow::bail!(
                "there is no mentorhub database at {path} (check --data-dir or --database-url)"
            );
        }
    }
    let db = Db::connect_with(&url, config.database_connections).await?;
    if !db.has_schema().await {
        anyhow::bail!("{shown} holds no mentorhub database (check --data-dir or --database-url)");
    }
    migrate_logged(&db).await?;
    Ok(db)
}

/// Applies what migrations are missing and logs each one applied.
async fn migrate_logged(db: &Db) -> anyhow::Result<()> {
    for name in db.migrate().await? {
        tracing::info!(migration = %name, "migration applied");
    }
    Ok(())
}

/// Opens the configured database (creating the data directory for SQLite) and applies
/// the migrations it lacks.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let db = open_database_unmigrated(config).await?;
    migrate_logged(&db).await?;
    Ok(db)
}

/// The configured database, created if it is SQLite's and missing, without migrating
/// it (`migrate` applies and reports the migrations itself).
pub async fn open_database_unmigrated(config: &Config) -> anyhow::Result<Db> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
    }
    let db = Db::connect_with(
        &config.effective_database_url(),
        config.database_connections,
    )
    .await?;
    Ok(db)
}
