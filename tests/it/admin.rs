//! Administration: permissions, user search, suspension, roles, the audit log, the CLI.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, assert_problem};

#[tokio::test]
async fn only_admins_reach_admin_endpoints() {
    let app = TestApp::spawn().await;
    let user = app.register("plain@example.com").await;
    let target = format!("/api/v1/admin/users/{}/suspend", user.user_id);
    assert_problem(
        &app.get("/api/v1/admin/users", None).await,
        401,
        "unauthenticated",
    );
    assert_problem(
        &app.get("/api/v1/admin/users", user.token()).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.post(&target, user.token(), json!({})).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.call(
            Method::PUT,
            &format!("/api/v1/admin/users/{}/roles", user.user_id),
            user.token(),
            Some(json!({"roles": ["admin"]})),
        )
        .await,
        403,
        "forbidden",
    );
    let (_, me) = app.get("/api/v1/me", user.token()).await;
    assert_eq!(me["roles"], json!(["mentee"]), "no self-promotion");
}

#[tokio::test]
async fn admins_search_filter_and_page_users() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for name in ["alice", "bob", "carol", "dave", "erin"] {
        app.register(&format!("{name}@example.com")).await;
    }
    let (status, page) = app.get("/api/v1/admin/users?q=CAROL", admin.token()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["email"], "carol@example.com");

    let (_, admins) = app
        .get("/api/v1/admin/users?role=admin", admin.token())
        .await;
    assert_eq!(admins["items"].as_array().unwrap().len(), 1);

    // Pages of 2, newest first, no overlap, all six users.
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/admin/users?limit=2&cursor={c}"),
            None => "/api/v1/admin/users?limit=2".to_string(),
        };
        let (status, page) = app.get(&path, admin.token()).await;
        assert_eq!(status, StatusCode::OK);
        for u in page["items"].as_array().unwrap() {
            seen.push(u["email"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(seen[0], "erin@example.com");
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 6);

    for bad in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "role=wizard",
        "status=sleeping",
        "cursor=%%%",
    ] {
        assert_problem(
            &app.get(&format!("/api/v1/admin/users?{bad}"), admin.token())
                .await,
            422,
            "invalid_input",
        );
    }
    // A parameter that does not parse is named as the field at fault.
    for (query, field) in [("limit=abc", "limit"), ("unread=1", "unread")] {
        let (_, b) = app
            .get(&format!("/api/v1/notifications?{query}"), admin.token())
            .await;
        assert_eq!(b["errors"][0]["field"], field, "{b}");
    }
}

#[tokio::test]
async fn suspension_ends_sessions_at_once_and_is_audited() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.register("sus@example.com").await;
    // A suspension says why: without a reason nothing happens.
    for body in [json!({}), json!({"reason": "  "})] {
        assert_problem(
            &app.post(
                &format!("/api/v1/admin/users/{}/suspend", user.user_id),
                admin.token(),
                body,
            )
            .await,
            422,
            "invalid_input",
        );
    }
    assert_eq!(app.get("/api/v1/me", user.token()).await.0, StatusCode::OK);
    let (status, u) = app
        .post(
            &format!("/api/v1/admin/users/{}/suspend", user.user_id),
            admin.token(),
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["status"], "suspended");
    assert_problem(
        &app.get("/api/v1/me", user.token()).await,
        401,
        "invalid_token",
    );
    assert_problem(
        &app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await,
        401,
        "invalid_token",
    );
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "sus@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_problem(&login, 403, "forbidden");
    assert_problem(
        &app.get(&format!("/api/v1/users/{}", user.user_id), None)
            .await,
        404,
        "not_found",
    );
    let (_, listed) = app
        .get("/api/v1/admin/users?status=suspended", admin.token())
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // The suspend endpoint also takes no body at all.
    let (status, u) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/users/{}/unsuspend", user.user_id),
            admin.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(u["status"], "active");
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "sus@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(login.0, StatusCode::OK);

    let audit = mentorhub::store::audit::for_target(&app.ctx().db.pool, "user", &user.user_id)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["user.unsuspend", "user.suspend"]);
    assert_eq!(audit[1].actor_id.as_deref(), Some(admin.user_id.as_str()));
    assert!(audit[1].after_json.contains("spam"));

    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/users/{}/suspend", admin.user_id),
            admin.token(),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "admins cannot lock themselves out"
    );
    assert_problem(
        &app.post(
            "/api/v1/admin/users/0190b1c4-0000-7000-8000-000000000000/suspend",
            admin.token(),
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
}

/// With a contact address set, every page's footer gives it and a suspended member
/// is told where to write, on the API and on the sign-in page; without one, neither.
#[tokio::test]
async fn a_suspended_member_is_told_where_to_write() {
    let mut config = crate::support::test_config();
    config.contact_email = Some("help@example.org".into());
    let app = TestApp::spawn_with(config).await;
    let admin = app.admin().await;
    let user = app.register("sus@example.com").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/users/{}/suspend", user.user_id),
            admin.token(),
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "sus@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_problem(&login, 403, "forbidden");
    assert_eq!(
        login.1["detail"],
        "This account is suspended. To ask why or to appeal, write to help@example.org."
    );
    let c = crate::web_mentors::client();
    let (_, page) = crate::web_mentors::text(&c, &app, "/login").await;
    assert!(
        page.contains("Write to <a href=\"mailto:help@example.org\">help@example.org</a>"),
        "{page}"
    );
    let html = c
        .post(app.url("/login"))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&page).as_str()),
            ("email", "sus@example.com"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("To ask why or to appeal, write to help@example.org."),
        "{html}"
    );

    let plain = TestApp::spawn().await;
    let (_, page) = crate::web_mentors::text(&crate::web_mentors::client(), &plain, "/login").await;
    assert!(!page.contains("mailto:"), "{page}");
}

#[tokio::test]
async fn admins_set_roles() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.register("role@example.com").await;
    let path = format!("/api/v1/admin/users/{}/roles", user.user_id);
    // The mentor role comes with an approved application, not on its own.
    let refused = app
        .call(
            Method::PUT,
            &path,
            admin.token(),
            Some(json!({"roles": ["mentor"]})),
        )
        .await;
    assert_problem(&refused, 422, "invalid_input");
    assert_eq!(refused.1["errors"][0]["code"], "no_approved_application");
    // On the console, the tick box comes back saying why, nothing changed.
    let c = crate::web_mentors::sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, page) = crate::web_mentors::text(&c, &app, "/admin").await;
    let res = c
        .post(app.url(&format!("/admin/users/{}/roles", user.user_id)))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&page).as_str()),
            ("mentor", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        crate::web_confirm::flash_after(&c, &app, res)
            .await
            .contains("the mentor role comes with an approved mentor application")
    );
    let (_, me) = app.get("/api/v1/me", user.token()).await;
    assert_eq!(me["roles"], json!(["mentee"]));
    // Making someone an administrator asks first; nothing changes until confirmed.
    let grant = |confirmed: &'static str| {
        let page = page.clone();
        let c = c.clone();
        let url = app.url(&format!("/admin/users/{}/roles", user.user_id));
        async move {
            let csrf = crate::web_mentors::csrf_of(&page);
            let mut form = vec![
                ("csrf", csrf.as_str()),
                ("admin", "on"),
                ("back", "/admin?q=role"),
            ];
            if !confirmed.is_empty() {
                form.push(("confirmed", confirmed));
            }
            c.post(url).form(&form).send().await.unwrap()
        }
    };
    let asked = grant("").await;
    assert_eq!(asked.status(), StatusCode::OK);
    let asked = asked.text().await.unwrap();
    assert!(
        asked.contains("Make Test role (role@example.com) an administrator?"),
        "{asked}"
    );
    assert!(asked.contains("name=\"admin\" value=\"on\""), "{asked}");
    let (_, me) = app.get("/api/v1/me", user.token()).await;
    assert_eq!(
        me["roles"],
        json!(["mentee"]),
        "not before the confirmation"
    );
    let done = grant("1").await;
    assert!(
        crate::web_confirm::flash_after(&c, &app, done)
            .await
            .contains("The roles are saved.")
    );
    let (_, me) = app.get("/api/v1/me", user.token()).await;
    assert_eq!(me["roles"], json!(["mentee", "admin"]));
    let (status, _) = app
        .call(
            Method::PUT,
            &path,
            admin.token(),
            Some(json!({"roles": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, u) = app
        .call(
            Method::PUT,
            &path,
            admin.token(),
            Some(json!({"roles": ["admin"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["roles"], json!(["mentee", "admin"]));
    let (_, me) = app.get("/api/v1/me", user.token()).await;
    assert_eq!(
        me["roles"],
        json!(["mentee", "admin"]),
        "takes effect on the next request"
    );
    let bad = app
        .call(
            Method::PUT,
            &path,
            admin.token(),
            Some(json!({"roles": ["wizard"]})),
        )
        .await;
    assert_problem(&bad, 422, "invalid_input");
    assert_eq!(bad.1["errors"][0]["field"], "roles[0]");
    let own = format!("/api/v1/admin/users/{}/roles", admin.user_id);
    assert_problem(
        &app.call(Method::PUT, &own, admin.token(), Some(json!({"roles": []})))
            .await,
        409,
        "cannot_demote_self",
    );
}

#[tokio::test]
async fn cli_admin_create_reads_the_password_from_stdin() {
    use std::io::Write;
    let app = TestApp::spawn().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mentorhub"))
        .args([
            "--database-url",
            &app.db.url,
            "admin",
            "create",
            "--email",
            "Ops@Example.com",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run mentorhub");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a strong admin password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("created admin: ops@example.com"), "{said}");
    // Where (a mistyped data directory would be a new, empty database), without a
    // password.
    let place = mentorhub::config::redact_url(&app.db.url);
    assert!(said.trim_end().ends_with(&format!(" in {place}")), "{said}");
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "ops@example.com", "password": "a strong admin password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["roles"], json!(["mentee", "admin"]));
    // Named by the address, as a name reads (it was "ops (admin)").
    assert_eq!(
        (&body["user"]["first_name"], &body["user"]["last_name"]),
        (&json!("Ops"), &json!("Admin")),
        "{body}"
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mentorhub"))
        .args([
            "--database-url",
            &app.db.url,
            "admin",
            "create",
            "--email",
            "x@example.com",
            "--password",
            "short",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a weak password is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
}

#[tokio::test]
async fn admins_retry_dead_jobs_from_the_console_and_it_is_audited() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.register("someone@example.com").await;
    let (s, _) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            admin.token(),
            Some(json!({"timezone": "Asia/Tokyo"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let pool = &app.ctx().db.pool;
    let now = mentorhub::clock::to_micros(app.clock_now());
    let id = mentorhub::domain::ids::new_id();
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, \
         last_error, created_at, updated_at) \
         VALUES ($1, 'noop', '{}', 'dead', $2, 8, 8, 'gave up after 8 tries', $2, $2)",
    )
    .bind(&id)
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    // An email that could not be delivered says whom it was for and what.
    let outbox = mentorhub::domain::ids::new_id();
    sqlx::query(
        "INSERT INTO outbox (id, to_email, subject, body, status, created_at, updated_at)          VALUES ($1, 'someone@example.com', 'Your booking is accepted', 'Hello', 'queued', $2, $2)",
    )
    .bind(&outbox)
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, \
         last_error, created_at, updated_at) \
         VALUES ($1, 'email.send', $3, 'dead', $2, 8, 8, 'smtp_failed: connection refused', $2, $2)",
    )
    .bind(mentorhub::domain::ids::new_id())
    .bind(now)
    .bind(json!({"outbox_id": outbox}).to_string())
    .execute(pool)
    .await
    .unwrap();

    let adm = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, html) = text(&adm, &app, "/admin/jobs").await;
    assert!(html.contains("gave up after 8 tries"), "{html}");
    assert!(
        html.contains("To someone@example.com: Your booking is accepted"),
        "{html}"
    );
    // When it was due, in the admin's zone.
    let tokyo = app
        .clock_now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .strftime("%a %-d %b %Y, %H:%M")
        .to_string();
    assert!(html.contains(&tokyo), "{tokyo} in {html}");

    // A member cannot retry.
    let member = sign_in(&app, "someone@example.com", "correct horse battery").await;
    let (_, page) = text(&member, &app, "/dashboard").await;
    let res = member
        .post(app.url(&format!("/admin/jobs/{id}/retry")))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The admin can, once; the job is queued again with fresh attempts.
    let retry = || {
        adm.post(app.url(&format!("/admin/jobs/{id}/retry")))
            .form(&[("csrf", csrf_of(&html))])
            .send()
    };
    let res = retry().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/admin/jobs");
    let (status, attempts): (String, i64) =
        sqlx::query_as("SELECT status, attempts FROM jobs WHERE id = $1")
            .bind(&id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("queued", 0));
    let res = retry().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT, "only a dead job");

    let (_, log) = app
        .get("/api/v1/admin/audit?action=job.retry", admin.token())
        .await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["target_id"], id.as_str());
    assert_eq!(items[0]["actor_email"], "root@example.com");
    assert_eq!(items[0]["before"]["status"], "dead");
    assert_eq!(items[0]["after"]["status"], "queued");
}

#[tokio::test]
async fn the_job_queue_as_json_for_admins() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let member = app.register("someone@example.com").await;
    let now = mentorhub::clock::to_micros(app.clock_now());
    let mut ids = vec![];
    for (status, error) in [("dead", "smtp refused"), ("done", "")] {
        let id = mentorhub::domain::ids::new_id();
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, \
             last_error, created_at, updated_at) \
             VALUES ($1, 'email.send', '{}', $2, $3, 8, 8, $4, $3, $3)",
        )
        .bind(&id)
        .bind(status)
        .bind(now)
        .bind(error)
        .execute(&app.ctx().db.pool)
        .await
        .unwrap();
        ids.push(id);
    }
    let (dead, done) = (&ids[0], &ids[1]);

    assert_problem(
        &app.get("/api/v1/admin/jobs", member.token()).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get("/api/v1/admin/jobs?status=broken", admin.token())
            .await,
        422,
        "invalid_input",
    );
    let (s, list) = app
        .get("/api/v1/admin/jobs?status=dead", admin.token())
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["id"], dead.as_str());
    assert_eq!(items[0]["last_error"], "smtp refused");
    assert_eq!(items[0]["attempts"], 8);
    assert!(
        list["counts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "done" && c["count"] == 1),
        "{list}"
    );

    let retry = |id: &str| format!("/api/v1/admin/jobs/{id}/retry");
    assert_problem(
        &app.post(&retry(dead), member.token(), json!({})).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.post(&retry(done), admin.token(), json!({})).await,
        409,
        "not_dead",
    );
    assert_problem(
        &app.post(
            &retry(&mentorhub::domain::ids::new_id()),
            admin.token(),
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    let (s, _) = app.post(&retry(dead), admin.token(), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = app
        .get("/api/v1/admin/jobs?status=queued", admin.token())
        .await;
    assert_eq!(list["items"][0]["id"], dead.as_str());
    assert_eq!(list["items"][0]["attempts"], 0);
    assert_problem(
        &app.post(&retry(dead), admin.token(), json!({})).await,
        409,
        "not_dead",
    );
}

/// Settings that move credits, floors of durations and pools, the meeting link, SMTP,
/// sender and site addresses, and a Stripe key without its webhook secret are refused
/// at start with their name and range, not silently clamped (a 101 % platform fee
/// became 100 %, paying mentors nothing) or found broken at the first email or payment.
/// A sender written with a name and the site's address with a path are taken.
#[test]
fn settings_out_of_range_stop_the_server_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value, says) in [
        (
            "MENTORHUB_PLATFORM_FEE_PERCENT",
            "101",
            "MENTORHUB_PLATFORM_FEE_PERCENT: 0 to 100 (got 101)",
        ),
        (
            "MENTORHUB_LATE_CANCEL_REFUND_PERCENT",
            "150",
            "0 to 100 (got 150)",
        ),
        ("MENTORHUB_CANCEL_NOTICE_HOURS", "-1", "0 to 8760 (got -1)"),
        (
            "MENTORHUB_MEETING_URL_TEMPLATE",
            "javascript:alert(1)",
            "an https:// (or http://) address",
        ),
        ("MENTORHUB_SMTP_URL", "garbage", "MENTORHUB_SMTP_URL"),
        // Floors are refused too, not quietly raised.
        (
            "MENTORHUB_JOB_LEASE_SECS",
            "1",
            "MENTORHUB_JOB_LEASE_SECS: at least 3 (got 1)",
        ),
        (
            "MENTORHUB_DATABASE_CONNECTIONS",
            "0",
            "MENTORHUB_DATABASE_CONNECTIONS: at least 1 (got 0)",
        ),
        (
            "MENTORHUB_ACCESS_TOKEN_TTL_SECS",
            "0",
            "MENTORHUB_ACCESS_TOKEN_TTL_SECS: at least 60 (got 0)",
        ),
        // Addresses emails are made of, found broken at start, not at the first email.
        (
            "MENTORHUB_MAIL_FROM",
            "bogus",
            "MENTORHUB_MAIL_FROM: an address",
        ),
        (
            "MENTORHUB_BASE_URL",
            "notaurl",
            "MENTORHUB_BASE_URL: an http:// or https://",
        ),
        (
            "MENTORHUB_BASE_URL",
            "https://",
            "MENTORHUB_BASE_URL: an address with a host",
        ),
        // A Stripe key without the webhook's secret would take money and credit nothing.
        (
            "MENTORHUB_STRIPE_SECRET_KEY",
            "sk_test_123",
            "MENTORHUB_STRIPE_WEBHOOK_SECRET: required with MENTORHUB_STRIPE_SECRET_KEY",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mentorhub"))
            .args(["--data-dir", dir.path().to_str().unwrap(), "migrate"])
            .env_remove("DATABASE_URL")
            .env_remove("MENTORHUB_STRIPE_WEBHOOK_SECRET")
            .env(name, value)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}={value} was taken");
        assert!(err.contains(says), "{name}={value}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    for (name, value) in [
        (
            "MENTORHUB_MAIL_FROM",
            "Mentors of Acme <mentors@acme.example>",
        ),
        ("MENTORHUB_BASE_URL", "https://acme.example/mentoring/"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mentorhub"))
            .args(["--data-dir", dir.path().to_str().unwrap(), "migrate"])
            .env_remove("DATABASE_URL")
            .env(name, value)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}={value}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `migrate` names what it applied (and says when there was nothing), on/off settings
/// read as people write them (`1`, `yes`, `on`) while a typo still stops the start, and
/// a PostgreSQL that refuses the connection is named as such at once instead of after
/// a pool's 10-second wait.
#[test]
fn migrate_reports_settings_read_plainly_and_a_refused_database_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let run = |envs: &[(&str, &str)], args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mentorhub"));
        cmd.args(["--data-dir", dir.path().to_str().unwrap()])
            .args(args)
            .env_remove("DATABASE_URL");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, first, err) = run(&[], &["migrate"]);
    assert!(ok, "{err}");
    assert!(
        first.contains("applied 0001_foundation") && first.contains("applied 0024_password_resets"),
        "{first}"
    );
    let (ok, again, _) = run(&[], &["migrate"]);
    assert!(ok);
    assert_eq!(
        again.trim(),
        "database is up to date: no migration to apply"
    );

    for yes in ["1", "yes", "on", "true", "TRUE"] {
        let (ok, _, err) = run(&[("MENTORHUB_SECURE_COOKIES", yes)], &["migrate"]);
        assert!(ok, "MENTORHUB_SECURE_COOKIES={yes}: {err}");
    }
    let (ok, _, err) = run(&[("MENTORHUB_AUTO_APPROVE_MENTORS", "maybe")], &["migrate"]);
    assert!(!ok, "a typo is not taken as on or off");
    assert!(err.contains("maybe"), "{err}");

    let started = std::time::Instant::now();
    let (ok, _, err) = run(
        &[],
        &[
            "--database-url",
            "postgres://postgres@127.0.0.1:1/nothing",
            "migrate",
        ],
    );
    assert!(!ok);
    assert!(err.to_lowercase().contains("refused"), "{err}");
    // Said once, as text (the log line and the message said it twice).
    assert!(
        !err.contains("fatal") && err.trim().lines().count() == 1,
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "said at once, not after the pool's wait: {:?}",
        started.elapsed()
    );
}

/// A suspension whose wind-down was cut short (the server died after the suspension
/// committed, before the mentor's coming sessions were cancelled) is finished by the
/// maintenance pass a few minutes on, once; a suspension wound down by its request is
/// not wound down again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_suspension_is_wound_down_by_maintenance_once() {
    use mentorhub::store::column::Column;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-04T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let booking = b["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/bookings/{booking}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    assert_eq!(app.balance(&mentee).await, (90, 10));

    // The suspension commits as the request writes it, and the process dies then.
    sqlx::query("UPDATE users SET suspended_at = $1, suspended_reason = 'Spam' WHERE id = $2")
        .bind(app.clock_now().stored())
        .bind(&mentor.user_id)
        .execute(&app.ctx().db.pool)
        .await
        .unwrap();
    let status_of = || async {
        let (_, b) = app
            .get(&format!("/api/v1/bookings/{booking}"), mentee.token())
            .await;
        b["status"].as_str().unwrap().to_string()
    };
    // Not at once: the request that suspends may still be winding it down.
    app.tick().await;
    assert_eq!(status_of().await, "accepted");
    app.clock.advance(jiff::SignedDuration::from_mins(6));
    app.tick().await;
    assert_eq!(status_of().await, "cancelled", "taken over");
    assert_eq!(app.balance(&mentee).await, (100, 0), "refunded");
    let notices = || async {
        app.notifications(&mentee)
            .await
            .iter()
            .filter(|x| x["kind"] == "mentorship_answered" || x["kind"] == "booking_cancelled")
            .count()
    };
    let told = notices().await;
    assert!(told >= 1, "the mentee is told");
    app.clock.advance(jiff::SignedDuration::from_mins(6));
    app.tick().await;
    assert_eq!(notices().await, told, "once");

    // A suspension made through the API winds down at once and is not taken over.
    let (other, _) = app.second_mentor(&admin).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/users/{}/suspend", other.user_id),
            admin.token(),
            json!({"reason": "Spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let wound: Option<i64> = sqlx::query_scalar("SELECT wound_down_at FROM users WHERE id = $1")
        .bind(&other.user_id)
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert!(wound.is_some(), "recorded by the request");
    app.assert_ledger_ok().await;
}

/// An admin opens one user's page from the console: who they are, their credits and
/// latest movements, their bookings on either side, and the console's actions, which
/// come back to that page. Nobody else may open it, and a closed account has none.
#[tokio::test]
async fn an_admin_reads_one_users_page() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service,
                   "start": "2026-03-03T10:00:00Z", "topic": "Career"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let c = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, list) = text(&c, &app, "/admin?q=mentee").await;
    let page = format!("/admin/users/{}", mentee.user_id);
    assert!(
        list.contains(&format!("<a href=\"{page}\">Test mentee</a>")),
        "{list}"
    );
    let (status, html) = text(&c, &app, &page).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for words in [
        "mentee@example.com",
        "<span class=\"stat-value\" id=\"user-balance\">70</span>",
        "Credits held for a booking",
        "1:1 mentoring session</a></td><td data-label=\"As\">mentee</td><td data-label=\"With\">Test mentor</td><td data-label=\"Status\">pending</td>",
        "/admin/audit?target=mentee%40example.com",
    ] {
        assert!(html.contains(words), "{words}: {html}");
    }
    // Credits are granted from here too, and it comes back here.
    let res = c
        .post(app.url("/admin/credits"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", "mentee@example.com"),
            ("amount", "5"),
            ("reason", "Goodwill"),
            ("back", page.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], page.as_str());
    let (_, html) = text(&c, &app, &page).await;
    assert!(
        html.contains("Granted 5 credits; their balance is now 75.")
            && html.contains("<span class=\"stat-value\" id=\"user-balance\">75</span>"),
        "{html}"
    );
    // Its booking opens read-only for the admin, naming both people.
    let booking = format!("/admin/bookings/{}", b["id"].as_str().unwrap());
    assert!(html.contains(&format!("<a href=\"{booking}\">")), "{html}");
    let (status, view) = text(&c, &app, &booking).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    for words in [
        format!(
            "<a href=\"/admin/users/{}\">Test mentor</a>",
            mentor.user_id
        ),
        format!(
            "<a href=\"/admin/users/{}\">Test mentee</a>",
            mentee.user_id
        ),
        "<dt>Credits</dt><dd>30 held</dd>".to_string(),
        "requested".to_string(),
    ] {
        assert!(view.contains(&words), "{words}: {view}");
    }
    // The mentor's page shows the same booking from their side.
    let (_, theirs) = text(&c, &app, &format!("/admin/users/{}", mentor.user_id)).await;
    assert!(
        theirs.contains("</a></td><td data-label=\"As\">mentor</td><td data-label=\"With\">Test mentee</td><td data-label=\"Status\">pending</td>"),
        "{theirs}"
    );
    // Its actions come back to it.
    let res = c
        .post(app.url(&format!("/admin/users/{}/roles", mentee.user_id)))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("back", page.as_str()),
            ("mentor", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], page.as_str());
    // Nobody else opens it; a closed account has none.
    let m = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    assert_eq!(text(&m, &app, &page).await.0, StatusCode::FORBIDDEN);
    assert_eq!(text(&m, &app, &booking).await.0, StatusCode::FORBIDDEN);
    let gone = app.register("gone@example.com").await;
    let (status, _) = app
        .call(Method::DELETE, "/api/v1/me", gone.token(), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = text(&c, &app, &format!("/admin/users/{}", gone.user_id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Taking the mentor role away takes the mentor out of search, their page and new
/// bookings (what is booked stays); giving it back lists them again.
#[tokio::test]
async fn without_the_mentor_role_a_mentor_is_unlisted_until_it_comes_back() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let book =
        |start: &str| json!({"mentor_id": mentor.user_id, "service_id": service, "start": start});
    let (status, booked) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book("2026-03-04T10:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let page = format!("/api/v1/mentors/{}", mentor.user_id);
    assert_eq!(app.get(&page, mentee.token()).await.0, StatusCode::OK);
    let roles = format!("/api/v1/admin/users/{}/roles", mentor.user_id);
    let (status, u) = app
        .call(
            Method::PUT,
            &roles,
            admin.token(),
            Some(json!({"roles": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_problem(&app.get(&page, mentee.token()).await, 404, "not_found");
    let (_, found) = app.get("/api/v1/mentors?q=backend", mentee.token()).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0, "{found}");
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            mentee.token(),
            book("2026-03-04T12:00:00Z"),
        )
        .await,
        422,
        "invalid_input",
    );
    let (_, mine) = app.get("/api/v1/me/mentor-profile", mentor.token()).await;
    assert_eq!(mine["status"], "suspended", "{mine}");
    let (status, kept) = app
        .get(
            &format!("/api/v1/bookings/{}", booked["id"].as_str().unwrap()),
            mentee.token(),
        )
        .await;
    assert_eq!(
        (status, &kept["status"]),
        (StatusCode::OK, &json!("pending"))
    );

    let (status, u) = app
        .call(
            Method::PUT,
            &roles,
            admin.token(),
            Some(json!({"roles": ["mentor"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(app.get(&page, mentee.token()).await.0, StatusCode::OK);
    let (status, again) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book("2026-03-04T12:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
}

/// The only admin cannot close their account (the site would have nobody to approve
/// mentors, grant credits or answer reports); once another admin exists, they can.
#[tokio::test]
async fn the_last_admin_cannot_close_their_account() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let close = || app.call(Method::DELETE, "/api/v1/me", admin.token(), None);
    assert_problem(&close().await, 409, "last_admin");
    let (status, me) = app.get("/api/v1/me", admin.token()).await;
    assert_eq!(status, StatusCode::OK, "nothing was closed: {me}");
    // The settings page says why, beside its form.
    let c = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, html) = text(&c, &app, "/settings").await;
    let res = c
        .post(app.url("/settings/delete"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("password", "admin password 1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("You are the only admin: make another member an admin"),
        "{html}"
    );
    // A suspended admin does not count; an active one does.
    let other = app.register("second@example.com").await;
    let roles = format!("/api/v1/admin/users/{}/roles", other.user_id);
    let (status, b) = app
        .call(
            Method::PUT,
            &roles,
            admin.token(),
            Some(json!({"roles": ["mentee", "admin"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, b) = app
        .post(
            &format!("/api/v1/admin/users/{}/suspend", other.user_id),
            admin.token(),
            json!({"reason": "on leave"}),
        )
        .await;
    assert!(status.is_success(), "{b}");
    assert_problem(&close().await, 409, "last_admin");
    let (status, b) = app
        .post(
            &format!("/api/v1/admin/users/{}/unsuspend", other.user_id),
            admin.token(),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{b}");
    assert_eq!(close().await.0, StatusCode::NO_CONTENT);
}

/// Suspending from the pages says what the suspension ended, with its figures.
#[tokio::test]
async fn a_suspension_says_what_it_cancelled() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service,
                   "start": "2026-03-03T10:00:00Z", "topic": "Career"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let c = sign_in(&app, "root@example.com", "admin password 1").await;
    let page = format!("/admin/users/{}", mentor.user_id);
    let (_, html) = text(&c, &app, &page).await;
    let res = c
        .post(app.url(&format!("{page}/suspend")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("confirmed", "1"),
            ("reason", "Fake profile"),
            ("back", page.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, &page).await;
    assert!(
        html.contains(
            "The user is suspended and signed out everywhere. Cancelled, everyone told and \
             refunded — coming bookings: 1; group sessions they led: 0."
        ),
        "{html}"
    );
    assert_eq!(app.balance(&mentee).await, (100, 0), "refunded");
}

/// A suspended mentor is told by email (they cannot sign in), and told again when it
/// is lifted; their mentee's pages mark them not active instead of leading to their
/// profile and booking (which answer 404 meanwhile), and lead there again after.
#[tokio::test]
async fn a_suspended_mentor_is_told_and_their_mentee_is_not_sent_to_a_404() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    let mentorship = m["id"].as_str().unwrap().to_string();
    let (status, _) = app
        .post(
            &format!("/api/v1/mentorships/{mentorship}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service,
                   "start": "2026-03-03T10:00:00Z", "topic": "Career"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let booking = b["id"].as_str().unwrap().to_string();
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let book = format!("href=\"/mentors/{}#book\"", mentor.user_id);
    let (_, before) = text(&c, &app, "/mentorship?tab=mentors").await;
    assert!(
        before.contains(&book) && !before.contains("not active"),
        "{before}"
    );

    let suspend = format!("/api/v1/admin/users/{}/suspend", mentor.user_id);
    let (status, _) = app
        .post(&suspend, admin.token(), json!({"reason": "Under review"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let subjects = |to: &'static str| {
        let pool = app.ctx().db.pool.clone();
        async move {
            mentorhub::store::notify::emails_for(&pool, to)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.subject, e.body))
                .collect::<Vec<_>>()
        }
    };
    let mails = subjects("mentor@example.com").await;
    let (subject, body) = &mails[0];
    assert!(subject.contains("Your account is suspended"), "{mails:?}");
    assert!(
        body.contains("cannot sign in") && !body.contains("Under review"),
        "{body}"
    );
    // Nothing to open or to choose: they cannot sign in.
    assert!(
        !body.contains("Open: ") && !body.contains("Choose which emails"),
        "{body}"
    );

    // The mentee: the mentorship stays, marked; no way to a profile that is not there.
    let (_, page) = text(&c, &app, "/mentorship?tab=mentors").await;
    assert!(
        page.contains("not active") && !page.contains(&book),
        "{page}"
    );
    assert!(
        !page.contains(&format!("href=\"/mentors/{}\"", mentor.user_id)),
        "{page}"
    );
    let (_, listed) = app
        .get("/api/v1/mentorships?role=mentee", mentee.token())
        .await;
    assert_eq!(
        listed["items"][0]["mentor_active"],
        json!(false),
        "{listed}"
    );
    assert_eq!(listed["items"][0]["mentee_active"], json!(true), "{listed}");
    let (_, dashboard) = text(&c, &app, "/dashboard").await;
    assert!(
        !dashboard.contains(&format!("/mentors/{}\"", mentor.user_id)),
        "{dashboard}"
    );
    let (_, cancelled) = text(&c, &app, &format!("/bookings/{booking}")).await;
    assert!(!cancelled.contains("id=\"book-again\""), "{cancelled}");
    let (status, _) = text(&c, &app, &format!("/mentors/{}", mentor.user_id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Lifted: told, and the mentee is led to book again.
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/users/{}/unsuspend", mentor.user_id),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mails = subjects("mentor@example.com").await;
    assert!(
        mails[0].0.contains("Your account is active again")
            && mails[0].1.contains("/dashboard")
            && !mails[0].1.contains("Choose which emails"),
        "{mails:?}"
    );
    let (_, page) = text(&c, &app, "/mentorship?tab=mentors").await;
    assert!(
        page.contains(&book) && !page.contains("not active"),
        "{page}"
    );
    let (_, cancelled) = text(&c, &app, &format!("/bookings/{booking}")).await;
    assert!(cancelled.contains("id=\"book-again\""), "{cancelled}");
}

/// A suspended mentor's waiting series is cancelled as one: the mentee hears once for
/// the series (and once for a single booking beside it), not once a session, and every
/// session's credits come back.
#[tokio::test]
async fn a_suspension_cancels_a_series_with_one_notice() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (status, s) = app
        .post(
            "/api/v1/bookings/series",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service,
                   "start": "2026-03-10T10:00:00Z", "every_weeks": 1, "occurrences": 4,
                   "topic": "Weekly check-in"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service,
                   "start": "2026-03-04T10:00:00Z", "topic": "One off"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(app.balance(&mentee).await, (50, 50));
    let before = app.notifications(&mentee).await.len();
    let (status, u) = app
        .post(
            &format!("/api/v1/admin/users/{}/suspend", mentor.user_id),
            admin.token(),
            json!({"reason": "Fake profile"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(
        app.balance(&mentee).await,
        (100, 0),
        "every session refunded"
    );
    let told = app.notifications(&mentee).await;
    let new: Vec<&str> = told[..told.len() - before]
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        new.len(),
        2,
        "one for the series, one for the single: {new:?}"
    );
    let (_, listed) = app.get("/api/v1/bookings", mentee.token()).await;
    let statuses: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["cancelled"; 5], "{listed}");
    app.assert_ledger_ok().await;
}
