//! API keys and roles. A key comes in `X-Api-Key` (any case of the name),
//! `Authorization: Bearer`, or, for clients that cannot set headers (as
//! OctoPrint accepts), the query parameter `?apikey=`; a header wins over the
//! query. Each handler says which roles may call it.
//!
//! | role | may use |
//! | --- | --- |
//! | `operator` | everything |
//! | `technician` | files, jobs, printers, stats, events; not orders |
//! | `shop` | upload files, create and read its own jobs and orders |
//!
//! `/metrics` is open (no key), so a Prometheus scraper needs no secret.
//!
//! The dashboard signs in once and then sends a session cookie
//! ([`crate::web::session`]) instead of a key, to the same endpoints under
//! the same role checks. A state-changing request signed by the cookie
//! must carry `X-Requested-With` (CSRF), which no cross-site form can send.

use super::error::ApiError;
use super::AppState;
use crate::store::Role;
use crate::web::session;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Uri};

/// Roles that may read and command printers, stats and the event stream.
pub const FARM_ROLES: &[Role] = &[Role::Operator, Role::Technician];
/// Roles that may change jobs (cancel, hold, release, priority).
pub const JOB_ADMIN_ROLES: &[Role] = &[Role::Operator, Role::Technician];
/// Roles that may submit and read files and jobs.
pub const SUBMIT_ROLES: &[Role] = &[Role::Operator, Role::Technician, Role::Shop];
/// Roles that may create and read orders.
pub const ORDER_ROLES: &[Role] = &[Role::Operator, Role::Shop];

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Id of the key used.
    pub key_id: String,
    /// Its role.
    pub role: Role,
}

impl Caller {
    /// `Ok` when the caller's role is one of `roles`, else 403.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        Err(ApiError::Forbidden(format!(
            "role {} may not do this",
            self.role
        )))
    }

    /// The owner key to filter by: the shop's own key, nobody for other roles.
    pub fn owner_filter(&self) -> Option<String> {
        (self.role == Role::Shop).then(|| self.key_id.clone())
    }

    /// True when the caller may see a row owned by `owner`.
    pub fn may_see(&self, owner: Option<&str>) -> bool {
        self.role != Role::Shop || owner == Some(self.key_id.as_str())
    }
}

/// The key presented in the headers, if any.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.trim());
    }
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, key) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
}

/// The key in the query parameter `apikey`, if any.
fn query_key(uri: &Uri) -> Option<String> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri).ok()?;
    pairs
        .into_iter()
        .find(|(name, _)| name == "apikey")
        .map(|(_, key)| key.trim().to_owned())
}

/// The caller of a request signed only by a session cookie.
fn session_caller(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let token = session::cookie_token(&parts.headers).ok_or_else(|| {
        ApiError::Unauthorized(
            "an API key is required (X-Api-Key, Bearer or ?apikey=) or a session".into(),
        )
    })?;
    let owner = state
        .sessions
        .owner(token)
        .ok_or_else(|| ApiError::Unauthorized("the session has ended; sign in again".into()))?;
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !parts.headers.contains_key(session::CSRF_HEADER) {
        return Err(ApiError::Forbidden(
            "a request signed by the session cookie must carry X-Requested-With".into(),
        ));
    }
    Ok(Caller {
        key_id: owner.key_id,
        role: owner.role,
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = presented_key(&parts.headers)
            .map(str::to_owned)
            .or_else(|| query_key(&parts.uri))
            .filter(|k| !k.is_empty());
        let Some(key) = key else {
            return session_caller(parts, state);
        };
        let key = key.as_str();
        let record = match state.caches.key(key) {
            Some(record) => record,
            None => {
                let record = state
                    .store
                    .lookup_api_key(key)
                    .await?
                    .ok_or_else(|| ApiError::Unauthorized("unknown API key".into()))?;
                state.caches.remember_key(key, record.clone());
                record
            }
        };
        Ok(Caller {
            key_id: record.id,
            role: record.role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{presented_key, query_key};
    use axum::http::{HeaderMap, Uri};

    #[test]
    fn finds_the_key_in_either_header() {
        let cases = [
            (vec![("x-api-key", "abc")], Some("abc")),
            (vec![("authorization", "Bearer abc")], Some("abc")),
            (vec![("authorization", "bearer  abc ")], Some("abc")),
            (vec![("authorization", "Basic abc")], None),
            (vec![], None),
        ];
        for (headers, expected) in cases {
            let mut map = HeaderMap::new();
            for (name, value) in &headers {
                map.insert(*name, value.parse().unwrap());
            }
            assert_eq!(presented_key(&map), expected, "{headers:?}");
        }
    }

    #[test]
    fn finds_the_key_in_the_query() {
        let cases = [
            ("/api/version?apikey=abc", Some("abc")),
            ("/api/version?x=1&apikey=%20abc%20", Some("abc")),
            ("/api/version?apikeys=abc", None),
            ("/api/version", None),
        ];
        for (uri, expected) in cases {
            let uri: Uri = uri.parse().unwrap();
            assert_eq!(query_key(&uri).as_deref(), expected, "{uri}");
        }
    }
}
