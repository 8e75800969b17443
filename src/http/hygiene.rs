//! Text input hygiene, one rule at the edge for every route: no request may carry a
//! NUL character (U+0000) — not in its path, its query, a form, a JSON body or a
//! webhook payload. PostgreSQL cannot store or even compare a text holding one (the
//! query fails), SQLite silently truncates at it, and no person types one; so it is
//! refused here with `400 nul_character` before any handler runs, and no engine ever
//! sees it. Other control characters are each field's business (`domain::text`). A
//! body with a `Content-Encoding` (gzip, br) is refused as well, `415`: nothing here
//! decompresses, and its bytes are not the text they would be read as. A form of more
//! than [`MAX_FORM_FIELDS`] fields is refused too (`400 too_many_fields`): no page
//! sends one, and handlers look fields up by name.
//!
//! The request's head is bounded here too, with a reason: a path and query longer than
//! [`MAX_URI_BYTES`] is `414 uri_too_long`, header fields of more than
//! [`MAX_HEADER_BYTES`] in all are `431 headers_too_large` (no page or client of ours
//! comes near either; hyper's own limits, far above them — a 64 KiB target, a head
//! over its read buffer — answer the same statuses without a body, before any of
//! this runs). A path whose percent-decoding is not UTF-8 names nothing here (every
//! id, slug and file name is text) and is `404 not_found`, as a page for a browser,
//! rather than the router's plain-text 400.
//!
//! The check reads the encoded request, without decoding it: `%00` in the path, the
//! query or an `application/x-www-form-urlencoded` body, a raw NUL byte in any body,
//! and a `\u0000` escape in any other body (JSON, and whatever claims to be something
//! else: a signed webhook is read as JSON whatever its `Content-Type`). The body is
//! read into memory within the configured body limit (a larger one is `413`), as the
//! handlers' extractors would have done anyway, and within the body deadline (a client
//! that falls silent is answered `408 request_timeout` and disconnected): this layer
//! runs before the request timeout starts and before a write is put on its own task,
//! so no handler ever waits on the network for its input.

use axum::{
    body::Body,
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::AppState;
use crate::error::AppError;

/// The longest path and query read, in bytes as sent (percent-encoded).
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// The most bytes of header fields read, names and values together.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The most fields a form may hold: the availability editor's longest (a year of
/// single-date exceptions, five inputs each, and a week of hours) fits about twice.
pub const MAX_FORM_FIELDS: usize = 4_000;

fn refused() -> AppError {
    AppError::bad_request(
        "nul_character",
        "Text in a request may not contain a NUL character (U+0000, `%00` or `\\u0000`).",
    )
}

/// Whether percent-encoded text (a path, a query, a form body) decodes to a NUL.
pub fn encoded_nul(text: &[u8]) -> bool {
    text.windows(3).any(|w| w == b"%00") || text.contains(&0)
}

/// Whether a JSON text holds a NUL: a raw NUL byte, or a `\u0000` escape (an escaped
/// backslash followed by `u0000` is text, not an escape).
pub fn json_nul(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            0 => return true,
            b'\\' => {
                if body.get(i + 1) == Some(&b'u') && body.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                // Skip the escaped character, whatever it is (`\\`, `\"`, `\u…`).
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

fn has_body(req: &Request) -> bool {
    let h = req.headers();
    match h.get(header::CONTENT_LENGTH) {
        Some(len) => len.as_bytes() != b"0",
        None => h.contains_key(header::TRANSFER_ENCODING),
    }
}

/// Whether a percent-encoded path decodes to UTF-8 text.
pub fn decodes_to_text(path: &str) -> bool {
    percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .is_ok()
}

/// The middleware (see the module documentation).
pub async fn refuse_nul(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let uri = req.uri();
    let target = uri.path().len() + uri.query().map_or(0, |q| q.len() + 1);
    if target > MAX_URI_BYTES {
        let e = AppError::UriTooLong {
            limit_bytes: MAX_URI_BYTES,
        };
        return answer(&state, &req, e);
    }
    let head: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if head > MAX_HEADER_BYTES {
        let e = AppError::HeadersTooLarge {
            limit_bytes: MAX_HEADER_BYTES,
        };
        return answer(&state, &req, e);
    }
    let in_uri = encoded_nul(uri.path().as_bytes())
        || uri.query().is_some_and(|q| encoded_nul(q.as_bytes()));
    if in_uri {
        return answer(&state, &req, refused());
    }
    if !decodes_to_text(uri.path()) {
        return answer(&state, &req, AppError::NotFound);
    }
    if !has_body(&req) {
        return next.run(req).await;
    }
    // A compressed body would be read as the text it is not (its bytes checked for
    // NULs, parsed as JSON or a form): say so instead (RFC 7694).
    let encoded = req
        .headers()
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .any(|c| !c.trim().eq_ignore_ascii_case("identity") && !c.trim().is_empty());
    if encoded {
        return answer(
            &state,
            &req,
            AppError::UnsupportedMediaType {
                detail: "Send the body uncompressed: no `Content-Encoding` is accepted.".into(),
            },
        );
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let (parts, body) = req.into_parts();
    let limit = state.ctx.config.max_body_bytes;
    let deadline = state.ctx.config.body_read_timeout;
    let read = tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await;
    let bytes = match read {
        Ok(Ok(b)) => b,
        Err(_) => {
            // Fallen silent: answered, and the connection closed rather than kept
            // waiting for the rest (see `super::serve`).
            let req = Request::from_parts(parts, Body::empty());
            let mut res = answer(&state, &req, AppError::BodyTimeout { limit: deadline });
            res.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            return res;
        }
        Ok(Err(e)) => {
            // Over the limit, or a body that broke off (the client went away, bad
            // chunking): neither reaches a handler.
            let too_large =
                std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                    e.source()
                })
                .any(|e| e.is::<http_body_util::LengthLimitError>());
            let refusal = if too_large {
                AppError::PayloadTooLarge { limit_bytes: limit }
            } else {
                AppError::bad_request("unreadable_body", "The request body could not be read.")
            };
            let req = Request::from_parts(parts, Body::empty());
            return answer(&state, &req, refusal);
        }
    };
    let nul = if form {
        encoded_nul(&bytes)
    } else {
        json_nul(&bytes)
    };
    // Far more fields than any page has: refused before a handler looks them up.
    let crowded = form && bytes.iter().filter(|b| **b == b'&').count() >= MAX_FORM_FIELDS;
    let req = Request::from_parts(parts, Body::from(bytes));
    if nul {
        return answer(&state, &req, refused());
    }
    if crowded {
        return answer(
            &state,
            &req,
            AppError::bad_request(
                "too_many_fields",
                format!("A form holds at most {MAX_FORM_FIELDS} fields."),
            ),
        );
    }
    next.run(req).await
}

/// The refusal as a page for a browser, as problem+json for everything else.
fn answer(state: &AppState, req: &Request, e: AppError) -> Response {
    if super::wants_html(req) {
        super::web::error_page(state, None, e)
    } else {
        e.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_decode_to_text() {
        assert!(decodes_to_text("/mentors/%C3%A9t%C3%A9"));
        assert!(decodes_to_text("/a%2Fb/%25FF"));
        assert!(!decodes_to_text("/mentors/%FF%FE"));
        assert!(!decodes_to_text("/x/%C0%80"), "an overlong NUL");
    }

    #[test]
    fn finds_encoded_nuls_only() {
        assert!(encoded_nul(b"/articles/%00"));
        assert!(encoded_nul(b"a=1&b=x%00y"));
        assert!(encoded_nul(b"a=\0"));
        assert!(!encoded_nul(b"a=%2500&b=100%25"), "an encoded percent sign");
        assert!(!encoded_nul(b"/x/%0a/%20"));
    }

    #[test]
    fn finds_json_nul_escapes_not_escaped_backslashes() {
        assert!(json_nul(br#"{"a": "\u0000"}"#));
        assert!(
            json_nul(br#"{"a": "x\\\u0000"}"#),
            "a backslash, then a NUL"
        );
        assert!(json_nul(b"{\"a\": \"\0\"}"));
        assert!(!json_nul(br#"{"a": "\\u0000"}"#), "the text \\u0000");
        assert!(!json_nul(br#"{"a": "\u0001\n\"", "b": "\\\\u0000"}"#));
        assert!(!json_nul(b"\\"), "a lone backslash at the end");
    }
}
