//! `GET /api/v1/audit`: the caller's own actions from the event log, newest first. Admins and
//! moderators may read anyone's with `account_id`.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::get;
use serde_json::json;
use starling_core::model::Role;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, Limits};
use crate::params::Params;
use crate::state::AppState;

const AUDIT: Limits = Limits { default: 40, max: 200 };

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:audit")?;
    let actor = match params.id("account_id")? {
        Some(id) if id != auth.id() => {
            if matches!(auth.account.role, Role::User) {
                return Err(ApiError::Forbidden("Only moderators may read another account's audit trail".into()));
            }
            state.store.account(id).await?.id
        }
        _ => auth.id(),
    };
    let request = paging::page_request(&params, AUDIT)?;
    let page = state.store.events_by_actor(actor, request).await?;
    let items: Vec<_> = page
        .items
        .iter()
        .map(|e| {
            json!({
                "id": e.seq.to_string(),
                "type": e.kind.as_str(),
                "actor_id": e.actor_id,
                "subject_id": e.subject_id,
                "schema_version": e.schema_version,
                "payload": e.payload,
                "created_at": e.created_at.to_rfc3339(),
            })
        })
        .collect();
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}
