//! A mentee as their mentors see them: who they are, what they want to learn (the
//! learning profile they fill in under Settings), and the sessions the two had.
//!
//! Visible to the mentee, to admins, and to a mentor the mentee asked, is or was
//! mentored by, booked, or joined a group session of (a mentorship pending, accepted
//! or ended, any booking, a seat or a place in line); to anyone else the mentee does
//! not exist (404).

use super::{Ctx, admin::is_admin};
use crate::{
    domain::ids::parse_id,
    error::{AppError, AppResult},
    store::{self, bookings::BookingFull, mentors::MenteeProfileRow, users::UserRow},
};

/// What a mentor sees of a mentee.
pub struct MenteeDetail {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub avatar_url: String,
    pub timezone: String,
    /// Their learner bio (the account's bio when they wrote none).
    pub bio: String,
    pub goals: Vec<String>,
    pub skills: Vec<String>,
    pub interests: Vec<String>,
    /// Their résumé and LinkedIn addresses (from their settings; empty when not given),
    /// for the reviews they book and the mentors who read them.
    pub resume_url: String,
    pub linkedin_url: String,
    /// Sessions with the viewer as their mentor, newest first (at most 20).
    pub sessions: Vec<BookingFull>,
    /// The viewer's group sessions they had a seat or a place in line in, newest
    /// first (at most 20).
    pub group_sessions: Vec<store::groups::SharedSession>,
}

/// Where a person's profile is for `viewer`: their mentee page when the viewer mentors
/// (or is asked to mentor) them, else their mentor page.
pub async fn profile_href(ctx: &Ctx, viewer: &UserRow, other: &str) -> AppResult<String> {
    Ok(
        if store::mentors::knows_mentee(&ctx.db.pool, &viewer.id, other).await? {
            format!("/mentees/{other}")
        } else {
            format!("/mentors/{other}")
        },
    )
}

pub async fn detail(ctx: &Ctx, viewer: &UserRow, id: &str) -> AppResult<MenteeDetail> {
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    let pool = &ctx.db.pool;
    let user = store::users::by_id(pool, &id)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    let me = viewer.id == user.id;
    if !me && !is_admin(viewer) && !store::mentors::knows_mentee(pool, &viewer.id, &id).await? {
        return Err(AppError::NotFound);
    }
    let profile: Option<MenteeProfileRow> = store::mentors::mentee_profile(pool, &id).await?;
    let sessions = if me {
        vec![]
    } else {
        store::bookings::list(
            pool,
            &store::bookings::ListFilter {
                user_id: viewer.id.to_string(),
                role: Some("mentor"),
                with_user: Some(id.clone()),
                limit: 20,
                ..Default::default()
            },
        )
        .await?
    };
    let group_sessions = if me {
        vec![]
    } else {
        store::groups::shared_with_mentor(pool, &viewer.id, &id, 20).await?
    };
    let (bio, goals, skills, interests) = match profile {
        Some(p) => (p.bio, p.goals, p.skills, p.interests),
        None => (String::new(), vec![], vec![], vec![]),
    };
    Ok(MenteeDetail {
        id: user.id.to_string(),
        first_name: user.first_name,
        last_name: user.last_name,
        headline: user.headline,
        avatar_url: user.avatar_url,
        timezone: user.timezone,
        bio: if bio.trim().is_empty() { user.bio } else { bio },
        goals,
        skills,
        interests,
        resume_url: user.resume_url,
        linkedin_url: user.linkedin_url,
        sessions,
        group_sessions,
    })
}
