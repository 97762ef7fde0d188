//! `POST /api/v1/reports`: a user tells the operators about an account and some of its
//! statuses. Operators read them with `starling admin reports`.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::model::Timestamp;
use starling_core::report::{Category, MAX_COMMENT, NewReport, Report};
use starling_core::validate;

use crate::auth::Auth;
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::state::AppState;
use crate::views;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/reports", post(create))
}

async fn create(State(state): State<AppState>, auth: Auth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:reports")?;
    let target = params.id("account_id")?.ok_or_else(|| ApiError::unprocessable("account_id is required"))?;
    let target = state.store.account(target).await?;
    if target.id == auth.id() {
        return Err(ApiError::unprocessable("Validation failed: You cannot report yourself"));
    }
    // Each status must be one the reporter may see, and the reported account's: what the
    // reporter cannot see is answered as missing.
    let mut status_ids = Vec::new();
    for id in params.ids("status_ids")? {
        let status = views::visible_status(&state, Some(auth.id()), id).await?;
        if status.account.id != target.id {
            return Err(ApiError::unprocessable(format!("status_ids: {id} is not a status of the reported account")));
        }
        status_ids.push(status.id);
    }
    let comment = validate::free_text("Validation failed: Comment", params.get("comment").unwrap_or(""), MAX_COMMENT)?;
    let category = match params.text("category") {
        Some(c) => Category::parse(c)
            .ok_or_else(|| ApiError::unprocessable("category must be spam, legal, violation or other"))?,
        None => Category::Other,
    };
    let report = state
        .store
        .create_report(NewReport {
            id: state.ids.next(),
            account: auth.id(),
            target: target.id,
            status_ids,
            comment,
            category,
            created_at: Timestamp::now(),
        })
        .await?;
    Ok(Json(render(&state, &report)))
}

/// Mastodon's Report entity, as its reporter sees it.
fn render(state: &AppState, r: &Report) -> Value {
    json!({
        "id": r.id.to_string(),
        "action_taken": r.resolved_at.is_some(),
        "action_taken_at": r.resolved_at.map(|t| t.to_rfc3339()),
        "category": r.category.as_str(),
        "comment": r.comment,
        "forwarded": false,
        "created_at": r.created_at.to_rfc3339(),
        "status_ids": r.status_ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "rule_ids": null,
        "target_account": Renderer::new(&state.settings.public_url).account(&r.target),
    })
}
