//! Stories (`/api/v1/stories`): posts that last a day at most, with who viewed them and emoji
//! reactions, told live to their author. An extension, documented in `openapi.json`.
//!
//! Who may see a story: its author, and everyone signed in unless the author's account is
//! locked, in which case only their followers. Anyone else gets 404, as for a story that does
//! not exist or has expired.

use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::Id;
use starling_core::model::{Account, Timestamp};
use starling_core::story::{NewStory, Story};
use starling_core::validate;

use crate::auth::Auth;
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, ACCOUNTS};
use crate::params::{Params, PathId};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stories", post(create).get(feed))
        .route("/api/v1/stories/{id}", get(show).delete(delete))
        .route("/api/v1/stories/{id}/view", post(view))
        .route("/api/v1/stories/{id}/viewers", get(viewers))
        .route("/api/v1/stories/{id}/reactions", post(react))
        .route("/api/v1/stories/{id}/reactions/{emoji}", axum::routing::delete(unreact))
        .route("/api/v1/accounts/{id}/stories", get(of_account))
}

/// Whether `viewer` may see `author`'s stories: no block between them, and the author is not
/// locked or is followed by the viewer.
async fn may_see(state: &AppState, viewer: Id, author: &Account) -> ApiResult<bool> {
    if viewer == author.id {
        return Ok(true);
    }
    if state.store.hidden(viewer).await?.blocked(author.id) {
        return Ok(false);
    }
    Ok(!author.locked || state.store.is_following(viewer, author.id).await?)
}

/// The story as the caller sees it, or 404 when it is gone or not theirs to see.
async fn visible(state: &AppState, auth: &Auth, id: Id) -> ApiResult<Story> {
    let story = state.store.story(id, auth.id(), Timestamp::now()).await?;
    if !may_see(state, auth.id(), &story.account).await? {
        return Err(ApiError::NotFound);
    }
    Ok(story)
}

fn render(state: &AppState, auth: &Auth, story: &Story) -> Json<Value> {
    Json(json!(Renderer::new(&state.settings.public_url).story(story, auth.id())))
}

async fn create(State(state): State<AppState>, auth: Auth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:stories")?;
    let media_ids = super::media::attachable(&state, &auth, &params).await?;
    let text = validate::caption(
        "text",
        params.get("text").unwrap_or(""),
        state.settings.max_characters,
        !media_ids.is_empty(),
    )?;
    let longest = state.settings.story_lifetime.as_secs();
    let seconds = match params.u32("duration")? {
        Some(d) if d == 0 || u64::from(d) > longest => {
            return Err(ApiError::unprocessable(format!("duration must be between 1 and {longest} seconds")));
        }
        Some(d) => u64::from(d),
        None => longest,
    };
    let now = Timestamp::now();
    let story = state
        .store
        .create_story(NewStory {
            id: state.ids.next(),
            account_id: auth.id(),
            text,
            media_ids,
            created_at: now,
            expires_at: now.plus_seconds(i64::try_from(seconds).unwrap_or(i64::MAX)),
        })
        .await?;
    Ok(render(&state, &auth, &story))
}

async fn feed(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require("read:stories")?;
    // Followees and oneself: every one of them may be seen, locked or not.
    let now = Timestamp::now();
    let mut stories = state.store.story_feed(auth.id(), now).await?;
    // Without the accounts a block or a mute hides, as the home timeline is.
    let hidden = state.store.hidden(auth.id()).await?;
    stories.retain(|s| s.account.id == auth.id() || !(hidden.blocked(s.account.id) || hidden.muted(s.account.id, now)));
    Ok(Json(json!(Renderer::new(&state.settings.public_url).story_groups(&stories, auth.id()))))
}

async fn of_account(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:stories")?;
    let author = state.store.account(id).await?;
    if !may_see(&state, auth.id(), &author).await? {
        return Err(ApiError::NotFound);
    }
    let stories = state.store.account_stories(id, auth.id(), Timestamp::now()).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    Ok(Json(json!(stories.iter().map(|s| renderer.story(s, auth.id())).collect::<Vec<_>>())))
}

async fn show(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:stories")?;
    let story = visible(&state, &auth, id).await?;
    Ok(render(&state, &auth, &story))
}

async fn delete(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:stories")?;
    let story = visible(&state, &auth, id).await?;
    if story.account.id != auth.id() {
        return Err(ApiError::Forbidden("Only the author may delete a story".into()));
    }
    let deleted = state.store.delete_story(id, auth.id(), Timestamp::now()).await?;
    Ok(render(&state, &auth, &deleted))
}

async fn view(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:stories")?;
    visible(&state, &auth, id).await?;
    let change = state.store.view_story(id, auth.id(), Timestamp::now()).await?;
    Ok(render(&state, &auth, &change.story))
}

async fn viewers(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:stories")?;
    let story = visible(&state, &auth, id).await?;
    if story.account.id != auth.id() {
        return Err(ApiError::Forbidden("Only the author may see who viewed a story".into()));
    }
    let request = paging::page_request(&params, ACCOUNTS)?;
    let page = state.store.story_viewers(id, request, Timestamp::now()).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    let hidden = state.store.hidden(auth.id()).await?;
    let items: Vec<_> =
        page.items.iter().filter(|v| !hidden.blocked(v.account.id)).map(|v| renderer.story_viewer(v)).collect();
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn react(
    State(state): State<AppState>,
    auth: Auth,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Json<Value>> {
    auth.require("write:stories")?;
    let emoji = validate::emoji(params.get("emoji").unwrap_or(""))?;
    visible(&state, &auth, id).await?;
    let change = state.store.react_to_story(id, auth.id(), &emoji, Timestamp::now()).await?;
    Ok(render(&state, &auth, &change.story))
}

async fn unreact(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, emoji)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    auth.require("write:stories")?;
    let id: Id = id.parse().map_err(|_| ApiError::NotFound)?;
    let emoji = validate::emoji(&emoji)?;
    visible(&state, &auth, id).await?;
    let change = state.store.unreact_to_story(id, auth.id(), &emoji, Timestamp::now()).await?;
    Ok(render(&state, &auth, &change.story))
}
