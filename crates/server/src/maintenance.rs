//! Periodic upkeep that no request should pay for: trimming home timelines to their cap, making
//! the database's partitions for the months ahead, forgetting day-old idempotency keys, purging
//! expired stories and abandoned uploads, and watching the trends. One node at a time runs it
//! (the upkeep job, see `cluster`).

use std::time::Duration;

use starling_core::model::Timestamp;
use starling_core::store::HOME_TIMELINE_CAP;
use tokio::sync::watch;

use crate::realtime::signals::{self, Signal};
use crate::state::AppState;

/// Fan-out adds entries on every post; trimming them back to the cap in batches keeps the
/// write path free of per-recipient deletes. Partitions are made months ahead, so checking for
/// them this often only matters after a clock jump.
const UPKEEP_EVERY: Duration = Duration::from_secs(300);

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        match state.store.trim_home_timelines(HOME_TIMELINE_CAP).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "trimmed home timelines"),
            Err(e) => tracing::error!(error = %e, "trimming home timelines failed; will retry"),
        }
        match state.store.prepare_partitions(Timestamp::now()).await {
            Ok(created) if created.is_empty() => {}
            Ok(created) => tracing::info!(partitions = ?created, "made partitions for the months ahead"),
            Err(e) => tracing::error!(error = %e, "making partitions failed; will retry"),
        }
        let day_ago = crate::idempotency::before(Timestamp::now(), crate::idempotency::KEPT);
        match state.store.purge_idempotency_keys(day_ago).await {
            Ok(0) => {}
            Ok(forgotten) => tracing::info!(forgotten, "forgot idempotency keys older than a day"),
            Err(e) => tracing::error!(error = %e, "forgetting old idempotency keys failed; will retry"),
        }
        if stopped_during(UPKEEP_EVERY, &mut shutdown).await {
            return;
        }
    }
}

/// Purges expired stories every `story_sweep`. A story is gone from every endpoint the moment
/// it expires (reads compare with the clock); this only frees its rows, with its views and
/// reactions. Its events stay in the log.
pub async fn sweep_stories(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        match state.store.purge_expired_stories(Timestamp::now()).await {
            Ok(0) => {}
            Ok(purged) => {
                metrics::counter!("starling_stories_purged_total").increment(purged);
                tracing::info!(purged, "purged expired stories");
            }
            Err(e) => tracing::error!(error = %e, "purging expired stories failed; will retry"),
        }
        if stopped_during(state.settings.story_sweep, &mut shutdown).await {
            return;
        }
    }
}

/// Looks at the trending tags every `trends_interval` and tells every public stream, on every
/// node, when the list changed (Starling's `trends` event: the list, as `/api/v1/trends/tags`).
pub async fn watch_trends(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut last: Option<Vec<String>> = None;
    loop {
        match crate::api::trends::trending(&state).await {
            Ok(trending) => {
                let names: Vec<String> = trending.iter().take(TRENDS_SHOWN).map(|t| t.name.clone()).collect();
                if last.as_ref() != Some(&names) {
                    // The first look only sets the baseline, unless something is trending already.
                    if last.is_some() || !names.is_empty() {
                        let base = &state.settings.public_url;
                        let list: Vec<_> = trending
                            .iter()
                            .take(TRENDS_SHOWN)
                            .map(|t| crate::api::tags::tag_json(base, &t.name, &t.history, None))
                            .collect();
                        let payload = serde_json::Value::Array(list).to_string();
                        signals::send(&state, &Signal::Public { event: "trends".into(), payload });
                    }
                    last = Some(names);
                }
            }
            Err(e) => tracing::error!(error = %e, "computing trends failed; will retry"),
        }
        if stopped_during(state.settings.trends_interval, &mut shutdown).await {
            return;
        }
    }
}

/// How many trending tags the `trends` event carries, as the first page of the API.
const TRENDS_SHOWN: usize = 10;

/// How many unattached uploads one sweep forgets at most; the next sweep takes the rest.
const MEDIA_SWEEP_BATCH: u32 = 500;

/// Deletes uploads that nothing carried within `media_unattached_ttl` (an abandoned draft, a
/// status deleted without a redraft), rows first and then their files. Sweeps a quarter as often
/// as that age, at most hourly.
pub async fn sweep_media(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let ttl = state.settings.media_unattached_ttl;
    let every = (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(3600));
    loop {
        let before = Timestamp(Timestamp::now().0 - i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        match state.store.purge_unattached_media(before, MEDIA_SWEEP_BATCH).await {
            Ok(purged) if purged.is_empty() => {}
            Ok(purged) => {
                for m in &purged {
                    for key in [&m.file_key, &m.preview_key] {
                        if let Err(e) = state.media.delete(key).await {
                            tracing::warn!(error = %e, key, "deleting an unattached upload's file failed");
                        }
                    }
                }
                metrics::counter!("starling_media_purged_total").increment(purged.len() as u64);
                tracing::info!(purged = purged.len(), "deleted unattached uploads");
                // A full batch: there may be more right away.
                if purged.len() as u32 == MEDIA_SWEEP_BATCH {
                    continue;
                }
            }
            Err(e) => tracing::error!(error = %e, "deleting unattached uploads failed; will retry"),
        }
        if stopped_during(every, &mut shutdown).await {
            return;
        }
    }
}

/// Keeps the full-text index following the event log (ADR 17): wakes on every announcement of
/// new events, and at least every `pipeline_poll`, and indexes batch after batch until it has
/// caught up. A status is searchable about a quarter of a second after its commit.
pub async fn index_for_search(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut announcements = state.bus.subscribe();
    loop {
        match state.store.last_event_seq().await {
            Ok(last) => loop {
                match state.store.index_for_search(last).await {
                    Ok(covered) if covered >= last => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "indexing statuses for search failed; will retry");
                        break;
                    }
                }
            },
            Err(e) => tracing::error!(error = %e, "reading the log's end failed; will retry"),
        }
        tokio::select! {
            _ = announcements.changed() => {}
            () = tokio::time::sleep(state.settings.pipeline_poll) => {}
            _ = shutdown.changed() => return,
        }
        // Gather what a busy moment writes into one batch: each batch is a turn of the single
        // writer, and FTS5 writes one segment per transaction.
        if stopped_during(SEARCH_INDEX_GATHER, &mut shutdown).await {
            return;
        }
    }
}

/// How long the search indexer lets new events gather before it indexes them.
const SEARCH_INDEX_GATHER: Duration = Duration::from_millis(200);

/// Waits `period`; true when the server began to stop meanwhile.
async fn stopped_during(period: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(period) => false,
        _ = shutdown.changed() => true,
    }
}
