//! What the demo's people do: mentorships, articles, and sessions booked ahead
//! through the same code as the API.

use super::*;

impl Filler<'_> {
    /// About half the mentees have a mentor, some have a request waiting.
    pub(super) async fn mentorships(&mut self) -> AppResult<()> {
        let (ctx, now) = (self.ctx, self.now);
        let (g, report, pairs) = (&mut self.g, &mut self.report, &mut self.pairs);
        let (mentor_ids, mentee_ids, max_of) = (&self.mentor_ids, &self.mentee_ids, &self.max_of);
        let mut active = vec![0i64; mentor_ids.len()];
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
                        expires_at: from_micros(now + EXPIRY_DAYS * DAY),
                        now: from_micros(now),
                    },
                )
                .await?;
                if accepted {
                    store::mentorships::transition(
                        &mut tx,
                        &mid,
                        "pending",
                        "accepted",
                        None,
                        None,
                        from_micros(now),
                    )
                    .await?;
                    active[k] += 1;
                    pairs.push((k, mentee.clone()));
                }
                report.mentorships += 1;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Every third mentor has written an article or two, mostly public.
    pub(super) async fn articles(&mut self) -> AppResult<()> {
        let (ctx, now) = (self.ctx, self.now);
        let (g, report, mentor_ids) = (&mut self.g, &mut self.report, &self.mentor_ids);
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
                        from_micros(at),
                    )
                    .await?;
                    store::articles::publish(&mut tx, &id, from_micros(at)).await?;
                    report.articles += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Half the mentees with a mentor have a session coming up in the next two weeks,
    /// booked through the same code as the API (credits held, the slot checked): most
    /// accepted, some still waiting for an answer, one in ten cancelled.
    pub(super) async fn upcoming(&mut self) -> AppResult<()> {
        let ctx = self.ctx;
        let (g, report) = (&mut self.g, &mut self.report);
        let (mentor_ids, session_of, pairs) = (&self.mentor_ids, &self.session_of, &self.pairs);
        let from = ctx.clock.now() + jiff::SignedDuration::from_hours(24);
        let to = from + jiff::SignedDuration::from_hours(14 * 24);
        for (k, mentee) in pairs {
            if g.below(2) != 0 {
                continue;
            }
            let (mentor, service) = (&mentor_ids[*k], &session_of[*k]);
            let (_, slots) =
                crate::service::availability::slots(ctx, None, mentor, service, from, to).await?;
            let Some(start) = slots.get(g.below(slots.len())).copied() else {
                continue;
            };
            let (Some(mentee_row), Some(mentor_row)) = (
                store::users::by_id(&ctx.db.pool, mentee).await?,
                store::users::by_id(&ctx.db.pool, mentor).await?,
            ) else {
                continue;
            };
            let input = crate::service::bookings::BookingInput {
                mentor_id: mentor.clone(),
                service_id: service.clone(),
                start: Some(start.to_string()),
                topic: "Next steps".into(),
                message: "Looking forward to it!".into(),
                timezone: None,
            };
            let (b, _) = crate::service::bookings::request(ctx, &mentee_row, &input, None).await?;
            let (who, action) = match g.below(10) {
                0 => (&mentee_row, BookingAction::Cancel),
                1 | 2 => {
                    report.upcoming += 1;
                    continue;
                }
                _ => (&mentor_row, BookingAction::Accept),
            };
            crate::service::bookings::act(ctx, Some(who), &b.b.id, action, &Default::default())
                .await?;
            if action == BookingAction::Accept {
                report.upcoming += 1;
            }
        }
        Ok(())
    }

    /// Nobody took a session before joining, and mentors were approved a day after.
    pub(super) async fn finish(&mut self) -> AppResult<()> {
        let (ctx, now) = (self.ctx, self.now);
        let mut tx = ctx.db.begin_write().await?;
        store::users::backdate_demo_accounts(&mut tx, 7 * DAY, DAY, from_micros(now)).await?;
        tx.commit().await?;
        ctx.db.analyze().await?;
        Ok(())
    }
}

impl Filler<'_> {
    /// A program to try: "Career switch — spring cohort" from its template, open, with
    /// funding for 120 credits a mentee (an hour with most of its mentors), the first
    /// eight mentors in its pool and twenty mentees applied, and the proposals computed
    /// for the admin to review and publish.
    pub(super) async fn program(&mut self) -> AppResult<()> {
        use crate::domain::program::Answer;
        use crate::service::programs::{
            self, FundingInput, ProgramInput,
            enrol::{self, EnrolInput},
            proposals,
        };
        let ctx = self.ctx;
        let Some(admin) = store::users::by_email(&ctx.db.pool, &self.report.admin_email).await?
        else {
            return Ok(());
        };
        let p = programs::create(
            ctx,
            &admin,
            &ProgramInput {
                template_id: Some("builtin:career-switch".into()),
                name: Some("Career switch — spring cohort".into()),
                budget_per_mentee: Some(120),
                ..Default::default()
            },
        )
        .await?;
        programs::act(
            ctx,
            &admin,
            &p.id,
            crate::domain::program::ProgramAction::Open,
        )
        .await?;
        programs::fund(
            ctx,
            &admin,
            &p.id,
            &FundingInput {
                credits: 3_000,
                memo: "Demo sponsor".into(),
            },
        )
        .await?;
        let mut pool = vec![];
        for id in self.mentor_ids.iter().take(8) {
            let Some(m) = store::users::by_id(&ctx.db.pool, id).await? else {
                continue;
            };
            let mut answers = std::collections::BTreeMap::new();
            answers.insert(
                "tracks".to_string(),
                Answer::Many(vec!["Software engineering".into(), "Data".into()]),
            );
            let input = EnrolInput {
                role: "mentor".into(),
                answers,
                choices: vec![],
                capacity: Some(3),
                invite_code: None,
            };
            if enrol::enrol(ctx, &m, &p.id, &input).await.is_ok() {
                pool.push(m.id.to_string());
            }
        }
        if pool.is_empty() {
            return Ok(());
        }
        let tracks = [
            "Software engineering",
            "Data",
            "Design",
            "Product",
            "DevOps",
        ];
        for (n, id) in self.mentee_ids.iter().take(20).enumerate() {
            let Some(u) = store::users::by_id(&ctx.db.pool, id).await? else {
                continue;
            };
            let mut answers = std::collections::BTreeMap::new();
            answers.insert(
                "background".to_string(),
                Answer::One("Teacher for six years, learning to code in the evenings.".into()),
            );
            answers.insert("track".to_string(), Answer::One(tracks[n % 5].into()));
            answers.insert("skills".to_string(), Answer::One("python, sql, git".into()));
            let choices = (0..2)
                .map(|k| pool[(n + k * 3) % pool.len()].clone())
                .collect::<Vec<_>>();
            let input = EnrolInput {
                role: "mentee".into(),
                answers,
                choices,
                capacity: None,
                invite_code: None,
            };
            // A mentee already mentored by a chosen mentor still applies; errors are
            // the demo's data, not the program's.
            let _ = enrol::enrol(ctx, &u, &p.id, &input).await;
        }
        proposals::compute(ctx, &admin, &p.id).await?;
        Ok(())
    }
}

/// The demo's group sessions: title, description, seats, credits a seat, weeks
/// repeated, and how many mentees try to join (more than the seats: a line).
const GROUPS: &[(&str, &str, i64, i64, i64, usize)] = &[
    (
        "Mock system design interview, in a small group",
        "One of you designs a URL shortener out loud while the rest of us ask what an \
         interviewer would. Everyone gets a turn at the hard questions; bring paper.",
        6,
        10,
        1,
        4,
    ),
    (
        "Weekly office hours: your questions on breaking into tech",
        "An open hour: CVs, first jobs, learning plans, whatever is on your mind. Free \
         to join; come when you like.",
        8,
        0,
        3,
        2,
    ),
    (
        "Résumé clinic: three résumés reviewed live",
        "Three attendees share their résumé on screen and we rewrite the weakest lines \
         together; the others learn from watching. Small on purpose.",
        3,
        15,
        1,
        5,
    ),
];

impl Filler<'_> {
    /// Group sessions to try: the first three mentors each publish one (one of them
    /// weekly, one free) at 17:00 in their zone some days ahead, and mentees join
    /// through the same code as the API (seats paid from their wallets; the last one
    /// fills and has a line).
    pub(super) async fn groups(&mut self) -> AppResult<()> {
        use crate::service::groups::{self, GroupInput};
        let ctx = self.ctx;
        let mut joiners = self.mentee_ids.iter().cycle();
        for (n, (title, description, seats, credits, weeks, joining)) in GROUPS.iter().enumerate() {
            let Some(mentor_id) = self.mentor_ids.get(n) else {
                break;
            };
            let Some(mentor) = store::users::by_id(&ctx.db.pool, mentor_id).await? else {
                continue;
            };
            let zone = jiff::tz::TimeZone::get(&mentor.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
            let today = ctx.now().to_zoned(zone.clone()).date();
            // The first day from `3 + 2n` days ahead whose 17:00 the mentor has free.
            let mut published = None;
            for ahead in 0..14 {
                let day = today + jiff::Span::new().days(3 + 2 * n as i64 + ahead);
                let Ok(start) = day.at(17, 0, 0, 0).to_zoned(zone.clone()) else {
                    continue;
                };
                let input = GroupInput {
                    title: title.to_string(),
                    description: description.to_string(),
                    start: Some(start.timestamp().to_string()),
                    duration_minutes: Some(60),
                    seats: Some(*seats),
                    credits_per_seat: Some(*credits),
                    show_names: true,
                    repeat_weeks: Some(*weeks),
                    ..Default::default()
                };
                match groups::create(ctx, &mentor, &input).await {
                    Ok(made) => {
                        published = made.into_iter().next();
                        self.report.group_sessions += *weeks as usize;
                        break;
                    }
                    // The mentor is busy then: the next day.
                    Err(AppError::Conflict { .. }) => continue,
                    Err(e) => return Err(e),
                }
            }
            let Some(g) = published else { continue };
            let mut joined = 0;
            for _ in 0..self.mentee_ids.len() {
                if joined == *joining {
                    break;
                }
                let Some(id) = joiners.next() else { break };
                let Some(u) = store::users::by_id(&ctx.db.pool, id).await? else {
                    continue;
                };
                // Busy then, or short of credits: the next mentee.
                if groups::join(ctx, &u, &g.id).await.is_ok() {
                    joined += 1;
                }
            }
        }
        Ok(())
    }
}
