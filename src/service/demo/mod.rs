//! `mentorhub demo`: fills an empty database with a believable marketplace, so a
//! newcomer sees a living site on first run and benchmarks have realistic data.
//!
//! Deterministic (a fixed-seed generator), so two runs give the same people. All demo
//! accounts share one password, hashed once. Data is written in batches of a few
//! hundred rows per transaction straight through the store (it is trusted, generated
//! data, and 10,000 mentors must load in seconds, not hours of argon2).
//!
//! `data` holds the vocabulary (names, zones, areas, companies, article and review
//! texts), `builders` the generator and the pieces `fill` writes with (grants, past
//! sessions, progress). `fill` runs its phases in a fixed order over one [`Filler`]:
//! `people` (the admin, mentees, mentors with their profile, services, hours and
//! history) then `activity` (mentorships, articles, upcoming sessions, a program,
//! group sessions). The generator is drawn in the same order as ever, so the same
//! seed gives the same marketplace.

mod activity;
mod builders;
mod data;
mod people;

use self::{builders::*, data::*};
use super::Ctx;
use crate::{
    clock::from_micros,
    domain::{
        booking::BookingAction,
        ids::new_id,
        mentor::ServiceKind,
        mentorship::EXPIRY_DAYS,
        user::{Role, Roles},
    },
    error::{AppError, AppResult},
    store::{
        self,
        mentors::{ProfileWrite, ServiceWrite},
        users::NewUser,
    },
};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "mentorhub-demo";

/// What `demo` made.
#[derive(Debug, Default)]
pub struct DemoReport {
    pub mentors: usize,
    pub mentees: usize,
    pub mentorships: usize,
    pub articles: usize,
    /// Sessions booked ahead (accepted or waiting for the mentor).
    pub upcoming: usize,
    /// Group sessions published (each week of a weekly one counted).
    pub group_sessions: usize,
    pub admin_email: String,
}

/// How many rows one transaction writes.
const BATCH: usize = 250;
/// A day in microseconds.
const DAY: i64 = 24 * 3_600_000_000;

/// Fills an empty database. Refuses a database that already has accounts.
pub async fn fill(
    ctx: &Ctx,
    mentors: usize,
    mentees: usize,
    show_progress: bool,
) -> AppResult<DemoReport> {
    if store::users::count_active(&ctx.db.pool).await? > 0 {
        return Err(AppError::conflict(
            "not_empty",
            "The database already has accounts; demo data only goes into an empty database.",
        ));
    }
    let mut f = Filler {
        ctx,
        hash: super::auth::hash_password(DEMO_PASSWORD).await?,
        g: Gen(0x9E37_79B9_7F4A_7C15),
        // Sign-up times come from their own generator, so the rest of the data is the
        // same as before they were spread over the year.
        j: Gen(0xD1B5_4A32_D192_ED03),
        now: crate::clock::to_micros(ctx.now()),
        show: show_progress,
        report: DemoReport {
            admin_email: "admin@demo.example.com".into(),
            ..Default::default()
        },
        mentee_ids: Vec::with_capacity(mentees),
        mentee_joined: Vec::with_capacity(mentees),
        past: vec![],
        past_hours: std::collections::HashSet::new(),
        mentor_ids: Vec::with_capacity(mentors),
        session_of: Vec::with_capacity(mentors),
        max_of: Vec::with_capacity(mentors),
        pairs: vec![],
    };
    f.admin().await?;
    f.mentees(mentees).await?;
    f.mentors(mentors).await?;
    f.past_sessions().await?;
    f.mentorships().await?;
    f.articles().await?;
    f.upcoming().await?;
    f.program().await?;
    f.groups().await?;
    f.finish().await?;
    Ok(f.report)
}

/// What the phases of [`fill`] share: the generators, the clock reading, and the ids
/// each phase leaves for the next.
struct Filler<'a> {
    ctx: &'a Ctx,
    hash: String,
    g: Gen,
    j: Gen,
    now: i64,
    show: bool,
    report: DemoReport,
    mentee_ids: Vec<String>,
    /// When each mentee joined.
    mentee_joined: Vec<i64>,
    /// The mentors' past sessions, drawn with each mentor, written in time order.
    past: Vec<builders::PastSession>,
    /// The hours (from the epoch) each person already has a past session in, so
    /// that nobody is drawn in two at once.
    past_hours: std::collections::HashSet<(String, i64)>,
    mentor_ids: Vec<String>,
    /// Each mentor's session service.
    session_of: Vec<String>,
    /// Each mentor's mentee capacity.
    max_of: Vec<i64>,
    /// Accepted mentorships: (mentor index, mentee id).
    pairs: Vec<(usize, String)>,
}

/// A sign-up time over the past year (the admin console charts sign-ups), drawn from
/// the sign-up generator `j`.
fn joined(j: &mut Gen, now: i64) -> i64 {
    now - j.below(365) as i64 * DAY - j.below(86_400) as i64 * 1_000_000
}
