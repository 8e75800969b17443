//! A mentor's own calendar against a real CalDAV server (Radicale on loopback): connect
//! and discover, busy times blocking exactly the right slots (timed, all-day, free,
//! cancelled, a weekly series in another zone across a DST change with an exception
//! and a moved instance), events added later, the booking check, bookings written,
//! moved and removed, and a server that goes away.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    Session, TestApp, assert_problem,
    caldav::{PASSWORD, Radicale, USER},
    test_config, weekdays_nine_to_five,
};

/// A key for calendars, loopback servers allowed, and no background worker: reads and
/// writes run when a test calls `tick`, so it sees them finished.
fn config() -> mentorhub::config::Config {
    mentorhub::config::Config {
        calendar_key: Some([7u8; 32]),
        calendar_allow_private: true,
        background_workers: false,
        ..test_config()
    }
}

const NEW_YORK: &str = "BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE";

fn vcal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}\nEND:VCALENDAR\n")
}

fn event(uid: &str, extra: &str) -> String {
    vcal(&format!(
        "BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260301T000000Z\nSUMMARY:{uid}\n{extra}\nEND:VEVENT"
    ))
}

/// The weekly 09:00 New York meeting on Tuesdays from 2026-03-03, four times, the
/// second skipped and the third moved to Wednesday 11:00.
fn weekly_new_york() -> String {
    vcal(&format!(
        "{NEW_YORK}
BEGIN:VEVENT
UID:weekly-ny
DTSTAMP:20260301T000000Z
SUMMARY:Standup
DTSTART;TZID=America/New_York:20260303T090000
DTEND;TZID=America/New_York:20260303T100000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=America/New_York:20260310T090000
END:VEVENT
BEGIN:VEVENT
UID:weekly-ny
DTSTAMP:20260301T000000Z
SUMMARY:Standup (moved)
RECURRENCE-ID;TZID=America/New_York:20260317T090000
DTSTART;TZID=America/New_York:20260318T110000
DTEND;TZID=America/New_York:20260318T120000
END:VEVENT"
    ))
}

/// A mentor in Berlin (weekdays 09–17, hourly slots) and a Radicale account with a
/// "Work" calendar holding every kind of event and a "Personal" one with an all-day
/// event.
pub(crate) async fn setup() -> Option<(TestApp, Radicale, Session, String)> {
    let server = Radicale::start().await?;
    let app = TestApp::spawn_with(config()).await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "cal-mentor@example.com",
            crate::support::mentor_profile(&["backend"], &[], 10),
        )
        .await;
    app.set_availability(&mentor, weekdays_nine_to_five("Europe/Berlin"))
        .await;
    server.make_calendar("work", "Work").await;
    server.make_calendar("personal", "Personal").await;
    // A timed event in UTC: Wednesday 10:00–11:00Z.
    server
        .put_event(
            "work",
            "timed",
            &event("timed", "DTSTART:20260304T100000Z\nDTEND:20260304T110000Z"),
        )
        .await;
    // Free time: does not block.
    server
        .put_event(
            "work",
            "free",
            &event(
                "free",
                "DTSTART:20260306T100000Z\nDTEND:20260306T120000Z\nTRANSP:TRANSPARENT",
            ),
        )
        .await;
    // Cancelled: does not block.
    server
        .put_event(
            "work",
            "cancelled",
            &event(
                "cancelled",
                "DTSTART:20260309T100000Z\nDTEND:20260309T110000Z\nSTATUS:CANCELLED",
            ),
        )
        .await;
    server.put_event("work", "weekly", &weekly_new_york()).await;
    // All day Thursday: the mentor's whole Berlin day.
    server
        .put_event(
            "personal",
            "allday",
            &event(
                "allday",
                "DTSTART;VALUE=DATE:20260305\nDTEND;VALUE=DATE:20260306",
            ),
        )
        .await;
    let service = app.first_service(&mentor.user_id).await;
    Some((app, server, mentor, service))
}

async fn connect(app: &TestApp, server: &Radicale, mentor: &Session) -> Value {
    let (status, c) = app
        .post(
            "/api/v1/me/calendars",
            mentor.token(),
            json!({"server_url": server.base, "username": USER, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c
}

async fn slots(app: &TestApp, mentor: &Session, service: &str) -> Vec<String> {
    let (status, s) = app
        .get(
            &format!(
                "/api/v1/mentors/{}/slots?service_id={service}&from=2026-03-02T00:00:00Z&to=2026-03-28T00:00:00Z",
                mentor.user_id
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    s["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["start"].as_str().unwrap().to_string())
        .collect()
}

fn on_day<'a>(slots: &'a [String], day: &str) -> Vec<&'a str> {
    slots
        .iter()
        .filter(|s| s.starts_with(day))
        .map(|s| &s[11..16])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_calendar_blocks_exactly_its_busy_time() {
    let Some((app, server, mentor, service)) = setup().await else {
        return;
    };
    let before = slots(&app, &mentor, &service).await;
    assert_eq!(
        on_day(&before, "2026-03-05").len(),
        8,
        "Thursday is free at first"
    );

    let c = connect(&app, &server, &mentor).await;
    let names: Vec<&str> = c["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Personal", "Work"],
        "discovered from the server's root: {c}"
    );
    assert!(c["calendars"][0]["busy"].as_bool().unwrap());
    assert!(
        !c.to_string().contains(PASSWORD),
        "the password is never shown"
    );
    app.tick().await;
    let (_, list) = app.get("/api/v1/me/calendars", mentor.token()).await;
    assert_eq!(list["items"][0]["status"], "ok", "{list}");
    assert!(list["items"][0]["last_success_at"].is_string());

    let got = slots(&app, &mentor, &service).await;
    let hours = |d| on_day(&got, d);
    // Wednesday: the UTC event takes 10:00Z only.
    assert_eq!(
        hours("2026-03-04"),
        [
            "08:00", "09:00", "11:00", "12:00", "13:00", "14:00", "15:00"
        ]
    );
    // Thursday: the all-day event takes the whole Berlin day.
    assert!(hours("2026-03-05").is_empty(), "{:?}", hours("2026-03-05"));
    // Friday: a free event blocks nothing; Monday 9th: a cancelled one neither.
    assert_eq!(hours("2026-03-06").len(), 8);
    assert_eq!(hours("2026-03-09").len(), 8);
    // The weekly 09:00 New York meeting: 14:00Z before the US change (EST), 13:00Z after
    // (EDT); the 10th is an exception; the 17th moved to Wednesday 18th 11:00 New York
    // (15:00Z).
    assert!(!hours("2026-03-03").contains(&"14:00"));
    assert!(hours("2026-03-03").contains(&"13:00"));
    assert_eq!(hours("2026-03-10").len(), 8, "the exception is free");
    assert_eq!(
        hours("2026-03-17").len(),
        8,
        "the moved instance's old time is free"
    );
    assert!(!hours("2026-03-18").contains(&"15:00"));
    assert_eq!(hours("2026-03-18").len(), 7);
    assert!(
        !hours("2026-03-24").contains(&"13:00"),
        "{:?}",
        hours("2026-03-24")
    );
    assert!(hours("2026-03-24").contains(&"14:00"));
    assert_eq!(hours("2026-03-31").len(), 0, "outside the range asked");

    // The mentor moves to New York (hours 09–21 there): the all-day event now takes
    // New York's Thursday (05:00Z to 05:00Z next day), read again at once despite an
    // unchanged calendar — so Wednesday evening in New York (23:00Z, 00:00Z) is free,
    // which Berlin's Thursday (from 23:00Z) would have blocked.
    let mut late = weekdays_nine_to_five("America/New_York");
    for rule in late["weekly"].as_array_mut().unwrap() {
        rule["end"] = json!("21:00");
    }
    app.set_availability(&mentor, late).await;
    app.tick().await;
    let ny = slots(&app, &mentor, &service).await;
    assert!(
        on_day(&ny, "2026-03-04").contains(&"23:00"),
        "{:?}",
        on_day(&ny, "2026-03-04")
    );
    assert!(
        on_day(&ny, "2026-03-05").contains(&"00:00"),
        "{:?}",
        on_day(&ny, "2026-03-05")
    );
    assert!(
        !on_day(&ny, "2026-03-05").contains(&"14:00"),
        "Thursday 09:00 New York is busy"
    );
    app.set_availability(&mentor, weekdays_nine_to_five("Europe/Berlin"))
        .await;
    app.tick().await;

    // Personal no longer counts: Thursday opens again.
    let personal = c["calendars"][0]["id"].as_str().unwrap();
    let (status, c2) = app
        .call(
            Method::PATCH,
            &format!(
                "/api/v1/me/calendars/{}/calendars/{personal}",
                c["id"].as_str().unwrap()
            ),
            mentor.token(),
            Some(json!({"busy": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c2}");
    assert_eq!(
        on_day(&slots(&app, &mentor, &service).await, "2026-03-05").len(),
        8
    );

    // The booking check itself refuses busy time, whatever the slot listing said.
    let mentee = app.register("cal-mentee@example.com").await;
    let admin = app.admin().await;
    app.grant(&admin, &mentee.user_id, 100).await;
    let got = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-04T10:00:00Z"}),
        )
        .await;
    assert_problem(&got, 409, "slot_unavailable");

    // Another person cannot see or change the connection.
    let (status, l) = app.get("/api/v1/me/calendars", mentee.token()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(l["items"].as_array().unwrap().len(), 0);
    let got = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/calendars/{}", c["id"].as_str().unwrap()),
            mentee.token(),
            None,
        )
        .await;
    assert_problem(&got, 404, "not_found");

    // Disconnecting forgets the busy times at once.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/calendars/{}", c["id"].as_str().unwrap()),
            mentor.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        on_day(&slots(&app, &mentor, &service).await, "2026-03-04").len(),
        8
    );
    app.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_added_later_block_after_the_next_read_and_before_a_booking() {
    let Some((app, server, mentor, service)) = setup().await else {
        return;
    };
    connect(&app, &server, &mentor).await;
    app.tick().await;
    let mentee = app.register("later@example.com").await;
    let admin = app.admin().await;
    app.grant(&admin, &mentee.user_id, 100).await;

    // Added on the server: the cache does not know yet.
    server
        .put_event(
            "work",
            "dentist",
            &event(
                "dentist",
                "DTSTART:20260312T080000Z\nDTEND:20260312T090000Z",
            ),
        )
        .await;
    assert!(on_day(&slots(&app, &mentor, &service).await, "2026-03-12").contains(&"08:00"));
    // The periodic read (after the sync interval) picks it up.
    app.clock.advance(jiff::SignedDuration::from_mins(16));
    app.tick().await;
    assert!(!on_day(&slots(&app, &mentor, &service).await, "2026-03-12").contains(&"08:00"));

    // Added again; a booking placed when the last read is older than two minutes reads
    // the calendar first, and is refused.
    server
        .put_event(
            "work",
            "gym",
            &event("gym", "DTSTART:20260313T080000Z\nDTEND:20260313T090000Z"),
        )
        .await;
    app.clock.advance(jiff::SignedDuration::from_mins(3));
    let got = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-13T08:00:00Z"}),
        )
        .await;
    assert_problem(&got, 409, "slot_unavailable");
    assert_eq!(app.balance(&mentee).await, (100, 0), "nothing held");
}

async fn events_on(server: &Radicale) -> Vec<String> {
    server
        .events("work")
        .await
        .into_iter()
        .filter(|(href, _)| href.contains("mentorhub-"))
        .map(|(_, d)| d)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_are_written_moved_and_removed() {
    let Some((app, server, mentor, service)) = setup().await else {
        return;
    };
    let c = connect(&app, &server, &mentor).await;
    let conn = c["id"].as_str().unwrap().to_string();
    let work = c["calendars"][1]["id"].as_str().unwrap().to_string();
    let (status, c) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/me/calendars/{conn}/calendars/{work}"),
            mentor.token(),
            Some(json!({"target": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert!(c["calendars"][1]["target"].as_bool().unwrap());
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/me/calendars/{conn}"),
            mentor.token(),
            Some(json!({"write_tentative": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.tick().await;

    let admin = app.admin().await;
    let mentee = app.register("writer@example.com").await;
    app.grant(&admin, &mentee.user_id, 100).await;
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-11T09:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    app.tick().await;
    let written = events_on(&server).await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(written[0].contains("STATUS:TENTATIVE"), "{}", written[0]);
    assert!(written[0].contains(&format!("UID:{id}@mentorhub")));

    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.tick().await;
    let written = events_on(&server).await;
    assert_eq!(written.len(), 1, "rewritten, not duplicated: {written:?}");
    let unfolded = written[0].replace("\r\n ", "").replace("\n ", "");
    assert!(unfolded.contains("STATUS:CONFIRMED"), "{unfolded}");
    assert!(unfolded.contains("DTSTART:20260311T090000Z"));
    assert!(
        unfolded.contains("Mentee:"),
        "both people's names: {unfolded}"
    );
    assert!(
        unfolded.contains("https://meet.jit.si/"),
        "the meeting link: {unfolded}"
    );
    assert!(
        !unfolded.contains("ATTENDEE"),
        "no invitations sent by the server"
    );

    // Our own event, read back as busy time, does not block the booking itself.
    server_read(&app, &mentor, &conn).await;
    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{id}/reschedule"),
            mentor.token(),
            json!({"start": "2026-03-11T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    app.tick().await;
    let written = events_on(&server).await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(
        written[0].contains("DTSTART:20260311T100000Z"),
        "moved: {}",
        written[0]
    );

    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            mentee.token(),
            json!({"reason": "sick"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.tick().await;
    assert!(events_on(&server).await.is_empty(), "removed on cancel");
    app.assert_ledger_ok().await;

    // The mentor's group sessions are written too, and removed when cancelled.
    let (status, g) = app
        .post(
            "/api/v1/group-sessions",
            mentor.token(),
            json!({"title": "Rust circle", "start": "2026-03-12T12:00:00Z", "duration_minutes": 60,
                   "seats": 5, "credits_per_seat": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["items"][0]["id"].as_str().unwrap().to_string();
    app.tick().await;
    let written = events_on(&server).await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(
        written[0].contains(&format!("UID:group-{gid}@mentorhub")),
        "{}",
        written[0]
    );
    assert!(written[0].contains("DTSTART:20260312T120000Z"));
    let (status, _) = app
        .post(
            &format!("/api/v1/group-sessions/{gid}/cancel"),
            mentor.token(),
            json!({"reason": "Travelling"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.tick().await;
    assert!(
        events_on(&server).await.is_empty(),
        "removed when cancelled"
    );
}

/// "Sync now" through the API.
async fn server_read(app: &TestApp, mentor: &Session, conn: &str) -> Value {
    let (status, c) = app
        .post(
            &format!("/api/v1/me/calendars/{conn}/sync"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_away_shows_as_failing_keeps_its_busy_times_and_recovers() {
    let Some((app, mut server, mentor, service)) = setup().await else {
        return;
    };
    let c = connect(&app, &server, &mentor).await;
    let conn = c["id"].as_str().unwrap().to_string();
    app.tick().await;
    assert!(!on_day(&slots(&app, &mentor, &service).await, "2026-03-04").contains(&"10:00"));

    server.stop();
    let c = server_read(&app, &mentor, &conn).await;
    assert_eq!(c["status"], "failing", "{c}");
    // "Sync now" for every calendar at once (API.md's `POST /me/calendars/sync`).
    let (status, all) = app
        .post("/api/v1/me/calendars/sync", mentor.token(), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["items"][0]["id"], conn.as_str());
    assert_eq!(all["items"][0]["status"], "failing", "{all}");
    assert!(
        c["last_error"]
            .as_str()
            .unwrap()
            .contains("does not answer"),
        "{c}"
    );
    // The last good busy times still count.
    assert!(!on_day(&slots(&app, &mentor, &service).await, "2026-03-04").contains(&"10:00"));
    let (_, n) = app.get("/api/v1/notifications", mentor.token()).await;
    let titles: Vec<&str> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Your calendar cannot be read"),
        "{titles:?}"
    );
    // Told once, not at every retry.
    app.clock.advance(jiff::SignedDuration::from_mins(2));
    app.tick().await;
    let (_, n) = app.get("/api/v1/notifications", mentor.token()).await;
    let told = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["title"] == "Your calendar cannot be read")
        .count();
    assert_eq!(told, 1);

    // Back: the next retry (every minute while failing) recovers.
    server.restart().await;
    app.clock.advance(jiff::SignedDuration::from_mins(2));
    app.tick().await;
    let (_, list) = app.get("/api/v1/me/calendars", mentor.token()).await;
    assert_eq!(list["items"][0]["status"], "ok", "{list}");
    assert_eq!(list["items"][0]["last_error"], "");

    // Down for longer than the busy times are kept: they stop counting, and the
    // mentor is told.
    assert!(!on_day(&slots(&app, &mentor, &service).await, "2026-03-24").contains(&"13:00"));
    server.stop();
    server_read(&app, &mentor, &conn).await;
    app.clock.advance(jiff::SignedDuration::from_hours(73));
    app.tick().await;
    assert!(on_day(&slots(&app, &mentor, &service).await, "2026-03-24").contains(&"13:00"));
    let (_, n) = app.get("/api/v1/notifications", mentor.token()).await;
    assert!(n.to_string().contains("no longer count"), "{n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_checks_the_input_the_password_and_the_address() {
    let Some(server) = Radicale::start().await else {
        return;
    };
    let app = TestApp::spawn_with(config()).await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "c@example.com",
            crate::support::mentor_profile(&["x"], &[], 10),
        )
        .await;
    server.make_calendar("work", "Work").await;
    let try_connect = |body: Value| {
        let app = &app;
        let token = mentor.token().map(str::to_string);
        async move {
            app.post("/api/v1/me/calendars", token.as_deref(), body)
                .await
        }
    };
    let got =
        try_connect(json!({"server_url": server.base, "username": USER, "password": "wrong"}))
            .await;
    assert_problem(&got, 422, "invalid_input");
    assert_eq!(got.1["errors"][0]["field"], "password", "{}", got.1);
    let got =
        try_connect(json!({"server_url": "ftp://x", "username": USER, "password": "p"})).await;
    assert_eq!(got.1["errors"][0]["field"], "server_url", "{}", got.1);
    let got = try_connect(
        json!({"server_url": "http://127.0.0.1:9/", "username": USER, "password": "p"}),
    )
    .await;
    assert_problem(&got, 422, "invalid_input");
    assert_eq!(got.1["errors"][0]["code"], "unreachable", "{}", got.1);
    let got = try_connect(json!({"server_url": server.base, "username": "", "password": ""})).await;
    assert_eq!(got.1["errors"].as_array().unwrap().len(), 2, "{}", got.1);
    let (_, l) = app.get("/api/v1/me/calendars", mentor.token()).await;
    assert_eq!(l["items"].as_array().unwrap().len(), 0, "nothing stored");
    // A direct calendar address works too (given as API.md's `url`).
    let (status, c) = try_connect(
        json!({"url": server.calendar_url("work"), "username": USER, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["calendars"][0]["name"], "Work");
    // Stored sealed.
    let (sealed,): (String,) = sqlx::query_as("SELECT password_sealed FROM calendar_connections")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert!(!sealed.contains(PASSWORD));
    // Closing the account deletes the connection with its sealed password.
    let (status, _) = app
        .call(Method::DELETE, "/api/v1/me", mentor.token(), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM calendar_connections")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);

    // Without the operator's key, or toward a private address when not allowed.
    let off = TestApp::spawn_with(test_config()).await;
    let admin = off.admin().await;
    let m = off
        .approved_mentor(
            &admin,
            "c@example.com",
            crate::support::mentor_profile(&["x"], &[], 10),
        )
        .await;
    let got = off
        .post(
            "/api/v1/me/calendars",
            m.token(),
            json!({"server_url": server.base, "username": USER, "password": PASSWORD}),
        )
        .await;
    assert_problem(&got, 503, "calendars_off");
    // The page says so in a mentor's words; the setting's name is for the admins.
    use crate::web_mentors::{sign_in, text};
    let c = sign_in(&off, "c@example.com", "correct horse battery").await;
    let (_, page) = text(&c, &off, "/settings/calendars").await;
    assert!(
        page.contains("ask its administrators") && !page.contains("MENTORHUB_CALENDAR_KEY"),
        "{page}"
    );
    let a = sign_in(&off, "root@example.com", "admin password 1").await;
    let (_, page) = text(&a, &off, "/settings/calendars").await;
    assert!(page.contains("MENTORHUB_CALENDAR_KEY"), "{page}");
    let strict = TestApp::spawn_with(mentorhub::config::Config {
        calendar_key: Some([1u8; 32]),
        ..test_config()
    })
    .await;
    let admin = strict.admin().await;
    let m = strict
        .approved_mentor(
            &admin,
            "c@example.com",
            crate::support::mentor_profile(&["x"], &[], 10),
        )
        .await;
    let got = strict
        .post(
            "/api/v1/me/calendars",
            m.token(),
            json!({"server_url": server.base, "username": USER, "password": PASSWORD}),
        )
        .await;
    assert_eq!(got.1["errors"][0]["code"], "not_allowed", "{}", got.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendars_page_connects_shows_state_and_greys_busy_times() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let Some((app, server, mentor, _service)) = setup().await else {
        return;
    };
    let c = sign_in(&app, "cal-mentor@example.com", "correct horse battery").await;
    let (status, page) = text(&c, &app, "/settings/calendars").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Connect a calendar"), "{page}");
    let csrf = csrf_of(&page);
    // A refused password: said beside the field, nothing stored, the password not echoed.
    let res = c
        .post(app.url("/settings/calendars"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("server_url", server.base.as_str()),
            ("username", USER),
            ("password", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("refused the user name and password"),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{}\"", server.base)),
        "the address is kept"
    );
    assert!(!html.contains("value=\"nope\""));
    let res = c
        .post(app.url("/settings/calendars"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("server_url", server.base.as_str()),
            ("username", USER),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.tick().await;
    let (_, page) = text(&c, &app, "/settings/calendars").await;
    assert!(page.contains("mentor at 127.0.0.1"), "{page}");
    assert!(
        page.contains("Connected") && page.contains("Last read"),
        "{page}"
    );
    assert!(page.contains(">Work<") && page.contains(">Personal<"));

    // Bookings go to Work, Personal stops counting.
    let (_, list) = app.get("/api/v1/me/calendars", mentor.token()).await;
    let conn = list["items"][0]["id"].as_str().unwrap().to_string();
    let personal = list["items"][0]["calendars"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let work = list["items"][0]["calendars"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = c
        .post(app.url(&format!("/settings/calendars/{conn}")))
        .form(&[
            ("csrf", csrf.as_str()),
            (format!("busy_{work}").as_str(), "on"),
            ("target", work.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get("/api/v1/me/calendars", mentor.token()).await;
    let cals = &list["items"][0]["calendars"];
    assert_eq!(cals[0]["id"], personal.as_str());
    assert_eq!(
        (cals[0]["busy"].as_bool(), cals[1]["target"].as_bool()),
        (Some(false), Some(true)),
        "{list}"
    );

    // The availability page shows the next two weeks with the calendar's busy time.
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(page.contains("Your next two weeks"), "{page}");
    assert!(
        page.contains("busy 11:00–12:00"),
        "Wednesday's event in Berlin time: {page}"
    );

    // Disconnecting asks first.
    let res = c
        .post(app.url(&format!("/settings/calendars/{conn}/disconnect")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Disconnect this calendar account?")
    );
    let res = c
        .post(app.url(&format!("/settings/calendars/{conn}/disconnect")))
        .form(&[("csrf", csrf.as_str()), ("confirmed", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get("/api/v1/me/calendars", mentor.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

/// One calendar account is connected once, however many connects are sent at once
/// (a double click, a retry): one is created, the others are told it is connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_connected_once_even_by_connects_sent_at_once() {
    let Some((app, server, mentor, _)) = setup().await else {
        return;
    };
    let body = json!({"server_url": server.base, "username": USER, "password": PASSWORD});
    let connects = (0..6).map(|_| app.post("/api/v1/me/calendars", mentor.token(), body.clone()));
    let answers = futures_util::future::join_all(connects).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    for (s, b) in &answers {
        if *s != StatusCode::CREATED {
            assert_eq!(b["code"], "calendar_connected", "{b}");
        }
    }
    let (_, list) = app.get("/api/v1/me/calendars", mentor.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    // And one after another.
    let (s, b) = app
        .post("/api/v1/me/calendars", mentor.token(), body.clone())
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
}
