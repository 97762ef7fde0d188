//! Search (`GET /api/v2/search`): accounts by handle or display name, hashtags by prefix,
//! statuses by their words, only what the caller may see. Nothing is fetched from elsewhere
//! (`resolve` changes nothing): every account is local.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::model::Timestamp;
use starling_core::store::StatusSearch;
use starling_core::{text, validate};

use crate::auth::MaybeAuth;
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::state::AppState;
use crate::views;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v2/search", get(search))
}

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 40;
/// Deep pages of a ranked search cost the database a full sort each; nobody reads them.
const MAX_OFFSET: u32 = 10_000;

/// The words of a status query: runs of letters and digits, lower-cased, at most 16.
fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).take(16).collect()
}

/// `@user`, `user@this.domain` or a display name's start: what accounts are searched by.
fn account_prefix<'a>(q: &'a str, domain: &str) -> &'a str {
    let q = q.trim().trim_start_matches('@');
    match q.split_once('@') {
        Some((user, d)) if d.eq_ignore_ascii_case(domain) => user,
        _ => q,
    }
}

async fn search(State(state): State<AppState>, auth: MaybeAuth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("read:search")?;
    let q = params.text("q").ok_or_else(|| ApiError::BadRequest("q is required".into()))?.trim().to_string();
    let kind = params.text("type");
    if kind.is_some_and(|k| !matches!(k, "accounts" | "hashtags" | "statuses")) {
        return Err(ApiError::BadRequest("type must be accounts, hashtags or statuses".into()));
    }
    let wants = |k: &str| kind.is_none_or(|t| t == k);
    let limit = params.u32("limit")?.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let offset = params.u32("offset")?.unwrap_or(0).min(MAX_OFFSET);
    let following = params.flag("following")?;
    if following && auth.id().is_none() {
        return Err(ApiError::Unauthorized("following needs a signed-in user".into()));
    }
    let viewer = auth.id();
    let renderer = Renderer::new(&state.settings.public_url);
    // Nobody finds an account that blocks them or that they block.
    let hidden = views::hidden(&state, viewer).await?;

    let mut accounts = Vec::new();
    // Handles are matched in their folded form (`validate::Username`).
    let handle = validate::normalize_handle(&q);
    let prefix = account_prefix(&handle, state.settings.domain());
    if wants("accounts") && !prefix.is_empty() && !prefix.starts_with('#') {
        let followed_by = if following { viewer } else { None };
        for a in state.store.search_accounts(prefix, followed_by, limit, offset).await? {
            if hidden.blocked(a.id) {
                continue;
            }
            accounts.push(json!(renderer.account(&a)));
        }
    }
    let mut hashtags = Vec::new();
    let tag = text::normalize_tag(q.trim_start_matches('#'));
    let tag_like = !tag.is_empty() && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
    if wants("hashtags") && tag_like {
        let found = state.store.search_tags(&tag, limit, offset).await?;
        let names: Vec<String> = found.into_iter().map(|t| t.name).collect();
        hashtags = super::tags::render(&state, viewer, &names).await?;
    }
    let mut statuses = Vec::new();
    let words = words(&q);
    if wants("statuses") && !words.is_empty() {
        let search =
            StatusSearch { words, viewer, account: params.id("account_id")?, limit, offset, now: Timestamp::now() };
        let found = state.store.search_statuses(search).await?;
        let now = Timestamp::now();
        let found: Vec<_> = found.into_iter().filter(|s| !hidden.hides_status(s, now)).collect();
        // The store applied the visibility rules, this the blocks and mutes; rendering adds the
        // caller's own flags.
        statuses =
            views::render_statuses(&state, auth.0.as_ref(), &found).await?.into_iter().map(|s| json!(s)).collect();
    }
    Ok(Json(json!({ "accounts": accounts, "statuses": statuses, "hashtags": hashtags })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letters_and_digits_lower_cased() {
        assert_eq!(words("Hello, wörld! #Rust-lang 2026"), vec!["hello", "wörld", "rust", "lang", "2026"]);
        assert!(words(" !!! ").is_empty());
    }

    #[test]
    fn a_local_handle_searches_by_its_username() {
        assert_eq!(account_prefix("@alice@example.org", "example.org"), "alice");
        assert_eq!(account_prefix("@ali", "example.org"), "ali");
        assert_eq!(account_prefix("bob@elsewhere.net", "example.org"), "bob@elsewhere.net");
    }
}
