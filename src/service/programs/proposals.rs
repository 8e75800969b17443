//! Match proposals: a manager computes draft pairings for every applicant not paired
//! yet ([`crate::domain::matching`]), reviews them (pairs by hand, gives a draft
//! another mentor, swaps the mentors of two drafts, removes one), then publishes.
//!
//! Publishing runs in one transaction: each draft becomes a program mentorship (the
//! pair's live mentorship, accepted if pending, or a new accepted one), the pair's
//! thread opens with a first message, both people are notified, and the mentee gets
//! the program's budget in sponsored credits from its funding account. It is refused
//! as a whole when the funding does not cover every grant. Drafts are only ever
//! changed under the program's row lock, so two managers cannot publish one twice or
//! overfill a mentor.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApplicationRow, MatchRow, PoolRow, access, audit};
use crate::{
    domain::{
        ids::new_id,
        matching::{self, Applicant, Mentor},
        program::ProgramStatus,
    },
    error::{AppError, AppResult},
    service::{Ctx, events::Live, notify},
    store::{
        self, Tx,
        ledger::Transfer,
        programs::{NewMatch, ProgramRow},
        users::UserRow,
    },
};

/// A program's pairings: drafts to review, published ones, and the applicants no
/// pairing holds (with the reason the last computation gave).
#[derive(Debug, Clone)]
pub struct Proposals {
    pub drafts: Vec<MatchRow>,
    pub published: Vec<MatchRow>,
    pub queue: Vec<ApplicationRow>,
}

/// The program, if `user` manages it and it is open or running.
async fn managed_live(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ProgramRow> {
    let a = access(ctx, user, id).await?;
    a.require_manager()?;
    if !matches!(
        a.program.status,
        ProgramStatus::Open | ProgramStatus::Running
    ) {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "This program is {}; pairings are made while it is open or running.",
                a.program.status.as_str()
            ),
        ));
    }
    Ok(a.program)
}

pub async fn list(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<Proposals> {
    let a = access(ctx, user, id).await?;
    a.require_manager()?;
    read(&ctx.db.pool, id).await
}

async fn read<'e, E>(ex: E, id: &str) -> AppResult<Proposals>
where
    E: sqlx::Executor<'e, Database = sqlx::Any> + Copy,
{
    let matches = store::programs::matches(ex, id).await?;
    let applications = store::programs::applications(ex, id).await?;
    let (drafts, published): (Vec<MatchRow>, Vec<MatchRow>) =
        matches.into_iter().partition(|m| m.status == "draft");
    let queue = applications
        .into_iter()
        .filter(|a| a.status == "applied" && !drafts.iter().any(|d| d.application_id == a.id))
        .collect();
    Ok(Proposals {
        drafts,
        published,
        queue,
    })
}

fn applicant(a: &ApplicationRow) -> Applicant {
    Applicant {
        id: a.id.clone(),
        person: a.mentee_id.clone(),
        choices: a.choices.clone(),
        topics: a.topics.clone(),
    }
}

/// A pool mentor as matching sees them, with `room` seats left.
fn mentor(m: &PoolRow, room: i64) -> Mentor {
    // Skills named in the mentor's intake answers count like their profile's.
    let answered = m
        .answers
        .as_object()
        .into_iter()
        .flat_map(|o| o.values())
        .filter_map(|v| v.as_array())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect::<Vec<_>>();
    Mentor {
        id: m.mentor_id.clone(),
        name: format!("{} {}", m.first_name, m.last_name)
            .trim()
            .to_string(),
        capacity: room,
        topics: crate::domain::program::topics(
            m.expertise
                .iter()
                .chain(m.skills.iter())
                .chain(answered.iter()),
        ),
    }
}

/// A pairing made by a person rather than computed: its rank and score as matching
/// would give them, and why ("paired by a manager; 2nd choice; shares go").
fn explained(app: &ApplicationRow, m: Option<&PoolRow>, by: &str) -> (Option<i64>, i64, String) {
    match m.and_then(|m| matching::assess(&applicant(app), &mentor(m, 1))) {
        Some(p) => (p.choice_rank, p.score, format!("{by}; {}", p.explanation)),
        // A manager's pick that is not one of their choices (and shares nothing): said,
        // as matching says it (a mentee's own choice is theirs by definition).
        None if by.ends_with("by a manager") => (None, 0, format!("{by}; not among their choices")),
        None => (None, 0, by.to_string()),
    }
}

/// Seats each mentor has taken: published pairings and drafts (except `but`'s).
fn taken(matches: &[MatchRow], but: Option<&str>) -> BTreeMap<String, i64> {
    let mut n = BTreeMap::new();
    for m in matches {
        if (m.status == "published" || m.status == "draft") && Some(m.id.as_str()) != but {
            *n.entry(m.mentor_id.clone()).or_insert(0) += 1;
        }
    }
    n
}

/// The pool mentor `mentor_id` if they have room for application `app` (its own
/// draft, if any, does not count against them) and are not its applicant, with that
/// draft.
fn with_room<'a>(
    pool: &'a [PoolRow],
    matches: &'a [MatchRow],
    app: &ApplicationRow,
    mentor_id: &str,
) -> AppResult<(&'a PoolRow, Option<&'a MatchRow>)> {
    let app_id = app.id.as_str();
    if app.mentee_id == mentor_id {
        return Err(AppError::invalid(
            "mentor_id",
            "same_person",
            "Someone cannot be their own mentor: choose another mentor.",
        ));
    }
    let Some(m) = pool.iter().find(|m| m.mentor_id == mentor_id) else {
        return Err(AppError::invalid(
            "mentor_id",
            "not_in_pool",
            "This mentor is not in the program's pool.",
        ));
    };
    let own = matches
        .iter()
        .find(|x| x.application_id == app_id && x.status == "draft");
    let used = taken(matches, own.map(|o| o.id.as_str()))
        .get(&m.mentor_id)
        .copied()
        .unwrap_or(0);
    if used >= m.capacity {
        return Err(AppError::conflict(
            "mentor_at_capacity",
            format!(
                "{} {} has no room left in this program ({} of {}).",
                m.first_name, m.last_name, used, m.capacity
            ),
        ));
    }
    Ok((m, own))
}

/// Computes draft pairings for everyone not paired yet; drafts a manager made stay.
pub async fn compute(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<Proposals> {
    managed_live(ctx, user, id).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, id).await?;
    store::programs::remove_drafts(&mut tx, id, store::programs::Drafts::Computed, now).await?;
    let matches = store::programs::matches(&mut *tx, id).await?;
    let pool = store::programs::pool(&mut *tx, id, true).await?;
    let applications = store::programs::applications(&mut *tx, id).await?;
    let waiting: Vec<&ApplicationRow> = applications
        .iter()
        .filter(|a| a.status == "applied" && !matches.iter().any(|m| m.application_id == a.id))
        .collect();
    let seats = taken(&matches, None);
    let mentors: Vec<Mentor> = pool
        .iter()
        .map(|m| {
            mentor(
                m,
                m.capacity - seats.get(&m.mentor_id).copied().unwrap_or(0),
            )
        })
        .collect();
    let applicants: Vec<Applicant> = waiting.iter().map(|a| applicant(a)).collect();
    let outcome = matching::assign(&applicants, &mentors);
    for p in &outcome.pairs {
        let Some(app) = waiting.iter().find(|a| a.id == p.applicant_id) else {
            continue;
        };
        store::programs::insert_match(
            &mut tx,
            &NewMatch {
                id: &new_id(),
                program_id: id,
                application_id: &app.id,
                mentee_id: &app.mentee_id,
                mentor_id: &p.mentor_id,
                choice_rank: p.choice_rank,
                score: p.score,
                explanation: &p.explanation,
                origin: "computed",
            },
            now,
        )
        .await?;
        store::programs::set_unmatched_reason(&mut tx, &app.id, "", now).await?;
    }
    for u in &outcome.unmatched {
        store::programs::set_unmatched_reason(&mut tx, &u.applicant_id, &u.reason, now).await?;
    }
    audit(
        &mut tx,
        user,
        "program.proposals_computed",
        id,
        serde_json::json!({"proposed": outcome.pairs.len(), "unmatched": outcome.unmatched.len()}),
        now,
    )
    .await?;
    tx.commit().await?;
    read(&ctx.db.pool, id).await
}

/// `POST /api/v1/programs/{id}/proposals/manual`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualInput {
    pub application_id: String,
    pub mentor_id: String,
}

/// Pairs an applicant by hand (or gives their draft another mentor).
pub async fn manual(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    input: &ManualInput,
) -> AppResult<MatchRow> {
    managed_live(ctx, user, id).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, id).await?;
    let app = store::programs::application(&mut *tx, &input.application_id)
        .await?
        .filter(|a| a.program_id == id && a.status != "withdrawn")
        .ok_or_else(|| {
            AppError::invalid(
                "application_id",
                "unknown_application",
                "No such application in this program.",
            )
        })?;
    if app.status != "applied" {
        return Err(AppError::conflict(
            "invalid_transition",
            "This applicant is matched already.",
        ));
    }
    let pool = store::programs::pool(&mut *tx, id, true).await?;
    let matches = store::programs::matches(&mut *tx, id).await?;
    let (m, own) = with_room(&pool, &matches, &app, &input.mentor_id)?;
    let (rank, score, why) = explained(&app, Some(m), "paired by a manager");
    // The mentor a draft had before, for the audit log.
    let before = own.map(|o| {
        format!("{} {}", o.mentor_first_name, o.mentor_last_name)
            .trim()
            .to_string()
    });
    let match_id = match own {
        Some(o) => {
            store::programs::set_match_mentor(&mut tx, &o.id, &m.mentor_id, rank, score, &why, now)
                .await?;
            o.id.clone()
        }
        None => {
            let mid = new_id();
            store::programs::insert_match(
                &mut tx,
                &NewMatch {
                    id: &mid,
                    program_id: id,
                    application_id: &app.id,
                    mentee_id: &app.mentee_id,
                    mentor_id: &m.mentor_id,
                    choice_rank: rank,
                    score,
                    explanation: &why,
                    origin: "manual",
                },
                now,
            )
            .await?;
            mid
        }
    };
    store::programs::set_unmatched_reason(&mut tx, &app.id, "", now).await?;
    audit(
        &mut tx,
        user,
        "program.paired_by_hand",
        id,
        {
            let mut said = serde_json::json!({
                "mentee_id": app.mentee_id,
                "mentee": format!("{} {}", app.first_name, app.last_name).trim(),
                "mentor_id": m.mentor_id,
                "mentor": format!("{} {}", m.first_name, m.last_name).trim(),
            });
            if let Some(b) = before {
                said["instead_of"] = b.into();
            }
            said
        },
        now,
    )
    .await?;
    tx.commit().await?;
    store::programs::get_match(&ctx.db.pool, &match_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `POST /api/v1/programs/{id}/proposals/swap`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapInput {
    /// Two draft pairings whose mentors trade places.
    pub first: String,
    pub second: String,
}

/// Swaps the mentors of two drafts (no mentor's load changes).
pub async fn swap(ctx: &Ctx, user: &UserRow, id: &str, input: &SwapInput) -> AppResult<Proposals> {
    managed_live(ctx, user, id).await?;
    if input.first == input.second {
        return Err(AppError::invalid(
            "second",
            "same_pairing",
            "Choose two different pairings to swap.",
        ));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, id).await?;
    let mut pairs = vec![];
    for (field, mid) in [("first", &input.first), ("second", &input.second)] {
        let m = store::programs::get_match(&mut *tx, mid)
            .await?
            .filter(|m| m.program_id == id && m.status == "draft")
            .ok_or_else(|| {
                AppError::invalid(
                    field,
                    "unknown_pairing",
                    "No such draft pairing in this program.",
                )
            })?;
        pairs.push(m);
    }
    let pool = store::programs::pool(&mut *tx, id, false).await?;
    for (this, other) in [(&pairs[0], &pairs[1]), (&pairs[1], &pairs[0])] {
        let app = store::programs::application(&mut *tx, &this.application_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let to = pool.iter().find(|m| m.mentor_id == other.mentor_id);
        let (rank, score, why) = explained(&app, to, "swapped by a manager");
        store::programs::set_match_mentor(
            &mut tx,
            &this.id,
            &other.mentor_id,
            rank,
            score,
            &why,
            now,
        )
        .await?;
    }
    let name = |first: &str, last: &str| format!("{first} {last}").trim().to_string();
    let now_with: Vec<String> = [(&pairs[0], &pairs[1]), (&pairs[1], &pairs[0])]
        .iter()
        .map(|(x, y)| {
            format!(
                "{} with {}",
                name(&x.mentee_first_name, &x.mentee_last_name),
                name(&y.mentor_first_name, &y.mentor_last_name)
            )
        })
        .collect();
    audit(
        &mut tx,
        user,
        "program.pairings_swapped",
        id,
        serde_json::json!({
            "first_id": input.first,
            "second_id": input.second,
            // Who is now with whom (each took the other's mentor).
            "now": now_with,
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    read(&ctx.db.pool, id).await
}

/// Removes a draft: its applicant goes back to the queue.
pub async fn remove(ctx: &Ctx, user: &UserRow, id: &str, match_id: &str) -> AppResult<()> {
    managed_live(ctx, user, id).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, id).await?;
    let m = store::programs::get_match(&mut *tx, match_id)
        .await?
        .filter(|m| m.program_id == id)
        .ok_or(AppError::NotFound)?;
    if !store::programs::remove_match(&mut tx, match_id, now).await? {
        return Err(AppError::conflict(
            "invalid_transition",
            "Only draft pairings are removed; this one is published.",
        ));
    }
    store::programs::set_unmatched_reason(
        &mut tx,
        &m.application_id,
        "Removed from the proposals by a manager.",
        now,
    )
    .await?;
    audit(
        &mut tx,
        user,
        "program.pairing_removed",
        id,
        serde_json::json!({
            "pairing_id": match_id,
            "mentee_id": m.mentee_id,
            "mentee": format!("{} {}", m.mentee_first_name, m.mentee_last_name).trim(),
            "mentor_id": m.mentor_id,
            "mentor": format!("{} {}", m.mentor_first_name, m.mentor_last_name).trim(),
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What publishing did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Published {
    /// Pairings published now.
    pub published: usize,
    /// Sponsored credits granted now (the budget per mentee times the pairings).
    pub credits_granted: i64,
}

/// Publishes every draft (see the module documentation).
pub async fn publish(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<Published> {
    managed_live(ctx, user, id).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, id).await?;
    let program = store::programs::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let drafts: Vec<MatchRow> = store::programs::matches(&mut *tx, id)
        .await?
        .into_iter()
        .filter(|m| m.status == "draft")
        .collect();
    // A draft that pairs someone with themselves (saved before drafts were checked
    // for it) is named, not published.
    if let Some(d) = drafts.iter().find(|d| d.mentee_id == d.mentor_id) {
        return Err(AppError::conflict(
            "same_person",
            format!(
                "The draft for {} {} pairs them with themselves: choose another mentor for \
                 them first.",
                d.mentee_first_name, d.mentee_last_name
            ),
        ));
    }
    if drafts.is_empty() {
        return Err(AppError::conflict(
            "nothing_to_publish",
            "There are no draft pairings to publish: compute proposals or pair by hand first.",
        ));
    }
    let fund = store::ledger::program_account(&mut tx, id, now).await?;
    let budget = program.budget_per_mentee;
    let need = budget * drafts.len() as i64;
    let available = store::ledger::balance_of(&mut *tx, &fund).await?;
    if available < need {
        return Err(AppError::conflict(
            "program_underfunded",
            format!(
                "Publishing {} grants {need} credits and the program's funding holds \
                 {available}: add {} or more to its funding first (an administrator does, under \
                 Funding).",
                if drafts.len() == 1 {
                    "1 pairing".to_string()
                } else {
                    format!("{} pairings", drafts.len())
                },
                need - available
            ),
        ));
    }
    let mut live = Live::new();
    for d in &drafts {
        publish_one(ctx, &mut tx, &program, d, &fund, now, &mut live).await?;
    }
    audit(
        &mut tx,
        user,
        "program.published",
        id,
        serde_json::json!({"published": drafts.len(), "credits_granted": need}),
        now,
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.discovery.invalidate();
    Ok(Published {
        published: drafts.len(),
        credits_granted: need,
    })
}

async fn publish_one(
    ctx: &Ctx,
    tx: &mut Tx,
    program: &ProgramRow,
    d: &MatchRow,
    fund: &str,
    now: jiff::Timestamp,
    live: &mut Live,
) -> AppResult<()> {
    // The mentee's row, as a mentorship request locks it: one live pair whatever races.
    store::mentorships::lock_user(tx, ctx.db.backend, &d.mentee_id).await?;
    let mentorship = store::programs::start_mentorship(
        tx,
        &program.id,
        &d.mentor_id,
        &d.mentee_id,
        &new_id(),
        now,
    )
    .await?;
    if !store::programs::publish_match(tx, &d.id, &mentorship, now).await?
        || !store::programs::mark_matched(tx, &d.application_id, now).await?
    {
        return Err(AppError::conflict(
            "invalid_transition",
            "The proposals changed meanwhile; reload them.",
        ));
    }
    crate::service::messages::mentorship_started(tx, &d.mentor_id, &d.mentee_id, None, now).await?;
    super::progress::seed_goals(tx, &mentorship, &program.goals, now).await?;
    if program.budget_per_mentee > 0 {
        let account = store::ledger::sponsored_account(tx, &program.id, &d.mentee_id, now).await?;
        store::ledger::transfer(
            tx,
            &Transfer {
                key: &format!("program_grant:{}", d.id),
                kind: "program_grant",
                booking_id: None,
                actor_id: None,
                memo: &format!("Sponsored credits from the program {}", program.name),
                legs: vec![
                    (fund.to_string(), -program.budget_per_mentee),
                    (account, program.budget_per_mentee),
                ],
                now,
            },
        )
        .await
        .map_err(|e| crate::service::credits::transfer_error(e, program.budget_per_mentee))?;
    }
    let mentor_name = format!("{} {}", d.mentor_first_name, d.mentor_last_name);
    let mentee_name = format!("{} {}", d.mentee_first_name, d.mentee_last_name);
    for (who, title, link) in [
        (
            &d.mentee_id,
            format!(
                "You are matched with {} in {}",
                mentor_name.trim(),
                program.name
            ),
            "/mentorship?tab=mentors",
        ),
        (
            &d.mentor_id,
            format!("{} is your mentee in {}", mentee_name.trim(), program.name),
            "/mentorship?tab=mentees",
        ),
    ] {
        let Some(person) = store::users::by_id(&mut **tx, who).await? else {
            continue;
        };
        let body = if who == &d.mentee_id && program.budget_per_mentee > 0 {
            format!(
                "The program gives you {} credits for your sessions with your mentor.",
                program.budget_per_mentee
            )
        } else {
            String::new()
        };
        notify::notify(
            ctx,
            tx,
            &notify::Note {
                reader: None,
                user_id: &person.id,
                email: &person.email,
                kind: notify::PROGRAM_UPDATE,
                title,
                body,
                link: link.to_string(),
                related_id: Some(&program.id),
                ics: None,
            },
            now,
            live,
        )
        .await?;
    }
    Ok(())
}

/// `POST /api/v1/programs/{id}/self-match`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChooseInput {
    pub mentor_id: String,
}

/// A mentee whose application waits picks a pool mentor with room, in a program that
/// allows it: the pairing is made and published at once (the mentor consented to up
/// to their capacity by joining the pool), with the program's grant.
pub async fn choose(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    input: &ChooseInput,
) -> AppResult<MatchRow> {
    let a = access(ctx, user, id).await?;
    let p = &a.program;
    if !p.self_matching {
        return Err(AppError::forbidden(
            "In this program the managers make the pairings.",
        ));
    }
    if !matches!(p.status, ProgramStatus::Open | ProgramStatus::Running) {
        return Err(AppError::conflict(
            "invalid_transition",
            format!("This program is {}.", p.status.as_str()),
        ));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, id).await?;
    let Some(app) = store::programs::application_of(&mut *tx, id, &user.id).await? else {
        return Err(AppError::conflict(
            "not_enrolled",
            "Apply to the program first.",
        ));
    };
    if app.status != "applied" {
        return Err(AppError::conflict(
            "invalid_transition",
            "You are matched already.",
        ));
    }
    let pool = store::programs::pool(&mut *tx, id, true).await?;
    let matches = store::programs::matches(&mut *tx, id).await?;
    let (m, own) = with_room(&pool, &matches, &app, &input.mentor_id)?;
    let fund = store::ledger::program_account(&mut tx, id, now).await?;
    if store::ledger::balance_of(&mut *tx, &fund).await? < p.budget_per_mentee {
        return Err(AppError::conflict(
            "program_underfunded",
            "The program's funding cannot cover your credits yet; the managers will pair you.",
        ));
    }
    if let Some(o) = own {
        store::programs::remove_match(&mut tx, &o.id, now).await?;
    }
    let (rank, score, why) = explained(&app, Some(m), "chosen by the mentee");
    let match_id = new_id();
    store::programs::insert_match(
        &mut tx,
        &NewMatch {
            id: &match_id,
            program_id: id,
            application_id: &app.id,
            mentee_id: &app.mentee_id,
            mentor_id: &m.mentor_id,
            choice_rank: rank,
            score,
            explanation: &why,
            origin: "manual",
        },
        now,
    )
    .await?;
    let draft = store::programs::get_match(&mut *tx, &match_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut live = Live::new();
    publish_one(ctx, &mut tx, p, &draft, &fund, now, &mut live).await?;
    audit(
        &mut tx,
        user,
        "program.self_matched",
        id,
        serde_json::json!({
            "mentor_id": m.mentor_id,
            "mentor": format!("{} {}", m.first_name, m.last_name).trim(),
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.discovery.invalidate();
    store::programs::get_match(&ctx.db.pool, &match_id)
        .await?
        .ok_or(AppError::NotFound)
}
