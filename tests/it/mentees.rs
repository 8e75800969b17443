//! A mentee's profile as their mentors see it: who may see it, what it holds, where it
//! is linked from; and a mentorship request that must introduce its sender.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    support::{Session, TestApp, assert_problem, mentor_profile},
    web_mentors::{sign_in, text},
};

async fn mentee_with_profile(app: &TestApp) -> Session {
    let mentee = app.register("learner@example.com").await;
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/me/mentee-profile",
            mentee.token(),
            Some(json!({"bio": "Backend developer moving to data.", "goals": ["Land a data engineering job"],
                "skills": ["python", "sql"], "interests": ["streaming"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    mentee
}

#[tokio::test]
async fn a_mentors_sees_who_asks_and_strangers_see_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "mentor@example.com",
            mentor_profile(&["data"], &[], 10),
        )
        .await;
    let other_mentor = app
        .approved_mentor(
            &admin,
            "other@example.com",
            mentor_profile(&["data"], &[], 10),
        )
        .await;
    let mentee = mentee_with_profile(&app).await;
    let stranger = app.register("stranger@example.com").await;
    let path = format!("/api/v1/mentees/{}", mentee.user_id);

    // Before any request, only the mentee and admins see it.
    for who in [&mentor, &other_mentor, &stranger] {
        assert_problem(&app.get(&path, who.token()).await, 404, "not_found");
    }
    let (s, own) = app.get(&path, mentee.token()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        own["goals"],
        json!(["Land a data engineering job"]),
        "the mentee's own words, their case kept"
    );
    assert_eq!(app.get(&path, admin.token()).await.0, StatusCode::OK);
    assert_problem(&app.get(&path, None).await, 401, "unauthenticated");

    // An empty request is refused; a request with an introduction opens the profile
    // to the mentor asked (a would-be mentor), not to others.
    let empty = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "   "}),
        )
        .await;
    assert_problem(&empty, 422, "invalid_input");
    assert_eq!(empty.1["errors"][0]["field"], "message");
    let missing = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id}),
        )
        .await;
    assert_problem(&missing, 422, "invalid_input");
    let (s, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "I am moving to data engineering."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (s, seen) = app.get(&path, mentor.token()).await;
    assert_eq!(s, StatusCode::OK, "{seen}");
    assert_eq!(seen["bio"], "Backend developer moving to data.");
    assert_eq!(seen["skills"], json!(["python", "sql"]));
    assert_eq!(seen["sessions"], json!([]));
    assert!(seen.get("email").is_none(), "no email for mentors: {seen}");
    assert_problem(
        &app.get(&path, other_mentor.token()).await,
        404,
        "not_found",
    );
    assert_problem(&app.get(&path, stranger.token()).await, 404, "not_found");
    // Declined, the mentor no longer sees it.
    let id = m["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/mentorships/{id}/decline"),
        mentor.token(),
        json!({}),
    )
    .await;
    assert_problem(&app.get(&path, mentor.token()).await, 404, "not_found");
    // Nonsense ids are not found, not errors.
    assert_problem(
        &app.get("/api/v1/mentees/not-an-id", mentor.token()).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_booking_opens_the_profile_with_the_sessions_together_and_pages_link_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/me/mentee-profile",
            mentee.token(),
            Some(json!({"bio": "I test things.", "goals": ["Ship"], "skills": ["rust"], "interests": []})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z",
                "topic": "Code review", "message": "Hello"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, seen) = app
        .get(
            &format!("/api/v1/mentees/{}", mentee.user_id),
            mentor.token(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{seen}");
    assert_eq!(seen["sessions"][0]["id"], b["id"]);
    assert_eq!(seen["sessions"][0]["topic"], "Code review");

    // The pages: the booking links the mentee's profile, which shows the session.
    let c = sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, page) = text(
        &c,
        &app,
        &format!("/bookings/{}", b["id"].as_str().unwrap()),
    )
    .await;
    let href = format!("/mentees/{}", mentee.user_id);
    assert!(page.contains(&format!("href=\"{href}\"")), "{page}");
    let (s, profile) = text(&c, &app, &href).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        profile.contains("I test things.") && profile.contains("ship"),
        "{profile}"
    );
    assert!(profile.contains("Code review"), "{profile}");
    // "Message" opens the pair's conversation, and is a form (it may create it).
    let chat = format!("/chat/with/{}", mentee.user_id);
    assert!(profile.contains(&format!("action=\"{chat}\"")), "{profile}");
    // Pressing it, with the CSRF token of a page the person has open.
    let press = |who: &reqwest::Client, page: &str| {
        who.post(app.url(&chat))
            .form(&[("csrf", crate::web_mentors::csrf_of(page))])
            .send()
    };
    let res = press(&c, &profile).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to.starts_with("/chat/") && to.ends_with("#composer"),
        "{to}"
    );
    let (s, conversation) = text(&c, &app, to.trim_end_matches("#composer")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(conversation.contains("id=\"composer\""), "{conversation}");
    let again = press(&c, &profile).await.unwrap();
    assert_eq!(
        again.headers()["location"].to_str().unwrap(),
        to,
        "the same conversation"
    );
    let (_, dash) = text(&c, &app, "/dashboard").await;
    assert!(
        dash.contains(&format!("href=\"{href}\"")),
        "the dashboard links it"
    );
    // Waiting for an answer, with when (the sessions of a series would read alike).
    let waiting = format!(
        "{}, Tue 3 Mar 2026, 10:00</a>",
        b["title"].as_str().unwrap()
    );
    assert!(dash.contains(&waiting), "{waiting} in {dash}");
    // The mentee's own dashboard asks only for what is missing: the learning
    // profile's "about me" counts as a bio.
    let own = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, dash) = text(&own, &app, "/dashboard").await;
    assert!(
        dash.contains("from what your profile says: add a headline.</p>"),
        "{dash}"
    );
    // A stranger's page: not found.
    app.register("nosy@example.com").await;
    let n = sign_in(&app, "nosy@example.com", "correct horse battery").await;
    assert_eq!(text(&n, &app, &href).await.0, StatusCode::NOT_FOUND);
    // Nor can a stranger open a conversation with the mentee.
    let (_, own) = text(&n, &app, "/dashboard").await;
    let res = press(&n, &own).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
