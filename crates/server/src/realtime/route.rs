//! Which audiences an event reaches, with its message rendered once for all of them. Used for
//! live delivery and, unchanged, for replaying what a reconnecting client missed.

use std::sync::Arc;

use starling_core::event::{Event, EventKind};
use starling_core::model::{Status, Timestamp, Visibility};
use starling_core::notify::Notification;
use starling_core::safety::Concern;
use starling_core::{Id, StoreError};

use super::extensions;
use crate::entities::{Renderer, ViewerState};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The `user` stream of each of these accounts (home timeline material), sorted and
    /// without duplicates (made by [`Audience::users`]): a dispatch looks every connection's
    /// account up in it.
    Users(Vec<Id>),
    /// The `user` and `user:notification` streams of one account.
    Notify(Id),
    /// The public streams.
    Public,
    /// The public streams of statuses with media.
    PublicMedia,
    /// Hashtag streams of these (lower-cased) tags.
    Tags(Vec<String>),
    /// The `direct` streams of these accounts.
    Direct(Vec<Id>),
}

impl Audience {
    pub fn users(mut ids: Vec<Id>) -> Audience {
        ids.sort_unstable();
        ids.dedup();
        Audience::Users(ids)
    }
}

#[derive(Clone, Debug)]
pub struct Delivery {
    pub event_id: i64,
    /// When the event was committed, for measuring delivery latency.
    pub committed_at: Timestamp,
    pub event: &'static str,
    pub audience: Audience,
    pub payload: Arc<str>,
    /// Whose doing it is: a connection whose account that is hidden from leaves it out.
    pub concern: Concern,
}

fn rendered(state: &AppState, status: &Status) -> ApiResult<Arc<str>> {
    // New statuses are the same for every reader: nobody has favourited or reblogged them yet.
    let json = Renderer::new(&state.settings.public_url).status(status, Some(&ViewerState::default()));
    Ok(serde_json::to_string(&json).map_err(|e| ApiError::Internal(e.to_string()))?.into())
}

fn participants(status: &Status) -> Vec<Id> {
    let mut ids: Vec<Id> = status.mentions.iter().map(|m| m.id).collect();
    ids.push(status.account.id);
    ids
}

fn conversation(state: &AppState, status: &Status, event: &Event) -> ApiResult<Vec<Delivery>> {
    let renderer = Renderer::new(&state.settings.public_url);
    let mut out = Vec::new();
    let everyone = participants(status);
    for recipient in &everyone {
        let accounts: Vec<_> = status
            .mentions
            .iter()
            .filter(|m| m.id != *recipient)
            .map(|m| serde_json::json!({ "id": m.id, "username": m.username, "acct": m.username }))
            .chain((status.account.id != *recipient).then(|| serde_json::json!(renderer.account(&status.account))))
            .collect();
        let payload = serde_json::json!({
            "id": status.in_reply_to_id.unwrap_or(status.id),
            "unread": status.account.id != *recipient,
            "accounts": accounts,
            "last_status": renderer.status(status, Some(&ViewerState::default())),
        });
        out.push(Delivery {
            event_id: event.seq,
            committed_at: event.created_at,
            concern: Concern::Nobody,
            event: "conversation",
            audience: Audience::Direct(vec![*recipient]),
            payload: payload.to_string().into(),
        });
    }
    Ok(out)
}

async fn status_or_none(state: &AppState, id: Option<Id>) -> ApiResult<Option<Status>> {
    let Some(id) = id else { return Ok(None) };
    match state.store.status(id).await {
        Ok(s) => Ok(Some(s)),
        // Gone since: its deletion is a later event, which retracts it everywhere.
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn ids_in(v: &serde_json::Value) -> Vec<Id> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

/// The deliveries one event causes. `notifications` are those the notifier stored for it.
pub async fn route(state: &AppState, event: &Event, notifications: &[Notification]) -> ApiResult<Vec<Delivery>> {
    let mut out = Vec::new();
    let seq = event.seq;
    let mut concern = Concern::Nobody;
    match event.kind {
        EventKind::StatusCreated | EventKind::StatusEdited => {
            let kind = if event.kind == EventKind::StatusCreated { "update" } else { "status.update" };
            if let Some(status) = status_or_none(state, event.subject_id).await? {
                concern = Concern::status(&status);
                if status.visibility == Visibility::Direct {
                    if kind == "update" {
                        out.extend(conversation(state, &status, event)?);
                    } else {
                        let payload = rendered(state, &status)?;
                        out.push(Delivery {
                            event_id: seq,
                            concern: Concern::Nobody,
                            committed_at: event.created_at,
                            event: kind,
                            audience: Audience::Direct(participants(&status)),
                            payload,
                        });
                    }
                } else {
                    let payload = rendered(state, &status)?;
                    // Whose home shows it: the store applies the one home rule (as of this
                    // event: an edit may have changed the hashtags, and with them who that is).
                    let users = state.recipients.of(&*state.store, status.id, seq).await?.to_vec();
                    out.push(Delivery {
                        event_id: seq,
                        concern: Concern::Nobody,
                        committed_at: event.created_at,
                        event: kind,
                        audience: Audience::users(users),
                        payload: payload.clone(),
                    });
                    if status.visibility == Visibility::Public {
                        let reply_to_other = status.in_reply_to_account_id.is_some_and(|r| r != status.account.id);
                        if !reply_to_other {
                            out.push(Delivery {
                                event_id: seq,
                                concern: Concern::Nobody,
                                committed_at: event.created_at,
                                event: kind,
                                audience: Audience::Public,
                                payload: payload.clone(),
                            });
                            if !status.media.is_empty() {
                                out.push(Delivery {
                                    event_id: seq,
                                    concern: Concern::Nobody,
                                    committed_at: event.created_at,
                                    event: kind,
                                    audience: Audience::PublicMedia,
                                    payload: payload.clone(),
                                });
                            }
                        }
                        if !status.tags.is_empty() {
                            out.push(Delivery {
                                event_id: seq,
                                concern: Concern::Nobody,
                                committed_at: event.created_at,
                                event: kind,
                                audience: Audience::Tags(status.tags.clone()),
                                payload,
                            });
                        }
                    }
                }
            }
        }
        EventKind::Reblogged => {
            let reblog_id = serde_json::from_value::<Id>(event.payload["reblog_id"].clone()).ok();
            if let Some(reblog) = status_or_none(state, reblog_id).await? {
                concern = Concern::status(&reblog);
                let users = state.recipients.of(&*state.store, reblog.id, seq).await?.to_vec();
                out.push(Delivery {
                    event_id: seq,
                    concern: Concern::Nobody,
                    committed_at: event.created_at,
                    event: "update",
                    audience: Audience::users(users),
                    payload: rendered(state, &reblog)?,
                });
            }
        }
        EventKind::StatusDeleted => {
            let (Some(id), Some(author)) =
                (event.subject_id, serde_json::from_value::<Id>(event.payload["author_id"].clone()).ok())
            else {
                return Ok(out);
            };
            let payload: Arc<str> = id.to_string().into();
            let visibility = event.payload["visibility"].as_str().unwrap_or("direct");
            if visibility == "direct" {
                let mut everyone = ids_in(&event.payload["mentions"]);
                everyone.push(author);
                out.push(Delivery {
                    event_id: seq,
                    concern: Concern::Nobody,
                    committed_at: event.created_at,
                    event: "delete",
                    audience: Audience::Direct(everyone),
                    payload,
                });
            } else {
                // Everyone who may have had it, whatever the rule that showed it to them.
                let mut users = state.store.follower_ids(author).await?;
                users.push(author);
                let tags: Vec<String> = serde_json::from_value(event.payload["tags"].clone()).unwrap_or_default();
                if visibility == "public" {
                    users.extend(state.store.tag_follower_ids(&tags).await?);
                }
                out.push(Delivery {
                    event_id: seq,
                    concern: Concern::Nobody,
                    committed_at: event.created_at,
                    event: "delete",
                    audience: Audience::users(users),
                    payload: payload.clone(),
                });
                if visibility == "public" {
                    // Every public stream hears of it: whether it had media is gone with it.
                    for audience in [Audience::Public, Audience::PublicMedia] {
                        out.push(Delivery {
                            event_id: seq,
                            concern: Concern::Nobody,
                            committed_at: event.created_at,
                            event: "delete",
                            audience,
                            payload: payload.clone(),
                        });
                    }
                    if !tags.is_empty() {
                        out.push(Delivery {
                            event_id: seq,
                            concern: Concern::Nobody,
                            committed_at: event.created_at,
                            event: "delete",
                            audience: Audience::Tags(tags),
                            payload,
                        });
                    }
                }
            }
        }
        EventKind::StoryCreated
        | EventKind::StoryDeleted
        | EventKind::StoryViewed
        | EventKind::StoryReacted
        | EventKind::ChatCreated
        | EventKind::ChatMessage
        | EventKind::ChatRead
        | EventKind::ChatLeft => {
            out.extend(extensions::route(state, event).await?);
            // A story, a view, a reaction, a chat message: what its actor did.
            concern = event.actor_id.map_or(Concern::Nobody, Concern::Account);
        }
        EventKind::FilterCreated | EventKind::FilterUpdated | EventKind::FilterDeleted => {
            // Mastodon's `filters_changed`, without a payload: the client fetches its filters.
            if let Some(account) = event.actor_id {
                out.push(Delivery {
                    event_id: seq,
                    committed_at: event.created_at,
                    event: "filters_changed",
                    audience: Audience::users(vec![account]),
                    payload: "".into(),
                    concern: Concern::Nobody,
                });
            }
        }
        _ => {}
    }
    for delivery in &mut out {
        delivery.concern = concern.clone();
    }
    let renderer = Renderer::new(&state.settings.public_url);
    for n in notifications.iter().filter(|n| n.event_seq == seq) {
        let json = renderer.notification(n);
        let payload: Arc<str> = serde_json::to_string(&json).map_err(|e| ApiError::Internal(e.to_string()))?.into();
        out.push(Delivery {
            event_id: seq,
            committed_at: event.created_at,
            event: "notification",
            audience: Audience::Notify(n.recipient),
            payload,
            concern: Concern::Notification { from: n.from_account.id },
        });
    }
    Ok(out)
}
