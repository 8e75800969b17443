//! Typed settings, read from flags and environment variables by `cli`, passed by value
//! into [`crate::app::App::build`]. Never a global. Secrets are redacted in `Debug`.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

/// Everything the server needs to run. `Config::default()` is what a bare `serve` uses.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory for the SQLite database (and other local state).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None` means a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// PostgreSQL: the most connections the server opens for its queries (at least 1);
    /// its reads by key (tokens, booking contexts) have half as many more.
    pub database_connections: u32,
    /// Public base URL, used in links (calendar feeds, emails).
    pub base_url: String,
    /// Log as JSON lines instead of human-readable text.
    pub log_json: bool,
    /// Attempts per minute allowed on login/register, per IP and per account. 0 disables.
    pub auth_rate_limit_per_minute: u32,
    /// Trust `X-Forwarded-For` for the client address (only behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// Lifetime of an API access token.
    pub access_token_ttl: Duration,
    /// Lifetime of an API refresh token (and so of an API session without activity).
    pub refresh_token_ttl: Duration,
    /// Lifetime of a web session cookie.
    pub web_session_ttl: Duration,
    /// Mark cookies `Secure` (set when served over https).
    pub secure_cookies: bool,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers (from its connection,
    /// or from the end of its previous request) before the connection is closed: a
    /// client trickling bytes cannot hold a connection forever.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body once its headers arrived:
    /// one that falls silent is answered 408 and disconnected.
    pub body_read_timeout: Duration,
    /// How long a write to a client may make no progress (the client stopped reading
    /// what it is sent) before the connection is closed.
    pub write_stall_timeout: Duration,
    /// Approve mentor applications at once instead of queueing them for an admin.
    pub auto_approve_mentors: bool,
    /// How long a discovery result may be served from cache (zero: no cache).
    pub search_cache_ttl: Duration,
    /// Meeting link for an accepted booking: `{room}` and `{booking_id}` are replaced.
    /// Default: a Jitsi Meet room (no account or key needed).
    pub meeting_url_template: String,
    /// Cancellation refunds and the platform fee.
    pub policy: crate::domain::booking::Policy,
    /// A booking request not answered within this many hours expires (or at its start).
    pub pending_expiry_hours: i64,
    /// A review service is due this many hours after it is requested.
    pub review_due_hours: i64,
    /// An accepted session completes automatically this long after its end (time in
    /// which either side can still report a no-show).
    pub completion_grace_minutes: i64,
    /// SMTP server for email (`smtp://host:port`, `smtp://…?tls=required`,
    /// `smtps://user:pass@host`); `None`: emails are logged and kept in the outbox.
    pub smtp_url: Option<String>,
    /// The sender of every email.
    pub mail_from: String,
    /// Where members write to the people who run the site (every page's footer, and
    /// what a suspended member is told at sign-in); `None`: not shown.
    pub contact_email: Option<String>,
    /// Run the job worker, the maintenance loop and (on PostgreSQL) the statistics
    /// loop in this process (tests that drive time-driven work themselves switch them
    /// off).
    pub background_workers: bool,
    /// PostgreSQL: while fewer than this many booking requests are being written, a
    /// request is written at once in its own transaction instead of queueing to be
    /// written in a group ([`crate::service::booking_writer`]). Tests of the grouping
    /// set it to 0.
    pub booking_direct_writes: usize,
    /// How long a claimed job is its worker's without a heartbeat (renewed every third
    /// of it while the job runs).
    pub job_lease: Duration,
    /// The longest one email may take to hand to the SMTP server, greeting included
    /// (a server that accepts connections and then says nothing must not hold the job
    /// worker: the email is retried later).
    pub smtp_timeout: Duration,
    /// Stripe secret API key; `None`: buying credits is switched off.
    pub stripe_secret_key: Option<String>,
    /// Stripe's API base URL (tests point it at a local stand-in).
    pub stripe_api_base: String,
    /// Webhook signing secrets (more than one while rotating).
    pub stripe_webhook_secrets: Vec<String>,
    /// The credit packs on sale.
    pub credit_packs: Vec<crate::domain::payment::CreditPack>,
    /// Credits every new account starts with (0: none).
    pub welcome_credits: i64,
    /// What one credit is worth in money, shown wherever credits are spent or bought;
    /// `None`: the packs' price when buying is on, else not stated in money.
    pub credit_value: Option<crate::domain::credit::CreditValue>,
    /// The 32-byte key that encrypts connected calendars' passwords
    /// (`MENTORHUB_CALENDAR_KEY`, base64 or hex); `None`: connecting calendars is off.
    pub calendar_key: Option<[u8; 32]>,
    /// How often connected calendars are read again in the background.
    pub calendar_sync_interval: Duration,
    /// How old a calendar's busy times may be when a booking is placed before they are
    /// read again first.
    pub calendar_fresh_for: Duration,
    /// How long the last good busy times of a failing calendar still count.
    pub calendar_keep_stale: Duration,
    /// Let calendar servers live on loopback or private addresses (a home server, a
    /// company intranet, tests); off by default so users cannot make the server call
    /// into its own network.
    pub calendar_allow_private: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("mentorhub-data"),
            database_url: None,
            database_connections: crate::store::DEFAULT_CONNECTIONS,
            base_url: "http://127.0.0.1:8080".into(),
            log_json: false,
            auth_rate_limit_per_minute: 10,
            trust_forwarded_for: false,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            web_session_ttl: Duration::from_secs(14 * 24 * 3600),
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            write_stall_timeout: Duration::from_secs(30),
            auto_approve_mentors: false,
            search_cache_ttl: Duration::from_secs(10),
            meeting_url_template: "https://meet.jit.si/mentorhub-{room}".into(),
            policy: crate::domain::booking::Policy::default(),
            pending_expiry_hours: 48,
            review_due_hours: 72,
            completion_grace_minutes: 60,
            smtp_url: None,
            mail_from: "mentorhub <no-reply@mentorhub.invalid>".into(),
            contact_email: None,
            background_workers: true,
            booking_direct_writes: 4,
            job_lease: Duration::from_secs(60),
            smtp_timeout: Duration::from_secs(20),
            stripe_secret_key: None,
            stripe_api_base: "https://api.stripe.com".into(),
            stripe_webhook_secrets: vec![],
            credit_packs: crate::domain::payment::parse_packs(
                crate::domain::payment::DEFAULT_PACKS,
            )
            .unwrap_or_default(),
            welcome_credits: 0,
            credit_value: None,
            calendar_key: None,
            calendar_sync_interval: Duration::from_secs(15 * 60),
            calendar_fresh_for: Duration::from_secs(120),
            calendar_keep_stale: Duration::from_secs(72 * 3600),
            calendar_allow_private: false,
        }
    }
}

impl Config {
    /// What this configuration leaves off that a site people use needs, in the words
    /// of the admin console's overview (empty: nothing).
    pub fn setup_gaps(&self) -> Vec<String> {
        let mut gaps = vec![];
        if self.smtp_url.is_none() {
            gaps.push(
                "No email is sent: emails, password reset links included, are only written \
                 to the server's log. Set MENTORHUB_SMTP_URL and MENTORHUB_MAIL_FROM."
                    .to_string(),
            );
        }
        if self.welcome_credits == 0 && self.stripe_secret_key.is_none() {
            gaps.push(
                "Members start with no credits and cannot buy any, so they cannot book until \
                 an admin grants some (a member's page, or their requests for credits). Set \
                 MENTORHUB_WELCOME_CREDITS, or Stripe's key and webhook secret."
                    .to_string(),
            );
        }
        if self.contact_email.is_none() {
            gaps.push(
                "No contact address: pages show none, and a suspended member is only told to \
                 contact the administrators. Set MENTORHUB_CONTACT_EMAIL."
                    .to_string(),
            );
        }
        let authority = (self.base_url.split("://").nth(1).unwrap_or(""))
            .split('/')
            .next()
            .unwrap_or("");
        let host = match authority.rsplit_once(':') {
            // A port after the host (not inside "[::1]").
            Some((h, port)) if !port.contains(']') => h,
            _ => authority,
        };
        let local =
            host == "localhost" || host == "[::1]" || host == "0.0.0.0" || host.starts_with("127.");
        if local {
            gaps.push(format!(
                "Links in emails and calendar feeds lead to {}, which only this machine \
                 reaches. Set MENTORHUB_BASE_URL to the site's public address.",
                self.base_url
            ));
        }
        if self.base_url.starts_with("https://") && !self.secure_cookies {
            gaps.push(
                "The site is served over https but its cookies are not marked Secure. Set \
                 MENTORHUB_SECURE_COOKIES."
                    .to_string(),
            );
        }
        gaps
    }

    /// The database URL to use: the explicit one, or a SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("mentorhub.db").display()
            ),
        }
    }
}

/// Hides the password part of a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{}://{}:***{}", &url[..scheme_end], user, &url[at..])
            } else {
                url.to_string()
            }
        }
        _ => url.to_string(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("database_connections", &self.database_connections)
            .field("base_url", &self.base_url)
            .field("log_json", &self.log_json)
            .field(
                "auth_rate_limit_per_minute",
                &self.auth_rate_limit_per_minute,
            )
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("web_session_ttl", &self.web_session_ttl)
            .field("secure_cookies", &self.secure_cookies)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("write_stall_timeout", &self.write_stall_timeout)
            .field("auto_approve_mentors", &self.auto_approve_mentors)
            .field("search_cache_ttl", &self.search_cache_ttl)
            .field("meeting_url_template", &self.meeting_url_template)
            .field("policy", &self.policy)
            .field("pending_expiry_hours", &self.pending_expiry_hours)
            .field("review_due_hours", &self.review_due_hours)
            .field("completion_grace_minutes", &self.completion_grace_minutes)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("contact_email", &self.contact_email)
            .field("background_workers", &self.background_workers)
            .field("booking_direct_writes", &self.booking_direct_writes)
            .field("job_lease", &self.job_lease)
            .field(
                "stripe_secret_key",
                &self.stripe_secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("stripe_api_base", &self.stripe_api_base)
            .field(
                "stripe_webhook_secrets",
                &format!("<{} redacted>", self.stripe_webhook_secrets.len()),
            )
            .field("credit_packs", &self.credit_packs)
            .field("welcome_credits", &self.welcome_credits)
            .field("credit_value", &self.credit_value)
            .field("calendar_key", &self.calendar_key.map(|_| "<redacted>"))
            .field("calendar_sync_interval", &self.calendar_sync_interval)
            .field("calendar_fresh_for", &self.calendar_fresh_for)
            .field("calendar_keep_stale", &self.calendar_keep_stale)
            .field("calendar_allow_private", &self.calendar_allow_private)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_overview_names_what_a_public_site_still_lacks() {
        let bare = super::Config::default();
        let gaps = bare.setup_gaps();
        for said in [
            "No email is sent",
            "Members start with no credits",
            "No contact address",
            "Links in emails and calendar feeds lead to http://127.0.0.1:8080",
        ] {
            assert!(gaps.iter().any(|g| g.starts_with(said)), "{said}: {gaps:?}");
        }
        let ready = super::Config {
            smtp_url: Some("smtp://mail.example.com".into()),
            welcome_credits: 20,
            contact_email: Some("team@example.com".into()),
            base_url: "https://mentors.example.com".into(),
            secure_cookies: true,
            ..super::Config::default()
        };
        assert_eq!(ready.setup_gaps(), Vec::<String>::new());
        let insecure = super::Config {
            secure_cookies: false,
            ..ready
        };
        assert_eq!(insecure.setup_gaps().len(), 1);
        for local in [
            "http://localhost:8080",
            "http://[::1]:8080/x",
            "http://127.0.0.2",
        ] {
            let c = super::Config {
                base_url: local.into(),
                ..super::Config::default()
            };
            assert!(
                c.setup_gaps()
                    .iter()
                    .any(|g| g.starts_with("Links in emails")),
                "{local}"
            );
        }
    }

    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        let c = Config {
            database_url: Some("postgres://a:hunter2@h/d".into()),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
