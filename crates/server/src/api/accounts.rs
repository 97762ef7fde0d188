//! Accounts: sign-up, the caller's own profile, lookups, follows and relationships, and an
//! account's statuses.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::filters::FilterContext;
use starling_core::model::{AccountUpdate, NewAccount, Role, Timestamp};
use starling_core::page::Page;
use starling_core::store::AccountStatusesFilter;
use starling_core::validate::{self, Email, Password, Username};

use crate::auth::{AnyAuth, Auth, MaybeAuth, issue_token};
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, ACCOUNTS, STATUSES};
use crate::params::{Params, PathId};
use crate::passwords;
use crate::state::AppState;
use crate::views;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts", post(sign_up))
        .route("/api/v1/accounts/verify_credentials", get(verify_credentials))
        .route("/api/v1/accounts/update_credentials", patch(update_credentials))
        .route("/api/v1/user/password_change", post(change_password))
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/relationships", get(relationships))
        .route("/api/v1/accounts/{id}", get(show))
        .route("/api/v1/accounts/{id}/statuses", get(statuses))
        .route("/api/v1/accounts/{id}/followers", get(followers))
        .route("/api/v1/accounts/{id}/following", get(following))
        .route("/api/v1/accounts/{id}/follow", post(follow))
        .route("/api/v1/accounts/{id}/unfollow", post(unfollow))
}

fn field_error(field: &str, code: &str, message: String) -> ApiError {
    let description = message.trim_start_matches("Validation failed: ").to_string();
    ApiError::Unprocessable {
        message,
        details: Some(json!({ field: [{ "error": code, "description": description }] })),
    }
}

async fn sign_up(State(state): State<AppState>, AnyAuth(caller): AnyAuth, params: Params) -> ApiResult<Response> {
    caller.require("write:accounts")?;
    if !state.settings.registrations_open {
        return Err(ApiError::Forbidden("Registrations are not open on this server".into()));
    }
    let username = Username::parse(params.get("username").unwrap_or(""))
        .map_err(|e| field_error("username", "ERR_INVALID", e.0))?;
    let email =
        Email::parse(params.get("email").unwrap_or("")).map_err(|e| field_error("email", "ERR_INVALID", e.0))?;
    let password = Password::parse(params.get("password").unwrap_or(""))
        .map_err(|e| field_error("password", "ERR_TOO_SHORT", e.0))?;
    if !params.flag("agreement")? {
        return Err(field_error("agreement", "ERR_ACCEPTED", "Validation failed: Agreement must be accepted".into()));
    }
    let locale = params.text("locale").unwrap_or("en");
    let locale = validate::language(locale.split(['-', '_']).next().unwrap_or("en"))
        .map_err(|e| field_error("locale", "ERR_INCLUSION", e.0))?
        .unwrap_or_else(|| "en".into());
    let password_hash = passwords::hash(password.expose().to_string(), state.settings.password_cost).await?;
    let account = state
        .store
        .create_account(NewAccount {
            id: state.ids.next(),
            username: username.into_string(),
            email: email.as_str().to_string(),
            password_hash,
            display_name: String::new(),
            locale,
            role: Role::User,
            created_at: Timestamp::now(),
        })
        .await?;
    let app = state.store.app(caller.token.app_id).await?;
    let (record, jwt) = issue_token(&state, &app, Some(account.id), &caller.scopes, "sign_up").await?;
    Ok(super::oauth::token_response(&record, jwt))
}

async fn verify_credentials(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    if !auth.caller.scopes.allows("profile") {
        auth.require("read:accounts")?;
    }
    let renderer = Renderer::new(&state.settings.public_url);
    Ok(Json(json!(renderer.credential_account(&auth.account))))
}

async fn update_credentials(State(state): State<AppState>, auth: Auth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:accounts")?;
    let mut update = AccountUpdate::default();
    if let Some(name) = params.get("display_name") {
        update.display_name = Some(validate::display_name(name)?);
    }
    if let Some(note) = params.get("note") {
        let source = validate::note(note)?;
        let rendered = crate::views::render_text(&state, &source).await?;
        update.note = Some((source, rendered.html));
    }
    update.locked = params.bool("locked")?;
    update.bot = params.bool("bot")?;
    let unlocking = auth.account.locked && update.locked == Some(false);
    let account = state.store.update_account(auth.id(), update).await?;
    if unlocking {
        super::follow_requests::approve_all(&state, account.id).await?;
    }
    let renderer = Renderer::new(&state.settings.public_url);
    Ok(Json(json!(renderer.credential_account(&account))))
}

/// Changes the caller's password (an extension, at GoToSocial's address: Mastodon does this in
/// its web settings only). Every other session of the account is signed out at once, on every
/// node: its tokens are revoked and the streams opened with them closed.
async fn change_password(State(state): State<AppState>, auth: Auth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:accounts")?;
    let old = params.get("old_password").unwrap_or("");
    let new = Password::parse(params.get("new_password").unwrap_or(""))
        .map_err(|e| field_error("new_password", "ERR_TOO_SHORT", e.0.replace("Password", "New password")))?;
    let credentials = state.store.credentials(&auth.account.username).await?;
    if !passwords::verify(old.to_string(), credentials.password_hash).await? {
        return Err(field_error(
            "old_password",
            "ERR_INVALID",
            "Validation failed: Old password is not the account's password".into(),
        ));
    }
    let hash = passwords::hash(new.expose().to_string(), state.settings.password_cost).await?;
    let revoked = state.store.change_password(auth.id(), hash, Some(auth.caller.token.id)).await?;
    Ok(Json(json!({ "revoked_tokens": revoked })))
}

/// Public, but a token that is sent must be valid: `MaybeAuth` refuses a revoked one.
async fn lookup(State(state): State<AppState>, auth: MaybeAuth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("read:accounts")?;
    let acct = validate::normalize_handle(params.text("acct").ok_or(ApiError::NotFound)?);
    let acct = acct.trim_start_matches('@');
    // `user@this-domain` names a local account too; any other domain names nobody here.
    let username = match acct.split_once('@') {
        Some((user, domain)) if domain.eq_ignore_ascii_case(state.settings.domain()) => user,
        Some(_) => return Err(ApiError::NotFound),
        None => acct,
    };
    let account = state.store.account_by_username(username).await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).account(&account))))
}

async fn show(State(state): State<AppState>, auth: MaybeAuth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:accounts")?;
    let account = state.store.account(id).await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).account(&account))))
}

async fn relationships(State(state): State<AppState>, auth: Auth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("read:follows")?;
    let ids = params.ids("id")?;
    let renderer = Renderer::new(&state.settings.public_url);
    let rels = if ids.is_empty() { Vec::new() } else { state.store.relationships(auth.id(), &ids).await? };
    Ok(Json(json!(rels.iter().map(|r| renderer.relationship(r)).collect::<Vec<_>>())))
}

async fn statuses(
    State(state): State<AppState>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:statuses")?;
    state.store.account(id).await?;
    let request = paging::page_request(&params, STATUSES)?;
    // A block keeps each account's statuses from the other; a mute does not reach a profile.
    let hidden = views::hidden(&state, auth.id()).await?;
    if hidden.blocked(id) {
        return Ok(paging::paged(&state.settings.public_url, &uri, &request, Page::<()>::empty(), Vec::<()>::new()));
    }
    // The pinned ones, at most five, all at once; each as visible to the reader as any other.
    let mut page = if params.flag("pinned")? {
        let pinned = state.store.pinned_statuses(id).await?;
        Page { items: views::filter_visible(&state, auth.id(), &hidden, pinned).await?, cursors: Vec::new() }
    } else {
        let filter = AccountStatusesFilter {
            exclude_replies: params.flag("exclude_replies")?,
            exclude_reblogs: params.flag("exclude_reblogs")?,
            only_media: params.flag("only_media")?,
        };
        state.store.account_statuses(id, auth.id(), filter, request).await?
    };
    let items =
        views::timeline(&state, auth.0.as_ref(), &hidden, std::mem::take(&mut page.items), FilterContext::Account)
            .await?;
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn follow_list(
    state: &AppState,
    uri: &axum::http::Uri,
    params: &Params,
    page_of: FollowList,
    id: starling_core::Id,
) -> ApiResult<Response> {
    state.store.account(id).await?;
    let request = paging::page_request(params, ACCOUNTS)?;
    let page = match page_of {
        FollowList::Followers => state.store.followers(id, request).await?,
        FollowList::Following => state.store.following(id, request).await?,
    };
    let renderer = Renderer::new(&state.settings.public_url);
    let items: Vec<_> = page.items.iter().map(|a| renderer.account(a)).collect();
    Ok(paging::paged(&state.settings.public_url, uri, &request, page, items))
}

enum FollowList {
    Followers,
    Following,
}

async fn followers(
    State(state): State<AppState>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:accounts")?;
    follow_list(&state, &uri, &params, FollowList::Followers, id).await
}

async fn following(
    State(state): State<AppState>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:accounts")?;
    follow_list(&state, &uri, &params, FollowList::Following, id).await
}

pub(super) async fn relationship_with(state: &AppState, auth: &Auth, id: starling_core::Id) -> ApiResult<Json<Value>> {
    let rel = state.store.relationships(auth.id(), &[id]).await?.into_iter().next().ok_or(ApiError::NotFound)?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).relationship(&rel))))
}

/// Follows (again, harmlessly); `notify` asks to be notified of every new post.
async fn follow(
    State(state): State<AppState>,
    auth: Auth,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Json<Value>> {
    auth.require("write:follows")?;
    if id == auth.id() {
        return Err(ApiError::Forbidden("You cannot follow yourself".into()));
    }
    let notify = params.bool("notify")?;
    let target = state.store.account(id).await?;
    if state.store.hidden(auth.id()).await?.blocked(id) {
        return Err(ApiError::Forbidden("You cannot follow an account you block or that blocks you".into()));
    }
    // A locked account decides who follows it: following it asks, once.
    if target.locked && !state.store.is_following(auth.id(), id).await? {
        state.store.request_follow(auth.id(), id, Timestamp::now()).await?;
        return relationship_with(&state, &auth, id).await;
    }
    state.store.follow(auth.id(), id).await?;
    if let Some(notify) = notify {
        state.store.set_follow_notify(auth.id(), id, notify).await?;
    }
    relationship_with(&state, &auth, id).await
}

async fn unfollow(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:follows")?;
    state.store.account(id).await?;
    state.store.unfollow(auth.id(), id).await?;
    // Unfollowing an account one only asked to follow withdraws the request.
    state.store.reject_follow_request(id, auth.id(), auth.id(), Timestamp::now()).await?;
    relationship_with(&state, &auth, id).await
}
