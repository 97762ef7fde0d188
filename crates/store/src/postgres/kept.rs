//! What an account keeps of statuses: bookmarks (private) and pins (on the author's profile).
//! Each change appends its event; neither moves a counter.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::event::{self, EventKind};
use starling_core::model::{Change, Status, Timestamp};
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreResult};

use super::{Db, events, hydrate, page};

pub(crate) async fn bookmark(
    c: &mut PgConnection,
    account: Id,
    status: Id,
    bookmark_id: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    hydrate::status(c, status.0).await?;
    let inserted = sqlx::query(
        "INSERT INTO bookmarks (account_id, status_id, id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, status_id) DO NOTHING",
    )
    .bind(account.0)
    .bind(status.0)
    .bind(bookmark_id.0)
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    changed(c, inserted.rows_affected(), EventKind::Bookmarked, account, status, at).await
}

pub(crate) async fn unbookmark(c: &mut PgConnection, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
    hydrate::status(c, status.0).await?;
    let deleted = sqlx::query("DELETE FROM bookmarks WHERE account_id = $1 AND status_id = $2")
        .bind(account.0)
        .bind(status.0)
        .execute(&mut *c)
        .await
        .db()?;
    changed(c, deleted.rows_affected(), EventKind::Unbookmarked, account, status, at).await
}

pub(crate) async fn bookmarks(c: &mut PgConnection, account: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT b.id, b.status_id FROM bookmarks b WHERE b.account_id = ");
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "b.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::statuses(c, &req, pairs).await
}

pub(crate) async fn pin(c: &mut PgConnection, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
    hydrate::status(c, status.0).await?;
    let inserted = sqlx::query(
        "INSERT INTO pins (account_id, status_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, status_id) DO NOTHING",
    )
    .bind(account.0)
    .bind(status.0)
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    changed(c, inserted.rows_affected(), EventKind::Pinned, account, status, at).await
}

pub(crate) async fn unpin(c: &mut PgConnection, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
    hydrate::status(c, status.0).await?;
    let deleted = sqlx::query("DELETE FROM pins WHERE account_id = $1 AND status_id = $2")
        .bind(account.0)
        .bind(status.0)
        .execute(&mut *c)
        .await
        .db()?;
    changed(c, deleted.rows_affected(), EventKind::Unpinned, account, status, at).await
}

pub(crate) async fn pinned(c: &mut PgConnection, account: Id) -> StoreResult<Vec<Status>> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT status_id FROM pins WHERE account_id = $1 ORDER BY created_at DESC, status_id DESC")
            .bind(account.0)
            .fetch_all(&mut *c)
            .await
            .db()?;
    hydrate::statuses_in_order(c, &ids).await
}

/// The ids among `ids` that `viewer` bookmarked, and those of them pinned by `viewer`.
pub(crate) async fn flags(c: &mut PgConnection, viewer: Id, ids: &[i64]) -> StoreResult<(Vec<i64>, Vec<i64>)> {
    let bookmarked =
        sqlx::query_scalar("SELECT status_id FROM bookmarks WHERE account_id = $1 AND status_id = ANY($2)")
            .bind(viewer.0)
            .bind(ids)
            .fetch_all(&mut *c)
            .await
            .db()?;
    let pinned = sqlx::query_scalar("SELECT status_id FROM pins WHERE account_id = $1 AND status_id = ANY($2)")
        .bind(viewer.0)
        .bind(ids)
        .fetch_all(&mut *c)
        .await
        .db()?;
    Ok((bookmarked, pinned))
}

async fn changed(
    c: &mut PgConnection,
    rows: u64,
    kind: EventKind,
    account: Id,
    status: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    if rows == 0 {
        return Ok(Change::Unchanged);
    }
    events::append(c, event::kept(kind, account, status, at)).await?;
    Ok(Change::Made)
}
