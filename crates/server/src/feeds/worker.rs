//! The job that keeps the homes in Redis in step with the event log.
//!
//! Each event is applied to the homes that exist, with what the store says now (a status
//! deleted since has no recipients; a follow ended since is already out of the answer). Every
//! write is idempotent, so a batch applied twice (a crash before the offset moved, a lease
//! changing hands) changes nothing. The offset moves only from the value the batch started at,
//! so a worker that lost its job, or a Redis that lost its data, is never moved past events it
//! did not apply.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use starling_core::Id;
use starling_core::event::{Event, EventKind};
use tokio::sync::watch;

use super::{Feeds, FeedsResult};
use crate::state::AppState;

const BATCH: u32 = 256;
/// Store lookups the worker has in flight at once: enough to keep the read connections busy.
const LOOKUPS_IN_FLIGHT: usize = 8;
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Applies the log to the homes until `stop`; on errors (Redis away, the store failing) it
/// logs, backs off and tries again, never giving up and never returning before `stop`.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let Some(feeds) = state.feeds.as_ref() else { return };
    let mut announcements = state.bus.subscribe();
    let mut backoff = MIN_BACKOFF;
    while !*stop.borrow() {
        let wait = match step(&state, feeds).await {
            Ok(true) => {
                backoff = MIN_BACKOFF;
                continue;
            }
            Ok(false) => {
                backoff = MIN_BACKOFF;
                state.settings.pipeline_poll
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, cache = feeds.kind(), "keeping home timelines failed; will retry");
                let wait = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                wait
            }
        };
        tokio::select! {
            _ = announcements.changed() => {}
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Applies one batch; true when there was one.
async fn step(state: &AppState, feeds: &Feeds) -> FeedsResult<bool> {
    let cursor = match feeds.offset().await? {
        Some(cursor) => cursor,
        None => {
            // No offset: a new deployment, or the cache lost its data (and every home with it).
            // Missing homes are rebuilt from the store when read, so the log's past is moot.
            let end = state.store.last_event_seq().await?;
            tracing::info!(
                end,
                cache = feeds.kind(),
                "no home timeline offset; homes are rebuilt when read, following the log from here"
            );
            feeds.init_offset(end).await?.unwrap_or(end)
        }
    };
    let events = state.store.events_after(cursor, BATCH).await?;
    let Some(last) = events.last().map(|e| e.seq) else {
        let end = state.store.last_event_seq().await?;
        if cursor > end {
            // The offset belongs to another log (the database was replaced, Redis was not):
            // its homes name other accounts, and this log is followed from its end.
            tracing::warn!(
                cursor,
                end,
                cache = feeds.kind(),
                "the home timeline offset is past the log's end; following the log from its end"
            );
            feeds.advance(cursor, end).await?;
        }
        return Ok(false);
    };
    // The store lookups (who sees a status) run a few at a time; their results are applied
    // in log order, so that an add, a removal and a dropped home land as the events did.
    let lookups: Vec<_> = events.iter().map(|event| change(state, event)).collect();
    let mut changes = stream::iter(lookups).buffered(LOOKUPS_IN_FLIGHT);
    while let Some(change) = changes.next().await {
        change?.apply_to(feeds).await?;
    }
    if !feeds.advance(cursor, last).await? {
        tracing::info!(cursor, last, "the home timeline offset moved elsewhere; reading it again");
    }
    Ok(true)
}

fn payload_id(event: &Event, field: &str) -> Option<Id> {
    serde_json::from_value(event.payload.get(field)?.clone()).ok()
}

/// What one event does to the homes.
enum Change {
    /// Add the status to these homes.
    Add(Arc<[Id]>, Id),
    /// Take the status out of these homes.
    Remove(Vec<Id>, Id),
    /// Drop the home, to be rebuilt when read.
    Forget(Id),
    None,
}

impl Change {
    async fn apply_to(self, feeds: &Feeds) -> FeedsResult<()> {
        match self {
            Change::Add(homes, status) => feeds.add(&homes, status).await,
            Change::Remove(homes, status) => feeds.remove(&homes, status).await,
            Change::Forget(home) => feeds.forget(&[home]).await,
            Change::None => Ok(()),
        }
    }
}

/// What `event` does to the homes, with what the store says now: a new status (or reblog)
/// goes to the homes of those who see it now (none, if it was deleted since); an edited one
/// carrying hashtags goes to those who see it now too, which takes it to the followers of a
/// tag it gained. A deleted one leaves its author's home, their followers' and its tags'
/// followers' (anyone else who held it lost it already: their home was dropped when they
/// unfollowed, and reads filter what no longer exists in any case, as they filter a status
/// whose edit dropped the tag that brought it). What a follow lets in (or an unfollow takes
/// out) is more than the followee's own statuses: replies to them, reblogs of their private
/// statuses; a followed tag brings a whole history. Rebuilding the follower's home from the
/// store gets all of it right, once, when it is next read.
async fn change(state: &AppState, event: &Event) -> FeedsResult<Change> {
    let added = match event.kind {
        EventKind::StatusCreated => event.subject_id,
        EventKind::Reblogged => payload_id(event, "reblog_id"),
        _ => None,
    };
    if let Some(status) = added {
        return Ok(Change::Add(state.recipients.of(&*state.store, status, event.seq).await?, status));
    }
    if let (EventKind::StatusEdited, Some(status)) = (event.kind, event.subject_id) {
        if tags(event).is_empty() {
            return Ok(Change::None);
        }
        return Ok(Change::Add(state.recipients.of(&*state.store, status, event.seq).await?, status));
    }
    let removed = match event.kind {
        EventKind::StatusDeleted => event.subject_id.zip(payload_id(event, "author_id")),
        EventKind::Unreblogged => payload_id(event, "reblog_id").zip(event.actor_id),
        _ => None,
    };
    if let Some((status, author)) = removed {
        let mut homes = vec![author];
        homes.extend(state.store.follower_ids(author).await?);
        homes.extend(state.store.tag_follower_ids(&tags(event)).await?);
        return Ok(Change::Remove(homes, status));
    }
    Ok(match (event.kind, event.actor_id) {
        (
            EventKind::Followed | EventKind::Unfollowed | EventKind::TagFollowed | EventKind::TagUnfollowed,
            Some(follower),
        ) => Change::Forget(follower),
        _ => Change::None,
    })
}

/// The hashtags a status event names (none for an event that names none).
fn tags(event: &Event) -> Vec<String> {
    serde_json::from_value(event.payload.get("tags").cloned().unwrap_or_default()).unwrap_or_default()
}
