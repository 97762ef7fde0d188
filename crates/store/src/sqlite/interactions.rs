//! Favourites and reblogs: the rows, the counters they move, and the lists they page through.

use std::collections::HashSet;

use rusqlite::{Connection, params};
use starling_core::event;
use starling_core::model::*;
use starling_core::page::{Page, PageRequest};
use starling_core::store::ViewerFlags;
use starling_core::{Id, StoreResult};

use super::statuses::{counts, move_statuses_count};
use super::{QueryBuilder, Sql, events, home, hydrate, id_list, page};
use crate::Homes;

fn author_of(c: &Connection, status: Id) -> StoreResult<i64> {
    c.one("SELECT account_id FROM statuses WHERE id = ?", params![status.0])
}

fn move_favourites_count(c: &Connection, status: Id, by: i64) -> StoreResult<()> {
    c.run("UPDATE statuses SET favourites_count = favourites_count + ? WHERE id = ?", params![by, status.0])?;
    Ok(())
}

pub(crate) fn favourite(
    c: &Connection,
    account: Id,
    status: Id,
    favourite_id: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    let author = author_of(c, status)?;
    let inserted = c.run(
        "INSERT INTO favourites (account_id, status_id, id, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (account_id, status_id) DO NOTHING",
        params![account.0, status.0, favourite_id.0, at.0],
    )?;
    if inserted == 0 {
        return Ok(Change::Unchanged);
    }
    move_favourites_count(c, status, 1)?;
    events::append(c, event::favourited(account, status, Id(author), at))?;
    Ok(Change::Made)
}

pub(crate) fn unfavourite(c: &Connection, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
    let author = author_of(c, status)?;
    let deleted =
        c.run("DELETE FROM favourites WHERE account_id = ? AND status_id = ?", params![account.0, status.0])?;
    if deleted == 0 {
        return Ok(Change::Unchanged);
    }
    move_favourites_count(c, status, -1)?;
    events::append(c, event::unfavourited(account, status, Id(author), at))?;
    Ok(Change::Made)
}

fn existing_reblog(c: &Connection, account: Id, original: i64) -> StoreResult<Option<i64>> {
    c.optional("SELECT id FROM statuses WHERE reblog_of_id = ? AND account_id = ?", params![original, account.0])
}

pub(crate) fn reblog(
    c: &Connection,
    account: Id,
    original: Id,
    reblog_id: Id,
    visibility: Visibility,
    at: Timestamp,
    homes: Homes,
) -> StoreResult<Status> {
    // Reblogging a reblog reblogs its original: a reblog is always one level deep.
    let (_, reblog_of): (i64, Option<i64>) =
        c.one("SELECT account_id, reblog_of_id FROM statuses WHERE id = ?", params![original.0])?;
    let original = reblog_of.unwrap_or(original.0);
    if let Some(existing) = existing_reblog(c, account, original)? {
        return hydrate::status(c, existing);
    }
    c.run(
        "INSERT INTO statuses (id, account_id, reblog_of_id, visibility, created_at) VALUES (?, ?, ?, ?, ?)",
        params![reblog_id.0, account.0, original, visibility.as_str(), at.0],
    )?;
    c.run("UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?", params![original])?;
    if counts(visibility) {
        move_statuses_count(c, account.0, 1, at)?;
    }
    if homes.materialised() {
        home::fan_out(c, reblog_id, homes.threshold)?;
    }
    let status = hydrate::status(c, reblog_id.0)?;
    events::append(c, event::reblogged(&status))?;
    Ok(status)
}

pub(crate) fn unreblog(c: &Connection, account: Id, original: Id, at: Timestamp) -> StoreResult<Change> {
    let Some(reblog_id) = existing_reblog(c, account, original.0)? else {
        return Ok(Change::Unchanged);
    };
    // Its home timeline entries go with it (`ON DELETE CASCADE`).
    let visibility: String = c.one("DELETE FROM statuses WHERE id = ? RETURNING visibility", params![reblog_id])?;
    c.run("UPDATE statuses SET reblogs_count = reblogs_count - 1 WHERE id = ?", params![original.0])?;
    if counts(crate::rows::visibility(&visibility)?) {
        move_statuses_count(c, account.0, -1, at)?;
    }
    events::append(c, event::unreblogged(account, original, Id(reblog_id), at))?;
    Ok(Change::Made)
}

pub(crate) fn favourited_by(c: &Connection, status: Id, req: PageRequest) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::new("SELECT f.id, f.account_id FROM favourites f WHERE f.status_id = ");
    qb.push_bind(status.0);
    page::push_bounds(&mut qb, "f.id", &req);
    let pairs = page::fetch_pairs(c, qb)?;
    page::accounts(c, &req, pairs)
}

pub(crate) fn reblogged_by(c: &Connection, status: Id, req: PageRequest) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::new("SELECT s.id, s.account_id FROM statuses s WHERE s.reblog_of_id = ");
    qb.push_bind(status.0);
    page::push_bounds(&mut qb, "s.id", &req);
    let pairs = page::fetch_pairs(c, qb)?;
    page::accounts(c, &req, pairs)
}

pub(crate) fn favourites(c: &Connection, account: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let mut qb = QueryBuilder::new("SELECT f.id, f.status_id FROM favourites f WHERE f.account_id = ");
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "f.id", &req);
    let pairs = page::fetch_pairs(c, qb)?;
    page::statuses(c, &req, pairs)
}

pub(crate) fn viewer_flags(c: &Connection, viewer: Id, ids: &[Id]) -> StoreResult<ViewerFlags> {
    if ids.is_empty() {
        return Ok(ViewerFlags::default());
    }
    let list = id_list(ids.iter().map(|id| id.0));
    let favourited: HashSet<i64> = c
        .all(
            "SELECT status_id FROM favourites WHERE account_id = ? AND status_id IN (SELECT value FROM json_each(?))",
            params![viewer.0, &list],
        )?
        .into_iter()
        .collect();
    let reblogged: HashSet<i64> = c.all("SELECT reblog_of_id FROM statuses WHERE account_id = ? AND reblog_of_id IN (SELECT value FROM json_each(?))", params![viewer.0, &list])?
    .into_iter()
    .collect();
    // In the order of `ids`, each once.
    let ordered = |set: &HashSet<i64>| {
        let mut seen = HashSet::new();
        ids.iter().copied().filter(|id| set.contains(&id.0) && seen.insert(*id)).collect()
    };
    let (bookmarked, pinned) = super::kept::flags(c, viewer, &list)?;
    let (bookmarked, pinned): (HashSet<i64>, HashSet<i64>) =
        (bookmarked.into_iter().collect(), pinned.into_iter().collect());
    Ok(ViewerFlags {
        favourited: ordered(&favourited),
        reblogged: ordered(&reblogged),
        bookmarked: ordered(&bookmarked),
        pinned: ordered(&pinned),
    })
}
