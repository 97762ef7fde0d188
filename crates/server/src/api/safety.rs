//! Blocks and mutes, as Mastodon's client API has them: `/block`, `/unblock`, `/mute` (with
//! `notifications` and `duration`), `/unmute`, and the lists `GET /api/v1/blocks|mutes`. What
//! they hide is decided once, by `starling_core::safety::Hidden`, wherever something is read.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::model::Timestamp;
use starling_core::safety::Mute;

use super::accounts::relationship_with;
use crate::auth::Auth;
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, ACCOUNTS};
use crate::params::{Params, PathId};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts/{id}/block", post(block))
        .route("/api/v1/accounts/{id}/unblock", post(unblock))
        .route("/api/v1/accounts/{id}/mute", post(mute))
        .route("/api/v1/accounts/{id}/unmute", post(unmute))
        .route("/api/v1/blocks", get(blocks))
        .route("/api/v1/mutes", get(mutes))
}

/// The longest a mute may be set to last: a year. Longer is what "indefinitely" (0) is for.
const MAX_MUTE_SECS: u32 = 365 * 24 * 3600;

async fn block(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:blocks")?;
    if id == auth.id() {
        return Err(ApiError::Forbidden("You cannot block yourself".into()));
    }
    state.store.block(auth.id(), id, Timestamp::now()).await?;
    relationship_with(&state, &auth, id).await
}

async fn unblock(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:blocks")?;
    state.store.unblock(auth.id(), id, Timestamp::now()).await?;
    relationship_with(&state, &auth, id).await
}

/// Mutes the account, its notifications too unless `notifications=false`, for `duration`
/// seconds (0 or none: until unmuted). Muting again replaces the mute.
async fn mute(State(state): State<AppState>, auth: Auth, PathId(id): PathId, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:mutes")?;
    if id == auth.id() {
        return Err(ApiError::Forbidden("You cannot mute yourself".into()));
    }
    let notifications = params.bool("notifications")?.unwrap_or(true);
    let now = Timestamp::now();
    let expires_at = match params.u32("duration")? {
        None | Some(0) => None,
        Some(secs) if secs <= MAX_MUTE_SECS => Some(Timestamp(now.0 + i64::from(secs) * 1000)),
        Some(_) => {
            return Err(ApiError::unprocessable(format!(
                "Validation failed: Duration must be at most {MAX_MUTE_SECS} seconds (0 mutes until unmuted)"
            )));
        }
    };
    state.store.mute(auth.id(), id, Mute { notifications, expires_at }, now).await?;
    relationship_with(&state, &auth, id).await
}

async fn unmute(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:mutes")?;
    state.store.unmute(auth.id(), id, Timestamp::now()).await?;
    relationship_with(&state, &auth, id).await
}

async fn blocks(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:blocks")?;
    let request = paging::page_request(&params, ACCOUNTS)?;
    let page = state.store.blocks(auth.id(), request).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    let items: Vec<_> = page.items.iter().map(|a| renderer.account(a)).collect();
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

/// Each muted account with `mute_expires_at`, as Mastodon lists them.
async fn mutes(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:mutes")?;
    let request = paging::page_request(&params, ACCOUNTS)?;
    let page = state.store.mutes(auth.id(), Timestamp::now(), request).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|m| {
            let mut account = json!(renderer.account(&m.account));
            account["mute_expires_at"] = json!(m.mute.expires_at.map(|t| t.to_rfc3339()));
            account
        })
        .collect();
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}
