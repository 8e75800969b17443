//! The admin console (users: search, suspend, roles). Later features add their queues.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri},
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    FormErrors, Layout, PageResult, WebCtx, WebForm, confirm, error_page, page_query, safe_next,
    urlencode,
};
use crate::{
    domain::{
        mentor::MentorStatus,
        user::{Role, Roles},
    },
    error::AppError,
    http::{
        AppState,
        api::{decode_cursor, encode_cursor, user_status},
        extract::path_id,
    },
    service::{
        accounts::{UserRow, UserStatus},
        admin::{self, RolesInput, SuspendInput, UserQuery},
        bookings, credits, jobs, mentors,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(console))
        .route("/admin/users/{id}", get(user_page))
        .route("/admin/bookings/{id}", get(booking_page))
        .route("/admin/users/{id}/suspend", post(suspend))
        .route("/admin/users/{id}/unsuspend", post(unsuspend))
        .route("/admin/users/{id}/roles", post(roles))
        .route("/admin/applications", get(applications))
        .route("/admin/credits", post(grant_credits))
        .route("/admin/jobs", get(jobs_page))
        .route("/admin/jobs/{id}/retry", post(retry_job))
        .route(
            "/admin/applications/{id}/approve",
            post(approve_application),
        )
        .route("/admin/applications/{id}/reject", post(reject_application))
}

struct UserLine {
    id: String,
    name: String,
    email: String,
    roles: String,
    is_mentor: bool,
    is_admin: bool,
    status: &'static str,
    joined: String,
    /// False for the admin's own row and closed accounts.
    editable: bool,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    /// This page's address with its search, where a row's actions come back to.
    here: String,
    q: String,
    role: String,
    status: String,
    users: Vec<UserLine>,
    next_href: Option<String>,
    /// A later page (not the first): the first is offered too.
    paged: bool,
    /// A refused grant: what was typed, and why.
    grant: GrantForm,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
struct ConsoleQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
}

pub fn require_admin(state: &AppState, web: &WebCtx) -> Result<UserRow, Response> {
    let me = web.require_user()?.user.clone();
    if Roles::from_db(&me.roles).has(Role::Admin) {
        Ok(me)
    } else {
        Err(error_page(
            state,
            Some(web),
            AppError::forbidden("Only administrators can open the admin console."),
        ))
    }
}

async fn console(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let me = require_admin(&state, &web)?;
    let q: ConsoleQuery = page_query(&uri);
    render_console(
        &state,
        &web,
        &me,
        q,
        StatusCode::OK,
        GrantForm::default(),
        FormErrors::default(),
    )
    .await
}

/// The console: its users list, and the grant form (with a refused grant's input).
async fn render_console(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    q: ConsoleQuery,
    code: StatusCode,
    grant: GrantForm,
    errors: FormErrors,
) -> PageResult {
    let tz = web.zone();
    let status = match q.status.as_str() {
        "active" => Some(UserStatus::Active),
        "suspended" => Some(UserStatus::Suspended),
        "deleted" => Some(UserStatus::Deleted),
        _ => None,
    };
    let before_id = decode_cursor(Some(&q.cursor)).unwrap_or(None);
    let paged = before_id.is_some();
    let limit = 50;
    let query = UserQuery {
        q: Some(q.q.clone()),
        role: Role::parse(&q.role),
        status,
        before_id,
        limit: limit + 1,
    };
    let mut rows = admin::list_users(&state.ctx, me, &query).await?;
    let next_href = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|u| {
            format!(
                "/admin?q={}&role={}&status={}&cursor={}",
                urlencode(&q.q),
                urlencode(&q.role),
                urlencode(&q.status),
                encode_cursor(&u.id)
            )
        })
    } else {
        None
    };
    let users = rows.iter().map(|u| user_line(u, me, &tz)).collect();
    Ok(web.render_status(
        state,
        code,
        &AdminPage {
            layout: web.layout(),
            here: format!(
                "/admin?q={}&role={}&status={}",
                urlencode(&q.q),
                urlencode(&q.role),
                urlencode(&q.status)
            ),
            q: q.q,
            role: q.role,
            status: q.status,
            users,
            next_href,
            paged,
            grant,
            errors,
        },
    ))
}

/// A user as the console lists them (`me`: the admin reading).
fn user_line(u: &UserRow, me: &UserRow, tz: &jiff::tz::TimeZone) -> UserLine {
    let roles = Roles::from_db(&u.roles);
    let status = user_status(u);
    UserLine {
        id: u.id.to_string(),
        name: format!("{} {}", u.first_name, u.last_name),
        email: u.email.clone(),
        roles: roles
            .list()
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        is_mentor: roles.has(Role::Mentor),
        is_admin: roles.has(Role::Admin),
        status,
        joined: u
            .created_at
            .to_zoned(tz.clone())
            .strftime("%-d %b %Y")
            .to_string(),
        editable: u.id != me.id && status != "deleted",
    }
}

/// One user for the admins: who they are, their credits and latest movements, their
/// latest bookings on either side, the way to what the audit says of them, and the
/// console's actions on them (coming back here).
#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    layout: Layout,
    u: UserLine,
    /// This page, where the actions come back to.
    here: String,
    /// The user's own zone, and the admin's (which the times here are in).
    zone: String,
    my_zone: String,
    suspended_reason: String,
    balance: i64,
    held: i64,
    /// (program id, name, credits).
    sponsored: Vec<(String, String, i64)>,
    /// (when, memo, amount, booking id).
    entries: Vec<(String, String, i64, String)>,
    /// (booking id, when, title, their side, the other person, status).
    bookings: Vec<(String, String, String, &'static str, String, String)>,
    audit_href: String,
}

async fn user_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    let id = path_id(&id)?;
    let u = admin::user(&state.ctx, &me, &id).await?;
    let tz = web.zone();
    let money = credits::view(&state.ctx, &u, None, 10).await?;
    let bookings = bookings::list(
        &state.ctx,
        &bookings::ListFilter {
            user_id: u.id.to_string(),
            role: None,
            statuses: vec![],
            from: None,
            to: None,
            mentorship_id: None,
            with_user: None,
            ascending: false,
            after: None,
            limit: 10,
        },
    )
    .await?;
    let page = UserPage {
        layout: web.layout(),
        here: format!("/admin/users/{id}"),
        zone: u.timezone.clone(),
        my_zone: tz.iana_name().unwrap_or("UTC").to_string(),
        suspended_reason: u.suspended_reason.clone(),
        balance: money.balance,
        held: money.held,
        sponsored: money
            .sponsored
            .into_iter()
            .map(|s| (s.program_id, s.program_name, s.credits))
            .collect(),
        entries: money
            .entries
            .into_iter()
            .map(|e| {
                let when = e
                    .created_at
                    .parse::<jiff::Timestamp>()
                    .map(|t| web.when(t, &tz))
                    .unwrap_or(e.created_at);
                // A program's credits say whose (unless the memo names it already).
                let memo = match e.program_name {
                    Some(p) if !e.memo.contains(&p) => format!("{} ({p} credits)", e.memo),
                    _ => e.memo,
                };
                (when, memo, e.amount, e.booking_id.unwrap_or_default())
            })
            .collect(),
        bookings: bookings
            .iter()
            .map(|b| {
                let (side, other) = if b.b.mentee_id == u.id {
                    (
                        "mentee",
                        format!("{} {}", b.mentor_first_name, b.mentor_last_name),
                    )
                } else {
                    (
                        "mentor",
                        format!("{} {}", b.mentee_first_name, b.mentee_last_name),
                    )
                };
                (
                    b.b.id.to_string(),
                    if b.b.timed {
                        web.when(b.b.start_at, &tz)
                    } else {
                        "review".to_string()
                    },
                    b.b.title.clone(),
                    side,
                    other.trim().to_string(),
                    b.b.status.as_str().replace('_', "-"),
                )
            })
            .collect(),
        audit_href: format!("/admin/audit?target={}", urlencode(&u.email)),
        u: user_line(&u, &me, &tz),
    };
    Ok(web.render(&state, &page))
}

/// One booking for the admins, read-only (its own page is for its two people): what,
/// when, who, where the credits stand, and its history. The audit log and a user's
/// page lead here.
#[derive(Template)]
#[template(path = "admin_booking.html")]
struct BookingPage {
    layout: Layout,
    id: String,
    title: String,
    topic: String,
    when: String,
    zone: String,
    mentor: (String, String),
    mentee: (String, String),
    status: String,
    /// (held, refunded to the mentee, paid to the mentor).
    credits: (i64, i64, i64),
    /// A program's share of the held credits: (program, credits).
    program: Option<(String, i64)>,
    /// (when, what, by whom).
    history: Vec<(String, String, String)>,
}

async fn booking_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    let id = crate::http::extract::booking_path(&id)?;
    let (b, events) = bookings::with_history(&state.ctx, &me, &id).await?;
    let program = bookings::program_share(&state.ctx, &b).await?;
    let tz = web.zone();
    let r = &b.b;
    let name = |first: &str, last: &str| format!("{first} {last}").trim().to_string();
    let mentor = (
        r.mentor_id.to_string(),
        name(&b.mentor_first_name, &b.mentor_last_name),
    );
    let mentee = (
        r.mentee_id.to_string(),
        name(&b.mentee_first_name, &b.mentee_last_name),
    );
    let who = |actor: &Option<String>| match actor.as_deref() {
        None => "the system".to_string(),
        Some(a) if a == mentor.0 => mentor.1.clone(),
        Some(a) if a == mentee.0 => mentee.1.clone(),
        Some(_) => "an admin".to_string(),
    };
    let history = events
        .iter()
        .map(|e| {
            let moved = match (e.from_start, e.to_start) {
                (Some(f), Some(t)) => format!(" from {} to {}", web.when(f, &tz), web.when(t, &tz)),
                _ => String::new(),
            };
            let detail = match e.detail.trim() {
                "" => String::new(),
                d => format!(": {d}"),
            };
            (
                web.when(e.created_at, &tz),
                format!("{}{moved}{detail}", e.kind.replace('_', " ")),
                who(&e.actor_id),
            )
        })
        .collect();
    let page = BookingPage {
        layout: web.layout(),
        id: r.id.to_string(),
        title: r.title.clone(),
        topic: r.topic.clone(),
        when: if r.timed {
            web.span((r.start_at, r.end_at), &tz)
        } else {
            format!("a review, due {}", web.when(r.end_at, &tz))
        },
        zone: tz.iana_name().unwrap_or("UTC").to_string(),
        status: r.status.as_str().replace('_', "-"),
        credits: (r.credits_held, r.credits_refunded, r.credits_paid),
        program,
        history,
        mentor,
        mentee,
    };
    Ok(web.render(&state, &page))
}

#[derive(Debug, Default, Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    /// Why a user is suspended (required).
    #[serde(default)]
    reason: String,
    /// `1` once the admin confirmed a suspension.
    #[serde(default)]
    confirmed: String,
    /// The console's address with its search, to come back to.
    #[serde(default)]
    back: String,
    #[serde(default)]
    mentor: Option<String>,
    #[serde(default)]
    admin: Option<String>,
}

async fn act(
    state: &AppState,
    web: &WebCtx,
    id: &str,
    f: &ActionForm,
    action: &str,
) -> Result<(&'static str, Vec<i64>), AppError> {
    web.check_csrf(&f.csrf)?;
    let me = web.auth.as_ref().ok_or(AppError::NotFound)?.user.clone();
    let id = path_id(id)?;
    match action {
        "suspend" => {
            let input = SuspendInput {
                reason: Some(f.reason.clone()),
            };
            // What it ended, with its figures (when the wind-down finished here; else
            // the maintenance pass finishes it, and the plain words stand).
            Ok(
                match admin::suspend(&state.ctx, &me, &id, &input).await?.1 {
                    Some(e) if e.bookings + e.groups > 0 => (
                        "user_suspended_ended",
                        vec![e.bookings as i64, e.groups as i64],
                    ),
                    _ => ("user_suspended", vec![]),
                },
            )
        }
        "unsuspend" => {
            admin::unsuspend(&state.ctx, &me, &id).await?;
            Ok(("user_unsuspended", vec![]))
        }
        _ => {
            let mut roles = vec![];
            if f.mentor.is_some() {
                roles.push("mentor".to_string());
            }
            if f.admin.is_some() {
                roles.push("admin".to_string());
            }
            admin::set_roles(&state.ctx, &me, &id, &RolesInput { roles }).await?;
            Ok(("roles_saved", vec![]))
        }
    }
}

async fn run(state: AppState, web: WebCtx, id: String, f: ActionForm, action: &str) -> PageResult {
    require_admin(&state, &web)?;
    let (flash, numbers) = act(&state, &web, &id, &f, action).await?;
    Ok(web.redirect_flash_numbers(&back_to(&f.back), flash, &numbers))
}

/// Where a row's action comes back to: the console as it was searched, or the user's
/// own page.
fn back_to(back: &str) -> String {
    let to = safe_next(back);
    if to == "/admin" || to.starts_with("/admin?") || to.starts_with("/admin/users/") {
        to
    } else {
        "/admin".into()
    }
}

/// Suspending asks first, with a reason (required) and what it does; a missing reason
/// brings the same page back with the error.
async fn suspend(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<ActionForm>,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    web.check_csrf(&f.csrf)?;
    let errors = if confirm::confirmed(&f.confirmed) {
        match act(&state, &web, &id, &f, "suspend").await {
            Ok((flash, numbers)) => {
                return Ok(web.redirect_flash_numbers(&back_to(&f.back), flash, &numbers));
            }
            Err(e @ AppError::Invalid(_)) => {
                FormErrors::from_error(&e).labelled(&[("reason", "Reason")])
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        FormErrors::default()
    };
    let user = admin::user(&state.ctx, &me, &path_id(&id)?).await?;
    let name = format!("{} {}", user.first_name, user.last_name);
    Ok(confirm::page(
        &state,
        &web,
        confirm::Confirm {
            question: format!("Suspend {} ({})?", name.trim(), user.email),
            consequence: "They are signed out everywhere at once and cannot sign in until \
                          an admin restores the account; their mentor listing and \
                          articles are hidden meanwhile. Their coming bookings and the \
                          group sessions they lead are cancelled, everyone told and \
                          refunded by the usual rules (restoring the account does not \
                          bring them back). The reason is kept in the audit log."
                .into(),
            action: format!("/admin/users/{}/suspend", user.id),
            fields: vec![("back", back_to(&f.back))],
            yes: "Yes, suspend",
            back: back_to(&f.back),
            no: "No, go back",
            reason: Some(confirm::Reason {
                label: "Reason",
                required: true,
                max: 500,
                value: f.reason,
            }),
            errors,
        },
    ))
}

async fn unsuspend(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<ActionForm>,
) -> PageResult {
    run(state, web, id, f, "unsuspend").await
}

async fn roles(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<ActionForm>,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    let back = back_to(&f.back);
    // Making someone an administrator hands them every account: asked first.
    if f.admin.is_some() && !confirm::confirmed(&f.confirmed) {
        web.check_csrf(&f.csrf)?;
        let user = admin::user(&state.ctx, &me, &path_id(&id)?).await?;
        if !Roles::from_db(&user.roles).has(Role::Admin) {
            let name = format!("{} {}", user.first_name, user.last_name);
            let mut fields = vec![("back", back.clone()), ("admin", "on".to_string())];
            if f.mentor.is_some() {
                fields.push(("mentor", "on".to_string()));
            }
            return Ok(confirm::page(
                &state,
                &web,
                confirm::Confirm {
                    question: format!("Make {} ({}) an administrator?", name.trim(), user.email),
                    consequence: "They will see and change every account: suspend and \
                                  restore members, grant credits, approve mentors, settle \
                                  reports and disputes, and make or unmake administrators. \
                                  The change is kept in the audit log."
                        .into(),
                    action: format!("/admin/users/{}/roles", user.id),
                    fields,
                    yes: "Yes, make them an administrator",
                    back,
                    no: "No, go back",
                    reason: None,
                    errors: FormErrors::default(),
                },
            ));
        }
    }
    match act(&state, &web, &id, &f, "roles").await {
        Ok((flash, numbers)) => Ok(web.redirect_flash_numbers(&back, flash, &numbers)),
        // The one refusal a form of tick boxes can meet.
        Err(AppError::Invalid(_)) => Ok(web.redirect_flash(&back, "roles_need_application")),
        Err(e) => Err(e.into()),
    }
}

pub struct ApplicationLine {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub headline: String,
    pub title_company: String,
    pub expertise: String,
    pub skills: String,
    pub industries: String,
    /// "Staff engineer at Acme, 2019-03 to now: …", one per position.
    pub experience: Vec<String>,
    pub bio: String,
    pub hourly_rate: i64,
    pub max_mentees: i64,
    pub status: String,
    pub applied: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin_applications.html")]
struct ApplicationsPage {
    layout: Layout,
    status: String,
    apps: Vec<ApplicationLine>,
}

#[derive(Debug, Default, Deserialize)]
struct ApplicationsQuery {
    #[serde(default)]
    status: String,
}

async fn applications(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let me = require_admin(&state, &web)?;
    let q: ApplicationsQuery = page_query(&uri);
    let tz = web.zone();
    let status = MentorStatus::parse(if q.status.is_empty() {
        "pending"
    } else {
        &q.status
    })
    .filter(|s| *s != MentorStatus::Draft)
    .unwrap_or(MentorStatus::Pending);
    let rows = mentors::applications(&state.ctx, &me, Some(status), None, 200).await?;
    let apps = rows
        .iter()
        .map(|a| {
            let p = &a.profile;
            ApplicationLine {
                user_id: p.user_id.clone(),
                name: format!("{} {}", a.first_name, a.last_name),
                email: a.email.clone(),
                headline: a.headline.clone(),
                title_company: [p.title.as_str(), p.company.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" at "),
                expertise: p.expertise.clone().join(", "),
                skills: p.skills.clone().join(", "),
                industries: p.industries.clone().join(", "),
                experience: p
                    .experience
                    .iter()
                    .map(|e| {
                        let month = |d: &str| d.get(..7).unwrap_or(d).to_string();
                        let until = e
                            .end_date
                            .as_deref()
                            .filter(|d| !d.is_empty())
                            .map_or_else(|| "now".to_string(), month);
                        let what = format!(
                            "{} at {}, {} to {until}",
                            e.title,
                            e.company,
                            month(&e.start_date)
                        );
                        if e.description.is_empty() {
                            what
                        } else {
                            format!("{what}: {}", e.description)
                        }
                    })
                    .collect(),
                bio: p.bio.clone(),
                hourly_rate: p.hourly_rate,
                max_mentees: p.max_mentees,
                status: p.status.as_str().to_string(),
                applied: p
                    .applied_at
                    .to_zoned(tz.clone())
                    .strftime("%-d %b %Y")
                    .to_string(),
                reason: p.decision_reason.clone(),
            }
        })
        .collect();
    Ok(web.render(
        &state,
        &ApplicationsPage {
            layout: web.layout(),
            status: status.as_str().to_string(),
            apps,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    state: AppState,
    web: WebCtx,
    id: String,
    f: DecisionForm,
    approve: bool,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    web.check_csrf(&f.csrf)?;
    let id = path_id(&id)?;
    match mentors::decide(&state.ctx, &me, &id, approve, Some(&f.reason)).await {
        Ok(_) => {}
        // A rejection without its reason (the form asks for it; a browser without
        // the check sends it empty): back to the queue, saying so.
        Err(AppError::Invalid(_)) if !approve => {
            return Ok(web.redirect_flash("/admin/applications", "application_reason_needed"));
        }
        // Answered already (a second tab, the form sent again after Back): the queue,
        // saying so, rather than an error page.
        Err(AppError::Conflict { .. }) => {
            return Ok(web.redirect_flash("/admin/applications", "application_already_decided"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(web.redirect_flash(
        "/admin/applications",
        if approve {
            "application_approved"
        } else {
            "application_rejected"
        },
    ))
}

async fn approve_application(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<DecisionForm>,
) -> PageResult {
    decide(state, web, id, f, true).await
}

async fn reject_application(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<DecisionForm>,
) -> PageResult {
    decide(state, web, id, f, false).await
}

#[derive(Debug, Default, Clone, Deserialize)]
struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    /// The member's own admin page, when the grant was made there: where it goes back.
    #[serde(default)]
    back: String,
}

async fn grant_credits(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<GrantForm>,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    web.check_csrf(&f.csrf)?;
    let granted = async {
        // Every field's problem at once: the member, the number, the reason.
        let mut found = vec![];
        let user = match admin::user_by_email(&state.ctx, &me, &f.email).await {
            Ok(u) => Some(u),
            Err(AppError::Invalid(e)) => {
                found.extend(e);
                None
            }
            Err(e) => return Err(e),
        };
        let typed = f.amount.trim();
        // A whole number too large for any wallet is still a number: out of range.
        let digits = !typed.is_empty()
            && typed
                .trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit());
        let amount = match typed.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) if digits => Some(0),
            Err(_) => {
                found.push(crate::error::FieldError::new(
                    "amount",
                    "invalid_number",
                    "Enter a whole number of credits.",
                ));
                None
            }
        };
        // The service's own checks, every problem at once (a number typed or not).
        if let Err(e) = crate::service::credits::check_grant(amount.unwrap_or(1), &f.reason) {
            found.extend(e);
        }
        let (Some(user), Some(amount), true) = (user, amount, found.is_empty()) else {
            return Err(AppError::Invalid(found));
        };
        let g = crate::service::credits::grant(
            &state.ctx,
            &me,
            &crate::service::credits::GrantInput {
                user_id: user.id.to_string(),
                amount,
                reason: f.reason.clone(),
            },
            None,
        )
        .await?;
        Ok::<_, AppError>((user, g))
    }
    .await;
    match granted {
        // Back to the list showing just the member credited, and what they have now.
        Ok((user, g)) => Ok(if f.back == format!("/admin/users/{}", user.id) {
            web.redirect_flash_numbers(&f.back, "credits_granted_here", &[g.amount, g.balance])
        } else {
            web.redirect_flash_numbers(
                &format!("/admin?q={}", urlencode(&user.email)),
                "credits_granted_to",
                &[g.amount, g.balance],
            )
        }),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&e).ids("grant-").labelled(&[
                ("email", "Email"),
                ("amount", "Credits"),
                ("reason", "Reason"),
            ]);
            let code = crate::http::problem::status_of(&e);
            render_console(&state, &web, &me, ConsoleQuery::default(), code, f, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct JobLine {
    pub id: String,
    pub kind: String,
    /// An email's recipient and subject ("" for other kinds).
    pub about: String,
    pub status: String,
    pub attempts: String,
    pub run_at: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    layout: Layout,
    counts: Vec<(String, i64)>,
    dead: Vec<JobLine>,
    recent: Vec<JobLine>,
}

fn job_line(
    web: &WebCtx,
    (j, about): (crate::service::jobs::JobInfo, String),
    tz: &jiff::tz::TimeZone,
) -> JobLine {
    JobLine {
        id: j.id,
        kind: j.kind,
        about,
        status: j.status,
        attempts: format!("{}/{}", j.attempts, j.max_attempts),
        run_at: web.when(j.run_at, tz),
        error: j.last_error,
    }
}

async fn jobs_page(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = require_admin(&state, &web)?;
    let tz = web.zone();
    let (counts, dead) = jobs::overview(&state.ctx, &me, Some("dead"), 100).await?;
    let recent = jobs::list(&state.ctx, &me, None, 50).await?;
    let (dead_about, recent_about) = (
        jobs::about(&state.ctx, &dead).await?,
        jobs::about(&state.ctx, &recent).await?,
    );
    let lines = |rows: Vec<jobs::JobInfo>, about: Vec<String>| -> Vec<JobLine> {
        rows.into_iter()
            .zip(about)
            .map(|row| job_line(&web, row, &tz))
            .collect()
    };
    Ok(web.render(
        &state,
        &JobsPage {
            layout: web.layout(),
            counts,
            dead: lines(dead, dead_about),
            recent: lines(recent, recent_about),
        },
    ))
}

async fn retry_job(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<DecisionForm>,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    web.check_csrf(&f.csrf)?;
    let id = path_id(&id)?;
    crate::service::jobs::retry_dead(&state.ctx, &me, &id).await?;
    Ok(web.redirect_flash("/admin/jobs", "job_retried"))
}
