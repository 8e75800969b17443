//! Mentoring pages over plain HTTP: the application form, the admin queue, search,
//! services.

use reqwest::{Client, StatusCode, header};

use crate::support::{TestApp, mentor_profile};

pub(crate) fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

pub(crate) async fn sign_in(app: &TestApp, email: &str, password: &str) -> Client {
    let c = client();
    let html = c
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign in {email}");
    c
}

pub(crate) async fn text(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = c.get(app.url(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn apply_through_the_form_then_an_admin_approves_on_the_queue_page() {
    let app = TestApp::spawn().await;
    app.register("applicant@example.com").await;
    let c = sign_in(&app, "applicant@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, "/settings/mentor").await;
    assert!(html.contains("Apply to mentor"));
    let csrf = csrf_of(&html);

    // Invalid first: the form comes back with messages and the values kept.
    let res = c
        .post(app.url("/settings/mentor"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("bio", "Kept bio"),
            ("expertise", ""),
            ("hourly_rate", "lots"),
            ("max_mentees", "2"),
            ("exp_company_0", "Acme"),
            ("exp_start_0", "2020-01-01"),
            ("exp_end_0", "2019-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Kept bio") && html.contains("Enter a whole number."),
        "{html}"
    );
    // An experience row's errors are beside its own inputs too.
    for field in ["title", "end"] {
        assert!(
            html.contains(&format!(
                "<p class=\"field-error\" id=\"exp_{field}_0-error\">"
            )),
            "{field}: {html}"
        );
    }
    assert!(
        html.contains("aria-describedby=\"exp_end_0-error\""),
        "{html}"
    );

    let res = c
        .post(app.url("/settings/mentor"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("bio", "Twenty years of shipping software."),
            ("expertise", "Backend, Career Growth"),
            ("skills", "rust, sql"),
            ("industries", "fintech"),
            ("company", "Acme"),
            ("title", "CTO"),
            ("hourly_rate", "45"),
            ("max_mentees", "2"),
            ("is_public", "on"),
            ("exp_company_0", "Acme"),
            ("exp_title_0", "CTO"),
            ("exp_start_0", "2015-01-01"),
            ("exp_end_0", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, "/settings/mentor").await;
    assert!(html.contains("waiting for an admin"), "{html}");
    assert!(html.contains("backend, career growth"));

    mentorhub::service::admin::create_admin(app.ctx(), "boss@example.com", "boss password 1")
        .await
        .unwrap();
    let a = sign_in(&app, "boss@example.com", "boss password 1").await;
    let (_, html) = text(&a, &app, "/admin/applications").await;
    assert!(html.contains("Twenty years of shipping software."));
    assert!(
        html.contains("<dt>Industries</dt><dd>fintech</dd>")
            && html.contains("CTO at Acme, 2015-01 to now"),
        "the admin reads the whole application: {html}"
    );
    let me = mentorhub::store::users::by_email(&app.ctx().db.pool, "applicant@example.com")
        .await
        .unwrap()
        .unwrap();
    let res = a
        .post(app.url(&format!("/admin/applications/{}/approve", me.id)))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The same form sent again (Back, or a second tab): the queue, saying so.
    let again = a
        .post(app.url(&format!("/admin/applications/{}/approve", me.id)))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(again.headers()["location"], "/admin/applications");
    let (_, queue) = text(&a, &app, "/admin/applications").await;
    assert!(
        queue.contains("That application was answered already"),
        "{queue}"
    );
    let (_, html) = text(&client(), &app, "/mentorship/find?q=shipping").await;
    assert!(
        html.contains(&format!("/mentors/{}", me.id)),
        "listed after approval"
    );
    // An approved mentor's card offers to withdraw the approval, asking first, not
    // to "reject" an application already decided.
    let (_, approved) = text(&a, &app, "/admin/applications?status=approved").await;
    assert!(
        approved.contains(">Withdraw approval</button>")
            && approved.contains("data-confirm=\"Withdraw ")
            && !approved.contains(">Reject</button>"),
        "{approved}"
    );
    // Every order the search knows is offered, the chosen one kept.
    let (_, html) = text(&client(), &app, "/mentorship/find?q=shipping&sort=soonest").await;
    assert!(
        html.contains("<option value=\"soonest\" selected>Soonest free</option>"),
        "{html}"
    );

    // The new mentor manages services on their page.
    let (status, html) = text(&c, &app, "/settings/services").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("1:1 mentoring session"),
        "the default service"
    );
    let res = c
        .post(app.url("/settings/services"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("kind", "linkedin_review"),
            ("title", "LinkedIn glow-up"),
            ("duration_minutes", "30"),
            ("credit_cost", "15"),
            ("description", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/settings/services");
    let (_, html) = text(&client(), &app, &format!("/mentors/{}", me.id)).await;
    assert!(html.contains("LinkedIn glow-up"));
    // Its kind in words, and a review is written by a deadline, not met for 30 minutes.
    assert!(
        html.contains("LinkedIn review</span><br>\n      <span class=\"muted\">written, by a deadline · 15 credits"),
        "{html}"
    );
    assert!(!html.contains("linkedin review"), "{html}");
}

#[tokio::test]
async fn the_find_page_explains_bad_filters() {
    let app = TestApp::spawn().await;
    let (status, html) = text(&client(), &app, "/mentorship/find?min_rating=abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Minimum rating: A rating from 0 to 5, such as 4.5."),
        "{html}"
    );
    assert!(
        !html.contains("No mentor matches yet"),
        "a refused search found nothing because it did not run: {html}"
    );
    let (status, html) = text(&client(), &app, "/mentorship/find?q=%F0%9F%98%80").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("“😀” holds no letter or digit to search for"),
        "{html}"
    );
    let (status, html) = text(&client(), &app, "/mentorship/find?q=nobody").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No mentor matches yet"));
}

#[tokio::test]
async fn the_mentorship_hub_needs_a_session_and_lists_requests() {
    let app = TestApp::spawn().await;
    let res = client().get(app.url("/mentorship")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.register("hub@example.com").await;
    let c = sign_in(&app, "hub@example.com", "correct horse battery").await;
    let (status, html) = text(&c, &app, "/mentorship").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("You have no mentor yet"));
    let (status, html) = text(&c, &app, "/mentorship?tab=discover").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No mentors to suggest yet"));
}

/// One error pattern everywhere: all errors at once, a summary naming each field by
/// its label, the message beside the field, `aria-invalid` and `aria-describedby`.
#[tokio::test]
async fn forms_say_every_error_at_once_and_name_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.register("applicant@example.com").await;
    let c = sign_in(&app, "applicant@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, "/settings/mentor").await;
    let csrf = csrf_of(&html);
    // A number that is not one and an empty bio: both said on the first submit.
    let res = c
        .post(app.url("/settings/mentor"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("bio", ""),
            ("expertise", "backend"),
            ("hourly_rate", "lots"),
            ("max_mentees", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("2 things to fix"), "{html}");
    assert!(html.contains("href=\"#hourly_rate\">Credits per hour: Enter a whole number.</a>"));
    assert!(html.contains("href=\"#bio\">About you as a mentor: "));
    assert!(html.contains("aria-describedby=\"bio-error\"") && html.contains("id=\"bio-error\""));

    // The article editor names the field too, instead of a bare "required" banner.
    let mentor = app
        .approved_mentor(
            &admin,
            "writer@example.com",
            mentor_profile(&["x"], &[], 10),
        )
        .await;
    let _ = mentor;
    let w = sign_in(&app, "writer@example.com", "correct horse battery").await;
    let (_, html) = text(&w, &app, "/articles/new").await;
    let res = w
        .post(app.url("/articles/new"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("title", ""),
            ("content", "Body"),
            ("visibility", "public"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("href=\"#title\">Title: Give the article a title.</a>"),
        "{html}"
    );
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"title-error\""));
}

/// Search forgives: any word matches (more words rank higher), the page says how many
/// it found and which of each mentor's skills matched, and "Free this week" keeps
/// only mentors with free time in the coming seven days.
#[tokio::test]
async fn search_matches_any_word_counts_and_shows_what_matched() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // Names that do not themselves match the words (a name is searched too).
    let rusty = app
        .approved_mentor(
            &admin,
            "amy@example.com",
            mentor_profile(&["backend"], &["rust"], 10),
        )
        .await;
    app.approved_mentor(
        &admin,
        "both@example.com",
        mentor_profile(&["programming"], &["rust"], 10),
    )
    .await;
    app.approved_mentor(
        &admin,
        "other@example.com",
        mentor_profile(&["design"], &["figma"], 10),
    )
    .await;
    let (_, api) = app.get("/api/v1/mentors?q=Rust%20programming", None).await;
    let names: Vec<&str> = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["last_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names.len(), 2, "any word: {api}");
    assert_eq!(names[0], "both", "both words rank first: {names:?}");

    let c = client();
    let (_, html) = text(&c, &app, "/mentorship/find?q=rust").await;
    assert!(html.contains("2 mentors found for “rust”."), "{html}");
    assert!(html.contains("Matches your search: <mark>rust</mark>"));
    let (_, html) = text(&c, &app, "/mentorship/find?q=nothing-like-it").await;
    assert!(html.contains("No mentor found"));

    // Free this week: only the mentor with hours open.
    app.set_availability(&rusty, crate::support::weekdays_nine_to_five("UTC"))
        .await;
    let (_, html) = text(&c, &app, "/mentorship/find?q=rust&week=on").await;
    assert!(html.contains("1 mentor found"), "{html}");
    assert!(html.contains(&format!("/mentors/{}", rusty.user_id)));
}

/// The find page offers the real vocabulary as choices (expertise and industry as
/// lists, skills as ticks, with how many mentors carry each), a price range, and
/// keeps what was chosen.
#[tokio::test]
async fn the_find_page_offers_the_vocabulary_and_a_price_range() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let rusty = app
        .approved_mentor(
            &admin,
            "amy@example.com",
            mentor_profile(&["backend"], &["rust", "sql"], 40),
        )
        .await;
    let cheap = app
        .approved_mentor(
            &admin,
            "bob@example.com",
            mentor_profile(&["backend"], &["rust"], 10),
        )
        .await;
    let c = client();
    let (_, html) = text(&c, &app, "/mentorship/find").await;
    assert!(
        html.contains(r#"<option value="backend">backend (2)</option>"#),
        "{html}"
    );
    assert!(html.contains(
        r#"<input type="checkbox" name="skill" value="rust"> rust <span class="muted">2</span>"#
    ));
    assert!(html.contains(r#"name="min_rate""#) && html.contains(r#"name="max_rate""#));
    assert!(!html.contains("<details open>"), "no filter: closed");

    // Two ticks: both must match; the ticks stay ticked.
    let (_, html) = text(&c, &app, "/mentorship/find?skill=rust&skill=sql").await;
    assert!(html.contains("1 mentor found"), "{html}");
    assert!(html.contains(&format!("/mentors/{}", rusty.user_id)));
    assert!(html.contains(r#"value="sql" checked"#));
    assert!(html.contains("<details open>"));
    // The API's comma form still works and shows as ticks.
    let (_, html) = text(&c, &app, "/mentorship/find?skills=rust,%20SQL").await;
    assert!(html.contains("1 mentor found"), "{html}");
    assert!(html.contains(r#"value="sql" checked"#));

    // A price range.
    let (_, html) = text(&c, &app, "/mentorship/find?min_rate=5&max_rate=20").await;
    assert!(html.contains("1 mentor found"), "{html}");
    assert!(html.contains(&format!("/mentors/{}", cheap.user_id)));
    let (status, html) = text(&c, &app, "/mentorship/find?min_rate=30&max_rate=20").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Price from: The lowest price is above the highest."),
        "{html}"
    );
}

/// Posts a form and returns the status and the page.
async fn post_form(
    c: &Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let res = c.post(app.url(path)).form(form).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The older forms (sign-up, settings, learning profile, services, the mentorship
/// request) follow the same error pattern: every error at once in a summary that
/// names each field, the message beside the field, `aria-invalid` and
/// `aria-describedby`, typed input kept.
#[tokio::test]
async fn older_forms_follow_the_error_pattern_and_keep_what_was_typed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let c = client();
    let (_, html) = text(&c, &app, "/signup").await;
    let (status, html) = post_form(
        &c,
        &app,
        "/signup",
        &[
            ("csrf", csrf_of(&html).as_str()),
            ("first_name", ""),
            ("last_name", "Lovelace"),
            ("email", "ada@example.com"),
            ("password", "short"),
            ("timezone", "Europe/London"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("2 things to fix"), "{html}");
    assert!(html.contains("href=\"#first_name\">First name: "));
    assert!(html.contains("href=\"#password\">Password: "));
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"password-error\""));
    assert!(html.contains("id=\"password-error\""));
    assert!(
        html.contains("value=\"ada@example.com\""),
        "typed input kept"
    );
    assert!(html.contains("aria-invalid=\"false\" name=\"email\""));

    // Settings: the summary shows in the form that failed, naming the fields.
    app.register("sam@example.com").await;
    let c = sign_in(&app, "sam@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, "/settings").await;
    let csrf = csrf_of(&html);
    let (status, html) = post_form(
        &c,
        &app,
        "/settings/profile",
        &[
            ("csrf", csrf.as_str()),
            ("first_name", ""),
            ("last_name", "Sample"),
            ("headline", "Typed headline"),
            ("avatar_url", "not a url"),
            ("timezone", "UTC"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("2 things to fix"), "{html}");
    assert!(html.contains("href=\"#avatar_url\">Photo URL: "));
    assert!(html.contains("value=\"Typed headline\""));
    let (status, html) = post_form(
        &c,
        &app,
        "/settings/password",
        &[
            ("csrf", csrf.as_str()),
            ("current_password", "wrong"),
            ("new_password", "another long phrase"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let summary = html.find("id=\"error-summary\"").expect("a summary");
    assert!(
        summary > html.find("action=\"/settings/password\"").unwrap(),
        "in the password form"
    );
    assert!(html.contains("href=\"#current_password\">Current password: "));
    // A password longer than allowed is refused in words, never cut short: the field
    // has no maxlength for a browser to cut a pasted password at.
    assert!(!html.contains("maxlength=\"128\""), "{html}");
    let long = "a".repeat(200);
    let (status, html) = post_form(
        &c,
        &app,
        "/settings/password",
        &[
            ("csrf", csrf.as_str()),
            ("current_password", "correct horse battery"),
            ("new_password", long.as_str()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("href=\"#new_password\">New password: "),
        "{html}"
    );

    // The learning profile.
    let many = (0..25)
        .map(|i| format!("goal {i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let (status, html) = post_form(
        &c,
        &app,
        "/settings/mentee",
        &[
            ("csrf", csrf.as_str()),
            ("bio", "Typed bio"),
            ("goals", &many),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("href=\"#goals\">Goals: "), "{html}");
    assert!(html.contains(">Typed bio</textarea>"));

    // Services: a new one and an existing one, each shown as typed with its errors.
    let mentor = app
        .approved_mentor(&admin, "mia@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    let m = sign_in(&app, "mia@example.com", "correct horse battery").await;
    let (_, html) = text(&m, &app, "/settings/services").await;
    let csrf = csrf_of(&html);
    let (status, html) = post_form(
        &m,
        &app,
        "/settings/services",
        &[
            ("csrf", csrf.as_str()),
            ("kind", "custom"),
            ("title", ""),
            ("duration_minutes", "30"),
            ("credit_cost", "lots"),
            ("description", "Typed description"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(
            "href=\"#new-credit_cost\">Credits: Enter the credits as a whole number.</a>"
        ),
        "{html}"
    );
    assert!(html.contains("aria-describedby=\"new-credit_cost-error\""));
    // The missing title is said at once too, before the credits (the form's order).
    let (title_at, credits_at) = (
        html.find("href=\"#new-title\">")
            .expect("the title's error in the summary"),
        html.find("href=\"#new-credit_cost\">").unwrap(),
    );
    assert!(title_at < credits_at, "{html}");
    assert!(html.contains(">Typed description</textarea>"));
    assert!(html.contains("<option value=\"custom\" selected>"));
    let row = html
        .split("action=\"/settings/services/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let (status, html) = post_form(
        &m,
        &app,
        &format!("/settings/services/{row}"),
        &[
            ("csrf", csrf.as_str()),
            ("kind", "session"),
            ("title", "Renamed"),
            ("duration_minutes", "3"),
            ("credit_cost", "10"),
            ("active", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!("href=\"#s{row}-duration_minutes\">Minutes: ")),
        "{html}"
    );
    assert!(html.contains("value=\"Renamed\""), "typed input kept");
    assert_eq!(html.matches("id=\"error-summary\"").count(), 1);

    // The mentorship request names its one field.
    let path = format!("/mentors/{}", mentor.user_id);
    let (_, page) = text(&c, &app, &path).await;
    let (status, html) = post_form(
        &c,
        &app,
        &format!("{path}/request"),
        &[("csrf", csrf_of(&page).as_str()), ("message", "  ")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("href=\"#message\">Introduce yourself: "),
        "{html}"
    );
    assert!(html.contains("aria-describedby=\"message-hint message-error\""));
}

/// A mentor's experience reads as a CV does ("Aug 2011 – now"), not as stored dates.
#[tokio::test]
async fn experience_periods_read_as_months() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut profile = crate::support::mentor_profile(&["rust"], &[], 10);
    profile["experience"] = serde_json::json!([
        {"company": "Hooli", "title": "Engineer", "start_date": "2011-08-01", "end_date": "2015-02-01"},
        {"company": "Pied Piper", "title": "CTO", "start_date": "2015-03-01"}
    ]);
    let m = app.approved_mentor(&admin, "cv@example.com", profile).await;
    let (_, html) = text(&client(), &app, &format!("/mentors/{}", m.user_id)).await;
    assert!(html.contains("Aug 2011 – Feb 2015"), "{html}");
    assert!(html.contains("Mar 2015 – now"), "{html}");
    assert!(!html.contains("2011-08-01"));
}

/// A later page of mentors says which ones it shows and leads back to the first.
#[tokio::test]
async fn a_later_page_of_mentors_leads_back_to_the_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for i in 0..25 {
        app.approved_mentor(
            &admin,
            &format!("m{i}@example.com"),
            mentor_profile(&["pagination"], &[], 10),
        )
        .await;
    }
    let (_, first) = text(&client(), &app, "/mentorship/find?expertise=pagination").await;
    assert!(!first.contains("Back to the first page"), "{first}");
    let start = first
        .find("/mentorship/find?expertise=pagination&#38;cursor=")
        .expect("a next page");
    let next = first[start..start + first[start..].find('"').unwrap()].replace("&#38;", "&");
    let (_, second) = text(&client(), &app, &next).await;
    assert!(second.contains("Mentors 25–25 of 25"), "{second}");
    assert!(
        second
            .contains("href=\"/mentorship/find?expertise=pagination\">Back to the first page</a>"),
        "{second}"
    );
    assert!(!second.contains(">More mentors</a>"), "{second}");
}

/// The profile's "credits per hour" is what the mentor's page and search's price filter
/// show, while a booking costs its service's price: the profile form says when the two
/// disagree (a service repriced after approval), and says nothing while they agree.
#[tokio::test]
async fn the_profile_says_when_its_hourly_rate_is_not_what_the_calls_cost() {
    let app = crate::support::TestApp::spawn().await;
    let admin = app.admin().await;
    let m = app
        .approved_mentor(
            &admin,
            "rate@example.com",
            crate::support::mentor_profile(&["x"], &[], 40),
        )
        .await;
    let c = sign_in(&app, "rate@example.com", "correct horse battery").await;
    let (_, page) = text(&c, &app, "/settings/mentor").await;
    assert!(page.contains("value=\"40\""), "{page}");
    assert!(
        page.contains("changing this figure does not change them.")
            && !page.contains("Your video calls cost"),
        "they agree: only what the figure is for: {page}"
    );
    let (_, services) = app.get("/api/v1/me/services", m.token()).await;
    let id = services["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{services}"))
        .to_string();
    let (status, s) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/me/services/{id}"),
            m.token(),
            Some(serde_json::json!({"duration_minutes": 30, "credit_cost": 30})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let (_, page) = text(&c, &app, "/settings/mentor").await;
    assert!(
        page.contains(
            "Your video calls cost 60 credits an hour at their own prices, which is what a \
             booking costs; this figure is what your page and search&#39;s price filter show."
        ),
        "{page}"
    );
}
