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

use rusqlite::{Connection, params};
use starling_core::model::Status;
use starling_core::page::{Page, PageRequest};
use starling_core::projection::{Difference, HomeTimelineCheck};
use starling_core::store::HOME_TIMELINE_CAP;
use starling_core::{Id, StoreError, StoreResult};

use super::{Sql, id_list, page};
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

/// Writes the home entries of a status (or reblog) just inserted, in the transaction that
/// inserted it: the author's own entry, and one per follower the rule lets see it, unless the
/// author has more than `threshold` followers, in which case the status is recorded as merged
/// and the followers' home timelines pick it up when read.
pub(crate) fn fan_out(c: &Connection, status: Id, threshold: i64) -> StoreResult<()> {
    let (followers, visibility, tagged): (i64, String, bool) = c.one(
        "SELECT a.followers_count, s.visibility, EXISTS (SELECT 1 FROM status_tags t WHERE t.status_id = s.id) \
         FROM statuses s JOIN accounts a ON a.id = s.account_id WHERE s.id = ?",
        params![status.0],
    )?;
    if visibility == "direct" {
        return Ok(());
    }
    const OWN: &str = concat!(
        "INSERT OR IGNORE INTO home_entries (account_id, status_id, author_id) ",
        "SELECT s.account_id, s.id, s.account_id FROM statuses s WHERE s.id = ?1 AND ",
        shown!("s.account_id", "s")
    );
    c.run(OWN, params![status.0])?;
    if tagged {
        c.run(TAG_FOLLOWERS, params![status.0, NO_LOWER])?;
    }
    if followers > threshold {
        c.run(
            "INSERT INTO home_merged (status_id, author_id) SELECT id, account_id FROM statuses WHERE id = ?",
            params![status.0],
        )?;
        return Ok(());
    }
    const FOLLOWERS: &str = concat!(
        "INSERT OR IGNORE INTO home_entries (account_id, status_id, author_id) ",
        "SELECT f.follower_id, s.id, s.account_id FROM statuses s JOIN follows f ON f.followee_id = s.account_id ",
        "WHERE s.id = ?1 AND f.follower_id <> s.account_id AND ",
        shown!("f.follower_id", "s")
    );
    c.run(FOLLOWERS, params![status.0])?;
    Ok(())
}

/// Adds status `?1` to the home of each follower of a hashtag it carries, when [`tagged_for!`]
/// and [`shown!`] let them see it and it is above their floor (`?2` where there is none).
const TAG_FOLLOWERS: &str = concat!(
    "INSERT OR IGNORE INTO home_entries (account_id, status_id, author_id) ",
    "SELECT DISTINCT tf.account_id, s.id, s.account_id FROM statuses s ",
    "JOIN status_tags t ON t.status_id = s.id JOIN tag_follows tf ON tf.tag = t.tag ",
    "WHERE s.id = ?1 AND s.visibility = 'public' AND s.reblog_of_id IS NULL AND tf.account_id <> s.account_id ",
    "AND s.id > COALESCE((SELECT hf.status_id FROM home_floors hf WHERE hf.account_id = tf.account_id), ?2) AND ",
    shown!("tf.account_id", "s")
);

/// After `account` started following `tag`: adds the public statuses carrying it, the newest
/// [`HOME_TIMELINE_CAP`] above the account's floor that the rule shows, walking the tag's
/// index from its newest status.
pub(crate) fn tag_followed(c: &Connection, account: Id, tag: &str) -> StoreResult<()> {
    const SQL: &str = concat!(
        "INSERT OR IGNORE INTO home_entries (account_id, status_id, author_id) ",
        "SELECT ?1, s.id, s.account_id FROM status_tags t CROSS JOIN statuses s ON s.id = t.status_id ",
        "WHERE t.tag = ?2 AND t.status_id > ?4 AND s.visibility = 'public' AND s.reblog_of_id IS NULL AND ",
        shown!("?1", "s"),
        " ORDER BY t.status_id DESC LIMIT ?3"
    );
    let floor = floor(c, account)?.unwrap_or(NO_LOWER);
    c.run(SQL, params![account.0, tag, i64::from(HOME_TIMELINE_CAP), floor])?;
    Ok(())
}

/// After `account` stopped following `tag`: removes the entries of statuses carrying it that
/// nothing else lets in (a follow of their author, another followed tag, being their author).
pub(crate) fn tag_unfollowed(c: &Connection, account: Id, tag: &str) -> StoreResult<()> {
    const SQL: &str = concat!(
        "DELETE FROM home_entries WHERE account_id = ?1 AND status_id IN (",
        // CROSS JOIN walks the account's entries (a home's worth) rather than every status
        // that ever carried the tag.
        "SELECT e.status_id FROM home_entries e CROSS JOIN status_tags t ON t.status_id = e.status_id AND t.tag = ?2 ",
        "CROSS JOIN statuses s ON s.id = e.status_id WHERE e.account_id = ?1 AND NOT (",
        reaches!("?1", "s"),
        " AND ",
        shown!("?1", "s"),
        "))"
    );
    c.run(SQL, params![account.0, tag])?;
    Ok(())
}

/// After `follower` started following `followee`: adds the statuses that following them lets
/// into the follower's home, the newest [`HOME_TIMELINE_CAP`] of them above the follower's
/// floor (all that a home keeps). Four kinds: the followee's own statuses and reblogs; replies
/// to the followee by accounts the follower already follows (a reply shows only if its
/// addressee is followed); replies to the followee carrying a hashtag the follower follows,
/// for the same reason; reblogs of the followee's private statuses (their original is now
/// visible). Each kind is walked newest first and stops at the cap too.
pub(crate) fn followed(c: &Connection, follower: Id, followee: Id) -> StoreResult<()> {
    const SQL: &str = concat!(
        "INSERT OR IGNORE INTO home_entries (account_id, status_id, author_id) ",
        "SELECT ?1, s.id, s.account_id FROM statuses s WHERE s.id IN (",
        "SELECT id FROM (SELECT s.id AS id FROM statuses s WHERE s.account_id = ?2 AND ",
        reaches!("?1", "s"),
        " AND ",
        shown!("?1", "s"),
        " ORDER BY s.id DESC LIMIT ?3)",
        // CROSS JOIN keeps `follows` outside: one index seek per followed account, rather than
        // a walk over every reply the followee ever received.
        " UNION ALL SELECT id FROM (SELECT s.id AS id FROM follows f CROSS JOIN statuses s ",
        "ON s.in_reply_to_account_id = ?2 AND s.account_id = f.followee_id ",
        "WHERE f.follower_id = ?1 AND s.account_id <> ?2 AND ",
        reaches!("?1", "s"),
        " AND ",
        shown!("?1", "s"),
        " ORDER BY s.id DESC LIMIT ?3)",
        // Walked only by a follower of some hashtag.
        " UNION ALL SELECT id FROM (SELECT s.id AS id FROM statuses s WHERE s.in_reply_to_account_id = ?2 ",
        "AND s.account_id <> ?2 AND EXISTS (SELECT 1 FROM tag_follows WHERE account_id = ?1) AND ",
        tagged_for!("?1", "s"),
        " AND ",
        shown!("?1", "s"),
        " ORDER BY s.id DESC LIMIT ?3)",
        " UNION ALL SELECT id FROM (SELECT s.id AS id FROM statuses po JOIN statuses s ON s.reblog_of_id = po.id ",
        "WHERE po.account_id = ?2 AND po.visibility = 'private' AND s.account_id <> ?2 AND ",
        reaches!("?1", "s"),
        " AND ",
        shown!("?1", "s"),
        " ORDER BY s.id DESC LIMIT ?3)",
        ") AND s.id > ?4 ORDER BY s.id DESC LIMIT ?3"
    );
    let floor = floor(c, follower)?.unwrap_or(NO_LOWER);
    c.run(SQL, params![follower.0, followee.0, i64::from(HOME_TIMELINE_CAP), floor])?;
    Ok(())
}

/// After `follower` stopped following `followee`: removes the follower's entries that depended
/// on that follow (the same three kinds as [`followed`] adds) and no longer pass the rule.
pub(crate) fn unfollowed(c: &Connection, follower: Id, followee: Id) -> StoreResult<()> {
    const SQL: &str = concat!(
        "DELETE FROM home_entries WHERE account_id = ?1 AND status_id IN (",
        "SELECT s.id FROM home_entries e JOIN statuses s ON s.id = e.status_id WHERE e.account_id = ?1 ",
        "AND (e.author_id = ?2 OR s.in_reply_to_account_id = ?2 ",
        "OR EXISTS (SELECT 1 FROM statuses uo WHERE uo.id = s.reblog_of_id AND uo.account_id = ?2)) ",
        "AND NOT (",
        reaches!("?1", "s"),
        " AND ",
        shown!("?1", "s"),
        "))"
    );
    c.run(SQL, params![follower.0, followee.0])?;
    Ok(())
}

/// After an edit replaced the mentions and tags of `status`. Who may see a private or direct
/// status depends on its mentions, and so does who sees its reblogs; public and unlisted
/// originals are visible to everyone whatever they mention, so their reblogs need nothing.
/// Who receives a public status through a followed hashtag depends on its tags: the entries
/// only a dropped tag let in go, the followers of a tag now carried come in.
pub(crate) fn edited(c: &Connection, status: Id) -> StoreResult<()> {
    let (restricted, public): (bool, bool) = c.one(
        "SELECT visibility IN ('private', 'direct') AND reblogs_count > 0, \
         visibility = 'public' AND reblog_of_id IS NULL FROM statuses WHERE id = ?",
        params![status.0],
    )?;
    if public {
        const UNTAGGED: &str = concat!(
            "DELETE FROM home_entries WHERE status_id = ?1 ",
            "AND NOT EXISTS (SELECT 1 FROM statuses s WHERE s.id = home_entries.status_id AND ",
            reaches!("home_entries.account_id", "s"),
            " AND ",
            shown!("home_entries.account_id", "s"),
            ")"
        );
        c.run(UNTAGGED, params![status.0])?;
        c.run(TAG_FOLLOWERS, params![status.0, NO_LOWER])?;
    }
    if !restricted {
        return Ok(());
    }
    const REMOVE: &str = concat!(
        "DELETE FROM home_entries WHERE status_id IN (SELECT id FROM statuses WHERE reblog_of_id = ?1) ",
        "AND NOT EXISTS (SELECT 1 FROM statuses s WHERE s.id = home_entries.status_id AND ",
        reaches!("home_entries.account_id", "s"),
        " AND ",
        shown!("home_entries.account_id", "s"),
        ")"
    );
    const ADD: &str = concat!(
        "INSERT OR IGNORE INTO home_entries (account_id, status_id, author_id) ",
        "SELECT x.viewer, s.id, s.account_id FROM (",
        "SELECT r.id AS status_id, r.account_id AS viewer FROM statuses r WHERE r.reblog_of_id = ?1 ",
        "UNION ALL SELECT r.id, f.follower_id FROM statuses r JOIN follows f ON f.followee_id = r.account_id ",
        "WHERE r.reblog_of_id = ?1) x JOIN statuses s ON s.id = x.status_id WHERE ",
        reaches!("x.viewer", "s"),
        " AND ",
        shown!("x.viewer", "s")
    );
    c.run(REMOVE, params![status.0])?;
    c.run(ADD, params![status.0])?;
    Ok(())
}

/// The homes longer than `keep` entries, with the newest entry beyond `keep` of each: where
/// [`trim`] will cut them. One window query over every entry, run on a reader so that the
/// single writer is not held for the scan.
pub(crate) fn cuts(c: &Connection, keep: u32) -> StoreResult<Vec<(i64, i64)>> {
    c.all(
        "SELECT account_id, status_id FROM ( \
           SELECT account_id, status_id, \
             ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY status_id DESC) AS rn FROM home_entries \
         ) WHERE rn = ?",
        params![i64::from(keep) + 1],
    )
}

/// Raises each home's floor to its cut (never lowers it) and deletes its entries at or below
/// the floor, so that it ends there (merged statuses included) from now on. The cuts may come
/// from an older snapshot: entries written since are newer than them, so a home keeps at least
/// `keep` entries unless some were deleted meanwhile, which only makes it shorter, as a home
/// whose statuses were deleted is.
pub(crate) fn trim(c: &Connection, cuts: &[(i64, i64)]) -> StoreResult<u64> {
    if cuts.is_empty() {
        return Ok(0);
    }
    let pairs = serde_json::to_string(cuts).map_err(|e| StoreError::Other(e.to_string()))?;
    c.run(
        "INSERT INTO home_floors (account_id, status_id) \
         SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true \
         ON CONFLICT (account_id) DO UPDATE SET status_id = MAX(status_id, excluded.status_id)",
        params![pairs],
    )?;
    let deleted = c.run(
        "DELETE FROM home_entries WHERE account_id IN (SELECT value FROM json_each(?)) \
         AND status_id <= (SELECT f.status_id FROM home_floors f WHERE f.account_id = home_entries.account_id)",
        params![id_list(cuts.iter().map(|&(account, _)| account))],
    )?;
    Ok(deleted as u64)
}

// ---- reads --------------------------------------------------------------------------------------

fn floor(c: &Connection, account: Id) -> StoreResult<Option<i64>> {
    c.optional("SELECT status_id FROM home_floors WHERE account_id = ?", params![account.0])
}

/// The viewer's entries within the bounds (`?2` above, `?3` below), walking the primary key.
const ENTRIES_DESC: &str = "SELECT status_id FROM home_entries WHERE account_id = ?1 AND status_id < ?2 \
                            AND status_id > ?3 ORDER BY status_id DESC LIMIT ?4";
const ENTRIES_ASC: &str = "SELECT status_id FROM home_entries WHERE account_id = ?1 AND status_id < ?2 \
                           AND status_id > ?3 ORDER BY status_id ASC LIMIT ?4";
/// The followed authors with merged statuses within the bounds: usually none.
const MERGED_AUTHORS: &str = "SELECT f.followee_id FROM follows f WHERE f.follower_id = ?1 AND EXISTS ( \
                              SELECT 1 FROM home_merged m WHERE m.author_id = f.followee_id \
                              AND m.status_id < ?2 AND m.status_id > ?3)";
/// One merged author's statuses the viewer may see, walking `home_merged_author` from one end.
const MERGED_DESC: &str = concat!(
    "SELECT s.id FROM home_merged m JOIN statuses s ON s.id = m.status_id ",
    "WHERE m.author_id = ?2 AND m.status_id < ?3 AND m.status_id > ?4 AND ",
    shown!("?1", "s"),
    " ORDER BY m.status_id DESC LIMIT ?5"
);
const MERGED_ASC: &str = concat!(
    "SELECT s.id FROM home_merged m JOIN statuses s ON s.id = m.status_id ",
    "WHERE m.author_id = ?2 AND m.status_id < ?3 AND m.status_id > ?4 AND ",
    shown!("?1", "s"),
    " ORDER BY m.status_id ASC LIMIT ?5"
);

/// The home timeline: the viewer's entries and, for each followed author with merged statuses,
/// up to a page of those, merged by id and cut to the page. Each source is read from the page's
/// end inwards and stops after `limit` rows, so a page costs `limit` rows per source however
/// long the histories are. The caller holds `c` in one read transaction, so all of it reads one
/// snapshot.
pub(crate) fn timeline(c: &Connection, viewer: Id, req: PageRequest) -> StoreResult<Page<Status>> {
    let v = viewer.0;
    let upper = req.max_id.map_or(NO_UPPER, |id| id.0);
    // A trimmed timeline ends at its floor: `Option::max` keeps the higher of the two bounds.
    let lower = req.lower().map(|id| id.0).max(floor(c, viewer)?).unwrap_or(NO_LOWER);
    let limit = i64::from(req.limit);
    let (entries, merged) = if req.ascending() { (ENTRIES_ASC, MERGED_ASC) } else { (ENTRIES_DESC, MERGED_DESC) };

    let mut ids: Vec<i64> = c.all(entries, params![v, upper, lower, limit])?;
    let authors: Vec<i64> = c.all(MERGED_AUTHORS, params![v, upper, lower])?;
    for author in authors {
        let more: Vec<i64> = c.all(merged, params![v, author, upper, lower, limit])?;
        ids.extend(more);
    }
    // An author who crossed the threshold upwards keeps the entries written before: a status
    // is either fanned out or merged, never both, but deduplicating costs nothing here.
    let pairs = assemble::one_page_of(ids, &req).into_iter().map(|id| (id, id)).collect();
    let page = page::statuses(c, &req, pairs)?;
    Ok(page)
}

// ---- the check ------------------------------------------------------------------------------------

/// Recomputes every home timeline from `statuses`, `follows`, `tag_follows` and `home_merged`
/// with the same rule, keeps each account's newest `keep` entries above its floor, and compares them with
/// the stored entries. A missing entry is one of those not stored at all; an extra one is a
/// stored entry among the account's newest `keep` (above the floor) that the rule excludes, or
/// that names the wrong author (unfollowing finds entries by their `author_id`).
/// The caller holds `c` in one read transaction, whose rollback also drops the temp tables.
pub(crate) fn differences(c: &Connection, keep: u32) -> StoreResult<HomeTimelineCheck> {
    const EXPECTED: &str = concat!(
        "INSERT INTO temp.home_expected (account_id, status_id) ",
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
        "WHERE hf.account_id = x.account_id), ?2)",
        ") WHERE rn <= ?1"
    );
    const LIVE: &str = "INSERT INTO temp.home_live (account_id, status_id, author_id) \
         SELECT account_id, status_id, author_id FROM ( \
           SELECT e.account_id, e.status_id, e.author_id, \
             ROW_NUMBER() OVER (PARTITION BY e.account_id ORDER BY e.status_id DESC) AS rn \
           FROM home_entries e WHERE e.status_id > COALESCE((SELECT hf.status_id FROM home_floors hf \
             WHERE hf.account_id = e.account_id), ?2) \
         ) WHERE rn <= ?1";
    const EXTRA: &str = concat!(
        "SELECT l.account_id, l.status_id FROM temp.home_live l WHERE NOT EXISTS ",
        "(SELECT 1 FROM statuses s WHERE s.id = l.status_id AND s.account_id = l.author_id AND ",
        reaches!("l.account_id", "s"),
        " AND ",
        shown!("l.account_id", "s"),
        ")"
    );
    for sql in [
        "DROP TABLE IF EXISTS temp.home_expected",
        "DROP TABLE IF EXISTS temp.home_live",
        "CREATE TEMP TABLE home_expected (account_id INTEGER NOT NULL, status_id INTEGER NOT NULL, \
         PRIMARY KEY (account_id, status_id)) WITHOUT ROWID",
        "CREATE TEMP TABLE home_live (account_id INTEGER NOT NULL, status_id INTEGER NOT NULL, \
         author_id INTEGER NOT NULL, PRIMARY KEY (account_id, status_id)) WITHOUT ROWID",
    ] {
        c.run(sql, params![])?;
    }
    let keep = i64::from(keep);
    c.run(EXPECTED, params![keep, NO_LOWER])?;
    c.run(LIVE, params![keep, NO_LOWER])?;
    let (live, rebuilt): (i64, i64) =
        c.one("SELECT (SELECT count(*) FROM temp.home_live), (SELECT count(*) FROM temp.home_expected)", params![])?;
    let missing: Vec<(i64, i64)> = c.all(
        "SELECT x.account_id, x.status_id FROM temp.home_expected x WHERE NOT EXISTS \
         (SELECT 1 FROM home_entries e WHERE e.account_id = x.account_id AND e.status_id = x.status_id)",
        params![],
    )?;
    let extra: Vec<(i64, i64)> = c.all(EXTRA, params![])?;

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use starling_core::model::*;
    use starling_core::{IdGenerator, Store};

    use super::super::timelines::home_by_query;
    use super::*;
    use crate::{SqliteStore, StoreOptions};

    /// A tiny deterministic generator: the same history on every run.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as usize % n
        }
    }

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

    fn new_status(ids: &IdGenerator, author: Id, visibility: Visibility) -> NewStatus {
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
            in_reply_to_id: None,
            mentions: vec![],
            tags: vec![],
            idempotency_key: None,
            media_ids: Vec::new(),
            quote_of_id: None,
            created_at: Timestamp::now(),
        }
    }

    fn edit(mentions: Vec<Id>, tags: Vec<String>) -> StatusEdit {
        StatusEdit {
            text: "y".into(),
            content: "<p>y</p>".into(),
            spoiler_text: String::new(),
            sensitive: false,
            language: None,
            mentions,
            tags,
            edited_at: Timestamp::now(),
        }
    }

    /// Every page the materialised home timeline serves equals the page the query it replaced
    /// would have served, and the check finds nothing, at every point of the history.
    async fn same_as_the_query(store: &SqliteStore, accounts: &[Id]) {
        let check = store.home_timeline_differences(HOME_TIMELINE_CAP).await.unwrap();
        assert_eq!(check.differences, vec![]);
        for &viewer in accounts {
            let everything = store.home_timeline(viewer, PageRequest::first(1000)).await.unwrap();
            let mut requests = vec![PageRequest::first(1000), PageRequest::first(3)];
            if let Some(&mid) = everything.cursors.get(everything.cursors.len() / 2) {
                requests.push(PageRequest { max_id: Some(mid), ..PageRequest::first(3) });
                requests.push(PageRequest { min_id: Some(mid), ..PageRequest::first(3) });
                requests.push(PageRequest { since_id: Some(mid), ..PageRequest::first(3) });
                requests.push(PageRequest {
                    max_id: Some(mid),
                    since_id: everything.cursors.last().copied(),
                    limit: 1000,
                    min_id: None,
                });
            }
            for req in requests {
                let expected = store.read(move |c| home_by_query(c, viewer, req)).await.unwrap();
                let got = store.home_timeline(viewer, req).await.unwrap();
                assert_eq!(got, expected, "viewer {viewer}, {req:?}");
            }
        }
    }

    /// A random history of every write that moves home timelines, with the author's follower
    /// counts crossing `threshold` both ways as follows come and go.
    async fn random_history(threshold: i64, seed: u64) {
        let options = StoreOptions { node_id: 9, fanout_threshold: threshold, ..StoreOptions::default() };
        let store = SqliteStore::open("sqlite::memory:", &options).await.unwrap();
        let ids = IdGenerator::new(9);
        let mut rng = Lcg(seed);
        let mut accounts = Vec::new();
        for i in 0..6 {
            accounts.push(store.create_account(new_account(&ids, &format!("u{i}"))).await.unwrap().id);
        }
        let visibilities = [Visibility::Public, Visibility::Unlisted, Visibility::Private, Visibility::Direct];
        let tags = ["birds", "trees"];
        let some_tags = |rng: &mut Lcg| match rng.below(4) {
            0 => vec![tags[0].to_string()],
            1 => vec![tags[1].to_string()],
            2 => tags.iter().map(|t| t.to_string()).collect(),
            _ => vec![],
        };
        let mut statuses: Vec<Id> = Vec::new();
        for step in 0..400 {
            let a = accounts[rng.below(accounts.len())];
            let b = accounts[rng.below(accounts.len())];
            let some_status = |rng: &mut Lcg| (!statuses.is_empty()).then(|| statuses[rng.below(statuses.len())]);
            match rng.below(15) {
                0..=3 => {
                    let mut s = new_status(&ids, a, visibilities[rng.below(4)]);
                    if rng.below(3) == 0 {
                        s.in_reply_to_id = some_status(&mut rng);
                    }
                    if rng.below(3) == 0 {
                        s.mentions = vec![b];
                    }
                    s.tags = some_tags(&mut rng);
                    if let Ok(s) = store.create_status(s).await {
                        statuses.push(s.id);
                    }
                }
                4 | 5 => {
                    if let Some(original) = some_status(&mut rng) {
                        let visibility = visibilities[rng.below(3)];
                        if let Ok(r) = store.reblog(a, original, ids.next(), visibility, Timestamp::now()).await {
                            statuses.push(r.id);
                        }
                    }
                }
                6..=8 if a != b => {
                    store.follow(a, b).await.unwrap();
                }
                9 if a != b => {
                    store.unfollow(a, b).await.unwrap();
                }
                10 => {
                    if let Some(s) = some_status(&mut rng) {
                        let _ = store.delete_status(s, a, Timestamp::now()).await;
                        let _ = store.unreblog(a, s, Timestamp::now()).await;
                    }
                }
                12 => {
                    store.follow_tag(a, tags[rng.below(2)]).await.unwrap();
                }
                13 => {
                    store.unfollow_tag(a, tags[rng.below(2)]).await.unwrap();
                }
                _ => {
                    if let Some(s) = some_status(&mut rng) {
                        let mentions = if rng.below(2) == 0 { vec![a, b] } else { vec![] };
                        let _ = store.edit_status(s, edit(mentions, some_tags(&mut rng))).await;
                    }
                }
            }
            if step % 50 == 49 {
                same_as_the_query(&store, &accounts).await;
            }
        }
        same_as_the_query(&store, &accounts).await;

        // Not vacuous: homes hold plenty, and with a low threshold much of it is merged.
        let (entries, merged): (i64, i64) = store
            .read(|c| {
                c.one("SELECT (SELECT count(*) FROM home_entries), (SELECT count(*) FROM home_merged)", params![])
            })
            .await
            .unwrap();
        assert!(entries > 50, "{entries} entries");
        // Some entries are there only through a followed hashtag.
        let tagged: i64 = store
            .read(|c| {
                c.one(
                    "SELECT count(*) FROM home_entries e WHERE e.account_id <> e.author_id AND NOT EXISTS \
                     (SELECT 1 FROM follows f WHERE f.follower_id = e.account_id AND f.followee_id = e.author_id)",
                    params![],
                )
            })
            .await
            .unwrap();
        assert!(tagged > 5, "{tagged} entries through followed tags");
        assert_eq!(merged > 20, threshold < 2, "{merged} merged statuses with threshold {threshold}");
    }

    #[tokio::test]
    async fn fanned_out_homes_serve_what_the_query_served() {
        random_history(10_000, 1).await;
        random_history(10_000, 2).await;
    }

    #[tokio::test]
    async fn merged_and_mixed_homes_serve_what_the_query_served() {
        // 1: an author is popular with two followers, and crosses back and forth.
        random_history(1, 3).await;
        random_history(1, 4).await;
        // 0: everyone with a follower is merged at read time.
        random_history(0, 5).await;
    }
}
