//! Keyword filters and their keywords, each account's own.

use std::collections::HashMap;

use sqlx::PgConnection;
use starling_core::event::{self, EventKind};
use starling_core::filters::{Filter, FilterAction, FilterContext, FilterKeyword, FilterUpdate, NewFilter};
use starling_core::model::Timestamp;
use starling_core::{Id, StoreError, StoreResult};

use super::{Db, events};

type FilterRow = (i64, i64, String, String, String, Option<i64>, i64);

async fn keyword(c: &mut PgConnection, filter: Id, k: &FilterKeyword) -> StoreResult<()> {
    sqlx::query("INSERT INTO filter_keywords (id, filter_id, keyword, whole_word) VALUES ($1, $2, $3, $4)")
        .bind(k.id.0)
        .bind(filter.0)
        .bind(&k.keyword)
        .bind(k.whole_word)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn create(c: &mut PgConnection, f: NewFilter) -> StoreResult<Filter> {
    sqlx::query(
        "INSERT INTO filters (id, account_id, title, context, action, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(f.id.0)
    .bind(f.account_id.0)
    .bind(&f.title)
    .bind(FilterContext::join(&f.context))
    .bind(f.action.as_str())
    .bind(f.expires_at.map(|t| t.0))
    .bind(f.created_at.0)
    .execute(&mut *c)
    .await
    .db()?;
    for k in &f.keywords {
        keyword(c, f.id, k).await?;
    }
    events::append(c, event::filter_changed(EventKind::FilterCreated, f.account_id, f.id, f.created_at)).await?;
    one(c, f.id, f.account_id).await
}

async fn set(c: &mut PgConnection, sql: &'static str, id: Id, value: Option<String>) -> StoreResult<()> {
    sqlx::query(sql).bind(value).bind(id.0).execute(&mut *c).await.db()?;
    Ok(())
}

pub(crate) async fn update(
    c: &mut PgConnection,
    id: Id,
    account: Id,
    u: FilterUpdate,
    at: Timestamp,
) -> StoreResult<Filter> {
    one(c, id, account).await?;
    if let Some(title) = u.title {
        set(c, "UPDATE filters SET title = $1 WHERE id = $2", id, Some(title)).await?;
    }
    if let Some(context) = &u.context {
        set(c, "UPDATE filters SET context = $1 WHERE id = $2", id, Some(FilterContext::join(context))).await?;
    }
    if let Some(action) = u.action {
        set(c, "UPDATE filters SET action = $1 WHERE id = $2", id, Some(action.as_str().to_string())).await?;
    }
    if let Some(expires_at) = u.expires_at {
        sqlx::query("UPDATE filters SET expires_at = $1 WHERE id = $2")
            .bind(expires_at.map(|t| t.0))
            .bind(id.0)
            .execute(&mut *c)
            .await
            .db()?;
    }
    for k in &u.change {
        let changed =
            sqlx::query("UPDATE filter_keywords SET keyword = $1, whole_word = $2 WHERE id = $3 AND filter_id = $4")
                .bind(&k.keyword)
                .bind(k.whole_word)
                .bind(k.id.0)
                .bind(id.0)
                .execute(&mut *c)
                .await
                .db()?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
    }
    for k in &u.remove {
        let removed = sqlx::query("DELETE FROM filter_keywords WHERE id = $1 AND filter_id = $2")
            .bind(k.0)
            .bind(id.0)
            .execute(&mut *c)
            .await
            .db()?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
    }
    for k in &u.add {
        keyword(c, id, k).await?;
    }
    events::append(c, event::filter_changed(EventKind::FilterUpdated, account, id, at)).await?;
    one(c, id, account).await
}

pub(crate) async fn delete(c: &mut PgConnection, id: Id, account: Id, at: Timestamp) -> StoreResult<()> {
    let deleted = sqlx::query("DELETE FROM filters WHERE id = $1 AND account_id = $2")
        .bind(id.0)
        .bind(account.0)
        .execute(&mut *c)
        .await
        .db()?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    events::append(c, event::filter_changed(EventKind::FilterDeleted, account, id, at)).await?;
    Ok(())
}

pub(crate) async fn one(c: &mut PgConnection, id: Id, account: Id) -> StoreResult<Filter> {
    let rows: Vec<FilterRow> = sqlx::query_as(
        "SELECT id, account_id, title, context, action, expires_at, created_at FROM filters \
         WHERE id = $1 AND account_id = $2",
    )
    .bind(id.0)
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    hydrate(c, rows).await?.pop().ok_or(StoreError::NotFound)
}

pub(crate) async fn of_account(c: &mut PgConnection, account: Id) -> StoreResult<Vec<Filter>> {
    let rows: Vec<FilterRow> = sqlx::query_as(
        "SELECT id, account_id, title, context, action, expires_at, created_at FROM filters \
         WHERE account_id = $1 ORDER BY id DESC",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    hydrate(c, rows).await
}

async fn hydrate(c: &mut PgConnection, rows: Vec<FilterRow>) -> StoreResult<Vec<Filter>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let keywords: Vec<(i64, i64, String, bool)> = sqlx::query_as(
        "SELECT id, filter_id, keyword, whole_word FROM filter_keywords WHERE filter_id = ANY($1) ORDER BY id",
    )
    .bind(rows.iter().map(|r| r.0).collect::<Vec<i64>>())
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut by_filter: HashMap<i64, Vec<FilterKeyword>> = HashMap::new();
    for (id, filter, keyword, whole_word) in keywords {
        by_filter.entry(filter).or_default().push(FilterKeyword { id: Id(id), keyword, whole_word });
    }
    rows.into_iter()
        .map(|(id, account, title, context, action, expires_at, created_at)| {
            Ok(Filter {
                id: Id(id),
                account_id: Id(account),
                title,
                context: FilterContext::split(&context),
                action: action
                    .parse::<FilterAction>()
                    .map_err(|()| StoreError::Other(format!("filter action {action}")))?,
                expires_at: expires_at.map(Timestamp),
                keywords: by_filter.remove(&id).unwrap_or_default(),
                created_at: Timestamp(created_at),
            })
        })
        .collect()
}
