//! Hashtags (`/api/v1/tags/:name`) and following them (`…/follow`, `…/unfollow`,
//! `/api/v1/followed_tags`). A followed tag brings the public statuses carrying it into the
//! follower's home timeline; the store's home rule decides which (see `home.rs` there).

use std::collections::HashSet;

use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::model::Timestamp;
use starling_core::trends::{self, HistoryDay};
use starling_core::{Id, validate};

use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, Limits};
use crate::params::Params;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tags/{name}", get(show))
        .route("/api/v1/tags/{name}/follow", post(follow))
        .route("/api/v1/tags/{name}/unfollow", post(unfollow))
        .route("/api/v1/followed_tags", get(followed))
}

/// Mastodon pages followed tags by 100, at most 200.
const FOLLOWED: Limits = Limits { default: 100, max: 200 };

/// Mastodon's `Tag`, with its `history` (numbers as strings, as Mastodon sends them) and, for a
/// signed-in caller only, whether they follow it.
pub fn tag_json(base: &str, name: &str, history: &[HistoryDay], following: Option<bool>) -> Value {
    let mut tag = json!({
        "name": name,
        "url": crate::entities::tag_url(base, name),
        "history": history.iter().map(|d| json!({
            "day": d.day_start.to_string(),
            "uses": d.uses.to_string(),
            "accounts": d.accounts.to_string(),
        })).collect::<Vec<_>>(),
    });
    if let Some(following) = following {
        tag["following"] = json!(following);
    }
    tag
}

/// Which of `names` the viewer follows; `None` for an anonymous caller, who is told nothing.
pub async fn followed_by(state: &AppState, viewer: Option<Id>, names: &[String]) -> ApiResult<Option<HashSet<String>>> {
    match viewer {
        Some(viewer) => Ok(Some(state.store.following_tags(viewer, names).await?.into_iter().collect())),
        None => Ok(None),
    }
}

/// `names` as Mastodon's `Tag`s, each with its history as of now: how every list of tags
/// that has no history at hand is rendered.
pub async fn render(state: &AppState, viewer: Option<Id>, names: &[String]) -> ApiResult<Vec<Value>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let now = Timestamp::now();
    let days = state.store.tag_days(trends::history_start(now), Some(names.to_vec())).await?;
    let followed = followed_by(state, viewer, names).await?;
    Ok(names
        .iter()
        .map(|name| {
            let own: Vec<_> = days.iter().filter(|d| &d.tag == name).cloned().collect();
            let following = followed.as_ref().map(|f| f.contains(name));
            tag_json(&state.settings.public_url, name, &trends::history(&own, now), following)
        })
        .collect())
}

async fn show(State(state): State<AppState>, auth: MaybeAuth, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    // A name that is no hashtag names nothing.
    let name = validate::hashtag(&name).map_err(|_| ApiError::NotFound)?;
    // A tag exists once a public status has used it (private ones do not make it known), or
    // once the caller follows it.
    let ever = state.store.tag_days(Timestamp(0), Some(vec![name.clone()])).await?;
    let following = followed_by(&state, auth.id(), std::slice::from_ref(&name)).await?.map(|f| !f.is_empty());
    if ever.is_empty() && following != Some(true) {
        return Err(ApiError::NotFound);
    }
    // Every day it was used is at hand: the history is the last seven of them.
    let history = trends::history(&ever, Timestamp::now());
    Ok(Json(tag_json(&state.settings.public_url, &name, &history, following)))
}

async fn follow(State(state): State<AppState>, auth: Auth, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    auth.require("write:follows")?;
    let name = validate::hashtag(&name)?;
    state.store.follow_tag(auth.id(), &name).await?;
    let mut tag = render(&state, Some(auth.id()), &[name]).await?;
    Ok(Json(tag.remove(0)))
}

async fn unfollow(State(state): State<AppState>, auth: Auth, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    auth.require("write:follows")?;
    let name = validate::hashtag(&name)?;
    state.store.unfollow_tag(auth.id(), &name).await?;
    let mut tag = render(&state, Some(auth.id()), &[name]).await?;
    Ok(Json(tag.remove(0)))
}

async fn followed(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:follows")?;
    let request = paging::page_request(&params, FOLLOWED)?;
    let page = state.store.followed_tags(auth.id(), request).await?;
    let items = render(&state, Some(auth.id()), &page.items).await?;
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}
