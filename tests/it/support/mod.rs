//! Test support: each test gets the real application (built by `App::with_db`, as in
//! `main`) on a loopback port, a fresh database, a controllable clock, and an HTTP
//! client. Set `TEST_DATABASE_URL=postgres://…` to run every test on its own fresh
//! PostgreSQL database instead of a temporary SQLite file, and
//! `TEST_DATABASE_CONNECTIONS=N` to give every test's server N PostgreSQL connections
//! unless the test sets its own (CI runs the suite with one: a request that waits,
//! inside its write transaction, for a second connection then stalls and fails).
//!
//! Beside the app: `ws` (a socket client), `smtp` (a loopback mail server that keeps
//! what it receives) and `stripe` (a stand-in for Stripe's API); `browser` drives
//! Chromium.

#![allow(dead_code)]

pub mod browser;
pub mod caldav;
mod smtp;
mod stripe;
mod ws;

pub use self::{
    smtp::SmtpSink,
    stripe::{STRIPE_KEY, StripeStandIn, WEBHOOK_SECRET},
};

use std::{net::SocketAddr, sync::Arc};

use jiff::Timestamp;
use mentorhub::{
    app::App,
    clock::ManualClock,
    config::Config,
    http::AppState,
    service::{Ctx, admin},
    store::Db,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A fresh database for one test, removed when dropped.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

/// The PostgreSQL connections a test's server has unless the test sets its own:
/// `TEST_DATABASE_CONNECTIONS`, or the server's default.
pub fn test_database_connections() -> u32 {
    match std::env::var("TEST_DATABASE_CONNECTIONS") {
        Ok(n) if !n.is_empty() => n
            .parse()
            .expect("TEST_DATABASE_CONNECTIONS is a number of connections"),
        _ => mentorhub::store::DEFAULT_CONNECTIONS,
    }
}

impl TestDb {
    /// The same database, for a second instance (dropping it removes nothing).
    pub fn shared(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            _dir: None,
            pg: None,
        }
    }
}

impl TestDb {
    pub async fn new() -> TestDb {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let template = PG_TEMPLATE.get_or_init(|| pg_template(&admin_url)).await;
                let name = format!("mh_test_{}", uuid_simple());
                let admin = sqlx_admin(&admin_url).await;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE {name} TEMPLATE {template}"
                )))
                .execute(&admin)
                .await
                .expect("create the test database");
                admin.close().await;
                let url = replace_db_name(&admin_url, &name);
                TestDb {
                    url,
                    _dir: None,
                    pg: Some((admin_url, name)),
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                    pg: None,
                }
            }
        }
    }

    /// A SQLite database in `dir` (which the caller removes).
    pub fn sqlite_in(dir: &std::path::Path) -> TestDb {
        TestDb {
            url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
            _dir: None,
            pg: None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop runs outside async context: use a small runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let admin = sqlx_admin(&admin_url).await;
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&admin)
                    .await;
                    admin.close().await;
                });
            })
            .join();
        }
    }
}

/// The migrated database every PostgreSQL test database is copied from (see
/// [`pg_template`]), once per test process.
static PG_TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// A database holding every migration, named after the migrations' content, made once
/// and kept between runs: copying it (`CREATE DATABASE … TEMPLATE`) takes a few
/// milliseconds, where migrating each test's database from nothing took most of a
/// second. Built under a name of its own and renamed when complete, so a run never
/// copies a half-migrated one; of two runs building it at once, one keeps its copy.
async fn pg_template(admin_url: &str) -> String {
    use std::hash::{Hash, Hasher};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the PostgreSQL migrations")
        .map(|e| e.expect("a migration").path())
        .collect();
    files.sort();
    // SipHash with fixed keys: the same migrations give the same name in every run.
    let mut h = std::hash::DefaultHasher::new();
    for f in &files {
        f.file_name().hash(&mut h);
        std::fs::read(f).expect("a migration").hash(&mut h);
    }
    let name = format!("mh_tmpl_{:016x}", h.finish());
    let admin = sqlx_admin(admin_url).await;
    if !database_exists(&admin, &name).await {
        let building = format!("{name}_{}", uuid_simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {building}")))
            .execute(&admin)
            .await
            .expect("create the template database");
        let db = Db::connect_with(&replace_db_name(admin_url, &building), 1)
            .await
            .expect("connect to the template database");
        db.migrate().await.expect("migrate the template database");
        db.pool.close().await;
        db.generic.close().await;
        // A closed connection's server process may linger a moment, refusing the
        // rename: try again until it is gone, or another run's copy exists.
        for attempt in 0.. {
            let renamed = sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER DATABASE {building} RENAME TO {name}"
            )))
            .execute(&admin)
            .await;
            let Err(e) = renamed else { break };
            if database_exists(&admin, &name).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {building} WITH (FORCE)"
                )))
                .execute(&admin)
                .await;
                break;
            }
            assert!(attempt < 100, "cannot name the template database: {e}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    admin.close().await;
    name
}

/// Whether the server holds a database named `name`.
async fn database_exists(admin: &sqlx::AnyPool, name: &str) -> bool {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(admin)
        .await
        .expect("look for a database");
    found.is_some()
}

async fn sqlx_admin(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect to TEST_DATABASE_URL")
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

fn uuid_simple() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A running application for one test.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub http: reqwest::Client,
    pub clock: ManualClock,
    pub state: AppState,
    pub db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// The instant every test starts at (a Monday), unless it moves the clock.
pub fn test_epoch() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().expect("valid timestamp")
}

/// Settings for tests: the auth rate limit is high so tests may sign up many users
/// from 127.0.0.1 (the rate-limit test sets its own), and tokens live long enough for
/// tests that move the clock by weeks (the token-expiry test sets the real lifetimes).
pub fn test_config() -> Config {
    Config {
        auth_rate_limit_per_minute: 1000,
        access_token_ttl: std::time::Duration::from_secs(400 * 24 * 3600),
        refresh_token_ttl: std::time::Duration::from_secs(800 * 24 * 3600),
        web_session_ttl: std::time::Duration::from_secs(400 * 24 * 3600),
        ..Config::default()
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(test_config()).await
    }

    pub async fn spawn_with(config: Config) -> TestApp {
        Self::spawn_on(TestDb::new().await, config, ManualClock::new(test_epoch())).await
    }

    /// A second instance on this one's database (and clock), as when several app
    /// instances share one Postgres.
    pub async fn second_instance(&self) -> TestApp {
        Self::spawn_on(
            self.db.shared(),
            (*self.ctx().config).clone(),
            self.clock.clone(),
        )
        .await
    }

    pub async fn spawn_on(db: TestDb, mut config: Config, clock: ManualClock) -> TestApp {
        config.database_url = Some(db.url.clone());
        if config.database_connections == mentorhub::store::DEFAULT_CONNECTIONS {
            config.database_connections = test_database_connections();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        config.listen = addr;
        config.base_url = format!("http://{addr}");
        let database = Db::connect_with(&db.url, config.database_connections)
            .await
            .expect("connect");
        database.migrate().await.expect("migrate");
        let app = App::with_db(config, Arc::new(clock.clone()), database);
        let state = app.state.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(listener, async move {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            base: format!("http://{addr}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            clock,
            state,
            db,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn ctx(&self) -> &Ctx {
        &self.state.ctx
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops accepting and waits for in-flight requests (graceful shutdown).
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server");
        }
    }

    /// Sends a request and returns the status and the JSON body (Null when empty or
    /// not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        // What earlier requests left to the background (next free slots) is done, so a
        // test reads what a person would see a moment later.
        mentorhub::service::availability::settle(self.ctx()).await;
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// A POST sent as a retrying client sends it: with `key` as its Idempotency-Key
    /// (none: no key). Returns the status, whether the answer says it is a replay, and
    /// the body.
    pub async fn post_keyed(
        &self,
        path: &str,
        token: &str,
        body: &Value,
        key: Option<&str>,
    ) -> (StatusCode, bool, Value) {
        let mut r = self.http.post(self.url(path)).bearer_auth(token).json(body);
        if let Some(k) = key {
            r = r.header("idempotency-key", k);
        }
        let r = r.send().await.unwrap();
        let replayed = r.headers().get("idempotent-replayed").is_some();
        (r.status(), replayed, r.json::<Value>().await.unwrap())
    }

    /// Registers a user and returns their session.
    pub async fn register(&self, email: &str) -> Session {
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({
                    "email": email,
                    "password": "correct horse battery",
                    "first_name": "Test",
                    "last_name": email.split('@').next().unwrap_or("user"),
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "register {email}: {body}");
        Session::from_auth(&body)
    }

    /// Creates an admin account (as the CLI does) and signs it in.
    pub async fn admin(&self) -> Session {
        admin::create_admin(self.ctx(), "root@example.com", "admin password 1")
            .await
            .expect("create admin");
        let (status, body) = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": "root@example.com", "password": "admin password 1"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "admin login: {body}");
        Session::from_auth(&body)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A signed-in API client's credentials.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub access: String,
    pub refresh: String,
}

impl Session {
    pub fn from_auth(body: &Value) -> Session {
        Session {
            user_id: body["user"]["id"].as_str().expect("user id").to_string(),
            access: body["access_token"].as_str().expect("access").to_string(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_string(),
        }
    }

    pub fn token(&self) -> Option<&str> {
        Some(&self.access)
    }
}

/// Asserts a problem+json answer with this status and code.
#[track_caller]
pub fn assert_problem(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "status; body: {}", got.1);
    assert_eq!(got.1["code"], code, "code; body: {}", got.1);
    assert_eq!(got.1["status"], status, "status field; body: {}", got.1);
}

/// A valid mentor profile body.
pub fn mentor_profile(expertise: &[&str], skills: &[&str], rate: i64) -> Value {
    json!({
        "bio": "I help engineers grow.",
        "expertise": expertise,
        "skills": skills,
        "industries": ["software"],
        "company": "Acme",
        "title": "Staff Engineer",
        "experience": [{"company": "Acme", "title": "Staff Engineer", "start_date": "2019-04-01", "description": "Platform team"}],
        "hourly_rate": rate,
        "max_mentees": 3,
        "is_public": true
    })
}

impl TestApp {
    /// Registers a user, files a mentor profile and has `admin` approve it.
    pub async fn approved_mentor(&self, admin: &Session, email: &str, profile: Value) -> Session {
        let s = self.register(email).await;
        let (status, body) = self
            .call(
                Method::PUT,
                "/api/v1/me/mentor-profile",
                s.token(),
                Some(profile),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "mentor profile {email}: {body}");
        let (status, body) = self
            .post(
                &format!("/api/v1/admin/mentor-applications/{}/approve", s.user_id),
                admin.token(),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "approve {email}: {body}");
        s
    }

    /// Sets a mentor's rating directly (reviews arrive with bookings).
    pub async fn set_rating(&self, mentor_id: &str, avg: f64, count: i64) {
        sqlx::query(
            "UPDATE mentor_profiles SET rating_avg = $1, rating_count = $2 WHERE user_id = $3",
        )
        .bind(avg)
        .bind(count)
        .bind(mentor_id)
        .execute(&self.ctx().db.pool)
        .await
        .expect("set rating");
    }
}

/// Weekly availability: every weekday 09:00–17:00 in `tz`, default settings but no
/// notice, hourly slots.
pub fn weekdays_nine_to_five(tz: &str) -> Value {
    let days = ["monday", "tuesday", "wednesday", "thursday", "friday"];
    json!({
        "timezone": tz,
        "weekly": days.iter().map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"})).collect::<Vec<_>>(),
        "overrides": [],
        "settings": {"min_notice_minutes": 0, "buffer_before_minutes": 0, "buffer_after_minutes": 0,
                     "horizon_days": 60, "slot_step_minutes": 60, "max_per_day": 0}
    })
}

impl TestApp {
    pub async fn set_availability(&self, mentor: &Session, body: Value) {
        let (status, b) = self
            .call(
                Method::PUT,
                "/api/v1/me/availability",
                mentor.token(),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "availability: {b}");
    }

    pub async fn grant(&self, admin: &Session, user_id: &str, amount: i64) {
        let (status, b) = self
            .post(
                "/api/v1/admin/credits/grant",
                admin.token(),
                json!({"user_id": user_id, "amount": amount, "reason": "test"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "grant: {b}");
    }

    /// A second approved mentor (second@example.com) free 09:00–17:00 UTC on weekdays,
    /// and their first service.
    pub async fn second_mentor(&self, admin: &Session) -> (Session, String) {
        let mentor = self
            .approved_mentor(admin, "second@example.com", mentor_profile(&["x"], &[], 10))
            .await;
        self.set_availability(&mentor, weekdays_nine_to_five("UTC"))
            .await;
        let service = self.first_service(&mentor.user_id).await;
        (mentor, service)
    }

    /// The id of a mentor's first active service.
    pub async fn first_service(&self, mentor_id: &str) -> String {
        let (_, s) = self
            .get(&format!("/api/v1/mentors/{mentor_id}/services"), None)
            .await;
        s["items"][0]["id"].as_str().expect("a service").to_string()
    }

    /// `who`'s notifications as the API lists them, newest first (at most 100).
    pub async fn notifications(&self, who: &Session) -> Vec<Value> {
        let (status, n) = self
            .get("/api/v1/notifications?limit=100", who.token())
            .await;
        assert_eq!(status, StatusCode::OK, "{n}");
        n["items"].as_array().expect("items").clone()
    }

    /// The titles of `who`'s notifications, newest first.
    pub async fn notification_titles(&self, who: &Session) -> Vec<String> {
        self.notifications(who)
            .await
            .iter()
            .map(|i| i["title"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub async fn balance(&self, s: &Session) -> (i64, i64) {
        let (_, c) = self.get("/api/v1/me/credits", s.token()).await;
        (
            c["balance"].as_i64().unwrap_or(-1),
            c["held"].as_i64().unwrap_or(-1),
        )
    }

    /// The dedupe keys of the queued jobs of these kinds whose payload names `about`
    /// (a booking's or a session's id), sorted.
    pub async fn queued_job_keys(&self, kinds: &[&str], about: &str) -> Vec<String> {
        let mut keys: Vec<(String, String)> = sqlx::query_as(
            "SELECT kind, dedupe_key FROM jobs WHERE status = 'queued' AND payload LIKE $1",
        )
        .bind(format!("%{about}%"))
        .fetch_all(&self.ctx().db.pool)
        .await
        .unwrap();
        keys.retain(|(kind, _)| kinds.contains(&kind.as_str()));
        let mut keys: Vec<String> = keys.into_iter().map(|(_, key)| key).collect();
        keys.sort();
        keys
    }

    pub fn clock_now(&self) -> jiff::Timestamp {
        use mentorhub::clock::Clock;
        self.clock.now()
    }

    /// Runs the server's time-driven work now (after moving the clock).
    pub async fn tick(&self) {
        mentorhub::app::run_maintenance(self.ctx()).await;
    }

    /// Every ledger invariant holds.
    pub async fn assert_ledger_ok(&self) {
        let breaches = mentorhub::store::ledger::verify(&self.ctx().db.pool)
            .await
            .expect("verify");
        assert!(breaches.is_empty(), "ledger breaches: {breaches:?}");
    }

    /// A mentor (approved, weekday availability in `tz`, a 60-minute session costing
    /// `cost`), a mentee with `credits`, and the service id.
    pub async fn booking_setup(
        &self,
        admin: &Session,
        tz: &str,
        cost: i64,
        credits: i64,
    ) -> (Session, Session, String) {
        let mentor = self
            .approved_mentor(
                admin,
                "mentor@example.com",
                mentor_profile(&["backend"], &["rust"], cost),
            )
            .await;
        self.set_availability(&mentor, weekdays_nine_to_five(tz))
            .await;
        let mentee = self.register("mentee@example.com").await;
        if credits > 0 {
            self.grant(admin, &mentee.user_id, credits).await;
        }
        let service = self.first_service(&mentor.user_id).await;
        (mentor, mentee, service)
    }
}
