//! Periodic upkeep that no request should pay for: trimming home timelines to their cap.

use std::time::Duration;

use starling_core::store::HOME_TIMELINE_CAP;
use tokio::sync::watch;

use crate::state::AppState;

/// Fan-out adds entries on every post; trimming them back to the cap in batches keeps the
/// write path free of per-recipient deletes.
const TRIM_EVERY: Duration = Duration::from_secs(300);

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        match state.store.trim_home_timelines(HOME_TIMELINE_CAP).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "trimmed home timelines"),
            Err(e) => tracing::error!(error = %e, "trimming home timelines failed; will retry"),
        }
        tokio::select! {
            () = tokio::time::sleep(TRIM_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}
