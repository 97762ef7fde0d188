//! Trends (`/api/v1/trends/tags`, `/api/v1/trends/statuses`): what is being talked about more
//! than usual, computed from the statuses themselves (`starling_core::trends`) when asked.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::model::Timestamp;
use starling_core::trends::{self, TrendingTag};

use crate::auth::MaybeAuth;
use crate::error::ApiResult;
use crate::params::Params;
use crate::state::AppState;
use crate::views;

use super::tags;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/trends", get(tags))
        .route("/api/v1/trends/tags", get(tags))
        .route("/api/v1/trends/statuses", get(statuses))
}

/// The most trending tags computed at once; pages are cut from these.
const MAX_TAGS: usize = 100;
/// How far back trending statuses are looked for.
const STATUS_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
/// How many engaged statuses are scored, the most engaged first.
const STATUS_CANDIDATES: u32 = 400;

/// The trending tags now, best first.
pub async fn trending(state: &AppState) -> ApiResult<Vec<TrendingTag>> {
    let now = Timestamp::now();
    let days = state.store.tag_days(trends::history_start(now), None).await?;
    Ok(trends::trending_tags(&days, now, MAX_TAGS))
}

fn window(params: &Params, default: u32, max: u32) -> ApiResult<(usize, usize)> {
    let limit = params.u32("limit")?.unwrap_or(default).clamp(1, max) as usize;
    let offset = params.u32("offset")?.unwrap_or(0) as usize;
    Ok((limit, offset))
}

async fn tags(State(state): State<AppState>, auth: MaybeAuth, params: Params) -> ApiResult<Json<Value>> {
    let (limit, offset) = window(&params, 10, 20)?;
    let base = &state.settings.public_url;
    let shown: Vec<TrendingTag> = trending(&state).await?.into_iter().skip(offset).take(limit).collect();
    let names: Vec<String> = shown.iter().map(|t| t.name.clone()).collect();
    let followed = tags::followed_by(&state, auth.id(), &names).await?;
    let list: Vec<Value> = shown
        .iter()
        .map(|t| tags::tag_json(base, &t.name, &t.history, followed.as_ref().map(|f| f.contains(&t.name))))
        .collect();
    Ok(Json(json!(list)))
}

async fn statuses(State(state): State<AppState>, auth: MaybeAuth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("read:statuses")?;
    let (limit, offset) = window(&params, 20, 40)?;
    let now = Timestamp::now();
    let mut scored: Vec<_> = state
        .store
        .engaged_statuses(Timestamp(now.0 - STATUS_WINDOW_MS), STATUS_CANDIDATES)
        .await?
        .into_iter()
        .map(|(id, engagement)| (trends::status_score(engagement, now), id))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    let ids: Vec<_> = scored.into_iter().skip(offset).take(limit).map(|(_, id)| id).collect();
    let found = state.store.statuses(&ids).await?;
    let rendered = views::render_statuses(&state, auth.0.as_ref(), &found).await?;
    Ok(Json(json!(rendered)))
}
