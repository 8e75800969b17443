//! `/dashboard` (the mentee's and, for mentors, the mentor's view), `/admin/stats`
//! (platform figures) and `/admin/audit` (the audit log). Same figures as the JSON
//! API; charts are inline SVG with a table beside them as the text alternative.

use askama::Template;
use axum::{Router, extract::State, http::Uri, routing::get};
use jiff::Timestamp;
use serde::Deserialize;

use super::{Layout, PageResult, WebCtx, admin::require_admin, page_query};
use crate::{
    domain::stats::{Point, bar_chart_svg, stacked_bar_chart_svg},
    http::AppState,
    service::dashboard::AuditFilter,
    service::dashboard::{self, AdminStats, Dashboard, StatusSeries},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard_page))
        .route("/admin/stats", get(stats_page))
        .route("/admin/audit", get(audit_page))
}

/// A chart with its text alternative: a table of the weeks (one value column, or
/// one per layer and a total) and, for stacked charts, a legend.
pub struct Chart {
    pub id: String,
    pub title: String,
    pub svg: String,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<i64>)>,
    /// (CSS class of the swatch, label).
    pub legend: Vec<(String, String)>,
    pub total: i64,
    /// What the weeks cover ("last 26 weeks").
    pub period: String,
}

impl Chart {
    /// The total as people read it: "12,400".
    pub fn total_said(&self) -> String {
        crate::domain::text::grouped(self.total)
    }
}

pub(super) fn chart(id: &str, title: &str, unit: &str, points: &[Point]) -> Chart {
    Chart {
        id: id.into(),
        title: title.into(),
        svg: bar_chart_svg(id, title, unit, points),
        // The unit as a heading: "sessions" → "Sessions".
        columns: vec![{
            let mut c = unit.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }],
        rows: points
            .iter()
            .map(|p| (p.week.clone(), vec![p.value]))
            .collect(),
        legend: vec![],
        total: points.iter().map(|p| p.value).sum(),
        period: format!("last {} weeks", points.len()),
    }
}

/// Bookings per week stacked by status. Every status keeps its layer index (so its
/// colour) whether or not it occurs; the legend and the table list those that do.
fn status_chart(id: &str, title: &str, unit: &str, series: &[StatusSeries]) -> Chart {
    let weeks: Vec<String> = series
        .first()
        .map(|s| s.points.iter().map(|p| p.week.clone()).collect())
        .unwrap_or_default();
    let label = |s: &StatusSeries| s.status.replace('_', " ");
    let layers: Vec<(String, Vec<i64>)> = series
        .iter()
        .map(|s| (label(s), s.points.iter().map(|p| p.value).collect()))
        .collect();
    let present: Vec<usize> = (0..layers.len())
        .filter(|k| layers[*k].1.iter().any(|v| *v != 0))
        .collect();
    let mut columns: Vec<String> = present.iter().map(|k| layers[*k].0.clone()).collect();
    columns.push("Total".into());
    let rows = weeks
        .iter()
        .enumerate()
        .map(|(w, week)| {
            let mut values: Vec<i64> = present
                .iter()
                .map(|k| layers[*k].1.get(w).copied().unwrap_or(0))
                .collect();
            values.push(values.iter().sum());
            (week.clone(), values)
        })
        .collect();
    Chart {
        id: id.into(),
        title: title.into(),
        svg: stacked_bar_chart_svg(id, title, unit, &weeks, &layers),
        columns,
        rows,
        legend: present
            .iter()
            .map(|k| (format!("seg-{k}"), layers[*k].0.clone()))
            .collect(),
        total: layers.iter().flat_map(|l| l.1.iter()).sum(),
        period: format!("last {} weeks", weeks.len()),
    }
}

/// "in 2 days", "in 3 h 20 min", "now".
fn countdown(minutes: i64) -> String {
    match minutes {
        m if m <= 0 => "now".into(),
        m if m < 60 => format!("in {m} min"),
        m if m < 24 * 60 => format!("in {} h {} min", m / 60, m % 60),
        m => {
            let d = m / (24 * 60);
            format!("in {d} day{}", if d == 1 { "" } else { "s" })
        }
    }
}

/// Minutes as hours, to the hundredth and without trailing zeros: 90 is "1.5", 15 is
/// "0.25", 20 is "0.33" (a quarter hour is not "0.2").
fn hours(minutes: i64) -> String {
    if minutes % 60 == 0 {
        return format!("{}", minutes / 60);
    }
    let s = format!("{:.2}", minutes as f64 / 60.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A request waiting for the mentor's answer.
struct WaitingLine {
    from: String,
    /// The asker's mentee profile.
    from_href: String,
    title: String,
    link: String,
    age: String,
    hours: i64,
}

struct SessionRow {
    /// The booking's page, or the group session's.
    href: String,
    title: String,
    /// "group session, 3 of the seats taken" for a group session (else empty).
    group: String,
    /// The other person's profile (mentor page or mentee page); empty for a group
    /// session the viewer leads.
    with_href: String,
    with_name: String,
    when: String,
    countdown: String,
    status: String,
    link: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    first_name: String,
    /// The member's application to mentor was refused (they see the mentee's view).
    application_refused: bool,
    my_id: String,
    is_admin: bool,
    /// What people would like to know and the profile does not say yet ("a headline"),
    /// empty when nothing is missing.
    profile_missing: String,
    d: Dashboard,
    sessions: Vec<SessionRow>,
    hours_received: String,
    hours_given: String,
    charts: Vec<Chart>,
    /// For mentors: (published, drafts, views).
    article_stats: Option<(i64, i64, i64)>,
    rating_rows: Vec<(i64, i64, i64)>,
    waiting: Vec<WaitingLine>,
    /// A new mentor's setup: (done, what, where to do it); empty once all are done.
    checklist: Vec<(bool, &'static str, &'static str)>,
    checklist_done: usize,
    /// What the steps left mean for being booked.
    checklist_note: &'static str,
}

/// A coming session as the dashboard lists it.
fn session_row(web: &WebCtx, s: &dashboard::SessionItem, tz: &jiff::tz::TimeZone) -> SessionRow {
    let group = s.kind == "group";
    SessionRow {
        href: if group {
            format!("/group-sessions/{}", s.id)
        } else {
            format!("/bookings/{}", s.id)
        },
        title: s.title.clone(),
        group: s.group_label().unwrap_or_default(),
        with_href: match s.with_role.as_str() {
            _ if s.with_id.is_empty() => String::new(),
            "mentor" => format!("/mentors/{}", s.with_id),
            _ => format!("/mentees/{}", s.with_id),
        },
        with_name: s.with_name.clone(),
        when: s
            .start
            .parse::<Timestamp>()
            .map(|t| web.when(t, tz))
            .unwrap_or_default(),
        countdown: countdown(s.starts_in_minutes),
        status: s.status.clone(),
        link: s.meeting_link.clone().unwrap_or_default(),
    }
}

async fn dashboard_page(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    let mut d = dashboard::for_user(&state.ctx, &me).await?;
    // A refused application leaves a member, not a mentor: the mentee's dashboard, with
    // a word on where to apply again (no mentor figures, no setup steps).
    let application_refused = d.mentor.as_ref().is_some_and(|m| m.status == "rejected");
    if application_refused {
        d.mentor = None;
    }
    let tz = super::zone_of(Some(&me));
    let sessions = d
        .upcoming
        .iter()
        .map(|s| session_row(&web, s, &tz))
        .collect();
    let (charts, article_stats, rating_rows, waiting, hours_given) = match &d.mentor {
        None => (vec![], None, vec![], vec![], String::new()),
        Some(m) => {
            let stats = crate::service::articles::author_stats(&state.ctx, &me.id)
                .await
                .ok();
            let max = m
                .rating
                .distribution
                .iter()
                .copied()
                .max()
                .unwrap_or(0)
                .max(1);
            let rating_rows = (1..=5)
                .rev()
                .map(|stars| {
                    let n = m.rating.distribution[stars as usize - 1];
                    (stars, n, max)
                })
                .collect();
            let waiting = m
                .waiting
                .iter()
                .map(|w| {
                    let link = if w.kind == "booking" {
                        format!("/bookings/{}", w.id)
                    } else {
                        "/mentorship".to_string()
                    };
                    let age = if w.waiting_hours < 1 {
                        "under an hour".to_string()
                    } else if w.waiting_hours < 48 {
                        format!("{} h", w.waiting_hours)
                    } else {
                        format!("{} days", w.waiting_hours / 24)
                    };
                    // A session says when; a series how many, how often, from when.
                    let first = w
                        .starts_at
                        .as_deref()
                        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                        .map(|t| web.when(t, &tz));
                    let when = match (first, w.sessions) {
                        (Some(t), 1) => format!(", {t}"),
                        (Some(t), n) => format!(
                            ", {n} sessions {} from {t}",
                            if w.every_weeks == Some(2) {
                                "every two weeks"
                            } else {
                                "weekly"
                            }
                        ),
                        (None, _) => String::new(),
                    };
                    WaitingLine {
                        from: w.from_name.clone(),
                        from_href: format!("/mentees/{}", w.from_id),
                        title: format!("{}{when}", w.title),
                        link,
                        age,
                        hours: w.waiting_hours,
                    }
                })
                .collect();
            (
                vec![
                    chart(
                        "sessions-chart",
                        "Sessions per week",
                        "sessions",
                        &m.sessions_per_week,
                    ),
                    chart(
                        "earnings-chart",
                        "Credits earned per week",
                        "credits",
                        &m.earnings_per_week,
                    ),
                    chart(
                        "views-chart",
                        "Article views per week",
                        "views",
                        &m.article_views_per_week,
                    ),
                ],
                stats,
                rating_rows,
                waiting,
                hours(m.minutes_given),
            )
        }
    };
    let checklist = match &d.mentor {
        Some(m) => setup_checklist(&state, &me, &m.status).await?,
        None => vec![],
    };
    let page = DashboardPage {
        layout: web.layout(),
        checklist_done: checklist.iter().filter(|c| c.0).count(),
        // Every step but the photo is needed before a mentee can book.
        checklist_note: match (
            checklist.first().is_some_and(|c| c.0),
            checklist.iter().take(3).all(|c| c.0),
        ) {
            (_, true) => "Mentees can book you now; a photo helps them choose you.",
            (true, false) => {
                "Mentees find you in search now, and can book you once your weekly hours \
                 are open and you offer a service."
            }
            (false, _) => {
                "Mentees find you in search once you are approved, and can book you once \
                 your weekly hours are open and you offer a service."
            }
        },
        application_refused,
        checklist: if checklist.iter().all(|c| c.0) {
            vec![]
        } else {
            checklist
        },
        first_name: me.first_name.clone(),
        my_id: me.id.to_string(),
        is_admin: web.is_admin(),
        profile_missing: profile_missing(&state, &me).await?,
        hours_received: hours(d.mentee.minutes_received),
        hours_given,
        sessions,
        charts,
        article_stats,
        rating_rows,
        waiting,
        d,
    };
    Ok(web.render(&state, &page))
}

/// What the dashboard's "Your profile" box asks for: a headline, and a bio unless one
/// is written somewhere (the account's, the learning profile's, the mentor profile's).
async fn profile_missing(
    state: &AppState,
    me: &crate::service::accounts::UserRow,
) -> Result<String, crate::error::AppError> {
    let mut bio = !me.bio.trim().is_empty();
    if !bio {
        // The learning profile's "about me", or the account's when that is empty.
        bio = !crate::service::mentees::detail(&state.ctx, me, &me.id)
            .await?
            .bio
            .trim()
            .is_empty();
    }
    if !bio {
        bio = crate::service::mentors::my_profile(&state.ctx, me)
            .await?
            .is_some_and(|p| !p.bio.trim().is_empty());
    }
    let missing: Vec<&str> = [
        (me.headline.trim().is_empty(), "a headline"),
        (!bio, "a short bio"),
    ]
    .into_iter()
    .filter(|(m, _)| *m)
    .map(|(_, what)| what)
    .collect();
    Ok(missing.join(" and "))
}

/// What a mentor still has to do before mentees can book them, then what helps them be
/// chosen (the photo, last: bookings do not wait for it): (done, what, where).
async fn setup_checklist(
    state: &AppState,
    me: &crate::service::accounts::UserRow,
    status: &str,
) -> Result<Vec<(bool, &'static str, &'static str)>, crate::error::AppError> {
    let hours = !crate::service::availability::get(&state.ctx, me)
        .await?
        .weekly
        .is_empty();
    let services = crate::service::mentors::my_services(&state.ctx, me)
        .await?
        .iter()
        .any(|s| s.active);
    Ok(vec![
        (
            status == "approved",
            "Have your mentor profile approved",
            "/settings/mentor",
        ),
        (hours, "Open your weekly hours", "/settings/availability"),
        (services, "Offer a service", "/settings/services"),
        (!me.avatar_url.is_empty(), "Add a photo", "/settings"),
    ])
}

#[derive(Template)]
#[template(path = "admin_stats.html")]
struct StatsPage {
    layout: Layout,
    s: AdminStats,
    charts: Vec<Chart>,
    /// What the configuration leaves off that a site people use needs.
    setup: Vec<String>,
}

impl StatsPage {
    /// A total as people read it ("14,100").
    fn n(&self, v: &i64) -> String {
        crate::domain::text::grouped(*v)
    }
}

async fn stats_page(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = require_admin(&state, &web)?;
    let s = dashboard::admin_stats(&state.ctx, &me).await?;
    let charts = vec![
        chart(
            "signups-chart",
            "Sign-ups per week",
            "sign-ups",
            &s.series.signups,
        ),
        chart(
            "mentors-chart",
            "Mentors approved per week",
            "mentors",
            &s.series.mentors_approved,
        ),
        status_chart(
            "bookings-chart",
            "Bookings requested per week, by status",
            "bookings",
            &s.series.bookings_by_status,
        ),
        chart(
            "granted-chart",
            "Credits granted or bought per week",
            "credits",
            &s.series.credits_granted,
        ),
        chart(
            "spent-chart",
            "Credits paid to mentors per week",
            "credits",
            &s.series.credits_spent,
        ),
        chart(
            "messages-chart",
            "Messages per week",
            "messages",
            &s.series.messages,
        ),
    ];
    Ok(web.render(
        &state,
        &StatsPage {
            layout: web.layout(),
            s,
            charts,
            setup: state.ctx.config.setup_gaps(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    cursor: String,
}

struct AuditRow {
    when: String,
    actor: String,
    action: String,
    target: String,
    /// The user acted on, in the users list (empty for other targets).
    target_href: String,
    change: Vec<String>,
}

/// The audit log's actions (their codes, as the API filters by) in words, in the
/// order the page's filter lists them.
const ACTIONS: &[(&str, &str)] = &[
    ("user.suspend", "account suspended"),
    ("user.unsuspend", "account restored"),
    ("user.set_roles", "roles changed"),
    ("user.admin_create", "administrator created (command line)"),
    ("mentor.approve", "mentor application approved"),
    ("mentor.reject", "mentor application refused"),
    ("credits.grant", "credits granted"),
    ("credit_request.grant", "credit request granted"),
    ("credit_request.decline", "credit request declined"),
    // What was done (removed, suspended) follows from the target beside it.
    ("report.action", "report upheld"),
    ("report.dismiss", "report dismissed"),
    ("dispute.grant", "dispute granted"),
    ("dispute.reject", "dispute rejected"),
    ("article.unpublish", "article unpublished"),
    ("article.delete", "article deleted"),
    ("comment.delete", "comment deleted"),
    ("payment.refund", "payment refunded"),
    ("payment.flag_resolved", "payment flag resolved"),
    ("program.created", "program created"),
    ("program.updated", "program changed"),
    ("program.funded", "program funded"),
    ("program.manager_added", "program manager added"),
    ("program.manager_removed", "program manager removed"),
    ("program.nudges_set", "program reminders set"),
    ("program.proposals_computed", "program pairs proposed"),
    ("program.paired_by_hand", "program pair made by hand"),
    ("program.published", "program published"),
    ("program.open", "program opened for applications"),
    ("program.start", "program started"),
    ("program.complete", "program completed"),
    ("program.cancel", "program cancelled"),
    ("program.pairing_removed", "program pair removed"),
    ("program.pairings_swapped", "program pairs swapped"),
    ("program.self_matched", "program member chose a mentor"),
    ("program.saved_as_template", "program saved as a template"),
    ("job.retry", "job retried"),
];

/// The action filter as typed: an action's words as the page shows them ("credit
/// request granted") stand for its code; anything else is read as a code or its
/// start, a space for a `.` or `_` ("credit request grant", "user.").
fn action_code(typed: &str) -> String {
    let typed = typed.trim();
    ACTIONS
        .iter()
        .find(|(_, label)| label.eq_ignore_ascii_case(typed))
        .map_or_else(|| typed.to_string(), |(code, _)| (*code).to_string())
}

/// An audit entry's action in words ("report upheld"); one
/// [`ACTIONS`] does not know reads as its code with spaces.
pub fn action_label(action: &str) -> String {
    ACTIONS
        .iter()
        .find(|(code, _)| *code == action)
        .map_or_else(
            || action.replace(['.', '_'], " "),
            |(_, l)| (*l).to_string(),
        )
}

/// An audit entry's change in words: "suspended: no → yes", "reason: Spam", one line
/// a field (what the entry's JSON holds before and after).
pub fn describe_change(before: &str, after: &str) -> Vec<String> {
    use serde_json::Value;
    let parse = |s: &str| match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let (before, after) = (parse(before), parse(after));
    let say = |v: &Value| match v {
        Value::Bool(true) => "yes".to_string(),
        Value::Bool(false) => "no".to_string(),
        Value::String(s) if s.is_empty() => "(empty)".to_string(),
        Value::String(s) => s.clone(),
        Value::Null => "(none)".to_string(),
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    let mut keys: Vec<&String> = after.keys().collect();
    keys.extend(before.keys().filter(|k| !after.contains_key(*k)));
    // Ids are for the record: an entry that also says something in words ("mentor:
    // Ada Lovelace" beside "mentor_id") is read by its words alone.
    if keys.iter().any(|k| !k.ends_with("_id")) {
        keys.retain(|k| !k.ends_with("_id"));
    }
    keys.into_iter()
        .map(|k| {
            let name = k.replace('_', " ");
            match (before.get(k), after.get(k)) {
                (Some(b), Some(a)) if b != a => format!("{name}: {} → {}", say(b), say(a)),
                // A field left empty says nothing ("reason: (empty)" on an approval).
                (None, Some(Value::String(a))) if a.is_empty() => String::new(),
                (_, Some(a)) => format!("{name}: {}", say(a)),
                (Some(b), None) => format!("{name} was {}", say(b)),
                (None, None) => String::new(),
            }
        })
        .filter(|line| !line.is_empty())
        .collect()
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    layout: Layout,
    /// The filter's choices: (code, words).
    actions: &'static [(&'static str, &'static str)],
    action: String,
    target: String,
    /// The email typed is nobody's.
    unknown_email: bool,
    rows: Vec<AuditRow>,
    next: Option<String>,
    /// On a later page: the first page of the same filter.
    first: Option<String>,
}

async fn audit_page(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let me = require_admin(&state, &web)?;
    let q: AuditQuery = page_query(&uri);
    let tz = super::zone_of(Some(&me));
    let limit = 100;
    // The box takes a person's email (what they did and what was done to them) or the
    // id of what was acted on.
    let typed = q.target.trim();
    let (person_id, target_id, unknown_email) = if typed.contains('@') {
        match dashboard::person_by_email(&state.ctx, &me, typed).await? {
            Some(id) => (Some(id), None, false),
            None => (None, None, true),
        }
    } else {
        (
            None,
            Some(typed.to_string()).filter(|s| !s.is_empty()),
            false,
        )
    };
    let f = AuditFilter {
        action: Some(action_code(&q.action)).filter(|s| !s.is_empty()),
        actor_id: None,
        target_id,
        person_id,
        before_id: Some(q.cursor.clone()).filter(|s| !s.is_empty()),
        limit: limit + 1,
    };
    let mut rows = if unknown_email {
        vec![]
    } else {
        dashboard::audit(&state.ctx, &me, &f).await?
    };
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            format!(
                "/admin/audit?action={}&target={}&cursor={}",
                super::urlencode(&q.action),
                super::urlencode(&q.target),
                r.id
            )
        })
    } else {
        None
    };
    let page = AuditPage {
        layout: web.layout(),
        actions: ACTIONS,
        action: q.action.clone(),
        target: q.target.clone(),
        unknown_email,
        rows: rows
            .iter()
            .map(|r| AuditRow {
                when: web.when(r.created_at, &tz),
                actor: match (r.actor_name.trim(), &r.actor_email) {
                    (_, None) => "the system".into(),
                    ("", Some(email)) => email.clone(),
                    (name, Some(email)) => format!("{name} ({email})"),
                },
                action: action_label(&r.action),
                target: if !r.target_email.is_empty() {
                    format!("{} ({})", r.target_name.trim(), r.target_email)
                } else if !r.target_title.is_empty() {
                    format!("{} “{}”", r.target_type, r.target_title)
                } else {
                    format!("{} {}", r.target_type, r.target_id)
                },
                target_href: match (r.target_type.as_str(), r.target_email.is_empty()) {
                    (_, false) => format!("/admin/users/{}", r.target_id),
                    ("program", true) => format!("/programs/{}", r.target_id),
                    ("booking", true) => format!("/admin/bookings/{}", r.target_id),
                    ("article", true) if !r.target_slug.is_empty() => {
                        format!("/articles/{}", r.target_slug)
                    }
                    _ => String::new(),
                },
                change: describe_change(&r.before_json, &r.after_json),
            })
            .collect(),
        next,
        first: (!q.cursor.is_empty()).then(|| {
            format!(
                "/admin/audit?action={}&target={}",
                super::urlencode(&q.action),
                super::urlencode(&q.target)
            )
        }),
    };
    Ok(web.render(&state, &page))
}

#[cfg(test)]
mod tests {
    use super::describe_change;

    #[test]
    fn an_audit_change_reads_as_words() {
        assert_eq!(
            describe_change(
                r#"{"suspended": false}"#,
                r#"{"suspended": true, "reason": "Spam"}"#
            ),
            ["reason: Spam", "suspended: no → yes"],
            "one line a field, by name"
        );
        assert_eq!(
            describe_change(
                r#"{"roles": ["mentee"]}"#,
                r#"{"roles": ["mentee", "admin"]}"#
            ),
            ["roles: mentee → mentee, admin"]
        );
        assert_eq!(describe_change("null", r#"{"amount": 30}"#), ["amount: 30"]);
        assert_eq!(describe_change("not json", "{}"), Vec::<String>::new());
        assert_eq!(
            describe_change("null", r#"{"reason": "", "approved": true}"#),
            ["approved: yes"],
            "a field left empty says nothing"
        );
    }

    #[test]
    fn hours_are_said_to_the_hundredth() {
        for (minutes, said) in [
            (0, "0"),
            (15, "0.25"),
            (20, "0.33"),
            (90, "1.5"),
            (120, "2"),
            (45, "0.75"),
        ] {
            assert_eq!(super::hours(minutes), said, "{minutes}");
        }
    }
}
