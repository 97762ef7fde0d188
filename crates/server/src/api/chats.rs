//! Chats (`/api/v1/chats`): conversations of two or more accounts, with messages, read
//! positions, typing and presence, live on the `user` stream. An extension, documented in
//! `openapi.json`. Everything about a chat is for its participants only: anyone else gets 404,
//! exactly as for a chat that does not exist.

use axum::extract::{OriginalUri, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use starling_core::Id;
use starling_core::chat::{Chat, MAX_PARTICIPANTS, NewChat, NewChatMessage};
use starling_core::model::Timestamp;
use starling_core::safety::Hidden;
use starling_core::validate;

use crate::auth::Auth;
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, STATUSES};
use crate::params::{Params, PathId};
use crate::realtime::signals::{self, Signal};
use crate::state::AppState;
use crate::views;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chats", post(create).get(list))
        .route("/api/v1/chats/{id}", get(show))
        .route("/api/v1/chats/{id}/messages", get(messages).post(send))
        .route("/api/v1/chats/{id}/read", post(read))
        .route("/api/v1/chats/{id}/typing", post(typing))
        .route("/api/v1/chats/{id}/leave", post(leave))
}

/// A chat of two across a block is gone for both: it is neither listed nor shown, and takes no
/// message. In a group, each keeps the chat but not the other's messages.
fn cut_off(chat: &Chat, hidden: &Hidden) -> bool {
    !chat.group && chat.others.iter().any(|a| hidden.blocked(a.id))
}

/// The chat for the viewer, or 404 when it is not theirs or a block has cut it off.
async fn open_chat(state: &AppState, auth: &Auth, id: Id) -> ApiResult<(Chat, Hidden)> {
    let chat = state.store.chat(id, auth.id()).await?;
    let hidden = state.store.hidden(auth.id()).await?;
    if cut_off(&chat, &hidden) {
        return Err(ApiError::NotFound);
    }
    Ok((chat, hidden))
}

async fn create(State(state): State<AppState>, auth: Auth, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:chats")?;
    let mut others = params.ids("account_ids")?;
    others.retain(|id| *id != auth.id());
    others.sort_unstable();
    others.dedup();
    if others.is_empty() {
        return Err(ApiError::unprocessable("account_ids must name at least one other account"));
    }
    if others.len() + 1 > MAX_PARTICIPANTS {
        return Err(ApiError::unprocessable(format!("A chat has at most {MAX_PARTICIPANTS} participants")));
    }
    let hidden = state.store.hidden(auth.id()).await?;
    if others.iter().any(|id| hidden.blocked(*id)) {
        return Err(ApiError::Forbidden("You cannot chat with an account you block or that blocks you".into()));
    }
    let chat = NewChat { id: state.ids.next(), creator: auth.id(), others, created_at: Timestamp::now() };
    let created = state.store.create_chat(chat).await.map_err(|e| match e {
        starling_core::StoreError::NotFound => {
            ApiError::unprocessable("account_ids names an account that does not exist")
        }
        other => other.into(),
    })?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).chat(&created.chat))))
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:chats")?;
    let request = paging::page_request(&params, STATUSES)?;
    let page = state.store.chats(auth.id(), request).await?;
    let hidden = state.store.hidden(auth.id()).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    let items: Vec<_> = page.items.iter().filter(|c| !cut_off(c, &hidden)).map(|c| renderer.chat(c)).collect();
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

async fn show(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("read:chats")?;
    let (chat, _) = open_chat(&state, &auth, id).await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).chat(&chat))))
}

async fn messages(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Response> {
    auth.require("read:chats")?;
    let request = paging::page_request(&params, STATUSES)?;
    let (_, hidden) = open_chat(&state, &auth, id).await?;
    let page = state.store.chat_messages(id, auth.id(), request).await?;
    let renderer = Renderer::new(&state.settings.public_url);
    let items: Vec<_> =
        page.items.iter().filter(|m| !hidden.blocked(m.account.id)).map(|m| renderer.chat_message(m)).collect();
    Ok(paging::paged(&state.settings.public_url, &uri, &request, page, items))
}

/// What a message is made of: its words, its media and its idempotency key.
async fn message_input(
    state: &AppState,
    auth: &Auth,
    headers: &HeaderMap,
    params: &Params,
) -> ApiResult<(String, Vec<starling_core::Id>, Option<String>)> {
    let media_ids = super::media::attachable(state, auth, params).await?;
    let content = params.get("content").unwrap_or("");
    let text = validate::caption("content", content, validate::MAX_CHAT_MESSAGE, !media_ids.is_empty())?;
    let idempotency_key = match headers.get("idempotency-key") {
        Some(v) => Some(validate::idempotency_key(
            v.to_str().map_err(|_| ApiError::unprocessable("Idempotency-Key must be printable"))?,
        )?),
        None => None,
    };
    Ok((text, media_ids, idempotency_key))
}

/// `input` as it is, except that someone outside the chat learns nothing about their request,
/// not even that it was malformed: 404 first. The store checks participation in every write
/// anyway, so a well-formed request costs no extra read.
async fn outsiders_first<T>(
    state: &AppState,
    auth: &Auth,
    chat: starling_core::Id,
    input: ApiResult<T>,
) -> ApiResult<T> {
    if input.is_err() {
        state.store.chat(chat, auth.id()).await?;
    }
    input
}

async fn send(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    PathId(id): PathId,
    params: Params,
) -> ApiResult<Json<Value>> {
    auth.require("write:chats")?;
    let (text, media_ids, idempotency_key) =
        outsiders_first(&state, &auth, id, message_input(&state, &auth, &headers, &params).await).await?;
    // Most senders block nobody and are blocked by nobody: then the chat need not be read.
    let hidden = state.store.hidden(auth.id()).await?;
    if !hidden.blocks.is_empty() {
        let chat = state.store.chat(id, auth.id()).await?;
        if cut_off(&chat, &hidden) {
            return Err(ApiError::Forbidden("You cannot chat with an account you block or that blocks you".into()));
        }
    }
    let content = views::render_text(&state, &text).await?.html;
    let message = state
        .store
        .send_chat_message(NewChatMessage {
            id: state.ids.next(),
            chat_id: id,
            sender: auth.id(),
            text,
            content,
            idempotency_key,
            media_ids,
            created_at: Timestamp::now(),
        })
        .await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).chat_message(&message))))
}

async fn read(State(state): State<AppState>, auth: Auth, PathId(id): PathId, params: Params) -> ApiResult<Json<Value>> {
    auth.require("write:chats")?;
    let last_read_id =
        params.id("last_read_id").and_then(|id| id.ok_or_else(|| ApiError::unprocessable("last_read_id is required")));
    let last_read_id = outsiders_first(&state, &auth, id, last_read_id).await?;
    let chat = state.store.mark_chat_read(id, auth.id(), last_read_id, Timestamp::now()).await?;
    Ok(Json(json!(Renderer::new(&state.settings.public_url).chat(&chat))))
}

async fn typing(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:chats")?;
    let (chat, hidden) = open_chat(&state, &auth, id).await?;
    // Never stored: a signal to the others' connections on every node, gone if nobody listens.
    let payload = json!({
        "chat_id": chat.id,
        "account": Renderer::new(&state.settings.public_url).account(&auth.account),
    });
    let signal = Signal::Message {
        event: "chat.typing".into(),
        recipients: chat.others.iter().map(|a| a.id).filter(|id| !hidden.blocked(*id)).collect(),
        payload: payload.to_string(),
    };
    signals::send(&state, &signal);
    Ok(Json(json!({})))
}

async fn leave(State(state): State<AppState>, auth: Auth, PathId(id): PathId) -> ApiResult<Json<Value>> {
    auth.require("write:chats")?;
    let chat = state.store.chat(id, auth.id()).await?;
    if !chat.group {
        return Err(ApiError::unprocessable("Only a group chat can be left"));
    }
    state.store.leave_chat(id, auth.id(), Timestamp::now()).await?;
    Ok(Json(json!({})))
}
