//! A program walked in Chromium: an admin starts one from a template and opens it, a
//! mentor joins the pool and a mentee applies on the page (the form comes back once
//! with what is missing), two more apply, the admin funds it and makes a member its
//! manager, and the manager computes the proposals and publishes them; the mentee sees
//! their mentor on the program's page; the mentor ticks a milestone and the report
//! shows it.

use serde_json::json;

use crate::support::{TestApp, browser::Browser, mentor_profile};

const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_starts_a_program_mentees_apply_and_the_manager_publishes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let dee = app
        .approved_mentor(
            &admin,
            "dee@example.com",
            mentor_profile(&["interviews"], &["go"], 20),
        )
        .await;
    let eli = app
        .approved_mentor(
            &admin,
            "eli@example.com",
            mentor_profile(&["system design"], &[], 20),
        )
        .await;
    app.register("ana@example.com").await;
    let ben = app.register("ben@example.com").await;
    let cy = app.register("cy@example.com").await;
    app.register("max@example.com").await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.sign_in(&app.url(""), "root@example.com", "admin password 1")
        .await;
    b.goto(&app.url("/programs/new")).await;
    b.click("input[value='builtin:interview-prep']").await;
    b.fill("#f-name", "Spring interview prep").await;
    b.fill("#f-budget_per_mentee", "20").await;
    b.screenshots("programs-01-new").await;
    b.click_button("Create the draft").await;
    assert!(b.wait_for_text("created as a draft").await);
    let path = b.path().await;
    assert!(path.ends_with("/manage"), "{path}");
    let id = path
        .trim_start_matches("/programs/")
        .trim_end_matches("/manage")
        .to_string();
    b.click_button("Open it: members see it and apply").await;
    assert!(b.wait_for_text("The program's state changed").await);
    assert_eq!(b.text("#program-status").await, "open");

    // A mentor joins the pool on the page.
    let m = b.twin().await;
    m.sign_in(&app.url(""), "dee@example.com", PASSWORD).await;
    m.goto(&app.url(&format!("/programs/{id}"))).await;
    assert!(
        !m.page_has("Send my application").await,
        "a mentor is offered the pool, not the mentees' application"
    );
    m.fill("#f-m-capacity", "2").await;
    m.click("input[name='answers.interviewer'][value='Yes']")
        .await;
    m.click_button("Join the pool").await;
    assert!(m.wait_for_text("You are in the program's pool").await);
    let (status, b2) = app
        .post(
            &format!("/api/v1/programs/{id}/enrolments"),
            eli.token(),
            json!({"role": "mentor", "capacity": 1}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{b2}");

    // A mentee applies: once without the required answers, then properly.
    let a = b.twin().await;
    a.sign_in(&app.url(""), "ana@example.com", PASSWORD).await;
    a.goto(&app.url(&format!("/programs/{id}"))).await;
    a.screenshots("programs-02-apply").await;
    a.click_button("Send my application").await;
    assert!(a.wait_for_text("things to fix").await);
    assert!(a.page_has("Please answer this question.").await);
    a.screenshots("programs-03-apply-errors").await;
    a.fill("#f-answers\\.target", "Backend roles at two start-ups")
        .await;
    a.click("input[name='answers.rounds'][value='Coding']")
        .await;
    a.click("input[name='answers.rounds'][value='System design']")
        .await;
    a.fill("#f-answers\\.skills", "go, interviews").await;
    a.js(&format!(
        "document.querySelector('#f-choice1').value = '{}';",
        dee.user_id
    ))
    .await;
    a.click_button("Send my application").await;
    assert!(a.wait_for_text("Your application is in").await);
    // Two more apply through the API.
    for (s, first) in [(&ben, &dee), (&cy, &eli)] {
        let (status, body) = app
            .post(
                &format!("/api/v1/programs/{id}/enrolments"),
                s.token(),
                json!({"role": "mentee", "choices": [first.user_id],
                       "answers": {"target": "Any", "rounds": ["Behavioural"]}}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    }

    // The admin funds the program and makes Max its manager.
    b.goto(&app.url(&format!("/programs/{id}/manage#funding")))
        .await;
    b.fill("#f-credits", "60").await;
    b.fill("#f-memo", "Sponsor: Acme").await;
    b.click_button("Add funding").await;
    assert!(b.wait_for_text("Funding added").await);
    b.fill("#f-email", "max@example.com").await;
    b.click_button("Make manager").await;
    assert!(b.wait_for_text("They manage this program now").await);
    // Twice: said, and nothing changes.
    b.fill("#f-email", "MAX@example.com").await;
    b.click_button("Make manager").await;
    assert!(b.wait_for_text("They manage this program already").await);

    // The manager computes, reviews and publishes.
    let mgr = b.twin().await;
    mgr.sign_in(&app.url(""), "max@example.com", PASSWORD).await;
    mgr.goto(&app.url(&format!("/programs/{id}/manage"))).await;
    mgr.click_button("Compute proposals").await;
    assert!(mgr.wait_for_text("Proposals computed").await);
    assert!(mgr.page_has("1st choice; shares go, interviews").await);
    mgr.js("document.querySelector('#drafts').scrollIntoView();")
        .await;
    mgr.screenshots("programs-04-proposals").await;
    mgr.click_button("Publish 3 pairings").await;
    assert!(mgr.wait_for_text("Publish 3 pairings?").await);
    assert!(mgr.page_has("60 in all").await);
    mgr.click_button("Yes, publish").await;
    assert!(mgr.wait_for_text("the pairs are mentorships now").await);
    mgr.screenshots("programs-05-published").await;

    // The mentee sees her mentor, and her sponsored credits.
    a.goto(&app.url(&format!("/programs/{id}"))).await;
    assert!(a.page_has("You are matched with Test dee").await);
    a.screenshots("programs-06-matched").await;
    a.goto(&app.url("/credits")).await;
    assert!(a.page_has("from Spring interview prep").await);
    // She rates a skill: the form then shows the rating saved for the moment chosen,
    // not "Not rated" again.
    a.goto(&app.url("/mentorship?tab=mentors")).await;
    a.js("document.querySelector('a[href^=\"/mentorship/0\"]').click();")
        .await;
    assert!(a.wait_for_text("Rate yourself").await);
    a.js("document.getElementById('level-1').value = '3';")
        .await;
    a.click_button("Save my ratings").await;
    assert!(a.wait_for_text("3 of 5").await);
    assert_eq!(a.value("#level-1").await, "3", "the start's rating shown");
    a.js("document.querySelector('#skill-ratings input[value=end]').click();")
        .await;
    assert_eq!(a.value("#level-1").await, "0", "none yet at the end");
    // The mentor ticks a milestone on the mentorship's page; the report shows it.
    m.goto(&app.url("/mentorship?tab=mentees")).await;
    m.js("for (const li of document.querySelectorAll('li.card')) { if (li.textContent.includes('Test ana')) { li.querySelector('a[href^=\"/mentorship/0\"]').click(); } }")
        .await;
    assert!(m.wait_for_text("Progress report").await);
    assert!(m.page_has("0 of 5 done").await);
    m.click_button("Mark “Mock coding interview” done").await;
    assert!(m.wait_for_text("1 of 5 done").await);
    m.screenshots("programs-07-progress").await;
    mgr.goto(&app.url(&format!("/programs/{id}/report"))).await;
    assert!(mgr.wait_for_text("Report: Spring interview prep").await);
    let row = mgr.text("#pair-table tbody tr:first-child").await;
    assert!(row.contains("Test ana") && row.contains("1 of 5"), "{row}");
    mgr.screenshots("programs-08-report").await;
    // Nudges: on, and a preview of tomorrow.
    mgr.goto(&app.url(&format!("/programs/{id}/manage#nudges")))
        .await;
    mgr.click("input[name='on.unmatched']").await;
    mgr.click_button("Save the nudges").await;
    assert!(mgr.wait_for_text("The nudge rules are saved").await);
    for x in [b, m, a, mgr] {
        x.close().await;
    }
    app.assert_ledger_ok().await;
}
