//! Serving a home timeline: from the cache (Redis or memory) when the worker has caught up,
//! from the store otherwise.
//!
//! Read-your-writes across nodes: the request notes the newest event in the log, `S`, and reads
//! the cache only once the worker's offset has reached `S`, so every write that committed before
//! the request (on any node) is in the home. It waits briefly for a lagging worker, then falls
//! back to the store, as it does on any Redis error or timeout: the store computes the same home
//! when read, so a fallback is slower, never wrong.

use std::time::Duration;

use starling_core::model::Status;
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreError};

use super::{Feeds, FeedsResult};
use crate::state::AppState;

/// How long a request waits for the worker to reach the log's end before asking the store.
const CATCH_UP_WAIT: Duration = Duration::from_secs(1);
const CATCH_UP_POLL: Duration = Duration::from_millis(5);
/// The most a request spends on the cache in all, waiting included.
const BUDGET: Duration = Duration::from_millis(1500);
/// Builds dropped because the worker moved on meanwhile are tried again this many times.
const BUILD_ATTEMPTS: usize = 3;

/// The viewer's home timeline page.
pub async fn home_timeline(state: &AppState, viewer: Id, req: PageRequest) -> Result<Page<Status>, StoreError> {
    if let Some(feeds) = &state.feeds {
        match tokio::time::timeout(BUDGET, from_cache(state, feeds, viewer, req)).await {
            Ok(Ok(Some(page))) => {
                feeds.stats.read_from_cache(feeds.kind());
                return Ok(page);
            }
            Ok(Ok(None)) => {
                tracing::debug!(viewer = %viewer, cache = feeds.kind(), "home timelines are behind the log; reading the store")
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, cache = feeds.kind(), "reading a home timeline failed; reading the store")
            }
            Err(_) => tracing::warn!(cache = feeds.kind(), "reading a home timeline took too long; reading the store"),
        }
        feeds.stats.read_from_store();
    }
    state.store.home_timeline(viewer, req).await
}

/// The page from the cache, or `None` when the worker did not catch up in time.
async fn from_cache(
    state: &AppState,
    feeds: &Feeds,
    viewer: Id,
    req: PageRequest,
) -> FeedsResult<Option<Page<Status>>> {
    let seen = state.store.last_event_seq().await?;
    let deadline = tokio::time::Instant::now() + CATCH_UP_WAIT;
    // No offset yet (or any more) counts as behind: the worker sets it when it starts.
    while feeds.offset().await?.is_none_or(|offset| offset < seen) {
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(CATCH_UP_POLL).await;
    }
    let mut ids = feeds.read(viewer, &req).await?;
    let mut attempts = 0;
    while ids.is_none() && attempts < BUILD_ATTEMPTS {
        attempts += 1;
        // The backfill reads the store after `built_at`, so it reflects every event up to it.
        let built_at = state.store.last_event_seq().await?;
        let backfill = state.store.home_backfill(viewer, feeds.cap()).await?;
        if feeds.install(viewer, &backfill, built_at).await? {
            feeds.stats.rebuilt();
            ids = feeds.read(viewer, &req).await?;
        }
    }
    let Some(ids) = ids else { return Ok(None) };
    // A status deleted, or a follow ended, after the worker wrote the entry and before it
    // removed it, must not show: the store has the last word on what belongs.
    let admitted = state.store.home_admitted(viewer, &ids).await?;
    let statuses = state.store.statuses(&admitted).await?;
    Ok(Some(Page::from_fetched(&req, statuses.into_iter().map(|s| (s.id, s)).collect())))
}
