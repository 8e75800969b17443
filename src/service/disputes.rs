//! Disputes of a finished session's outcome (the rules: `domain::dispute`).
//!
//! Opening one tells the admins and the other side; an admin rejects it (the outcome
//! stands) or grants it. Granting settles the session again, in one transaction with
//! closing the dispute: the credits the settlement sent out come back from where they
//! went and go where the other outcome sends them (ledger key `dispute:<booking id>`,
//! so it is applied once). When someone has already spent what would come back, the
//! grant is refused with that reason and nothing changes (the admin may grant credits
//! instead).

use serde::Deserialize;

pub use crate::store::disputes::DisputeRow;
use utoipa::ToSchema;

use super::{Ctx, admin::require_admin, events::Live, notify};
use crate::{
    domain::{
        booking::{self as rules, Actor, BookingStatus, Settlement},
        dispute::{self, DisputeStatus, Remedy},
        ids::{BookingId, new_id},
        text,
    },
    error::{AppError, AppResult},
    store::{
        self, Tx,
        bookings::BookingFull,
        ledger::{Transfer, TransferError},
        users::UserRow,
    },
};

/// `POST /api/v1/bookings/{id}/dispute`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeInput {
    /// What happened, for the admins (1-2000 characters).
    pub reason: String,
}

/// `POST /api/v1/bookings/{id}/dispute/answer`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeAnswerInput {
    /// The other side's account of what happened, for the admins (1-2000 characters).
    pub answer: String,
}

/// `POST /api/v1/admin/disputes/{id}/resolve`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveDisputeInput {
    /// `reject` (the outcome stands) or `grant` (settle the session the other way).
    pub action: String,
    /// Said to both people (up to 500 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// Whether `me` may dispute this booking now: `Ok` with what granting would do, or
/// why not.
pub fn may_dispute(ctx: &Ctx, me: &UserRow, b: &BookingFull) -> AppResult<Remedy> {
    let not = |why: &str| AppError::conflict("not_disputable", why.to_string());
    let Some((side, remedy)) = dispute::rule(b.b.status, &b.b.no_show_party) else {
        return Err(not(
            "Only a session's outcome can be disputed: one marked done or completed, or a reported no-show. Cancellations follow the cancellation terms.",
        ));
    };
    let mine = match side {
        Actor::Mentee => b.b.mentee_id == me.id,
        _ => b.b.mentor_id == me.id,
    };
    if !mine {
        return Err(not(
            "This outcome went your way: only the other side can dispute it.",
        ));
    }
    if b.b.credits_held == 0 {
        return Err(not(
            "This session cost no credits: there is nothing to settle again.",
        ));
    }
    let settled = b.b.finished_at.unwrap_or(b.b.updated_at);
    if ctx.now() >= dispute::open_until(settled) {
        return Err(AppError::conflict(
            "dispute_closed",
            format!(
                "An outcome can be disputed for {} days after it settled; this one settled on {}.",
                dispute::DISPUTE_DAYS,
                me.reads().at(settled)
            ),
        ));
    }
    Ok(remedy)
}

/// Opens a dispute on a booking (its mentee or mentor, as [`dispute::rule`] says).
#[tracing::instrument(name = "disputes::open", skip_all, fields(user_id = %me.id))]
pub async fn open(
    ctx: &Ctx,
    me: &UserRow,
    id: &BookingId,
    input: &DisputeInput,
) -> AppResult<DisputeRow> {
    let b = super::bookings::get(ctx, me, id).await?;
    if b.b.mentor_id != me.id && b.b.mentee_id != me.id {
        return Err(AppError::NotFound);
    }
    let reason = text::optional_text("reason", &input.reason, 2000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "required",
            "Say what happened: the admins decide on it.",
        ));
    }
    // Disputed before: said as such (once decided, the outcome may now look as if it
    // went the other side's way, which is not why it cannot be disputed again).
    if let Some(d) = store::disputes::of_booking(&ctx.db.pool, id).await? {
        return Err(AppError::conflict(
            "already_disputed",
            if d.resolved_at.is_some() {
                "This session's outcome was disputed and an administrator decided it: the decision is final."
            } else {
                "This session's outcome is already disputed; the admins will decide once."
            },
        ));
    }
    may_dispute(ctx, me, &b)?;
    let now = ctx.now();
    let dispute_id = new_id();
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    if !store::disputes::insert(&mut tx, &dispute_id, id, &me.id, &reason, now).await? {
        return Err(AppError::conflict(
            "already_disputed",
            "This session's outcome is already disputed; the admins will decide once.",
        ));
    }
    store::bookings::add_event(&mut tx, id, Some(&me.id), "disputed", None, &reason, now).await?;
    let (mine, theirs) = people(&b, &me.id);
    notify::tell_admins(
        ctx,
        &mut tx,
        &notify::AdminNote {
            kind: notify::DISPUTE_OPENED,
            title: format!("Disputed: “{}” ({} and {})", b.b.title, mine.0, theirs.0),
            body: reason.clone(),
            link: "/admin/disputes".into(),
            related_id: id,
        },
        now,
        &mut live,
    )
    .await?;
    notify::notify(
        ctx,
        &mut tx,
        &news(
            (theirs.1, theirs.2),
            id,
            format!("{} disputes how “{}” ended", mine.0, b.b.title),
            format!(
                "{} says: {reason}\n\nYou can give your side of it on the session's page; an administrator reads both and decides, and you will both be told.",
                mine.0
            ),
        ),
        now,
        &mut live,
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    store::disputes::get(&ctx.db.pool, &dispute_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The other side of a dispute gives their account of it, once, while the admins have
/// not decided; the side that opened it is told.
#[tracing::instrument(name = "disputes::answer", skip_all, fields(user_id = %me.id))]
pub async fn answer(
    ctx: &Ctx,
    me: &UserRow,
    id: &BookingId,
    input: &DisputeAnswerInput,
) -> AppResult<DisputeRow> {
    let b = super::bookings::get(ctx, me, id).await?;
    if b.b.mentor_id != me.id && b.b.mentee_id != me.id {
        return Err(AppError::NotFound);
    }
    let d = store::disputes::of_booking(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if d.opened_by == me.id.as_str() {
        return Err(AppError::conflict(
            "not_yours_to_answer",
            "You opened this dispute: the answer is the other side's to give.",
        ));
    }
    let text = text::optional_text("answer", &input.answer, 2000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    if text.is_empty() {
        return Err(AppError::invalid(
            "answer",
            "required",
            "Say what happened from your side: the admins read it before deciding.",
        ));
    }
    let closed = |d: &DisputeRow| {
        if d.status != DisputeStatus::Open {
            AppError::conflict(
                "already_resolved",
                "This dispute is already decided: there is nothing left to answer.",
            )
        } else {
            AppError::conflict(
                "already_answered",
                "You already answered this dispute; an answer is given once.",
            )
        }
    };
    if d.status != DisputeStatus::Open || d.answered_at.is_some() {
        return Err(closed(&d));
    }
    let now = ctx.now();
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    if !store::disputes::answer(&mut tx, &d.id, &text, now).await? {
        drop(tx);
        let d = store::disputes::get(&ctx.db.pool, &d.id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(closed(&d));
    }
    store::bookings::add_event(
        &mut tx,
        id,
        Some(&me.id),
        "dispute_answered",
        None,
        &text,
        now,
    )
    .await?;
    let (mine, theirs) = people(&b, &me.id);
    notify::notify(
        ctx,
        &mut tx,
        &news(
            (theirs.1, theirs.2),
            id,
            format!("{} answered your dispute about “{}”", mine.0, b.b.title),
            format!(
                "{} says: {text}\n\nAn administrator reads both sides and decides; you will be told.",
                mine.0
            ),
        ),
        now,
        &mut live,
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    store::disputes::get(&ctx.db.pool, &d.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A dispute's news for one side of its booking `(user id, email)`, linked to the
/// booking's page.
fn news<'a>(
    (user_id, email): (&'a str, &'a str),
    booking_id: &'a str,
    title: String,
    body: String,
) -> notify::Note<'a> {
    notify::Note {
        reader: None,
        user_id,
        email,
        kind: notify::BOOKING_DISPUTE,
        title,
        body,
        link: format!("/bookings/{booking_id}"),
        related_id: Some(booking_id),
        ics: None,
    }
}

/// (name, user id, email) of the person `me_id` and of the other side.
type Person<'a> = (String, &'a str, &'a str);

fn people<'a>(b: &'a BookingFull, me_id: &str) -> (Person<'a>, Person<'a>) {
    let mentor = (
        format!("{} {}", b.mentor_first_name, b.mentor_last_name)
            .trim()
            .to_string(),
        b.b.mentor_id.as_str(),
        b.mentor_email.as_str(),
    );
    let mentee = (
        format!("{} {}", b.mentee_first_name, b.mentee_last_name)
            .trim()
            .to_string(),
        b.b.mentee_id.as_str(),
        b.mentee_email.as_str(),
    );
    if b.b.mentor_id == me_id {
        (mentor, mentee)
    } else {
        (mentee, mentor)
    }
}

/// A booking's dispute, for its participants and admins.
pub async fn of_booking(
    ctx: &Ctx,
    viewer: &UserRow,
    id: &BookingId,
) -> AppResult<Option<DisputeRow>> {
    super::bookings::get(ctx, viewer, id).await?;
    Ok(store::disputes::of_booking(&ctx.db.pool, id).await?)
}

/// Disputes in `status`, for the admins.
pub async fn list(ctx: &Ctx, admin: &UserRow, status: DisputeStatus) -> AppResult<Vec<DisputeRow>> {
    require_admin(admin)?;
    Ok(store::disputes::list(&ctx.db.pool, status, 200).await?)
}

/// One dispute with its session's history (admins).
pub async fn one_with_history(
    ctx: &Ctx,
    admin: &UserRow,
    id: &str,
) -> AppResult<(DisputeRow, Vec<store::bookings::EventRow>)> {
    require_admin(admin)?;
    let d = store::disputes::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let history = store::bookings::events(&ctx.db.pool, &d.booking_id).await?;
    Ok((d, history))
}

/// [`list`], each with its session's history (what the admin reads before deciding:
/// who marked it done or reported whom absent, and when).
pub async fn list_with_history(
    ctx: &Ctx,
    admin: &UserRow,
    status: DisputeStatus,
) -> AppResult<Vec<(DisputeRow, Vec<store::bookings::EventRow>)>> {
    let disputes = list(ctx, admin, status).await?;
    let ids: Vec<&str> = disputes.iter().map(|d| d.booking_id.as_str()).collect();
    let mut histories: std::collections::HashMap<String, Vec<_>> = Default::default();
    for e in store::bookings::events_of(&ctx.db.pool, &ids).await? {
        histories.entry(e.booking_id.clone()).or_default().push(e);
    }
    Ok(disputes
        .into_iter()
        .map(|d| {
            let history = histories.remove(&d.booking_id).unwrap_or_default();
            (d, history)
        })
        .collect())
}

/// An admin decides a dispute; granting settles the session again (see the module).
#[tracing::instrument(name = "disputes::resolve", skip_all, fields(user_id = %admin.id, id = %id))]
pub async fn resolve(
    ctx: &Ctx,
    admin: &UserRow,
    id: &str,
    input: &ResolveDisputeInput,
) -> AppResult<DisputeRow> {
    require_admin(admin)?;
    let note = text::optional_line("note", input.note.as_deref().unwrap_or(""), 500)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let status = match input.action.as_str() {
        "reject" => DisputeStatus::Rejected,
        "grant" => DisputeStatus::Granted,
        _ => {
            return Err(AppError::invalid(
                "action",
                "invalid",
                "Choose reject (the outcome stands) or grant (settle it the other way).",
            ));
        }
    };
    let d = store::disputes::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let already = || AppError::conflict("already_resolved", "This dispute is already decided.");
    if d.status != DisputeStatus::Open {
        return Err(already());
    }
    let now = ctx.now();
    let mut live = Live::new();
    let mut tx = ctx.db.begin_write().await?;
    // The global order of booking actions: both people, then the booking, then ledger.
    store::bookings::lock_people(&mut tx, ctx.db.backend, &d.mentor_id, &d.mentee_id).await?;
    let b = store::bookings::get_for_update(&mut tx, ctx.db.backend, &d.booking_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !store::disputes::resolve(&mut tx, id, status, &note, &admin.id, now).await? {
        return Err(already());
    }
    let mut moved = serde_json::Value::Null;
    if status == DisputeStatus::Granted {
        let (_, remedy) = dispute::rule(b.b.status, &b.b.no_show_party).ok_or_else(|| {
            AppError::conflict(
                "not_disputable",
                "This booking no longer has an outcome to settle again.",
            )
        })?;
        moved = settle_again(ctx, &mut tx, &b, remedy, &admin.id, now).await?;
    }
    let (event, verdict) = match status {
        DisputeStatus::Granted => ("dispute_granted", "granted"),
        _ => ("dispute_rejected", "rejected"),
    };
    store::bookings::add_event(&mut tx, &b.b.id, Some(&admin.id), event, None, &note, now).await?;
    let after = store::bookings::get(&mut *tx, &b.b.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let refunded = after.b.credits_refunded == after.b.credits_held;
    let (mentor, mentee) = (
        format!("{} {}", after.mentor_first_name, after.mentor_last_name),
        format!("{} {}", after.mentee_first_name, after.mentee_last_name),
    );
    // What it did, in each one's words.
    let what = |to_mentor: bool| match status {
        DisputeStatus::Granted if refunded && to_mentor => format!(
            "The {} credits it cost went back to {mentee}.",
            after.b.credits_held
        ),
        DisputeStatus::Granted if refunded => format!(
            "The {} credits it cost came back to you.",
            after.b.credits_held
        ),
        DisputeStatus::Granted if to_mentor => format!(
            "It counts as held after all: you were paid {} credits.",
            after.b.credits_paid
        ),
        DisputeStatus::Granted => format!(
            "It counts as held after all: {} of its credits went to {mentor}.",
            after.b.credits_paid
        ),
        _ => "The outcome stands; the credits stay where they went.".to_string(),
    };
    let said = if note.is_empty() {
        String::new()
    } else {
        format!("\n\nThe administrators' note: {note}")
    };
    for (user_id, email, to_mentor) in [
        (
            after.b.mentor_id.as_str(),
            after.mentor_email.as_str(),
            true,
        ),
        (
            after.b.mentee_id.as_str(),
            after.mentee_email.as_str(),
            false,
        ),
    ] {
        notify::notify(
            ctx,
            &mut tx,
            &news(
                (user_id, email),
                &after.b.id,
                format!("The dispute about “{}” was {verdict}", after.b.title),
                format!("{}{said}", what(to_mentor)),
            ),
            now,
            &mut live,
        )
        .await?;
    }
    notify::handled_by_admins(&mut tx, notify::DISPUTE_OPENED, &b.b.id, now, &mut live).await?;
    store::audit::insert(
        &mut *tx,
        &store::audit::NewAudit {
            actor_id: Some(&admin.id),
            action: if status == DisputeStatus::Granted {
                "dispute.grant"
            } else {
                "dispute.reject"
            },
            target_type: "booking",
            target_id: &b.b.id,
            before: serde_json::json!({
                "reason": d.reason,
                "refunded": b.b.credits_refunded,
                "paid": b.b.credits_paid,
            }),
            after: serde_json::json!({
                "status": status.as_str(),
                "note": note,
                "refunded": after.b.credits_refunded,
                "paid": after.b.credits_paid,
                "moved": moved,
            }),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    store::disputes::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Takes back what the booking's settlement sent out and settles it as `remedy` says,
/// in one balanced transfer; answers the legs (for the audit log).
async fn settle_again(
    ctx: &Ctx,
    tx: &mut Tx,
    b: &BookingFull,
    remedy: Remedy,
    admin_id: &str,
    now: jiff::Timestamp,
) -> AppResult<serde_json::Value> {
    let cost = b.b.credits_held;
    let s = match remedy {
        Remedy::RefundMentee => Settlement {
            to_mentee: cost,
            ..Settlement::default()
        },
        Remedy::PayMentor => rules::settle(
            cost,
            BookingStatus::Accepted,
            BookingStatus::Completed,
            Actor::Mentor,
            b.b.start_at,
            now,
            &ctx.config.policy,
        ),
    };
    let mut legs: Vec<(String, i64)> = store::disputes::settled_legs(&mut **tx, &b.b.id)
        .await?
        .into_iter()
        .map(|(account, amount)| (account, -amount))
        .collect();
    legs.extend(
        super::credits::settlement_legs(tx, &b.b.id, &b.b.mentee_id, &b.b.mentor_id, &s, now)
            .await?,
    );
    // One leg per account: what it gives back and what it gets, netted.
    let mut net: Vec<(String, i64)> = vec![];
    for (account, amount) in legs {
        match net.iter_mut().find(|(a, _)| *a == account) {
            Some((_, sum)) => *sum += amount,
            None => net.push((account, amount)),
        }
    }
    net.retain(|(_, a)| *a != 0);
    let mentor_wallet = store::ledger::wallet(tx, &b.b.mentor_id, now).await?;
    let mentee_wallet = store::ledger::wallet(tx, &b.b.mentee_id, now).await?;
    let who_spent = |account: &str| {
        if account == mentor_wallet {
            format!("{} {}'s wallet", b.mentor_first_name, b.mentor_last_name)
        } else if account == mentee_wallet {
            format!("{} {}'s wallet", b.mentee_first_name, b.mentee_last_name)
        } else {
            format!("The account {account}")
        }
    };
    // The audit log reads each leg in words: "Ada Lovelace's wallet: -80".
    let shown = serde_json::json!(
        net.iter()
            .map(|(account, amount)| format!("{}: {amount:+}", who_spent(account)))
            .collect::<Vec<_>>()
    );
    store::ledger::transfer(
        tx,
        &Transfer {
            key: &format!("dispute:{}", b.b.id),
            kind: "booking_dispute",
            booking_id: Some(&b.b.id),
            actor_id: Some(admin_id),
            memo: "Dispute granted: the credits moved the other way",
            legs: net,
            now,
        },
    )
    .await
    .map_err(|e| match e {
        TransferError::Insufficient { account } => AppError::conflict(
            "insufficient_credits",
            format!(
                "{} no longer holds the credits this would take back, so nothing changed. Reject the dispute, or grant credits from the user's page instead.",
                who_spent(&account)
            ),
        ),
        e => super::credits::transfer_error(e, cost),
    })?;
    store::disputes::set_settled(tx, &b.b.id, s.to_mentee, s.to_mentor, now).await?;
    Ok(shown)
}
