//! The conformance suite against SQLite: one fresh database file per test, removed afterwards.

mod conformance;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use starling_core::Store;
use starling_store::{SqliteStore, StoreOptions};

struct TempSqlite {
    store: SqliteStore,
    path: PathBuf,
}

fn options(node_id: u16) -> StoreOptions {
    StoreOptions { node_id, ..StoreOptions::default() }
}

async fn fresh() -> TempSqlite {
    fresh_with(options(1)).await
}

async fn fresh_with(options: StoreOptions) -> TempSqlite {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "starling-store-test-{}-{}.db",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    remove(&path);
    let store = SqliteStore::open(&url_of(&path), &options).await.expect("a fresh SQLite store opens");
    TempSqlite { store, path }
}

fn url_of(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
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

    async fn reopen(&mut self, options: StoreOptions) {
        self.store.close().await;
        self.store = SqliteStore::open(&url_of(&self.path), &options).await.expect("the database reopens");
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        remove(&self.path);
    }
}

conformance::conformance_tests!(fresh, fresh_with);

/// An in-memory database shares one connection between reads and writes; the suite's basics
/// must work there too (it is handy for quick experiments and other crates' tests).
#[tokio::test]
async fn an_in_memory_store_works_with_a_single_connection() {
    let store = SqliteStore::open("sqlite::memory:", &StoreOptions::default()).await.expect("opens");
    conformance::follows_keep_counters_exact_and_log_one_event_each(&store).await;
    let other = SqliteStore::open("sqlite::memory:", &StoreOptions::default()).await.expect("opens");
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
    let reopened = SqliteStore::open(&url_of(&db.path), &options(1)).await.expect("reopens");
    assert_eq!(reopened.account(alice.id).await.ok(), Some(alice));
    assert_eq!(reopened.backend(), "sqlite");
    reopened.close().await;
}

/// The store's URL picker opens SQLite and refuses what it cannot open.
#[tokio::test]
async fn connect_picks_the_backend_from_the_url() {
    let db = fresh().await;
    db.store.close().await;
    let store = starling_store::connect(&url_of(&db.path), &options(3)).await.expect("connects");
    assert_eq!(store.backend(), "sqlite");
    assert!(starling_store::connect("postgres://localhost/x", &options(0)).await.is_err());
    assert!(starling_store::connect("mysql://localhost/x", &options(0)).await.is_err());
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
    SqliteStore::open(&url_of(&db.path), &options(2)).await.expect("opens")
}

/// An upgraded database gets the home timelines its data implies: migration 0003 backfills
/// them with the rules the store applies as it writes.
#[tokio::test]
async fn the_home_timelines_migration_backfills_existing_data() {
    use starling_core::page::PageRequest;
    use starling_core::store::HOME_TIMELINE_CAP;

    let db = fresh().await;
    let cast = conformance::busy_history(&db.store).await;
    conformance::reply(&db.store, &cast.dave, &cast.kept, "@alice a reply dave's followers see").await;
    db.store.follow(cast.bob.id, cast.dave.id).await.expect("follow");
    let viewers = [&cast.alice, &cast.bob, &cast.carol, &cast.dave];
    let mut homes = Vec::new();
    for viewer in viewers {
        homes.push(db.store.home_timeline(viewer.id, PageRequest::first(100)).await.expect("home"));
    }
    let written = db.store.home_timeline_differences(HOME_TIMELINE_CAP).await.expect("check");
    db.store.close().await;

    // Back to version 2: drop what 0003 created and forget that it ran.
    let conn = rusqlite::Connection::open(&db.path).expect("connects");
    conn.execute_batch(
        "DROP TABLE home_entries; DROP TABLE home_merged; DROP TABLE home_floors; \
         DROP INDEX statuses_replies_to_account; DELETE FROM _sqlx_migrations WHERE version = 3",
    )
    .expect("downgrades");
    drop(conn);

    let upgraded = SqliteStore::open(&url_of(&db.path), &options(1)).await.expect("migrates");
    for (viewer, home) in viewers.into_iter().zip(homes) {
        let backfilled = upgraded.home_timeline(viewer.id, PageRequest::first(100)).await.expect("home");
        assert_eq!(backfilled, home, "{}", viewer.username);
    }
    let check = upgraded.home_timeline_differences(HOME_TIMELINE_CAP).await.expect("check");
    assert_eq!(check, written);
    assert!(check.differences.is_empty() && check.live >= 10, "{check:?}");
    upgraded.close().await;
}

/// Committed pages reach the database file in the background while the store stays open: no
/// write waits for a checkpoint, and the WAL does not grow without bound.
#[tokio::test]
async fn the_wal_is_checkpointed_in_the_background() {
    use conformance::Fixture as _;

    let db = fresh().await;
    let before = std::fs::metadata(&db.path).expect("the database file").len();
    let author = conformance::account(&db.store, "author").await;
    for i in 0..200 {
        conformance::post(&db.store, &author, &format!("status {i} with some text to fill pages")).await;
    }
    // Polled, not timed: the task runs twice a second; allow a loaded machine ten seconds.
    let mut grown = false;
    for _ in 0..100 {
        if std::fs::metadata(&db.path).expect("the database file").len() > before {
            grown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(grown, "the database file took in the WAL's pages while the store was open");
    db.finish().await;
}
