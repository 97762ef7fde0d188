//! Where the events of stories and chats go live, on the `user` stream. Like `route`, this
//! serves live delivery and the replay of what a reconnecting client missed alike.
//!
//! Stories: followers (and the author's other connections) hear `story.created` and
//! `story.deleted`; only the author hears `story.viewed` and `story.reacted`, and never of
//! their own view or reaction (the store records neither a self-view nor sends it here).
//! Chats: every participant the event names, on all their connections, the sender's included,
//! so that a second tab shows what the first sent.

use std::sync::Arc;

use serde_json::json;
use starling_core::event::{Event, EventKind};
use starling_core::model::Timestamp;
use starling_core::{Id, StoreError};

use starling_core::safety::Concern;

use super::route::{Audience, Delivery};
use crate::entities::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn id_at(event: &Event, key: &str) -> Option<Id> {
    serde_json::from_value(event.payload[key].clone()).ok()
}

fn ids_at(event: &Event, key: &str) -> Vec<Id> {
    serde_json::from_value(event.payload[key].clone()).unwrap_or_default()
}

fn delivery(event: &Event, name: &'static str, audience: Audience, payload: impl Into<Arc<str>>) -> Delivery {
    Delivery {
        event_id: event.seq,
        committed_at: event.created_at,
        event: name,
        audience,
        payload: payload.into(),
        concern: Concern::Nobody,
    }
}

fn json_text(value: &impl serde::Serialize) -> ApiResult<String> {
    serde_json::to_string(value).map_err(|e| ApiError::Internal(e.to_string()))
}

/// `Ok(None)` for an object gone since its event: a later event says so where it matters.
fn found<T>(result: Result<T, StoreError>) -> ApiResult<Option<T>> {
    match result {
        Ok(t) => Ok(Some(t)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn route(state: &AppState, event: &Event) -> ApiResult<Vec<Delivery>> {
    let renderer = Renderer::new(&state.settings.public_url);
    let (Some(actor), Some(subject)) = (event.actor_id, event.subject_id) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    match event.kind {
        EventKind::StoryCreated => {
            // As nobody has seen it yet; the view count is the author's alone, so it is left out.
            let Some(story) = found(state.store.story(subject, Id(0), Timestamp::now()).await)? else {
                return Ok(out);
            };
            let mut users = state.store.follower_ids(actor).await?;
            users.push(actor);
            let payload = json_text(&renderer.story(&story, Id(0)))?;
            out.push(delivery(event, "story.created", Audience::users(users), payload));
        }
        EventKind::StoryDeleted => {
            let Some(author) = id_at(event, "author_id") else { return Ok(out) };
            let mut users = state.store.follower_ids(author).await?;
            users.push(author);
            out.push(delivery(event, "story.deleted", Audience::users(users), subject.to_string()));
        }
        EventKind::StoryViewed | EventKind::StoryReacted => {
            let Some(author) = id_at(event, "author_id") else { return Ok(out) };
            if author == actor {
                return Ok(out);
            }
            let Some(account) = found(state.store.account(actor).await)? else { return Ok(out) };
            let account = renderer.account(&account);
            let at = event.created_at.to_rfc3339();
            let (name, payload) = if event.kind == EventKind::StoryViewed {
                ("story.viewed", json!({ "story_id": subject, "viewer": account, "viewed_at": at }))
            } else {
                let emoji = event.payload["emoji"].as_str().unwrap_or_default();
                ("story.reacted", json!({ "story_id": subject, "account": account, "emoji": emoji, "reacted_at": at }))
            };
            out.push(delivery(event, name, Audience::users(vec![author]), payload.to_string()));
        }
        EventKind::ChatCreated => {
            // Each participant sees the chat with the others in it: one rendering each.
            for participant in ids_at(event, "participants") {
                let Some(chat) = found(state.store.chat(subject, participant).await)? else { continue };
                let payload = json_text(&renderer.chat(&chat))?;
                out.push(delivery(event, "chat.created", Audience::users(vec![participant]), payload));
            }
        }
        EventKind::ChatMessage => {
            let Some(message) = found(state.store.chat_message(subject).await)? else { return Ok(out) };
            let payload = json_text(&renderer.chat_message(&message))?;
            out.push(delivery(event, "chat.message", Audience::users(ids_at(event, "participants")), payload));
        }
        EventKind::ChatRead => {
            let payload = json!({
                "chat_id": subject,
                "account_id": actor,
                "last_read_id": id_at(event, "last_read_id"),
                "read_at": event.created_at.to_rfc3339(),
            });
            out.push(delivery(event, "chat.read", Audience::users(ids_at(event, "participants")), payload.to_string()));
        }
        EventKind::ChatLeft => {
            let mut users = ids_at(event, "participants");
            users.push(actor);
            let payload = json!({ "chat_id": subject, "account_id": actor });
            out.push(delivery(event, "chat.left", Audience::users(users), payload.to_string()));
        }
        _ => {}
    }
    Ok(out)
}
