//! Mastodon paging in SQL: `max_id` is an exclusive upper bound, `min_id`/`since_id` an
//! exclusive lower bound, and with `min_id` the rows are walked upwards (ascending) so that the
//! page sits right above the cursor; `Page::from_fetched` puts it back newest first.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::StoreResult;
use starling_core::model::{Account, Status};
use starling_core::page::{Page, PageRequest};

use super::Db;
use super::hydrate;

/// Appends the bounds, the order and the limit on `cursor` (a column expression) to a query
/// whose `WHERE` clause is already open.
pub(crate) fn push_bounds(qb: &mut QueryBuilder<Postgres>, cursor: &str, page: &PageRequest) {
    if let Some(max) = page.max_id {
        qb.push(format_args!(" AND {cursor} < ")).push_bind(max.0);
    }
    if let Some(lower) = page.lower() {
        qb.push(format_args!(" AND {cursor} > ")).push_bind(lower.0);
    }
    let direction = if page.ascending() { "ASC" } else { "DESC" };
    qb.push(format_args!(" ORDER BY {cursor} {direction} LIMIT ")).push_bind(i64::from(page.limit));
}

/// Runs a query selecting `(cursor, item id)` pairs.
pub(crate) async fn fetch_pairs(c: &mut PgConnection, mut qb: QueryBuilder<Postgres>) -> StoreResult<Vec<(i64, i64)>> {
    qb.build_query_as::<(i64, i64)>().fetch_all(&mut *c).await.db()
}

/// Hydrates `(cursor, status id)` pairs into a page, dropping statuses that vanished.
pub(crate) async fn statuses(
    c: &mut PgConnection,
    page: &PageRequest,
    pairs: Vec<(i64, i64)>,
) -> StoreResult<Page<Status>> {
    let ids: Vec<i64> = pairs.iter().map(|&(_, id)| id).collect();
    let found = hydrate::statuses_by_ids(c, &ids).await?;
    let rows = pairs.into_iter().filter_map(|(cursor, id)| Some((starling_core::Id(cursor), found.get(&id)?.clone())));
    Ok(Page::from_fetched(page, rows.collect()))
}

/// Hydrates `(cursor, account id)` pairs into a page.
pub(crate) async fn accounts(
    c: &mut PgConnection,
    page: &PageRequest,
    pairs: Vec<(i64, i64)>,
) -> StoreResult<Page<Account>> {
    let ids: Vec<i64> = pairs.iter().map(|&(_, id)| id).collect();
    let found = hydrate::accounts_by_ids(c, &ids).await?;
    let rows = pairs.into_iter().filter_map(|(cursor, id)| Some((starling_core::Id(cursor), found.get(&id)?.clone())));
    Ok(Page::from_fetched(page, rows.collect()))
}
