//! Mentors and mentees: own profiles, applications and approval, services, discovery.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{decode_cursor, decode_keyset, next_keyset_page, parse_limit, ts};
use crate::{
    domain::mentor::{ExperienceEntry, MentorStatus},
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPath, MaybeUser, OptionalJson},
        problem::Problem,
    },
    service::mentors::{
        self, MenteeProfileInput, MentorProfileInput, SearchParams, ServiceInput, ServicePatch,
    },
    service::mentors::{
        ApplicationRow, MenteeProfileRow, MentorCardRow, MentorProfileRow, ServiceRow,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_mentor_profile, put_mentor_profile))
        .routes(routes!(get_mentee_profile, put_mentee_profile))
        .routes(routes!(list_applications))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(search))
        .routes(routes!(recommended))
        .routes(routes!(vocabulary))
        .routes(routes!(mentor))
        .routes(routes!(my_services, create_service))
        .routes(routes!(update_service, delete_service))
        .routes(routes!(mentor_services))
}

/// The signed-in user's own mentor profile and application status.
#[derive(Debug, Serialize, ToSchema)]
pub struct MentorProfileView {
    pub user_id: String,
    /// `draft`, `pending`, `approved`, `rejected` or `suspended`.
    pub status: MentorStatus,
    pub bio: String,
    pub expertise: Vec<String>,
    pub skills: Vec<String>,
    pub industries: Vec<String>,
    pub company: String,
    pub title: String,
    pub experience: Vec<ExperienceEntry>,
    pub hourly_rate: i64,
    pub max_mentees: i64,
    pub is_public: bool,
    pub rating_avg: f64,
    pub rating_count: i64,
    /// The admin's reason, when one was given with the decision.
    pub decision_reason: String,
    pub applied_at: String,
    pub decided_at: Option<String>,
    pub updated_at: String,
}

impl From<&MentorProfileRow> for MentorProfileView {
    fn from(p: &MentorProfileRow) -> Self {
        MentorProfileView {
            user_id: p.user_id.clone(),
            status: p.status,
            bio: p.bio.clone(),
            expertise: p.expertise.clone(),
            skills: p.skills.clone(),
            industries: p.industries.clone(),
            company: p.company.clone(),
            title: p.title.clone(),
            experience: p.experience.clone(),
            hourly_rate: p.hourly_rate,
            max_mentees: p.max_mentees,
            is_public: p.is_public,
            rating_avg: p.rating_avg,
            rating_count: p.rating_count,
            decision_reason: p.decision_reason.clone(),
            applied_at: ts(p.applied_at),
            decided_at: p.decided_at.map(ts),
            updated_at: ts(p.updated_at),
        }
    }
}

/// A mentor as discovery shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MentorCard {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub avatar_url: String,
    pub timezone: String,
    pub bio: String,
    pub expertise: Vec<String>,
    pub skills: Vec<String>,
    pub industries: Vec<String>,
    pub company: String,
    pub title: String,
    pub hourly_rate: i64,
    pub rating_avg: f64,
    pub rating_count: i64,
    pub max_mentees: i64,
    pub active_mentees: i64,
    /// False when the mentor has no mentee spot left.
    pub accepting_mentees: bool,
    /// Start of the mentor's next free session slot (UTC), if any.
    pub next_free_slot: Option<String>,
}

impl From<&MentorCardRow> for MentorCard {
    fn from(r: &MentorCardRow) -> Self {
        let p = &r.profile;
        MentorCard {
            id: p.user_id.clone(),
            first_name: r.first_name.clone(),
            last_name: r.last_name.clone(),
            headline: r.headline.clone(),
            avatar_url: r.avatar_url.clone(),
            timezone: r.timezone.clone(),
            bio: p.bio.clone(),
            expertise: p.expertise.clone(),
            skills: p.skills.clone(),
            industries: p.industries.clone(),
            company: p.company.clone(),
            title: p.title.clone(),
            hourly_rate: p.hourly_rate,
            rating_avg: (p.rating_avg * 100.0).round() / 100.0,
            rating_count: p.rating_count,
            max_mentees: p.max_mentees,
            active_mentees: r.active_mentees,
            accepting_mentees: r.active_mentees < p.max_mentees,
            next_free_slot: p.next_free_at.map(ts),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MentorDetail {
    #[serde(flatten)]
    pub card: MentorCard,
    pub experience: Vec<ExperienceEntry>,
    /// `approved` for everyone; the mentor and admins may see other statuses.
    pub status: MentorStatus,
    pub services: Vec<ServiceView>,
    /// Sessions mentees reported this mentor did not attend.
    pub missed_sessions: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub id: String,
    pub mentor_id: String,
    /// `session`, `resume_review`, `linkedin_review` or `custom`.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub duration_minutes: i64,
    pub credit_cost: i64,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&ServiceRow> for ServiceView {
    fn from(s: &ServiceRow) -> Self {
        ServiceView {
            id: s.id.clone(),
            mentor_id: s.mentor_id.clone(),
            kind: s.kind.as_str().to_string(),
            title: s.title.clone(),
            description: s.description.clone(),
            duration_minutes: s.duration_minutes,
            credit_cost: s.credit_cost,
            active: s.active,
            created_at: ts(s.created_at),
            updated_at: ts(s.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MenteeProfileView {
    pub user_id: String,
    pub bio: String,
    pub goals: Vec<String>,
    pub skills: Vec<String>,
    pub interests: Vec<String>,
    pub updated_at: String,
}

impl From<&MenteeProfileRow> for MenteeProfileView {
    fn from(p: &MenteeProfileRow) -> Self {
        MenteeProfileView {
            user_id: p.user_id.clone(),
            bio: p.bio.clone(),
            goals: p.goals.clone(),
            skills: p.skills.clone(),
            interests: p.interests.clone(),
            updated_at: ts(p.updated_at),
        }
    }
}

/// My mentor profile and where my application stands.
#[utoipa::path(get, path = "/api/v1/me/mentor-profile", tag = "mentors", security(("bearer" = [])),
    responses((status = 200, body = MentorProfileView), (status = 404, description = "Not a mentor (yet)", body = Problem)))]
async fn get_mentor_profile(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<MentorProfileView>, AppError> {
    let p = mentors::my_profile(&state.ctx, &me.user)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(MentorProfileView::from(&p)))
}

/// Create (= apply to become a mentor) or update my mentor profile.
#[utoipa::path(put, path = "/api/v1/me/mentor-profile", tag = "mentors", security(("bearer" = [])),
    request_body = MentorProfileInput,
    responses((status = 200, body = MentorProfileView), (status = 422, body = Problem)))]
async fn put_mentor_profile(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<MentorProfileInput>,
) -> Result<axum::Json<MentorProfileView>, AppError> {
    let p = mentors::save_profile(&state.ctx, &me.user, &input).await?;
    Ok(axum::Json(MentorProfileView::from(&p)))
}

/// My mentee profile (what I want to learn); empty until saved.
#[utoipa::path(get, path = "/api/v1/me/mentee-profile", tag = "mentors", security(("bearer" = [])),
    responses((status = 200, body = MenteeProfileView)))]
async fn get_mentee_profile(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<MenteeProfileView>, AppError> {
    let p = mentors::mentee_profile(&state.ctx, &me.user).await?;
    Ok(axum::Json(match p {
        Some(p) => MenteeProfileView::from(&p),
        None => MenteeProfileView {
            user_id: me.user.id.to_string(),
            bio: String::new(),
            goals: vec![],
            skills: vec![],
            interests: vec![],
            updated_at: ts(me.user.updated_at),
        },
    }))
}

/// Save my mentee profile: bio, goals, skills, interests (recommendations use them).
#[utoipa::path(put, path = "/api/v1/me/mentee-profile", tag = "mentors", security(("bearer" = [])),
    request_body = MenteeProfileInput,
    responses((status = 200, body = MenteeProfileView), (status = 422, body = Problem)))]
async fn put_mentee_profile(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<MenteeProfileInput>,
) -> Result<axum::Json<MenteeProfileView>, AppError> {
    let p = mentors::save_mentee_profile(&state.ctx, &me.user, &input).await?;
    Ok(axum::Json(MenteeProfileView::from(&p)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApplicationParams {
    /// `pending` (the queue), `approved`, `rejected` or `suspended`; all when absent.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub headline: String,
    pub profile: MentorProfileView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationList {
    pub items: Vec<ApplicationView>,
    pub next_cursor: Option<String>,
}

impl From<&ApplicationRow> for ApplicationView {
    fn from(a: &ApplicationRow) -> Self {
        ApplicationView {
            user_id: a.profile.user_id.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            email: a.email.clone(),
            headline: a.headline.clone(),
            profile: MentorProfileView::from(&a.profile),
        }
    }
}

/// Mentor applications, oldest first (admins).
#[utoipa::path(get, path = "/api/v1/admin/mentor-applications", tag = "admin", security(("bearer" = [])),
    params(ApplicationParams),
    responses((status = 200, body = ApplicationList), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_applications(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<ApplicationParams>,
) -> Result<axum::Json<ApplicationList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            MentorStatus::parse(s)
                .filter(|s| *s != MentorStatus::Draft)
                .ok_or_else(|| {
                    AppError::invalid(
                        "status",
                        "invalid_status",
                        "status is one of pending, approved, rejected, suspended.",
                    )
                })?,
        ),
    };
    let after = decode_keyset(p.cursor.as_deref())?;
    let mut rows = mentors::applications(&state.ctx, &me.user, status, after, limit + 1).await?;
    let next_cursor = next_keyset_page(&mut rows, limit, |a| {
        (a.profile.applied_at, a.profile.user_id.as_str())
    });
    Ok(axum::Json(ApplicationList {
        items: rows.iter().map(ApplicationView::from).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// Shown to the applicant.
    pub reason: Option<String>,
}

/// Approve a mentor application: the user becomes a listed mentor with a default session service.
#[utoipa::path(post, path = "/api/v1/admin/mentor-applications/{user_id}/approve", tag = "admin",
    security(("bearer" = [])), params(("user_id" = String, Path)),
    request_body(content = Option<DecisionInput>, description = "Optional reason"),
    responses((status = 200, body = MentorProfileView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(user_id): IdPath,
    OptionalJson(body): OptionalJson<DecisionInput>,
) -> Result<axum::Json<MentorProfileView>, AppError> {
    let body = body.unwrap_or_default();
    let p = mentors::decide(&state.ctx, &me.user, &user_id, true, body.reason.as_deref()).await?;
    Ok(axum::Json(MentorProfileView::from(&p)))
}

/// Reject a mentor application (or withdraw an approval), with an optional reason.
#[utoipa::path(post, path = "/api/v1/admin/mentor-applications/{user_id}/reject", tag = "admin",
    security(("bearer" = [])), params(("user_id" = String, Path)),
    request_body(content = Option<DecisionInput>, description = "Optional reason"),
    responses((status = 200, body = MentorProfileView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reject(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(user_id): IdPath,
    OptionalJson(body): OptionalJson<DecisionInput>,
) -> Result<axum::Json<MentorProfileView>, AppError> {
    let body = body.unwrap_or_default();
    let p = mentors::decide(
        &state.ctx,
        &me.user,
        &user_id,
        false,
        body.reason.as_deref(),
    )
    .await?;
    Ok(axum::Json(MentorProfileView::from(&p)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MentorList {
    pub items: Vec<MentorCard>,
    pub next_cursor: Option<String>,
}

/// Decodes a search cursor (an offset).
pub fn search_offset(cursor: Option<&str>) -> Result<i64, AppError> {
    match decode_cursor(cursor)? {
        None => Ok(0),
        Some(c) => c
            .strip_prefix("o:")
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| (0..=1_000_000).contains(n))
            .ok_or_else(|| {
                AppError::invalid(
                    "cursor",
                    "invalid_cursor",
                    "The cursor is not one this server issued.",
                )
            }),
    }
}

/// Search listed mentors: full text, filters, sorting, cursor paging.
#[utoipa::path(get, path = "/api/v1/mentors", tag = "mentors", params(SearchParams),
    responses((status = 200, body = MentorList), (status = 422, body = Problem)))]
async fn search(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<axum::Json<MentorList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let offset = search_offset(p.cursor.as_deref())?;
    let (s, window) = mentors::parse_search(&p, offset, limit + 1)?;
    let rows = mentors::search(&state.ctx, &s, window).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| super::offset_cursor(offset + limit));
    Ok(axum::Json(MentorList {
        items: rows
            .iter()
            .take(limit as usize)
            .map(MentorCard::from)
            .collect(),
        next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendedMentor {
    pub mentor: MentorCard,
    pub score: f64,
    /// Why this mentor, in words ("shares skills: tokio" — a skill of yours too;
    /// "can help with: rust" — one of your goals or interests).
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationList {
    pub items: Vec<RecommendedMentor>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecommendParams {
    pub limit: Option<i64>,
}

/// Mentors ranked for me by my goals, skills and interests, with reasons.
#[utoipa::path(get, path = "/api/v1/mentors/recommended", tag = "mentors", security(("bearer" = [])),
    params(RecommendParams),
    responses((status = 200, body = RecommendationList), (status = 401, body = Problem)))]
async fn recommended(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<RecommendParams>,
) -> Result<axum::Json<RecommendationList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let recs = mentors::recommended(&state.ctx, &me.user, limit as usize).await?;
    Ok(axum::Json(RecommendationList {
        items: recs
            .iter()
            .map(|(row, rec)| RecommendedMentor {
                mentor: MentorCard::from(row),
                score: (rec.score * 1000.0).round() / 1000.0,
                reasons: rec.reasons.clone(),
            })
            .collect(),
    }))
}

/// A tag listed mentors carry and how many carry it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagUse {
    pub tag: String,
    pub mentors: i64,
}

/// The vocabulary of the search filters: the tags listed mentors carry, most carried
/// first (at most 40 of each kind).
#[derive(Debug, Serialize, ToSchema)]
pub struct Vocabulary {
    pub expertise: Vec<TagUse>,
    pub skills: Vec<TagUse>,
    pub industries: Vec<TagUse>,
}

/// The expertise, skills and industries to filter a search by (`expertise`, `skills`,
/// `industry` of `GET /api/v1/mentors`).
#[utoipa::path(get, path = "/api/v1/mentors/tags", tag = "mentors",
    responses((status = 200, body = Vocabulary)))]
async fn vocabulary(State(state): State<AppState>) -> Result<axum::Json<Vocabulary>, AppError> {
    let all = mentors::vocabulary(&state.ctx).await?;
    let of = |kind: &str| {
        all.iter()
            .filter(|t| t.kind == kind)
            .map(|t| TagUse {
                tag: t.tag.clone(),
                mentors: t.mentors,
            })
            .collect()
    };
    Ok(axum::Json(Vocabulary {
        expertise: of("expertise"),
        skills: of("skill"),
        industries: of("industry"),
    }))
}

/// A mentor's profile with their active services.
#[utoipa::path(get, path = "/api/v1/mentors/{id}", tag = "mentors", params(("id" = String, Path)),
    responses((status = 200, body = MentorDetail), (status = 404, body = Problem)))]
async fn mentor(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<MentorDetail>, AppError> {
    let mentors::MentorDetail {
        card: row,
        services,
    } = mentors::detail(&state.ctx, viewer.as_ref().map(|v| &v.user), &id).await?;
    Ok(axum::Json(MentorDetail {
        card: MentorCard::from(&row),
        experience: row.profile.experience.clone(),
        status: row.profile.status,
        services: services.iter().map(ServiceView::from).collect(),
        missed_sessions: row.profile.no_show_count,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    pub items: Vec<ServiceView>,
}

/// My services, inactive ones included.
#[utoipa::path(get, path = "/api/v1/me/services", tag = "mentors", security(("bearer" = [])),
    responses((status = 200, body = ServiceList)))]
async fn my_services(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<ServiceList>, AppError> {
    let rows = mentors::my_services(&state.ctx, &me.user).await?;
    Ok(axum::Json(ServiceList {
        items: rows.iter().map(ServiceView::from).collect(),
    }))
}

/// Offer a new service.
#[utoipa::path(post, path = "/api/v1/me/services", tag = "mentors", security(("bearer" = [])),
    request_body = ServiceInput,
    responses((status = 201, body = ServiceView), (status = 403, description = "Not a mentor", body = Problem), (status = 422, body = Problem)))]
async fn create_service(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<ServiceInput>,
) -> Result<impl IntoResponse, AppError> {
    let s = mentors::create_service(&state.ctx, &me.user, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(ServiceView::from(&s))))
}

/// Change a service.
#[utoipa::path(patch, path = "/api/v1/me/services/{id}", tag = "mentors", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ServicePatch,
    responses((status = 200, body = ServiceView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_service(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<ServicePatch>,
) -> Result<axum::Json<ServiceView>, AppError> {
    let s = mentors::update_service(&state.ctx, &me.user, &id, &patch).await?;
    Ok(axum::Json(ServiceView::from(&s)))
}

/// Stop offering a service (past bookings keep it).
#[utoipa::path(delete, path = "/api/v1/me/services/{id}", tag = "mentors", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_service(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    mentors::delete_service(&state.ctx, &me.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A listed mentor's active services.
#[utoipa::path(get, path = "/api/v1/mentors/{id}/services", tag = "mentors", params(("id" = String, Path)),
    responses((status = 200, body = ServiceList), (status = 404, body = Problem)))]
async fn mentor_services(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ServiceList>, AppError> {
    let rows = mentors::public_services(&state.ctx, me.as_ref().map(|a| &a.user), &id).await?;
    Ok(axum::Json(ServiceList {
        items: rows.iter().map(ServiceView::from).collect(),
    }))
}
