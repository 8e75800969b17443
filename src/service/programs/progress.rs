//! A program mentorship's progress: goals with milestones (copied from the program
//! when the pair is published, then the pair's to extend and rename), either person
//! ticking milestones off (optionally linking the session whose notes cover it), the
//! mentee's skill self-assessment at the start and at the end, and the report read
//! from all of it: milestones done, skills before and after, sessions held against the
//! program's expectation, last contact, health.
//!
//! The pair changes it; the program's managers (and admins) read it; anyone else gets
//! 404.

use crate::domain::mentorship::MentorshipStatus;
use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use super::ProgramRow;
use crate::{
    domain::{
        ids::new_id,
        mentor::tags,
        program::{self, Activity, Goal, Health},
        text,
    },
    error::{AppError, AppResult, FieldError},
    service::{Ctx, admin::is_admin},
    store::{
        self, Tx,
        mentorships::MentorshipListRow,
        progress::{ActivityRow, GoalRow, MilestoneChange, MilestoneRow},
        users::UserRow,
    },
};

/// A mentorship's progress as its reader may see it.
#[derive(Debug, Clone)]
pub struct Progress {
    pub mentorship: MentorshipListRow,
    pub program: Option<ProgramRow>,
    pub goals: Vec<(GoalRow, Vec<MilestoneRow>)>,
    /// (skill, level at the start, level at the end).
    pub skills: Vec<(String, Option<i64>, Option<i64>)>,
    pub activity: Option<ActivityRow>,
    pub health: Option<Health>,
    /// The pair's sessions held or to come, newest first: (booking id, start, or for a
    /// review its due time, and the review's title — empty for a session).
    pub sessions: Vec<(String, jiff::Timestamp, String)>,
    /// The viewer is one of the pair (may change it).
    pub in_pair: bool,
    pub viewer_is_mentee: bool,
}

impl Progress {
    /// The mentorship is requested or accepted (its goals may change).
    pub fn is_live(&self) -> bool {
        matches!(
            self.mentorship.m.status,
            MentorshipStatus::Pending | MentorshipStatus::Accepted
        )
    }

    pub fn milestones(&self) -> (usize, usize) {
        let all: Vec<&MilestoneRow> = self.goals.iter().flat_map(|(_, m)| m).collect();
        (
            all.iter().filter(|m| m.done_at.is_some()).count(),
            all.len(),
        )
    }

    /// The program set this goal (or this milestone of it) for every pair: copied onto
    /// the mentorship when it was paired (no author), so it stays (it may be renamed).
    /// What the pair adds, even to a program's goal, is theirs to remove.
    pub fn set_by_program(&self, goal: &GoalRow, milestone: Option<&MilestoneRow>) -> bool {
        self.program.is_some()
            && goal.created_by.is_none()
            && milestone.is_none_or(|m| m.created_by.is_none())
    }

    /// The last session or message, if any.
    pub fn last_contact(&self) -> Option<jiff::Timestamp> {
        let a = self.activity.as_ref()?;
        [a.last_session, a.last_message].into_iter().flatten().max()
    }
}

/// Who `user` is to mentorship `id`: (the mentorship, its program, in the pair). The
/// pair reads it, and for a program's pair the program's managers and the admins (as
/// `GET /api/v1/mentorships/{id}` does); anyone else finds nothing.
async fn reader(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
) -> AppResult<(MentorshipListRow, Option<ProgramRow>, bool)> {
    let m = store::mentorships::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let program_id = store::progress::program_of(&ctx.db.pool, id).await?;
    let program = match &program_id {
        Some(p) => store::programs::get(&ctx.db.pool, p).await?,
        None => None,
    };
    let in_pair = m.m.mentor_id == *user.id || m.m.mentee_id == *user.id;
    if in_pair {
        return Ok((m, program, true));
    }
    let manages = match &program {
        Some(p) => {
            is_admin(user) || store::programs::is_manager(&ctx.db.pool, &p.id, &user.id).await?
        }
        // A mentorship outside any program is the pair's alone.
        None => false,
    };
    if !manages {
        return Err(AppError::NotFound);
    }
    Ok((m, program, false))
}

/// The pair only, while the mentorship is live (requested or accepted): changing a
/// mentorship's progress. An ended one keeps its goals as they were, to read.
async fn writer(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<Progress> {
    let p = view(ctx, user, id).await?;
    if !p.in_pair {
        return Err(AppError::forbidden(
            "Only the mentor and the mentee change their goals; managers read them.",
        ));
    }
    if !p.is_live() {
        return Err(AppError::conflict(
            "mentorship_over",
            "This mentorship is over: its goals and milestones stay as they were, to read.",
        ));
    }
    Ok(p)
}

pub async fn view(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<Progress> {
    let (mentorship, program, in_pair) = reader(ctx, user, id).await?;
    let goals = store::progress::goals(&ctx.db.pool, id).await?;
    let mut milestones = store::progress::milestones(&ctx.db.pool, id).await?;
    let goals = goals
        .into_iter()
        .map(|g| {
            let mine: Vec<MilestoneRow> = milestones
                .iter()
                .filter(|m| m.goal_id == g.id)
                .cloned()
                .collect();
            milestones.retain(|m| m.goal_id != g.id);
            (g, mine)
        })
        .collect();
    // The skills worked on: a program's application names them (its answers to the
    // skills questions; the topics it was matched on when it asked none); otherwise
    // the mentee's learning profile does.
    let mut skills: BTreeMap<String, (Option<i64>, Option<i64>)> = BTreeMap::new();
    let named = match &program {
        Some(p) => store::programs::application_of(&ctx.db.pool, &p.id, &mentorship.m.mentee_id)
            .await?
            .map(|app| {
                let answered: Vec<String> = p
                    .mentee_questions
                    .iter()
                    .filter(|q| q.kind == crate::domain::program::QuestionKind::Skills)
                    .filter_map(|q| app.answers.get(&q.id)?.as_array().cloned())
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                if answered.is_empty() {
                    app.topics
                } else {
                    answered
                }
            }),
        None => store::mentors::mentee_profile(&ctx.db.pool, &mentorship.m.mentee_id)
            .await?
            .map(|profile| profile.skills),
    };
    for t in named.unwrap_or_default() {
        skills.entry(t).or_default();
    }
    for (skill, phase, level) in store::progress::assessments(&ctx.db.pool, id).await? {
        let e = skills.entry(skill).or_default();
        if phase == "start" {
            e.0 = Some(level);
        } else {
            e.1 = Some(level);
        }
    }
    let now = ctx.now();
    // Sessions held and the last contact, for any mentorship; its health is judged
    // against a program's expectations, so only in one.
    let activity = store::progress::activity(&ctx.db.pool, store::progress::Pairs::One(id), now)
        .await?
        .into_iter()
        .next();
    let health = match (&program, &activity) {
        (Some(p), Some(a)) => Some(health_of(a, p, now)),
        _ => None,
    };
    let sessions = store::bookings::list(
        &ctx.db.pool,
        &store::bookings::ListFilter {
            user_id: mentorship.m.mentee_id.clone(),
            role: Some("mentee"),
            statuses: vec!["accepted".into(), "completed".into()],
            with_user: Some(mentorship.m.mentor_id.clone()),
            limit: 50,
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|k| {
        if k.b.timed {
            (k.b.id.to_string(), k.b.start_at, String::new())
        } else {
            (k.b.id.to_string(), k.b.end_at, k.b.title.clone())
        }
    })
    .collect();
    Ok(Progress {
        sessions,
        viewer_is_mentee: mentorship.m.mentee_id == *user.id,
        mentorship,
        program,
        goals,
        skills: skills.into_iter().map(|(s, (a, b))| (s, a, b)).collect(),
        activity,
        health,
        in_pair,
    })
}

/// A pair's health now.
pub fn health_of(a: &ActivityRow, p: &ProgramRow, now: jiff::Timestamp) -> Health {
    program::health(
        &Activity {
            started_at: a.started_at.unwrap_or(p.starts_at),
            last_session: a.last_session,
            last_message: a.last_message,
            milestones_done: a.milestones_done,
            milestones: a.milestones,
            starts_at: p.starts_at,
            ends_at: p.ends_at,
        },
        now,
    )
}

/// Copies a program's goals and milestones onto a new program mentorship (once: a
/// mentorship that has goals keeps them).
pub async fn seed_goals(
    tx: &mut Tx,
    mentorship_id: &str,
    goals: &[Goal],
    now: jiff::Timestamp,
) -> AppResult<()> {
    if !store::progress::goals(&mut **tx, mentorship_id)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    for g in goals {
        let gid = new_id();
        store::progress::insert_goal(tx, &gid, mentorship_id, &g.title, None, now).await?;
        for m in &g.milestones {
            store::progress::insert_milestone(tx, &new_id(), &gid, mentorship_id, m, None, now)
                .await?;
        }
    }
    Ok(())
}

/// `POST /api/v1/mentorships/{id}/goals`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    pub title: String,
    #[serde(default)]
    pub milestones: Vec<String>,
}

fn line(field: &str, raw: &str) -> AppResult<String> {
    text::required_line(field, raw, 200).map_err(|e| AppError::Invalid(vec![e]))
}

/// The most goals a mentorship has (twice what a program brings, for the pair's own).
const GOALS_PER_MENTORSHIP: i64 = program::MAX_GOALS as i64 * 2;

fn too_many_goals() -> AppError {
    AppError::invalid(
        "title",
        "too_many",
        format!("A mentorship has at most {GOALS_PER_MENTORSHIP} goals."),
    )
}

fn unknown_goal() -> AppError {
    AppError::invalid(
        "goal_id",
        "unknown_goal",
        "This mentorship has no such goal.",
    )
}

fn too_many_milestones() -> AppError {
    AppError::invalid(
        "title",
        "too_many",
        format!("A goal has at most {} milestones.", program::MAX_MILESTONES),
    )
}

pub async fn add_goal(ctx: &Ctx, user: &UserRow, id: &str, input: &GoalInput) -> AppResult<()> {
    let p = writer(ctx, user, id).await?;
    let title = line("title", &input.title)?;
    if p.goals.len() as i64 >= GOALS_PER_MENTORSHIP {
        return Err(too_many_goals());
    }
    if input.milestones.len() > program::MAX_MILESTONES {
        return Err(AppError::invalid(
            "milestones",
            "too_many",
            "A goal has at most 20 milestones.",
        ));
    }
    let milestones = input
        .milestones
        .iter()
        .enumerate()
        .map(|(i, m)| {
            line("milestones", m).map_err(|e| match e {
                AppError::Invalid(mut errors) if errors.iter().any(|f| f.code == "too_long") => {
                    errors[0].message = format!(
                        "Each milestone is at most 200 characters; milestone {} has {}.",
                        i + 1,
                        m.trim().chars().count()
                    );
                    AppError::Invalid(errors)
                }
                e => e,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    // Counted again under the lock: requests sent at once cannot pass the limit
    // together.
    store::progress::lock_plan(&mut tx, ctx.db.backend, id).await?;
    if store::progress::plan_counts(&mut tx, id, "").await?.0 >= GOALS_PER_MENTORSHIP {
        return Err(too_many_goals());
    }
    let gid = new_id();
    store::progress::insert_goal(&mut tx, &gid, id, &title, Some(&user.id), now).await?;
    for m in &milestones {
        store::progress::insert_milestone(&mut tx, &new_id(), &gid, id, m, Some(&user.id), now)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn rename_goal(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    goal_id: &str,
    title: &str,
) -> AppResult<()> {
    writer(ctx, user, id).await?;
    let title = line("title", title)?;
    let mut tx = ctx.db.begin_write().await?;
    if !store::progress::rename_goal(&mut tx, goal_id, id, &title, ctx.now()).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a goal and its milestones (either of the pair, while the mentorship is live;
/// not one the program set, see [`Progress::set_by_program`]).
pub async fn remove_goal(ctx: &Ctx, user: &UserRow, id: &str, goal_id: &str) -> AppResult<()> {
    let p = writer(ctx, user, id).await?;
    let (goal, _) = p
        .goals
        .iter()
        .find(|(g, _)| g.id == goal_id)
        .ok_or(AppError::NotFound)?;
    if p.set_by_program(goal, None) {
        return Err(program_goal("goal"));
    }
    let mut tx = ctx.db.begin_write().await?;
    store::progress::lock_plan(&mut tx, ctx.db.backend, id).await?;
    if !store::progress::remove_goal(&mut tx, goal_id, id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a milestone (either of the pair, while the mentorship is live).
pub async fn remove_milestone(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    milestone_id: &str,
) -> AppResult<()> {
    let p = writer(ctx, user, id).await?;
    let (goal, milestone) = p
        .goals
        .iter()
        .find_map(|(g, ms)| Some((g, ms.iter().find(|m| m.id == milestone_id)?)))
        .ok_or(AppError::NotFound)?;
    if p.set_by_program(goal, Some(milestone)) {
        return Err(program_goal("milestone"));
    }
    let mut tx = ctx.db.begin_write().await?;
    if !store::progress::remove_milestone(&mut tx, milestone_id, id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

fn program_goal(what: &str) -> AppError {
    AppError::conflict(
        "program_goal",
        format!(
            "This {what} is one the program set for every pair, so it stays; rename it if its wording does not fit yours."
        ),
    )
}

/// `POST /api/v1/mentorships/{id}/milestones`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub goal_id: String,
    pub title: String,
}

pub async fn add_milestone(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    input: &MilestoneInput,
) -> AppResult<()> {
    let p = writer(ctx, user, id).await?;
    let title = line("title", &input.title)?;
    let Some((_, ms)) = p.goals.iter().find(|(g, _)| g.id == input.goal_id) else {
        return Err(unknown_goal());
    };
    if ms.len() >= program::MAX_MILESTONES {
        return Err(too_many_milestones());
    }
    let mut tx = ctx.db.begin_write().await?;
    store::progress::lock_plan(&mut tx, ctx.db.backend, id).await?;
    // Counted again under the lock (and the goal still there: removed meanwhile, it is
    // said so rather than failing on its reference).
    let (_, goal, milestones) = store::progress::plan_counts(&mut tx, id, &input.goal_id).await?;
    if goal == 0 {
        return Err(unknown_goal());
    }
    if milestones >= program::MAX_MILESTONES as i64 {
        return Err(too_many_milestones());
    }
    store::progress::insert_milestone(
        &mut tx,
        &new_id(),
        &input.goal_id,
        id,
        &title,
        Some(&user.id),
        ctx.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `PATCH /api/v1/mentorships/{id}/milestones/{milestone_id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestonePatch {
    /// Ticked off (true) or open again (false).
    pub done: Option<bool>,
    pub title: Option<String>,
    /// The session whose notes cover it (one of this pair's bookings); "" unlinks.
    pub booking_id: Option<String>,
}

pub async fn change_milestone(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    milestone_id: &str,
    input: &MilestonePatch,
) -> AppResult<()> {
    let p = writer(ctx, user, id).await?;
    let title = input
        .title
        .as_deref()
        .map(|t| line("title", t))
        .transpose()?;
    let booking = match input.booking_id.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(b) => {
            let ok = store::bookings::get(&ctx.db.pool, b)
                .await?
                .is_some_and(|k| {
                    k.b.mentor_id == p.mentorship.m.mentor_id
                        && k.b.mentee_id == p.mentorship.m.mentee_id
                });
            if !ok {
                return Err(AppError::invalid(
                    "booking_id",
                    "unknown_booking",
                    "Link one of your sessions together.",
                ));
            }
            Some(Some(b))
        }
    };
    let now = ctx.now();
    let change = MilestoneChange {
        done: input.done.map(|d| d.then_some((user.id.as_str(), now))),
        title: title.as_deref(),
        booking_id: booking,
    };
    let mut tx = ctx.db.begin_write().await?;
    if !store::progress::change_milestone(&mut tx, milestone_id, id, &change, now).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// `PUT /api/v1/mentorships/{id}/skills`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillsInput {
    /// `start` or `end`.
    pub phase: String,
    /// Skill → level, 1 (beginner) to 5 (expert).
    pub levels: BTreeMap<String, i64>,
}

/// The mentee rates their skills (at the start, or at the end).
pub async fn assess(ctx: &Ctx, user: &UserRow, id: &str, input: &SkillsInput) -> AppResult<()> {
    let p = writer(ctx, user, id).await?;
    if !p.viewer_is_mentee {
        return Err(AppError::forbidden(
            "The skill self-assessment is the mentee's.",
        ));
    }
    let mut errors = vec![];
    if !matches!(input.phase.as_str(), "start" | "end") {
        errors.push(FieldError::new("phase", "invalid", "Choose start or end."));
    }
    let names: Vec<String> = input.levels.keys().cloned().collect();
    let skills = match tags("levels", &names) {
        Ok(s) if s.len() == names.len() => s,
        Ok(_) => {
            errors.push(FieldError::new(
                "levels",
                "invalid_tag",
                "Name each skill once, with words.",
            ));
            vec![]
        }
        Err(e) => {
            errors.push(e);
            vec![]
        }
    };
    if input.levels.values().any(|l| !(1..=5).contains(l)) {
        errors.push(FieldError::new(
            "levels",
            "invalid_number",
            "Rate each skill from 1 (beginner) to 5 (expert).",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    for (skill, level) in skills.iter().zip(input.levels.values()) {
        store::progress::assess(&mut tx, &new_id(), id, skill, &input.phase, *level, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A member's programs and every mentorship's goals, milestones and skill ratings,
/// for their data export.
pub async fn export(
    ctx: &Ctx,
    user: &UserRow,
    mentorship_ids: &[String],
) -> AppResult<serde_json::Value> {
    use serde_json::json;
    let pool = &ctx.db.pool;
    let parse = |raw: &str| serde_json::from_str::<serde_json::Value>(raw).unwrap_or_default();
    let enrolments = store::programs::enrolments_of(pool, &user.id)
        .await?
        .into_iter()
        .map(|(id, name, role, status, answers, choices, at)| {
            json!({
                "program_id": id, "program": name, "role": role, "status": status,
                "answers": parse(&answers), "choices": parse(&choices),
                "at": crate::clock::from_micros(at).to_string(),
            })
        })
        .collect::<Vec<_>>();
    let mut progress = vec![];
    for id in mentorship_ids {
        let goals = store::progress::goals(pool, id).await?;
        let milestones = store::progress::milestones(pool, id).await?;
        let skills = store::progress::assessments(pool, id).await?;
        if goals.is_empty() && skills.is_empty() {
            continue;
        }
        progress.push(json!({
            "mentorship_id": id,
            "goals": goals.iter().map(|g| json!({
                "title": g.title,
                "milestones": milestones.iter().filter(|m| m.goal_id == g.id).map(|m| json!({
                    "title": m.title, "done_at": m.done_at.map(|t| t.to_string()),
                    "booking_id": m.booking_id,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "skills": skills.iter().map(|(skill, phase, level)| json!({
                "skill": skill, "phase": phase, "level": level,
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({"programs": enrolments, "mentorship_progress": progress}))
}
