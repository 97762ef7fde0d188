//! Turning ids into complete `Account`s and `Status`es in a fixed number of queries, whatever
//! the number of ids: timelines are the hottest reads, so no query runs per status.
//!
//! A page of statuses costs at most seven queries: the status rows (with their application),
//! the reblogged originals and the quoted statuses not already among them, then the authors,
//! mentions and tags of all of them at once. A page of notifications adds one for the accounts they are from.

use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use starling_core::model::{Account, MentionRef, Status};
use starling_core::notify::Notification;
use starling_core::{Id, StoreResult};

use super::{Db, media};
use crate::assemble;
pub(crate) use crate::assemble::GoneStatus;
use crate::extensions::Owner;
use crate::rows::{AccountRow, NotificationRow, StatusRow, account_columns, status_columns};

pub(crate) async fn accounts_by_ids(c: &mut PgConnection, ids: &[i64]) -> StoreResult<HashMap<i64, Account>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.id = ANY($1)");
    let rows: Vec<AccountRow> = sqlx::query_as(SQL).bind(ids).fetch_all(&mut *c).await.db()?;
    rows.into_iter().map(|r| Ok((r.id, Account::try_from(r)?))).collect()
}

/// The accounts among `ids`, in the order of `ids`, skipping missing ones.
pub(crate) async fn accounts_in_order(c: &mut PgConnection, ids: &[i64]) -> StoreResult<Vec<Account>> {
    let found = accounts_by_ids(c, ids).await?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

async fn status_rows(c: &mut PgConnection, ids: &[i64]) -> StoreResult<Vec<StatusRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    const SQL: &str = concat!(
        "SELECT ",
        status_columns!(),
        " FROM statuses s LEFT JOIN apps p ON p.id = s.app_id WHERE s.id = ANY($1)"
    );
    sqlx::query_as(SQL).bind(ids).fetch_all(&mut *c).await.db()
}

/// `(status_id, account_id, username)` of every mention of `ids`, in mention order.
async fn mentions_of(c: &mut PgConnection, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<MentionRef>>> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT m.status_id, m.account_id, a.username FROM mentions m JOIN accounts a ON a.id = m.account_id \
         WHERE m.status_id = ANY($1) ORDER BY m.status_id, m.position",
    )
    .bind(ids)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out: HashMap<i64, Vec<MentionRef>> = HashMap::new();
    for (status, account, username) in rows {
        out.entry(status).or_default().push(MentionRef { id: Id(account), username });
    }
    Ok(out)
}

async fn tags_of(c: &mut PgConnection, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<String>>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT status_id, tag FROM status_tags WHERE status_id = ANY($1) \
         ORDER BY status_id, position",
    )
    .bind(ids)
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
pub(crate) async fn statuses_by_ids(c: &mut PgConnection, ids: &[i64]) -> StoreResult<HashMap<i64, Status>> {
    let mut rows = status_rows(c, ids).await?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let requested: HashSet<i64> = rows.iter().map(|r| r.id).collect();
    let originals = assemble::missing_originals(&rows);
    rows.extend(status_rows(c, &originals).await?);
    let quoted = assemble::missing_quoted(&rows);
    rows.extend(status_rows(c, &quoted).await?);
    let all: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let accounts = accounts_by_ids(c, &assemble::distinct(rows.iter().map(|r| r.account_id))).await?;
    let mentions = mentions_of(c, &all).await?;
    let tags = tags_of(c, &all).await?;
    // Only the statuses that have media ask for them.
    let with_media: Vec<i64> = rows.iter().filter(|r| r.has_media).map(|r| r.id).collect();
    let media = media::of(c, Owner::Status, &with_media).await?;
    assemble::statuses(rows, &requested, &accounts, mentions, tags, media)
}

/// The statuses among `ids`, in the order of `ids`, skipping missing ones.
pub(crate) async fn statuses_in_order(c: &mut PgConnection, ids: &[i64]) -> StoreResult<Vec<Status>> {
    let found = statuses_by_ids(c, ids).await?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

pub(crate) async fn status(c: &mut PgConnection, id: i64) -> StoreResult<Status> {
    statuses_by_ids(c, &[id]).await?.remove(&id).ok_or(starling_core::StoreError::NotFound)
}

pub(crate) async fn account(c: &mut PgConnection, id: i64) -> StoreResult<Account> {
    accounts_by_ids(c, &[id]).await?.remove(&id).ok_or(starling_core::StoreError::NotFound)
}

/// The notifications of `rows`, in the order of `rows`, with the accounts they are from and the
/// statuses they are about (see [`assemble::notifications`]).
pub(crate) async fn notifications(
    c: &mut PgConnection,
    rows: Vec<NotificationRow>,
    gone: GoneStatus,
) -> StoreResult<Vec<Notification>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let accounts = accounts_by_ids(c, &assemble::distinct(rows.iter().map(|r| r.from_account_id))).await?;
    let statuses = statuses_by_ids(c, &assemble::distinct(rows.iter().filter_map(|r| r.status_id))).await?;
    assemble::notifications(rows, &accounts, &statuses, gone)
}
