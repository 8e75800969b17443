//! The web pages over plain HTTP: forms, CSRF, cookies, redirects, escaping.

use reqwest::{Client, StatusCode, header};
use serde_json::json;

use crate::support::TestApp;

fn browser_like() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The CSRF token of the first form on a page.
fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

async fn page(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = c.get(app.url(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn sign_up(c: &Client, app: &TestApp, email: &str) -> reqwest::Response {
    let (_, html) = page(c, app, "/signup").await;
    c.post(app.url("/signup"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", email),
            ("password", "correct horse battery"),
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("timezone", "Europe/Paris"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_up_needs_the_csrf_token_and_sets_a_safe_cookie() {
    let app = TestApp::spawn().await;
    let c = browser_like();
    let res = c
        .post(app.url("/signup"))
        .form(&[
            ("email", "x@example.com"),
            ("password", "correct horse battery"),
            ("first_name", "X"),
            ("last_name", "Y"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no token, no account");

    let res = sign_up(&c, &app, "ada@example.com").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/dashboard");
    let cookies: Vec<&str> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("mh_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/"),
        "{session}"
    );

    let (status, html) = page(&c, &app, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Hello, Ada"), "{html}");
    assert!(
        html.contains("Welcome to mentorhub"),
        "the flash message shows once"
    );
    let (_, again) = page(&c, &app, "/dashboard").await;
    assert!(!again.contains("Welcome to mentorhub"), "and only once");
    assert!(again.contains("Europe/Paris"));
}

#[tokio::test]
async fn invalid_sign_up_redisplays_the_form_with_messages() {
    let app = TestApp::spawn().await;
    let c = browser_like();
    let (_, html) = page(&c, &app, "/signup").await;
    let res = c
        .post(app.url("/signup"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", "bad"),
            ("password", "short"),
            ("first_name", "Keep me"),
            ("last_name", ""),
            ("as_mentor", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"Keep me\""), "input is kept");
    assert!(
        html.contains("name=\"as_mentor\" value=\"on\" checked"),
        "the tick too"
    );
    assert!(html.contains("Use at least 8 characters."));
    assert!(html.contains("This field is required."));
}

#[tokio::test]
async fn pages_need_a_session_and_come_back_after_sign_in() {
    let app = TestApp::spawn().await;
    app.register("back@example.com").await;
    let c = browser_like();
    let res = c.get(app.url("/settings")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/login?next=/settings");
    let (_, html) = page(&c, &app, "/login?next=/settings").await;
    assert!(html.contains("name=\"next\" value=\"/settings\""));
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", "back@example.com"),
            ("password", "wrong password"),
            ("next", "/settings"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("The email or password is not correct.")
    );
    // A form left empty is told what is missing, not that a password was wrong.
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", ""),
            ("password", ""),
            ("next", "/settings"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Type your email and your password."),
        "{body}"
    );
    assert!(
        body.contains("name=\"next\" value=\"/settings\""),
        "still coming back"
    );
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", "back@example.com"),
            ("password", "correct horse battery"),
            ("next", "/settings"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        res.text().await
    );
    assert_eq!(res.headers()[header::LOCATION], "/settings");

    // Open redirects are refused.
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let c2 = browser_like();
        let (_, html) = page(&c2, &app, "/login").await;
        let res = c2
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("email", "back@example.com"),
                ("password", "correct horse battery"),
                ("next", evil),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()[header::LOCATION], "/dashboard", "{evil}");
    }
}

#[tokio::test]
async fn the_cookie_works_on_the_api_with_the_csrf_header_for_writes() {
    let app = TestApp::spawn().await;
    let c = browser_like();
    sign_up(&c, &app, "cookie@example.com").await;
    let res = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c
        .patch(app.url("/api/v1/me"))
        .json(&json!({"headline": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a cross-site write would not know the token"
    );
    let (_, html) = page(&c, &app, "/settings").await;
    let res = c
        .patch(app.url("/api/v1/me"))
        .header("x-csrf-token", csrf_of(&html))
        .json(&json!({"headline": "From a script"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn user_text_is_escaped_on_pages() {
    let app = TestApp::spawn().await;
    let c = browser_like();
    sign_up(&c, &app, "xss@example.com").await;
    let (_, html) = page(&c, &app, "/settings").await;
    let res = c
        .post(app.url("/settings/profile"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("first_name", "<script>alert(1)</script>"),
            ("last_name", "\"><img src=x onerror=alert(1)>"),
            ("headline", ""),
            ("bio", "</textarea><script>alert(2)</script>"),
            ("avatar_url", ""),
            ("resume_url", ""),
            ("linkedin_url", ""),
            ("timezone", "UTC"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for path in ["/dashboard", "/settings"] {
        let (_, html) = page(&c, &app, path).await;
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                || html.contains("&#60;script&#62;"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let c = browser_like();
    sign_up(&c, &app, "out@example.com").await;
    let (_, html) = page(&c, &app, "/dashboard").await;
    let res = c
        .post(app.url("/logout"))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = c.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed out");
    assert_eq!(
        c.get(app.url("/api/v1/me")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unknown_pages_are_friendly_404s() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .get(app.url("/no/such/page"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().await.unwrap().contains("Go to the home page"));
}

/// A browser signed in as a new admin, boss@example.com.
async fn signed_in_admin(app: &TestApp) -> Client {
    mentorhub::service::admin::create_admin(app.ctx(), "boss@example.com", "boss password 1")
        .await
        .unwrap();
    let c = browser_like();
    let (_, html) = page(&c, app, "/login").await;
    c.post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", "boss@example.com"),
            ("password", "boss password 1"),
        ])
        .send()
        .await
        .unwrap();
    c
}

#[tokio::test]
async fn the_admin_console_is_for_admins() {
    let app = TestApp::spawn().await;
    let c = browser_like();
    sign_up(&c, &app, "notadmin@example.com").await;
    assert_eq!(
        c.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let c = signed_in_admin(&app).await;
    let (status, html) = page(&c, &app, "/admin?q=notadmin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("notadmin@example.com"));
    assert!(!html.contains("boss@example.com"), "the search filters");
}

/// Granting credits from the console: a refused grant (no such account, a number that
/// is none) comes back on the console saying why beside the form, what was typed kept;
/// a good one credits the member and says so.
#[tokio::test]
async fn a_refused_grant_says_why_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let c = signed_in_admin(&app).await;
    let member = app.register("member@example.com").await;
    let (_, html) = page(&c, &app, "/admin").await;
    let grant = |email: &'static str, amount: &'static str, csrf: String| {
        let c = c.clone();
        let url = app.url("/admin/credits");
        async move {
            c.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("email", email),
                    ("amount", amount),
                    ("reason", "Welcome to the cohort"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = grant("nobody@example.com", "50", csrf_of(&html)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(again.contains("id=\"error-summary\""), "{again}");
    assert!(
        again.contains("href=\"#grant-email\">Email: No account has this email.</a>"),
        "{again}"
    );
    assert!(
        again.contains("value=\"nobody@example.com\" aria-invalid=\"true\"")
            && again.contains("value=\"50\"")
            && again.contains("value=\"Welcome to the cohort\""),
        "kept: {again}"
    );
    let res = grant("member@example.com", "0", csrf_of(&again)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(
        again.contains("Credits: Grant between 1 and 1,000,000 credits."),
        "{again}"
    );
    assert_eq!(app.balance(&member).await.0, 0, "nothing granted");
    // A number too large for any wallet is still a number; every field is said at once.
    let res = grant("", "99999999999999999999", csrf_of(&again)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(
        again.contains("2 things to fix")
            && again.contains(">Email is required.</a>")
            && again.contains(">Credits: Grant between 1 and 1,000,000 credits.</a>"),
        "{again}"
    );
    let res = grant("member@example.com", "50", csrf_of(&again)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.balance(&member).await.0, 50);
}

/// A page handler that stops on an error (here a report id that is no id) answers the
/// error page with the signed-in navigation, through the one place that renders it.
#[tokio::test]
async fn a_failed_page_is_the_error_page_with_the_signed_in_navigation() {
    let app = TestApp::spawn().await;
    let c = signed_in_admin(&app).await;
    let (status, html) = page(&c, &app, "/admin/reports").await;
    assert_eq!(status, StatusCode::OK);
    let res = c
        .post(app.url("/admin/reports/not-an-id/resolve"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("action", "dismiss")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("Error 404."), "{html}");
    assert!(
        html.contains("Sign out"),
        "the page keeps its navigation: {html}"
    );
}

/// Two pages never share a title (a screen reader's first words, a tab's name): the
/// fixed titles of the templates are all different.
#[test]
fn every_page_has_a_title_of_its_own() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue; // partials have no title
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let Some(start) = text.find("{% block title %}") else {
            continue;
        };
        let rest = &text[start + "{% block title %}".len()..];
        let title = rest[..rest.find("{% endblock %}").unwrap()]
            .trim()
            .to_string();
        if title.starts_with("{{") && title.ends_with("}}") {
            continue; // a title that is all data: the page's own
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(other) = seen.insert(title.clone(), name.clone()) {
            panic!("{name} and {other} are both titled {title:?}");
        }
    }
    assert!(seen.len() > 20, "the templates were read: {seen:?}");
}

/// Pages ask for the stylesheet and script by version, so a new release is fetched at
/// once whatever a browser cached; each version is cached for a day.
#[tokio::test]
async fn assets_are_addressed_by_their_version() {
    let app = TestApp::spawn().await;
    let c = browser_like();
    let (_, html) = page(&c, &app, "/").await;
    for (name, kind) in [("app.css", "text/css"), ("app.js", "text/javascript")] {
        let marker = format!("\"/static/{name}?v=");
        let at = html
            .find(&marker)
            .unwrap_or_else(|| panic!("{name}: {html}"))
            + 1;
        let href = &html[at..at + html[at..].find('"').unwrap()];
        let version = href.rsplit('=').next().unwrap();
        assert_eq!(version.len(), 16, "{href}");
        assert!(version.chars().all(|c| c.is_ascii_hexdigit()), "{href}");
        let res = c.get(app.url(href)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers();
        assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with(kind));
        assert_eq!(h[header::CACHE_CONTROL], "public, max-age=86400");
    }
    // The icon: named by the pages, and where browsers look for it unasked.
    assert!(html.contains("<link rel=\"icon\" href=\"/static/icon.svg\""));
    for path in ["/static/icon.svg", "/favicon.ico"] {
        let res = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "image/svg+xml");
        assert!(res.text().await.unwrap().starts_with("<svg"));
    }
}

/// The time zone picker lists each place once, by its current name with its offset
/// from UTC; someone whose zone is an old name (set through the API, or reported by
/// their browser) still sees it chosen, so saving the form does not move them.
#[tokio::test]
async fn the_zone_picker_lists_each_place_once_and_keeps_an_old_name() {
    let app = TestApp::spawn().await;
    let c = browser_like();
    sign_up(&c, &app, "zones@example.com").await;
    let (_, html) = page(&c, &app, "/settings").await;
    assert!(
        html.contains("<option value=\"Asia/Kolkata\">Asia/Kolkata (UTC+05:30)</option>"),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"America/Sao_Paulo\">America/Sao_Paulo (UTC−03:00)</option>"),
        "{html}"
    );
    for old in [
        "Asia/Calcutta",
        "US/Eastern",
        "Australia/NSW",
        "Europe/Kiev",
    ] {
        assert!(!html.contains(&format!("value=\"{old}\"")), "{old} listed");
    }
    let res = c
        .patch(app.url("/api/v1/me"))
        .header("x-csrf-token", csrf_of(&html))
        .json(&json!({"timezone": "US/Eastern"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, html) = page(&c, &app, "/settings").await;
    assert!(
        html.contains("<option selected>US/Eastern</option>"),
        "{html}"
    );
    // An old name browsers report is kept as the zone's current one, the one listed.
    let res = c
        .patch(app.url("/api/v1/me"))
        .header("x-csrf-token", csrf_of(&html))
        .json(&json!({"timezone": "Asia/Calcutta"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, kolkata) = page(&c, &app, "/settings").await;
    assert!(
        kolkata
            .contains("<option value=\"Asia/Kolkata\" selected>Asia/Kolkata (UTC+05:30)</option>"),
        "{kolkata}"
    );
    assert_eq!(
        html.matches(" selected>").count(),
        html.matches("<select").count(),
        "one choice a select"
    );
}
