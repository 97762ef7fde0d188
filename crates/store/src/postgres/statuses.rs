//! Writing statuses (create, edit, delete) with their versions, mentions, tags and counters,
//! and reading edit history and threads.

use std::collections::HashSet;

use sqlx::PgConnection;
use starling_core::event;
use starling_core::model::*;
use starling_core::{Id, StoreError, StoreResult};

use super::{Db, events, home, hydrate, media};
use crate::Homes;
use crate::extensions::Owner;
use crate::rows::VersionRow;

/// Mastodon does not count direct statuses in `statuses_count`; reblogs follow the same rule.
pub(crate) fn counts(visibility: Visibility) -> bool {
    visibility != Visibility::Direct
}

/// Moves the author's `statuses_count` by `by`; a new status (`by > 0`) also moves
/// `last_status_at` forward.
pub(crate) async fn move_statuses_count(c: &mut PgConnection, account: i64, by: i64, at: Timestamp) -> StoreResult<()> {
    if by > 0 {
        sqlx::query(
            "UPDATE accounts SET statuses_count = statuses_count + $1, \
             last_status_at = GREATEST(COALESCE(last_status_at, 0), $2) WHERE id = $3",
        )
        .bind(by)
        .bind(at.0)
        .bind(account)
        .execute(&mut *c)
        .await
        .db()?;
    } else {
        sqlx::query("UPDATE accounts SET statuses_count = statuses_count + $1 WHERE id = $2")
            .bind(by)
            .bind(account)
            .execute(&mut *c)
            .await
            .db()?;
    }
    Ok(())
}

/// `(account_id, reblog_of_id)` of a status, or `NotFound`.
async fn head(c: &mut PgConnection, id: i64) -> StoreResult<(i64, Option<i64>)> {
    sqlx::query_as("SELECT account_id, reblog_of_id FROM statuses WHERE id = $1").bind(id).fetch_one(&mut *c).await.db()
}

fn dedup<T: Clone + Eq + std::hash::Hash>(items: &[T]) -> Vec<T> {
    let mut seen = HashSet::new();
    items.iter().filter(|i| seen.insert((*i).clone())).cloned().collect()
}

/// Tags as stored: lower-cased.
fn normalized(tags: &[String]) -> Vec<String> {
    tags.iter().map(|t| starling_core::text::normalize_tag(t)).collect()
}

/// Replaces the mentions and tags of `status` (tags lower-cased, both deduplicated, order kept).
async fn write_mentions_and_tags(
    c: &mut PgConnection,
    status: i64,
    mentions: &[Id],
    tags: &[String],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM mentions WHERE status_id = $1").bind(status).execute(&mut *c).await.db()?;
    sqlx::query("DELETE FROM status_tags WHERE status_id = $1").bind(status).execute(&mut *c).await.db()?;
    // One statement each, whatever the number: `WITH ORDINALITY` numbers them in list order.
    let mentions: Vec<i64> = dedup(mentions).into_iter().map(|id| id.0).collect();
    if !mentions.is_empty() {
        sqlx::query(
            "INSERT INTO mentions (status_id, account_id, position) \
             SELECT $1, m.account_id, m.position - 1 FROM unnest($2::bigint[]) WITH ORDINALITY AS m (account_id, position)",
        )
        .bind(status)
        .bind(mentions)
        .execute(&mut *c)
        .await
        .db()?;
    }
    let lowered = normalized(tags);
    let tags = dedup(&lowered);
    if !tags.is_empty() {
        sqlx::query(
            "INSERT INTO status_tags (status_id, tag, position) \
             SELECT $1, t.tag, t.position - 1 FROM unnest($2::text[]) WITH ORDINALITY AS t (tag, position)",
        )
        .bind(status)
        .bind(tags)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn write_version(
    c: &mut PgConnection,
    status: i64,
    version: i32,
    text: &str,
    content: &str,
    spoiler_text: &str,
    sensitive: bool,
    language: Option<&str>,
    at: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO status_versions (status_id, version, text, content, spoiler_text, sensitive, language, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(status)
    .bind(version)
    .bind(text)
    .bind(content)
    .bind(spoiler_text)
    .bind(sensitive)
    .bind(language)
    .bind(at.0)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// `homes`: whether (and how) the status is written into its followers' home timelines.
pub(crate) async fn create_status(c: &mut PgConnection, s: NewStatus, homes: Homes) -> StoreResult<Status> {
    if let Some(key) = &s.idempotency_key {
        let earlier: Option<i64> =
            sqlx::query_scalar("SELECT status_id FROM idempotency_keys WHERE account_id = $1 AND key = $2")
                .bind(s.account_id.0)
                .bind(key)
                .fetch_optional(&mut *c)
                .await
                .db()?;
        if let Some(id) = earlier {
            return hydrate::status(c, id).await;
        }
    }

    // A reply to a reblog is a reply to the reblogged status, as in Mastodon.
    let parent = match s.in_reply_to_id {
        Some(id) => {
            let (author, reblog_of) = head(c, id.0).await?;
            match reblog_of {
                Some(original) => Some((original, head(c, original).await?.0)),
                None => Some((id.0, author)),
            }
        }
        None => None,
    };
    // Before any row is written (see `home::lock`): who may see it depends on the author's
    // followers and, for a reply, on the addressee's.
    let mut authors = vec![s.account_id.0];
    authors.extend(parent.map(|p| p.1));
    home::lock(c, &[], &authors).await?;
    // And on its tags, whose followers it reaches.
    if homes.materialised() {
        home::lock_tags(c, &[], &normalized(&s.tags)).await?;
    }

    sqlx::query(
        "INSERT INTO statuses (id, account_id, app_id, in_reply_to_id, in_reply_to_account_id, text, content, \
         spoiler_text, sensitive, visibility, language, created_at, quote_of_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(s.id.0)
    .bind(s.account_id.0)
    .bind(s.app_id.map(|id| id.0))
    .bind(parent.map(|p| p.0))
    .bind(parent.map(|p| p.1))
    .bind(&s.text)
    .bind(&s.content)
    .bind(&s.spoiler_text)
    .bind(s.sensitive)
    .bind(s.visibility.as_str())
    .bind(&s.language)
    .bind(s.created_at.0)
    .bind(s.quote_of_id.map(|id| id.0))
    .execute(&mut *c)
    .await
    .db()?;
    write_version(c, s.id.0, 0, &s.text, &s.content, &s.spoiler_text, s.sensitive, s.language.as_deref(), s.created_at)
        .await?;
    write_mentions_and_tags(c, s.id.0, &s.mentions, &s.tags).await?;
    media::attach(c, Owner::Status, s.id, s.account_id, &s.media_ids).await?;

    if let Some((parent, _)) = parent {
        sqlx::query("UPDATE statuses SET replies_count = replies_count + 1 WHERE id = $1")
            .bind(parent)
            .execute(&mut *c)
            .await
            .db()?;
    }
    if counts(s.visibility) {
        move_statuses_count(c, s.account_id.0, 1, s.created_at).await?;
    }
    if let Some(key) = &s.idempotency_key {
        sqlx::query("INSERT INTO idempotency_keys (account_id, key, status_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(s.account_id.0)
            .bind(key)
            .bind(s.id.0)
            .bind(s.created_at.0)
            .execute(&mut *c)
            .await
            .db()?;
    }
    if homes.materialised() {
        home::fan_out(c, s.id, homes.threshold).await?;
    }

    let status = hydrate::status(c, s.id.0).await?;
    let notify = notify_followers(c, &status).await?;
    events::append(c, event::status_created(&status, &notify)).await?;
    Ok(status)
}

/// Followers who asked to hear of every post of the author, for a post they may read that is
/// not a reply to someone else (as Mastodon notifies them).
async fn notify_followers(c: &mut PgConnection, status: &Status) -> StoreResult<Vec<Id>> {
    let reply_to_other = status.in_reply_to_account_id.is_some_and(|r| r != status.account.id);
    if status.visibility == Visibility::Direct || reply_to_other {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT follower_id FROM follows WHERE followee_id = $1 AND notify ORDER BY follower_id")
            .bind(status.account.id.0)
            .fetch_all(&mut *c)
            .await
            .db()?;
    Ok(ids.into_iter().map(Id).collect())
}

pub(crate) async fn edit_status(c: &mut PgConnection, id: Id, e: StatusEdit, homes: Homes) -> StoreResult<Status> {
    let (author, reblog_of) = head(c, id.0).await?;
    if reblog_of.is_some() {
        return Err(StoreError::NotFound);
    }
    // The mentions decide who sees the reblogs of a private status: lock the author and the
    // rebloggers (whose followers' homes hold the reblogs) against concurrent follows.
    let mut authors: Vec<i64> = sqlx::query_scalar("SELECT account_id FROM statuses WHERE reblog_of_id = $1")
        .bind(id.0)
        .fetch_all(&mut *c)
        .await
        .db()?;
    authors.push(author);
    home::lock(c, &[], &authors).await?;
    // The tags it carried and will carry decide which tag followers it reaches.
    if homes.materialised() {
        let mut tags: Vec<String> = sqlx::query_scalar("SELECT tag FROM status_tags WHERE status_id = $1")
            .bind(id.0)
            .fetch_all(&mut *c)
            .await
            .db()?;
        tags.extend(normalized(&e.tags));
        home::lock_tags(c, &[], &tags).await?;
    }
    sqlx::query(
        "UPDATE statuses SET text = $1, content = $2, spoiler_text = $3, sensitive = $4, language = $5, edited_at = $6 \
         WHERE id = $7",
    )
    .bind(&e.text)
    .bind(&e.content)
    .bind(&e.spoiler_text)
    .bind(e.sensitive)
    .bind(&e.language)
    .bind(e.edited_at.0)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .db()?;
    write_mentions_and_tags(c, id.0, &e.mentions, &e.tags).await?;
    if homes.materialised() {
        home::edited(c, id).await?;
    }
    let version: i32 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), -1) + 1 FROM status_versions WHERE status_id = $1")
            .bind(id.0)
            .fetch_one(&mut *c)
            .await
            .db()?;
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
    )
    .await?;

    let status = hydrate::status(c, id.0).await?;
    let rebloggers: Vec<i64> =
        sqlx::query_scalar("SELECT account_id FROM statuses WHERE reblog_of_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(&mut *c)
            .await
            .db()?;
    let rebloggers: Vec<Id> = rebloggers.into_iter().map(Id).collect();
    events::append(c, event::status_edited(&status, version, &rebloggers)).await?;
    Ok(status)
}

pub(crate) async fn status_versions(c: &mut PgConnection, id: Id) -> StoreResult<Vec<StatusVersion>> {
    head(c, id.0).await?;
    let rows: Vec<VersionRow> = sqlx::query_as(
        "SELECT status_id, version, text, content, spoiler_text, sensitive, language, created_at \
         FROM status_versions WHERE status_id = $1 ORDER BY version",
    )
    .bind(id.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    Ok(rows.into_iter().map(StatusVersion::from).collect())
}

/// Deletes one status row whose dependants other than reblogs (versions, mentions, tags,
/// favourites, idempotency keys, home timeline entries) go with it by `ON DELETE CASCADE`, and fixes the counters
/// that pointed at it: its author's `statuses_count`, its parent's `replies_count`, and for a
/// reblog the original's `reblogs_count`.
async fn delete_row(c: &mut PgConnection, status: &Status) -> StoreResult<()> {
    sqlx::query("DELETE FROM statuses WHERE id = $1").bind(status.id.0).execute(&mut *c).await.db()?;
    if counts(status.visibility) {
        move_statuses_count(c, status.account.id.0, -1, status.created_at).await?;
    }
    if let Some(parent) = status.in_reply_to_id {
        sqlx::query("UPDATE statuses SET replies_count = replies_count - 1 WHERE id = $1")
            .bind(parent.0)
            .execute(&mut *c)
            .await
            .db()?;
    }
    if let Some(original) = &status.reblog {
        sqlx::query("UPDATE statuses SET reblogs_count = reblogs_count - 1 WHERE id = $1")
            .bind(original.id.0)
            .execute(&mut *c)
            .await
            .db()?;
    }
    Ok(())
}

pub(crate) async fn delete_status(c: &mut PgConnection, id: Id, actor: Id, at: Timestamp) -> StoreResult<Status> {
    let status = hydrate::status(c, id.0).await?;
    if status.reblog.is_none() {
        // The reblogs go first: each is a status of its own, with an author whose count drops,
        // and consumers (timelines, streams) need to hear that each one is gone.
        let reblog_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM statuses WHERE reblog_of_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(&mut *c)
            .await
            .db()?;
        for reblog in hydrate::statuses_in_order(c, &reblog_ids).await? {
            delete_row(c, &reblog).await?;
            events::append(c, event::status_deleted(&reblog, actor, at)).await?;
        }
    }
    delete_row(c, &status).await?;
    // Its media stay, unattached, for a redraft to attach again.
    media::detach(c, Owner::Status, id).await?;
    events::append(c, event::status_deleted(&status, actor, at)).await?;
    Ok(status)
}

/// Ancestors oldest first and descendants depth-first (children oldest first). A thread whose
/// middle was deleted ends there: the ancestor walk stops at the first missing parent.
pub(crate) async fn context(c: &mut PgConnection, id: Id) -> StoreResult<(Vec<Status>, Vec<Status>)> {
    head(c, id.0).await?;
    let ancestors: Vec<i64> = sqlx::query_scalar(
        "WITH RECURSIVE up (id, depth) AS ( \
           SELECT s.in_reply_to_id, 1 FROM statuses s WHERE s.id = $1 AND s.in_reply_to_id IS NOT NULL \
           UNION ALL \
           SELECT s.in_reply_to_id, up.depth + 1 FROM up JOIN statuses s ON s.id = up.id \
           WHERE s.in_reply_to_id IS NOT NULL AND up.depth < 10000 \
         ) \
         SELECT up.id FROM up JOIN statuses s ON s.id = up.id ORDER BY up.depth DESC",
    )
    .bind(id.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    // Zero-padded ids make the path of each reply sort in depth-first thread order.
    let descendants: Vec<i64> = sqlx::query_scalar(
        "WITH RECURSIVE down (id, path) AS ( \
           SELECT s.id, lpad(s.id::text, 20, '0') FROM statuses s WHERE s.in_reply_to_id = $1 \
           UNION ALL \
           SELECT s.id, down.path || '/' || lpad(s.id::text, 20, '0') FROM down \
           JOIN statuses s ON s.in_reply_to_id = down.id \
         ) \
         SELECT id FROM down ORDER BY path",
    )
    .bind(id.0)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let ancestors = hydrate::statuses_in_order(c, &ancestors).await?;
    let descendants = hydrate::statuses_in_order(c, &descendants).await?;
    Ok((ancestors, descendants))
}
