//! Read replicas: streaming standbys of the primary that serve client reads.
//!
//! A replica lags the primary by however much WAL it has not replayed yet, so a client that has
//! just written must not read from one that is behind its write. After a write transaction
//! commits inside a [`ReadScope::Account`], the store records the primary's WAL position for
//! that account (`Writers`); a task per replica polls `pg_last_wal_replay_lsn()` every
//! [`POLL_INTERVAL`]. A read for an account goes to a replica only once that replica has
//! replayed past the account's last write; otherwise, and for [`ReadScope::Primary`], to the
//! primary. Reads with no scope (anonymous) go to any healthy replica. Replicas take turns.
//!
//! A replica that fails a poll or a connection is marked down until a poll succeeds again
//! (polls continue every [`DOWN_RETRY`]); a read that fails on a replica is retried on the
//! primary, so a replica outage costs latency, never a request.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use starling_core::{Id, StoreError, StoreResult};
use tokio::task::JoinHandle;

use crate::read_scope::ReadScope;

/// Connections per replica and node: replicas serve short reads.
const MAX_CONNECTIONS: u32 = 8;
/// A replica that does not hand out a connection within this long is skipped for the primary.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often each healthy replica's replay position is read.
pub(super) const POLL_INTERVAL: Duration = Duration::from_millis(75);
/// How often a replica marked down is tried again.
pub(super) const DOWN_RETRY: Duration = Duration::from_secs(1);
/// How long a writer's reads wait for the replicas to catch up (on the primary meanwhile):
/// replication lag above this is an outage, not lag.
const WRITER_MEMORY: Duration = Duration::from_secs(60);
/// The most writers remembered at once; see `Writers::record`.
const MAX_WRITERS: usize = 100_000;
/// The LSN recorded for a write whose position could not be read: no replica reaches it, so the
/// writer reads from the primary for `WRITER_MEMORY`.
const UNKNOWN_LSN: u64 = u64::MAX;

/// Where one read goes.
pub(super) enum Target<'a> {
    Replica(&'a Replica),
    Primary,
}

pub(super) struct Replicas {
    replicas: Vec<Arc<Replica>>,
    next: AtomicUsize,
    writers: Mutex<Writers>,
    pollers: Vec<JoinHandle<()>>,
}

pub(super) struct Replica {
    /// `host:port/database`, for logs.
    name: String,
    pool: PgPool,
    /// The last WAL position this replica reported as replayed.
    replayed: AtomicU64,
    healthy: AtomicBool,
}

impl Replicas {
    /// Replicas for `urls` (none: every read goes to the primary). Their pools connect lazily
    /// and each is polled once before this returns, so a replica that is down at start-up is
    /// only marked down.
    pub(super) async fn connect(urls: &[String]) -> StoreResult<Replicas> {
        let mut replicas = Vec::new();
        for url in urls {
            let options =
                PgConnectOptions::from_str(url).map_err(|e| StoreError::Other(format!("replica URL: {e}")))?;
            let name =
                format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or(""));
            let pool = PgPoolOptions::new()
                .max_connections(MAX_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_lazy_with(options);
            let replica =
                Arc::new(Replica { name, pool, replayed: AtomicU64::new(0), healthy: AtomicBool::new(false) });
            replica.poll().await;
            replicas.push(replica);
        }
        let pollers = replicas.iter().map(|r| tokio::spawn(Arc::clone(r).poll_forever())).collect();
        Ok(Replicas { replicas, next: AtomicUsize::new(0), writers: Mutex::new(Writers::default()), pollers })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// Where a client read in the current [`ReadScope`] goes.
    pub(super) fn target(&self) -> Target<'_> {
        if self.replicas.is_empty() {
            return Target::Primary;
        }
        let needed = match ReadScope::current() {
            Some(ReadScope::Primary) => return Target::Primary,
            Some(ReadScope::Account(id)) => self.lock_writers().needed(id, Instant::now()),
            None => 0,
        };
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &*self.replicas[(start + i) % n])
            .find(|r| r.healthy.load(Ordering::Relaxed) && r.replayed.load(Ordering::Acquire) >= needed)
            .map_or(Target::Primary, Target::Replica)
    }

    /// Whether a committed write's position should be recorded: only for a writer with an
    /// account, and only when there are replicas to lag behind it.
    pub(super) fn wants_position(&self) -> Option<Id> {
        if self.replicas.is_empty() { None } else { ReadScope::current_account() }
    }

    /// Records that `account` wrote up to `lsn` on the primary (`None`: unknown).
    pub(super) fn wrote(&self, account: Id, lsn: Option<u64>) {
        self.lock_writers().record(account, lsn.unwrap_or(UNKNOWN_LSN), Instant::now());
    }

    fn lock_writers(&self) -> std::sync::MutexGuard<'_, Writers> {
        self.writers.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) async fn close(&self) {
        for poller in &self.pollers {
            poller.abort();
        }
        for replica in &self.replicas {
            replica.pool.close().await;
        }
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for poller in &self.pollers {
            poller.abort();
        }
    }
}

impl Replica {
    pub(super) async fn acquire(&self) -> StoreResult<PoolConnection<Postgres>> {
        match self.pool.acquire().await {
            Ok(conn) => Ok(conn),
            Err(e) => {
                self.mark_down(&e.to_string());
                Err(StoreError::Other(e.to_string()))
            }
        }
    }

    /// A read failed here: log it (the caller retries on the primary). The poller decides
    /// whether the replica is down.
    pub(super) fn read_failed(&self, error: &StoreError) {
        tracing::warn!(replica = %self.name, %error, "a read failed on a replica; retrying on the primary");
    }

    fn mark_down(&self, why: &str) {
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(replica = %self.name, error = why, "read replica down; reading from the primary");
        }
    }

    async fn poll_forever(self: Arc<Replica>) {
        loop {
            let pause = if self.healthy.load(Ordering::Relaxed) { POLL_INTERVAL } else { DOWN_RETRY };
            tokio::time::sleep(pause).await;
            self.poll().await;
        }
    }

    async fn poll(&self) {
        let read = tokio::time::timeout(
            ACQUIRE_TIMEOUT,
            sqlx::query_scalar::<_, Option<String>>("SELECT pg_last_wal_replay_lsn()::text").fetch_one(&self.pool),
        )
        .await;
        match read {
            Ok(Ok(Some(text))) => match parse_lsn(&text) {
                Some(lsn) => {
                    self.replayed.fetch_max(lsn, Ordering::Release);
                    if !self.healthy.swap(true, Ordering::Relaxed) {
                        tracing::info!(replica = %self.name, "read replica up");
                    }
                }
                None => self.mark_down(&format!("unreadable replay position {text:?}")),
            },
            // NULL: not a standby (promoted, or the primary named by mistake); its data may
            // diverge from the primary's, so it serves nothing.
            Ok(Ok(None)) => self.mark_down("not in recovery"),
            Ok(Err(e)) => self.mark_down(&e.to_string()),
            Err(_) => self.mark_down("no answer to the replay position poll"),
        }
    }
}

/// The primary's WAL position now: every transaction committed so far ends at or before it.
pub(super) async fn primary_position(pool: &PgPool) -> Option<u64> {
    let text: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text").fetch_one(pool).await.ok()?;
    parse_lsn(&text)
}

/// A `pg_lsn` in its text form, `XXXXXXXX/XXXXXXXX` (two hexadecimal halves).
fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    let high = u32::from_str_radix(high, 16).ok()?;
    let low = u32::from_str_radix(low, 16).ok()?;
    Some((u64::from(high) << 32) | u64::from(low))
}

/// The last write position of each recent writer.
///
/// Bounded: entries older than `WRITER_MEMORY` are dropped when the map fills, and if it is full
/// of recent ones, they are folded into one position that every account must wait for, which
/// keeps read-your-writes for all of them at the cost of sending more reads to the primary.
#[derive(Default)]
struct Writers {
    by_account: HashMap<Id, (u64, Instant)>,
    /// The highest position among writers forgotten while still recent, and when it was
    /// written.
    folded: Option<(u64, Instant)>,
}

impl Writers {
    fn record(&mut self, account: Id, lsn: u64, now: Instant) {
        if self.by_account.len() >= MAX_WRITERS && !self.by_account.contains_key(&account) {
            self.by_account.retain(|_, (_, at)| now.duration_since(*at) < WRITER_MEMORY);
            if self.by_account.len() >= MAX_WRITERS {
                let highest = self.by_account.drain().map(|(_, (lsn, _))| lsn).max().unwrap_or(0);
                let folded = self.folded.map_or(0, |(lsn, _)| lsn).max(highest);
                self.folded = Some((folded, now));
            }
        }
        let entry = self.by_account.entry(account).or_insert((0, now));
        *entry = (entry.0.max(lsn), now);
    }

    /// The position a replica must have replayed to serve `account` (0: any).
    fn needed(&self, account: Id, now: Instant) -> u64 {
        let recent = |&(lsn, at): &(u64, Instant)| (now.duration_since(at) < WRITER_MEMORY).then_some(lsn);
        let own = self.by_account.get(&account).and_then(recent).unwrap_or(0);
        let folded = self.folded.as_ref().and_then(recent).unwrap_or(0);
        own.max(folded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsns_parse_from_their_text_form() {
        assert_eq!(parse_lsn("0/3000060"), Some(0x300_0060));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(parse_lsn("nonsense"), None);
        assert_eq!(parse_lsn("1/zz"), None);
    }

    #[test]
    fn a_writer_needs_its_last_position_for_a_minute() {
        let mut writers = Writers::default();
        let t0 = Instant::now();
        writers.record(Id(1), 500, t0);
        writers.record(Id(1), 400, t0);
        assert_eq!(writers.needed(Id(1), t0), 500, "positions only move forward");
        assert_eq!(writers.needed(Id(2), t0), 0, "others may read from any replica");
        assert_eq!(writers.needed(Id(1), t0 + WRITER_MEMORY), 0, "forgotten after a minute");
    }

    #[test]
    fn a_full_map_keeps_every_recent_writer_behind_one_position() {
        let mut writers = Writers::default();
        let t0 = Instant::now();
        for i in 0..MAX_WRITERS as i64 {
            writers.record(Id(i), i as u64, t0);
        }
        writers.record(Id(-1), 7, t0);
        assert!(writers.by_account.len() <= 1);
        assert_eq!(writers.needed(Id(5), t0), MAX_WRITERS as u64 - 1);
        assert_eq!(writers.needed(Id(-1), t0), MAX_WRITERS as u64 - 1);
        assert_eq!(writers.needed(Id(5), t0 + WRITER_MEMORY), 0);
    }

    #[test]
    fn old_writers_make_room_before_anything_is_folded() {
        let mut writers = Writers::default();
        let t0 = Instant::now();
        for i in 0..MAX_WRITERS as i64 {
            writers.record(Id(i), 1_000, t0);
        }
        let later = t0 + WRITER_MEMORY;
        writers.record(Id(-1), 7, later);
        assert!(writers.folded.is_none());
        assert_eq!(writers.needed(Id(-1), later), 7);
    }
}
