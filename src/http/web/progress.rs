//! A mentorship's goals and progress on a page (`/mentorship/{id}`): goals with their
//! milestones, ticked off with one button each, a milestone linked to the session
//! whose notes cover it, goals and milestones added by either person, the mentee's
//! skill self-assessment at the start and at the end, and the summary a progress report
//! needs (sessions held against the program's expectation, last contact, health). It
//! prints as the mentee's progress report (the print style leaves the forms out).

use std::collections::BTreeMap;

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    routing::{get, post},
};

use super::{FormErrors, Layout, PageResult, WebCtx, WebForm, confirm};
use crate::{
    error::AppError,
    http::{AppState, extract::path_id},
    service::programs::progress::{
        self, GoalInput, MilestoneInput, MilestonePatch, Progress, SkillsInput,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mentorship/{id}", get(page))
        .route("/mentorship/{id}/progress/{what}", post(change))
}

pub struct MilestoneLine {
    pub id: String,
    pub title: String,
    /// The rename form: its value (the title, or what a refused rename held) and
    /// whether it comes back refused (open, with its error).
    pub rename: (String, bool),
    /// Not one the program set (those stay).
    pub removable: bool,
    pub done: bool,
    /// "Done on 3 Mar 2026 by Dee".
    pub done_note: String,
    pub booking_id: String,
    pub session: String,
}

pub struct GoalLine {
    pub id: String,
    pub title: String,
    pub rename: (String, bool),
    pub removable: bool,
    pub milestones: Vec<MilestoneLine>,
}

#[derive(Template)]
#[template(path = "mentorship_progress.html")]
struct ProgressPage {
    layout: Layout,
    id: String,
    other_name: String,
    mentor_name: String,
    mentee_name: String,
    program: Option<(String, String)>,
    goals: Vec<GoalLine>,
    done: usize,
    total: usize,
    /// (skill, start, end) as words ("3 of 5" or "—").
    skills: Vec<(String, i64, i64)>,
    held: i64,
    expected: Option<i64>,
    last_contact: String,
    health: String,
    /// (booking id, "Tue 3 Mar 2026, 10:00").
    sessions: Vec<(String, String)>,
    /// The program's agenda, session by session: (topics, whether that session is
    /// held already).
    agendas: Vec<(Vec<String>, bool)>,
    in_pair: bool,
    is_mentee: bool,
    /// A refused form's input, shown again beside its error.
    typed: Typed,
    /// One of the pair, while the mentorship is live: the forms are offered.
    editable: bool,
    /// The mentorship has ended (or was never taken up): its record, to read.
    over: bool,
    errors: FormErrors,
}

/// What a refused goal or milestone form held, shown again: (which form — "goal", a
/// goal's id for its new milestone, or "rename-" and the renamed goal's or milestone's
/// id —, the title, the milestones).
#[derive(Default)]
struct Typed {
    form: String,
    title: String,
    milestones: String,
}

async fn render(
    state: &AppState,
    web: &WebCtx,
    id: &str,
    errors: FormErrors,
    typed: Typed,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let p: Progress = progress::view(&state.ctx, &me, id).await?;
    let tz = web.zone();
    let name = |f: &str, l: &str| format!("{f} {l}").trim().to_string();
    let m = &p.mentorship;
    let mentor_name = name(&m.mentor_first_name, &m.mentor_last_name);
    let mentee_name = name(&m.mentee_first_name, &m.mentee_last_name);
    let names: BTreeMap<String, String> = [
        (m.m.mentor_id.clone(), mentor_name.clone()),
        (m.m.mentee_id.clone(), mentee_name.clone()),
    ]
    .into_iter()
    .collect();
    let sessions: Vec<(String, String)> = p
        .sessions
        .iter()
        .map(|(b, at, review)| {
            let when = web.when(*at, &tz);
            // A review is named, with when it is due (its start is only its request).
            let label = if review.is_empty() {
                when
            } else {
                format!("{review}, due {when}")
            };
            (b.clone(), label)
        })
        .collect();
    let (done, total) = p.milestones();
    // The rename form of `id`: its value, and whether it comes back refused.
    let rename = |id: &str, title: &str| {
        let refused = typed.form.strip_prefix("rename-") == Some(id);
        let value = if refused { &typed.title } else { title };
        (value.to_string(), refused)
    };
    let goals = p
        .goals
        .iter()
        .map(|(g, ms)| GoalLine {
            id: g.id.clone(),
            title: g.title.clone(),
            rename: rename(&g.id, &g.title),
            removable: !p.set_by_program(g, None),
            milestones: ms
                .iter()
                .map(|x| MilestoneLine {
                    id: x.id.clone(),
                    title: x.title.clone(),
                    rename: rename(&x.id, &x.title),
                    removable: !p.set_by_program(g, Some(x)),
                    done: x.done_at.is_some(),
                    done_note: match (x.done_at, &x.done_by) {
                        (Some(at), by) => format!(
                            "Done {}{}",
                            web.when(at, &tz),
                            by.as_ref()
                                .and_then(|b| names.get(b))
                                .map(|n| format!(" by {n}"))
                                .unwrap_or_default()
                        ),
                        _ => String::new(),
                    },
                    booking_id: x.booking_id.clone().unwrap_or_default(),
                    session: x
                        .booking_id
                        .as_ref()
                        .and_then(|b| sessions.iter().find(|(id, _)| id == b))
                        .map(|(_, w)| w.clone())
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let page = ProgressPage {
        layout: web.layout(),
        id: id.to_string(),
        other_name: if m.m.mentor_id == *me.id {
            mentee_name.clone()
        } else {
            mentor_name.clone()
        },
        program: p.program.as_ref().map(|x| (x.id.clone(), x.name.clone())),
        goals,
        done,
        total,
        skills: p
            .skills
            .iter()
            .map(|(s, a, b)| (s.clone(), a.unwrap_or(0), b.unwrap_or(0)))
            .collect(),
        held: p.activity.as_ref().map_or(0, |a| a.held),
        expected: p.program.as_ref().map(|x| x.sessions_expected),
        last_contact: p
            .last_contact()
            .map(|t| web.when(t, &tz))
            .unwrap_or_else(|| "none yet".into()),
        health: p.health.map(|h| h.label().to_string()).unwrap_or_default(),
        agendas: p
            .program
            .as_ref()
            .map(|x| {
                let held = p.activity.as_ref().map_or(0, |a| a.held);
                x.agendas
                    .iter()
                    .enumerate()
                    .map(|(n, topics)| (topics.clone(), (n as i64) < held))
                    .collect()
            })
            .unwrap_or_default(),
        sessions,
        in_pair: p.in_pair,
        is_mentee: p.viewer_is_mentee,
        editable: p.in_pair && p.is_live(),
        typed,
        over: !p.is_live(),
        mentor_name,
        mentee_name,
        errors,
    };
    let status = if page.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(web.render_status(state, status, &page))
}

async fn page(State(state): State<AppState>, web: WebCtx, Path(id): Path<String>) -> PageResult {
    let id = path_id(&id)?;
    render(&state, &web, &id, FormErrors::default(), Typed::default()).await
}

async fn change(
    State(state): State<AppState>,
    web: WebCtx,
    Path((id, what)): Path<(String, String)>,
    WebForm(f): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let get = |k: &str| {
        f.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let me = web.signed_in_form(&state, &get("csrf"))?;
    let id = path_id(&id)?;
    let ctx = &state.ctx;
    let done = match what.as_str() {
        "tick" | "untick" => progress::change_milestone(
            ctx,
            &me,
            &id,
            &path_id(&get("milestone_id"))?,
            &MilestonePatch {
                done: Some(what == "tick"),
                ..Default::default()
            },
        )
        .await
        .map(|_| "milestone_saved"),
        "link" => progress::change_milestone(
            ctx,
            &me,
            &id,
            &path_id(&get("milestone_id"))?,
            &MilestonePatch {
                booking_id: Some(get("booking_id")),
                ..Default::default()
            },
        )
        .await
        .map(|_| "milestone_saved"),
        "goal" => progress::add_goal(
            ctx,
            &me,
            &id,
            &GoalInput {
                title: get("title"),
                milestones: get("milestones")
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
            },
        )
        .await
        .map(|_| "goal_added"),
        "rename_goal" => {
            progress::rename_goal(ctx, &me, &id, &path_id(&get("goal_id"))?, &get("title"))
                .await
                .map(|_| "goal_renamed")
        }
        "rename_milestone" => progress::change_milestone(
            ctx,
            &me,
            &id,
            &path_id(&get("milestone_id"))?,
            &MilestonePatch {
                title: Some(get("title")),
                ..Default::default()
            },
        )
        .await
        .map(|_| "milestone_saved"),
        "remove_goal" | "remove_milestone" if !confirm::confirmed(&get("confirmed")) => {
            return ask_removal(&state, &web, &me, &id, &what, &get).await;
        }
        "remove_goal" => progress::remove_goal(ctx, &me, &id, &path_id(&get("goal_id"))?)
            .await
            .map(|_| "goal_removed"),
        "remove_milestone" => {
            progress::remove_milestone(ctx, &me, &id, &path_id(&get("milestone_id"))?)
                .await
                .map(|_| "milestone_removed")
        }
        "milestone" => progress::add_milestone(
            ctx,
            &me,
            &id,
            &MilestoneInput {
                goal_id: get("goal_id"),
                title: get("title"),
            },
        )
        .await
        .map(|_| "milestone_saved"),
        "skills" => {
            let levels = f
                .iter()
                .filter_map(|(k, v)| {
                    let skill = k.strip_prefix("level.")?;
                    let n = v.trim().parse::<i64>().ok()?;
                    (n != 0).then(|| (skill.to_string(), n))
                })
                .collect();
            progress::assess(
                ctx,
                &me,
                &id,
                &SkillsInput {
                    phase: get("phase"),
                    levels,
                },
            )
            .await
            .map(|_| "skills_saved")
        }
        _ => return Err(AppError::NotFound.into()),
    };
    match done {
        Ok(flash) => Ok(web.redirect_flash(&format!("/mentorship/{id}"), flash)),
        Err(e @ AppError::Invalid(_)) => {
            let title = match what.as_str() {
                "goal" | "rename_goal" => "Goal",
                "rename_milestone" => "Milestone",
                _ => "New milestone",
            };
            let errors = FormErrors::from_error(&e).labelled(&[
                ("title", title),
                ("milestones", "Milestones"),
                ("levels", "Skills"),
                ("booking_id", "Session"),
            ]);
            let typed = Typed {
                form: match what.as_str() {
                    "goal" => "goal".into(),
                    "rename_goal" => format!("rename-{}", get("goal_id")),
                    "rename_milestone" => format!("rename-{}", get("milestone_id")),
                    _ => get("goal_id"),
                },
                title: get("title"),
                milestones: get("milestones"),
            };
            render(&state, &web, &id, errors, typed).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Asks before removing a goal or a milestone (without JavaScript; with it the form's
/// `data-confirm` asked already), naming it and what goes with it.
async fn ask_removal(
    state: &AppState,
    web: &WebCtx,
    me: &crate::service::accounts::UserRow,
    id: &str,
    what: &str,
    get: &impl Fn(&str) -> String,
) -> PageResult {
    let p = progress::view(&state.ctx, me, id).await?;
    let goal = what == "remove_goal";
    let (field, target) = if goal {
        ("goal_id", path_id(&get("goal_id"))?)
    } else {
        ("milestone_id", path_id(&get("milestone_id"))?)
    };
    let (question, consequence) = if goal {
        let (g, ms) = p
            .goals
            .iter()
            .find(|(g, _)| g.id == target)
            .ok_or(AppError::NotFound)?;
        (
            format!("Remove the goal “{}”?", g.title),
            match ms.len() {
                0 => "It has no milestone. This cannot be undone.".to_string(),
                1 => "Its milestone goes with it. This cannot be undone.".to_string(),
                n => format!("Its {n} milestones go with it. This cannot be undone."),
            },
        )
    } else {
        let m = p
            .goals
            .iter()
            .flat_map(|(_, ms)| ms)
            .find(|m| m.id == target)
            .ok_or(AppError::NotFound)?;
        (
            format!("Remove the milestone “{}”?", m.title),
            "This cannot be undone.".to_string(),
        )
    };
    Ok(confirm::page(
        state,
        web,
        confirm::Confirm {
            question,
            consequence,
            action: format!("/mentorship/{id}/progress/{what}"),
            fields: vec![(field, target)],
            yes: if goal {
                "Yes, remove the goal"
            } else {
                "Yes, remove the milestone"
            },
            back: format!("/mentorship/{id}"),
            no: "No, keep it",
            reason: None,
            errors: FormErrors::default(),
        },
    ))
}
