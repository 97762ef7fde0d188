//! Stories with their views and reactions. Every read and write takes the current time and
//! treats a story past its expiry as gone, whether or not the sweeper has removed it yet.

use std::collections::HashSet;

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::story::{NewStory, Story, StoryChange, StoryView};
use starling_core::{Id, StoreError, StoreResult};

use super::{Db, events, hydrate, media, page};
use crate::assemble::distinct;
use crate::extensions::{self, Owner, viewed};
use crate::rows::StoryRow;

/// The columns `StoryRow` reads, from `stories s`.
macro_rules! columns {
    () => {
        "s.id, s.account_id, s.text, s.created_at, s.expires_at, s.views_count"
    };
}

/// The stories of `rows` as `viewer` sees them, in order: three queries whatever their number.
async fn hydrate_stories(c: &mut PgConnection, viewer: Id, rows: Vec<StoryRow>) -> StoreResult<Vec<Story>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let accounts = hydrate::accounts_by_ids(c, &distinct(rows.iter().map(|r| r.account_id))).await?;
    let seen: Vec<i64> =
        sqlx::query_scalar("SELECT story_id FROM story_views WHERE account_id = $1 AND story_id = ANY($2)")
            .bind(viewer.0)
            .bind(&ids)
            .fetch_all(&mut *c)
            .await
            .db()?;
    let reactions: Vec<(i64, String, i64, bool)> = sqlx::query_as(
        "SELECT story_id, emoji, COUNT(*), bool_or(account_id = $1) FROM story_reactions \
         WHERE story_id = ANY($2) GROUP BY story_id, emoji",
    )
    .bind(viewer.0)
    .bind(&ids)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let seen: HashSet<i64> = seen.into_iter().collect();
    let media = media::of(c, Owner::Story, &ids).await?;
    Ok(extensions::stories(rows, viewer.0, &accounts, &seen, extensions::reactions(reactions), media))
}

async fn live_row(c: &mut PgConnection, id: Id, now: Timestamp) -> StoreResult<StoryRow> {
    sqlx::query_as(concat!("SELECT ", columns!(), " FROM stories s WHERE s.id = $1 AND s.expires_at > $2"))
        .bind(id.0)
        .bind(now.0)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .ok_or(StoreError::NotFound)
}

async fn one(c: &mut PgConnection, id: Id, viewer: Id, now: Timestamp) -> StoreResult<Story> {
    let row = live_row(c, id, now).await?;
    hydrate_stories(c, viewer, vec![row]).await?.pop().ok_or(StoreError::NotFound)
}

pub(crate) async fn create(c: &mut PgConnection, story: NewStory) -> StoreResult<Story> {
    sqlx::query("INSERT INTO stories (id, account_id, text, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(story.id.0)
        .bind(story.account_id.0)
        .bind(&story.text)
        .bind(story.created_at.0)
        .bind(story.expires_at.0)
        .execute(&mut *c)
        .await
        .db()?;
    media::attach(c, Owner::Story, story.id, story.account_id, &story.media_ids).await?;
    events::append(c, event::story_created(&story)).await?;
    one(c, story.id, story.account_id, story.created_at).await
}

pub(crate) async fn story(c: &mut PgConnection, id: Id, viewer: Id, now: Timestamp) -> StoreResult<Story> {
    one(c, id, viewer, now).await
}

pub(crate) async fn feed(c: &mut PgConnection, viewer: Id, now: Timestamp) -> StoreResult<Vec<Story>> {
    let rows: Vec<StoryRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM stories s WHERE s.expires_at > $1 AND (s.account_id = $2 OR s.account_id IN \
         (SELECT followee_id FROM follows WHERE follower_id = $2)) ORDER BY s.account_id, s.id"
    ))
    .bind(now.0)
    .bind(viewer.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    hydrate_stories(c, viewer, rows).await
}

pub(crate) async fn of_account(
    c: &mut PgConnection,
    account: Id,
    viewer: Id,
    now: Timestamp,
) -> StoreResult<Vec<Story>> {
    let rows: Vec<StoryRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM stories s WHERE s.account_id = $1 AND s.expires_at > $2 ORDER BY s.id"
    ))
    .bind(account.0)
    .bind(now.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    hydrate_stories(c, viewer, rows).await
}

pub(crate) async fn delete(c: &mut PgConnection, id: Id, actor: Id, at: Timestamp) -> StoreResult<Story> {
    let story = one(c, id, actor, at).await?;
    sqlx::query("DELETE FROM stories WHERE id = $1").bind(id.0).execute(&mut *c).await.db()?;
    media::detach(c, Owner::Story, id).await?;
    events::append(c, event::story_deleted(id, story.account.id, actor, at)).await?;
    Ok(story)
}

pub(crate) async fn view(
    c: &mut PgConnection,
    id: Id,
    viewer: Id,
    view_id: Id,
    at: Timestamp,
) -> StoreResult<StoryChange> {
    let row = live_row(c, id, at).await?;
    let author = Id(row.account_id);
    let made = author != viewer
        && sqlx::query(
            "INSERT INTO story_views (id, story_id, account_id, viewed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (story_id, account_id) DO NOTHING",
        )
        .bind(view_id.0)
        .bind(id.0)
        .bind(viewer.0)
        .bind(at.0)
        .execute(&mut *c)
        .await
        .db()?
        .rows_affected()
            == 1;
    if made {
        sqlx::query("UPDATE stories SET views_count = views_count + 1 WHERE id = $1")
            .bind(id.0)
            .execute(&mut *c)
            .await
            .db()?;
        events::append(c, event::story_viewed(id, author, viewer, at)).await?;
    }
    Ok(StoryChange { made, story: one(c, id, viewer, at).await? })
}

pub(crate) async fn viewers(
    c: &mut PgConnection,
    id: Id,
    request: PageRequest,
    now: Timestamp,
) -> StoreResult<Page<StoryView>> {
    live_row(c, id, now).await?;
    let mut qb: QueryBuilder<Postgres> =
        QueryBuilder::new("SELECT v.id, v.account_id, v.viewed_at FROM story_views v WHERE v.story_id = ");
    qb.push_bind(id.0);
    page::push_bounds(&mut qb, "v.id", &request);
    let rows: Vec<(i64, i64, i64)> = qb.build_query_as().fetch_all(&mut *c).await.db()?;
    let viewers = distinct(rows.iter().map(|r| r.1));
    let accounts = hydrate::accounts_by_ids(c, &viewers).await?;
    let reactions: Vec<(i64, String)> = sqlx::query_as(
        "SELECT account_id, emoji FROM story_reactions WHERE story_id = $1 AND account_id = ANY($2) \
         ORDER BY created_at, emoji",
    )
    .bind(id.0)
    .bind(&viewers)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let fetched = viewed(rows, &accounts, reactions);
    Ok(Page::from_fetched(&request, fetched))
}

pub(crate) async fn react(
    c: &mut PgConnection,
    id: Id,
    account: Id,
    emoji: &str,
    at: Timestamp,
) -> StoreResult<StoryChange> {
    let row = live_row(c, id, at).await?;
    let made = sqlx::query(
        "INSERT INTO story_reactions (story_id, account_id, emoji, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (story_id, account_id, emoji) DO NOTHING",
    )
    .bind(id.0)
    .bind(account.0)
    .bind(emoji)
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        == 1;
    if made {
        events::append(c, event::story_reacted(id, Id(row.account_id), account, emoji, at)).await?;
    }
    Ok(StoryChange { made, story: one(c, id, account, at).await? })
}

pub(crate) async fn unreact(
    c: &mut PgConnection,
    id: Id,
    account: Id,
    emoji: &str,
    at: Timestamp,
) -> StoreResult<StoryChange> {
    let row = live_row(c, id, at).await?;
    let made = sqlx::query("DELETE FROM story_reactions WHERE story_id = $1 AND account_id = $2 AND emoji = $3")
        .bind(id.0)
        .bind(account.0)
        .bind(emoji)
        .execute(&mut *c)
        .await
        .db()?
        .rows_affected()
        == 1;
    if made {
        events::append(c, event::story_unreacted(id, Id(row.account_id), account, emoji, at)).await?;
    }
    Ok(StoryChange { made, story: one(c, id, account, at).await? })
}

pub(crate) async fn purge_expired(c: &mut PgConnection, now: Timestamp) -> StoreResult<u64> {
    // Views and reactions go with their story (ON DELETE CASCADE); media are let go.
    sqlx::query(
        "UPDATE media_attachments SET story_id = NULL WHERE story_id IN (SELECT id FROM stories WHERE expires_at <= $1)",
    )
    .bind(now.0)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(sqlx::query("DELETE FROM stories WHERE expires_at <= $1")
        .bind(now.0)
        .execute(&mut *c)
        .await
        .db()?
        .rows_affected())
}
