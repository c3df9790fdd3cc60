//! Limits on what a request may carry: text fields, personalisation values,
//! list lengths. Every refusal names the field.

use super::error::ApiError;
use serde_json::Value;

/// Longest name, id or reference, in characters.
pub const MAX_TEXT: usize = 256;
/// Most tags one job may require.
pub const MAX_TAGS: usize = 32;
/// Most items in one order.
pub const MAX_ITEMS: usize = 100;
/// Longest personalisation text value, in characters.
pub const MAX_VALUE_TEXT: usize = 1024;
/// Deepest nesting of a personalisation value.
const MAX_DEPTH: usize = 4;
/// Most keys of one personalisation object.
const MAX_KEYS: usize = 64;

/// A name, id or reference: at most [`MAX_TEXT`] characters, no control
/// characters (a NUL byte, a line break).
pub fn text(field: &str, value: &str) -> Result<(), ApiError> {
    bounded_text(field, value, MAX_TEXT)
}

/// [`text`] for an optional value.
pub fn optional_text(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    value.map_or(Ok(()), |v| text(field, v))
}

fn bounded_text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        let message = format!("longer than {max} characters");
        return Err(ApiError::unprocessable(field, message));
    }
    if let Some((at, c)) = value.char_indices().find(|(_, c)| c.is_control()) {
        let message = format!("control character U+{:04X} at byte {at}", c as u32);
        return Err(ApiError::unprocessable(field, message));
    }
    Ok(())
}

/// Tags: at most [`MAX_TAGS`], each a [`text`].
pub fn tags(field: &str, tags: &[String]) -> Result<(), ApiError> {
    if tags.len() > MAX_TAGS {
        let message = format!("at most {MAX_TAGS} tags");
        return Err(ApiError::unprocessable(field, message));
    }
    for (i, tag) in tags.iter().enumerate() {
        text(&format!("{field}[{i}]"), tag)?;
    }
    Ok(())
}

/// A personalisation value: objects of at most 64 keys, nested at most 4
/// deep, texts of at most [`MAX_VALUE_TEXT`] characters without control
/// characters.
pub fn personalisation(field: &str, value: &Value) -> Result<(), ApiError> {
    walk(field, value, 0)
}

fn walk(field: &str, value: &Value, depth: usize) -> Result<(), ApiError> {
    if depth > MAX_DEPTH {
        let message = format!("nested deeper than {MAX_DEPTH} levels");
        return Err(ApiError::unprocessable(field, message));
    }
    match value {
        Value::String(s) => bounded_text(field, s, MAX_VALUE_TEXT),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(&format!("{field}[{i}]"), item, depth + 1)?;
            }
            Ok(())
        }
        Value::Object(map) => {
            if map.len() > MAX_KEYS {
                let message = format!("more than {MAX_KEYS} keys");
                return Err(ApiError::unprocessable(field, message));
            }
            for (key, item) in map {
                bounded_text(field, key, MAX_TEXT)?;
                walk(&format!("{field}.{key}"), item, depth + 1)?;
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// `?limit=`: a number from 1 to `max`, `default` when absent.
pub fn limit(query: &[(String, String)], default: i64, max: i64) -> Result<i64, ApiError> {
    let Some((_, text)) = query.iter().find(|(name, _)| name == "limit") else {
        return Ok(default);
    };
    match text.trim().parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(
            "limit",
            format!("must be a whole number from 1 to {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_limits_name_the_field_and_why() {
        assert!(text("external_id", "shop-1001").is_ok());
        let long = "x".repeat(MAX_TEXT + 1);
        for (value, words) in [
            (long.as_str(), "longer"),
            ("a\0b", "U+0000"),
            ("a\nb", "U+000A"),
        ] {
            let error = text("external_id", value).unwrap_err();
            assert_eq!(error.status(), 422);
            assert!(error.to_string().contains(words), "{error}");
        }
        assert!(text("name", "Zoë 李").is_ok(), "unicode is fine");
    }

    #[test]
    fn personalisation_values_are_bounded() {
        assert!(personalisation("p", &json!({"name": "Alice", "size": 3})).is_ok());
        let deep = json!({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}});
        assert!(personalisation("p", &deep).is_err());
        let error = personalisation("p", &json!([{"name": "Bo\u{7}"}])).unwrap_err();
        assert!(error.to_string().contains("U+0007"), "{error}");
    }

    #[test]
    fn limits_are_honoured_or_refused() {
        let q = |v: &str| vec![("limit".to_owned(), v.to_owned())];
        assert_eq!(limit(&[], 100, 1000).unwrap(), 100);
        assert_eq!(limit(&q("7"), 100, 1000).unwrap(), 7);
        for bad in ["0", "1001", "-1", "x"] {
            assert_eq!(
                limit(&q(bad), 100, 1000).unwrap_err().status(),
                400,
                "{bad}"
            );
        }
    }
}
