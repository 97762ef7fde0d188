//! Where SQLite work runs (ADR 13): each store call is one closure, executed whole on a thread
//! that owns its connection, so a call costs one hand-off between the async side and SQLite
//! however many statements it runs.
//!
//! - **The writer** is one thread with the one read-write connection. It commits writes in
//!   groups: it takes every write already queued (up to [`MAX_GROUP`]), runs each inside a
//!   savepoint of one `BEGIN IMMEDIATE` transaction, commits once, and only then answers the
//!   callers. A write that fails rolls back to its savepoint and fails alone; if the commit
//!   fails, every write of the group fails. Under light load a group is a single write and
//!   nobody waits for company; under heavy load the commit, the WAL append and the pages that
//!   several writes touch (the same home timelines, the log's last page) are shared.
//! - **Readers** are a few threads with read-only connections, taking calls from one queue.
//!   In WAL mode they never block the writer nor wait for it, and each call reads committed
//!   data only.
//!
//! An in-memory database is one connection, so its reads queue on the writer thread too, run
//! between groups, never inside one.
//!
//! A call whose caller has gone away (a request cancelled mid-way) still runs to its end: a
//! write is never cut in half by the client disconnecting.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::Connection;
use starling_core::{StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

use super::sql::db_error;

/// The most writes committed in one transaction.
const MAX_GROUP: usize = 128;
/// Calls waiting for a thread before callers wait to queue theirs.
const QUEUE: usize = 4096;

/// A read: runs on a connection and answers its caller itself.
type ReadCall = Box<dyn FnOnce(&Connection) + Send>;

/// A write waiting for its group's fate.
trait WriteCall: Send {
    /// Runs the work; whether it succeeded (and so stays in the group's transaction).
    fn run(&mut self, c: &Connection) -> bool;
    /// Answers the caller once the group committed (or failed to).
    fn answer(self: Box<Self>, group: Result<(), &str>);
}

struct Pending<T, F> {
    work: Option<F>,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> WriteCall for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, c: &Connection) -> bool {
        let result = match self.work.take() {
            Some(work) => guarded(|| work(c)),
            None => Err(StoreError::Other("a write ran twice".into())),
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, group: Result<(), &str>) {
        let result = match (self.result, group) {
            (Some(Ok(_)), Err(why)) => Err(StoreError::Other(format!("the write was not committed: {why}"))),
            (Some(result), _) => result,
            (None, Err(why)) => Err(StoreError::Other(format!("the write did not run: {why}"))),
            (None, Ok(())) => Err(StoreError::Other("the write did not run".into())),
        };
        // The caller may have gone away; the write's fate does not depend on it.
        let _ = self.reply.send(result);
    }
}

/// Runs `work`, turning a panic into an error so that one bad call cannot take a thread (and
/// with the writer, every later write) down.
fn guarded<T>(work: impl FnOnce() -> StoreResult<T>) -> StoreResult<T> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| Err(StoreError::Other("a store call panicked".into())))
}

enum WriterMessage {
    Write(Box<dyn WriteCall>),
    /// Only for in-memory databases, whose one connection is the writer's.
    Read(ReadCall),
    /// Close the connection, then say so.
    Close(oneshot::Sender<()>),
}

/// The handle on the writer thread and the reader threads.
pub(crate) struct Executor {
    writer: mpsc::Sender<WriterMessage>,
    /// `None` for an in-memory database: reads go to the writer.
    readers: Option<mpsc::Sender<ReadCall>>,
    reader_threads: usize,
    closed: Arc<AtomicBool>,
}

impl Executor {
    /// Starts the writer thread on `writer` and one reader thread per connection in `readers`
    /// (none: reads run on the writer's connection).
    pub(crate) fn start(writer: Connection, readers: Vec<Connection>) -> std::io::Result<Executor> {
        let (write_tx, write_rx) = mpsc::channel(QUEUE);
        thread::Builder::new().name("sqlite-writer".into()).spawn(move || write_loop(writer, write_rx))?;
        let closed = Arc::new(AtomicBool::new(false));
        let reader_threads = readers.len();
        let readers = if readers.is_empty() {
            None
        } else {
            let (read_tx, read_rx) = mpsc::channel::<ReadCall>(QUEUE);
            let queue = Arc::new(Mutex::new(read_rx));
            for (i, connection) in readers.into_iter().enumerate() {
                let queue = Arc::clone(&queue);
                let closed = Arc::clone(&closed);
                thread::Builder::new()
                    .name(format!("sqlite-reader-{i}"))
                    .spawn(move || read_loop(connection, &queue, &closed))?;
            }
            Some(read_tx)
        };
        Ok(Executor { writer: write_tx, readers, reader_threads, closed })
    }

    /// Finishes the calls already queued, then closes every connection (the last one to close
    /// checkpoints the WAL into the database file). Later calls fail.
    pub(crate) async fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(readers) = &self.readers {
            for _ in 0..self.reader_threads {
                // Wakes a reader, which then sees the flag and lets its connection go.
                let _ = readers.send(Box::new(|_| {})).await;
            }
        }
        let (done, closed) = oneshot::channel();
        if self.writer.send(WriterMessage::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }

    fn ensure_open(&self) -> StoreResult<()> {
        if self.closed.load(Ordering::Relaxed) { Err(closed()) } else { Ok(()) }
    }

    /// Queues a message for the writer thread.
    async fn submit(&self, message: WriterMessage) -> StoreResult<()> {
        self.ensure_open()?;
        self.writer.send(message).await.map_err(|_| closed())
    }

    /// Runs `work` inside the writer's transaction; answers once it is committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let call = Box::new(Pending { work: Some(work), result: None, reply });
        self.submit(WriterMessage::Write(call)).await?;
        answer.await.map_err(|_| closed())?
    }

    /// Runs `work` on a read connection (outside any transaction unless `work` opens one).
    pub(crate) async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let call: ReadCall = Box::new(move |c| {
            let _ = reply.send(guarded(|| work(c)));
        });
        match &self.readers {
            Some(readers) => {
                self.ensure_open()?;
                readers.send(call).await.map_err(|_| closed())?;
            }
            None => self.submit(WriterMessage::Read(call)).await?,
        }
        answer.await.map_err(|_| closed())?
    }
}

fn closed() -> StoreError {
    StoreError::Other("the store is closed".into())
}

fn read_loop(connection: Connection, queue: &Mutex<mpsc::Receiver<ReadCall>>, closed: &AtomicBool) {
    while !closed.load(Ordering::SeqCst) {
        // One idle thread at a time waits on the queue; the others wait for the lock.
        let call = match queue.lock() {
            Ok(mut queue) => queue.blocking_recv(),
            Err(_) => return,
        };
        match call {
            Some(call) => call(&connection),
            None => return,
        }
    }
}

fn write_loop(connection: Connection, mut queue: mpsc::Receiver<WriterMessage>) {
    let mut group: Vec<Box<dyn WriteCall>> = Vec::with_capacity(MAX_GROUP);
    let mut carried: Option<WriterMessage> = None;
    loop {
        let message = match carried.take() {
            Some(message) => message,
            None => match queue.blocking_recv() {
                Some(message) => message,
                None => return,
            },
        };
        match message {
            WriterMessage::Read(call) => call(&connection),
            WriterMessage::Close(done) => {
                drop(connection);
                let _ = done.send(());
                return;
            }
            WriterMessage::Write(call) => {
                group.push(call);
                while group.len() < MAX_GROUP {
                    match queue.try_recv() {
                        Ok(WriterMessage::Write(call)) => group.push(call),
                        Ok(read) => {
                            carried = Some(read);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                metrics::histogram!("starling_sqlite_write_group_size").record(group.len() as f64);
                let outcome = commit_group(&connection, &mut group);
                if let Err(why) = &outcome {
                    tracing::error!(error = %why, writes = group.len(), "a group of writes failed to commit");
                }
                for call in group.drain(..) {
                    call.answer(outcome.as_ref().map(|_| ()).map_err(String::as_str));
                }
            }
        }
    }
}

/// Runs the group in one transaction and commits it. `Err` only when the transaction as a
/// whole is lost; a write that fails on its own has rolled back to its savepoint.
fn commit_group(c: &Connection, group: &mut [Box<dyn WriteCall>]) -> Result<(), String> {
    let text = |e: rusqlite::Error| db_error(e).to_string();
    c.execute_batch("BEGIN IMMEDIATE").map_err(text)?;
    let alone = group.len() == 1;
    for call in group.iter_mut() {
        if alone {
            if !call.run(c) {
                // Nothing else to keep: drop the transaction.
                if !c.is_autocommit() {
                    c.execute_batch("ROLLBACK").map_err(text)?;
                }
                return Ok(());
            }
            continue;
        }
        let step = c.execute_batch("SAVEPOINT write").map_err(text);
        if let Err(why) = step {
            return Err(abandon(c, why));
        }
        let ok = call.run(c);
        if c.is_autocommit() {
            // Some errors (a full disk, an I/O error) make SQLite roll the whole transaction
            // back: the writes before this one are gone too.
            return Err("SQLite rolled the transaction back".into());
        }
        let step =
            if ok { c.execute_batch("RELEASE write") } else { c.execute_batch("ROLLBACK TO write; RELEASE write") };
        if let Err(e) = step {
            return Err(abandon(c, text(e)));
        }
    }
    match c.execute_batch("COMMIT") {
        Ok(()) => Ok(()),
        Err(e) => Err(abandon(c, text(e))),
    }
}

/// Rolls back what is left of a failed group's transaction; the reason it failed.
fn abandon(c: &Connection, why: String) -> String {
    if !c.is_autocommit()
        && let Err(e) = c.execute_batch("ROLLBACK")
    {
        tracing::error!(error = %e, "rolling back a failed group of writes failed");
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::sql::Sql;

    fn executor() -> (Executor, tempdir::Dir) {
        let dir = tempdir::Dir::new();
        let path = dir.path.join("t.db");
        let writer = Connection::open(&path).expect("opens");
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE);",
            )
            .expect("creates");
        let reader = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("opens");
        (Executor::start(writer, vec![reader]).expect("starts"), dir)
    }

    /// A scratch directory removed on drop.
    mod tempdir {
        pub struct Dir {
            pub path: std::path::PathBuf,
        }
        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicU32, Ordering};
                static N: AtomicU32 = AtomicU32::new(0);
                let path = std::env::temp_dir().join(format!(
                    "starling-exec-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&path).expect("creates");
                Dir { path }
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.path);
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_fails_alone_in_its_group() {
        let (exec, _dir) = executor();
        let exec = Arc::new(exec);
        // Many concurrent writes, every third a duplicate that must fail without taking its
        // group's other writes down.
        let mut tasks = Vec::new();
        for i in 0..300_i64 {
            let exec = Arc::clone(&exec);
            tasks.push(tokio::spawn(async move {
                let value = if i % 3 == 0 { "taken".to_string() } else { format!("v{i}") };
                exec.write(move |c| {
                    c.run("INSERT INTO t (v) VALUES (?)", [&value])?;
                    // A second statement in the same write, undone with it on failure.
                    c.run("INSERT INTO t (v) VALUES (?)", [format!("{value}-second")])
                })
                .await
            }));
        }
        let mut ok = 0;
        for task in tasks {
            if task.await.expect("joins").is_ok() {
                ok += 1;
            }
        }
        // The first "taken" succeeds, every later one conflicts.
        assert_eq!(ok, 201);
        let rows: i64 = exec.read(|c| c.one("SELECT COUNT(*) FROM t", [])).await.expect("reads");
        assert_eq!(rows, 402);
    }

    #[tokio::test]
    async fn a_panicking_call_is_an_error_and_the_writer_lives_on() {
        let (exec, _dir) = executor();
        let failed = exec.write(|_| -> StoreResult<()> { panic!("boom") }).await;
        assert!(matches!(failed, Err(StoreError::Other(_))));
        exec.write(|c| c.run("INSERT INTO t (v) VALUES ('after')", [])).await.expect("writes");
        let v: String = exec.read(|c| c.one("SELECT v FROM t", [])).await.expect("reads");
        assert_eq!(v, "after");
    }
}
