//! The job that keeps the homes in Redis in step with the event log.
//!
//! Each event is applied to the homes that exist, with what the store says now (a status
//! deleted since has no recipients; a follow ended since is already out of the answer). Every
//! write is idempotent, so a batch applied twice (a crash before the offset moved, a lease
//! changing hands) changes nothing. The offset moves only from the value the batch started at,
//! so a worker that lost its job, or a Redis that lost its data, is never moved past events it
//! did not apply.

use std::time::Duration;

use starling_core::Id;
use starling_core::event::{Event, EventKind};
use tokio::sync::watch;

use super::{Feeds, FeedsResult};
use crate::state::AppState;

const BATCH: u32 = 256;
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
    for event in &events {
        apply(state, feeds, event).await?;
    }
    if !feeds.advance(cursor, last).await? {
        tracing::info!(cursor, last, "the home timeline offset moved elsewhere; reading it again");
    }
    Ok(true)
}

fn payload_id(event: &Event, field: &str) -> Option<Id> {
    serde_json::from_value(event.payload.get(field)?.clone()).ok()
}

async fn apply(state: &AppState, feeds: &Feeds, event: &Event) -> FeedsResult<()> {
    match event.kind {
        EventKind::StatusCreated => {
            if let Some(status) = event.subject_id {
                deliver(state, feeds, status).await?;
            }
        }
        EventKind::Reblogged => {
            if let Some(reblog) = payload_id(event, "reblog_id") {
                deliver(state, feeds, reblog).await?;
            }
        }
        EventKind::StatusDeleted => {
            if let (Some(status), Some(author)) = (event.subject_id, payload_id(event, "author_id")) {
                retract(state, feeds, status, author).await?;
            }
        }
        EventKind::Unreblogged => {
            if let (Some(reblog), Some(reblogger)) = (payload_id(event, "reblog_id"), event.actor_id) {
                retract(state, feeds, reblog, reblogger).await?;
            }
        }
        // What a follow lets in (or an unfollow takes out) is more than the followee's own
        // statuses: replies to them, reblogs of their private statuses. Rebuilding the
        // follower's home from the store gets all of it right, once, when it is next read.
        EventKind::Followed | EventKind::Unfollowed => {
            if let Some(follower) = event.actor_id {
                feeds.forget(&[follower]).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Adds a new status (or reblog) to the homes of those who see it now.
async fn deliver(state: &AppState, feeds: &Feeds, status: Id) -> FeedsResult<()> {
    let homes = state.store.home_recipients(status).await?;
    feeds.add(&homes, status).await
}

/// Removes a deleted status (or reblog) from its author's home and their followers'. Anyone
/// else who held it lost it already: their home was dropped when they unfollowed, and reads
/// filter what no longer exists in any case.
async fn retract(state: &AppState, feeds: &Feeds, status: Id, author: Id) -> FeedsResult<()> {
    let mut homes = vec![author];
    homes.extend(state.store.follower_ids(author).await?);
    feeds.remove(&homes, status).await
}
