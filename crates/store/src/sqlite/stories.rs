//! Stories with their views and reactions. Every read and write takes the current time and
//! treats a story past its expiry as gone, whether or not the sweeper has removed it yet.

use std::collections::HashSet;

use rusqlite::{Connection, params};
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::story::{NewStory, Story, StoryChange, StoryView};
use starling_core::{Id, StoreError, StoreResult};

use super::{QueryBuilder, Sql, events, hydrate, id_list, media, page};
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
fn hydrate_stories(c: &Connection, viewer: Id, rows: Vec<StoryRow>) -> StoreResult<Vec<Story>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = id_list(rows.iter().map(|r| r.id));
    let accounts = hydrate::accounts_by_ids(c, &distinct(rows.iter().map(|r| r.account_id)))?;
    let seen: Vec<i64> = c.all(
        "SELECT story_id FROM story_views WHERE account_id = ? AND story_id IN (SELECT value FROM json_each(?))",
        params![viewer.0, ids],
    )?;
    let reactions: Vec<(i64, String, i64, bool)> = c.all(
        "SELECT story_id, emoji, COUNT(*), MAX(account_id = ?) FROM story_reactions \
         WHERE story_id IN (SELECT value FROM json_each(?)) GROUP BY story_id, emoji",
        params![viewer.0, ids],
    )?;
    let seen: HashSet<i64> = seen.into_iter().collect();
    let media = media::of(c, Owner::Story, &rows.iter().map(|r| r.id).collect::<Vec<_>>())?;
    Ok(extensions::stories(rows, viewer.0, &accounts, &seen, extensions::reactions(reactions), media))
}

fn live_row(c: &Connection, id: Id, now: Timestamp) -> StoreResult<StoryRow> {
    c.one(concat!("SELECT ", columns!(), " FROM stories s WHERE s.id = ? AND s.expires_at > ?"), params![id.0, now.0])
}

fn one(c: &Connection, id: Id, viewer: Id, now: Timestamp) -> StoreResult<Story> {
    let row = live_row(c, id, now)?;
    hydrate_stories(c, viewer, vec![row])?.pop().ok_or(StoreError::NotFound)
}

pub(crate) fn create(c: &Connection, story: NewStory) -> StoreResult<Story> {
    c.run(
        "INSERT INTO stories (id, account_id, text, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        params![story.id.0, story.account_id.0, story.text, story.created_at.0, story.expires_at.0],
    )?;
    media::attach(c, Owner::Story, story.id, story.account_id, &story.media_ids)?;
    events::append(c, event::story_created(&story))?;
    one(c, story.id, story.account_id, story.created_at)
}

pub(crate) fn story(c: &Connection, id: Id, viewer: Id, now: Timestamp) -> StoreResult<Story> {
    one(c, id, viewer, now)
}

pub(crate) fn feed(c: &Connection, viewer: Id, now: Timestamp) -> StoreResult<Vec<Story>> {
    let rows: Vec<StoryRow> = c.all(
        concat!(
            "SELECT ",
            columns!(),
            " FROM stories s WHERE s.expires_at > ? AND (s.account_id = ? OR s.account_id IN \
             (SELECT followee_id FROM follows WHERE follower_id = ?)) ORDER BY s.account_id, s.id"
        ),
        params![now.0, viewer.0, viewer.0],
    )?;
    hydrate_stories(c, viewer, rows)
}

pub(crate) fn of_account(c: &Connection, account: Id, viewer: Id, now: Timestamp) -> StoreResult<Vec<Story>> {
    let rows: Vec<StoryRow> = c.all(
        concat!("SELECT ", columns!(), " FROM stories s WHERE s.account_id = ? AND s.expires_at > ? ORDER BY s.id"),
        params![account.0, now.0],
    )?;
    hydrate_stories(c, viewer, rows)
}

pub(crate) fn delete(c: &Connection, id: Id, actor: Id, at: Timestamp) -> StoreResult<Story> {
    let story = one(c, id, actor, at)?;
    c.run("DELETE FROM stories WHERE id = ?", params![id.0])?;
    media::detach(c, Owner::Story, id)?;
    events::append(c, event::story_deleted(id, story.account.id, actor, at))?;
    Ok(story)
}

pub(crate) fn view(c: &Connection, id: Id, viewer: Id, view_id: Id, at: Timestamp) -> StoreResult<StoryChange> {
    let row = live_row(c, id, at)?;
    let author = Id(row.account_id);
    let made = author != viewer
        && c.run(
            "INSERT INTO story_views (id, story_id, account_id, viewed_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (story_id, account_id) DO NOTHING",
            params![view_id.0, id.0, viewer.0, at.0],
        )? == 1;
    if made {
        c.run("UPDATE stories SET views_count = views_count + 1 WHERE id = ?", params![id.0])?;
        events::append(c, event::story_viewed(id, author, viewer, at))?;
    }
    Ok(StoryChange { made, story: one(c, id, viewer, at)? })
}

pub(crate) fn viewers(c: &Connection, id: Id, request: PageRequest, now: Timestamp) -> StoreResult<Page<StoryView>> {
    live_row(c, id, now)?;
    let mut qb = QueryBuilder::new("SELECT v.id, v.account_id, v.viewed_at FROM story_views v WHERE v.story_id = ");
    qb.push_bind(id.0);
    page::push_bounds(&mut qb, "v.id", &request);
    let rows: Vec<(i64, i64, i64)> = qb.all(c)?;
    let viewers = distinct(rows.iter().map(|r| r.1));
    let accounts = hydrate::accounts_by_ids(c, &viewers)?;
    let reactions: Vec<(i64, String)> = c.all(
        "SELECT account_id, emoji FROM story_reactions WHERE story_id = ? \
         AND account_id IN (SELECT value FROM json_each(?)) ORDER BY created_at, emoji",
        params![id.0, id_list(viewers.iter().copied())],
    )?;
    let fetched = viewed(rows, &accounts, reactions);
    Ok(Page::from_fetched(&request, fetched))
}

pub(crate) fn react(c: &Connection, id: Id, account: Id, emoji: &str, at: Timestamp) -> StoreResult<StoryChange> {
    let row = live_row(c, id, at)?;
    let made = c.run(
        "INSERT INTO story_reactions (story_id, account_id, emoji, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (story_id, account_id, emoji) DO NOTHING",
        params![id.0, account.0, emoji, at.0],
    )? == 1;
    if made {
        events::append(c, event::story_reacted(id, Id(row.account_id), account, emoji, at))?;
    }
    Ok(StoryChange { made, story: one(c, id, account, at)? })
}

pub(crate) fn unreact(c: &Connection, id: Id, account: Id, emoji: &str, at: Timestamp) -> StoreResult<StoryChange> {
    let row = live_row(c, id, at)?;
    let made = c.run(
        "DELETE FROM story_reactions WHERE story_id = ? AND account_id = ? AND emoji = ?",
        params![id.0, account.0, emoji],
    )? == 1;
    if made {
        events::append(c, event::story_unreacted(id, Id(row.account_id), account, emoji, at))?;
    }
    Ok(StoryChange { made, story: one(c, id, account, at)? })
}

pub(crate) fn purge_expired(c: &Connection, now: Timestamp) -> StoreResult<u64> {
    // Views and reactions go with their story (ON DELETE CASCADE); media are let go.
    c.run(
        "UPDATE media_attachments SET story_id = NULL WHERE story_id IN (SELECT id FROM stories WHERE expires_at <= ?)",
        params![now.0],
    )?;
    Ok(c.run("DELETE FROM stories WHERE expires_at <= ?", params![now.0])? as u64)
}
