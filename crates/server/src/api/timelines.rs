//! Timelines: home (who you follow), public (everyone), and hashtag.

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use axum::routing::get;
use starling_core::filters::FilterContext;
use starling_core::page::Page;
use starling_core::text::normalize_tag;

use crate::auth::{Auth, MaybeAuth};
use crate::error::ApiResult;
use crate::feeds;
use crate::paging::{self, STATUSES};
use crate::params::Params;
use crate::state::AppState;
use crate::views;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/timelines/home", get(home))
        .route("/api/v1/timelines/public", get(public))
        .route("/api/v1/timelines/tag/{hashtag}", get(tag))
}

async fn home(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:statuses")?;
    let request = paging::page_request(&params, STATUSES)?;
    let mut page = feeds::read::home_timeline(&state, auth.id(), request).await?;
    // The page's cursors stay those of what was read, so the next page starts where it ended.
    let hidden = views::hidden(&state, Some(auth.id())).await?;
    let items =
        views::timeline(&state, Some(&auth), &hidden, std::mem::take(&mut page.items), FilterContext::Home).await?;
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn public(
    State(state): State<AppState>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:statuses")?;
    let request = paging::page_request(&params, STATUSES)?;
    // Every account is local: `remote=true` asks for statuses this server does not have.
    let hidden = views::hidden(&state, auth.id()).await?;
    let mut page = if params.flag("remote")? {
        Page::empty()
    } else {
        state.store.public_timeline(request, params.flag("only_media")?).await?
    };
    let items =
        views::timeline(&state, auth.0.as_ref(), &hidden, std::mem::take(&mut page.items), FilterContext::Public)
            .await?;
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn tag(
    State(state): State<AppState>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Path(hashtag): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:statuses")?;
    let request = paging::page_request(&params, STATUSES)?;
    let tag = normalize_tag(hashtag.trim_start_matches('#'));
    // A name that is no hashtag (a NUL, punctuation) names no tag: nothing is tagged with it.
    let hidden = views::hidden(&state, auth.id()).await?;
    let mut page = if params.flag("remote")? || params.flag("only_media")? || !starling_core::text::is_hashtag(&tag) {
        Page::empty()
    } else {
        state.store.tag_timeline(&tag, request).await?
    };
    let items =
        views::timeline(&state, auth.0.as_ref(), &hidden, std::mem::take(&mut page.items), FilterContext::Public)
            .await?;
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}
