//! `Idempotency-Key` on every create: a client that sends one with a `POST` and retries (its
//! connection dropped, it never saw the answer) gets the first request's answer again, for 24
//! hours, instead of a second post, story, upload or chat. Mastodon keeps such keys for
//! statuses only; Starling keeps them for every `POST` of a signed request, in the store, so
//! that every node replays them and a restart forgets none.
//!
//! A key belongs to the caller's account (or to the app, for an app's own token) and to one
//! endpoint: the same key on another endpoint is refused with 422. While the first request runs,
//! a retry gets 409 and may try again. Only successful answers are kept: after an error the key
//! is released, so that the retry runs the request again. Statuses also write their key with the
//! status itself (`idempotency_keys`), so that not even a crash between the status's commit and
//! the answer's duplicates it.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use starling_core::model::Timestamp;
use starling_core::store::{IdempotencyClaim, IdempotencyState, StoredAnswer};
use starling_core::validate;

use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long an answer is replayed, as the header's draft standard suggests.
pub const KEPT: Duration = Duration::from_secs(24 * 3600);
/// A claim still unanswered after this was abandoned (its node stopped mid-request): well past
/// the request timeout, so that no running request is taken over.
const ABANDONED: Duration = Duration::from_secs(120);
/// The header a replayed answer carries, as Stripe's API and the IETF draft name it.
const REPLAYED: &str = "idempotent-replayed";

pub async fn replay_or_run(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("idempotency-key") else {
        return next.run(req).await;
    };
    let key = match key.to_str().map_err(|_| ApiError::unprocessable("Idempotency-Key must be printable")) {
        Ok(k) => match validate::idempotency_key(k) {
            Ok(k) => k,
            Err(e) => return ApiError::from(e).into_response(),
        },
        Err(e) => return e.into_response(),
    };
    // Without a token there is nobody to keep the key for: the request runs as it is (and is
    // refused by its handler if it needed one).
    let Some(bearer) = auth::bearer_from(req.headers(), req.uri()) else {
        return next.run(req).await;
    };
    let scope = match scope_of(&state, &bearer).await {
        Ok(scope) => scope,
        Err(e) => return e.into_response(),
    };
    let fingerprint = format!("{} {}", req.method(), req.uri().path());
    let now = Timestamp::now();
    let claim = IdempotencyClaim {
        scope: scope.clone(),
        key: key.clone(),
        fingerprint,
        now,
        stale_before: before(now, ABANDONED),
        expired_before: before(now, KEPT),
    };
    match state.store.claim_idempotency_key(claim).await {
        Ok(IdempotencyState::Claimed) => {}
        Ok(IdempotencyState::Answered(answer)) => return replayed(answer),
        Ok(IdempotencyState::InProgress) => {
            return ApiError::Conflict("A request with this Idempotency-Key is still being processed".into())
                .into_response();
        }
        Ok(IdempotencyState::Mismatch) => {
            return ApiError::unprocessable("This Idempotency-Key was already used for a different request")
                .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    let mut claimed = Claimed { state: state.clone(), scope, key, settled: false };
    let response = next.run(req).await;
    claimed.settle(response).await
}

/// Whose key it is: the account a live token signs for, or the token itself for an app.
async fn scope_of(state: &AppState, bearer: &str) -> ApiResult<String> {
    let token = auth::verify_bearer(state, bearer).await?;
    Ok(match token.account_id {
        Some(account) => format!("account:{account}"),
        None => format!("token:{}", token.id),
    })
}

/// The moment `age` before `now`.
pub fn before(now: Timestamp, age: Duration) -> Timestamp {
    Timestamp(now.0 - i64::try_from(age.as_millis()).unwrap_or(i64::MAX))
}

fn replayed(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Body::from(answer.body)).into_response();
    let headers = response.headers_mut();
    if let Ok(content_type) = HeaderValue::from_str(&answer.content_type) {
        headers.insert(CONTENT_TYPE, content_type);
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// A claimed key whose request is running. If the request's future is dropped before it
/// settles (the client went away mid-request), the claim is released, so that the client's
/// retry runs at once rather than waiting for the claim to be abandoned.
struct Claimed {
    state: AppState,
    scope: String,
    key: String,
    settled: bool,
}

impl Claimed {
    /// Keeps a successful answer for the retries; releases the key after anything else.
    async fn settle(&mut self, response: Response) -> Response {
        self.settled = true;
        if !response.status().is_success() {
            self.release().await;
            return response;
        }
        let (parts, body) = response.into_parts();
        // Answers to creates are small JSON documents of our own.
        let body = match to_bytes(body, usize::MAX).await {
            Ok(body) => body,
            Err(e) => {
                self.release().await;
                return ApiError::Internal(format!("reading an answer to keep: {e}")).into_response();
            }
        };
        let content_type =
            parts.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json").to_string();
        let answer = StoredAnswer { status: parts.status.as_u16(), content_type, body: body.to_vec() };
        if let Err(e) = self.state.store.answer_idempotency_key(&self.scope, &self.key, answer).await {
            // The client has its answer; a retry within the abandonment delay gets 409, after
            // it the request runs again (statuses still find their own key).
            tracing::warn!(error = %e, "keeping an idempotent answer failed");
        }
        Response::from_parts(parts, Body::from(body))
    }

    async fn release(&self) {
        if let Err(e) = self.state.store.release_idempotency_key(&self.scope, &self.key).await {
            tracing::warn!(error = %e, "releasing an idempotency key failed");
        }
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (store, scope, key) =
            (self.state.store.clone(), std::mem::take(&mut self.scope), std::mem::take(&mut self.key));
        tokio::spawn(async move {
            if let Err(e) = store.release_idempotency_key(&scope, &key).await {
                tracing::warn!(error = %e, "releasing an abandoned idempotency key failed");
            }
        });
    }
}
