//! Periodic upkeep that no request should pay for: trimming home timelines to their cap, and
//! making the database's partitions for the months ahead. One node at a time runs it (the
//! upkeep job, see `cluster`).

use std::time::Duration;

use starling_core::model::Timestamp;
use starling_core::store::HOME_TIMELINE_CAP;
use tokio::sync::watch;

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
        tokio::select! {
            () = tokio::time::sleep(UPKEEP_EVERY) => {}
            _ = shutdown.changed() => return,
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
        tokio::select! {
            () = tokio::time::sleep(state.settings.story_sweep) => {}
            _ = shutdown.changed() => return,
        }
    }
}
