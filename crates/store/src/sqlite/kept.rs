//! What an account keeps of statuses: bookmarks (private) and pins (on the author's profile).
//! Each change appends its event; neither moves a counter.

use rusqlite::{Connection, params};
use starling_core::event::{self, EventKind};
use starling_core::model::{Change, Status, Timestamp};
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreResult};

use super::{QueryBuilder, Sql, events, hydrate, page};

pub(crate) fn bookmark(c: &Connection, account: Id, status: Id, bookmark_id: Id, at: Timestamp) -> StoreResult<Change> {
    hydrate::status(c, status.0)?;
    let inserted = c.run(
        "INSERT INTO bookmarks (account_id, status_id, id, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (account_id, status_id) DO NOTHING",
        params![account.0, status.0, bookmark_id.0, at.0],
    )?;
    changed(c, inserted, EventKind::Bookmarked, account, status, at)
}

pub(crate) fn unbookmark(c: &Connection, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
    hydrate::status(c, status.0)?;
    let deleted =
        c.run("DELETE FROM bookmarks WHERE account_id = ? AND status_id = ?", params![account.0, status.0])?;
    changed(c, deleted, EventKind::Unbookmarked, account, status, at)
}

pub(crate) fn bookmarks(c: &Connection, account: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let mut qb = QueryBuilder::new("SELECT b.id, b.status_id FROM bookmarks b WHERE b.account_id = ");
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "b.id", &req);
    let pairs = page::fetch_pairs(c, qb)?;
    page::statuses(c, &req, pairs)
}

pub(crate) fn pin(c: &Connection, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
    hydrate::status(c, status.0)?;
    let inserted = c.run(
        "INSERT INTO pins (account_id, status_id, created_at) VALUES (?, ?, ?) \
         ON CONFLICT (account_id, status_id) DO NOTHING",
        params![account.0, status.0, at.0],
    )?;
    changed(c, inserted, EventKind::Pinned, account, status, at)
}

pub(crate) fn unpin(c: &Connection, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
    hydrate::status(c, status.0)?;
    let deleted = c.run("DELETE FROM pins WHERE account_id = ? AND status_id = ?", params![account.0, status.0])?;
    changed(c, deleted, EventKind::Unpinned, account, status, at)
}

pub(crate) fn pinned(c: &Connection, account: Id) -> StoreResult<Vec<Status>> {
    let ids: Vec<i64> = c.all(
        "SELECT status_id FROM pins WHERE account_id = ? ORDER BY created_at DESC, status_id DESC",
        params![account.0],
    )?;
    hydrate::statuses_in_order(c, &ids)
}

/// The ids among `ids` that `viewer` bookmarked, and those of them pinned by `viewer`.
pub(crate) fn flags(c: &Connection, viewer: Id, list: &str) -> StoreResult<(Vec<i64>, Vec<i64>)> {
    let bookmarked = c.all(
        "SELECT status_id FROM bookmarks WHERE account_id = ? AND status_id IN (SELECT value FROM json_each(?))",
        params![viewer.0, list],
    )?;
    let pinned = c.all(
        "SELECT status_id FROM pins WHERE account_id = ? AND status_id IN (SELECT value FROM json_each(?))",
        params![viewer.0, list],
    )?;
    Ok((bookmarked, pinned))
}

fn changed(
    c: &Connection,
    rows: usize,
    kind: EventKind,
    account: Id,
    status: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    if rows == 0 {
        return Ok(Change::Unchanged);
    }
    events::append(c, event::kept(kind, account, status, at))?;
    Ok(Change::Made)
}
