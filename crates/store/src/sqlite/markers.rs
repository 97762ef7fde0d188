//! Markers: the last item an account has read in a timeline, one row per account and timeline.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::store::Marker;
use starling_core::{Id, StoreResult};

use super::{Sql, events, text_list};
use crate::rows::MarkerRow;

/// The markers among `timelines` that are set, in the order of `timelines`, each once.
pub(crate) fn markers(c: &Connection, account: Id, timelines: &[String]) -> StoreResult<Vec<Marker>> {
    if timelines.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<MarkerRow> = c.all(
        "SELECT timeline, last_read_id, version, updated_at FROM markers \
         WHERE account_id = ? AND timeline IN (SELECT value FROM json_each(?))",
        params![account.0, text_list(timelines)?],
    )?;
    let mut found: HashMap<String, Marker> = rows.into_iter().map(|r| (r.timeline.clone(), r.into())).collect();
    Ok(timelines.iter().filter_map(|t| found.remove(t)).collect())
}

/// Creates the marker at version 0 or moves it and bumps its version. The version goes up even
/// when `last_read_id` does not change: clients compare versions to detect other writers.
pub(crate) fn set(c: &Connection, account: Id, timeline: &str, last_read_id: Id, at: Timestamp) -> StoreResult<Marker> {
    let row: MarkerRow = c.one(
        "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) VALUES (?, ?, ?, 0, ?) \
         ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = excluded.last_read_id, \
         version = version + 1, updated_at = excluded.updated_at \
         RETURNING timeline, last_read_id, version, updated_at",
        params![account.0, timeline, last_read_id.0, at.0],
    )?;
    events::append(c, event::marker_updated(account, timeline, last_read_id, at))?;
    Ok(row.into())
}
