//! Keyword filters, as Mastodon's v2 API has them: `/api/v2/filters` (with `keywords_attributes`)
//! and the keywords one by one under `/api/v2/filters/:id/keywords` and
//! `/api/v2/filters/keywords/:id`. Each is its owner's alone: anyone else gets 404. Where they
//! apply is `starling_core::safety::Hidden`'s business; every change reaches the owner's streams
//! as `filters_changed`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::Id;
use starling_core::filters::{Filter, FilterAction, FilterContext, FilterKeyword, FilterUpdate, NewFilter};
use starling_core::model::Timestamp;
use starling_core::validate;

use crate::auth::Auth;
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::params::{self, Params, PathId};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/filters", get(list).post(create))
        .route("/api/v2/filters/{id}", get(show).put(update).delete(delete))
        .route("/api/v2/filters/{id}/keywords", get(keywords).post(add_keyword))
        .route("/api/v2/filters/keywords/{id}", get(show_keyword).put(update_keyword).delete(delete_keyword))
}

/// How many keywords a filter may hold, and how long each may be.
const MAX_KEYWORDS: usize = 100;
const MAX_KEYWORD: usize = 200;
/// The longest a title may be.
const MAX_TITLE: usize = 200;

fn render(state: &AppState, filter: &Filter) -> Json<Value> {
    Json(json!(Renderer::new(&state.settings.public_url).filter(filter)))
}

fn title(params: &Params) -> ApiResult<Option<String>> {
    let Some(given) = params.get("title") else { return Ok(None) };
    let title = validate::free_text("title", given, MAX_TITLE)?;
    if title.is_empty() {
        return Err(ApiError::unprocessable("Validation failed: Title can't be blank"));
    }
    Ok(Some(title))
}

fn context(params: &Params) -> ApiResult<Option<Vec<FilterContext>>> {
    let given = params.all("context");
    if given.is_empty() {
        return Ok(None);
    }
    let mut context = Vec::new();
    for c in given {
        let c: FilterContext = c.parse().map_err(|()| {
            ApiError::unprocessable(format!(
                "Validation failed: Context {c:?} is none of home, notifications, public, thread, account"
            ))
        })?;
        if !context.contains(&c) {
            context.push(c);
        }
    }
    Ok(Some(context))
}

fn action(params: &Params) -> ApiResult<Option<FilterAction>> {
    params
        .text("filter_action")
        .map(|a| {
            a.parse().map_err(|()| ApiError::unprocessable("Validation failed: Filter action must be warn or hide"))
        })
        .transpose()
}

/// `expires_in` seconds from now; an empty value: never.
fn expiry(params: &Params) -> ApiResult<Option<Option<Timestamp>>> {
    match params.get("expires_in") {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(_) => match params.u32("expires_in")? {
            Some(0) | None => Ok(Some(None)),
            Some(secs) => Ok(Some(Some(Timestamp::now().plus_seconds(i64::from(secs))))),
        },
    }
}

fn keyword_text(text: &str) -> ApiResult<String> {
    let text = validate::free_text("keyword", text.trim(), MAX_KEYWORD)?;
    if text.is_empty() {
        return Err(ApiError::unprocessable("Validation failed: Keyword can't be blank"));
    }
    Ok(text)
}

/// What `keywords_attributes` asks: keywords to add, to change (with `id`) and to remove (with
/// `id` and `_destroy`).
fn keyword_changes(state: &AppState, params: &Params) -> ApiResult<FilterUpdate> {
    let mut update = FilterUpdate::default();
    for object in params.objects("keywords_attributes") {
        let field = |name: &str| object.iter().rev().find(|(f, _)| f == name).map(|(_, v)| v.as_str());
        let id = field("id")
            .map(|v| v.parse::<Id>().map_err(|_| ApiError::unprocessable("keywords_attributes id is not an id")))
            .transpose()?;
        let destroy = field("_destroy").map(|v| params::boolean("_destroy", v)).transpose()?.unwrap_or(false);
        let whole_word = field("whole_word").map(|v| params::boolean("whole_word", v)).transpose()?;
        match (id, destroy) {
            (Some(id), true) => update.remove.push(id),
            (None, true) => return Err(ApiError::unprocessable("keywords_attributes: _destroy needs an id")),
            (Some(id), false) => update.change.push(FilterKeyword {
                id,
                keyword: keyword_text(field("keyword").unwrap_or(""))?,
                whole_word: whole_word.unwrap_or(true),
            }),
            (None, false) => update.add.push(FilterKeyword {
                id: state.ids.next(),
                keyword: keyword_text(field("keyword").unwrap_or(""))?,
                whole_word: whole_word.unwrap_or(true),
            }),
        }
    }
    Ok(update)
}

async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require("read:filters")?;
    let renderer = Renderer::new(&state.settings.public_url);
    let filters = state.store.filters(auth.id()).await?;
    Ok(Json(json!(filters.iter().map(|f| renderer.filter(f)).collect::<Vec<_>>())))
}

async fn show(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:filters")?;
    Ok(render(&state, &state.store.filter(id, auth.id()).await?))
}

async fn create(State(state): State<AppState>, auth: Auth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:filters")?;
    let title = title(&params)?.ok_or_else(|| ApiError::unprocessable("Validation failed: Title can't be blank"))?;
    let context =
        context(&params)?.ok_or_else(|| ApiError::unprocessable("Validation failed: Context can't be blank"))?;
    let keywords = keyword_changes(&state, &params)?;
    if !keywords.change.is_empty() || !keywords.remove.is_empty() {
        return Err(ApiError::unprocessable("keywords_attributes of a new filter cannot name existing keywords"));
    }
    if keywords.add.len() > MAX_KEYWORDS {
        return Err(ApiError::unprocessable(format!("A filter holds at most {MAX_KEYWORDS} keywords")));
    }
    let filter = state
        .store
        .create_filter(NewFilter {
            id: state.ids.next(),
            account_id: auth.id(),
            title,
            context,
            action: action(&params)?.unwrap_or(FilterAction::Warn),
            expires_at: expiry(&params)?.flatten(),
            keywords: keywords.add,
            created_at: Timestamp::now(),
        })
        .await?;
    Ok(render(&state, &filter))
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Json<Value>> {
    auth.require("write:filters")?;
    let current = state.store.filter(id, auth.id()).await?;
    let mut update = keyword_changes(&state, &params)?;
    update.title = title(&params)?;
    update.context = context(&params)?;
    update.action = action(&params)?;
    update.expires_at = expiry(&params)?;
    if current.keywords.len() + update.add.len() > MAX_KEYWORDS + update.remove.len() {
        return Err(ApiError::unprocessable(format!("A filter holds at most {MAX_KEYWORDS} keywords")));
    }
    let filter = state.store.update_filter(id, auth.id(), update, Timestamp::now()).await.map_err(|e| match e {
        // The filter is the caller's (read above): what is missing is a keyword it named.
        starling_core::StoreError::NotFound => {
            ApiError::unprocessable("keywords_attributes names a keyword of no filter of yours")
        }
        other => other.into(),
    })?;
    Ok(render(&state, &filter))
}

async fn delete(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:filters")?;
    state.store.delete_filter(id, auth.id(), Timestamp::now()).await?;
    Ok(Json(json!({})))
}

async fn keywords(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:filters")?;
    let filter = state.store.filter(id, auth.id()).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    Ok(Json(json!(filter.keywords.iter().map(|k| renderer.filter_keyword(k)).collect::<Vec<_>>())))
}

async fn add_keyword(
    State(state): State<AppState>,
    auth: Auth,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Json<Value>> {
    auth.require("write:filters")?;
    let filter = state.store.filter(id, auth.id()).await?;
    if filter.keywords.len() >= MAX_KEYWORDS {
        return Err(ApiError::unprocessable(format!("A filter holds at most {MAX_KEYWORDS} keywords")));
    }
    let keyword = FilterKeyword {
        id: state.ids.next(),
        keyword: keyword_text(params.get("keyword").unwrap_or(""))?,
        whole_word: params.bool("whole_word")?.unwrap_or(true),
    };
    let update = FilterUpdate { add: vec![keyword.clone()], ..FilterUpdate::default() };
    state.store.update_filter(id, auth.id(), update, Timestamp::now()).await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).filter_keyword(&keyword))))
}

/// The caller's filter holding keyword `id`, with the keyword; 404 for anyone else's.
async fn owning(state: &AppState, auth: &Auth, id: Id) -> ApiResult<(Filter, FilterKeyword)> {
    let filters = state.store.filters(auth.id()).await?;
    filters
        .into_iter()
        .find_map(|f| {
            let keyword = f.keywords.iter().find(|k| k.id == id).cloned()?;
            Some((f, keyword))
        })
        .ok_or(ApiError::NotFound)
}

async fn show_keyword(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:filters")?;
    let (_, keyword) = owning(&state, &auth, id).await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).filter_keyword(&keyword))))
}

async fn update_keyword(
    State(state): State<AppState>,
    auth: Auth,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Json<Value>> {
    auth.require("write:filters")?;
    let (filter, current) = owning(&state, &auth, id).await?;
    let keyword = FilterKeyword {
        id,
        keyword: match params.get("keyword") {
            Some(text) => keyword_text(text)?,
            None => current.keyword,
        },
        whole_word: params.bool("whole_word")?.unwrap_or(current.whole_word),
    };
    let update = FilterUpdate { change: vec![keyword.clone()], ..FilterUpdate::default() };
    state.store.update_filter(filter.id, auth.id(), update, Timestamp::now()).await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).filter_keyword(&keyword))))
}

async fn delete_keyword(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:filters")?;
    let (filter, _) = owning(&state, &auth, id).await?;
    let update = FilterUpdate { remove: vec![id], ..FilterUpdate::default() };
    state.store.update_filter(filter.id, auth.id(), update, Timestamp::now()).await?;
    Ok(Json(json!({})))
}
