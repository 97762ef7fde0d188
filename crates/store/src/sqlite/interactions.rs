//! Favourites and reblogs: the rows, the counters they move, and the lists they page through.

use std::collections::HashSet;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use starling_core::event;
use starling_core::model::*;
use starling_core::page::{Page, PageRequest};
use starling_core::store::ViewerFlags;
use starling_core::{Id, StoreResult};

use super::statuses::{counts, move_statuses_count};
use super::{Db, events, home, hydrate, id_list, page};
use crate::Homes;

async fn author_of(c: &mut SqliteConnection, status: Id) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT account_id FROM statuses WHERE id = ?").bind(status.0).fetch_one(&mut *c).await.db()
}

async fn move_favourites_count(c: &mut SqliteConnection, status: Id, by: i64) -> StoreResult<()> {
    sqlx::query("UPDATE statuses SET favourites_count = favourites_count + ? WHERE id = ?")
        .bind(by)
        .bind(status.0)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn favourite(
    c: &mut SqliteConnection,
    account: Id,
    status: Id,
    favourite_id: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    let author = author_of(c, status).await?;
    let inserted = sqlx::query(
        "INSERT INTO favourites (account_id, status_id, id, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (account_id, status_id) DO NOTHING",
    )
    .bind(account.0)
    .bind(status.0)
    .bind(favourite_id.0)
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    if inserted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    move_favourites_count(c, status, 1).await?;
    events::append(c, event::favourited(account, status, Id(author), at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn unfavourite(
    c: &mut SqliteConnection,
    account: Id,
    status: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    let author = author_of(c, status).await?;
    let deleted = sqlx::query("DELETE FROM favourites WHERE account_id = ? AND status_id = ?")
        .bind(account.0)
        .bind(status.0)
        .execute(&mut *c)
        .await
        .db()?;
    if deleted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    move_favourites_count(c, status, -1).await?;
    events::append(c, event::unfavourited(account, status, Id(author), at)).await?;
    Ok(Change::Made)
}

async fn existing_reblog(c: &mut SqliteConnection, account: Id, original: i64) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM statuses WHERE reblog_of_id = ? AND account_id = ?")
        .bind(original)
        .bind(account.0)
        .fetch_optional(&mut *c)
        .await
        .db()
}

pub(crate) async fn reblog(
    c: &mut SqliteConnection,
    account: Id,
    original: Id,
    reblog_id: Id,
    visibility: Visibility,
    at: Timestamp,
    homes: Homes,
) -> StoreResult<Status> {
    // Reblogging a reblog reblogs its original: a reblog is always one level deep.
    let (_, reblog_of): (i64, Option<i64>) =
        sqlx::query_as("SELECT account_id, reblog_of_id FROM statuses WHERE id = ?")
            .bind(original.0)
            .fetch_one(&mut *c)
            .await
            .db()?;
    let original = reblog_of.unwrap_or(original.0);
    if let Some(existing) = existing_reblog(c, account, original).await? {
        return hydrate::status(c, existing).await;
    }
    sqlx::query("INSERT INTO statuses (id, account_id, reblog_of_id, visibility, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(reblog_id.0)
        .bind(account.0)
        .bind(original)
        .bind(visibility.as_str())
        .bind(at.0)
        .execute(&mut *c)
        .await
        .db()?;
    sqlx::query("UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?")
        .bind(original)
        .execute(&mut *c)
        .await
        .db()?;
    if counts(visibility) {
        move_statuses_count(c, account.0, 1, at).await?;
    }
    if homes.materialised() {
        home::fan_out(c, reblog_id, homes.threshold).await?;
    }
    let status = hydrate::status(c, reblog_id.0).await?;
    events::append(c, event::reblogged(&status)).await?;
    Ok(status)
}

pub(crate) async fn unreblog(
    c: &mut SqliteConnection,
    account: Id,
    original: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    let Some(reblog_id) = existing_reblog(c, account, original.0).await? else {
        return Ok(Change::Unchanged);
    };
    // Its home timeline entries go with it (`ON DELETE CASCADE`).
    let visibility: String = sqlx::query_scalar("DELETE FROM statuses WHERE id = ? RETURNING visibility")
        .bind(reblog_id)
        .fetch_one(&mut *c)
        .await
        .db()?;
    sqlx::query("UPDATE statuses SET reblogs_count = reblogs_count - 1 WHERE id = ?")
        .bind(original.0)
        .execute(&mut *c)
        .await
        .db()?;
    if counts(crate::rows::visibility(&visibility)?) {
        move_statuses_count(c, account.0, -1, at).await?;
    }
    events::append(c, event::unreblogged(account, original, Id(reblog_id), at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn favourited_by(
    c: &mut SqliteConnection,
    status: Id,
    req: PageRequest,
) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT f.id, f.account_id FROM favourites f WHERE f.status_id = ");
    qb.push_bind(status.0);
    page::push_bounds(&mut qb, "f.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::accounts(c, &req, pairs).await
}

pub(crate) async fn reblogged_by(c: &mut SqliteConnection, status: Id, req: PageRequest) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT s.id, s.account_id FROM statuses s WHERE s.reblog_of_id = ");
    qb.push_bind(status.0);
    page::push_bounds(&mut qb, "s.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::accounts(c, &req, pairs).await
}

pub(crate) async fn favourites(c: &mut SqliteConnection, account: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT f.id, f.status_id FROM favourites f WHERE f.account_id = ");
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "f.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::statuses(c, &req, pairs).await
}

pub(crate) async fn viewer_flags(c: &mut SqliteConnection, viewer: Id, ids: &[Id]) -> StoreResult<ViewerFlags> {
    if ids.is_empty() {
        return Ok(ViewerFlags::default());
    }
    let list = id_list(ids.iter().map(|id| id.0));
    let favourited: HashSet<i64> = sqlx::query_scalar(
        "SELECT status_id FROM favourites WHERE account_id = ? AND status_id IN (SELECT value FROM json_each(?))",
    )
    .bind(viewer.0)
    .bind(&list)
    .fetch_all(&mut *c)
    .await
    .db()?
    .into_iter()
    .collect();
    let reblogged: HashSet<i64> = sqlx::query_scalar(
        "SELECT reblog_of_id FROM statuses WHERE account_id = ? AND reblog_of_id IN (SELECT value FROM json_each(?))",
    )
    .bind(viewer.0)
    .bind(&list)
    .fetch_all(&mut *c)
    .await
    .db()?
    .into_iter()
    .collect();
    // In the order of `ids`, each once.
    let ordered = |set: &HashSet<i64>| {
        let mut seen = HashSet::new();
        ids.iter().copied().filter(|id| set.contains(&id.0) && seen.insert(*id)).collect()
    };
    Ok(ViewerFlags { favourited: ordered(&favourited), reblogged: ordered(&reblogged) })
}
