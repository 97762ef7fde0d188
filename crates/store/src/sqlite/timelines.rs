//! Timelines: which status ids a viewer sees, newest first, paged by status id. Each query
//! selects ids only; `page::statuses` hydrates the page in a fixed number of queries. The home
//! timeline is materialised and lives in `home.rs`.
//!
//! Visibility here agrees with `Status::visible_to`: public and unlisted statuses are for
//! everyone, private ones for the author, followers and the mentioned, direct ones for the
//! author and the mentioned. A reblog is shown only if its original is visible too.
//!
//! `only_media` keeps the statuses with at least one attachment (a reblog's are its original's).

use rusqlite::Connection;
use starling_core::model::Status;
use starling_core::page::{Page, PageRequest};
use starling_core::store::AccountStatusesFilter;
use starling_core::{Id, StoreResult};

use super::{QueryBuilder, page};

/// The status `s` (or, for a reblog, its original) has an attachment.
const WITH_MEDIA: &str =
    " AND EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = COALESCE(s.reblog_of_id, s.id))";

/// Pushes "the status `alias` is visible to `viewer`" as one parenthesised condition.
pub(crate) fn push_visible(qb: &mut QueryBuilder, alias: &str, viewer: Option<Id>) {
    let Some(v) = viewer else {
        qb.push(format_args!("{alias}.visibility IN ('public', 'unlisted')"));
        return;
    };
    qb.push(format_args!("({alias}.visibility IN ('public', 'unlisted') OR {alias}.account_id = "))
        .push_bind(v.0)
        .push(format_args!(
            " OR ({alias}.visibility = 'private' AND EXISTS (SELECT 1 FROM follows vf \
             WHERE vf.followee_id = {alias}.account_id AND vf.follower_id = "
        ))
        .push_bind(v.0)
        .push(format_args!(
            ")) OR EXISTS (SELECT 1 FROM mentions vm WHERE vm.status_id = {alias}.id AND vm.account_id = "
        ))
        .push_bind(v.0)
        .push("))");
}

/// Pushes " AND (s is not a reblog, or its original is visible to `viewer`)".
fn push_original_visible(qb: &mut QueryBuilder, viewer: Option<Id>) {
    qb.push(" AND (s.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND ");
    push_visible(qb, "o", viewer);
    qb.push("))");
}

fn run(c: &Connection, mut qb: QueryBuilder, req: PageRequest) -> StoreResult<Page<Status>> {
    page::push_bounds(&mut qb, "s.id", &req);
    let pairs = page::fetch_pairs(c, qb)?;
    page::statuses(c, &req, pairs)
}

/// The home timeline as one query over statuses and follows, as it was before home timelines
/// were materialised (`home.rs`): kept as the oracle the materialised one is tested against.
#[cfg(test)]
pub(crate) fn home_by_query(c: &Connection, viewer: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let v = viewer.0;
    let mut qb = QueryBuilder::new("SELECT s.id, s.id FROM statuses s WHERE (s.account_id = ");
    qb.push_bind(v)
        .push(" OR s.account_id IN (SELECT followee_id FROM follows WHERE follower_id = ")
        .push_bind(v)
        .push(
            ") OR (s.visibility = 'public' AND s.reblog_of_id IS NULL AND EXISTS (SELECT 1 FROM status_tags t \
             JOIN tag_follows tf ON tf.tag = t.tag WHERE t.status_id = s.id AND tf.account_id = ",
        )
        .push_bind(v)
        .push("))) AND s.visibility <> 'direct'")
        .push(
            " AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id \
             OR s.account_id = ",
        )
        .push_bind(v)
        .push(" OR s.in_reply_to_account_id = ")
        .push_bind(v)
        .push(" OR s.in_reply_to_account_id IN (SELECT followee_id FROM follows WHERE follower_id = ")
        .push_bind(v)
        .push("))");
    push_original_visible(&mut qb, Some(viewer));
    run(c, qb, req)
}

pub(crate) fn public(c: &Connection, req: PageRequest, only_media: bool) -> StoreResult<Page<Status>> {
    let mut qb = QueryBuilder::new(
        "SELECT s.id, s.id FROM statuses s WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL \
         AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id)",
    );
    if only_media {
        qb.push(WITH_MEDIA);
    }
    run(c, qb, req)
}

pub(crate) fn tag(c: &Connection, tag: &str, req: PageRequest) -> StoreResult<Page<Status>> {
    let mut qb = QueryBuilder::new(
        "SELECT s.id, s.id FROM status_tags t JOIN statuses s ON s.id = t.status_id \
         WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND t.tag = ",
    );
    qb.push_bind(tag.to_lowercase());
    // Paging on the tag index's column lets SQLite walk (tag, status_id) from the top.
    page::push_bounds(&mut qb, "t.status_id", &req);
    let pairs = page::fetch_pairs(c, qb)?;
    page::statuses(c, &req, pairs)
}

pub(crate) fn account(
    c: &Connection,
    account: Id,
    viewer: Option<Id>,
    filter: AccountStatusesFilter,
    req: PageRequest,
) -> StoreResult<Page<Status>> {
    let mut qb = QueryBuilder::new("SELECT s.id, s.id FROM statuses s WHERE s.account_id = ");
    qb.push_bind(account.0).push(" AND ");
    push_visible(&mut qb, "s", viewer);
    push_original_visible(&mut qb, viewer);
    if filter.exclude_replies {
        // Threads the author continues are not replies to anyone else, as in Mastodon.
        qb.push(" AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)");
    }
    if filter.exclude_reblogs {
        qb.push(" AND s.reblog_of_id IS NULL");
    }
    if filter.only_media {
        qb.push(WITH_MEDIA);
    }
    run(c, qb, req)
}
