//! Search: accounts and hashtags by prefix, statuses by their words (a contentless FTS5 table
//! that follows the event log in batches, off the write transactions: ADR 17), only what the
//! viewer may see.

use rusqlite::{Connection, params};
use starling_core::StoreResult;
use starling_core::model::{Account, Status};
use starling_core::store::{StatusSearch, TagUse};

use super::{QueryBuilder, Sql, hydrate, timelines};
use crate::extensions::{SEARCH_AGE_SCALE_MS, like_prefix};

pub(crate) fn accounts(
    c: &Connection,
    prefix: &str,
    followed_by: Option<starling_core::Id>,
    limit: u32,
    offset: u32,
) -> StoreResult<Vec<Account>> {
    // SQLite's LIKE ignores ASCII case; `=` on the NOCASE username column does too.
    let mut qb = QueryBuilder::new("SELECT a.id FROM accounts a WHERE (a.username LIKE ");
    let pattern = like_prefix(prefix);
    qb.push_bind(pattern.clone())
        .push(" ESCAPE '\\' OR a.display_name LIKE ")
        .push_bind(pattern.clone())
        .push(" ESCAPE '\\')");
    if let Some(follower) = followed_by {
        qb.push(" AND a.id IN (SELECT followee_id FROM follows WHERE follower_id = ").push_bind(follower.0).push(")");
    }
    qb.push(" ORDER BY a.username = ")
        .push_bind(prefix.to_string())
        .push(" DESC, a.username LIKE ")
        .push_bind(pattern)
        .push(" ESCAPE '\\' DESC, a.followers_count DESC, a.id LIMIT ")
        .push_bind(i64::from(limit))
        .push(" OFFSET ")
        .push_bind(i64::from(offset));
    let ids: Vec<i64> = qb.all(c)?;
    hydrate::accounts_in_order(c, &ids)
}

pub(crate) fn tags(c: &Connection, prefix: &str, limit: u32, offset: u32) -> StoreResult<Vec<TagUse>> {
    // A range rather than LIKE: tags are stored lower-cased, and a range walks the tag index.
    let upper = format!("{prefix}{}", char::MAX);
    let rows: Vec<(String, i64)> = c.all(
        "SELECT tag, COUNT(*) FROM status_tags WHERE tag >= ? AND tag < ? GROUP BY tag \
         ORDER BY COUNT(*) DESC, tag LIMIT ? OFFSET ?",
        params![prefix, upper, i64::from(limit), i64::from(offset)],
    )?;
    Ok(rows.into_iter().map(|(name, uses)| TagUse { name, uses }).collect())
}

/// The words as an FTS5 query: each a quoted phrase (quotes doubled), all required.
fn match_expression(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

pub(crate) fn statuses(c: &Connection, search: StatusSearch) -> StoreResult<Vec<Status>> {
    if search.words.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = QueryBuilder::new(
        "SELECT s.id FROM statuses_fts JOIN statuses s ON s.id = statuses_fts.rowid WHERE statuses_fts MATCH ",
    );
    qb.push_bind(match_expression(&search.words)).push(" AND s.reblog_of_id IS NULL AND ");
    timelines::push_visible(&mut qb, "s", search.viewer);
    if let Some(account) = search.account {
        qb.push(" AND s.account_id = ").push_bind(account.0);
    }
    // bm25 is negative, better matches more so; age divides it towards zero.
    qb.push(" ORDER BY bm25(statuses_fts) / (1.0 + (")
        .push_bind(search.now.0)
        .push(format_args!(" - s.created_at) / {SEARCH_AGE_SCALE_MS}), s.id DESC LIMIT "))
        .push_bind(i64::from(search.limit))
        .push(" OFFSET ")
        .push_bind(i64::from(search.offset));
    let ids: Vec<i64> = qb.all(c)?;
    hydrate::statuses_in_order(c, &ids)
}

/// The consumer whose offset says how far the index has followed the log.
const CONSUMER: &str = "search";
/// The most events one call indexes: one write transaction's worth.
const BATCH: i64 = 256;

pub(crate) fn index(c: &Connection, upto: i64) -> StoreResult<i64> {
    let from = super::notifications::consumer_offset(c, CONSUMER)?;
    let upto = upto.min(from.saturating_add(BATCH));
    if upto <= from {
        return Ok(from);
    }
    let changes: Vec<(String, Option<i64>)> = c.all(
        "SELECT kind, subject_id FROM events WHERE seq > ? AND seq <= ? \
         AND kind IN ('status.created', 'status.edited', 'status.deleted') ORDER BY seq",
        params![from, upto],
    )?;
    for (kind, id) in changes {
        let Some(id) = id else { continue };
        // An edit replaces the text; a deletion only forgets it. A new status has nothing to
        // forget (a batch replayed after a crash indexes it twice, which only costs a little
        // rank precision until it is edited or deleted).
        if kind != "status.created" {
            c.run("DELETE FROM statuses_fts WHERE rowid = ?", params![id])?;
        }
        if kind != "status.deleted" {
            c.run(
                "INSERT INTO statuses_fts (rowid, text) SELECT id, text FROM statuses WHERE id = ? AND reblog_of_id IS NULL",
                params![id],
            )?;
        }
    }
    c.run(
        "INSERT INTO consumer_offsets (consumer, seq) VALUES (?, ?) \
         ON CONFLICT (consumer) DO UPDATE SET seq = MAX(seq, excluded.seq)",
        params![CONSUMER, upto],
    )?;
    Ok(upto)
}
