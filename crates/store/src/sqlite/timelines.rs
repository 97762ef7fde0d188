//! Timelines: which status ids a viewer sees, newest first, paged by status id. Each query
//! selects ids only; `page::statuses` hydrates the page in a fixed number of queries.
//!
//! Visibility here agrees with `Status::visible_to`: public and unlisted statuses are for
//! everyone, private ones for the author, followers and the mentioned, direct ones for the
//! author and the mentioned. A reblog is shown only if its original is visible too.
//!
//! Media attachments do not exist yet, so every `only_media` list is empty.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use starling_core::model::Status;
use starling_core::page::{Page, PageRequest};
use starling_core::store::AccountStatusesFilter;
use starling_core::{Id, StoreResult};

use super::{Db, page};

/// Pushes "the status `alias` is visible to `viewer`" as one parenthesised condition.
fn push_visible(qb: &mut QueryBuilder<Sqlite>, alias: &str, viewer: Option<Id>) {
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
fn push_original_visible(qb: &mut QueryBuilder<Sqlite>, viewer: Option<Id>) {
    qb.push(" AND (s.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND ");
    push_visible(qb, "o", viewer);
    qb.push("))");
}

async fn run(c: &mut SqliteConnection, mut qb: QueryBuilder<Sqlite>, req: PageRequest) -> StoreResult<Page<Status>> {
    page::push_bounds(&mut qb, "s.id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::statuses(c, &req, pairs).await
}

/// Up to this many candidate statuses, the home timeline reads them all through the
/// `(account_id, id)` index and sorts them; above it, it walks the primary key from the top and
/// stops after `limit` matches. The first is cheap for someone who follows few or quiet
/// accounts (a global walk would pass over everyone else's statuses), the second for someone
/// who follows busy ones (a sort would read their whole history on every request).
const HOME_SORT_MAX_ROWS: i64 = 10_000;

pub(crate) async fn home(c: &mut SqliteConnection, viewer: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let v = viewer.0;
    // `statuses_count` is exact, so this is the number of rows the index plan would read
    // (give or take direct statuses and the page bounds).
    let candidates: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(statuses_count), 0) FROM accounts \
         WHERE id = ?1 OR id IN (SELECT followee_id FROM follows WHERE follower_id = ?1)",
    )
    .bind(v)
    .fetch_one(&mut *c)
    .await
    .db()?;
    home_with_plan(c, viewer, req, candidates > HOME_SORT_MAX_ROWS).await
}

/// The home timeline query; `walk_by_id` hides the author index from the planner (a unary `+`
/// makes a column unindexable) so that it walks statuses newest first and stops early.
pub(crate) async fn home_with_plan(
    c: &mut SqliteConnection,
    viewer: Id,
    req: PageRequest,
    walk_by_id: bool,
) -> StoreResult<Page<Status>> {
    let v = viewer.0;
    let author = if walk_by_id { "+s.account_id" } else { "s.account_id" };
    let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT s.id, s.id FROM statuses s WHERE ({author} = "));
    qb.push_bind(v)
        .push(format_args!(" OR {author} IN (SELECT followee_id FROM follows WHERE follower_id = "))
        .push_bind(v)
        .push(")) AND s.visibility <> 'direct'")
        // Replies only by the viewer, or to the author themselves, the viewer, or someone the
        // viewer follows (Mastodon never filters the viewer's own statuses out of their home).
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
    // Every non-direct status of a followed account is visible to the viewer; only a reblogged
    // original needs checking.
    push_original_visible(&mut qb, Some(viewer));
    run(c, qb, req).await
}

pub(crate) async fn public(c: &mut SqliteConnection, req: PageRequest, only_media: bool) -> StoreResult<Page<Status>> {
    if only_media {
        return Ok(Page::empty());
    }
    let qb = QueryBuilder::<Sqlite>::new(
        "SELECT s.id, s.id FROM statuses s WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL \
         AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id)",
    );
    run(c, qb, req).await
}

pub(crate) async fn tag(c: &mut SqliteConnection, tag: &str, req: PageRequest) -> StoreResult<Page<Status>> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT s.id, s.id FROM status_tags t JOIN statuses s ON s.id = t.status_id \
         WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND t.tag = ",
    );
    qb.push_bind(tag.to_lowercase());
    // Paging on the tag index's column lets SQLite walk (tag, status_id) from the top.
    page::push_bounds(&mut qb, "t.status_id", &req);
    let pairs = page::fetch_pairs(c, qb).await?;
    page::statuses(c, &req, pairs).await
}

pub(crate) async fn account(
    c: &mut SqliteConnection,
    account: Id,
    viewer: Option<Id>,
    filter: AccountStatusesFilter,
    req: PageRequest,
) -> StoreResult<Page<Status>> {
    if filter.only_media {
        return Ok(Page::empty());
    }
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT s.id, s.id FROM statuses s WHERE s.account_id = ");
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
    run(c, qb, req).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use starling_core::model::*;
    use starling_core::{IdGenerator, Store};

    use super::*;
    use crate::SqliteStore;

    fn new_account(ids: &IdGenerator, name: &str) -> NewAccount {
        NewAccount {
            id: ids.next(),
            username: name.into(),
            email: format!("{name}@example.org"),
            password_hash: String::new(),
            display_name: String::new(),
            locale: "en".into(),
            role: Role::User,
            created_at: Timestamp::now(),
        }
    }

    fn new_status(ids: &IdGenerator, author: Id, reply_to: Option<Id>, visibility: Visibility) -> NewStatus {
        NewStatus {
            id: ids.next(),
            account_id: author,
            app_id: None,
            text: "x".into(),
            content: "<p>x</p>".into(),
            spoiler_text: String::new(),
            sensitive: false,
            visibility,
            language: None,
            in_reply_to_id: reply_to,
            mentions: vec![],
            tags: vec![],
            idempotency_key: None,
            created_at: Timestamp::now(),
        }
    }

    #[tokio::test]
    async fn both_home_plans_return_the_same_pages() {
        let store = SqliteStore::open("sqlite::memory:", 0).await.unwrap();
        let ids = IdGenerator::new(9);
        let mut accounts = Vec::new();
        for name in ["viewer", "friend", "quiet", "stranger"] {
            accounts.push(store.create_account(new_account(&ids, name)).await.unwrap().id);
        }
        let (viewer, friend, quiet, stranger) = (accounts[0], accounts[1], accounts[2], accounts[3]);
        store.follow(viewer, friend).await.unwrap();
        store.follow(viewer, quiet).await.unwrap();
        let mut last = None;
        for i in 0..30 {
            let author = [viewer, friend, stranger, friend, quiet][i % 5];
            let visibility = [Visibility::Public, Visibility::Private, Visibility::Direct][i % 3];
            let reply_to = if i % 4 == 0 { last } else { None };
            let s = store.create_status(new_status(&ids, author, reply_to, visibility)).await.unwrap();
            if i % 7 == 0 {
                store.reblog(friend, s.id, ids.next(), Visibility::Public, Timestamp::now()).await.ok();
            }
            last = Some(s.id);
        }
        let all = store.home_timeline(viewer, PageRequest::first(100)).await.unwrap();
        assert!(all.items.len() > 10);
        let mid = all.cursors[all.cursors.len() / 2];
        let requests = [
            PageRequest::first(100),
            PageRequest::first(5),
            PageRequest { max_id: Some(mid), ..PageRequest::first(5) },
            PageRequest { min_id: Some(mid), ..PageRequest::first(5) },
            PageRequest { since_id: Some(mid), ..PageRequest::first(100) },
        ];
        let mut conn = store.read().await.unwrap();
        for req in requests {
            let sorted = home_with_plan(&mut conn, viewer, req, false).await.unwrap();
            let walked = home_with_plan(&mut conn, viewer, req, true).await.unwrap();
            assert_eq!(sorted, walked, "{req:?}");
        }
    }
}
