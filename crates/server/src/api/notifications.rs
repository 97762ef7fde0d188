//! Notifications (`/api/v1/notifications`) and reading positions (`/api/v1/markers`).

use std::collections::HashMap;

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::filters::{FilterContext, Judgement};
use starling_core::model::Timestamp;
use starling_core::notify::{Notification, NotificationKind};
use starling_core::store::NotificationFilter;

use crate::auth::Auth;
use crate::entities::{Renderer, ViewerState};
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, ACCOUNTS};
use crate::params::{Params, PathId};
use crate::state::AppState;
use crate::views;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(list))
        .route("/api/v1/notifications/unread_count", get(unread_count))
        .route("/api/v1/notifications/clear", post(clear))
        .route("/api/v1/notifications/{id}", get(show))
        .route("/api/v1/notifications/{id}/dismiss", post(dismiss))
        .route("/api/v1/markers", get(markers).post(set_markers))
}

fn kinds(params: &Params, key: &str) -> Vec<NotificationKind> {
    // Kinds this server never produces (polls, follow requests, …) filter nothing: unknown
    // names are ignored rather than refused, as Mastodon ignores them.
    params.all(key).into_iter().filter_map(|k| k.parse().ok()).collect()
}

/// Renders notifications with the recipient's own flags on their statuses, leaving out those
/// whose status a `hide` filter of the recipient's hides in notifications and marking those a
/// `warn` filter matches.
async fn render(state: &AppState, auth: &Auth, items: &[Notification]) -> ApiResult<Vec<Value>> {
    let hidden = state.store.hidden(auth.id()).await?;
    let now = Timestamp::now();
    let mut filtered = HashMap::new();
    let items: Vec<&Notification> = items
        .iter()
        .filter(|n| match &n.status {
            None => true,
            Some(s) => match hidden.judge(s, FilterContext::Notifications, now) {
                Judgement::Hidden => false,
                Judgement::Shown(warnings) => {
                    if !warnings.is_empty() {
                        filtered.insert(s.id, warnings);
                    }
                    true
                }
            },
        })
        .collect();
    let ids: Vec<_> = items.iter().filter_map(|n| n.status.as_ref().map(|s| s.id)).collect();
    let flags = if ids.is_empty() { Default::default() } else { state.store.viewer_flags(auth.id(), &ids).await? };
    let statuses: Vec<_> = items.iter().filter_map(|n| n.status.clone()).collect();
    let mut viewer =
        ViewerState::of(auth.id(), flags, crate::views::visible_quotes(state, auth.id(), &statuses).await?);
    viewer.filtered = filtered;
    let renderer = Renderer::new(&state.settings.public_url);
    Ok(items.iter().map(|n| json!(renderer.notification_for(n, Some(&viewer)))).collect())
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:notifications")?;
    let request = paging::page_request(&params, ACCOUNTS)?;
    let filter = NotificationFilter { types: kinds(&params, "types"), exclude_types: kinds(&params, "exclude_types") };
    // Asking only for kinds that do not exist here asks for nothing.
    let page = if filter.types.is_empty() && !params.all("types").is_empty() {
        starling_core::page::Page::empty()
    } else {
        state.store.notifications(auth.id(), &filter, request).await?
    };
    let items = render(&state, &auth, &page.items).await?;
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn show(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:notifications")?;
    let n = state.store.notification(auth.id(), id).await?;
    // As the list: what a hidden account caused is not shown.
    if views::hidden(&state, Some(auth.id())).await?.hides_notifications_from(n.from_account.id, Timestamp::now()) {
        return Err(ApiError::NotFound);
    }
    let mut rendered = render(&state, &auth, std::slice::from_ref(&n)).await?;
    rendered.pop().map(Json).ok_or(ApiError::NotFound)
}

async fn dismiss(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:notifications")?;
    state.store.dismiss_notification(auth.id(), id, Timestamp::now()).await?;
    Ok(Json(json!({})))
}

async fn clear(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require("write:notifications")?;
    state.store.clear_notifications(auth.id(), Timestamp::now()).await?;
    Ok(Json(json!({})))
}

async fn unread_count(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require("read:notifications")?;
    Ok(Json(json!({ "count": state.store.unread_notifications(auth.id()).await? })))
}

const TIMELINES: [&str; 2] = ["home", "notifications"];

fn marker_json(markers: Vec<starling_core::store::Marker>) -> Value {
    let mut out = serde_json::Map::new();
    for m in markers {
        out.insert(
            m.timeline.clone(),
            json!({ "last_read_id": m.last_read_id, "version": m.version, "updated_at": m.updated_at.to_rfc3339() }),
        );
    }
    Value::Object(out)
}

async fn markers(State(state): State<AppState>, auth: Auth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("read:statuses")?;
    let timelines: Vec<String> =
        params.all("timeline").into_iter().filter(|t| TIMELINES.contains(t)).map(String::from).collect();
    Ok(Json(marker_json(state.store.markers(auth.id(), &timelines).await?)))
}

async fn set_markers(State(state): State<AppState>, auth: Auth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:statuses")?;
    let mut updated = Vec::new();
    for timeline in TIMELINES {
        if let Some(id) = params.id(&format!("{timeline}[last_read_id]"))? {
            updated.push(state.store.set_marker(auth.id(), timeline, id, Timestamp::now()).await?);
        }
    }
    if updated.is_empty() {
        return Err(ApiError::unprocessable("Give home[last_read_id] or notifications[last_read_id]"));
    }
    Ok(Json(marker_json(updated)))
}
