//! Favourites and reblogs: the rows, the counters they move, and the lists they page through.

use std::collections::HashSet;

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::event;
use starling_core::model::*;
use starling_core::page::{Page, PageRequest};
use starling_core::store::ViewerFlags;
use starling_core::{Id, StoreError, StoreResult};

use super::statuses::{counts, move_statuses_count};
use super::{Db, events, home, hydrate, page};
use crate::Homes;

async fn author_of(c: &mut PgConnection, status: Id) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT account_id FROM statuses WHERE id = $1").bind(status.0).fetch_one(&mut *c).await.db()
}

async fn move_favourites_count(c: &mut PgConnection, status: Id, by: i64) -> StoreResult<()> {
    sqlx::query("UPDATE statuses SET favourites_count = favourites_count + $1 WHERE id = $2")
        .bind(by)
        .bind(status.0)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn favourite(
    c: &mut PgConnection,
    account: Id,
    status: Id,
    favourite_id: Id,
    at: Timestamp,
) -> StoreResult<Change> {
    let author = author_of(c, status).await?;
    let inserted = sqlx::query(
        "INSERT INTO favourites (account_id, status_id, id, created_at) VALUES ($1, $2, $3, $4) \
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

pub(crate) async fn unfavourite(c: &mut PgConnection, account: Id, status: Id, at: Timestamp) -> StoreResult<Change> {
    let author = author_of(c, status).await?;
    let deleted = sqlx::query("DELETE FROM favourites WHERE account_id = $1 AND status_id = $2")
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

async fn existing_reblog(c: &mut PgConnection, account: Id, original: i64) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT status_id FROM reblogs WHERE reblog_of_id = $1 AND account_id = $2")
        .bind(original)
        .bind(account.0)
        .fetch_optional(&mut *c)
        .await
        .db()
}

pub(crate) async fn reblog(
    c: &mut PgConnection,
    account: Id,
    original: Id,
    reblog_id: Id,
    visibility: Visibility,
    at: Timestamp,
    homes: Homes,
) -> StoreResult<Status> {
    // Reblogging a reblog reblogs its original: a reblog is always one level deep.
    let (author, reblog_of): (i64, Option<i64>) =
        sqlx::query_as("SELECT account_id, reblog_of_id FROM statuses WHERE id = $1")
            .bind(original.0)
            .fetch_one(&mut *c)
            .await
            .db()?;
    let (original, original_author) = match reblog_of {
        Some(id) => (id, author_of(c, Id(id)).await?),
        None => (original.0, author),
    };
    // Before any row is written (see `home::lock`): who sees the reblog depends on the
    // reblogger's followers and on who follows the original's author.
    home::lock(c, &[], &[account.0, original_author]).await?;
    if let Some(existing) = existing_reblog(c, account, original).await? {
        return hydrate::status(c, existing).await;
    }
    // A concurrent reblog of the same original by the same account may have claimed its row
    // since the check above: this insert then waits for it, and returns it once it commits.
    // (The claim lives in `reblogs` because `statuses` is partitioned and cannot hold a unique
    // index without its partition key; its foreign key is checked at commit, once the status
    // below exists.)
    let claimed = sqlx::query(
        "INSERT INTO reblogs (reblog_of_id, account_id, status_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(original)
    .bind(account.0)
    .bind(reblog_id.0)
    .execute(&mut *c)
    .await
    .db()?;
    if claimed.rows_affected() == 0 {
        let existing = existing_reblog(c, account, original).await?.ok_or(StoreError::NotFound)?;
        return hydrate::status(c, existing).await;
    }
    sqlx::query(
        "INSERT INTO statuses (id, account_id, reblog_of_id, visibility, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(reblog_id.0)
    .bind(account.0)
    .bind(original)
    .bind(visibility.as_str())
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    sqlx::query("UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = $1")
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

pub(crate) async fn unreblog(c: &mut PgConnection, account: Id, original: Id, at: Timestamp) -> StoreResult<Change> {
    let Some(reblog_id) = existing_reblog(c, account, original.0).await? else {
        return Ok(Change::Unchanged);
    };
    // Its home timeline entries and its `reblogs` row go with it (`ON DELETE CASCADE`).
    let visibility: String = sqlx::query_scalar("DELETE FROM statuses WHERE id = $1 RETURNING visibility")
        .bind(reblog_id)
        .fetch_one(&mut *c)
        .await
        .db()?;
    sqlx::query("UPDATE statuses SET reblogs_count = reblogs_count - 1 WHERE id = $1")
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

pub(crate) async fn favourited_by(c: &mut PgConnection, status: Id, req: PageRequest) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT f.id, f.account_id FROM favourites f WHERE f.status_id = ");
    qb.push_bind(status.0);
    page::push_bounds(&mut qb, "f.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::accounts(c, &req, pairs).await
}

pub(crate) async fn reblogged_by(c: &mut PgConnection, status: Id, req: PageRequest) -> StoreResult<Page<Account>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT s.id, s.account_id FROM statuses s WHERE s.reblog_of_id = ");
    qb.push_bind(status.0);
    page::push_bounds(&mut qb, "s.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::accounts(c, &req, pairs).await
}

pub(crate) async fn favourites(c: &mut PgConnection, account: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT f.id, f.status_id FROM favourites f WHERE f.account_id = ");
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "f.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::statuses(c, &req, pairs).await
}

pub(crate) async fn viewer_flags(c: &mut PgConnection, viewer: Id, ids: &[Id]) -> StoreResult<ViewerFlags> {
    if ids.is_empty() {
        return Ok(ViewerFlags::default());
    }
    let list: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let favourited: HashSet<i64> =
        sqlx::query_scalar("SELECT status_id FROM favourites WHERE account_id = $1 AND status_id = ANY($2)")
            .bind(viewer.0)
            .bind(&list)
            .fetch_all(&mut *c)
            .await
            .db()?
            .into_iter()
            .collect();
    let reblogged: HashSet<i64> =
        sqlx::query_scalar("SELECT reblog_of_id FROM statuses WHERE account_id = $1 AND reblog_of_id = ANY($2)")
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
    let (bookmarked, pinned) = super::kept::flags(c, viewer, &list).await?;
    let (bookmarked, pinned): (HashSet<i64>, HashSet<i64>) =
        (bookmarked.into_iter().collect(), pinned.into_iter().collect());
    Ok(ViewerFlags {
        favourited: ordered(&favourited),
        reblogged: ordered(&reblogged),
        bookmarked: ordered(&bookmarked),
        pinned: ordered(&pinned),
    })
}
