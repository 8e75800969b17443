//! Reviews: one per completed booking, by its mentee; the mentor may reply once. A
//! mentor's rating average and count are recomputed from the reviews in the same
//! transaction that adds one.

use serde::Deserialize;
use utoipa::ToSchema;

use super::Ctx;
use crate::{
    domain::{booking::BookingStatus, ids::new_id, text},
    error::{AppError, AppResult},
    store::{self, reviews::NewReview, users::UserRow},
};

pub use crate::store::reviews::ReviewRow;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// 1 to 5 stars.
    pub rating: i64,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyInput {
    pub reply: String,
}

/// The mentee reviews a completed booking, once.
#[tracing::instrument(name = "reviews::create", skip_all, fields(user_id = %user.id))]
pub async fn create(
    ctx: &Ctx,
    user: &UserRow,
    booking_id: &str,
    input: &ReviewInput,
) -> AppResult<ReviewRow> {
    let mut v = crate::error::Validator::new();
    if !(1..=5).contains(&input.rating) {
        v.push(crate::error::FieldError::new(
            "rating",
            "out_of_range",
            "A rating is 1 to 5 stars.",
        ));
    }
    let comment = v.check(text::optional_text("comment", &input.comment, 5000));
    v.finish()?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    let b = store::bookings::get(&mut *tx, booking_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if b.b.mentee_id != user.id {
        return Err(if b.b.mentor_id == user.id {
            AppError::forbidden("Only the mentee reviews a booking.")
        } else {
            AppError::NotFound
        });
    }
    if b.b.status != BookingStatus::Completed {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "Only a completed booking can be reviewed; this one is {}.",
                b.b.status
            ),
        ));
    }
    let id = new_id();
    let inserted = store::reviews::insert(
        &mut tx,
        &NewReview {
            id: &id,
            booking_id,
            mentor_id: &b.b.mentor_id,
            mentee_id: &user.id,
            rating: input.rating,
            comment: &comment.unwrap_or_default(),
            now,
        },
    )
    .await?;
    if !inserted {
        return Err(AppError::conflict(
            "already_reviewed",
            "You already reviewed this booking.",
        ));
    }
    let note = super::notify::Note {
        reader: None,
        user_id: &b.b.mentor_id,
        email: &b.mentor_email,
        kind: super::notify::REVIEW_RECEIVED,
        title: format!(
            "{} {} rated {}: {} stars",
            b.mentee_first_name,
            b.mentee_last_name,
            if b.b.timed {
                "your session".to_string()
            } else {
                format!("your {}", b.b.title)
            },
            input.rating
        ),
        body: input.comment.clone(),
        link: format!("/bookings/{booking_id}"),
        related_id: Some(booking_id),
        ics: None,
    };
    super::notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    store::reviews::recompute_rating(&mut tx, &b.b.mentor_id, now).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.discovery.invalidate();
    store::reviews::get(&ctx.db.pool, &id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The mentor replies to a review of theirs, once.
#[tracing::instrument(name = "reviews::reply", skip_all, fields(user_id = %user.id))]
pub async fn reply(
    ctx: &Ctx,
    user: &UserRow,
    review_id: &str,
    input: &ReplyInput,
) -> AppResult<ReviewRow> {
    let reply = text::required_line("reply", &input.reply.replace(['\r', '\n'], " "), 2000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let r = store::reviews::get(&ctx.db.pool, review_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if r.mentor_id != user.id {
        return Err(AppError::forbidden("Only the reviewed mentor can reply."));
    }
    if !store::reviews::set_reply(&ctx.db.pool, review_id, &reply, ctx.now()).await? {
        return Err(AppError::conflict(
            "already_replied",
            "You already replied to this review.",
        ));
    }
    store::reviews::get(&ctx.db.pool, review_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A listed mentor's reviews, newest first.
pub async fn for_mentor(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    mentor_id: &str,
    before_id: Option<&str>,
    limit: i64,
) -> AppResult<Vec<ReviewRow>> {
    store::discovery::visible_mentor(&ctx.db.pool, mentor_id, viewer.map(|v| v.id.as_str()))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(store::reviews::for_mentor(&ctx.db.pool, mentor_id, before_id, limit).await?)
}

/// The latest reviews a mentor's page shows, of bookings and of group sessions.
pub async fn on_profile(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    mentor_id: &str,
    limit: i64,
) -> AppResult<Vec<store::reviews::ProfileReview>> {
    store::discovery::visible_mentor(&ctx.db.pool, mentor_id, viewer.map(|v| v.id.as_str()))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(store::reviews::latest_on_profile(&ctx.db.pool, mentor_id, limit).await?)
}

pub async fn of_booking(ctx: &Ctx, booking_id: &str) -> AppResult<Option<ReviewRow>> {
    Ok(store::reviews::of_booking(&ctx.db.pool, booking_id).await?)
}
