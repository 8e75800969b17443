//! Sign up, sign in, sign out, a forgotten password, and the settings page (profile,
//! password, export, close).

use askama::Template;
use axum::{
    Router,
    extract::State,
    http::{StatusCode, Uri},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{FormErrors, Layout, PageResult, WebCtx, WebForm, page_query, safe_next, timezones};
use crate::{
    error::AppError,
    http::AppState,
    service::accounts::UserRow,
    service::{
        accounts::{
            self, LoginInput, PasswordChange, ProfilePatch, RegisterInput, ResetConfirm,
            ResetRequest,
        },
        auth,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_form).post(signup))
        .route("/login", get(login_form).post(login))
        .route("/logout", get(logout_form).post(logout))
        .route("/forgot-password", get(forgot_form).post(forgot))
        .route("/reset-password", get(reset_form).post(reset))
        .route(
            "/confirm-email",
            get(confirm_email_form).post(confirm_email),
        )
        .route("/settings/email-confirmation", post(send_confirmation))
        .route("/settings/email", post(change_email))
        .route("/settings", get(settings))
        .route("/settings/profile", post(save_profile))
        .route("/settings/password", post(change_password))
        .route("/settings/delete", post(close_account))
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    layout: Layout,
    email: String,
    first_name: String,
    last_name: String,
    timezone: String,
    timezones: super::Zones,
    errors: FormErrors,
    form_error: Option<String>,
    /// Where to go once signed up (a slot picked before having an account); empty:
    /// the dashboard.
    next: String,
    /// The sign-in page, coming back to the same place.
    login_href: String,
    /// "I also want to mentor others", kept ticked when the form comes back with errors.
    as_mentor: bool,
}

/// Where a sign-up or sign-in goes next, when it is not the dashboard: kept through the
/// links between the two pages.
fn next_of(raw: &str) -> String {
    match safe_next(raw) {
        n if n == "/dashboard" => String::new(),
        n => n,
    }
}

fn with_next(page: &str, next: &str) -> String {
    if next.is_empty() {
        page.to_string()
    } else {
        format!("{page}?next={}", super::urlencode(next))
    }
}

#[derive(Debug, Default, Deserialize)]
struct SignupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    as_mentor: Option<String>,
    #[serde(default)]
    next: String,
}

async fn signup_form(State(state): State<AppState>, web: WebCtx, uri: Uri) -> Response {
    let next = next_of(&page_query::<NextQuery>(&uri).next);
    if web.auth.is_some() {
        return Redirect::to(&safe_next(&next)).into_response();
    }
    web.render(
        &state,
        &SignupPage {
            layout: web.layout(),
            email: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            // A visitor's detected or chosen zone, else UTC (the page's script
            // detects it then).
            timezone: web.zone().iana_name().unwrap_or("UTC").to_string(),
            timezones: timezones(),
            errors: FormErrors::default(),
            form_error: None,
            login_href: with_next("/login", &next),
            next,
            as_mentor: false,
        },
    )
}

async fn signup(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<SignupForm>,
) -> PageResult {
    web.check_csrf(&f.csrf)?;
    let input = RegisterInput {
        email: f.email.clone(),
        password: f.password.clone(),
        first_name: f.first_name.clone(),
        last_name: f.last_name.clone(),
        timezone: Some(f.timezone.clone()).filter(|t| !t.is_empty()),
        // The browser's way of writing times, for the emails as for the pages.
        clock: Some(crate::domain::clock::stored(web.client.hour12).into()),
        as_mentor: Some(f.as_mentor.is_some()),
    };
    let result = match state.limit_auth("register", &web.client.ip, &f.email) {
        Ok(()) => accounts::register_web(&state.ctx, &input, &web.client).await,
        Err(e) => Err(e),
    };
    Ok(match result {
        Ok((_, session)) => {
            let next = next_of(&f.next);
            let to = if f.as_mentor.is_some() {
                "/settings/mentor".to_string()
            } else {
                safe_next(&next)
            };
            let mut res = web.redirect_flash(&to, "welcome");
            web.set_session_cookie(
                &mut res,
                &session.cookie_token,
                state.ctx.config.web_session_ttl.as_secs() as i64,
            );
            res
        }
        Err(e @ (AppError::Invalid(_) | AppError::RateLimited { .. })) => {
            let status = crate::http::problem::status_of(&e);
            let form_error = matches!(e, AppError::RateLimited { .. }).then(|| e.detail());
            web.render_status(
                &state,
                status,
                &SignupPage {
                    layout: web.layout(),
                    email: f.email,
                    first_name: f.first_name,
                    last_name: f.last_name,
                    timezone: if f.timezone.is_empty() {
                        "UTC".into()
                    } else {
                        f.timezone
                    },
                    timezones: timezones(),
                    errors: FormErrors::from_error(&e).ids("").labelled(SIGNUP_LABELS),
                    form_error,
                    login_href: with_next("/login", &next_of(&f.next)),
                    next: next_of(&f.next),
                    as_mentor: f.as_mentor.is_some(),
                },
            )
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    form_error: Option<String>,
    /// The sign-up page, coming back to the same place.
    signup_href: String,
}

#[derive(Debug, Default, Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn login_form(State(state): State<AppState>, web: WebCtx, uri: Uri) -> Response {
    let next = safe_next(&page_query::<NextQuery>(&uri).next);
    if web.auth.is_some() {
        return Redirect::to(&next).into_response();
    }
    web.render(
        &state,
        &LoginPage {
            layout: web.layout(),
            email: String::new(),
            signup_href: with_next("/signup", &next_of(&next)),
            next,
            form_error: None,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<LoginForm>,
) -> PageResult {
    web.check_csrf(&f.csrf)?;
    let next = safe_next(&f.next);
    let input = LoginInput {
        email: f.email.clone(),
        password: f.password,
    };
    // An empty field is a form left unfilled, not a wrong password: say what is missing.
    let missing = match (input.email.trim().is_empty(), input.password.is_empty()) {
        (true, true) => Some("Type your email and your password."),
        (true, false) => Some("Type your email too."),
        (false, true) => Some("Type your password too."),
        (false, false) => None,
    };
    if let Some(missing) = missing {
        return Ok(web.render_status(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &LoginPage {
                layout: web.layout(),
                email: f.email,
                signup_href: with_next("/signup", &next_of(&next)),
                next,
                form_error: Some(missing.to_string()),
            },
        ));
    }
    let result = match state.limit_auth("login", &web.client.ip, &f.email) {
        Ok(()) => accounts::login_web(&state.ctx, &input, &web.client).await,
        Err(e) => Err(e),
    };
    Ok(match result {
        Ok((_, session)) => {
            let mut res = web.redirect_flash(&next, "signed_in");
            web.set_session_cookie(
                &mut res,
                &session.cookie_token,
                state.ctx.config.web_session_ttl.as_secs() as i64,
            );
            res
        }
        Err(
            e @ (AppError::Unauthorized { .. }
            | AppError::Forbidden { .. }
            | AppError::RateLimited { .. }),
        ) => {
            let status = crate::http::problem::status_of(&e);
            web.render_status(
                &state,
                status,
                &LoginPage {
                    layout: web.layout(),
                    email: f.email,
                    signup_href: with_next("/signup", &next_of(&next)),
                    next,
                    form_error: Some(e.detail()),
                },
            )
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    /// The request was taken: the page says what happens next instead of the form.
    sent: bool,
    minutes: i64,
    errors: FormErrors,
    form_error: Option<String>,
}

impl ForgotPage {
    fn new(web: &WebCtx, email: String) -> Self {
        ForgotPage {
            layout: web.layout(),
            email,
            sent: false,
            minutes: accounts::RESET_LINK_MINUTES,
            errors: FormErrors::default(),
            form_error: None,
        }
    }
}

async fn forgot_form(State(state): State<AppState>, web: WebCtx) -> Response {
    web.render(&state, &ForgotPage::new(&web, String::new()))
}

#[derive(Debug, Default, Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn forgot(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<ForgotForm>,
) -> PageResult {
    web.check_csrf(&f.csrf)?;
    let input = ResetRequest {
        email: f.email.clone(),
    };
    let result = match state.limit_auth("reset", &web.client.ip, &f.email) {
        Ok(()) => accounts::request_password_reset(&state.ctx, &input).await,
        Err(e) => Err(e),
    };
    let mut page = ForgotPage::new(&web, f.email.trim().to_string());
    Ok(match result {
        Ok(()) => {
            page.sent = true;
            web.render(&state, &page)
        }
        Err(e @ (AppError::Invalid(_) | AppError::RateLimited { .. })) => {
            page.form_error = matches!(e, AppError::RateLimited { .. }).then(|| e.detail());
            page.errors = FormErrors::from_error(&e)
                .ids("")
                .labelled(&[("email", "Email")]);
            web.render_status(&state, crate::http::problem::status_of(&e), &page)
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    /// The link still works; otherwise the page says so and offers a new one.
    works: bool,
    minutes: i64,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
    /// Where a confirmation link leads once used (a page of this site).
    #[serde(default)]
    next: String,
}

async fn reset_form(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let token = page_query::<TokenQuery>(&uri).token;
    let works = accounts::reset_link_works(&state.ctx, &token).await?;
    let page = ResetPage {
        layout: web.layout(),
        token,
        works,
        minutes: accounts::RESET_LINK_MINUTES,
        errors: FormErrors::default(),
    };
    Ok(web.render(&state, &page))
}

#[derive(Template)]
#[template(path = "confirm_email.html")]
struct ConfirmEmailPage {
    layout: Layout,
    token: String,
    /// Where to go once confirmed ("" for the settings).
    next: String,
    /// Why the link did not work (after the button).
    error: Option<String>,
}

/// An emailed confirmation link opens a page with a button: following the link alone
/// (as a mail scanner does) confirms nothing.
async fn confirm_email_form(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let q = page_query::<TokenQuery>(&uri);
    let page = ConfirmEmailPage {
        layout: web.layout(),
        token: q.token,
        next: Some(q.next)
            .filter(|n| super::is_local_path(n))
            .unwrap_or_default(),
        error: None,
    };
    Ok(web.render(&state, &page))
}

#[derive(Debug, Default, Deserialize)]
struct ConfirmEmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

async fn confirm_email(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<ConfirmEmailForm>,
) -> PageResult {
    web.check_csrf(&f.csrf)?;
    let result =
        match state.limit_auth("confirm_email", &web.client.ip, &auth::hash_token(&f.token)) {
            Ok(()) => accounts::confirm_email(&state.ctx, &f.token).await,
            Err(e) => Err(e),
        };
    match result {
        Ok((_, changed)) => {
            let to = if web.auth.is_none() {
                "/login"
            } else if !changed && super::is_local_path(&f.next) {
                // Back to the page it was asked from (a program's).
                f.next.as_str()
            } else {
                "/settings"
            };
            Ok(web.redirect_flash(
                to,
                if changed {
                    "email_changed"
                } else {
                    "email_confirmed"
                },
            ))
        }
        Err(AppError::Invalid(found)) => {
            let page = ConfirmEmailPage {
                layout: web.layout(),
                token: String::new(),
                next: String::new(),
                error: found.into_iter().next().map(|f| f.message),
            };
            Ok(web.render_status(&state, StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct SendConfirmationForm {
    #[serde(default)]
    csrf: String,
    /// Where to come back to (a page of this site).
    #[serde(default)]
    back: String,
}

/// "Send me a confirmation link", from the settings or a program's page.
async fn send_confirmation(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<SendConfirmationForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    use accounts::ConfirmationSent as S;
    // Asked from a program's page: the link leads back there once confirmed.
    let next = (super::is_local_path(&f.back) && f.back.starts_with("/programs/"))
        .then_some(f.back.as_str());
    let flash = match accounts::request_email_confirmation(&state.ctx, &me, next).await? {
        S::Sent => "confirmation_sent",
        S::TooSoon => "confirmation_too_soon",
        S::AlreadyConfirmed => "email_confirmed",
    };
    // Only a path of this site (never "//elsewhere").
    let back = if super::is_local_path(&f.back) {
        f.back.as_str()
    } else {
        "/settings"
    };
    Ok(web.redirect_flash(back, flash))
}

#[derive(Debug, Default, Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

async fn reset(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<ResetForm>,
) -> PageResult {
    web.check_csrf(&f.csrf)?;
    let input = ResetConfirm {
        token: f.token.clone(),
        new_password: f.new_password,
    };
    let result =
        match state.limit_auth("reset_confirm", &web.client.ip, &auth::hash_token(&f.token)) {
            Ok(()) => accounts::reset_password_web(&state.ctx, &input, &web.client).await,
            Err(e) => Err(e),
        };
    Ok(match result {
        Ok((_, session)) => {
            let mut res = web.redirect_flash("/dashboard", "password_reset");
            web.set_session_cookie(
                &mut res,
                &session.cookie_token,
                state.ctx.config.web_session_ttl.as_secs() as i64,
            );
            res
        }
        Err(e @ AppError::Invalid(_)) => {
            // A link that stopped working gets the page that says so; a password
            // that is not acceptable gets the form back with the reason.
            let works = accounts::reset_link_works(&state.ctx, &f.token).await?;
            let page = ResetPage {
                layout: web.layout(),
                token: f.token,
                works,
                minutes: accounts::RESET_LINK_MINUTES,
                errors: FormErrors::from_error(&e)
                    .ids("")
                    .labelled(&[("new_password", "New password")]),
            };
            web.render_status(&state, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    layout: Layout,
}

async fn logout_form(State(state): State<AppState>, web: WebCtx) -> Response {
    if web.auth.is_none() {
        return Redirect::to("/").into_response();
    }
    web.render(
        &state,
        &LogoutPage {
            layout: web.layout(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<CsrfOnly>,
) -> PageResult {
    let Some(me) = &web.auth else {
        return Ok(Redirect::to("/").into_response());
    };
    web.check_csrf(&f.csrf)?;
    auth::logout(&state.ctx, &me.user.id, &me.session_id).await?;
    let mut res = web.redirect_flash("/", "signed_out");
    web.clear_session_cookie(&mut res);
    Ok(res)
}

/// Values shown in the profile form.
struct ProfileValues {
    first_name: String,
    last_name: String,
    headline: String,
    bio: String,
    avatar_url: String,
    resume_url: String,
    linkedin_url: String,
    timezone: String,
    clock: String,
}

impl From<&UserRow> for ProfileValues {
    fn from(u: &UserRow) -> Self {
        ProfileValues {
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            headline: u.headline.clone(),
            bio: u.bio.clone(),
            avatar_url: u.avatar_url.clone(),
            resume_url: u.resume_url.clone(),
            linkedin_url: u.linkedin_url.clone(),
            timezone: u.timezone.clone(),
            clock: u.clock.clone(),
        }
    }
}

impl ProfileValues {
    /// An account whose clock is not known yet shows the one its pages use (the
    /// browser's), which saving the form then keeps.
    fn clock_shown(mut self, web: &WebCtx) -> Self {
        if self.clock.is_empty() {
            self.clock = crate::domain::clock::stored(web.hour12).into();
        }
        self
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    show_services: bool,
    p: ProfileValues,
    timezones: super::Zones,
    errors: FormErrors,
    /// Which of the page's forms the errors are of: `profile`, `password`, `delete`
    /// (its summary shows there), or "".
    failed: &'static str,
    /// The wallet's credits, which go with a closed account (said beside closing).
    balance: i64,
    /// The account's address; whether it is confirmed, and whether mail reaches it at
    /// all (a demo account's does not).
    email: String,
    email_confirmed: bool,
    email_reachable: bool,
    /// The new address typed into the change form, shown again when it was refused.
    new_email: String,
    /// A change waiting for its link to be opened: (the new address, until when its
    /// link works, in the reader's time).
    email_pending: Option<(String, String)>,
}

/// The address change waiting for `me` to open its link, for the settings page.
async fn email_pending(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
) -> Result<Option<(String, String)>, AppError> {
    let tz = super::zone_of(Some(me));
    Ok(accounts::pending_email_change(&state.ctx, me)
        .await?
        .map(|(to, until)| (to, web.when(until, &tz))))
}

/// The sign-up form's labels, for its error summary.
const SIGNUP_LABELS: &[(&str, &str)] = &[
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("email", "Email"),
    ("password", "Password"),
    ("timezone", "Time zone"),
];

/// The settings forms' labels, for their error summaries.
const SETTINGS_LABELS: &[(&str, &str)] = &[
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("headline", "Headline"),
    ("bio", "Bio"),
    ("avatar_url", "Photo URL"),
    ("resume_url", "Résumé URL"),
    ("linkedin_url", "LinkedIn URL"),
    ("timezone", "Time zone"),
    ("clock", "Times"),
    ("current_password", "Current password"),
    ("new_password", "New password"),
    ("confirm_password", "Your password"),
    ("new_email", "New email address"),
    ("email_password", "Your password"),
];

async fn settings(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    Ok(web.render(
        &state,
        &SettingsPage {
            layout: web.layout(),
            show_services: offers_services(&state, &me).await,
            p: ProfileValues::from(&me).clock_shown(&web),
            timezones: timezones(),
            errors: FormErrors::default(),
            failed: "",
            balance: crate::service::credits::balance(&state.ctx, &me.id).await?,
            email: me.email.clone(),
            email_confirmed: accounts::email_confirmed(&state.ctx, &me).await?,
            email_reachable: crate::service::notify::mail_reaches(&me.email),
            new_email: String::new(),
            email_pending: email_pending(&state, &web, &me).await?,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    headline: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    avatar_url: String,
    #[serde(default)]
    resume_url: String,
    #[serde(default)]
    linkedin_url: String,
    #[serde(default)]
    timezone: String,
    /// Absent (a form from before the field): left as it is.
    #[serde(default)]
    clock: Option<String>,
}

async fn save_profile(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<ProfileForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let patch = ProfilePatch {
        first_name: Some(f.first_name.clone()),
        last_name: Some(f.last_name.clone()),
        headline: Some(f.headline.clone()),
        bio: Some(f.bio.clone()),
        avatar_url: Some(f.avatar_url.clone()),
        resume_url: Some(f.resume_url.clone()),
        linkedin_url: Some(f.linkedin_url.clone()),
        timezone: Some(f.timezone.clone()),
        clock: f.clock.clone(),
    };
    let result = accounts::update_profile(&state.ctx, &me, &patch).await;
    Ok(match result {
        Ok(_) => web.redirect_flash("/settings", "profile_saved"),
        Err(e @ AppError::Invalid(_)) => web.render_status(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingsPage {
                layout: web.layout(),
                show_services: offers_services(&state, &me).await,
                p: ProfileValues {
                    first_name: f.first_name,
                    last_name: f.last_name,
                    headline: f.headline,
                    bio: f.bio,
                    avatar_url: f.avatar_url,
                    resume_url: f.resume_url,
                    linkedin_url: f.linkedin_url,
                    timezone: f.timezone,
                    clock: f.clock.unwrap_or(me.clock.clone()),
                }
                .clock_shown(&web),
                timezones: timezones(),
                errors: FormErrors::from_error(&e).ids("").labelled(SETTINGS_LABELS),
                failed: "profile",
                balance: crate::service::credits::balance(&state.ctx, &me.id).await?,
                email: me.email.clone(),
                email_confirmed: accounts::email_confirmed(&state.ctx, &me).await?,
                email_reachable: crate::service::notify::mail_reaches(&me.email),
                new_email: String::new(),
                email_pending: email_pending(&state, &web, &me).await?,
            },
        ),
        Err(e) => return Err(e.into()),
    })
}

#[derive(Debug, Default, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn offers_services(state: &AppState, me: &UserRow) -> bool {
    crate::service::mentors::offers_services(&state.ctx, me).await
}

async fn settings_with_errors(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    failed: &'static str,
    e: &AppError,
) -> Response {
    settings_page_with_errors(state, web, me, (failed, e), "").await
}

/// [`settings_with_errors`], with the new address typed into the change form.
async fn settings_page_with_errors(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    (failed, e): (&'static str, &AppError),
    new_email: &str,
) -> Response {
    web.render_status(
        state,
        StatusCode::UNPROCESSABLE_ENTITY,
        &SettingsPage {
            layout: web.layout(),
            show_services: offers_services(state, me).await,
            p: ProfileValues::from(me).clock_shown(web),
            timezones: timezones(),
            errors: FormErrors::from_error(e).ids("").labelled(SETTINGS_LABELS),
            failed,
            // Shown again after a refused form: a figure that cannot be read leaves the
            // line out rather than failing the page.
            balance: crate::service::credits::balance(&state.ctx, &me.id)
                .await
                .unwrap_or(0),
            email: me.email.clone(),
            email_confirmed: accounts::email_confirmed(&state.ctx, me)
                .await
                .unwrap_or(false),
            email_reachable: crate::service::notify::mail_reaches(&me.email),
            new_email: new_email.to_string(),
            email_pending: email_pending(state, web, me).await.unwrap_or_default(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    new_email: String,
    #[serde(default)]
    password: String,
}

/// "Change email": a link goes to the new address (see `accounts::request_email_change`).
async fn change_email(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<EmailForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let input = accounts::EmailChange {
        new_email: f.new_email.clone(),
        password: f.password,
    };
    let result = match state.limit_auth("email_change", &web.client.ip, &me.email) {
        Ok(()) => accounts::request_email_change(&state.ctx, &me, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(Some(_)) => Ok(web.redirect_flash("/settings", "email_change_sent")),
        Ok(None) => Ok(web.redirect_flash("/settings", "confirmation_too_soon")),
        Err(AppError::Invalid(mut found)) => {
            // The page has two password fields: this form's is `email_password`.
            for e in &mut found {
                if e.field == "password" {
                    e.field = "email_password".into();
                }
            }
            let e = AppError::Invalid(found);
            Ok(settings_page_with_errors(&state, &web, &me, ("email", &e), &f.new_email).await)
        }
        Err(e) => Err(e.into()),
    }
}

async fn change_password(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<PasswordForm>,
) -> PageResult {
    let a = web.require_user()?;
    let (me, session_id) = (a.user.clone(), a.session_id.clone());
    web.check_csrf(&f.csrf)?;
    let input = PasswordChange {
        current_password: f.current_password,
        new_password: f.new_password,
    };
    let result = accounts::change_password(&state.ctx, &me, &session_id, &input).await;
    Ok(match result {
        Ok(()) => web.redirect_flash("/settings", "password_changed"),
        Err(e @ AppError::Invalid(_)) => {
            settings_with_errors(&state, &web, &me, "password", &e).await
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Debug, Default, Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

async fn close_account(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<DeleteForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    // On the web a stolen cookie must not be enough to close an account: ask again.
    if f.password.is_empty() {
        let e = AppError::invalid(
            "confirm_password",
            "required",
            "Enter your password to close the account; nothing was closed.",
        );
        return Ok(settings_with_errors(&state, &web, &me, "delete", &e).await);
    }
    if !auth::verify_password(&f.password, &me.password_hash).await? {
        let e = AppError::invalid(
            "confirm_password",
            "wrong_password",
            "The password is not correct; the account was not closed.",
        );
        return Ok(settings_with_errors(&state, &web, &me, "delete", &e).await);
    }
    if let Err(e) = accounts::close_account(&state.ctx, &me).await {
        return match e {
            AppError::Conflict { .. } => {
                Ok(settings_with_errors(&state, &web, &me, "delete", &e).await)
            }
            e => Err(e.into()),
        };
    }
    let mut res = web.redirect_flash("/", "account_closed");
    web.clear_session_cookie(&mut res);
    Ok(res)
}
