//! Every way a request can fail, each mapped to its HTTP status in exactly one place and answered
//! as Mastodon does: `{"error": "..."}`. Internal failures are logged with their cause and
//! answered with a generic message, so storage details never leak to clients.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use starling_core::StoreError;
use starling_core::validate::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read at all (malformed JSON, a bad id in the path).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token, or a token that is invalid, expired or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but not allowed (scopes, someone else's object, closed sign-up).
    #[error("{0}")]
    Forbidden(String),
    /// 404: missing, or not visible to the caller (the two are indistinguishable on purpose).
    #[error("Record not found")]
    NotFound,
    /// 409: another request with the same `Idempotency-Key` is still running.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 422: well-formed but invalid, with optional per-field details as Mastodon sends them.
    #[error("{message}")]
    Unprocessable { message: String, details: Option<Value> },
    /// 429: rate limited.
    #[error("Too many requests")]
    TooManyRequests,
    /// 503: the server is overloaded or shutting down; the client should retry.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an infrastructure failure. The cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// OAuth endpoints answer with RFC 6749 errors rather than Mastodon's shape.
    #[error("{description}")]
    OAuth { status: StatusCode, error: &'static str, description: String },
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable { message: message.into(), details: None }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::OAuth { status, .. } => *status,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(what) => {
                let field = capitalise(&what);
                ApiError::Unprocessable {
                    message: format!("Validation failed: {field} has already been taken"),
                    details: Some(
                        json!({ what: [{ "error": "ERR_TAKEN", "description": format!("{field} has already been taken") }] }),
                    ),
                }
            }
            StoreError::Other(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::unprocessable(e.0)
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>().replace('_', " "),
        None => String::new(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                json!({ "error": "Internal server error" })
            }
            ApiError::Unprocessable { message, details: Some(details) } => {
                json!({ "error": message, "details": details })
            }
            ApiError::OAuth { error, description, .. } => {
                json!({ "error": error, "error_description": description })
            }
            other => json!({ "error": other.to_string() }),
        };
        (status, Json(body)).into_response()
    }
}
