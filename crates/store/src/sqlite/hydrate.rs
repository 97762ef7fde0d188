//! Turning ids into complete `Account`s and `Status`es in a fixed number of queries, whatever
//! the number of ids: timelines are the hottest reads, so no query runs per status.
//!
//! A page of statuses costs at most six queries: the status rows (with their application),
//! the reblogged originals not already among them, then the authors, mentions and tags of all
//! of them at once. A page of notifications adds one for the accounts they are from.

use std::collections::{HashMap, HashSet};

use sqlx::SqliteConnection;
use starling_core::model::{Account, MentionRef, Status};
use starling_core::notify::Notification;
use starling_core::{Id, StoreResult};

use super::{Db, id_list};
use crate::rows::{AccountRow, NotificationRow, StatusRow, account_columns, status_columns};

pub(crate) async fn accounts_by_ids(c: &mut SqliteConnection, ids: &[i64]) -> StoreResult<HashMap<i64, Account>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    const SQL: &str =
        concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.id IN (SELECT value FROM json_each(?))");
    let rows: Vec<AccountRow> = sqlx::query_as(SQL).bind(id_list(ids.iter().copied())).fetch_all(&mut *c).await.db()?;
    rows.into_iter().map(|r| Ok((r.id, Account::try_from(r)?))).collect()
}

/// The accounts among `ids`, in the order of `ids`, skipping missing ones.
pub(crate) async fn accounts_in_order(c: &mut SqliteConnection, ids: &[i64]) -> StoreResult<Vec<Account>> {
    let found = accounts_by_ids(c, ids).await?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

async fn status_rows(c: &mut SqliteConnection, ids: &[i64]) -> StoreResult<Vec<StatusRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    const SQL: &str = concat!(
        "SELECT ",
        status_columns!(),
        " FROM statuses s LEFT JOIN apps p ON p.id = s.app_id WHERE s.id IN (SELECT value FROM json_each(?))"
    );
    sqlx::query_as(SQL).bind(id_list(ids.iter().copied())).fetch_all(&mut *c).await.db()
}

/// `(status_id, account_id, username)` of every mention of `ids`, in mention order.
async fn mentions_of(c: &mut SqliteConnection, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<MentionRef>>> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT m.status_id, m.account_id, a.username FROM mentions m JOIN accounts a ON a.id = m.account_id \
         WHERE m.status_id IN (SELECT value FROM json_each(?)) ORDER BY m.status_id, m.position",
    )
    .bind(id_list(ids.iter().copied()))
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out: HashMap<i64, Vec<MentionRef>> = HashMap::new();
    for (status, account, username) in rows {
        out.entry(status).or_default().push(MentionRef { id: Id(account), username });
    }
    Ok(out)
}

async fn tags_of(c: &mut SqliteConnection, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<String>>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT status_id, tag FROM status_tags WHERE status_id IN (SELECT value FROM json_each(?)) \
         ORDER BY status_id, position",
    )
    .bind(id_list(ids.iter().copied()))
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for (status, tag) in rows {
        out.entry(status).or_default().push(tag);
    }
    Ok(out)
}

/// The statuses among `ids` that exist, fully hydrated, keyed by id.
pub(crate) async fn statuses_by_ids(c: &mut SqliteConnection, ids: &[i64]) -> StoreResult<HashMap<i64, Status>> {
    let mut rows = status_rows(c, ids).await?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let requested: HashSet<i64> = rows.iter().map(|r| r.id).collect();
    let originals: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.reblog_of_id)
        .filter(|id| !requested.contains(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    rows.extend(status_rows(c, &originals).await?);

    let all: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let authors: Vec<i64> = rows.iter().map(|r| r.account_id).collect::<HashSet<_>>().into_iter().collect();
    let accounts = accounts_by_ids(c, &authors).await?;
    let mut mentions = mentions_of(c, &all).await?;
    let mut tags = tags_of(c, &all).await?;

    // Every status on its own first, then each reblog gets a copy of its original.
    let mut reblog_of: Vec<(i64, i64)> = Vec::new();
    let mut plain: HashMap<i64, Status> = HashMap::with_capacity(rows.len());
    for row in rows {
        let Some(account) = accounts.get(&row.account_id).cloned() else { continue };
        if let Some(original) = row.reblog_of_id {
            reblog_of.push((row.id, original));
        }
        let id = row.id;
        let mut status = row.into_status(account)?;
        status.mentions = mentions.remove(&id).unwrap_or_default();
        status.tags = tags.remove(&id).unwrap_or_default();
        plain.insert(id, status);
    }
    for (reblog, original) in reblog_of {
        match plain.get(&original).cloned() {
            Some(o) => {
                if let Some(r) = plain.get_mut(&reblog) {
                    r.reblog = Some(Box::new(o));
                }
            }
            // A reblog whose original is gone is not shown (the foreign key makes this moot).
            None => {
                plain.remove(&reblog);
            }
        }
    }
    plain.retain(|id, _| requested.contains(id));
    Ok(plain)
}

/// The statuses among `ids`, in the order of `ids`, skipping missing ones.
pub(crate) async fn statuses_in_order(c: &mut SqliteConnection, ids: &[i64]) -> StoreResult<Vec<Status>> {
    let found = statuses_by_ids(c, ids).await?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

pub(crate) async fn status(c: &mut SqliteConnection, id: i64) -> StoreResult<Status> {
    statuses_by_ids(c, &[id]).await?.remove(&id).ok_or(starling_core::StoreError::NotFound)
}

pub(crate) async fn account(c: &mut SqliteConnection, id: i64) -> StoreResult<Account> {
    accounts_by_ids(c, &[id]).await?.remove(&id).ok_or(starling_core::StoreError::NotFound)
}

/// What to do with a notification about a status that no longer exists. Lists skip it: the
/// `status.deleted` event that retracts it has not been applied yet, and will be soon.
/// A notification asked for by id, or just stored, is shown without its status.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum GoneStatus {
    Skip,
    ShowWithout,
}

/// The notifications of `rows`, in the order of `rows`, with the accounts they are from and the
/// statuses they are about. A row whose account is missing is skipped: accounts are never
/// deleted today, but the table has no foreign keys (it is a projection of the log), so a
/// backend that deletes accounts must not fail here.
pub(crate) async fn notifications(
    c: &mut SqliteConnection,
    rows: Vec<NotificationRow>,
    gone: GoneStatus,
) -> StoreResult<Vec<Notification>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let from: Vec<i64> = rows.iter().map(|r| r.from_account_id).collect::<HashSet<_>>().into_iter().collect();
    let about: Vec<i64> = rows.iter().filter_map(|r| r.status_id).collect::<HashSet<_>>().into_iter().collect();
    let accounts = accounts_by_ids(c, &from).await?;
    let statuses = statuses_by_ids(c, &about).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(from_account) = accounts.get(&row.from_account_id).cloned() else { continue };
        let status = match row.status_id.map(|id| statuses.get(&id)) {
            None => None,
            Some(Some(status)) => Some(status.clone()),
            Some(None) if gone == GoneStatus::ShowWithout => None,
            Some(None) => continue,
        };
        out.push(row.into_notification(from_account, status)?);
    }
    Ok(out)
}
