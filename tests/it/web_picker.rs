//! The slot picker on a mentor's page, as plain HTML (it works without JavaScript):
//! a month calendar with the free days, the chosen day's times in the viewer's zone on
//! their clock, the mentor's time beside, nights flagged, a zone switcher, and a
//! visitor who picks a time coming back to it after signing up.

use reqwest::{Client, StatusCode, header};

use crate::{
    support::{TestApp, mentor_profile, weekdays_nine_to_five},
    web_mentors::{client, csrf_of},
};

/// A mentor in Nairobi, free 09:00-17:00 on weekdays there.
async fn nairobi_mentor(app: &TestApp) -> String {
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "amina@example.com",
            mentor_profile(&["career"], &["interviews"], 20),
        )
        .await;
    app.set_availability(&mentor, weekdays_nine_to_five("Africa/Nairobi"))
        .await;
    let (s, _) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/me",
            mentor.token(),
            Some(serde_json::json!({"timezone": "Africa/Nairobi"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    mentor.user_id
}

pub(crate) async fn page(
    c: &Client,
    app: &TestApp,
    path: &str,
    lang: &str,
) -> (StatusCode, String) {
    let res = c
        .get(app.url(path))
        .header(header::ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The `href`s of the elements whose opening tag contains `marker`.
fn hrefs(html: &str, marker: &str) -> Vec<String> {
    html.match_indices(marker)
        .filter_map(|(i, _)| {
            let tag_start = html[..i].rfind('<')?;
            let tag = &html[tag_start..i + html[i..].find('>')?];
            let h = tag.find("href=\"")? + 6;
            Some(
                tag[h..h + tag[h..].find('"')?]
                    .replace("&#38;", "&")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_visitor_sees_free_days_and_times_in_their_zone_and_clock() {
    let app = TestApp::spawn().await;
    let id = nairobi_mentor(&app).await;
    let c = client();
    // A visitor in Los Angeles (the zone the browser detected), reading US English.
    let jar_cookie = "mh_tz=America%2FLos_Angeles";
    let c_la = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = c_la
        .get(app.url(&format!("/mentors/{id}")))
        .header(header::COOKIE, jar_cookie)
        .header(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<option value=\"America/Los_Angeles\" selected>"),
        "the zone shown"
    );
    assert!(html.contains("March 2026"), "the month of the test clock");
    // A service's tab: its title isolated (a right-to-left one keeps the length and
    // the price after it), then its length and price.
    assert!(
        html.contains("data-nav=\"service\" aria-current=\"true\" class=\"current\"><bdi>")
            && html.contains("</bdi> · 60 min · 20 credits</a>"),
        "{html}"
    );
    // The test clock is Monday 2 March 2026, 09:00 UTC (01:00 in Los Angeles): the
    // weekdays of March are free from Monday evening in LA on.
    let days = hrefs(&html, "class=\"day free");
    assert!(days.len() >= 15, "weekdays of March are free: {days:?}");
    assert!(days.iter().all(|h| h.contains("date=2026-03-")), "{days:?}");
    assert!(html.contains("aria-current=\"date\""), "a day is chosen");
    // 12-hour times, each with the mentor's time beside, nights flagged.
    assert!(
        html.contains(" PM</span>") || html.contains(" AM</span>"),
        "{html}"
    );
    assert!(
        html.contains("in Nairobi</span>"),
        "the mentor's local time"
    );
    assert!(
        html.contains("☾ night"),
        "09:00-17:00 in Nairobi is night in LA"
    );
    assert!(
        html.contains("night time for you"),
        "said to screen readers too"
    );
    // Sunday-first weeks for US English.
    assert!(html.find("title=\"Sunday\"").unwrap() < html.find("title=\"Monday\"").unwrap());
    // A visitor's times lead to signing in, and back.
    let slots = hrefs(&html, "class=\"slot\"");
    assert!(!slots.is_empty());
    assert!(
        slots.iter().all(|h| h.starts_with("/login?next=/mentors/")),
        "{slots:?}"
    );
    // No earlier month than this one; a later one.
    assert!(
        !html.contains("aria-label=\"Previous month"),
        "no going back before now"
    );
    assert!(html.contains("aria-label=\"Next month, April\""));

    // Another reader, no zone known, German: UTC on a 24-hour clock, Monday first.
    let (_, html) = page(&c, &app, &format!("/mentors/{id}"), "de-DE,de;q=0.9").await;
    assert!(html.contains("<option value=\"UTC\" selected>"));
    assert!(!html.contains(" AM</span>") && !html.contains(" PM</span>"));
    assert!(html.contains("<span class=\"slot-time\">07:00</span>") || html.contains(":00</span>"));
    assert!(html.find("title=\"Monday\"").unwrap() < html.find("title=\"Sunday\"").unwrap());

    // The switcher: the chosen zone is used and remembered for a visitor.
    let res = c
        .get(app.url(&format!("/mentors/{id}?tz=Asia/Tokyo")))
        .send()
        .await
        .unwrap();
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(set.starts_with("mh_tz=Asia/Tokyo"), "{set}");
    let html = res.text().await.unwrap();
    assert!(html.contains("<option value=\"Asia/Tokyo\" selected>"));
    let (_, html) = page(&c, &app, &format!("/mentors/{id}"), "en-GB").await;
    assert!(
        html.contains("<option value=\"Asia/Tokyo\" selected>"),
        "remembered"
    );
}

#[tokio::test]
async fn picking_a_day_a_month_and_nonsense() {
    let app = TestApp::spawn().await;
    let id = nairobi_mentor(&app).await;
    let c = client();
    let base = format!("/mentors/{id}");
    // Wednesday 11 March, in UTC: 06:00-13:00 (09:00-16:00 starts in Nairobi).
    let (_, html) = page(&c, &app, &format!("{base}?date=2026-03-11"), "en-GB").await;
    assert!(html.contains(">Wednesday 11 March</h3>"), "{html}");
    let times: Vec<&str> = html
        .match_indices("<span class=\"slot-time\">")
        .map(|(i, m)| &html[i + m.len()..i + m.len() + 5])
        .collect();
    assert_eq!(
        times,
        [
            "06:00", "07:00", "08:00", "09:00", "10:00", "11:00", "12:00", "13:00"
        ]
    );
    assert!(html.contains("aria-label=\"Wednesday 11 March, 8 times free\" aria-current=\"date\""));
    // Weekends are not links.
    assert!(html.contains("aria-label=\"Saturday 14 March, nothing free\""));
    // Past the mentor's horizon (60 days) the page says so, not "try the next month".
    let (_, html) = page(&c, &app, &format!("{base}?month=2026-06"), "en-GB").await;
    assert!(
        html.contains("takes bookings up to 60 days ahead: nothing can be booked this far yet."),
        "{html}"
    );
    assert!(!html.contains("data-nav=\"month\">July</a>.</p>"), "{html}");
    // The next month's own calendar.
    let (_, html) = page(&c, &app, &format!("{base}?month=2026-04"), "en-GB").await;
    assert!(html.contains("April 2026") && html.contains("aria-label=\"Previous month, March\""));
    assert!(
        html.contains(">Wednesday 1 April</h3>"),
        "its first free day is chosen"
    );
    // Nonsense falls back to sensible defaults, never an error.
    for q in [
        "?month=banana&date=yesterday&tz=Nowhere/City&service=nope",
        "?month=1999-01&date=1999-01-05",
        "?month=2099-01",
        "?week=2026-03-10",
    ] {
        let (s, html) = page(&c, &app, &format!("{base}{q}"), "en").await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert!(html.contains("class=\"calendar\""), "{q}");
    }
    let (_, html) = page(&c, &app, &format!("{base}?month=2099-01"), "en").await;
    assert!(html.contains("March 2027"), "a year ahead at most");
    assert!(!html.contains("aria-label=\"Next month"));
}

#[tokio::test]
async fn a_visitor_who_picks_a_time_signs_up_and_comes_back_to_it() {
    let app = TestApp::spawn().await;
    let id = nairobi_mentor(&app).await;
    let c = client();
    // Picked in Tokyo (the zone switcher, as a browser's zone would be), 06:00 UTC is
    // 15:00 there.
    let (_, html) = page(
        &c,
        &app,
        &format!("/mentors/{id}?date=2026-03-11&tz=Asia/Tokyo"),
        "en-GB",
    )
    .await;
    let pick = hrefs(&html, "class=\"slot\"")[0].clone();
    assert!(pick.starts_with("/login?next="), "{pick}");
    let (s, login) = page(&c, &app, &pick, "en-GB").await;
    assert_eq!(s, StatusCode::OK);
    let signup = hrefs(&login, ">Create an account")
        .into_iter()
        .next()
        .or_else(|| {
            let i = login.find("Create an account")?;
            let a = login[..i].rfind("href=\"")? + 6;
            Some(
                login[a..a + login[a..].find('"')?]
                    .replace("&#38;", "&")
                    .replace("&amp;", "&"),
            )
        })
        .unwrap();
    assert!(signup.starts_with("/signup?next=/mentors/"), "{signup}");
    let (_, form) = page(&c, &app, &signup, "en-GB").await;
    let next_marker = "name=\"next\" value=\"";
    let n = form
        .find(next_marker)
        .expect("the sign-up form keeps where to go")
        + next_marker.len();
    let next = form[n..n + form[n..].find('"').unwrap()]
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(
        next.starts_with(&format!("/mentors/{id}/book?service=")),
        "{next}"
    );
    assert!(
        next.contains("start=2026-03-11T06%3A00%3A00Z")
            || next.contains("start=2026-03-11T06:00:00Z"),
        "{next}"
    );
    // Opened directly while signed out (a shared link, a session that ran out), the
    // booking form sends to sign in and back with its query.
    let res = c.get(app.url(&next)).send().await.unwrap();
    let to = res.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        to.starts_with(&format!("/login?next=/mentors/{id}/book%3Fservice%3D"))
            && to.contains("%26start%3D2026-03-11T06"),
        "{to}"
    );
    let res = c
        .post(app.url("/signup"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("email", "visitor@example.com"),
            ("password", "correct horse battery"),
            ("first_name", "Vic"),
            ("last_name", "Visitor"),
            ("timezone", "Europe/London"),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION].to_str().unwrap(), next);
    let (s, book) = page(&c, &app, &next, "en-GB").await;
    assert_eq!(s, StatusCode::OK, "{book}");
    // The checkout shows the time as it was picked, and says the account's zone
    // (chosen at sign-up) differs.
    assert!(
        book.contains("Wed 11 Mar 2026, 15:00 – 16:00")
            && book.contains("(Asia/Tokyo)")
            && book.contains("your account's zone is Europe/London"),
        "{book}"
    );
    // Refused (the new account has no credits), the form comes back in the same zone.
    let res = c
        .post(app.url(&format!("/mentors/{id}/book")))
        .form(&[
            ("csrf", csrf_of(&book).as_str()),
            (
                "service",
                next.split("service=")
                    .nth(1)
                    .unwrap()
                    .split('&')
                    .next()
                    .unwrap(),
            ),
            ("start", "2026-03-11T06:00:00Z"),
            ("tz", "Asia/Tokyo"),
            ("topic", "Picked in Tokyo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let again = res.text().await.unwrap();
    assert!(
        again.contains("Wed 11 Mar 2026, 15:00 – 16:00") && again.contains("(Asia/Tokyo)"),
        "{again}"
    );
}

#[tokio::test]
async fn the_booking_form_is_a_checkout_summary() {
    let app = TestApp::spawn().await;
    let id = nairobi_mentor(&app).await;
    let admin = crate::support::Session::from_auth(
        &app.post(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": "root@example.com", "password": "admin password 1"}),
        )
        .await
        .1,
    );
    let rich = app.register("rich@example.com").await;
    app.grant(&admin, &rich.user_id, 100).await;
    let poor = app.register("poor@example.com").await;
    let service = app.first_service(&id).await;
    // Wednesday 11 March 10:00 in Nairobi, 07:00 UTC.
    let form = format!("/mentors/{id}/book?service={service}&start=2026-03-11T07:00:00Z");

    let c = crate::web_mentors::sign_in(&app, "rich@example.com", "correct horse battery").await;
    let (s, html) = page(&c, &app, &form, "en-GB").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("Wed 11 Mar 2026, 07:00 – 08:00"),
        "both ends, viewer's zone: {html}"
    );
    assert!(
        html.contains("Wed 11 Mar 2026, 10:00 – 11:00 (Africa/Nairobi)"),
        "the mentor's zone beside"
    );
    assert!(
        html.contains("Free to cancel until Tue 10 Mar 2026, 07:00; after that, once accepted, you get 50% back."),
        "the policy as it applies to this booking"
    );
    assert!(
        html.contains("<strong id=\"balance-after\">80</strong>"),
        "balance after"
    );
    assert!(html.contains("own currency"), "what a credit is worth");
    assert!(!html.contains("disabled"));
    // A time that cannot be booked says so before the form is filled in: a past one,
    // one off the mentor's grid (07:07), one outside their hours (Nairobi 03:00).
    for (start, says) in [
        ("2026-03-01T07:00:00Z", "This time has already passed."),
        ("2026-03-11T07:07:00Z", "This time is not one of the mentor"),
        ("2026-03-11T00:00:00Z", "This time is not one of the mentor"),
    ] {
        let (s, html) = page(
            &c,
            &app,
            &format!("/mentors/{id}/book?service={service}&start={start}"),
            "en-GB",
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{start}");
        assert!(html.contains(says), "{start}: {html}");
        assert!(
            html.contains("type=\"submit\" disabled>Request booking"),
            "{start}: no request that cannot succeed"
        );
    }

    let p = crate::web_mentors::sign_in(&app, "poor@example.com", "correct horse battery").await;
    let (_, html) = page(&p, &app, &form, "en-GB").await;
    assert!(html.contains("20 more are needed"), "{html}");
    assert!(
        html.contains("type=\"submit\" disabled"),
        "no request that cannot succeed"
    );
    // The way to credits is right there, asking for what is lacking, and comes back
    // to this booking form.
    let link = html
        .split("href=\"/credits?need=20&amp;back=")
        .nth(1)
        .and_then(|rest| rest.split('#').next())
        .unwrap_or_else(|| panic!("{html}"));
    assert!(link.starts_with("/mentors/"), "{link}");
    let (_, asked) = crate::web_mentors::text(
        &p,
        &app,
        &format!("/credits?need=20&back={}", link.replace("&amp;", "&")),
    )
    .await;
    assert!(
        asked.contains("name=\"back\" value=\"/mentors/"),
        "the ask form carries the way back: {asked}"
    );
    let (_, credits) = crate::web_mentors::text(&p, &app, "/credits?need=20").await;
    assert!(
        credits.contains("name=\"credits\" type=\"number\" inputmode=\"numeric\" min=\"1\" max=\"10000\" required value=\"20\""),
        "{credits}"
    );
    // Once asked, the page says the request is waiting instead of sending them to ask
    // again; a request too small for this booking is said to be.
    for (asked, says) in [
        (
            15,
            "request for 15 credits</a> is waiting for an administrator: come back to book once it is granted (it does not cover this booking: withdraw it and ask for 20 or more).",
        ),
        (
            25,
            "request for 25 credits</a> is waiting for an administrator: come back to book once it is granted.",
        ),
    ] {
        let (s, r) = app
            .post(
                "/api/v1/me/credit-requests",
                poor.token(),
                serde_json::json!({"credits": asked, "note": "For a session"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let (_, html) = page(&p, &app, &form, "en-GB").await;
        assert!(html.contains(says), "{html}");
        assert!(!html.contains("Ask the administrators for credits</a>, then come back"));
        let (s, r) = app
            .post(
                &format!(
                    "/api/v1/me/credit-requests/{}/withdraw",
                    r["id"].as_str().unwrap()
                ),
                poor.token(),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
}

/// A signed-in viewer's own sessions (on either side) mark the times that clash with
/// them: shown, said, not offered.
#[tokio::test]
async fn times_that_clash_with_my_own_sessions_are_marked_not_offered() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (a, mentee, service_a) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (b, _) = app.second_mentor(&admin).await;
    let (s, booked) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            serde_json::json!({"mentor_id": a.user_id, "service_id": service_a,
                "start": "2026-03-03T10:00:00Z", "topic": "CV"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let path = format!("/mentors/{}?date=2026-03-03", b.user_id);
    for who in ["mentee@example.com", "mentor@example.com"] {
        let c = crate::web_mentors::sign_in(&app, who, "correct horse battery").await;
        let (s, html) = page(&c, &app, &path, "de-DE,de;q=0.9").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains(
                "<span class=\"slot slot-busy\" aria-label=\"10:00, you have a session then\">"
            ),
            "{who}: {html}"
        );
        let offered = hrefs(&html, "class=\"slot\"");
        assert!(
            !offered
                .iter()
                .any(|h| h.contains("T10%3A00") || h.contains("T10:00")),
            "{offered:?}"
        );
        assert!(
            offered
                .iter()
                .any(|h| h.contains("T11%3A00") || h.contains("T11:00")),
            "{offered:?}"
        );
    }
    // A visitor sees every free time offered.
    let (_, html) = page(&client(), &app, &path, "de-DE,de;q=0.9").await;
    assert!(!html.contains("slot-busy"), "{html}");
}

/// A mentor who picked a time on their own page while signed out, then signed in, is
/// taken back to their page and told why rather than shown a checkout to book
/// themselves.
#[tokio::test]
async fn a_mentor_is_not_offered_a_checkout_with_themselves() {
    let app = TestApp::spawn().await;
    let id = nairobi_mentor(&app).await;
    let service = app.first_service(&id).await;
    let c = crate::web_mentors::sign_in(&app, "amina@example.com", "correct horse battery").await;
    let form = format!("/mentors/{id}/book?service={service}&start=2026-03-11T07:00:00Z");
    let res = c.get(app.url(&form)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(to, format!("/mentors/{id}"));
    let (_, html) = page(&c, &app, &to, "en-GB").await;
    assert!(
        html.contains("This is your own profile: mentees book these times."),
        "{html}"
    );
}

/// The notification list and the conversation list write times on the reader's clock,
/// as every other page does (they were always on 24 hours): the browser's for a
/// visitor, the account's once known, whatever the browser then says.
#[tokio::test]
async fn notification_and_chat_times_follow_the_readers_clock() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    // Booked at 09:00 UTC (the test epoch): the mentor is notified, and a chat opens.
    let (s, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            serde_json::json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-04T15:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let c = crate::web_mentors::sign_in(&app, "mentor@example.com", "correct horse battery").await;
    for (clock, browser, shown) in [
        ("12h", "en-GB", "2 Mar, 9:00 AM"),
        ("24h", "en-US,en;q=0.9", "2 Mar, 09:00"),
    ] {
        let (status, _) = app
            .call(
                reqwest::Method::PATCH,
                "/api/v1/me",
                mentor.token(),
                Some(serde_json::json!({ "clock": clock })),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        for path in ["/notifications", "/chat"] {
            let (_, html) = page(&c, &app, path, browser).await;
            assert!(html.contains(shown), "{clock} {path}: {html}");
        }
    }
}

/// Addresses people type or cut short lead somewhere: the booking form without a slot
/// to the mentor's times, the list of bookings to the sessions tab.
#[tokio::test]
async fn a_booking_address_without_a_slot_leads_to_the_mentors_times() {
    let app = TestApp::spawn().await;
    let id = nairobi_mentor(&app).await;
    let res = client()
        .get(app.url(&format!("/mentors/{id}/book")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()[header::LOCATION],
        format!("/mentors/{id}#book").as_str()
    );
    let res = client().get(app.url("/bookings")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/mentorship?tab=sessions");
}
