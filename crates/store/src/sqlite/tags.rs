//! Followed hashtags: which tags an account follows. What following one puts into the home
//! timeline is the home rule's business (`home::tag_followed`, `home::tag_unfollowed`).

use rusqlite::{Connection, params};
use starling_core::model::Change;
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreResult, event};

use super::{QueryBuilder, Sql, events, home, page, text_list};
use crate::Homes;

/// Follows `tag` (already normalised) and appends `tag.followed`, unless already following.
pub(crate) fn follow_tag(c: &Connection, account: Id, tag: &str, id: Id, homes: Homes) -> StoreResult<Change> {
    let at = Timestamp::now();
    let inserted = c.run(
        "INSERT INTO tag_follows (account_id, tag, id, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (account_id, tag) DO NOTHING",
        params![account.0, tag, id.0, at.0],
    )?;
    if inserted == 0 {
        return Ok(Change::Unchanged);
    }
    if homes.materialised() {
        home::tag_followed(c, account, tag)?;
    }
    events::append(c, event::tag_followed(account, tag, at))?;
    Ok(Change::Made)
}

pub(crate) fn unfollow_tag(c: &Connection, account: Id, tag: &str, homes: Homes) -> StoreResult<Change> {
    let deleted = c.run("DELETE FROM tag_follows WHERE account_id = ? AND tag = ?", params![account.0, tag])?;
    if deleted == 0 {
        return Ok(Change::Unchanged);
    }
    if homes.materialised() {
        home::tag_unfollowed(c, account, tag)?;
    }
    events::append(c, event::tag_unfollowed(account, tag, Timestamp::now()))?;
    Ok(Change::Made)
}

/// The tags `account` follows, paged by when they were followed (newest first).
pub(crate) fn followed_tags(c: &Connection, account: Id, req: PageRequest) -> StoreResult<Page<String>> {
    let mut qb = QueryBuilder::new("SELECT id, tag FROM tag_follows WHERE account_id = ");
    qb.push_bind(account.0);
    page::push_bounds(&mut qb, "id", &req);
    let rows: Vec<(i64, String)> = qb.all(c)?;
    Ok(Page::from_fetched(&req, rows.into_iter().map(|(id, tag)| (Id(id), tag)).collect()))
}

/// Those of `tags` that `account` follows, in the order of `tags`.
pub(crate) fn following_tags(c: &Connection, account: Id, tags: &[String]) -> StoreResult<Vec<String>> {
    if tags.is_empty() {
        return Ok(Vec::new());
    }
    let followed: std::collections::HashSet<String> = c
        .all::<String>(
            "SELECT tag FROM tag_follows WHERE account_id = ? AND tag IN (SELECT value FROM json_each(?))",
            params![account.0, text_list(tags)?],
        )?
        .into_iter()
        .collect();
    Ok(tags.iter().filter(|t| followed.contains(*t)).cloned().collect())
}

pub(crate) fn tag_follower_ids(c: &Connection, tags: &[String]) -> StoreResult<Vec<Id>> {
    if tags.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = c.all(
        "SELECT DISTINCT account_id FROM tag_follows WHERE tag IN (SELECT value FROM json_each(?))",
        params![text_list(tags)?],
    )?;
    Ok(ids.into_iter().map(Id).collect())
}
