//! Search: accounts and hashtags by prefix, statuses by their words (a GIN index on
//! `to_tsvector('simple', text)`), only what the viewer may see.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::StoreResult;
use starling_core::model::{Account, Status};
use starling_core::store::{StatusSearch, TagUse};

use super::{Db, hydrate, timelines};
use crate::extensions::{SEARCH_AGE_SCALE_MS, like_prefix};

pub(crate) async fn accounts(
    c: &mut PgConnection,
    prefix: &str,
    followed_by: Option<starling_core::Id>,
    limit: u32,
    offset: u32,
) -> StoreResult<Vec<Account>> {
    let lower = prefix.to_lowercase();
    let pattern = like_prefix(&lower);
    let mut qb: QueryBuilder<Postgres> =
        QueryBuilder::new("SELECT a.id FROM accounts a WHERE (lower(a.username) LIKE ");
    qb.push_bind(pattern.clone())
        .push(" ESCAPE '\\' OR lower(a.display_name) LIKE ")
        .push_bind(pattern.clone())
        .push(" ESCAPE '\\')");
    if let Some(follower) = followed_by {
        qb.push(" AND a.id IN (SELECT followee_id FROM follows WHERE follower_id = ").push_bind(follower.0).push(")");
    }
    qb.push(" ORDER BY lower(a.username) = ")
        .push_bind(lower)
        .push(" DESC, lower(a.username) LIKE ")
        .push_bind(pattern)
        .push(" ESCAPE '\\' DESC, a.followers_count DESC, a.id LIMIT ")
        .push_bind(i64::from(limit))
        .push(" OFFSET ")
        .push_bind(i64::from(offset));
    let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *c).await.db()?;
    hydrate::accounts_in_order(c, &ids).await
}

pub(crate) async fn tags(c: &mut PgConnection, prefix: &str, limit: u32, offset: u32) -> StoreResult<Vec<TagUse>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT tag, COUNT(*) FROM status_tags WHERE tag LIKE $1 ESCAPE '\\' GROUP BY tag \
         ORDER BY COUNT(*) DESC, tag LIMIT $2 OFFSET $3",
    )
    .bind(like_prefix(prefix))
    .bind(i64::from(limit))
    .bind(i64::from(offset))
    .fetch_all(&mut *c)
    .await
    .db()?;
    Ok(rows.into_iter().map(|(name, uses)| TagUse { name, uses }).collect())
}

pub(crate) async fn statuses(c: &mut PgConnection, search: StatusSearch) -> StoreResult<Vec<Status>> {
    if search.words.is_empty() {
        return Ok(Vec::new());
    }
    // `plainto_tsquery` requires every word and reads no query syntax in them.
    let words = search.words.join(" ");
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT s.id FROM statuses s WHERE to_tsvector('simple', s.text) @@ plainto_tsquery('simple', ",
    );
    qb.push_bind(words.clone()).push(") AND s.reblog_of_id IS NULL AND ");
    timelines::push_visible(&mut qb, "s", search.viewer);
    if let Some(account) = search.account {
        qb.push(" AND s.account_id = ").push_bind(account.0);
    }
    qb.push(" ORDER BY ts_rank(to_tsvector('simple', s.text), plainto_tsquery('simple', ")
        .push_bind(words)
        .push(")) / (1.0 + (")
        .push_bind(search.now.0)
        .push(format_args!(" - s.created_at) / {SEARCH_AGE_SCALE_MS}) DESC, s.id DESC LIMIT "))
        .push_bind(i64::from(search.limit))
        .push(" OFFSET ")
        .push_bind(i64::from(search.offset));
    let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *c).await.db()?;
    hydrate::statuses_in_order(c, &ids).await
}
