//! Accounts: register, login, tokens, profile, password, export, closing.

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, assert_problem, mentor_profile, test_config};

#[tokio::test]
async fn register_then_me_then_login_with_any_case() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": " Ada@Example.COM ", "password": "correct horse battery",
                   "first_name": "Ada", "last_name": "Lovelace", "timezone": "Europe/London"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["roles"], json!(["mentee"]));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["expires_in"],
        400 * 24 * 3600,
        "the configured lifetime"
    );
    assert!(body["user"].get("password_hash").is_none());
    let token = body["access_token"].as_str().unwrap();

    let (status, me) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["timezone"], "Europe/London");
    assert_eq!(me["status"], "active");
    assert!(me["created_at"].as_str().unwrap().ends_with('Z'));

    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "ADA@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id"], me["id"]);
}

#[tokio::test]
async fn duplicate_email_is_a_field_error_whatever_the_case() {
    let app = TestApp::spawn().await;
    app.register("sam@example.com").await;
    let got = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "SAM@example.com", "password": "another password",
                   "first_name": "Sam", "last_name": "Two"}),
        )
        .await;
    assert_problem(&got, 422, "invalid_input");
    assert_eq!(got.1["errors"][0]["field"], "email");
    assert_eq!(got.1["errors"][0]["code"], "email_taken");
}

#[tokio::test]
async fn registration_reports_every_invalid_field() {
    let app = TestApp::spawn().await;
    let got = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "not-an-email", "password": "short", "first_name": " ",
                   "last_name": "x".repeat(101), "timezone": "Mars/Olympus_Mons"}),
        )
        .await;
    assert_problem(&got, 422, "invalid_input");
    let mut fields: Vec<&str> = got.1["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["email", "first_name", "last_name", "password", "timezone"]
    );
    // Nothing was created.
    let got = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "not-an-email", "password": "short"}),
        )
        .await;
    assert_problem(&got, 401, "invalid_credentials");
}

#[tokio::test]
async fn passwords_are_8_to_128_characters_and_never_truncated() {
    let app = TestApp::spawn().await;
    let long = "p".repeat(100) + "END";
    let register = |email: &str, password: &str| json!({"email": email, "password": password, "first_name": "A", "last_name": "B"});
    let ok = app
        .post(
            "/api/v1/auth/register",
            None,
            register("long@example.com", &long),
        )
        .await;
    assert_eq!(ok.0, StatusCode::CREATED);
    // A prefix (as bcrypt's 72-byte truncation would accept) does not sign in.
    let got = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "long@example.com", "password": &long[..72]}),
        )
        .await;
    assert_problem(&got, 401, "invalid_credentials");
    let got = app
        .post(
            "/api/v1/auth/register",
            None,
            register("max@example.com", &"é".repeat(128)),
        )
        .await;
    assert_eq!(
        got.0,
        StatusCode::CREATED,
        "128 characters (256 bytes) is allowed"
    );
    let got = app
        .post(
            "/api/v1/auth/register",
            None,
            register("over@example.com", &"a".repeat(129)),
        )
        .await;
    assert_problem(&got, 422, "invalid_input");
    let got = app
        .post(
            "/api/v1/auth/register",
            None,
            register("under@example.com", "1234567"),
        )
        .await;
    assert_problem(&got, 422, "invalid_input");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_answer_the_same() {
    let app = TestApp::spawn().await;
    app.register("known@example.com").await;
    let unknown = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "whatever123"}),
        )
        .await;
    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "known@example.com", "password": "whatever123"}),
        )
        .await;
    assert_problem(&unknown, 401, "invalid_credentials");
    assert_eq!(unknown, wrong);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let s = app.register("rot@example.com").await;
    let (status, first) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": s.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let new_access = first["access_token"].as_str().unwrap();
    let new_refresh = first["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, s.refresh);
    assert_eq!(
        app.get("/api/v1/me", Some(new_access)).await.0,
        StatusCode::OK
    );

    // The rotated token presented again: refused, and the whole session ends.
    let replay = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": s.refresh}),
        )
        .await;
    assert_problem(&replay, 401, "refresh_token_reused");
    let after = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": new_refresh}),
        )
        .await;
    assert_problem(&after, 401, "invalid_token");
    assert_problem(
        &app.get("/api/v1/me", Some(new_access)).await,
        401,
        "invalid_token",
    );

    let junk = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": "not-a-token"}),
        )
        .await;
    assert_problem(&junk, 401, "invalid_token");
}

#[tokio::test]
async fn access_tokens_expire_and_refresh_tokens_outlive_them() {
    let defaults = mentorhub::config::Config::default();
    let app = TestApp::spawn_with(mentorhub::config::Config {
        access_token_ttl: defaults.access_token_ttl,
        refresh_token_ttl: defaults.refresh_token_ttl,
        ..test_config()
    })
    .await;
    let s = app.register("ttl@example.com").await;
    app.clock.advance(SignedDuration::from_mins(16));
    assert_problem(
        &app.get("/api/v1/me", s.token()).await,
        401,
        "invalid_token",
    );
    let (status, pair) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": s.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", pair["access_token"].as_str()).await.0,
        StatusCode::OK
    );
    // A refresh token unused for longer than its lifetime is dead.
    app.clock.advance(SignedDuration::from_hours(31 * 24));
    let got = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
    assert_problem(&got, 401, "invalid_token");
}

#[tokio::test]
async fn logout_ends_this_session_only() {
    let app = TestApp::spawn().await;
    let a = app.register("two@example.com").await;
    let (_, b) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "two@example.com", "password": "correct horse battery"}),
        )
        .await;
    let b_access = b["access_token"].as_str().unwrap();
    let (status, _) = app
        .call(Method::POST, "/api/v1/auth/logout", a.token(), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_problem(
        &app.get("/api/v1/me", a.token()).await,
        401,
        "invalid_token",
    );
    assert_problem(
        &app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": a.refresh}),
        )
        .await,
        401,
        "invalid_token",
    );
    assert_eq!(
        app.get("/api/v1/me", Some(b_access)).await.0,
        StatusCode::OK
    );
    assert_problem(
        &app.call(Method::POST, "/api/v1/auth/logout", None, None)
            .await,
        401,
        "unauthenticated",
    );
}

#[tokio::test]
async fn profile_updates_validate_urls_and_time_zones() {
    let app = TestApp::spawn().await;
    let s = app.register("pat@example.com").await;
    let patch = |body| app.call(Method::PATCH, "/api/v1/me", s.token(), Some(body));

    let (status, me) = patch(json!({
        "headline": "Rust developer", "bio": "Line one\nLine two",
        "avatar_url": "https://example.com/a.png", "linkedin_url": "https://www.linkedin.com/in/pat",
        "timezone": "Asia/Kolkata"
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["timezone"], "Asia/Kolkata");
    assert_eq!(me["bio"], "Line one\nLine two");
    assert_eq!(me["first_name"], "Test", "absent fields are kept");

    for (body, field) in [
        (
            json!({"avatar_url": "http://example.com/a.png"}),
            "avatar_url",
        ),
        (json!({"resume_url": "javascript:alert(1)"}), "resume_url"),
        (json!({"timezone": "Not/AZone"}), "timezone"),
        (json!({"first_name": ""}), "first_name"),
        (json!({"headline": "h".repeat(161)}), "headline"),
    ] {
        let got = patch(body).await;
        assert_problem(&got, 422, "invalid_input");
        assert_eq!(got.1["errors"][0]["field"], field);
    }
    assert_problem(
        &patch(json!({"email": "x@y.com"})).await,
        422,
        "invalid_input",
    );

    let (_, me) = patch(json!({"avatar_url": ""})).await;
    assert_eq!(me["avatar_url"], "", "an empty string clears");
    assert_eq!(
        me["headline"], "Rust developer",
        "failed patches changed nothing"
    );
}

#[tokio::test]
async fn password_change_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let a = app.register("pw@example.com").await;
    let (_, b) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "pw@example.com", "password": "correct horse battery"}),
        )
        .await;
    let b_access = b["access_token"].as_str().unwrap().to_string();

    let wrong = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            a.token(),
            Some(json!({"current_password": "nope nope nope", "new_password": "a new password"})),
        )
        .await;
    assert_problem(&wrong, 422, "invalid_input");
    assert_eq!(wrong.1["errors"][0]["field"], "current_password");
    let weak = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            a.token(),
            Some(json!({"current_password": "correct horse battery", "new_password": "short"})),
        )
        .await;
    assert_problem(&weak, 422, "invalid_input");
    // No current password, and a "new" one that is the current one: each said.
    let said = |b: &serde_json::Value| -> Vec<(String, String)> {
        b["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().into(),
                    e["code"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let (_, missing) = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            a.token(),
            Some(json!({"current_password": "", "new_password": "short"})),
        )
        .await;
    assert_eq!(
        said(&missing),
        [
            ("new_password".to_string(), "too_short".to_string()),
            ("current_password".into(), "required".into())
        ],
        "{missing}"
    );
    let same = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            a.token(),
            Some(json!({"current_password": "correct horse battery", "new_password": "correct horse battery"})),
        )
        .await;
    assert_problem(&same, 422, "invalid_input");
    assert_eq!(
        said(&same.1),
        [("new_password".to_string(), "same_password".to_string())]
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&b_access)).await.0,
        StatusCode::OK,
        "failed changes end nothing"
    );

    let (status, _) = app
        .call(Method::PUT, "/api/v1/me/password", a.token(),
            Some(json!({"current_password": "correct horse battery", "new_password": "a new password"})))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", a.token()).await.0,
        StatusCode::OK,
        "this session continues"
    );
    assert_problem(
        &app.get("/api/v1/me", Some(&b_access)).await,
        401,
        "invalid_token",
    );
    assert_problem(
        &app.post(
            "/api/v1/auth/login",
            None,
            json!({"email": "pw@example.com", "password": "correct horse battery"}),
        )
        .await,
        401,
        "invalid_credentials",
    );
    let ok = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "pw@example.com", "password": "a new password"}),
        )
        .await;
    assert_eq!(ok.0, StatusCode::OK);
}

#[tokio::test]
async fn export_holds_my_data_and_no_secrets() {
    let app = TestApp::spawn().await;
    let s = app.register("exp@example.com").await;
    let res = app
        .http
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(&s.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = res.text().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["account"]["email"], "exp@example.com");
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 1);
    assert!(!text.contains("argon2"), "no password hash in the export");
    assert!(!text.contains(&s.access), "no token in the export");
}

#[tokio::test]
async fn closing_an_account_erases_it_and_frees_the_email() {
    let app = TestApp::spawn().await;
    let s = app.register("bye@example.com").await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        s.token(),
        Some(json!({"bio": "secret bio"})),
    )
    .await;
    let (status, _) = app
        .call(Method::DELETE, "/api/v1/me", s.token(), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_problem(
        &app.get("/api/v1/me", s.token()).await,
        401,
        "invalid_token",
    );
    assert_problem(
        &app.post(
            "/api/v1/auth/login",
            None,
            json!({"email": "bye@example.com", "password": "correct horse battery"}),
        )
        .await,
        401,
        "invalid_credentials",
    );
    assert_problem(
        &app.get(&format!("/api/v1/users/{}", s.user_id), None).await,
        404,
        "not_found",
    );
    let row = mentorhub::store::users::by_id(&app.ctx().db.pool, &s.user_id)
        .await
        .unwrap()
        .unwrap();
    assert!(row.deleted_at.is_some(), "the row stays for history");
    assert!(!row.email.contains("bye@"), "the email is erased");
    assert_eq!(row.bio, "");
    app.register("bye@example.com").await;
}

#[tokio::test]
async fn public_profiles_show_no_private_fields() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.register("pub@example.com").await;
    let user = format!("/api/v1/users/{}", s.user_id);
    let (status, p) = app.get(&user, s.token()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["id"], s.user_id.as_str());
    assert!(
        p.get("email").is_none() && p.get("resume_url").is_none() && p.get("timezone").is_none()
    );
    // A member's name and links are not for whoever holds their id: a visitor and a
    // stranger find nothing; a mentor they asked for mentorship does.
    let stranger = app.register("stranger@example.com").await;
    assert_problem(&app.get(&user, None).await, 404, "not_found");
    assert_problem(&app.get(&user, stranger.token()).await, 404, "not_found");
    let mentor = app
        .approved_mentor(
            &admin,
            "mentor@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    assert_problem(&app.get(&user, mentor.token()).await, 404, "not_found");
    let (status, _) = app
        .post(
            "/api/v1/mentorships",
            s.token(),
            json!({"mentor_id": mentor.user_id, "message": "Teach me"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, p) = app.get(&user, mentor.token()).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["roles"], json!(["mentee"]));
    // A listed mentor's profile is public; an admin's role is theirs and admins' to see.
    let (status, m) = app
        .get(&format!("/api/v1/users/{}", mentor.user_id), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    let boss = format!("/api/v1/users/{}", admin.user_id);
    assert_problem(&app.get(&boss, None).await, 404, "not_found");
    let (_, own) = app.get(&boss, admin.token()).await;
    assert!(
        own["roles"].as_array().unwrap().contains(&json!("admin")),
        "{own}"
    );
    let (status, _) = app
        .post(
            "/api/v1/mentorships",
            admin.token(),
            json!({"mentor_id": mentor.user_id, "message": "Me too"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, seen) = app.get(&boss, mentor.token()).await;
    assert_eq!(seen["roles"], json!(["mentee"]), "{seen}");
    assert_problem(
        &app.get("/api/v1/users/not-a-uuid", None).await,
        404,
        "not_found",
    );
    assert_problem(
        &app.get("/api/v1/users/0190b1c4-0000-7000-8000-000000000000", None)
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn login_and_register_are_rate_limited_per_address_and_account() {
    let app = TestApp::spawn_with(mentorhub::config::Config {
        auth_rate_limit_per_minute: 3,
        ..test_config()
    })
    .await;
    let attempt = |email: &'static str| {
        app.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": "wrong password"}),
        )
    };
    for _ in 0..3 {
        assert_eq!(attempt("a@example.com").await.0, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "a@example.com", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // The address is limited for every account too.
    assert_eq!(
        attempt("b@example.com").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Registration has its own budget; a new window opens after a minute.
    app.clock.advance(SignedDuration::from_secs(61));
    assert_eq!(attempt("a@example.com").await.0, StatusCode::UNAUTHORIZED);
}

/// Closing an account on its page asks for the password again, and says which is
/// wrong: none given, or not the right one; nothing is closed until it is right.
#[tokio::test]
async fn closing_an_account_on_the_page_asks_for_the_password() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let leaving = app.register("leaving@example.com").await;
    let c = sign_in(&app, "leaving@example.com", "correct horse battery").await;
    let (_, page) = text(&c, &app, "/settings").await;
    assert!(
        !page.contains("closing-credits"),
        "no credits, nothing to say: {page}"
    );
    // Credits in the wallet are said to go with the account, before it is closed.
    let admin = app.admin().await;
    app.grant(&admin, &leaving.user_id, 35).await;
    let (_, page) = text(&c, &app, "/settings").await;
    assert!(
        page.contains("<strong>Your 35 credits go with the account</strong>"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    for (password, says) in [
        (
            "",
            "Enter your password to close the account; nothing was closed.",
        ),
        (
            "not it",
            "The password is not correct; the account was not closed.",
        ),
    ] {
        let res = c
            .post(app.url("/settings/delete"))
            .form(&[("csrf", csrf.as_str()), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert!(html.contains(says), "{html}");
    }
    let res = c
        .post(app.url("/settings/delete"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": "leaving@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "closed");
}

/// The titles and bodies of `user_id`'s notifications, and the subjects and bodies of
/// the emails to `to`, as one text.
async fn told(app: &TestApp, user_id: &str, to: &str) -> String {
    let pool = &app.ctx().db.pool;
    let notes: Vec<(String, String)> =
        sqlx::query_as("SELECT title, body FROM notifications WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(pool)
            .await
            .unwrap();
    let mails = mentorhub::store::notify::emails_for(pool, to)
        .await
        .unwrap();
    notes
        .into_iter()
        .map(|(t, b)| format!("{t}\n{b}"))
        .chain(
            mails
                .into_iter()
                .map(|m| format!("{}\n{}", m.subject, m.body)),
        )
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rows of `table` whose `user_id` is this one.
async fn rows_of(app: &TestApp, table: &str, user_id: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table} WHERE user_id = $1"
    )))
    .bind(user_id)
    .fetch_one(&app.ctx().db.pool)
    .await
    .unwrap()
}

/// Closing an account takes its name out of what others were told of it (their
/// notifications and the emails kept of them) and erases what it was told itself;
/// when someone else bears the same name, only what was about the account's own
/// bookings changes.
#[tokio::test]
async fn a_closed_accounts_name_leaves_what_others_were_told() {
    let book = |mentor: &str, service: &str, start: &str| json!({"mentor_id": mentor, "service_id": service, "start": start, "topic": "Career"});
    // Alone with the name.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, "2026-03-05T10:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{}/accept", b["id"].as_str().unwrap()),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = told(&app, &mentor.user_id, "mentor@example.com").await;
    assert!(before.contains("with Test mentee"), "{before}");
    assert!(rows_of(&app, "notifications", &mentee.user_id).await > 0);
    let (status, _) = app
        .call(Method::DELETE, "/api/v1/me", mentee.token(), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let after = told(&app, &mentor.user_id, "mentor@example.com").await;
    assert!(!after.contains("Test mentee"), "{after}");
    assert!(after.contains("with Deleted user"), "{after}");
    for table in ["notifications", "outbox", "notification_preferences"] {
        assert_eq!(rows_of(&app, table, &mentee.user_id).await, 0, "{table}");
    }

    // Another "Test mentee" (another address) books the same mentor: the mentions of
    // that one stay as they were.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let twin = app.register("mentee@elsewhere.example.com").await;
    app.grant(&admin, &twin.user_id, 100).await;
    for (who, start) in [
        (&mentee, "2026-03-05T10:00:00Z"),
        (&twin, "2026-03-05T11:00:00Z"),
    ] {
        let (status, _) = app
            .post(
                "/api/v1/bookings",
                who.token(),
                book(&mentor.user_id, &service, start),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = app
        .call(Method::DELETE, "/api/v1/me", mentee.token(), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let titles: Vec<String> = sqlx::query_scalar(
        "SELECT title FROM notifications WHERE user_id = $1 AND kind = 'booking_requested'",
    )
    .bind(&mentor.user_id)
    .fetch_all(&app.ctx().db.pool)
    .await
    .unwrap();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert_eq!(
        titles
            .iter()
            .filter(|t| t.ends_with("with Deleted user"))
            .count(),
        1,
        "{titles:?}"
    );
    assert_eq!(
        titles
            .iter()
            .filter(|t| t.ends_with("with Test mentee"))
            .count(),
        1,
        "{titles:?}"
    );
}

/// Closing an account while bookings with it are being made leaves none of them
/// standing: a request whose checks read the account open before the close is either
/// ended by the close (cancelled, refunded) or refused by its own write, which reads
/// the account again under its lock (`account_unavailable`). Tried from both sides:
/// the mentee closing while booking, the mentor closing while being booked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_account_while_it_is_being_booked_leaves_no_booking_standing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, _) = app.booking_setup(&admin, "UTC", 10, 1000).await;
    let (status, s) = app
        .post(
            "/api/v1/me/services",
            mentor.token(),
            json!({"kind": "resume_review", "title": "CV review", "duration_minutes": 45, "credit_cost": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let service = s["id"].as_str().unwrap().to_string();
    let other = app.register("other@example.com").await;
    app.grant(&admin, &other.user_id, 1000).await;
    let live = |user: String| {
        let pool = app.ctx().db.pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM bookings WHERE (mentee_id = $1 OR mentor_id = $1) \
                 AND status IN ('pending', 'accepted')",
            )
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap();
            n
        }
    };
    for (closing, booker) in [(&mentee, &mentee), (&mentor, &other)] {
        let book = (0..30).map(|i| {
            let (app, token, body) = (
                &app,
                booker.token(),
                json!({"mentor_id": mentor.user_id, "service_id": service, "topic": format!("During {i}")}),
            );
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(i)).await;
                app.post("/api/v1/bookings", token, body).await
            }
        });
        let close = async {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            app.call(Method::DELETE, "/api/v1/me", closing.token(), None)
                .await
        };
        let (answers, (closed, _)) = tokio::join!(futures_util::future::join_all(book), close);
        assert_eq!(closed, StatusCode::NO_CONTENT);
        for (status, b) in &answers {
            assert!(
                status.is_success() || status.is_client_error(),
                "{status} {b}"
            );
        }
        assert_eq!(live(closing.user_id.to_string()).await, 0, "{answers:?}");
    }
    app.assert_ledger_ok().await;
}

/// The latest email to `to` with this subject: its body.
async fn mail_to(app: &TestApp, to: &str, subject: &str) -> Option<String> {
    mentorhub::store::notify::emails_for(&app.ctx().db.pool, to)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.subject == subject)
        .map(|m| m.body)
}

/// The token of the link `path?token=` in an email.
fn link_token(body: &str, path: &str) -> String {
    let at = body.find(&format!("{path}?token=")).expect("a link") + path.len() + 7;
    body[at..].split_whitespace().next().unwrap().to_string()
}

async fn login_status(app: &TestApp, email: &str) -> StatusCode {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": "correct horse battery"}),
    )
    .await
    .0
}

/// A new address takes the password, goes to the new address as a link, and only
/// the link changes it: then the old address is told, signs in no more, and a reset
/// link mailed to it before stops working. Bad asks are refused with their reason.
#[tokio::test]
async fn a_new_email_address_is_the_accounts_once_its_link_is_followed() {
    let app = TestApp::spawn().await;
    let a = app.register("ada@example.com").await;
    app.register("taken@example.com").await;
    let ask = |email: &str, password: &str| {
        app.post(
            "/api/v1/me/email",
            a.token(),
            json!({"new_email": email, "password": password}),
        )
    };
    for (email, password, field, code) in [
        (
            "ada.new@example.com",
            "wrong password!",
            "password",
            "wrong_password",
        ),
        ("ada.new@example.com", "", "password", "required"),
        (
            "Ada@Example.com",
            "correct horse battery",
            "new_email",
            "unchanged",
        ),
        (
            "taken@example.com",
            "correct horse battery",
            "new_email",
            "email_taken",
        ),
        (
            "not an address",
            "correct horse battery",
            "new_email",
            "invalid_email",
        ),
    ] {
        let (status, b) = ask(email, password).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email}: {b}");
        assert_eq!(
            (&b["errors"][0]["field"], &b["errors"][0]["code"]),
            (&json!(field), &json!(code)),
            "{email}: {b}"
        );
    }
    // A reset link asked for the old address before the change.
    app.post(
        "/api/v1/auth/password-reset",
        None,
        json!({"email": "ada@example.com"}),
    )
    .await;
    let reset = link_token(
        &mail_to(&app, "ada@example.com", "Reset your mentorhub password")
            .await
            .expect("a reset email"),
        "/reset-password",
    );
    let (status, sent) = ask(" Ada.New@Example.com ", "correct horse battery").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(
        (&sent["email"], &sent["new_email"], &sent["outcome"]),
        (
            &json!("ada@example.com"),
            &json!("ada.new@example.com"),
            &json!("sent")
        )
    );
    // Nothing changes before the link is followed; a second ask within the minute
    // sends nothing.
    let (_, me) = app.get("/api/v1/me", a.token()).await;
    assert_eq!(me["email"], "ada@example.com", "{me}");
    assert_eq!(login_status(&app, "ada@example.com").await, StatusCode::OK);
    let (_, again) = ask("ada.new@example.com", "correct horse battery").await;
    assert_eq!(again["outcome"], "too_soon", "{again}");
    let mail = mail_to(
        &app,
        "ada.new@example.com",
        "Confirm your new email address",
    )
    .await
    .expect("a link to the new address");
    assert!(mail.contains("(it is ada@example.com now)"), "{mail}");
    let token = link_token(&mail, "/confirm-email");
    let (status, ok) = app
        .post("/api/v1/auth/confirm-email", None, json!({"token": token}))
        .await;
    assert_eq!(status, StatusCode::OK, "{ok}");
    assert_eq!(
        (&ok["email"], &ok["confirmed"]),
        (&json!("ada.new@example.com"), &json!(true))
    );
    let (_, me) = app.get("/api/v1/me", a.token()).await;
    assert_eq!(
        me["email"], "ada.new@example.com",
        "the session stays: {me}"
    );
    assert_eq!(
        login_status(&app, "ada.new@example.com").await,
        StatusCode::OK
    );
    assert_eq!(
        login_status(&app, "ada@example.com").await,
        StatusCode::UNAUTHORIZED
    );
    let told = mail_to(&app, "ada@example.com", "Your mentorhub address changed")
        .await
        .expect("the old address is told");
    assert!(told.contains("is now ada.new@example.com"), "{told}");
    // The reset link of the old address, and the used link, work no more.
    let (status, b) = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": reset, "new_password": "another password 9"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_problem(
        &app.post("/api/v1/auth/confirm-email", None, json!({"token": token}))
            .await,
        422,
        "invalid_input",
    );
    let (_, st) = app.get("/api/v1/me/email-confirmation", a.token()).await;
    assert_eq!(st["confirmed"], true, "the new address was proven: {st}");
}

/// Two accounts asking for one new address: the first to follow its link gets it; the
/// other's link is refused with the reason and changes nothing. A newer ask makes an
/// older link stop working.
#[tokio::test]
async fn one_new_address_goes_to_one_account() {
    let app = TestApp::spawn().await;
    let a = app.register("a@example.com").await;
    let b = app.register("b@example.com").await;
    let mut tokens = vec![];
    for s in [&a, &b] {
        let (status, sent) = app
            .post(
                "/api/v1/me/email",
                s.token(),
                json!({"new_email": "shared@example.com", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(
            (status, &sent["outcome"]),
            (StatusCode::ACCEPTED, &json!("sent"))
        );
        let mail = mail_to(&app, "shared@example.com", "Confirm your new email address")
            .await
            .expect("a link");
        tokens.push(link_token(&mail, "/confirm-email"));
    }
    let (status, ok) = app
        .post(
            "/api/v1/auth/confirm-email",
            None,
            json!({"token": tokens[1]}),
        )
        .await;
    assert_eq!(
        (status, &ok["email"]),
        (StatusCode::OK, &json!("shared@example.com"))
    );
    let (status, refused) = app
        .post(
            "/api/v1/auth/confirm-email",
            None,
            json!({"token": tokens[0]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["code"], "email_taken", "{refused}");
    let (_, me) = app.get("/api/v1/me", a.token()).await;
    assert_eq!(me["email"], "a@example.com");
    // Two links to one address followed at the same moment: one 200, one 422, never a
    // 5xx (on PostgreSQL the unique index refuses the second).
    let c = app.register("c@example.com").await;
    let d = app.register("d@example.com").await;
    let mut race = vec![];
    for s in [&c, &d] {
        app.post(
            "/api/v1/me/email",
            s.token(),
            json!({"new_email": "race@example.com", "password": "correct horse battery"}),
        )
        .await;
        race.push(link_token(
            &mail_to(&app, "race@example.com", "Confirm your new email address")
                .await
                .unwrap(),
            "/confirm-email",
        ));
    }
    let confirm = |t: String| {
        let app = &app;
        async move {
            app.post("/api/v1/auth/confirm-email", None, json!({"token": t}))
                .await
                .0
        }
    };
    let (x, y) = tokio::join!(confirm(race[0].clone()), confirm(race[1].clone()));
    let mut got = vec![x.as_u16(), y.as_u16()];
    got.sort_unstable();
    assert_eq!(got, vec![200, 422]);
    // A newer ask (after the minute) makes the older link stop working.
    let ask = |to: &'static str| {
        app.post(
            "/api/v1/me/email",
            a.token(),
            json!({"new_email": to, "password": "correct horse battery"}),
        )
    };
    app.clock.advance(SignedDuration::from_secs(61));
    ask("first@example.com").await;
    app.clock.advance(SignedDuration::from_secs(61));
    ask("second@example.com").await;
    let first = link_token(
        &mail_to(&app, "first@example.com", "Confirm your new email address")
            .await
            .unwrap(),
        "/confirm-email",
    );
    assert_problem(
        &app.post("/api/v1/auth/confirm-email", None, json!({"token": first}))
            .await,
        422,
        "invalid_input",
    );
    let (_, me) = app.get("/api/v1/me", a.token()).await;
    assert_eq!(me["email"], "a@example.com");
}

/// The settings page shows the address and changes it: a refused change says why and
/// keeps what was typed; a sent one says what happens next.
#[tokio::test]
async fn the_settings_page_shows_and_changes_the_address() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    app.register("page@example.com").await;
    let c = sign_in(&app, "page@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, "/settings").await;
    assert!(
        html.contains("You sign in with <strong>page@example.com</strong>, not confirmed yet."),
        "{html}"
    );
    assert!(html.contains("Send me a confirmation link"), "{html}");
    let post = |email: &'static str, password: &'static str, csrf: String| {
        c.post(app.url("/settings/email"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("new_email", email),
                ("password", password),
            ])
            .send()
    };
    let res = post("page.new@example.com", "not my password", csrf_of(&html))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"email_password-error\">The password is not correct."),
        "{html}"
    );
    assert!(html.contains("value=\"page.new@example.com\""), "{html}");
    let res = post(
        "page.new@example.com",
        "correct horse battery",
        csrf_of(&html),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, "/settings").await;
    assert!(
        html.contains("A link is on its way to your new address"),
        "{html}"
    );
    assert!(html.contains("<strong>page@example.com</strong>"), "{html}");
    // The change waits, said on every visit until the link is opened (not only in
    // the one-time message), with until when it works; then it is gone.
    let (_, later) = text(&c, &app, "/settings").await;
    assert!(
        later.contains(
            "Waiting for you to open the link sent to <strong>page.new@example.com</strong>"
        ) && later.contains("the link works until Wed 4 Mar 2026, 09:00"),
        "{later}"
    );
    app.clock.set("2026-03-04T09:00:00Z".parse().unwrap());
    let (_, expired) = text(&c, &app, "/settings").await;
    assert!(!expired.contains("id=\"email-pending\""), "{expired}");
}

/// A confirmation link asked for from a program's page leads back to it once the
/// address is confirmed (from the settings, back to the settings).
#[tokio::test]
async fn a_confirmation_asked_from_a_program_leads_back_to_it() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    app.register("joiner@example.com").await;
    let c = sign_in(&app, "joiner@example.com", "correct horse battery").await;
    let (_, settings) = text(&c, &app, "/settings").await;
    let program = "/programs/01a24707-0000-7000-8000-000000000001";
    let res = c
        .post(app.url("/settings/email-confirmation"))
        .form(&[("csrf", csrf_of(&settings).as_str()), ("back", program)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], program);
    let mail = mail_to(&app, "joiner@example.com", "Confirm your email address")
        .await
        .unwrap();
    let link = link_token(&mail, "/confirm-email");
    let (token, next) = link.split_once("&next=").expect("the way back in the link");
    assert_eq!(next, program);
    let (_, page) = text(
        &c,
        &app,
        &format!("/confirm-email?token={token}&next={next}"),
    )
    .await;
    assert!(
        page.contains(&format!("name=\"next\" value=\"{program}\"")),
        "{page}"
    );
    let res = c
        .post(app.url("/confirm-email"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("token", token),
            ("next", next),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], program);
}
