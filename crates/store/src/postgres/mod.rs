//! The PostgreSQL store, for deployments with several server nodes sharing one database.
//!
//! Unlike SQLite (one writer, ADR 2), PostgreSQL runs write transactions concurrently, at READ
//! COMMITTED. Each store method is still one transaction; three things keep the concurrency
//! safe where SQLite's single writer made it free:
//! * counters move with `SET n = n + 1` (row locks serialise them) and every "insert unless it
//!   exists" is an `ON CONFLICT DO NOTHING`, never a read followed by a write;
//! * appends to the event log serialise on an advisory lock so that sequence order is commit
//!   order (`events.rs`);
//! * the writes that maintain home timelines take per-account advisory locks, so that a follow
//!   and a new status by the followee never miss each other's uncommitted rows (`home.rs`).
//!
//! Reads that need one snapshot over several queries (a home page, `live_state`, the home check)
//! run in a REPEATABLE READ transaction.
//!
//! With read replicas (`StoreOptions::replica_urls`), client reads may be served by a streaming
//! standby while writes and the workers' reads stay on the primary: `store.rs` says which method
//! goes where, `replicas.rs` how a replica is chosen without breaking read-your-writes.

mod accounts;
mod chats;
mod events;
mod filters;
mod home;
mod hydrate;
mod idempotency;
mod interactions;
mod kept;
mod leases;
mod markers;
mod media;
mod migrations;
mod notifications;
mod page;
mod partitions;
mod replay;
mod replicas;
mod reports;
mod requests;
mod safety;
mod search;
mod statuses;
mod store;
mod stories;
mod tags;
mod timelines;
mod trends;

use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use starling_core::id::MAX_NODE;
use starling_core::{IdGenerator, StoreError, StoreResult};

use self::replicas::Replicas;
use crate::{Homes, StoreOptions};

/// Connections per node. PostgreSQL's default `max_connections` is 100, shared by every node.
const MAX_CONNECTIONS: u32 = 16;
/// How long a request waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct PostgresStore {
    pool: PgPool,
    /// Ids of rows the store creates on its own: follows, favourites and notifications.
    ids: IdGenerator,
    /// What writes do to home timelines (`StoreOptions::homes`, `StoreOptions::fanout_threshold`).
    homes: Homes,
    /// Where client reads may go besides the primary (possibly nowhere).
    replicas: Replicas,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database named by a `postgres://` or `postgresql://` URL and applies
    /// pending migrations.
    pub async fn open(url: &str, options: &StoreOptions) -> StoreResult<PostgresStore> {
        let connect = PgConnectOptions::from_str(url).map_err(|e| StoreError::Other(e.to_string()))?;
        PostgresStore::open_with(connect, options).await
    }

    /// As [`open`](PostgresStore::open), with connection options built by the caller (a
    /// `search_path`, for instance).
    pub async fn open_with(connect: PgConnectOptions, options: &StoreOptions) -> StoreResult<PostgresStore> {
        let node_id = options.node_id;
        let homes = Homes::of(options);
        if node_id > MAX_NODE {
            return Err(StoreError::Other(format!("node id {node_id} is above the maximum {MAX_NODE}")));
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(connect)
            .await
            .map_err(db_error)?;
        migrations::run(&pool).await?;
        // Before the first write, which needs its month's partition.
        let mut tx = pool.begin().await.map_err(db_error)?;
        partitions::prepare(&mut tx, starling_core::model::Timestamp::now()).await?;
        tx.commit().await.map_err(db_error)?;
        let replicas = Replicas::connect(&options.replica_urls).await?;
        Ok(PostgresStore { pool, ids: IdGenerator::new(node_id), homes, replicas })
    }

    /// Closes every connection. Later calls fail.
    pub async fn close(&self) {
        self.replicas.close().await;
        self.pool.close().await;
    }

    /// After a write committed: if `account` (or else the account of the current read scope)
    /// may read from replicas, remembers the primary's WAL position, which a replica must have
    /// replayed before it serves that account again.
    async fn remember_write(&self, account: Option<starling_core::Id>) {
        let Some(account) = account.filter(|_| !self.replicas.is_empty()).or_else(|| self.replicas.wants_position())
        else {
            return;
        };
        let position = replicas::primary_position(&self.pool).await;
        self.replicas.wrote(account, position);
    }

    /// Starts a write transaction (READ COMMITTED). Dropping it rolls back.
    async fn write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db_error)
    }

    /// Starts a read-only transaction on one snapshot, for reads of several queries.
    async fn snapshot(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await.map_err(db_error)
    }

    async fn read(&self) -> StoreResult<PoolConnection<Postgres>> {
        self.pool.acquire().await.map_err(db_error)
    }
}

/// Maps a driver error onto the store's small vocabulary: a unique violation names what was
/// taken, by the constraint (or unique index) that refused it, with the names the SQLite backend
/// reports; a foreign key violation means a referenced row does not exist.
pub(crate) fn db_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let what = match d.constraint() {
                Some("accounts_username_lower") => "username",
                Some("accounts_email_lower") => "email",
                Some("apps_client_id") => "client_id",
                Some("statuses_pkey" | "accounts_pkey" | "apps_pkey" | "tokens_pkey") => "id",
                // A partition's own index reports the violation (`statuses_p202611_pkey`).
                Some(name) if name.starts_with("statuses_") && name.ends_with("_pkey") => "id",
                Some("idempotency_keys_pkey") => "idempotency_key",
                Some(other) => other,
                None => "value",
            };
            StoreError::Conflict(what.to_string())
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound,
        _ => StoreError::Other(e.to_string()),
    }
}

/// `.db()?` turns a driver error into a `StoreError` at the call site.
pub(crate) trait Db<T> {
    fn db(self) -> StoreResult<T>;
}

impl<T> Db<T> for Result<T, sqlx::Error> {
    fn db(self) -> StoreResult<T> {
        self.map_err(db_error)
    }
}
