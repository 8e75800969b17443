//! Threads, messages, live delivery over the socket, across instances.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Session, TestApp, assert_problem, mentor_profile};

/// A mentor and a mentee with an accepted mentorship (so a thread), returned with it.
pub async fn pair(app: &TestApp) -> (Session, Session, Session, String) {
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "mentor@example.com",
            mentor_profile(&["x"], &[], 10),
        )
        .await;
    let mentee = app.register("mentee@example.com").await;
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hi"}),
        )
        .await;
    app.post(
        &format!("/api/v1/mentorships/{}/accept", m["id"].as_str().unwrap()),
        mentor.token(),
        json!({}),
    )
    .await;
    let (_, threads) = app.get("/api/v1/threads", mentee.token()).await;
    let thread = threads["items"][0]["id"]
        .as_str()
        .expect("a thread opened on accept")
        .to_string();
    (admin, mentor, mentee, thread)
}

#[tokio::test]
async fn accepting_a_mentorship_opens_a_thread_and_messages_flow() {
    let app = TestApp::spawn().await;
    let (_, mentor, mentee, thread) = pair(&app).await;
    let (_, t) = app
        .get(&format!("/api/v1/threads/{thread}"), mentor.token())
        .await;
    assert_eq!(t["kind"], "direct");
    assert_eq!(t["participants"].as_array().unwrap().len(), 2);
    assert_eq!(t["last_message"]["kind"], "system");

    let (status, m) = app
        .post(
            &format!("/api/v1/threads/{thread}/messages"),
            mentee.token(),
            json!({"content": "Hello!\nFirst question…"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(m["content"], "Hello!\nFirst question…");
    let (_, list) = app.get("/api/v1/threads", mentor.token()).await;
    assert_eq!(
        list["items"][0]["unread_count"], 1,
        "the message (the system note was the mentor's own doing)"
    );
    assert_eq!(list["unread_total"], 1);
    assert_eq!(list["items"][0]["last_message"]["id"], m["id"]);
    assert_eq!(
        app.call(
            Method::POST,
            &format!("/api/v1/threads/{thread}/read"),
            mentor.token(),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let (_, list) = app.get("/api/v1/threads", mentor.token()).await;
    assert_eq!(list["unread_total"], 0);
    let (_, mine) = app.get("/api/v1/threads", mentee.token()).await;
    assert_eq!(
        mine["items"][0]["unread_count"], 0,
        "sending reads the thread up to my message"
    );

    // Paging newest first.
    for i in 0..5 {
        app.post(
            &format!("/api/v1/threads/{thread}/messages"),
            mentor.token(),
            json!({"content": format!("m{i}")}),
        )
        .await;
    }
    let (_, page) = app
        .get(
            &format!("/api/v1/threads/{thread}/messages?limit=3"),
            mentee.token(),
        )
        .await;
    let texts: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["m4", "m3", "m2"]);
    let (_, next) = app
        .get(
            &format!(
                "/api/v1/threads/{thread}/messages?limit=3&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            mentee.token(),
        )
        .await;
    assert_eq!(next["items"][0]["content"], "m1");

    // Edit and delete my own only.
    let mid = m["id"].as_str().unwrap();
    assert_problem(
        &app.call(
            Method::PATCH,
            &format!("/api/v1/messages/{mid}"),
            mentor.token(),
            Some(json!({"content": "x"})),
        )
        .await,
        403,
        "forbidden",
    );
    let (_, e) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/messages/{mid}"),
            mentee.token(),
            Some(json!({"content": "Hello, edited"})),
        )
        .await;
    assert_eq!(e["content"], "Hello, edited");
    assert!(e["edited_at"].is_string());
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/messages/{mid}"),
            mentee.token(),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let (_, all) = app
        .get(
            &format!("/api/v1/threads/{thread}/messages?limit=100"),
            mentor.token(),
        )
        .await;
    let gone = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == mid)
        .unwrap();
    assert_eq!(
        (gone["deleted"].as_bool(), gone["content"].is_null()),
        (Some(true), true)
    );

    // Archive: out of the list until a new message brings it back.
    app.call(
        Method::POST,
        &format!("/api/v1/threads/{thread}/archive"),
        mentee.token(),
        None,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/threads", mentee.token()).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get("/api/v1/threads?archived=true", mentee.token())
            .await
            .1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.post(
        &format!("/api/v1/threads/{thread}/messages"),
        mentor.token(),
        json!({"content": "ping"}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/threads", mentee.token()).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn threads_are_private_and_only_between_connected_people() {
    let app = TestApp::spawn().await;
    let (_, mentor, mentee, thread) = pair(&app).await;
    let stranger = app.register("stranger@example.com").await;
    assert_problem(
        &app.get(&format!("/api/v1/threads/{thread}"), stranger.token())
            .await,
        404,
        "not_found",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/threads/{thread}/messages"),
            stranger.token(),
            json!({"content": "hi"}),
        )
        .await,
        404,
        "not_found",
    );
    assert_problem(
        &app.post(
            "/api/v1/threads",
            stranger.token(),
            json!({"participant_ids": [mentor.user_id]}),
        )
        .await,
        403,
        "forbidden",
    );
    // Connected people get their existing thread back.
    let (status, t) = app
        .post(
            "/api/v1/threads",
            mentee.token(),
            json!({"participant_ids": [mentor.user_id]}),
        )
        .await;
    assert_eq!(
        (status, t["id"].as_str()),
        (StatusCode::OK, Some(thread.as_str()))
    );
    for bad in [
        json!({"content": ""}),
        json!({"content": "x".repeat(4001)}),
        json!({"content": "http://x.com/a.png", "kind": "image"}),
        json!({"content": "hi", "kind": "invite"}),
    ] {
        assert_problem(
            &app.post(
                &format!("/api/v1/threads/{thread}/messages"),
                mentee.token(),
                bad,
            )
            .await,
            422,
            "invalid_input",
        );
    }
    let (status, img) = app
        .post(
            &format!("/api/v1/threads/{thread}/messages"),
            mentee.token(),
            json!({"content": "https://example.com/cat.png", "kind": "image"}),
        )
        .await;
    assert_eq!(
        (status, img["kind"].as_str()),
        (StatusCode::CREATED, Some("image"))
    );
    // Groups: mentors start them with people they are connected to.
    let other = app.register("other@example.com").await;
    assert_problem(
        &app.post(
            "/api/v1/threads",
            mentee.token(),
            json!({"participant_ids": [mentor.user_id, other.user_id], "title": "x"}),
        )
        .await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn a_booking_request_is_an_invite_that_follows_the_booking() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (_, b) = app.post("/api/v1/bookings", mentee.token(), json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z", "message": "About my CV"})).await;
    let id = b["id"].as_str().unwrap();
    let (_, threads) = app.get("/api/v1/threads", mentor.token()).await;
    let invite = &threads["items"][0]["last_message"];
    assert_eq!(
        (
            invite["kind"].as_str(),
            invite["metadata"]["status"].as_str()
        ),
        (Some("invite"), Some("pending"))
    );
    assert_eq!(invite["booking_id"], id);
    app.post(
        &format!("/api/v1/bookings/{id}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    let thread = threads["items"][0]["id"].as_str().unwrap();
    let (_, msgs) = app
        .get(
            &format!("/api/v1/threads/{thread}/messages"),
            mentee.token(),
        )
        .await;
    let items = msgs["items"].as_array().unwrap();
    assert_eq!(
        (items[0]["kind"].as_str(), items[0]["content"].as_str()),
        (
            Some("system"),
            Some(format!("Booking accepted: {}", b["title"].as_str().unwrap()) + &topic_part(&b))
                .as_deref()
        )
    );
    let inv = items.iter().find(|m| m["kind"] == "invite").unwrap();
    assert_eq!(inv["metadata"]["status"], "accepted");
    // The line about the mentor's own answer is no news to them, nor is the request
    // they answered: nothing unread for them; the mentee has the answer to read.
    for (who, unread) in [(&mentor, 0), (&mentee, 1)] {
        let (_, threads) = app.get("/api/v1/threads", who.token()).await;
        assert_eq!(threads["items"][0]["unread_count"], unread, "{threads}");
    }
    // Something the mentee wrote before the answer stays unread for the mentor.
    let (_, b2) = app.post("/api/v1/bookings", mentee.token(), json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-04T10:00:00Z"})).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/threads/{thread}/messages"),
            mentee.token(),
            json!({"content": "Also, can we talk about interviews?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.post(
        &format!("/api/v1/bookings/{}/accept", b2["id"].as_str().unwrap()),
        mentor.token(),
        json!({}),
    )
    .await;
    let (_, threads) = app.get("/api/v1/threads", mentor.token()).await;
    assert_eq!(threads["items"][0]["unread_count"], 2, "{threads}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_delivery_read_receipts_and_typing_over_the_socket() {
    let app = TestApp::spawn().await;
    let (_, mentor, mentee, thread) = pair(&app).await;
    let mut a = app.ws(&mentor.access).await;
    let mut b = app.ws(&mentee.access).await;
    let (_, sent) = app
        .post(
            &format!("/api/v1/threads/{thread}/messages"),
            mentor.token(),
            json!({"content": "Live!"}),
        )
        .await;
    let got = b.next_event(|e| e["type"] == "message").await;
    assert_eq!(got["message"]["content"], "Live!");
    assert_eq!(got["message"]["id"], sent["id"]);
    app.call(
        Method::POST,
        &format!("/api/v1/threads/{thread}/read"),
        mentee.token(),
        None,
    )
    .await;
    let receipt = a.next_event(|e| e["type"] == "read").await;
    assert_eq!(
        (receipt["user_id"].as_str(), receipt["message_id"].as_str()),
        (Some(mentee.user_id.as_str()), sent["id"].as_str())
    );
    b.send(json!({"type": "typing", "thread_id": thread})).await;
    let typing = a.next_event(|e| e["type"] == "typing").await;
    assert_eq!(typing["user_id"], mentee.user_id.as_str());
    // Notifications are pushed too.
    app.post(
        "/api/v1/mentorships",
        mentee.token(),
        json!({"mentor_id": "0190b1c4-0000-7000-8000-000000000000", "message": "Hello, I would value your guidance."}),
    )
    .await;
    let other = app.register("third@example.com").await;
    app.post(
        "/api/v1/mentorships",
        other.token(),
        json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
    )
    .await;
    let n = a.next_event(|e| e["type"] == "notification").await;
    assert_eq!(n["kind"], "mentorship_requested");
    assert!(n["unread_count"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn the_socket_refuses_strangers_and_foreign_pages() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = TestApp::spawn().await;
    let s = app.register("ws@example.com").await;
    let url = format!("ws://{}/api/v1/ws", app.addr);
    let err = tokio_tungstenite::connect_async(url.clone())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("401"), "{err}");
    let mut req = url.clone().into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", s.access).parse().unwrap(),
    );
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("403"), "{err}");
    let ok = tokio_tungstenite::connect_async(format!("{url}?access_token={}", s.access)).await;
    assert!(
        ok.is_ok(),
        "a token in the query works for clients without headers"
    );
    // Plain HTTP to the socket's address, or a query that cannot be read, is answered
    // with a problem like every other refusal (it was axum's text/plain).
    let http = format!("http://{}/api/v1/ws", app.addr);
    for (req, status, code) in [
        (
            app.http.get(&http).bearer_auth(&s.access),
            400,
            "bad_request",
        ),
        (
            app.http
                .get(format!("{http}?access_token=a&access_token=b")),
            422,
            "invalid_input",
        ),
    ] {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status);
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{code}"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], code, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_on_one_instance_reaches_a_socket_on_another() {
    let app = TestApp::spawn().await;
    if !app.db.is_postgres() {
        eprintln!("cross-instance delivery needs PostgreSQL (LISTEN/NOTIFY): skipped on SQLite");
        return;
    }
    let (_, mentor, mentee, thread) = pair(&app).await;
    let second = app.second_instance().await;
    let mut b = second.ws(&mentee.access).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // the listener is up
    app.post(
        &format!("/api/v1/threads/{thread}/messages"),
        mentor.token(),
        json!({"content": "Across instances"}),
    )
    .await;
    let got = b.next_event(|e| e["type"] == "message").await;
    assert_eq!(got["message"]["content"], "Across instances");
}

/// Notifications of kind `new_message` the user has.
async fn message_notifications(app: &TestApp, s: &Session) -> usize {
    let (_, n) = app.get("/api/v1/notifications?limit=100", s.token()).await;
    n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "new_message")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_connected_to_another_instance_is_not_notified_of_what_they_saw_live() {
    let app = TestApp::spawn().await;
    if !app.db.is_postgres() {
        eprintln!("several instances need PostgreSQL: skipped on SQLite");
        return;
    }
    let (_, mentor, mentee, thread) = pair(&app).await;
    let say = |text: &'static str| {
        let (app, thread, token) = (&app, thread.clone(), mentor.access.clone());
        async move {
            let (status, _) = app
                .post(
                    &format!("/api/v1/threads/{thread}/messages"),
                    Some(&token),
                    json!({"content": text}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED);
        }
    };
    // Offline: the message becomes a notification (the check can see one).
    say("while away").await;
    assert_eq!(message_notifications(&app, &mentee).await, 1);
    // Connected to the other instance: seen live, not notified.
    let second = app.second_instance().await;
    let mut b = second.ws(&mentee.access).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    say("while here").await;
    let got = b.next_event(|e| e["type"] == "message").await;
    assert_eq!(got["message"]["content"], "while here");
    assert_eq!(
        message_notifications(&app, &mentee).await,
        1,
        "a user on another instance saw it live"
    );
    // Gone again: notified again.
    drop(b);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    say("away again").await;
    assert_eq!(message_notifications(&app, &mentee).await, 2);
}

/// Chat lines sent at once by more people than the server has database connections
/// are all answered promptly. A line asks whether each other participant is online
/// (PostgreSQL: a read of the shared presence table); it once asked that through the
/// pool from inside its write transaction, so with every connection held by a line's
/// transaction each waited for a connection none would give back, until the pool's
/// 10-second timeout. 48 lines (several times the pool) at once must all be written
/// within a few seconds, each the recipient's notification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_chat_lines_at_once_than_database_connections_are_all_answered_promptly() {
    let app = TestApp::spawn().await;
    let (_, mentor, mentee, thread) = pair(&app).await;
    let started = std::time::Instant::now();
    let sends = (0..48).map(|i| {
        let (app, thread, token) = (&app, thread.clone(), mentor.access.clone());
        async move {
            let (status, body) = app
                .post(
                    &format!("/api/v1/threads/{thread}/messages"),
                    Some(&token),
                    json!({"content": format!("line {i}")}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            started.elapsed()
        }
    });
    let slowest = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .max()
        .unwrap();
    assert!(
        slowest < std::time::Duration::from_secs(5),
        "the slowest of 48 chat lines took {slowest:?}"
    );
    assert_eq!(message_notifications(&app, &mentee).await, 48);
}

/// " (topic)" when a booking has one: how a booking's line in the chat names it.
fn topic_part(b: &Value) -> String {
    match b["topic"].as_str().unwrap_or("") {
        "" => String::new(),
        t => format!(" ({t})"),
    }
}

/// On the conversation page a person edits and deletes their own messages (deleting
/// asks first), never another's, and archives a conversation out of their inbox
/// until someone writes in it.
#[tokio::test]
async fn the_pages_edit_and_delete_my_messages_and_archive_a_conversation() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let (_admin, mentor, mentee, thread) = pair(&app).await;
    let path = format!("/api/v1/threads/{thread}/messages");
    let (_, mine) = app
        .post(&path, mentee.token(), json!({"content": "Se you tomorrow"}))
        .await;
    let mine = mine["id"].as_str().unwrap().to_string();
    let (_, theirs) = app
        .post(&path, mentor.token(), json!({"content": "Sure"}))
        .await;
    let theirs = theirs["id"].as_str().unwrap().to_string();
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let page = format!("/chat/{thread}");
    let (_, html) = text(&c, &app, &page).await;
    let edit_of = |id: &str| format!("action=\"/chat/{thread}/messages/{id}/edit\"");
    assert!(html.contains(&edit_of(&mine)), "{html}");
    assert!(!html.contains(&edit_of(&theirs)), "not another's: {html}");
    let post = |to: String, form: Vec<(&'static str, String)>| {
        let c = &c;
        let url = app.url(&to);
        async move {
            let res = c.post(url).form(&form).send().await.unwrap();
            let status = res.status();
            let location = res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string())
                .unwrap_or_default();
            (status, location, res.text().await.unwrap())
        }
    };
    let csrf = csrf_of(&html);
    // Edited: the fixed words, marked as edited.
    let (status, to, _) = post(
        format!("/chat/{thread}/messages/{mine}/edit"),
        vec![
            ("csrf", csrf.clone()),
            ("content", "See you tomorrow".into()),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("/chat/{thread}#m-{mine}").as_str()
        )
    );
    let (_, html) = text(&c, &app, &page).await;
    assert!(
        html.contains("See you tomorrow") && !html.contains("Se you"),
        "{html}"
    );
    assert!(html.contains(" · edited</span>"), "{html}");
    // An empty edit changes nothing and says why; another's message cannot be edited.
    let (_, _, html) = post(
        format!("/chat/{thread}/messages/{mine}/edit"),
        vec![("csrf", csrf.clone()), ("content", "  ".into())],
    )
    .await;
    assert!(
        html.contains("Your message was not changed.") && html.contains("See you tomorrow"),
        "{html}"
    );
    // Said in the message's own menu, open, beside the box it was typed in.
    let menu = html
        .split("<details class=\"msg-menu\" open>")
        .nth(1)
        .unwrap_or_else(|| panic!("the menu is open: {html}"));
    let said = menu.find("Your message was not changed.").expect(menu);
    assert!(said < menu.find("</details>").expect(menu), "{menu}");
    let (status, _, _) = post(
        format!("/chat/{thread}/messages/{theirs}/edit"),
        vec![("csrf", csrf.clone()), ("content", "Hacked".into())],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, msgs) = app.get(&path, mentor.token()).await;
    assert!(!msgs.to_string().contains("Hacked"), "{msgs}");
    // Deleting asks first, then leaves "(deleted)" in its place.
    let delete = format!("/chat/{thread}/messages/{mine}/delete");
    let (status, _, html) = post(delete.clone(), vec![("csrf", csrf.clone())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Delete this message?"), "{html}");
    let (_, msgs) = app.get(&path, mentor.token()).await;
    assert!(
        msgs.to_string().contains("See you tomorrow"),
        "not yet: {msgs}"
    );
    let (status, _, _) = post(
        delete,
        vec![("csrf", csrf.clone()), ("confirmed", "1".into())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, &page).await;
    assert!(
        html.contains("(deleted)") && !html.contains("See you tomorrow"),
        "{html}"
    );
    assert!(
        !html.contains(&edit_of(&mine)),
        "nothing left to edit: {html}"
    );
    // Archived: out of the inbox, in the archive, back when the mentor writes.
    let (status, to, _) = post(
        format!("/chat/{thread}/archive"),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/chat"));
    let (_, inbox) = text(&c, &app, "/chat").await;
    assert!(
        !inbox.contains(&format!("href=\"/chat/{thread}\""))
            && inbox.contains("Archived conversations (1)"),
        "{inbox}"
    );
    let (_, archive) = text(&c, &app, "/chat?archived=1").await;
    assert!(
        archive.contains(&format!("href=\"/chat/{thread}\"")),
        "{archive}"
    );
    app.post(&path, mentor.token(), json!({"content": "One more thing"}))
        .await;
    let (_, inbox) = text(&c, &app, "/chat").await;
    assert!(
        inbox.contains(&format!("href=\"/chat/{thread}\"")),
        "{inbox}"
    );
}

/// A message its writer edits or deletes is not read as it was in the recipient's
/// notification of it: the notification follows the edit, and says "(deleted)" once
/// the message is gone; another message's notification is left as it is.
#[tokio::test]
async fn a_notification_follows_its_message_edited_then_deleted() {
    let app = TestApp::spawn().await;
    let (_, mentor, mentee, thread) = pair(&app).await;
    let mut ids = vec![];
    for text in ["secret to be deleted 12345", "kept as it is"] {
        let (status, m) = app
            .post(
                &format!("/api/v1/threads/{thread}/messages"),
                mentee.token(),
                json!({"content": text}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{m}");
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    let bodies = || async {
        let mut b: Vec<String> = app
            .notifications(&mentor)
            .await
            .iter()
            .filter(|i| i["kind"] == "new_message")
            .map(|i| i["body"].as_str().unwrap().to_string())
            .collect();
        b.sort();
        b
    };
    assert_eq!(
        bodies().await,
        ["kept as it is", "secret to be deleted 12345"]
    );
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/messages/{}", ids[0]),
            mentee.token(),
            Some(json!({"content": "secret, edited"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bodies().await, ["kept as it is", "secret, edited"]);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{}", ids[0]),
            mentee.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(bodies().await, ["(deleted)", "kept as it is"]);
}

/// Once the other person closed their account, nobody reads the conversation: sending
/// is refused with the reason (409, nothing stored), and the page says so where its
/// composer was; before, the same message goes through.
#[tokio::test]
async fn nobody_is_written_to_after_they_closed_their_account() {
    let app = TestApp::spawn().await;
    let (_, mentor, mentee, thread) = pair(&app).await;
    let path = format!("/api/v1/threads/{thread}/messages");
    let (status, _) = app
        .post(
            &path,
            Some(mentee.token().unwrap()),
            json!({"content": "Still there?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let c = crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/chat/{thread}")).await;
    assert!(
        page.contains("id=\"composer\"") && !page.contains("closed-note"),
        "{page}"
    );

    let mentor_web =
        crate::web_mentors::sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (status, _) = app
        .call(Method::DELETE, "/api/v1/me", mentee.token(), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = crate::web_mentors::text(&mentor_web, &app, &format!("/chat/{thread}")).await;
    assert!(
        page.contains("id=\"closed-note\"") && !page.contains("id=\"composer\""),
        "{page}"
    );
    let (_, before) = app
        .get(
            &format!("/api/v1/threads/{thread}/messages"),
            mentor.token(),
        )
        .await;
    let count = before["items"].as_array().unwrap().len();
    let refused = app
        .post(
            &path,
            mentor.token(),
            json!({"content": "Are you still there?"}),
        )
        .await;
    assert_problem(&refused, 409, "recipient_closed");
    assert!(
        refused.1["detail"]
            .as_str()
            .unwrap()
            .contains("closed their account"),
        "{}",
        refused.1
    );
    let (_, after) = app
        .get(
            &format!("/api/v1/threads/{thread}/messages"),
            mentor.token(),
        )
        .await;
    assert_eq!(
        after["items"].as_array().unwrap().len(),
        count,
        "nothing stored"
    );
}

/// A conversation longer than a page shows its latest messages with a link to the
/// earlier ones, whose page links back to the latest; a `before` that is not a
/// message's id is "not found".
#[tokio::test]
async fn a_long_conversation_pages_back_to_its_earlier_messages() {
    let app = TestApp::spawn().await;
    let (_, _mentor, mentee, thread) = pair(&app).await;
    let path = format!("/api/v1/threads/{thread}/messages");
    for i in 0..104 {
        let (status, body) = app
            .post(
                &path,
                mentee.token(),
                json!({"content": format!("Line {i:03}")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let c = crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (status, page) = crate::web_mentors::text(&c, &app, &format!("/chat/{thread}")).await;
    assert_eq!(status, StatusCode::OK);
    // 105 messages (the system line of the acceptance, then 104): the latest 100.
    assert_eq!(page.matches("<li class=\"message").count(), 100, "{page}");
    assert!(
        page.contains("Line 103") && page.contains("Line 004"),
        "{page}"
    );
    assert!(
        !page.contains("Line 003") && !page.contains("latest-link"),
        "{page}"
    );
    let (_, all) = app.get(&format!("{path}?limit=100"), mentee.token()).await;
    let oldest_shown = all["items"][99]["id"].as_str().unwrap().to_string();
    let link = format!("/chat/{thread}?before={oldest_shown}");
    assert!(
        page.contains(&format!("href=\"{link}\" id=\"earlier-link\"")),
        "{page}"
    );

    let (status, earlier) = crate::web_mentors::text(&c, &app, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        earlier.matches("<li class=\"message").count(),
        5,
        "{earlier}"
    );
    assert!(
        earlier.contains("Line 000") && earlier.contains("Line 003"),
        "{earlier}"
    );
    assert!(
        !earlier.contains("Line 004") && !earlier.contains("earlier-link"),
        "{earlier}"
    );
    assert!(earlier.contains("id=\"latest-link\"") && earlier.contains("data-earlier=\"1\""));

    let (status, _) =
        crate::web_mentors::text(&c, &app, &format!("/chat/{thread}?before=not-an-id")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
