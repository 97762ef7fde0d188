//! Home timelines in Redis sorted sets, capped, as Mastodon keeps its feeds (ADR 11), for
//! deployments with `STARLING_REDIS_URL`. The store then keeps no home tables (`HomeMode::Pulled`).
//!
//! * [`worker`] tails the event log as a job (one node at a time) and applies each event to
//!   the homes that exist: a new status or reblog is added to its recipients' homes, a deleted
//!   one removed, and a follow or unfollow drops the follower's home so that it is rebuilt.
//!   Its offset lives in Redis beside the homes, so that a Redis that lost its data has lost
//!   both: every home is then missing, and the worker follows the log from its end.
//! * [`read`] serves `GET /api/v1/timelines/home` from Redis once the worker has caught up with
//!   the log as the request found it, rebuilding a missing home from the store; when the worker
//!   is behind, or Redis fails or is slow, it answers from the store, which computes the same
//!   home when read. A request never waits long for Redis.
//! * [`scripts`]: the Redis commands, Lua scripts mostly, and how ids are stored.

pub mod read;
pub mod scripts;
pub mod worker;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use starling_core::{Id, StoreError};

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

/// Where the homes live, and what this node counts about reading them.
pub struct Feeds {
    client: redis::Client,
    /// Connected on first use (which is inside the runtime), then shared: it multiplexes
    /// commands over one connection and reconnects by itself.
    conn: OnceLock<Result<ConnectionManager, String>>,
    prefix: String,
    cap: u32,
    pub stats: FeedStats,
}

impl Feeds {
    /// `prefix` starts every key (`{prefix}home:{account}`, `{prefix}feeds:offset`); `cap` is
    /// how many ids a home keeps. Only a malformed URL is an error.
    pub fn new(url: &str, prefix: &str, cap: u32) -> FeedsResult<Feeds> {
        Ok(Feeds {
            client: redis::Client::open(url)?,
            conn: OnceLock::new(),
            prefix: prefix.to_string(),
            cap,
            stats: FeedStats::default(),
        })
    }

    pub fn home_key(&self, account: Id) -> String {
        format!("{}home:{account}", self.prefix)
    }

    pub fn offset_key(&self) -> String {
        format!("{}feeds:offset", self.prefix)
    }

    /// A key to build `account`'s home in, unique to this build.
    fn scratch_key(&self, account: Id) -> String {
        format!("{}home:{account}:build:{:016x}", self.prefix, rand::random::<u64>())
    }

    pub fn cap(&self) -> u32 {
        self.cap
    }

    /// A handle on the shared connection.
    pub fn conn(&self) -> FeedsResult<ConnectionManager> {
        let conn = self.conn.get_or_init(|| {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(COMMAND_TIMEOUT))
                .set_response_timeout(Some(COMMAND_TIMEOUT))
                .set_number_of_retries(1)
                .set_max_delay(Duration::from_secs(1));
            ConnectionManager::new_lazy_with_config(self.client.clone(), config).map_err(|e| e.to_string())
        });
        conn.clone().map_err(|e| FeedsError::Redis(redis::RedisError::from((redis::ErrorKind::Io, "connect", e))))
    }
}

/// What this node counts about home reads (also exported as Prometheus counters).
#[derive(Default)]
pub struct FeedStats {
    from_redis: AtomicU64,
    from_store: AtomicU64,
    rebuilds: AtomicU64,
}

impl FeedStats {
    pub fn served_from_redis(&self) -> u64 {
        self.from_redis.load(Ordering::Relaxed)
    }

    pub fn served_from_store(&self) -> u64 {
        self.from_store.load(Ordering::Relaxed)
    }

    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(Ordering::Relaxed)
    }

    fn read_from_redis(&self) {
        self.from_redis.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("starling_home_reads_total", "source" => "redis").increment(1);
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
