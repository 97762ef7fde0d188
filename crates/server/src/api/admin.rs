//! The moderation API, a subset of Mastodon's `/api/v1/admin`: reports (list, show, resolve)
//! and actions on accounts (suspend, unsuspend). Moderators, admins and owners only, with a
//! token that holds the `admin:` scope the call needs (`read` and `write` do not grant them).
//! Every action lands in the event log, the audit trail moderators read.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::model::{Account, Limit, Role};
use starling_core::report::Report;

use crate::auth::Auth;
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, Limits};
use crate::params::{Params, PathId};
use crate::state::AppState;
use crate::views;

/// Pages of reports and of accounts, as Mastodon's admin API sizes them.
const REPORTS: Limits = Limits { default: 100, max: 200 };

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/reports", get(reports))
        .route("/api/v1/admin/reports/{id}", get(report))
        .route("/api/v1/admin/reports/{id}/resolve", post(resolve))
        .route("/api/v1/admin/accounts", get(accounts))
        .route("/api/v1/admin/accounts/{id}", get(account).delete(delete_account))
        .route("/api/v1/admin/accounts/{id}/action", post(action))
        .route("/api/v1/admin/accounts/{id}/unsuspend", post(unsuspend))
        .route("/api/v1/admin/accounts/{id}/unsilence", post(unsilence))
        .route("/api/v1/admin/accounts/{id}/enable", post(enable))
}

/// A moderator's token with `scope`; anyone else is refused.
fn moderator(auth: &Auth, scope: &str) -> ApiResult<()> {
    if auth.account.role == Role::User {
        return Err(ApiError::Forbidden("This action is not allowed".into()));
    }
    auth.require(scope)
}

fn rank(role: Role) -> u8 {
    match role {
        Role::User => 0,
        Role::Moderator => 1,
        Role::Admin => 2,
        Role::Owner => 3,
    }
}

async fn reports(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    moderator(&auth, "admin:read:reports")?;
    let request = paging::page_request(&params, REPORTS)?;
    let page = state.store.reports(params.flag("resolved")?, request).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for r in &page.items {
        items.push(render_report(&state, &auth, r).await?);
    }
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn report(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    moderator(&auth, "admin:read:reports")?;
    let report = state.store.report(id).await?;
    Ok(Json(render_report(&state, &auth, &report).await?))
}

async fn resolve(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    moderator(&auth, "admin:write:reports")?;
    let report = state.store.resolve_report(id, auth.id()).await?;
    Ok(Json(render_report(&state, &auth, &report).await?))
}

/// Every account, newest first; `suspended=true` or `staff=true` narrow it.
async fn accounts(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    moderator(&auth, "admin:read:accounts")?;
    let request = paging::page_request(&params, REPORTS)?;
    let page = state.store.admin_accounts(params.flag("suspended")?, params.flag("staff")?, request).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for a in &page.items {
        items.push(render_account(&state, a).await?);
    }
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn account(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    moderator(&auth, "admin:read:accounts")?;
    let account = state.store.account(id).await?;
    Ok(Json(render_account(&state, &account).await?))
}

/// `type`: `suspend`, `silence`, `disable`, or `none` (only resolving `report_id`). Marking an
/// account's media sensitive is not supported (422). Nobody acts on themselves or on staff of
/// their own rank or above.
async fn action(State(state): State<AppState>, auth: Auth, PathId(id): PathId, params: Params) -> ApiResult<Response> {
    moderator(&auth, "admin:write:accounts")?;
    let target = state.store.account(id).await?;
    if target.id == auth.id() || rank(target.role) >= rank(auth.account.role) {
        return Err(ApiError::Forbidden("This action is not allowed".into()));
    }
    let report = params.id("report_id")?;
    if let Some(report) = report {
        let found = state.store.report(report).await?;
        if found.target.id != target.id {
            return Err(ApiError::unprocessable("report_id: the report is about another account"));
        }
    }
    match params.text("type").unwrap_or("none") {
        "suspend" => {
            state.store.suspend_account(target.id, Some(auth.id())).await?;
        }
        "silence" => {
            state.store.limit_account(target.id, Limit::Silence, true, Some(auth.id())).await?;
        }
        "disable" => {
            state.store.limit_account(target.id, Limit::Disable, true, Some(auth.id())).await?;
        }
        "none" => {}
        "sensitive" => {
            return Err(ApiError::unprocessable("Marking an account's media sensitive is not supported"));
        }
        _ => return Err(ApiError::unprocessable("type must be none, sensitive, disable, silence or suspend")),
    }
    if let Some(report) = report {
        state.store.resolve_report(report, auth.id()).await?;
    }
    Ok(axum::response::IntoResponse::into_response(Json(json!({}))))
}

async fn unsuspend(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    moderator(&auth, "admin:write:accounts")?;
    let target = state.store.account(id).await?;
    state.store.unsuspend_account(target.id, Some(auth.id())).await?;
    let target = state.store.account(id).await?;
    Ok(Json(render_account(&state, &target).await?))
}

/// Deletes the account and everything it made (`erasure`), as Mastodon's admin API does for a
/// suspended account; here the deletion suspends it first. Not on oneself or on staff of one's
/// rank or above.
async fn delete_account(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    moderator(&auth, "admin:write:accounts")?;
    let target = state.store.account(id).await?;
    if target.id == auth.id() || rank(target.role) >= rank(auth.account.role) {
        return Err(ApiError::Forbidden("This action is not allowed".into()));
    }
    crate::erasure::erase_account(&*state.store, target.id, Some(auth.id())).await?;
    let target = state.store.account(id).await?;
    Ok(Json(render_account(&state, &target).await?))
}

async fn unsilence(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    lift(&state, &auth, id, Limit::Silence).await
}

/// Lets a disabled account sign in again.
async fn enable(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    lift(&state, &auth, id, Limit::Disable).await
}

async fn lift(state: &AppState, auth: &Auth, id: starling_core::Id, limit: Limit) -> ApiResult<Json<Value>> {
    moderator(auth, "admin:write:accounts")?;
    state.store.limit_account(id, limit, false, Some(auth.id())).await?;
    let target = state.store.account(id).await?;
    Ok(Json(render_account(state, &target).await?))
}

/// Mastodon's Admin::Account, for what Starling knows: no IP addresses are kept.
async fn render_account(state: &AppState, a: &Account) -> ApiResult<Value> {
    let email = state.store.credentials(&a.username).await?.email;
    Ok(json!({
        "id": a.id.to_string(),
        "username": a.username,
        "domain": null,
        "created_at": a.created_at.to_rfc3339(),
        "email": email,
        "ip": null,
        "ips": [],
        "role": { "name": a.role.as_str() },
        "confirmed": true,
        "approved": true,
        "disabled": a.disabled,
        "silenced": a.silenced,
        "suspended": a.suspended,
        "account": Renderer::new(&state.settings.public_url).account(a),
    }))
}

/// Mastodon's Admin::Report, with the reported statuses that still exist.
async fn render_report(state: &AppState, auth: &Auth, r: &Report) -> ApiResult<Value> {
    let statuses = state.store.statuses(&r.status_ids).await?;
    let statuses = views::render_statuses(state, Some(auth), &statuses).await?;
    Ok(json!({
        "id": r.id.to_string(),
        "action_taken": r.resolved_at.is_some(),
        "action_taken_at": r.resolved_at.map(|t| t.to_rfc3339()),
        "category": r.category.as_str(),
        "comment": r.comment,
        "forwarded": false,
        "created_at": r.created_at.to_rfc3339(),
        "updated_at": r.resolved_at.unwrap_or(r.created_at).to_rfc3339(),
        "account": render_account(state, &r.account).await?,
        "target_account": render_account(state, &r.target).await?,
        "assigned_account": null,
        "action_taken_by_account": null,
        "statuses": statuses,
        "rules": [],
    }))
}
