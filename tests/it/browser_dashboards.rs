//! Browser test: each dashboard opens and its charts render with one bar per week.

use fantoccini::Locator;

use crate::support::{TestApp, browser::Browser, mentor_profile};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_dashboard_renders_its_charts() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.approved_mentor(
        &admin,
        "coach@example.com",
        mentor_profile(&["rust"], &[], 30),
    )
    .await;
    app.register("learner@example.com").await;
    let Some(b) = Browser::start().await else {
        return;
    };
    let bars = |chart: &'static str| {
        let b = &b;
        async move {
            b.client
                .find_all(Locator::Css(&format!("#{chart} rect.bar")))
                .await
                .expect("bars")
                .len()
        }
    };

    // A mentee's dashboard: no charts, helpful empty states.
    b.sign_in(&app.base, "learner@example.com", "correct horse battery")
        .await;
    assert!(b.text("#upcoming").await.contains("Find a mentor"));
    assert!(b.text("#my-mentors").await.contains("no mentor yet"));
    assert_eq!(bars("sessions-chart").await, 0);
    b.screenshot("dash-01-mentee").await;
    b.click_button("Sign out").await;
    b.wait_for_path("/").await;

    // A mentor's: three charts of 26 weeks each, with a table alternative.
    b.sign_in(&app.base, "coach@example.com", "correct horse battery")
        .await;
    for chart in ["sessions-chart", "earnings-chart", "views-chart"] {
        assert_eq!(bars(chart).await, 26, "{chart}");
    }
    let title = b.text("#sessions-chart-caption").await;
    assert!(title.contains("Sessions per week"), "{title}");
    b.screenshot("dash-02-mentor").await;
    b.click_button("Sign out").await;
    b.wait_for_path("/").await;

    // The admin console's overview: six charts.
    b.sign_in(&app.base, "root@example.com", "admin password 1")
        .await;
    b.goto(&app.url("/admin/stats")).await;
    for chart in [
        "signups-chart",
        "mentors-chart",
        "bookings-chart",
        "granted-chart",
        "spent-chart",
        "messages-chart",
    ] {
        assert_eq!(bars(chart).await, 26, "{chart}");
    }
    assert_eq!(b.text("#total-users").await, "3");
    // The tests' server has no SMTP server nor welcome credits: said first.
    let setup = b.text("#setup").await;
    assert!(
        setup.contains("No email is sent") && setup.contains("Members start with no credits"),
        "{setup}"
    );
    b.screenshot("dash-03-admin").await;
    b.goto(&app.url("/admin/audit")).await;
    assert!(
        b.text("#audit").await.contains("mentor"),
        "approvals are audited"
    );
    b.screenshot("dash-04-audit").await;
    b.close().await;
}
