//! The counts trends are computed from: hashtag use per day, and fresh statuses' engagement.
//! Public originals only: what the public timeline shows is what may trend.

use rusqlite::{Connection, params};
use starling_core::model::Timestamp;
use starling_core::trends::{DAY_MS, Engagement, TagDay};
use starling_core::{Id, StoreResult};

use super::{Sql, text_list};

pub(crate) fn tag_days(c: &Connection, since: Timestamp, tags: Option<&[String]>) -> StoreResult<Vec<TagDay>> {
    // The id bound walks the tag index's second column; the time bound is exact.
    let floor = Id::floor_at(since.0).0;
    let rows: Vec<(String, i64, i64, i64)> = match tags {
        None => c.all(
            "SELECT t.tag, s.created_at / ?, COUNT(*), COUNT(DISTINCT s.account_id) FROM status_tags t \
             JOIN statuses s ON s.id = t.status_id WHERE t.status_id >= ? AND s.created_at >= ? \
             AND s.visibility = 'public' AND s.reblog_of_id IS NULL GROUP BY t.tag, s.created_at / ?",
            params![DAY_MS, floor, since.0, DAY_MS],
        )?,
        Some(tags) => c.all(
            "SELECT t.tag, s.created_at / ?, COUNT(*), COUNT(DISTINCT s.account_id) FROM status_tags t \
             JOIN statuses s ON s.id = t.status_id WHERE t.tag IN (SELECT value FROM json_each(?)) \
             AND t.status_id >= ? AND s.created_at >= ? AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
             GROUP BY t.tag, s.created_at / ?",
            params![DAY_MS, text_list(tags)?, floor, since.0, DAY_MS],
        )?,
    };
    Ok(rows.into_iter().map(|(tag, day, uses, accounts)| TagDay { tag, day, uses, accounts }).collect())
}

pub(crate) fn engaged(c: &Connection, since: Timestamp, limit: u32) -> StoreResult<Vec<(Id, Engagement)>> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = c.all(
        "SELECT s.id, s.created_at, s.favourites_count, s.reblogs_count, s.replies_count FROM statuses s \
         WHERE s.id >= ? AND s.created_at >= ? AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
         AND s.favourites_count + s.reblogs_count + s.replies_count > 0 \
         ORDER BY s.favourites_count + 2 * s.reblogs_count + s.replies_count DESC, s.id DESC LIMIT ?",
        params![Id::floor_at(since.0).0, since.0, i64::from(limit)],
    )?;
    Ok(rows
        .into_iter()
        .map(|(id, at, favourites, reblogs, replies)| {
            (Id(id), Engagement { created_at: Timestamp(at), favourites, reblogs, replies })
        })
        .collect())
}
