//! Asking the admins for credits, and their answer.
//!
//! A member asks for a number of credits with a note (one open request at a time);
//! every active admin is notified (in-app and by email, as each prefers) and finds the
//! request in the attention queue. An admin grants it — the asked amount or another —
//! or declines it with a reason, in one step; the member is notified either way and may
//! withdraw the request while it is open. A grant closes the request and moves the
//! credits in the same transaction (ledger key `credit_request:<id>`): two admins
//! answering at once give one answer, and a request is granted once.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{Ctx, admin::require_admin, events::Live, notify};
use crate::{
    domain::{
        credit::{CreditRequestStatus, MAX_REQUEST},
        ids::new_id,
        text,
    },
    error::{AppError, AppResult, FieldError, Validator},
    store::{self, Tx, audit::NewAudit, users::UserRow},
};

pub use crate::store::credit_requests::CreditRequestRow;

/// `POST /api/v1/me/credit-requests`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskInput {
    /// How many credits (1 to 10,000).
    pub credits: i64,
    /// Why, for the admins (1-1000 characters).
    pub note: String,
}

/// `POST /api/v1/admin/credit-requests/{id}/grant`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreditRequestGrantInput)]
pub struct GrantInput {
    /// Credits to grant; the amount asked for when absent.
    pub credits: Option<i64>,
    /// A note for the member (up to 500 characters).
    pub note: Option<String>,
}

/// `POST /api/v1/admin/credit-requests/{id}/decline`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    /// Why, for the member (1-500 characters).
    pub reason: String,
}

fn answered() -> AppError {
    AppError::conflict(
        "already_answered",
        "This request was already answered or withdrawn.",
    )
}

/// A member asks the admins for credits.
#[tracing::instrument(name = "credit_requests::ask", skip_all, fields(user_id = %user.id))]
pub async fn ask(ctx: &Ctx, user: &UserRow, input: &AskInput) -> AppResult<CreditRequestRow> {
    let note = check_ask(input)?;
    let id = new_id();
    let now = ctx.now();
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    // The asker's row first, as closing the account changes it: a request made while
    // the account closes either comes before (and the closure withdraws it) or sees it
    // closed.
    store::bookings::lock_users(&mut tx, ctx.db.backend, &[user.id.to_string()]).await?;
    let open = store::users::by_id(&mut *tx, &user.id).await?;
    if open.is_none_or(|u| u.deleted_at.is_some()) {
        return Err(AppError::conflict(
            "account_closed",
            "This account is closed.",
        ));
    }
    if !store::credit_requests::insert(&mut tx, &id, &user.id, input.credits, &note, now).await? {
        return Err(AppError::conflict(
            "request_open",
            "You already have a request waiting for an admin; withdraw it to ask again.",
        ));
    }
    let who = user.display_name();
    let note = notify::AdminNote {
        kind: notify::CREDIT_REQUESTED,
        title: format!("{who} asks for {} credits", input.credits),
        body: note,
        link: "/admin/credit-requests".into(),
        related_id: &id,
    };
    notify::tell_admins(ctx, &mut tx, &note, now, &mut live).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.admin_stats.invalidate();
    get(ctx, &id).await
}

/// Checks a request for credits; returns its note, on one line. Every error at once.
pub fn check_ask(input: &AskInput) -> AppResult<String> {
    let mut v = Validator::new();
    if !(1..=MAX_REQUEST).contains(&input.credits) {
        v.push(FieldError::new(
            "credits",
            "out_of_range",
            "Ask for 1 to 10,000 credits.",
        ));
    }
    let note = v.check(text::required_line(
        "note",
        &input.note.replace(['\r', '\n'], " "),
        1000,
    ));
    v.finish()?;
    Ok(note.unwrap_or_default())
}

async fn get(ctx: &Ctx, id: &str) -> AppResult<CreditRequestRow> {
    store::credit_requests::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The member withdraws their open request.
#[tracing::instrument(name = "credit_requests::withdraw", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn withdraw(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<CreditRequestRow> {
    let r = get(ctx, id).await?;
    if r.user_id != user.id {
        return Err(AppError::NotFound);
    }
    let mut tx = ctx.db.begin_write().await?;
    let closed = store::credit_requests::close(
        &mut tx,
        id,
        CreditRequestStatus::Withdrawn,
        0,
        ("", None),
        ctx.now(),
    )
    .await?;
    if !closed {
        return Err(answered());
    }
    // Nothing waits for the admins any more: their notices of it are read.
    let mut live = Live::new();
    notify::handled_by_admins(&mut tx, notify::CREDIT_REQUESTED, id, ctx.now(), &mut live).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.admin_stats.invalidate();
    get(ctx, id).await
}

/// A member's own requests, newest first.
pub async fn mine(
    ctx: &Ctx,
    user: &UserRow,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<CreditRequestRow>> {
    Ok(store::credit_requests::list(&ctx.db.pool, Some(&user.id), None, before, limit).await?)
}

/// The admins' queue: requests with this status (or all), newest first.
pub async fn queue(
    ctx: &Ctx,
    admin: &UserRow,
    status: Option<CreditRequestStatus>,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<CreditRequestRow>> {
    require_admin(admin)?;
    Ok(store::credit_requests::list(&ctx.db.pool, None, status, before, limit).await?)
}

/// An admin grants a request: the credits move from the outside world to the member's
/// wallet with the answer, once.
#[tracing::instrument(name = "credit_requests::grant", skip_all, fields(user_id = %admin.id, id = %id))]
pub async fn grant(
    ctx: &Ctx,
    admin: &UserRow,
    id: &str,
    input: &GrantInput,
) -> AppResult<CreditRequestRow> {
    require_admin(admin)?;
    let r = get(ctx, id).await?;
    let mut v = Validator::new();
    let credits = input.credits.unwrap_or(r.credits);
    if !(1..=1_000_000).contains(&credits) {
        v.push(FieldError::new(
            "credits",
            "out_of_range",
            "Grant between 1 and 1,000,000 credits.",
        ));
    }
    let note = v.check(text::optional_line(
        "note",
        input.note.as_deref().unwrap_or(""),
        500,
    ));
    v.finish()?;
    let note = note.unwrap_or_default();
    let member = store::users::by_id(&ctx.db.pool, &r.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if member.deleted_at.is_some() {
        return Err(AppError::conflict(
            "account_closed",
            "This account is closed: decline the request instead.",
        ));
    }
    let now = ctx.now();
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    let to = CreditRequestStatus::Granted;
    if !store::credit_requests::close(&mut tx, id, to, credits, (&note, Some(&admin.id)), now)
        .await?
    {
        return Err(answered());
    }
    super::credits::grant_in(
        &mut tx,
        &member.id,
        credits,
        (&format!("credit_request:{id}"), Some(&admin.id)),
        &format!("Credits granted on request: {}", r.note),
        now,
    )
    .await?;
    let title = format!("You received {credits} credits");
    answer(
        ctx,
        &mut tx,
        (admin, &member),
        &r,
        (to, credits, &note),
        title,
        &mut live,
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.admin_stats.invalidate();
    get(ctx, id).await
}

/// An admin declines a request, with a reason for the member.
#[tracing::instrument(name = "credit_requests::decline", skip_all, fields(user_id = %admin.id, id = %id))]
pub async fn decline(
    ctx: &Ctx,
    admin: &UserRow,
    id: &str,
    input: &DeclineInput,
) -> AppResult<CreditRequestRow> {
    require_admin(admin)?;
    let r = get(ctx, id).await?;
    let reason = text::required_line_saying(
        "reason",
        &input.reason,
        500,
        "Say why you decline: they read it with the answer.",
    )
    .map_err(|e| AppError::Invalid(vec![e]))?;
    let member = store::users::by_id(&ctx.db.pool, &r.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = ctx.now();
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    let to = CreditRequestStatus::Declined;
    if !store::credit_requests::close(&mut tx, id, to, 0, (&reason, Some(&admin.id)), now).await? {
        return Err(answered());
    }
    let title = "Your request for credits was declined".to_string();
    answer(
        ctx,
        &mut tx,
        (admin, &member),
        &r,
        (to, 0, &reason),
        title,
        &mut live,
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.admin_stats.invalidate();
    get(ctx, id).await
}

/// The audit line and the member's notification of an answer.
async fn answer(
    ctx: &Ctx,
    tx: &mut Tx,
    (admin, member): (&UserRow, &UserRow),
    r: &CreditRequestRow,
    (to, credits, words): (CreditRequestStatus, i64, &str),
    title: String,
    live: &mut Live,
) -> AppResult<()> {
    let now = ctx.now();
    notify::handled_by_admins(tx, notify::CREDIT_REQUESTED, &r.id, now, live).await?;
    store::audit::insert(
        &mut **tx,
        &NewAudit {
            actor_id: Some(&admin.id),
            action: if to == CreditRequestStatus::Granted {
                "credit_request.grant"
            } else {
                "credit_request.decline"
            },
            target_type: "user",
            target_id: &member.id,
            before: serde_json::json!({"request_id": r.id, "asked": r.credits, "note": r.note}),
            after: serde_json::json!({"granted": credits, "answer": words}),
            now,
        },
    )
    .await?;
    if member.deleted_at.is_some() {
        return Ok(());
    }
    // What was granted, said as it is when it is less than what was asked.
    let granted = if credits == r.credits {
        format!("Your request for {} credits was granted", r.credits)
    } else {
        format!(
            "You asked for {} credits and were granted {credits}",
            r.credits
        )
    };
    let body = match (to, words.is_empty()) {
        (CreditRequestStatus::Granted, true) => format!("{granted}."),
        (CreditRequestStatus::Granted, false) => format!("{granted}: {words}"),
        _ => format!("Reason: {words}"),
    };
    let note = notify::Note {
        reader: None,
        user_id: &member.id,
        email: &member.email,
        kind: notify::CREDIT_REQUEST_ANSWERED,
        title,
        body,
        link: "/credits".into(),
        related_id: Some(&r.id),
        ics: None,
    };
    notify::notify(ctx, tx, &note, now, live).await
}
