//! The embedded SQLite store: one database file, one writer connection, a few readers.
//!
//! SQLite allows one writer at a time. Instead of letting several connections race for the
//! write lock (and fail with `SQLITE_BUSY` in no fair order), every write goes to the one
//! writer thread, which commits the writes queued at that moment together, each in a savepoint
//! of one `BEGIN IMMEDIATE` transaction. Reads go to read-only connections on threads of their
//! own; in WAL mode they never block the writer nor wait for it. Each store call runs whole on
//! its connection's thread (`exec`; ADR 2 and ADR 13).

mod accounts;
mod chats;
mod events;
mod exec;
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
mod replay;
mod reports;
mod requests;
mod safety;
mod search;
mod sql;
mod statuses;
mod store;
mod stories;
mod tags;
mod timelines;
mod trends;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use starling_core::id::MAX_NODE;
use starling_core::{IdGenerator, StoreError, StoreResult};

use crate::{Homes, StoreOptions};
use exec::Executor;
pub(crate) use sql::{FromSqlite, QueryBuilder, Sql, check_columns, id_list, text_list};

/// How long a connection waits for a lock held by another process (a backup, the `sqlite3`
/// shell) before giving up. Within this process writers never contend: they queue.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Read connections (each with a thread of its own): SQLite reads are CPU work, so about one
/// per core, and at least two so that a long read does not hold up short ones.
const MAX_READERS: usize = 8;
/// How often the background thread checkpoints the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// The writer checkpoints by itself only past this many WAL pages (400 MiB), a safety net for
/// when the background thread cannot keep up.
const WRITER_CHECKPOINT_PAGES: i64 = 100_000;
/// Prepared statements each connection keeps: every query the store has, with room to spare.
const STATEMENT_CACHE: usize = 256;

pub struct SqliteStore {
    exec: Executor,
    /// Tells the checkpointing thread to stop (file databases only).
    stop_checkpoints: Arc<AtomicBool>,
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

/// Where a `sqlite:` URL (`sqlite://path`, `sqlite:path`, `sqlite::memory:`) or a plain path
/// points; `None` for an in-memory database.
fn database_path(url_or_path: &str) -> Option<PathBuf> {
    let Some(rest) = url_or_path.strip_prefix("sqlite:") else {
        return Some(PathBuf::from(url_or_path));
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path == ":memory:" || path.is_empty() || query.split('&').any(|p| p == "mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Settings every connection shares; the statement cache sized for the store's queries.
fn configure(c: &Connection) -> rusqlite::Result<()> {
    c.busy_timeout(BUSY_TIMEOUT)?;
    c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // WAL with synchronous=NORMAL: a commit appends to the WAL without waiting for fsync; the
    // WAL is synced at checkpoints. This never corrupts the database. A crash of the process
    // loses nothing (committed pages are in the OS cache); a crash of the operating system or
    // a power cut may lose the transactions since the last checkpoint, which a background
    // thread makes every `CHECKPOINT_EVERY` (see `checkpoints`).
    c.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
}

fn open_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("opening the SQLite database: {e}"))
}

impl SqliteStore {
    /// Opens (creating it if missing) the database named by a `sqlite:` URL (`sqlite://path`,
    /// `sqlite:path`, `sqlite::memory:`) or a plain file path, and applies pending migrations.
    pub async fn open(url_or_path: &str, options: &StoreOptions) -> StoreResult<SqliteStore> {
        let node_id = options.node_id;
        if node_id > MAX_NODE {
            return Err(StoreError::Other(format!("node id {node_id} is above the maximum {MAX_NODE}")));
        }
        let path = database_path(url_or_path);
        // Opening runs migrations, which may take a while: off the async threads.
        let (exec, stop_checkpoints) =
            tokio::task::spawn_blocking(move || Self::start(path.as_deref())).await.map_err(open_error)??;
        Ok(SqliteStore { exec, stop_checkpoints, ids: IdGenerator::new(node_id), homes: Homes::of(options) })
    }

    fn start(path: Option<&Path>) -> StoreResult<(Executor, Arc<AtomicBool>)> {
        let stop = Arc::new(AtomicBool::new(false));
        let Some(path) = path else {
            // An in-memory database lives in one connection: reads and writes share it.
            let writer = Connection::open_in_memory().map_err(open_error)?;
            configure(&writer).map_err(open_error)?;
            migrations::run(&writer)?;
            stop.store(true, Ordering::SeqCst);
            return Ok((Executor::start(writer, Vec::new()).map_err(open_error)?, stop));
        };
        let writer = Connection::open(path).map_err(open_error)?;
        configure(&writer).map_err(open_error)?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_error(format!("the database refused WAL mode (it is in {mode} mode)")));
        }
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES).map_err(open_error)?;
        migrations::run(&writer)?;

        let checkpointer = Connection::open(path).map_err(open_error)?;
        configure(&checkpointer).map_err(open_error)?;
        let flag = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("sqlite-checkpoints".into())
            .spawn(move || checkpoints(&checkpointer, &flag))
            .map_err(open_error)?;

        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let mut readers = Vec::new();
        for _ in 0..cores.clamp(2, MAX_READERS) {
            // WAL mode is a property of the file, set above; read-only connections cannot set
            // it and need not.
            let reader =
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                    .map_err(open_error)?;
            configure(&reader).map_err(open_error)?;
            readers.push(reader);
        }
        Ok((Executor::start(writer, readers).map_err(open_error)?, stop))
    }

    /// Closes every connection, checkpointing the WAL. Later calls fail.
    pub async fn close(&self) {
        self.stop_checkpoints.store(true, Ordering::SeqCst);
        self.exec.close().await;
    }

    /// Runs `work` in the writer's transaction (grouped with other writes, ADR 13); answers
    /// once it is committed. `work` must not begin or end transactions itself.
    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.exec.write(work).await
    }

    /// Runs `work` on a read connection; each statement sees what was committed when it began.
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.exec.read(work).await
    }

    /// Runs `work` in one read transaction: in WAL mode its first read fixes a snapshot that
    /// every later query sees, however many writes commit meanwhile.
    async fn read_snapshot<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.exec
            .read(move |c| {
                c.execute_batch("BEGIN").map_err(sql::db_error)?;
                let out = work(c);
                // Rolling back also drops whatever temporary tables `work` made.
                c.execute_batch("ROLLBACK").map_err(sql::db_error)?;
                out
            })
            .await
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.stop_checkpoints.store(true, Ordering::SeqCst);
    }
}

/// Copies committed WAL pages into the database file every [`CHECKPOINT_EVERY`], on a
/// connection of its own, so that no write pays for it. Left to itself, SQLite checkpoints in the
/// commit that crosses 1,000 WAL pages, which a post fanned out to a thousand homes does every
/// time; here a page written by several commits in between is copied once. PASSIVE: it never
/// waits for readers or the writer, and copies what it can.
fn checkpoints(c: &Connection, stop: &AtomicBool) {
    loop {
        std::thread::sleep(CHECKPOINT_EVERY);
        if stop.load(Ordering::SeqCst) {
            return;
        }
        if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "checkpointing the WAL failed; will retry");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_files_or_memory() {
        assert_eq!(database_path("sqlite:///tmp/x.db"), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(database_path("sqlite://data/x.db"), Some(PathBuf::from("data/x.db")));
        assert_eq!(database_path("sqlite:x.db?mode=rwc"), Some(PathBuf::from("x.db")));
        assert_eq!(database_path("/tmp/y.db"), Some(PathBuf::from("/tmp/y.db")));
        assert_eq!(database_path("sqlite::memory:"), None);
        assert_eq!(database_path("sqlite://x?mode=memory"), None);
    }
}
