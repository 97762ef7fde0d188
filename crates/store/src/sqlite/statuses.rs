//! Writing statuses (create, edit, delete) with their versions, mentions, tags and counters,
//! and reading edit history and threads.

use std::collections::HashSet;

use rusqlite::{Connection, params};
use starling_core::event;
use starling_core::model::*;
use starling_core::{Id, StoreError, StoreResult};

use super::{Sql, events, home, hydrate, id_list, media};
use crate::Homes;
use crate::extensions::Owner;
use crate::rows::VersionRow;

/// Mastodon does not count direct statuses in `statuses_count`; reblogs follow the same rule.
pub(crate) fn counts(visibility: Visibility) -> bool {
    visibility != Visibility::Direct
}

/// Moves the author's `statuses_count` by `by`; a new status (`by > 0`) also moves
/// `last_status_at` forward.
pub(crate) fn move_statuses_count(c: &Connection, account: i64, by: i64, at: Timestamp) -> StoreResult<()> {
    if by > 0 {
        c.run(
            "UPDATE accounts SET statuses_count = statuses_count + ?, \
             last_status_at = MAX(COALESCE(last_status_at, 0), ?) WHERE id = ?",
            params![by, at.0, account],
        )?;
    } else {
        c.run("UPDATE accounts SET statuses_count = statuses_count + ? WHERE id = ?", params![by, account])?;
    }
    Ok(())
}

/// `(account_id, reblog_of_id)` of a status, or `NotFound`.
fn head(c: &Connection, id: i64) -> StoreResult<(i64, Option<i64>)> {
    c.one("SELECT account_id, reblog_of_id FROM statuses WHERE id = ?", params![id])
}

fn dedup<T: Clone + Eq + std::hash::Hash>(items: &[T]) -> Vec<T> {
    let mut seen = HashSet::new();
    items.iter().filter(|i| seen.insert((*i).clone())).cloned().collect()
}

/// Replaces the mentions and tags of `status` (tags lower-cased, both deduplicated, order kept);
/// returns them as written.
fn write_mentions_and_tags(
    c: &Connection,
    status: i64,
    mentions: &[Id],
    tags: &[String],
) -> StoreResult<(Vec<Id>, Vec<String>)> {
    c.run("DELETE FROM mentions WHERE status_id = ?", params![status])?;
    c.run("DELETE FROM status_tags WHERE status_id = ?", params![status])?;
    let mentions = dedup(mentions);
    for (position, account) in mentions.iter().enumerate() {
        c.run(
            "INSERT INTO mentions (status_id, account_id, position) VALUES (?, ?, ?)",
            params![status, account.0, position as i64],
        )?;
    }
    let lowered: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
    let tags = dedup(&lowered);
    for (position, tag) in tags.iter().enumerate() {
        c.run(
            "INSERT INTO status_tags (status_id, tag, position) VALUES (?, ?, ?)",
            params![status, tag, position as i64],
        )?;
    }
    Ok((mentions, tags))
}

#[allow(clippy::too_many_arguments)]
fn write_version(
    c: &Connection,
    status: i64,
    version: i32,
    text: &str,
    content: &str,
    spoiler_text: &str,
    sensitive: bool,
    language: Option<&str>,
    at: Timestamp,
) -> StoreResult<()> {
    c.run(
        "INSERT INTO status_versions (status_id, version, text, content, spoiler_text, sensitive, language, \
         created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![status, version, text, content, spoiler_text, sensitive, language, at.0],
    )?;
    Ok(())
}

/// `homes`: whether (and how) the status is written into its followers' home timelines.
pub(crate) fn create_status(c: &Connection, s: NewStatus, homes: Homes) -> StoreResult<Status> {
    if let Some(key) = &s.idempotency_key {
        let earlier: Option<i64> = c.optional(
            "SELECT status_id FROM idempotency_keys WHERE account_id = ? AND key = ?",
            params![s.account_id.0, key],
        )?;
        if let Some(id) = earlier {
            return hydrate::status(c, id);
        }
    }

    // A reply to a reblog is a reply to the reblogged status, as in Mastodon.
    let parent = match s.in_reply_to_id {
        Some(id) => {
            let (author, reblog_of) = head(c, id.0)?;
            match reblog_of {
                Some(original) => Some((original, head(c, original)?.0)),
                None => Some((id.0, author)),
            }
        }
        None => None,
    };

    c.run(
        "INSERT INTO statuses (id, account_id, app_id, in_reply_to_id, in_reply_to_account_id, text, content, \
         spoiler_text, sensitive, visibility, language, created_at, quote_of_id) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            s.id.0,
            s.account_id.0,
            s.app_id.map(|id| id.0),
            parent.map(|p| p.0),
            parent.map(|p| p.1),
            &s.text,
            &s.content,
            &s.spoiler_text,
            s.sensitive,
            s.visibility.as_str(),
            &s.language,
            s.created_at.0,
            s.quote_of_id.map(|id| id.0)
        ],
    )?;
    write_version(
        c,
        s.id.0,
        0,
        &s.text,
        &s.content,
        &s.spoiler_text,
        s.sensitive,
        s.language.as_deref(),
        s.created_at,
    )?;
    let (mentions, tags) = write_mentions_and_tags(c, s.id.0, &s.mentions, &s.tags)?;
    media::attach(c, Owner::Status, s.id, s.account_id, &s.media_ids)?;

    if let Some((parent, _)) = parent {
        c.run("UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?", params![parent])?;
    }
    if counts(s.visibility) {
        move_statuses_count(c, s.account_id.0, 1, s.created_at)?;
    }
    if let Some(key) = &s.idempotency_key {
        c.run(
            "INSERT INTO idempotency_keys (account_id, key, status_id, created_at) VALUES (?, ?, ?, ?)",
            params![s.account_id.0, key, s.id.0, s.created_at.0],
        )?;
    }
    if homes.materialised() {
        home::fan_out(c, s.id, homes.threshold)?;
    }

    // A quote shows the status it quotes, which only hydration reads.
    let status =
        if s.quote_of_id.is_some() { hydrate::status(c, s.id.0)? } else { created(c, s, parent, mentions, tags)? };
    let notify = notify_followers(c, &status)?;
    events::append(c, event::status_created(&status, &notify))?;
    Ok(status)
}

/// The status just written, assembled from what the write knows: a new status has no reblog,
/// no counts and no edits, so only its author (with the new count), its mentions' usernames
/// and its application are read, on the single writer's time, instead of the whole status.
fn created(
    c: &Connection,
    s: NewStatus,
    parent: Option<(i64, i64)>,
    mentions: Vec<Id>,
    tags: Vec<String>,
) -> StoreResult<Status> {
    let account = hydrate::account(c, s.account_id.0)?;
    let usernames: Vec<(i64, String)> = if mentions.is_empty() {
        Vec::new()
    } else {
        c.all(
            "SELECT id, username FROM accounts WHERE id IN (SELECT value FROM json_each(?))",
            params![id_list(mentions.iter().map(|m| m.0))],
        )?
    };
    let mentions = mentions
        .into_iter()
        .filter_map(|id| {
            let (_, username) = usernames.iter().find(|(found, _)| *found == id.0)?;
            Some(MentionRef { id, username: username.clone() })
        })
        .collect();
    let application = match s.app_id {
        Some(app) => c
            .optional::<(String, Option<String>)>("SELECT name, website FROM apps WHERE id = ?", params![app.0])?
            .map(|(name, website)| AppRef { name, website }),
        None => None,
    };
    Ok(Status {
        id: s.id,
        account,
        in_reply_to_id: parent.map(|p| Id(p.0)),
        in_reply_to_account_id: parent.map(|p| Id(p.1)),
        reblog: None,
        quote_of_id: None,
        quote: None,
        content: s.content,
        text: s.text,
        spoiler_text: s.spoiler_text,
        sensitive: s.sensitive,
        visibility: s.visibility,
        language: s.language,
        created_at: s.created_at,
        edited_at: None,
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        mentions,
        tags,
        application,
        // Most statuses carry none: no query for them on the writer's time.
        media: if s.media_ids.is_empty() {
            Vec::new()
        } else {
            media::of(c, Owner::Status, &[s.id.0])?.remove(&s.id.0).unwrap_or_default()
        },
    })
}

/// Followers who asked to hear of every post of the author, for a post they may read that is
/// not a reply to someone else (as Mastodon notifies them).
fn notify_followers(c: &Connection, status: &Status) -> StoreResult<Vec<Id>> {
    let reply_to_other = status.in_reply_to_account_id.is_some_and(|r| r != status.account.id);
    if status.visibility == Visibility::Direct || reply_to_other {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = c.all(
        "SELECT follower_id FROM follows WHERE followee_id = ? AND notify = 1 ORDER BY follower_id",
        params![status.account.id.0],
    )?;
    Ok(ids.into_iter().map(Id).collect())
}

pub(crate) fn edit_status(c: &Connection, id: Id, e: StatusEdit, homes: Homes) -> StoreResult<Status> {
    let (_, reblog_of) = head(c, id.0)?;
    if reblog_of.is_some() {
        return Err(StoreError::NotFound);
    }
    c.run(
        "UPDATE statuses SET text = ?, content = ?, spoiler_text = ?, sensitive = ?, language = ?, edited_at = ? \
         WHERE id = ?",
        params![&e.text, &e.content, &e.spoiler_text, e.sensitive, &e.language, e.edited_at.0, id.0],
    )?;
    write_mentions_and_tags(c, id.0, &e.mentions, &e.tags)?;
    if homes.materialised() {
        home::edited(c, id)?;
    }
    let version: i32 =
        c.one("SELECT COALESCE(MAX(version), -1) + 1 FROM status_versions WHERE status_id = ?", params![id.0])?;
    write_version(
        c,
        id.0,
        version,
        &e.text,
        &e.content,
        &e.spoiler_text,
        e.sensitive,
        e.language.as_deref(),
        e.edited_at,
    )?;

    let status = hydrate::status(c, id.0)?;
    let rebloggers: Vec<i64> =
        c.all("SELECT account_id FROM statuses WHERE reblog_of_id = ? ORDER BY id", params![id.0])?;
    let rebloggers: Vec<Id> = rebloggers.into_iter().map(Id).collect();
    events::append(c, event::status_edited(&status, version, &rebloggers))?;
    Ok(status)
}

pub(crate) fn status_versions(c: &Connection, id: Id) -> StoreResult<Vec<StatusVersion>> {
    head(c, id.0)?;
    let rows: Vec<VersionRow> = c.all(
        "SELECT status_id, version, text, content, spoiler_text, sensitive, language, created_at \
         FROM status_versions WHERE status_id = ? ORDER BY version",
        params![id.0],
    )?;
    Ok(rows.into_iter().map(StatusVersion::from).collect())
}

/// Deletes one status row whose dependants other than reblogs (versions, mentions, tags,
/// favourites, idempotency keys, home timeline entries) go with it by `ON DELETE CASCADE`, and fixes the counters
/// that pointed at it: its author's `statuses_count`, its parent's `replies_count`, and for a
/// reblog the original's `reblogs_count`.
fn delete_row(c: &Connection, status: &Status) -> StoreResult<()> {
    c.run("DELETE FROM statuses WHERE id = ?", params![status.id.0])?;
    if counts(status.visibility) {
        move_statuses_count(c, status.account.id.0, -1, status.created_at)?;
    }
    if let Some(parent) = status.in_reply_to_id {
        c.run("UPDATE statuses SET replies_count = replies_count - 1 WHERE id = ?", params![parent.0])?;
    }
    if let Some(original) = &status.reblog {
        c.run("UPDATE statuses SET reblogs_count = reblogs_count - 1 WHERE id = ?", params![original.id.0])?;
    }
    Ok(())
}

pub(crate) fn delete_status(c: &Connection, id: Id, actor: Id, at: Timestamp) -> StoreResult<Status> {
    let status = hydrate::status(c, id.0)?;
    if status.reblog.is_none() {
        // The reblogs go first: each is a status of its own, with an author whose count drops,
        // and consumers (timelines, streams) need to hear that each one is gone.
        let reblog_ids: Vec<i64> =
            c.all("SELECT id FROM statuses WHERE reblog_of_id = ? ORDER BY id", params![id.0])?;
        for reblog in hydrate::statuses_in_order(c, &reblog_ids)? {
            delete_row(c, &reblog)?;
            events::append(c, event::status_deleted(&reblog, actor, at))?;
        }
    }
    delete_row(c, &status)?;
    // Its media stay, unattached, for a redraft to attach again.
    media::detach(c, Owner::Status, id)?;
    events::append(c, event::status_deleted(&status, actor, at))?;
    Ok(status)
}

/// Ancestors oldest first and descendants depth-first (children oldest first). A thread whose
/// middle was deleted ends there: the ancestor walk stops at the first missing parent.
pub(crate) fn context(c: &Connection, id: Id) -> StoreResult<(Vec<Status>, Vec<Status>)> {
    head(c, id.0)?;
    let ancestors: Vec<i64> = c.all(
        "WITH RECURSIVE up (id, depth) AS ( \
           SELECT s.in_reply_to_id, 1 FROM statuses s WHERE s.id = ?1 AND s.in_reply_to_id IS NOT NULL \
           UNION ALL \
           SELECT s.in_reply_to_id, up.depth + 1 FROM up JOIN statuses s ON s.id = up.id \
           WHERE s.in_reply_to_id IS NOT NULL AND up.depth < 10000 \
         ) \
         SELECT up.id FROM up JOIN statuses s ON s.id = up.id ORDER BY up.depth DESC",
        params![id.0],
    )?;
    // Zero-padded ids make the path of each reply sort in depth-first thread order.
    let descendants: Vec<i64> = c.all(
        "WITH RECURSIVE down (id, path) AS ( \
           SELECT s.id, printf('%020d', s.id) FROM statuses s WHERE s.in_reply_to_id = ?1 \
           UNION ALL \
           SELECT s.id, down.path || '/' || printf('%020d', s.id) FROM down \
           JOIN statuses s ON s.in_reply_to_id = down.id \
         ) \
         SELECT id FROM down ORDER BY path",
        params![id.0],
    )?;
    let ancestors = hydrate::statuses_in_order(c, &ancestors)?;
    let descendants = hydrate::statuses_in_order(c, &descendants)?;
    Ok((ancestors, descendants))
}
