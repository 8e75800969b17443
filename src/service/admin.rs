//! Admin use cases on accounts. Every change is written to the audit log in the same
//! transaction as the change itself.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{Ctx, auth};
use crate::{
    domain::{
        ids::new_id,
        mentor::MentorStatus,
        text,
        user::{Email, Password, Role, Roles},
    },
    error::{AppError, AppResult, FieldError},
    store::{
        self,
        audit::NewAudit,
        users::{UserFilter, UserRow, UserStatus},
    },
};

/// Whether the user holds the admin role.
pub fn is_admin(user: &UserRow) -> bool {
    Roles::from_db(&user.roles).has(Role::Admin)
}

pub fn require_admin(actor: &UserRow) -> AppResult<()> {
    if is_admin(actor) {
        Ok(())
    } else {
        Err(AppError::forbidden("Only administrators can do this."))
    }
}

/// Parsed query of the admin user list.
#[derive(Debug, Default)]
pub struct UserQuery {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub before_id: Option<String>,
    pub limit: i64,
}

pub async fn list_users(ctx: &Ctx, actor: &UserRow, q: &UserQuery) -> AppResult<Vec<UserRow>> {
    require_admin(actor)?;
    let filter = UserFilter {
        q: q.q
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| store::like_escape(&s.to_lowercase())),
        role_pattern: q.role.map(Roles::like_pattern),
        status: q.status,
        before_id: q.before_id.clone(),
        limit: q.limit,
    };
    Ok(store::users::search(&ctx.db.pool, &filter).await?)
}

async fn target(ctx: &Ctx, id: &str) -> AppResult<UserRow> {
    store::users::by_id(&ctx.db.pool, id)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or(AppError::NotFound)
}

/// One account (admins; closed accounts are not found).
pub async fn user(ctx: &Ctx, admin: &UserRow, id: &str) -> AppResult<UserRow> {
    require_admin(admin)?;
    target(ctx, id).await
}

/// The account with this email (admins; closed accounts are not found).
pub async fn user_by_email(ctx: &Ctx, admin: &UserRow, email: &str) -> AppResult<UserRow> {
    require_admin(admin)?;
    let email = crate::domain::user::Email::parse(email).map_err(|e| AppError::Invalid(vec![e]))?;
    store::users::by_email(&ctx.db.pool, email.as_str())
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or_else(|| AppError::invalid("email", "not_found", "No account has this email."))
}

/// `POST /api/v1/admin/users/{id}/suspend`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendInput {
    /// Why (required, up to 500 characters), shown to other admins and in the audit
    /// log.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Suspends a user: every session ends at once, and no token works on the next request;
/// their coming bookings and the group sessions they lead are cancelled, refunded in
/// full ([`super::wind_down`]).
#[tracing::instrument(name = "admin::suspend", skip_all, fields(user_id = %actor.id, id = %id))]
pub async fn suspend(
    ctx: &Ctx,
    actor: &UserRow,
    id: &str,
    input: &SuspendInput,
) -> AppResult<(UserRow, Option<super::wind_down::Ended>)> {
    require_admin(actor)?;
    let user = target(ctx, id).await?;
    if user.id == actor.id {
        return Err(AppError::conflict(
            "cannot_suspend_self",
            "You cannot suspend your own account.",
        ));
    }
    // Other admins and the audit log need to know why.
    let reason = text::required_line("reason", input.reason.as_deref().unwrap_or(""), 500)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    suspend_in(ctx, &mut tx, actor, &user, &reason, now, &mut live).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    let ended = after_suspension(ctx, actor, &user).await;
    Ok((target(ctx, id).await?, ended))
}

/// The suspension itself, inside `tx`: the account is marked, its sessions and reset
/// links end, the audit log says who and why, the person is told (by email: they
/// cannot sign in; in the app, read once it is lifted). [`after_suspension`] follows
/// the commit.
pub(crate) async fn suspend_in(
    ctx: &Ctx,
    tx: &mut store::Tx,
    actor: &UserRow,
    user: &UserRow,
    reason: &str,
    now: jiff::Timestamp,
    live: &mut super::events::Live,
) -> AppResult<()> {
    store::users::set_suspension(&mut **tx, &user.id, Some(now), reason, now).await?;
    store::sessions::revoke_all_for_user(&mut **tx, &user.id, None, now).await?;
    // Nor may a reset link from before the suspension work once it is lifted.
    store::password_resets::spend_all_for_user(&mut **tx, &user.id, now).await?;
    store::audit::insert(
        &mut **tx,
        &NewAudit {
            actor_id: Some(&actor.id),
            action: "user.suspend",
            target_type: "user",
            target_id: &user.id,
            before: serde_json::json!({"suspended": user.suspended_at.is_some()}),
            after: serde_json::json!({"suspended": true, "reason": reason}),
            now,
        },
    )
    .await?;
    // The reason is the administrators' (the audit log's), not quoted to the person.
    let contact = match ctx.config.contact_email.as_deref() {
        Some(c) => format!("To ask why or to appeal, write to {c}."),
        None => "To ask why or to appeal, contact the site's administrators.".into(),
    };
    tell_account(
        ctx,
        tx,
        user,
        // No link: they cannot sign in to follow one.
        ("Your account is suspended", ""),
        format!(
            "An administrator suspended your account. While it is suspended you cannot \
             sign in, and your coming sessions are cancelled with their credits refunded \
             to whoever paid them. {contact}"
        ),
        now,
        live,
    )
    .await
}

/// A notice to `user` of their account's standing, in the caller's transaction: its
/// title and the page it leads to ("" for none).
async fn tell_account(
    ctx: &Ctx,
    tx: &mut store::Tx,
    user: &UserRow,
    (title, link): (&str, &str),
    body: String,
    now: jiff::Timestamp,
    live: &mut super::events::Live,
) -> AppResult<()> {
    let note = super::notify::Note {
        reader: None,
        user_id: &user.id,
        email: &user.email,
        kind: super::notify::ACCOUNT_STATUS,
        title: title.into(),
        body,
        link: link.into(),
        related_id: None,
        ics: None,
    };
    super::notify::notify(ctx, tx, &note, now, live).await
}

/// What follows a committed suspension: the person's open pages and sockets close,
/// listings forget them, and their coming sessions are wound down.
pub(crate) async fn after_suspension(
    ctx: &Ctx,
    actor: &UserRow,
    user: &UserRow,
) -> Option<super::wind_down::Ended> {
    ctx.realtime
        .sessions_ended(ctx, &user.id, super::events::Ended::All)
        .await;
    ctx.discovery.invalidate();
    // Mentees do not keep paying for sessions a suspended mentor will not come to,
    // nor mentors keep time for a suspended mentee. The suspension stands whatever
    // happens here: a failure is logged for the operator, not answered.
    // A failure (or a crash before the end) is finished by the maintenance pass
    // ([`super::wind_down::finish_interrupted`]).
    match super::wind_down::wind_down(ctx, user, super::wind_down::Why::Suspended, actor).await {
        Ok(ended) => {
            super::wind_down::done(ctx, user).await;
            Some(ended)
        }
        Err(e) => {
            tracing::error!(user_id = %user.id, error = %e.detail(), "cancelling a suspended person's sessions failed; the maintenance pass retries");
            None
        }
    }
}

#[tracing::instrument(name = "admin::unsuspend", skip_all, fields(user_id = %actor.id, id = %id))]
pub async fn unsuspend(ctx: &Ctx, actor: &UserRow, id: &str) -> AppResult<UserRow> {
    require_admin(actor)?;
    let user = target(ctx, id).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    store::users::set_suspension(&mut *tx, &user.id, None, "", now).await?;
    if user.suspended_at.is_some() && user.deleted_at.is_none() {
        tell_account(
            ctx,
            &mut tx,
            &user,
            ("Your account is active again", "/dashboard"),
            "An administrator lifted the suspension of your account: you can sign in again. \
             Sessions cancelled while it was suspended stay cancelled (their credits were \
             refunded); book again when you are ready."
                .into(),
            now,
            &mut live,
        )
        .await?;
    }
    store::audit::insert(
        &mut *tx,
        &NewAudit {
            actor_id: Some(&actor.id),
            action: "user.unsuspend",
            target_type: "user",
            target_id: &user.id,
            before: serde_json::json!({"suspended": user.suspended_at.is_some()}),
            after: serde_json::json!({"suspended": false}),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.discovery.invalidate();
    target(ctx, id).await
}

/// `PUT /api/v1/admin/users/{id}/roles`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesInput {
    /// The complete new set, e.g. `["mentee", "mentor"]`. `mentee` is always kept.
    pub roles: Vec<String>,
}

#[tracing::instrument(name = "admin::set_roles", skip_all, fields(user_id = %actor.id, id = %id))]
pub async fn set_roles(
    ctx: &Ctx,
    actor: &UserRow,
    id: &str,
    input: &RolesInput,
) -> AppResult<UserRow> {
    require_admin(actor)?;
    let mut roles = vec![Role::Mentee];
    for (i, raw) in input.roles.iter().enumerate() {
        match Role::parse(raw) {
            Some(r) => roles.push(r),
            None => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    &format!("roles[{i}]"),
                    "invalid_role",
                    "A role is one of mentee, mentor, admin.",
                )]));
            }
        }
    }
    let roles = Roles::new(roles);
    let user = target(ctx, id).await?;
    if user.id == actor.id && !roles.has(Role::Admin) {
        return Err(AppError::conflict(
            "cannot_demote_self",
            "You cannot remove your own admin role; ask another admin.",
        ));
    }
    let before = Roles::from_db(&user.roles);
    // Mentoring comes with an approved application (the profile, the listing, the
    // services): the role alone would make a mentor nobody can find or book. Taking
    // the role away suspends the approved profile (out of search, no new bookings or
    // requests; what is booked stays), and giving it back lifts that suspension.
    let status = store::mentors::profile(&ctx.db.pool, &user.id)
        .await?
        .map(|p| p.status);
    let profile_to = match (before.has(Role::Mentor), roles.has(Role::Mentor), status) {
        (true, false, Some(MentorStatus::Approved)) => Some(MentorStatus::Suspended),
        (false, true, Some(MentorStatus::Suspended)) => Some(MentorStatus::Approved),
        _ => None,
    };
    if roles.has(Role::Mentor) && !before.has(Role::Mentor) {
        let approved = matches!(
            status,
            Some(MentorStatus::Approved | MentorStatus::Suspended)
        );
        if !approved {
            return Err(AppError::invalid(
                "roles",
                "no_approved_application",
                "The mentor role comes with an approved mentor application: they apply from \
                 their settings, and you approve it under Applications.",
            ));
        }
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::users::set_roles(&mut *tx, &user.id, &roles.to_db(), now).await?;
    if let Some(to) = profile_to {
        let reason = match to {
            MentorStatus::Suspended => "an administrator took the mentor role away",
            _ => "",
        };
        store::mentors::set_status(&mut tx, &user.id, to.as_str(), reason, Some(&actor.id), now)
            .await?;
    }
    store::audit::insert(
        &mut *tx,
        &NewAudit {
            actor_id: Some(&actor.id),
            action: "user.set_roles",
            target_type: "user",
            target_id: &user.id,
            before: serde_json::json!({"roles": before.list()}),
            after: serde_json::json!({"roles": roles.list()}),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.discovery.invalidate();
    target(ctx, id).await
}

/// What `admin create` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminCreated {
    Created,
    Promoted,
}

/// CLI `admin create`: makes a new admin account, or, when the email is already
/// registered, grants it the admin role and sets the given password.
pub async fn create_admin(
    ctx: &Ctx,
    email: &str,
    password: &str,
) -> AppResult<(UserRow, AdminCreated)> {
    let email = Email::parse(email).map_err(|e| AppError::Invalid(vec![e]))?;
    let password = Password::parse("password", password).map_err(|e| AppError::Invalid(vec![e]))?;
    let hash = auth::hash_password(password.expose()).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let outcome = match store::users::by_email(&mut *tx, email.as_str()).await? {
        Some(existing) if existing.deleted_at.is_none() => {
            let mut roles = Roles::from_db(&existing.roles).list().to_vec();
            roles.push(Role::Admin);
            store::users::set_roles(&mut *tx, &existing.id, &Roles::new(roles).to_db(), now)
                .await?;
            store::users::set_password_hash(&mut *tx, &existing.id, &hash, now).await?;
            store::sessions::revoke_all_for_user(&mut *tx, &existing.id, None, now).await?;
            // A reset link asked for before must not set another password over this one.
            store::password_resets::spend_all_for_user(&mut *tx, &existing.id, now).await?;
            (existing.id.into(), AdminCreated::Promoted)
        }
        _ => {
            let id = new_id();
            // Named by the address's first part ("ops@…" is Ops Admin), a name as
            // people write one (the settings page changes it; a profile needs both
            // parts). A surname "(admin)" was shown to members as if it were one.
            let local: String = email
                .as_str()
                .split('@')
                .next()
                .filter(|l| !l.is_empty())
                .unwrap_or("admin")
                .chars()
                .enumerate()
                .map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c })
                .collect();
            let written = store::users::insert(
                &mut *tx,
                &store::users::NewUser {
                    id: &id,
                    email: email.as_str(),
                    password_hash: &hash,
                    roles: &Roles::new(vec![Role::Mentee, Role::Admin]).to_db(),
                    first_name: &local.chars().take(100).collect::<String>(),
                    last_name: "Admin",
                    timezone: "UTC",
                    clock: "",
                    now,
                },
            )
            .await?;
            if !written {
                return Err(AppError::invalid(
                    "email",
                    "email_taken",
                    "An account with this email was created meanwhile; run the command again.",
                ));
            }
            (id, AdminCreated::Created)
        }
    };
    store::audit::insert(
        &mut *tx,
        &NewAudit {
            actor_id: None,
            action: "user.admin_create",
            target_type: "user",
            target_id: &outcome.0,
            before: serde_json::Value::Null,
            after: serde_json::json!({"admin": true, "via": "cli"}),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    let user = store::users::by_id(&ctx.db.pool, &outcome.0)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((user, outcome.1))
}
