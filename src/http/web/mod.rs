//! Server-rendered HTML pages. Forms post plain `application/x-www-form-urlencoded`
//! bodies and work without JavaScript; each carries a CSRF token (the session's when
//! signed in, a double-submit cookie before). After a successful post the browser is
//! redirected (post/redirect/get) with a one-shot flash message.

//! Page handlers return [`PageResult`]: they use `?` on what services answer and on the
//! early exits of [`WebCtx`] (a redirect to sign in, a refused form), and an error is
//! rendered as the error page, with the request's navigation, by one middleware
//! ([`render_failed_pages`]).

// Page helpers return `Result<_, Response>`: the error *is* the page to send (a redirect
// or an error page), produced once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

mod account;
mod admin;
pub mod articles;
pub mod bookings;
mod calendars;
mod chat;
mod confirm;
mod credits;
mod dashboards;
mod disputes;
mod flash;
mod forms;
mod groups;
mod mentees;
mod mentors;
mod pages;
mod payments;
mod picker;
mod profiles;
mod programs;
mod progress;
mod reports;

use std::sync::OnceLock;

use askama::Template;
use axum::{
    Router,
    extract::{FromRef, FromRequest, FromRequestParts, Request, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::de::DeserializeOwned;

use super::{
    AppState,
    extract::{SESSION_COOKIE, client_info, constant_time_eq, cookie, set_cookie},
};
use crate::{
    domain::user::{Role, Roles},
    error::AppError,
    service::{ClientInfo, auth::Authenticated},
};

/// What a page handler answers: the page, or why it stopped early.
pub type PageResult = Result<Response, PageError>;

/// Why a page stopped early: a response already made (a redirect, a form shown again
/// with its errors) or an error for the error page.
#[derive(Debug)]
pub enum PageError {
    Early(Response),
    Failed(AppError),
}

impl From<Response> for PageError {
    fn from(r: Response) -> Self {
        PageError::Early(r)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::Failed(e)
    }
}

/// An error on its way to [`render_failed_pages`], which has the request's page
/// context (extensions must be `Clone`; the error is taken out once).
#[derive(Clone)]
struct FailedPage(std::sync::Arc<std::sync::Mutex<Option<AppError>>>);

/// Where the page context of a request is left for [`render_failed_pages`].
#[derive(Clone, Default)]
struct WebSlot(std::sync::Arc<std::sync::Mutex<Option<WebCtx>>>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Early(r) => r,
            PageError::Failed(e) => {
                let mut r = super::problem::status_of(&e).into_response();
                r.extensions_mut()
                    .insert(FailedPage(std::sync::Arc::new(std::sync::Mutex::new(
                        Some(e),
                    ))));
                r
            }
        }
    }
}

/// Renders a page handler's error as the error page, with the navigation of the page
/// context the handler read (or a bare one when it failed before reading it).
pub async fn render_failed_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: axum::middleware::Next,
) -> Response {
    let slot = WebSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    let failed = res
        .extensions_mut()
        .remove::<FailedPage>()
        .and_then(|f| f.0.lock().unwrap_or_else(|p| p.into_inner()).take());
    match failed {
        Some(e) => {
            let web = slot.0.lock().unwrap_or_else(|p| p.into_inner()).take();
            error_page(&state, web.as_ref(), e)
        }
        None => res,
    }
}

use self::flash::flash_from_code;
pub use self::{
    flash::Flash,
    forms::{FormErrors, in_words},
};

const CSRF_COOKIE: &str = "mh_csrf";
const FLASH_COOKIE: &str = "mh_flash";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        // The site's icon, also where browsers look for it without being told.
        .route("/static/icon.svg", get(icon))
        .route("/favicon.ico", get(icon))
        .merge(pages::router())
        .merge(account::router())
        .merge(admin::router())
        .merge(mentors::router())
        .merge(profiles::router())
        .merge(bookings::router())
        .merge(calendars::router())
        .merge(chat::router())
        .merge(articles::router())
        .merge(payments::router())
        .merge(dashboards::router())
        .merge(reports::router())
        .merge(disputes::router())
        .merge(credits::router())
        .merge(mentees::router())
        .merge(groups::router())
        .merge(programs::router())
        .merge(progress::router())
}

const CSS: &str = include_str!("../../../static/app.css");
const JS: &str = include_str!("../../../static/app.js");
const ICON: &str = include_str!("../../../static/icon.svg");

/// A digest of the stylesheet and the script (FNV-1a), which pages put in their
/// addresses (`/static/app.css?v=…`): a new version of mentorhub is fetched at once by
/// every browser, whatever it cached, while one version is cached for a day.
pub fn asset_version() -> &'static str {
    static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let hash = (CSS.bytes().chain(JS.bytes())).fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{hash:016x}")
    });
    &VERSION
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// Everything a page handler needs about the browser: who is signed in, the CSRF
/// token for forms, the flash message, the path.
#[derive(Debug, Clone)]
pub struct WebCtx {
    pub auth: Option<Authenticated>,
    pub client: ClientInfo,
    anon_csrf: String,
    new_anon_csrf: bool,
    flash: Option<Flash>,
    had_flash: bool,
    pub path: String,
    /// Where a sign-in comes back to: the path, and a page's query (the mentor,
    /// service and time a booking form was opened with).
    here: String,
    secure_cookies: bool,
    /// Unread notifications and chat messages, for the navigation badges.
    counts: (i64, i64),
    /// A visitor's zone: chosen on the slot picker or detected by the browser
    /// (`mh_tz` cookie); signed-in people use their profile's.
    visitor_zone: Option<jiff::tz::TimeZone>,
    /// Times as "9:00 AM" rather than "09:00" (the browser's first language is one
    /// that writes them so).
    pub hour12: bool,
    /// The site's contact address (`MENTORHUB_CONTACT_EMAIL`), for the footer.
    contact: String,
}

impl<S> FromRequestParts<S> for WebCtx
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let auth = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(c) => crate::service::auth::resolve_cookie(&state.ctx, &c)
                .await
                .map_err(|e| error_page(&state, None, e))?,
            None => None,
        };
        let (anon_csrf, new_anon_csrf) = match cookie(&parts.headers, CSRF_COOKIE) {
            Some(c) if c.len() == 43 => (c, false),
            _ => (crate::service::auth::new_token(), true),
        };
        let flash_cookie = cookie(&parts.headers, FLASH_COOKIE);
        let counts = match &auth {
            Some(a) => (
                crate::service::notify::unread_count(&state.ctx, &a.user.id)
                    .await
                    .unwrap_or(0),
                crate::service::messages::unread_total(&state.ctx, &a.user.id)
                    .await
                    .unwrap_or(0),
            ),
            None => (0, 0),
        };
        // A person's own clock once known (chosen, or learned from their browser);
        // the browser's language otherwise.
        let hour12 = auth
            .as_ref()
            .and_then(|a| a.user.hour12())
            .unwrap_or_else(|| browser_hour12(&parts.headers));
        let web = WebCtx {
            counts,
            auth,
            client: client_info(parts, state.ctx.config.trust_forwarded_for),
            anon_csrf,
            new_anon_csrf,
            flash: flash_cookie.as_deref().and_then(flash_from_code),
            had_flash: flash_cookie.is_some(),
            path: parts.uri.path().to_string(),
            here: match parts.uri.query() {
                Some(q) if parts.method == axum::http::Method::GET && q.len() <= 1000 => {
                    format!("{}?{q}", parts.uri.path())
                }
                _ => parts.uri.path().to_string(),
            },
            secure_cookies: state.ctx.config.secure_cookies,
            visitor_zone: cookie(&parts.headers, ZONE_COOKIE).and_then(|z| {
                jiff::tz::TimeZone::get(crate::domain::user::current_zone_name(&urldecode(&z))).ok()
            }),
            hour12,
            contact: state.ctx.config.contact_email.clone().unwrap_or_default(),
        };
        if let Some(slot) = parts.extensions.get::<WebSlot>() {
            *slot.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(web.clone());
        }
        Ok(web)
    }
}

/// A form whose only field is its CSRF token (the buttons that post an action).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// The zone a person sees times in: their profile's, UTC for a visitor (or a zone
/// name this build does not know).
pub fn zone_of(user: Option<&crate::service::accounts::UserRow>) -> jiff::tz::TimeZone {
    user.and_then(|u| jiff::tz::TimeZone::get(&u.timezone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Whether the browser's first language writes times on a 12-hour clock.
pub fn browser_hour12(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(crate::domain::clock::writes_12_hour_times)
}

/// The cookie that keeps a visitor's zone.
pub const ZONE_COOKIE: &str = "mh_tz";

impl WebCtx {
    /// The zone the person sees times in: their profile's when signed in, else the
    /// visitor's chosen or detected zone, else UTC.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        match &self.auth {
            Some(a) => zone_of(Some(&a.user)),
            None => self.visitor_zone.clone().unwrap_or(jiff::tz::TimeZone::UTC),
        }
    }

    /// Keeps a visitor's chosen zone for the next pages (a year).
    pub fn remember_zone(&self, res: &mut Response, zone: &str) {
        if let Ok(v) =
            HeaderValue::from_str(&self.cookie(ZONE_COOKIE, urlencode(zone), 365 * 24 * 3600))
        {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }

    /// "Mon 2 Mar 2026, 9:00 AM" (or "…, 09:00"), as the person reads times.
    pub fn when(&self, t: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
        let z = t.to_zoned(tz.clone());
        format!("{}, {}", z.strftime("%a %-d %b %Y"), self.clock_time(&z))
    }

    /// "Mon 2 Mar 2026, 9:00 AM – 10:00 AM": the date once, unless the end falls on
    /// another day ("…, 11:30 PM – Tue 3 Mar, 12:30 AM"); when the clocks change in
    /// between, it says so ("1:30 AM – 1:30 AM, the clocks go back an hour in between").
    pub fn span(
        &self,
        (start, end): (jiff::Timestamp, jiff::Timestamp),
        tz: &jiff::tz::TimeZone,
    ) -> String {
        let (s, e) = (start.to_zoned(tz.clone()), end.to_zoned(tz.clone()));
        let end_day = if s.date() == e.date() {
            String::new()
        } else {
            format!("{}, ", e.strftime("%a %-d %b"))
        };
        let change =
            crate::domain::clock::clock_change(&s, &e).map_or(String::new(), |c| format!(", {c}"));
        format!(
            "{} – {end_day}{}{change}",
            self.when(start, tz),
            self.clock_time(&e)
        )
    }

    /// "9:00 AM" or "09:00", as the person reads times.
    pub fn clock_time(&self, z: &jiff::Zoned) -> String {
        z.strftime(crate::domain::clock::time_format(self.hour12))
            .to_string()
    }

    /// The token forms must carry.
    pub fn csrf(&self) -> &str {
        match &self.auth {
            Some(a) => &a.csrf_token,
            None => &self.anon_csrf,
        }
    }

    /// Checks a form's CSRF token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        if constant_time_eq(sent, self.csrf()) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            ))
        }
    }

    pub fn is_admin(&self) -> bool {
        self.auth
            .as_ref()
            .is_some_and(|a| Roles::from_db(&a.user.roles).has(Role::Admin))
    }

    /// The layout data every page template gets.
    pub fn layout(&self) -> Layout {
        let mut nav = vec![];
        let mut add = |href: &'static str, label: &'static str| {
            let current = self.path == href
                || (href != "/"
                    && self.path.starts_with(href)
                    && !(href == "/mentorship" && self.path.starts_with("/mentorship/find")));
            nav.push(NavItem {
                href,
                label,
                current,
            });
        };
        // Signed in, the dashboard is home (the brand still leads to the front page).
        if self.auth.is_none() {
            add("/", "Home");
        }
        add("/mentorship/find", "Find a mentor");
        add("/group-sessions", "Group sessions");
        add("/articles", "Articles");
        if self.auth.is_some() {
            add("/dashboard", "Dashboard");
            add("/mentorship", "Mentorship");
            add("/programs", "Programs");
            add("/chat", "Chat");
            add("/credits", "Credits");
            add("/settings", "Settings");
        }
        if self.is_admin() {
            add("/admin", "Admin");
        }
        Layout {
            user: self.auth.as_ref().map(|a| NavUser {
                name: format!("{} {}", a.user.first_name, a.user.last_name),
            }),
            csrf: self.csrf().to_string(),
            flash: self.flash.clone(),
            nav,
            unread_notifications: self.counts.0,
            unread_messages: self.counts.1,
            assets: asset_version(),
            form_key: crate::service::auth::new_token(),
            contact: self.contact.clone(),
        }
    }

    /// Handles a form that creates something at most once per rendering of its page:
    /// `form_key` is the page's [`Layout::form_key`] as sent back. The first sending
    /// runs `act`; one that follows is led to where the first led (a flash says so),
    /// and one sent while the first is on its way waits for it. A sending `act`
    /// refuses (the page comes back with the reasons) lets go of the key, so the
    /// corrected form can be sent. Without a usable key (a client that sends none),
    /// `act` simply runs.
    pub async fn once(
        &self,
        state: &AppState,
        user_id: &str,
        form_key: &str,
        act: impl std::future::Future<Output = PageResult>,
    ) -> PageResult {
        use crate::service::forms::{self, Sending};
        if !usable_form_key(form_key) {
            return act.await;
        }
        // Per form: one page may hold several, all rendered with the same key.
        let key = format!("{}|{form_key}", self.path);
        let ctx = &state.ctx;
        let mut waited = 0;
        loop {
            match forms::claim(ctx, user_id, &key).await? {
                Sending::First => break,
                Sending::Done(location) => {
                    return Ok(self.redirect_flash(&location, "already_sent"));
                }
                Sending::Busy if waited < 100 => {
                    waited += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Sending::Busy => {
                    return Err(AppError::conflict(
                        "form_in_flight",
                        "This form is still being sent. Reload the page in a moment.",
                    )
                    .into());
                }
            }
        }
        let res = act.await;
        let led_to = res
            .as_ref()
            .ok()
            .filter(|r| r.status().is_redirection())
            .and_then(|r| r.headers().get(header::LOCATION))
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        match led_to {
            Some(location) => forms::finish(ctx, user_id, &key, &location).await?,
            None => forms::release(ctx, user_id, &key).await?,
        }
        res
    }

    /// The layout of a form page coming back as the same form (a preview, a refusal):
    /// it keeps the key it was sent with, so that going Back past it and sending again
    /// is still caught by [`WebCtx::once`].
    pub fn layout_keeping(&self, form_key: &str) -> Layout {
        let mut layout = self.layout();
        if usable_form_key(form_key) {
            layout.form_key = form_key.to_string();
        }
        layout
    }

    fn cookie(&self, name: &'static str, value: String, max_age_secs: i64) -> String {
        set_cookie(name, &value, max_age_secs, self.secure_cookies)
    }

    /// Attaches the cookies this request owes the browser (a new anonymous CSRF token,
    /// clearing a consumed flash).
    pub fn finish(&self, mut res: Response) -> Response {
        let mut add = |c: String| {
            if let Ok(v) = HeaderValue::from_str(&c) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        };
        if self.new_anon_csrf && self.auth.is_none() {
            add(self.cookie(CSRF_COOKIE, self.anon_csrf.clone(), 7 * 24 * 3600));
        }
        if self.had_flash {
            add(self.cookie(FLASH_COOKIE, String::new(), 0));
        }
        res
    }

    /// Renders a page with status 200.
    pub fn render(&self, state: &AppState, page: &impl Template) -> Response {
        self.render_status(state, StatusCode::OK, page)
    }

    pub fn render_status(
        &self,
        state: &AppState,
        status: StatusCode,
        page: &impl Template,
    ) -> Response {
        match page.render() {
            Ok(html) => self.finish(
                (
                    status,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    html,
                )
                    .into_response(),
            ),
            Err(e) => error_page(
                state,
                Some(self),
                AppError::Internal(anyhow::anyhow!("rendering a template: {e}")),
            ),
        }
    }

    /// Redirects (303) with a flash message from the table above.
    pub fn redirect_flash(&self, to: &str, flash_code: &'static str) -> Response {
        self.redirect_flash_numbers(to, flash_code, &[])
    }

    /// A redirect with a flash that carries numbers (see [`flash::with_numbers`]).
    pub fn redirect_flash_numbers(
        &self,
        to: &str,
        flash_code: &'static str,
        numbers: &[i64],
    ) -> Response {
        let mut res = Redirect::to(to).into_response();
        let value = flash::with_numbers(flash_code, numbers);
        if let Ok(v) = HeaderValue::from_str(&self.cookie(FLASH_COOKIE, value, 60)) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        res
    }

    /// Sets the web session cookie (after sign-in) on a response.
    pub fn set_session_cookie(&self, res: &mut Response, token: &str, max_age_secs: i64) {
        if let Ok(v) =
            HeaderValue::from_str(&self.cookie(SESSION_COOKIE, token.to_string(), max_age_secs))
        {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }

    pub fn clear_session_cookie(&self, res: &mut Response) {
        if let Ok(v) = HeaderValue::from_str(&self.cookie(SESSION_COOKIE, String::new(), 0)) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }

    /// A form posted by a signed-in person: who they are, once the form's CSRF token
    /// is checked (else the sign-in redirect, or the error page).
    pub fn signed_in_form(
        &self,
        state: &AppState,
        csrf: &str,
    ) -> Result<crate::service::accounts::UserRow, Response> {
        let me = self.require_user()?.user.clone();
        if let Err(e) = self.check_csrf(csrf) {
            return Err(error_page(state, Some(self), e));
        }
        Ok(me)
    }

    /// The signed-in user, or a redirect to the sign-in page that comes back here.
    pub fn require_user(&self) -> Result<&Authenticated, Response> {
        match &self.auth {
            Some(a) => Ok(a),
            None => Err(self.to_sign_in("sign_in_first")),
        }
    }

    /// To the sign-in page, saying `flash`, and back here after.
    pub fn to_sign_in(&self, flash: &'static str) -> Response {
        self.redirect_flash(&format!("/login?next={}", urlencode(&self.here)), flash)
    }
}

/// Whether a form key sent back is one a page could have rendered (see
/// [`WebCtx::once`]).
fn usable_form_key(form_key: &str) -> bool {
    (16..=64).contains(&form_key.len())
        && form_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A mentor's time off as their pages name it: "your day off on Thursday 10
/// December", or "the time you blocked on …" for a window of hours.
pub fn time_off_words(date: jiff::civil::Date, day_off: bool) -> String {
    let day = date.strftime("%A %-d %B");
    if day_off {
        format!("your day off on {day}")
    } else {
        format!("the time you blocked on {day}")
    }
}

/// Undoes [`urlencode`] (a cookie's value).
pub fn urldecode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

pub use crate::domain::text::urlencode;

/// A local path to return to after sign-in; anything else (another site, `//host`)
/// becomes the dashboard.
pub fn safe_next(next: &str) -> String {
    if is_local_path(next) {
        next.to_string()
    } else {
        "/dashboard".to_string()
    }
}

/// Whether `to` is a path on this site that every browser reads as one: it starts with
/// one `/` (not `//` or `/\`, which name another host), and holds only visible ASCII
/// other than a backslash. Browsers drop TAB, CR and LF from URLs (`/<TAB>/evil.example`
/// becomes `//evil.example`) and treat `\` as `/`, so any control character or
/// backslash anywhere is refused; so is anything a `Location` header cannot carry
/// (spaces, non-ASCII), which would otherwise fail to make the response.
pub fn is_local_path(to: &str) -> bool {
    to.starts_with('/')
        && !to.starts_with("//")
        && to.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
}

/// What `base.html` needs.
#[derive(Debug, Clone)]
pub struct Layout {
    pub user: Option<NavUser>,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub nav: Vec<NavItem>,
    pub unread_notifications: i64,
    pub unread_messages: i64,
    /// The stylesheet's and script's version, in their addresses ([`asset_version`]).
    pub assets: &'static str,
    /// A fresh random key for the forms of this page that create something (hidden
    /// field `form_key`): sent twice, such a form does its work once ([`WebCtx::once`]).
    pub form_key: String,
    /// The site's contact address, in the footer; empty: none is shown.
    pub contact: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    title: String,
    detail: String,
}

/// An error as a page (HTML counterpart of problem+json).
pub fn error_page(state: &AppState, web: Option<&WebCtx>, e: AppError) -> Response {
    let status = super::problem::status_of(&e);
    if let AppError::Internal(cause) = &e {
        tracing::error!(error = format!("{cause:#}"), "internal error (page)");
    }
    let layout = web.map(WebCtx::layout).unwrap_or(Layout {
        user: None,
        csrf: String::new(),
        flash: None,
        nav: vec![NavItem {
            href: "/",
            label: "Home",
            current: false,
        }],
        unread_notifications: 0,
        unread_messages: 0,
        assets: asset_version(),
        form_key: String::new(),
        contact: state.ctx.config.contact_email.clone().unwrap_or_default(),
    });
    let page = ErrorPage {
        layout,
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        detail: e.detail(),
    };
    let _ = state;
    let html = page.render().unwrap_or_else(|_| {
        "<!doctype html><title>Error</title><p>Something went wrong.</p>".into()
    });
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    if let AppError::RateLimited { retry_after_secs } = e
        && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The HTML 404 for unknown paths.
pub async fn not_found_page(state: &AppState, mut parts: Parts) -> Response {
    let web = WebCtx::from_request_parts(&mut parts, state).await.ok();
    error_page(state, web.as_ref(), AppError::NotFound)
}

/// Reads a page's query string; a malformed one falls back to the defaults (a page
/// should still render when someone hand-edits its URL).
pub fn page_query<T: DeserializeOwned + Default>(uri: &axum::http::Uri) -> T {
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

/// A urlencoded form whose rejection is an error page, not a bare text answer.
pub struct WebForm<T>(pub T);

impl<S, T> FromRequest<S> for WebForm<T>
where
    T: DeserializeOwned,
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(WebForm(v)),
            Err(r) => {
                let app = AppState::from_ref(state);
                let e = match r {
                    FormRejection::InvalidFormContentType(_) => AppError::UnsupportedMediaType {
                        detail: "Forms must be sent as application/x-www-form-urlencoded.".into(),
                    },
                    FormRejection::BytesRejection(b)
                        if b.status() == StatusCode::PAYLOAD_TOO_LARGE =>
                    {
                        AppError::PayloadTooLarge {
                            limit_bytes: app.ctx.config.max_body_bytes,
                        }
                    }
                    other => AppError::bad_request("bad_form", other.body_text()),
                };
                Err(error_page(&app, None, e))
            }
        }
    }
}

/// Old names the time zone database keeps as links to a current zone (Asia/Calcutta
/// for Asia/Kolkata, US/Eastern for America/New_York): a picker that listed both would
/// offer the same place twice. A person whose zone is one of them still sees it chosen
/// ([`Zones::has`]), and a browser that reports one (some still do) is still followed.
const ZONE_ALIASES: &[&str] = &[
    "Africa/Asmera",
    "Africa/Timbuktu",
    "America/Argentina/ComodRivadavia",
    "America/Atka",
    "America/Buenos_Aires",
    "America/Catamarca",
    "America/Coral_Harbour",
    "America/Cordoba",
    "America/Ensenada",
    "America/Fort_Wayne",
    "America/Godthab",
    "America/Indianapolis",
    "America/Jujuy",
    "America/Knox_IN",
    "America/Louisville",
    "America/Mendoza",
    "America/Montreal",
    "America/Nipigon",
    "America/Pangnirtung",
    "America/Porto_Acre",
    "America/Rainy_River",
    "America/Rosario",
    "America/Santa_Isabel",
    "America/Shiprock",
    "America/Thunder_Bay",
    "America/Virgin",
    "America/Yellowknife",
    "Antarctica/South_Pole",
    "Asia/Ashkhabad",
    "Asia/Calcutta",
    "Asia/Chongqing",
    "Asia/Chungking",
    "Asia/Dacca",
    "Asia/Harbin",
    "Asia/Istanbul",
    "Asia/Kashgar",
    "Asia/Katmandu",
    "Asia/Macao",
    "Asia/Rangoon",
    "Asia/Saigon",
    "Asia/Tel_Aviv",
    "Asia/Thimbu",
    "Asia/Ujung_Pandang",
    "Asia/Ulan_Bator",
    "Atlantic/Faeroe",
    "Atlantic/Jan_Mayen",
    "Australia/ACT",
    "Australia/Canberra",
    "Australia/Currie",
    "Australia/LHI",
    "Australia/NSW",
    "Australia/North",
    "Australia/Queensland",
    "Australia/South",
    "Australia/Tasmania",
    "Australia/Victoria",
    "Australia/West",
    "Australia/Yancowinna",
    "Europe/Belfast",
    "Europe/Kiev",
    "Europe/Tiraspol",
    "Europe/Uzhgorod",
    "Europe/Zaporozhye",
    "Pacific/Enderbury",
    "Pacific/Johnston",
    "Pacific/Ponape",
    "Pacific/Samoa",
    "Pacific/Truk",
    "Pacific/Yap",
];

/// Region-wide old names ("US/Pacific", "Canada/Atlantic"): links too.
const ZONE_ALIAS_PREFIXES: &[&str] = &["Brazil/", "Canada/", "Chile/", "Mexico/", "US/"];

/// Every current IANA zone name in the bundled database, sorted.
pub fn zone_names() -> &'static [String] {
    static ZONES: OnceLock<Vec<String>> = OnceLock::new();
    ZONES.get_or_init(|| {
        let mut v: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.to_string())
            .filter(|n| n.contains('/') || n == "UTC")
            .filter(|n| !n.starts_with("Etc/") && !n.starts_with("SystemV/"))
            .filter(|n| !ZONE_ALIASES.contains(&n.as_str()))
            .filter(|n| !ZONE_ALIAS_PREFIXES.iter().any(|p| n.starts_with(p)))
            .collect();
        v.sort();
        v.dedup();
        v
    })
}

/// A time zone picker's choices: each current zone with its offset from UTC now
/// ("Asia/Kolkata (UTC+05:30)"), so that a person finds theirs by the hour as well as
/// by the city. Made at most every ten minutes (offsets change with summer time).
#[derive(Clone)]
pub struct Zones(std::sync::Arc<Vec<(String, String)>>);

impl Zones {
    /// (name, label) in name order.
    pub fn iter(&self) -> impl Iterator<Item = &(String, String)> {
        self.0.iter()
    }

    /// Whether `name` is one of the choices (an old name someone still has is not: the
    /// picker then offers it first, chosen).
    pub fn has(&self, name: &str) -> bool {
        self.0
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .is_ok()
    }
}

/// The picker's choices now (see [`Zones`]).
pub fn timezones() -> Zones {
    static CACHE: std::sync::Mutex<Option<(std::time::Instant, Zones)>> =
        std::sync::Mutex::new(None);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((made, zones)) = cache.as_ref()
        && made.elapsed() < std::time::Duration::from_secs(600)
    {
        return zones.clone();
    }
    let now = jiff::Timestamp::now();
    let labelled = zone_names()
        .iter()
        .map(|name| {
            let offset = jiff::tz::TimeZone::get(name)
                .map(|tz| tz.to_offset(now))
                .unwrap_or(jiff::tz::Offset::UTC);
            (name.clone(), format!("{name} ({})", utc_offset(offset)))
        })
        .collect();
    let zones = Zones(std::sync::Arc::new(labelled));
    *cache = Some((std::time::Instant::now(), zones.clone()));
    zones
}

/// "UTC", "UTC+05:30", "UTC−03:00".
fn utc_offset(o: jiff::tz::Offset) -> String {
    let secs = o.seconds();
    if secs == 0 {
        return "UTC".into();
    }
    let sign = if secs < 0 { '−' } else { '+' };
    let m = secs.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}
