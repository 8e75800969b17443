//! Joining a program: mentors opt in to its pool with their capacity for it; mentees
//! apply within the application window, answering the intake and ranking up to three
//! mentors of the pool. The program's join rule (anyone, invite code, email domain)
//! is checked for both.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use super::{Access, ApplicationRow, PoolRow, access};
use crate::{
    domain::{
        ids::new_id,
        mentor::MentorStatus,
        program::{self, Answer, JoinRule, MAX_CHOICES, ProgramStatus},
    },
    error::{AppError, AppResult},
    service::Ctx,
    store::{self, users::UserRow},
};

/// `POST /api/v1/programs/{id}/enrolments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolInput {
    /// `mentee` (apply) or `mentor` (opt in to the pool).
    pub role: String,
    /// Intake answers by question id: a string, or a list for multiple choice and
    /// skills.
    #[serde(default)]
    pub answers: BTreeMap<String, Answer>,
    /// Mentees: up to three mentor ids from the pool, first choice first.
    #[serde(default)]
    pub choices: Vec<String>,
    /// Mentors: how many mentees they take in this program (default: the program's).
    pub capacity: Option<i64>,
    /// The program's invite code, when it asks for one.
    pub invite_code: Option<String>,
}

/// `DELETE /api/v1/programs/{id}/enrolments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveInput {
    /// `mentee` (withdraw the application) or `mentor` (leave the pool).
    pub role: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Mentee,
    Mentor,
}

fn role(raw: &str) -> AppResult<Role> {
    match raw {
        "mentee" => Ok(Role::Mentee),
        "mentor" => Ok(Role::Mentor),
        _ => Err(AppError::invalid(
            "role",
            "invalid",
            "Choose mentee (apply) or mentor (join the pool).",
        )),
    }
}

fn check_rule(a: &Access, user: &UserRow, code: Option<&str>) -> AppResult<()> {
    let rule = a.join_rule();
    if rule.admits(&user.email, code) {
        return Ok(());
    }
    Err(match rule {
        JoinRule::Invite(_) => AppError::invalid(
            "invite_code",
            "invalid_code",
            "This program asks for an invite code, and this is not it.",
        ),
        JoinRule::Domain(d) => AppError::forbidden(format!(
            "This program is for members with an email address at {d}."
        )),
        JoinRule::Anyone => AppError::forbidden("You cannot join this program."),
    })
}

/// What enrolling did.
pub enum Enrolled {
    Mentee(ApplicationRow),
    Mentor(PoolRow),
}

/// Applies as a mentee or opts in as a mentor (see the module documentation).
pub async fn enrol(ctx: &Ctx, user: &UserRow, id: &str, input: &EnrolInput) -> AppResult<Enrolled> {
    let a = access(ctx, user, id).await?;
    let who = role(&input.role)?;
    check_rule(&a, user, input.invite_code.as_deref())?;
    // An address at the domain proves nothing until its owner shows they read it.
    if let JoinRule::Domain(d) = a.join_rule()
        && !crate::service::accounts::email_confirmed(ctx, user).await?
    {
        return Err(AppError::forbidden(format!(
            "This program is for members with a confirmed email address at {d}: confirm \
             {} first (a link is mailed from the program's page, or by POST \
             /api/v1/me/email-confirmation).",
            user.email
        )));
    }
    match who {
        Role::Mentee => apply(ctx, user, &a, input).await.map(Enrolled::Mentee),
        Role::Mentor => opt_in(ctx, user, &a, input).await.map(Enrolled::Mentor),
    }
}

async fn apply(
    ctx: &Ctx,
    user: &UserRow,
    a: &Access,
    input: &EnrolInput,
) -> AppResult<ApplicationRow> {
    let p = &a.program;
    let now = ctx.now();
    if p.status != ProgramStatus::Open
        || now < p.applications_open_at
        || now >= p.applications_close_at
    {
        return Err(AppError::conflict(
            "applications_closed",
            format!(
                "This program takes applications from {} to {}, while it is open.",
                p.applications_open_at, p.applications_close_at
            ),
        ));
    }
    if input.capacity.is_some() {
        return Err(AppError::invalid(
            "capacity",
            "not_for_mentees",
            "A capacity is for mentors joining the pool.",
        ));
    }
    let mut errors = vec![];
    let (answers, skills) =
        match program::check_answers("answers", &p.mentee_questions, &input.answers) {
            Ok(ok) => ok,
            Err(e) => {
                errors.extend(e);
                Default::default()
            }
        };
    let pool = store::programs::pool(&ctx.db.pool, &p.id, true).await?;
    // A ranking names each mentor once: the same one twice is a slip to point out
    // (the second choice would otherwise be lost without a word).
    let mut choices: Vec<String> = vec![];
    let mut twice = false;
    for c in &input.choices {
        let c = c.trim().to_string();
        if choices.contains(&c) {
            twice = true;
        } else {
            choices.push(c);
        }
    }
    if twice {
        errors.push(crate::error::FieldError::new(
            "choices",
            "duplicate_choice",
            "You ranked the same mentor twice: choose each mentor once, or leave a choice empty.",
        ));
    } else if choices.len() > MAX_CHOICES {
        errors.push(crate::error::FieldError::new(
            "choices",
            "too_many",
            "Rank at most three mentors.",
        ));
    } else if let Some(bad) = choices
        .iter()
        .find(|c| **c == *user.id || !pool.iter().any(|m| m.mentor_id == **c))
    {
        errors.push(crate::error::FieldError::new(
            "choices",
            "not_in_pool",
            format!("{bad} is not a mentor of this program."),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let profile = store::mentors::mentee_profile(&ctx.db.pool, &user.id).await?;
    let topics = program::topics(
        profile
            .iter()
            .flat_map(|p| p.goals.iter().chain(p.skills.iter()))
            .chain(skills.iter()),
    );
    let answers = serde_json::to_value(&answers).map_err(|e| AppError::Internal(e.into()))?;
    let app_id = new_id();
    let mut tx = ctx.db.begin_write().await?;
    let inserted = store::programs::insert_application(
        &mut tx,
        &store::programs::NewApplication {
            id: &app_id,
            program_id: &p.id,
            mentee_id: &user.id,
            answers: &answers,
            choices: &choices,
            topics: &topics,
        },
        now,
    )
    .await?;
    if !inserted {
        return Err(AppError::conflict(
            "already_enrolled",
            "You have applied to this program already.",
        ));
    }
    tx.commit().await?;
    store::programs::application(&ctx.db.pool, &app_id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn opt_in(ctx: &Ctx, user: &UserRow, a: &Access, input: &EnrolInput) -> AppResult<PoolRow> {
    let p = &a.program;
    let approved = store::mentors::profile(&ctx.db.pool, &user.id)
        .await?
        .is_some_and(|m| m.status == MentorStatus::Approved);
    if !approved {
        return Err(AppError::forbidden(
            "Only approved mentors join a program's pool.",
        ));
    }
    if !matches!(p.status, ProgramStatus::Open | ProgramStatus::Running) {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "This program is {}; mentors join it while it is open or running.",
                p.status.as_str()
            ),
        ));
    }
    if !input.choices.is_empty() {
        return Err(AppError::invalid(
            "choices",
            "not_for_mentors",
            "Ranking mentors is for mentees applying.",
        ));
    }
    let capacity = input.capacity.unwrap_or(p.mentor_capacity);
    let mut errors = vec![];
    if !(1..=program::MAX_CAPACITY).contains(&capacity) {
        errors.push(crate::error::FieldError::new(
            "capacity",
            "invalid_number",
            "Enter a whole number from 1 to 50.",
        ));
    }
    let answers = match program::check_answers("answers", &p.mentor_questions, &input.answers) {
        Ok((answers, _)) => answers,
        Err(e) => {
            errors.extend(e);
            Default::default()
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let answers = serde_json::to_value(&answers).map_err(|e| AppError::Internal(e.into()))?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, &p.id).await?;
    let matched = store::programs::pool(&mut *tx, &p.id, false)
        .await?
        .into_iter()
        .find(|m| m.mentor_id == *user.id)
        .map_or(0, |m| m.matched);
    if capacity < matched {
        return Err(AppError::conflict(
            "capacity_below_matches",
            format!("You are matched with {matched} mentees in this program already."),
        ));
    }
    store::programs::upsert_mentor(&mut tx, &p.id, &user.id, capacity, &answers, now).await?;
    tx.commit().await?;
    store::programs::pool(&ctx.db.pool, &p.id, false)
        .await?
        .into_iter()
        .find(|m| m.mentor_id == *user.id)
        .ok_or(AppError::NotFound)
}

/// Withdraws an application not matched yet, or leaves the pool (their draft
/// proposals go; published pairings stay).
pub async fn leave(ctx: &Ctx, user: &UserRow, id: &str, input: &LeaveInput) -> AppResult<()> {
    let a = access(ctx, user, id).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, &a.program.id).await?;
    match role(&input.role)? {
        Role::Mentee => {
            let Some(app) =
                store::programs::application_of(&mut *tx, &a.program.id, &user.id).await?
            else {
                return Err(AppError::NotFound);
            };
            if !store::programs::withdraw_application(&mut tx, &app.id, now).await? {
                return Err(AppError::conflict(
                    "invalid_transition",
                    "You are matched already; end the mentorship instead.",
                ));
            }
            store::programs::remove_drafts(
                &mut tx,
                &a.program.id,
                store::programs::Drafts::OfApplication(&app.id),
                now,
            )
            .await?;
        }
        Role::Mentor => {
            if !store::programs::withdraw_mentor(&mut tx, &a.program.id, &user.id, now).await? {
                return Err(AppError::NotFound);
            }
            store::programs::remove_drafts(
                &mut tx,
                &a.program.id,
                store::programs::Drafts::OfMentor(&user.id),
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The enrolments a viewer may see: every mentor and application for a manager; the
/// viewer's own otherwise.
pub async fn enrolments(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
) -> AppResult<(Access, Vec<PoolRow>, Vec<ApplicationRow>)> {
    let a = access(ctx, user, id).await?;
    let mut mentors = store::programs::pool(&ctx.db.pool, id, false).await?;
    let mut applications = store::programs::applications(&ctx.db.pool, id).await?;
    if !a.manages {
        mentors.retain(|m| m.mentor_id == *user.id);
        applications.retain(|x| x.mentee_id == *user.id);
    }
    Ok((a, mentors, applications))
}

/// The active pool, for mentees choosing whom to rank.
pub async fn pool(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<Vec<PoolRow>> {
    access(ctx, user, id).await?;
    Ok(store::programs::pool(&ctx.db.pool, id, true).await?)
}
