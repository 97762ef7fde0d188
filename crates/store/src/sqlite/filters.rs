//! Keyword filters and their keywords, each account's own.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use starling_core::event::{self, EventKind};
use starling_core::filters::{Filter, FilterAction, FilterContext, FilterKeyword, FilterUpdate, NewFilter};
use starling_core::model::Timestamp;
use starling_core::{Id, StoreError, StoreResult};

use super::{Sql, events, id_list};

type FilterRow = (i64, i64, String, String, String, Option<i64>, i64);

fn keyword(c: &Connection, filter: Id, k: &FilterKeyword) -> StoreResult<()> {
    c.run(
        "INSERT INTO filter_keywords (id, filter_id, keyword, whole_word) VALUES (?, ?, ?, ?)",
        params![k.id.0, filter.0, &k.keyword, k.whole_word],
    )?;
    Ok(())
}

pub(crate) fn create(c: &Connection, f: NewFilter) -> StoreResult<Filter> {
    c.run(
        "INSERT INTO filters (id, account_id, title, context, action, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            f.id.0,
            f.account_id.0,
            &f.title,
            FilterContext::join(&f.context),
            f.action.as_str(),
            f.expires_at.map(|t| t.0),
            f.created_at.0
        ],
    )?;
    for k in &f.keywords {
        keyword(c, f.id, k)?;
    }
    events::append(c, event::filter_changed(EventKind::FilterCreated, f.account_id, f.id, f.created_at))?;
    one(c, f.id, f.account_id)
}

pub(crate) fn update(c: &Connection, id: Id, account: Id, u: FilterUpdate, at: Timestamp) -> StoreResult<Filter> {
    one(c, id, account)?;
    if let Some(title) = &u.title {
        c.run("UPDATE filters SET title = ? WHERE id = ?", params![title, id.0])?;
    }
    if let Some(context) = &u.context {
        c.run("UPDATE filters SET context = ? WHERE id = ?", params![FilterContext::join(context), id.0])?;
    }
    if let Some(action) = u.action {
        c.run("UPDATE filters SET action = ? WHERE id = ?", params![action.as_str(), id.0])?;
    }
    if let Some(expires_at) = u.expires_at {
        c.run("UPDATE filters SET expires_at = ? WHERE id = ?", params![expires_at.map(|t| t.0), id.0])?;
    }
    for k in &u.change {
        let changed = c.run(
            "UPDATE filter_keywords SET keyword = ?, whole_word = ? WHERE id = ? AND filter_id = ?",
            params![&k.keyword, k.whole_word, k.id.0, id.0],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
    }
    for k in &u.remove {
        if c.run("DELETE FROM filter_keywords WHERE id = ? AND filter_id = ?", params![k.0, id.0])? == 0 {
            return Err(StoreError::NotFound);
        }
    }
    for k in &u.add {
        keyword(c, id, k)?;
    }
    events::append(c, event::filter_changed(EventKind::FilterUpdated, account, id, at))?;
    one(c, id, account)
}

pub(crate) fn delete(c: &Connection, id: Id, account: Id, at: Timestamp) -> StoreResult<()> {
    if c.run("DELETE FROM filters WHERE id = ? AND account_id = ?", params![id.0, account.0])? == 0 {
        return Err(StoreError::NotFound);
    }
    events::append(c, event::filter_changed(EventKind::FilterDeleted, account, id, at))?;
    Ok(())
}

pub(crate) fn one(c: &Connection, id: Id, account: Id) -> StoreResult<Filter> {
    let rows: Vec<FilterRow> = c.all(
        "SELECT id, account_id, title, context, action, expires_at, created_at FROM filters \
         WHERE id = ? AND account_id = ?",
        params![id.0, account.0],
    )?;
    hydrate(c, rows)?.pop().ok_or(StoreError::NotFound)
}

pub(crate) fn of_account(c: &Connection, account: Id) -> StoreResult<Vec<Filter>> {
    let rows: Vec<FilterRow> = c.all(
        "SELECT id, account_id, title, context, action, expires_at, created_at FROM filters \
         WHERE account_id = ? ORDER BY id DESC",
        params![account.0],
    )?;
    hydrate(c, rows)
}

fn hydrate(c: &Connection, rows: Vec<FilterRow>) -> StoreResult<Vec<Filter>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let keywords: Vec<(i64, i64, String, bool)> = c.all(
        "SELECT id, filter_id, keyword, whole_word FROM filter_keywords \
         WHERE filter_id IN (SELECT value FROM json_each(?)) ORDER BY id",
        params![id_list(rows.iter().map(|r| r.0))],
    )?;
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
