//! The counts trends are computed from: hashtag use per day, and fresh statuses' engagement.
//! Public originals only: what the public timeline shows is what may trend.

use sqlx::PgConnection;
use starling_core::model::Timestamp;
use starling_core::trends::{DAY_MS, Engagement, TagDay};
use starling_core::{Id, StoreResult};

use super::Db;

pub(crate) async fn tag_days(
    c: &mut PgConnection,
    since: Timestamp,
    tags: Option<&[String]>,
) -> StoreResult<Vec<TagDay>> {
    let floor = Id::floor_at(since.0).0;
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT t.tag, s.created_at / $1, COUNT(*), COUNT(DISTINCT s.account_id) FROM status_tags t \
         JOIN statuses s ON s.id = t.status_id WHERE ($2::text[] IS NULL OR t.tag = ANY($2)) \
         AND t.status_id >= $3 AND s.created_at >= $4 AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
         GROUP BY t.tag, s.created_at / $1",
    )
    .bind(DAY_MS)
    .bind(tags)
    .bind(floor)
    .bind(since.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    Ok(rows.into_iter().map(|(tag, day, uses, accounts)| TagDay { tag, day, uses, accounts }).collect())
}

pub(crate) async fn engaged(c: &mut PgConnection, since: Timestamp, limit: u32) -> StoreResult<Vec<(Id, Engagement)>> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT s.id, s.created_at, s.favourites_count, s.reblogs_count, s.replies_count FROM statuses s \
         WHERE s.id >= $1 AND s.created_at >= $2 AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
         AND s.favourites_count + s.reblogs_count + s.replies_count > 0 \
         ORDER BY s.favourites_count + 2 * s.reblogs_count + s.replies_count DESC, s.id DESC LIMIT $3",
    )
    .bind(Id::floor_at(since.0).0)
    .bind(since.0)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await
    .db()?;
    Ok(rows
        .into_iter()
        .map(|(id, at, favourites, reblogs, replies)| {
            (Id(id), Engagement { created_at: Timestamp(at), favourites, reblogs, replies })
        })
        .collect())
}
