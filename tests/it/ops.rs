//! Operations: health, readiness, metrics, OpenAPI, headers, graceful shutdown.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["database"],
        if app.db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    // With the database gone, readiness says so (and liveness does not care).
    app.ctx().db.pool.close().await;
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(app.get("/healthz", None).await.0, StatusCode::OK);
}

/// The `/metrics` page as a scraper reads it.
async fn metrics(app: &TestApp) -> String {
    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    res.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn().await;
    let s = app.register("m@example.com").await;
    app.get(&format!("/api/v1/users/{}", s.user_id), s.token())
        .await;
    app.get("/api/v1/users/0190b1c4-0000-7000-8000-000000000000", None)
        .await;
    let text = metrics(&app).await;
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/api/v1/users/{id}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"http_requests_total{method="GET",route="/api/v1/users/{id}",status="404"} 1"#
    ));
    assert!(text.contains(r#"http_request_duration_seconds_bucket{method="POST",route="/api/v1/auth/register",status="201",le="+Inf"} 1"#));
    assert!(!text.contains(&s.user_id), "raw paths never become labels");
}

#[tokio::test]
async fn openapi_documents_every_api_route() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let expected = [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me", "patch"),
        ("/api/v1/me", "delete"),
        ("/api/v1/me/password", "put"),
        ("/api/v1/me/export", "get"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/admin/users", "get"),
        ("/api/v1/admin/users/{id}/suspend", "post"),
        ("/api/v1/admin/users/{id}/unsuspend", "post"),
        ("/api/v1/admin/users/{id}/roles", "put"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ];
    for (path, method) in expected {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let res = app.http.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "the docs page is served locally");
}

#[tokio::test]
async fn every_answer_has_a_request_id_and_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/", "/api/v1/me", "/healthz", "/nope"] {
        let res = app
            .http
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        let h = res.headers();
        assert!(h.contains_key("x-request-id"), "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
    }
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["x-request-id"],
        "abc-123",
        "an incoming id is kept"
    );
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests() {
    let mut app = TestApp::spawn().await;
    let url = app.url("/api/v1/auth/register");
    let http = app.http.clone();
    // Registration hashes a password, so it is still running when shutdown starts.
    let in_flight = tokio::spawn(async move {
        http.post(url)
            .json(
                &json!({"email": "late@example.com", "password": "correct horse battery",
                          "first_name": "L", "last_name": "Ate"}),
            )
            .send()
            .await
            .map(|r| r.status())
    });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.stop().await;
    assert_eq!(in_flight.await.unwrap().unwrap(), StatusCode::CREATED);
    assert!(
        app.http.get(app.url("/healthz")).send().await.is_err(),
        "no longer accepting"
    );
}

/// Stopping the server tells its live sockets it is going away (close code 1001, on
/// which the page reconnects) instead of cutting them off without a word.
#[tokio::test]
async fn shutdown_closes_live_sockets_as_going_away() {
    let mut app = TestApp::spawn().await;
    let s = app.register("live@example.com").await;
    let mut ws = app.ws(s.token().unwrap()).await;
    assert_eq!(
        ws.closed_within(std::time::Duration::from_millis(300))
            .await,
        Err("still open after 300ms".to_string()),
        "open until the server stops"
    );
    app.stop().await;
    assert_eq!(
        ws.closed_within(std::time::Duration::from_secs(2)).await,
        Ok(1001)
    );
}

/// TLS to PostgreSQL follows the URL's `sslmode`: none given on loopback, no TLS;
/// `require`, an encrypted connection; `verify-full` against a certificate no trusted
/// authority signed (the test server's own self-signed one), no start, with the
/// reason — the check sees a failure before trusting a success.
#[tokio::test]
async fn postgres_tls_follows_the_urls_sslmode() {
    use mentorhub::store::Db;
    let db = crate::support::TestDb::new().await;
    if !db.is_postgres() {
        eprintln!("skipped: TLS to PostgreSQL is tested when TEST_DATABASE_URL is set");
        return;
    }
    let with = |mode: &str| {
        let sep = if db.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}sslmode={mode}", db.url)
    };
    let encrypted = |d: Db| async move {
        sqlx::query_scalar::<_, bool>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&d.pool)
            .await
            .expect("read pg_stat_ssl")
    };
    let plain = Db::connect_with(&db.url, 1).await.expect("connect");
    let offered: String = sqlx::query_scalar("SELECT setting FROM pg_settings WHERE name = 'ssl'")
        .fetch_one(&plain.pool)
        .await
        .unwrap();
    if offered != "on" {
        eprintln!("skipped: this PostgreSQL server does not offer TLS (ssl = {offered})");
        return;
    }
    assert!(!encrypted(plain).await, "loopback without sslmode: no TLS");
    let tls = Db::connect_with(&with("require"), 1)
        .await
        .expect("connect with sslmode=require");
    assert!(encrypted(tls).await, "sslmode=require: TLS");
    let refused = Db::connect_with(&with("verify-full"), 1).await;
    let why = format!(
        "{:#}",
        refused.expect_err("an unverifiable certificate is refused")
    );
    assert!(why.contains("certificate"), "{why}");
}

/// With PostgreSQL out of reach (its connections cut, new ones refused), readiness
/// says so within about a second, in time for an orchestrator's probe (one second is
/// Kubernetes' default), and says so again as quickly while it stays away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_quickly_when_postgres_is_out_of_reach() {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    let db = crate::support::TestDb::new().await;
    if !db.is_postgres() {
        eprintln!("skipped: a database out of reach is a PostgreSQL server's");
        return;
    }
    // The server reaches PostgreSQL through a relay this test can cut.
    let mut target = reqwest::Url::parse(&db.url).unwrap();
    let upstream = format!(
        "{}:{}",
        target.host_str().unwrap(),
        target.port().unwrap_or(5432)
    );
    let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = relay.local_addr().unwrap().port();
    let links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
    let accepting = tokio::spawn({
        let links = links.clone();
        async move {
            loop {
                let (mut inbound, _) = relay.accept().await.unwrap();
                let upstream = upstream.clone();
                links.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                }));
            }
        }
    });
    target.set_host(Some("127.0.0.1")).unwrap();
    target.set_port(Some(port)).unwrap();
    let mut relayed = db.shared();
    relayed.url = target.to_string();
    let app = crate::support::TestApp::spawn_on(
        relayed,
        crate::support::test_config(),
        mentorhub::clock::ManualClock::new(crate::support::test_epoch()),
    )
    .await;
    assert_eq!(app.get("/readyz", None).await.0, StatusCode::OK);

    accepting.abort();
    let _ = accepting.await;
    for link in links.lock().unwrap().drain(..) {
        link.abort();
    }
    // More times than the server has pooled connections: each dead one fails once,
    // then new ones are refused.
    for _ in 0..12 {
        let started = Instant::now();
        let (status, body) = app.get("/readyz", None).await;
        let took = started.elapsed();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body["reason"].is_string(), "{body}");
        assert!(took < Duration::from_millis(1500), "took {took:?}: {body}");
    }
}

/// `/metrics` says what an operator alerts on: jobs waiting and dead, emails waiting and
/// how long the oldest has (mail not going out shows as an age that grows).
#[tokio::test]
async fn metrics_show_waiting_jobs_and_emails_and_the_oldest_ones_age() {
    let app = TestApp::spawn_with(mentorhub::config::Config {
        background_workers: false,
        ..crate::support::test_config()
    })
    .await;
    let pool = &app.ctx().db.pool;
    let now = mentorhub::clock::to_micros(app.clock_now());
    for (id, status) in [
        ("0190b1c4-0000-7000-8000-00000000000a", "queued"),
        ("0190b1c4-0000-7000-8000-00000000000b", "dead"),
    ] {
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, \
             last_error, created_at, updated_at) VALUES ($1, 'noop', '{}', $2, $3, 0, 8, '', $3, $3)",
        )
        .bind(id)
        .bind(status)
        .bind(now)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO outbox (id, to_email, subject, body, status, created_at, updated_at) \
         VALUES ('0190b1c4-0000-7000-8000-00000000000c', 'a@example.com', 'Hi', 'Hello', 'queued', $1, $1)",
    )
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    app.clock.advance(jiff::SignedDuration::from_secs(300));
    let text = metrics(&app).await;
    for line in [
        "mentorhub_jobs{status=\"queued\"} ",
        "mentorhub_jobs{status=\"dead\"} 1",
        "mentorhub_emails_waiting ",
        "mentorhub_emails_oldest_waiting_seconds 300",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
}
