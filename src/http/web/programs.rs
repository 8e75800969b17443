//! Programs on the pages: the list (`/programs`), a program's page
//! (`/programs/{id}`: what it is, the pool, applying with the intake and ranked
//! mentors, joining the pool as a mentor, your place), the admins' form for a new
//! program (`/programs/new`, from a template), and the manager console
//! (`/programs/{id}/manage`: state, details, funding, managers, enrolments, and the
//! proposals with per-row controls to pair, change, swap and remove — plain forms that
//! need no JavaScript — then publishing).

use std::collections::BTreeMap;

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use serde::Deserialize;

use super::{FormErrors, Layout, PageResult, WebCtx, WebForm, confirm};
use crate::{
    domain::program::{Answer, ProgramAction, ProgramStatus, Question, QuestionKind},
    error::AppError,
    http::{AppState, extract::path_id},
    service::{
        accounts::UserRow,
        admin, mentors,
        programs::{
            self, Access, ApplicationRow, FundingInput, MatchRow, PoolRow, ProgramInput,
            ProgramRow,
            enrol::{self, EnrolInput, LeaveInput},
            nudges::{self, Rule, RulesInput},
            proposals::{self, ManualInput, SwapInput},
            report::{self, PairLine, Report},
        },
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programs", get(list_page))
        .route("/programs/new", get(new_page).post(create))
        .route("/programs/{id}", get(program_page))
        .route("/programs/{id}/apply", post(apply))
        .route("/programs/{id}/pool", post(join_pool))
        .route("/programs/{id}/withdraw", post(withdraw))
        .route("/programs/{id}/choose", post(choose))
        .route("/programs/{id}/manage", get(manage_page))
        .route("/programs/{id}/manage/{action}", post(manage_action))
        .route("/programs/{id}/report", get(report_page))
        .route("/programs/{id}/report.csv", get(report_csv))
}

/// A program as a card or a heading shows it.
pub struct ProgramCard {
    pub id: String,
    pub name: String,
    pub description: String,
    pub status: &'static str,
    /// "Applications until Mon 16 Mar 2026 · runs Tue 17 Mar 2026 – Mon 8 Jun 2026
    /// (Europe/Paris)": in the reader's zone, said once at the end; a day where the
    /// date is a whole day there, with the time where it is not.
    pub when: String,
    pub accepting: bool,
    pub budget: i64,
    pub sessions_expected: i64,
    /// Where the reader stands in it ("You applied", …; none when nowhere).
    pub mine: Vec<&'static str>,
}

/// The zone a program's dates are days in.
pub fn program_zone(p: &ProgramRow) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(&p.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn card(web: &WebCtx, p: &ProgramRow, now: jiff::Timestamp) -> ProgramCard {
    // Its dates are days in its own zone, the same days for every reader; a reader
    // elsewhere is also told when applications close in their own time.
    let tz = program_zone(p);
    let mine = web.zone();
    let elsewhere = tz.iana_name() != mine.iana_name();
    let accepting = p.status == ProgramStatus::Open
        && p.applications_open_at <= now
        && now < p.applications_close_at;
    // A date picked as a day (opening at its first minute, closing at its last) reads
    // as that day where it is one; elsewhere, with the time it is there.
    let on = |t: jiff::Timestamp, (hour, minute): (i8, i8)| {
        let z = t.to_zoned(tz.clone());
        if (z.hour(), z.minute()) == (hour, minute) {
            z.strftime("%a %-d %b %Y").to_string()
        } else {
            web.when(t, &tz)
        }
    };
    let (first, last) = ((0, 0), (23, 59));
    let apply = if p.status == ProgramStatus::Open && now < p.applications_open_at {
        format!("Applications open {}", on(p.applications_open_at, first))
    } else if accepting && elsewhere {
        // The reader's own deadline first; the program's day after it.
        format!(
            "Applications close {} your time (the end of {} in {})",
            web.when(p.applications_close_at, &mine),
            on(p.applications_close_at, last),
            tz.iana_name().unwrap_or("UTC")
        )
    } else if accepting {
        format!("Applications until {}", on(p.applications_close_at, last))
    } else if p.status == ProgramStatus::Draft {
        "Applications not open yet".to_string()
    } else {
        "Applications closed".to_string()
    };
    ProgramCard {
        id: p.id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        status: p.status.as_str(),
        // A program over says so of its dates (one cancelled or completed before them
        // did not run then).
        when: format!(
            "{apply} · {} {} – {} ({}{})",
            match p.status {
                ProgramStatus::Cancelled => "was to run",
                ProgramStatus::Completed if p.ends_at > now => "planned to run",
                ProgramStatus::Completed => "ran",
                _ => "runs",
            },
            on(p.starts_at, first),
            on(p.ends_at, last),
            if elsewhere { "dates in " } else { "" },
            tz.iana_name().unwrap_or("UTC")
        ),
        accepting,
        budget: p.budget_per_mentee,
        sessions_expected: p.sessions_expected,
        mine: vec![],
    }
}

#[derive(Template)]
#[template(path = "programs.html")]
struct ListPage {
    layout: Layout,
    programs: Vec<ProgramCard>,
    can_create: bool,
}

async fn list_page(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    let now = state.ctx.now();
    let rows = programs::list(&state.ctx, &me).await?;
    let places = programs::my_places(&state.ctx, &me).await?;
    Ok(web.render(
        &state,
        &ListPage {
            layout: web.layout(),
            programs: rows
                .iter()
                .map(|p| {
                    let mut c = card(&web, p, now);
                    c.mine = places.get(&p.id).cloned().unwrap_or_default();
                    c
                })
                .collect(),
            can_create: admin::is_admin(&me),
        },
    ))
}

// ---- a program's page ----

/// A mentor of the pool as the page lists them.
pub struct PoolLine {
    pub id: String,
    pub name: String,
    pub headline: String,
    pub tags: String,
    pub seats_left: i64,
    pub capacity: i64,
    /// Draft pairings proposed to them and not published yet (a manager's page
    /// counts them against the places left; 0 elsewhere).
    pub proposed: i64,
    pub status: String,
}

fn pool_line(m: &PoolRow) -> PoolLine {
    PoolLine {
        id: m.mentor_id.clone(),
        name: format!("{} {}", m.first_name, m.last_name)
            .trim()
            .to_string(),
        headline: m.headline.clone(),
        tags: m
            .expertise
            .iter()
            .chain(m.skills.iter())
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        seats_left: (m.capacity - m.matched).max(0),
        capacity: m.capacity,
        proposed: 0,
        status: m.status.clone(),
    }
}

/// A pool mentor as the manager's page lists them: their places left count the draft
/// pairings proposed to them too, as pairing by hand does.
fn managed_pool_line(m: &PoolRow, drafts: &[MatchRow]) -> PoolLine {
    let proposed = drafts.iter().filter(|d| d.mentor_id == m.mentor_id).count() as i64;
    PoolLine {
        seats_left: (m.capacity - m.matched - proposed).max(0),
        proposed,
        ..pool_line(m)
    }
}

/// A question with what was typed for it (kept when the form comes back).
pub struct QuestionField {
    pub q: Question,
    /// `text`, `single`, `multiple` or `skills`.
    pub kind: &'static str,
    pub values: Vec<String>,
    /// The element's id (each form has its own prefix).
    pub id: String,
    /// What is wrong with the answer, when this form came back.
    pub error: Option<String>,
}

impl QuestionField {
    pub fn value(&self) -> String {
        self.values.join(", ")
    }

    pub fn has(&self, option: &str) -> bool {
        self.values.iter().any(|v| v == option)
    }

    /// One or several of the options.
    pub fn is_choice(&self) -> bool {
        matches!(self.kind, "single" | "multiple")
    }

    pub fn is_single(&self) -> bool {
        self.kind == "single"
    }

    pub fn is_skills(&self) -> bool {
        self.kind == "skills"
    }

    pub fn invalid(&self) -> &'static str {
        if self.error.is_some() {
            "true"
        } else {
            "false"
        }
    }
}

fn kind_word(k: QuestionKind) -> &'static str {
    match k {
        QuestionKind::Text => "text",
        QuestionKind::Single => "single",
        QuestionKind::Multiple => "multiple",
        QuestionKind::Skills => "skills",
    }
}

/// A form's questions with what was typed and, when the form came back, its errors.
fn fields_for(
    questions: &[Question],
    typed: &BTreeMap<String, Vec<String>>,
    prefix: &str,
    errors: Option<&FormErrors>,
) -> Vec<QuestionField> {
    questions
        .iter()
        .map(|q| {
            let field = format!("answers.{}", q.id);
            QuestionField {
                kind: kind_word(q.kind),
                values: typed.get(&q.id).cloned().unwrap_or_default(),
                id: format!("{prefix}{field}"),
                error: errors.and_then(|e| e.get(&field)).map(str::to_string),
                q: q.clone(),
            }
        })
        .collect()
}

/// The viewer's application as the page says it.
pub struct MyApplication {
    pub status: String,
    pub applied: String,
    pub mentor_name: String,
    pub waiting_reason: String,
    /// What they sent, as the managers read it: "1. Ada Lovelace 2. Linus Nadella",
    /// and "Question: answer" lines.
    pub sent: ApplicantLine,
}

#[derive(Template)]
#[template(path = "program.html")]
struct ProgramPage {
    layout: Layout,
    p: ProgramCard,
    goals: Vec<(String, Vec<String>)>,
    agendas: Vec<Vec<String>>,
    pool: Vec<PoolLine>,
    manages: bool,
    mine: Option<MyApplication>,
    /// The viewer's place in the pool: (capacity, matched).
    my_pool: Option<(i64, i64)>,
    may_apply: bool,
    may_join_pool: bool,
    /// The viewer's application waits and the program lets mentees choose.
    may_choose: bool,
    needs_code: bool,
    /// A program open to an email domain, and the viewer's address there is not
    /// confirmed yet: the page offers the link instead of forms that would be refused.
    must_confirm: Option<(String, String)>,
    mentee_fields: Vec<QuestionField>,
    mentor_fields: Vec<QuestionField>,
    /// The ranked choices as typed (three, "" for none).
    choices: Vec<String>,
    invite_code: String,
    capacity: String,
    /// Which form the errors belong to: "apply" or "pool".
    errors_for: String,
    errors: FormErrors,
}

impl ProgramPage {
    /// Every pool mentor is full (the application form says so above the choices).
    fn pool_full(&self) -> bool {
        !self.pool.is_empty() && self.pool.iter().all(|m| m.seats_left == 0)
    }

    /// Whether mentor `id` was the `n`th choice (0 first) as typed.
    fn chosen(&self, n: &usize, id: &str) -> bool {
        self.choices.get(*n).is_some_and(|c| c == id)
    }
}

/// What a form typed, to show it again.
#[derive(Default)]
struct Typed {
    answers: BTreeMap<String, Vec<String>>,
    choices: Vec<String>,
    invite_code: String,
    capacity: String,
}

async fn render_program(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    id: &str,
    typed: Typed,
    (errors_for, errors): (&'static str, FormErrors),
) -> PageResult {
    let (a, mentors_seen, apps) = enrol::enrolments(&state.ctx, me, id).await?;
    let now = state.ctx.now();
    let p = &a.program;
    let pool_rows = enrol::pool(&state.ctx, me, id).await?;
    let mine_row = apps.iter().find(|x| x.mentee_id == *me.id);
    let my_pool = mentors_seen
        .iter()
        .find(|m| m.mentor_id == *me.id && m.status == "active")
        .map(|m| (m.capacity, m.matched));
    let mine = match mine_row {
        Some(app) => Some(my_application(state, me, &a, app, &pool_rows).await?),
        None => None,
    };
    let accepting = p.status == ProgramStatus::Open
        && p.applications_open_at <= now
        && now < p.applications_close_at;
    let approved = mentors::is_approved(&state.ctx, &me.id).await?;
    let must_confirm = if p.join_rule == "domain"
        && !crate::service::accounts::email_confirmed(&state.ctx, me).await?
    {
        Some((me.email.clone(), p.email_domain.clone()))
    } else {
        None
    };
    let mut choices = typed.choices.clone();
    choices.resize(3, String::new());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ProgramPage {
        layout: web.layout(),
        p: card(web, p, now),
        goals: p
            .goals
            .iter()
            .map(|g| (g.title.clone(), g.milestones.clone()))
            .collect(),
        agendas: p.agendas.clone(),
        pool: pool_rows.iter().map(pool_line).collect(),
        manages: a.manages,
        // A mentor is offered the pool, not the mentees' application.
        may_apply: accepting && !approved && mine.is_none() && my_pool.is_none(),
        may_choose: p.self_matching
            && matches!(p.status, ProgramStatus::Open | ProgramStatus::Running)
            && mine.as_ref().is_some_and(|m| m.status == "applied"),
        may_join_pool: approved
            && my_pool.is_none()
            && mine.is_none()
            && matches!(p.status, ProgramStatus::Open | ProgramStatus::Running),
        mine,
        my_pool,
        needs_code: p.join_rule == "invite",
        must_confirm,
        mentee_fields: fields_for(
            &p.mentee_questions,
            &typed.answers,
            "f-",
            (errors_for == "apply").then_some(&errors),
        ),
        mentor_fields: fields_for(
            &p.mentor_questions,
            &typed.answers,
            "f-m-",
            (errors_for == "pool").then_some(&errors),
        ),
        choices,
        invite_code: typed.invite_code,
        capacity: if typed.capacity.is_empty() {
            p.mentor_capacity.to_string()
        } else {
            typed.capacity
        },
        errors_for: errors_for.to_string(),
        errors,
    };
    Ok(web.render_status(state, status, &page))
}

async fn my_application(
    state: &AppState,
    me: &UserRow,
    a: &Access,
    app: &ApplicationRow,
    pool: &[PoolRow],
) -> Result<MyApplication, AppError> {
    let tz = jiff::tz::TimeZone::get(&me.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let mentor_name = if app.status == "matched" {
        programs::pairing_of(&state.ctx, &a.program.id, &me.id)
            .await?
            .map(|m| {
                format!("{} {}", m.mentor_first_name, m.mentor_last_name)
                    .trim()
                    .to_string()
            })
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(MyApplication {
        status: app.status.clone(),
        applied: app
            .created_at
            .to_zoned(tz)
            .strftime("%-d %B %Y")
            .to_string(),
        mentor_name,
        waiting_reason: app.unmatched_reason.clone(),
        sent: applicant_line(app, pool, &a.program.mentee_questions),
    })
}

async fn program_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let id = path_id(&id)?;
    render_program(
        &state,
        &web,
        &me,
        &id,
        Typed::default(),
        ("", FormErrors::default()),
    )
    .await
}

/// Reads an enrolment form: its fields, answers by question, choices in rank order.
fn read_form(pairs: Vec<(String, String)>) -> (BTreeMap<String, String>, Typed) {
    let mut plain = BTreeMap::new();
    let mut typed = Typed::default();
    let mut ranked: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        if let Some(q) = k.strip_prefix("answers.") {
            typed.answers.entry(q.to_string()).or_default().push(v);
        } else if k.starts_with("choice") {
            ranked.insert(k, v);
        } else {
            plain.insert(k, v);
        }
    }
    typed.choices = ["choice1", "choice2", "choice3"]
        .iter()
        .map(|k| ranked.get(*k).cloned().unwrap_or_default())
        .collect();
    typed.invite_code = plain.get("invite_code").cloned().unwrap_or_default();
    typed.capacity = plain.get("capacity").cloned().unwrap_or_default();
    (plain, typed)
}

fn answers_of(questions: &[Question], typed: &Typed) -> BTreeMap<String, Answer> {
    let mut out = BTreeMap::new();
    for q in questions {
        let Some(values) = typed.answers.get(&q.id) else {
            continue;
        };
        let answer = match q.kind {
            QuestionKind::Multiple => Answer::Many(values.clone()),
            _ => Answer::One(values.first().cloned().unwrap_or_default()),
        };
        out.insert(q.id.clone(), answer);
    }
    out
}

async fn apply(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let (plain, typed) = read_form(pairs);
    let me = web.signed_in_form(&state, plain.get("csrf").map_or("", String::as_str))?;
    let id = path_id(&id)?;
    let a = programs::access(&state.ctx, &me, &id).await?;
    let input = EnrolInput {
        role: "mentee".into(),
        answers: answers_of(&a.program.mentee_questions, &typed),
        choices: typed
            .choices
            .iter()
            .filter(|c| !c.is_empty())
            .cloned()
            .collect(),
        capacity: None,
        invite_code: Some(typed.invite_code.clone()).filter(|c| !c.is_empty()),
    };
    match enrol::enrol(&state.ctx, &me, &id, &input).await {
        Ok(_) => Ok(web.redirect_flash(&format!("/programs/{id}"), "program_applied")),
        Err(
            e @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::Forbidden { .. }),
        ) => {
            let errors = form_errors(&e, &a.program.mentee_questions);
            render_program(&state, &web, &me, &id, typed, ("apply", errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A form's errors, each question named by its prompt.
fn form_errors(e: &AppError, questions: &[Question]) -> FormErrors {
    let errors = match e {
        AppError::Forbidden { detail } => {
            FormErrors::from_error(&AppError::conflict("forbidden", detail.clone()))
        }
        other => FormErrors::from_error(other),
    };
    let mut labels: Vec<(String, String)> = [
        ("choices", "Your choice of mentors"),
        ("invite_code", "Invite code"),
        ("capacity", "How many mentees you take here"),
    ]
    .iter()
    .map(|(f, l)| (f.to_string(), l.to_string()))
    .collect();
    for q in questions {
        labels.push((format!("answers.{}", q.id), q.prompt.clone()));
    }
    errors.labelled_owned(labels)
}

async fn join_pool(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let (plain, typed) = read_form(pairs);
    let me = web.signed_in_form(&state, plain.get("csrf").map_or("", String::as_str))?;
    let id = path_id(&id)?;
    let a = programs::access(&state.ctx, &me, &id).await?;
    let capacity = match typed.capacity.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) if typed.capacity.trim().is_empty() => None,
        Err(_) => Some(0),
    };
    let input = EnrolInput {
        role: "mentor".into(),
        answers: answers_of(&a.program.mentor_questions, &typed),
        choices: vec![],
        capacity,
        invite_code: Some(typed.invite_code.clone()).filter(|c| !c.is_empty()),
    };
    match enrol::enrol(&state.ctx, &me, &id, &input).await {
        Ok(_) => Ok(web.redirect_flash(&format!("/programs/{id}"), "program_joined_pool")),
        Err(
            e @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::Forbidden { .. }),
        ) => {
            let errors = form_errors(&e, &a.program.mentor_questions).ids("f-m-");
            render_program(&state, &web, &me, &id, typed, ("pool", errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    confirmed: String,
}

async fn withdraw(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<RoleForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let mentee = f.role != "mentor";
    if !confirm::confirmed(&f.confirmed) {
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: if mentee {
                    "Withdraw your application?".into()
                } else {
                    "Leave this program's pool of mentors?".into()
                },
                consequence: if mentee {
                    "You will not be matched in this program; you may apply again while applications are open.".into()
                } else {
                    "Mentees can no longer be paired with you; the mentees you already mentor here stay.".into()
                },
                action: format!("/programs/{id}/withdraw"),
                fields: vec![("role", f.role.clone())],
                yes: if mentee {
                    "Yes, withdraw"
                } else {
                    "Yes, leave the pool"
                },
                back: format!("/programs/{id}"),
                no: "No, stay",
                reason: None,
                errors: FormErrors::default(),
            },
        ));
    }
    match enrol::leave(
        &state.ctx,
        &me,
        &id,
        &LeaveInput {
            role: if mentee { "mentee" } else { "mentor" }.into(),
        },
    )
    .await
    {
        Ok(()) => {}
        // Matched meanwhile (another tab chose a mentor; the managers published): the
        // program's page, which shows the mentorship, says so.
        Err(AppError::Conflict { .. }) if mentee => {
            return Ok(web.redirect_flash(&format!("/programs/{id}"), "program_matched_already"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(web.redirect_flash(
        &format!("/programs/{id}"),
        if mentee {
            "program_withdrawn"
        } else {
            "program_left_pool"
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ChooseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mentor_id: String,
}

async fn choose(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<ChooseForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let input = proposals::ChooseInput {
        mentor_id: f.mentor_id.clone(),
    };
    match proposals::choose(&state.ctx, &me, &id, &input).await {
        Ok(_) => Ok(web.redirect_flash(&format!("/programs/{id}"), "program_chosen")),
        Err(
            e @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::Forbidden { .. }),
        ) => {
            let errors = form_errors(&e, &[]);
            render_program(&state, &web, &me, &id, Typed::default(), ("choose", errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- a new program (admins) ----

/// The details form (new program and the console's "Details").
#[derive(Debug, Default, Deserialize)]
struct DetailsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    template_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    join_rule: String,
    #[serde(default)]
    invite_code: String,
    #[serde(default)]
    email_domain: String,
    /// Dates as the date inputs send them (YYYY-MM-DD), in the admin's zone: what opens
    /// or starts on a day does so at 00:00, what closes or ends on it at 23:59.
    #[serde(default)]
    applications_open_on: String,
    #[serde(default)]
    applications_close_on: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    mentor_capacity: String,
    #[serde(default)]
    sessions_expected: String,
    #[serde(default)]
    budget_per_mentee: String,
    #[serde(default)]
    self_matching: String,
}

/// Turns the details form into the API's input; a number that does not read goes in
/// as -1, so the program's checks say what is wrong with it beside its field.
fn details_input(f: &DetailsForm, tz: &jiff::tz::TimeZone) -> ProgramInput {
    let number = |raw: &str| -> Option<i64> {
        let t = raw.trim();
        (!t.is_empty()).then(|| t.parse().unwrap_or(-1))
    };
    // A day opens at its first minute and closes at its last (in the admin's zone):
    // applications that close on the 18th take the whole 18th.
    let day = |raw: &str, (hour, minute): (i8, i8)| -> Option<String> {
        let t = raw.trim();
        if t.is_empty() {
            return None;
        }
        Some(
            t.parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| d.at(hour, minute, 0, 0).to_zoned(tz.clone()).ok())
                .map(|z| z.timestamp().to_string())
                .unwrap_or_else(|| t.to_string()),
        )
    };
    let (first, last) = ((0, 0), (23, 59));
    ProgramInput {
        name: Some(f.name.clone()).filter(|n| !n.trim().is_empty() || f.template_id.is_empty()),
        description: Some(f.description.clone())
            .filter(|d| !d.trim().is_empty() || f.template_id.is_empty()),
        template_id: Some(f.template_id.clone()).filter(|t| !t.is_empty()),
        join_rule: Some(f.join_rule.clone()).filter(|r| !r.is_empty()),
        invite_code: Some(f.invite_code.clone()),
        email_domain: Some(f.email_domain.clone()),
        applications_open_at: day(&f.applications_open_on, first),
        applications_close_at: day(&f.applications_close_on, last),
        starts_at: day(&f.starts_on, first),
        ends_at: day(&f.ends_on, last),
        mentor_capacity: number(&f.mentor_capacity),
        sessions_expected: number(&f.sessions_expected),
        budget_per_mentee: number(&f.budget_per_mentee),
        self_matching: Some(f.self_matching == "on"),
        ..Default::default()
    }
}

/// The details form's errors, each on its input: the API names a date by its instant
/// (`ends_at`), the form by its day (`ends_on`).
fn details_errors(e: &AppError) -> FormErrors {
    let AppError::Invalid(errors) = e else {
        return FormErrors::from_error(e);
    };
    let on_the_form = errors
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if let Some(stem) = f.field.strip_suffix("_at") {
                f.field = format!("{stem}_on");
                // The form sends a day: a day it could not read is said as one.
                if f.message.contains("RFC 3339") {
                    f.message = "Enter a date as year-month-day, such as 2026-12-31.".into();
                }
            }
            f
        })
        .collect();
    FormErrors::from_error(&AppError::Invalid(on_the_form)).labelled(DETAIL_LABELS)
}

const DETAIL_LABELS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("description", "Description"),
    ("template_id", "Template"),
    ("join_rule", "Who may join"),
    ("invite_code", "Invite code"),
    ("email_domain", "Email domain"),
    ("applications_open_on", "Applications open"),
    ("applications_close_on", "Applications close"),
    ("starts_on", "Starts"),
    ("ends_on", "Ends"),
    ("mentor_capacity", "Mentees per mentor"),
    ("sessions_expected", "Sessions expected"),
    ("budget_per_mentee", "Credits per mentee"),
];

#[derive(Template)]
#[template(path = "program_new.html")]
struct NewPage {
    layout: Layout,
    /// (id, name, description).
    templates: Vec<(String, String, String)>,
    d: DetailsView,
    errors: FormErrors,
    details_errors: FormErrors,
}

/// The details form's values as shown.
#[derive(Default)]
pub struct DetailsView {
    pub template_id: String,
    pub name: String,
    pub description: String,
    pub join_rule: String,
    pub invite_code: String,
    pub email_domain: String,
    pub open_on: String,
    pub close_on: String,
    pub starts_on: String,
    pub ends_on: String,
    pub mentor_capacity: String,
    pub sessions_expected: String,
    pub budget_per_mentee: String,
    pub self_matching: bool,
    /// The zone its dates are days in ("" on a new program: the creator's own).
    pub zone: String,
}

impl DetailsView {
    fn typed(f: &DetailsForm) -> Self {
        Self {
            template_id: f.template_id.clone(),
            name: f.name.clone(),
            description: f.description.clone(),
            join_rule: f.join_rule.clone(),
            invite_code: f.invite_code.clone(),
            email_domain: f.email_domain.clone(),
            open_on: f.applications_open_on.clone(),
            close_on: f.applications_close_on.clone(),
            starts_on: f.starts_on.clone(),
            ends_on: f.ends_on.clone(),
            mentor_capacity: f.mentor_capacity.clone(),
            sessions_expected: f.sessions_expected.clone(),
            budget_per_mentee: f.budget_per_mentee.clone(),
            self_matching: f.self_matching == "on",
            zone: String::new(),
        }
    }

    fn of(p: &ProgramRow, tz: &jiff::tz::TimeZone) -> Self {
        let day = |t: jiff::Timestamp| t.to_zoned(tz.clone()).date().to_string();
        Self {
            template_id: p.template.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            join_rule: p.join_rule.clone(),
            invite_code: p.invite_code.clone(),
            email_domain: p.email_domain.clone(),
            open_on: day(p.applications_open_at),
            close_on: day(p.applications_close_at),
            starts_on: day(p.starts_at),
            ends_on: day(p.ends_at),
            mentor_capacity: p.mentor_capacity.to_string(),
            sessions_expected: p.sessions_expected.to_string(),
            budget_per_mentee: p.budget_per_mentee.to_string(),
            self_matching: p.self_matching,
            zone: p.timezone.clone(),
        }
    }
}

async fn render_new(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    f: DetailsView,
    errors: FormErrors,
) -> PageResult {
    let templates = programs::templates(&state.ctx, me)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name, t.description))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(web.render_status(
        state,
        status,
        &NewPage {
            layout: web.layout(),
            templates,
            // A new program's days are in its creator's zone: named on the form.
            d: DetailsView {
                zone: if f.zone.is_empty() {
                    web.zone().iana_name().unwrap_or("UTC").to_string()
                } else {
                    f.zone.clone()
                },
                ..f
            },
            details_errors: errors.clone(),
            errors,
        },
    ))
}

async fn new_page(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    admin::require_admin(&me)?;
    let f = DetailsView {
        join_rule: "anyone".into(),
        budget_per_mentee: "0".into(),
        template_id: "builtin:onboarding-buddy".into(),
        ..Default::default()
    };
    render_new(&state, &web, &me, f, FormErrors::default()).await
}

async fn create(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<DetailsForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let input = details_input(&f, &web.zone());
    match programs::create(&state.ctx, &me, &input).await {
        Ok(p) => Ok(web.redirect_flash(&format!("/programs/{}/manage", p.id), "program_created")),
        Err(e @ AppError::Invalid(_)) => {
            let errors = details_errors(&e);
            render_new(&state, &web, &me, DetailsView::typed(&f), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the manager console ----

/// A pairing as the console lists it.
pub struct PairingLine {
    pub id: String,
    pub application_id: String,
    pub mentee_name: String,
    pub mentor_id: String,
    pub mentor_name: String,
    pub explanation: String,
    /// On the manager's page: another mentor with a place left can take this draft, and
    /// another draft has a different mentor to swap with (each control shows only then).
    pub can_move: bool,
    pub can_swap: bool,
}

fn pairing_line(m: &MatchRow) -> PairingLine {
    PairingLine {
        id: m.id.clone(),
        application_id: m.application_id.clone(),
        mentee_name: format!("{} {}", m.mentee_first_name, m.mentee_last_name)
            .trim()
            .to_string(),
        mentor_id: m.mentor_id.clone(),
        mentor_name: format!("{} {}", m.mentor_first_name, m.mentor_last_name)
            .trim()
            .to_string(),
        explanation: m.explanation.clone(),
        can_move: false,
        can_swap: false,
    }
}

/// The drafts as the manager's page lists them, each saying which changes apply.
fn draft_lines(drafts: &[MatchRow], pool: &[PoolLine]) -> Vec<PairingLine> {
    drafts
        .iter()
        .map(|d| PairingLine {
            can_move: pool
                .iter()
                .any(|m| m.status == "active" && m.id != d.mentor_id && m.seats_left > 0),
            can_swap: drafts.iter().any(|o| o.mentor_id != d.mentor_id),
            ..pairing_line(d)
        })
        .collect()
}

/// An application as the console lists it.
pub struct ApplicantLine {
    pub name: String,
    pub email: String,
    pub choices: String,
    pub topics: String,
    pub status: String,
    pub reason: String,
    /// "Question: answer" lines.
    pub answers: Vec<String>,
}

fn applicant_line(a: &ApplicationRow, pool: &[PoolRow], questions: &[Question]) -> ApplicantLine {
    let name_of = |id: &str| {
        pool.iter()
            .find(|m| m.mentor_id == id)
            .map(|m| {
                format!("{} {}", m.first_name, m.last_name)
                    .trim()
                    .to_string()
            })
            .unwrap_or_else(|| "a mentor who left".into())
    };
    let answers = questions
        .iter()
        .filter_map(|q| {
            let v = a.answers.get(&q.id)?;
            let text = match v {
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                serde_json::Value::String(s) => s.clone(),
                _ => return None,
            };
            Some(format!("{} {}", q.prompt, text))
        })
        .collect();
    ApplicantLine {
        name: format!("{} {}", a.first_name, a.last_name)
            .trim()
            .to_string(),
        email: a.email.clone(),
        choices: a
            .choices
            .iter()
            .enumerate()
            .map(|(n, c)| format!("{}. {}", n + 1, name_of(c)))
            .collect::<Vec<_>>()
            .join(" "),
        topics: a.topics.join(", "),
        status: a.status.clone(),
        reason: a.unmatched_reason.clone(),
        answers,
    }
}

/// An applicant waiting for a pairing, as the console's "Waiting" list shows them.
pub struct QueueLine {
    pub id: String,
    pub name: String,
    pub reason: String,
    /// The mentor the hand-pairing menu starts on: the applicant's highest-ranked
    /// choice who is active with a place left ("" when none is: the menu's first
    /// mentor with a place).
    pub pick: String,
    /// The applicant's choices, in rank order (mentor ids).
    pub choices: Vec<String>,
}

impl QueueLine {
    /// "their 1st choice" and so on for mentor `id`, "" when they did not rank them.
    pub fn rank_of(&self, id: &str) -> String {
        match self.choices.iter().position(|c| c == id) {
            Some(0) => ", their 1st choice".into(),
            Some(1) => ", their 2nd choice".into(),
            Some(2) => ", their 3rd choice".into(),
            Some(n) => format!(", their {}th choice", n + 1),
            None => String::new(),
        }
    }
}

fn queue_line(a: &ApplicationRow, pool: &[PoolLine]) -> QueueLine {
    let open = |id: &String| {
        pool.iter()
            .any(|m| &m.id == id && m.status == "active" && m.seats_left > 0)
    };
    QueueLine {
        id: a.id.clone(),
        name: format!("{} {}", a.first_name, a.last_name)
            .trim()
            .to_string(),
        reason: a.unmatched_reason.clone(),
        pick: a
            .choices
            .iter()
            .find(|c| open(c))
            .cloned()
            .unwrap_or_default(),
        choices: a.choices.clone(),
    }
}

#[derive(Template)]
#[template(path = "program_manage.html")]
struct ManagePage {
    layout: Layout,
    p: ProgramCard,
    is_admin: bool,
    /// The state changes that apply now: (action, button label, whether it ends it).
    actions: Vec<(&'static str, &'static str, bool)>,
    funding: programs::Funding,
    d: DetailsView,
    /// The details form's errors (empty unless that form came back).
    details_errors: FormErrors,
    managers: Vec<(String, String, String)>,
    pool: Vec<PoolLine>,
    /// No active mentor of the pool has a place left (pairing by hand has no choice).
    pool_full: bool,
    applicants: Vec<ApplicantLine>,
    drafts: Vec<PairingLine>,
    published: Vec<PairingLine>,
    /// Applicants no pairing holds.
    queue: Vec<QueueLine>,
    /// What publishing the drafts grants.
    grant_total: i64,
    live: bool,
    /// The nudge rules, with their labels.
    /// Each nudge rule, its label, and the error beside its days (a refused save).
    rules: Vec<(Rule, &'static str, Option<String>)>,
    /// Who the rules would nudge 24 hours from now: (rule label, name, title).
    tomorrow: Vec<(String, String)>,
    /// How many nudges went out.
    sent: usize,
    /// Which form the errors belong to.
    errors_for: String,
    errors: FormErrors,
}

fn actions_for(s: ProgramStatus) -> Vec<(&'static str, &'static str, bool)> {
    [
        (
            ProgramAction::Open,
            "open",
            "Open it: members see it and apply",
        ),
        (ProgramAction::Start, "start", "Start the running window"),
        (ProgramAction::Complete, "complete", "Complete the program"),
        (ProgramAction::Cancel, "cancel", "Cancel the program"),
    ]
    .into_iter()
    .filter(|(a, _, _)| crate::domain::program::transition(s, *a).is_some())
    .map(|(a, word, label)| (word, label, a == ProgramAction::Cancel))
    .collect()
}

async fn render_manage(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    id: &str,
    details: Option<DetailsView>,
    (errors_for, errors): (String, FormErrors),
    typed_rules: Option<Vec<Rule>>,
) -> PageResult {
    let (a, pool_rows, apps) = enrol::enrolments(&state.ctx, me, id).await?;
    a.require_manager()?;
    let p = &a.program;
    let props = proposals::list(&state.ctx, me, id).await?;
    let pool: Vec<PoolLine> = pool_rows
        .iter()
        .map(|m| managed_pool_line(m, &props.drafts))
        .collect();
    let drafts = draft_lines(&props.drafts, &pool);
    let now = state.ctx.now();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let queue = props.queue.iter().map(|x| queue_line(x, &pool)).collect();
    let page = ManagePage {
        layout: web.layout(),
        p: card(web, p, now),
        is_admin: admin::is_admin(me),
        actions: actions_for(p.status),
        funding: programs::funding(&state.ctx, id).await?,
        d: details.unwrap_or_else(|| DetailsView::of(p, &program_zone(p))),
        details_errors: if errors_for == "details" {
            errors.clone()
        } else {
            FormErrors::default()
        },
        managers: programs::managers(&state.ctx, &a).await?,
        pool_full: !pool
            .iter()
            .any(|m| m.status == "active" && m.seats_left > 0),
        pool,
        applicants: apps
            .iter()
            .map(|x| applicant_line(x, &pool_rows, &p.mentee_questions))
            .collect(),
        grant_total: p.budget_per_mentee * props.drafts.len() as i64,
        drafts,
        published: props.published.iter().map(pairing_line).collect(),
        queue,
        live: matches!(p.status, ProgramStatus::Open | ProgramStatus::Running),
        rules: match typed_rules {
            Some(typed) => typed,
            None => nudges::rules(&state.ctx, id).await?,
        }
        .into_iter()
        .map(|r| {
            let label = nudges::RULES
                .iter()
                .find(|(k, _, _)| *k == r.rule)
                .map_or("", |(_, _, l)| *l);
            let error = errors.get(&format!("days-{}", r.rule)).map(str::to_string);
            (r, label, error)
        })
        .collect(),
        tomorrow: nudges::preview(
            &state.ctx,
            me,
            id,
            now + jiff::SignedDuration::from_hours(24),
        )
        .await?
        .into_iter()
        .map(|n| (n.name, n.title))
        .collect(),
        sent: nudges::sent(&state.ctx, me, id).await?.len(),
        errors_for,
        errors,
    };
    Ok(web.render_status(state, status, &page))
}

async fn manage_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let id = path_id(&id)?;
    render_manage(
        &state,
        &web,
        &me,
        &id,
        None,
        (String::new(), FormErrors::default()),
        None,
    )
    .await
}

/// Every console form: which fields it uses depends on the action.
#[derive(Debug, Default, Deserialize)]
struct ConsoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    credits: String,
    #[serde(default)]
    memo: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    application_id: String,
    #[serde(default)]
    mentor_id: String,
    #[serde(default)]
    pairing: String,
    #[serde(default)]
    other: String,
    #[serde(flatten)]
    details: BTreeMap<String, String>,
}

async fn manage_action(
    State(state): State<AppState>,
    web: WebCtx,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<ConsoleForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let back = format!("/programs/{id}/manage");
    let ctx = &state.ctx;
    let done: Result<&'static str, AppError> = match action.as_str() {
        "state" => {
            let Some(a) = ProgramAction::parse(&f.state) else {
                return Err(AppError::NotFound.into());
            };
            if matches!(a, ProgramAction::Complete | ProgramAction::Cancel)
                && !confirm::confirmed(&f.confirmed)
            {
                let p = programs::access(ctx, &me, &id).await?.program;
                let draft = p.status == crate::domain::program::ProgramStatus::Draft;
                return Ok(confirm::page(
                    &state,
                    &web,
                    confirm::Confirm {
                        question: if a == ProgramAction::Complete {
                            "Complete this program?".into()
                        } else {
                            "Cancel this program?".into()
                        },
                        consequence: if draft {
                            "It was never opened: nobody has seen or joined it. It stays listed for you as cancelled and cannot be opened again.".into()
                        } else {
                            "Draft proposals are dropped and the mentees' unspent sponsored credits go back to the program. Its mentorships go on outside it.".into()
                        },
                        action: format!("/programs/{id}/manage/state"),
                        fields: vec![("state", f.state.clone())],
                        yes: if a == ProgramAction::Complete {
                            "Yes, complete it"
                        } else {
                            "Yes, cancel it"
                        },
                        back: back.clone(),
                        no: if draft {
                            "No, keep the draft"
                        } else {
                            "No, keep it going"
                        },
                        reason: None,
                        errors: FormErrors::default(),
                    },
                ));
            }
            // Starting cannot be undone and ends the application window early when
            // it is still open: said first, and asked.
            if a == ProgramAction::Start && !confirm::confirmed(&f.confirmed) {
                let p = programs::access(ctx, &me, &id).await?.program;
                let early = ctx.now() < p.applications_close_at;
                return Ok(confirm::page(
                    &state,
                    &web,
                    confirm::Confirm {
                        question: "Start the program's running window now?".into(),
                        consequence: if early {
                            format!(
                                "Applications close now instead of on {}: no more mentees can \
                                 apply (mentors can still join the pool), and the program cannot \
                                 go back to open. Pairings can still be made and published.",
                                web.when(p.applications_close_at, &program_zone(&p))
                            )
                        } else {
                            "The program cannot go back to open. Pairings can still be made \
                             and published."
                                .into()
                        },
                        action: format!("/programs/{id}/manage/state"),
                        fields: vec![("state", f.state.clone())],
                        yes: "Yes, start it",
                        back: back.clone(),
                        no: "Not yet",
                        reason: None,
                        errors: FormErrors::default(),
                    },
                ));
            }
            programs::act(ctx, &me, &id, a)
                .await
                .map(|_| "program_state")
        }
        "details" => {
            let form = details_form(&f);
            // The form's days are the program's, in its own zone.
            let p = programs::access(ctx, &me, &id).await?.program;
            let zone = program_zone(&p);
            let mut input = ProgramInput {
                template_id: None,
                ..details_input(&form, &zone)
            };
            // A day left as it reads keeps its instant: applications closed early by
            // starting the program stay closed then, not until the day's last minute.
            let kept = |typed: &str, at: jiff::Timestamp| {
                (typed.trim() == at.to_zoned(zone.clone()).date().to_string())
                    .then(|| at.to_string())
            };
            for (typed, at, field) in [
                (
                    &form.applications_open_on,
                    p.applications_open_at,
                    &mut input.applications_open_at,
                ),
                (
                    &form.applications_close_on,
                    p.applications_close_at,
                    &mut input.applications_close_at,
                ),
                (&form.starts_on, p.starts_at, &mut input.starts_at),
                (&form.ends_on, p.ends_at, &mut input.ends_at),
            ] {
                if let Some(same) = kept(typed, at) {
                    *field = Some(same);
                }
            }
            match programs::update(ctx, &me, &id, &input).await {
                Ok(_) => Ok("program_updated"),
                Err(e @ AppError::Invalid(_)) => {
                    let errors = details_errors(&e);
                    return render_manage(
                        &state,
                        &web,
                        &me,
                        &id,
                        Some(DetailsView {
                            zone: zone.iana_name().unwrap_or("UTC").to_string(),
                            ..DetailsView::typed(&form)
                        }),
                        ("details".into(), errors),
                        None,
                    )
                    .await;
                }
                Err(e) => Err(e),
            }
        }
        "fund" => {
            let credits = f.credits.trim().parse::<i64>().unwrap_or(0);
            programs::fund(
                ctx,
                &me,
                &id,
                &FundingInput {
                    credits,
                    memo: f.memo.clone(),
                },
            )
            .await
            .map(|_| "program_funded")
        }
        "add-manager" => match admin::user_by_email(ctx, &me, f.email.trim()).await {
            Ok(u) => programs::set_manager(ctx, &me, &id, &u.id, true)
                .await
                .map(|added| {
                    if added {
                        "program_manager_added"
                    } else {
                        "program_manager_already"
                    }
                }),
            Err(AppError::NotFound) => Err(AppError::invalid(
                "email",
                "unknown_user",
                "No member has this email address.",
            )),
            Err(e) => Err(e),
        },
        "nudges" => {
            let rules: Vec<Rule> = nudges::RULES
                .iter()
                .map(|(rule, default, _)| Rule {
                    rule: rule.to_string(),
                    days: f
                        .details
                        .get(&format!("days.{rule}"))
                        .map_or(*default, |d| d.trim().parse().unwrap_or(0)),
                    enabled: f.details.contains_key(&format!("on.{rule}")),
                })
                .collect();
            match nudges::set_rules(
                ctx,
                &me,
                &id,
                &RulesInput {
                    rules: rules.clone(),
                },
            )
            .await
            {
                Ok(_) => Ok("program_nudges_saved"),
                // Each refused number is said beside its rule's field, by the rule's
                // label, and the form comes back as it was sent.
                Err(AppError::Invalid(found)) => {
                    let mut labels = vec![];
                    let errors = found
                        .into_iter()
                        .map(|mut e| {
                            let n = super::forms::path_parts(&e.field)
                                .filter(|(list, _, _)| *list == "rules")
                                .map(|(_, n, _)| n);
                            if let Some(r) = n.and_then(|n| rules.get(n)) {
                                let label = nudges::RULES
                                    .iter()
                                    .find(|(k, _, _)| *k == r.rule)
                                    .map_or("", |(_, _, l)| *l);
                                e.field = format!("days-{}", r.rule);
                                labels.push((e.field.clone(), format!("{label}, days")));
                            }
                            e
                        })
                        .collect();
                    let errors = FormErrors::from_error(&AppError::Invalid(errors))
                        .labelled_owned(labels)
                        .ids("");
                    return render_manage(
                        &state,
                        &web,
                        &me,
                        &id,
                        None,
                        ("nudges".into(), errors),
                        Some(rules),
                    )
                    .await;
                }
                Err(e) => Err(e),
            }
        }
        "remove-manager" => programs::set_manager(ctx, &me, &id, &f.user_id, false)
            .await
            .map(|_| "program_manager_removed"),
        "propose" => proposals::compute(ctx, &me, &id)
            .await
            .map(|_| "program_proposed"),
        "pair" => proposals::manual(
            ctx,
            &me,
            &id,
            &ManualInput {
                application_id: f.application_id.clone(),
                mentor_id: f.mentor_id.clone(),
            },
        )
        .await
        .map(|_| "program_paired"),
        "swap" => proposals::swap(
            ctx,
            &me,
            &id,
            &SwapInput {
                first: f.pairing.clone(),
                second: f.other.clone(),
            },
        )
        .await
        .map(|_| "program_swapped"),
        "remove" => match path_id(&f.pairing) {
            Ok(pairing) => proposals::remove(ctx, &me, &id, &pairing)
                .await
                .map(|_| "program_pairing_removed"),
            Err(_) => Err(AppError::NotFound),
        },
        "publish" => {
            let props = proposals::list(ctx, &me, &id).await?;
            let a = programs::access(ctx, &me, &id).await?;
            let need = a.program.budget_per_mentee * props.drafts.len() as i64;
            // Not funded enough: no question to answer, the refusal (and how much is
            // missing) comes back on the page at once.
            let funded = programs::funding(ctx, &id).await?.available >= need;
            if !confirm::confirmed(&f.confirmed) && funded {
                return Ok(confirm::page(
                    &state,
                    &web,
                    confirm::Confirm {
                        question: format!("Publish {} pairings?", props.drafts.len()),
                        consequence: format!(
                            "Each pair becomes a mentorship with its chat, both people are told, and each mentee gets {} credits from the program ({} in all).",
                            a.program.budget_per_mentee, need
                        ),
                        action: format!("/programs/{id}/manage/publish"),
                        fields: vec![],
                        yes: "Yes, publish",
                        back: back.clone(),
                        no: "Not yet",
                        reason: None,
                        errors: FormErrors::default(),
                    },
                ));
            }
            proposals::publish(ctx, &me, &id)
                .await
                .map(|_| "program_published")
        }
        _ => return Err(AppError::NotFound.into()),
    };
    match done {
        Ok(flash) => Ok(web.redirect_flash(&back, flash)),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&e).labelled(&[
                ("credits", "Credits"),
                ("email", "Email"),
                ("mentor_id", "Mentor"),
                ("application_id", "Applicant"),
                ("second", "The other pairing"),
                ("first", "The pairing"),
            ]);
            render_manage(&state, &web, &me, &id, None, (action, errors), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The console's details form, read from its fields.
fn details_form(f: &ConsoleForm) -> DetailsForm {
    let get = |k: &str| f.details.get(k).cloned().unwrap_or_default();
    DetailsForm {
        csrf: f.csrf.clone(),
        template_id: String::new(),
        name: get("name"),
        description: get("description"),
        join_rule: get("join_rule"),
        invite_code: get("invite_code"),
        email_domain: get("email_domain"),
        applications_open_on: get("applications_open_on"),
        applications_close_on: get("applications_close_on"),
        starts_on: get("starts_on"),
        ends_on: get("ends_on"),
        mentor_capacity: get("mentor_capacity"),
        sessions_expected: get("sessions_expected"),
        budget_per_mentee: get("budget_per_mentee"),
        self_matching: get("self_matching"),
    }
}

// ---- the report ----

#[derive(Template)]
#[template(path = "program_report.html")]
struct ReportPage {
    layout: Layout,
    p: ProgramCard,
    r: Report,
    charts: Vec<super::dashboards::Chart>,
    /// The pairs shown (all, or those of one health).
    pairs: Vec<PairLine>,
    health: String,
    /// (health, label, how many).
    health_counts: Vec<(&'static str, &'static str, usize)>,
}

#[derive(Debug, Default, Deserialize)]
struct ReportQuery {
    #[serde(default)]
    health: String,
    #[serde(default)]
    table: String,
}

async fn report_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let id = path_id(&id)?;
    let q: ReportQuery = super::page_query(&uri);
    let a = programs::access(&state.ctx, &me, &id).await?;
    let r = report::report_of(&state.ctx, &a, &web.zone()).await?;
    use crate::domain::program::Health;
    let health_counts = [Health::OnTrack, Health::NeedsCheckIn, Health::Inactive]
        .into_iter()
        .map(|h| {
            (
                h.as_str(),
                h.label(),
                r.pairs.iter().filter(|p| p.health == h).count(),
            )
        })
        .collect();
    let pairs = r
        .pairs
        .iter()
        .filter(|p| q.health.is_empty() || p.health.as_str() == q.health)
        .cloned()
        .collect();
    let mut charts = vec![
        super::dashboards::chart(
            "applications",
            "Applications",
            "applications",
            &r.weekly.applications,
        ),
        super::dashboards::chart("matches", "Pairs matched", "pairs", &r.weekly.matches),
        super::dashboards::chart("sessions", "Sessions held", "sessions", &r.weekly.sessions),
    ];
    for c in &mut charts {
        c.period = "by week since applications opened".into();
    }
    Ok(web.render(
        &state,
        &ReportPage {
            layout: web.layout(),
            p: card(&web, &a.program, state.ctx.now()),
            charts,
            pairs,
            health: q.health,
            health_counts,
            r,
        },
    ))
}

async fn report_csv(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> PageResult {
    use axum::response::IntoResponse;
    let me = web.require_user()?.user.clone();
    let id = path_id(&id)?;
    let q: ReportQuery = super::page_query(&uri);
    let r = report::report(&state.ctx, &me, &id, &web.zone()).await?;
    let table = if q.table.is_empty() {
        "pairs"
    } else {
        q.table.as_str()
    };
    let body = report::csv(&r, table)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    report::csv_file_name(&r, table)
                ),
            ),
        ],
        body,
    )
        .into_response())
}
