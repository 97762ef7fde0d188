//! Statuses: compose, read, edit with history, delete, threads, favourites and reblogs.

use axum::extract::{OriginalUri, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::Id;
use starling_core::filters::FilterContext;
use starling_core::model::{NewStatus, Status, StatusEdit, Timestamp, Visibility};
use starling_core::store::MAX_PINNED;
use starling_core::validate::{self, StatusText};

use super::media;
use crate::auth::{Auth, MaybeAuth};
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, ACCOUNTS, STATUSES};
use crate::params::{Params, PathId};
use crate::state::AppState;
use crate::views;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/statuses", post(create))
        .route("/api/v1/statuses/{id}", get(show).put(edit).delete(delete))
        .route("/api/v1/statuses/{id}/history", get(history))
        .route("/api/v1/statuses/{id}/source", get(source))
        .route("/api/v1/statuses/{id}/context", get(context))
        .route("/api/v1/statuses/{id}/favourite", post(favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(unfavourite))
        .route("/api/v1/statuses/{id}/bookmark", post(bookmark))
        .route("/api/v1/statuses/{id}/unbookmark", post(unbookmark))
        .route("/api/v1/statuses/{id}/pin", post(pin))
        .route("/api/v1/statuses/{id}/unpin", post(unpin))
        .route("/api/v1/statuses/{id}/reblog", post(reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(unreblog))
        .route("/api/v1/statuses/{id}/favourited_by", get(favourited_by))
        .route("/api/v1/statuses/{id}/reblogged_by", get(reblogged_by))
        .route("/api/v1/favourites", get(favourites))
        .route("/api/v1/bookmarks", get(bookmarks))
}

/// The text of a status as composed: validated, its mentions resolved and rendered.
struct Composed {
    text: String,
    content: String,
    spoiler_text: String,
    sensitive: bool,
    language: Option<String>,
    mentions: Vec<Id>,
    tags: Vec<String>,
}

/// `has_media`: a status with attachments may have no text.
async fn compose(state: &AppState, params: &Params, has_media: bool) -> ApiResult<Composed> {
    if params.get("poll[options]").is_some() {
        return Err(ApiError::unprocessable("Polls are not supported"));
    }
    let parsed = StatusText::parse(
        params.get("status").unwrap_or(""),
        params.get("spoiler_text").unwrap_or(""),
        state.settings.max_characters,
        has_media,
    )?;
    let language = validate::language(params.get("language").unwrap_or(""))?;
    let rendered = views::render_text(state, &parsed.text).await?;
    Ok(Composed {
        sensitive: params.flag("sensitive")? || !parsed.spoiler_text.is_empty(),
        text: parsed.text,
        content: rendered.html,
        spoiler_text: parsed.spoiler_text,
        language,
        mentions: rendered.mentions.iter().map(|a| a.id).collect(),
        tags: rendered.tags,
    })
}

/// `quoted_status_id`, as Mastodon's quote posts: the quoted status must be one the author may
/// see (a reblog stands for its original). Private mentions cannot be quoted, and followers-only
/// statuses only by their own author; a quote of one stays followers-only (or direct). Returns
/// the status quoted and the visibility the new status gets.
async fn quoted(
    state: &AppState,
    auth: &Auth,
    params: &Params,
    visibility: Visibility,
) -> ApiResult<(Option<Id>, Visibility)> {
    let Some(id) = params.id("quoted_status_id")? else { return Ok((None, visibility)) };
    let status = match views::visible_status(state, Some(auth.id()), id).await {
        Ok(status) => status,
        Err(ApiError::NotFound) => return Err(ApiError::unprocessable("The quoted post does not exist")),
        Err(e) => return Err(e),
    };
    let quoted = status.reblog.as_deref().unwrap_or(&status);
    match quoted.visibility {
        Visibility::Direct => Err(ApiError::unprocessable("Private mentions cannot be quoted")),
        Visibility::Private if quoted.account.id != auth.id() => {
            Err(ApiError::unprocessable("Followers-only posts can only be quoted by their author"))
        }
        Visibility::Private if matches!(visibility, Visibility::Public | Visibility::Unlisted) => {
            Ok((Some(quoted.id), Visibility::Private))
        }
        _ => Ok((Some(quoted.id), visibility)),
    }
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    params: Params,
) -> ApiResult<Json<Value>> {
    auth.require("write:statuses")?;
    if params.text("scheduled_at").is_some() {
        return Err(ApiError::unprocessable("Scheduled statuses are not supported"));
    }
    let idempotency_key = match headers.get("idempotency-key") {
        Some(v) => Some(validate::idempotency_key(
            v.to_str().map_err(|_| ApiError::unprocessable("Idempotency-Key must be printable"))?,
        )?),
        None => None,
    };
    let visibility = match params.text("visibility") {
        Some(v) => validate::visibility(v)?,
        None => Visibility::Public,
    };
    let in_reply_to_id = match params.id("in_reply_to_id")? {
        Some(id) => {
            let parent = views::visible_status(&state, Some(auth.id()), id).await?;
            Some(parent.reblog.as_ref().map_or(parent.id, |r| r.id))
        }
        None => None,
    };
    let (quote_of_id, visibility) = quoted(&state, &auth, &params, visibility).await?;
    let media_ids = media::attachable(&state, &auth, &params).await?;
    let composed = compose(&state, &params, !media_ids.is_empty()).await?;
    let id = state.ids.next();
    let status = state
        .store
        .create_status(NewStatus {
            id,
            account_id: auth.id(),
            app_id: Some(auth.caller.token.app_id),
            text: composed.text,
            content: composed.content,
            spoiler_text: composed.spoiler_text,
            sensitive: composed.sensitive,
            visibility,
            language: composed.language,
            in_reply_to_id,
            mentions: composed.mentions,
            tags: composed.tags,
            idempotency_key,
            media_ids,
            quote_of_id,
            created_at: Timestamp::now(),
        })
        .await?;
    if status.id != id {
        // A retry with the same idempotency key: the earlier status, as the caller sees it now.
        return Ok(Json(json!(views::render_status(&state, Some(&auth), &status).await?)));
    }
    Ok(Json(json!(views::render_new_status(&state, &status))))
}

async fn show(State(state): State<AppState>, auth: MaybeAuth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:statuses")?;
    let status = views::visible_status(&state, auth.id(), id).await?;
    Ok(Json(json!(views::render_status(&state, auth.0.as_ref(), &status).await?)))
}

/// The caller's own status, not a reblog: others' statuses are 404 here, as in Mastodon.
async fn own_status(state: &AppState, auth: &Auth, id: Id) -> ApiResult<Status> {
    let status = state.store.status(id).await?;
    if status.account.id != auth.id() { Err(ApiError::NotFound) } else { Ok(status) }
}

async fn edit(State(state): State<AppState>, auth: Auth, PathId(id): PathId, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:statuses")?;
    let existing = own_status(&state, &auth, id).await?;
    if existing.reblog.is_some() {
        return Err(ApiError::NotFound);
    }
    // Clients send the status's media with every edit; changing them is not supported.
    let asked = params.ids("media_ids")?;
    let current: Vec<Id> = existing.media.iter().map(|m| m.id).collect();
    if !asked.is_empty() && asked != current {
        return Err(ApiError::unprocessable("Changing the media of a status in an edit is not supported"));
    }
    let composed = compose(&state, &params, !existing.media.is_empty()).await?;
    let status = state
        .store
        .edit_status(
            id,
            StatusEdit {
                text: composed.text,
                content: composed.content,
                spoiler_text: composed.spoiler_text,
                sensitive: composed.sensitive,
                language: composed.language.or(existing.language),
                mentions: composed.mentions,
                tags: composed.tags,
                edited_at: Timestamp::now(),
            },
        )
        .await?;
    Ok(Json(json!(views::render_status(&state, Some(&auth), &status).await?)))
}

async fn delete(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:statuses")?;
    own_status(&state, &auth, id).await?;
    let status = state.store.delete_status(id, auth.id(), Timestamp::now()).await?;
    let mut rendered = Renderer::new(&state.settings.public_url).status(&status, None);
    rendered.text = Some(status.text.clone());
    Ok(Json(json!(rendered)))
}

async fn history(State(state): State<AppState>, auth: MaybeAuth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:statuses")?;
    let status = views::visible_status(&state, auth.id(), id).await?;
    let versions = state.store.status_versions(status.id).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    Ok(Json(json!(versions.iter().map(|v| renderer.status_edit(v, &status.account)).collect::<Vec<_>>())))
}

/// The text to edit, so its author's only (as in Mastodon).
async fn source(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:statuses")?;
    let status = own_status(&state, &auth, id).await?;
    Ok(Json(json!({ "id": status.id, "text": status.text, "spoiler_text": status.spoiler_text })))
}

async fn context(State(state): State<AppState>, auth: MaybeAuth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:statuses")?;
    let status = views::visible_status(&state, auth.id(), id).await?;
    let root = status.reblog.as_ref().map_or(status.id, |r| r.id);
    let (ancestors, descendants) = state.store.context(root).await?;
    // A thread shows what the reader may see, without what it blocks, mutes or filters out.
    let hidden = views::hidden(&state, auth.id()).await?;
    let ancestors = views::filter_visible(&state, auth.id(), &hidden, ancestors).await?;
    let descendants = views::filter_visible(&state, auth.id(), &hidden, descendants).await?;
    Ok(Json(json!({
        "ancestors": views::timeline(&state, auth.0.as_ref(), &hidden, ancestors, FilterContext::Thread).await?,
        "descendants": views::timeline(&state, auth.0.as_ref(), &hidden, descendants, FilterContext::Thread).await?,
    })))
}

/// A visible status, resolved to the original when it is a reblog: actions on a reblog act on
/// what was reblogged.
async fn actionable(state: &AppState, auth: &Auth, id: Id) -> ApiResult<Status> {
    let status = views::visible_status(state, Some(auth.id()), id).await?;
    Ok(match status.reblog {
        Some(original) => *original,
        None => status,
    })
}

async fn respond_with(state: &AppState, auth: &Auth, id: Id) -> ApiResult<Json<Value>> {
    let status = state.store.status(id).await?;
    Ok(Json(json!(views::render_status(state, Some(auth), &status).await?)))
}

async fn favourite(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:favourites")?;
    let status = actionable(&state, &auth, id).await?;
    state.store.favourite(auth.id(), status.id, Timestamp::now()).await?;
    respond_with(&state, &auth, status.id).await
}

async fn unfavourite(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:favourites")?;
    let status = actionable(&state, &auth, id).await?;
    state.store.unfavourite(auth.id(), status.id, Timestamp::now()).await?;
    respond_with(&state, &auth, status.id).await
}

/// Bookmarks are the caller's alone; a reblog bookmarks what it reblogged, as in Mastodon.
async fn bookmark(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:bookmarks")?;
    let status = actionable(&state, &auth, id).await?;
    state.store.bookmark(auth.id(), status.id, Timestamp::now()).await?;
    respond_with(&state, &auth, status.id).await
}

async fn unbookmark(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:bookmarks")?;
    let status = actionable(&state, &auth, id).await?;
    state.store.unbookmark(auth.id(), status.id, Timestamp::now()).await?;
    respond_with(&state, &auth, status.id).await
}

/// Only the author pins, and only a status of their own that may be shown on their profile:
/// no reblog, no private mention, at most [`MAX_PINNED`] at once.
async fn pin(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:accounts")?;
    let status = own_status(&state, &auth, id).await?;
    if status.reblog.is_some() || status.visibility == Visibility::Direct {
        return Err(ApiError::unprocessable("Validation failed: This post cannot be pinned"));
    }
    let pinned = state.store.pinned_statuses(auth.id()).await?;
    if pinned.len() >= MAX_PINNED && !pinned.iter().any(|p| p.id == id) {
        return Err(ApiError::unprocessable(format!(
            "Validation failed: You have already pinned the maximum number of posts ({MAX_PINNED})"
        )));
    }
    state.store.pin(auth.id(), id, Timestamp::now()).await?;
    respond_with(&state, &auth, id).await
}

async fn unpin(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:accounts")?;
    own_status(&state, &auth, id).await?;
    state.store.unpin(auth.id(), id, Timestamp::now()).await?;
    respond_with(&state, &auth, id).await
}

fn openness(v: Visibility) -> u8 {
    match v {
        Visibility::Public => 0,
        Visibility::Unlisted => 1,
        Visibility::Private => 2,
        Visibility::Direct => 3,
    }
}

async fn reblog(
    State(state): State<AppState>,
    auth: Auth,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Json<Value>> {
    auth.require("write:statuses")?;
    let original = actionable(&state, &auth, id).await?;
    let allowed = match original.visibility {
        Visibility::Public | Visibility::Unlisted => true,
        Visibility::Private => original.account.id == auth.id(),
        Visibility::Direct => false,
    };
    if !allowed {
        return Err(ApiError::Forbidden("This action is not allowed".into()));
    }
    let requested = match params.text("visibility") {
        Some(v) => validate::visibility(v)?,
        None => Visibility::Public,
    };
    if requested == Visibility::Direct {
        return Err(ApiError::unprocessable("Validation failed: Visibility of a reblog cannot be direct"));
    }
    // A reblog is never more visible than what it reblogs.
    let visibility = if openness(requested) >= openness(original.visibility) { requested } else { original.visibility };
    let reblog = state.store.reblog(auth.id(), original.id, state.ids.next(), visibility, Timestamp::now()).await?;
    Ok(Json(json!(views::render_status(&state, Some(&auth), &reblog).await?)))
}

async fn unreblog(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:statuses")?;
    let original = actionable(&state, &auth, id).await?;
    state.store.unreblog(auth.id(), original.id, Timestamp::now()).await?;
    respond_with(&state, &auth, original.id).await
}

async fn favourited_by(
    State(state): State<AppState>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:accounts")?;
    let status = views::visible_status(&state, auth.id(), id).await?;
    let request = paging::page_request(&params, ACCOUNTS)?;
    let page = state.store.favourited_by(status.id, request).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    let items: Vec<_> = page.items.iter().map(|a| renderer.account(a)).collect();
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn reblogged_by(
    State(state): State<AppState>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:accounts")?;
    let status = views::visible_status(&state, auth.id(), id).await?;
    let request = paging::page_request(&params, ACCOUNTS)?;
    let page = state.store.reblogged_by(status.id, request).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    let items: Vec<_> = page.items.iter().map(|a| renderer.account(a)).collect();
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn bookmarks(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:bookmarks")?;
    let request = paging::page_request(&params, STATUSES)?;
    let page = state.store.bookmarks(auth.id(), request).await?;
    // A bookmarked status its reader may no longer see (unfollowed, say) is left out.
    let hidden = views::hidden(&state, Some(auth.id())).await?;
    let visible = views::filter_visible(&state, Some(auth.id()), &hidden, page.items.clone()).await?;
    let items = views::render_statuses(&state, Some(&auth), &visible).await?;
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn favourites(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:favourites")?;
    let request = paging::page_request(&params, STATUSES)?;
    let page = state.store.favourites(auth.id(), request).await?;
    let hidden = views::hidden(&state, Some(auth.id())).await?;
    let visible = views::filter_visible(&state, Some(auth.id()), &hidden, page.items.clone()).await?;
    let items = views::render_statuses(&state, Some(&auth), &visible).await?;
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}
