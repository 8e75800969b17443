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
//! sessions, progress).

mod builders;
mod data;

use self::{builders::*, data::*};
use super::Ctx;
use crate::{
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
    pub admin_email: String,
}

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
    let hash = super::auth::hash_password(DEMO_PASSWORD).await?;
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    // Sign-up times come from their own generator, so the rest of the data is the
    // same as before they were spread over the year.
    let mut j = Gen(0xD1B5_4A32_D192_ED03);
    let now = ctx.now();
    let mut report = DemoReport {
        admin_email: "admin@demo.example.com".into(),
        ..Default::default()
    };

    // The admin.
    let mut tx = ctx.db.begin_write().await?;
    store::users::insert(
        &mut *tx,
        &NewUser {
            id: &new_id(),
            email: &report.admin_email,
            password_hash: &hash,
            roles: &Roles::new(vec![Role::Mentee, Role::Admin]).to_db(),
            first_name: "Demo",
            last_name: "Admin",
            timezone: "UTC",
            now,
        },
    )
    .await?;
    tx.commit().await?;

    const BATCH: usize = 250;
    const DAY: i64 = 24 * 3_600_000_000;
    // People joined over the past year (the admin console charts sign-ups).
    let mut joined = || now - j.below(365) as i64 * DAY - j.below(86_400) as i64 * 1_000_000;

    // Mentees first (mentors' past sessions need them), each with some credits.
    let mut mentee_ids = Vec::with_capacity(mentees);
    for start in (0..mentees).step_by(BATCH) {
        let mut tx = ctx.db.begin_write().await?;
        for i in start..(start + BATCH).min(mentees) {
            let id = new_id();
            let at = joined();
            let first = g.pick(FIRST);
            let last = g.pick(LAST);
            let zone = ZONES[g.below(ZONES.len())];
            let email = format!("mentee{}@demo.example.com", i + 1);
            store::users::insert(
                &mut *tx,
                &NewUser {
                    id: &id,
                    email: &email,
                    password_hash: &hash,
                    roles: &Roles::new(vec![Role::Mentee]).to_db(),
                    first_name: first,
                    last_name: last,
                    timezone: zone,
                    now: at,
                },
            )
            .await?;
            let (area, skills_of) = AREAS[g.below(AREAS.len())];
            let n = 1 + g.below(2);
            let goals = g.some(GOALS, n);
            let n = 1 + g.below(2);
            let skills = g.some(skills_of, n);
            store::mentors::upsert_mentee_profile(
                &mut *tx,
                &id,
                &format!("Learning {area}; I'd love guidance from someone who has been there."),
                &serde_json::to_string(&goals).unwrap_or_default(),
                &serde_json::to_string(&skills).unwrap_or_default(),
                &serde_json::to_string(&[area]).unwrap_or_default(),
                at,
            )
            .await?;
            grant(&mut tx, &id, 200, "Welcome credits (demo)", at).await?;
            mentee_ids.push(id);
            progress("mentees", i + 1, mentees, show_progress);
        }
        tx.commit().await?;
    }
    report.mentees = mentees;

    let mentor_roles = Roles::new(vec![Role::Mentee, Role::Mentor]).to_db();
    let mut mentor_ids = Vec::with_capacity(mentors);
    let mut session_of = Vec::with_capacity(mentors);
    let mut max_of = Vec::with_capacity(mentors);
    for start in (0..mentors).step_by(BATCH) {
        let mut tx = ctx.db.begin_write().await?;
        for i in start..(start + BATCH).min(mentors) {
            let id = new_id();
            let since = joined();
            let first = g.pick(FIRST);
            let last = g.pick(LAST);
            let zone = ZONES[i % ZONES.len()];
            let (area, skills_of) = AREAS[g.below(AREAS.len())];
            let mut expertise = vec![area.to_string()];
            if g.below(3) == 0 {
                let (second, _) = AREAS[g.below(AREAS.len())];
                if second != area {
                    expertise.push(second.to_string());
                }
            }
            let n = 2 + g.below(3);
            let skills = g.some(skills_of, n);
            let n = 1 + g.below(2);
            let industries = g.some(INDUSTRIES, n);
            let company = g.pick(COMPANIES);
            let title = g.pick(TITLES);
            let years = 4 + g.below(20);
            let rate = 10 * (2 + g.below(15)) as i64;
            let max_mentees = 1 + g.below(6) as i64;
            let headline = format!(
                "{years} years in {}; I mentor on {}",
                industries[0],
                expertise.join(" and ")
            );
            let bio = format!(
                "I'm a {} at {company} with {years} years of experience in {}. I mentor people on {} \
                 and love helping with {}. Bring your questions, your code or your career plans.",
                title.to_lowercase(),
                industries.join(" and "),
                expertise.join(" and "),
                skills.join(", ")
            );
            let email = format!("mentor{}@demo.example.com", i + 1);
            store::users::insert(
                &mut *tx,
                &NewUser {
                    id: &id,
                    email: &email,
                    password_hash: &hash,
                    roles: &mentor_roles,
                    first_name: first,
                    last_name: last,
                    timezone: zone,
                    now: since,
                },
            )
            .await?;
            store::users::update_profile(
                &mut *tx,
                &id,
                &store::users::ProfileUpdate {
                    first_name: first,
                    last_name: last,
                    headline: &headline,
                    bio: "",
                    avatar_url: "",
                    resume_url: "",
                    linkedin_url: "",
                    timezone: zone,
                },
                now,
            )
            .await?;
            let since_year = 2026 - years as i32;
            let experience = serde_json::json!([{
                "company": company, "title": title,
                "start_date": format!("{since_year:04}-0{}-01", 1 + g.below(9)),
                "end_date": null, "description": format!("Working on {}.", skills.join(", "))
            }]);
            let doc = [
                first,
                last,
                headline.as_str(),
                title,
                company,
                &expertise.join(" "),
                &skills.join(" "),
                bio.as_str(),
            ]
            .join(" \n");
            store::mentors::upsert_profile(
                &mut tx,
                &ProfileWrite {
                    user_id: &id,
                    status: "approved",
                    bio: &bio,
                    expertise: &serde_json::to_string(&expertise).unwrap_or_default(),
                    skills: &serde_json::to_string(&skills).unwrap_or_default(),
                    industries: &serde_json::to_string(&industries).unwrap_or_default(),
                    company,
                    title,
                    experience: &experience.to_string(),
                    hourly_rate: rate,
                    max_mentees,
                    is_public: true,
                    search_doc: &doc,
                    reapply: true,
                    now,
                },
            )
            .await?;
            store::mentors::replace_tags(
                &mut tx,
                &id,
                &[
                    ("expertise", &expertise),
                    ("skill", &skills),
                    ("industry", &industries),
                ],
                now,
            )
            .await?;
            let session_id = new_id();
            store::mentors::insert_service(
                &mut *tx,
                &session_id,
                &id,
                &ServiceWrite {
                    kind: ServiceKind::Session.as_str(),
                    title: "1:1 mentoring session",
                    description: "A one-hour video call about whatever you need.",
                    duration_minutes: 60,
                    credit_cost: rate,
                    active: true,
                },
                now,
            )
            .await?;
            if g.below(2) == 0 {
                store::mentors::insert_service(
                    &mut *tx,
                    &new_id(),
                    &id,
                    &ServiceWrite {
                        kind: ServiceKind::ResumeReview.as_str(),
                        title: "Résumé review",
                        description: "Written feedback on your résumé within three days.",
                        duration_minutes: 45,
                        credit_cost: rate / 2,
                        active: true,
                    },
                    now,
                )
                .await?;
            }
            // Weekly hours in the mentor's own zone: mornings, afternoons or evenings on
            // a few weekdays.
            let (from, to) =
                [("09:00", "12:00"), ("13:00", "17:00"), ("18:00", "21:00")][g.below(3)];
            let days: Vec<&str> = [
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
            ]
            .into_iter()
            .filter(|_| g.below(3) != 0)
            .collect();
            let weekly = days
                .iter()
                .map(|d| super::availability::RuleIo {
                    weekday: d.to_string(),
                    start: from.to_string(),
                    end: to.to_string(),
                })
                .collect();
            let row = store::availability::AvailabilityRow {
                mentor_id: id.clone(),
                timezone: zone.to_string(),
                weekly,
                overrides: vec![],
                min_notice_minutes: 240,
                buffer_before_minutes: 0,
                buffer_after_minutes: 15,
                horizon_days: 45,
                slot_step_minutes: 30,
                max_per_day: 4,
                created_at: crate::clock::from_micros(now),
                updated_at: crate::clock::from_micros(now),
            };
            let next = super::availability::from_row(&row).ok().and_then(|a| {
                let q = crate::domain::availability::SlotQuery {
                    from: ctx.clock.now(),
                    to: ctx.clock.now() + jiff::SignedDuration::from_hours(24 * 45),
                    duration_minutes: 60,
                    now: ctx.clock.now(),
                };
                crate::domain::availability::free_slots(&a, &[], &q)
                    .first()
                    .copied()
            });
            store::availability::put(&mut *tx, &row).await?;
            store::availability::set_next_free(&mut *tx, &id, next.map(crate::clock::to_micros))
                .await?;
            // Some mentors have a history: past sessions that were reviewed, spread
            // over the last year (dashboards chart the last six months of it).
            if !mentee_ids.is_empty() && g.below(3) != 0 {
                let reviews = 1 + g.below(5);
                for _ in 0..reviews {
                    let mentee = &mentee_ids[g.below(mentee_ids.len())];
                    let at = now - (1 + g.below(364) as i64) * DAY - 3 * 3_600_000_000;
                    past_session(&mut tx, &id, mentee, &session_id, rate, at, &mut g).await?;
                }
                store::reviews::recompute_rating(&mut tx, &id, now).await?;
            }
            mentor_ids.push(id);
            session_of.push(session_id);
            max_of.push(max_mentees);
            progress("mentors", i + 1, mentors, show_progress);
        }
        tx.commit().await?;
    }
    report.mentors = mentors;

    // About half the mentees have a mentor, some have a request waiting.
    let mut active = vec![0i64; mentor_ids.len()];
    let mut pairs: Vec<(usize, String)> = vec![];
    for chunk in mentee_ids.chunks(BATCH) {
        let mut tx = ctx.db.begin_write().await?;
        for mentee in chunk {
            if mentor_ids.is_empty() || g.below(2) != 0 {
                continue;
            }
            let k = g.below(mentor_ids.len());
            let accepted = active[k] < max_of[k] && g.below(3) != 0;
            let mid = new_id();
            store::mentorships::insert(
                &mut tx,
                &store::mentorships::NewMentorship {
                    id: &mid,
                    mentor_id: &mentor_ids[k],
                    mentee_id: mentee,
                    message: "Hi! I'd love your help with my goals.",
                    expires_at: now + EXPIRY_DAYS * DAY,
                    now,
                },
            )
            .await?;
            if accepted {
                store::mentorships::transition(
                    &mut tx, &mid, "pending", "accepted", None, None, now,
                )
                .await?;
                active[k] += 1;
                pairs.push((k, mentee.clone()));
            }
            report.mentorships += 1;
        }
        tx.commit().await?;
    }

    // Every third mentor has written an article or two, mostly public.
    for chunk in mentor_ids.chunks(BATCH) {
        let mut tx = ctx.db.begin_write().await?;
        for (k, mentor) in chunk.iter().enumerate() {
            if k % 3 != 0 {
                continue;
            }
            for _ in 0..1 + g.below(2) {
                let (area, skills_of) = AREAS[g.below(AREAS.len())];
                let skill = g.pick(skills_of);
                let (title, body) = ARTICLES[g.below(ARTICLES.len())];
                let title = title.replace("{area}", area).replace("{skill}", skill);
                let content = body.replace("{area}", area).replace("{skill}", skill);
                let visibility =
                    ["public", "public", "public", "members", "my_mentees"][g.below(5)];
                let tags = vec![area.to_string(), skill.to_lowercase()];
                let id = new_id();
                let at = now - g.below(180) as i64 * DAY - g.below(86_400) as i64 * 1_000_000;
                let html = crate::domain::article::render_markdown(&content);
                let excerpt = crate::domain::article::excerpt(&content);
                let doc = format!("{title}\n{}\n{content}", tags.join(" "));
                store::articles::insert(
                    &mut tx,
                    &id,
                    mentor,
                    &crate::domain::article::slug(&title, &id),
                    &store::articles::ArticleFields {
                        title: &title,
                        content: &content,
                        html: &html,
                        excerpt: &excerpt,
                        tags: &tags,
                        visibility,
                        search_doc: &doc,
                    },
                    at,
                )
                .await?;
                store::articles::publish(&mut tx, &id, at).await?;
                report.articles += 1;
            }
        }
        tx.commit().await?;
    }
    // Half the mentees with a mentor have a session coming up in the next two weeks,
    // booked through the same code as the API (credits held, the slot checked): most
    // accepted, some still waiting for an answer, one in ten cancelled.
    let from = ctx.clock.now() + jiff::SignedDuration::from_hours(24);
    let to = from + jiff::SignedDuration::from_hours(14 * 24);
    for (k, mentee) in &pairs {
        if g.below(2) != 0 {
            continue;
        }
        let (mentor, service) = (&mentor_ids[*k], &session_of[*k]);
        let (_, slots) = super::availability::slots(ctx, mentor, service, from, to).await?;
        let Some(start) = slots.get(g.below(slots.len())).copied() else {
            continue;
        };
        let (Some(mentee_row), Some(mentor_row)) = (
            store::users::by_id(&ctx.db.pool, mentee).await?,
            store::users::by_id(&ctx.db.pool, mentor).await?,
        ) else {
            continue;
        };
        let input = super::bookings::BookingInput {
            mentor_id: mentor.clone(),
            service_id: service.clone(),
            start: Some(start.to_string()),
            topic: "Next steps".into(),
            message: "Looking forward to it!".into(),
            timezone: None,
        };
        let (b, _) = super::bookings::request(ctx, &mentee_row, &input, None).await?;
        let (who, action) = match g.below(10) {
            0 => (&mentee_row, BookingAction::Cancel),
            1 | 2 => {
                report.upcoming += 1;
                continue;
            }
            _ => (&mentor_row, BookingAction::Accept),
        };
        super::bookings::act(ctx, Some(who), &b.b.id, action, &Default::default()).await?;
        if action == BookingAction::Accept {
            report.upcoming += 1;
        }
    }

    // Nobody took a session before joining, and mentors were approved a day after.
    let mut tx = ctx.db.begin_write().await?;
    store::users::backdate_demo_accounts(&mut tx, 7 * DAY, DAY, now).await?;
    tx.commit().await?;
    ctx.db.analyze().await?;
    Ok(report)
}
