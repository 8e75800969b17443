//! Becoming a mentor (application, approval), mentor and mentee profiles, services,
//! and discovery (search, profiles, recommendations).
//!
//! By seam: profiles are here; `application` (approval decisions and what they
//! change), `services` (what a mentor offers) and `discovery` (search, the public
//! page, recommendations) have a file each.

mod application;
mod discovery;
mod services;

pub use self::{application::*, discovery::*, services::*};

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
    discovery::{MentorCardRow, Search, SortBy, TagCount},
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

pub(super) fn yes() -> bool {
    true
}

fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.into()))
}

/// The text the full-text index covers for a mentor.
pub(super) fn search_doc(
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

/// Whether the user has filled in a mentor profile (past the draft a mentor sign-up
/// starts with): the settings then show the "Services" tab. A failed read says no.
pub async fn offers_services(ctx: &Ctx, user: &UserRow) -> bool {
    matches!(my_profile(ctx, user).await, Ok(Some(p)) if p.status != MentorStatus::Draft)
}

/// Whether the user is an approved mentor (may write articles, has mentees).
pub async fn is_approved(ctx: &Ctx, user_id: &str) -> AppResult<bool> {
    Ok(store::mentors::profile(&ctx.db.pool, user_id)
        .await?
        .is_some_and(|p| p.status == MentorStatus::Approved))
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
        .filter(|s| s.mentor_id == mentor_id && s.active && s.deleted_at.is_none()))
}

/// A mentor profile that passed its checks.
pub struct CheckedProfile {
    bio: String,
    expertise: Vec<String>,
    skills: Vec<String>,
    industries: Vec<String>,
    company: String,
    title: String,
    experience: Vec<crate::domain::mentor::ExperienceEntry>,
    hourly_rate: i64,
    max_mentees: i64,
}

/// Checks a mentor profile without saving it: every error at once.
/// The latest date it is anywhere at `now` (UTC's, a day ahead for the zones east of
/// it): what a date "not after today" is checked against, whatever the person's zone.
pub fn latest_today(now: jiff::Timestamp) -> jiff::civil::Date {
    (now + jiff::SignedDuration::from_hours(14))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

pub fn check_profile(
    input: &MentorProfileInput,
    today: jiff::civil::Date,
) -> AppResult<CheckedProfile> {
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
    let experience = mentor::experience(&input.experience, today, &mut v);
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

    Ok(CheckedProfile {
        bio,
        expertise,
        skills,
        industries,
        company,
        title,
        experience,
        hourly_rate,
        max_mentees,
    })
}

/// Saves the mentor profile. A new, draft or rejected profile becomes a pending
/// application (or is approved at once with `auto_approve_mentors`); an approved or
/// suspended one keeps its status.
pub async fn save_profile(
    ctx: &Ctx,
    user: &UserRow,
    input: &MentorProfileInput,
) -> AppResult<MentorProfileRow> {
    let CheckedProfile {
        bio,
        expertise,
        skills,
        industries,
        company,
        title,
        experience,
        hourly_rate,
        max_mentees,
    } = check_profile(input, latest_today(ctx.now()))?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let existing = store::mentors::profile(&mut *tx, &user.id).await?;
    let old_status = existing.as_ref().map(|p| p.status);
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
    let approved = status == MentorStatus::Approved && old_status != Some(MentorStatus::Approved);
    if approved {
        on_approved(&mut tx, user, hourly_rate, now).await?;
        let from = old_status.unwrap_or(MentorStatus::Draft);
        audit_decision(&mut tx, None, &user.id, from, status, "auto-approved", now).await?;
    }
    let mut live = crate::service::events::Live::new();
    if reapply && status == MentorStatus::Pending {
        let headline = [title.as_str(), company.as_str()]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let note = crate::service::notify::AdminNote {
            kind: crate::service::notify::MENTOR_APPLIED,
            title: format!("{} {} applies to mentor", user.first_name, user.last_name),
            body: if headline.is_empty() {
                format!("Expertise: {}.", expertise.join(", "))
            } else {
                format!("{headline}. Expertise: {}.", expertise.join(", "))
            },
            link: "/admin/applications".into(),
            related_id: &user.id,
        };
        crate::service::notify::tell_admins(ctx, &mut tx, &note, now, &mut live).await?;
    }
    tx.commit().await?;
    live.publish(ctx).await;
    if approved {
        // Approval may bring the first service, from which the next free slot is found.
        crate::service::availability::refresh_next_free_after(ctx, &user.id).await;
    }
    ctx.discovery.invalidate();
    store::mentors::profile(&ctx.db.pool, &user.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Files an empty draft for someone who signed up as a mentor.
pub async fn start_draft(tx: &mut Tx, user_id: &str, now: jiff::Timestamp) -> AppResult<()> {
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
        &p.expertise.clone(),
        &p.skills.clone(),
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
    // Goals are the mentee's own words: their case stays (matching lower-cases them).
    let goals = v.check(mentor::phrases("goals", &input.goals));
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
