//! The conformance suite against SQLite: one fresh database file per test, removed afterwards.

mod conformance;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use starling_core::Store;
use starling_store::SqliteStore;

struct TempSqlite {
    store: SqliteStore,
    path: PathBuf,
}

async fn fresh() -> TempSqlite {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "starling-store-test-{}-{}.db",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    remove(&path);
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url, 1).await.expect("a fresh SQLite store opens");
    TempSqlite { store, path }
}

fn remove(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

impl conformance::Fixture for TempSqlite {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    async fn finish(self) {
        self.store.close().await;
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        remove(&self.path);
    }
}

conformance::conformance_tests!(fresh);

/// An in-memory database shares one connection between reads and writes; the suite's basics
/// must work there too (it is handy for quick experiments and other crates' tests).
#[tokio::test]
async fn an_in_memory_store_works_with_a_single_connection() {
    let store = SqliteStore::open("sqlite::memory:", 0).await.expect("opens");
    conformance::follows_keep_counters_exact_and_log_one_event_each(&store).await;
    let other = SqliteStore::open("sqlite::memory:", 0).await.expect("opens");
    conformance::context_lists_ancestors_oldest_first_and_descendants_in_thread_order(&other).await;
    assert!(store.account_by_username("bob").await.is_ok());
    assert!(other.account_by_username("bob").await.is_ok(), "each in-memory store is its own database");
    assert_eq!(store.events_after(0, 100).await.map(|e| e.len()).ok(), Some(5));
}

/// Opening a database twice applies the migrations once and keeps the data.
#[tokio::test]
async fn reopening_a_database_keeps_its_data() {
    let db = fresh().await;
    let alice = conformance::account(&db.store, "alice").await;
    db.store.close().await;
    let url = format!("sqlite://{}", db.path.display());
    let reopened = SqliteStore::open(&url, 1).await.expect("reopens");
    assert_eq!(reopened.account(alice.id).await.ok(), Some(alice));
    assert_eq!(reopened.backend(), "sqlite");
    reopened.close().await;
}

/// The store's URL picker opens SQLite and refuses what it cannot open.
#[tokio::test]
async fn connect_picks_the_backend_from_the_url() {
    let db = fresh().await;
    db.store.close().await;
    let store = starling_store::connect(&format!("sqlite://{}", db.path.display()), 3).await.expect("connects");
    assert_eq!(store.backend(), "sqlite");
    assert!(starling_store::connect("postgres://localhost/x", 0).await.is_err());
    assert!(starling_store::connect("mysql://localhost/x", 0).await.is_err());
}

/// Writers queue on the single writer connection instead of failing with SQLITE_BUSY.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_queue_and_counters_stay_exact() {
    let db = fresh().await;
    let store: std::sync::Arc<SqliteStore> = std::sync::Arc::new(db_store(&db).await);
    let star = conformance::account(&*store, "star").await;
    let original = conformance::post(&*store, &star, "popular").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        let star_id = star.id;
        let original_id = original.id;
        tasks.push(tokio::spawn(async move {
            let fan = conformance::account(&*store, &format!("fan{i}")).await;
            store.follow(fan.id, star_id).await.expect("follow");
            store.favourite(fan.id, original_id, starling_core::model::Timestamp::now()).await.expect("favourite");
            store.status(original_id).await.expect("read while others write");
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(store.account(star.id).await.map(|a| a.followers_count).ok(), Some(40));
    assert_eq!(store.status(original.id).await.map(|s| s.favourites_count).ok(), Some(40));
    store.close().await;
}

async fn db_store(db: &TempSqlite) -> SqliteStore {
    SqliteStore::open(&format!("sqlite://{}", db.path.display()), 2).await.expect("opens")
}
