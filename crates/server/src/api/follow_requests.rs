//! Follow requests to a locked account (`locked` in update_credentials): Mastodon's
//! `GET /api/v1/follow_requests` and `POST /api/v1/follow_requests/:account_id/authorize|reject`.
//! Following a locked account asks (`api::accounts::follow`); its followers-only statuses reach
//! only those it approved, as they reach any follower.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use starling_core::Id;
use starling_core::model::Timestamp;
use starling_core::page::PageRequest;

use super::accounts::relationship_with;
use crate::auth::Auth;
use crate::entities::Renderer;
use crate::error::ApiResult;
use crate::paging::{self, ACCOUNTS};
use crate::params::{Params, PathId};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/follow_requests", get(list))
        .route("/api/v1/follow_requests/{id}/authorize", post(authorize))
        .route("/api/v1/follow_requests/{id}/reject", post(reject))
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:follows")?;
    let request = paging::page_request(&params, ACCOUNTS)?;
    let page = state.store.follow_requests(auth.id(), request).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    let items: Vec<_> = page.items.iter().map(|a| renderer.account(a)).collect();
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

/// Approves the request of the account `id`: it follows the caller from now on.
async fn authorize(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:follows")?;
    state.store.authorize_follow_request(auth.id(), id, Timestamp::now()).await?;
    relationship_with(&state, &auth, id).await
}

async fn reject(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:follows")?;
    state.store.account(id).await?;
    state.store.reject_follow_request(auth.id(), id, auth.id(), Timestamp::now()).await?;
    relationship_with(&state, &auth, id).await
}

/// Approves every pending request of `account`: what unlocking an account does, as in Mastodon.
pub async fn approve_all(state: &AppState, account: Id) -> ApiResult<u64> {
    let mut approved = 0;
    loop {
        let page = state.store.follow_requests(account, PageRequest::first(80)).await?;
        if page.items.is_empty() {
            return Ok(approved);
        }
        for asker in &page.items {
            // Another request may have approved it meanwhile: that is what was wanted.
            match state.store.authorize_follow_request(account, asker.id, Timestamp::now()).await {
                Ok(_) | Err(starling_core::StoreError::NotFound) => approved += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
}
