//! "Forgot your password?": a link by email that works once, for an hour, and ends
//! every session of the account; the same answer whether or not an address has one.

use jiff::SignedDuration;
use reqwest::{Client, Method, StatusCode, header};
use serde_json::json;

use crate::support::{TestApp, assert_problem};

/// The reset emails sent to `to`, newest first.
async fn reset_emails(app: &TestApp, to: &str) -> Vec<String> {
    mentorhub::store::notify::emails_for(&app.ctx().db.pool, to)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject == "Reset your mentorhub password")
        .map(|m| m.body)
        .collect()
}

/// The "password changed" emails sent to `to`, newest first.
async fn changed_emails(app: &TestApp, to: &str) -> Vec<String> {
    mentorhub::store::notify::emails_for(&app.ctx().db.pool, to)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject == mentorhub::service::accounts::PASSWORD_CHANGED_SUBJECT)
        .map(|m| m.body)
        .collect()
}

/// The token of the link in a reset email.
fn token_in(body: &str) -> String {
    let at = body.find("/reset-password?token=").expect("a reset link") + 22;
    body[at..].split_whitespace().next().unwrap().to_string()
}

async fn ask(app: &TestApp, email: &str) -> (StatusCode, serde_json::Value) {
    app.post("/api/v1/auth/password-reset", None, json!({"email": email}))
        .await
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> (StatusCode, serde_json::Value) {
    app.post(
        "/api/v1/auth/password-reset/confirm",
        None,
        json!({"token": token, "new_password": password}),
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
    .0
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let s = app.register("lost@example.com").await;

    // Unknown addresses get the same answer and no email; a malformed one is refused.
    assert_eq!(
        ask(&app, "nobody@example.com").await.0,
        StatusCode::ACCEPTED
    );
    assert!(reset_emails(&app, "nobody@example.com").await.is_empty());
    assert_problem(&ask(&app, "not an address").await, 422, "invalid_input");

    // Any case of the address finds the account; one email, whose link works.
    assert_eq!(
        ask(&app, " LOST@example.com ").await.0,
        StatusCode::ACCEPTED
    );
    let mails = reset_emails(&app, "lost@example.com").await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("works once, for 60 minutes"),
        "{}",
        mails[0]
    );
    let token = token_in(&mails[0]);
    // Asking again within a minute sends nothing more (no inbox flooding), and the
    // answer does not say so.
    assert_eq!(ask(&app, "lost@example.com").await.0, StatusCode::ACCEPTED);
    assert_eq!(reset_emails(&app, "lost@example.com").await.len(), 1);

    // A password that is not acceptable changes nothing; the link keeps working.
    let weak = confirm(&app, &token, "short").await;
    assert_problem(&weak, 422, "invalid_input");
    assert_eq!(weak.1["errors"][0]["field"], "new_password");
    assert_eq!(app.get("/api/v1/me", s.token()).await.0, StatusCode::OK);
    let mangled = confirm(&app, &token[..token.len() - 1], "a brand new password").await;
    assert_problem(&mangled, 422, "invalid_input");
    assert_eq!(mangled.1["errors"][0]["code"], "invalid_reset_link");
    assert_eq!(app.get("/api/v1/me", s.token()).await.0, StatusCode::OK);

    let (status, body) = confirm(&app, &token, "a brand new password").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_problem(
        &app.get("/api/v1/me", s.token()).await,
        401,
        "invalid_token",
    );
    assert_eq!(
        login(&app, "lost@example.com", "correct horse battery").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "lost@example.com", "a brand new password").await,
        StatusCode::OK
    );

    // Used once: the same link is refused, and the password stays.
    let again = confirm(&app, &token, "yet another password").await;
    assert_problem(&again, 422, "invalid_input");
    assert_eq!(again.1["errors"][0]["field"], "token");
    assert_eq!(
        login(&app, "lost@example.com", "a brand new password").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reset_links_expire_lose_to_a_password_change_and_one_request_wins_a_race() {
    let app = TestApp::spawn().await;
    let s = app.register("race@example.com").await;

    // An hour later the link no longer works.
    ask(&app, "race@example.com").await;
    let old = token_in(&reset_emails(&app, "race@example.com").await[0]);
    app.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(
        confirm(&app, &old, "a brand new password").await.1["errors"][0]["code"],
        "invalid_reset_link"
    );

    // A password changed in the settings spends the links sent before.
    ask(&app, "race@example.com").await;
    let before_change = token_in(&reset_emails(&app, "race@example.com").await[0]);
    let (status, _) = app
        .call(Method::PUT, "/api/v1/me/password", s.token(),
            Some(json!({"current_password": "correct horse battery", "new_password": "changed in settings"})))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The owner is told, in case it was not them.
    let told = changed_emails(&app, "race@example.com").await;
    assert_eq!(told.len(), 1);
    assert!(told[0].contains("in its settings") && told[0].contains("/forgot-password"));
    assert_eq!(
        confirm(&app, &before_change, "a brand new password")
            .await
            .1["errors"][0]["code"],
        "invalid_reset_link"
    );

    // Eight requests with one link at once: exactly one sets its password.
    app.clock.advance(SignedDuration::from_mins(2));
    ask(&app, "race@example.com").await;
    let token = token_in(&reset_emails(&app, "race@example.com").await[0]);
    let tries = (0..8).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            (
                i,
                confirm(app, token, &format!("racing password {i}")).await,
            )
        }
    });
    let results = futures_util::future::join_all(tries).await;
    let winners: Vec<usize> = results
        .iter()
        .filter(|(_, r)| r.0 == StatusCode::NO_CONTENT)
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (_, r) in results
        .iter()
        .filter(|(_, r)| r.0 != StatusCode::NO_CONTENT)
    {
        assert_problem(r, 422, "invalid_input");
    }
    assert_eq!(
        login(
            &app,
            "race@example.com",
            &format!("racing password {}", winners[0])
        )
        .await,
        StatusCode::OK
    );
    let told = changed_emails(&app, "race@example.com").await;
    assert_eq!(told.len(), 2, "one more for the reset that won");
    assert!(told[0].contains("with a reset link"), "{}", told[0]);

    // A closed account gets no email.
    let bye = app.register("gone@example.com").await;
    app.call(Method::DELETE, "/api/v1/me", bye.token(), None)
        .await;
    assert_eq!(ask(&app, "gone@example.com").await.0, StatusCode::ACCEPTED);
    assert!(reset_emails(&app, "gone@example.com").await.is_empty());

    // Sixteen requests for one address at once (a double click, a script): one email.
    app.register("burst@example.com").await;
    let asks = (0..16).map(|_| ask(&app, "burst@example.com"));
    for (status, body) in futures_util::future::join_all(asks).await {
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    assert_eq!(reset_emails(&app, "burst@example.com").await.len(), 1);
}

fn browser_like() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

async fn page(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = c.get(app.url(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn the_pages_take_a_visitor_from_sign_in_to_a_new_password_and_signed_in() {
    let app = TestApp::spawn().await;
    let old = app.register("web@example.com").await;
    let c = browser_like();

    let (_, login) = page(&c, &app, "/login").await;
    assert!(
        login.contains("href=\"/forgot-password\""),
        "the sign-in page links to it"
    );
    let (status, form) = page(&c, &app, "/forgot-password").await;
    assert_eq!(status, StatusCode::OK);
    let res = c
        .post(app.url("/forgot-password"))
        .form(&[("csrf", csrf_of(&form).as_str()), ("email", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("email-error"));
    let res = c
        .post(app.url("/forgot-password"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("email", "web@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let sent = res.text().await.unwrap();
    assert!(sent.contains("If an account uses"), "{sent}");
    let token = token_in(&reset_emails(&app, "web@example.com").await[0]);

    let (_, broken) = page(&c, &app, "/reset-password?token=not-a-real-token").await;
    assert!(broken.contains("does not work") && broken.contains("href=\"/forgot-password\""));
    assert!(!broken.contains("name=\"new_password\""));

    let res = c
        .get(app.url(&format!("/reset-password?token={token}")))
        .send()
        .await
        .unwrap();
    // The address holds the token: no other site is ever sent it as the referrer.
    assert_eq!(res.headers()[header::REFERRER_POLICY], "same-origin");
    let form = res.text().await.unwrap();
    assert!(form.contains("name=\"new_password\""));
    let post = |password: &'static str| {
        let (c, app, form, token) = (&c, &app, &form, &token);
        async move {
            c.post(app.url("/reset-password"))
                .form(&[
                    ("csrf", csrf_of(form).as_str()),
                    ("token", token.as_str()),
                    ("new_password", password),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let weak = post("short").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("new_password-error"));
    let done = post("a brand new password").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()[header::LOCATION], "/dashboard");
    let (status, dashboard) = page(&c, &app, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        dashboard.contains("Your new password is saved"),
        "signed in, with the news"
    );
    assert_problem(
        &app.get("/api/v1/me", old.token()).await,
        401,
        "invalid_token",
    );

    // The used link's page says it no longer works.
    let (_, used) = page(&c, &app, &format!("/reset-password?token={token}")).await;
    assert!(used.contains("does not work"));
}

/// A link asked for before a suspension, or before an operator set the password with
/// `admin create`, no longer works afterwards (it was spent with the sessions).
#[tokio::test]
async fn suspension_and_an_operator_set_password_spend_the_links() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.register("spent@example.com").await;
    ask(&app, "spent@example.com").await;
    let before = token_in(&reset_emails(&app, "spent@example.com").await[0]);
    for action in ["suspend", "unsuspend"] {
        let (status, body) = app
            .post(
                &format!("/api/v1/admin/users/{}/{action}", s.user_id),
                admin.token(),
                json!({"reason": "a test"}),
            )
            .await;
        assert!(status.is_success(), "{action}: {body}");
    }
    assert_eq!(
        confirm(&app, &before, "a brand new password").await.1["errors"][0]["code"],
        "invalid_reset_link"
    );

    app.clock.advance(SignedDuration::from_mins(2));
    ask(&app, "spent@example.com").await;
    let again = token_in(&reset_emails(&app, "spent@example.com").await[0]);
    mentorhub::service::admin::create_admin(app.ctx(), "spent@example.com", "set by the operator")
        .await
        .unwrap();
    assert_eq!(
        confirm(&app, &again, "a brand new password").await.1["errors"][0]["code"],
        "invalid_reset_link"
    );
    assert_eq!(
        login(&app, "spent@example.com", "set by the operator").await,
        StatusCode::OK
    );
}

/// A reset email delivered over SMTP keeps no live link in the database: the stored
/// copy (outbox, data export, backups) has the token replaced, while the link that
/// reached the mailbox still works.
#[tokio::test]
async fn a_delivered_reset_link_is_not_kept_in_the_outbox() {
    let sink = crate::support::SmtpSink::start().await;
    let app = TestApp::spawn_with(mentorhub::config::Config {
        smtp_url: Some(format!("smtp://{}", sink.addr)),
        ..crate::support::test_config()
    })
    .await;
    app.register("kept@example.com").await;
    let (status, _) = ask(&app, "kept@example.com").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mut delivered = None;
    for _ in 0..250 {
        let mails = sink.messages.lock().await.clone();
        if let Some(m) = mails.iter().find(|m| m.contains("reset-password?token=")) {
            delivered = Some(m.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let delivered = delivered.expect("the reset email reached the SMTP server");
    // A Message-ID of its own, at the sender's domain (mail without one is marked down).
    assert!(
        delivered.contains("Message-ID: <")
            && delivered.contains("@mentorhub.invalid>")
            && !delivered.contains("<<"),
        "{delivered}"
    );
    let delivered = delivered
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    // Quoted-printable may wrap the line: the token is read up to its line's end.
    let at = delivered.find("reset-password?token=").unwrap() + 21;
    let token: String = delivered[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert!(token.len() >= 20, "{delivered}");
    let mut stored = String::new();
    for _ in 0..250 {
        let rows = mentorhub::store::notify::emails_for(&app.ctx().db.pool, "kept@example.com")
            .await
            .unwrap();
        let row = rows
            .iter()
            .find(|m| m.subject == "Reset your mentorhub password")
            .unwrap();
        if row.status == "sent" {
            stored = row.body.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        stored.contains("reset-password?token=(removed-once-sent)") && !stored.contains(&token),
        "{stored}"
    );
    let (status, body) = confirm(&app, &token, "a brand new password 1").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        login(&app, "kept@example.com", "a brand new password 1").await,
        StatusCode::OK
    );
}

/// A reset email that could not go out within its link's hour (the SMTP server down,
/// the job retried later) is not sent with a dead link: it is marked failed and says
/// why; one sent in time goes out.
#[tokio::test]
async fn a_reset_email_whose_link_expired_while_waiting_is_not_sent() {
    let sink = crate::support::SmtpSink::start().await;
    let app = TestApp::spawn_with(mentorhub::config::Config {
        smtp_url: Some(format!("smtp://{}", sink.addr)),
        background_workers: false,
        ..crate::support::test_config()
    })
    .await;
    app.register("late@example.com").await;
    app.register("soon@example.com").await;
    assert_eq!(ask(&app, "late@example.com").await.0, StatusCode::ACCEPTED);
    app.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(ask(&app, "soon@example.com").await.0, StatusCode::ACCEPTED);
    mentorhub::jobs::run_due(app.ctx(), "test").await.unwrap();
    let mails = sink.messages.lock().await.clone();
    assert!(
        mails.iter().any(|m| m.contains("To: soon@example.com"))
            && !mails.iter().any(|m| m.contains("To: late@example.com")),
        "{mails:?}"
    );
    let late = mentorhub::store::notify::emails_for(&app.ctx().db.pool, "late@example.com")
        .await
        .unwrap();
    let late = late
        .iter()
        .find(|m| m.subject == "Reset your mentorhub password")
        .unwrap();
    assert_eq!(late.status, "failed");
    assert!(
        late.last_error.contains("link expired"),
        "{}",
        late.last_error
    );
}
