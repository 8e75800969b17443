//! Booking pages: the slot picker's booking form, one booking (actions, notes, review),
//! sessions lists, and the mentor's availability editor.
//!
//! One file a page: `book` (the booking form behind the slot picker), `booking` (one
//! booking and its actions), `editor` (availability); the router and the sessions
//! lists are here. The credits page is `web::credits`.

mod book;
mod booking;
mod editor;

pub(in crate::http::web) use self::book::BookForm;
use self::{book::*, booking::*, editor::*};
pub use self::{booking::HistoryLine, editor::WEEKDAYS};

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri},
    routing::{get, post},
};
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::Deserialize;

use super::{
    FormErrors, Layout, PageResult, WebCtx, WebForm, confirm, page_query, timezones, zone_of,
};
use crate::{
    domain::booking::{Actor, BookingAction, BookingStatus},
    error::AppError,
    http::{
        AppState,
        extract::{booking_path, path_id},
    },
    service::{
        accounts::UserRow,
        bookings::{BookingFull, ListFilter},
    },
    service::{
        availability::{self, AvailabilityIo, OverrideIo, RuleIo, SettingsIo},
        bookings::{self, ActInput, BookingInput, DeliverInput, NotesInput, RescheduleInput},
        credits, disputes, mentors, reviews,
    },
};

/// A résumé or LinkedIn review: what the mentor reads ("résumé", "LinkedIn profile")
/// and the mentee's address for it from their settings (empty when not given or when
/// the mentee cannot be read); `None` for other services.
fn reviewed(
    kind: crate::domain::mentor::ServiceKind,
    mentee: Option<&UserRow>,
) -> Option<(&'static str, String)> {
    use crate::domain::mentor::ServiceKind::{LinkedinReview, ResumeReview};
    let (what, address): (_, fn(&UserRow) -> &String) = match kind {
        ResumeReview => ("résumé", |u| &u.resume_url),
        LinkedinReview => ("LinkedIn profile", |u| &u.linkedin_url),
        _ => return None,
    };
    Some((what, mentee.map(address).cloned().unwrap_or_default()))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mentors/{id}/book", get(book_form).post(book))
        // Where one's bookings are listed (an address people type).
        .route(
            "/bookings",
            get(|| async { axum::response::Redirect::to("/mentorship?tab=sessions") }),
        )
        .route("/bookings/{id}", get(booking_page))
        .route("/bookings/{id}/ics", get(booking_ics))
        .route("/bookings/{id}/notes", post(save_notes))
        .route("/bookings/{id}/review", post(review))
        .route("/bookings/{id}/reply", post(reply))
        .route("/bookings/{id}/dispute", post(dispute))
        .route("/bookings/{id}/dispute/answer", post(answer_dispute))
        .route("/bookings/{id}/reschedule", post(reschedule))
        .route("/bookings/{id}/deliver", post(deliver))
        .route("/bookings/{id}/do/{action}", post(act))
        .route("/bookings/series/{id}/do/{action}", post(series_act))
        .route("/bookings/series/{id}/ics", get(series_ics))
        .route(
            "/settings/availability",
            get(availability_form).post(save_availability),
        )
}

pub(super) fn tz_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_string()
}

/// The sessions of a user for the mentorship hub, upcoming first then recent.
pub async fn sessions(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
) -> Result<(Vec<SessionLine>, Vec<SessionLine>), AppError> {
    let now = state.ctx.now();
    let tz = zone_of(Some(me));
    let upcoming = bookings::list(
        &state.ctx,
        &ListFilter {
            user_id: me.id.to_string(),
            statuses: vec!["pending".into(), "accepted".into()],
            from: Some(crate::clock::to_micros(crate::clock::before(
                now,
                2 * 3_600_000_000,
            ))),
            ascending: true,
            limit: 50,
            ..ListFilter::default()
        },
    )
    .await?;
    let past = bookings::list(
        &state.ctx,
        &ListFilter {
            user_id: me.id.to_string(),
            statuses: vec![
                "completed".into(),
                "cancelled".into(),
                "declined".into(),
                "expired".into(),
                "no_show".into(),
            ],
            limit: 30,
            ..ListFilter::default()
        },
    )
    .await?;
    let groups = crate::service::dashboard::coming_group_sessions(&state.ctx, me).await?;
    let line = |b: &BookingFull| {
        let mentor = b.b.mentor_id == me.id;
        SessionLine {
            href: format!("/bookings/{}", b.b.id),
            title: b.b.title.clone(),
            with: if mentor {
                format!("{} {}", b.mentee_first_name, b.mentee_last_name)
            } else {
                format!("{} {}", b.mentor_first_name, b.mentor_last_name)
            },
            role: if mentor {
                "mentee".into()
            } else {
                "mentor".into()
            },
            when: if b.b.timed {
                web.when(b.b.start_at, &tz)
            } else {
                format!("due {}", web.when(b.b.end_at, &tz))
            },
            status: b.b.status.as_str().replace('_', "-"),
            needs_answer: mentor && b.b.status == BookingStatus::Pending,
            link: if b.b.status == BookingStatus::Accepted {
                b.b.meeting_link.clone()
            } else {
                String::new()
            },
        }
    };
    // Group sessions among the bookings, by start.
    let mut coming: Vec<(Timestamp, SessionLine)> = upcoming
        .iter()
        .map(|b| (b.b.start_at, line(b)))
        .chain(groups.into_iter().map(|(start, g)| {
            let line = SessionLine {
                href: format!("/group-sessions/{}", g.id),
                status: g.group_label().unwrap_or_default(),
                title: g.title,
                with: g.with_name,
                role: g.with_role,
                when: web.when(start, &tz),
                needs_answer: false,
                link: String::new(),
            };
            (start, line)
        }))
        .collect();
    coming.sort_by_key(|(start, _)| *start);
    // Group sessions held, attended or cancelled among the past bookings, latest first.
    let past_groups = crate::service::dashboard::past_group_sessions(&state.ctx, me, 30).await?;
    let mut gone: Vec<(Timestamp, SessionLine)> = past
        .iter()
        .map(|b| (if b.b.timed { b.b.start_at } else { b.b.end_at }, line(b)))
        .chain(past_groups.into_iter().map(|(start, g, label)| {
            let line = SessionLine {
                href: format!("/group-sessions/{}", g.id),
                status: label,
                with: if g.leads {
                    String::new()
                } else {
                    format!("{} {}", g.mentor_first_name, g.mentor_last_name)
                },
                role: if g.leads { "attendees" } else { "mentor" }.into(),
                title: g.title,
                when: web.when(start, &tz),
                needs_answer: false,
                link: String::new(),
            };
            (start, line)
        }))
        .collect();
    gone.sort_by_key(|(start, _)| std::cmp::Reverse(*start));
    gone.truncate(30);
    Ok((
        coming.into_iter().map(|(_, l)| l).collect(),
        gone.into_iter().map(|(_, l)| l).collect(),
    ))
}

pub struct SessionLine {
    /// The booking's page, or a group session's.
    pub href: String,
    pub title: String,
    pub with: String,
    /// The other person's role.
    pub role: String,
    pub when: String,
    pub status: String,
    pub needs_answer: bool,
    pub link: String,
}
