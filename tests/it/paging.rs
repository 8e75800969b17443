//! Every list pages to its end: the cursor a page gives back is one the next request
//! accepts, for the lists ordered by an instant (bookings, threads, applications).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Session, TestApp, mentor_profile, weekdays_nine_to_five};

/// Follows `next_cursor` from `first` (which ends in `limit=1`) to the last page and
/// returns every id seen, in order.
async fn all_pages(app: &TestApp, first: &str, who: &Session) -> Vec<String> {
    let mut ids = vec![];
    let mut path = first.to_string();
    for _ in 0..20 {
        let (s, page) = app.get(&path, who.token()).await;
        assert_eq!(s, StatusCode::OK, "{path}: {page}");
        let items = page["items"].as_array().unwrap_or_else(|| panic!("{page}"));
        assert!(items.len() <= 1, "{page}");
        ids.extend(items.iter().map(|i| {
            i["id"]
                .as_str()
                .or(i["user_id"].as_str())
                .unwrap()
                .to_string()
        }));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("{first}&cursor={c}"),
            None => return ids,
        }
    }
    panic!("{first} did not end after 20 pages: {ids:?}");
}

#[tokio::test]
async fn lists_ordered_by_an_instant_page_to_the_end() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut mentors = vec![];
    for i in 0..3 {
        let m = app
            .approved_mentor(
                &admin,
                &format!("mentor{i}@example.com"),
                mentor_profile(&["backend"], &["rust"], 10),
            )
            .await;
        app.set_availability(&m, weekdays_nine_to_five("UTC")).await;
        mentors.push(m);
    }
    let mentee = app.register("mentee@example.com").await;
    app.grant(&admin, &mentee.user_id, 100).await;
    // One mentorship (and so one thread) and one booking with each mentor.
    for (m, start) in mentors.iter().zip([
        "2026-03-03T10:00:00Z",
        "2026-03-03T12:00:00Z",
        "2026-03-04T10:00:00Z",
    ]) {
        let (s, r) = app
            .post(
                "/api/v1/mentorships",
                mentee.token(),
                json!({"mentor_id": m.user_id, "message": "Hello, I am learning Rust."}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let accept = format!("/api/v1/mentorships/{}/accept", r["id"].as_str().unwrap());
        assert_eq!(
            app.post(&accept, m.token(), json!({})).await.0,
            StatusCode::OK
        );
        let service = app.first_service(&m.user_id).await;
        let (s, b) = app
            .post(
                "/api/v1/bookings",
                mentee.token(),
                json!({"mentor_id": m.user_id, "service_id": service, "start": start}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let distinct = |ids: &[String]| {
        let mut d = ids.to_vec();
        d.sort();
        d.dedup();
        d.len()
    };
    let bookings = all_pages(&app, "/api/v1/bookings?limit=1", &mentee).await;
    assert_eq!(
        (bookings.len(), distinct(&bookings)),
        (3, 3),
        "{bookings:?}"
    );
    let threads = all_pages(&app, "/api/v1/threads?limit=1", &mentee).await;
    assert_eq!((threads.len(), distinct(&threads)), (3, 3), "{threads:?}");
    let applications = all_pages(
        &app,
        "/api/v1/admin/mentor-applications?status=approved&limit=1",
        &admin,
    )
    .await;
    assert_eq!(
        (applications.len(), distinct(&applications)),
        (3, 3),
        "{applications:?}"
    );
}
