//! Becoming a mentor (application, approval), mentor and mentee profiles, services,
//! and discovery (search, profiles, recommendations).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Ctx, cache};
use crate::{
    domain::{
        ids::new_id,
        mentor::{self, ExperienceEntry, MentorStatus, ServiceKind},
        recommend::{self, Candidate, MenteeInterests},
        text,
        user::{Role, Roles},
    },
    error::{AppError, AppResult, FieldError, Validator},
    store::{
        self, Tx,
        audit::NewAudit,
        mentors::{ProfileWrite, ServiceWrite},
        users::UserRow,
    },
};

pub use crate::store::{
    discovery::{MentorCardRow, Search, SortBy},
    mentors::{ApplicationRow, MenteeProfileRow, MentorProfileRow, ServiceRow},
};

/// `PUT /api/v1/me/mentor-profile`: the whole mentor profile. Saving it files (or
/// updates) the application.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MentorProfileInput {
    pub bio: String,
    /// Areas of expertise, e.g. `["backend", "career growth"]` (at least one).
    pub expertise: Vec<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub experience: Vec<ExperienceEntry>,
    /// Credits per hour of session.
    pub hourly_rate: i64,
    /// How many mentees at once (1–500).
    pub max_mentees: i64,
    /// Listed in discovery (default true).
    #[serde(default = "yes")]
    pub is_public: bool,
}

fn yes() -> bool {
    true
}

pub fn parse_tags(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}

fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.into()))
}

/// The text the full-text index covers for a mentor.
fn search_doc(
    user: &UserRow,
    expertise: &[String],
    skills: &[String],
    company: &str,
    title: &str,
    bio: &str,
) -> String {
    [
        user.first_name.as_str(),
        user.last_name.as_str(),
        user.headline.as_str(),
        title,
        company,
        &expertise.join(" "),
        &skills.join(" "),
        bio,
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .cloned()
    .collect::<Vec<_>>()
    .join(" \n")
}

pub async fn my_profile(ctx: &Ctx, user: &UserRow) -> AppResult<Option<MentorProfileRow>> {
    Ok(store::mentors::profile(&ctx.db.pool, &user.id).await?)
}

/// Whether the user is an approved mentor (may write articles, has mentees).
pub async fn is_approved(ctx: &Ctx, user_id: &str) -> AppResult<bool> {
    Ok(store::mentors::profile(&ctx.db.pool, user_id)
        .await?
        .is_some_and(|p| p.status == "approved"))
}

/// Whether the user has a mentor profile at all (an author page exists).
pub async fn has_profile(ctx: &Ctx, user_id: &str) -> AppResult<bool> {
    Ok(store::mentors::profile(&ctx.db.pool, user_id)
        .await?
        .is_some())
}

/// The services a mentor offers now (active, not deleted).
pub async fn offered_services(ctx: &Ctx, mentor_id: &str) -> AppResult<Vec<ServiceRow>> {
    Ok(store::mentors::services_of(&ctx.db.pool, mentor_id, false).await?)
}

/// One service the mentor offers now, if it is one.
pub async fn offered_service(
    ctx: &Ctx,
    mentor_id: &str,
    service_id: &str,
) -> AppResult<Option<ServiceRow>> {
    Ok(store::mentors::service(&ctx.db.pool, service_id)
        .await?
        .filter(|s| s.mentor_id == mentor_id && s.active == 1 && s.deleted_at.is_none()))
}

/// Saves the mentor profile. A new, draft or rejected profile becomes a pending
/// application (or is approved at once with `auto_approve_mentors`); an approved or
/// suspended one keeps its status.
pub async fn save_profile(
    ctx: &Ctx,
    user: &UserRow,
    input: &MentorProfileInput,
) -> AppResult<MentorProfileRow> {
    let mut v = Validator::new();
    let bio = v.check(text::optional_text("bio", &input.bio, 5000).and_then(|b| {
        if b.is_empty() {
            Err(FieldError::new(
                "bio",
                "required",
                "Tell mentees who you are and how you help.",
            ))
        } else {
            Ok(b)
        }
    }));
    let expertise = v.check(mentor::tags("expertise", &input.expertise).and_then(|t| {
        if t.is_empty() {
            Err(FieldError::new(
                "expertise",
                "required",
                "Name at least one area of expertise.",
            ))
        } else {
            Ok(t)
        }
    }));
    let skills = v.check(mentor::tags("skills", &input.skills));
    let industries = v.check(mentor::tags("industries", &input.industries));
    let company = v.check(text::optional_line("company", &input.company, 120));
    let title = v.check(text::optional_line("title", &input.title, 120));
    let experience = mentor::experience(&input.experience, &mut v);
    let hourly_rate = v.check(mentor::hourly_rate(input.hourly_rate));
    let max_mentees = v.check(mentor::max_mentees(input.max_mentees));
    v.finish()?;
    let (
        Some(bio),
        Some(expertise),
        Some(skills),
        Some(industries),
        Some(company),
        Some(title),
        Some(hourly_rate),
        Some(max_mentees),
    ) = (
        bio,
        expertise,
        skills,
        industries,
        company,
        title,
        hourly_rate,
        max_mentees,
    )
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validator passed with a missing field"
        )));
    };

    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let existing = store::mentors::profile(&mut *tx, &user.id).await?;
    let old_status = existing
        .as_ref()
        .and_then(|p| MentorStatus::parse(&p.status));
    let (status, reapply) = match old_status {
        Some(MentorStatus::Approved) => (MentorStatus::Approved, false),
        Some(MentorStatus::Suspended) => (MentorStatus::Suspended, false),
        Some(MentorStatus::Pending) => (MentorStatus::Pending, false),
        _ if ctx.config.auto_approve_mentors => (MentorStatus::Approved, true),
        _ => (MentorStatus::Pending, true),
    };
    store::mentors::upsert_profile(
        &mut tx,
        &ProfileWrite {
            user_id: &user.id,
            status: status.as_str(),
            bio: &bio,
            expertise: &to_json(&expertise)?,
            skills: &to_json(&skills)?,
            industries: &to_json(&industries)?,
            company: &company,
            title: &title,
            experience: &to_json(&experience)?,
            hourly_rate,
            max_mentees,
            is_public: input.is_public,
            search_doc: &search_doc(user, &expertise, &skills, &company, &title, &bio),
            reapply,
            now,
        },
    )
    .await?;
    store::mentors::replace_tags(
        &mut tx,
        &user.id,
        &[
            ("expertise", &expertise),
            ("skill", &skills),
            ("industry", &industries),
        ],
        now,
    )
    .await?;
    if status == MentorStatus::Approved && old_status != Some(MentorStatus::Approved) {
        on_approved(&mut tx, user, hourly_rate, now).await?;
        let from = old_status.unwrap_or(MentorStatus::Draft);
        audit_decision(&mut tx, None, &user.id, from, status, "auto-approved", now).await?;
    }
    tx.commit().await?;
    ctx.discovery.invalidate();
    store::mentors::profile(&ctx.db.pool, &user.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Everything approval brings: the mentor role and, for a mentor with no services yet,
/// a default 60-minute session at the hourly rate.
async fn on_approved(tx: &mut Tx, user: &UserRow, hourly_rate: i64, now: i64) -> AppResult<()> {
    let mut roles = Roles::from_db(&user.roles).list().to_vec();
    roles.push(Role::Mentor);
    store::users::set_roles(&mut **tx, &user.id, &Roles::new(roles).to_db(), now).await?;
    if store::mentors::services_of(&mut **tx, &user.id, true)
        .await?
        .is_empty()
    {
        store::mentors::insert_service(
            &mut **tx,
            &new_id(),
            &user.id,
            &ServiceWrite {
                kind: ServiceKind::Session.as_str(),
                title: "1:1 mentoring session",
                description: "A one-hour video call about whatever you need: career, code, interviews, next steps.",
                duration_minutes: 60,
                credit_cost: hourly_rate,
                active: true,
            },
            now,
        )
        .await?;
    }
    Ok(())
}

async fn audit_decision(
    tx: &mut Tx,
    actor: Option<&str>,
    user_id: &str,
    from: MentorStatus,
    to: MentorStatus,
    reason: &str,
    now: i64,
) -> AppResult<()> {
    store::audit::insert(
        &mut **tx,
        &NewAudit {
            actor_id: actor,
            action: match to {
                MentorStatus::Approved => "mentor.approve",
                _ => "mentor.reject",
            },
            target_type: "user",
            target_id: user_id,
            before: serde_json::json!({"mentor_status": from.as_str()}),
            after: serde_json::json!({"mentor_status": to.as_str(), "reason": reason}),
            now,
        },
    )
    .await?;
    Ok(())
}

fn require_admin(actor: &UserRow) -> AppResult<()> {
    if Roles::from_db(&actor.roles).has(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::forbidden("Only administrators can do this."))
    }
}

/// The admin's queue, oldest application first.
pub async fn applications(
    ctx: &Ctx,
    actor: &UserRow,
    status: Option<MentorStatus>,
    after: Option<(i64, String)>,
    limit: i64,
) -> AppResult<Vec<store::mentors::ApplicationRow>> {
    require_admin(actor)?;
    Ok(
        store::mentors::applications(&ctx.db.pool, status.map(MentorStatus::as_str), after, limit)
            .await?,
    )
}

/// Approves or rejects an application. Approve works on pending, rejected and suspended
/// mentors; reject on pending and approved ones (which then leave discovery).
pub async fn decide(
    ctx: &Ctx,
    actor: &UserRow,
    user_id: &str,
    approve: bool,
    reason: Option<&str>,
) -> AppResult<MentorProfileRow> {
    require_admin(actor)?;
    let reason = text::optional_line("reason", reason.unwrap_or(""), 500)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    let profile = store::mentors::profile(&mut *tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let user = store::users::by_id(&mut *tx, user_id)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    let from = MentorStatus::parse(&profile.status).unwrap_or(MentorStatus::Draft);
    let to = if approve {
        MentorStatus::Approved
    } else {
        MentorStatus::Rejected
    };
    let allowed = match to {
        MentorStatus::Approved => matches!(
            from,
            MentorStatus::Pending | MentorStatus::Rejected | MentorStatus::Suspended
        ),
        _ => matches!(from, MentorStatus::Pending | MentorStatus::Approved),
    };
    if !allowed {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "This application is {}; it cannot be {}.",
                from.as_str(),
                if approve { "approved" } else { "rejected" }
            ),
        ));
    }
    store::mentors::set_status(&mut tx, user_id, to.as_str(), &reason, Some(&actor.id), now)
        .await?;
    if approve {
        on_approved(&mut tx, &user, profile.hourly_rate, now).await?;
    } else {
        let roles: Vec<Role> = Roles::from_db(&user.roles)
            .list()
            .iter()
            .copied()
            .filter(|r| *r != Role::Mentor)
            .collect();
        store::users::set_roles(&mut *tx, user_id, &Roles::new(roles).to_db(), now).await?;
    }
    let note = super::notify::Note {
        user_id: &user.id,
        email: &user.email,
        kind: super::notify::APPLICATION_DECIDED,
        title: if approve {
            "You are now a mentor on mentorhub".into()
        } else {
            "Your mentor application was not approved".into()
        },
        body: reason.clone(),
        link: "/settings/mentor".into(),
        related_id: None,
        ics: None,
    };
    super::notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    audit_decision(&mut tx, Some(&actor.id), user_id, from, to, &reason, now).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.discovery.invalidate();
    store::mentors::profile(&ctx.db.pool, user_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Files an empty draft for someone who signed up as a mentor.
pub async fn start_draft(tx: &mut Tx, user_id: &str, now: i64) -> AppResult<()> {
    store::mentors::insert_draft(tx, user_id, now).await?;
    Ok(())
}

/// Keeps the search index in step after a user's name or headline changed.
pub async fn refresh_search_doc(ctx: &Ctx, user: &UserRow) -> AppResult<()> {
    let Some(p) = store::mentors::profile(&ctx.db.pool, &user.id).await? else {
        return Ok(());
    };
    let doc = search_doc(
        user,
        &parse_tags(&p.expertise),
        &parse_tags(&p.skills),
        &p.company,
        &p.title,
        &p.bio,
    );
    let mut tx = ctx.db.begin_write().await?;
    store::mentors::set_search_doc(&mut tx, &user.id, &doc, ctx.now()).await?;
    tx.commit().await?;
    ctx.discovery.invalidate();
    Ok(())
}

// ------------------------------------------------------------------ mentee profile

/// `PUT /api/v1/me/mentee-profile`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MenteeProfileInput {
    #[serde(default)]
    pub bio: String,
    /// What you want to achieve, e.g. `["learn rust", "first tech lead role"]`.
    #[serde(default)]
    pub goals: Vec<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub interests: Vec<String>,
}

pub async fn save_mentee_profile(
    ctx: &Ctx,
    user: &UserRow,
    input: &MenteeProfileInput,
) -> AppResult<store::mentors::MenteeProfileRow> {
    let mut v = Validator::new();
    let bio = v.check(text::optional_text("bio", &input.bio, 5000));
    let goals = v.check(mentor::tags("goals", &input.goals));
    let skills = v.check(mentor::tags("skills", &input.skills));
    let interests = v.check(mentor::tags("interests", &input.interests));
    v.finish()?;
    let (Some(bio), Some(goals), Some(skills), Some(interests)) = (bio, goals, skills, interests)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validator passed with a missing field"
        )));
    };
    store::mentors::upsert_mentee_profile(
        &ctx.db.pool,
        &user.id,
        &bio,
        &to_json(&goals)?,
        &to_json(&skills)?,
        &to_json(&interests)?,
        ctx.now(),
    )
    .await?;
    store::mentors::mentee_profile(&ctx.db.pool, &user.id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn mentee_profile(
    ctx: &Ctx,
    user: &UserRow,
) -> AppResult<Option<store::mentors::MenteeProfileRow>> {
    Ok(store::mentors::mentee_profile(&ctx.db.pool, &user.id).await?)
}

// ------------------------------------------------------------------ services

/// `POST /api/v1/me/services`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// `session`, `resume_review`, `linkedin_review` or `custom`.
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// For a session, its length; for a review, the time the mentor needs for it.
    pub duration_minutes: i64,
    pub credit_cost: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

/// `PATCH /api/v1/me/services/{id}`: any subset of the fields.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub duration_minutes: Option<i64>,
    pub credit_cost: Option<i64>,
    pub active: Option<bool>,
}

struct ValidService {
    kind: ServiceKind,
    title: String,
    description: String,
    duration_minutes: i64,
    credit_cost: i64,
    active: bool,
}

fn validate_service(input: &ServiceInput) -> AppResult<ValidService> {
    let mut v = Validator::new();
    let kind = v.check(ServiceKind::parse(&input.kind).ok_or_else(|| {
        FieldError::new(
            "kind",
            "invalid_kind",
            "kind is one of session, resume_review, linkedin_review, custom.",
        )
    }));
    let title = v.check(text::required_line("title", &input.title, 120));
    let description = v.check(text::optional_text("description", &input.description, 2000));
    let duration_minutes = v.check(mentor::duration(input.duration_minutes));
    let credit_cost = v.check(mentor::credit_cost(input.credit_cost));
    v.finish()?;
    match (kind, title, description, duration_minutes, credit_cost) {
        (Some(kind), Some(title), Some(description), Some(duration_minutes), Some(credit_cost)) => {
            Ok(ValidService {
                kind,
                title,
                description,
                duration_minutes,
                credit_cost,
                active: input.active,
            })
        }
        _ => Err(AppError::Internal(anyhow::anyhow!(
            "validator passed with a missing field"
        ))),
    }
}

async fn require_mentor_profile(ctx: &Ctx, user: &UserRow) -> AppResult<MentorProfileRow> {
    store::mentors::profile(&ctx.db.pool, &user.id)
        .await?
        .filter(|p| p.status != MentorStatus::Draft.as_str())
        .ok_or_else(|| {
            AppError::forbidden("Fill in your mentor profile first: services belong to mentors.")
        })
}

pub async fn my_services(ctx: &Ctx, user: &UserRow) -> AppResult<Vec<ServiceRow>> {
    Ok(store::mentors::services_of(&ctx.db.pool, &user.id, true).await?)
}

pub async fn create_service(
    ctx: &Ctx,
    user: &UserRow,
    input: &ServiceInput,
) -> AppResult<ServiceRow> {
    require_mentor_profile(ctx, user).await?;
    let s = validate_service(input)?;
    if store::mentors::services_of(&ctx.db.pool, &user.id, true)
        .await?
        .len()
        >= 30
    {
        return Err(AppError::conflict(
            "too_many_services",
            "A mentor offers at most 30 services.",
        ));
    }
    let id = new_id();
    store::mentors::insert_service(
        &ctx.db.pool,
        &id,
        &user.id,
        &ServiceWrite {
            kind: s.kind.as_str(),
            title: &s.title,
            description: &s.description,
            duration_minutes: s.duration_minutes,
            credit_cost: s.credit_cost,
            active: s.active,
        },
        ctx.now(),
    )
    .await?;
    store::mentors::service(&ctx.db.pool, &id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn own_service(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ServiceRow> {
    store::mentors::service(&ctx.db.pool, id)
        .await?
        .filter(|s| s.mentor_id == user.id && s.deleted_at.is_none())
        .ok_or(AppError::NotFound)
}

pub async fn update_service(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    patch: &ServicePatch,
) -> AppResult<ServiceRow> {
    let cur = own_service(ctx, user, id).await?;
    let merged = ServiceInput {
        kind: patch.kind.clone().unwrap_or(cur.kind),
        title: patch.title.clone().unwrap_or(cur.title),
        description: patch.description.clone().unwrap_or(cur.description),
        duration_minutes: patch.duration_minutes.unwrap_or(cur.duration_minutes),
        credit_cost: patch.credit_cost.unwrap_or(cur.credit_cost),
        active: patch.active.unwrap_or(cur.active == 1),
    };
    let s = validate_service(&merged)?;
    store::mentors::update_service(
        &ctx.db.pool,
        id,
        &ServiceWrite {
            kind: s.kind.as_str(),
            title: &s.title,
            description: &s.description,
            duration_minutes: s.duration_minutes,
            credit_cost: s.credit_cost,
            active: s.active,
        },
        ctx.now(),
    )
    .await?;
    own_service(ctx, user, id).await
}

pub async fn delete_service(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<()> {
    own_service(ctx, user, id).await?;
    store::mentors::delete_service(&ctx.db.pool, id, ctx.now()).await?;
    Ok(())
}

/// Active services of a listed mentor (404 for anyone else).
pub async fn public_services(ctx: &Ctx, mentor_id: &str) -> AppResult<Vec<ServiceRow>> {
    store::discovery::listed_mentor(&ctx.db.pool, mentor_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(store::mentors::services_of(&ctx.db.pool, mentor_id, false).await?)
}

// ------------------------------------------------------------------ discovery

/// Raw search parameters, as a client sends them (parsed here so a malformed value is
/// a clear 422 naming the parameter).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Free text over name, headline, bio, expertise, skills and company.
    pub q: Option<String>,
    /// Comma-separated; every one must match.
    pub expertise: Option<String>,
    /// Comma-separated; every one must match.
    pub skills: Option<String>,
    pub industry: Option<String>,
    pub company: Option<String>,
    /// 0 to 5.
    pub min_rating: Option<String>,
    /// Highest hourly rate in credits.
    pub max_rate: Option<String>,
    /// Only mentors with a free slot from this instant (RFC 3339)…
    pub available_from: Option<String>,
    /// …to this one.
    pub available_to: Option<String>,
    /// `relevance` (default), `rating`, `price` or `soonest`.
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn list_param(raw: &Option<String>) -> Vec<String> {
    raw.as_deref()
        .unwrap_or("")
        .split(',')
        .map(mentor::normalize_tag)
        .filter(|t| !t.is_empty())
        .take(10)
        .collect()
}

/// Splits free text into searchable words (letters and digits only, at most 8).
pub fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(40).collect::<String>())
        .take(8)
        .collect()
}

/// A time window a mentor must have a free slot in.
pub type Window = Option<(jiff::Timestamp, jiff::Timestamp)>;

/// Parses search parameters; `offset` comes from the cursor.
pub fn parse_search(p: &SearchParams, offset: i64, limit: i64) -> AppResult<(Search, Window)> {
    let mut v = Validator::new();
    let min_rating = match p
        .min_rating
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => v
            .check(
                raw.parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=5.0).contains(r))
                    .ok_or_else(|| {
                        FieldError::new(
                            "min_rating",
                            "invalid_number",
                            "min_rating is a number from 0 to 5.",
                        )
                    })
                    .map(Some),
            )
            .flatten(),
    };
    let max_rate = match p
        .max_rate
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => v
            .check(
                raw.parse::<i64>()
                    .ok()
                    .filter(|r| *r >= 0)
                    .ok_or_else(|| {
                        FieldError::new(
                            "max_rate",
                            "invalid_number",
                            "max_rate is a whole number of credits, 0 or more.",
                        )
                    })
                    .map(Some),
            )
            .flatten(),
    };
    let words = search_words(p.q.as_deref().unwrap_or(""));
    let sort = match p.sort.as_deref().unwrap_or("relevance") {
        "" | "relevance" => Some(SortBy::Relevance),
        "rating" => Some(SortBy::Rating),
        "price" => Some(SortBy::Price),
        "soonest" => Some(SortBy::Soonest),
        _ => {
            v.push(FieldError::new(
                "sort",
                "invalid_sort",
                "sort is one of relevance, rating, price, soonest.",
            ));
            None
        }
    };
    let instant = |field: &str, raw: &Option<String>, v: &mut Validator| match raw
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(r) => v.check(r.parse::<jiff::Timestamp>().map_err(|_| {
            FieldError::new(
                field,
                "invalid_datetime",
                "Use an RFC 3339 time with an offset, e.g. 2026-03-02T15:00:00Z.",
            )
        })),
    };
    let available_from = instant("available_from", &p.available_from, &mut v);
    let available_to = instant("available_to", &p.available_to, &mut v);
    v.finish()?;
    let window = match (available_from, available_to) {
        (None, None) => None,
        (from, to) => {
            let week = jiff::SignedDuration::from_hours(24 * 7);
            let from =
                from.unwrap_or_else(|| to.map(|t| t - week).unwrap_or(jiff::Timestamp::UNIX_EPOCH));
            let to = to.unwrap_or(from + week);
            if to <= from {
                return Err(AppError::invalid(
                    "available_to",
                    "before_from",
                    "available_to is after available_from.",
                ));
            }
            if to.duration_since(from)
                > jiff::SignedDuration::from_hours(24 * super::availability::MAX_RANGE_DAYS)
            {
                return Err(AppError::invalid(
                    "available_to",
                    "range_too_long",
                    "Ask for a window of at most 62 days.",
                ));
            }
            Some((from, to))
        }
    };
    Ok(Search {
        words,
        expertise: list_param(&p.expertise),
        skills: list_param(&p.skills),
        industries: list_param(&p.industry),
        company: p
            .company
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty()),
        min_rating,
        max_rate,
        only_ids: None,
        free_before: window.map(|(_, to)| crate::clock::to_micros(to)),
        sort: sort.unwrap_or(SortBy::Relevance),
        offset,
        limit,
    })
    .map(|s| (s, window))
}

/// Runs a search, from the discovery cache when a fresh page is there.
pub async fn search(
    ctx: &Ctx,
    s: &Search,
    window: Window,
) -> AppResult<std::sync::Arc<Vec<MentorCardRow>>> {
    let key = format!("{s:?}{window:?}");
    if let Some(hit) = ctx.discovery.get(&key, cache::monotonic_micros()) {
        return Ok(hit);
    }
    let generation = ctx.discovery.generation();
    let rows = match window {
        None => store::discovery::search(&ctx.db.pool, ctx.db.backend, s).await?,
        Some((from, to)) => {
            let wide = Search {
                offset: 0,
                limit: AVAILABILITY_CANDIDATES,
                ..s.clone()
            };
            let candidates = store::discovery::search(&ctx.db.pool, ctx.db.backend, &wide).await?;
            let mut kept = vec![];
            for c in candidates {
                if has_free_slot(ctx, &c.profile.user_id, from, to).await? {
                    kept.push(c);
                }
            }
            kept.into_iter()
                .skip(s.offset.max(0) as usize)
                .take(s.limit.max(0) as usize)
                .collect()
        }
    };
    let rows = std::sync::Arc::new(rows);
    ctx.discovery
        .put(key, generation, cache::monotonic_micros(), rows.clone());
    Ok(rows)
}

/// How many candidates an availability search checks exactly (ordered as asked; with
/// `sort=soonest`, the likeliest come first).
const AVAILABILITY_CANDIDATES: i64 = 500;

async fn has_free_slot(
    ctx: &Ctx,
    mentor_id: &str,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> AppResult<bool> {
    let Some(a) = super::availability::load(ctx, mentor_id).await? else {
        return Ok(false);
    };
    let services = store::mentors::services_of(&ctx.db.pool, mentor_id, false).await?;
    let Some(duration) = services
        .iter()
        .filter(|s| !ServiceKind::parse(&s.kind).is_some_and(ServiceKind::is_review))
        .map(|s| s.duration_minutes)
        .min()
    else {
        return Ok(false);
    };
    let ask = super::availability::SlotAsk {
        mentor_id,
        duration,
        from,
        to,
        except: None,
        except_hold: None,
    };
    Ok(
        !super::availability::free_starts(ctx, &ctx.db.pool, &a, &ask)
            .await?
            .is_empty(),
    )
}

/// A mentor's public page: listed mentors for everyone; the mentor themself and admins
/// also see an unlisted profile.
pub async fn mentor_page(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    id: &str,
) -> AppResult<MentorCardRow> {
    if let Some(m) = store::discovery::listed_mentor(&ctx.db.pool, id).await? {
        return Ok(m);
    }
    let privileged =
        viewer.is_some_and(|v| v.id == id || Roles::from_db(&v.roles).has(Role::Admin));
    if privileged && let Some(m) = store::discovery::any_mentor(&ctx.db.pool, id).await? {
        return Ok(m);
    }
    Err(AppError::NotFound)
}

/// Recommendations for a user, best first, with reasons.
pub async fn recommended(
    ctx: &Ctx,
    user: &UserRow,
    limit: usize,
) -> AppResult<Vec<(MentorCardRow, recommend::Recommendation)>> {
    let profile = store::mentors::mentee_profile(&ctx.db.pool, &user.id).await?;
    let interests = profile
        .map(|p| MenteeInterests {
            goals: parse_tags(&p.goals),
            skills: parse_tags(&p.skills),
            interests: parse_tags(&p.interests),
        })
        .unwrap_or_default();
    let terms: Vec<String> = recommend::mentee_terms(&interests)
        .into_iter()
        .take(60)
        .collect();
    let rows =
        store::discovery::recommendation_candidates(&ctx.db.pool, &terms, &user.id, 200).await?;
    let candidates: Vec<Candidate> = rows
        .iter()
        .map(|r| Candidate {
            id: r.user_id.clone(),
            expertise: parse_tags(&r.expertise),
            skills: parse_tags(&r.skills),
            industries: parse_tags(&r.industries),
            rating_avg: r.rating_avg,
            rating_count: r.rating_count,
            active_mentees: r.active_mentees,
            max_mentees: r.max_mentees,
        })
        .collect();
    let mut ranked = recommend::recommend(&interests, &candidates);
    ranked.truncate(limit);
    let ids: Vec<String> = ranked.iter().map(|r| r.id.clone()).collect();
    let cards = store::discovery::cards(&ctx.db.pool, &ids).await?;
    Ok(ranked
        .into_iter()
        .filter_map(|rec| {
            cards
                .iter()
                .find(|c| c.profile.user_id == rec.id)
                .map(|c| (c.clone(), rec))
        })
        .collect())
}
