//! Idempotent requests: a key claimed once per caller, its answer kept for the retries.

use sqlx::PgConnection;
use starling_core::StoreResult;
use starling_core::model::Timestamp;
use starling_core::store::{IdempotencyClaim, IdempotencyState, StoredAnswer};

use super::Db;
use crate::rows::IdempotentRow;

/// One statement claims a free key, or takes over one that expired or whose request was
/// abandoned; only when it did not is the row read, to say why. Two requests racing for one key
/// serialise on the row, and the second sees the first's claim.
pub(crate) async fn claim(c: &mut PgConnection, claim: &IdempotencyClaim) -> StoreResult<IdempotencyState> {
    let claimed: Option<i32> = sqlx::query_scalar(
        "INSERT INTO idempotent_requests (scope, key, fingerprint, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, \
           created_at = excluded.created_at, status = NULL, content_type = NULL, body = NULL \
         WHERE idempotent_requests.created_at < $6 \
            OR (idempotent_requests.status IS NULL AND idempotent_requests.created_at < $5) \
         RETURNING 1",
    )
    .bind(&claim.scope)
    .bind(&claim.key)
    .bind(&claim.fingerprint)
    .bind(claim.now.0)
    .bind(claim.stale_before.0)
    .bind(claim.expired_before.0)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    if claimed.is_some() {
        return Ok(IdempotencyState::Claimed);
    }
    let row: IdempotentRow = sqlx::query_as(
        "SELECT fingerprint, status, content_type, body FROM idempotent_requests WHERE scope = $1 AND key = $2",
    )
    .bind(&claim.scope)
    .bind(&claim.key)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(row.state(&claim.fingerprint))
}

pub(crate) async fn answer(c: &mut PgConnection, scope: &str, key: &str, answer: &StoredAnswer) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotent_requests SET status = $1, content_type = $2, body = $3 WHERE scope = $4 AND key = $5",
    )
    .bind(i32::from(answer.status))
    .bind(&answer.content_type)
    .bind(&answer.body)
    .bind(scope)
    .bind(key)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub(crate) async fn release(c: &mut PgConnection, scope: &str, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM idempotent_requests WHERE scope = $1 AND key = $2 AND status IS NULL")
        .bind(scope)
        .bind(key)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn purge(c: &mut PgConnection, before: Timestamp) -> StoreResult<u64> {
    let answers = sqlx::query("DELETE FROM idempotent_requests WHERE created_at < $1")
        .bind(before.0)
        .execute(&mut *c)
        .await
        .db()?;
    let statuses =
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before.0).execute(&mut *c).await.db()?;
    Ok(answers.rows_affected() + statuses.rows_affected())
}
