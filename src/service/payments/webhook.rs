//! The Stripe webhook: a verified delivery applied once, in any order (see the
//! module above for the rules).

use super::*;

/// What the webhook did (for the response body and the tests).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResult {
    pub received: bool,
    /// The event was already received: nothing changed.
    pub duplicate: bool,
}

/// Verifies and applies one webhook delivery.
#[tracing::instrument(name = "payments::webhook", skip_all)]
pub async fn webhook(ctx: &Ctx, signature: Option<&str>, body: &[u8]) -> AppResult<WebhookResult> {
    if ctx.config.stripe_webhook_secrets.is_empty() {
        return Err(disabled());
    }
    payment::verify_signature(
        signature,
        body,
        &ctx.config.stripe_webhook_secrets,
        ctx.clock.now().as_second(),
    )
    .map_err(|e| AppError::bad_request("invalid_signature", e.message()))?;
    let event: Value = serde_json::from_slice(body)
        .map_err(|_| AppError::bad_request("invalid_json", "The event is not JSON."))?;
    let (Some(event_id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Err(AppError::bad_request(
            "invalid_event",
            "The event has no id or type.",
        ));
    };
    let obj = &event["data"]["object"];
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    if !store::payments::record_event(&mut tx, event_id, kind, now).await? {
        return Ok(WebhookResult {
            received: true,
            duplicate: true,
        });
    }
    let mut notes: Vec<(String, &'static str)> = vec![];
    match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            if let Some(p) = find_for_session(&mut tx, obj).await? {
                store::payments::note_event(&mut tx, event_id, Some(&p.id), None).await?;
                let intent = obj["payment_intent"].as_str();
                let paid = matches!(
                    obj["payment_status"].as_str(),
                    Some("paid" | "no_payment_required")
                );
                if paid {
                    if succeed(&mut tx, &p, intent, now).await? {
                        notes.push((p.id.clone(), "succeeded"));
                    }
                } else if let Some(i) = intent {
                    // Paid later (bank debits): remember the intent for now.
                    store::payments::set_intent(&mut tx, &p.id, i, now).await?;
                }
            }
        }
        "checkout.session.async_payment_failed" | "checkout.session.expired" => {
            if let Some(p) = find_for_session(&mut tx, obj).await? {
                store::payments::note_event(&mut tx, event_id, Some(&p.id), None).await?;
                let status = p.status;
                if status.may_fail() {
                    let reason = if kind.ends_with("expired") {
                        "checkout expired"
                    } else {
                        "payment failed"
                    };
                    store::payments::mark_failed(&mut *tx, &p.id, reason, now).await?;
                    notes.push((p.id.clone(), "failed"));
                }
            }
        }
        "charge.refunded" => {
            let intent = obj["payment_intent"].as_str().unwrap_or_default();
            let total = obj["amount_refunded"].as_i64().unwrap_or(0);
            let p = store::payments::find(&mut tx, None, None, Some(intent)).await?;
            match p {
                Some(p) => {
                    store::payments::note_event(&mut tx, event_id, Some(&p.id), None).await?;
                    if apply_refund(&mut tx, &p, total, now).await? {
                        notes.push((p.id.clone(), "refunded"));
                    }
                }
                None if !intent.is_empty() => {
                    // Perhaps ours, before its checkout completed: keep it for then.
                    store::payments::note_event(&mut tx, event_id, None, Some((intent, total)))
                        .await?;
                }
                None => {}
            }
        }
        _ => {}
    }
    tx.commit().await?;
    for (payment_id, what) in notes {
        if let Err(e) = notify_buyer(ctx, &payment_id, what).await {
            tracing::warn!(payment = %payment_id, error = ?e, "payment notification failed");
        }
    }
    Ok(WebhookResult {
        received: true,
        duplicate: false,
    })
}

async fn find_for_session(tx: &mut Tx, obj: &Value) -> AppResult<Option<PaymentRow>> {
    Ok(store::payments::find(
        tx,
        obj["metadata"]["payment_id"].as_str(),
        obj["id"].as_str(),
        obj["payment_intent"].as_str(),
    )
    .await?)
}

/// Marks a payment paid and grants its credits (once: the ledger key is the payment's),
/// then applies refunds that were waiting for it and queues its booking. Returns
/// whether anything changed.
async fn succeed(
    tx: &mut Tx,
    p: &PaymentRow,
    intent: Option<&str>,
    now: jiff::Timestamp,
) -> AppResult<bool> {
    let status = p.status;
    if !status.may_succeed() {
        return Ok(false);
    }
    if !store::payments::mark_succeeded(tx, &p.id, intent, now).await? {
        return Ok(false);
    }
    let wallet = store::ledger::wallet(tx, &p.user_id, now).await?;
    let memo = format!("Bought {} credits", p.credits);
    store::ledger::transfer(
        tx,
        &Transfer {
            key: &format!("payment:{}", p.id),
            kind: "purchase",
            booking_id: None,
            actor_id: None,
            memo: &memo,
            legs: vec![(WORLD.to_string(), -p.credits), (wallet, p.credits)],
            now,
        },
    )
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("granting bought credits: {e:?}")))?;
    let intent = intent.or(p.payment_intent_id.as_deref());
    if let Some(i) = intent
        && let Some(total) = store::payments::take_pending_refunds(tx, i).await?
    {
        let mut paid = p.clone();
        paid.status = PaymentStatus::Succeeded;
        apply_refund(tx, &paid, total, now).await?;
    }
    if !p.booking_request.is_empty() {
        jobs::enqueue(
            tx,
            &jobs::Job::PlaceBooking {
                payment_id: p.id.clone(),
            },
            now,
            Some(&format!("place:{}", p.id)),
            now,
        )
        .await?;
    }
    Ok(true)
}

/// Applies a refund whose cumulative total is `total_cents`: records it and takes
/// back the refunded share of the credits, as far as the wallet allows. Returns
/// whether anything changed.
pub(super) async fn apply_refund(
    tx: &mut Tx,
    p: &PaymentRow,
    total_cents: i64,
    now: jiff::Timestamp,
) -> AppResult<bool> {
    let total = total_cents.clamp(0, p.amount_cents);
    if total <= p.refunded_cents {
        return Ok(false);
    }
    let granted = p.status == PaymentStatus::Succeeded
        || (p.status == PaymentStatus::Refunded && p.succeeded_at.is_some());
    let due = if granted {
        payment::credits_to_reclaim(p.credits, p.amount_cents, total, p.reclaimed_credits)
    } else {
        0
    };
    let balance = store::ledger::wallet_balance(&mut **tx, &p.user_id).await?;
    let take = due.min(balance).max(0);
    if take > 0 {
        let wallet = store::ledger::wallet(tx, &p.user_id, now).await?;
        let outcome = store::ledger::transfer(
            tx,
            &Transfer {
                key: &format!("refund:{}:{total}", p.id),
                kind: "refund_purchase",
                booking_id: None,
                actor_id: None,
                memo: "Credits taken back for a refunded purchase",
                legs: vec![(wallet, -take), (WORLD.to_string(), take)],
                now,
            },
        )
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reclaiming refunded credits: {e:?}")))?;
        if matches!(outcome, Outcome::Replayed(_)) {
            return Ok(false);
        }
    }
    let flag = if take < due {
        format!(
            "Refund: {} of {due} credits could not be taken back (already spent).",
            due - take
        )
    } else {
        String::new()
    };
    store::payments::mark_refunded(tx, &p.id, total, p.reclaimed_credits + take, &flag, now)
        .await?;
    Ok(true)
}
