//! A program's report for its managers: the funnel (applied → matched → first session
//! → expected sessions reached → completed), time to match and to the first session
//! (medians, in days), sessions per pair, no-shows and late cancellations by side,
//! feedback, the credit budget, weekly series, and each pair's line with its health.
//! Every table behind it is also a CSV with the same numbers.
//!
//! "Completed" counts the pairs that reached the expected sessions and ticked every
//! milestone (a pair without milestones: the sessions alone).

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Access, access, progress::health_of};
use crate::{
    domain::{
        program::Health,
        stats::{self, Point},
    },
    error::{AppError, AppResult},
    service::Ctx,
    store::{self, progress::ActivityRow, users::UserRow},
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funnel {
    pub applied: i64,
    pub matched: i64,
    pub first_session: i64,
    pub expected_reached: i64,
    pub completed: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ByRole {
    pub mentee: i64,
    pub mentor: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Budget {
    /// Credits put into the program.
    pub funded: i64,
    /// Granted to matched mentees.
    pub granted: i64,
    /// Of what was granted: spent on sessions held, held for coming sessions (not
    /// spent yet: it comes back if they are cancelled), still with mentees, returned.
    pub spent: i64,
    pub held: i64,
    pub unspent: i64,
    pub returned: i64,
    /// In the funding account, not granted.
    pub available: i64,
}

/// One pair's line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairLine {
    pub mentorship_id: String,
    pub mentor_id: String,
    pub mentor_name: String,
    pub mentee_id: String,
    pub mentee_name: String,
    pub sessions_held: i64,
    pub first_session: Option<String>,
    pub last_contact: Option<String>,
    pub milestones_done: i64,
    pub milestones: i64,
    pub health: Health,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Weekly {
    pub applications: Vec<Point>,
    pub matches: Vec<Point>,
    pub sessions: Vec<Point>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub program_id: String,
    pub program_name: String,
    pub funnel: Funnel,
    /// Median days from applying to being matched, and from the match to the first
    /// session (none while nobody got there).
    pub median_days_to_match: Option<f64>,
    pub median_days_to_first_session: Option<f64>,
    /// Sessions held per matched pair.
    pub sessions_per_pair: f64,
    pub sessions_expected: i64,
    pub no_shows: ByRole,
    pub late_cancellations: ByRole,
    /// Reviews of the program's sessions: how many and their average rating.
    pub reviews: i64,
    pub average_rating: Option<f64>,
    pub budget: Budget,
    pub weekly: Weekly,
    pub pairs: Vec<PairLine>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((m * 10.0).round() / 10.0)
}

fn days(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64() / 86_400.0
}

fn name(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_string()
}

/// The report of a program `user` manages, weeks in `tz`.
pub async fn report(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    tz: &jiff::tz::TimeZone,
) -> AppResult<Report> {
    report_of(ctx, &access(ctx, user, id).await?, tz).await
}

/// The same for a program already read with its access (its managers only).
pub async fn report_of(ctx: &Ctx, a: &Access, tz: &jiff::tz::TimeZone) -> AppResult<Report> {
    a.require_manager()?;
    let p = &a.program;
    let id = p.id.as_str();
    let now = ctx.now();
    let pool = &ctx.db.pool;
    let applications = store::programs::applications(pool, id).await?;
    let matches = store::programs::matches(pool, id).await?;
    let activity: Vec<ActivityRow> =
        store::progress::activity(pool, store::progress::Pairs::Program(id), now).await?;
    let expected = p.sessions_expected;
    let reached = |x: &ActivityRow| x.held >= expected.max(1) || (expected == 0 && x.held > 0);
    let funnel = Funnel {
        applied: applications.len() as i64,
        matched: applications
            .iter()
            .filter(|x| x.status == "matched")
            .count() as i64,
        first_session: activity
            .iter()
            .filter(|x| x.first_session.is_some())
            .count() as i64,
        expected_reached: activity.iter().filter(|x| reached(x)).count() as i64,
        completed: activity
            .iter()
            .filter(|x| reached(x) && x.milestones_done == x.milestones)
            .count() as i64,
    };
    let to_match = applications
        .iter()
        .filter_map(|x| x.matched_at.map(|m| days(x.created_at, m)))
        .collect();
    let to_first = activity
        .iter()
        .filter_map(|x| Some(days(x.started_at?, x.first_session?).max(0.0)))
        .collect();
    let held: i64 = activity.iter().map(|x| x.held).sum();
    let reviews: i64 = activity.iter().map(|x| x.reviews).sum();
    let rating_sum: i64 = activity.iter().map(|x| x.rating_sum).sum();
    let credits = store::progress::program_credits(pool, id).await?;
    let moved = |kind: &str| {
        credits
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0, |(_, n)| *n)
    };
    let unspent: i64 = store::ledger::sponsored_in(pool, id)
        .await?
        .iter()
        .map(|(_, _, b)| b)
        .sum();
    let granted = -moved("program_grant");
    let returned = moved("program_return") + moved("booking_settle");
    let held_credits = store::progress::program_credits_held(pool, id).await?;
    let budget = Budget {
        funded: moved("program_fund"),
        granted,
        spent: granted - unspent - returned - held_credits,
        held: held_credits,
        unspent,
        returned,
        available: store::ledger::balance_of(pool, &format!("program:{id}")).await?,
    };
    // The weeks since the one applications opened in (none before it).
    let weeks = stats::weeks_spanned(p.applications_open_at, now.min(p.ends_at), tz);
    let starts = stats::week_starts(now.min(p.ends_at), tz, weeks.clamp(1, 52));
    let weekly_of = |events: Vec<(Timestamp, i64)>| {
        stats::series(&starts, &stats::weekly_sums(&starts, &events))
    };
    let weekly = Weekly {
        applications: weekly_of(applications.iter().map(|x| (x.created_at, 1)).collect()),
        matches: weekly_of(
            matches
                .iter()
                .filter_map(|m| m.published_at.map(|t| (t, 1)))
                .collect(),
        ),
        sessions: weekly_of(
            store::progress::sessions_held(pool, id)
                .await?
                .into_iter()
                .filter_map(|us| Timestamp::from_microsecond(us).ok().map(|t| (t, 1)))
                .collect(),
        ),
    };
    let pairs = activity
        .iter()
        .map(|x| PairLine {
            mentorship_id: x.mentorship_id.clone(),
            mentor_id: x.mentor_id.clone(),
            mentor_name: name(&x.mentor_first_name, &x.mentor_last_name),
            mentee_id: x.mentee_id.clone(),
            mentee_name: name(&x.mentee_first_name, &x.mentee_last_name),
            sessions_held: x.held,
            first_session: x.first_session.map(|t| t.to_string()),
            last_contact: [x.last_session, x.last_message]
                .into_iter()
                .flatten()
                .max()
                .map(|t| t.to_string()),
            milestones_done: x.milestones_done,
            milestones: x.milestones,
            health: health_of(x, p, now),
        })
        .collect();
    Ok(Report {
        program_id: id.to_string(),
        program_name: p.name.clone(),
        funnel,
        median_days_to_match: median(to_match),
        median_days_to_first_session: median(to_first),
        sessions_per_pair: if activity.is_empty() {
            0.0
        } else {
            ((held as f64 / activity.len() as f64) * 10.0).round() / 10.0
        },
        sessions_expected: expected,
        no_shows: ByRole {
            mentee: activity.iter().map(|x| x.mentee_no_shows).sum(),
            mentor: activity.iter().map(|x| x.mentor_no_shows).sum(),
        },
        late_cancellations: ByRole {
            mentee: activity.iter().map(|x| x.mentee_late_cancels).sum(),
            mentor: activity.iter().map(|x| x.mentor_late_cancels).sum(),
        },
        reviews,
        average_rating: (reviews > 0)
            .then(|| ((rating_sum as f64 / reviews as f64) * 10.0).round() / 10.0),
        budget,
        weekly,
        pairs,
    })
}

/// The report's tables as CSV, by name.
pub const TABLES: [&str; 4] = ["funnel", "weekly", "pairs", "summary"];

/// The file name a table of the report downloads as: the program's name (and id, so
/// that two programs' files never share one) and the table's.
pub fn csv_file_name(r: &Report, table: &str) -> String {
    format!(
        "program-{}-{table}.csv",
        crate::domain::article::slug(&r.program_name, &r.program_id)
    )
}

/// One of the report's tables as CSV (see [`TABLES`]).
pub fn csv(r: &Report, table: &str) -> AppResult<String> {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    Ok(match table {
        "funnel" => stats::csv(
            &["stage", "count"],
            &[
                ("applied", r.funnel.applied),
                ("matched", r.funnel.matched),
                ("first_session", r.funnel.first_session),
                ("expected_reached", r.funnel.expected_reached),
                ("completed", r.funnel.completed),
            ]
            .iter()
            .map(|(k, v)| vec![k.to_string(), v.to_string()])
            .collect::<Vec<_>>(),
        ),
        "weekly" => stats::csv(
            &["week", "applications", "matches", "sessions_held"],
            &r.weekly
                .applications
                .iter()
                .zip(&r.weekly.matches)
                .zip(&r.weekly.sessions)
                .map(|((a, m), s)| {
                    vec![
                        a.week.clone(),
                        a.value.to_string(),
                        m.value.to_string(),
                        s.value.to_string(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        "pairs" => stats::csv(
            &[
                "mentorship_id",
                "mentor",
                "mentee",
                "sessions_held",
                "first_session",
                "last_contact",
                "milestones_done",
                "milestones",
                "health",
            ],
            &r.pairs
                .iter()
                .map(|p| {
                    vec![
                        p.mentorship_id.clone(),
                        p.mentor_name.clone(),
                        p.mentee_name.clone(),
                        p.sessions_held.to_string(),
                        p.first_session.clone().unwrap_or_default(),
                        p.last_contact.clone().unwrap_or_default(),
                        p.milestones_done.to_string(),
                        p.milestones.to_string(),
                        p.health.as_str().to_string(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        "summary" => stats::csv(
            &["figure", "value"],
            &[
                ("median_days_to_match", opt(r.median_days_to_match)),
                (
                    "median_days_to_first_session",
                    opt(r.median_days_to_first_session),
                ),
                ("sessions_per_pair", r.sessions_per_pair.to_string()),
                ("sessions_expected", r.sessions_expected.to_string()),
                ("no_shows_mentee", r.no_shows.mentee.to_string()),
                ("no_shows_mentor", r.no_shows.mentor.to_string()),
                (
                    "late_cancellations_mentee",
                    r.late_cancellations.mentee.to_string(),
                ),
                (
                    "late_cancellations_mentor",
                    r.late_cancellations.mentor.to_string(),
                ),
                ("reviews", r.reviews.to_string()),
                ("average_rating", opt(r.average_rating)),
                ("credits_funded", r.budget.funded.to_string()),
                ("credits_granted", r.budget.granted.to_string()),
                ("credits_spent", r.budget.spent.to_string()),
                ("credits_held", r.budget.held.to_string()),
                ("credits_unspent", r.budget.unspent.to_string()),
                ("credits_returned", r.budget.returned.to_string()),
                ("credits_available", r.budget.available.to_string()),
            ]
            .iter()
            .map(|(k, v)| vec![k.to_string(), v.clone()])
            .collect::<Vec<_>>(),
        ),
        _ => {
            return Err(AppError::invalid(
                "table",
                "invalid",
                "Choose funnel, weekly, pairs or summary.",
            ));
        }
    })
}
