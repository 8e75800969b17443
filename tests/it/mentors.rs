//! Becoming a mentor, approval, services, search and recommendations.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, assert_problem, mentor_profile, test_config};

#[tokio::test]
async fn applying_then_approval_makes_a_listed_mentor() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let ann = app.register("ann@example.com").await;
    assert_problem(
        &app.get("/api/v1/me/mentor-profile", ann.token()).await,
        404,
        "not_found",
    );

    let bad = app
        .call(Method::PUT, "/api/v1/me/mentor-profile", ann.token(),
            Some(json!({"bio": "", "expertise": [], "hourly_rate": -5, "max_mentees": 0,
                        "experience": [{"company": "X", "title": "Y", "start_date": "2020-13-01"}]})))
        .await;
    assert_problem(&bad, 422, "invalid_input");
    let fields: Vec<&str> = bad.1["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "bio",
        "expertise",
        "hourly_rate",
        "max_mentees",
        "experience[0].start_date",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }

    let (status, p) = app
        .call(
            Method::PUT,
            "/api/v1/me/mentor-profile",
            ann.token(),
            Some(mentor_profile(&["Backend"], &["Rust", "Tokio"], 40)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "pending");
    assert_eq!(p["expertise"], json!(["backend"]));
    assert_eq!(p["skills"], json!(["rust", "tokio"]));

    // A pending mentor is invisible to everyone but themself and admins.
    let (_, found) = app.get("/api/v1/mentors?q=ann", None).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0);
    assert_problem(
        &app.get(&format!("/api/v1/mentors/{}", ann.user_id), None)
            .await,
        404,
        "not_found",
    );
    assert_eq!(
        app.get(&format!("/api/v1/mentors/{}", ann.user_id), ann.token())
            .await
            .0,
        StatusCode::OK
    );

    // Mentees cannot approve, not even themselves.
    let approve = format!("/api/v1/admin/mentor-applications/{}/approve", ann.user_id);
    assert_problem(
        &app.post(&approve, ann.token(), json!({})).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get("/api/v1/admin/mentor-applications", ann.token())
            .await,
        403,
        "forbidden",
    );

    let (_, queue) = app
        .get(
            "/api/v1/admin/mentor-applications?status=pending",
            admin.token(),
        )
        .await;
    assert_eq!(queue["items"][0]["user_id"], ann.user_id.as_str());
    assert_eq!(queue["items"][0]["email"], "ann@example.com");

    let (status, p) = app
        .post(&approve, admin.token(), json!({"reason": "Welcome!"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "approved");
    // Ann is told what follows, with the admins' words, and led to her hours.
    let (_, n) = app.get("/api/v1/notifications", ann.token()).await;
    let decided = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "application_decided")
        .expect("told of the decision")
        .clone();
    assert!(
        decided["body"]
            .as_str()
            .unwrap()
            .contains("Your profile is now public")
            && decided["body"]
                .as_str()
                .unwrap()
                .ends_with("From the administrators: Welcome!"),
        "{decided}"
    );
    assert_eq!(decided["link"], "/settings/availability");
    let (_, me) = app.get("/api/v1/me", ann.token()).await;
    assert_eq!(me["roles"], json!(["mentee", "mentor"]));
    let (_, services) = app
        .get(&format!("/api/v1/mentors/{}/services", ann.user_id), None)
        .await;
    assert_eq!(
        services["items"].as_array().unwrap().len(),
        1,
        "a default session"
    );
    assert_eq!(services["items"][0]["kind"], "session");
    assert_eq!(services["items"][0]["duration_minutes"], 60);
    assert_eq!(services["items"][0]["credit_cost"], 40);
    let (_, found) = app.get("/api/v1/mentors?q=tokio", None).await;
    assert_eq!(found["items"][0]["id"], ann.user_id.as_str());
    assert_problem(
        &app.post(&approve, admin.token(), json!({})).await,
        409,
        "invalid_transition",
    );

    // Editing an approved profile keeps it approved.
    let (_, p) = app
        .call(
            Method::PUT,
            "/api/v1/me/mentor-profile",
            ann.token(),
            Some(mentor_profile(&["Backend"], &["Rust"], 50)),
        )
        .await;
    assert_eq!(p["status"], "approved");
    let audit = mentorhub::store::audit::for_target(&app.ctx().db.pool, "user", &ann.user_id)
        .await
        .unwrap();
    assert_eq!(audit[0].action, "mentor.approve");
    assert_eq!(audit[0].actor_id.as_deref(), Some(admin.user_id.as_str()));
}

#[tokio::test]
async fn rejection_is_explained_and_reapplying_files_again() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let bo = app.register("bo@example.com").await;
    app.call(
        Method::PUT,
        "/api/v1/me/mentor-profile",
        bo.token(),
        Some(mentor_profile(&["design"], &[], 10)),
    )
    .await;
    // A rejection says why (the applicant reads it to improve the application).
    assert_problem(
        &app.post(
            &format!("/api/v1/admin/mentor-applications/{}/reject", bo.user_id),
            admin.token(),
            json!({"reason": "  "}),
        )
        .await,
        422,
        "invalid_input",
    );
    let (status, p) = app
        .post(
            &format!("/api/v1/admin/mentor-applications/{}/reject", bo.user_id),
            admin.token(),
            json!({"reason": "Add more experience"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["status"], "rejected");
    let (_, mine) = app.get("/api/v1/me/mentor-profile", bo.token()).await;
    assert_eq!(mine["status"], "rejected");
    assert_eq!(mine["decision_reason"], "Add more experience");
    // Their dashboard is a member's, saying where to apply again: no mentor figures.
    let c = crate::web_mentors::sign_in(&app, "bo@example.com", "correct horse battery").await;
    let (_, html) = crate::web_mentors::text(&c, &app, "/dashboard").await;
    assert!(html.contains("id=\"application-refused\""), "{html}");
    assert!(
        !html.contains("Get ready for mentees") && !html.contains("id=\"mentoring\""),
        "{html}"
    );
    // The reason reads as one sentence, with a stop of its own or without.
    let (_, form) = crate::web_mentors::text(&c, &app, "/settings/mentor").await;
    assert!(
        form.contains("Your application was not approved: Add more experience. Update it and save to apply again."),
        "{form}"
    );
    let (_, p) = app
        .call(
            Method::PUT,
            "/api/v1/me/mentor-profile",
            bo.token(),
            Some(mentor_profile(&["design"], &["figma"], 10)),
        )
        .await;
    assert_eq!(p["status"], "pending");
    let (_, queue) = app
        .get(
            "/api/v1/admin/mentor-applications?status=pending",
            admin.token(),
        )
        .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    // The admins were told of each application (Bo's first and Bo's second), not of
    // an edit to one still waiting.
    app.call(
        Method::PUT,
        "/api/v1/me/mentor-profile",
        bo.token(),
        Some(mentor_profile(&["design"], &["figma", "sketch"], 10)),
    )
    .await;
    let (_, n) = app
        .get("/api/v1/notifications?limit=50", admin.token())
        .await;
    let told: Vec<String> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "mentor_applied")
        .map(|i| format!("{} / {} / {}", i["title"], i["body"], i["link"]))
        .collect();
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(
        told[0].contains("applies to mentor")
            && told[0].contains("Staff Engineer, Acme. Expertise: design.")
            && told[0].contains("/admin/applications"),
        "{told:?}"
    );
    assert_problem(
        &app.get(
            "/api/v1/admin/mentor-applications?status=bogus",
            admin.token(),
        )
        .await,
        422,
        "invalid_input",
    );
}

#[tokio::test]
async fn signing_up_as_a_mentor_starts_a_draft_and_auto_approval_skips_the_queue() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "d@example.com", "password": "correct horse battery",
            "first_name": "D", "last_name": "Raft", "as_mentor": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = body["access_token"].as_str().unwrap();
    let (_, p) = app.get("/api/v1/me/mentor-profile", Some(token)).await;
    assert_eq!(p["status"], "draft");
    let admin = app.admin().await;
    let (_, queue) = app
        .get("/api/v1/admin/mentor-applications", admin.token())
        .await;
    assert_eq!(
        queue["items"].as_array().unwrap().len(),
        0,
        "drafts are not in the queue"
    );

    let auto = TestApp::spawn_with(mentorhub::config::Config {
        auto_approve_mentors: true,
        ..test_config()
    })
    .await;
    let s = auto.register("auto@example.com").await;
    let (_, p) = auto
        .call(
            Method::PUT,
            "/api/v1/me/mentor-profile",
            s.token(),
            Some(mentor_profile(&["data"], &["sql"], 5)),
        )
        .await;
    assert_eq!(p["status"], "approved");
    let (_, found) = auto.get("/api/v1/mentors", None).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn services_belong_to_their_mentor() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = app
        .approved_mentor(
            &admin,
            "svc@example.com",
            mentor_profile(&["career"], &[], 30),
        )
        .await;
    let other = app
        .approved_mentor(
            &admin,
            "other@example.com",
            mentor_profile(&["career"], &[], 30),
        )
        .await;
    let mentee = app.register("mentee@example.com").await;

    let body = json!({"kind": "resume_review", "title": "Résumé review", "description": "Written feedback", "duration_minutes": 45, "credit_cost": 20});
    assert_problem(
        &app.post("/api/v1/me/services", mentee.token(), body.clone())
            .await,
        403,
        "forbidden",
    );
    let (status, svc) = app.post("/api/v1/me/services", m.token(), body).await;
    assert_eq!(status, StatusCode::CREATED, "{svc}");
    let id = svc["id"].as_str().unwrap();
    // Its profile names it once: a title that is its kind's label gets no badge.
    let (_, html) = crate::web_mentors::text(
        &crate::web_mentors::client(),
        &app,
        &format!("/mentors/{}", m.user_id),
    )
    .await;
    assert!(
        html.contains("<li><strong>Résumé review</strong><br>"),
        "{html}"
    );
    let bad = app
        .post(
            "/api/v1/me/services",
            m.token(),
            json!({"kind": "massage", "title": "", "duration_minutes": 7, "credit_cost": -1}),
        )
        .await;
    assert_problem(&bad, 422, "invalid_input");
    assert_eq!(bad.1["errors"].as_array().unwrap().len(), 4);

    let path = format!("/api/v1/me/services/{id}");
    assert_problem(
        &app.call(
            Method::PATCH,
            &path,
            other.token(),
            Some(json!({"credit_cost": 1})),
        )
        .await,
        404,
        "not_found",
    );
    let (status, svc) = app
        .call(
            Method::PATCH,
            &path,
            m.token(),
            Some(json!({"credit_cost": 25, "active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(svc["credit_cost"], 25);
    assert_eq!(svc["title"], "Résumé review");
    let (_, public) = app
        .get(&format!("/api/v1/mentors/{}/services", m.user_id), None)
        .await;
    assert_eq!(
        public["items"].as_array().unwrap().len(),
        1,
        "inactive services are not offered"
    );
    let (_, mine) = app.get("/api/v1/me/services", m.token()).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.call(Method::DELETE, &path, m.token(), None).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, mine) = app.get("/api/v1/me/services", m.token()).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_problem(
        &app.call(Method::DELETE, &path, m.token(), None).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn search_filters_sorts_and_pages() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut p = mentor_profile(&["backend"], &["rust", "tokio"], 80);
    p["company"] = json!("Ferrous Systems");
    p["industries"] = json!(["developer tools"]);
    let rusty = app.approved_mentor(&admin, "rusty@example.com", p).await;
    let pyra = app
        .approved_mentor(
            &admin,
            "pyra@example.com",
            mentor_profile(&["data science"], &["python", "pandas"], 20),
        )
        .await;
    let cheap = app
        .approved_mentor(
            &admin,
            "cheap@example.com",
            mentor_profile(&["backend"], &["go"], 5),
        )
        .await;
    app.set_rating(&rusty.user_id, 4.8, 12).await;
    app.set_rating(&pyra.user_id, 3.9, 4).await;

    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, r) = app.get("/api/v1/mentors?q=rust", None).await;
    assert_eq!(ids(&r), vec![rusty.user_id.clone()]);
    let (_, r) = app.get("/api/v1/mentors?q=ferrous%20tok", None).await;
    assert_eq!(
        ids(&r),
        vec![rusty.user_id.clone()],
        "all words, prefixes match"
    );
    let (_, r) = app
        .get("/api/v1/mentors?expertise=Backend&sort=price", None)
        .await;
    assert_eq!(ids(&r), [cheap.user_id.clone(), rusty.user_id.clone()]);
    let (_, r) = app.get("/api/v1/mentors?skills=python,pandas", None).await;
    assert_eq!(ids(&r), vec![pyra.user_id.clone()]);
    let (_, r) = app
        .get("/api/v1/mentors?industry=developer%20tools", None)
        .await;
    assert_eq!(ids(&r), vec![rusty.user_id.clone()]);
    let (_, r) = app
        .get("/api/v1/mentors?company=ferrous%20systems", None)
        .await;
    assert_eq!(ids(&r), vec![rusty.user_id.clone()]);
    let (_, r) = app.get("/api/v1/mentors?min_rating=4", None).await;
    assert_eq!(ids(&r), vec![rusty.user_id.clone()]);
    let (_, r) = app
        .get("/api/v1/mentors?max_rate=20&sort=rating", None)
        .await;
    assert_eq!(ids(&r), [pyra.user_id.clone(), cheap.user_id.clone()]);
    let (_, r) = app
        .get("/api/v1/mentors?min_rate=10&max_rate=20", None)
        .await;
    assert_eq!(ids(&r), vec![pyra.user_id.clone()], "a price range");
    let (_, r) = app
        .get("/api/v1/mentors?min_rate=21&sort=price", None)
        .await;
    assert_eq!(ids(&r), vec![rusty.user_id.clone()]);
    let (_, r) = app.get("/api/v1/mentors?sort=rating", None).await;
    assert_eq!(ids(&r)[0], rusty.user_id);
    let (status, r) = app
        .get("/api/v1/mentors?expertise=bakend&q=rsut", None)
        .await;
    assert_eq!(status, StatusCode::OK, "typos are not errors");
    assert_eq!(ids(&r).len(), 0);
    let card = &app.get("/api/v1/mentors?q=rust", None).await.1["items"][0];
    assert_eq!(card["rating_avg"], 4.8);
    assert_eq!(card["accepting_mentees"], true);
    assert!(card.get("email").is_none());

    for bad in [
        "min_rating=abc",
        "min_rating=6",
        "max_rate=-1",
        "max_rate=1.5",
        "min_rate=x",
        "min_rate=30&max_rate=20",
        "sort=best",
        "limit=0",
        "cursor=zzz",
        "colour=red",
    ] {
        assert_problem(
            &app.get(&format!("/api/v1/mentors?{bad}"), None).await,
            422,
            "invalid_input",
        );
    }
    let (_, bad) = app.get("/api/v1/mentors?min_rating=abc", None).await;
    assert_eq!(bad["errors"][0]["field"], "min_rating");
    let (_, bad) = app
        .get("/api/v1/mentors?min_rate=30&max_rate=20", None)
        .await;
    assert_eq!(bad["errors"][0]["field"], "min_rate");
    assert_eq!(bad["errors"][0]["code"], "invalid_range");

    // Paging is complete and stable.
    let mut seen = vec![];
    let mut path = "/api/v1/mentors?limit=1&sort=price".to_string();
    loop {
        let (_, page) = app.get(&path, None).await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/mentors?limit=1&sort=price&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            cheap.user_id.clone(),
            pyra.user_id.clone(),
            rusty.user_id.clone()
        ]
    );

    // Suspended or hidden mentors leave discovery.
    app.post(
        &format!("/api/v1/admin/users/{}/suspend", rusty.user_id),
        admin.token(),
        json!({"reason": "Spam"}),
    )
    .await;
    let mut hidden = mentor_profile(&["data science"], &["python"], 20);
    hidden["is_public"] = json!(false);
    app.call(
        Method::PUT,
        "/api/v1/me/mentor-profile",
        pyra.token(),
        Some(hidden),
    )
    .await;
    let (_, r) = app.get("/api/v1/mentors", None).await;
    assert_eq!(ids(&r), vec![cheap.user_id.clone()]);
    assert_problem(
        &app.get(&format!("/api/v1/mentors/{}", rusty.user_id), None)
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn renaming_a_mentor_updates_search() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = app
        .approved_mentor(
            &admin,
            "rename@example.com",
            mentor_profile(&["ml"], &[], 10),
        )
        .await;
    // Searched (and cached) before the change…
    let (_, r) = app.get("/api/v1/mentors?q=zenobia", None).await;
    assert_eq!(r["items"].as_array().unwrap().len(), 0);
    app.call(
        Method::PATCH,
        "/api/v1/me",
        m.token(),
        Some(json!({"first_name": "Zenobia", "headline": "Machine learning lead"})),
    )
    .await;
    let (_, r) = app.get("/api/v1/mentors?q=zenobia", None).await;
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    let (_, r) = app.get("/api/v1/mentors?q=lead", None).await;
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn recommendations_explain_themselves_and_full_mentors_sink() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut full = mentor_profile(&["backend"], &["rust", "tokio"], 10);
    full["max_mentees"] = json!(1);
    let full = app.approved_mentor(&admin, "full@example.com", full).await;
    let good = app
        .approved_mentor(
            &admin,
            "good@example.com",
            mentor_profile(&["backend"], &["rust"], 10),
        )
        .await;
    let other = app
        .approved_mentor(
            &admin,
            "other@example.com",
            mentor_profile(&["design"], &["figma"], 10),
        )
        .await;
    let me = app.register("learner@example.com").await;
    let (status, _) = app
        .call(Method::PUT, "/api/v1/me/mentee-profile", me.token(),
            Some(json!({"bio": "", "goals": ["Learn Rust"], "skills": ["tokio"], "interests": ["backend"]})))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Fill the first mentor's only spot.
    let taker = app.register("taker@example.com").await;
    let (_, req) = app
        .post(
            "/api/v1/mentorships",
            taker.token(),
            json!({"mentor_id": full.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    app.post(
        &format!("/api/v1/mentorships/{}/accept", req["id"].as_str().unwrap()),
        full.token(),
        json!({}),
    )
    .await;

    let (status, r) = app.get("/api/v1/mentors/recommended", me.token()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let items = r["items"].as_array().unwrap();
    let order: Vec<&str> = items
        .iter()
        .map(|i| i["mentor"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            good.user_id.as_str(),
            other.user_id.as_str(),
            full.user_id.as_str()
        ]
    );
    assert!(
        items[0]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("can help with: rust")),
        "Rust is the mentee's goal, not their skill: {r}"
    );
    assert!(
        items[0]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("expert in: backend"))
    );
    assert!(
        items[2]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("currently at capacity"))
    );
    assert_eq!(items[2]["mentor"]["accepting_mentees"], false);

    // A mentor already asked is not suggested again.
    let (status, _) = app
        .post(
            "/api/v1/mentorships",
            me.token(),
            json!({"mentor_id": good.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, r) = app.get("/api/v1/mentors/recommended", me.token()).await;
    let order: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["mentor"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, [other.user_id.as_str(), full.user_id.as_str()]);
    assert_problem(
        &app.get("/api/v1/mentors/recommended", None).await,
        401,
        "unauthenticated",
    );
}

#[tokio::test]
async fn relevance_puts_the_closest_match_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut passing = mentor_profile(&["leadership"], &["hiring"], 10);
    passing["bio"] = json!(
        "I have led teams in many languages and cultures for twenty years, across startups, \
         agencies and large companies, and once wrote a little Rust, but mostly I help new \
         managers with hiring, feedback, planning, delegation and difficult conversations."
    );
    let passing = app
        .approved_mentor(&admin, "passing@example.com", passing)
        .await;
    let mut expert = mentor_profile(&["rust"], &["rust", "async rust"], 10);
    expert["bio"] =
        json!("Rust trainer. I teach Rust, review Rust code and mentor Rust beginners.");
    let expert = app
        .approved_mentor(&admin, "expert@example.com", expert)
        .await;
    let (_, r) = app.get("/api/v1/mentors?q=rust", None).await;
    let ids: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [expert.user_id.as_str(), passing.user_id.as_str()]);
}

#[tokio::test]
async fn demo_data_is_a_consistent_living_marketplace() {
    let app = TestApp::spawn().await;
    let report = mentorhub::service::demo::fill(app.ctx(), 45, 20, false)
        .await
        .unwrap();
    assert_eq!((report.mentors, report.mentees), (45, 20));
    app.assert_ledger_ok().await;
    // A program to try: open, funded, a pool, applicants, proposals to review.
    let (programs, applied, drafts): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM programs WHERE status = 'open'), \
         (SELECT COUNT(*) FROM program_applications), \
         (SELECT COUNT(*) FROM program_matches WHERE status = 'draft')",
    )
    .fetch_one(&app.ctx().db.pool)
    .await
    .unwrap();
    assert_eq!((programs, applied), (1, 20));
    assert!(drafts > 0, "proposals to review");
    // Group sessions to try: three mentors' (one weekly), joined through the API's
    // code, one full with people in line.
    assert_eq!(report.group_sessions, 5);
    let (_, list) = app.get("/api/v1/group-sessions?limit=50", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 5, "{list}");
    let (seated, waiting, held): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM group_seats WHERE status = 'seated'), \
         (SELECT COUNT(*) FROM group_seats WHERE status = 'waiting'), \
         (SELECT CAST(COALESCE(SUM(credits_held), 0) AS BIGINT) FROM group_seats)",
    )
    .fetch_one(&app.ctx().db.pool)
    .await
    .unwrap();
    assert_eq!((seated, waiting), (4 + 2 + 3, 2));
    assert_eq!(held, 4 * 10 + 3 * 15, "seats paid from wallets");
    // Some sessions are coming up, booked like real ones (credits held).
    let now = mentorhub::clock::to_micros(app.clock_now());
    let (ahead, held): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(credits_held), 0) AS BIGINT) FROM bookings \
         WHERE start_at > $1 AND status IN ('pending', 'accepted')",
    )
    .bind(now)
    .fetch_one(&app.ctx().db.pool)
    .await
    .unwrap();
    assert!(ahead > 0, "sessions coming up");
    assert_eq!(ahead, report.upcoming as i64);
    assert!(held > 0, "their credits are held");
    // People joined over the past year, each before their first session or article,
    // and approved mentors were approved after applying.
    let pool = &app.ctx().db.pool;
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await
            .expect(sql)
    };
    let year_ago = mentorhub::clock::to_micros(app.clock_now()) - 372 * 86_400_000_000;
    let (oldest, newest): (i64, i64) =
        sqlx::query_as("SELECT MIN(created_at), MAX(created_at) FROM users")
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(oldest >= year_ago, "joined within the year");
    assert!(
        newest - oldest > 180 * 86_400_000_000,
        "sign-ups are spread out"
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM users u WHERE EXISTS (SELECT 1 FROM bookings b \
             WHERE (b.mentor_id = u.id OR b.mentee_id = u.id) AND b.start_at < u.created_at) \
             OR EXISTS (SELECT 1 FROM articles a WHERE a.author_id = u.id AND a.created_at < u.created_at)"
        )
        .await,
        0,
        "nobody had a session or wrote before joining"
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM bookings b JOIN users u ON u.id = b.mentee_id \
             WHERE b.created_at < u.created_at"
        )
        .await,
        0,
        "nobody requested a session before joining"
    );
    // Nobody is in two sessions at once, on either side (as booking would refuse).
    for side in ["mentee_id", "mentor_id"] {
        let sql = format!(
            "SELECT COUNT(*) FROM bookings a JOIN bookings b ON b.{side} = a.{side} \
             AND a.id < b.id AND a.start_at < b.end_at AND b.start_at < a.end_at \
             WHERE a.status IN ('pending', 'accepted', 'completed') \
             AND b.status IN ('pending', 'accepted', 'completed')"
        );
        let clashes: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(clashes, 0, "overlapping sessions by {side}");
    }
    // A wallet's history is listed newest first by entry: its dates read in order
    // (the demo writes past sessions in the order they took place).
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM ledger_entries a JOIN ledger_entries b \
             ON b.account_id = a.account_id AND b.id > a.id AND b.created_at < a.created_at \
             JOIN ledger_accounts w ON w.id = a.account_id WHERE w.kind = 'wallet'"
        )
        .await,
        0,
        "credit histories read in time order"
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM mentor_profiles WHERE status = 'approved' \
             AND (decided_at IS NULL OR decided_at < applied_at)"
        )
        .await,
        0
    );
    let (_, page) = app.get("/api/v1/mentors?limit=100&sort=rating", None).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 45, "all demo mentors are listed");
    let zones: std::collections::BTreeSet<&str> = items
        .iter()
        .map(|m| m["timezone"].as_str().unwrap())
        .collect();
    assert!(zones.len() >= 10, "across time zones: {zones:?}");
    let rated: Vec<&serde_json::Value> = items
        .iter()
        .filter(|m| m["rating_count"].as_i64().unwrap() > 0)
        .collect();
    assert!(!rated.is_empty(), "some mentors have reviews");
    // Ratings come from real reviews.
    let m = rated[0];
    let (_, reviews) = app
        .get(
            &format!(
                "/api/v1/mentors/{}/reviews?limit=100",
                m["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let stars: Vec<i64> = reviews["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rating"].as_i64().unwrap())
        .collect();
    assert_eq!(stars.len() as i64, m["rating_count"].as_i64().unwrap());
    let avg = stars.iter().sum::<i64>() as f64 / stars.len() as f64;
    assert!((avg - m["rating_avg"].as_f64().unwrap()).abs() < 0.01);
    assert!(
        items.iter().any(|m| m["next_free_slot"].is_string()),
        "mentors have free slots"
    );
    // Demo accounts sign in with the documented password.
    let (status, _) = app
        .post("/api/v1/auth/login", None, json!({"email": "mentee1@demo.example.com", "password": mentorhub::service::demo::DEMO_PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        mentorhub::service::demo::fill(app.ctx(), 1, 1, false)
            .await
            .is_err(),
        "only into an empty database"
    );
}

/// The search filters' vocabulary is what listed mentors carry, counted; an
/// unlisted (pending) mentor's tags are not offered.
#[tokio::test]
async fn the_vocabulary_counts_the_tags_of_listed_mentors() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut p = mentor_profile(&["backend"], &["rust", "sql"], 40);
    p["industries"] = json!(["fintech"]);
    app.approved_mentor(&admin, "a@example.com", p).await;
    app.approved_mentor(
        &admin,
        "b@example.com",
        mentor_profile(&["backend"], &["rust"], 40),
    )
    .await;
    // Applied, not approved: not listed.
    let pending = app.register("pending@example.com").await;
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/me/mentor-profile",
            pending.token(),
            Some(mentor_profile(&["secret-expertise"], &["cobol"], 10)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, v) = app.get("/api/v1/mentors/tags", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v["expertise"],
        json!([{"tag": "backend", "mentors": 2}]),
        "{v}"
    );
    assert_eq!(
        v["skills"],
        json!([{"tag": "rust", "mentors": 2}, {"tag": "sql", "mentors": 1}])
    );
    // `mentor_profile` gives "software" unless told otherwise.
    assert_eq!(
        v["industries"],
        json!([{"tag": "fintech", "mentors": 1}, {"tag": "software", "mentors": 1}])
    );
}

/// A mentor who sets their hours while the application waits shows their next free
/// time as soon as they are approved (approval brings the first service, from which it
/// is found), and it follows their services.
#[tokio::test]
async fn the_next_free_time_shows_from_approval_and_follows_the_services() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.register("ravi@example.com").await;
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/me/mentor-profile",
            s.token(),
            Some(mentor_profile(&["backend"], &["rust"], 30)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.set_availability(&s, crate::support::weekdays_nine_to_five("UTC"))
        .await;
    let (status, body) = app
        .post(
            &format!("/api/v1/admin/mentor-applications/{}/approve", s.user_id),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let path = format!("/api/v1/mentors/{}", s.user_id);
    let (_, m) = app.get(&path, None).await;
    assert!(m["next_free_slot"].is_string(), "at once: {m}");
    // Without a timed service there is no free time to offer; with one again, there is.
    let service = app.first_service(&s.user_id).await;
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/services/{service}"),
            s.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, m) = app.get(&path, None).await;
    assert!(m["next_free_slot"].is_null(), "{m}");
    let find = || async {
        let c = crate::web_mentors::client();
        crate::web_mentors::text(&c, &app, "/mentorship/find?sort=soonest")
            .await
            .1
    };
    let html = find().await;
    assert!(
        html.contains(&format!("/mentors/{}", s.user_id)) && !html.contains("Next free: "),
        "{html}"
    );
    let (status, body) = app
        .post(
            "/api/v1/me/services",
            s.token(),
            json!({"kind": "session", "title": "Pairing", "duration_minutes": 30, "credit_cost": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, m) = app.get(&path, None).await;
    assert!(m["next_free_slot"].is_string(), "{m}");
    // The search's card says when (its "Soonest free" orders by it).
    let html = find().await;
    assert!(html.contains("Next free: Mon 2 Mar 2026"), "{html}");
}

/// The limit of 30 services holds for requests sent at once (each counts again under
/// the mentor profile's lock in its write).
#[tokio::test]
async fn the_services_limit_holds_for_requests_sent_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = app
        .approved_mentor(&admin, "m@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    let (_, before) = app.get("/api/v1/me/services", m.token()).await;
    let had = before["items"].as_array().map_or(0, Vec::len);
    let sends = (0..40).map(|i| {
        let (app, token) = (&app, m.token());
        async move {
            app.post(
                "/api/v1/me/services",
                token,
                json!({"kind": "resume_review", "title": format!("Review {i}"), "duration_minutes": 45, "credit_cost": 20}),
            )
            .await
            .0
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let made = answers
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(made, 30 - had, "{answers:?}");
    let (_, after) = app.get("/api/v1/me/services", m.token()).await;
    assert_eq!(after["items"].as_array().unwrap().len(), 30, "{after}");
}
