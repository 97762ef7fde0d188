//! Followed hashtags: which tags an account follows. What following one puts into the home
//! timeline is the home rule's business (`home::tag_followed`, `home::tag_unfollowed`).

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::model::Change;
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreResult, event};

use super::{Db, events, home, page};
use crate::Homes;

/// Follows `tag` (already normalised) and appends `tag.followed`, unless already following.
pub(crate) async fn follow_tag(
    c: &mut PgConnection,
    account: Id,
    tag: &str,
    id: Id,
    homes: Homes,
) -> StoreResult<Change> {
    let at = Timestamp::now();
    lock(c, account, tag, homes).await?;
    let inserted = sqlx::query(
        "INSERT INTO tag_follows (account_id, tag, id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, tag) DO NOTHING",
    )
    .bind(account.0)
    .bind(tag)
    .bind(id.0)
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    if inserted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    if homes.materialised() {
        home::tag_followed(c, account, tag).await?;
    }
    events::append(c, event::tag_followed(account, tag, at)).await?;
    Ok(Change::Made)
}

pub(crate) async fn unfollow_tag(c: &mut PgConnection, account: Id, tag: &str, homes: Homes) -> StoreResult<Change> {
    lock(c, account, tag, homes).await?;
    let deleted = sqlx::query("DELETE FROM tag_follows WHERE account_id = $1 AND tag = $2")
        .bind(account.0)
        .bind(tag)
        .execute(&mut *c)
        .await
        .db()?;
    if deleted.rows_affected() == 0 {
        return Ok(Change::Unchanged);
    }
    if homes.materialised() {
        home::tag_unfollowed(c, account, tag).await?;
    }
    events::append(c, event::tag_unfollowed(account, tag, Timestamp::now())).await?;
    Ok(Change::Made)
}

/// Before any row is written (see `home::lock`): the account's home against a concurrent
/// follow (which reads its followed tags), the tag against new statuses and edits carrying it.
async fn lock(c: &mut PgConnection, account: Id, tag: &str, homes: Homes) -> StoreResult<()> {
    if homes.materialised() {
        home::lock(c, &[account.0], &[]).await?;
        home::lock_tags(c, &[tag.to_owned()], &[]).await?;
    }
    Ok(())
}

/// The tags `account` follows, paged by when they were followed (newest first).
pub(crate) async fn followed_tags(c: &mut PgConnection, account: Id, req: PageRequest) -> StoreResult<Page<String>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT id, tag FROM tag_follows WHERE account_id = ");
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "id", &req);
    let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *c).await.db()?;
    Ok(Page::from_fetched(&req, rows.into_iter().map(|(id, tag)| (Id(id), tag)).collect()))
}

/// Those of `tags` that `account` follows, in the order of `tags`.
pub(crate) async fn following_tags(c: &mut PgConnection, account: Id, tags: &[String]) -> StoreResult<Vec<String>> {
    if tags.is_empty() {
        return Ok(Vec::new());
    }
    let followed: std::collections::HashSet<String> =
        sqlx::query_scalar("SELECT tag FROM tag_follows WHERE account_id = $1 AND tag = ANY($2)")
            .bind(account.0)
            .bind(tags)
            .fetch_all(&mut *c)
            .await
            .db()?
            .into_iter()
            .collect();
    Ok(tags.iter().filter(|t| followed.contains(*t)).cloned().collect())
}

pub(crate) async fn tag_follower_ids(c: &mut PgConnection, tags: &[String]) -> StoreResult<Vec<Id>> {
    if tags.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT account_id FROM tag_follows WHERE tag = ANY($1)")
        .bind(tags)
        .fetch_all(&mut *c)
        .await
        .db()?;
    Ok(ids.into_iter().map(Id).collect())
}
