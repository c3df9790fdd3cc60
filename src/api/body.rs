//! A JSON body extractor whose rejections are [`ApiError`]s naming the field,
//! line and column at fault. The body must be a JSON object (an array where
//! an object is expected is refused, not read as a tuple), at most the
//! router's body limit (1 MiB).

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

/// Like `axum::Json`, but a bad body is a 400 (syntax) or 422 (wrong shape)
/// with serde's message and the path of the value at fault.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json")
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&request) {
            return Err(ApiError::bad_request(
                "Content-Type",
                "expected a request with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::BodyTooLarge {
                        limit_kib: super::JSON_BODY_LIMIT / 1024,
                    }
                } else {
                    ApiError::bad_request("body", rejection.body_text())
                }
            })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses a JSON object into `T`, naming the path of a value at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(ApiError::unprocessable("body", "expected a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = format!("{path}: {inner}");
        match inner.classify() {
            Category::Data => {
                let field = field_in_message(&message).unwrap_or_else(|| "body".to_owned());
                ApiError::unprocessable(&field, message)
            }
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::bad_request("body", format!("not valid JSON: {inner}"))
            }
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request("body", format!("not valid JSON: {e}")))?;
    Ok(value)
}

/// The field a serde message names. axum puts the path of the value at
/// fault before the error (`items[0].quantity: invalid type…`); for a
/// missing field that path is the parent, so the field's name is appended.
pub fn field_in_message(message: &str) -> Option<String> {
    let detail = message
        .split_once("target type: ")
        .map_or(message, |(_, rest)| rest);
    let (path, rest) = match detail.split_once(": ") {
        Some((".", rest)) => (None, rest),
        Some((path, rest)) if !path.is_empty() && !path.contains(' ') => (Some(path), rest),
        _ => (None, detail),
    };
    let named = |marker: &str| {
        let (_, after) = rest.split_once(marker)?;
        after.split('`').next().map(str::to_owned)
    };
    if let Some(name) = named("missing field `") {
        return Some(path.map_or(name.clone(), |p| format!("{p}.{name}")));
    }
    path.map(str::to_owned).or_else(|| named("unknown field `"))
}

/// A point in time given as unix milliseconds or an RFC 3339 string.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Timestamp {
    /// Unix milliseconds.
    Millis(i64),
    /// RFC 3339, e.g. `2025-06-01T12:00:00Z`.
    Text(String),
}

impl Timestamp {
    /// Unix milliseconds, or a 422 naming `field`.
    pub fn to_ms(&self, field: &str) -> Result<i64, ApiError> {
        match self {
            Timestamp::Millis(ms) => Ok(*ms),
            Timestamp::Text(text) => {
                let format = time::format_description::well_known::Rfc3339;
                let at = time::OffsetDateTime::parse(text, &format).map_err(|e| {
                    ApiError::unprocessable(field, format!("not an RFC 3339 time: {e}"))
                })?;
                i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
                    .map_err(|_| ApiError::unprocessable(field, "out of range"))
            }
        }
    }
}

/// Converts an optional timestamp, naming `field` when it is invalid.
pub fn optional_ms(value: Option<&Timestamp>, field: &str) -> Result<Option<i64>, ApiError> {
    value.map(|t| t.to_ms(field)).transpose()
}

#[cfg(test)]
mod tests {
    use super::{field_in_message, Timestamp};

    #[test]
    fn timestamps_accept_millis_and_rfc3339() {
        assert_eq!(Timestamp::Millis(5).to_ms("due_at").unwrap(), 5);
        let text = Timestamp::Text("1970-01-01T00:00:01Z".into());
        assert_eq!(text.to_ms("due_at").unwrap(), 1000);
        let bad = Timestamp::Text("tomorrow".into())
            .to_ms("due_at")
            .unwrap_err();
        assert_eq!(bad.status(), 422);
    }

    #[test]
    fn names_the_field_of_serde_messages() {
        let cases = [
            ("Failed to deserialize the JSON body into the target type: missing field `file_id` at line 1 column 2", Some("file_id")),
            ("Failed to deserialize the JSON body into the target type: quantity: invalid type: string \"x\", expected u32 at line 1 column 20", Some("quantity")),
            ("Failed to deserialize the JSON body into the target type: items[0].quantity: invalid type", Some("items[0].quantity")),
            ("Failed to deserialize the JSON body into the target type: qty: unknown field `qty`, expected one of", Some("qty")),
            ("Failed to deserialize the JSON body into the target type: unknown field `qty`, expected one of", Some("qty")),
            ("Failed to deserialize the JSON body into the target type: items[1]: missing field `quantity` at line 1", Some("items[1].quantity")),
            ("Failed to deserialize the JSON body into the target type: invalid type: map", None),
        ];
        for (message, field) in cases {
            assert_eq!(field_in_message(message).as_deref(), field, "{message}");
        }
    }
}
