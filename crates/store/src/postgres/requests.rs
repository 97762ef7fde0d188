//! Requests to follow locked accounts: asked, then approved into a follow or rejected.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::event::{self, EventKind};
use starling_core::model::{Account, Change, Timestamp};
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreError, StoreResult};

use super::{Db, accounts, events, hydrate, page};
use crate::Homes;

pub(crate) async fn request(
    c: &mut PgConnection,
    follower: Id,
    followee: Id,
    request_id: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    hydrate::account(c, followee.0).await?;
    if accounts::is_following(c, follower, followee).await? {
        return Ok(Change::Unchanged);
    }
    let inserted = sqlx::query(
        "INSERT INTO follow_requests (account_id, target_id, id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, target_id) DO NOTHING",
    )
    .bind(follower.0)
    .bind(followee.0)
    .bind(request_id.0)
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    if inserted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    events::append(c, event::follow_requested(follower, followee, at)).await?;
    Ok(Change::Made)
}

/// Deletes the request; whether there was one.
async fn take(c: &mut PgConnection, follower: Id, followee: Id) -> StoreResult<bool> {
    let deleted = sqlx::query("DELETE FROM follow_requests WHERE account_id = $1 AND target_id = $2")
        .bind(follower.0)
        .bind(followee.0)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(deleted.rows_affected() > 0)
}

pub(crate) async fn authorize(
    c: &mut PgConnection,
    followee: Id,
    follower: Id,
    follow_id: Id,
    at: Timestamp,
    homes: Homes,
) -> StoreResult<Change> {
    if !take(c, follower, followee).await? {
        return Err(StoreError::NotFound);
    }
    events::append(
        c,
        event::follow_request_ended(EventKind::FollowRequestAuthorized, followee, follower, followee, at),
    )
    .await?;
    accounts::make_follow(c, follower, followee, follow_id, homes, true).await
}

pub(crate) async fn reject(
    c: &mut PgConnection,
    followee: Id,
    follower: Id,
    actor: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    if !take(c, follower, followee).await? {
        return Ok(Change::Unchanged);
    }
    events::append(c, event::follow_request_ended(EventKind::FollowRequestRejected, actor, follower, followee, at))
        .await?;
    Ok(Change::Made)
}

pub(crate) async fn list(c: &mut PgConnection, followee: Id, req: PageRequest) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT r.id, r.account_id FROM follow_requests r WHERE r.target_id = ");
    qb.push_bind(followee.0);
    page::push_bounds(&mut qb, "r.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::accounts(c, &req, pairs).await
}
