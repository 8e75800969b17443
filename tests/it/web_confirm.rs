//! No one-click accidents: cancelling or declining a booking, ending or declining a
//! mentorship, removing a service and suspending a user ask first and say what will
//! happen (a page of its own without JavaScript), and the answer repeats it.

use reqwest::{Client, StatusCode, header};
use serde_json::json;

use crate::{
    support::TestApp,
    web_mentors::{csrf_of, sign_in, text},
};

const PASSWORD: &str = "correct horse battery";

async fn post(c: &Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

/// The flash the next page shows.
pub(crate) async fn flash_after(c: &Client, app: &TestApp, res: reqwest::Response) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let (_, html) = text(c, app, &to).await;
    let i = html.find("class=\"flash ").expect("a flash");
    let start = i + html[i..].find('>').unwrap() + 1;
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

#[tokio::test]
async fn cancelling_a_booking_late_asks_first_and_says_what_comes_back() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    // Today at 15:00: within the 24 hours that refund everything.
    let (s, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-02T15:00:00Z",
                "topic": "Salary", "message": "Hello"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let held = b["credits_held"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/bookings/{id}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    let c = sign_in(&app, "mentee@example.com", PASSWORD).await;
    let (_, page) = text(&c, &app, &format!("/bookings/{id}")).await;
    let half = held / 2;
    let words = format!(
        "You get {half} of {held} credits back; {} go to",
        held - half
    );
    assert!(page.contains(&words), "the page says it before: {page}");
    // Times on the reader's clock: 24-hour here (learned from a browser that did not
    // say otherwise at sign-in), 12-hour once they choose it.
    assert!(
        page.contains("<strong>Mon 2 Mar 2026, 15:00 – 16:00</strong>"),
        "{page}"
    );
    let (status, _) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/me",
            mentee.token(),
            Some(json!({"clock": "12h"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, us) = crate::web_picker::page(&c, &app, &format!("/bookings/{id}"), "en-GB").await;
    assert!(
        us.contains("<strong>Mon 2 Mar 2026, 3:00 PM – 4:00 PM</strong>"),
        "{us}"
    );
    // Live: the meeting, the calendar file, and the credits held.
    assert!(
        page.contains(">Join the meeting</a>") && page.contains(">Add to my calendar (.ics)</a>")
    );
    assert!(
        page.contains(&format!("<dd>{held} held until the session is over</dd>")),
        "{page}"
    );
    assert!(
        page.contains("data-confirm=\"Cancel this booking? You get"),
        "and asks"
    );
    assert!(
        page.contains(&format!(
            "id=\"cancel-consequence\">If you cancel now, you get {half} of {held}"
        )),
        "{page}"
    );
    assert!(
        !page.contains("id=\"book-again\""),
        "a live booking: {page}"
    );
    let csrf = csrf_of(&page);

    // Posted without a confirmation (no JavaScript): a page that asks, nothing done.
    let res = post(
        &c,
        &app,
        &format!("/bookings/{id}/do/cancel"),
        &[("csrf", &csrf), ("reason", "Sick")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ask = res.text().await.unwrap();
    assert!(ask.contains("<h1 id=\"confirm-title\">Cancel “"), "{ask}");
    assert!(ask.contains(&words));
    assert!(ask.contains("name=\"confirmed\" value=\"1\"") && ask.contains(">Sick</textarea>"));
    assert!(ask.contains("No, keep it"));
    let (_, still) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    assert_eq!(still["status"], "accepted");
    let before = app.balance(&mentee).await.0;

    let res = post(
        &c,
        &app,
        &format!("/bookings/{id}/do/cancel"),
        &[("csrf", &csrf), ("reason", "Sick"), ("confirmed", "1")],
    )
    .await;
    let said = flash_after(&c, &app, res).await;
    assert_eq!(
        said,
        format!("Booking cancelled: {half} of {held} credits are back in your wallet.")
    );
    assert_eq!(app.balance(&mentee).await.0, before + half);
    app.assert_ledger_ok().await;
    // Cancelled: nothing to join or add to a calendar, and where the credits went.
    let (_, done) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    let paid = done["credits_paid"].as_i64().unwrap();
    let (_, page) = text(&c, &app, &format!("/bookings/{id}")).await;
    assert!(
        !page.contains("Join the meeting") && !page.contains("Add to my calendar"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<dd>{paid} paid to the mentor, {half} refunded</dd>"
        )),
        "{page}"
    );
    // And the way on: another time with the same mentor.
    assert!(
        page.contains(&format!(
            "<p id=\"book-again\"><a class=\"btn\" href=\"/mentors/{}#book\">Book another time with ",
            mentor.user_id
        )),
        "{page}"
    );
}

#[tokio::test]
async fn declining_ending_and_removing_ask_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-04T10:00:00Z",
                "topic": "CV", "message": "Hello"}),
        )
        .await;
    let id = b["id"].as_str().unwrap().to_string();
    let held = b["credits_held"].as_i64().unwrap();
    let c = sign_in(&app, "mentor@example.com", PASSWORD).await;
    let (_, page) = text(&c, &app, &format!("/bookings/{id}")).await;
    let csrf = csrf_of(&page);
    let path = format!("/bookings/{id}/do/decline");
    let ask = post(&c, &app, &path, &[("csrf", &csrf)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ask.contains(&format!("gets all {held} credits back.")),
        "{ask}"
    );
    let (_, still) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    assert_eq!(still["status"], "pending");
    let res = post(&c, &app, &path, &[("csrf", &csrf), ("confirmed", "1")]).await;
    assert_eq!(
        flash_after(&c, &app, res).await,
        format!("Booking declined: the {held} credits went back to the mentee.")
    );

    // Ending a mentorship.
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Let us work together."}),
        )
        .await;
    let mid = m["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/mentorships/{mid}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    let (_, hub) = text(&c, &app, "/mentorship?tab=mentees").await;
    assert!(
        hub.contains("data-confirm=\"End your mentorship with"),
        "{hub}"
    );
    let path = format!("/mentorship/{mid}/end");
    let ask = post(&c, &app, &path, &[("csrf", &csrf), ("back", "mentees")])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ask.contains("End your mentorship with Test mentee?"),
        "{ask}"
    );
    assert!(ask.contains("Sessions already booked are not cancelled"));
    let (_, live) = app
        .get(&format!("/api/v1/mentorships/{mid}"), mentee.token())
        .await;
    assert_eq!(live["status"], "accepted");
    let res = post(
        &c,
        &app,
        &path,
        &[("csrf", &csrf), ("back", "mentees"), ("confirmed", "1")],
    )
    .await;
    assert!(
        flash_after(&c, &app, res)
            .await
            .starts_with("Mentorship ended.")
    );
    let (_, ended) = app
        .get(&format!("/api/v1/mentorships/{mid}"), mentee.token())
        .await;
    assert_eq!(ended["status"], "ended");

    // Removing a service.
    let path = format!("/settings/services/{service}/delete");
    let ask = post(&c, &app, &path, &[("csrf", &csrf)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ask.contains("Remove “") && ask.contains("Mentees can no longer book it"),
        "{ask}"
    );
    assert_eq!(
        app.first_service(&mentor.user_id).await,
        service,
        "still offered"
    );
    let res = post(&c, &app, &path, &[("csrf", &csrf), ("confirmed", "1")]).await;
    assert!(
        flash_after(&c, &app, res)
            .await
            .starts_with("Service removed")
    );
    let (_, left) = app
        .get(
            &format!("/api/v1/mentors/{}/services", mentor.user_id),
            None,
        )
        .await;
    assert_eq!(left["items"].as_array().unwrap().len(), 0, "{left}");
}

#[tokio::test]
async fn a_suspension_needs_a_reason_and_a_confirmation() {
    let app = TestApp::spawn().await;
    app.admin().await;
    let user = app.register("troll@example.com").await;
    let c = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, users) = text(&c, &app, "/admin?q=troll").await;
    // A row's action comes back to the console as it was searched.
    let here = "/admin?q=troll&#38;role=&#38;status=";
    assert!(
        users.contains(&format!("name=\"back\" value=\"{here}\"")),
        "{users}"
    );
    assert!(
        !users.contains("btn btn-danger btn-small\" type=\"submit\">Suspend"),
        "no red button on every row"
    );
    let csrf = csrf_of(&users);
    let path = format!("/admin/users/{}/suspend", user.user_id);
    let ask = post(&c, &app, &path, &[("csrf", &csrf)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ask.contains("Suspend Test troll (troll@example.com)?"),
        "{ask}"
    );
    assert!(ask.contains("signed out everywhere"));
    // Confirmed without a reason: the same page, the error named, nothing done.
    let res = post(
        &c,
        &app,
        &path,
        &[("csrf", &csrf), ("confirmed", "1"), ("reason", " ")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(again.contains("Reason: This field is required."), "{again}");
    assert!(again.contains("aria-invalid=\"true\""));
    assert_eq!(app.get("/api/v1/me", user.token()).await.0, StatusCode::OK);
    let res = post(
        &c,
        &app,
        &path,
        &[
            ("csrf", &csrf),
            ("confirmed", "1"),
            ("reason", "Spam in chat"),
            ("back", "/admin?q=troll&role=&status="),
        ],
    )
    .await;
    assert_eq!(
        res.headers()[header::LOCATION],
        "/admin?q=troll&role=&status="
    );
    assert!(flash_after(&c, &app, res).await.contains("suspended"));
    assert_eq!(
        app.get("/api/v1/me", user.token()).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_review_says_when_it_is_due_and_accepting_it_says_what_comes_next() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, _) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let (_, svc) = app
        .post("/api/v1/me/services", mentor.token(), json!({"kind": "resume_review", "title": "CV review", "duration_minutes": 45, "credit_cost": 25}))
        .await;
    let svc = svc["id"].as_str().unwrap();
    // The checkout: due 72 hours (the default) after the request, in the mentee's zone.
    let c = sign_in(&app, "mentee@example.com", PASSWORD).await;
    let (s, checkout) = text(
        &c,
        &app,
        &format!("/mentors/{}/book?service={svc}", mentor.user_id),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{checkout}");
    assert!(
        checkout.contains("<dt>Delivery</dt><dd>by Thu 5 Mar")
            && checkout.contains("3 days after your request</dd>"),
        "{checkout}"
    );
    // A review has no length to sit through and no time to pick.
    assert!(checkout.contains("<dd>CV review</dd>"), "{checkout}");
    assert!(!checkout.contains("Pick another time"), "{checkout}");
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": svc,
                   "message": "My CV: https://example.com/cv.pdf. Thanks!"}),
        )
        .await;
    assert_eq!(b["end"], "2026-03-05T09:00:00Z", "{b}");
    let id = b["id"].as_str().unwrap();
    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{id}/deliver"),
            mentee.token(),
            json!({"text": "mine"}),
        )
        .await;
    assert_eq!(
        (status, b["detail"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("Only the mentor delivers a review.")
        ),
        "{b}"
    );
    // Its calendar file shows the deadline, keeping nobody busy until then.
    let ics = app
        .http
        .get(app.url(&format!("/api/v1/bookings/{id}/ics")))
        .bearer_auth(mentee.token().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ics.contains("DTSTART:20260305T090000Z")
            && ics.contains("DTEND:20260305T090000Z")
            && ics.contains("SUMMARY:Due: CV review with ")
            && ics.contains("TRANSP:TRANSPARENT"),
        "{ics}"
    );
    let m = sign_in(&app, "mentor@example.com", PASSWORD).await;
    let (_, page) = text(&m, &app, &format!("/bookings/{id}")).await;
    // The CV shared as a link opens from the booking; the notes speak of a review.
    assert!(
        page.contains("My CV: <a href=\"https://example.com/cv.pdf\"")
            && page.contains(">https://example.com/cv.pdf</a>. Thanks!"),
        "{page}"
    );
    assert!(page.contains("My notes before the review"), "{page}");
    let res = post(
        &m,
        &app,
        &format!("/bookings/{id}/do/accept"),
        &[("csrf", &csrf_of(&page))],
    )
    .await;
    assert_eq!(
        flash_after(&m, &app, res).await,
        "Review accepted: deliver it below by its due date."
    );
    // A link that is not https: the booking page again, saying why, the review kept.
    let (_, page) = text(&m, &app, &format!("/bookings/{id}")).await;
    let written = "Strong summary; move the projects above the education.";
    let res = post(
        &m,
        &app,
        &format!("/bookings/{id}/deliver"),
        &[
            ("csrf", &csrf_of(&page)),
            ("text", written),
            ("url", "http://example.com/cv-notes"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(again.contains("id=\"error-summary\""), "{again}");
    assert!(again.contains("https"), "the reason: {again}");
    assert!(
        again.contains(&format!(">{written}</textarea>"))
            && again.contains("value=\"http://example.com/cv-notes\""),
        "what was typed is kept: {again}"
    );
    let res = post(
        &m,
        &app,
        &format!("/bookings/{id}/deliver"),
        &[
            ("csrf", &csrf_of(&again)),
            ("text", written),
            ("url", "https://example.com/cv-notes"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Disputed, it reads as a review on both sides: its history, not a session's;
    // delivered, not "held"; when it was delivered, not a session time.
    let (_, page) = text(&c, &app, &format!("/bookings/{id}")).await;
    assert!(page.contains("the review's history"), "{page}");
    let (s, d) = app
        .post(
            &format!("/api/v1/bookings/{id}/dispute"),
            mentee.token(),
            json!({"reason": "The notes were about someone else's CV."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (_, page) = text(&c, &app, &format!("/bookings/{id}")).await;
    assert!(
        page.contains("You disputed how this review ended"),
        "{page}"
    );
    let a = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, queue) = text(&a, &app, "/admin/disputes").await;
    assert!(
        queue.contains("CV review, delivered ")
            && queue.contains("Delivered by Test mentor: counted as done"),
        "{queue}"
    );
    assert!(!queue.contains("counted as held"), "{queue}");
    // The wallet's lines name the review without a time it never had.
    let (_, wallet) = text(&c, &app, "/credits").await;
    assert!(wallet.contains("CV review with Test mentor<"), "{wallet}");
}

#[tokio::test]
async fn moving_a_booking_needs_a_time_chosen() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let (s, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-04T10:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap();
    let c = sign_in(&app, "mentee@example.com", PASSWORD).await;
    // The wallet's line of the hold says where the credits are now.
    let (_, wallet) = text(&c, &app, "/credits").await;
    assert!(
        wallet.contains("<span class=\"muted small\">(held: waiting for an answer)</span>"),
        "{wallet}"
    );
    let (_, page) = text(&c, &app, &format!("/bookings/{id}")).await;
    // Start and end with the date said once, for both people.
    assert!(
        page.contains("<strong>Wed 4 Mar 2026, 10:00 – 11:00</strong>"),
        "{page}"
    );
    assert!(!page.contains("– Wed 4 Mar"), "{page}");
    // Nothing chosen up front, and the move asks first with JavaScript.
    assert!(
        page.contains(
            "<select id=\"new-start\" name=\"start\" required aria-describedby=\"move-soon\"><option value=\"\">Choose a new time</option>"
        ),
        "{page}"
    );
    // The times within the cancellation notice (the clock reads Mon 2 Mar, 09:00) are
    // set apart and said to be final: once there, the mentee cannot move the session
    // again and its late-cancellation terms apply.
    assert!(
        page.contains("<optgroup label=\"Within 24 hours: final, cancelling returns 50%\">")
            && page.contains("<p class=\"hint\" id=\"move-soon\">A time within the next 24 hours is final: once the session is moved there, you cannot move it again, and cancelling it returns 50% of its credits.</p>"),
        "{page}"
    );
    // The mentor's list has no such group (the terms are the mentee's), and says the
    // mentee's time beside each start once they read another zone, their night named.
    let (status, v) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/me",
            mentee.token(),
            Some(json!({"timezone": "Asia/Tokyo"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let m = sign_in(&app, "mentor@example.com", PASSWORD).await;
    let (_, theirs) = text(&m, &app, &format!("/bookings/{id}")).await;
    assert!(!theirs.contains("<optgroup"), "{theirs}");
    assert!(
        theirs.contains(">Mon 2 Mar 2026, 09:00 — 18:00 for Test</option>")
            && theirs
                .contains(">Mon 2 Mar 2026, 16:00 — Tue 3 Mar 01:00 for Test, at night</option>"),
        "{theirs}"
    );
    let (before, after_group) = page.split_once("<optgroup label=\"Later\">").unwrap();
    assert!(
        before.contains("<option value=\"2026-03-02T16:00:00Z\">")
            && !before.contains("<option value=\"2026-03-03T09:00:00Z\">")
            && after_group.contains("<option value=\"2026-03-03T09:00:00Z\">"),
        "{page}"
    );
    assert!(page.contains("data-confirm=\"Move this booking"), "{page}");
    // The list is a screenful: "Later times" goes on from its last start, as far as
    // the mentor takes bookings, and "Earliest times" comes back.
    let values = |html: &str| -> Vec<String> {
        html.split("<option value=\"")
            .skip(2)
            .map(|o| o[..o.find('"').unwrap()].to_string())
            .collect()
    };
    let first = values(&page);
    assert_eq!(first.len(), 60, "{page}");
    let last = first.last().unwrap();
    let later = format!("/bookings/{id}?move_after={last}#new-start");
    assert!(
        page.contains(&format!("<a href=\"{later}\">Later times</a>")),
        "{page}"
    );
    assert!(!page.contains("Earliest times"), "{page}");
    let (_, next) = text(&c, &app, &later.replace("#new-start", "")).await;
    let second = values(&next);
    assert!(!second.is_empty(), "{next}");
    assert!(
        second.iter().all(|v| v.as_str() > last.as_str()),
        "{last} then {second:?}"
    );
    assert!(next.contains("Earliest times</a>"), "{next}");
    // Far past the mentor's horizon: nothing to list, the way back still there.
    let (_, far) = text(
        &c,
        &app,
        &format!("/bookings/{id}?move_after=2027-01-01T00:00:00Z"),
    )
    .await;
    assert!(values(&far).is_empty(), "{far}");
    assert!(
        far.contains("No free time in these two weeks.") && far.contains("Earliest times</a>"),
        "{far}"
    );
    assert!(!far.contains("Later times"), "{far}");
    let res = post(
        &c,
        &app,
        &format!("/bookings/{id}/reschedule"),
        &[("csrf", &csrf_of(&page)), ("start", "")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(again.contains("id=\"error-summary\""), "{again}");
    // Said in words (it explained how to write an RFC 3339 time).
    assert!(again.contains("Pick the new time first."), "{again}");
    assert!(!again.contains("RFC 3339"), "{again}");
    let (_, after) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    assert_eq!(after["start"], "2026-03-04T10:00:00Z", "not moved: {after}");
    // Reopening the address the refused form came back on (or any form's) leads back
    // to the booking rather than to a JSON 405; the API keeps its 405.
    for path in [
        format!("/bookings/{id}/reschedule"),
        format!("/bookings/{id}/do/cancel"),
    ] {
        let res = c
            .get(app.url(&path))
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{path}: {}", res.status());
        assert_eq!(
            res.headers()[header::LOCATION],
            format!("/bookings/{id}").as_str()
        );
    }
    // A form's address one level down leads to its page.
    for (path, page) in [
        ("/settings/password", "/settings"),
        ("/credits/ask", "/credits"),
    ] {
        let res = c
            .get(app.url(path))
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{path}: {}", res.status());
        assert_eq!(res.headers()[header::LOCATION], page, "{path}");
    }
    let (status, body) = app
        .get(&format!("/api/v1/bookings/{id}/accept"), mentee.token())
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}

/// Marking a session done or reporting a no-show moves credits at once: the page asks
/// first, saying what happens to them, and offers the no-show only once the other
/// person is 10 minutes late (before, it says from when).
#[tokio::test]
async fn finishing_a_session_asks_first_and_a_no_show_waits_ten_minutes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let (s, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-02T15:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/bookings/{id}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    let as_mentor = sign_in(&app, "mentor@example.com", PASSWORD).await;
    let as_mentee = sign_in(&app, "mentee@example.com", PASSWORD).await;
    let no_show = format!("action=\"/bookings/{id}/do/no-show\"");
    app.clock.set("2026-03-02T15:05:00Z".parse().unwrap());
    let (_, page) = text(&as_mentor, &app, &format!("/bookings/{id}")).await;
    // Done only from halfway through (the mentee may still be in it), said so.
    assert!(
        !page.contains("/do/complete")
            && page.contains("You can mark it done from Mon 2 Mar 2026, 15:30, halfway through"),
        "{page}"
    );
    assert!(!page.contains(&no_show), "no no-show 5 minutes in: {page}");
    assert!(
        page.contains(
            "If the mentee has not come by Mon 2 Mar 2026, 15:10, you can report it here."
        ),
        "{page}"
    );
    app.clock.set("2026-03-02T15:10:00Z".parse().unwrap());
    let (_, page) = text(&as_mentor, &app, &format!("/bookings/{id}")).await;
    assert!(page.contains(&no_show), "{page}");
    crate::support::assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/complete"),
            mentor.token(),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );
    assert!(
        page.contains("data-confirm=\"Report that Test did not come? You are paid"),
        "{page}"
    );
    let (_, page) = text(&as_mentee, &app, &format!("/bookings/{id}")).await;
    assert!(
        page.contains(
            "Your 30 credits come back to you. It counts as a missed session on their profile."
        ),
        "{page}"
    );
    app.clock.set("2026-03-02T15:30:00Z".parse().unwrap());
    let (_, page) = text(&as_mentor, &app, &format!("/bookings/{id}")).await;
    assert!(
        page.contains("data-confirm=\"Mark this session as done? ")
            && page.contains("credits are paid to you now."),
        "done asks first: {page}"
    );
    // Done halfway through: the mentee keeps the meeting link until its end.
    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{id}/complete"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, page) = text(&as_mentee, &app, &format!("/bookings/{id}")).await;
    assert!(page.contains("Join the meeting"), "{page}");
    // And half an hour past it (a call that runs over), not later.
    app.clock.set("2026-03-02T16:29:00Z".parse().unwrap());
    let (_, page) = text(&as_mentee, &app, &format!("/bookings/{id}")).await;
    assert!(page.contains("Join the meeting"), "{page}");
    app.clock.set("2026-03-02T16:30:00Z".parse().unwrap());
    let (_, page) = text(&as_mentee, &app, &format!("/bookings/{id}")).await;
    assert!(!page.contains("Join the meeting"), "{page}");
    // Nor on an accepted session long over that nobody marked done yet.
    let (s, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let later = b["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/bookings/{later}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    app.clock.set("2026-03-03T11:20:00Z".parse().unwrap());
    let (_, page) = text(&as_mentee, &app, &format!("/bookings/{later}")).await;
    assert!(page.contains("Join the meeting"), "{page}");
    app.clock.set("2026-03-03T11:45:00Z".parse().unwrap());
    let (_, page) = text(&as_mentor, &app, &format!("/bookings/{later}")).await;
    assert!(
        !page.contains("Join the meeting") && page.contains("accepted"),
        "{page}"
    );
}

/// A free session speaks of no credits: the checkout says "Free" and that it can be
/// cancelled at any time, requesting it and having it declined say nothing of credits
/// held or given back.
#[tokio::test]
async fn a_free_session_speaks_of_no_credits() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, _) = app.booking_setup(&admin, "UTC", 0, 0).await;
    let (s, svc) = app
        .post("/api/v1/me/services", mentor.token(), json!({"kind": "session", "title": "Free chat", "duration_minutes": 30, "credit_cost": 0}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{svc}");
    let svc = svc["id"].as_str().unwrap();
    let c = sign_in(&app, "mentee@example.com", PASSWORD).await;
    let path = format!(
        "/mentors/{}/book?service={svc}&start=2026-03-03T10:00:00Z",
        mentor.user_id
    );
    let (s, checkout) = text(&c, &app, &path).await;
    assert_eq!(s, StatusCode::OK, "{checkout}");
    assert!(
        checkout.contains("<dt>Cost</dt><dd><strong>Free</strong></dd>"),
        "{checkout}"
    );
    assert!(checkout.contains("Free: cancel at any time."), "{checkout}");
    assert!(!checkout.contains("held until"), "{checkout}");
    // A repeat the form does not offer books nothing (not one session instead).
    let res = post(
        &c,
        &app,
        &format!("/mentors/{}/book", mentor.user_id),
        &[
            ("csrf", &csrf_of(&checkout)),
            ("service", svc),
            ("start", "2026-03-03T10:00:00Z"),
            ("repeat", "3"),
            ("occurrences", "2"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, none) = app.get("/api/v1/bookings", mentee.token()).await;
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0), "{none}");
    let res = post(
        &c,
        &app,
        &format!("/mentors/{}/book", mentor.user_id),
        &[
            ("csrf", &csrf_of(&checkout)),
            ("service", svc),
            ("start", "2026-03-03T10:00:00Z"),
            ("topic", "Hello"),
            ("message", "Hi!\nMy notes: https://example.com/notes"),
        ],
    )
    .await;
    let to = res.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        flash_after(&c, &app, res).await,
        "Booking requested: the mentor is asked to accept it."
    );
    // The checkout opened again (the browser's Back) points to the booking made, not
    // to a time "not free".
    let (_, again) = text(&c, &app, &path).await;
    assert!(
        again.contains(&format!(
            "You have already asked Test mentor for this time: <a href=\"{to}\">see your booking</a>."
        )),
        "{again}"
    );
    assert!(
        !again.contains("no longer free") && !again.contains("This time is not one of"),
        "{again}"
    );
    assert!(!again.contains(">Request booking</button>"), "{again}");
    // In the pair's chat the request names the session and when it is, and its
    // message keeps its lines and its link.
    let (_, threads) = app.get("/api/v1/threads", mentee.token()).await;
    let thread = threads["items"][0]["id"].as_str().unwrap();
    let (_, chat) = text(&c, &app, &format!("/chat/{thread}")).await;
    let line = chat
        .split("<li class=\"message")
        .find(|l| l.contains("class=\"invite\""))
        .expect("the request is in the chat");
    assert!(
        line.contains(&format!(
            "Booking request: <a href=\"{to}\">Free chat, Tue 3 Mar 2026, 10:00</a> · pending"
        )),
        "{line}"
    );
    assert!(
        line.contains("<span class=\"text\">Hi!\nMy notes: <a href=\"https://example.com/notes\""),
        "{line}"
    );
    let m = sign_in(&app, "mentor@example.com", PASSWORD).await;
    let (_, page) = text(&m, &app, &to).await;
    let res = post(
        &m,
        &app,
        &format!("{to}/do/decline"),
        &[("csrf", &csrf_of(&page)), ("confirmed", "1")],
    )
    .await;
    assert_eq!(flash_after(&m, &app, res).await, "Booking declined.");
}

/// A mentor sees what is held for them until their coming sessions are done: the
/// credits of accepted sessions, and apart those of requests still waiting for their
/// answer (API and credits page); a mentee who mentors nobody sees no such box.
#[tokio::test]
async fn a_mentor_sees_what_is_held_for_their_coming_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let mut ids = vec![];
    for start in ["2026-03-03T10:00:00Z", "2026-03-04T10:00:00Z"] {
        let (s, b) = app
            .post(
                "/api/v1/bookings",
                mentee.token(),
                json!({"mentor_id": mentor.user_id, "service_id": service, "start": start}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    app.post(
        &format!("/api/v1/bookings/{}/accept", ids[0]),
        mentor.token(),
        json!({}),
    )
    .await;
    let (_, v) = app.get("/api/v1/me/credits", mentor.token()).await;
    assert_eq!(
        (
            v["coming"]["accepted_credits"].as_i64(),
            v["coming"]["accepted"].as_i64(),
            v["coming"]["requested_credits"].as_i64(),
            v["coming"]["requested"].as_i64()
        ),
        (Some(30), Some(1), Some(30), Some(1)),
        "{v}"
    );
    let c = sign_in(&app, "mentor@example.com", PASSWORD).await;
    let (_, page) = text(&c, &app, "/credits").await;
    assert!(
        page.contains("To be paid to you")
            && page.contains(
                "<span class=\"stat-value\">30</span><span class=\"stat-label\">held for your 1 accepted session</span>"
            )
            && page.contains("in 1 request waiting for your answer"),
        "{page}"
    );
    let m = sign_in(&app, "mentee@example.com", PASSWORD).await;
    let (_, page) = text(&m, &app, "/credits").await;
    assert!(!page.contains("To be paid to you"), "{page}");
}

/// A time taken by someone else while the checkout was open: sending it says so and
/// does not offer the same button again; the checkout of one's own booking (Back after
/// booking) forecasts no balance, as nothing more would be spent.
#[tokio::test]
async fn a_time_taken_meanwhile_is_not_offered_again_and_a_booked_one_forecasts_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, _mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let other = app.register("other@example.com").await;
    app.grant(&admin, &other.user_id, 100).await;
    let c = sign_in(&app, "mentee@example.com", PASSWORD).await;
    let checkout = |start: &str| {
        format!(
            "/mentors/{}/book?service={service}&start={start}",
            mentor.user_id
        )
    };
    let (_, page) = text(&c, &app, &checkout("2026-03-03T10:00:00Z")).await;
    let enabled = "type=\"submit\">Request booking</button>";
    assert!(
        page.contains(enabled) && page.contains("id=\"balance-after\""),
        "{page}"
    );
    let (status, _) = app
        .post(
            "/api/v1/bookings",
            other.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service,
                   "start": "2026-03-03T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let book = format!("/mentors/{}/book", mentor.user_id);
    let form = |start: &'static str, csrf: String| {
        let service = service.clone();
        let (c, app, book) = (&c, &app, book.clone());
        async move {
            post(
                c,
                app,
                &book,
                &[
                    ("csrf", &csrf),
                    ("service", &service),
                    ("start", start),
                    ("topic", "Hello"),
                ],
            )
            .await
        }
    };
    let res = form("2026-03-03T10:00:00Z", csrf_of(&page)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let refused = res.text().await.unwrap();
    assert!(refused.contains("no longer free"), "{refused}");
    assert!(!refused.contains(enabled), "{refused}");
    assert!(refused.contains("Pick another time</a>"), "{refused}");
    // Booked, then the checkout again: the way to the booking, no forecast.
    let (_, page) = text(&c, &app, &checkout("2026-03-03T11:00:00Z")).await;
    let res = form("2026-03-03T11:00:00Z", csrf_of(&page)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, again) = text(&c, &app, &checkout("2026-03-03T11:00:00Z")).await;
    assert!(again.contains("You have already asked"), "{again}");
    assert!(!again.contains("id=\"balance-after\""), "{again}");
}

/// A notification's links open from the notifications page (an accepted session's
/// meeting link).
#[tokio::test]
async fn a_notification_links_what_it_names() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z"}),
        )
        .await;
    let id = b["id"].as_str().unwrap();
    let (status, accepted) = app
        .post(
            &format!("/api/v1/bookings/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let link = accepted["meeting_link"].as_str().unwrap().to_string();
    assert!(link.starts_with("https://"), "{accepted}");
    let c = sign_in(&app, "mentee@example.com", PASSWORD).await;
    let (_, page) = text(&c, &app, "/notifications").await;
    assert!(
        page.contains(&format!("Meeting link: <a href=\"{link}\" rel=\"noopener noreferrer\" target=\"_blank\">{link}</a>")),
        "{page}"
    );
}
