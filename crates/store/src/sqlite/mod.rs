//! The embedded SQLite store: one database file, one writer connection, a few readers.
//!
//! SQLite allows one writer at a time. Instead of letting several pooled connections race for
//! the write lock (and fail with `SQLITE_BUSY` in no fair order), every write goes through a
//! pool of exactly one connection, so writers queue in-process, and each write transaction
//! starts with `BEGIN IMMEDIATE` so it holds the lock from its first statement. Reads use a
//! separate pool of read-only connections; in WAL mode they never block the writer nor wait
//! for it (see `docs/adr/0002-sqlite-single-writer.md`).

mod accounts;
mod events;
mod home;
mod hydrate;
mod interactions;
mod leases;
mod markers;
mod migrations;
mod notifications;
mod page;
mod replay;

mod statuses;
mod store;
mod timelines;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use starling_core::id::MAX_NODE;
use starling_core::{IdGenerator, StoreError, StoreResult};

use crate::{Homes, StoreOptions};

/// How long a connection waits for a lock held by another process (a backup, the `sqlite3`
/// shell) before giving up. Within this process writers never contend: they queue.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READERS: u32 = 4;
/// How often the background task checkpoints the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// The writer checkpoints by itself only past this many WAL pages (400 MiB), a safety net for
/// when the background task cannot keep up.
const WRITER_CHECKPOINT_PAGES: &str = "100000";

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Checkpoints the WAL in the background (file databases only).
    checkpointer: Option<SqlitePool>,
    /// Ids of rows the store creates on its own: follows, favourites and notifications (their
    /// paging cursors).
    ids: IdGenerator,
    /// What writes do to home timelines (`StoreOptions::homes`, `StoreOptions::fanout_threshold`).
    homes: Homes,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating it if missing) the database named by a `sqlite:` URL (`sqlite://path`,
    /// `sqlite:path`, `sqlite::memory:`) or a plain file path, and applies pending migrations.
    pub async fn open(url_or_path: &str, options: &StoreOptions) -> StoreResult<SqliteStore> {
        let node_id = options.node_id;
        let homes = Homes::of(options);
        if node_id > MAX_NODE {
            return Err(StoreError::Other(format!("node id {node_id} is above the maximum {MAX_NODE}")));
        }
        let base = if url_or_path.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url_or_path).map_err(|e| StoreError::Other(e.to_string()))?
        } else {
            SqliteConnectOptions::new().filename(Path::new(url_or_path))
        };
        let in_memory = url_or_path.contains(":memory:") || url_or_path.contains("mode=memory");
        let ids = IdGenerator::new(node_id);

        // WAL with synchronous=NORMAL: a commit appends to the WAL without waiting for fsync;
        // the WAL is synced at checkpoints. This never corrupts the database. A crash of the
        // process loses nothing (committed pages are in the OS cache); a crash of the operating
        // system or a power cut may lose the transactions since the last checkpoint, which a
        // background task makes every `CHECKPOINT_EVERY` (see `checkpoints`).
        let write_options = base
            .clone()
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal);

        if in_memory {
            // An in-memory database lives in one connection: reads and writes share it.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(write_options)
                .await
                .map_err(db_error)?;
            migrations::run(&pool).await?;
            return Ok(SqliteStore { writer: pool.clone(), reader: pool, checkpointer: None, ids, homes });
        }

        let checkpoint_options = write_options.clone();
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                write_options
                    .journal_mode(SqliteJournalMode::Wal)
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES),
            )
            .await
            .map_err(db_error)?;
        migrations::run(&writer).await?;
        let checkpointer =
            SqlitePoolOptions::new().max_connections(1).connect_with(checkpoint_options).await.map_err(db_error)?;
        tokio::spawn(checkpoints(checkpointer.clone()));

        // WAL mode is a property of the file, set above; readers need not (and, read-only,
        // cannot) set it again.
        let read_options =
            base.read_only(true).foreign_keys(true).busy_timeout(BUSY_TIMEOUT).synchronous(SqliteSynchronous::Normal);
        let reader =
            SqlitePoolOptions::new().max_connections(READERS).connect_with(read_options).await.map_err(db_error)?;
        Ok(SqliteStore { writer, reader, checkpointer: Some(checkpointer), ids, homes })
    }

    /// Closes every connection, checkpointing the WAL. Later calls fail.
    pub async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.close().await;
        }
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Starts a write transaction on the single writer connection. Dropping it rolls back.
    async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(db_error)
    }

    async fn read(&self) -> StoreResult<PoolConnection<Sqlite>> {
        self.reader.acquire().await.map_err(db_error)
    }
}

/// Copies committed WAL pages into the database file every [`CHECKPOINT_EVERY`], on a
/// connection of its own, so that no write pays for it. Left to itself, SQLite checkpoints in the
/// commit that crosses 1,000 WAL pages, which a post fanned out to a thousand homes does every
/// time; here a page written by several commits in between is copied once. PASSIVE: it never
/// waits for readers or the writer, and copies what it can.
async fn checkpoints(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "checkpointing the WAL failed; will retry");
        }
    }
}

/// Maps a driver error onto the store's small vocabulary: unique violations name the taken
/// column (`UNIQUE constraint failed: accounts.username` -> `Conflict("username")`), a foreign
/// key violation means a referenced row does not exist.
pub(crate) fn db_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let what = d.message().rsplit(['.', ' ']).next().filter(|s| !s.is_empty()).unwrap_or("value").to_string();
            StoreError::Conflict(what)
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

/// A list of ids as one JSON array parameter, for `IN (SELECT value FROM json_each(?))`: one
/// cached statement whatever the length, and no limit on the number of bound variables.
pub(crate) fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    let mut out = String::from("[");
    for (i, id) in ids.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push(']');
    out
}

/// A list of strings as one JSON array parameter.
pub(crate) fn text_list(items: &[String]) -> StoreResult<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_are_json_arrays() {
        assert_eq!(id_list([]), "[]");
        assert_eq!(id_list([1, 22, 333]), "[1,22,333]");
    }
}
