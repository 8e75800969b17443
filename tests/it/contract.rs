//! The published OpenAPI document tells the truth: parameters are where the document
//! says, and every answer's media type is the one documented for its status.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

async fn document(app: &TestApp) -> Value {
    let res = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// Every operation: (path, method, operation object).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("responses").is_some() {
                ops.push((path.clone(), method.clone(), op.clone()));
            }
        }
    }
    ops
}

#[tokio::test]
async fn parameters_are_where_the_document_says() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let mut wrong = vec![];
    for (path, method, op) in operations(&doc) {
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in &params {
            let name = p["name"].as_str().unwrap();
            let segment = format!("{{{name}}}");
            match p["in"].as_str().unwrap() {
                "path" if !path.contains(&segment) => wrong.push(format!(
                    "{method} {path}: `{name}` is declared in the path but is no segment of it"
                )),
                "path" if p["required"] != true => wrong.push(format!(
                    "{method} {path}: path parameter `{name}` not required"
                )),
                "query" if path.contains(&segment) => wrong.push(format!(
                    "{method} {path}: `{name}` is a path segment declared in the query"
                )),
                _ => {}
            }
        }
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(['{', '}']);
            if !params
                .iter()
                .any(|p| p["name"] == name && p["in"] == "path")
            {
                wrong.push(format!(
                    "{method} {path}: segment {segment} is not declared"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn errors_are_documented_as_problem_json_and_every_operation_has_them() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let mut wrong = vec![];
    for (path, method, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        if !responses.contains_key("default") {
            wrong.push(format!("{method} {path}: no default (error) answer"));
        }
        for (status, r) in responses {
            for (media, c) in r["content"].as_object().into_iter().flatten() {
                let problem = c["schema"]["$ref"] == "#/components/schemas/Problem";
                if problem != (media == "application/problem+json") {
                    wrong.push(format!(
                        "{method} {path} {status}: {media} with {}",
                        c["schema"]
                    ));
                }
                if (status.starts_with('4') || status == "default") && !problem {
                    wrong.push(format!(
                        "{method} {path} {status}: an error that is no problem"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn every_answer_has_the_media_type_documented_for_its_status() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let doc = document(&app).await;
    let mut wrong = vec![];
    let mut checked = 0;
    for (path, method, op) in operations(&doc) {
        // Not what would end the checking session (the socket answers a plain request
        // with a problem, as documented).
        if path.ends_with("/logout") || (method == "delete" && path == "/api/v1/me") {
            continue;
        }
        let method: reqwest::Method = method.to_uppercase().parse().unwrap();
        // Path parameters get a real id (a user's): some routes find it, some answer 404.
        let url: String = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    admin.user_id.as_str()
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for token in [None, Some(admin.access.as_str())] {
            let mut req = app.http.request(method.clone(), app.url(&url));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if method != reqwest::Method::GET {
                req = req.json(&serde_json::json!({}));
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16().to_string();
            let media = res.headers().get("content-type").map(|v| {
                v.to_str()
                    .unwrap()
                    .split(';')
                    .next()
                    .unwrap()
                    .trim()
                    .to_string()
            });
            let body = res.bytes().await.unwrap();
            let documented = op["responses"]
                .get(&status)
                .or_else(|| op["responses"].get(format!("{}XX", &status[..1])))
                .or_else(|| op["responses"].get("default"));
            let Some(documented) = documented else {
                wrong.push(format!("{method} {url}: {status} is not documented"));
                continue;
            };
            checked += 1;
            let types: Vec<&String> = documented["content"]
                .as_object()
                .map(|c| c.keys().collect())
                .unwrap_or_default();
            match (&media, types.is_empty()) {
                (_, true) if body.is_empty() => {}
                (Some(m), false) if types.contains(&m) => {}
                _ => wrong.push(format!(
                    "{method} {url} ({}): {status} sent {media:?}, documented {types:?}",
                    if token.is_some() {
                        "admin"
                    } else {
                        "anonymous"
                    }
                )),
            }
        }
    }
    assert!(checked > 150, "only {checked} answers checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
