//! The conformance suite against PostgreSQL: one fresh schema per test, dropped afterwards.
//!
//! The server comes from `STARLING_TEST_POSTGRES_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`). Without it every test says loudly that it was
//! skipped and passes, unless `STARLING_REQUIRE_ALL` is set (as CI does), where it fails.

mod conformance;

use std::io::Write as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use starling_core::Store;
use starling_core::model::{NewStatus, Visibility};
use starling_store::{PostgresStore, StoreOptions};

const SKIPPED: &str = "*** PostgreSQL conformance SKIPPED: STARLING_TEST_POSTGRES_URL is not set ***";

/// A store in a schema of its own, so that tests run in parallel on one database.
struct TempPostgres {
    store: PostgresStore,
    base: PgConnectOptions,
    schema: String,
}

/// Whether the tests are to be skipped: no server named. Fails instead when every test is
/// required to run.
fn unavailable() -> bool {
    if std::env::var("STARLING_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        return false;
    }
    assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{SKIPPED}");
    // Straight to the process's stderr, past the test harness's capture: a skip must be seen
    // (and `scripts/test` collects these lines into its summary).
    let _ = writeln!(std::io::stderr(), "\n{SKIPPED}\n");
    true
}

fn base_options() -> PgConnectOptions {
    let url = std::env::var("STARLING_TEST_POSTGRES_URL").expect("STARLING_TEST_POSTGRES_URL is set");
    PgConnectOptions::from_str(&url).expect("a valid PostgreSQL URL")
}

fn options(node_id: u16) -> StoreOptions {
    StoreOptions { node_id, ..StoreOptions::default() }
}

async fn fresh() -> TempPostgres {
    fresh_with(options(1)).await
}

async fn fresh_with(options: StoreOptions) -> TempPostgres {
    let (base, schema) = empty_schema().await;
    let store = open(&base, &schema, &options).await;
    TempPostgres { store, base, schema }
}

/// A new, empty schema of the test's own.
async fn empty_schema() -> (PgConnectOptions, String) {
    static N: AtomicU32 = AtomicU32::new(0);
    let base = base_options();
    let schema = format!("starling_test_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let mut admin = base.connect().await.expect("the test server answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .expect("drops a leftover schema");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut admin).await.expect("creates");
    admin.close().await.expect("closes");
    (base, schema)
}

/// Every connection of the store starts in the test's schema, where the migrations create the
/// tables (and sqlx its `_sqlx_migrations`).
async fn open(base: &PgConnectOptions, schema: &str, options: &StoreOptions) -> PostgresStore {
    let connect = base.clone().options([("search_path", schema)]);
    PostgresStore::open_with(connect, options).await.expect("a fresh PostgreSQL store opens")
}

impl conformance::Fixture for TempPostgres {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    async fn finish(self) {
        self.store.close().await;
        let mut admin = self.base.connect().await.expect("the test server answers");
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {} CASCADE", self.schema)))
            .execute(&mut admin)
            .await
            .expect("drops the schema");
        admin.close().await.expect("closes");
    }

    async fn reopen(&mut self, options: StoreOptions) {
        self.store.close().await;
        self.store = open(&self.base, &self.schema, &options).await;
    }
}

conformance::conformance_tests!(fresh, fresh_with, skip_if = unavailable);

/// The store's URL picker opens PostgreSQL for both of its schemes.
#[tokio::test]
async fn connect_picks_postgres_for_both_schemes() {
    if unavailable() {
        return;
    }
    let db = fresh().await;
    let url = std::env::var("STARLING_TEST_POSTGRES_URL").expect("set");
    for url in [url.clone(), url.replacen("postgres://", "postgresql://", 1)] {
        let with_schema =
            format!("{url}{}options=-c%20search_path%3D{}", if url.contains('?') { '&' } else { '?' }, db.schema);
        let store = starling_store::connect(&with_schema, &options(3)).await.expect("connects");
        assert_eq!(store.backend(), "postgres");
        assert_eq!(store.last_event_seq().await.ok(), Some(0), "the migrated, empty schema");
    }
    use conformance::Fixture as _;
    db.finish().await;
}

/// Writers run concurrently here (no single writer, unlike SQLite): counters stay exact, the log
/// has one event per change in commit order, and the homes agree with their rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_counters_homes_and_the_log_exact() {
    use starling_core::store::HOME_TIMELINE_CAP;

    if unavailable() {
        return;
    }
    let db = fresh().await;
    let store = std::sync::Arc::new(open(&db.base, &db.schema, &options(2)).await);
    let star = conformance::account(&*store, "star").await;
    let original = conformance::post(&*store, &star, "popular").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        let star = star.clone();
        let original_id = original.id;
        tasks.push(tokio::spawn(async move {
            let fan = conformance::account(&*store, &format!("fan{i}")).await;
            store.follow(fan.id, star.id).await.expect("follow");
            store.favourite(fan.id, original_id, starling_core::model::Timestamp::now()).await.expect("favourite");
            conformance::post(&*store, &star, &format!("post {i}")).await;
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(store.account(star.id).await.map(|a| a.followers_count).ok(), Some(40));
    assert_eq!(store.status(original.id).await.map(|s| s.favourites_count).ok(), Some(40));
    let check = store.home_timeline_differences(HOME_TIMELINE_CAP).await.expect("check");
    assert_eq!(check.differences, vec![], "no follow missed a concurrent post");
    let events = store.events_after(0, 10_000).await.expect("events");
    assert_eq!(events.len(), 2 + 40 * 4);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    store.close().await;
    use conformance::Fixture as _;
    db.finish().await;
}

// ---- partitions (PostgreSQL only: the embedded store keeps its tables whole) -----------------

/// `YYYYMM` of the UTC month `months` after the one holding `at`.
fn month_suffix(at: starling_core::model::Timestamp, months: i32) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000).expect("a valid time");
    let index = t.year() * 12 + i32::from(u8::from(t.month())) - 1 + months;
    format!("{:04}{:02}", index / 12, index % 12 + 1)
}

async fn partition_of(db: &TempPostgres, table: &str, column: &str, value: i64) -> String {
    let mut c = db.base.clone().options([("search_path", db.schema.as_str())]).connect().await.expect("connects");
    let sql = format!("SELECT tableoid::regclass::text FROM {table} WHERE {column} = $1");
    let name: String =
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(value).fetch_one(&mut c).await.expect("the row");
    c.close().await.expect("closes");
    name
}

/// Each table is split into one history partition and one per month, the current month and the
/// next ones made ahead, with no gap between ranges; rows land in their month's partition.
#[tokio::test]
async fn statuses_and_the_log_are_split_by_month_ahead_of_time() {
    use starling_core::model::Timestamp;
    use starling_core::store::PARTITION_MONTHS_AHEAD;

    if unavailable() {
        return;
    }
    let db = fresh().await;
    let now = Timestamp::now();
    let parts = db.store.partitions().await.expect("partitions");
    for table in ["statuses", "events"] {
        let names: Vec<&str> = parts.iter().filter(|p| p.table == table).map(|p| p.name.as_str()).collect();
        let mut expected = vec![format!("{table}_history")];
        expected.extend((0..=PARTITION_MONTHS_AHEAD as i32).map(|m| format!("{table}_p{}", month_suffix(now, m))));
        assert_eq!(names, expected);
        let ranges: Vec<_> = parts.iter().filter(|p| p.table == table).collect();
        assert_eq!(ranges[0].from, None, "the history partition has no lower bound");
        assert!(ranges.windows(2).all(|w| w[1].from == Some(w[0].to)), "contiguous: {ranges:?}");
        assert!(ranges[1].from.is_some_and(|from| from <= now) && now < ranges[1].to, "this month is the first one");
    }

    let star = conformance::account(&db.store, "star").await;
    let status = conformance::post(&db.store, &star, "in this month's partition").await;
    let this_month = month_suffix(now, 0);
    assert_eq!(partition_of(&db, "statuses", "id", status.id.0).await, format!("statuses_p{this_month}"));
    let seq = db.store.last_event_seq().await.expect("seq");
    assert_eq!(partition_of(&db, "events", "seq", seq).await, format!("events_p{this_month}"));

    // A status id from before the first month lands in the history partition, and a reblog is
    // still one per account, now enforced outside the partitioned table.
    let fan = conformance::account(&db.store, "fan").await;
    let old = db
        .store
        .create_status(NewStatus {
            id: starling_core::Id::floor_at(1_704_067_200_000 + 1),
            ..conformance::draft(&star, "old")
        })
        .await
        .expect("an old id is accepted");
    assert_eq!(partition_of(&db, "statuses", "id", old.id.0).await, "statuses_history");
    let first = db.store.reblog(fan.id, old.id, starling_core::Id(old.id.0 + 10), Visibility::Public, now).await;
    let second = db.store.reblog(fan.id, old.id, starling_core::Id(old.id.0 + 11), Visibility::Public, now).await;
    assert_eq!(first.expect("reblogs").id, second.expect("returns the first").id);
    assert_eq!(db.store.status(old.id).await.expect("status").reblogs_count, 1);
    use conformance::Fixture as _;
    db.finish().await;
}

/// Months are appended after the newest one, so a deployment that stopped for longer than the
/// months made ahead catches up without a gap; nodes asking at once each create nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_months_are_made_once_whoever_asks() {
    use starling_core::model::Timestamp;

    if unavailable() {
        return;
    }
    let db = fresh().await;
    let now = Timestamp::now();
    assert_eq!(db.store.prepare_partitions(now).await.expect("prepare"), Vec::<String>::new(), "made at start-up");
    let day = 86_400_000;
    let later = Timestamp(now.0 + 150 * day);
    let created = db.store.prepare_partitions(later).await.expect("prepare");
    assert!(created.len() >= 4, "five months on, several months were missing: {created:?}");
    assert_eq!(created.last().cloned(), Some(format!("events_p{}", month_suffix(later, 2))));

    let store = std::sync::Arc::new(open(&db.base, &db.schema, &options(2)).await);
    let much_later = Timestamp(now.0 + 400 * day);
    let (a, b) = tokio::join!(db.store.prepare_partitions(much_later), store.prepare_partitions(much_later));
    let (mut a, b) = (a.expect("one node"), b.expect("the other node"));
    let together = a.len() + b.len();
    a.extend(b);
    a.sort();
    a.dedup();
    assert_eq!(a.len(), together, "no partition made twice");
    let parts = db.store.partitions().await.expect("partitions");
    for table in ["statuses", "events"] {
        let ranges: Vec<_> = parts.iter().filter(|p| p.table == table).collect();
        assert!(ranges.windows(2).all(|w| w[1].from == Some(w[0].to)), "contiguous: {ranges:?}");
        assert_eq!(ranges.last().map(|p| p.name.clone()), Some(format!("{table}_p{}", month_suffix(much_later, 2))));
    }
    store.close().await;
    use conformance::Fixture as _;
    db.finish().await;
}

/// A database made before partitioning keeps every row through the migration that partitions
/// it: statuses, reblogs (now claimed in their own table), favourites (whose key to statuses is
/// restored) and the log, which goes on numbering after its last event.
#[tokio::test]
async fn a_database_from_before_partitioning_keeps_its_rows() {
    use std::borrow::Cow;

    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    use starling_core::model::Timestamp;

    if unavailable() {
        return;
    }
    let (base, schema) = empty_schema().await;
    let connect = base.clone().options([("search_path", schema.as_str())]);
    let mut c = connect.connect().await.expect("connects");
    let migration = |version: i64, description: &'static str, sql: &'static str| {
        Migration::new(version, Cow::Borrowed(description), MigrationType::Simple, sql.into_sql_str(), false)
    };
    Migrator::with_migrations(vec![
        migration(1, "initial", include_str!("../migrations/postgres/0001_initial.sql")),
        migration(3, "leases", include_str!("../migrations/postgres/0003_leases.sql")),
    ])
    .run(&mut c)
    .await
    .expect("the schema before partitioning");
    let at = Timestamp::now().0;
    let (star, fan) = (1_i64, 2_i64);
    let (original, reblog) = (starling_core::Id::floor_at(at).0, starling_core::Id::floor_at(at).0 + 1);
    for sql in [
        format!(
            "INSERT INTO accounts (id, username, email, password_hash, created_at, statuses_count) VALUES \
             ({star}, 'star', 'star@example.com', 'x', {at}, 1), ({fan}, 'fan', 'fan@example.com', 'x', {at}, 1)"
        ),
        format!(
            "INSERT INTO statuses (id, account_id, text, content, visibility, created_at, reblogs_count, favourites_count) \
             VALUES ({original}, {star}, 'hello', '<p>hello</p>', 'public', {at}, 1, 1)"
        ),
        format!(
            "INSERT INTO status_versions (status_id, version, text, content, spoiler_text, sensitive, created_at) \
             VALUES ({original}, 0, 'hello', '<p>hello</p>', '', false, {at})"
        ),
        format!(
            "INSERT INTO statuses (id, account_id, reblog_of_id, visibility, created_at) \
             VALUES ({reblog}, {fan}, {original}, 'public', {at})"
        ),
        format!("INSERT INTO favourites (account_id, status_id, id, created_at) VALUES ({fan}, {original}, 77, {at})"),
        format!(
            "INSERT INTO events (kind, actor_id, subject_id, schema_version, payload, created_at) VALUES \
             ('account.created', {star}, {star}, 1, '{{}}', {at}), ('account.created', {fan}, {fan}, 1, '{{}}', {at}), \
             ('status.created', {star}, {original}, 1, '{{}}', {at})"
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.expect("an old row");
    }
    c.close().await.expect("closes");

    let db = TempPostgres { store: open(&base, &schema, &options(1)).await, base, schema };
    let store = &db.store;
    let status = store.status(starling_core::Id(original)).await.expect("the status survived");
    assert_eq!((status.reblogs_count, status.favourites_count), (1, 1));
    let again = store
        .reblog(
            starling_core::Id(fan),
            starling_core::Id(original),
            starling_core::Id(reblog + 5),
            Visibility::Public,
            Timestamp(at),
        )
        .await
        .expect("reblog");
    assert_eq!(again.id, starling_core::Id(reblog), "the old reblog is still the fan's one reblog");
    let events = store.events_after(0, 100).await.expect("events");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    store.unfavourite(starling_core::Id(fan), starling_core::Id(original), Timestamp(at)).await.expect("unfavourite");
    assert_eq!(store.last_event_seq().await.expect("seq"), 4, "the log goes on after its last event");
    store.delete_status(starling_core::Id(original), starling_core::Id(star), Timestamp(at)).await.expect("delete");
    assert!(matches!(store.status(starling_core::Id(reblog)).await, Err(starling_core::StoreError::NotFound)));
    use conformance::Fixture as _;
    db.finish().await;
}
