//! Turning ids into complete `Account`s and `Status`es in a fixed number of queries, whatever
//! the number of ids: timelines are the hottest reads, so no query runs per status.
//!
//! A page of statuses costs at most seven queries: the status rows (with their application),
//! the reblogged originals and the quoted statuses not already among them, then the authors,
//! mentions and tags of all of them at once. A page of notifications adds one for the accounts they are from.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, params};
use starling_core::model::{Account, MentionRef, Status};
use starling_core::notify::Notification;
use starling_core::{Id, StoreResult};

use super::{Sql, id_list, media};
use crate::assemble;
pub(crate) use crate::assemble::GoneStatus;
use crate::extensions::Owner;
use crate::rows::{AccountRow, NotificationRow, StatusRow, account_columns, status_columns};

pub(crate) fn accounts_by_ids(c: &Connection, ids: &[i64]) -> StoreResult<HashMap<i64, Account>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    const SQL: &str =
        concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.id IN (SELECT value FROM json_each(?))");
    let rows: Vec<AccountRow> = c.all(SQL, params![id_list(ids.iter().copied())])?;
    rows.into_iter().map(|r| Ok((r.id, Account::try_from(r)?))).collect()
}

/// The accounts among `ids`, in the order of `ids`, skipping missing ones.
pub(crate) fn accounts_in_order(c: &Connection, ids: &[i64]) -> StoreResult<Vec<Account>> {
    let found = accounts_by_ids(c, ids)?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

fn status_rows(c: &Connection, ids: &[i64]) -> StoreResult<Vec<StatusRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    const SQL: &str = concat!(
        "SELECT ",
        status_columns!(),
        " FROM statuses s LEFT JOIN apps p ON p.id = s.app_id WHERE s.id IN (SELECT value FROM json_each(?))"
    );
    c.all(SQL, params![id_list(ids.iter().copied())])
}

/// `(status_id, account_id, username)` of every mention of `ids`, in mention order.
fn mentions_of(c: &Connection, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<MentionRef>>> {
    let rows: Vec<(i64, i64, String)> = c.all(
        "SELECT m.status_id, m.account_id, a.username FROM mentions m JOIN accounts a ON a.id = m.account_id \
         WHERE m.status_id IN (SELECT value FROM json_each(?)) ORDER BY m.status_id, m.position",
        params![id_list(ids.iter().copied())],
    )?;
    let mut out: HashMap<i64, Vec<MentionRef>> = HashMap::new();
    for (status, account, username) in rows {
        out.entry(status).or_default().push(MentionRef { id: Id(account), username });
    }
    Ok(out)
}

fn tags_of(c: &Connection, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<String>>> {
    let rows: Vec<(i64, String)> = c.all(
        "SELECT status_id, tag FROM status_tags WHERE status_id IN (SELECT value FROM json_each(?)) \
         ORDER BY status_id, position",
        params![id_list(ids.iter().copied())],
    )?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for (status, tag) in rows {
        out.entry(status).or_default().push(tag);
    }
    Ok(out)
}

/// The statuses among `ids` that exist, fully hydrated, keyed by id.
pub(crate) fn statuses_by_ids(c: &Connection, ids: &[i64]) -> StoreResult<HashMap<i64, Status>> {
    let mut rows = status_rows(c, ids)?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let requested: HashSet<i64> = rows.iter().map(|r| r.id).collect();
    let originals = assemble::missing_originals(&rows);
    rows.extend(status_rows(c, &originals)?);
    let quoted = assemble::missing_quoted(&rows);
    rows.extend(status_rows(c, &quoted)?);
    let all: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let accounts = accounts_by_ids(c, &assemble::distinct(rows.iter().map(|r| r.account_id)))?;
    let mentions = mentions_of(c, &all)?;
    let tags = tags_of(c, &all)?;
    // Only the statuses that have media ask for them.
    let with_media: Vec<i64> = rows.iter().filter(|r| r.has_media).map(|r| r.id).collect();
    let media = media::of(c, Owner::Status, &with_media)?;
    assemble::statuses(rows, &requested, &accounts, mentions, tags, media)
}

/// The statuses among `ids`, in the order of `ids`, skipping missing ones.
pub(crate) fn statuses_in_order(c: &Connection, ids: &[i64]) -> StoreResult<Vec<Status>> {
    let found = statuses_by_ids(c, ids)?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

pub(crate) fn status(c: &Connection, id: i64) -> StoreResult<Status> {
    statuses_by_ids(c, &[id])?.remove(&id).ok_or(starling_core::StoreError::NotFound)
}

pub(crate) fn account(c: &Connection, id: i64) -> StoreResult<Account> {
    accounts_by_ids(c, &[id])?.remove(&id).ok_or(starling_core::StoreError::NotFound)
}

/// The notifications of `rows`, in the order of `rows`, with the accounts they are from and the
/// statuses they are about (see [`assemble::notifications`]).
pub(crate) fn notifications(
    c: &Connection,
    rows: Vec<NotificationRow>,
    gone: GoneStatus,
) -> StoreResult<Vec<Notification>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let accounts = accounts_by_ids(c, &assemble::distinct(rows.iter().map(|r| r.from_account_id)))?;
    let statuses = statuses_by_ids(c, &assemble::distinct(rows.iter().filter_map(|r| r.status_id)))?;
    assemble::notifications(rows, &accounts, &statuses, gone)
}
