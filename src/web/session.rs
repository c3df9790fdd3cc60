//! Dashboard sessions: an API key exchanged once (`POST /session`) for a
//! random token in an `HttpOnly`, `SameSite=Strict` cookie. Sessions live in
//! memory (a restart signs everyone out); only a digest of each token is
//! kept. The API's [`Caller`](crate::api::Caller) extractor accepts the
//! cookie, and asks cookie-signed state changes for the
//! [`CSRF_HEADER`], which a cross-site form cannot send.

use crate::store::Role;
use axum::http::HeaderMap;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "printfarm_session";
/// The header a cookie-signed `POST`/`PATCH`/`DELETE` must carry (any
/// value); the dashboard's script sends `X-Requested-With: printfarm`.
pub const CSRF_HEADER: &str = "x-requested-with";
/// How long a session lasts after sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most (the expired are dropped first, then all).
const MAX_SESSIONS: usize = 10_000;

/// Who a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOwner {
    /// Id of the key signed in with.
    pub key_id: String,
    /// Its role.
    pub role: Role,
}

/// The open sessions, by token digest.
#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<[u8; 32], (SessionOwner, Instant)>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Sessions {
    /// Opens a session for `owner`; returns its token (for the cookie only).
    pub fn open(&self, owner: SessionOwner) -> String {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.len() >= MAX_SESSIONS {
            open.retain(|_, (_, at)| at.elapsed() < SESSION_TTL);
            if open.len() >= MAX_SESSIONS {
                open.clear();
            }
        }
        open.insert(digest(&token), (owner, Instant::now()));
        token
    }

    /// The owner of a live session.
    pub fn owner(&self, token: &str) -> Option<SessionOwner> {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&digest(token))
            .filter(|(_, at)| at.elapsed() < SESSION_TTL)
            .map(|(owner, _)| owner.clone())
    }

    /// Ends a session (sign-out); unknown tokens are ignored.
    pub fn end(&self, token: &str) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.remove(&digest(token));
    }
}

/// The session token in the request's `Cookie` headers, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
}

/// The `Set-Cookie` value that stores `token`.
pub fn set_cookie(token: &str) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        SESSION_TTL.as_secs()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> SessionOwner {
        SessionOwner {
            key_id: "k1".into(),
            role: Role::Technician,
        }
    }

    #[test]
    fn a_session_opens_answers_and_ends() {
        let sessions = Sessions::default();
        let token = sessions.open(owner());
        assert_eq!(token.len(), 64);
        assert_eq!(sessions.owner(&token), Some(owner()));
        assert_eq!(sessions.owner("nope"), None);
        sessions.end(&token);
        assert_eq!(sessions.owner(&token), None);
    }

    #[test]
    fn the_token_is_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(
            "cookie",
            "a=1; printfarm_session=abc ; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_token(&headers), Some("abc"));
        let mut other = HeaderMap::new();
        other.append("cookie", "a=1".parse().unwrap());
        other.append("cookie", "printfarm_session=xyz".parse().unwrap());
        assert_eq!(cookie_token(&other), Some("xyz"));
        assert_eq!(cookie_token(&HeaderMap::new()), None);
        let cookie = set_cookie("t");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    }
}
