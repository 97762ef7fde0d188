//! The task that turns committed events into notifications and live messages, in log order.
//!
//! Every node runs it, for its own clients; one node at a time also stores the notifications
//! (it holds the notifier job, see `cluster`). The others follow the notifier's durable offset:
//! they deliver the events it has covered, reading back what it stored. The offset is durable,
//! so events committed just before a crash are processed after the restart, by whichever node
//! holds the job then.

use std::sync::Arc;

use starling_core::Id;
use starling_core::event::{Event, EventKind};
use starling_core::notify::{self, Notification};
use tokio::sync::watch;

use super::hub::{Frame, FrameCache, frames_for};
use super::route::{Delivery, route};
use super::stream::Stream;
use crate::cluster::Job;
use crate::error::ApiResult;
use crate::state::AppState;

pub const CONSUMER: &str = "notifier";
const BATCH: u32 = 512;

/// Runs the pipeline from `cursor` (the notifier's stored offset, which the hub must already
/// start at) until shutdown, then catches up with the log once more.
pub async fn run(state: AppState, mut cursor: i64, mut shutdown: watch::Receiver<bool>) {
    let mut announcements = state.bus.subscribe();
    loop {
        match step(&state, cursor).await {
            Ok(Some(next)) => {
                cursor = next;
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, cursor, "event pipeline step failed; will retry"),
        }
        tokio::select! {
            _ = announcements.changed() => {}
            () = tokio::time::sleep(state.settings.pipeline_poll) => {}
            _ = shutdown.changed() => break,
        }
    }
    // Requests answered just before the signal may have written events this loop has not
    // seen yet. Their notifications are stored now rather than at the next start, so that a
    // stopped server leaves its projections caught up with its log (`starling replay` checks).
    loop {
        match step(&state, cursor).await {
            Ok(Some(next)) => cursor = next,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, cursor, "final event pipeline step failed; the next start catches up");
                return;
            }
        }
    }
}

/// Processes one batch after `cursor`; the new cursor, or `None` when there was nothing new.
async fn step(state: &AppState, cursor: i64) -> ApiResult<Option<i64>> {
    let mut events = state.store.events_after(cursor, BATCH).await?;
    if state.cluster.holds(Job::Notifier) {
        if let Some(last) = events.last().map(|e| e.seq) {
            let derived = events.iter().map(notify::derive).collect();
            state.store.apply_notifications(CONSUMER, last, derived).await?;
            // Wakes the nodes that wait for the notifier to cover these events.
            state.bus.announce(last);
        }
    } else {
        let covered = state.store.consumer_offset(CONSUMER).await?;
        events.retain(|e| e.seq <= covered);
    }
    let Some(last) = events.last().map(|e| e.seq) else { return Ok(None) };
    // What is stored for these events, not what this call inserted: the notifier may have
    // stored them on another node (or on this one, before a restart).
    let notifications = state.store.notifications_for_events(cursor, last).await?;
    let mut deliveries = Vec::new();
    for event in &events {
        deliveries.extend(route(state, event, &notifications).await?);
    }
    // Before anything of this batch is pushed: what follows a block in the log never reaches
    // the blocked.
    refresh_hidden(state, &events).await?;
    state.hub.dispatch(last, &deliveries).await;
    super::counts::announce(state, &events).await;
    // A revoked token's open streams close at once, on every node.
    for event in events.iter().filter(|e| e.kind == EventKind::TokenRevoked) {
        if let Some(token) = event.subject_id {
            state.hub.close_token(token).await;
        }
    }
    state.stats.events_processed(&events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>());
    Ok(Some(last))
}

/// Reloads who and what is hidden from the accounts online here whose blocks, mutes or filters
/// these events change: both sides of a block, the muter of a mute, a filter's owner.
async fn refresh_hidden(state: &AppState, events: &[Event]) -> ApiResult<()> {
    let mut changed: Vec<Id> = Vec::new();
    for event in events {
        match event.kind {
            EventKind::Blocked | EventKind::Unblocked => {
                changed.extend(event.actor_id.into_iter().chain(event.subject_id))
            }
            EventKind::Muted
            | EventKind::Unmuted
            | EventKind::FilterCreated
            | EventKind::FilterUpdated
            | EventKind::FilterDeleted => changed.extend(event.actor_id),
            _ => {}
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    changed.sort_unstable();
    changed.dedup();
    state.hub.hidden_changing();
    for account in state.hub.online_among(&changed).await {
        let hidden = state.store.hidden(account).await?;
        state.hub.set_hidden(account, hidden).await;
    }
    Ok(())
}

pub enum Replay {
    Frames(Vec<Arc<Frame>>),
    /// Too much was missed: the client should refetch its timelines.
    Resync,
}

/// What a client of `user` on `streams` missed between `after` and `upto`.
pub async fn replay(
    state: &AppState,
    user: Option<starling_core::Id>,
    streams: &[Stream],
    after: i64,
    upto: i64,
) -> ApiResult<Replay> {
    if after >= upto {
        return Ok(Replay::Frames(Vec::new()));
    }
    if upto - after > state.settings.stream_replay_max {
        return Ok(Replay::Resync);
    }
    let notifications: Vec<Notification> = match user {
        Some(u) => state.store.notifications_between(u, after, upto).await?,
        None => Vec::new(),
    };
    let hidden = match user {
        Some(u) => Some(state.store.hidden(u).await?),
        None => None,
    };
    let now = starling_core::model::Timestamp::now();
    let mut frames = Vec::new();
    let mut from = after;
    while from < upto {
        let events = state.store.events_after(from, BATCH).await?;
        let Some(last) = events.last().map(|e| e.seq) else { break };
        for event in events.iter().take_while(|e| e.seq <= upto) {
            let deliveries: Vec<Delivery> = route(state, event, &notifications).await?;
            // A cache per event: it is keyed by position in that event's deliveries.
            frames.extend(frames_for(user, hidden.as_ref(), streams, &deliveries, &mut FrameCache::default(), now));
        }
        from = last;
    }
    Ok(Replay::Frames(frames))
}
