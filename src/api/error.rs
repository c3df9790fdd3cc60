//! The API's error type: every 4xx names the field at fault; 5xx say only
//! `internal error` and are logged.

use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// Why a request failed; each variant maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed.
    #[error("{message}")]
    BadRequest {
        /// What is wrong.
        message: String,
        /// The field, parameter or header at fault.
        field: String,
    },
    /// 401: no key, or an unknown key.
    #[error("{0}")]
    Unauthorized(String),
    /// 401: a webhook whose signature header is missing or wrong.
    #[error("{message}")]
    BadSignature {
        /// Why.
        message: String,
        /// The signature header.
        header: String,
    },
    /// 403: the key's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: a referenced thing does not exist (or is not the caller's).
    #[error("{message}")]
    NotFound {
        /// What was not found.
        message: String,
        /// The field that named it.
        field: String,
    },
    /// 409: not possible in the current state.
    #[error("{message}")]
    Conflict {
        /// Why.
        message: String,
        /// The field at fault.
        field: String,
    },
    /// 409: it exists already; the body names the existing one.
    #[error("{message}")]
    Exists {
        /// Why.
        message: String,
        /// The field at fault.
        field: String,
        /// The id of what exists.
        existing_id: String,
    },
    /// 413: the upload is larger than the configured limit.
    #[error("upload exceeds the limit of {limit_mb} MiB (max_upload_mb)")]
    TooLarge {
        /// The limit in MiB.
        limit_mb: u64,
    },
    /// 413: a JSON body larger than the API takes.
    #[error("the JSON body is larger than {limit_kib} KiB")]
    BodyTooLarge {
        /// The limit in KiB.
        limit_kib: usize,
    },
    /// 422: well-formed but unacceptable.
    #[error("{message}")]
    Unprocessable {
        /// What is wrong.
        message: String,
        /// The field at fault.
        field: String,
        /// Detailed reasons (e.g. the scheduler's refusals).
        reasons: Vec<String>,
    },
    /// 503: the farm cannot carry out the request now.
    #[error("{0}")]
    Unavailable(String),
    /// 500: anything else; details are logged, never returned.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// The JSON body of every error response (4xx and 5xx alike).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// What went wrong, in words (`internal error` for every 5xx).
    error: String,
    /// The field, parameter or header at fault (`X-Api-Key` for a 401, the
    /// signature header for a webhook's 401, `path` for an unknown endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, required = false)]
    field: Option<&'a str>,
    /// Detailed reasons, e.g. why no printer of the farm could print a job
    /// (422 only; left out when empty).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    #[schema(value_type = Vec<String>, required = false)]
    reasons: &'a [String],
    /// The id of the thing that exists already (409 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, required = false)]
    existing_id: Option<&'a str>,
}

impl ApiError {
    /// A 400 naming `field`.
    pub fn bad_request(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            field: field.to_owned(),
        }
    }

    /// A 404 naming `field`.
    pub fn not_found(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::NotFound {
            message: message.into(),
            field: field.to_owned(),
        }
    }

    /// A 409 naming `field`.
    pub fn conflict(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            message: message.into(),
            field: field.to_owned(),
        }
    }

    /// A 422 naming `field`, without further reasons.
    pub fn unprocessable(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable {
            message: message.into(),
            field: field.to_owned(),
            reasons: Vec::new(),
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::BadSignature { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::Exists { .. } => StatusCode::CONFLICT,
            ApiError::TooLarge { .. } | ApiError::BodyTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The field, parameter or header at fault, when the error names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::BadRequest { field, .. }
            | ApiError::NotFound { field, .. }
            | ApiError::Conflict { field, .. }
            | ApiError::Exists { field, .. }
            | ApiError::Unprocessable { field, .. } => Some(field),
            ApiError::TooLarge { .. } => Some("file"),
            ApiError::BodyTooLarge { .. } => Some("body"),
            ApiError::Unauthorized(_) => Some("X-Api-Key"),
            ApiError::BadSignature { header, .. } => Some(header),
            _ => None,
        }
    }

    /// Maps a store error, naming `not_found_field` when a row is missing.
    pub fn from_store(error: StoreError, not_found_field: &str) -> ApiError {
        match error {
            StoreError::NotFound { kind, id } => {
                ApiError::not_found(not_found_field, format!("{kind} {id:?} not found"))
            }
            StoreError::InvalidTransition { .. } => ApiError::conflict("state", error.to_string()),
            StoreError::Duplicate(what) => {
                ApiError::conflict("external_id", format!("duplicate {what}"))
            }
            StoreError::Exists { what, id } => ApiError::Exists {
                message: format!("{what} {id} has this external id already"),
                field: "external_id".to_owned(),
                existing_id: id,
            },
            StoreError::Invalid { field, detail } => ApiError::unprocessable(field, detail),
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::from_store(error, "id")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(error) = &self {
            tracing::error!("internal error: {error:#}");
        }
        let reasons: &[String] = match &self {
            ApiError::Unprocessable { reasons, .. } => reasons,
            _ => &[],
        };
        let existing_id = match &self {
            ApiError::Exists { existing_id, .. } => Some(existing_id.as_str()),
            _ => None,
        };
        let body = ErrorBody {
            error: self.to_string(),
            field: self.field(),
            reasons,
            existing_id,
        };
        (status, Json(body)).into_response()
    }
}
