//! Leases: time-limited claims on work shared by the nodes of one deployment.

use sqlx::SqliteConnection;
use starling_core::StoreResult;
use starling_core::model::Timestamp;
use starling_core::store::Lease;

use super::Db;
use crate::rows::LeaseRow;

/// One statement decides: it inserts a free name, or takes over a row that has expired or is
/// already the holder's, and returns a row only then. Two nodes racing for one name serialise on
/// the row, and the second sees the first's fresh expiry.
pub(crate) async fn acquire(
    c: &mut SqliteConnection,
    name: &str,
    holder: &str,
    now: Timestamp,
    ttl_ms: i64,
) -> StoreResult<bool> {
    let taken: Option<String> = sqlx::query_scalar(
        "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ? \
         RETURNING holder",
    )
    .bind(name)
    .bind(holder)
    .bind(now.0.saturating_add(ttl_ms))
    .bind(now.0)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    Ok(taken.is_some())
}

pub(crate) async fn release(c: &mut SqliteConnection, name: &str, holder: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM leases WHERE name = ? AND holder = ?")
        .bind(name)
        .bind(holder)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn list(c: &mut SqliteConnection, prefix: &str, now: Timestamp) -> StoreResult<Vec<Lease>> {
    let rows: Vec<LeaseRow> = sqlx::query_as(
        "SELECT name, holder, expires_at FROM leases WHERE substr(name, 1, length(?1)) = ?1 AND expires_at > ?2 ORDER BY name",
    )
    .bind(prefix)
    .bind(now.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    Ok(rows.into_iter().map(Lease::from).collect())
}
