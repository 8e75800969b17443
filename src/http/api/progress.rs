//! `/api/v1/mentorships/{id}/goals`, `/milestones`, `/skills`: a mentorship's goals
//! with milestones, the mentee's skill self-assessment, and its progress report.

use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ts;
use crate::{
    domain::program::Health,
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, CurrentUser, IdPairPath, IdPath},
        problem::Problem,
    },
    service::programs::progress::{
        self, GoalInput, MilestoneInput, MilestonePatch, Progress, SkillsInput,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(goals, add_goal, rename_named_goal))
        .routes(routes!(rename_goal, remove_goal))
        .routes(routes!(milestones, add_milestone, change_named_milestone))
        .routes(routes!(change_milestone, remove_milestone))
        .routes(routes!(skills, assess, assess_post, assess_patch))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneView {
    pub id: String,
    pub title: String,
    pub done: bool,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    /// The session whose notes cover it.
    pub booking_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GoalView {
    pub id: String,
    pub title: String,
    pub milestones: Vec<MilestoneView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkillView {
    pub skill: String,
    /// 1 to 5, as the mentee rated it at the start and at the end.
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// A mentorship's progress report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    pub mentorship_id: String,
    /// The program it belongs to, if any.
    pub program_id: Option<String>,
    pub goals: Vec<GoalView>,
    pub milestones_done: usize,
    pub milestones: usize,
    pub skills: Vec<SkillView>,
    /// Sessions held since the match, and how many the program expects.
    pub sessions_held: i64,
    pub sessions_expected: Option<i64>,
    /// The last session or message.
    pub last_contact: Option<String>,
    /// Program mentorships only.
    pub health: Option<Health>,
}

fn view(p: Progress) -> ProgressView {
    let (done, all) = p.milestones();
    ProgressView {
        mentorship_id: p.mentorship.m.id.clone(),
        program_id: p.program.as_ref().map(|x| x.id.clone()),
        milestones_done: done,
        milestones: all,
        sessions_held: p.activity.as_ref().map_or(0, |a| a.held),
        sessions_expected: p.program.as_ref().map(|x| x.sessions_expected),
        last_contact: p.last_contact().map(ts),
        health: p.health,
        skills: p
            .skills
            .iter()
            .map(|(skill, start, end)| SkillView {
                skill: skill.clone(),
                start: *start,
                end: *end,
            })
            .collect(),
        goals: p
            .goals
            .into_iter()
            .map(|(g, ms)| GoalView {
                id: g.id,
                title: g.title,
                milestones: ms
                    .into_iter()
                    .map(|m| MilestoneView {
                        id: m.id,
                        title: m.title,
                        done: m.done_at.is_some(),
                        done_at: m.done_at.map(ts),
                        done_by: m.done_by,
                        booking_id: m.booking_id,
                    })
                    .collect(),
            })
            .collect(),
    }
}

async fn current(state: &AppState, me: &CurrentUser, id: &str) -> Result<ProgressView, AppError> {
    Ok(view(progress::view(&state.ctx, &me.0.user, id).await?))
}

/// A mentorship's goals, milestones, skills and progress (the pair, and the managers
/// of its program).
#[utoipa::path(get, path = "/api/v1/mentorships/{id}/goals", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ProgressView), (status = 404, body = Problem)))]
async fn goals(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ProgressView>, AppError> {
    Ok(axum::Json(current(&state, &me, &id).await?))
}

/// Add a goal with its milestones (the pair).
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/goals", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = GoalInput,
    responses((status = 201, body = ProgressView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_goal(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<GoalInput>,
) -> Result<(StatusCode, axum::Json<ProgressView>), AppError> {
    progress::add_goal(&state.ctx, &me.0.user, &id, &input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(current(&state, &me, &id).await?),
    ))
}

/// A goal's new title.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalPatch {
    pub title: String,
}

/// Rename a goal (the pair).
#[utoipa::path(patch, path = "/api/v1/mentorships/{id}/goals/{goal_id}", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path), ("goal_id" = String, Path)),
    request_body = GoalPatch,
    responses((status = 200, body = ProgressView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn rename_goal(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPairPath(id, goal): IdPairPath,
    ApiJson(input): ApiJson<GoalPatch>,
) -> Result<axum::Json<ProgressView>, AppError> {
    progress::rename_goal(&state.ctx, &me.0.user, &id, &goal, &input.title).await?;
    Ok(axum::Json(current(&state, &me, &id).await?))
}

/// Remove a goal with its milestones (the pair); answers the progress as it is then.
#[utoipa::path(delete, path = "/api/v1/mentorships/{id}/goals/{goal_id}", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path), ("goal_id" = String, Path)),
    responses((status = 200, body = ProgressView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn remove_goal(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPairPath(id, goal): IdPairPath,
) -> Result<axum::Json<ProgressView>, AppError> {
    progress::remove_goal(&state.ctx, &me.0.user, &id, &goal).await?;
    Ok(axum::Json(current(&state, &me, &id).await?))
}

/// A milestone with the goal it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalMilestoneView {
    pub goal_id: String,
    pub goal_title: String,
    #[serde(flatten)]
    pub milestone: MilestoneView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneList {
    pub items: Vec<GoalMilestoneView>,
}

/// Every milestone of the mentorship's goals, goal by goal (the pair, their program's
/// managers and admins).
#[utoipa::path(get, path = "/api/v1/mentorships/{id}/milestones", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = MilestoneList), (status = 404, body = Problem)))]
async fn milestones(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<MilestoneList>, AppError> {
    let goals = current(&state, &me, &id).await?.goals;
    Ok(axum::Json(MilestoneList {
        items: goals
            .into_iter()
            .flat_map(|g| {
                let (goal_id, goal_title) = (g.id, g.title);
                g.milestones.into_iter().map(move |m| GoalMilestoneView {
                    goal_id: goal_id.clone(),
                    goal_title: goal_title.clone(),
                    milestone: m,
                })
            })
            .collect(),
    }))
}

/// Add a milestone to a goal (the pair).
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/milestones", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = MilestoneInput,
    responses((status = 201, body = ProgressView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_milestone(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<MilestoneInput>,
) -> Result<(StatusCode, axum::Json<ProgressView>), AppError> {
    progress::add_milestone(&state.ctx, &me.0.user, &id, &input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(current(&state, &me, &id).await?),
    ))
}

/// Tick a milestone off (or open it again), rename it, or link the session whose
/// notes cover it (the pair).
#[utoipa::path(patch, path = "/api/v1/mentorships/{id}/milestones/{milestone_id}", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path), ("milestone_id" = String, Path)),
    request_body = MilestonePatch,
    responses((status = 200, body = ProgressView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn change_milestone(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPairPath(id, milestone): IdPairPath,
    ApiJson(input): ApiJson<MilestonePatch>,
) -> Result<axum::Json<ProgressView>, AppError> {
    progress::change_milestone(&state.ctx, &me.0.user, &id, &milestone, &input).await?;
    Ok(axum::Json(current(&state, &me, &id).await?))
}

/// Remove a milestone (the pair); answers the progress as it is then.
#[utoipa::path(delete, path = "/api/v1/mentorships/{id}/milestones/{milestone_id}", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path), ("milestone_id" = String, Path)),
    responses((status = 200, body = ProgressView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn remove_milestone(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPairPath(id, milestone): IdPairPath,
) -> Result<axum::Json<ProgressView>, AppError> {
    progress::remove_milestone(&state.ctx, &me.0.user, &id, &milestone).await?;
    Ok(axum::Json(current(&state, &me, &id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkillList {
    pub items: Vec<SkillView>,
}

/// The mentee's skills as they rated them at the start and at the end.
#[utoipa::path(get, path = "/api/v1/mentorships/{id}/skills", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SkillList), (status = 404, body = Problem)))]
async fn skills(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<SkillList>, AppError> {
    Ok(axum::Json(SkillList {
        items: current(&state, &me, &id).await?.skills,
    }))
}

/// Rate your skills, 1 to 5, at the start or at the end (the mentee).
#[utoipa::path(put, path = "/api/v1/mentorships/{id}/skills", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = SkillsInput,
    responses((status = 200, body = SkillList), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn assess(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<SkillsInput>,
) -> Result<axum::Json<SkillList>, AppError> {
    progress::assess(&state.ctx, &me.0.user, &id, &input).await?;
    Ok(axum::Json(SkillList {
        items: current(&state, &me, &id).await?.skills,
    }))
}

/// Rate your skills: the same as `PUT` (the ratings sent are stored, the others kept).
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/skills", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = SkillsInput,
    responses((status = 200, body = SkillList), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn assess_post(
    state: State<AppState>,
    me: CurrentUser,
    id: IdPath,
    input: ApiJson<SkillsInput>,
) -> Result<axum::Json<SkillList>, AppError> {
    assess(state, me, id, input).await
}

/// Rate your skills: the same as `PUT`.
#[utoipa::path(patch, path = "/api/v1/mentorships/{id}/skills", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = SkillsInput,
    responses((status = 200, body = SkillList), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn assess_patch(
    state: State<AppState>,
    me: CurrentUser,
    id: IdPath,
    input: ApiJson<SkillsInput>,
) -> Result<axum::Json<SkillList>, AppError> {
    assess(state, me, id, input).await
}

/// A goal to rename, named in the body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedGoalPatch {
    pub goal_id: String,
    pub title: String,
}

/// Rename a goal named in the body (API.md's `PATCH …/goals`): the same as `PATCH
/// …/goals/{goal_id}`.
#[utoipa::path(patch, path = "/api/v1/mentorships/{id}/goals", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = NamedGoalPatch,
    responses((status = 200, body = ProgressView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn rename_named_goal(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<NamedGoalPatch>,
) -> Result<axum::Json<ProgressView>, AppError> {
    progress::rename_goal(&state.ctx, &me.0.user, &id, &input.goal_id, &input.title).await?;
    Ok(axum::Json(current(&state, &me, &id).await?))
}

/// A milestone to change, named in the body, with what changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedMilestonePatch {
    pub milestone_id: String,
    /// Ticked off (true) or open again (false).
    pub done: Option<bool>,
    pub title: Option<String>,
    /// The session whose notes cover it (one of this pair's bookings); "" unlinks.
    pub booking_id: Option<String>,
}

/// Change a milestone named in the body (API.md's `PATCH …/milestones`): the same as
/// `PATCH …/milestones/{milestone_id}`.
#[utoipa::path(patch, path = "/api/v1/mentorships/{id}/milestones", tag = "programs",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = NamedMilestonePatch,
    responses((status = 200, body = ProgressView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn change_named_milestone(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<NamedMilestonePatch>,
) -> Result<axum::Json<ProgressView>, AppError> {
    let patch = MilestonePatch {
        done: input.done,
        title: input.title,
        booking_id: input.booking_id,
    };
    progress::change_milestone(&state.ctx, &me.0.user, &id, &input.milestone_id, &patch).await?;
    Ok(axum::Json(current(&state, &me, &id).await?))
}
