//! Home timelines in Redis sorted sets (ADR 11): the keys, the shared connection, and each
//! operation of [`super::Feeds`] as Redis commands ([`super::scripts`]), every one bounded by
//! [`super::COMMAND_TIMEOUT`].

use std::sync::OnceLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use starling_core::Id;
use starling_core::page::PageRequest;

use super::{COMMAND_TIMEOUT, FeedsError, FeedsResult, scripts, timed};

/// Homes per script call: one call must not block Redis for long.
const KEYS_PER_CALL: usize = 500;

pub struct RedisHomes {
    client: redis::Client,
    /// Connected on first use (which is inside the runtime), then shared: it multiplexes
    /// commands over one connection and reconnects by itself.
    conn: OnceLock<Result<ConnectionManager, String>>,
    prefix: String,
}

impl RedisHomes {
    pub fn new(url: &str, prefix: &str) -> FeedsResult<RedisHomes> {
        Ok(RedisHomes { client: redis::Client::open(url)?, conn: OnceLock::new(), prefix: prefix.to_string() })
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

    fn keys(&self, homes: &[Id]) -> Vec<String> {
        homes.iter().map(|&h| self.home_key(h)).collect()
    }

    pub async fn offset(&self) -> FeedsResult<Option<i64>> {
        timed(scripts::offset(&mut self.conn()?, &self.offset_key())).await
    }

    pub async fn init_offset(&self, seq: i64) -> FeedsResult<Option<i64>> {
        timed(scripts::init_offset(&mut self.conn()?, &self.offset_key(), seq)).await
    }

    pub async fn advance(&self, from: i64, to: i64) -> FeedsResult<bool> {
        timed(scripts::advance(&mut self.conn()?, &self.offset_key(), from, to)).await
    }

    pub async fn add(&self, homes: &[Id], id: Id, cap: u32) -> FeedsResult<()> {
        let mut conn = self.conn()?;
        for chunk in self.keys(homes).chunks(KEYS_PER_CALL) {
            timed(scripts::add(&mut conn, chunk, id, cap)).await?;
        }
        Ok(())
    }

    pub async fn remove(&self, homes: &[Id], id: Id) -> FeedsResult<()> {
        let mut conn = self.conn()?;
        for chunk in self.keys(homes).chunks(KEYS_PER_CALL) {
            timed(scripts::remove(&mut conn, chunk, id)).await?;
        }
        Ok(())
    }

    pub async fn forget(&self, homes: &[Id]) -> FeedsResult<()> {
        timed(scripts::forget(&mut self.conn()?, &self.keys(homes))).await
    }

    pub async fn read(&self, home: Id, req: &PageRequest) -> FeedsResult<Option<Vec<Id>>> {
        timed(scripts::read(&mut self.conn()?, &self.home_key(home), req)).await
    }

    pub async fn install(&self, home: Id, ids: &[Id], seen: i64) -> FeedsResult<bool> {
        let (key, scratch) = (self.home_key(home), self.scratch_key(home));
        timed(scripts::install(&mut self.conn()?, &key, &scratch, &self.offset_key(), ids, seen)).await
    }
}
