//! Leases: time-limited claims on work shared by the nodes of one deployment.

use rusqlite::{Connection, params};
use starling_core::StoreResult;
use starling_core::model::Timestamp;
use starling_core::store::Lease;

use super::Sql;
use crate::rows::LeaseRow;

/// One statement decides: it inserts a free name, or takes over a row that has expired or is
/// already the holder's, and returns a row only then. Two nodes racing for one name serialise on
/// the row, and the second sees the first's fresh expiry.
pub(crate) fn acquire(c: &Connection, name: &str, holder: &str, now: Timestamp, ttl_ms: i64) -> StoreResult<bool> {
    let taken: Option<String> = c.optional(
        "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ? \
         RETURNING holder",
        params![name, holder, now.0.saturating_add(ttl_ms), now.0],
    )?;
    Ok(taken.is_some())
}

pub(crate) fn release(c: &Connection, name: &str, holder: &str) -> StoreResult<()> {
    c.run("DELETE FROM leases WHERE name = ? AND holder = ?", params![name, holder])?;
    Ok(())
}

pub(crate) fn list(c: &Connection, prefix: &str, now: Timestamp) -> StoreResult<Vec<Lease>> {
    let rows: Vec<LeaseRow> = c.all("SELECT name, holder, expires_at FROM leases WHERE substr(name, 1, length(?1)) = ?1 AND expires_at > ?2 ORDER BY name", params![prefix, now.0])?;
    Ok(rows.into_iter().map(Lease::from).collect())
}
