//! Home timelines kept outside the store, capped, as Mastodon keeps its feeds: in Redis sorted
//! sets for deployments with `STARLING_REDIS_URL` (ADR 11), or in this process's memory for a
//! node on its own with embedded SQLite (ADR 14). The store then keeps no home tables
//! (`HomeMode::Pulled`).
//!
//! * [`worker`] tails the event log as a job (one node at a time) and applies each event to
//!   the homes that exist: a new status or reblog is added to its recipients' homes, a deleted
//!   one removed, and a follow or unfollow drops the follower's home so that it is rebuilt.
//!   Its offset lives beside the homes, so that a cache that lost its data (a Redis flushed, a
//!   process restarted) has lost both: every home is then missing, and the worker follows the
//!   log from its end.
//! * [`read`] serves `GET /api/v1/timelines/home` from the cache once the worker has caught up
//!   with the log as the request found it, rebuilding a missing home from the store; when the
//!   worker is behind, or Redis fails or is slow, it answers from the store, which computes the
//!   same home when read. A request never waits long for the cache.
//! * [`memory`] and [`redis_homes`] (with [`scripts`], its commands) keep the homes with the
//!   same rules; [`Feeds`] hands each call to the one configured.

pub mod memory;
pub mod read;
pub mod redis_homes;
pub mod scripts;
pub mod worker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use starling_core::page::PageRequest;
use starling_core::{Id, StoreError};

use memory::MemoryHomes;
use redis_homes::RedisHomes;

/// How long one Redis command may take, connecting included, before the caller gives up on
/// Redis (a request then answers from the store; the worker backs off and retries).
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum FeedsError {
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("Redis did not answer within {COMMAND_TIMEOUT:?}")]
    Timeout,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type FeedsResult<T> = Result<T, FeedsError>;

/// Runs one Redis call with [`COMMAND_TIMEOUT`].
pub(crate) async fn timed<T>(call: impl Future<Output = redis::RedisResult<T>>) -> FeedsResult<T> {
    match tokio::time::timeout(COMMAND_TIMEOUT, call).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(FeedsError::Timeout),
    }
}

/// Where the homes live.
enum Cache {
    Redis(RedisHomes),
    Memory(MemoryHomes),
}

/// The home timelines, and what this node counts about reading them.
pub struct Feeds {
    cache: Cache,
    /// How many ids a home keeps.
    cap: u32,
    pub stats: FeedStats,
}

impl Feeds {
    /// Homes in Redis. `prefix` starts every key (`{prefix}home:{account}`,
    /// `{prefix}feeds:offset`). Only a malformed URL is an error.
    pub fn redis(url: &str, prefix: &str, cap: u32) -> FeedsResult<Feeds> {
        Ok(Feeds::with(Cache::Redis(RedisHomes::new(url, prefix)?), cap))
    }

    /// Homes in this process, at most `max_homes` of them.
    pub fn memory(cap: u32, max_homes: usize) -> Feeds {
        Feeds::with(Cache::Memory(MemoryHomes::new(max_homes)), cap)
    }

    fn with(cache: Cache, cap: u32) -> Feeds {
        Feeds { cache, cap, stats: FeedStats::default() }
    }

    /// Where the homes live: `redis` or `memory`.
    pub fn kind(&self) -> &'static str {
        match self.cache {
            Cache::Redis(_) => "redis",
            Cache::Memory(_) => "memory",
        }
    }

    pub fn cap(&self) -> u32 {
        self.cap
    }

    /// The Redis side, when the homes are there (for tests and tools that look at the keys).
    pub fn redis_homes(&self) -> Option<&RedisHomes> {
        match &self.cache {
            Cache::Redis(r) => Some(r),
            Cache::Memory(_) => None,
        }
    }

    /// The memory side, when the homes are there.
    pub fn memory_homes(&self) -> Option<&MemoryHomes> {
        match &self.cache {
            Cache::Redis(_) => None,
            Cache::Memory(m) => Some(m),
        }
    }

    /// The worker's offset; `None` when there is none (first start, or the cache lost its data).
    pub async fn offset(&self) -> FeedsResult<Option<i64>> {
        match &self.cache {
            Cache::Redis(r) => r.offset().await,
            Cache::Memory(m) => Ok(m.offset()),
        }
    }

    /// Sets the offset if there is none; the offset afterwards.
    pub async fn init_offset(&self, seq: i64) -> FeedsResult<Option<i64>> {
        match &self.cache {
            Cache::Redis(r) => r.init_offset(seq).await,
            Cache::Memory(m) => Ok(m.init_offset(seq)),
        }
    }

    /// Moves the offset from `from` to `to`, only if it still is `from`: a worker that lost its
    /// job meanwhile, or whose cache lost its data, must not move it. True when it moved.
    pub async fn advance(&self, from: i64, to: i64) -> FeedsResult<bool> {
        match &self.cache {
            Cache::Redis(r) => r.advance(from, to).await,
            Cache::Memory(m) => Ok(m.advance(from, to)),
        }
    }

    /// Adds `id` to those of `homes` that exist (a missing home stays missing: one id would
    /// make it look complete), each capped to its newest ids.
    pub async fn add(&self, homes: &[Id], id: Id) -> FeedsResult<()> {
        match &self.cache {
            Cache::Redis(r) => r.add(homes, id, self.cap).await,
            Cache::Memory(m) => {
                m.add(homes, id, self.cap);
                Ok(())
            }
        }
    }

    /// Removes `id` from `homes`.
    pub async fn remove(&self, homes: &[Id], id: Id) -> FeedsResult<()> {
        match &self.cache {
            Cache::Redis(r) => r.remove(homes, id).await,
            Cache::Memory(m) => {
                m.remove(homes, id);
                Ok(())
            }
        }
    }

    /// Drops homes; they are rebuilt when next read.
    pub async fn forget(&self, homes: &[Id]) -> FeedsResult<()> {
        match &self.cache {
            Cache::Redis(r) => r.forget(homes).await,
            Cache::Memory(m) => {
                m.forget(homes);
                Ok(())
            }
        }
    }

    /// One page of `home`'s ids, in the direction `req` walks; `None` when it is missing.
    pub async fn read(&self, home: Id, req: &PageRequest) -> FeedsResult<Option<Vec<Id>>> {
        match &self.cache {
            Cache::Redis(r) => r.read(home, req).await,
            Cache::Memory(m) => Ok(m.read(home, req)),
        }
    }

    /// Installs `home` built from the store's backfill `ids` as of event `seen`, unless it was
    /// built meanwhile or the worker may have skipped it for events after `seen`. True when
    /// the home is there afterwards.
    pub async fn install(&self, home: Id, ids: &[Id], seen: i64) -> FeedsResult<bool> {
        match &self.cache {
            Cache::Redis(r) => r.install(home, ids, seen).await,
            Cache::Memory(m) => {
                let installed = m.install(home, ids, seen, self.cap);
                metrics::gauge!("starling_memory_homes").set(m.len() as f64);
                Ok(installed)
            }
        }
    }
}

/// What this node counts about home reads (also exported as Prometheus counters).
#[derive(Default)]
pub struct FeedStats {
    from_cache: AtomicU64,
    from_store: AtomicU64,
    rebuilds: AtomicU64,
}

impl FeedStats {
    /// Reads served from the cache (Redis or memory).
    pub fn served_from_cache(&self) -> u64 {
        self.from_cache.load(Ordering::Relaxed)
    }

    pub fn served_from_store(&self) -> u64 {
        self.from_store.load(Ordering::Relaxed)
    }

    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(Ordering::Relaxed)
    }

    fn read_from_cache(&self, kind: &'static str) {
        self.from_cache.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("starling_home_reads_total", "source" => kind).increment(1);
    }

    fn read_from_store(&self) {
        self.from_store.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("starling_home_reads_total", "source" => "store").increment(1);
    }

    fn rebuilt(&self) {
        self.rebuilds.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("starling_home_rebuilds_total").increment(1);
    }
}
