//! Settings sub-pages for mentoring: the mentee profile, the mentor application and
//! profile, and the mentor's services.

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
    domain::mentor::{ExperienceEntry, MentorStatus},
    error::AppError,
    http::{AppState, extract::path_id},
    service::accounts::UserRow,
    service::mentors::{self, MenteeProfileInput, MentorProfileInput, ServiceInput, ServicePatch},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/mentee", get(mentee_form).post(save_mentee))
        .route("/settings/mentor", get(mentor_form).post(save_mentor))
        .route("/settings/services", get(services_page).post(add_service))
        .route("/settings/services/{id}", post(edit_service))
        .route("/settings/services/{id}/delete", post(remove_service))
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn join_list(list: &[String]) -> String {
    list.join(", ")
}

async fn has_mentor_profile(state: &AppState, user: &UserRow) -> bool {
    mentors::offers_services(&state.ctx, user).await
}

// ------------------------------------------------------------------ mentee

#[derive(Template)]
#[template(path = "settings_mentee.html")]
struct MenteePage {
    layout: Layout,
    show_services: bool,
    bio: String,
    goals: String,
    skills: String,
    interests: String,
    errors: FormErrors,
}

async fn mentee_form(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    let p = mentors::mentee_profile(&state.ctx, &me).await?;
    Ok(web.render(
        &state,
        &MenteePage {
            layout: web.layout(),
            show_services: has_mentor_profile(&state, &me).await,
            bio: p.as_ref().map(|p| p.bio.clone()).unwrap_or_default(),
            goals: p.as_ref().map(|p| join_list(&p.goals)).unwrap_or_default(),
            skills: p.as_ref().map(|p| join_list(&p.skills)).unwrap_or_default(),
            interests: p
                .as_ref()
                .map(|p| join_list(&p.interests))
                .unwrap_or_default(),
            errors: FormErrors::default(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct MenteeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    goals: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    interests: String,
}

async fn save_mentee(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<MenteeForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let input = MenteeProfileInput {
        bio: f.bio.clone(),
        goals: split_list(&f.goals),
        skills: split_list(&f.skills),
        interests: split_list(&f.interests),
    };
    let result = mentors::save_mentee_profile(&state.ctx, &me, &input).await;
    Ok(match result {
        Ok(_) => web.redirect_flash("/settings/mentee", "profile_saved"),
        Err(e @ AppError::Invalid(_)) => web.render_status(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &MenteePage {
                layout: web.layout(),
                show_services: has_mentor_profile(&state, &me).await,
                bio: f.bio,
                goals: f.goals,
                skills: f.skills,
                interests: f.interests,
                errors: FormErrors::from_error(&e).ids("").labelled(&[
                    ("bio", "About me as a learner"),
                    ("goals", "Goals"),
                    ("skills", "Skills"),
                    ("interests", "Interests"),
                ]),
            },
        ),
        Err(e) => return Err(e.into()),
    })
}

// ------------------------------------------------------------------ mentor

pub struct ExpRow {
    pub company: String,
    pub title: String,
    pub start_date: String,
    pub end_date: String,
    pub description: String,
}

/// One input of an experience row: (the form's name part, the API field its errors
/// come under, the label, the input type, the value).
pub type ExpField<'a> = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'a str,
);

impl ExpRow {
    /// The row's inputs, in the form's order.
    pub fn fields(&self) -> [ExpField<'_>; 5] {
        [
            ("company", "company", "Company", "text", &self.company),
            ("title", "title", "Title", "text", &self.title),
            ("start", "start_date", "From", "date", &self.start_date),
            ("end", "end_date", "To (empty: now)", "date", &self.end_date),
            (
                "description",
                "description",
                "What you did",
                "text",
                &self.description,
            ),
        ]
    }
}

#[derive(Template)]
#[template(path = "settings_mentor.html")]
struct MentorFormPage {
    layout: Layout,
    /// Their public page's address.
    page: String,
    show_services: bool,
    status: String,
    decision_reason: String,
    f: MentorFormValues,
    rows: Vec<ExpRow>,
    errors: FormErrors,
    /// When the video-call services' prices are not this rate an hour: what they are.
    rate_note: Option<String>,
}

/// What the mentor's video calls cost an hour, when that is not `rate` (the figure
/// their page and search's price filter show; a booking costs its service's price).
async fn rate_note(state: &AppState, mentor_id: &str, rate: &str) -> Option<String> {
    let services = mentors::offered_services(&state.ctx, mentor_id)
        .await
        .ok()?;
    let hourly: Vec<i64> = services
        .iter()
        .filter(|s| s.kind == crate::domain::mentor::ServiceKind::Session && s.duration_minutes > 0)
        .map(|s| (s.credit_cost * 60 + s.duration_minutes / 2) / s.duration_minutes)
        .collect();
    let rate: i64 = rate.trim().parse().ok()?;
    let (lo, hi) = (*hourly.iter().min()?, *hourly.iter().max()?);
    if lo == rate && hi == rate {
        return None;
    }
    let cost = if lo == hi {
        format!("{lo} credits an hour")
    } else {
        format!("{lo} to {hi} credits an hour")
    };
    Some(format!(
        "Your video calls cost {cost} at their own prices, which is what a booking \
         costs; this figure is what your page and search's price filter show. Change \
         it or the services' prices so that they agree."
    ))
}

#[derive(Debug, Default, Clone)]
struct MentorFormValues {
    bio: String,
    expertise: String,
    skills: String,
    industries: String,
    company: String,
    title: String,
    hourly_rate: String,
    max_mentees: String,
    is_public: bool,
}

const EXP_ROWS: usize = 5;

async fn mentor_form(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    let p = mentors::my_profile(&state.ctx, &me).await?;
    let (status, reason, values, exp) = match &p {
        Some(p) => (
            p.status.as_str().to_string(),
            p.decision_reason.clone(),
            MentorFormValues {
                bio: p.bio.clone(),
                expertise: join_list(&p.expertise),
                skills: join_list(&p.skills),
                industries: join_list(&p.industries),
                company: p.company.clone(),
                title: p.title.clone(),
                hourly_rate: if p.status == MentorStatus::Draft {
                    String::new()
                } else {
                    p.hourly_rate.to_string()
                },
                max_mentees: p.max_mentees.to_string(),
                is_public: p.is_public,
            },
            p.experience.clone(),
        ),
        None => (
            String::new(),
            String::new(),
            MentorFormValues {
                max_mentees: "3".into(),
                is_public: true,
                ..Default::default()
            },
            vec![],
        ),
    };
    let mut rows: Vec<ExpRow> = exp
        .into_iter()
        .map(|e| ExpRow {
            company: e.company,
            title: e.title,
            start_date: e.start_date,
            end_date: e.end_date.unwrap_or_default(),
            description: e.description,
        })
        .collect();
    while rows.len() < EXP_ROWS {
        rows.push(ExpRow {
            company: String::new(),
            title: String::new(),
            start_date: String::new(),
            end_date: String::new(),
            description: String::new(),
        });
    }
    let rate_note = rate_note(&state, &me.id, &values.hourly_rate).await;
    Ok(web.render(
        &state,
        &MentorFormPage {
            rate_note,
            layout: web.layout(),
            page: format!("/mentors/{}", me.id),
            show_services: p.as_ref().is_some_and(|p| p.status != MentorStatus::Draft),
            status,
            // Written as a sentence once, whether or not the admin ended it with a stop.
            decision_reason: crate::domain::text::as_sentence(&reason),
            f: values,
            rows,
            errors: FormErrors::default(),
        },
    ))
}

async fn save_mentor(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    web.check_csrf(&get("csrf"))?;
    let (rows, experience) = experience_rows(&get);
    let values = MentorFormValues {
        bio: get("bio"),
        expertise: get("expertise"),
        skills: get("skills"),
        industries: get("industries"),
        company: get("company"),
        title: get("title"),
        hourly_rate: get("hourly_rate"),
        max_mentees: get("max_mentees"),
        is_public: form.iter().any(|(k, _)| k == "is_public"),
    };
    let mut number_errors = vec![];
    let mut num = |field: &str, raw: &str| match raw.trim().parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            number_errors.push(crate::error::FieldError::new(
                field,
                "invalid_number",
                "Enter a whole number.",
            ));
            0
        }
    };
    let hourly_rate = num("hourly_rate", &values.hourly_rate);
    let max_mentees = num("max_mentees", &values.max_mentees);
    let input = MentorProfileInput {
        bio: values.bio.clone(),
        expertise: split_list(&values.expertise),
        skills: split_list(&values.skills),
        industries: split_list(&values.industries),
        company: values.company.clone(),
        title: values.title.clone(),
        experience,
        hourly_rate,
        max_mentees,
        is_public: values.is_public,
    };
    let result = if number_errors.is_empty() {
        mentors::save_profile(&state.ctx, &me, &input).await
    } else {
        // A number that is not one, and everything else that is wrong: all at once.
        let mut errors = number_errors;
        let rest = MentorProfileInput {
            hourly_rate: 1,
            max_mentees: 1,
            ..input.clone()
        };
        let today = mentors::latest_today(state.ctx.now());
        if let Err(AppError::Invalid(more)) = mentors::check_profile(&rest, today) {
            errors.extend(more.into_iter().filter(|e| !errors_for_numbers(&e.field)));
        }
        Err(AppError::Invalid(errors))
    };
    Ok(match result {
        Ok(p) => web.redirect_flash(
            "/settings/mentor",
            match p.status.as_str() {
                "pending" => "application_filed",
                _ => "profile_saved",
            },
        ),
        Err(e @ AppError::Invalid(_)) => {
            let current = mentors::my_profile(&state.ctx, &me).await.ok().flatten();
            web.render_status(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &MentorFormPage {
                    rate_note: None,
                    layout: web.layout(),
                    page: format!("/mentors/{}", me.id),
                    show_services: current
                        .as_ref()
                        .is_some_and(|p| p.status != MentorStatus::Draft),
                    status: current
                        .as_ref()
                        .map(|p| p.status.as_str().to_string())
                        .unwrap_or_default(),
                    decision_reason: current
                        .map(|p| crate::domain::text::as_sentence(&p.decision_reason))
                        .unwrap_or_default(),
                    f: values,
                    rows,
                    errors: FormErrors::from_error(&e).ids("").labelled(&[
                        ("bio", "About you as a mentor"),
                        ("expertise", "Expertise"),
                        ("skills", "Skills"),
                        ("industries", "Industries"),
                        ("title", "Title"),
                        ("company", "Company"),
                        ("hourly_rate", "Credits per hour"),
                        ("max_mentees", "Mentees at once"),
                        ("experience", "Experience"),
                    ]),
                },
            )
        }
        Err(e) => return Err(e.into()),
    })
}

// ------------------------------------------------------------------ services

/// One service's form, or the "Add a service" form, as the page shows it: the stored
/// values, or what was typed when this is the form that failed, with its errors.
pub struct ServiceFormView {
    /// Empty for the new service.
    pub id: String,
    /// The prefix of the form's field ids (`new-`, `s<id>-`).
    pub prefix: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub duration_minutes: String,
    pub credit_cost: String,
    pub active: bool,
    pub errors: FormErrors,
}

impl ServiceFormView {
    fn typed(id: &str, f: &ServiceForm, e: &AppError) -> Self {
        let prefix = Self::prefix_of(id);
        ServiceFormView {
            id: id.to_string(),
            kind: f.kind.clone(),
            title: f.title.clone(),
            description: f.description.clone(),
            duration_minutes: f.duration_minutes.clone(),
            credit_cost: f.credit_cost.clone(),
            active: id.is_empty() || f.active.is_some(),
            errors: FormErrors::from_error(e)
                .ids(prefix.clone())
                .labelled(SERVICE_LABELS),
            prefix,
        }
    }

    fn prefix_of(id: &str) -> String {
        if id.is_empty() {
            "new-".into()
        } else {
            format!("s{id}-")
        }
    }
}

/// The service form's labels, for its error summary.
const SERVICE_LABELS: &[(&str, &str)] = &[
    ("kind", "Kind"),
    ("title", "Title"),
    ("description", "Description"),
    ("duration_minutes", "Minutes"),
    ("credit_cost", "Credits"),
];

#[derive(Template)]
#[template(path = "settings_services.html")]
struct ServicesPage {
    layout: Layout,
    show_services: bool,
    services: Vec<ServiceFormView>,
    new: ServiceFormView,
    kinds: Vec<(&'static str, &'static str)>,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    vec![
        ("session", "Session (video call)"),
        ("resume_review", "Résumé review"),
        ("linkedin_review", "LinkedIn review"),
        ("custom", "Custom"),
    ]
}

/// The services page; `failed` is the form that was sent and refused (the service's
/// id, "" for a new one), shown as typed with its errors.
async fn render_services(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    failed: Option<(&str, &ServiceForm, &AppError)>,
) -> PageResult {
    let rows = mentors::my_services(&state.ctx, me).await?;
    let services = rows
        .into_iter()
        .map(|s| match failed {
            Some((id, f, e)) if id == s.id => ServiceFormView::typed(id, f, e),
            _ => ServiceFormView {
                prefix: ServiceFormView::prefix_of(&s.id),
                id: s.id,
                kind: s.kind.as_str().to_string(),
                title: s.title,
                description: s.description,
                duration_minutes: s.duration_minutes.to_string(),
                credit_cost: s.credit_cost.to_string(),
                active: s.active,
                errors: FormErrors::default(),
            },
        })
        .collect();
    let new = match failed {
        Some(("", f, e)) => ServiceFormView::typed("", f, e),
        _ => ServiceFormView {
            id: String::new(),
            prefix: ServiceFormView::prefix_of(""),
            kind: "session".into(),
            title: String::new(),
            description: String::new(),
            duration_minutes: "60".into(),
            credit_cost: String::new(),
            active: true,
            errors: FormErrors::default(),
        },
    };
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(web.render_status(
        state,
        status,
        &ServicesPage {
            layout: web.layout(),
            show_services: true,
            services,
            new,
            kinds: kinds(),
        },
    ))
}

async fn services_page(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    if !has_mentor_profile(&state, &me).await {
        return Ok(web.redirect_flash("/settings/mentor", "mentor_profile_first"));
    }
    render_services(&state, &web, &me, None).await
}

#[derive(Debug, Default, Deserialize)]
struct ServiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    credit_cost: String,
    #[serde(default)]
    active: Option<String>,
}

fn service_numbers(f: &ServiceForm) -> Result<(i64, i64), AppError> {
    let d = f.duration_minutes.trim().parse::<i64>();
    let c = f.credit_cost.trim().parse::<i64>();
    let mut errs: Vec<crate::error::FieldError> = vec![];
    if d.is_err() {
        errs.push(crate::error::FieldError::new(
            "duration_minutes",
            "invalid_number",
            "Enter the minutes as a whole number.",
        ));
    }
    if c.is_err() {
        errs.push(crate::error::FieldError::new(
            "credit_cost",
            "invalid_number",
            "Enter the credits as a whole number.",
        ));
    }
    if let (Ok(d), Ok(c)) = (&d, &c) {
        return Ok((*d, *c));
    }
    // Said with the numbers: whatever else is wrong (a missing title, minutes out of
    // range), checked with a stand-in for the number that did not parse.
    let rest = ServiceInput {
        kind: f.kind.clone(),
        title: f.title.clone(),
        description: f.description.clone(),
        duration_minutes: d.unwrap_or(60),
        credit_cost: c.unwrap_or(1),
        active: true,
    };
    if let Err(AppError::Invalid(more)) = mentors::check_service(&rest) {
        let unparsed: Vec<String> = errs.iter().map(|e| e.field.clone()).collect();
        errs.extend(more.into_iter().filter(|e| !unparsed.contains(&e.field)));
    }
    // In the form's order.
    let order = [
        "kind",
        "title",
        "description",
        "duration_minutes",
        "credit_cost",
    ];
    errs.sort_by_key(|e| {
        order
            .iter()
            .position(|f| *f == e.field)
            .unwrap_or(order.len())
    });
    Err(AppError::Invalid(errs))
}

/// After a service form: back to the page with a flash, or the page again with the
/// form as typed and its errors (`form`: the service's id, "" for a new one, and what
/// was sent).
async fn service_result(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    r: Result<(), AppError>,
    form: Option<(&str, &ServiceForm)>,
    flash: &'static str,
) -> PageResult {
    match (r, form) {
        (Ok(()), _) => Ok(web.redirect_flash("/settings/services", flash)),
        (Err(e @ AppError::Invalid(_)), Some((id, f))) => {
            render_services(state, web, me, Some((id, f, &e))).await
        }
        (Err(e), _) => Err(e.into()),
    }
}

async fn add_service(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<ServiceForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let r = async {
        let (d, c) = service_numbers(&f)?;
        let input = ServiceInput {
            kind: f.kind.clone(),
            title: f.title.clone(),
            description: f.description.clone(),
            duration_minutes: d,
            credit_cost: c,
            active: true,
        };
        mentors::create_service(&state.ctx, &me, &input)
            .await
            .map(|_| ())
    }
    .await;
    service_result(&state, &web, &me, r, Some(("", &f)), "service_saved").await
}

async fn edit_service(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<ServiceForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let r = async {
        let (d, c) = service_numbers(&f)?;
        let patch = ServicePatch {
            kind: Some(f.kind.clone()),
            title: Some(f.title.clone()),
            description: Some(f.description.clone()),
            duration_minutes: Some(d),
            credit_cost: Some(c),
            active: Some(f.active.is_some()),
        };
        mentors::update_service(&state.ctx, &me, &id, &patch)
            .await
            .map(|_| ())
    }
    .await;
    service_result(&state, &web, &me, r, Some((&id, &f)), "service_saved").await
}

/// The experience rows of the mentor form as typed, and the filled ones as entries.
fn experience_rows(get: &impl Fn(&str) -> String) -> (Vec<ExpRow>, Vec<ExperienceEntry>) {
    let mut rows = vec![];
    let mut experience = vec![];
    for i in 0..EXP_ROWS {
        let row = ExpRow {
            company: get(&format!("exp_company_{i}")),
            title: get(&format!("exp_title_{i}")),
            start_date: get(&format!("exp_start_{i}")),
            end_date: get(&format!("exp_end_{i}")),
            description: get(&format!("exp_description_{i}")),
        };
        if [
            &row.company,
            &row.title,
            &row.start_date,
            &row.end_date,
            &row.description,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
        {
            experience.push(ExperienceEntry {
                company: row.company.clone(),
                title: row.title.clone(),
                start_date: row.start_date.clone(),
                end_date: Some(row.end_date.clone()),
                description: row.description.clone(),
            });
        }
        rows.push(row);
    }
    (rows, experience)
}

/// The fields whose numbers the page reads itself.
fn errors_for_numbers(field: &str) -> bool {
    matches!(field, "hourly_rate" | "max_mentees")
}

/// The Remove button's form (the service's own form, with `confirmed` once asked).
#[derive(Debug, Default, Deserialize)]
struct RemoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirmed: String,
}

async fn remove_service(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<RemoveForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    if !confirm::confirmed(&f.confirmed) {
        let service = mentors::my_services(&state.ctx, &me)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(AppError::NotFound)?;
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: format!("Remove “{}”?", service.title),
                consequence: REMOVE_CONSEQUENCE.into(),
                action: format!("/settings/services/{id}/delete"),
                fields: vec![],
                yes: "Yes, remove it",
                back: "/settings/services".into(),
                no: "No, keep it",
                reason: None,
                errors: FormErrors::default(),
            },
        ));
    }
    let r = mentors::delete_service(&state.ctx, &me, &id).await;
    service_result(&state, &web, &me, r, None, "service_removed").await
}

/// What removing a service does (the confirmation and the flash say it).
const REMOVE_CONSEQUENCE: &str =
    "Mentees can no longer book it. Bookings already made for it stay as they are.";
