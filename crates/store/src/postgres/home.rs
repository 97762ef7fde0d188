//! Materialised home timelines: fan-out on write, merged at read time for popular authors
//! (see `docs/adr/0006-home-timelines-fan-out-in-the-write-transaction.md`).
//!
//! The rule for "status `s` is in account `v`'s home timeline" is written once, as SQL text
//! ([`shown!`] and [`reaches!`]), and used everywhere: by the writes that add or remove entries,
//! by the read-time merge, and by the check that recomputes every entry from scratch. The
//! writes keep `home_entries` equal to what the rule says *now*, not to what it said when the
//! status was written: when a follow of an account or a hashtag starts or ends, or an edit
//! changes who is mentioned or which tags a status carries, the entries that depended on it
//! are added or removed in the same transaction.
//!
//! * `home_entries (account_id, status_id, author_id)`: the materialised entries.
//! * `home_merged (status_id, author_id)`: statuses written while their author had more
//!   followers than the threshold; only the author's own entry is written for them, and the
//!   followers' home timelines merge them in when read.
//! * `home_floors (account_id, status_id)`: where a trimmed home timeline ends.
//!
//! SQLite runs one writer at a time, so each of those writes saw every committed follow and
//! status. PostgreSQL runs them concurrently at READ COMMITTED, where a follow of `r` and a new
//! status by `r` could each miss the other's uncommitted row and leave the status out of the
//! new follower's home for good. [`lock`] prevents that: the writes that decide who sees what
//! take transaction-level advisory locks on the accounts whose followers they read, before
//! writing anything; follows and unfollows exclusively, new statuses, reblogs and edits shared
//! (so that they never wait for each other). Followed hashtags work the same way with locks on
//! the tags ([`lock_tags`]), always taken after the account locks: following or unfollowing a
//! tag exclusively, new statuses and edits carrying it shared. Inserts of entries for statuses written by others
//! lock the status rows they copy (`FOR KEY SHARE`), so that a status deleted meanwhile is
//! skipped rather than failing the foreign key.

use sqlx::PgConnection;
use starling_core::model::Status;
use starling_core::page::{Page, PageRequest};
use starling_core::projection::{Difference, HomeTimelineCheck};
use starling_core::store::HOME_TIMELINE_CAP;
use starling_core::{Id, StoreResult};

use super::{Db, page};
use crate::assemble;

/// SQL: status `$s` may show in the home timeline of account `$v` (both SQL expressions, given
/// as literals), whoever wrote it. This is the rule the home timeline query applied before it
/// was materialised, unchanged:
/// * never a direct status;
/// * a reply only if it is by the viewer, or to its own author, the viewer, or someone the
///   viewer follows (Mastodon never filters the viewer's own statuses out of their home);
/// * a reblog only if its original is visible to the viewer, as `Status::visible_to` says:
///   public or unlisted, the viewer's own, private by someone the viewer follows, or
///   mentioning the viewer.
// Kept on few lines: rustfmt would put each piece of the SQL on its own.
#[rustfmt::skip]
macro_rules! shown {
    ($v:literal, $s:literal) => {
        concat!(
            "(", $s, ".visibility <> 'direct'",
            " AND (", $s, ".in_reply_to_account_id IS NULL OR ", $s, ".in_reply_to_account_id = ", $s, ".account_id",
            " OR ", $s, ".account_id = ", $v, " OR ", $s, ".in_reply_to_account_id = ", $v,
            " OR EXISTS (SELECT 1 FROM follows hrf WHERE hrf.follower_id = ", $v,
            " AND hrf.followee_id = ", $s, ".in_reply_to_account_id))",
            " AND (", $s, ".reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses hvo WHERE hvo.id = ", $s, ".reblog_of_id",
            " AND (hvo.visibility IN ('public', 'unlisted') OR hvo.account_id = ", $v,
            " OR (hvo.visibility = 'private' AND EXISTS (SELECT 1 FROM follows hvf WHERE hvf.follower_id = ", $v,
            " AND hvf.followee_id = hvo.account_id))",
            " OR EXISTS (SELECT 1 FROM mentions hvm WHERE hvm.status_id = hvo.id AND hvm.account_id = ", $v, ")))))"
        )
    };
}

/// SQL: status `$s` reaches account `$v` through a followed hashtag: it is a public status (not
/// a reblog) carrying a tag the viewer follows, as Mastodon delivers to tag followers.
#[rustfmt::skip]
macro_rules! tagged_for {
    ($v:literal, $s:literal) => {
        concat!(
            "(", $s, ".visibility = 'public' AND ", $s, ".reblog_of_id IS NULL",
            " AND EXISTS (SELECT 1 FROM status_tags ht JOIN tag_follows htf ON htf.tag = ht.tag",
            " WHERE ht.status_id = ", $s, ".id AND htf.account_id = ", $v, "))"
        )
    };
}

/// SQL: status `$s` has an entry of its own in account `$v`'s home timeline when [`shown!`]:
/// the viewer wrote it, or follows its author and it was fanned out (not merged at read time),
/// or it carries a hashtag the viewer follows ([`tagged_for!`]; always fanned out, since a
/// tag's followers are not the author's).
#[rustfmt::skip]
macro_rules! reaches {
    ($v:literal, $s:literal) => {
        concat!(
            "(", $s, ".account_id = ", $v,
            " OR (EXISTS (SELECT 1 FROM follows hf WHERE hf.follower_id = ", $v, " AND hf.followee_id = ", $s, ".account_id)",
            " AND NOT EXISTS (SELECT 1 FROM home_merged hm WHERE hm.status_id = ", $s, ".id))",
            " OR ", tagged_for!($v, $s), ")"
        )
    };
}

/// No bound: below every id, above every id.
const NO_LOWER: i64 = i64::MIN;
const NO_UPPER: i64 = i64::MAX;

// Declared after the macros, which it uses.
pub(crate) mod pulled;

// ---- writes -------------------------------------------------------------------------------------

/// The advisory lock class of home timeline writes, the first of the two 32-bit keys (a key
/// space apart from the log's 64-bit one); the second is a hash of the account id.
const HOME_LOCK_CLASS: i32 = 0x686f_6d65; // "home"

/// Takes, until the transaction ends, an exclusive advisory lock on each account in
/// `exclusive` and a shared one on each in `shared` (exclusive wins for an account in both).
/// Call it before the transaction writes any row: a transaction that waits here then holds no
/// row lock another one could be waiting for. Locks are taken in the order of their keys, so
/// two transactions never wait for each other crosswise. Two accounts may hash to the same
/// key; that only makes their writers wait for each other.
pub(crate) async fn lock(c: &mut PgConnection, exclusive: &[i64], shared: &[i64]) -> StoreResult<()> {
    advisory_locks(c, HOME_LOCK_CLASS, exclusive, shared).await
}

/// The advisory lock class of followed-hashtag writes; the second key is a hash of the tag.
const TAG_LOCK_CLASS: i32 = 0x7461_6773; // "tags"

/// Takes tag locks as [`lock`] takes account locks. Call it after [`lock`], never before, so
/// that every transaction takes its locks in one order.
pub(crate) async fn lock_tags(c: &mut PgConnection, exclusive: &[String], shared: &[String]) -> StoreResult<()> {
    if exclusive.is_empty() && shared.is_empty() {
        return Ok(());
    }
    let keys = |tags: &[String]| tags.iter().map(|t| tag_key(t)).collect::<Vec<i64>>();
    advisory_locks(c, TAG_LOCK_CLASS, &keys(exclusive), &keys(shared)).await
}

/// A tag as a lock key: FNV-1a of its bytes, the same on every node and every version.
fn tag_key(tag: &str) -> i64 {
    let hash = tag.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The locks of [`lock`] and [`lock_tags`]: `class` and a hash of each key, in key order.
async fn advisory_locks(c: &mut PgConnection, class: i32, exclusive: &[i64], shared: &[i64]) -> StoreResult<()> {
    let ids: Vec<i64> = exclusive.iter().chain(shared).copied().collect();
    let modes: Vec<bool> = exclusive.iter().map(|_| true).chain(shared.iter().map(|_| false)).collect();
    sqlx::query(
        "SELECT CASE WHEN l.exclusive THEN pg_advisory_xact_lock($3, l.key) \
                ELSE pg_advisory_xact_lock_shared($3, l.key) END \
         FROM (SELECT hashint8(t.id) AS key, bool_or(t.exclusive) AS exclusive \
               FROM unnest($1::bigint[], $2::boolean[]) AS t (id, exclusive) \
               GROUP BY 1 ORDER BY 1 OFFSET 0) l",
    )
    .bind(ids)
    .bind(modes)
    .bind(class)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Writes the home entries of a status (or reblog) just inserted, in the transaction that
/// inserted it: the author's own entry, and one per follower the rule lets see it, unless the
/// author has more than `threshold` followers, in which case the status is recorded as merged
/// and the followers' home timelines pick it up when read.
pub(crate) async fn fan_out(c: &mut PgConnection, status: Id, threshold: i64) -> StoreResult<()> {
    let (followers, visibility, tagged): (i64, String, bool) = sqlx::query_as(
        "SELECT a.followers_count, s.visibility, EXISTS (SELECT 1 FROM status_tags t WHERE t.status_id = s.id) \
         FROM statuses s JOIN accounts a ON a.id = s.account_id WHERE s.id = $1",
    )
    .bind(status.0)
    .fetch_one(&mut *c)
    .await
    .db()?;
    if visibility == "direct" {
        return Ok(());
    }
    const OWN: &str = concat!(
        "INSERT INTO home_entries (account_id, status_id, author_id) ",
        "SELECT s.account_id, s.id, s.account_id FROM statuses s WHERE s.id = $1 AND ",
        shown!("s.account_id", "s"),
        " ON CONFLICT DO NOTHING"
    );
    sqlx::query(OWN).bind(status.0).execute(&mut *c).await.db()?;
    if tagged {
        sqlx::query(TAG_FOLLOWERS).bind(status.0).bind(NO_LOWER).execute(&mut *c).await.db()?;
    }
    if followers > threshold {
        sqlx::query("INSERT INTO home_merged (status_id, author_id) SELECT id, account_id FROM statuses WHERE id = $1")
            .bind(status.0)
            .execute(&mut *c)
            .await
            .db()?;
        return Ok(());
    }
    const FOLLOWERS: &str = concat!(
        "INSERT INTO home_entries (account_id, status_id, author_id) ",
        "SELECT f.follower_id, s.id, s.account_id FROM statuses s JOIN follows f ON f.followee_id = s.account_id ",
        "WHERE s.id = $1 AND f.follower_id <> s.account_id AND ",
        shown!("f.follower_id", "s"),
        " ON CONFLICT DO NOTHING"
    );
    sqlx::query(FOLLOWERS).bind(status.0).execute(&mut *c).await.db()?;
    Ok(())
}

/// Adds status `$1` to the home of each follower of a hashtag it carries, when [`tagged_for!`]
/// and [`shown!`] let them see it and it is above their floor (`$2` where there is none).
const TAG_FOLLOWERS: &str = concat!(
    "INSERT INTO home_entries (account_id, status_id, author_id) ",
    "SELECT DISTINCT tf.account_id, s.id, s.account_id FROM statuses s ",
    "JOIN status_tags t ON t.status_id = s.id JOIN tag_follows tf ON tf.tag = t.tag ",
    "WHERE s.id = $1 AND s.visibility = 'public' AND s.reblog_of_id IS NULL AND tf.account_id <> s.account_id ",
    "AND s.id > COALESCE((SELECT hf.status_id FROM home_floors hf WHERE hf.account_id = tf.account_id), $2) AND ",
    shown!("tf.account_id", "s"),
    " ON CONFLICT DO NOTHING"
);

/// After `account` started following `tag`: adds the public statuses carrying it, the newest
/// [`HOME_TIMELINE_CAP`] above the account's floor that the rule shows, walking the tag's
/// index from its newest status.
pub(crate) async fn tag_followed(c: &mut PgConnection, account: Id, tag: &str) -> StoreResult<()> {
    const SQL: &str = concat!(
        "INSERT INTO home_entries (account_id, status_id, author_id) ",
        "SELECT $1, s.id, s.account_id FROM status_tags t JOIN statuses s ON s.id = t.status_id ",
        "WHERE t.tag = $2 AND t.status_id > $4 AND s.visibility = 'public' AND s.reblog_of_id IS NULL AND ",
        shown!("$1", "s"),
        " ORDER BY t.status_id DESC LIMIT $3 FOR KEY SHARE OF s ON CONFLICT DO NOTHING"
    );
    let floor = floor(c, account).await?.unwrap_or(NO_LOWER);
    sqlx::query(SQL)
        .bind(account.0)
        .bind(tag)
        .bind(i64::from(HOME_TIMELINE_CAP))
        .bind(floor)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// After `account` stopped following `tag`: removes the entries of statuses carrying it that
/// nothing else lets in (a follow of their author, another followed tag, being their author).
pub(crate) async fn tag_unfollowed(c: &mut PgConnection, account: Id, tag: &str) -> StoreResult<()> {
    const SQL: &str = concat!(
        "DELETE FROM home_entries WHERE account_id = $1 AND status_id IN (",
        "SELECT e.status_id FROM home_entries e JOIN status_tags t ON t.status_id = e.status_id AND t.tag = $2 ",
        "JOIN statuses s ON s.id = e.status_id WHERE e.account_id = $1 AND NOT (",
        reaches!("$1", "s"),
        " AND ",
        shown!("$1", "s"),
        "))"
    );
    sqlx::query(SQL).bind(account.0).bind(tag).execute(&mut *c).await.db()?;
    Ok(())
}

/// After `follower` started following `followee`: adds the statuses that following them lets
/// into the follower's home, the newest [`HOME_TIMELINE_CAP`] of them above the follower's
/// floor (all that a home keeps). Four kinds: the followee's own statuses and reblogs; replies
/// to the followee by accounts the follower already follows (a reply shows only if its
/// addressee is followed); replies to the followee carrying a hashtag the follower follows,
/// for the same reason; reblogs of the followee's private statuses (their original is now
/// visible). Each kind is walked newest first and stops at the cap too.
pub(crate) async fn followed(c: &mut PgConnection, follower: Id, followee: Id) -> StoreResult<()> {
    const SQL: &str = concat!(
        "INSERT INTO home_entries (account_id, status_id, author_id) ",
        "SELECT $1, s.id, s.account_id FROM statuses s WHERE s.id IN (",
        "SELECT id FROM (SELECT s.id AS id FROM statuses s WHERE s.account_id = $2 AND ",
        reaches!("$1", "s"),
        " AND ",
        shown!("$1", "s"),
        " ORDER BY s.id DESC LIMIT $3) own",
        // One seek into `statuses_replies_to_account` per followed account, rather than a walk
        // over every reply the followee ever received.
        " UNION ALL SELECT id FROM (SELECT s.id AS id FROM follows f JOIN statuses s ",
        "ON s.in_reply_to_account_id = $2 AND s.account_id = f.followee_id ",
        "WHERE f.follower_id = $1 AND s.account_id <> $2 AND ",
        reaches!("$1", "s"),
        " AND ",
        shown!("$1", "s"),
        " ORDER BY s.id DESC LIMIT $3) replies",
        // Walked only by a follower of some hashtag.
        " UNION ALL SELECT id FROM (SELECT s.id AS id FROM statuses s WHERE s.in_reply_to_account_id = $2 ",
        "AND s.account_id <> $2 AND EXISTS (SELECT 1 FROM tag_follows WHERE account_id = $1) AND ",
        tagged_for!("$1", "s"),
        " AND ",
        shown!("$1", "s"),
        " ORDER BY s.id DESC LIMIT $3) tagged_replies",
        " UNION ALL SELECT id FROM (SELECT s.id AS id FROM statuses po JOIN statuses s ON s.reblog_of_id = po.id ",
        "WHERE po.account_id = $2 AND po.visibility = 'private' AND s.account_id <> $2 AND ",
        reaches!("$1", "s"),
        " AND ",
        shown!("$1", "s"),
        " ORDER BY s.id DESC LIMIT $3) reblogs",
        ") AND s.id > $4 ORDER BY s.id DESC LIMIT $3 FOR KEY SHARE OF s ON CONFLICT DO NOTHING"
    );
    let floor = floor(c, follower).await?.unwrap_or(NO_LOWER);
    sqlx::query(SQL)
        .bind(follower.0)
        .bind(followee.0)
        .bind(i64::from(HOME_TIMELINE_CAP))
        .bind(floor)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// After `follower` stopped following `followee`: removes the follower's entries that depended
/// on that follow (the same three kinds as [`followed`] adds) and no longer pass the rule.
pub(crate) async fn unfollowed(c: &mut PgConnection, follower: Id, followee: Id) -> StoreResult<()> {
    const SQL: &str = concat!(
        "DELETE FROM home_entries WHERE account_id = $1 AND status_id IN (",
        "SELECT s.id FROM home_entries e JOIN statuses s ON s.id = e.status_id WHERE e.account_id = $1 ",
        "AND (e.author_id = $2 OR s.in_reply_to_account_id = $2 ",
        "OR EXISTS (SELECT 1 FROM statuses uo WHERE uo.id = s.reblog_of_id AND uo.account_id = $2)) ",
        "AND NOT (",
        reaches!("$1", "s"),
        " AND ",
        shown!("$1", "s"),
        "))"
    );
    sqlx::query(SQL).bind(follower.0).bind(followee.0).execute(&mut *c).await.db()?;
    Ok(())
}

/// After an edit replaced the mentions and tags of `status`. Who may see a private or direct
/// status depends on its mentions, and so does who sees its reblogs; public and unlisted
/// originals are visible to everyone whatever they mention, so their reblogs need nothing.
/// Who receives a public status through a followed hashtag depends on its tags: the entries
/// only a dropped tag let in go, the followers of a tag now carried come in.
pub(crate) async fn edited(c: &mut PgConnection, status: Id) -> StoreResult<()> {
    let (restricted, public): (bool, bool) = sqlx::query_as(
        "SELECT visibility IN ('private', 'direct') AND reblogs_count > 0, \
         visibility = 'public' AND reblog_of_id IS NULL FROM statuses WHERE id = $1",
    )
    .bind(status.0)
    .fetch_one(&mut *c)
    .await
    .db()?;
    if public {
        const UNTAGGED: &str = concat!(
            "DELETE FROM home_entries WHERE status_id = $1 ",
            "AND NOT EXISTS (SELECT 1 FROM statuses s WHERE s.id = home_entries.status_id AND ",
            reaches!("home_entries.account_id", "s"),
            " AND ",
            shown!("home_entries.account_id", "s"),
            ")"
        );
        sqlx::query(UNTAGGED).bind(status.0).execute(&mut *c).await.db()?;
        sqlx::query(TAG_FOLLOWERS).bind(status.0).bind(NO_LOWER).execute(&mut *c).await.db()?;
    }
    if !restricted {
        return Ok(());
    }
    const REMOVE: &str = concat!(
        "DELETE FROM home_entries WHERE status_id IN (SELECT id FROM statuses WHERE reblog_of_id = $1) ",
        "AND NOT EXISTS (SELECT 1 FROM statuses s WHERE s.id = home_entries.status_id AND ",
        reaches!("home_entries.account_id", "s"),
        " AND ",
        shown!("home_entries.account_id", "s"),
        ")"
    );
    const ADD: &str = concat!(
        "INSERT INTO home_entries (account_id, status_id, author_id) ",
        "SELECT x.viewer, s.id, s.account_id FROM (",
        "SELECT r.id AS status_id, r.account_id AS viewer FROM statuses r WHERE r.reblog_of_id = $1 ",
        "UNION ALL SELECT r.id, f.follower_id FROM statuses r JOIN follows f ON f.followee_id = r.account_id ",
        "WHERE r.reblog_of_id = $1) x JOIN statuses s ON s.id = x.status_id WHERE ",
        reaches!("x.viewer", "s"),
        " AND ",
        shown!("x.viewer", "s"),
        " FOR KEY SHARE OF s ON CONFLICT DO NOTHING"
    );
    sqlx::query(REMOVE).bind(status.0).execute(&mut *c).await.db()?;
    sqlx::query(ADD).bind(status.0).execute(&mut *c).await.db()?;
    Ok(())
}

/// The homes longer than `keep` entries, with the newest entry beyond `keep` of each: where
/// [`trim`] will cut them. One window query over every entry, run outside the write
/// transaction so that the scan holds no lock.
pub(crate) async fn cuts(c: &mut PgConnection, keep: u32) -> StoreResult<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT account_id, status_id FROM ( \
           SELECT account_id, status_id, \
             ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY status_id DESC) AS rn FROM home_entries \
         ) ranked WHERE rn = $1",
    )
    .bind(i64::from(keep) + 1)
    .fetch_all(&mut *c)
    .await
    .db()
}

/// Raises each home's floor to its cut (never lowers it) and deletes its entries at or below
/// the floor, so that it ends there (merged statuses included) from now on. The cuts may come
/// from an older snapshot: entries written since are newer than them, so a home keeps at least
/// `keep` entries unless some were deleted meanwhile, which only makes it shorter, as a home
/// whose statuses were deleted is.
pub(crate) async fn trim(c: &mut PgConnection, cuts: &[(i64, i64)]) -> StoreResult<u64> {
    if cuts.is_empty() {
        return Ok(0);
    }
    let (accounts, floors): (Vec<i64>, Vec<i64>) = cuts.iter().copied().unzip();
    // A follow in flight reads the follower's floor once and copies entries above it: the lock
    // makes it finish first or see the raised floor, so nothing is written below a floor.
    lock(c, &accounts, &[]).await?;
    sqlx::query(
        "INSERT INTO home_floors (account_id, status_id) SELECT * FROM unnest($1::bigint[], $2::bigint[]) \
         ON CONFLICT (account_id) DO UPDATE SET status_id = GREATEST(home_floors.status_id, excluded.status_id)",
    )
    .bind(&accounts)
    .bind(&floors)
    .execute(&mut *c)
    .await
    .db()?;
    let deleted = sqlx::query(
        "DELETE FROM home_entries e USING home_floors f \
         WHERE f.account_id = e.account_id AND e.account_id = ANY($1) AND e.status_id <= f.status_id",
    )
    .bind(&accounts)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(deleted.rows_affected())
}

// ---- reads --------------------------------------------------------------------------------------

async fn floor(c: &mut PgConnection, account: Id) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT status_id FROM home_floors WHERE account_id = $1")
        .bind(account.0)
        .fetch_optional(&mut *c)
        .await
        .db()
}

/// The viewer's entries within the bounds (`?2` above, `?3` below), walking the primary key.
const ENTRIES_DESC: &str = "SELECT status_id FROM home_entries WHERE account_id = $1 AND status_id < $2 \
                            AND status_id > $3 ORDER BY status_id DESC LIMIT $4";
const ENTRIES_ASC: &str = "SELECT status_id FROM home_entries WHERE account_id = $1 AND status_id < $2 \
                           AND status_id > $3 ORDER BY status_id ASC LIMIT $4";
/// The followed authors with merged statuses within the bounds: usually none.
const MERGED_AUTHORS: &str = "SELECT f.followee_id FROM follows f WHERE f.follower_id = $1 AND EXISTS ( \
                              SELECT 1 FROM home_merged m WHERE m.author_id = f.followee_id \
                              AND m.status_id < $2 AND m.status_id > $3)";
/// One merged author's statuses the viewer may see, walking `home_merged_author` from one end.
const MERGED_DESC: &str = concat!(
    "SELECT s.id FROM home_merged m JOIN statuses s ON s.id = m.status_id ",
    "WHERE m.author_id = $2 AND m.status_id < $3 AND m.status_id > $4 AND ",
    shown!("$1", "s"),
    " ORDER BY m.status_id DESC LIMIT $5"
);
const MERGED_ASC: &str = concat!(
    "SELECT s.id FROM home_merged m JOIN statuses s ON s.id = m.status_id ",
    "WHERE m.author_id = $2 AND m.status_id < $3 AND m.status_id > $4 AND ",
    shown!("$1", "s"),
    " ORDER BY m.status_id ASC LIMIT $5"
);

/// A home page in one read-only REPEATABLE READ snapshot (on the primary or a replica): the
/// entries, the merged statuses and the floor must agree.
pub(crate) async fn timeline_snapshot(c: &mut PgConnection, viewer: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    use sqlx::Connection as _;
    let mut tx = c.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await.db()?;
    let page = timeline(&mut tx, viewer, req).await?;
    tx.rollback().await.db()?;
    Ok(page)
}

/// The home timeline: the viewer's entries and, for each followed author with merged statuses,
/// up to a page of those, merged by id and cut to the page. Each source is read from the page's
/// end inwards and stops after `limit` rows, so a page costs `limit` rows per source however
/// long the histories are. The caller holds `tx` in one snapshot, which all of it reads.
pub(crate) async fn timeline(tx: &mut PgConnection, viewer: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let v = viewer.0;
    let upper = req.max_id.map_or(NO_UPPER, |id| id.0);
    // A trimmed timeline ends at its floor: `Option::max` keeps the higher of the two bounds.
    let lower = req.lower().map(|id| id.0).max(floor(&mut *tx, viewer).await?).unwrap_or(NO_LOWER);
    let limit = i64::from(req.limit);
    let (entries, merged) = if req.ascending() { (ENTRIES_ASC, MERGED_ASC) } else { (ENTRIES_DESC, MERGED_DESC) };

    let mut ids: Vec<i64> =
        sqlx::query_scalar(entries).bind(v).bind(upper).bind(lower).bind(limit).fetch_all(&mut *tx).await.db()?;
    let authors: Vec<i64> =
        sqlx::query_scalar(MERGED_AUTHORS).bind(v).bind(upper).bind(lower).fetch_all(&mut *tx).await.db()?;
    for author in authors {
        let more: Vec<i64> = sqlx::query_scalar(merged)
            .bind(v)
            .bind(author)
            .bind(upper)
            .bind(lower)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await
            .db()?;
        ids.extend(more);
    }
    // An author who crossed the threshold upwards keeps the entries written before: a status
    // is either fanned out or merged, never both, but deduplicating costs nothing here.
    let pairs = assemble::one_page_of(ids, &req).into_iter().map(|id| (id, id)).collect();
    page::statuses(tx, &req, pairs).await
}

// ---- the check ------------------------------------------------------------------------------------

/// Recomputes every home timeline from `statuses`, `follows`, `tag_follows` and `home_merged`
/// with the same rule, keeps each account's newest `keep` entries above its floor, and compares them with
/// the stored entries. A missing entry is one of those not stored at all; an extra one is a
/// stored entry among the account's newest `keep` (above the floor) that the rule excludes, or
/// that names the wrong author (unfollowing finds entries by their `author_id`).
/// The caller holds `c` in one REPEATABLE READ transaction, whose end also drops the temp tables.
pub(crate) async fn differences(c: &mut PgConnection, keep: u32) -> StoreResult<HomeTimelineCheck> {
    const EXPECTED: &str = concat!(
        "INSERT INTO pg_temp.home_expected (account_id, status_id) ",
        "SELECT account_id, status_id FROM (",
        "SELECT x.account_id, x.status_id, ",
        "ROW_NUMBER() OVER (PARTITION BY x.account_id ORDER BY x.status_id DESC) AS rn FROM (",
        "SELECT s.account_id AS account_id, s.id AS status_id FROM statuses s WHERE ",
        shown!("s.account_id", "s"),
        " UNION SELECT f.follower_id, s.id FROM follows f JOIN statuses s ON s.account_id = f.followee_id ",
        "WHERE f.follower_id <> s.account_id ",
        "AND NOT EXISTS (SELECT 1 FROM home_merged xm WHERE xm.status_id = s.id) AND ",
        shown!("f.follower_id", "s"),
        " UNION SELECT tf.account_id, s.id FROM tag_follows tf JOIN status_tags t ON t.tag = tf.tag ",
        "JOIN statuses s ON s.id = t.status_id WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND ",
        shown!("tf.account_id", "s"),
        ") x WHERE x.status_id > COALESCE((SELECT hf.status_id FROM home_floors hf ",
        "WHERE hf.account_id = x.account_id), $2)",
        ") ranked WHERE rn <= $1"
    );
    const LIVE: &str = "INSERT INTO pg_temp.home_live (account_id, status_id, author_id) \
         SELECT account_id, status_id, author_id FROM ( \
           SELECT e.account_id, e.status_id, e.author_id, \
             ROW_NUMBER() OVER (PARTITION BY e.account_id ORDER BY e.status_id DESC) AS rn \
           FROM home_entries e WHERE e.status_id > COALESCE((SELECT hf.status_id FROM home_floors hf \
             WHERE hf.account_id = e.account_id), $2) \
         ) ranked WHERE rn <= $1";
    const EXTRA: &str = concat!(
        "SELECT l.account_id, l.status_id FROM pg_temp.home_live l WHERE NOT EXISTS ",
        "(SELECT 1 FROM statuses s WHERE s.id = l.status_id AND s.account_id = l.author_id AND ",
        reaches!("l.account_id", "s"),
        " AND ",
        shown!("l.account_id", "s"),
        ")"
    );
    for sql in [
        "DROP TABLE IF EXISTS pg_temp.home_expected",
        "DROP TABLE IF EXISTS pg_temp.home_live",
        "CREATE TEMP TABLE home_expected (account_id BIGINT NOT NULL, status_id BIGINT NOT NULL, \
         PRIMARY KEY (account_id, status_id)) ON COMMIT DROP",
        "CREATE TEMP TABLE home_live (account_id BIGINT NOT NULL, status_id BIGINT NOT NULL, \
         author_id BIGINT NOT NULL, PRIMARY KEY (account_id, status_id)) ON COMMIT DROP",
    ] {
        sqlx::query(sql).execute(&mut *c).await.db()?;
    }
    let keep = i64::from(keep);
    sqlx::query(EXPECTED).bind(keep).bind(NO_LOWER).execute(&mut *c).await.db()?;
    sqlx::query(LIVE).bind(keep).bind(NO_LOWER).execute(&mut *c).await.db()?;
    let (live, rebuilt): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM pg_temp.home_live), (SELECT count(*) FROM pg_temp.home_expected)")
            .fetch_one(&mut *c)
            .await
            .db()?;
    let missing: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT x.account_id, x.status_id FROM pg_temp.home_expected x WHERE NOT EXISTS \
         (SELECT 1 FROM home_entries e WHERE e.account_id = x.account_id AND e.status_id = x.status_id)",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    let extra: Vec<(i64, i64)> = sqlx::query_as(EXTRA).fetch_all(&mut *c).await.db()?;

    let mut differences: Vec<((i64, i64), Difference)> = missing
        .into_iter()
        .map(|(a, s)| ((a, s), Difference::HomeEntryMissing { account: Id(a), status: Id(s) }))
        .chain(extra.into_iter().map(|(a, s)| ((a, s), Difference::HomeEntryExtra { account: Id(a), status: Id(s) })))
        .collect();
    differences.sort_by_key(|(key, _)| *key);
    Ok(HomeTimelineCheck {
        live: u64::try_from(live).unwrap_or_default(),
        rebuilt: u64::try_from(rebuilt).unwrap_or_default(),
        differences: differences.into_iter().map(|(_, d)| d).collect(),
    })
}
