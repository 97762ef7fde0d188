//! Live counts (an extension): when a status is favourited, boosted or replied to (or any of
//! those is undone), every connection that may be showing it hears its new counts as a
//! `status.counts` signal: `{id, replies_count, reblogs_count, favourites_count}`. Mastodon
//! sends nothing for these, so its clients show counts as they were when fetched.
//!
//! Counts are a snapshot, not history: they are signals (no `event_id`, never replayed; a
//! client that reconnects refetches what it shows), sent by the live pipeline only, once per
//! status per batch of events, with the counts as the store has them after the batch.

use std::sync::Arc;

use serde_json::{Value, json};
use starling_core::Id;
use starling_core::event::{Event, EventKind};
use starling_core::model::Visibility;

use super::route::Audience;
use crate::state::AppState;

pub const EVENT: &str = "status.counts";

fn id_in(payload: &Value, field: &str) -> Option<Id> {
    serde_json::from_value(payload.get(field)?.clone()).ok().flatten()
}

/// The statuses whose counts `event` changed.
fn changed(event: &Event) -> Vec<Id> {
    match event.kind {
        EventKind::Favourited | EventKind::Unfavourited | EventKind::Reblogged | EventKind::Unreblogged => {
            event.subject_id.into_iter().collect()
        }
        EventKind::StatusCreated => id_in(&event.payload, "in_reply_to_id").into_iter().collect(),
        EventKind::StatusDeleted => {
            id_in(&event.payload, "in_reply_to_id").into_iter().chain(id_in(&event.payload, "reblog_of_id")).collect()
        }
        _ => Vec::new(),
    }
}

/// Sends the new counts of every status `events` changed to the connections that may show it:
/// the home streams it reaches, and the public and hashtag streams when it is public. A
/// failure only costs clients a live update, so it is logged, not returned.
pub async fn announce(state: &AppState, events: &[Event]) {
    let mut ids: Vec<Id> = events.iter().flat_map(changed).collect();
    if ids.is_empty() {
        return;
    }
    ids.sort_unstable();
    ids.dedup();
    let statuses = match state.store.statuses(&ids).await {
        Ok(found) => found,
        Err(e) => return tracing::warn!(error = %e, "reading statuses for live counts failed"),
    };
    let mut signals = Vec::new();
    for status in statuses.iter().filter(|s| s.visibility != Visibility::Direct) {
        let payload: Arc<str> = json!({
            "id": status.id.to_string(),
            "replies_count": status.replies_count,
            "reblogs_count": status.reblogs_count,
            "favourites_count": status.favourites_count,
        })
        .to_string()
        .into();
        // Any answer kept will do: counts are a snapshot, and a stale audience misses one.
        match state.recipients.of(&*state.store, status.id, i64::MIN).await {
            Ok(users) => signals.push((EVENT, Audience::users(users.to_vec()), payload.clone())),
            Err(e) => tracing::warn!(error = %e, status = %status.id, "reading recipients for live counts failed"),
        }
        if status.visibility == Visibility::Public {
            signals.push((EVENT, Audience::Public, payload.clone()));
            if !status.tags.is_empty() {
                signals.push((EVENT, Audience::Tags(status.tags.clone()), payload));
            }
        }
    }
    // One pass over the connections for the whole batch.
    if !signals.is_empty() {
        state.hub.signals(&signals).await;
    }
}
