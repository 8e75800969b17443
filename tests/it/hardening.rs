//! Hardening (issue 14): redirects that stay on the site, hostile text at the edge,
//! live sockets that end with their session, secrets kept out of the log, URL fields
//! that cannot point at a viewer's own network.

use reqwest::{Client, StatusCode, header};

use crate::support::{TestApp, browser::Browser};

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

/// `next`/`back` values a browser would follow off the site (TAB, CR and LF are
/// dropped from URLs, a backslash reads as a slash), or that no `Location` header can
/// carry. Each must send the person to the dashboard, never elsewhere, never a 5xx.
const OFF_SITE: &[&str] = &[
    "//evil.example/x",
    "/\\evil.example/x",
    "/\t/evil.example/x",
    "/\t\t/evil.example/x",
    "/\r/evil.example/x",
    "/\n/evil.example/x",
    "/\\/evil.example/x",
    "/x/\\..\\..\\/evil.example",
    "/\x0b/evil.example/x",
    "/\x0c/evil.example/x",
    "/\x1f/evil.example/x",
    "/\x7f/evil.example/x",
    "/ /evil.example/x",
    "/caf\u{e9}",
    "https://evil.example/x",
    "\t//evil.example/x",
    "",
];

/// Where a redirect points, or a description of why it is not one.
fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_else(|| format!("no Location ({})", res.status()))
}

/// `path?name=value`, the value form-encoded.
fn with_query(app: &TestApp, path: &str, name: &str, value: &str) -> String {
    app.url(&format!(
        "{path}?{}",
        serde_urlencoded::to_string([(name, value)]).unwrap()
    ))
}

async fn sign_up(c: &Client, app: &TestApp, email: &str) {
    let html = c
        .get(app.url("/signup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = c
        .post(app.url("/signup"))
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
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn redirects_after_sign_in_and_reports_never_leave_the_site() {
    let app = TestApp::spawn().await;
    let c = browser_like();
    sign_up(&c, &app, "next@example.com").await;
    let other = app.register("reported@example.com").await;

    // Signed in, the login page sends the person on to `next` at once.
    let ok = c
        .get(with_query(&app, "/login", "next", "/settings?tab=a%20b"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&ok), "/settings?tab=a%20b", "a local path is kept");
    for evil in OFF_SITE {
        let res = c
            .get(with_query(&app, "/login", "next", evil))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "GET next={evil:?}");
        assert_eq!(location(&res), "/dashboard", "GET next={evil:?}");
    }

    // Reporting comes back to `back`.
    let settings = c
        .get(app.url("/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&settings);
    for (i, evil) in OFF_SITE.iter().enumerate() {
        let res = c
            .post(app.url("/reports"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("target_type", "user"),
                ("target_id", other.user_id.as_str()),
                ("reason", &format!("report {i}")),
                ("back", evil),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "back={evil:?}");
        assert_eq!(location(&res), "/dashboard", "back={evil:?}");
    }

    // Signing in with `next`: still signed in, sent to the dashboard.
    for evil in OFF_SITE {
        let c = browser_like();
        let html = c
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let res = c
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("email", "next@example.com"),
                ("password", "correct horse battery"),
                ("next", evil),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST next={evil:?}");
        assert_eq!(location(&res), "/dashboard", "POST next={evil:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_stays_on_the_site_when_next_holds_a_tab() {
    let app = TestApp::spawn().await;
    let Some(b) = Browser::start().await else {
        return;
    };
    app.register("tab@example.com").await;
    b.sign_in(&app.base, "tab@example.com", "correct horse battery")
        .await;
    // Signed in: the login page forwards to `next` at once.
    b.goto_anywhere(&app.url("/login?next=/%09/evil.example/x"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let url = b.url().await;
    assert!(
        url.starts_with(&app.base),
        "Chromium left the site for {url}"
    );
    assert_eq!(b.wait_for_path("/dashboard").await, "/dashboard");
    b.close().await;
}
