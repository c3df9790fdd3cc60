//! `POST /session` (sign in with an API key from a form) and
//! `POST /session/end` (sign out).

use super::pages::{home, sign_in_page};
use super::session::{self, SessionOwner};
use crate::api::{ApiError, AppState, Caller};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    key: String,
}

/// True when the request came from a page of this server (or says
/// nothing of its origin): a sign-in form on another site is refused.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

/// `POST /session`: checks the key and opens a session in a cookie.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::Forbidden(
            "sign in from the dashboard's own page".into(),
        ));
    }
    let key = form.key.trim();
    let record = if key.is_empty() {
        None
    } else {
        state.store.lookup_api_key(key).await?
    };
    let Some(record) = record else {
        let page = sign_in_page(StatusCode::UNAUTHORIZED, Some("That key is not known."));
        return Ok(page);
    };
    let role = record.role;
    let token = state.sessions.open(SessionOwner {
        key_id: record.id,
        role,
    });
    let cookie = session::set_cookie(&token);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to(home(role).path()),
    )
        .into_response())
}

/// `POST /session/end`: ends the session and removes the cookie. Signed by
/// the cookie, so it needs `X-Requested-With` like every cookie-signed
/// change.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
) -> Response {
    if let Some(token) = session::cookie_token(&headers) {
        state.sessions.end(token);
    }
    tracing::debug!(key = %caller.key_id, "signed out");
    (
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session::clear_cookie())],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::same_origin;
    use axum::http::HeaderMap;

    #[test]
    fn only_forms_from_this_host_sign_in() {
        let headers = |origin: Option<&str>| {
            let mut map = HeaderMap::new();
            map.insert("host", "127.0.0.1:8080".parse().unwrap());
            if let Some(origin) = origin {
                map.insert("origin", origin.parse().unwrap());
            }
            map
        };
        assert!(same_origin(&headers(None)));
        assert!(same_origin(&headers(Some("http://127.0.0.1:8080"))));
        assert!(!same_origin(&headers(Some("https://evil.example"))));
        assert!(!same_origin(&headers(Some("null"))));
    }
}
