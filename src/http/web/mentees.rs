//! `/mentees/{id}`: a mentee as their mentors (and would-be mentors) see them — the
//! learning profile and the sessions the two had. Linked from requests, bookings,
//! chat and the dashboard.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    routing::get,
};

use super::{Layout, PageResult, WebCtx};
use crate::{
    domain::group::SeatStatus,
    http::{AppState, extract::path_id},
    service::mentees,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/mentees/{id}", get(mentee_page))
}

struct SessionLine {
    /// The booking's page, or the group session's.
    href: String,
    title: String,
    when: String,
    status: String,
}

#[derive(Template)]
#[template(path = "mentee.html")]
struct MenteePage {
    layout: Layout,
    id: String,
    name: String,
    initials: String,
    headline: String,
    avatar_url: String,
    zone: String,
    bio: String,
    goals: Vec<String>,
    skills: Vec<String>,
    interests: Vec<String>,
    resume_url: String,
    linkedin_url: String,
    sessions: Vec<SessionLine>,
    is_self: bool,
}

async fn mentee_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let id = path_id(&id)?;
    let d = mentees::detail(&state.ctx, &me, &id).await?;
    let tz = web.zone();
    let initials: String = [&d.first_name, &d.last_name]
        .iter()
        .filter_map(|n| n.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    Ok(web.render(
        &state,
        &MenteePage {
            layout: web.layout(),
            is_self: me.id == d.id.as_str(),
            id: d.id.to_string(),
            name: format!("{} {}", d.first_name, d.last_name)
                .trim()
                .to_string(),
            initials,
            headline: d.headline,
            avatar_url: d.avatar_url,
            zone: d.timezone,
            bio: d.bio,
            goals: d.goals,
            skills: d.skills,
            interests: d.interests,
            resume_url: d.resume_url,
            linkedin_url: d.linkedin_url,
            sessions: {
                // Bookings and group sessions, newest first by the time each shows.
                let mut all: Vec<(jiff::Timestamp, SessionLine)> = d
                    .group_sessions
                    .into_iter()
                    .map(|g| {
                        let line = SessionLine {
                            href: format!("/group-sessions/{}", g.id),
                            when: web.when(g.start_at, &tz),
                            status: format!(
                                "group session, {}",
                                SeatStatus::parse(&g.place).map_or("left", SeatStatus::in_words)
                            ),
                            title: g.title,
                        };
                        (g.start_at, line)
                    })
                    .collect();
                all.extend(d.sessions.into_iter().map(|b| {
                    let at = if b.b.timed { b.b.start_at } else { b.b.end_at };
                    (at, booking_line(&b, &web, &tz))
                }));
                all.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
                all.into_iter().map(|(_, l)| l).collect()
            },
        },
    ))
}

fn booking_line(
    b: &crate::service::bookings::BookingFull,
    web: &WebCtx,
    tz: &jiff::tz::TimeZone,
) -> SessionLine {
    SessionLine {
        href: format!("/bookings/{}", b.b.id),
        title: if b.b.topic.is_empty() {
            b.b.title.clone()
        } else {
            format!("{}: {}", b.b.title, b.b.topic)
        },
        when: if b.b.timed {
            web.when(b.b.start_at, tz)
        } else {
            format!("due {}", web.when(b.b.end_at, tz))
        },
        status: b.b.status.as_str().replace('_', " "),
    }
}
