//! Ledger invariants: the CLI check, and thousands of random operations.

use proptest::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Session, TestApp, mentor_profile, weekdays_nine_to_five};

#[tokio::test]
async fn ledger_verify_passes_on_a_live_database_and_fails_on_a_breach() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 50).await;
    app.post("/api/v1/bookings", mentee.token(), json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z"})).await;
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_mentorhub"))
            .args(["--database-url", &app.db.url, "ledger", "verify"])
            .output()
            .unwrap()
    };
    let ok = run();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("ledger ok"));
    // Someone edits a balance behind the ledger's back.
    sqlx::query(
        "UPDATE ledger_accounts SET balance = balance + 5 WHERE kind = 'wallet' AND user_id = $1",
    )
    .bind(&mentee.user_id)
    .execute(&app.ctx().db.pool)
    .await
    .unwrap();
    let bad = run();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("entries sum to") && err.contains("balances sum to"),
        "{err}"
    );
}

/// `ledger verify` pointed at a mistyped data directory, or at an empty PostgreSQL
/// database, made a new empty database there and said "ledger ok": it says there is
/// none and fails, and creates nothing.
#[tokio::test]
async fn ledger_verify_refuses_an_address_that_holds_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mentorhub"))
        .args(["--data-dir", missing.to_str().unwrap(), "ledger", "verify"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("there is no mentorhub database"), "{err}");
    assert!(!missing.exists(), "nothing created");
    // An empty database at a database URL: a new test database, its schema dropped.
    let db = crate::support::TestDb::new().await;
    let empty = if db.url.starts_with("postgres") {
        db.url.clone()
    } else {
        let file = dir.path().join("empty.db");
        std::fs::write(&file, b"").unwrap();
        format!("sqlite://{}", file.display())
    };
    if empty.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&empty).await.unwrap();
        sqlx::query("DROP SCHEMA public CASCADE")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("CREATE SCHEMA public")
            .execute(&pool)
            .await
            .unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mentorhub"))
        .args(["--database-url", &empty, "ledger", "verify"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds no mentorhub database"), "{err}");
}

#[derive(Debug, Clone)]
enum Op {
    Grant(usize, i64),
    Book(usize, usize, u8),
    Accept(usize),
    Decline(usize),
    Cancel(usize, bool),
    Complete(usize),
    Advance(u8),
    ReplayGrant(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..4, 1i64..60).prop_map(|(u, a)| Op::Grant(u, a)),
        (0usize..4, 0usize..2, 0u8..40).prop_map(|(u, m, s)| Op::Book(u, m, s)),
        (0usize..50).prop_map(Op::Accept),
        (0usize..50).prop_map(Op::Decline),
        (0usize..50, any::<bool>()).prop_map(|(b, by)| Op::Cancel(b, by)),
        (0usize..50).prop_map(Op::Complete),
        (1u8..30).prop_map(Op::Advance),
        (0usize..4).prop_map(Op::ReplayGrant),
    ]
}

async fn run_ops(ops: Vec<Op>) {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut mentors: Vec<Session> = vec![];
    let mut services = vec![];
    for i in 0..2 {
        let mut p = mentor_profile(&["x"], &[], 7 + i as i64);
        p["max_mentees"] = json!(5);
        let m = app
            .approved_mentor(&admin, &format!("m{i}@example.com"), p)
            .await;
        app.set_availability(&m, weekdays_nine_to_five("UTC")).await;
        services.push(app.first_service(&m.user_id).await);
        mentors.push(m);
    }
    let mut mentees = vec![];
    for i in 0..4 {
        mentees.push(app.register(&format!("e{i}@example.com")).await);
    }
    let mut bookings: Vec<String> = vec![];
    let mut grants = 0;
    for op in ops {
        match op {
            Op::Grant(u, a) => {
                grants += 1;
                let body = json!({"user_id": mentees[u].user_id, "amount": a, "reason": "p"});
                let res = app
                    .http
                    .post(app.url("/api/v1/admin/credits/grant"))
                    .bearer_auth(&admin.access)
                    .header("idempotency-key", format!("g{grants}"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::CREATED);
            }
            Op::ReplayGrant(u) => {
                let key = format!("g{grants}");
                let body = json!({"user_id": mentees[u].user_id, "amount": 1, "reason": "p"});
                let _ = app
                    .http
                    .post(app.url("/api/v1/admin/credits/grant"))
                    .bearer_auth(&admin.access)
                    .header("idempotency-key", key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
            }
            Op::Book(u, m, s) => {
                // A slot among the next weeks' weekday hours.
                let day = 1 + (s / 8) as i64;
                let hour = 9 + (s % 8) as i64;
                let start = app.clock_now() + jiff::SignedDuration::from_hours(24 * day);
                let start = start
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .date()
                    .at(hour as i8, 0, 0, 0)
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .unwrap()
                    .timestamp();
                let (status, b) = app
                    .post("/api/v1/bookings", mentees[u].token(), json!({"mentor_id": mentors[m].user_id, "service_id": services[m], "start": start.to_string()}))
                    .await;
                assert!(matches!(status.as_u16(), 201 | 402 | 409), "{status}: {b}");
                if status == StatusCode::CREATED {
                    bookings.push(b["id"].as_str().unwrap().to_string());
                }
            }
            Op::Accept(i) | Op::Decline(i) | Op::Complete(i) | Op::Cancel(i, _)
                if !bookings.is_empty() =>
            {
                let id = &bookings[i % bookings.len()];
                let (_, b) = app
                    .get(&format!("/api/v1/bookings/{id}"), admin.token())
                    .await;
                let mentor = mentors
                    .iter()
                    .find(|m| m.user_id == b["mentor"]["id"].as_str().unwrap())
                    .unwrap();
                let mentee = mentees
                    .iter()
                    .find(|m| m.user_id == b["mentee"]["id"].as_str().unwrap())
                    .unwrap();
                let (path, who) = match op {
                    Op::Accept(_) => ("accept", mentor),
                    Op::Decline(_) => ("decline", mentor),
                    Op::Complete(_) => ("complete", mentor),
                    Op::Cancel(_, true) => ("cancel", mentee),
                    _ => ("cancel", mentor),
                };
                let (status, body) = app
                    .call(
                        Method::POST,
                        &format!("/api/v1/bookings/{id}/{path}"),
                        who.token(),
                        None,
                    )
                    .await;
                assert!(
                    matches!(status.as_u16(), 200 | 409),
                    "{path}: {status} {body}"
                );
            }
            Op::Advance(h) => {
                app.clock
                    .advance(jiff::SignedDuration::from_hours(h as i64));
                app.tick().await;
            }
            _ => {}
        }
    }
    app.assert_ledger_ok().await;
    // And the money is all accounted for: what came in is in wallets, escrow or revenue.
    let mut total = 0;
    for s in mentees.iter().chain(&mentors) {
        let (balance, held) = app.balance(s).await;
        assert!(balance >= 0 && held >= 0);
        total += balance + held;
    }
    let granted: i64 =
        sqlx::query_scalar("SELECT -balance FROM ledger_accounts WHERE id = 'world'")
            .fetch_one(&app.ctx().db.pool)
            .await
            .unwrap();
    assert_eq!(total, granted);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    /// 12 runs × up to 250 random operations (grants, replays, bookings, answers,
    /// cancellations, completions, time passing): every invariant holds after each run.
    #[test]
    fn random_operations_keep_the_ledger_sound(ops in proptest::collection::vec(op(), 150..250)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(run_ops(ops));
    }
}
