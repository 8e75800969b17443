//! HTTP: the JSON API (`api`), the HTML pages (`web`), and the middleware around both
//! (request ids, tracing, metrics, security headers, body limit, timeout, panics).

pub mod api;
pub mod extract;
pub mod hygiene;
pub mod problem;
pub mod serve;
pub mod web;

use std::{sync::Arc, time::Instant};

use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};

use crate::{
    error::AppError,
    metrics::Metrics,
    ratelimit::RateLimiter,
    service::{Backend, Ctx},
};

/// Shared by every handler: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub ctx: Ctx,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<RateLimiter>,
}

impl AppState {
    pub fn backend_name(&self) -> &'static str {
        match self.ctx.db.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Counts a sign-in or sign-up attempt against the client address and the account.
    pub fn limit_auth(&self, action: &str, ip: &str, email: &str) -> Result<(), AppError> {
        let now = self.ctx.now();
        let account = email.trim().to_lowercase();
        self.limiter
            .hit(&format!("{action}:ip:{ip}"), crate::clock::to_micros(now))
            .and_then(|()| {
                self.limiter.hit(
                    &format!("{action}:acct:{account}"),
                    crate::clock::to_micros(now),
                )
            })
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })
    }
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application router, with middleware.
pub fn router(state: AppState, api: axum::Router<AppState>) -> Router {
    let max_body = state.ctx.config.max_body_bytes;
    Router::new()
        .merge(api)
        .route("/calendar/{file}", axum::routing::get(api::bookings::feed))
        .merge(web::router().layer(middleware::from_fn_with_state(
            state.clone(),
            web::render_failed_pages,
        )))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(detach_writes))
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        // Outside the timeout and the write's own task: the body is read whole, within
        // its own deadline, before the handler's time starts (see `serve`).
        .layer(middleware::from_fn_with_state(
            state.clone(),
            hygiene::refuse_nul,
        ))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), record_metrics))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CatchPanicLayer::custom(|_panic| handler_panicked()))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .make_span_with(|req: &Request<Body>| {
                    let id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
                    tracing::info_span!("request", method = %req.method(), route = route.unwrap_or("unmatched"), path = %logged_path(req.uri().path(), route), request_id = %id)
                }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .with_state(state)
}

/// Routes whose path carries a secret (the calendar feed's token): the log shows
/// their template instead of the path. Query strings are never logged.
const SECRET_ROUTES: &[&str] = &["/calendar/{file}"];

/// The path as the log shows it (see [`SECRET_ROUTES`]).
fn logged_path<'a>(path: &'a str, route: Option<&'a str>) -> &'a str {
    match route {
        Some(r) if SECRET_ROUTES.contains(&r) => r,
        _ => path,
    }
}

fn wants_html(req: &Request) -> bool {
    let path = req.uri().path();
    !(path.starts_with("/api/") || path == "/api")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    if wants_html(&req) {
        let (parts, _) = req.into_parts();
        return web::not_found_page(&state, parts).await;
    }
    AppError::NotFound.into_response()
}

/// 405, except for a browser opening the address of a form (a reload of the page a
/// refused form came back on, an address copied from the bar): it is sent to the page
/// the form belongs to — `/bookings/{id}` for `/bookings/{id}/reschedule`, `/settings`
/// for `/settings/password` — or home.
async fn method_not_allowed(req: Request) -> Response {
    use axum::http::Method;
    if wants_html(&req) && matches!(*req.method(), Method::GET | Method::HEAD) {
        // Only plain words and ids are repeated: nothing that could read as another site.
        let plain = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let segments: Vec<&str> = req
            .uri()
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let to = match segments.as_slice() {
            [kind, id, _, ..] if plain(kind) && plain(id) => format!("/{kind}/{id}"),
            // `/settings/password` → `/settings`, `/credits/ask` → `/credits`.
            [kind, _] if plain(kind) => format!("/{kind}"),
            _ => "/".to_string(),
        };
        return axum::response::Redirect::to(&to).into_response();
    }
    AppError::MethodNotAllowed.into_response()
}

async fn record_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    state
        .metrics
        .record(&method, &route, res.status().as_u16(), started.elapsed());
    res
}

/// A request that may write (any method but GET, HEAD and OPTIONS) runs on a task of
/// its own, so it runs to its end even when its client hangs up or the timeout answers
/// first: hyper drops a handler whose connection closed, which would otherwise stop a
/// write between its commit and what follows it (live events, the mentor's next free
/// slot, the push to a connected calendar) — or, mid-transaction, throw away a booking
/// the client may retry for. Reads stop with their client.
async fn detach_writes(req: Request, next: Next) -> Response {
    if matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    ) {
        return next.run(req).await;
    }
    // In the request's span, so its logs still carry the request id.
    let task = tracing::Instrument::instrument(next.run(req), tracing::Span::current());
    match tokio::spawn(task).await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(error = %e, "a request handler's task failed");
            handler_panicked()
        }
    }
}

/// The answer to a request whose handler panicked (caught by the layer, or on a
/// write's own task).
fn handler_panicked() -> Response {
    AppError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
}

async fn timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(state.ctx.config.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => AppError::Unavailable {
            code: "timeout",
            detail: "The server took too long to answer; try again.".into(),
        }
        .into_response(),
    }
}

/// The page policy: no inline script or style anywhere in our pages. The API docs page
/// (third-party Swagger UI) needs inline styles, and only it gets them.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' https: data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const CSP_DOCS: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut res = next.run(req).await;
    let ok = res.status() == StatusCode::OK;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { CSP_DOCS } else { CSP }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if ok && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
