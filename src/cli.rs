//! The command line: `serve` (default), `migrate`, `admin create`. Every flag can also
//! be set by an environment variable (`mentorhub --help` lists them).

use std::{
    io::Read,
    net::SocketAddr,
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant},
};

use clap::{Args, Parser, Subcommand, ValueEnum, builder::BoolishValueParser};

use crate::{
    app::{App, open_database},
    clock::SystemClock,
    config::Config,
    service::{Ctx, admin},
};

#[derive(Debug, Parser)]
#[command(
    name = "mentorhub",
    version,
    about = "A self-hostable mentorship marketplace"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct Settings {
    /// Address to listen on.
    #[arg(
        long,
        env = "MENTORHUB_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    listen: SocketAddr,
    /// Directory for the SQLite database.
    #[arg(
        long,
        env = "MENTORHUB_DATA_DIR",
        default_value = "mentorhub-data",
        global = true
    )]
    data_dir: PathBuf,
    /// Database URL: `postgres://user@host/db` or `sqlite://path?mode=rwc`. Default: a
    /// SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Public base URL of this site (for links in emails and calendar feeds).
    #[arg(long, env = "MENTORHUB_BASE_URL", global = true)]
    base_url: Option<String>,
    /// Log format.
    #[arg(
        long,
        env = "MENTORHUB_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
    /// Sign-in and sign-up attempts allowed per minute, per client address and per
    /// account (0 disables the limit).
    #[arg(
        long,
        env = "MENTORHUB_AUTH_RATE_LIMIT",
        default_value_t = 10,
        global = true
    )]
    auth_rate_limit: u32,
    /// Take the client address from X-Forwarded-For (only behind a trusted proxy).
    #[arg(long, env = "MENTORHUB_TRUST_FORWARDED_FOR", global = true, value_parser = BoolishValueParser::new())]
    trust_forwarded_for: bool,
    /// Mark cookies Secure (set this when the site is served over https).
    #[arg(long, env = "MENTORHUB_SECURE_COOKIES", global = true, value_parser = BoolishValueParser::new())]
    secure_cookies: bool,
    /// Approve mentor applications at once instead of queueing them for an admin.
    #[arg(long, env = "MENTORHUB_AUTO_APPROVE_MENTORS", global = true, value_parser = BoolishValueParser::new())]
    auto_approve_mentors: bool,
    /// Seconds a mentor search result may be served from cache (0 disables the cache).
    #[arg(
        long,
        env = "MENTORHUB_SEARCH_CACHE_SECS",
        default_value_t = 10,
        global = true
    )]
    search_cache_secs: u64,
    /// PostgreSQL: the most connections the server opens for its queries (at least 1);
    /// its reads by key (tokens, booking contexts) have half as many more.
    #[arg(
        long,
        env = "MENTORHUB_DATABASE_CONNECTIONS",
        default_value_t = crate::store::DEFAULT_CONNECTIONS,
        global = true
    )]
    database_connections: u32,
    /// Seconds a background job stays claimed by its worker without a heartbeat; a
    /// crashed instance's jobs are taken over by another after this (at least 3).
    #[arg(
        long,
        env = "MENTORHUB_JOB_LEASE_SECS",
        default_value_t = 60,
        global = true
    )]
    job_lease_secs: u64,
    /// Meeting link template for accepted sessions; `{room}` (a random room name) and
    /// `{booking_id}` are replaced. Default: a Jitsi Meet room.
    #[arg(long, env = "MENTORHUB_MEETING_URL_TEMPLATE", global = true)]
    meeting_url_template: Option<String>,
    /// A mentee cancelling at least this many hours ahead gets a full refund.
    #[arg(
        long,
        env = "MENTORHUB_CANCEL_NOTICE_HOURS",
        default_value_t = 24,
        global = true
    )]
    cancel_notice_hours: i64,
    /// Percent refunded when a mentee cancels later than that (the rest pays the mentor).
    #[arg(
        long,
        env = "MENTORHUB_LATE_CANCEL_REFUND_PERCENT",
        default_value_t = 50,
        global = true
    )]
    late_cancel_refund_percent: i64,
    /// Percent of each mentor payout kept as platform revenue.
    #[arg(
        long,
        env = "MENTORHUB_PLATFORM_FEE_PERCENT",
        default_value_t = 0,
        global = true
    )]
    platform_fee_percent: i64,
    /// SMTP server for email: smtp://host:port, smtp://user:pass@host?tls=required or
    /// smtps://user:pass@host. Unset: emails are written to the log and kept in the outbox.
    #[arg(
        long,
        env = "MENTORHUB_SMTP_URL",
        global = true,
        hide_env_values = true
    )]
    smtp_url: Option<String>,
    /// Sender address of emails.
    #[arg(
        long,
        env = "MENTORHUB_MAIL_FROM",
        default_value = "mentorhub <no-reply@mentorhub.invalid>",
        global = true
    )]
    mail_from: String,
    /// Where members write to the people who run this site: shown in every page's
    /// footer and to a suspended member at sign-in. Unset: not shown.
    #[arg(long, env = "MENTORHUB_CONTACT_EMAIL", global = true)]
    contact_email: Option<String>,
    /// Stripe secret API key (sk_live_… or sk_test_…). Unset: buying credits is off.
    #[arg(
        long,
        env = "MENTORHUB_STRIPE_SECRET_KEY",
        global = true,
        hide_env_values = true
    )]
    stripe_secret_key: Option<String>,
    /// Stripe API base URL.
    #[arg(
        long,
        env = "MENTORHUB_STRIPE_API_BASE",
        default_value = "https://api.stripe.com",
        global = true
    )]
    stripe_api_base: String,
    /// Stripe webhook signing secrets (whsec_…), comma-separated while rotating.
    #[arg(
        long,
        env = "MENTORHUB_STRIPE_WEBHOOK_SECRET",
        global = true,
        hide_env_values = true
    )]
    stripe_webhook_secret: Option<String>,
    /// Credit packs on sale: id:credits:amount_cents:currency, comma-separated.
    #[arg(
        long,
        env = "MENTORHUB_CREDIT_PACKS",
        default_value = crate::domain::payment::DEFAULT_PACKS,
        global = true
    )]
    credit_packs: String,
    /// Credits every new account starts with (0: none).
    #[arg(
        long,
        env = "MENTORHUB_WELCOME_CREDITS",
        default_value_t = 0,
        global = true
    )]
    welcome_credits: i64,
    /// What one credit is worth, e.g. "1.00 USD", shown wherever credits are spent or
    /// bought (default: the price of the packs on sale, when buying is on).
    #[arg(long, env = "MENTORHUB_CREDIT_VALUE", global = true)]
    credit_value: Option<String>,
    /// Key (32 bytes, base64 or hex) that encrypts the passwords of connected calendars.
    /// Unset: mentors cannot connect CalDAV calendars. Every instance needs the same key.
    #[arg(
        long,
        env = "MENTORHUB_CALENDAR_KEY",
        global = true,
        hide_env_values = true
    )]
    calendar_key: Option<String>,
    /// Seconds between background reads of connected calendars.
    #[arg(
        long,
        env = "MENTORHUB_CALENDAR_SYNC_SECS",
        default_value_t = 900,
        global = true
    )]
    calendar_sync_secs: u64,
    /// A booking placed when a mentor's calendar was last read longer ago than this
    /// (seconds) reads it again first.
    #[arg(
        long,
        env = "MENTORHUB_CALENDAR_FRESH_SECS",
        default_value_t = 120,
        global = true
    )]
    calendar_fresh_secs: u64,
    /// Hours the last good busy times of a failing calendar keep counting.
    #[arg(
        long,
        env = "MENTORHUB_CALENDAR_KEEP_STALE_HOURS",
        default_value_t = 72,
        global = true
    )]
    calendar_keep_stale_hours: u64,
    /// Allow calendar servers on loopback and private addresses.
    #[arg(long, env = "MENTORHUB_CALENDAR_ALLOW_PRIVATE", global = true, value_parser = BoolishValueParser::new())]
    calendar_allow_private: bool,
    /// Lifetime of API access tokens, in seconds.
    #[arg(
        long,
        env = "MENTORHUB_ACCESS_TOKEN_TTL_SECS",
        default_value_t = 900,
        global = true
    )]
    access_token_ttl_secs: u64,
    /// Lifetime of API refresh tokens, in seconds.
    #[arg(long, env = "MENTORHUB_REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600, global = true)]
    refresh_token_ttl_secs: u64,
    /// Lifetime of a web sign-in, in seconds.
    #[arg(long, env = "MENTORHUB_WEB_SESSION_TTL_SECS", default_value_t = 14 * 24 * 3600, global = true)]
    web_session_ttl_secs: u64,
}

impl Settings {
    fn into_config(self) -> anyhow::Result<Config> {
        let defaults = Config::default();
        let credit_packs = crate::domain::payment::parse_packs(&self.credit_packs)
            .map_err(|e| anyhow::anyhow!("MENTORHUB_CREDIT_PACKS: {e}"))?;
        let credit_value = match self.credit_value.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(
                crate::domain::credit::CreditValue::parse(raw)
                    .map_err(|e| anyhow::anyhow!("MENTORHUB_CREDIT_VALUE: {e}"))?,
            ),
        };
        if !(0..=100_000).contains(&self.welcome_credits) {
            anyhow::bail!("MENTORHUB_WELCOME_CREDITS: 0 to 100000 credits");
        }
        // What moves credits is refused out of range rather than silently clamped (a fee
        // of 101 % became 100 %, paying mentors nothing).
        for (name, value, most) in [
            (
                "MENTORHUB_CANCEL_NOTICE_HOURS",
                self.cancel_notice_hours,
                24 * 365,
            ),
            (
                "MENTORHUB_LATE_CANCEL_REFUND_PERCENT",
                self.late_cancel_refund_percent,
                100,
            ),
            (
                "MENTORHUB_PLATFORM_FEE_PERCENT",
                self.platform_fee_percent,
                100,
            ),
        ] {
            if !(0..=most).contains(&value) {
                anyhow::bail!("{name}: 0 to {most} (got {value})");
            }
        }
        if let Some(t) = self.meeting_url_template.as_deref().map(str::trim)
            && !t.is_empty()
            && !(t.starts_with("https://") || t.starts_with("http://"))
        {
            anyhow::bail!("MENTORHUB_MEETING_URL_TEMPLATE: an https:// (or http://) address");
        }
        if let Some(url) = self.smtp_url.as_deref().map(str::trim)
            && !url.is_empty()
        {
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
                .map_err(|e| anyhow::anyhow!("MENTORHUB_SMTP_URL: {e}"))?;
        }
        // Durations and sizes with a floor: refused below it, as the README says,
        // rather than quietly raised.
        for (name, value, least) in [
            (
                "MENTORHUB_DATABASE_CONNECTIONS",
                u64::from(self.database_connections),
                1,
            ),
            ("MENTORHUB_JOB_LEASE_SECS", self.job_lease_secs, 3),
            ("MENTORHUB_CALENDAR_SYNC_SECS", self.calendar_sync_secs, 30),
            (
                "MENTORHUB_ACCESS_TOKEN_TTL_SECS",
                self.access_token_ttl_secs,
                60,
            ),
            (
                "MENTORHUB_REFRESH_TOKEN_TTL_SECS",
                self.refresh_token_ttl_secs,
                300,
            ),
            (
                "MENTORHUB_WEB_SESSION_TTL_SECS",
                self.web_session_ttl_secs,
                300,
            ),
        ] {
            if value < least {
                anyhow::bail!("{name}: at least {least} (got {value})");
            }
        }
        if let Some(url) = self.base_url.as_deref() {
            check_base_url(url).map_err(|e| anyhow::anyhow!("MENTORHUB_BASE_URL: {e}"))?;
        }
        self.mail_from
            .trim()
            .parse::<lettre::message::Mailbox>()
            .map_err(|_| {
                anyhow::anyhow!(
                    "MENTORHUB_MAIL_FROM: an address emails can be sent from, as \
                     `name@example.com` or `Site name <name@example.com>` (got {:?})",
                    self.mail_from
                )
            })?;
        // Credits bought are given by Stripe's webhook: a key without the webhook's
        // secret would take buyers' money and never credit them.
        let stripe_key = self.stripe_secret_key.as_deref().map(str::trim);
        let webhook = self.stripe_webhook_secret.as_deref().map(str::trim);
        if stripe_key.is_some_and(|k| !k.is_empty()) && webhook.is_none_or(|w| w.is_empty()) {
            anyhow::bail!(
                "MENTORHUB_STRIPE_WEBHOOK_SECRET: required with MENTORHUB_STRIPE_SECRET_KEY \
                 (Stripe's webhook, at <base-url>/api/v1/webhooks/stripe, is what credits a \
                 payment; without its signing secret buyers would pay and get nothing)"
            );
        }
        let contact_email = match self.contact_email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(
                crate::domain::user::Email::parse(raw)
                    .map_err(|e| anyhow::anyhow!("MENTORHUB_CONTACT_EMAIL: {}", e.message))?
                    .to_string(),
            ),
        };
        let calendar_key = match self.calendar_key.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(
                crate::domain::secret::parse_key(raw)
                    .map_err(|e| anyhow::anyhow!("MENTORHUB_CALENDAR_KEY: {e}"))?,
            ),
        };
        Ok(Config {
            calendar_key,
            calendar_sync_interval: Duration::from_secs(self.calendar_sync_secs),
            calendar_fresh_for: Duration::from_secs(self.calendar_fresh_secs),
            calendar_keep_stale: Duration::from_secs(self.calendar_keep_stale_hours * 3600),
            calendar_allow_private: self.calendar_allow_private,
            stripe_secret_key: self.stripe_secret_key.filter(|k| !k.trim().is_empty()),
            stripe_api_base: self.stripe_api_base.trim_end_matches('/').to_string(),
            stripe_webhook_secrets: self
                .stripe_webhook_secret
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            credit_packs,
            welcome_credits: self.welcome_credits,
            credit_value,
            base_url: self
                .base_url
                .unwrap_or_else(|| format!("http://{}", self.listen))
                .trim_end_matches('/')
                .to_string(),
            listen: self.listen,
            data_dir: self.data_dir,
            database_url: self.database_url.filter(|u| !u.trim().is_empty()),
            database_connections: self.database_connections,
            log_json: self.log_format == LogFormat::Json,
            auth_rate_limit_per_minute: self.auth_rate_limit,
            trust_forwarded_for: self.trust_forwarded_for,
            secure_cookies: self.secure_cookies,
            auto_approve_mentors: self.auto_approve_mentors,
            search_cache_ttl: Duration::from_secs(self.search_cache_secs),
            job_lease: Duration::from_secs(self.job_lease_secs),
            meeting_url_template: self
                .meeting_url_template
                .filter(|t| !t.trim().is_empty())
                .unwrap_or(defaults.meeting_url_template.clone()),
            smtp_url: self.smtp_url.filter(|u| !u.trim().is_empty()),
            mail_from: self.mail_from.trim().to_string(),
            contact_email,
            policy: crate::domain::booking::Policy {
                full_refund_notice_hours: self.cancel_notice_hours,
                late_refund_percent: self.late_cancel_refund_percent,
                platform_fee_percent: self.platform_fee_percent,
            },
            access_token_ttl: Duration::from_secs(self.access_token_ttl_secs),
            refresh_token_ttl: Duration::from_secs(self.refresh_token_ttl_secs),
            web_session_ttl: Duration::from_secs(self.web_session_ttl_secs),
            ..defaults
        })
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the site (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Fill an empty database with a believable demo marketplace.
    Demo {
        /// How many approved mentors to create (at least 40 make the site feel alive).
        #[arg(long, default_value_t = 48)]
        mentors: usize,
        /// How many mentees (default: a quarter as many as mentors, at least 20).
        #[arg(long)]
        mentees: Option<usize>,
    },
    /// Credits ledger tasks.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Check every ledger invariant on the live database; exit 1 on any breach.
    Verify,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an admin account (or make an existing account an admin and set its password).
    Create {
        #[arg(long)]
        email: String,
        /// The password (visible in the process list; prefer --password-stdin).
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// The site's public address: `http://` or `https://`, a host, no query or fragment
/// (links in emails and feeds are made by appending paths to it).
fn check_base_url(raw: &str) -> Result<(), String> {
    let url = raw.trim();
    let rest = (url.strip_prefix("https://"))
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("an http:// or https:// address, as https://mentors.example.com (got {raw:?})")
        })?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || rest.contains(['?', '#']) || rest.contains(char::is_whitespace) {
        return Err(format!(
            "an address with a host and no query, as https://mentors.example.com (got {raw:?})"
        ));
    }
    Ok(())
}

fn init_logging(json: bool) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

/// The process entry point.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.settings.into_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let log_json = config.log_json;
    init_logging(log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => {
                // What `open_database` applies is also logged; this says it plainly.
                let db = crate::app::open_database_unmigrated(&config).await?;
                let applied = db.migrate().await?;
                if applied.is_empty() {
                    println!("database is up to date: no migration to apply");
                } else {
                    for name in &applied {
                        println!("applied {name}");
                    }
                    println!("database is up to date ({} applied)", applied.len());
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Admin { command } => admin_command(config, command).await,
            Command::Demo { mentors, mentees } => demo(config, mentors, mentees).await,
            Command::Ledger { command: LedgerCommand::Verify } => {
                let db = crate::app::open_existing_database(&config).await?;
                let breaches = crate::store::ledger::verify(&db.pool).await?;
                if breaches.is_empty() {
                    println!("ledger ok: every transfer balances, no wallet is negative, balances sum to zero, escrow matches live bookings");
                    Ok(ExitCode::SUCCESS)
                } else {
                    for b in &breaches {
                        eprintln!("ledger breach: {b}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            // Said once: as a log line where logs are read by machines, else as text.
            let said = error_text(&e);
            if log_json {
                tracing::error!(error = said, "fatal");
            } else {
                eprintln!("error: {said}");
            }
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes, each said once: a cause whose words its error already
/// quotes (sqlx's database errors repeat their source's) is left out.
fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if out.contains(&part) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&part);
    }
    out
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    tracing::info!(?config, "starting mentorhub");
    let listen = config.listen;
    let app = App::build(config, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    // The address really bound (a port of 0 becomes the one the system chose).
    let listen = listener.local_addr().unwrap_or(listen);
    tracing::info!(
        address = %listen,
        backend = app.state.backend_name(),
        startup_ms = started.elapsed().as_millis() as u64,
        "mentorhub is ready at http://{listen}"
    );
    app.serve(listener, shutdown_signal()).await?;
    tracing::info!("stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}

async fn demo(config: Config, mentors: usize, mentees: Option<usize>) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let db = open_database(&config).await?;
    let ctx = Ctx::new(db, Arc::new(SystemClock), config);
    let mentees = mentees.unwrap_or((mentors / 4).max(20));
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr()) || mentors >= 1000;
    match crate::service::demo::fill(&ctx, mentors, mentees, show).await {
        Ok(r) => {
            println!(
                "demo data ready in {:.1}s: {} mentors, {} mentees, {} mentorships, {} articles, \
                 {} sessions and {} group sessions coming up.\n\
                 Every demo account's password is `{}`: sign in as {} (admin), \
                 mentor1@demo.example.com or mentee1@demo.example.com.",
                started.elapsed().as_secs_f64(),
                r.mentors,
                r.mentees,
                r.mentorships,
                r.articles,
                r.upcoming,
                r.group_sessions,
                crate::service::demo::DEMO_PASSWORD,
                r.admin_email
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::error::AppError::Conflict { detail, .. }) => {
            eprintln!("error: {detail}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

async fn admin_command(config: Config, command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::Create {
            email,
            password,
            password_stdin,
        } => {
            let password = match (password, password_stdin) {
                (Some(p), false) => p,
                (None, true) => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s.trim_end_matches(['\r', '\n']).to_string()
                }
                _ => anyhow::bail!("give the password with --password-stdin (or --password)"),
            };
            // Said with the account: a mistyped data directory makes a new database.
            let place = crate::config::redact_url(&config.effective_database_url());
            let db = open_database(&config).await?;
            let ctx = Ctx::new(db, Arc::new(SystemClock), config);
            match admin::create_admin(&ctx, &email, &password).await {
                Ok((user, outcome)) => {
                    let what = match outcome {
                        admin::AdminCreated::Created => "created admin",
                        admin::AdminCreated::Promoted => "made existing account an admin",
                    };
                    println!("{what}: {} ({}) in {place}", user.email, user.id);
                    Ok(ExitCode::SUCCESS)
                }
                Err(crate::error::AppError::Invalid(errors)) => {
                    for e in errors {
                        eprintln!("error: {}: {}", e.field, e.message);
                    }
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(anyhow::anyhow!("{e}")),
            }
        }
    }
}
