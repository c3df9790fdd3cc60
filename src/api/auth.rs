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

use super::error::ApiError;
use super::AppState;
use crate::store::Role;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};

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

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = presented_key(&parts.headers)
            .map(str::to_owned)
            .or_else(|| query_key(&parts.uri))
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "an API key is required (X-Api-Key, Bearer or ?apikey=)".into(),
                )
            })?;
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
