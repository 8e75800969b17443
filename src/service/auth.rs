//! Credentials: password hashing, opaque tokens, sessions.
//!
//! Tokens are 32 random bytes, base64url-encoded; only their SHA-256 is stored, so a
//! database leak gives no usable token. An API sign-in is a session holding a short-lived
//! access token and a single-use refresh token; each refresh rotates both, and presenting
//! a rotated refresh token again revokes the whole session (it was stolen or replayed).
//! A web sign-in is a session whose token travels in an HttpOnly cookie, with a CSRF
//! token kept on the session.

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, Version, password_hash::PasswordVerifier};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::{ClientInfo, Ctx, events::Ended, micros};
use crate::{
    domain::ids::new_id,
    error::{AppError, AppResult},
    store::{self, Tx, sessions::NewSession, users::UserRow},
};

/// A fresh random token (256 bits), base64url without padding.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source does not fail on supported platforms; if it ever did,
    // issuing a predictable token would be worse than stopping.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn argon2() -> Argon2<'static> {
    // OWASP's recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most this many argon2 computations run at once. Each takes 19 MiB: without a
/// bound, a burst of sign-ins would grow memory by 19 MiB per request in flight (and
/// the allocator keeps it). Requests beyond the bound wait their turn.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

async fn hashing_permit() -> AppResult<tokio::sync::SemaphorePermit<'static>> {
    HASHING
        .acquire()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing limiter closed: {e}")))
}

/// Reusable argon2 memory (19 MiB each), at most one per permit. Allocating it for
/// every hash made the allocator keep tens of megabytes per sign-in.
static BUFFERS: std::sync::Mutex<Vec<Vec<argon2::Block>>> = std::sync::Mutex::new(Vec::new());

/// Runs argon2id with our parameters into `out`, in a pooled memory buffer.
fn argon2_into(password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    let a = argon2();
    let blocks = a.params().block_count();
    let mut buf = BUFFERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop()
        .filter(|b| b.len() >= blocks)
        .unwrap_or_else(|| vec![argon2::Block::new(); blocks]);
    let r = a.hash_password_into_with_memory(password, salt, out, &mut buf[..blocks]);
    let mut pool = BUFFERS.lock().unwrap_or_else(|e| e.into_inner());
    if pool.len() < 4 {
        pool.push(buf);
    }
    r
}

/// The PHC prefix of our hashes: argon2id v19, m=19456, t=2, p=1.
const PHC_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// Hashes a password with argon2id (PHC string), off the async runtime.
pub async fn hash_password(password: &str) -> AppResult<String> {
    let _permit = hashing_permit().await?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("random salt: {e}"))?;
        let mut out = [0u8; 32];
        argon2_into(password.as_bytes(), &salt, &mut out)
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        Ok::<_, anyhow::Error>(format!(
            "{PHC_PREFIX}{}${}",
            b64.encode(salt),
            b64.encode(out)
        ))
    })
    .await
    .map_err(|e| anyhow::anyhow!("password hashing task: {e}"))?
    .map_err(AppError::Internal)
}

/// Checks a password against a stored hash, off the async runtime. A malformed or
/// disabled hash (`!`) never matches. Hashes with other parameters (from an older
/// setting) are still checked, by the library's own path.
pub async fn verify_password(password: &str, hash: &str) -> AppResult<bool> {
    let _permit = hashing_permit().await?;
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        if let Some((salt, expected)) = hash
            .strip_prefix(PHC_PREFIX)
            .and_then(|rest| rest.split_once('$'))
            && let (Ok(salt), Ok(expected)) = (b64.decode(salt), b64.decode(expected))
        {
            let mut out = vec![0u8; expected.len()];
            return argon2_into(password.as_bytes(), &salt, &mut out).is_ok()
                && out.len() == expected.len()
                && out
                    .iter()
                    .zip(&expected)
                    .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                    == 0;
        }
        argon2::password_hash::phc::PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("password check task: {e}")))
}

/// Spends the same time as a real check when there is no account, so that response
/// times do not tell which emails are registered.
pub async fn verify_against_dummy(password: &str) -> AppResult<()> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = match DUMMY.get() {
        Some(h) => h.clone(),
        None => {
            let h = hash_password("not a real password, only for timing").await?;
            DUMMY.get_or_init(|| h).clone()
        }
    };
    verify_password(password, &hash).await.map(|_| ())
}

/// A freshly issued API token pair.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in_secs: u64,
}

async fn issue_pair(
    ctx: &Ctx,
    tx: &mut Tx,
    session_id: &str,
    now: jiff::Timestamp,
) -> AppResult<TokenPair> {
    let access = new_token();
    let refresh = new_token();
    store::sessions::insert_token(
        &mut **tx,
        &hash_token(&access),
        session_id,
        "access",
        crate::clock::after(now, micros(ctx.config.access_token_ttl)),
        now,
    )
    .await?;
    store::sessions::insert_token(
        &mut **tx,
        &hash_token(&refresh),
        session_id,
        "refresh",
        crate::clock::after(now, micros(ctx.config.refresh_token_ttl)),
        now,
    )
    .await?;
    Ok(TokenPair {
        access_token: access,
        refresh_token: refresh,
        expires_in_secs: ctx.config.access_token_ttl.as_secs(),
    })
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Starts an API session for `user` inside `tx` and returns its first token pair.
pub async fn start_api_session(
    ctx: &Ctx,
    tx: &mut Tx,
    user_id: &str,
    client: &ClientInfo,
) -> AppResult<TokenPair> {
    let now = ctx.now();
    let session_id = new_id();
    store::sessions::insert_session(
        &mut **tx,
        &NewSession {
            id: &session_id,
            user_id,
            kind: "api",
            csrf_token: "",
            user_agent: &clip(&client.user_agent, 256),
            ip: &clip(&client.ip, 64),
            // An API session lives as long as it keeps being refreshed; each refresh
            // extends it (see `refresh`).
            expires_at: crate::clock::after(now, micros(ctx.config.refresh_token_ttl)),
            now,
        },
    )
    .await?;
    issue_pair(ctx, tx, &session_id, now).await
}

/// A new web session: the cookie value and the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub session_id: String,
    pub cookie_token: String,
    pub csrf_token: String,
}

pub async fn start_web_session(
    ctx: &Ctx,
    tx: &mut Tx,
    user_id: &str,
    client: &ClientInfo,
) -> AppResult<WebSession> {
    let now = ctx.now();
    let session_id = new_id();
    let cookie_token = new_token();
    let csrf_token = new_token();
    let expires_at = crate::clock::after(now, micros(ctx.config.web_session_ttl));
    store::sessions::insert_session(
        &mut **tx,
        &NewSession {
            id: &session_id,
            user_id,
            kind: "web",
            csrf_token: &csrf_token,
            user_agent: &clip(&client.user_agent, 256),
            ip: &clip(&client.ip, 64),
            expires_at,
            now,
        },
    )
    .await?;
    store::sessions::insert_token(
        &mut **tx,
        &hash_token(&cookie_token),
        &session_id,
        "web",
        expires_at,
        now,
    )
    .await?;
    Ok(WebSession {
        session_id,
        cookie_token,
        csrf_token,
    })
}

/// The signed-in user behind a request, and the session it came through.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: UserRow,
    pub session_id: String,
    pub csrf_token: String,
    /// True for a web cookie session (forms need the CSRF token), false for a bearer token.
    pub via_cookie: bool,
}

/// Resolves a bearer access token. `None`: unknown, expired or revoked.
pub async fn resolve_bearer(ctx: &Ctx, token: &str) -> AppResult<Option<Authenticated>> {
    resolve(ctx, token, "access").await
}

/// Resolves a web session cookie.
pub async fn resolve_cookie(ctx: &Ctx, token: &str) -> AppResult<Option<Authenticated>> {
    resolve(ctx, token, "web").await
}

async fn resolve(ctx: &Ctx, token: &str, kind: &str) -> AppResult<Option<Authenticated>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let row = store::sessions::resolve(&ctx.db, &hash_token(token), kind, ctx.now()).await?;
    Ok(row.map(|r| Authenticated {
        user: r.user,
        session_id: r.session_id,
        csrf_token: r.csrf_token,
        via_cookie: kind == "web",
    }))
}

/// Rotates a refresh token: the old one stops working and a new pair is issued. A
/// token presented a second time revokes its session (token theft or replay).
pub async fn refresh(ctx: &Ctx, refresh_token: &str) -> AppResult<TokenPair> {
    let invalid = || AppError::unauthorized("invalid_token", "The refresh token is not valid.");
    if refresh_token.is_empty() || refresh_token.len() > 128 {
        return Err(invalid());
    }
    let hash = hash_token(refresh_token);
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let Some(row) = store::sessions::find_refresh(&mut *tx, &hash).await? else {
        return Err(invalid());
    };
    if row.revoked_at.is_some()
        || row.suspended_at.is_some()
        || row.deleted_at.is_some()
        || row.token_expires_at <= now
        || row.session_expires_at <= now
    {
        return Err(invalid());
    }
    if row.used_at.is_some() || !store::sessions::mark_refresh_used(&mut *tx, &hash, now).await? {
        // Reuse of a rotated token: end the whole family, and make that stick.
        store::sessions::revoke(&mut *tx, &row.session_id, now).await?;
        tx.commit().await?;
        ctx.realtime
            .sessions_ended(ctx, &row.user_id, Ended::Only(&row.session_id))
            .await;
        tracing::warn!(session_id = %row.session_id, user_id = %row.user_id,
            "refresh token reused; session revoked");
        return Err(AppError::unauthorized(
            "refresh_token_reused",
            "This refresh token was already used; the session has been ended for safety. Sign in again.",
        ));
    }
    store::sessions::extend(
        &mut *tx,
        &row.session_id,
        crate::clock::after(now, micros(ctx.config.refresh_token_ttl)),
        now,
    )
    .await?;
    let pair = issue_pair(ctx, &mut tx, &row.session_id, now).await?;
    tx.commit().await?;
    Ok(pair)
}

/// Ends one session (and its live sockets).
pub async fn logout(ctx: &Ctx, user_id: &str, session_id: &str) -> AppResult<()> {
    store::sessions::revoke(&ctx.db.pool, session_id, ctx.now()).await?;
    ctx.realtime
        .sessions_ended(ctx, user_id, Ended::Only(session_id))
        .await;
    Ok(())
}

/// Whether a session can still act (a live socket checks its own now and then).
pub async fn session_live(ctx: &Ctx, session_id: &str) -> AppResult<bool> {
    Ok(store::sessions::is_live(&ctx.db.pool, session_id, ctx.now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_standard_phc_and_verify_both_ways() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        // The library reads our hash, and we read the library's.
        let parsed = argon2::password_hash::phc::PasswordHash::new(&h).unwrap();
        assert!(
            argon2()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(verify_password("correct horse battery", &h).await.unwrap());
        assert!(!verify_password("correct horse batterz", &h).await.unwrap());
        let theirs = {
            use argon2::password_hash::PasswordHasher;
            argon2().hash_password(b"other one").unwrap().to_string()
        };
        assert!(verify_password("other one", &theirs).await.unwrap());
        assert!(!verify_password("x", "!").await.unwrap());
        assert!(
            !verify_password("x", "$argon2id$v=19$m=19456,t=2,p=1$$")
                .await
                .unwrap()
        );
    }
}
