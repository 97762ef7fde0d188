//! The Redis side of the home timelines: every command that touches a home, in one place.
//!
//! A home is a sorted set whose members all have score 0, so Redis orders them by their bytes:
//! ids written as 19-digit zero-padded decimals sort like the ids themselves (a score is a
//! double, exact only up to 2^53, and ids use 63 bits). The member [`MARKER`] (`a`) sorts after
//! every digit string: it says "this home exists and is complete", even when it holds no id.
//! Writes only ever touch homes that have it; a home without it is missing and is rebuilt from
//! the store when next read ([`install`]).

use redis::aio::ConnectionManager;
use starling_core::Id;
use starling_core::page::PageRequest;

/// Marks a home as present; sorts after every id.
pub const MARKER: &str = "a";

/// An id as a member: 19 digits, zero-padded, so that byte order is id order.
pub fn member(id: Id) -> String {
    format!("{:019}", id.0)
}

/// A member back to an id; `None` for the marker (or anything else that is not an id).
pub fn parse_member(member: &str) -> Option<Id> {
    member.parse().ok().map(Id)
}

/// Adds `ARGV[1]` to each home in `KEYS` that exists, then caps it to its newest `ARGV[2]` ids:
/// the oldest members go first, the marker (the last member) never. Returns how many homes
/// took the id. A missing home is left missing: adding one id would make it look complete.
const ADD: &str = r"
local cut = -(tonumber(ARGV[2]) + 2)
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', key, 0, ARGV[1])
    redis.call('ZREMRANGEBYRANK', key, 0, cut)
    n = n + 1
  end
end
return n
";

/// Removes `ARGV[1]` from each home in `KEYS` (a missing home stays missing).
const REMOVE: &str = r"
for _, key in ipairs(KEYS) do
  redis.call('ZREM', key, ARGV[1])
end
return 0
";

/// Reads one page of the home `KEYS[1]`: `false` when it is missing, otherwise up to `ARGV[3]`
/// members between the lexical bounds `ARGV[1]` (low) and `ARGV[2]` (high), walking up when
/// `ARGV[4]` is `asc` and down otherwise.
const READ: &str = r"
if not redis.call('ZSCORE', KEYS[1], ARGV[5]) then
  return false
end
if ARGV[4] == 'asc' then
  return redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
end
return redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[2], ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
";

/// Moves the home built in `KEYS[2]` to `KEYS[1]`, unless the home exists already (it was
/// built meanwhile: keep it, it is as fresh), or the worker's offset `KEYS[3]` is missing or
/// past `ARGV[1]`, the last event the build had seen: the worker may then have skipped this
/// missing home for events the build did not see either, and the build would miss them.
/// Returns 1 when the home is there afterwards, 0 when the build was dropped.
const INSTALL: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[2])
  return 1
end
local offset = redis.call('GET', KEYS[3])
if not offset or tonumber(offset) > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[2])
  return 0
end
redis.call('RENAME', KEYS[2], KEYS[1])
redis.call('PERSIST', KEYS[1])
return 1
";

/// Moves the offset `KEYS[1]` from `ARGV[1]` to `ARGV[2]`, only if it still is `ARGV[1]`: a
/// worker that lost its job meanwhile, or whose Redis lost its data, must not move it.
const ADVANCE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
";

fn eval(script: &str, keys: &[String]) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(script).arg(keys.len()).arg(keys);
    cmd
}

/// See [`ADD`].
pub async fn add(conn: &mut ConnectionManager, homes: &[String], id: Id, cap: u32) -> redis::RedisResult<u64> {
    eval(ADD, homes).arg(member(id)).arg(cap).query_async(conn).await
}

/// See [`REMOVE`].
pub async fn remove(conn: &mut ConnectionManager, homes: &[String], id: Id) -> redis::RedisResult<()> {
    eval(REMOVE, homes).arg(member(id)).query_async::<i64>(conn).await.map(drop)
}

/// The lexical bounds of a page request: `(low, high)`, both exclusive; the marker is above
/// every bound.
fn bounds(req: &PageRequest) -> (String, String) {
    let low = req.lower().map_or_else(|| "-".to_string(), |id| format!("({}", member(id)));
    let high = req.max_id.map_or_else(|| format!("({MARKER}"), |id| format!("({}", member(id)));
    (low, high)
}

/// One page of ids of the home `key`, in the direction `req` walks (up for `min_id`); `None`
/// when the home is missing.
pub async fn read(conn: &mut ConnectionManager, key: &str, req: &PageRequest) -> redis::RedisResult<Option<Vec<Id>>> {
    let (low, high) = bounds(req);
    let direction = if req.ascending() { "asc" } else { "desc" };
    let members: Option<Vec<String>> = eval(READ, &[key.to_string()])
        .arg(low)
        .arg(high)
        .arg(req.limit)
        .arg(direction)
        .arg(MARKER)
        .query_async(conn)
        .await?;
    Ok(members.map(|m| m.iter().filter_map(|s| parse_member(s)).collect()))
}

/// Builds the home `key` holding `ids` (at most the cap, from the store's backfill at event
/// `seen`) in the scratch key `scratch`, then installs it atomically ([`INSTALL`]). True when
/// the home exists afterwards.
pub async fn install(
    conn: &mut ConnectionManager,
    key: &str,
    scratch: &str,
    offset_key: &str,
    ids: &[Id],
    seen: i64,
) -> redis::RedisResult<bool> {
    let mut build = redis::pipe();
    build.del(scratch).ignore();
    let mut zadd = redis::cmd("ZADD");
    zadd.arg(scratch).arg(0).arg(MARKER);
    for &id in ids {
        zadd.arg(0).arg(member(id));
    }
    build.add_command(zadd).ignore();
    // A builder that dies halfway leaves nothing behind for long.
    build.pexpire(scratch, 60_000).ignore();
    build.query_async::<()>(conn).await?;
    let installed: i64 = eval(INSTALL, &[key.to_string(), scratch.to_string(), offset_key.to_string()])
        .arg(seen)
        .query_async(conn)
        .await?;
    Ok(installed == 1)
}

/// The worker's offset; `None` when Redis has none (first start, or it lost its data).
pub async fn offset(conn: &mut ConnectionManager, key: &str) -> redis::RedisResult<Option<i64>> {
    redis::cmd("GET").arg(key).query_async(conn).await
}

/// Sets the offset if there is none; returns the offset afterwards.
pub async fn init_offset(conn: &mut ConnectionManager, key: &str, seq: i64) -> redis::RedisResult<Option<i64>> {
    redis::cmd("SET").arg(key).arg(seq).arg("NX").query_async::<()>(conn).await?;
    offset(conn, key).await
}

/// See [`ADVANCE`]; true when the offset moved.
pub async fn advance(conn: &mut ConnectionManager, key: &str, from: i64, to: i64) -> redis::RedisResult<bool> {
    let moved: i64 = eval(ADVANCE, &[key.to_string()]).arg(from).arg(to).query_async(conn).await?;
    Ok(moved == 1)
}

/// Deletes homes (they are rebuilt when next read).
pub async fn forget(conn: &mut ConnectionManager, homes: &[String]) -> redis::RedisResult<()> {
    if homes.is_empty() {
        return Ok(());
    }
    redis::cmd("DEL").arg(homes).query_async(conn).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_sort_like_ids_and_below_the_marker() {
        let ids = [Id(1), Id(9), Id(10), Id(383_827_837_376_819_200), Id(i64::MAX)];
        let members: Vec<String> = ids.iter().map(|&id| member(id)).collect();
        let mut sorted = members.clone();
        sorted.sort();
        assert_eq!(sorted, members);
        assert!(members.iter().all(|m| m.len() == 19 && m.as_str() < MARKER));
        assert_eq!(members.iter().map(|m| parse_member(m)).collect::<Vec<_>>(), ids.map(Some));
        assert_eq!(parse_member(MARKER), None);
    }

    #[test]
    fn page_bounds_are_exclusive_and_never_reach_the_marker() {
        assert_eq!(bounds(&PageRequest::first(20)), ("-".to_string(), "(a".to_string()));
        let req = PageRequest { max_id: Some(Id(7)), since_id: Some(Id(3)), ..PageRequest::first(20) };
        assert_eq!(bounds(&req), ("(0000000000000000003".to_string(), "(0000000000000000007".to_string()));
        let req = PageRequest { min_id: Some(Id(5)), since_id: Some(Id(3)), ..PageRequest::first(20) };
        assert_eq!(bounds(&req).0, "(0000000000000000005", "min_id wins over since_id");
    }
}
