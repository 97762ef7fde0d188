//! Markers: the last item an account has read in a timeline, one row per account and timeline.

use std::collections::HashMap;

use sqlx::PgConnection;
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::store::Marker;
use starling_core::{Id, StoreResult};

use super::{Db, events};
use crate::rows::MarkerRow;

/// The markers among `timelines` that are set, in the order of `timelines`, each once.
pub(crate) async fn markers(c: &mut PgConnection, account: Id, timelines: &[String]) -> StoreResult<Vec<Marker>> {
    if timelines.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<MarkerRow> = sqlx::query_as(
        "SELECT timeline, last_read_id, version, updated_at FROM markers \
         WHERE account_id = $1 AND timeline = ANY($2)",
    )
    .bind(account.0)
    .bind(timelines)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut found: HashMap<String, Marker> = rows.into_iter().map(|r| (r.timeline.clone(), r.into())).collect();
    Ok(timelines.iter().filter_map(|t| found.remove(t)).collect())
}

/// Creates the marker at version 0 or moves it and bumps its version. The version goes up even
/// when `last_read_id` does not change: clients compare versions to detect other writers.
pub(crate) async fn set(
    c: &mut PgConnection,
    account: Id,
    timeline: &str,
    last_read_id: Id,
    at: Timestamp,
) -> StoreResult<Marker> {
    let row: MarkerRow = sqlx::query_as(
        "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = excluded.last_read_id, \
         version = markers.version + 1, updated_at = excluded.updated_at \
         RETURNING timeline, last_read_id, version, updated_at",
    )
    .bind(account.0)
    .bind(timeline)
    .bind(last_read_id.0)
    .bind(at.0)
    .fetch_one(&mut *c)
    .await
    .db()?;
    events::append(c, event::marker_updated(account, timeline, last_read_id, at)).await?;
    Ok(row.into())
}
