//! Bad input of every kind is a clear 4xx problem, never a 5xx.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::{TestApp, assert_problem};

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    ctype: Option<&str>,
    body: Vec<u8>,
    token: Option<&str>,
) -> (StatusCode, Value, String) {
    let mut req = app.http.request(method, app.url(path)).body(body);
    if let Some(c) = ctype {
        req = req.header("content-type", c);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        ctype,
    )
}

#[tokio::test]
async fn malformed_bodies_get_clear_problems() {
    let app = TestApp::spawn().await;
    let json = Some("application/json");
    let (s, b, ctype) = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        json,
        b"{not json".to_vec(),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), b["code"].as_str()),
        (400, Some("malformed_json"))
    );
    assert_eq!(ctype, "application/problem+json");

    // A UTF-8 byte-order mark before the JSON is ignored: the body is read as sent.
    app.register("bom@example.com").await;
    let (s, b, _) = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        json,
        b"\xEF\xBB\xBF{\"email\": \"bom@example.com\", \"password\": \"correct horse battery\"}"
            .to_vec(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // A compressed body is refused as such, not read as text it is not.
    let gz = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(vec![
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xab, 0xae, 5, 0, 0x43, 0xbf, 0xa6, 0xa3, 2, 0, 0,
            0,
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(gz.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let b: Value = gz.json().await.unwrap();
    assert!(
        b["detail"].as_str().unwrap().contains("uncompressed"),
        "{b}"
    );

    let (s, b, _) = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        json,
        br#"{"email": 1, "password": "x"}"#.to_vec(),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), b["code"].as_str()),
        (422, Some("invalid_input"))
    );
    assert_eq!(b["errors"][0]["field"], "email");

    let (s, b, _) = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        json,
        br#"{"email": "a@b.co"}"#.to_vec(),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), b["code"].as_str()),
        (422, Some("invalid_input")),
        "missing field: {b}"
    );

    let (s, b, _) = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        json,
        br#"{"email": "a@b.co", "password": "x", "admin": true}"#.to_vec(),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), b["code"].as_str()),
        (422, Some("invalid_input")),
        "unknown field: {b}"
    );
    assert_eq!(b["errors"][0]["field"], "admin");

    let (s, b, _) = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        Some("text/plain"),
        br#"{"email":"a@b.co","password":"x"}"#.to_vec(),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), b["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );

    // A struct is not read from an array of its fields, and nothing is changed.
    let s0 = app.register("arr@example.com").await;
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/auth/login",
            br#"["a@b.co", "x"]"#.to_vec(),
        ),
        (Method::PATCH, "/api/v1/me", br#"  ["Eve"]"#.to_vec()),
        (Method::PUT, "/api/v1/me/mentee-profile", b"[]".to_vec()),
    ] {
        let (s, b, _) = raw(&app, method, path, json, body, s0.token()).await;
        assert_eq!(
            (
                s.as_u16(),
                b["code"].as_str(),
                b["errors"][0]["field"].as_str()
            ),
            (422, Some("invalid_input"), Some("body")),
            "{path}: {b}"
        );
    }
    let (_, me) = app.get("/api/v1/me", s0.token()).await;
    assert_ne!(me["first_name"], "Eve");
    // A charset or a `+json` type is JSON still.
    for ctype in [
        "application/json; charset=utf-8",
        "application/merge-patch+json",
    ] {
        let (s, b, _) = raw(
            &app,
            Method::PATCH,
            "/api/v1/me",
            Some(ctype),
            br#"{"first_name": "Ann"}"#.to_vec(),
            s0.token(),
        )
        .await;
        assert_eq!(s.as_u16(), 200, "{ctype}: {b}");
    }

    let big = vec![b'a'; 1024 * 1024 + 10];
    let (s, b, _) = raw(&app, Method::POST, "/api/v1/auth/register", json, big, None).await;
    assert_eq!(
        (s.as_u16(), b["code"].as_str()),
        (413, Some("payload_too_large"))
    );

    let (s, b, _) = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        json,
        vec![0xff, 0xfe, 0x00],
        None,
    )
    .await;
    assert_eq!(s.as_u16(), 400, "{b}");
}

#[tokio::test]
async fn unknown_paths_methods_and_ids() {
    let app = TestApp::spawn().await;
    assert_problem(
        &app.get("/api/v1/does-not-exist", None).await,
        404,
        "not_found",
    );
    assert_problem(
        &app.call(Method::DELETE, "/api/v1/auth/login", None, None)
            .await,
        405,
        "method_not_allowed",
    );
    assert_problem(&app.get("/api/v1/users/%ff", None).await, 404, "not_found");
    // A NUL is refused at the edge, before any route looks at it.
    assert_problem(
        &app.get("/api/v1/users/%00%ff", None).await,
        400,
        "nul_character",
    );
    let s = app.register("hdr@example.com").await;
    let (status, body, _) = raw(&app, Method::GET, "/api/v1/me", None, vec![], Some("")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("Bearer {}x", s.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("Bearer {}", "a".repeat(5000)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// Throws junk at every write endpoint: whatever comes back, it is not a 5xx.
#[tokio::test]
async fn junk_never_causes_a_server_error() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.register("junk@example.com").await;
    let endpoints = [
        (Method::POST, "/api/v1/auth/register".to_string()),
        (Method::POST, "/api/v1/auth/login".to_string()),
        (Method::POST, "/api/v1/auth/refresh".to_string()),
        (Method::PATCH, "/api/v1/me".to_string()),
        (Method::PUT, "/api/v1/me/password".to_string()),
        (
            Method::POST,
            format!("/api/v1/admin/users/{}/suspend", user.user_id),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/users/{}/roles", user.user_id),
        ),
        (
            Method::GET,
            "/api/v1/admin/users?limit=-1&cursor=%FF&q=%27%3B--".to_string(),
        ),
    ];
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"string\"".to_vec(),
        b"{\"email\": null, \"password\": null}".to_vec(),
        b"{\"roles\": \"admin\"}".to_vec(),
        b"{\"roles\": [1, 2]}".to_vec(),
        b"{\"first_name\": \"\\u0000\"}".to_vec(),
        br#"{"timezone": "../../../etc/passwd"}"#.to_vec(),
        br#"{"email": "' OR 1=1 --@x.com", "password": "' OR 1=1 --", "first_name": "x", "last_name": "y"}"#.to_vec(),
        format!("{{\"bio\": \"{}\"}}", "x".repeat(6000)).into_bytes(),
        vec![b'{'; 10_000],
        (0..=255u8).collect(),
    ];
    for (method, path) in &endpoints {
        for body in &bodies {
            for token in [None, Some(admin.access.as_str())] {
                let (status, problem, _) = raw(
                    &app,
                    method.clone(),
                    path,
                    Some("application/json"),
                    body.clone(),
                    token,
                )
                .await;
                assert!(
                    status.is_client_error() || status.is_success(),
                    "{method} {path} with {:?} answered {status}: {problem}",
                    String::from_utf8_lossy(body)
                );
                if status.is_client_error() {
                    assert!(problem["code"].is_string(), "{method} {path}: {problem}");
                }
            }
        }
    }
}
