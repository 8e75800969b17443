//! A program's nudges: rules its managers set (each off until enabled), checked by
//! the maintenance pass on every instance, each nudge sent at most once per person,
//! rule and subject — the row recording it and the notification are written in one
//! transaction, and a unique index lets only the first writer send it, however many
//! instances and passes see it due. A manager previews who a rule would nudge at a
//! given time ("tomorrow") without sending anything.
//!
//! - `no_session`: a matched pair with no session N days after the match (both).
//! - `no_contact`: a pair with no session or message for N days (both).
//! - `unmatched`: an applicant still waiting N days after applying (the applicant).
//! - `ending`: N days before the program ends (everyone matched in it).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ProgramRow, access, audit};
use crate::{
    domain::program::ProgramStatus,
    error::{AppError, AppResult},
    service::{Ctx, events::Live, notify},
    store::{self, users::UserRow},
};

/// The rules, with the days they use when a manager has not set any.
pub const RULES: [(&str, i64, &str); 4] = [
    ("no_session", 14, "A matched pair has had no session"),
    ("no_contact", 21, "A pair has had no session or message"),
    ("unmatched", 14, "An applicant is still waiting for a match"),
    ("ending", 7, "The program ends soon"),
];

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `no_session`, `no_contact`, `unmatched` or `ending`.
    pub rule: String,
    /// 1 to 365.
    pub days: i64,
    pub enabled: bool,
}

/// `PUT /api/v1/programs/{id}/nudges`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesInput {
    pub rules: Vec<Rule>,
}

/// A nudge due (or sent).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Nudge {
    pub rule: String,
    pub user_id: String,
    pub name: String,
    /// What it is about: the mentorship, the application, or the program.
    pub subject_id: String,
    /// The notification's title.
    pub title: String,
}

pub async fn rules(ctx: &Ctx, program_id: &str) -> AppResult<Vec<Rule>> {
    let stored = store::programs::nudge_rules(&ctx.db.pool, program_id).await?;
    Ok(RULES
        .iter()
        .map(|(rule, days, _)| {
            let s = stored.iter().find(|(r, _, _)| r == rule);
            Rule {
                rule: rule.to_string(),
                days: s.map_or(*days, |(_, d, _)| *d),
                enabled: s.is_some_and(|(_, _, e)| *e),
            }
        })
        .collect())
}

/// Sets some or all of a program's rules (its managers).
pub async fn set_rules(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    input: &RulesInput,
) -> AppResult<Vec<Rule>> {
    let a = access(ctx, user, id).await?;
    a.require_manager()?;
    let mut errors = vec![];
    for (n, r) in input.rules.iter().enumerate() {
        if !RULES.iter().any(|(k, _, _)| *k == r.rule) {
            errors.push(crate::error::FieldError::new(
                &format!("rules[{n}].rule"),
                "invalid",
                "Choose no_session, no_contact, unmatched or ending.",
            ));
        }
        if !(1..=365).contains(&r.days) {
            errors.push(crate::error::FieldError::new(
                &format!("rules[{n}].days"),
                "invalid_number",
                "A rule waits 1 to 365 days.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    for r in &input.rules {
        store::programs::set_nudge_rule(&mut tx, id, &r.rule, r.days, r.enabled, now).await?;
    }
    // The log reads each rule by its label: "The program ends soon: on, 5 days".
    let said: serde_json::Map<String, serde_json::Value> = input
        .rules
        .iter()
        .map(|r| {
            let label = RULES
                .iter()
                .find(|(k, _, _)| *k == r.rule)
                .map_or(r.rule.as_str(), |(_, _, l)| *l);
            let state = if r.enabled {
                format!("on, {} day{}", r.days, if r.days == 1 { "" } else { "s" })
            } else {
                "off".to_string()
            };
            (label.to_string(), serde_json::Value::String(state))
        })
        .collect();
    audit(
        &mut tx,
        user,
        "program.nudges_set",
        id,
        serde_json::Value::Object(said),
        now,
    )
    .await?;
    tx.commit().await?;
    rules(ctx, id).await
}

fn day_after(t: jiff::Timestamp, days: i64) -> jiff::Timestamp {
    t + jiff::SignedDuration::from_hours(days * 24)
}

/// The nudges due in program `p` at `at` that have not been sent.
async fn due(ctx: &Ctx, p: &ProgramRow, at: jiff::Timestamp) -> AppResult<Vec<Nudge>> {
    let rules = rules(ctx, &p.id).await?;
    let sent = store::programs::nudges_sent(&ctx.db.pool, &p.id).await?;
    let was_sent = |rule: &str, user: &str, subject: &str| {
        sent.iter()
            .any(|(r, u, s, _)| r == rule && u == user && s == subject)
    };
    let mut out = vec![];
    let mut push = |rule: &str, user: &str, name: String, subject: &str, title: String| {
        if !was_sent(rule, user, subject) {
            out.push(Nudge {
                rule: rule.to_string(),
                user_id: user.to_string(),
                name,
                subject_id: subject.to_string(),
                title,
            });
        }
    };
    let pairs =
        store::progress::activity(&ctx.db.pool, store::progress::Pairs::Program(&p.id), at).await?;
    let live_pairs = pairs
        .iter()
        .filter(|x| x.status == crate::domain::mentorship::MentorshipStatus::Accepted);
    for r in rules.iter().filter(|r| r.enabled) {
        match r.rule.as_str() {
            "no_session" => {
                for x in live_pairs.clone() {
                    let Some(started) = x.started_at else {
                        continue;
                    };
                    // A first session booked ahead is what the nudge would ask for.
                    if x.first_session.is_none()
                        && x.next_session.is_none()
                        && day_after(started, r.days) <= at
                    {
                        for (who, name, other) in both(x) {
                            push(
                                "no_session",
                                who,
                                name,
                                &x.mentorship_id,
                                format!(
                                    "No session with {other} yet in {}: book the first one",
                                    p.name
                                ),
                            );
                        }
                    }
                }
            }
            "no_contact" => {
                for x in live_pairs.clone() {
                    let Some(started) = x.started_at else {
                        continue;
                    };
                    let last = [x.last_session, x.last_message]
                        .into_iter()
                        .flatten()
                        .max()
                        .unwrap_or(started)
                        .max(started);
                    if day_after(last, r.days) <= at {
                        for (who, name, other) in both(x) {
                            push(
                                "no_contact",
                                who,
                                name,
                                &x.mentorship_id,
                                format!(
                                    "You and {other} have not been in touch for {} ({})",
                                    crate::domain::text::counted(r.days, "day", "days"),
                                    p.name
                                ),
                            );
                        }
                    }
                }
            }
            "unmatched" => {
                for a in store::programs::applications(&ctx.db.pool, &p.id).await? {
                    if a.status == "applied" && day_after(a.created_at, r.days) <= at {
                        push(
                            "unmatched",
                            &a.mentee_id,
                            format!("{} {}", a.first_name, a.last_name)
                                .trim()
                                .to_string(),
                            &a.id,
                            format!(
                                "You are still waiting for a mentor in {}: the managers are on it",
                                p.name
                            ),
                        );
                    }
                }
            }
            "ending"
                if p.status == ProgramStatus::Running
                    && day_after(at, r.days) >= p.ends_at
                    && at < p.ends_at =>
            {
                for x in live_pairs.clone() {
                    for (who, name, _) in both(x) {
                        push(
                            "ending",
                            who,
                            name,
                            &p.id,
                            format!(
                                "{} ends in {}: log your sessions, tick your milestones, rate your skills",
                                p.name,
                                crate::domain::text::counted(r.days, "day", "days")
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Both people of a pair: (user id, name, the other's name).
fn both(x: &store::progress::ActivityRow) -> [(&str, String, String); 2] {
    let mentor = format!("{} {}", x.mentor_first_name, x.mentor_last_name)
        .trim()
        .to_string();
    let mentee = format!("{} {}", x.mentee_first_name, x.mentee_last_name)
        .trim()
        .to_string();
    [
        (x.mentor_id.as_str(), mentor.clone(), mentee.clone()),
        (x.mentee_id.as_str(), mentee, mentor),
    ]
}

/// Who would be nudged at `at` (its managers); nothing is sent.
pub async fn preview(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    at: jiff::Timestamp,
) -> AppResult<Vec<Nudge>> {
    let a = access(ctx, user, id).await?;
    a.require_manager()?;
    if !matches!(
        a.program.status,
        ProgramStatus::Open | ProgramStatus::Running
    ) {
        return Ok(vec![]);
    }
    due(ctx, &a.program, at).await
}

/// The nudges a program has sent, newest first: (nudge, when).
pub async fn sent(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
) -> AppResult<Vec<(String, String, String, jiff::Timestamp)>> {
    let a = access(ctx, user, id).await?;
    a.require_manager()?;
    Ok(store::programs::nudges_sent(&ctx.db.pool, id).await?)
}

/// Sends every nudge due now, in every program with rules (the maintenance pass).
/// Returns how many this call sent.
pub async fn send_due(ctx: &Ctx) -> AppResult<usize> {
    let now = ctx.now();
    let mut count = 0;
    for id in store::programs::programs_with_nudges(&ctx.db.pool).await? {
        let Some(p) = store::programs::get(&ctx.db.pool, &id).await? else {
            continue;
        };
        for n in due(ctx, &p, now).await? {
            let Some(person) = store::users::by_id(&ctx.db.pool, &n.user_id).await? else {
                continue;
            };
            let mut tx = ctx.db.begin_write().await?;
            if !store::programs::record_nudge(
                &mut tx,
                &p.id,
                &n.rule,
                &n.user_id,
                &n.subject_id,
                now,
            )
            .await?
            {
                // Another pass or instance sent it.
                continue;
            }
            let mut live = Live::new();
            notify::notify(
                ctx,
                &mut tx,
                &notify::Note {
                    reader: None,
                    user_id: &person.id,
                    email: &person.email,
                    kind: notify::PROGRAM_UPDATE,
                    title: n.title.clone(),
                    body: String::new(),
                    link: format!("/programs/{}", p.id),
                    related_id: Some(&p.id),
                    ics: None,
                },
                now,
                &mut live,
            )
            .await?;
            tx.commit().await?;
            live.publish(ctx).await;
            count += 1;
        }
    }
    Ok(count)
}
