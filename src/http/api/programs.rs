//! `/api/v1/programs*` and `/api/v1/program-templates`: mentorship programs, their
//! managers, enrolments, match proposals and publishing.

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ts;
use crate::{
    domain::program::{Goal, ProgramAction, ProgramStatus, Question, Template},
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPairPath, IdPath},
        problem::Problem,
    },
    service::programs::{
        self, Access, ApplicationRow, FundingInput, MatchRow, PoolRow, ProgramInput,
        SaveTemplateInput,
        enrol::{self, EnrolInput, Enrolled, LeaveInput},
        nudges::{self, Nudge, Rule, RulesInput},
        proposals::{self, ChooseInput, ManualInput, Proposals, Published, SwapInput},
        report::{self, PairLine, Report},
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(templates, save_template))
        .routes(routes!(create, list))
        .routes(routes!(get_one, update))
        .routes(routes!(transition))
        .routes(routes!(managers, add_manager, remove_manager))
        .routes(routes!(fund))
        .routes(routes!(enrolments, enrol_in, leave))
        .routes(routes!(pool))
        .routes(routes!(list_proposals, compute))
        .routes(routes!(pair_by_hand))
        .routes(routes!(swap))
        .routes(routes!(publish))
        .routes(routes!(remove_pairing))
        .routes(routes!(report))
        .routes(routes!(pairs))
        .routes(routes!(nudge_rules, set_nudge_rules))
        .routes(routes!(nudge_preview))
        .routes(routes!(self_match))
}

/// A program as its viewer may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `anyone`, `invite` (the code is asked when enrolling) or `domain`.
    pub join_rule: String,
    /// Managers only.
    pub invite_code: Option<String>,
    pub email_domain: String,
    pub applications_open_at: String,
    pub applications_close_at: String,
    pub starts_at: String,
    pub ends_at: String,
    pub mentor_capacity: i64,
    pub sessions_expected: i64,
    pub budget_per_mentee: i64,
    pub self_matching: bool,
    pub mentee_questions: Vec<Question>,
    pub mentor_questions: Vec<Question>,
    pub goals: Vec<Goal>,
    pub agendas: Vec<Vec<String>>,
    /// The IANA zone its dates are days in.
    pub timezone: String,
    /// The template it was started from ('' for none).
    pub template: String,
    pub status: ProgramStatus,
    /// Open and inside the application window now.
    pub accepting_applications: bool,
    /// You manage it (or are an administrator).
    pub you_manage: bool,
    /// Managers only: the funding account and the sponsored credits not spent.
    pub funding: Option<programs::Funding>,
}

async fn view(state: &AppState, a: Access) -> Result<ProgramView, AppError> {
    let funding = if a.manages {
        Some(programs::funding(&state.ctx, &a.program.id).await?)
    } else {
        None
    };
    let now = state.ctx.now();
    let p = a.program;
    Ok(ProgramView {
        accepting_applications: p.status == ProgramStatus::Open
            && p.applications_open_at <= now
            && now < p.applications_close_at,
        invite_code: a.manages.then(|| p.invite_code.clone()),
        id: p.id,
        name: p.name,
        description: p.description,
        join_rule: p.join_rule,
        email_domain: p.email_domain,
        applications_open_at: ts(p.applications_open_at),
        applications_close_at: ts(p.applications_close_at),
        starts_at: ts(p.starts_at),
        ends_at: ts(p.ends_at),
        mentor_capacity: p.mentor_capacity,
        sessions_expected: p.sessions_expected,
        budget_per_mentee: p.budget_per_mentee,
        self_matching: p.self_matching,
        mentee_questions: p.mentee_questions,
        mentor_questions: p.mentor_questions,
        goals: p.goals,
        agendas: p.agendas,
        timezone: p.timezone,
        template: p.template,
        status: p.status,
        you_manage: a.manages,
        funding,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramList {
    pub items: Vec<ProgramView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<Template>,
}

/// The built-in templates and the saved ones (administrators and program managers).
#[utoipa::path(get, path = "/api/v1/program-templates", tag = "programs",
    security(("bearer" = [])),
    responses((status = 200, body = TemplateList), (status = 403, body = Problem)))]
async fn templates(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<TemplateList>, AppError> {
    Ok(axum::Json(TemplateList {
        items: programs::templates(&state.ctx, &me.user).await?,
    }))
}

/// Save a program's questions, goals, agendas and numbers as a template
/// (administrators).
#[utoipa::path(post, path = "/api/v1/program-templates", tag = "programs",
    security(("bearer" = [])), request_body = SaveTemplateInput,
    responses((status = 201, body = Template), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn save_template(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<SaveTemplateInput>,
) -> Result<impl IntoResponse, AppError> {
    let t = programs::save_template(&state.ctx, &me.user, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(t)))
}

/// Create a program as a draft (administrators), from a template or not: the
/// template's questions, goals, agendas and numbers fill what the request leaves out;
/// dates default to applications open now for two weeks, then the template's length.
#[utoipa::path(post, path = "/api/v1/programs", tag = "programs",
    security(("bearer" = [])), request_body = ProgramInput,
    responses((status = 201, body = ProgramView), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<ProgramInput>,
) -> Result<impl IntoResponse, AppError> {
    let p = programs::create(&state.ctx, &me.user, &input).await?;
    let v = view(
        &state,
        Access {
            program: p,
            manages: true,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(v)))
}

/// The programs you may see: open to you (anyone, or your email domain), ones you
/// take part in, and ones you manage (drafts included). Newest first.
#[utoipa::path(get, path = "/api/v1/programs", tag = "programs",
    security(("bearer" = [])), responses((status = 200, body = ProgramList)))]
async fn list(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<ProgramList>, AppError> {
    let rows = programs::list(&state.ctx, &me.user).await?;
    let admin = crate::service::admin::is_admin(&me.user);
    let mut items = Vec::with_capacity(rows.len());
    for p in rows {
        // The list query already applied the visibility rule; managers are told apart.
        let manages = admin || p.status == ProgramStatus::Draft;
        let a = if manages {
            Access {
                program: p,
                manages,
            }
        } else {
            programs::access(&state.ctx, &me.user, &p.id).await?
        };
        items.push(view(&state, a).await?);
    }
    Ok(axum::Json(ProgramList { items }))
}

/// One program.
#[utoipa::path(get, path = "/api/v1/programs/{id}", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ProgramView), (status = 404, body = Problem)))]
async fn get_one(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ProgramView>, AppError> {
    let a = programs::access(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(view(&state, a).await?))
}

/// Change a program (its managers) until it is over; fields left out stay. The
/// mentees' questions stay once someone has applied.
#[utoipa::path(patch, path = "/api/v1/programs/{id}", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ProgramInput,
    responses((status = 200, body = ProgramView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`, `intake_answered`", body = Problem),
        (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ProgramInput>,
) -> Result<axum::Json<ProgramView>, AppError> {
    programs::update(&state.ctx, &me.user, &id, &input).await?;
    let a = programs::access(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(view(&state, a).await?))
}

/// A change of a program's state.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// `open` (draft → open), `start` (open → running), `complete` (running →
    /// completed) or `cancel`.
    pub action: String,
}

/// Move a program through its life (its managers). Completing or cancelling returns
/// the mentees' unspent sponsored credits to the program and drops draft proposals.
#[utoipa::path(post, path = "/api/v1/programs/{id}/transitions", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = TransitionInput,
    responses((status = 200, body = ProgramView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`", body = Problem),
        (status = 422, body = Problem)))]
async fn transition(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<TransitionInput>,
) -> Result<axum::Json<ProgramView>, AppError> {
    let action = ProgramAction::parse(input.action.trim()).ok_or_else(|| {
        AppError::invalid(
            "action",
            "invalid",
            "Choose open, start, complete or cancel.",
        )
    })?;
    programs::act(&state.ctx, &me.user, &id, action).await?;
    let a = programs::access(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(view(&state, a).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManagerView {
    pub user_id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManagerList {
    pub items: Vec<ManagerView>,
}

/// Who a manager is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagerInput {
    pub user_id: String,
}

async fn manager_list(state: &AppState, a: &Access) -> Result<ManagerList, AppError> {
    Ok(ManagerList {
        items: programs::managers(&state.ctx, a)
            .await?
            .into_iter()
            .map(|(user_id, name, email)| ManagerView {
                user_id,
                name,
                email,
            })
            .collect(),
    })
}

/// A program's managers (its managers and administrators).
#[utoipa::path(get, path = "/api/v1/programs/{id}/managers", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ManagerList), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn managers(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ManagerList>, AppError> {
    let a = programs::access(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(manager_list(&state, &a).await?))
}

/// Make a member a manager of this program (administrators): they see and act within
/// this program only.
#[utoipa::path(post, path = "/api/v1/programs/{id}/managers", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ManagerInput,
    responses((status = 200, body = ManagerList), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_manager(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ManagerInput>,
) -> Result<axum::Json<ManagerList>, AppError> {
    programs::set_manager(&state.ctx, &me.user, &id, input.user_id.trim(), true).await?;
    let a = programs::access(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(manager_list(&state, &a).await?))
}

/// No longer a manager of this program (administrators).
#[utoipa::path(delete, path = "/api/v1/programs/{id}/managers", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ManagerInput,
    responses((status = 200, body = ManagerList), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn remove_manager(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ManagerInput>,
) -> Result<axum::Json<ManagerList>, AppError> {
    programs::set_manager(&state.ctx, &me.user, &id, input.user_id.trim(), false).await?;
    let a = programs::access(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(manager_list(&state, &a).await?))
}

/// Add credits to the program's funding account from outside the ledger
/// (administrators): what publishing grants matched mentees.
#[utoipa::path(post, path = "/api/v1/programs/{id}/funding", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = FundingInput,
    responses((status = 200, body = programs::Funding), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`", body = Problem),
        (status = 422, body = Problem)))]
async fn fund(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<FundingInput>,
) -> Result<axum::Json<programs::Funding>, AppError> {
    Ok(axum::Json(
        programs::fund(&state.ctx, &me.user, &id, &input).await?,
    ))
}

/// A mentor in a program's pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolView {
    pub mentor_id: String,
    pub name: String,
    pub headline: String,
    pub expertise: Vec<String>,
    pub skills: Vec<String>,
    /// Mentees they take in this program.
    pub capacity: i64,
    /// Seats not taken by published pairings.
    pub seats_left: i64,
    /// `active` or `withdrawn`.
    pub status: String,
    /// Managers and the mentor: the intake answers.
    pub answers: Option<serde_json::Value>,
}

fn pool_view(m: PoolRow, full: bool) -> PoolView {
    PoolView {
        name: format!("{} {}", m.first_name, m.last_name)
            .trim()
            .to_string(),
        seats_left: (m.capacity - m.matched).max(0),
        mentor_id: m.mentor_id,
        headline: m.headline,
        expertise: m.expertise,
        skills: m.skills,
        capacity: m.capacity,
        status: m.status,
        answers: full.then_some(m.answers),
    }
}

/// A mentee's application.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProgramApplicationView)]
pub struct ApplicationView {
    pub id: String,
    pub mentee_id: String,
    pub name: String,
    /// Managers and the applicant.
    pub email: String,
    pub answers: serde_json::Value,
    /// Mentor ids, first choice first.
    pub choices: Vec<String>,
    /// The goals and skills matching used.
    pub topics: Vec<String>,
    /// `applied` or `matched`.
    pub status: String,
    /// Why the last proposal left them out.
    pub unmatched_reason: String,
    pub matched_at: Option<String>,
    pub applied_at: String,
}

fn application_view(a: ApplicationRow) -> ApplicationView {
    ApplicationView {
        id: a.id,
        mentee_id: a.mentee_id,
        name: format!("{} {}", a.first_name, a.last_name)
            .trim()
            .to_string(),
        email: a.email,
        answers: a.answers,
        choices: a.choices,
        topics: a.topics,
        status: a.status,
        unmatched_reason: a.unmatched_reason,
        matched_at: a.matched_at.map(ts),
        applied_at: ts(a.created_at),
    }
}

/// A program's enrolments: every mentor and application for its managers; your own
/// otherwise.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentsView {
    pub mentors: Vec<PoolView>,
    pub applications: Vec<ApplicationView>,
}

#[utoipa::path(get, path = "/api/v1/programs/{id}/enrolments", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = EnrolmentsView), (status = 404, body = Problem)))]
async fn enrolments(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<EnrolmentsView>, AppError> {
    let (_, mentors, applications) = enrol::enrolments(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(EnrolmentsView {
        mentors: mentors.into_iter().map(|m| pool_view(m, true)).collect(),
        applications: applications.into_iter().map(application_view).collect(),
    }))
}

/// What enrolling made: your application or your place in the pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolledView {
    pub application: Option<ApplicationView>,
    pub mentor: Option<PoolView>,
}

/// Apply as a mentee (while applications are open: the intake answers and up to three
/// mentors of the pool, first choice first) or join the pool as a mentor (approved
/// mentors, while the program is open or running, with a capacity; again to change
/// it).
#[utoipa::path(post, path = "/api/v1/programs/{id}/enrolments", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = EnrolInput,
    responses((status = 201, body = EnrolledView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`applications_closed`, `already_enrolled`, `capacity_below_matches`, `invalid_transition`", body = Problem),
        (status = 422, body = Problem)))]
async fn enrol_in(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<EnrolInput>,
) -> Result<impl IntoResponse, AppError> {
    let v = match enrol::enrol(&state.ctx, &me.user, &id, &input).await? {
        Enrolled::Mentee(a) => EnrolledView {
            application: Some(application_view(a)),
            mentor: None,
        },
        Enrolled::Mentor(m) => EnrolledView {
            application: None,
            mentor: Some(pool_view(m, true)),
        },
    };
    Ok((StatusCode::CREATED, axum::Json(v)))
}

/// Withdraw your application (until you are matched) or leave the pool (your draft
/// proposals go; published pairings stay).
#[utoipa::path(delete, path = "/api/v1/programs/{id}/enrolments", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = LeaveInput,
    responses((status = 204), (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`", body = Problem),
        (status = 422, body = Problem)))]
async fn leave(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<LeaveInput>,
) -> Result<StatusCode, AppError> {
    enrol::leave(&state.ctx, &me.user, &id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PoolList {
    pub items: Vec<PoolView>,
}

/// The program's active mentors, to choose whom to rank.
#[utoipa::path(get, path = "/api/v1/programs/{id}/mentors", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = PoolList), (status = 404, body = Problem)))]
async fn pool(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<PoolList>, AppError> {
    let rows = enrol::pool(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(PoolList {
        items: rows.into_iter().map(|m| pool_view(m, false)).collect(),
    }))
}

/// A pairing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PairingView {
    pub id: String,
    pub application_id: String,
    pub mentee_id: String,
    pub mentee_name: String,
    pub mentor_id: String,
    pub mentor_name: String,
    /// Which of the mentee's choices the mentor was (1 to 3).
    pub choice_rank: Option<i64>,
    pub score: i64,
    /// Why they are paired: "2nd choice; shares python, interviews".
    pub explanation: String,
    /// `computed` or `manual`.
    pub origin: String,
    /// `draft` or `published`.
    pub status: String,
    pub mentorship_id: Option<String>,
    pub published_at: Option<String>,
}

fn pairing_view(m: MatchRow) -> PairingView {
    PairingView {
        id: m.id,
        application_id: m.application_id,
        mentee_id: m.mentee_id,
        mentee_name: format!("{} {}", m.mentee_first_name, m.mentee_last_name)
            .trim()
            .to_string(),
        mentor_id: m.mentor_id,
        mentor_name: format!("{} {}", m.mentor_first_name, m.mentor_last_name)
            .trim()
            .to_string(),
        choice_rank: m.choice_rank,
        score: m.score,
        explanation: m.explanation,
        origin: m.origin,
        status: m.status,
        mentorship_id: m.mentorship_id,
        published_at: m.published_at.map(ts),
    }
}

/// Draft pairings to review, published ones, and the applicants waiting for a
/// pairing (with the reason the last computation gave).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalsView {
    pub drafts: Vec<PairingView>,
    pub published: Vec<PairingView>,
    pub queue: Vec<ApplicationView>,
}

fn proposals_view(p: Proposals) -> ProposalsView {
    ProposalsView {
        drafts: p.drafts.into_iter().map(pairing_view).collect(),
        published: p.published.into_iter().map(pairing_view).collect(),
        queue: p.queue.into_iter().map(application_view).collect(),
    }
}

/// The program's pairings (its managers).
#[utoipa::path(get, path = "/api/v1/programs/{id}/proposals", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ProposalsView), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn list_proposals(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ProposalsView>, AppError> {
    Ok(axum::Json(proposals_view(
        proposals::list(&state.ctx, &me.user, &id).await?,
    )))
}

/// Compute draft pairings for every applicant not paired yet (its managers): a
/// capacity-respecting assignment maximising ranked choices and shared goals and
/// skills, the same for the same input, explained per pair. Drafts made by hand stay;
/// earlier computed drafts are replaced.
#[utoipa::path(post, path = "/api/v1/programs/{id}/proposals", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ProposalsView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`", body = Problem)))]
async fn compute(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ProposalsView>, AppError> {
    Ok(axum::Json(proposals_view(
        proposals::compute(&state.ctx, &me.user, &id).await?,
    )))
}

/// Pair an applicant with a pool mentor by hand, or give their draft another mentor
/// (its managers; the mentor needs room).
#[utoipa::path(post, path = "/api/v1/programs/{id}/proposals/manual", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ManualInput,
    responses((status = 201, body = PairingView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`mentor_at_capacity`, `invalid_transition`", body = Problem),
        (status = 422, body = Problem)))]
async fn pair_by_hand(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ManualInput>,
) -> Result<impl IntoResponse, AppError> {
    let m = proposals::manual(&state.ctx, &me.user, &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(pairing_view(m))))
}

/// Swap the mentors of two draft pairings (its managers).
#[utoipa::path(post, path = "/api/v1/programs/{id}/proposals/swap", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = SwapInput,
    responses((status = 200, body = ProposalsView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`", body = Problem),
        (status = 422, body = Problem)))]
async fn swap(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<SwapInput>,
) -> Result<axum::Json<ProposalsView>, AppError> {
    Ok(axum::Json(proposals_view(
        proposals::swap(&state.ctx, &me.user, &id, &input).await?,
    )))
}

/// Publish every draft pairing (its managers), all or nothing: each becomes a program
/// mentorship with its thread, both people are told, and each mentee gets the
/// program's budget in sponsored credits from its funding account.
#[utoipa::path(post, path = "/api/v1/programs/{id}/proposals/publish", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Published), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`nothing_to_publish`, `program_underfunded`, `invalid_transition`", body = Problem)))]
async fn publish(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<Published>, AppError> {
    Ok(axum::Json(
        proposals::publish(&state.ctx, &me.user, &id).await?,
    ))
}

/// Remove a draft pairing (its managers): the applicant goes back to the queue.
#[utoipa::path(delete, path = "/api/v1/programs/{id}/proposals/{pairing_id}", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path), ("pairing_id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`invalid_transition`", body = Problem)))]
async fn remove_pairing(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPairPath(id, pairing): IdPairPath,
) -> Result<StatusCode, AppError> {
    proposals::remove(&state.ctx, &me.user, &id, &pairing).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// With `csv`: `funnel`, `weekly`, `pairs` (default) or `summary`.
    pub table: Option<String>,
    /// The zone weeks start in (default: yours).
    pub tz: Option<String>,
}

/// The program's report (its managers): the funnel, timings, sessions per pair,
/// no-shows and late cancellations by side, feedback, the credit budget, weekly series
/// and each pair with its health; `?format=csv&table=…` gives each table as CSV with
/// the same numbers.
#[utoipa::path(get, path = "/api/v1/programs/{id}/report", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path), ReportParams),
    responses((status = 200, description = "The report; one of its tables as CSV with `format=csv`",
            content((Report = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn report(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ReportParams>,
) -> Result<Response, AppError> {
    let tz_name = q.tz.as_deref().unwrap_or(&me.user.timezone);
    let tz = jiff::tz::TimeZone::get(tz_name).map_err(|_| {
        AppError::invalid(
            "tz",
            "invalid_timezone",
            "Use an IANA zone, e.g. Europe/Paris.",
        )
    })?;
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(AppError::invalid(
            "format",
            "invalid",
            "Choose json or csv.",
        ));
    }
    let r = report::report(&state.ctx, &me.user, &id, &tz).await?;
    if format == "csv" {
        let table = q.table.as_deref().unwrap_or("pairs");
        let body = report::csv(&r, table)?;
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}\"",
                        report::csv_file_name(&r, table)
                    ),
                ),
            ],
            body,
        )
            .into_response());
    }
    Ok(axum::Json(r).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PairsParams {
    /// `on_track`, `needs_check_in` or `inactive`.
    pub health: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PairList {
    pub items: Vec<PairLine>,
}

/// The program's pairs with their health (its managers), filtered by health.
#[utoipa::path(get, path = "/api/v1/programs/{id}/pairs", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path), PairsParams),
    responses((status = 200, body = PairList), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn pairs(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<PairsParams>,
) -> Result<axum::Json<PairList>, AppError> {
    let want = match q.health.as_deref() {
        None => None,
        Some(h) => Some(crate::domain::program::Health::parse(h).ok_or_else(|| {
            AppError::invalid(
                "health",
                "invalid",
                "Choose on_track, needs_check_in or inactive.",
            )
        })?),
    };
    let tz = jiff::tz::TimeZone::get(&me.user.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let r = report::report(&state.ctx, &me.user, &id, &tz).await?;
    Ok(axum::Json(PairList {
        items: r
            .pairs
            .into_iter()
            .filter(|p| want.is_none_or(|w| p.health == w))
            .collect(),
    }))
}

/// A program's nudge rules and the nudges sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct NudgesView {
    pub rules: Vec<Rule>,
    /// Newest first.
    pub sent: Vec<SentNudge>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SentNudge {
    pub rule: String,
    pub user_id: String,
    pub subject_id: String,
    pub sent_at: String,
}

async fn nudges_view(
    state: &AppState,
    me: &crate::service::accounts::UserRow,
    id: &str,
) -> Result<NudgesView, AppError> {
    let sent = nudges::sent(&state.ctx, me, id).await?;
    Ok(NudgesView {
        rules: nudges::rules(&state.ctx, id).await?,
        sent: sent
            .into_iter()
            .map(|(rule, user_id, subject_id, at)| SentNudge {
                rule,
                user_id,
                subject_id,
                sent_at: ts(at),
            })
            .collect(),
    })
}

/// The program's nudge rules (each off until enabled) and the nudges sent (its
/// managers).
#[utoipa::path(get, path = "/api/v1/programs/{id}/nudges", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = NudgesView), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn nudge_rules(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<NudgesView>, AppError> {
    Ok(axum::Json(nudges_view(&state, &me.user, &id).await?))
}

/// Set nudge rules (its managers): `no_session`, `no_contact`, `unmatched`, `ending`,
/// each with its days and whether it is on. Each nudge goes out once per person.
#[utoipa::path(put, path = "/api/v1/programs/{id}/nudges", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = RulesInput,
    responses((status = 200, body = NudgesView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_nudge_rules(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<RulesInput>,
) -> Result<axum::Json<NudgesView>, AppError> {
    nudges::set_rules(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(nudges_view(&state, &me.user, &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PreviewParams {
    /// RFC 3339; default: 24 hours from now ("who would be nudged tomorrow").
    pub at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NudgeList {
    pub at: String,
    pub items: Vec<Nudge>,
}

/// Who the enabled rules would nudge at `at` that has not been nudged (its managers).
/// Nothing is sent.
#[utoipa::path(get, path = "/api/v1/programs/{id}/nudges/preview", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path), PreviewParams),
    responses((status = 200, body = NudgeList), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn nudge_preview(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<PreviewParams>,
) -> Result<axum::Json<NudgeList>, AppError> {
    let at = match q.at.as_deref() {
        Some(raw) => crate::service::bookings::parse_instant("at", raw)?,
        None => state.ctx.now() + jiff::SignedDuration::from_hours(24),
    };
    let items = nudges::preview(&state.ctx, &me.user, &id, at).await?;
    Ok(axum::Json(NudgeList { at: ts(at), items }))
}

/// Choose your mentor yourself, in a program that allows it: a pool mentor with room
/// becomes your program mentor at once (your application must be waiting).
#[utoipa::path(post, path = "/api/v1/programs/{id}/self-match", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ChooseInput,
    responses((status = 201, body = PairingView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`not_enrolled`, `mentor_at_capacity`, `program_underfunded`, `invalid_transition`", body = Problem),
        (status = 422, body = Problem)))]
async fn self_match(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ChooseInput>,
) -> Result<impl IntoResponse, AppError> {
    let m = proposals::choose(&state.ctx, &me.user, &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(pairing_view(m))))
}
