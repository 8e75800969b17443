//! Becoming a mentor: what approval changes (roles, the first services), the admins' decisions on applications, and their audit.

use super::*;

/// Everything approval brings: the mentor role and, for a mentor with no services yet,
/// a default 60-minute session at the hourly rate.
pub(super) async fn on_approved(
    tx: &mut Tx,
    user: &UserRow,
    hourly_rate: i64,
    now: jiff::Timestamp,
) -> AppResult<()> {
    let mut roles = Roles::from_db(&user.roles).list().to_vec();
    roles.push(Role::Mentor);
    store::users::set_roles(&mut **tx, &user.id, &Roles::new(roles).to_db(), now).await?;
    if store::mentors::services_of(&mut **tx, &user.id, true)
        .await?
        .is_empty()
    {
        store::mentors::insert_service(
            &mut **tx,
            &new_id(),
            &user.id,
            &ServiceWrite {
                kind: ServiceKind::Session.as_str(),
                title: "1:1 mentoring session",
                description: "A one-hour video call about whatever you need: career, code, interviews, next steps.",
                duration_minutes: 60,
                credit_cost: hourly_rate,
                active: true,
            },
            now,
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn audit_decision(
    tx: &mut Tx,
    actor: Option<&str>,
    user_id: &str,
    from: MentorStatus,
    to: MentorStatus,
    reason: &str,
    now: jiff::Timestamp,
) -> AppResult<()> {
    store::audit::insert(
        &mut **tx,
        &NewAudit {
            actor_id: actor,
            action: match to {
                MentorStatus::Approved => "mentor.approve",
                _ => "mentor.reject",
            },
            target_type: "user",
            target_id: user_id,
            before: serde_json::json!({"mentor_status": from.as_str()}),
            after: serde_json::json!({"mentor_status": to.as_str(), "reason": reason}),
            now,
        },
    )
    .await?;
    Ok(())
}

/// What a decided applicant is told: what follows, and the admins' words if any.
fn decision_body(approve: bool, reason: &str) -> String {
    let next = if approve {
        "Your profile is now public: mentees can find you, ask you for mentorship and \
         book your services. Next, open your weekly hours (Settings › Availability) and \
         check your services, so that there are times to book."
    } else {
        "Your profile stays private. You can improve it and apply again from \
         Settings › Mentor profile."
    };
    match reason.trim() {
        "" => next.to_string(),
        r => format!("{next}\nFrom the administrators: {r}"),
    }
}

pub(super) fn require_admin(actor: &UserRow) -> AppResult<()> {
    if Roles::from_db(&actor.roles).has(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::forbidden("Only administrators can do this."))
    }
}

/// The admin's queue, oldest application first.
pub async fn applications(
    ctx: &Ctx,
    actor: &UserRow,
    status: Option<MentorStatus>,
    after: Option<(i64, String)>,
    limit: i64,
) -> AppResult<Vec<store::mentors::ApplicationRow>> {
    require_admin(actor)?;
    Ok(
        store::mentors::applications(&ctx.db.pool, status.map(MentorStatus::as_str), after, limit)
            .await?,
    )
}

/// Approves or rejects an application. Approve works on pending, rejected and suspended
/// mentors; reject on pending and approved ones (which then leave discovery).
pub async fn decide(
    ctx: &Ctx,
    actor: &UserRow,
    user_id: &str,
    approve: bool,
    reason: Option<&str>,
) -> AppResult<MentorProfileRow> {
    require_admin(actor)?;
    let reason = text::optional_line("reason", reason.unwrap_or(""), 500)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    // The applicant is told why, so that they know what to improve.
    if !approve && reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "required",
            "Say why the application is rejected: the applicant reads it to improve it.",
        ));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let mut live = crate::service::events::Live::new();
    let profile = store::mentors::profile(&mut *tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let user = store::users::by_id(&mut *tx, user_id)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    let from = profile.status;
    let to = if approve {
        MentorStatus::Approved
    } else {
        MentorStatus::Rejected
    };
    let allowed = match to {
        MentorStatus::Approved => matches!(
            from,
            MentorStatus::Pending | MentorStatus::Rejected | MentorStatus::Suspended
        ),
        _ => matches!(from, MentorStatus::Pending | MentorStatus::Approved),
    };
    if !allowed {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "This application is {}; it cannot be {}.",
                from.as_str(),
                if approve { "approved" } else { "rejected" }
            ),
        ));
    }
    store::mentors::set_status(&mut tx, user_id, to.as_str(), &reason, Some(&actor.id), now)
        .await?;
    if approve {
        on_approved(&mut tx, &user, profile.hourly_rate, now).await?;
    } else {
        let roles: Vec<Role> = Roles::from_db(&user.roles)
            .list()
            .iter()
            .copied()
            .filter(|r| *r != Role::Mentor)
            .collect();
        store::users::set_roles(&mut *tx, user_id, &Roles::new(roles).to_db(), now).await?;
    }
    let note = crate::service::notify::Note {
        reader: None,
        user_id: &user.id,
        email: &user.email,
        kind: crate::service::notify::APPLICATION_DECIDED,
        title: if approve {
            "You are now a mentor on mentorhub".into()
        } else {
            "Your mentor application was not approved".into()
        },
        body: decision_body(approve, &reason),
        link: if approve {
            "/settings/availability".into()
        } else {
            "/settings/mentor".into()
        },
        related_id: None,
        ics: None,
    };
    crate::service::notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    crate::service::notify::handled_by_admins(
        &mut tx,
        crate::service::notify::MENTOR_APPLIED,
        user_id,
        now,
        &mut live,
    )
    .await?;
    audit_decision(&mut tx, Some(&actor.id), user_id, from, to, &reason, now).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    if approve {
        // Approval may bring the first service, from which the next free slot is found
        // (availability set while the application waited found none).
        crate::service::availability::refresh_next_free_after(ctx, user_id).await;
    }
    ctx.discovery.invalidate();
    store::mentors::profile(&ctx.db.pool, user_id)
        .await?
        .ok_or(AppError::NotFound)
}
