//! Extractors: identity (`CurrentUser`, `MaybeUser`), the client's address, and JSON /
//! query / path extraction whose failures are clear problem+json answers, never a bare
//! text 4xx and never a 5xx.

use std::net::SocketAddr;

use axum::{
    extract::{
        ConnectInfo, FromRef, FromRequest, FromRequestParts, Request,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{HeaderMap, Method, header, request::Parts},
};
use serde::de::DeserializeOwned;

use super::AppState;
use crate::{
    error::{AppError, FieldError},
    service::{ClientInfo, auth::Authenticated},
};

/// Name of the web session cookie.
pub const SESSION_COOKIE: &str = "mh_session";
/// Header a cookie-authenticated script sends with unsafe requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of a request cookie.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, whole site. `value` must be a cookie
/// token (our values are base64url tokens and fixed codes).
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn bearer(headers: &HeaderMap) -> Option<Result<&str, AppError>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let parsed = v
        .to_str()
        .ok()
        .and_then(|s| {
            s.strip_prefix("Bearer ")
                .or_else(|| s.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    Some(parsed.ok_or_else(|| {
        AppError::unauthorized(
            "invalid_token",
            "The Authorization header must be `Bearer <access_token>`.",
        )
    }))
}

async fn authenticate(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<Authenticated>, AppError> {
    if let Some(cached) = parts.extensions.get::<Option<Authenticated>>() {
        return Ok(cached.clone());
    }
    let resolved = match bearer(&parts.headers) {
        Some(token) => {
            let token = token?;
            match crate::service::auth::resolve_bearer(&state.ctx, token).await? {
                Some(a) => Some(a),
                None => {
                    return Err(AppError::unauthorized(
                        "invalid_token",
                        "The access token is invalid, expired or revoked.",
                    ));
                }
            }
        }
        None => match cookie(&parts.headers, SESSION_COOKIE) {
            Some(token) => crate::service::auth::resolve_cookie(&state.ctx, &token).await?,
            None => None,
        },
    };
    parts.extensions.insert(resolved.clone());
    Ok(resolved)
}

/// The signed-in user; answers 401 when there is none. A cookie session making an
/// unsafe request must also present its CSRF token in `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Authenticated);

impl<S> FromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let Some(auth) = authenticate(parts, &state).await? else {
            return Err(AppError::unauthorized(
                "unauthenticated",
                "Sign in first: send `Authorization: Bearer <access_token>`.",
            ));
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if auth.via_cookie && !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent, &auth.csrf_token) {
                return Err(AppError::forbidden(
                    "A cookie-authenticated request must carry the session's X-CSRF-Token header.",
                ));
            }
        }
        Ok(CurrentUser(auth))
    }
}

/// The signed-in user if there is one. A bad bearer token is still an error (401), so a
/// client learns its token expired instead of silently seeing the anonymous view.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Authenticated>);

impl<S> FromRequestParts<S> for MaybeUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        Ok(MaybeUser(authenticate(parts, &state).await?))
    }
}

/// The client's address and user agent.
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl<S> FromRequestParts<S> for Client
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        Ok(Client(client_info(
            parts,
            state.ctx.config.trust_forwarded_for,
        )))
    }
}

pub fn client_info(parts: &Parts, trust_forwarded_for: bool) -> ClientInfo {
    let forwarded = trust_forwarded_for
        .then(|| {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .flatten();
    let ip = forwarded.unwrap_or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into())
    });
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    ClientInfo {
        ip,
        user_agent,
        hour12: crate::http::web::browser_hour12(&parts.headers),
    }
}

/// JSON body whose every failure is a clear problem: 415 without a JSON content type,
/// 400 for malformed JSON, 422 for wrong types, missing or unknown fields, 413 when too
/// large. Every body is an object: serde would read a struct from an array of its
/// fields in order (`["id", "text"]`), which no client means; that is 422 too.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = AppState::from_ref(state).ctx.config.max_body_bytes;
        if !json_content_type(req.headers()) {
            return Err(json_rejection(
                JsonRejection::MissingJsonContentType(Default::default()),
                limit,
            ));
        }
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) => return Err(json_rejection(JsonRejection::BytesRejection(e), limit)),
        };
        // A UTF-8 byte-order mark before the text is allowed and ignored (RFC 8259 §8.1).
        let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(_) => bytes.slice(3..),
            None => bytes,
        };
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if matches!(first, Some(b) if *b != b'{') {
            return Err(AppError::Invalid(vec![FieldError::new(
                "body",
                "invalid_value",
                "The body is a JSON object of named fields (`{…}`).",
            )]));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection, limit)),
        }
    }
}

/// Whether the request says its body is JSON (`application/json`, or a type ending in
/// `+json`), parameters such as `charset` aside — what `axum::Json` accepts.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", sub)) => sub == "json" || sub.ends_with("+json"),
        _ => false,
    }
}

fn json_rejection(r: JsonRejection, limit_bytes: usize) -> AppError {
    match r {
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field path and what was expected.
            let msg = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.body_text());
            let field = msg
                .split(':')
                .next()
                .filter(|f| !f.contains(' '))
                .unwrap_or("body")
                .to_string();
            AppError::Invalid(vec![FieldError::new(&field, "invalid_value", msg)])
        }
        JsonRejection::JsonSyntaxError(e) => AppError::bad_request(
            "malformed_json",
            format!(
                "The body is not valid JSON: {}",
                std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| e.body_text())
            ),
        ),
        JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType {
            detail: "Send the body as JSON with `Content-Type: application/json`.".into(),
        },
        JsonRejection::BytesRejection(e) => {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge { limit_bytes }
            } else {
                AppError::bad_request("unreadable_body", "The request body could not be read.")
            }
        }
        other => AppError::bad_request("bad_request", other.body_text()),
    }
}

/// An optional JSON body: no body at all is `None`; a body must be valid JSON.
#[derive(Debug, Clone)]
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned,
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let empty_body = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() == b"0")
            || (!req.headers().contains_key(header::CONTENT_TYPE)
                && !req.headers().contains_key(header::TRANSFER_ENCODING)
                && !req.headers().contains_key(header::CONTENT_LENGTH));
        if empty_body {
            return Ok(OptionalJson(None));
        }
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(v)| OptionalJson(Some(v)))
    }
}

/// A query string whose failures are 422 `invalid_input` with the reason.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let msg = std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| e.body_text());
                let (field, msg) = query_field(&msg);
                Err(AppError::Invalid(vec![FieldError::new(
                    &field,
                    "invalid_value",
                    msg,
                )]))
            }
            Err(other) => Err(AppError::bad_request("bad_query", other.body_text())),
        }
    }
}

/// The parameter a query string's error is about, and the reason: "limit: invalid
/// digit found in string" is about `limit`; "unknown field `x`, expected …" and
/// "missing field `x`" about `x`; anything else about the `query` as a whole.
fn query_field(msg: &str) -> (String, String) {
    let is_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
    };
    if let Some((name, why)) = msg.split_once(": ")
        && is_name(name)
    {
        return (name.to_string(), why.to_string());
    }
    for lead in ["unknown field `", "missing field `"] {
        if let Some(rest) = msg.strip_prefix(lead)
            && let Some((name, _)) = rest.split_once('`')
            && is_name(name)
        {
            return (name.to_string(), msg.to_string());
        }
    }
    ("query".to_string(), msg.to_string())
}

/// Reads a path id: anything that is not a well-formed id is "not found".
pub fn path_id(raw: &str) -> Result<String, AppError> {
    crate::domain::ids::parse_id(raw).ok_or(AppError::NotFound)
}

/// A booking id from the path (not an id: "not found").
pub fn booking_path(raw: &str) -> Result<crate::domain::ids::BookingId, AppError> {
    crate::domain::ids::BookingId::parse(raw).ok_or(AppError::NotFound)
}

/// A resource id from the path. A segment that does not decode, or is not a well-formed
/// id, is "not found" (as if the resource did not exist), never a bare 400.
#[derive(Debug, Clone)]
pub struct IdPath(pub String);

impl<S> FromRequestParts<S> for IdPath
where
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        path_id(&raw).map(IdPath)
    }
}

/// Two resource ids from the path (a resource and one of its parts), as [`IdPath`].
#[derive(Debug, Clone)]
pub struct IdPairPath(pub String, pub String);

impl<S> FromRequestParts<S> for IdPairPath
where
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        Ok(IdPairPath(path_id(&a)?, path_id(&b)?))
    }
}

/// A booking id from the path, typed (the rest as [`IdPath`]).
#[derive(Debug, Clone)]
pub struct BookingPath(pub crate::domain::ids::BookingId);

impl<S> FromRequestParts<S> for BookingPath
where
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let IdPath(id) = IdPath::from_request_parts(parts, state).await?;
        Ok(BookingPath(crate::domain::ids::BookingId::trusted(id)))
    }
}
