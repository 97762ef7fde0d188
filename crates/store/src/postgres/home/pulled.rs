//! Home timelines computed when read, for a store that leaves them to a cache (`HomeMode::Pulled`,
//! ADR 11), and the questions that cache asks: who sees a new status, what a missing home
//! holds, whether an entry still belongs. Every query applies [`shown!`], the one home rule,
//! and admits the statuses of followed hashtags as [`tagged_for!`] says.

use sqlx::PgConnection;
use starling_core::model::Status;
use starling_core::page::{Page, PageRequest};
use starling_core::{Id, StoreResult};

use super::super::{Db, page};
use super::{NO_LOWER, NO_UPPER};

/// SQL: the statuses of the viewer (`$1`) and of the accounts they follow that the rule shows,
/// within the bounds (`$2` above, `$3` below).
macro_rules! candidates {
    () => {
        concat!(
            "SELECT s.id FROM statuses s WHERE (s.account_id = $1 OR s.account_id IN ",
            "(SELECT pf.followee_id FROM follows pf WHERE pf.follower_id = $1)) ",
            "AND s.id < $2 AND s.id > $3 AND ",
            shown!("$1", "s")
        )
    };
}

const DESC: &str = concat!(candidates!(), " ORDER BY s.id DESC LIMIT $4");
const ASC: &str = concat!(candidates!(), " ORDER BY s.id ASC LIMIT $4");

/// SQL: the public statuses carrying tag `$2` that the rule shows the viewer (`$1`), within the
/// bounds (`$3` above, `$4` below), walking the tag's index from one end.
macro_rules! tagged {
    () => {
        concat!(
            "SELECT s.id FROM status_tags t JOIN statuses s ON s.id = t.status_id ",
            "WHERE t.tag = $2 AND t.status_id < $3 AND t.status_id > $4 ",
            "AND s.visibility = 'public' AND s.reblog_of_id IS NULL AND ",
            shown!("$1", "s")
        )
    };
}

const TAGGED_DESC: &str = concat!(tagged!(), " ORDER BY t.status_id DESC LIMIT $5");
const TAGGED_ASC: &str = concat!(tagged!(), " ORDER BY t.status_id ASC LIMIT $5");

/// The ids of one page of the viewer's home, in the direction the request walks: the
/// statuses of the viewer and of those they follow, and a page of each followed hashtag's
/// (usually few), merged by id and cut to the page.
async fn ids(c: &mut PgConnection, viewer: Id, req: &PageRequest) -> StoreResult<Vec<i64>> {
    let upper = req.max_id.map_or(NO_UPPER, |id| id.0);
    let lower = req.lower().map_or(NO_LOWER, |id| id.0);
    let limit = i64::from(req.limit);
    let (sql, tagged) = if req.ascending() { (ASC, TAGGED_ASC) } else { (DESC, TAGGED_DESC) };
    let mut ids: Vec<i64> =
        sqlx::query_scalar(sql).bind(viewer.0).bind(upper).bind(lower).bind(limit).fetch_all(&mut *c).await.db()?;
    let tags: Vec<String> = sqlx::query_scalar("SELECT tag FROM tag_follows WHERE account_id = $1")
        .bind(viewer.0)
        .fetch_all(&mut *c)
        .await
        .db()?;
    if tags.is_empty() {
        return Ok(ids);
    }
    for tag in tags {
        let more: Vec<i64> = sqlx::query_scalar(tagged)
            .bind(viewer.0)
            .bind(tag)
            .bind(upper)
            .bind(lower)
            .bind(limit)
            .fetch_all(&mut *c)
            .await
            .db()?;
        ids.extend(more);
    }
    Ok(crate::assemble::one_page_of(ids, req))
}

/// The home timeline computed from statuses and follows: no floor, no cap.
pub(crate) async fn timeline(c: &mut PgConnection, viewer: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let found = ids(c, viewer, &req).await?;
    page::statuses(c, &req, found.into_iter().map(|id| (id, id)).collect()).await
}

/// The newest `limit` ids of the viewer's home, newest first.
pub(crate) async fn backfill(c: &mut PgConnection, viewer: Id, limit: u32) -> StoreResult<Vec<Id>> {
    Ok(ids(c, viewer, &PageRequest::first(limit)).await?.into_iter().map(Id).collect())
}

/// The author (if the rule shows them their own status), every follower the rule admits, and
/// every follower of a hashtag it carries the rule admits.
pub(crate) async fn recipients(c: &mut PgConnection, status: Id) -> StoreResult<Vec<Id>> {
    const SQL: &str = concat!(
        "SELECT s.account_id FROM statuses s WHERE s.id = $1 AND ",
        shown!("s.account_id", "s"),
        " UNION SELECT f.follower_id FROM statuses s JOIN follows f ON f.followee_id = s.account_id ",
        "WHERE s.id = $1 AND ",
        shown!("f.follower_id", "s"),
        " UNION SELECT tf.account_id FROM statuses s JOIN status_tags t ON t.status_id = s.id ",
        "JOIN tag_follows tf ON tf.tag = t.tag WHERE s.id = $1 AND s.visibility = 'public' ",
        "AND s.reblog_of_id IS NULL AND ",
        shown!("tf.account_id", "s")
    );
    let found: Vec<i64> = sqlx::query_scalar(SQL).bind(status.0).fetch_all(&mut *c).await.db()?;
    Ok(found.into_iter().map(Id).collect())
}

/// Those of `ids` that exist and that the viewer's home shows now, in the order of `ids`.
pub(crate) async fn admitted(c: &mut PgConnection, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Id>> {
    const SQL: &str = concat!(
        "SELECT s.id FROM statuses s WHERE s.id = ANY($2) ",
        "AND (s.account_id = $1 OR EXISTS (SELECT 1 FROM follows af WHERE af.follower_id = $1 ",
        "AND af.followee_id = s.account_id) OR ",
        tagged_for!("$1", "s"),
        ") AND ",
        shown!("$1", "s")
    );
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: std::collections::HashSet<i64> = sqlx::query_scalar(SQL)
        .bind(viewer.0)
        .bind(ids.iter().map(|id| id.0).collect::<Vec<i64>>())
        .fetch_all(&mut *c)
        .await
        .db()?
        .into_iter()
        .collect();
    Ok(ids.iter().copied().filter(|id| found.contains(&id.0)).collect())
}
