//! Mastodon paging in SQL: `max_id` is an exclusive upper bound, `min_id`/`since_id` an
//! exclusive lower bound, and with `min_id` the rows are walked upwards (ascending) so that the
//! page sits right above the cursor; `Page::from_fetched` puts it back newest first.

use rusqlite::Connection;
use starling_core::StoreResult;
use starling_core::model::{Account, Status};
use starling_core::page::{Page, PageRequest};

use super::QueryBuilder;
use super::hydrate;

/// Appends the bounds, the order and the limit on `cursor` (a column expression) to a query
/// whose `WHERE` clause is already open.
pub(crate) fn push_bounds(qb: &mut QueryBuilder, cursor: &str, page: &PageRequest) {
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
pub(crate) fn fetch_pairs(c: &Connection, qb: QueryBuilder) -> StoreResult<Vec<(i64, i64)>> {
    qb.all::<(i64, i64)>(c)
}

/// Hydrates `(cursor, status id)` pairs into a page, dropping statuses that vanished.
pub(crate) fn statuses(c: &Connection, page: &PageRequest, pairs: Vec<(i64, i64)>) -> StoreResult<Page<Status>> {
    let ids: Vec<i64> = pairs.iter().map(|&(_, id)| id).collect();
    let found = hydrate::statuses_by_ids(c, &ids)?;
    let rows = pairs.into_iter().filter_map(|(cursor, id)| Some((starling_core::Id(cursor), found.get(&id)?.clone())));
    Ok(Page::from_fetched(page, rows.collect()))
}

/// Hydrates `(cursor, account id)` pairs into a page.
pub(crate) fn accounts(c: &Connection, page: &PageRequest, pairs: Vec<(i64, i64)>) -> StoreResult<Page<Account>> {
    let ids: Vec<i64> = pairs.iter().map(|&(_, id)| id).collect();
    let found = hydrate::accounts_by_ids(c, &ids)?;
    let rows = pairs.into_iter().filter_map(|(cursor, id)| Some((starling_core::Id(cursor), found.get(&id)?.clone())));
    Ok(Page::from_fetched(page, rows.collect()))
}
