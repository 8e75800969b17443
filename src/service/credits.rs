//! Credits: balances and history, admin grants, and the escrow movements of bookings.
//! Every movement is a balanced ledger transfer with an idempotency key, written in the
//! same transaction as the change that causes it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Ctx;
use crate::{
    domain::{
        booking::Settlement,
        ids::new_id,
        user::{Role, Roles},
    },
    error::{AppError, AppResult},
    store::{
        self, Tx,
        audit::NewAudit,
        ledger::{Outcome, REVENUE, Transfer, TransferError, WORLD},
        users::UserRow,
    },
};

/// 402 `insufficient_credits` for something that costs `need`.
pub fn insufficient(need: i64) -> AppError {
    AppError::PaymentRequired {
        code: "insufficient_credits",
        detail: format!(
            "This needs {need} credits and your wallet does not have them. Buy or ask for credits first."
        ),
    }
}

/// A transfer that failed for another reason than the balance (a bug or the database).
pub fn transfer_failed(e: TransferError) -> AppError {
    transfer_error(e, 0)
}

pub fn transfer_error(e: TransferError, need: i64) -> AppError {
    match e {
        TransferError::Insufficient { .. } => insufficient(need),
        TransferError::Unbalanced => {
            AppError::Internal(anyhow::anyhow!("an unbalanced transfer was attempted"))
        }
        TransferError::Db(e) => e.into(),
    }
}

/// Moves a booking's cost from the mentee's wallet to escrow (the escrow row last: see
/// [`store::ledger::hold_for_booking`]).
pub async fn hold(
    tx: &mut Tx,
    mentee_id: &str,
    booking_id: &str,
    amount: i64,
    now: jiff::Timestamp,
) -> AppResult<()> {
    if amount == 0 {
        return Ok(());
    }
    store::ledger::hold_for_booking(tx, mentee_id, booking_id, amount, now)
        .await
        .map_err(|e| transfer_error(e, amount))?;
    Ok(())
}

/// Releases a booking's escrow once, as the settlement says. Returns false when it had
/// already been settled (a replay changes nothing).
pub async fn settle(
    tx: &mut Tx,
    booking_id: &str,
    mentee_id: &str,
    mentor_id: &str,
    s: &Settlement,
    memo: &str,
    now: jiff::Timestamp,
) -> AppResult<bool> {
    let total = s.to_mentee + s.to_mentor + s.to_platform;
    if total == 0 {
        return Ok(true);
    }
    let escrow = store::ledger::escrow_of_booking(&mut **tx, booking_id).await?;
    let mut legs = vec![(escrow, -total)];
    legs.extend(settlement_legs(tx, booking_id, mentee_id, mentor_id, s, now).await?);
    let outcome = store::ledger::transfer(
        tx,
        &Transfer {
            key: &format!("settle:{booking_id}"),
            kind: "booking_settle",
            booking_id: Some(booking_id),
            actor_id: None,
            memo,
            legs,
            now,
        },
    )
    .await
    .map_err(|e| transfer_error(e, total))?;
    Ok(matches!(outcome, Outcome::Applied(_)))
}

/// Where a booking's settlement sends its credits (the credit legs; the escrow leg
/// that pays them is the caller's): what comes back to the mentee returns to a
/// program's sponsored credits first, as far as they paid (to the program itself once
/// it is over), the rest to the wallet; the mentor's share to their wallet; the fee to
/// revenue.
pub async fn settlement_legs(
    tx: &mut Tx,
    booking_id: &str,
    mentee_id: &str,
    mentor_id: &str,
    s: &Settlement,
    now: jiff::Timestamp,
) -> AppResult<Vec<(String, i64)>> {
    let mut legs = vec![];
    let mut to_wallet = s.to_mentee;
    if s.to_mentee > 0
        && let Some((account, held, program, over)) =
            store::ledger::sponsored_hold(&mut **tx, booking_id).await?
    {
        let back = held.min(s.to_mentee);
        if back > 0 {
            let to = if over {
                store::ledger::program_account(tx, &program, now).await?
            } else {
                account
            };
            legs.push((to, back));
            to_wallet -= back;
        }
    }
    if to_wallet > 0 {
        legs.push((store::ledger::wallet(tx, mentee_id, now).await?, to_wallet));
    }
    if s.to_mentor > 0 {
        legs.push((
            store::ledger::wallet(tx, mentor_id, now).await?,
            s.to_mentor,
        ));
    }
    if s.to_platform > 0 {
        legs.push((REVENUE.to_string(), s.to_platform));
    }
    Ok(legs)
}

/// `GET /api/v1/me/credits`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsView {
    /// Credits in the wallet, free to spend.
    pub balance: i64,
    /// Credits held in escrow for pending and accepted bookings.
    pub held: i64,
    /// Credit history, newest first: the wallet's movements and those of program
    /// credits (each with its `program_name`).
    pub entries: Vec<EntryView>,
    pub next_cursor: Option<String>,
    /// What a credit is worth on this site, in a sentence ("1 credit = 1.00 USD").
    pub worth: String,
    /// Credits programs gave you, spent first on sessions with your program mentor.
    pub sponsored: Vec<SponsoredView>,
    /// As a mentor: what is held for you until your coming sessions are done.
    pub coming: ComingView,
}

/// What a mentor is to be paid from escrow as their coming sessions are done (the
/// site's share, `fee_percent`, is kept from each payment).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ComingView {
    /// Credits held for accepted sessions and reviews, and how many they are.
    pub accepted_credits: i64,
    pub accepted: i64,
    /// Credits held for requests waiting for your answer, and how many they are.
    pub requested_credits: i64,
    pub requested: i64,
    /// Credits held for seats taken in your open group sessions.
    pub seats_credits: i64,
    pub fee_percent: i64,
}

/// A program's sponsored credits.
#[derive(Debug, Serialize, ToSchema)]
pub struct SponsoredView {
    pub program_id: String,
    pub program_name: String,
    pub credits: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: String,
    /// Positive: credits in; negative: credits out.
    pub amount: i64,
    /// `grant`, `booking_hold`, `booking_settle`, `purchase`, …
    pub kind: String,
    pub memo: String,
    pub booking_id: Option<String>,
    /// For an entry of a booking: its title, start (a timed session's only: a review
    /// has none) and the other person.
    pub booking_title: Option<String>,
    pub booking_start: Option<String>,
    pub booking_with: Option<String>,
    /// For an entry of a booking: its status now (a hold's line reads with it: still
    /// held, or paid to the mentor).
    pub booking_status: Option<String>,
    /// For an entry of a seat in a group session: the session and its start.
    pub group_session_id: Option<String>,
    pub group_start: Option<String>,
    /// Set when the credits that moved were a program's sponsored credits (spent first
    /// on sessions with the program's mentor), not the wallet's: the program's name.
    /// Such lines do not add up to the wallet's balance.
    pub program_name: Option<String>,
    pub created_at: String,
}

/// What the user's wallet holds now.
pub async fn balance(ctx: &Ctx, user_id: &str) -> AppResult<i64> {
    Ok(store::ledger::wallet_balance(&ctx.db.pool, user_id).await?)
}

/// The program credits a mentee's booking with this mentor spends before the wallet:
/// the program's name and how many are left (none when there are none to spend).
pub async fn sponsored_for(
    ctx: &Ctx,
    mentee_id: &str,
    mentor_id: &str,
) -> AppResult<Option<(String, i64)>> {
    Ok(
        store::ledger::sponsored_for(&ctx.db.pool, mentee_id, mentor_id)
            .await?
            .filter(|(_, left)| *left > 0),
    )
}

pub async fn view(
    ctx: &Ctx,
    user: &UserRow,
    before_id: Option<&str>,
    limit: i64,
) -> AppResult<CreditsView> {
    let balance = store::ledger::wallet_balance(&ctx.db.pool, &user.id).await?;
    let held = store::ledger::held_for(&ctx.db.pool, &user.id).await?;
    let (accepted_credits, accepted, requested_credits, requested, seats_credits) =
        store::ledger::coming_to(&ctx.db.pool, &user.id).await?;
    let coming = ComingView {
        accepted_credits,
        accepted,
        requested_credits,
        requested,
        seats_credits,
        fee_percent: ctx.config.policy.platform_fee_percent.clamp(0, 100),
    };
    let mut rows =
        store::ledger::wallet_entries(&ctx.db.pool, &user.id, before_id, limit + 1).await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok(CreditsView {
        balance,
        held,
        coming,
        entries: rows
            .into_iter()
            .map(|r| EntryView {
                id: r.id,
                amount: r.amount,
                kind: r.kind,
                // Written before the memo read the same from either side: said as
                // it is now, on the page and through the API alike.
                memo: if r.memo == "Cancelled late: part back to the mentee, part to the mentor" {
                    super::bookings::LATE_SPLIT.to_string()
                } else {
                    r.memo
                },
                booking_id: r.booking_id,
                booking_title: r.booking_title,
                booking_start: r.booking_start.map(|t| t.to_string()),
                booking_with: r.booking_with,
                booking_status: r.booking_status,
                group_session_id: r.group_session_id,
                group_start: r.group_start.map(|t| t.to_string()),
                program_name: r.program_name,
                created_at: r.created_at.to_string(),
            })
            .collect(),
        next_cursor,
        worth: worth(ctx),
        sponsored: store::ledger::sponsored_of(&ctx.db.pool, &user.id)
            .await?
            .into_iter()
            .map(|(program_id, program_name, credits)| SponsoredView {
                program_id,
                program_name,
                credits,
            })
            .collect(),
    })
}

/// `POST /api/v1/admin/credits/grant`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    pub user_id: String,
    /// 1 to 1,000,000 credits.
    pub amount: i64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub transfer_id: String,
    pub user_id: String,
    pub amount: i64,
    /// The user's wallet balance after the grant.
    pub balance: i64,
    /// True when this was a replay of an earlier request with the same idempotency key.
    pub replayed: bool,
}

/// A grant's amount (1 to 1,000,000) and reason (required, one line): the reason, or
/// every problem at once.
pub fn check_grant(amount: i64, reason: &str) -> Result<String, Vec<crate::error::FieldError>> {
    let mut errors = vec![];
    if !(1..=1_000_000).contains(&amount) {
        errors.push(crate::error::FieldError::new(
            "amount",
            "out_of_range",
            "Grant between 1 and 1,000,000 credits.",
        ));
    }
    let reason = crate::domain::text::required_line("reason", reason, 500)
        .map_err(|e| errors.push(e))
        .ok();
    match reason {
        Some(r) if errors.is_empty() => Ok(r),
        _ => Err(errors),
    }
}

/// Grants credits from the outside world to a user's wallet. With an idempotency key,
/// a retried request grants once.
#[tracing::instrument(name = "credits::grant", skip_all, fields(user_id = %actor.id))]
pub async fn grant(
    ctx: &Ctx,
    actor: &UserRow,
    input: &GrantInput,
    idempotency_key: Option<&str>,
) -> AppResult<GrantView> {
    if !Roles::from_db(&actor.roles).has(Role::Admin) {
        return Err(AppError::forbidden(
            "Only administrators can grant credits.",
        ));
    }
    let reason = check_grant(input.amount, &input.reason).map_err(AppError::Invalid)?;
    let user_id = crate::domain::ids::parse_id(&input.user_id)
        .ok_or_else(|| AppError::invalid("user_id", "not_found", "There is no such user."))?;
    let user = store::users::by_id(&ctx.db.pool, &user_id)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or_else(|| AppError::invalid("user_id", "not_found", "There is no such user."))?;
    let key = match idempotency_key {
        Some(k) => format!("grant:{}:{k}", actor.id),
        None => format!("grant:{}", new_id()),
    };
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let outcome = grant_in(
        &mut tx,
        &user.id,
        input.amount,
        (&key, Some(&actor.id)),
        &reason,
        now,
    )
    .await?;
    let (transfer_id, replayed) = match outcome {
        Outcome::Applied(id) => (id, false),
        Outcome::Replayed(id) => {
            // The key's first grant must be this one: a key reused for another
            // person, amount or reason would otherwise answer as if it were granted.
            let first = store::ledger::grant_of(&mut *tx, &id).await?;
            if first.as_ref() != Some(&(user.id.to_string(), input.amount, reason.clone())) {
                return Err(AppError::invalid(
                    "Idempotency-Key",
                    "idempotency_key_reused",
                    "This Idempotency-Key was already used for a different grant.",
                ));
            }
            (id, true)
        }
    };
    if !replayed {
        store::audit::insert(
            &mut *tx,
            &NewAudit {
                actor_id: Some(&actor.id),
                action: "credits.grant",
                target_type: "user",
                target_id: &user.id,
                before: serde_json::Value::Null,
                after: serde_json::json!({"amount": input.amount, "reason": reason}),
                now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(GrantView {
        transfer_id,
        user_id: user.id.to_string(),
        amount: input.amount,
        balance: store::ledger::wallet_balance(&ctx.db.pool, &user.id).await?,
        replayed,
    })
}

/// Grants `amount` credits from the outside world to a user's wallet in the caller's
/// transaction, once per ledger `key`; `actor` is the admin who granted, if any.
pub async fn grant_in(
    tx: &mut Tx,
    user_id: &str,
    amount: i64,
    (key, actor): (&str, Option<&str>),
    memo: &str,
    now: jiff::Timestamp,
) -> AppResult<Outcome> {
    let wallet = store::ledger::wallet(tx, user_id, now).await?;
    store::ledger::transfer(
        tx,
        &Transfer {
            key,
            kind: "grant",
            booking_id: None,
            actor_id: actor,
            memo,
            legs: vec![(WORLD.to_string(), -amount), (wallet, amount)],
            now,
        },
    )
    .await
    .map_err(|e| transfer_error(e, amount))
}

/// The welcome grant of a new account (`MENTORHUB_WELCOME_CREDITS`; none when 0), in
/// the transaction that creates it.
pub async fn welcome(ctx: &Ctx, tx: &mut Tx, user_id: &str, now: jiff::Timestamp) -> AppResult<()> {
    let amount = ctx.config.welcome_credits;
    if amount > 0 {
        let key = format!("welcome:{user_id}");
        grant_in(tx, user_id, amount, (&key, None), "Welcome credits", now).await?;
    }
    Ok(())
}

/// What a credit is worth, in a sentence for every page that spends or sells them: the
/// operator's stated value (`MENTORHUB_CREDIT_VALUE`), else the price of the packs on
/// sale, else what credits are for.
pub fn worth(ctx: &Ctx) -> String {
    if let Some(v) = &ctx.config.credit_value {
        return v.sentence();
    }
    if super::payments::enabled(ctx)
        && let Some(w) = crate::domain::credit::worth_from_packs(super::payments::packs(ctx))
    {
        return w;
    }
    "Credits are this site's own currency: a mentor's rate is in credits per hour.".into()
}
