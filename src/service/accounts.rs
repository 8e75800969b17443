//! Accounts: register, sign in, own profile, password, export, closing an account.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    ClientInfo, Ctx,
    auth::{self, TokenPair, WebSession},
    events::Ended,
};
use crate::{
    domain::{
        clock,
        ids::new_id,
        text,
        user::{Email, Password, Role, Roles, TimeZoneName},
    },
    error::{AppError, AppResult, FieldError, Validator},
    store,
};

/// An account as the application reads it (its status: [`UserStatus`]).
pub use crate::store::users::{UserRow, UserStatus};

/// `POST /api/v1/auth/register`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    /// IANA time zone name; defaults to UTC.
    #[serde(default)]
    pub timezone: Option<String>,
    /// How emails and pages write times: `24h` (14:00) or `12h` (2:00 PM); absent or
    /// empty: learned from the browser at the first sign-in on the web, 24-hour until
    /// then.
    #[serde(default)]
    pub clock: Option<String>,
    /// Also apply to become a mentor (completed by filling in the mentor profile).
    #[serde(default)]
    pub as_mentor: Option<bool>,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

pub const NAME_MAX: usize = 100;
pub const HEADLINE_MAX: usize = 160;
pub const BIO_MAX: usize = 5000;

struct ValidRegistration {
    email: Email,
    password: Password,
    first_name: String,
    last_name: String,
    timezone: TimeZoneName,
    clock: String,
}

fn validate_registration(input: &RegisterInput) -> AppResult<ValidRegistration> {
    // Checked in the sign-up form's order, so its summary reads top to bottom.
    let mut v = Validator::new();
    let first_name = v.check(text::required_line(
        "first_name",
        &input.first_name,
        NAME_MAX,
    ));
    let last_name = v.check(text::required_line("last_name", &input.last_name, NAME_MAX));
    let email = v.check(Email::parse(&input.email));
    let password = v.check(Password::parse("password", &input.password));
    let timezone = v.check(TimeZoneName::parse(
        "timezone",
        input.timezone.as_deref().unwrap_or("UTC"),
    ));
    let clock = v.check(clock::parse("clock", input.clock.as_deref().unwrap_or("")));
    v.finish()?;
    match (email, password, first_name, last_name, timezone, clock) {
        (
            Some(email),
            Some(password),
            Some(first_name),
            Some(last_name),
            Some(timezone),
            Some(clock),
        ) => Ok(ValidRegistration {
            email,
            password,
            first_name,
            last_name,
            timezone,
            clock,
        }),
        _ => Err(AppError::Internal(anyhow::anyhow!(
            "validator passed with a missing field"
        ))),
    }
}

fn email_taken() -> AppError {
    AppError::Invalid(vec![FieldError::new(
        "email",
        "email_taken",
        "An account with this email already exists. Sign in instead.",
    )])
}

/// Creates the account row (as a mentee) and returns it, inside `tx`. The password
/// is hashed before (`hash`): that takes ~15 ms, which must not be spent holding the
/// write lock.
async fn create_user(
    ctx: &Ctx,
    tx: &mut store::Tx,
    r: &ValidRegistration,
    hash: &str,
    roles: &Roles,
) -> AppResult<UserRow> {
    let id = new_id();
    let now = ctx.now();
    let written = store::users::insert(
        &mut **tx,
        &store::users::NewUser {
            id: &id,
            email: r.email.as_str(),
            password_hash: hash,
            roles: &roles.to_db(),
            first_name: &r.first_name,
            last_name: &r.last_name,
            timezone: r.timezone.as_str(),
            clock: &r.clock,
            now,
        },
    )
    .await?;
    if !written {
        return Err(email_taken());
    }
    store::users::by_id(&mut **tx, &id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("inserted user vanished")))
}

/// Registers an account and signs it in through the API.
#[tracing::instrument(name = "accounts::register", skip_all)]
pub async fn register(
    ctx: &Ctx,
    input: &RegisterInput,
    client: &ClientInfo,
) -> AppResult<(UserRow, TokenPair)> {
    let r = validate_registration(input)?;
    let hash = auth::hash_password(r.password.expose()).await?;
    let mut tx = ctx.db.begin_write().await?;
    let user = create_user(ctx, &mut tx, &r, &hash, &Roles::new(vec![Role::Mentee])).await?;
    if input.as_mentor == Some(true) {
        super::mentors::start_draft(&mut tx, &user.id, ctx.now()).await?;
    }
    super::credits::welcome(ctx, &mut tx, &user.id, ctx.now()).await?;
    let pair = auth::start_api_session(ctx, &mut tx, &user.id, client).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "account registered");
    Ok((user, pair))
}

/// Registers an account and signs it in on the web.
#[tracing::instrument(name = "accounts::register_web", skip_all)]
pub async fn register_web(
    ctx: &Ctx,
    input: &RegisterInput,
    client: &ClientInfo,
) -> AppResult<(UserRow, WebSession)> {
    let r = validate_registration(input)?;
    let hash = auth::hash_password(r.password.expose()).await?;
    let mut tx = ctx.db.begin_write().await?;
    let user = create_user(ctx, &mut tx, &r, &hash, &Roles::new(vec![Role::Mentee])).await?;
    if input.as_mentor == Some(true) {
        super::mentors::start_draft(&mut tx, &user.id, ctx.now()).await?;
    }
    super::credits::welcome(ctx, &mut tx, &user.id, ctx.now()).await?;
    let session = auth::start_web_session(ctx, &mut tx, &user.id, client).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "account registered");
    Ok((user, session))
}

fn bad_credentials() -> AppError {
    AppError::unauthorized(
        "invalid_credentials",
        "The email or password is not correct.",
    )
}

/// Checks an email and password. Unknown email, wrong password and a closed account all
/// give the same answer, in the same time. A suspended account is told so (after the
/// password matched), so its owner knows why.
pub async fn check_credentials(ctx: &Ctx, input: &LoginInput) -> AppResult<UserRow> {
    let Ok(email) = Email::parse(&input.email) else {
        auth::verify_against_dummy(&input.password).await?;
        return Err(bad_credentials());
    };
    if input.password.is_empty() || input.password.chars().count() > Password::MAX {
        return Err(bad_credentials());
    }
    let user = store::users::by_email(&ctx.db.pool, email.as_str()).await?;
    let Some(user) = user.filter(|u| u.deleted_at.is_none()) else {
        auth::verify_against_dummy(&input.password).await?;
        return Err(bad_credentials());
    };
    if !auth::verify_password(&input.password, &user.password_hash).await? {
        return Err(bad_credentials());
    }
    if user.suspended_at.is_some() {
        return Err(AppError::forbidden(match &ctx.config.contact_email {
            Some(to) => {
                format!("This account is suspended. To ask why or to appeal, write to {to}.")
            }
            None => "This account is suspended. Contact the administrators of this site.".into(),
        }));
    }
    Ok(user)
}

#[tracing::instrument(name = "accounts::login", skip_all)]
pub async fn login(
    ctx: &Ctx,
    input: &LoginInput,
    client: &ClientInfo,
) -> AppResult<(UserRow, TokenPair)> {
    let user = check_credentials(ctx, input).await?;
    let mut tx = ctx.db.begin_write().await?;
    let pair = auth::start_api_session(ctx, &mut tx, &user.id, client).await?;
    tx.commit().await?;
    Ok((user, pair))
}

#[tracing::instrument(name = "accounts::login_web", skip_all)]
pub async fn login_web(
    ctx: &Ctx,
    input: &LoginInput,
    client: &ClientInfo,
) -> AppResult<(UserRow, WebSession)> {
    let user = check_credentials(ctx, input).await?;
    let mut tx = ctx.db.begin_write().await?;
    let session = auth::start_web_session(ctx, &mut tx, &user.id, client).await?;
    if user.hour12().is_none() {
        store::users::learn_clock(&mut *tx, &user.id, client.hour12).await?;
    }
    tx.commit().await?;
    Ok((user, session))
}

/// `PATCH /api/v1/me`: every field optional; an absent field is left as it is, an empty
/// string clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub headline: Option<String>,
    pub bio: Option<String>,
    /// https URL of a picture.
    pub avatar_url: Option<String>,
    /// https URL of a résumé.
    pub resume_url: Option<String>,
    /// https URL of a LinkedIn profile (on `linkedin.com`; `not_linkedin` otherwise).
    pub linkedin_url: Option<String>,
    /// IANA time zone name, e.g. `Europe/Paris`.
    pub timezone: Option<String>,
    /// How emails and pages write times: `24h` (14:00) or `12h` (2:00 PM); empty
    /// forgets it (pages follow the browser, emails use 24 hours, until the next sign-in
    /// on the web learns the browser's).
    pub clock: Option<String>,
}

#[tracing::instrument(name = "accounts::update_profile", skip_all, fields(user_id = %user.id))]
pub async fn update_profile(ctx: &Ctx, user: &UserRow, patch: &ProfilePatch) -> AppResult<UserRow> {
    let mut v = Validator::new();
    let pick = |new: &Option<String>, old: &str| new.clone().unwrap_or_else(|| old.to_string());
    let first_name = v.check(text::required_line(
        "first_name",
        &pick(&patch.first_name, &user.first_name),
        NAME_MAX,
    ));
    let last_name = v.check(text::required_line(
        "last_name",
        &pick(&patch.last_name, &user.last_name),
        NAME_MAX,
    ));
    let headline = v.check(text::optional_line(
        "headline",
        &pick(&patch.headline, &user.headline),
        HEADLINE_MAX,
    ));
    let bio = v.check(text::optional_text(
        "bio",
        &pick(&patch.bio, &user.bio),
        BIO_MAX,
    ));
    let avatar_url = v.check(text::optional_https_url(
        "avatar_url",
        &pick(&patch.avatar_url, &user.avatar_url),
    ));
    let resume_url = v.check(text::optional_https_url(
        "resume_url",
        &pick(&patch.resume_url, &user.resume_url),
    ));
    let linkedin_url = v.check(text::optional_linkedin_url(
        "linkedin_url",
        &pick(&patch.linkedin_url, &user.linkedin_url),
    ));
    let timezone = v.check(TimeZoneName::parse(
        "timezone",
        &pick(&patch.timezone, &user.timezone),
    ));
    let clock = v.check(clock::parse("clock", &pick(&patch.clock, &user.clock)));
    v.finish()?;
    let (
        Some(first_name),
        Some(last_name),
        Some(headline),
        Some(bio),
        Some(avatar_url),
        Some(resume_url),
        Some(linkedin_url),
        Some(timezone),
        Some(clock),
    ) = (
        first_name,
        last_name,
        headline,
        bio,
        avatar_url,
        resume_url,
        linkedin_url,
        timezone,
        clock,
    )
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validator passed with a missing field"
        )));
    };
    store::users::update_profile(
        &ctx.db.pool,
        &user.id,
        &store::users::ProfileUpdate {
            first_name: &first_name,
            last_name: &last_name,
            headline: &headline,
            bio: &bio,
            avatar_url: &avatar_url,
            resume_url: &resume_url,
            linkedin_url: &linkedin_url,
            timezone: timezone.as_str(),
            clock: &clock,
        },
        ctx.now(),
    )
    .await?;
    let updated = store::users::by_id(&ctx.db.pool, &user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::mentors::refresh_search_doc(ctx, &updated).await?;
    Ok(updated)
}

/// `PUT /api/v1/me/password`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the password; every other session of the user ends.
#[tracing::instrument(name = "accounts::change_password", skip_all, fields(user_id = %user.id))]
pub async fn change_password(
    ctx: &Ctx,
    user: &UserRow,
    current_session: &str,
    input: &PasswordChange,
) -> AppResult<()> {
    let mut v = Validator::new();
    let new = v.check(Password::parse("new_password", &input.new_password));
    if input.current_password.is_empty() {
        v.push(FieldError::new(
            "current_password",
            "required",
            "Enter your current password.",
        ));
    } else if new.is_some() && input.new_password == input.current_password {
        v.push(FieldError::new(
            "new_password",
            "same_password",
            "The new password is the one you have: choose another.",
        ));
    }
    v.finish()?;
    let Some(new) = new else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validator passed without a new password"
        )));
    };
    if !auth::verify_password(&input.current_password, &user.password_hash).await? {
        return Err(AppError::invalid(
            "current_password",
            "wrong_password",
            "The current password is not correct.",
        ));
    }
    let hash = auth::hash_password(new.expose()).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::users::set_password_hash(&mut *tx, &user.id, &hash, now).await?;
    store::password_resets::spend_all_for_user(&mut *tx, &user.id, now).await?;
    store::sessions::revoke_all_for_user(&mut *tx, &user.id, Some(current_session), now).await?;
    let body = password_changed_email(ctx, user, "in its settings; every other sign-in was ended");
    queue_security_email(&mut tx, user, PASSWORD_CHANGED_SUBJECT, &body, now).await?;
    tx.commit().await?;
    ctx.realtime
        .sessions_ended(ctx, &user.id, Ended::AllBut(current_session))
        .await;
    tracing::info!(user_id = %user.id, "password changed; other sessions ended");
    Ok(())
}

/// How long a password reset link works.
pub const RESET_LINK_MINUTES: i64 = 60;
/// The least time between two reset emails to one account: asking again sooner sends
/// nothing (the answer is the same), so nobody can flood an inbox from the form.
pub const RESET_EMAIL_GAP_SECS: i64 = 60;

/// `POST /api/v1/auth/password-reset`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

/// `POST /api/v1/auth/password-reset/confirm`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    /// The `token` of the emailed link.
    pub token: String,
    pub new_password: String,
}

/// "Forgot your password?": emails the account at `input.email` a link to choose a new
/// password, working once for [`RESET_LINK_MINUTES`]. The caller learns nothing about
/// the address (a malformed one aside): no account, a closed or suspended one, an
/// address no mail can reach and a second request within [`RESET_EMAIL_GAP_SECS`] all
/// answer `Ok` and send nothing. The email is a security message: it goes whatever the
/// notification preferences say.
#[tracing::instrument(name = "accounts::request_password_reset", skip_all)]
pub async fn request_password_reset(ctx: &Ctx, input: &ResetRequest) -> AppResult<()> {
    let email = Email::parse(&input.email).map_err(|e| AppError::Invalid(vec![e]))?;
    let Some(user) = store::users::by_email(&ctx.db.pool, email.as_str()).await? else {
        return Ok(());
    };
    let now = ctx.now();
    if user.deleted_at.is_some()
        || user.suspended_at.is_some()
        || !super::notify::mail_reaches(&user.email)
    {
        return Ok(());
    }
    let token = auth::new_token();
    let body = format!(
        "Hello {},\n\nSomeone, we hope you, asked to reset the password of your mentorhub \
         account. Choose a new one here:\n\n{}/reset-password?token={token}\n\nThe link works \
         once, for {RESET_LINK_MINUTES} minutes. Using it signs you out everywhere.\n\nIf you \
         did not ask, ignore this email: your password stays as it is.\n\n--\nmentorhub\n",
        user.first_name, ctx.config.base_url
    );
    let mut tx = ctx.db.begin_write().await?;
    // The account's row locked, so that of requests sent at once (on any instance) one
    // sends and the others see its link.
    store::bookings::lock_users(&mut tx, ctx.db.backend, &[user.id.to_string()]).await?;
    if let Some(last) = store::password_resets::last_requested(&mut *tx, &user.id).await?
        && now.duration_since(last).as_secs() < RESET_EMAIL_GAP_SECS
    {
        tracing::info!(user_id = %user.id, "password reset asked again too soon; nothing sent");
        return Ok(());
    }
    store::password_resets::insert(
        &mut *tx,
        &auth::hash_token(&token),
        &user.id,
        crate::clock::after(now, RESET_LINK_MINUTES * 60_000_000),
        now,
    )
    .await?;
    queue_security_email(&mut tx, &user, "Reset your mentorhub password", &body, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "password reset link sent");
    Ok(())
}

/// Queues an email about the account's security (a reset link, a changed password) in
/// `tx`: it goes whatever the notification preferences say, to any address mail can
/// reach (not to the `.invalid` placeholders of closed accounts).
async fn queue_security_email(
    tx: &mut store::Tx,
    user: &UserRow,
    subject: &str,
    body: &str,
    now: jiff::Timestamp,
) -> AppResult<()> {
    queue_security_email_to(tx, (&user.id, &user.email), subject, body, now).await
}

/// [`queue_security_email`] to the address given (`to`: the account and the address;
/// a new address being confirmed is not the account's yet).
async fn queue_security_email_to(
    tx: &mut store::Tx,
    (user_id, to): (&str, &str),
    subject: &str,
    body: &str,
    now: jiff::Timestamp,
) -> AppResult<()> {
    if !super::notify::mail_reaches(to) {
        return Ok(());
    }
    let outbox_id = store::notify::queue_email(
        tx,
        &store::notify::NewEmail {
            user_id: Some(user_id),
            to_email: to,
            subject,
            body,
            ics: "",
            now,
        },
    )
    .await?;
    super::jobs::enqueue(
        tx,
        &super::jobs::Job::EmailSend { outbox_id },
        now,
        None,
        now,
    )
    .await?;
    Ok(())
}

/// The email telling an account its password changed (`how`), so that a change its
/// owner did not make is noticed.
fn password_changed_email(ctx: &Ctx, user: &UserRow, how: &str) -> String {
    format!(
        "Hello {},\n\nThe password of your mentorhub account was just changed {how}.\n\n\
         If that was you, there is nothing to do. If it was not, choose a new password \
         now at {}/forgot-password (the link goes to this address) and tell an \
         administrator.\n\n--\nmentorhub\n",
        user.first_name, ctx.config.base_url
    )
}

/// The subject of [`password_changed_email`].
pub const PASSWORD_CHANGED_SUBJECT: &str = "Your mentorhub password was changed";

fn bad_reset_link() -> AppError {
    AppError::invalid(
        "token",
        "invalid_reset_link",
        "This link to reset your password does not work: it was used already, it has \
         expired, or it was not copied whole. Ask for a new one.",
    )
}

/// Whether a reset link's token still works (the page that asks for the new password
/// says so before anyone types one).
pub async fn reset_link_works(ctx: &Ctx, token: &str) -> AppResult<bool> {
    if token.is_empty() || token.len() > 200 {
        return Ok(false);
    }
    Ok(
        store::password_resets::live_user(&ctx.db.pool, &auth::hash_token(token), ctx.now())
            .await?
            .is_some(),
    )
}

/// Sets a new password from a reset link: spends the link (and every other link of the
/// account) and ends every session of the account, in one transaction. Of two requests
/// with one link, one sets the password and the other is told the link does not work.
#[tracing::instrument(name = "accounts::reset_password", skip_all)]
pub async fn reset_password(ctx: &Ctx, input: &ResetConfirm) -> AppResult<UserRow> {
    let (user, tx) = spend_reset_link(ctx, input).await?;
    tx.commit().await?;
    ctx.realtime.sessions_ended(ctx, &user.id, Ended::All).await;
    tracing::info!(user_id = %user.id, "password reset; every session ended");
    Ok(user)
}

/// [`reset_password`], then a web session for the browser that did it.
pub async fn reset_password_web(
    ctx: &Ctx,
    input: &ResetConfirm,
    client: &ClientInfo,
) -> AppResult<(UserRow, WebSession)> {
    let (user, mut tx) = spend_reset_link(ctx, input).await?;
    let session = auth::start_web_session(ctx, &mut tx, &user.id, client).await?;
    tx.commit().await?;
    ctx.realtime
        .sessions_ended(ctx, &user.id, Ended::AllBut(&session.session_id))
        .await;
    tracing::info!(user_id = %user.id, "password reset; every other session ended");
    Ok((user, session))
}

/// The shared part of [`reset_password`] and [`reset_password_web`]: the open
/// transaction that spent the link, set the password and ended the sessions.
async fn spend_reset_link(ctx: &Ctx, input: &ResetConfirm) -> AppResult<(UserRow, store::Tx)> {
    if !reset_link_works(ctx, &input.token).await? {
        return Err(bad_reset_link());
    }
    let new = Password::parse("new_password", &input.new_password)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let hash = auth::hash_password(new.expose()).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let Some(user_id) =
        store::password_resets::spend(&mut *tx, &auth::hash_token(&input.token), now).await?
    else {
        return Err(bad_reset_link());
    };
    let user = match store::users::by_id(&mut *tx, &user_id).await? {
        Some(u) if u.deleted_at.is_none() && u.suspended_at.is_none() => u,
        _ => return Err(bad_reset_link()),
    };
    store::users::set_password_hash(&mut *tx, &user.id, &hash, now).await?;
    store::password_resets::spend_all_for_user(&mut *tx, &user.id, now).await?;
    store::sessions::revoke_all_for_user(&mut *tx, &user.id, None, now).await?;
    let body = password_changed_email(
        ctx,
        &user,
        "with a reset link sent to this address; every sign-in was ended",
    );
    queue_security_email(&mut tx, &user, PASSWORD_CHANGED_SUBJECT, &body, now).await?;
    Ok((user, tx))
}

/// How long an email confirmation link works.
pub const CONFIRM_LINK_HOURS: i64 = 48;

/// What asking for an email confirmation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmationSent {
    /// A link went to the address.
    Sent,
    /// The address is confirmed already: nothing to send.
    AlreadyConfirmed,
    /// A link was sent less than a minute ago: that one is on its way.
    TooSoon,
}

/// Whether the account confirmed its address (a program open to an email domain asks).
pub async fn email_confirmed(ctx: &Ctx, user: &UserRow) -> AppResult<bool> {
    Ok(store::email_confirmations::confirmed(&ctx.db.pool, &user.id, &user.email).await?)
}

/// Mails the account a link that confirms its address (at most one a minute). `next`:
/// a path of this site the link's page leads back to once confirmed (the program page
/// it was asked from), checked by the caller.
#[tracing::instrument(name = "accounts::request_email_confirmation", skip_all, fields(user_id = %user.id))]
pub async fn request_email_confirmation(
    ctx: &Ctx,
    user: &UserRow,
    next: Option<&str>,
) -> AppResult<ConfirmationSent> {
    if !super::notify::mail_reaches(&user.email) {
        return Err(AppError::conflict(
            "email_unreachable",
            "No email can reach this account's address.",
        ));
    }
    if email_confirmed(ctx, user).await? {
        return Ok(ConfirmationSent::AlreadyConfirmed);
    }
    let now = ctx.now();
    let token = auth::new_token();
    let back = next
        .map(|n| format!("&next={}", crate::domain::text::urlencode(n)))
        .unwrap_or_default();
    let body = format!(
        "Hello {},\n\nTo confirm that {} is your address on mentorhub, open this link:\n\n\
         {}/confirm-email?token={token}{back}\n\nIt works once, for {CONFIRM_LINK_HOURS} hours. A \
         program open to the members of your organisation asks for a confirmed address.\n\n\
         If you did not ask, ignore this email: nothing changes.\n\n--\nmentorhub\n",
        user.first_name, user.email, ctx.config.base_url
    );
    let mut tx = ctx.db.begin_write().await?;
    // One link a minute, whatever the instances: the account's row is locked first.
    store::bookings::lock_users(&mut tx, ctx.db.backend, &[user.id.to_string()]).await?;
    if confirmation_too_soon(&mut tx, &user.id, now).await? {
        return Ok(ConfirmationSent::TooSoon);
    }
    store_confirmation_link(&mut tx, &token, (&user.id, &user.email), now).await?;
    queue_security_email(&mut tx, user, "Confirm your email address", &body, now).await?;
    tx.commit().await?;
    Ok(ConfirmationSent::Sent)
}

/// Whether a link of either kind (confirming the address, or a new one) went to the
/// account less than a minute ago: one a minute, read in `tx` with the account's row
/// locked, whatever the instances.
async fn confirmation_too_soon(
    tx: &mut store::Tx,
    user_id: &str,
    now: jiff::Timestamp,
) -> AppResult<bool> {
    Ok(
        store::email_confirmations::last_requested(&mut **tx, user_id)
            .await?
            .is_some_and(|last| now.duration_since(last).as_secs() < RESET_EMAIL_GAP_SECS),
    )
}

/// Stores the hash of a link's `token` confirming `email` for the account, working
/// for [`CONFIRM_LINK_HOURS`].
async fn store_confirmation_link(
    tx: &mut store::Tx,
    token: &str,
    (user_id, email): (&str, &str),
    now: jiff::Timestamp,
) -> AppResult<()> {
    store::email_confirmations::insert(
        &mut **tx,
        &auth::hash_token(token),
        (user_id, email),
        crate::clock::after(now, CONFIRM_LINK_HOURS * 3_600_000_000),
        now,
    )
    .await?;
    Ok(())
}

/// Uses a confirmation link: the address it was sent to is confirmed, if it is still
/// the account's, or becomes the account's when the link answered a change of
/// address. Answers the account, and whether its address changed.
#[tracing::instrument(name = "accounts::confirm_email", skip_all)]
pub async fn confirm_email(ctx: &Ctx, token: &str) -> AppResult<(UserRow, bool)> {
    let bad = || {
        AppError::invalid(
            "token",
            "invalid_confirmation_link",
            "This confirmation link does not work: it was used already, it has expired, or \
             it was not copied whole. Ask for a new one from your settings.",
        )
    };
    if token.trim().is_empty() || token.len() > 200 {
        return Err(bad());
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let Some((user_id, email)) =
        store::email_confirmations::spend(&mut *tx, &auth::hash_token(token.trim()), now).await?
    else {
        return Err(bad());
    };
    let user = match store::users::by_id(&mut *tx, &user_id).await? {
        // Its own address confirmed; or a new one taken, by an account in good standing.
        Some(u) if u.deleted_at.is_none() && (u.email == email || u.suspended_at.is_none()) => u,
        _ => return Err(bad()),
    };
    if user.email == email {
        tx.commit().await?;
        tracing::info!(user_id = %user.id, "email address confirmed");
        return Ok((user, false));
    }
    // A link to a new address (see `request_email_change`): the address becomes the
    // account's; no older link (to either address, or a password reset sent to the
    // old one) works any more; the old address is told.
    // Taken meanwhile by another account: refused (on PostgreSQL a concurrent taker's
    // commit makes this statement fail on the unique index, read the same way).
    match store::users::set_email(&mut *tx, &user.id, &email, now).await {
        Ok(true) => {}
        Ok(false) => return Err(new_email_taken("token")),
        Err(e) if store::is_unique_violation(&e) => return Err(new_email_taken("token")),
        Err(e) => return Err(e.into()),
    }
    store::email_confirmations::expire_all_for_user(&mut *tx, &user.id, now).await?;
    store::password_resets::spend_all_for_user(&mut *tx, &user.id, now).await?;
    let body = format!(
        "Hello {},\n\nThe address of your mentorhub account is now {email}: sign in with it \
         from now on. This one, {}, no longer receives anything from mentorhub.\n\nIf you \
         did not make this change, tell the site's administrators at once.\n\n--\nmentorhub\n",
        user.first_name, user.email
    );
    queue_security_email(&mut tx, &user, "Your mentorhub address changed", &body, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "email address changed");
    let user = store::users::by_id(&ctx.db.pool, &user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((user, true))
}

/// Another account holds the address (`field`: where the form asked for it).
fn new_email_taken(field: &str) -> AppError {
    AppError::invalid(
        field,
        "email_taken",
        "Another account uses this address: it cannot be yours too.",
    )
}

/// The new address the account asked for and has not confirmed yet, with until when
/// its link works (`None`: no change waits).
pub async fn pending_email_change(
    ctx: &Ctx,
    user: &UserRow,
) -> AppResult<Option<(String, jiff::Timestamp)>> {
    Ok(
        store::email_confirmations::pending_change(&ctx.db.pool, &user.id, &user.email, ctx.now())
            .await?,
    )
}

/// `POST /api/v1/me/email`: a new address for the account, with the password.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    pub new_email: String,
    pub password: String,
}

/// Mails a link to a new address; following it makes that address the account's
/// (the account keeps its address until then). The password is asked, so a session
/// left open cannot take the account away; at most one link a minute, and a new one
/// makes the earlier ones stop working. Answers the address the link went to, or
/// `None` when one went less than a minute ago.
#[tracing::instrument(name = "accounts::request_email_change", skip_all, fields(user_id = %user.id))]
pub async fn request_email_change(
    ctx: &Ctx,
    user: &UserRow,
    input: &EmailChange,
) -> AppResult<Option<String>> {
    let mut v = Validator::new();
    let email = v.check(Email::parse(&input.new_email).map_err(|mut e| {
        e.field = "new_email".into();
        e
    }));
    if input.password.is_empty() {
        v.push(FieldError::new(
            "password",
            "required",
            "Enter your password.",
        ));
    }
    if let Some(e) = &email
        && e.as_str() == user.email
    {
        v.push(FieldError::new(
            "new_email",
            "unchanged",
            "This is your address already.",
        ));
    }
    v.finish()?;
    let Some(email) = email else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validator passed without an address"
        )));
    };
    if !super::notify::mail_reaches(email.as_str()) {
        return Err(AppError::invalid(
            "new_email",
            "email_unreachable",
            "No email can reach this address.",
        ));
    }
    if !auth::verify_password(&input.password, &user.password_hash).await? {
        return Err(AppError::invalid(
            "password",
            "wrong_password",
            "The password is not correct.",
        ));
    }
    let now = ctx.now();
    let token = auth::new_token();
    let body = format!(
        "Hello {},\n\nTo make {} the address of your mentorhub account (it is {} now), \
         open this link:\n\n{}/confirm-email?token={token}\n\nIt works once, for \
         {CONFIRM_LINK_HOURS} hours; until then nothing changes.\n\nIf you did not ask, \
         ignore this email.\n\n--\nmentorhub\n",
        user.first_name,
        email.as_str(),
        user.email,
        ctx.config.base_url
    );
    let mut tx = ctx.db.begin_write().await?;
    store::bookings::lock_users(&mut tx, ctx.db.backend, &[user.id.to_string()]).await?;
    if store::users::by_email(&mut *tx, email.as_str())
        .await?
        .is_some()
    {
        return Err(new_email_taken("new_email"));
    }
    if confirmation_too_soon(&mut tx, &user.id, now).await? {
        return Ok(None);
    }
    store::email_confirmations::expire_all_for_user(&mut *tx, &user.id, now).await?;
    store_confirmation_link(&mut tx, &token, (&user.id, email.as_str()), now).await?;
    queue_security_email_to(
        &mut tx,
        (&user.id, email.as_str()),
        "Confirm your new email address",
        &body,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(email.as_str().to_string()))
}

/// Everything the platform holds about a user, as JSON: account, sign-ins, profiles,
/// mentorships, bookings (with notes), credits, reviews, messages written,
/// notifications and admin actions on the account.
pub async fn export(ctx: &Ctx, user: &UserRow) -> AppResult<serde_json::Value> {
    let mut out = export_account(ctx, user).await?;
    let activity = export_activity(ctx, user).await?;
    if let (Some(out), serde_json::Value::Object(activity)) = (out.as_object_mut(), activity) {
        out.extend(activity);
    }
    Ok(out)
}

/// An instant in the export: RFC 3339, UTC.
fn ts(t: jiff::Timestamp) -> String {
    t.to_string()
}

/// The export's account part: the account, its sign-ins and profiles, and admin actions.
async fn export_account(ctx: &Ctx, user: &UserRow) -> AppResult<serde_json::Value> {
    use serde_json::json;
    let pool = &ctx.db.pool;
    let sessions = store::sessions::list_for_user(pool, &user.id).await?;
    let audit = store::audit::for_target(pool, "user", &user.id).await?;
    let mentor = store::mentors::profile(pool, &user.id).await?.map(|p| {
        json!({
            "status": p.status, "bio": p.bio, "expertise": &p.expertise, "skills": &p.skills,
            "industries": &p.industries, "company": p.company, "title": p.title,
            "experience": &p.experience, "hourly_rate": p.hourly_rate, "max_mentees": p.max_mentees,
            "is_public": p.is_public, "rating_avg": p.rating_avg, "rating_count": p.rating_count,
            "decision_reason": p.decision_reason, "applied_at": ts(p.applied_at),
        })
    });
    let mentee = store::mentors::mentee_profile(pool, &user.id).await?.map(|p| {
        json!({"bio": p.bio, "goals": &p.goals, "skills": &p.skills, "interests": &p.interests})
    });
    Ok(json!({
        "exported_at": ctx.clock.now().to_string(),
        "account": {
            "id": user.id,
            "email": user.email,
            "roles": Roles::from_db(&user.roles).list(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "headline": user.headline,
            "bio": user.bio,
            "avatar_url": user.avatar_url,
            "resume_url": user.resume_url,
            "linkedin_url": user.linkedin_url,
            "timezone": user.timezone,
            "clock": user.clock,
            "created_at": ts(user.created_at),
            "updated_at": ts(user.updated_at),
        },
        "sessions": sessions.iter().map(|s| json!({
            "kind": s.kind,
            "user_agent": s.user_agent,
            "ip": s.ip,
            "created_at": ts(s.created_at),
            "last_used_at": ts(s.last_used_at),
            "expires_at": ts(s.expires_at),
            "revoked_at": s.revoked_at.map(ts),
        })).collect::<Vec<_>>(),
        "mentor_profile": mentor,
        "mentee_profile": mentee,
        "admin_actions_on_account": audit.iter().map(|a| json!({
            "action": a.action,
            "at": ts(a.created_at),
        })).collect::<Vec<_>>(),
    }))
}

/// The export's activity part: mentorships, bookings with my notes, credits, reviews,
/// messages, notifications, articles, comments, bookmarks and payments.
async fn export_activity(ctx: &Ctx, user: &UserRow) -> AppResult<serde_json::Value> {
    use serde_json::json;
    let pool = &ctx.db.pool;
    const MAX: i64 = 10_000;
    let mentorships = store::mentorships::list(
        pool,
        &store::mentorships::ListFilter {
            user_id: user.id.to_string(),
            role: None,
            statuses: vec![],
            before_id: None,
            limit: MAX,
        },
    )
    .await?;
    let bookings = store::bookings::list(
        pool,
        &store::bookings::ListFilter {
            user_id: user.id.to_string(),
            limit: MAX,
            ..Default::default()
        },
    )
    .await?;
    let mut programs = super::programs::progress::export(
        ctx,
        user,
        &mentorships
            .iter()
            .map(|m| m.m.id.clone())
            .collect::<Vec<_>>(),
    )
    .await?;
    let entries = store::ledger::wallet_entries(pool, &user.id, None, MAX).await?;
    let reviews = store::reviews::for_mentor(pool, &user.id, None, MAX).await?;
    let reviews_written = store::reviews::written_by(pool, &user.id, MAX).await?;
    let group_reviews_written = store::groups::reviews_written_by(pool, &user.id).await?;
    let messages = store::messages::sent_by(pool, &user.id, MAX).await?;
    let notifications: Vec<_> = store::notify::list(pool, &user.id, false, None, MAX)
        .await?
        .into_iter()
        .map(|n| super::notify::read_as(user.reads(), n))
        .collect();
    let (articles, comments, bookmarks) = store::articles::export_of(pool, &user.id).await?;
    let payments = store::payments::for_user(pool, &user.id, None, MAX).await?;
    let disputes = store::disputes::opened_by(pool, &user.id, MAX).await?;
    let answered = store::disputes::answered_by(pool, &user.id, MAX).await?;
    let credit_requests =
        store::credit_requests::list(pool, Some(&user.id), None, None, MAX).await?;
    let led = store::groups::calendar_of(pool, &user.id, jiff::Timestamp::MIN, None).await?;
    let seats = store::groups::seats_of(pool, &user.id).await?;
    Ok(json!({
        "group_sessions_led": led.iter().filter(|(g, _)| g.mentor_id == user.id).map(|(g, _)| json!({
            "id": g.id, "title": g.title, "description": g.description, "start": ts(g.start_at),
            "end": ts(g.end_at), "seats": g.seats, "credits_per_seat": g.credits_per_seat,
            "audience": g.audience.as_str(), "status": g.status, "cancel_reason": g.cancel_reason,
        })).collect::<Vec<_>>(),
        "group_seats": seats.iter().map(|(id, title, start, status, credits, joined)| json!({
            "session_id": id, "title": title,
            "start": crate::clock::from_micros(*start).to_string(), "status": status,
            "credits_held": credits, "joined_at": crate::clock::from_micros(*joined).to_string(),
        })).collect::<Vec<_>>(),
        "mentorships": mentorships.iter().map(|m| json!({
            "id": m.m.id, "mentor_id": m.m.mentor_id, "mentee_id": m.m.mentee_id, "status": m.m.status,
            "message": m.m.message, "answer": m.m.answer, "created_at": ts(m.m.created_at),
        })).collect::<Vec<_>>(),
        "bookings": bookings.iter().map(|b| {
            let mine_mentor = b.b.mentor_id == user.id;
            let with = if mine_mentor {
                format!("{} {}", b.mentee_first_name, b.mentee_last_name)
            } else {
                format!("{} {}", b.mentor_first_name, b.mentor_last_name)
            };
            json!({
                "id": b.b.id, "role": if mine_mentor { "mentor" } else { "mentee" }, "title": b.b.title,
                "mentor_id": b.b.mentor_id, "mentee_id": b.b.mentee_id, "with": with.trim(),
                "status": b.b.status, "start": ts(b.b.start_at), "end": ts(b.b.end_at), "topic": b.b.topic,
                "message": b.b.message, "credits": b.b.credits_held,
                "my_pre_meeting_notes": if mine_mentor { &b.b.mentor_pre_notes } else { &b.b.mentee_pre_notes },
                "my_post_session_notes": if mine_mentor { &b.b.mentor_post_notes } else { &b.b.mentee_post_notes },
            })
        }).collect::<Vec<_>>(),
        "credits": {
            "balance": store::ledger::wallet_balance(pool, &user.id).await?,
            "entries": entries.iter().map(|e| json!({
                "amount": e.amount, "kind": e.kind, "memo": e.memo, "booking_id": e.booking_id, "at": ts(e.created_at),
                "program": e.program_name,
            })).collect::<Vec<_>>(),
        },
        "reviews_received": reviews.iter().map(|r| json!({
            "rating": r.rating, "comment": r.comment, "reply": r.reply, "at": ts(r.created_at),
        })).collect::<Vec<_>>(),
        "reviews_written": reviews_written.iter().map(|r| json!({
            "booking_id": r.booking_id, "mentor_id": r.mentor_id, "session": r.service_title,
            "rating": r.rating, "comment": r.comment, "reply": r.reply, "at": ts(r.created_at),
        })).chain(group_reviews_written.iter().map(|(session_id, title, rating, comment, at)| json!({
            "group_session_id": session_id, "session": title, "rating": rating,
            "comment": comment, "at": ts(crate::clock::from_micros(*at)),
        }))).collect::<Vec<_>>(),
        "messages_written": messages.iter().map(|m| json!({
            "thread_id": m.thread_id, "kind": m.kind, "content": m.content, "deleted": m.deleted_at.is_some(), "at": ts(m.created_at),
            // An invite is a booking's card in the chat: its booking, in "bookings".
            "booking_id": m.booking_id,
        })).collect::<Vec<_>>(),
        "notifications": notifications.iter().map(|n| json!({
            "kind": n.kind, "title": n.title, "body": n.body, "read": n.read_at.is_some(), "at": ts(n.created_at),
        })).collect::<Vec<_>>(),
        "articles": articles.iter().map(|a| json!({
            "id": a.id, "slug": a.slug, "title": a.title, "content": a.content, "tags": a.tags.clone(),
            "visibility": a.visibility, "status": a.status, "views": a.view_count,
            "published_at": a.published_at.map(ts), "created_at": ts(a.created_at), "updated_at": ts(a.updated_at),
        })).collect::<Vec<_>>(),
        "comments_written": comments.iter().map(|c| json!({
            "article_id": c.article_id, "body": c.body, "at": ts(c.created_at),
        })).collect::<Vec<_>>(),
        "bookmarks": bookmarks.iter().map(|(id, at)| json!({"article_id": id, "at": ts(*at)})).collect::<Vec<_>>(),
        "credit_requests": credit_requests.iter().map(|r| json!({
            "credits": r.credits, "note": r.note, "status": r.status, "granted": r.granted,
            "answer": r.answer, "created_at": ts(r.created_at), "decided_at": r.decided_at.map(ts),
        })).collect::<Vec<_>>(),
        "disputes_opened": disputes.iter().map(|d| json!({
            "booking_id": d.booking_id, "reason": d.reason, "status": d.status.as_str(),
            "resolution": d.resolution, "created_at": ts(d.created_at),
            "resolved_at": d.resolved_at.map(ts),
        })).collect::<Vec<_>>(),
        "disputes_answered": answered.iter().map(|d| json!({
            "booking_id": d.booking_id, "answer": d.answer,
            "answered_at": d.answered_at.map(ts), "status": d.status.as_str(),
        })).collect::<Vec<_>>(),
        "payments": payments.iter().map(|p| json!({
            "id": p.id, "credits": p.credits, "amount_cents": p.amount_cents, "currency": p.currency,
            "status": p.status, "refunded_cents": p.refunded_cents, "provider": p.provider,
            "created_at": ts(p.created_at), "succeeded_at": p.succeeded_at.map(ts),
        })).collect::<Vec<_>>(),
        "programs": programs["programs"].take(),
        "mentorship_progress": programs["mentorship_progress"].take(),
    }))
}

/// How a closed account is named where it was named before (its row's new name).
const ERASED_NAME: &str = "Deleted user";

/// Closes an account: its coming bookings, group sessions, seats and mentorships end
/// ([`super::wind_down`]), personal data is erased, the row stays so that shared
/// history (bookings, messages, ledger) keeps pointing at an anonymous "Deleted user",
/// and every session ends.
#[tracing::instrument(name = "accounts::close_account", skip_all, fields(user_id = %user.id))]
pub async fn close_account(ctx: &Ctx, user: &UserRow) -> AppResult<()> {
    let admin =
        crate::domain::user::Roles::from_db(&user.roles).has(crate::domain::user::Role::Admin);
    let last_admin = || {
        AppError::conflict(
            "last_admin",
            "You are the only admin: make another member an admin before closing your \
             account, so that someone can still approve mentors, grant credits and answer \
             reports. Nothing was closed.",
        )
    };
    if admin
        && !store::users::admins(&ctx.db.pool)
            .await?
            .iter()
            .any(|(id, _)| *id != user.id)
    {
        return Err(last_admin());
    }
    // Coming sessions and requests end first, while the other side still reads who
    // cancelled them.
    super::wind_down::wind_down(ctx, user, super::wind_down::Why::Closed, user).await?;
    // What others were told of it by name ("… with Ada Lovelace"), found before the
    // write (a read of every notification and email), rewritten in it by id.
    let name = format!("{} {}", user.first_name.trim(), user.last_name.trim());
    let only_theirs =
        store::users::others_named(&ctx.db.pool, &user.id, &user.first_name, &user.last_name)
            .await?;
    let named = store::notify::naming(
        &ctx.db.pool,
        &user.id,
        &store::like_escape(&name),
        only_theirs,
    )
    .await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    if admin && store::users::other_admins_locked(&mut tx, ctx.db.backend, &user.id).await? == 0 {
        return Err(last_admin());
    }
    store::sessions::revoke_all_for_user(&mut *tx, &user.id, None, now).await?;
    for (table, column, id, title, body) in named {
        let (t, b) = (
            text::replace_name(&title, &name, ERASED_NAME),
            text::replace_name(&body, &name, ERASED_NAME),
        );
        if t.is_some() || b.is_some() {
            let row = (table, column, id, t.unwrap_or(title), b.unwrap_or(body));
            store::notify::rewrite_named(&mut tx, &row).await?;
        }
    }
    store::notify::erase_user(&mut tx, &user.id).await?;
    store::users::anonymise(&mut *tx, &user.id, now).await?;
    store::articles::erase_user(&mut tx, &user.id).await?;
    // An open request for credits waits for the admins no more.
    let mut live = super::events::Live::new();
    for id in store::credit_requests::withdraw_open(&mut tx, &user.id, now).await? {
        super::notify::handled_by_admins(
            &mut tx,
            super::notify::CREDIT_REQUESTED,
            &id,
            now,
            &mut live,
        )
        .await?;
    }
    // Out of every line, so no freed seat goes to a closed account.
    store::groups::leave_lines(&mut tx, &user.id, now).await?;
    // Connected calendars: the sealed passwords and everything read from them.
    super::calendars::erase_user(&mut tx, &user.id).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    ctx.realtime.sessions_ended(ctx, &user.id, Ended::All).await;
    ctx.discovery.invalidate();
    // A request whose checks read the account open before the close, written after the
    // first pass read what to end, is ended now; anything written later is refused by
    // its own lock (the account reads closed there).
    if let Err(e) =
        super::wind_down::wind_down(ctx, user, super::wind_down::Why::Closed, user).await
    {
        tracing::error!(user_id = %user.id, error = %e.detail(), "ending what was booked while the account closed failed");
    }
    tracing::info!(user_id = %user.id, "account closed");
    Ok(())
}

/// A user's profile as `viewer` may read it through `GET /api/v1/users/{id}`: a listed
/// mentor's for anyone (their page is public); anyone else's only for themselves,
/// admins, and the people on the other side of a mentorship, booking or group
/// session with them (the rule of the mentee page); for everyone else it is not
/// found, so names and links of members are not handed to whoever holds an id. The
/// admin role is said only to the person and to admins.
pub async fn profile_for(ctx: &Ctx, viewer: Option<&UserRow>, id: &str) -> AppResult<UserRow> {
    let mut user = public_profile(ctx, id).await?;
    let privileged = viewer.is_some_and(|v| v.id == user.id || super::admin::is_admin(v));
    let may = privileged
        || store::discovery::listed_mentor(&ctx.db.pool, &user.id)
            .await?
            .is_some()
        || match viewer {
            Some(v) => {
                let pool = &ctx.db.pool;
                store::mentors::knows_mentee(pool, &v.id, &user.id).await?
                    || store::mentors::knows_mentee(pool, &user.id, &v.id).await?
            }
            None => false,
        };
    if !may {
        return Err(AppError::NotFound);
    }
    if !privileged {
        let roles = crate::domain::user::Roles::from_db(&user.roles);
        let shown: Vec<_> = roles
            .list()
            .iter()
            .copied()
            .filter(|r| *r != crate::domain::user::Role::Admin)
            .collect();
        user.roles = crate::domain::user::Roles::new(shown).to_db();
    }
    Ok(user)
}

/// A public profile: visible while the account is active.
pub async fn public_profile(ctx: &Ctx, id: &str) -> AppResult<UserRow> {
    store::users::by_id(&ctx.db.pool, id)
        .await?
        .filter(|u| u.deleted_at.is_none() && u.suspended_at.is_none())
        .ok_or(AppError::NotFound)
}
