//! Requests to follow locked accounts: asked, then approved into a follow or rejected.

use rusqlite::{Connection, params};
use starling_core::event::{self, EventKind};
use starling_core::model::{Account, Change, Timestamp};
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreError, StoreResult};

use super::{QueryBuilder, Sql, accounts, events, hydrate, page};
use crate::Homes;

pub(crate) fn request(
    c: &Connection,
    follower: Id,
    followee: Id,
    request_id: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    hydrate::account(c, followee.0)?;
    if accounts::is_following(c, follower, followee)? {
        return Ok(Change::Unchanged);
    }
    let inserted = c.run(
        "INSERT INTO follow_requests (account_id, target_id, id, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (account_id, target_id) DO NOTHING",
        params![follower.0, followee.0, request_id.0, at.0],
    )?;
    if inserted == 0 {
        return Ok(Change::Unchanged);
    }
    events::append(c, event::follow_requested(follower, followee, at))?;
    Ok(Change::Made)
}

/// Deletes the request; whether there was one.
fn take(c: &Connection, follower: Id, followee: Id) -> StoreResult<bool> {
    let deleted =
        c.run("DELETE FROM follow_requests WHERE account_id = ? AND target_id = ?", params![follower.0, followee.0])?;
    Ok(deleted > 0)
}

pub(crate) fn authorize(
    c: &Connection,
    followee: Id,
    follower: Id,
    follow_id: Id,
    at: Timestamp,
    homes: Homes,
) -> StoreResult<Change> {
    if !take(c, follower, followee)? {
        return Err(StoreError::NotFound);
    }
    events::append(
        c,
        event::follow_request_ended(EventKind::FollowRequestAuthorized, followee, follower, followee, at),
    )?;
    accounts::make_follow(c, follower, followee, follow_id, homes, true)
}

pub(crate) fn reject(c: &Connection, followee: Id, follower: Id, actor: Id, at: Timestamp) -> StoreResult<Change> {
    if !take(c, follower, followee)? {
        return Ok(Change::Unchanged);
    }
    events::append(c, event::follow_request_ended(EventKind::FollowRequestRejected, actor, follower, followee, at))?;
    Ok(Change::Made)
}

pub(crate) fn list(c: &Connection, followee: Id, req: PageRequest) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::new("SELECT r.id, r.account_id FROM follow_requests r WHERE r.target_id = ");
    qb.push_bind(followee.0);
    page::push_bounds(&mut qb, "r.id", &req);
    let pairs = page::fetch_pairs(c, qb)?;
    page::accounts(c, &req, pairs)
}
