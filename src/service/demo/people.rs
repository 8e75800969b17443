//! The people of the demo: the admin, mentees with credits, and mentors with a
//! profile, services, weekly hours and, for some, a reviewed history.

use super::*;
use crate::store::Tx;

impl Filler<'_> {
    pub(super) async fn admin(&mut self) -> AppResult<()> {
        let (ctx, now, hash) = (self.ctx, self.now, self.hash.clone());
        let report = &mut self.report;
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
                clock: "",
                now: from_micros(now),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn mentees(&mut self, mentees: usize) -> AppResult<()> {
        let (ctx, show_progress, hash, now) = (self.ctx, self.show, self.hash.clone(), self.now);
        let (g, j, mentee_ids, mentee_joined) = (
            &mut self.g,
            &mut self.j,
            &mut self.mentee_ids,
            &mut self.mentee_joined,
        );
        // Mentees first (mentors' past sessions need them), each with some credits.
        for start in (0..mentees).step_by(BATCH) {
            let mut tx = ctx.db.begin_write().await?;
            for i in start..(start + BATCH).min(mentees) {
                let at = joined(j, now);
                let id = crate::domain::ids::id_made_at(at);
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
                        clock: "",
                        now: from_micros(at),
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
                    from_micros(at),
                )
                .await?;
                grant(&mut tx, &id, 200, "Welcome credits (demo)", at).await?;
                mentee_ids.push(id);
                mentee_joined.push(at);
                progress("mentees", i + 1, mentees, show_progress);
            }
            tx.commit().await?;
        }
        self.report.mentees = mentees;
        Ok(())
    }

    pub(super) async fn mentors(&mut self, mentors: usize) -> AppResult<()> {
        let (ctx, show_progress) = (self.ctx, self.show);
        let mentor_roles = Roles::new(vec![Role::Mentee, Role::Mentor]).to_db();
        for start in (0..mentors).step_by(BATCH) {
            let mut tx = ctx.db.begin_write().await?;
            for i in start..(start + BATCH).min(mentors) {
                let (id, rate, max_mentees, zone) = self.mentor(&mut tx, i, &mentor_roles).await?;
                let session_id = self.services(&mut tx, &id, rate).await?;
                self.hours(&mut tx, &id, zone).await?;
                self.history(&id, &session_id, rate);
                self.mentor_ids.push(id);
                self.session_of.push(session_id);
                self.max_of.push(max_mentees);
                progress("mentors", i + 1, mentors, show_progress);
            }
            tx.commit().await?;
        }
        self.report.mentors = mentors;
        Ok(())
    }

    /// One approved mentor's account, profile and tags: (id, rate, capacity, zone).
    async fn mentor(
        &mut self,
        tx: &mut Tx,
        i: usize,
        mentor_roles: &str,
    ) -> AppResult<(String, i64, i64, &'static str)> {
        let (now, hash) = (self.now, self.hash.clone());
        let since = joined(&mut self.j, now);
        let g = &mut self.g;
        let id = crate::domain::ids::id_made_at(since);
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
            "I'm {} {title} at {company} with {years} years of experience in {}. I mentor people \
             on {} and love helping with {}. Bring your questions, your code or your career plans.",
            a_or_an(title),
            industries.join(" and "),
            expertise.join(" and "),
            skills.join(", ")
        );
        let email = format!("mentor{}@demo.example.com", i + 1);
        store::users::insert(
            &mut **tx,
            &NewUser {
                id: &id,
                email: &email,
                password_hash: &hash,
                roles: mentor_roles,
                first_name: first,
                last_name: last,
                timezone: zone,
                clock: "",
                now: from_micros(since),
            },
        )
        .await?;
        store::users::update_profile(
            &mut **tx,
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
                clock: "",
            },
            from_micros(now),
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
            tx,
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
                now: from_micros(now),
            },
        )
        .await?;
        store::mentors::replace_tags(
            tx,
            &id,
            &[
                ("expertise", &expertise),
                ("skill", &skills),
                ("industry", &industries),
            ],
            from_micros(now),
        )
        .await?;
        Ok((id, rate, max_mentees, zone))
    }

    /// The mentor's session (and, for half of them, a résumé review); returns the
    /// session's id.
    async fn services(&mut self, tx: &mut Tx, id: &str, rate: i64) -> AppResult<String> {
        let now = self.now;
        let g = &mut self.g;
        let session_id = new_id();
        store::mentors::insert_service(
            &mut **tx,
            &session_id,
            id,
            &ServiceWrite {
                kind: ServiceKind::Session.as_str(),
                title: "1:1 mentoring session",
                description: "A one-hour video call about whatever you need.",
                duration_minutes: 60,
                credit_cost: rate,
                active: true,
            },
            from_micros(now),
        )
        .await?;
        if g.below(2) == 0 {
            store::mentors::insert_service(
                &mut **tx,
                &new_id(),
                id,
                &ServiceWrite {
                    kind: ServiceKind::ResumeReview.as_str(),
                    title: "Résumé review",
                    description: "Written feedback on your résumé within three days.",
                    duration_minutes: 45,
                    credit_cost: rate / 2,
                    active: true,
                },
                from_micros(now),
            )
            .await?;
        }
        Ok(session_id)
    }

    /// Weekly hours in the mentor's own zone, and the next free slot they give.
    async fn hours(&mut self, tx: &mut Tx, id: &str, zone: &str) -> AppResult<()> {
        let (ctx, now) = (self.ctx, self.now);
        let g = &mut self.g;
        // Weekly hours in the mentor's own zone: mornings, afternoons or evenings on
        // a few weekdays.
        let (from, to) = [("09:00", "12:00"), ("13:00", "17:00"), ("18:00", "21:00")][g.below(3)];
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
            .map(|d| crate::service::availability::RuleIo {
                weekday: d.to_string(),
                start: from.to_string(),
                end: to.to_string(),
            })
            .collect();
        let row = store::availability::AvailabilityRow {
            mentor_id: id.to_string(),
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
        let next = crate::service::availability::from_row(&row)
            .ok()
            .and_then(|a| {
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
        store::availability::put(&mut **tx, &row).await?;
        store::availability::set_next_free(&mut **tx, id, next).await?;
        Ok(())
    }

    /// Some mentors have a history: past sessions that were reviewed, spread over the
    /// last year (dashboards chart the last six months of it), each after its mentee
    /// joined. Drawn here, written by [`Self::past_sessions`].
    fn history(&mut self, id: &str, session_id: &str, rate: i64) {
        let now = self.now;
        let (g, mentee_ids) = (&mut self.g, &self.mentee_ids);
        if mentee_ids.is_empty() || g.below(3) == 0 {
            return;
        }
        let reviews = 1 + g.below(5);
        for _ in 0..reviews {
            let m = g.below(mentee_ids.len());
            let days = 1 + g.below(364) as i64;
            let rating = [5, 5, 4, 5, 4, 3][g.below(6)];
            let comment = COMMENTS[g.below(COMMENTS.len())];
            // Requested three days ahead, at least a day after the mentee joined (a
            // newcomer's first session falls in their first days; one who joined
            // this week has none yet).
            let first = self.mentee_joined[m] + 4 * DAY;
            if first > now - DAY {
                continue;
            }
            // On the hour; while either person already has a session then (a real
            // booking would have been refused), the nearest free hour from their
            // first possible day to a day ago, or none.
            const HOUR: i64 = 3_600_000_000;
            let wanted = (now - days * DAY - 3 * HOUR).max(first).div_euclid(HOUR) * HOUR;
            let busy = |at: i64| {
                [id, mentee_ids[m].as_str()]
                    .iter()
                    .any(|who| self.past_hours.contains(&(who.to_string(), at / HOUR)))
            };
            let Some(at) = (0..96)
                .flat_map(|k| [wanted - k * HOUR, wanted + k * HOUR])
                .find(|at| *at >= first.div_euclid(HOUR) * HOUR && *at <= now - DAY && !busy(*at))
            else {
                continue;
            };
            for who in [id, mentee_ids[m].as_str()] {
                self.past_hours.insert((who.to_string(), at / HOUR));
            }
            self.past.push(PastSession {
                mentor_id: id.to_string(),
                mentee_id: mentee_ids[m].clone(),
                service_id: session_id.to_string(),
                cost: rate,
                at,
                rating,
                comment,
            });
        }
    }

    /// Writes the drawn past sessions oldest first, then the mentors' ratings.
    pub(super) async fn past_sessions(&mut self) -> AppResult<()> {
        let (ctx, show_progress) = (self.ctx, self.show);
        let mut past = std::mem::take(&mut self.past);
        past.sort_by_key(|p| p.at);
        let total = past.len();
        for (n, batch) in past.chunks(BATCH).enumerate() {
            let mut tx = ctx.db.begin_write().await?;
            for p in batch {
                past_session(&mut tx, p).await?;
            }
            tx.commit().await?;
            progress(
                "sessions",
                (n * BATCH + batch.len()).min(total),
                total,
                show_progress,
            );
        }
        let mut mentors: Vec<&str> = past.iter().map(|p| p.mentor_id.as_str()).collect();
        mentors.sort_unstable();
        mentors.dedup();
        for chunk in mentors.chunks(BATCH) {
            let mut tx = ctx.db.begin_write().await?;
            for id in chunk {
                store::reviews::recompute_rating(&mut tx, id, from_micros(self.now)).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }
}

/// "a" or "an" before a title as it is said: "an Engineering Manager", "an ML Engineer",
/// "a CTO".
fn a_or_an(title: &str) -> &'static str {
    let mut chars = title.chars();
    let first = chars.next().unwrap_or(' ');
    let acronym = chars.next().is_some_and(char::is_uppercase);
    let vowel_sound = if acronym {
        "AEFHILMNORSX".contains(first)
    } else {
        "AEIOUaeiou".contains(first)
    };
    if vowel_sound { "an" } else { "a" }
}

#[cfg(test)]
mod tests {
    #[test]
    fn titles_take_the_article_they_are_said_with() {
        for (title, a) in [
            ("Engineering Manager", "an"),
            ("ML Engineer", "an"),
            ("CTO", "a"),
            ("VP Engineering", "a"),
            ("Staff Engineer", "a"),
        ] {
            assert_eq!(super::a_or_an(title), a, "{title}");
        }
    }
}
