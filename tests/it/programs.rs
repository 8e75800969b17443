//! Mentorship programs: templates, the state machine, managers scoped to their
//! program, enrolments under the join rules, match proposals and publishing with
//! sponsored credits — on both engines, and the publishing race over two instances.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Session, TestApp, assert_problem, mentor_profile};

/// A well-formed id nothing has.
const NO_SUCH: &str = "0196f3a0-aaaa-7bbb-8ccc-dddddddddddd";

async fn create(app: &TestApp, admin: &Session, body: Value) -> Value {
    let (status, b) = app.post("/api/v1/programs", admin.token(), body).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b
}

async fn act(app: &TestApp, s: &Session, id: &str, action: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/programs/{id}/transitions"),
        s.token(),
        json!({"action": action}),
    )
    .await
}

async fn enrol(app: &TestApp, s: &Session, id: &str, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/programs/{id}/enrolments"),
        s.token(),
        body,
    )
    .await
}

/// An open program with no intake questions, from now on, with a budget.
async fn open_program(app: &TestApp, admin: &Session, name: &str, budget: i64) -> String {
    let p = create(
        app,
        admin,
        json!({"name": name, "budget_per_mentee": budget, "mentor_capacity": 2}),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_string();
    let (status, b) = act(app, admin, &id, "open").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    id
}

async fn pool_mentor(
    app: &TestApp,
    admin: &Session,
    program: &str,
    email: &str,
    expertise: &[&str],
    capacity: i64,
) -> Session {
    let m = app
        .approved_mentor(admin, email, mentor_profile(expertise, &[], 20))
        .await;
    let (status, b) = enrol(
        app,
        &m,
        program,
        json!({"role": "mentor", "capacity": capacity}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    m
}

async fn apply(app: &TestApp, program: &str, email: &str, choices: &[&Session]) -> Session {
    let s = app.register(email).await;
    let ids: Vec<&str> = choices.iter().map(|c| c.user_id.as_str()).collect();
    let (status, b) = enrol(app, &s, program, json!({"role": "mentee", "choices": ids})).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    s
}

async fn sponsored(app: &TestApp, program: &str, user_id: &str) -> i64 {
    let rows = mentorhub::store::ledger::sponsored_in(&app.ctx().db.pool, program)
        .await
        .unwrap();
    rows.iter()
        .find(|(u, _, _)| u == user_id)
        .map_or(0, |(_, _, b)| *b)
}

#[tokio::test]
async fn a_program_starts_from_a_template_and_follows_its_states() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let member = app.register("member@example.com").await;
    assert_problem(
        &app.get("/api/v1/program-templates", member.token()).await,
        403,
        "forbidden",
    );
    let (status, t) = app.get("/api/v1/program-templates", admin.token()).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = t["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "builtin:onboarding-buddy",
            "builtin:career-switch",
            "builtin:interview-prep"
        ]
    );
    // Members cannot create; bad input is said field by field and changes nothing.
    assert_problem(
        &app.post("/api/v1/programs", member.token(), json!({"name": "X"}))
            .await,
        403,
        "forbidden",
    );
    let (status, b) = app
        .post(
            "/api/v1/programs",
            admin.token(),
            json!({"name": "", "join_rule": "invite", "mentor_capacity": 0,
                   "applications_open_at": "2026-03-10T00:00:00Z",
                   "applications_close_at": "2026-03-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "invite_code",
            "applications_close_at",
            "mentor_capacity"
        ]
    );
    assert_problem(
        &app.post(
            "/api/v1/programs",
            admin.token(),
            json!({"template_id": "builtin:nope"}),
        )
        .await,
        422,
        "invalid_input",
    );
    let (_, list) = app.get("/api/v1/programs", admin.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);

    let p = create(
        &app,
        &admin,
        json!({"template_id": "builtin:career-switch", "name": "Switch 2026"}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(p["status"], "draft");
    assert_eq!(p["template"], "builtin:career-switch");
    assert_eq!(p["mentee_questions"][1]["id"], "track");
    assert_eq!(p["goals"][1]["milestones"][2], "Present it to your mentor");
    assert_eq!(p["sessions_expected"], 6);
    // Whole days in the creator's zone: applications close at the end of the day two
    // weeks from now, the twelve weeks start the next day and end at the end of their
    // last day.
    assert_eq!(p["applications_close_at"], "2026-03-16T23:59:00Z");
    assert_eq!(p["starts_at"], "2026-03-17T00:00:00Z");
    assert_eq!(p["ends_at"], "2026-06-08T23:59:00Z");
    // Read as the program's days (in the zone it was made in) by every reader.
    {
        use crate::web_mentors::{sign_in, text};
        let c = sign_in(&app, "root@example.com", "admin password 1").await;
        let (_, page) = text(
            &c,
            &app,
            &format!("/programs/{}", p["id"].as_str().unwrap()),
        )
        .await;
        assert!(
            page.contains(
                "Applications not open yet · runs Tue 17 Mar 2026 – Mon 8 Jun 2026 (UTC)"
            ),
            "a draft: {page}"
        );
        app.call(
            Method::PATCH,
            "/api/v1/me",
            admin.token(),
            Some(json!({"timezone": "Asia/Tokyo"})),
        )
        .await;
        let (_, page) = text(
            &c,
            &app,
            &format!("/programs/{}", p["id"].as_str().unwrap()),
        )
        .await;
        // Its dates are the program's days, whoever reads them.
        assert!(
            page.contains("runs Tue 17 Mar 2026 – Mon 8 Jun 2026 (dates in UTC)"),
            "{page}"
        );
        app.call(
            Method::PATCH,
            "/api/v1/me",
            admin.token(),
            Some(json!({"timezone": "UTC"})),
        )
        .await;
    }

    // A draft is the managers' alone.
    assert_problem(
        &app.get(&format!("/api/v1/programs/{id}"), member.token())
            .await,
        404,
        "not_found",
    );
    let (_, list) = app.get("/api/v1/programs", member.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    assert_problem(
        &act(&app, &admin, id, "start").await,
        409,
        "invalid_transition",
    );
    assert_problem(&act(&app, &admin, id, "finish").await, 422, "invalid_input");

    let (status, opened) = act(&app, &admin, id, "open").await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(opened["status"], "open");
    assert_eq!(opened["accepting_applications"], true);
    let (status, seen) = app
        .get(&format!("/api/v1/programs/{id}"), member.token())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["you_manage"], false);
    assert_eq!(seen["funding"], Value::Null);
    assert_eq!(seen["invite_code"], Value::Null);
    let (_, list) = app.get("/api/v1/programs", member.token()).await;
    assert_eq!(list["items"][0]["id"], *id);
    assert_problem(
        &app.call(
            Method::PATCH,
            &format!("/api/v1/programs/{id}"),
            member.token(),
            Some(json!({"name": "Mine now"})),
        )
        .await,
        403,
        "forbidden",
    );
    assert_problem(
        &act(&app, &admin, id, "complete").await,
        409,
        "invalid_transition",
    );
    let (status, changed) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/programs/{id}"),
            admin.token(),
            Some(json!({"budget_per_mentee": 30, "self_matching": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["budget_per_mentee"], 30);
    assert_eq!(changed["name"], "Switch 2026");
    // Started before its applications close: they closed then (the running dates stay
    // as planned).
    let (_, before) = app
        .get(&format!("/api/v1/programs/{id}"), admin.token())
        .await;
    assert!(
        before["applications_close_at"].as_str().unwrap() > "2026-03-02T10:00:00Z",
        "{before}"
    );
    app.clock.advance(jiff::SignedDuration::from_hours(1));
    let (_, started) = act(&app, &admin, id, "start").await;
    assert_eq!(started["status"], "running", "{started}");
    assert_eq!(
        started["applications_close_at"], "2026-03-02T10:00:00Z",
        "{started}"
    );
    assert_eq!(
        (&started["starts_at"], &started["ends_at"]),
        (&before["starts_at"], &before["ends_at"])
    );
    assert_eq!(
        act(&app, &admin, id, "complete").await.1["status"],
        "completed"
    );
    for a in ["open", "start", "complete", "cancel"] {
        assert_problem(&act(&app, &admin, id, a).await, 409, "invalid_transition");
    }
    assert_problem(
        &app.call(
            Method::PATCH,
            &format!("/api/v1/programs/{id}"),
            admin.token(),
            Some(json!({"name": "Again"})),
        )
        .await,
        409,
        "invalid_transition",
    );

    // Any program can become a template, offered next time.
    let (status, saved) = app
        .post(
            "/api/v1/program-templates",
            admin.token(),
            json!({"program_id": id, "name": "Our switch program"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["weeks"], 12);
    let again = create(
        &app,
        &admin,
        json!({"template_id": saved["id"], "name": "Switch 2027"}),
    )
    .await;
    assert_eq!(again["goals"], p["goals"]);
    assert_eq!(again["budget_per_mentee"], 0);
}

#[tokio::test]
async fn managers_see_and_act_only_within_their_program() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mine = open_program(&app, &admin, "Mine", 0).await;
    let other = open_program(&app, &admin, "Other", 0).await;
    let manager = app.register("manager@example.com").await;
    let (status, b) = app
        .post(
            &format!("/api/v1/programs/{mine}/managers"),
            admin.token(),
            json!({"user_id": manager.user_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["items"][0]["user_id"], *manager.user_id);
    assert_problem(
        &app.post(
            &format!("/api/v1/programs/{mine}/managers"),
            admin.token(),
            json!({"user_id": "0196f3a0-aaaa-7bbb-8ccc-dddddddddddd"}),
        )
        .await,
        422,
        "invalid_input",
    );
    let m = pool_mentor(&app, &admin, &mine, "m@example.com", &["python"], 2).await;
    apply(&app, &mine, "a@example.com", &[&m]).await;
    apply(&app, &other, "b@example.com", &[]).await;
    // The programs page says where each person stands in which program.
    for (email, said) in [
        ("m@example.com", "You are in the mentor pool"),
        ("a@example.com", "You applied"),
    ] {
        let c = crate::web_mentors::sign_in(&app, email, "correct horse battery").await;
        let (_, page) = crate::web_mentors::text(&c, &app, "/programs").await;
        let card = page
            .split("<article class=\"card stack\">")
            .find(|c| c.contains(&format!("/programs/{mine}\"")))
            .unwrap_or_else(|| panic!("{page}"));
        assert!(
            card.contains(&format!("<span class=\"badge\">{said}</span>")),
            "{card}"
        );
        assert_eq!(page.matches(said).count(), 1, "only on its program: {page}");
    }

    // Within their program: the enrolments, proposals, changes, transitions.
    let (_, e) = app
        .get(
            &format!("/api/v1/programs/{mine}/enrolments"),
            manager.token(),
        )
        .await;
    assert_eq!(e["applications"].as_array().unwrap().len(), 1);
    assert_eq!(e["mentors"].as_array().unwrap().len(), 1);
    let (status, p) = app
        .post(
            &format!("/api/v1/programs/{mine}/proposals"),
            manager.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["drafts"][0]["explanation"], "1st choice");
    let (status, v) = app
        .get(&format!("/api/v1/programs/{mine}"), manager.token())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["you_manage"], true);
    assert_eq!(v["funding"]["available"], 0);

    // Outside it: nothing of the other program, nothing of the admin console.
    let (_, e) = app
        .get(
            &format!("/api/v1/programs/{other}/enrolments"),
            manager.token(),
        )
        .await;
    assert_eq!(e["applications"].as_array().unwrap().len(), 0);
    for (method, path, body) in [
        (
            Method::GET,
            format!("/api/v1/programs/{other}/proposals"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/programs/{other}/proposals"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/programs/{other}/proposals/publish"),
            Some(json!({})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/programs/{other}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::POST,
            format!("/api/v1/programs/{other}/transitions"),
            Some(json!({"action": "cancel"})),
        ),
        (
            Method::GET,
            format!("/api/v1/programs/{other}/managers"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/programs/{other}/report"),
            None,
        ),
        (Method::GET, format!("/api/v1/programs/{other}/pairs"), None),
        (
            Method::GET,
            format!("/api/v1/programs/{other}/nudges"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/programs/{other}/nudges"),
            Some(json!({"rules": []})),
        ),
        (
            Method::GET,
            format!("/api/v1/programs/{other}/nudges/preview"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/programs/{other}/proposals/manual"),
            Some(json!({"application_id": NO_SUCH, "mentor_id": m.user_id})),
        ),
        (
            Method::POST,
            format!("/api/v1/programs/{other}/proposals/swap"),
            Some(json!({"first": NO_SUCH, "second": NO_SUCH})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/programs/{other}/proposals/{NO_SUCH}"),
            None,
        ),
        // Money and managers are the administrators'.
        (
            Method::POST,
            format!("/api/v1/programs/{mine}/funding"),
            Some(json!({"credits": 10})),
        ),
        (
            Method::POST,
            format!("/api/v1/programs/{mine}/managers"),
            Some(json!({"user_id": manager.user_id})),
        ),
        (
            Method::POST,
            "/api/v1/programs".to_string(),
            Some(json!({"name": "x"})),
        ),
        (Method::GET, "/api/v1/admin/audit".to_string(), None),
    ] {
        let got = app.call(method.clone(), &path, manager.token(), body).await;
        assert_problem(&got, 403, "forbidden");
    }
    // A mentee of the program sees their own enrolment only.
    let (_, e) = app
        .get(&format!("/api/v1/programs/{mine}/enrolments"), m.token())
        .await;
    assert_eq!(e["applications"].as_array().unwrap().len(), 0);
    assert_eq!(e["mentors"].as_array().unwrap().len(), 1);

    // Every manager action is in the audit log.
    let (_, audit) = app.get("/api/v1/admin/audit", admin.token()).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["actor_id"] == *manager.user_id)
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["program.proposals_computed"], "{audit}");
    // The audit page says it in words and leads to the program.
    let c = crate::web_mentors::sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, page) = crate::web_mentors::text(&c, &app, "/admin/audit").await;
    assert!(page.contains("program pairs proposed"), "{page}");
    assert!(
        page.contains(&format!("<a href=\"/programs/{mine}\">program “Mine”</a>")),
        "by its name: {page}"
    );
    // The program's dates say their zone (the reader's).
    let (_, page) = crate::web_mentors::text(&c, &app, "/programs").await;
    let when = page
        .split("<p class=\"muted small\">")
        .find(|p| p.contains(" · runs "))
        .unwrap_or_else(|| panic!("{page}"));
    assert!(
        when.starts_with("Applications until ") && when.contains(" (UTC)</p>"),
        "{when}"
    );

    // No longer a manager: no longer anything.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/programs/{mine}/managers"),
            admin.token(),
            Some(json!({"user_id": manager.user_id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        &app.get(
            &format!("/api/v1/programs/{mine}/proposals"),
            manager.token(),
        )
        .await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn enrolments_follow_the_join_rule_the_window_and_the_intake() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let p = create(
        &app,
        &admin,
        json!({"name": "Invite only", "template_id": "builtin:interview-prep",
               "join_rule": "invite", "invite_code": "SPRING-27"}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let m = app
        .approved_mentor(&admin, "m@example.com", mentor_profile(&["go"], &[], 20))
        .await;
    let mentee = app.register("mentee@example.com").await;
    // Nobody joins a draft.
    assert_problem(
        &enrol(&app, &mentee, id, json!({"role": "mentee"})).await,
        404,
        "not_found",
    );
    act(&app, &admin, id, "open").await;
    // Invite only: without the code, or a wrong one, no.
    assert_problem(
        &enrol(&app, &m, id, json!({"role": "mentor"})).await,
        422,
        "invalid_input",
    );
    let (status, b) = enrol(
        &app,
        &m,
        id,
        json!({"role": "mentor", "invite_code": "SPRING-27", "capacity": 2,
               "answers": {"interviewer": "Yes"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["mentor"]["capacity"], 2);
    // Not a mentor: not in the pool.
    assert_problem(
        &enrol(
            &app,
            &mentee,
            id,
            json!({"role": "mentor", "invite_code": "SPRING-27"}),
        )
        .await,
        403,
        "forbidden",
    );
    // The intake: required answers, options, known questions, choices from the pool.
    let (status, b) = enrol(
        &app,
        &mentee,
        id,
        json!({"role": "mentee", "invite_code": "SPRING-27",
               "answers": {"rounds": ["Coding", "Chess"], "nope": "x"},
               "choices": [admin.user_id]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "answers.nope",
            "answers.target",
            "answers.rounds",
            "choices"
        ]
    );
    let answers = json!({"target": "Backend roles", "rounds": ["Coding", "System design"],
                         "skills": "Go, Kubernetes"});
    let (status, b) = enrol(
        &app,
        &mentee,
        id,
        json!({"role": "mentee", "invite_code": "SPRING-27", "answers": answers,
               "choices": [m.user_id]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let application = &b["application"];
    assert_eq!(application["topics"], json!(["go", "kubernetes"]));
    assert_eq!(
        application["answers"]["skills"],
        json!(["go", "kubernetes"])
    );
    assert_problem(
        &enrol(
            &app,
            &mentee,
            id,
            json!({"role": "mentee", "invite_code": "SPRING-27", "answers": answers}),
        )
        .await,
        409,
        "already_enrolled",
    );
    // Withdrawn, then back (a new application).
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/programs/{id}/enrolments"),
            mentee.token(),
            Some(json!({"role": "mentee"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // After the window: closed.
    app.clock.advance(jiff::SignedDuration::from_hours(15 * 24));
    assert_problem(
        &enrol(
            &app,
            &mentee,
            id,
            json!({"role": "mentee", "invite_code": "SPRING-27", "answers": answers}),
        )
        .await,
        409,
        "applications_closed",
    );

    // A domain program: seen and joined by its domain only.
    let d = create(
        &app,
        &admin,
        json!({"name": "Acme", "join_rule": "domain", "email_domain": "acme.test"}),
    )
    .await;
    let did = d["id"].as_str().unwrap();
    act(&app, &admin, did, "open").await;
    let outsider = app.register("out@example.com").await;
    let insider = app.register("ada@lab.acme.test").await;
    assert_problem(
        &app.get(&format!("/api/v1/programs/{did}"), outsider.token())
            .await,
        404,
        "not_found",
    );
    let (_, list) = app.get("/api/v1/programs", outsider.token()).await;
    assert!(
        !list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == *did)
    );
    let (_, list) = app.get("/api/v1/programs", insider.token()).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == *did)
    );
    // An address at the domain is not enough: anyone can sign up with one. Its owner
    // confirms it first, by the link mailed to it.
    let (status, b) = enrol(&app, &insider, did, json!({"role": "mentee"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
    assert!(
        b["detail"]
            .as_str()
            .unwrap()
            .contains("confirmed email address at acme.test: confirm ada@lab.acme.test first"),
        "{b}"
    );
    let (_, st) = app
        .get("/api/v1/me/email-confirmation", insider.token())
        .await;
    assert_eq!(st["confirmed"], false, "{st}");
    let (status, sent) = app
        .post("/api/v1/me/email-confirmation", insider.token(), json!({}))
        .await;
    assert_eq!(
        (status, &sent["outcome"]),
        (StatusCode::ACCEPTED, &json!("sent")),
        "{sent}"
    );
    // A second ask within the minute sends nothing more.
    let (status, again) = app
        .post("/api/v1/me/email-confirmation", insider.token(), json!({}))
        .await;
    assert_eq!(
        (status, &again["outcome"]),
        (StatusCode::ACCEPTED, &json!("too_soon"))
    );
    let mails: Vec<String> =
        mentorhub::store::notify::emails_for(&app.ctx().db.pool, "ada@lab.acme.test")
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.subject == "Confirm your email address")
            .map(|m| m.body)
            .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let at = mails[0].find("/confirm-email?token=").expect("a link") + 21;
    let token = mails[0][at..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    // A mangled token confirms nothing; the whole one does, once.
    assert_problem(
        &app.post(
            "/api/v1/auth/confirm-email",
            None,
            json!({"token": format!("{token}x")}),
        )
        .await,
        422,
        "invalid_input",
    );
    let (status, ok) = app
        .post("/api/v1/auth/confirm-email", None, json!({"token": token}))
        .await;
    assert_eq!(
        (status, &ok["confirmed"]),
        (StatusCode::OK, &json!(true)),
        "{ok}"
    );
    assert_problem(
        &app.post("/api/v1/auth/confirm-email", None, json!({"token": token}))
            .await,
        422,
        "invalid_input",
    );
    let (status, b) = enrol(&app, &insider, did, json!({"role": "mentee"})).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (status, b) = app
        .post("/api/v1/me/email-confirmation", insider.token(), json!({}))
        .await;
    assert_eq!(
        (status, &b["outcome"]),
        (StatusCode::OK, &json!("already_confirmed"))
    );
    // The page of a domain program offers the link to an unconfirmed member, and the
    // link's page confirms only with its button.
    let other = app.register("bob@acme.test").await;
    let c = crate::web_mentors::sign_in(&app, "bob@acme.test", "correct horse battery").await;
    let (_, html) = crate::web_mentors::text(&c, &app, &format!("/programs/{did}")).await;
    assert!(
        html.contains("id=\"confirm-email\"")
            && html.contains("show that bob@acme.test is yours")
            && !html.contains("id=\"apply\""),
        "{html}"
    );
    let res = c
        .post(app.url("/settings/email-confirmation"))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&html).as_str()),
            ("back", &format!("/programs/{did}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/programs/{did}").as_str()
    );
    let body = mentorhub::store::notify::emails_for(&app.ctx().db.pool, "bob@acme.test")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.subject == "Confirm your email address")
        .unwrap()
        .body;
    let at = body.find("/confirm-email?token=").unwrap() + 21;
    let link = body[at..].split_whitespace().next().unwrap().to_string();
    // The link leads back to the program it was asked from.
    let (token, next) = link.split_once("&next=").unwrap();
    let (token, next) = (token.to_string(), next.to_string());
    assert_eq!(next, format!("/programs/{did}"));
    let (_, page) = crate::web_mentors::text(
        &c,
        &app,
        &format!("/confirm-email?token={token}&next={next}"),
    )
    .await;
    assert!(page.contains(">Confirm my address</button>"), "{page}");
    let (_, st) = app
        .get("/api/v1/me/email-confirmation", other.token())
        .await;
    assert_eq!(
        st["confirmed"], false,
        "opening the link alone confirms nothing"
    );
    let res = c
        .post(app.url("/confirm-email"))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&page).as_str()),
            ("token", &token),
            ("next", &next),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], next.as_str());
    let (_, st) = app
        .get("/api/v1/me/email-confirmation", other.token())
        .await;
    assert_eq!(st["confirmed"], true, "{st}");
    let (_, html) = crate::web_mentors::text(&c, &app, &format!("/programs/{did}")).await;
    assert!(html.contains("id=\"apply\"") && !html.contains("id=\"confirm-email\""));
}

#[tokio::test]
async fn proposals_are_reviewed_then_published_with_sponsored_credits() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = open_program(&app, &admin, "Cohort", 25).await;
    let ann = pool_mentor(&app, &admin, &id, "ann@example.com", &["python"], 1).await;
    let bob = pool_mentor(&app, &admin, &id, "bob@example.com", &["go"], 2).await;
    let cyd = pool_mentor(&app, &admin, &id, "cyd@example.com", &["rust"], 1).await;
    // Everyone wants Ann; one of them knows no one else will do.
    let x = apply(&app, &id, "x@example.com", &[&ann, &bob]).await;
    let y = apply(&app, &id, "y@example.com", &[&ann]).await;
    let z = apply(&app, &id, "z@example.com", &[&ann, &cyd]).await;
    let w = apply(&app, &id, "w@example.com", &[&bob]).await;
    let v = apply(&app, &id, "v@example.com", &[&bob]).await;

    let (status, p) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let paired = |p: &Value, mentee: &Session| -> Option<String> {
        p["drafts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["mentee_id"] == *mentee.user_id)
            .map(|d| d["mentor_id"].as_str().unwrap().to_string())
    };
    // Five applicants, four seats. Ann's one seat goes to x's first choice rather
    // than to y (x would only get a 2nd choice elsewhere, and Bob's two seats go to
    // his two first choices), z gets Cyd, y waits with the reason.
    assert_eq!(paired(&p, &x).as_deref(), Some(ann.user_id.as_str()));
    assert_eq!(paired(&p, &z).as_deref(), Some(cyd.user_id.as_str()));
    assert_eq!(paired(&p, &w).as_deref(), Some(bob.user_id.as_str()));
    assert_eq!(paired(&p, &v).as_deref(), Some(bob.user_id.as_str()));
    assert_eq!(p["drafts"].as_array().unwrap().len(), 4);
    assert_eq!(p["queue"].as_array().unwrap().len(), 1);
    assert_eq!(p["queue"][0]["mentee_id"], *y.user_id);
    assert_eq!(
        p["queue"][0]["unmatched_reason"],
        "Every mentor who fits (Test ann) is full with better-fitting mentees."
    );
    let waiting = p["queue"][0]["id"].as_str().unwrap().to_string();
    let z_draft = p["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["mentee_id"] == *z.user_id)
        .unwrap()
        .clone();
    assert_eq!(z_draft["explanation"], "2nd choice");
    assert_eq!(z_draft["choice_rank"], 2);
    // The manager's page counts the proposals against each mentor's places, as
    // pairing by hand does: all three are full, so y cannot be paired by hand there.
    {
        use crate::web_mentors::{sign_in, text};
        let page = sign_in(&app, "root@example.com", "admin password 1").await;
        let (_, html) = text(&page, &app, &format!("/programs/{id}/manage")).await;
        assert!(
            html.contains(
                "<td data-label=\"Places left\">0 of 2 <span class=\"muted small\">(2 proposed, not published yet)</span></td>"
            ),
            "{html}"
        );
        assert!(
            !html.contains(">Give this mentor</button>"),
            "no mentor has a place to give: {html}"
        );
        assert_eq!(
            html.matches("(Test bob)</option>").count(),
            4,
            "Bob's two mentees are not offered a swap with each other: {html}"
        );
        assert!(
            html.contains("Every mentor in the pool is full: remove a proposal above")
                && !html.contains(&format!("id=\"pair-{waiting}\"")),
            "{html}"
        );
    }
    // The same input gives the same proposal.
    let (_, again) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals"),
            admin.token(),
            json!({}),
        )
        .await;
    let pairs = |p: &Value| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = p["drafts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["mentee_id"].to_string(), d["mentor_id"].to_string()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(pairs(&again), pairs(&p));

    // The manager's review: no room for the one waiting until someone moves.
    assert_problem(
        &app.post(
            &format!("/api/v1/programs/{id}/proposals/manual"),
            admin.token(),
            json!({"application_id": waiting, "mentor_id": bob.user_id}),
        )
        .await,
        409,
        "mentor_at_capacity",
    );
    let draft_of = |p: &Value, mentee: &Session| -> String {
        p["drafts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["mentee_id"] == *mentee.user_id)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Swap z (Cyd) and v (Bob): z now with Bob, v with Cyd.
    let (status, swapped) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals/swap"),
            admin.token(),
            json!({"first": draft_of(&again, &z), "second": draft_of(&again, &v)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{swapped}");
    assert_eq!(paired(&swapped, &z).as_deref(), Some(bob.user_id.as_str()));
    assert_eq!(paired(&swapped, &v).as_deref(), Some(cyd.user_id.as_str()));
    let zd = swapped["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["mentee_id"] == *z.user_id)
        .unwrap()
        .clone();
    assert_eq!(zd["origin"], "manual");
    assert_eq!(
        zd["explanation"],
        "swapped by a manager; not among their choices"
    );
    // Remove z's draft; the one waiting takes Bob's seat by hand.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!(
                "/api/v1/programs/{id}/proposals/{}",
                zd["id"].as_str().unwrap()
            ),
            admin.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, manual) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals/manual"),
            admin.token(),
            json!({"application_id": waiting, "mentor_id": bob.user_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{manual}");
    assert_eq!(
        manual["explanation"],
        "paired by a manager; not among their choices"
    );
    // The audit page says who was paired, swapped and removed by name, not by id.
    {
        use crate::web_mentors::{sign_in, text};
        let page = sign_in(&app, "root@example.com", "admin password 1").await;
        let (_, audit) = text(&page, &app, "/admin/audit").await;
        for words in [
            "mentee: Test y",
            "mentor: Test bob",
            "now: Test z with Test bob, Test v with Test cyd",
            "mentee: Test z",
        ] {
            assert!(audit.contains(words), "{words}: {audit}");
        }
        assert!(
            !audit.contains("application id:") && !audit.contains("mentor id:"),
            "{audit}"
        );
    }

    // Publishing needs the funding for every grant; refused whole, nothing changes.
    assert_problem(
        &app.post(
            &format!("/api/v1/programs/{id}/proposals/publish"),
            admin.token(),
            json!({}),
        )
        .await,
        409,
        "program_underfunded",
    );
    let (status, f) = app
        .post(
            &format!("/api/v1/programs/{id}/funding"),
            admin.token(),
            json!({"credits": 150, "memo": "Sponsor: Acme"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["available"], 150);
    let (status, published) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals/publish"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published, json!({"published": 4, "credits_granted": 100}));
    assert_problem(
        &app.post(
            &format!("/api/v1/programs/{id}/proposals/publish"),
            admin.token(),
            json!({}),
        )
        .await,
        409,
        "nothing_to_publish",
    );
    // Each pair is a live mentorship with a thread; the mentee has sponsored credits.
    let (_, ms) = app.get("/api/v1/mentorships?role=mentee", x.token()).await;
    assert_eq!(ms["items"][0]["mentor"]["id"], *ann.user_id, "{ms}");
    assert_eq!(ms["items"][0]["status"], "accepted");
    let (_, threads) = app.get("/api/v1/threads", x.token()).await;
    assert_eq!(threads["items"].as_array().unwrap().len(), 1, "{threads}");
    let (_, notes) = app.get("/api/v1/notifications", x.token()).await;
    assert!(
        notes["items"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("You are matched with Test ann in Cohort"),
        "{notes}"
    );
    for s in [&x, &y, &w, &v] {
        assert_eq!(sponsored(&app, &id, &s.user_id).await, 25);
    }
    assert_eq!(sponsored(&app, &id, &z.user_id).await, 0);
    let (_, view) = app
        .get(&format!("/api/v1/programs/{id}"), admin.token())
        .await;
    assert_eq!(view["funding"], json!({"available": 50, "sponsored": 100}));
    // z is in the queue with the manager's reason.
    let (_, p) = app
        .get(&format!("/api/v1/programs/{id}/proposals"), admin.token())
        .await;
    assert_eq!(p["published"].as_array().unwrap().len(), 4);
    assert_eq!(p["queue"][0]["mentee_id"], *z.user_id);
    assert_eq!(
        p["queue"][0]["unmatched_reason"],
        "Removed from the proposals by a manager."
    );
    app.assert_ledger_ok().await;

    // Completing returns what is left to the program.
    act(&app, &admin, &id, "start").await;
    let (status, done) = act(&app, &admin, &id, "complete").await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["funding"], json!({"available": 150, "sponsored": 0}));
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn two_managers_publishing_at_once_publish_each_pairing_once() {
    let app = TestApp::spawn().await;
    let second = app.second_instance().await;
    let admin = app.admin().await;
    let id = open_program(&app, &admin, "Race", 10).await;
    app.post(
        &format!("/api/v1/programs/{id}/funding"),
        admin.token(),
        json!({"credits": 1000}),
    )
    .await;
    let mut mentors = vec![];
    for n in 0..3 {
        mentors
            .push(pool_mentor(&app, &admin, &id, &format!("m{n}@example.com"), &["sql"], 2).await);
    }
    for n in 0..6 {
        apply(&app, &id, &format!("a{n}@example.com"), &[&mentors[n % 3]]).await;
    }
    let (_, p) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(p["drafts"].as_array().unwrap().len(), 6);
    let path = format!("/api/v1/programs/{id}/proposals/publish");
    let calls = (0..6).map(|n| {
        let target = if n % 2 == 0 { &app } else { &second };
        target.post(&path, admin.token(), json!({}))
    });
    let results = join_all(calls).await;
    let won: Vec<&(StatusCode, Value)> = results.iter().filter(|r| r.0 == StatusCode::OK).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.0 != StatusCode::OK) {
        assert_problem(r, 409, "nothing_to_publish");
    }
    let (_, view) = app
        .get(&format!("/api/v1/programs/{id}"), admin.token())
        .await;
    assert_eq!(view["funding"], json!({"available": 940, "sponsored": 60}));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mentorships WHERE program_id = $1")
        .bind(&id)
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(n, 6);
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn sponsored_credits_pay_program_sessions_first_and_come_back_on_refunds() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // A 30-credit session; the mentee has 50 of their own.
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 50).await;
    let id = open_program(&app, &admin, "Sponsored", 40).await;
    let (status, b) = enrol(&app, &mentor, &id, json!({"role": "mentor"})).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (status, b) = enrol(
        &app,
        &mentee,
        &id,
        json!({"role": "mentee", "choices": [mentor.user_id]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    app.post(
        &format!("/api/v1/programs/{id}/funding"),
        admin.token(),
        json!({"credits": 40}),
    )
    .await;
    app.post(
        &format!("/api/v1/programs/{id}/proposals"),
        admin.token(),
        json!({}),
    )
    .await;
    let (status, b) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals/publish"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, c) = app.get("/api/v1/me/credits", mentee.token()).await;
    assert_eq!(c["balance"], 50);
    assert_eq!(
        c["sponsored"],
        json!([{"program_id": id, "program_name": "Sponsored", "credits": 40}])
    );
    // The dashboard counts them beside the wallet.
    let (_, d) = app.get("/api/v1/me/dashboard", mentee.token()).await;
    assert_eq!(
        (
            d["credits_balance"].as_i64(),
            d["credits_sponsored"].as_i64()
        ),
        (Some(50), Some(40)),
        "{d}"
    );
    {
        use crate::web_mentors::{sign_in, text};
        let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
        let (_, html) = text(&c, &app, "/dashboard").await;
        assert!(
            html.contains(
                "<a href=\"/credits\">program credits</a>, for sessions with your program mentor"
            ),
            "{html}"
        );
        // A group session of the program mentor says its seat is not paid with them.
        let (status, g) = app
            .post(
                "/api/v1/group-sessions",
                mentor.token(),
                json!({"title": "Open hour", "start": "2026-03-05T20:00:00Z", "seats": 4,
                       "credits_per_seat": 5}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{g}");
        let gid = g["items"][0]["id"].as_str().unwrap();
        let (_, html) = text(&c, &app, &format!("/group-sessions/{gid}")).await;
        assert!(
            html.contains(
                "A seat is paid from your wallet: your Sponsored credits pay 1:1 sessions with"
            ),
            "{html}"
        );
    }

    let book =
        |start: &str| json!({"mentor_id": mentor.user_id, "service_id": service, "start": start});
    // The booking page says what the program pays and what the wallet does.
    use crate::web_mentors::{sign_in, text};
    let page = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let form = |start: &str| {
        format!(
            "/mentors/{}/book?service={service}&start={start}",
            mentor.user_id
        )
    };
    let (_, html) = text(&page, &app, &form("2026-03-03T10:00:00Z")).await;
    assert!(
        html.contains("<span id=\"program-uses\">30</span> from Sponsored go first (you have 40 there for sessions with ")
            && html.contains("your wallet pays <span id=\"wallet-pays\">0</span>")
            && html.contains("50 credits → <strong id=\"balance-after\">50</strong> after booking"),
        "{html}"
    );
    // The first session: 30 sponsored, nothing of their own.
    let (status, first) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book("2026-03-03T10:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // The program's report counts them held for a coming session, not spent.
    let (_, r) = app
        .get(&format!("/api/v1/programs/{id}/report"), admin.token())
        .await;
    assert_eq!(
        (
            &r["budget"]["held"],
            &r["budget"]["spent"],
            &r["budget"]["unspent"]
        ),
        (&json!(30), &json!(0), &json!(10)),
        "{r}"
    );
    // Its page says where the held credits came from.
    let (_, mine) = text(
        &page,
        &app,
        &format!("/bookings/{}", first["id"].as_str().unwrap()),
    )
    .await;
    assert!(
        mine.contains("30 held until the session is over (30 of them from Sponsored)"),
        "{mine}"
    );
    assert_eq!(sponsored(&app, &id, &mentee.user_id).await, 10);
    assert_eq!(app.balance(&mentee).await, (50, 30));
    let (_, html) = text(&page, &app, &form("2026-03-03T11:00:00Z")).await;
    assert!(
        html.contains(
            "<span id=\"program-uses\">10</span> from Sponsored go first (you have 10 there"
        ) && html.contains("your wallet pays <span id=\"wallet-pays\">20</span>")
            && html.contains("50 credits → <strong id=\"balance-after\">30</strong> after booking"),
        "{html}"
    );
    // The second: the last 10 sponsored, 20 of their own.
    let (status, second) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book("2026-03-03T11:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(sponsored(&app, &id, &mentee.user_id).await, 0);
    assert_eq!(app.balance(&mentee).await, (30, 60));
    app.assert_ledger_ok().await;
    // The history lists the program's credits beside the wallet's, so a 30-credit
    // hold reads as 10 + 20.
    let (_, c) = app.get("/api/v1/me/credits", mentee.token()).await;
    let mut lines: Vec<(i64, Option<&str>)> = c["entries"]
        .as_array()
        .unwrap()
        .iter()
        .take(4)
        .map(|e| (e["amount"].as_i64().unwrap(), e["program_name"].as_str()))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            (-30, Some("Sponsored")),
            (-20, None),
            (-10, Some("Sponsored")),
            (40, Some("Sponsored"))
        ],
        "{c}"
    );
    let (_, html) = text(&page, &app, "/credits").await;
    assert!(
        html.contains("<span class=\"badge\">Sponsored credits</span>"),
        "{html}"
    );
    // The grant's memo names the program: its badge does not again.
    assert!(
        html.contains("<span class=\"badge\">program credits</span> Sponsored credits from"),
        "{html}"
    );

    // Cancelled early (full refund): the sponsored part goes back to the program
    // credits, the rest to the wallet, and the page says so in numbers.
    let cancel_on_page = |booking: String| {
        let (page, app) = (&page, &app);
        async move {
            let path = format!("/bookings/{booking}");
            let (_, html) = text(page, app, &path).await;
            let res = page
                .post(app.url(&format!("{path}/do/cancel")))
                .form(&[
                    ("csrf", crate::web_mentors::csrf_of(&html).as_str()),
                    ("confirmed", "1"),
                    ("reason", "clash"),
                ])
                .send()
                .await
                .unwrap();
            crate::web_confirm::flash_after(page, app, res).await
        }
    };
    let said = cancel_on_page(second["id"].as_str().unwrap().to_string()).await;
    assert_eq!(
        said,
        "Booking cancelled: 30 of 30 credits are back: 20 in your wallet, 10 in your program credits."
    );
    assert_eq!(sponsored(&app, &id, &mentee.user_id).await, 10);
    assert_eq!(app.balance(&mentee).await, (50, 30));
    // A session with another mentor is paid from the wallet only.
    let other = app
        .approved_mentor(&admin, "other@example.com", mentor_profile(&["go"], &[], 5))
        .await;
    app.set_availability(&other, crate::support::weekdays_nine_to_five("UTC"))
        .await;
    let other_service = app.first_service(&other.user_id).await;
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": other.user_id, "service_id": other_service,
                   "start": "2026-03-04T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(sponsored(&app, &id, &mentee.user_id).await, 10);
    assert_eq!(app.balance(&mentee).await, (45, 35));
    // The program completes: what is left goes back to it; a refund after that goes
    // to the program too, never to the wallet.
    act(&app, &admin, &id, "start").await;
    let (_, done) = act(&app, &admin, &id, "complete").await;
    assert_eq!(done["funding"], json!({"available": 10, "sponsored": 0}));
    let said = cancel_on_page(first["id"].as_str().unwrap().to_string()).await;
    assert_eq!(
        said,
        "Booking cancelled: 30 of 30 credits are back: 0 in your wallet, 30 with the program that paid them, which has ended."
    );
    assert_eq!(app.balance(&mentee).await, (45, 5));
    let (_, v) = app
        .get(&format!("/api/v1/programs/{id}"), admin.token())
        .await;
    assert_eq!(v["funding"], json!({"available": 40, "sponsored": 0}));
    app.assert_ledger_ok().await;
}

/// A published program pair from the interview-prep template: (program id, mentor,
/// mentee, service, mentorship id).
async fn published_pair(
    app: &TestApp,
    admin: &Session,
) -> (String, Session, Session, String, String) {
    let (mentor, mentee, service) = app.booking_setup(admin, "UTC", 0, 0).await;
    let p = create(
        app,
        admin,
        json!({"name": "Prep", "template_id": "builtin:interview-prep"}),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_string();
    act(app, admin, &id, "open").await;
    let (status, b) = enrol(app, &mentor, &id, json!({"role": "mentor"})).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    // Their learning profile names other things than the application's skills: the
    // pair's skills are the application's.
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/mentee-profile",
            mentee.token(),
            Some(
                json!({"bio": "", "goals": ["Negotiate an offer"], "skills": ["typescript"],
                        "interests": []}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, b) = enrol(
        app,
        &mentee,
        &id,
        json!({"role": "mentee", "choices": [mentor.user_id],
               "answers": {"target": "Backend", "rounds": ["Coding"], "skills": "Go, SQL"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    app.post(
        &format!("/api/v1/programs/{id}/proposals"),
        admin.token(),
        json!({}),
    )
    .await;
    let (status, b) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals/publish"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, props) = app
        .get(&format!("/api/v1/programs/{id}/proposals"), admin.token())
        .await;
    let mentorship = props["published"][0]["mentorship_id"]
        .as_str()
        .unwrap()
        .to_string();
    (id, mentor, mentee, service, mentorship)
}

#[tokio::test]
async fn a_pair_tracks_goals_skills_and_sessions_and_the_report_shows_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (id, mentor, mentee, service, ms) = published_pair(&app, &admin).await;
    let goals_path = format!("/api/v1/mentorships/{ms}/goals");
    let (status, g) = app.get(&goals_path, mentee.token()).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    // The template's goals, the skills named at intake, nothing done yet.
    assert_eq!(g["goals"][0]["title"], "Ready for the technical rounds");
    assert_eq!(g["milestones"], 5);
    assert_eq!(g["milestones_done"], 0);
    assert_eq!(
        g["skills"],
        json!([{"skill": "go", "start": null, "end": null}, {"skill": "sql", "start": null, "end": null}])
    );
    assert_eq!(g["sessions_expected"], 4);
    assert_eq!(g["health"], "on_track");
    // A milestone too long is named by its place, the limit said per milestone.
    let (status, b) = app
        .post(
            &goals_path,
            mentee.token(),
            json!({"title": "Portfolio", "milestones": ["Short one", "x".repeat(201)]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        b["errors"][0]["message"], "Each milestone is at most 200 characters; milestone 2 has 201.",
        "{b}"
    );
    // A program's pair: the admins (as its managers) read the mentorship and its
    // progress alike.
    for path in [format!("/api/v1/mentorships/{ms}"), goals_path.clone()] {
        let (status, b) = app.get(&path, admin.token()).await;
        assert_eq!(status, StatusCode::OK, "{path}: {b}");
    }

    // Only the mentee rates their skills; 1 to 5.
    let skills = format!("/api/v1/mentorships/{ms}/skills");
    async fn put_as(app: &TestApp, path: &str, who: &Session, body: Value) -> (StatusCode, Value) {
        app.call(Method::PUT, path, who.token(), Some(body)).await
    }
    assert_problem(
        &put_as(
            &app,
            &skills,
            &mentor,
            json!({"phase": "start", "levels": {"go": 2}}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_problem(
        &put_as(
            &app,
            &skills,
            &mentee,
            json!({"phase": "middle", "levels": {"go": 7}}),
        )
        .await,
        422,
        "invalid_input",
    );
    let (status, s) = put_as(
        &app,
        &skills,
        &mentee,
        json!({"phase": "start", "levels": {"go": 2, "sql": 3}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(
        s["items"][0],
        json!({"skill": "go", "start": 2, "end": null})
    );
    // POST and PATCH (API.md's verbs) rate as PUT does; what is not sent is kept.
    for (method, level) in [(Method::POST, 4), (Method::PATCH, 5)] {
        let (status, s) = app
            .call(
                method.clone(),
                &skills,
                mentee.token(),
                Some(json!({"phase": "end", "levels": {"go": level}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{method}: {s}");
        assert_eq!(
            s["items"][0],
            json!({"skill": "go", "start": 2, "end": level})
        );
        assert_eq!(s["items"][1]["start"], 3, "{s}");
    }

    // Either person ticks milestones; outsiders see nothing; managers only read.
    let first = g["goals"][0]["milestones"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    async fn patch(
        app: &TestApp,
        ms: &str,
        who: &Session,
        m: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        app.call(
            Method::PATCH,
            &format!("/api/v1/mentorships/{ms}/milestones/{m}"),
            who.token(),
            Some(body),
        )
        .await
    }
    let outsider = app.register("nosy@example.com").await;
    assert_problem(
        &app.get(&goals_path, outsider.token()).await,
        404,
        "not_found",
    );
    assert_problem(
        &patch(&app, &ms, &outsider, &first, json!({"done": true})).await,
        404,
        "not_found",
    );
    assert_problem(
        &patch(&app, &ms, &admin, &first, json!({"done": true})).await,
        403,
        "forbidden",
    );
    let (status, after) = patch(&app, &ms, &mentor, &first, json!({"done": true})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["milestones_done"], 1);
    assert_eq!(
        after["goals"][0]["milestones"][0]["done_by"],
        *mentor.user_id
    );
    // The pair adds their own goal and milestones.
    let (status, added) = app
        .post(
            &goals_path,
            mentee.token(),
            json!({"title": "Negotiate the offer", "milestones": ["Know my number"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["milestones"], 6);
    let new_goal = added["goals"][2]["id"].as_str().unwrap();
    let (status, more) = app
        .post(
            &format!("/api/v1/mentorships/{ms}/milestones"),
            mentor.token(),
            json!({"goal_id": new_goal, "title": "Practise the call"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{more}");
    assert_eq!(
        more["goals"][2]["milestones"][1]["title"],
        "Practise the call"
    );
    // API.md's GET on milestones: every one, with its goal.
    let (status, listed) = app
        .get(
            &format!("/api/v1/mentorships/{ms}/milestones"),
            mentee.token(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 7, "{listed}");
    assert_eq!(items[6]["title"], "Practise the call");
    assert_eq!(items[6]["goal_id"], new_goal);
    // And PATCH on the collections, the goal or milestone named in the body.
    let (status, renamed) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/mentorships/{ms}/goals"),
            mentee.token(),
            Some(json!({"goal_id": new_goal, "title": "Negotiate well"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["goals"][2]["title"], "Negotiate well");
    let step = items[6]["id"].as_str().unwrap();
    let (status, ticked) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/mentorships/{ms}/milestones"),
            mentor.token(),
            Some(json!({"milestone_id": step, "title": "Practise the call twice"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ticked}");
    assert_eq!(
        ticked["goals"][2]["milestones"][1]["title"], "Practise the call twice",
        "{ticked}"
    );
    assert_problem(
        &app.call(
            Method::PATCH,
            &format!("/api/v1/mentorships/{ms}/milestones"),
            mentor.token(),
            Some(json!({"milestone_id": "nothing", "done": true})),
        )
        .await,
        404,
        "not_found",
    );
    // The program's goals and milestones stay (renamed at most); what the pair adds,
    // even under a program goal, is theirs to remove.
    let program_goal = more["goals"][0]["id"].as_str().unwrap().to_string();
    let program_step = more["goals"][0]["milestones"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("{goals_path}/{program_goal}"),
        format!("/api/v1/mentorships/{ms}/milestones/{program_step}"),
    ] {
        assert_problem(
            &app.call(Method::DELETE, &path, mentee.token(), None).await,
            409,
            "program_goal",
        );
    }
    let (status, extra) = app
        .post(
            &format!("/api/v1/mentorships/{ms}/milestones"),
            mentee.token(),
            json!({"goal_id": program_goal, "title": "A mock round with a friend"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{extra}");
    let mine = extra["goals"][0]["milestones"][3]["id"].as_str().unwrap();
    let (status, back) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/mentorships/{ms}/milestones/{mine}"),
            mentee.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["milestones"], 7, "{back}");
    let c = crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/mentorship/{ms}")).await;
    assert_eq!(
        page.matches("<summary>Rename this goal</summary>").count(),
        2,
        "the program's two goals: {page}"
    );
    assert_eq!(
        page.matches("<summary>Rename or remove this goal</summary>")
            .count(),
        1,
        "the pair's own: {page}"
    );

    // A session held counts, and a milestone links to it.
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z"}),
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
    app.clock.set("2026-03-03T11:05:00Z".parse().unwrap());
    let (status, c) = app
        .post(
            &format!("/api/v1/bookings/{booking}/complete"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let (status, linked) = patch(&app, &ms, &mentee, &first, json!({"booking_id": booking})).await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    assert_eq!(
        linked["goals"][0]["milestones"][0]["booking_id"],
        booking.as_str()
    );
    assert_eq!(linked["sessions_held"], 1);
    assert!(linked["last_contact"].is_string());

    // The mentee's data export holds the progress and the application.
    let (_, export) = app.get("/api/v1/me/export", mentee.token()).await;
    assert_eq!(export["programs"][0]["role"], "mentee", "{export}");
    assert_eq!(
        export["programs"][0]["answers"]["skills"],
        json!(["go", "sql"])
    );
    let goals = &export["mentorship_progress"][0]["goals"];
    assert!(goals[0]["milestones"][0]["done_at"].is_string(), "{export}");
    assert_eq!(goals[0]["milestones"][0]["booking_id"], booking.as_str());
    // The program's report says the same, as JSON and as CSV.
    let (status, r) = app
        .get(&format!("/api/v1/programs/{id}/report"), admin.token())
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        r["funnel"],
        json!({"applied": 1, "matched": 1, "first_session": 1, "expected_reached": 0, "completed": 0})
    );
    assert_eq!(r["sessions_per_pair"], 1.0);
    assert_eq!(r["pairs"][0]["milestones_done"], 1);
    assert_eq!(r["pairs"][0]["milestones"], 7);
    assert_eq!(r["pairs"][0]["health"], "on_track");
    let csv = app
        .http
        .get(app.url(&format!(
            "/api/v1/programs/{id}/report?format=csv&table=funnel"
        )))
        .bearer_auth(&admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    // Named by the program, so two programs' files do not share a name.
    let file = csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        file.starts_with("attachment; filename=\"program-prep-") && file.ends_with("-funnel.csv\""),
        "{file}"
    );
    assert_eq!(
        csv.text().await.unwrap(),
        "stage,count\r\napplied,1\r\nmatched,1\r\nfirst_session,1\r\nexpected_reached,0\r\ncompleted,0\r\n"
    );
    assert_problem(
        &app.get(
            &format!("/api/v1/programs/{id}/report?format=csv&table=nope"),
            admin.token(),
        )
        .await,
        422,
        "invalid_input",
    );
    assert_problem(
        &app.get(&format!("/api/v1/programs/{id}/report"), mentee.token())
            .await,
        403,
        "forbidden",
    );
    // Three quiet weeks later the pair is inactive, and the health filter finds it.
    app.clock.advance(jiff::SignedDuration::from_hours(22 * 24));
    let (_, quiet) = app
        .get(
            &format!("/api/v1/programs/{id}/pairs?health=inactive"),
            admin.token(),
        )
        .await;
    assert_eq!(quiet["items"].as_array().unwrap().len(), 1, "{quiet}");
    let (_, fine) = app
        .get(
            &format!("/api/v1/programs/{id}/pairs?health=on_track"),
            admin.token(),
        )
        .await;
    assert_eq!(fine["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn nudges_go_out_once_per_person_whatever_the_instances() {
    let app = TestApp::spawn().await;
    let second = app.second_instance().await;
    let admin = app.admin().await;
    let (id, mentor, mentee, service, _) = published_pair(&app, &admin).await;
    // Someone no mentor fits waits.
    let lonely = app.register("lonely@example.com").await;
    let (status, b) = enrol(
        &app,
        &lonely,
        &id,
        json!({"role": "mentee", "answers": {"target": "x", "rounds": ["Coding"]}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let path = format!("/api/v1/programs/{id}/nudges");
    assert_problem(
        &app.call(
            Method::PUT,
            &path,
            admin.token(),
            Some(json!({"rules": [{"rule": "nope", "days": 0, "enabled": true}]})),
        )
        .await,
        422,
        "invalid_input",
    );
    let (status, rules) = app
        .call(
            Method::PUT,
            &path,
            admin.token(),
            Some(
                json!({"rules": [{"rule": "no_session", "days": 3, "enabled": true},
                                  {"rule": "unmatched", "days": 2, "enabled": true}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    assert_eq!(
        rules["rules"][3],
        json!({"rule": "ending", "days": 7, "enabled": false})
    );
    // Tomorrow: nobody; in four days: both of the pair and the one waiting.
    let (_, tomorrow) = app.get(&format!("{path}/preview"), admin.token()).await;
    assert_eq!(tomorrow["items"].as_array().unwrap().len(), 0, "{tomorrow}");
    let (_, later) = app
        .get(
            &format!("{path}/preview?at=2026-03-06T10:00:00Z"),
            admin.token(),
        )
        .await;
    let mut who: Vec<(String, String)> = later["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["rule"].as_str().unwrap().into(),
                n["user_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    who.sort();
    let mut expected = vec![
        ("no_session".to_string(), mentor.user_id.clone()),
        ("no_session".to_string(), mentee.user_id.clone()),
        ("unmatched".to_string(), lonely.user_id.clone()),
    ];
    expected.sort();
    assert_eq!(who, expected);
    // A first session booked ahead is what the pair's nudge would ask for: while it
    // stands, the pair is not nudged to book one.
    let (status, booked) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-10T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let preview = |at: &'static str| {
        let (app, token, path) = (&app, admin.token().map(str::to_string), path.clone());
        async move {
            let (_, p) = app
                .get(&format!("{path}/preview?at={at}"), token.as_deref())
                .await;
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["rule"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(preview("2026-03-06T10:00:00Z").await, ["unmatched"]);
    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", booked["id"].as_str().unwrap()),
            mentee.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(preview("2026-03-06T10:00:00Z").await.len(), 3);
    // Nothing was sent by the preview, nor before it is due.
    app.tick().await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM program_nudges WHERE program_id = $1")
            .bind(&id)
            .fetch_one(&app.ctx().db.pool)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 0);
    // Due: both instances run their pass at once, twice; each nudge goes out once.
    app.clock.set("2026-03-06T10:00:00Z".parse().unwrap());
    for _ in 0..2 {
        tokio::join!(app.tick(), second.tick());
    }
    assert_eq!(count().await, 3);
    let (_, notes) = app.get("/api/v1/notifications", lonely.token()).await;
    let titles: Vec<&str> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .filter(|t| t.starts_with("You are still waiting"))
        .collect();
    assert_eq!(titles.len(), 1, "{notes}");
    let (_, after) = app
        .get(
            &format!("{path}/preview?at=2026-03-07T10:00:00Z"),
            admin.token(),
        )
        .await;
    assert_eq!(after["items"].as_array().unwrap().len(), 0, "{after}");
    let (_, view) = app.get(&path, admin.token()).await;
    assert_eq!(view["sent"].as_array().unwrap().len(), 3);
    // Managers only.
    assert_problem(&app.get(&path, mentee.token()).await, 403, "forbidden");
    // The audit log says what was set, rule by rule.
    let c = crate::web_mentors::sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, audit) = crate::web_mentors::text(&c, &app, "/admin/audit").await;
    assert!(
        audit.contains("A matched pair has had no session: on, 3 days")
            && audit.contains("An applicant is still waiting for a match: on, 2 days"),
        "{audit}"
    );
}

#[tokio::test]
async fn where_the_program_allows_it_a_mentee_chooses_their_mentor() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = open_program(&app, &admin, "Choose", 0).await;
    let m = pool_mentor(&app, &admin, &id, "m@example.com", &["go"], 1).await;
    let a = apply(&app, &id, "a@example.com", &[]).await;
    let b = apply(&app, &id, "b@example.com", &[]).await;
    let path = format!("/api/v1/programs/{id}/self-match");
    let body = json!({"mentor_id": m.user_id});
    let choose = |s: &Session| {
        let token = s.access.clone();
        let (path, body) = (path.clone(), body.clone());
        let app = &app;
        async move { app.post(&path, Some(&token), body).await }
    };
    assert_problem(&choose(&a).await, 403, "forbidden");
    app.call(
        Method::PATCH,
        &format!("/api/v1/programs/{id}"),
        admin.token(),
        Some(json!({"self_matching": true})),
    )
    .await;
    let outsider = app.register("o@example.com").await;
    assert_problem(&choose(&outsider).await, 409, "not_enrolled");
    let (status, pairing) = choose(&a).await;
    assert_eq!(status, StatusCode::CREATED, "{pairing}");
    assert_eq!(pairing["status"], "published");
    assert_eq!(pairing["explanation"], "chosen by the mentee");
    assert_problem(&choose(&a).await, 409, "invalid_transition");
    // One place: the next mentee waits for the managers.
    assert_problem(&choose(&b).await, 409, "mentor_at_capacity");
    let (_, ms) = app.get("/api/v1/mentorships?role=mentee", a.token()).await;
    assert_eq!(ms["items"][0]["status"], "accepted");
    let (_, g) = app
        .get(
            &format!(
                "/api/v1/mentorships/{}/goals",
                pairing["mentorship_id"].as_str().unwrap()
            ),
            m.token(),
        )
        .await;
    assert_eq!(g["program_id"], *id);
}

/// A mentor of a program's pool who applies to it as a mentee too is never paired with
/// themselves: not by choosing, not by a manager's hand (a 422 naming the field, not the
/// database's refusal as a 500).
#[tokio::test]
async fn nobody_mentors_themselves_in_a_program() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = open_program(&app, &admin, "Selves", 0).await;
    app.call(
        Method::PATCH,
        &format!("/api/v1/programs/{id}"),
        admin.token(),
        Some(json!({"self_matching": true})),
    )
    .await;
    let m = pool_mentor(&app, &admin, &id, "m@example.com", &["go"], 2).await;
    let (status, b) = enrol(&app, &m, &id, json!({"role": "mentee"})).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let me = json!({"mentor_id": m.user_id});
    let (status, b) = app
        .post(
            &format!("/api/v1/programs/{id}/self-match"),
            m.token(),
            me.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["errors"][0]["code"], "same_person", "{b}");
    let (_, queue) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(queue["drafts"].as_array().unwrap().len(), 0, "{queue}");
    let application = queue["queue"][0]["id"].as_str().unwrap().to_string();
    let (status, b) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals/manual"),
            admin.token(),
            json!({"application_id": application, "mentor_id": m.user_id}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["errors"][0]["code"], "same_person", "{b}");
    let (_, ms) = app.get("/api/v1/mentorships?role=mentee", m.token()).await;
    assert_eq!(ms["items"].as_array().unwrap().len(), 0, "{ms}");
}

/// A program cannot be made, moved or opened so that it is already over or its
/// applications already closed; a running program's passed closing date is fine. A
/// program left without dates closes its applications at 23:59 in its creator's zone.
#[tokio::test]
async fn a_program_is_not_made_or_opened_already_over() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // The clock reads 2 March 2026, 09:00 UTC.
    let (status, b) = app
        .post(
            "/api/v1/programs",
            admin.token(),
            json!({"name": "Last year", "applications_open_at": "2025-01-01T09:00:00Z",
                   "applications_close_at": "2025-02-01T09:00:00Z",
                   "starts_at": "2025-02-01T09:00:00Z", "ends_at": "2025-03-01T09:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let said: Vec<(&str, &str)> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        said,
        [
            ("applications_close_at", "in_the_past"),
            ("ends_at", "in_the_past")
        ]
    );
    let (_, list) = app.get("/api/v1/programs", admin.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing made");
    // On the page, each date's reason is beside its date.
    let c = crate::web_mentors::sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, page) = crate::web_mentors::text(&c, &app, "/programs/new").await;
    let csrf = crate::web_mentors::csrf_of(&page);
    let res = c
        .post(app.url("/programs/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Last year"),
            ("applications_open_on", "2025-01-01"),
            ("applications_close_on", "2025-02-01"),
            ("starts_on", "2025-02-01"),
            ("ends_on", "2025-03-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<p class=\"error\" id=\"f-ends_on-error\">The program would already be over: choose an end after today.</p>"),
        "{html}"
    );
    assert!(
        html.contains("id=\"f-applications_close_on-error\""),
        "{html}"
    );

    // Made in Tokyo's zone without dates: applications close on 16 March at 23:59
    // there (14:59 UTC).
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            admin.token(),
            Some(json!({"timezone": "Asia/Tokyo"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let p = create(&app, &admin, json!({"name": "Spring"})).await;
    assert_eq!(p["applications_close_at"], "2026-03-16T14:59:00Z", "{p}");
    let id = p["id"].as_str().unwrap().to_string();

    // Two weeks and a day on, the draft's applications would already be closed.
    app.clock.advance(jiff::SignedDuration::from_hours(15 * 24));
    assert_problem(
        &act(&app, &admin, &id, "open").await,
        409,
        "applications_closed",
    );
    let (status, b) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/programs/{id}"),
            admin.token(),
            Some(json!({"applications_close_at": "2026-03-10T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["errors"][0]["code"], "in_the_past", "{b}");
    let (status, b) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/programs/{id}"),
            admin.token(),
            Some(json!({"applications_close_at": "2026-03-31T00:00:00Z", "starts_at": "2026-04-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, b) = act(&app, &admin, &id, "open").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    // Once running, its passed closing date does not stop other changes.
    app.clock.advance(jiff::SignedDuration::from_hours(20 * 24));
    let (status, b) = act(&app, &admin, &id, "start").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, b) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/programs/{id}"),
            admin.token(),
            Some(json!({"description": "Now running."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
}

/// A mentee ranking the same mentor twice is told so (nothing sent); once applied,
/// the program page shows what they sent: their ranking, named.
#[tokio::test]
async fn a_ranking_names_each_mentor_once_and_the_applicant_sees_what_they_sent() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = open_program(&app, &admin, "Spring cohort", 0).await;
    let ada = pool_mentor(&app, &admin, &id, "ada@example.com", &["rust"], 2).await;
    let bob = pool_mentor(&app, &admin, &id, "bob@example.com", &["go"], 2).await;
    let s = app.register("twice@example.com").await;
    let got = enrol(
        &app,
        &s,
        &id,
        json!({"role": "mentee", "choices": [ada.user_id, ada.user_id]}),
    )
    .await;
    assert_problem(&got, 422, "invalid_input");
    assert!(got.1.to_string().contains("duplicate_choice"), "{}", got.1);
    let (_, list) = app
        .get(&format!("/api/v1/programs/{id}"), admin.token())
        .await;
    assert!(
        !list.to_string().contains("twice@example.com"),
        "nothing sent"
    );
    let (status, b) = enrol(
        &app,
        &s,
        &id,
        json!({"role": "mentee", "choices": [bob.user_id, ada.user_id]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let c = crate::web_mentors::sign_in(&app, "twice@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/programs/{id}")).await;
    let (_, bob_me) = app.get("/api/v1/me", bob.token()).await;
    let (_, ada_me) = app.get("/api/v1/me", ada.token()).await;
    let ranked = format!(
        "<strong>Mentors you ranked:</strong> 1. {} {} 2. {} {}</p>",
        bob_me["first_name"].as_str().unwrap(),
        bob_me["last_name"].as_str().unwrap(),
        ada_me["first_name"].as_str().unwrap(),
        ada_me["last_name"].as_str().unwrap(),
    );
    assert!(page.contains(&ranked), "{ranked} in {page}");
}

/// A draft given another mentor by hand: the audit log names the mentor it had.
#[tokio::test]
async fn a_draft_given_another_mentor_says_whom_it_had() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = open_program(&app, &admin, "Moves", 0).await;
    let ann = pool_mentor(&app, &admin, &id, "ann@example.com", &["python"], 1).await;
    let bob = pool_mentor(&app, &admin, &id, "bob@example.com", &["go"], 1).await;
    let x = apply(&app, &id, "x@example.com", &[&ann]).await;
    let (status, p) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["drafts"][0]["mentor_id"], *ann.user_id);
    let application = p["drafts"][0]["application_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, m) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals/manual"),
            admin.token(),
            json!({"application_id": application, "mentor_id": bob.user_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(m["mentee_id"], *x.user_id);
    let c = crate::web_mentors::sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, audit) = crate::web_mentors::text(&c, &app, "/admin/audit").await;
    assert!(
        audit.contains("mentor: Test bob") && audit.contains("instead of: Test ann"),
        "{audit}"
    );
}

#[tokio::test]
async fn pairing_by_hand_starts_on_the_applicants_best_open_choice() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = open_program(&app, &admin, "Hand", 25).await;
    let ann = pool_mentor(&app, &admin, &id, "ann@example.com", &["python"], 1).await;
    pool_mentor(&app, &admin, &id, "bob@example.com", &["go"], 1).await;
    let cyd = pool_mentor(&app, &admin, &id, "cyd@example.com", &["rust"], 1).await;
    let x = apply(&app, &id, "x@example.com", &[&ann]).await;
    let y = apply(&app, &id, "y@example.com", &[&ann, &cyd]).await;
    let z = apply(&app, &id, "z@example.com", &[]).await;
    let (status, p) = app
        .get(&format!("/api/v1/programs/{id}/proposals"), admin.token())
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let app_id = |s: &Session| -> String {
        p["queue"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["mentee_id"] == *s.user_id)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (xa, ya, za) = (app_id(&x), app_id(&y), app_id(&z));
    let page = sign_in(&app, "root@example.com", "admin password 1").await;
    let menu = |html: &str, app_id: &str| -> String {
        let start = html.find(&format!("id=\"pair-{app_id}\"")).expect(html);
        html[start..start + html[start..].find("</select>").unwrap()].to_string()
    };
    let option = |m: &Session, rest: &str| format!("<option value=\"{}\"{rest}", m.user_id);
    let (_, html) = text(&page, &app, &format!("/programs/{id}/manage")).await;
    // Nothing proposed: x's and y's menus start on Ann, each marked with its rank.
    let x_menu = menu(&html, &xa);
    assert!(
        x_menu.contains(&option(
            &ann,
            " selected>Test ann (1 of 1 left, their 1st choice)"
        )),
        "{x_menu}"
    );
    let y_menu = menu(&html, &ya);
    assert!(
        y_menu.contains(&option(
            &ann,
            " selected>Test ann (1 of 1 left, their 1st choice)"
        )) && y_menu.contains(&option(&cyd, ">Test cyd (1 of 1 left, their 2nd choice)")),
        "{y_menu}"
    );
    // x paired with Ann by hand: Ann's one place is proposed, so y's menu starts on
    // Cyd, their 2nd choice; z ranked nobody, so theirs starts on the first mentor.
    let (status, m) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals/manual"),
            admin.token(),
            json!({"application_id": xa, "mentor_id": ann.user_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let (_, html) = text(&page, &app, &format!("/programs/{id}/manage")).await;
    let y_menu = menu(&html, &ya);
    assert!(
        y_menu.contains(&option(
            &cyd,
            " selected>Test cyd (1 of 1 left, their 2nd choice)"
        )) && y_menu.contains(&option(
            &ann,
            " disabled>Test ann (full, 1 proposed, their 1st choice)"
        )),
        "{y_menu}"
    );
    let z_menu = menu(&html, &za);
    assert!(
        !z_menu.contains(" selected>") && !z_menu.contains("choice)"),
        "{z_menu}"
    );
}

/// A program's dates are days in its own zone (given, or its creator's): the same
/// days for every reader, who is also told when applications close in their time.
#[tokio::test]
async fn a_programs_dates_are_days_in_its_own_zone_for_every_reader() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    assert_problem(
        &app.post(
            "/api/v1/programs",
            admin.token(),
            json!({"name": "Zoned", "timezone": "Mars/Olympus"}),
        )
        .await,
        422,
        "invalid_input",
    );
    let p = create(
        &app,
        &admin,
        json!({"name": "Zoned", "timezone": "Europe/Berlin"}),
    )
    .await;
    assert_eq!(p["timezone"], "Europe/Berlin");
    // Two weeks from the test's Monday, to the end of that day in Berlin.
    assert_eq!(p["applications_close_at"], "2026-03-16T22:59:00Z", "{p}");
    let id = p["id"].as_str().unwrap().to_string();
    act(&app, &admin, &id, "open").await;
    app.register("ny@example.com").await;
    let ny = sign_in(&app, "ny@example.com", "correct horse battery").await;
    let (_, me) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "ny@example.com", "password": "correct horse battery"}),
        )
        .await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(me["access_token"].as_str().unwrap()),
        Some(json!({"timezone": "America/New_York"})),
    )
    .await;
    let (_, page) = text(&ny, &app, &format!("/programs/{id}")).await;
    assert!(
        page.contains("Applications close Mon 16 Mar 2026, ")
            && page.contains(
                " your time (the end of Mon 16 Mar 2026 in Europe/Berlin) · runs Tue 17 Mar 2026 – "
            )
            && page.contains(" (dates in Europe/Berlin)"),
        "{page}"
    );
    // The manager (in UTC) edits the program's days, in its zone; a change keeps it.
    let c = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, page) = text(&c, &app, &format!("/programs/{id}/manage")).await;
    assert!(
        page.contains("Dates are whole days in Europe/Berlin")
            && page.contains("value=\"2026-03-16\""),
        "{page}"
    );
    // A new program's form names the zone its days will be in: its creator's.
    let (_, new) = text(&c, &app, "/programs/new").await;
    assert!(new.contains("Dates are whole days in UTC, "), "{new}");
    let (status, p) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/programs/{id}"),
            admin.token(),
            Some(json!({"name": "Zoned again"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["timezone"], "Europe/Berlin");
}

#[tokio::test]
async fn the_console_says_what_is_missing_before_asking_and_keeps_a_refused_nudge() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // 30 credits a mentee, nothing funded: publishing one pairing is 30 short.
    let id = open_program(&app, &admin, "Underfunded", 30).await;
    let ann = pool_mentor(&app, &admin, &id, "ann@example.com", &["python"], 1).await;
    apply(&app, &id, "x@example.com", &[&ann]).await;
    let (status, p) = app
        .post(
            &format!("/api/v1/programs/{id}/proposals"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let c = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, html) = text(&c, &app, &format!("/programs/{id}/manage")).await;
    assert!(
        html.contains("disabled aria-describedby=\"underfunded\">Publish 1 pairing</button>")
            && html.contains(
                "30 credits are granted on publishing and the program's funding holds 0:</strong> <a href=\"#funding\">add 30 or more</a> first."
            ),
        "{html}"
    );
    // Sent all the same (an old page): the refusal at once, not a question first.
    let csrf = csrf_of(&html);
    let res = c
        .post(app.url(&format!("/programs/{id}/manage/publish")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Publishing 1 pairing grants 30 credits and the program&#39;s funding holds 0: add 30 or more to its funding first")
            && !page.contains("Yes, publish"),
        "{page}"
    );
    // Starting the running window asks first, saying applications close early.
    let res = c
        .post(app.url(&format!("/programs/{id}/manage/state")))
        .form(&[("csrf", csrf.as_str()), ("state", "start")])
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Start the program&#39;s running window now?")
            && page.contains("Applications close now instead of on ")
            && page.contains("Yes, start it"),
        "{page}"
    );
    let (_, p) = app
        .get(&format!("/api/v1/programs/{id}"), admin.token())
        .await;
    assert_eq!(p["status"], "open", "asking changed nothing: {p}");
    // A refused nudge: said beside its field by the rule's label; what was sent stays.
    let res = c
        .post(app.url(&format!("/programs/{id}/manage/nudges")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("on.unmatched", "1"),
            ("days.unmatched", "400"),
            ("days.no_session", "9"),
            ("days.no_contact", "14"),
            ("days.ending", "7"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("href=\"#days-unmatched\">")
            && page.contains(", days: A rule waits 1 to 365 days.")
            && page.contains("id=\"days-unmatched-error\">A rule waits 1 to 365 days.</span>")
            && page.contains("name=\"on.unmatched\" value=\"1\" checked>")
            && page.contains("name=\"days.unmatched\" type=\"number\" min=\"1\" max=\"365\" inputmode=\"numeric\" required value=\"400\"")
            && page.contains("name=\"days.no_session\" type=\"number\" min=\"1\" max=\"365\" inputmode=\"numeric\" required value=\"9\""),
        "{page}"
    );
}

/// Withdrawing from a page opened before the match (a second tab): back to the
/// program, saying there is nothing to withdraw, not a bare 409 page.
#[tokio::test]
async fn withdrawing_once_matched_says_so_on_the_program_page() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (id, _mentor, _mentee, _service, _mentorship) = published_pair(&app, &admin).await;
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, page) = text(&c, &app, &format!("/programs/{id}")).await;
    let res = c
        .post(app.url(&format!("/programs/{id}/withdraw")))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("role", "mentee"),
            ("confirmed", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        format!("/programs/{id}").as_str()
    );
    let said = crate::web_confirm::flash_after(&c, &app, res).await;
    assert!(said.starts_with("You are matched already"), "{said}");
}

/// Saving a running program's details with its dates as they read keeps their
/// instants: applications closed early by starting it stay closed then, not until
/// the last minute of that day.
#[tokio::test]
async fn saving_details_keeps_dates_that_were_not_changed() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = open_program(&app, &admin, "Spring", 10).await;
    let (status, b) = act(&app, &admin, &id, "start").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, before) = app
        .get(&format!("/api/v1/programs/{id}"), admin.token())
        .await;
    let closed = before["applications_close_at"]
        .as_str()
        .unwrap()
        .to_string();
    let c = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, html) = text(&c, &app, &format!("/programs/{id}/manage")).await;
    let day = |field: &str| before[field].as_str().unwrap()[..10].to_string();
    let s = |field: &str| match &before[field] {
        Value::String(v) => v.clone(),
        other => other.to_string(),
    };
    let res = c
        .post(app.url(&format!("/programs/{id}/manage/details")))
        .form(&[
            ("csrf", csrf_of(&html)),
            ("name", s("name")),
            ("description", "A typo fixed.".to_string()),
            ("join_rule", s("join_rule")),
            ("invite_code", String::new()),
            ("email_domain", String::new()),
            ("applications_open_on", day("applications_open_at")),
            ("applications_close_on", day("applications_close_at")),
            ("starts_on", day("starts_at")),
            ("ends_on", day("ends_at")),
            ("mentor_capacity", s("mentor_capacity")),
            ("sessions_expected", s("sessions_expected")),
            ("budget_per_mentee", s("budget_per_mentee")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, after) = app
        .get(&format!("/api/v1/programs/{id}"), admin.token())
        .await;
    assert_eq!(after["description"], "A typo fixed.", "{after}");
    assert_eq!(after["applications_close_at"], json!(closed), "{after}");
    for field in ["applications_open_at", "starts_at", "ends_at"] {
        assert_eq!(after[field], before[field], "{field}");
    }
}

/// A program cancelled or completed tells its mentees: one still waiting that their
/// application closes unmatched (their page says so, without the withdraw button),
/// one matched that the mentorship goes on without the program's credits.
#[tokio::test]
async fn a_program_that_ends_tells_its_mentees() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (id, _mentor, mentee, _service, _mentorship) = published_pair(&app, &admin).await;
    let waiting = app.register("waiting@example.com").await;
    let (status, b) = enrol(
        &app,
        &waiting,
        &id,
        json!({"role": "mentee",
               "answers": {"target": "Backend", "rounds": ["Coding"], "skills": "Go"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let c = sign_in(&app, "waiting@example.com", "correct horse battery").await;
    let (_, before) = text(&c, &app, &format!("/programs/{id}")).await;
    assert!(before.contains("Withdraw my application") && !before.contains("application-closed"));
    let (status, b) = act(&app, &admin, &id, "cancel").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let name = b["name"].as_str().unwrap().to_string();
    let told = app.notifications(&waiting).await;
    assert!(
        told.iter().any(
            |n| n["title"] == format!("The program {name} was cancelled")
                && n["body"]
                    .as_str()
                    .unwrap()
                    .contains("ended before you were matched")
        ),
        "{told:?}"
    );
    let told = app.notifications(&mentee).await;
    assert!(
        told.iter().any(
            |n| n["title"] == format!("The program {name} was cancelled")
                && n["body"]
                    .as_str()
                    .unwrap()
                    .contains("Your mentorship goes on")
        ),
        "{told:?}"
    );
    let (_, after) = text(&c, &app, &format!("/programs/{id}")).await;
    assert!(
        after.contains("id=\"application-closed\"") && !after.contains("Withdraw my application"),
        "{after}"
    );
    // Its dates read as what was planned, not as a program that runs.
    assert!(
        after.contains(" · was to run ") && !after.contains(" · runs "),
        "{after}"
    );
}

/// An applicant ranking mentors sees which are full, and is told when all are.
#[tokio::test]
async fn the_application_form_marks_full_mentors() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (id, mentor, _mentee, _service, _mentorship) = published_pair(&app, &admin).await;
    let (status, b) = enrol(&app, &mentor, &id, json!({"role": "mentor", "capacity": 1})).await;
    assert!(status.is_success(), "{b}");
    app.register("late@example.com").await;
    let c = sign_in(&app, "late@example.com", "correct horse battery").await;
    let (_, page) = text(&c, &app, &format!("/programs/{id}")).await;
    assert!(page.contains(" (full)"), "{page}");
    assert!(page.contains("id=\"pool-full\""), "{page}");
}

/// Once mentees are matched, the credits per mentee they were granted stay (the
/// pages and the report say it from the program's figure): a change is refused beside
/// its field; other details still change.
#[tokio::test]
async fn the_credits_per_mentee_stay_once_mentees_are_matched() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (id, _mentor, _mentee, _service, _mentorship) = published_pair(&app, &admin).await;
    let path = format!("/api/v1/programs/{id}");
    let (_, before) = app.get(&path, admin.token()).await;
    let refused = app
        .call(
            reqwest::Method::PATCH,
            &path,
            admin.token(),
            Some(json!({"budget_per_mentee": before["budget_per_mentee"].as_i64().unwrap() + 70})),
        )
        .await;
    assert_problem(&refused, 422, "invalid_input");
    assert_eq!(
        refused.1["errors"][0]["code"], "budget_granted",
        "{}",
        refused.1
    );
    let (status, changed) = app
        .call(
            reqwest::Method::PATCH,
            &path,
            admin.token(),
            Some(json!({"description": "Still the same budget."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["budget_per_mentee"], before["budget_per_mentee"]);
}
