//! Idempotent requests: a key claimed once per caller, its answer kept for the retries.

use rusqlite::{Connection, params};
use starling_core::StoreResult;
use starling_core::model::Timestamp;
use starling_core::store::{IdempotencyClaim, IdempotencyState, StoredAnswer};

use super::Sql;
use crate::rows::IdempotentRow;

/// One statement claims a free key, or takes over one that expired or whose request was
/// abandoned; only when it did not is the row read, to say why. Two requests racing for one key
/// serialise on the row, and the second sees the first's claim.
pub(crate) fn claim(c: &Connection, claim: &IdempotencyClaim) -> StoreResult<IdempotencyState> {
    let claimed: Option<i64> = c.optional(
        "INSERT INTO idempotent_requests (scope, key, fingerprint, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, \
           created_at = excluded.created_at, status = NULL, content_type = NULL, body = NULL \
         WHERE idempotent_requests.created_at < ?6 \
            OR (idempotent_requests.status IS NULL AND idempotent_requests.created_at < ?5) \
         RETURNING 1",
        params![claim.scope, claim.key, claim.fingerprint, claim.now.0, claim.stale_before.0, claim.expired_before.0],
    )?;
    if claimed.is_some() {
        return Ok(IdempotencyState::Claimed);
    }
    let row: IdempotentRow = c.one(
        "SELECT fingerprint, status, content_type, body FROM idempotent_requests WHERE scope = ? AND key = ?",
        params![claim.scope, claim.key],
    )?;
    Ok(row.state(&claim.fingerprint))
}

pub(crate) fn answer(c: &Connection, scope: &str, key: &str, answer: &StoredAnswer) -> StoreResult<()> {
    c.run(
        "UPDATE idempotent_requests SET status = ?, content_type = ?, body = ? WHERE scope = ? AND key = ?",
        params![answer.status, answer.content_type, answer.body, scope, key],
    )?;
    Ok(())
}

pub(crate) fn release(c: &Connection, scope: &str, key: &str) -> StoreResult<()> {
    c.run("DELETE FROM idempotent_requests WHERE scope = ? AND key = ? AND status IS NULL", params![scope, key])?;
    Ok(())
}

pub(crate) fn purge(c: &Connection, before: Timestamp) -> StoreResult<u64> {
    let answers = c.run("DELETE FROM idempotent_requests WHERE created_at < ?", params![before.0])?;
    let statuses = c.run("DELETE FROM idempotency_keys WHERE created_at < ?", params![before.0])?;
    Ok((answers + statuses) as u64)
}
