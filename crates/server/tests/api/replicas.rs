//! Read replicas against a real streaming standby of the test PostgreSQL server
//! (`scripts/pg-replica start`, named by `STARLING_TEST_POSTGRES_REPLICA_URL`).
//!
//! Each test gets a database of its own, created on the primary (the standby replays its
//! creation). To tell which database served a read, the tests freeze the standby with
//! `pg_wal_replay_pause()`: what is written meanwhile exists on the primary only.

use std::time::Duration;

use reqwest::StatusCode;
use sqlx::{Connection, PgConnection};

use crate::helpers::*;

/// Tests that pause replay run one at a time: each expects the standby to resume.
static REPLAY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The primary's and the standby's URLs, or `None` (after a loud line) when either is not set.
fn servers() -> Option<(String, String)> {
    let primary = std::env::var("STARLING_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    let replica = std::env::var("STARLING_TEST_POSTGRES_REPLICA_URL").ok().filter(|u| !u.is_empty());
    match (primary, replica) {
        (Some(primary), Some(replica)) => Some((primary, replica)),
        _ => {
            let message = "*** read replica tests SKIPPED: STARLING_TEST_POSTGRES_URL or \
                           STARLING_TEST_POSTGRES_REPLICA_URL is not set (scripts/pg-replica start) ***";
            assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{message}\n").as_bytes());
            None
        }
    }
}

/// `url` with its database replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (prefix, _) = url.rsplit_once('/').expect("a database in the URL");
    format!("{prefix}/{db}")
}

/// A database of its own on the primary, dropped again when this is.
struct TestDatabase {
    primary: String,
    replica: String,
    name: String,
}

impl TestDatabase {
    async fn create(primary: &str, replica: &str, test: &str) -> TestDatabase {
        let name = format!("starling_replicas_{test}_{}", std::process::id());
        let mut admin = PgConnection::connect(primary).await.expect("the primary answers");
        for sql in [format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), format!("CREATE DATABASE {name}")] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.expect("database created");
        }
        let db = TestDatabase { primary: primary.to_string(), replica: replica.to_string(), name };
        db.caught_up().await;
        db
    }

    fn primary_url(&self) -> String {
        with_database(&self.primary, &self.name)
    }

    fn replica_url(&self) -> String {
        with_database(&self.replica, &self.name)
    }

    /// Waits until the standby has replayed everything committed on the primary so far.
    async fn caught_up(&self) {
        let mut primary = PgConnection::connect(&self.primary).await.expect("the primary answers");
        let mut replica = PgConnection::connect(&self.replica).await.expect("the standby answers");
        let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
            .fetch_one(&mut primary)
            .await
            .expect("the primary's position");
        let replayed = async {
            loop {
                let done: Option<bool> = sqlx::query_scalar("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn")
                    .bind(&lsn)
                    .fetch_one(&mut replica)
                    .await
                    .expect("the standby's position");
                if done == Some(true) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), replayed).await.expect("the standby caught up");
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (primary, name) = (self.primary.clone(), self.name.clone());
        // Drop cannot await: a runtime of its own, on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&primary).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.ok()?;
                // The role some tests reach the replica as, named after the database.
                let sql = format!("DROP ROLE IF EXISTS {name}");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.ok()
            })
        })
        .join();
    }
}

/// Replay paused on the standby until this is dropped (even when a test fails).
struct ReplayPaused {
    replica: String,
}

impl ReplayPaused {
    async fn pause(replica: &str) -> ReplayPaused {
        let mut c = PgConnection::connect(replica).await.expect("the standby answers");
        sqlx::query("SELECT pg_wal_replay_pause()").execute(&mut c).await.expect("replay paused");
        ReplayPaused { replica: replica.to_string() }
    }
}

async fn resume(replica: &str) -> Result<(), sqlx::Error> {
    let mut c = PgConnection::connect(replica).await?;
    sqlx::query("SELECT pg_wal_replay_resume()").execute(&mut c).await?;
    Ok(())
}

impl Drop for ReplayPaused {
    fn drop(&mut self) {
        let replica = self.replica.clone();
        let resumed = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(resume(&replica)).map_err(std::io::Error::other)
        })
        .join();
        assert!(matches!(resumed, Ok(Ok(()))), "replay resumed on the standby: {resumed:?}");
    }
}

async fn node(db: &TestDatabase, replicas: Vec<String>) -> TestApp {
    let url = db.primary_url();
    spawn_app_with(move |s| {
        s.database_url = url;
        s.replica_urls = replicas;
    })
    .await
}

#[tokio::test]
async fn writers_read_their_writes_at_once_while_other_readers_are_served_by_the_replica() -> TestResult {
    let Some((primary, replica)) = servers() else { return Ok(()) };
    let _one_at_a_time = REPLAY.lock().await;
    let db = TestDatabase::create(&primary, &replica, "ryw").await;
    let a = node(&db, vec![db.replica_url()]).await;
    // A second node: it took none of the writes below, so it sends bob's reads to the replica
    // whatever the replica has replayed (as a node behind a load balancer would).
    let b = node(&db, vec![db.replica_url()]).await;
    let alice = a.sign_up("alice").await;
    let bob = a.sign_up("bob").await;
    a.follow(&bob, &alice).await;
    let before = a.say(&alice, "before the pause").await;
    db.caught_up().await;

    let paused = ReplayPaused::pause(&db.replica).await;
    let during = a.say(&alice, "during the pause").await;

    // Alice, on the node that took her write, reads it at once: from the primary.
    let (status, got) = a.get(&format!("/api/v1/statuses/{during}"), Some(&alice.token)).await;
    assert_eq!((status, got["id"].as_str()), (StatusCode::OK, Some(during.as_str())));
    let own = format!("/api/v1/accounts/{}/statuses", alice.id);
    let (_, list) = a.get(&own, Some(&alice.token)).await;
    assert_eq!(ids(&list), [during.clone(), before.clone()]);
    let (_, home) = a.get("/api/v1/timelines/home", Some(&alice.token)).await;
    assert_eq!(ids(&home), [during.clone(), before.clone()]);

    // Bob (through the other node) and anonymous readers are served by the paused replica.
    let (_, home) = b.get("/api/v1/timelines/home", Some(&bob.token)).await;
    assert_eq!(ids(&home), [before.as_str()], "bob's home comes from the replica");
    let (_, list) = b.get(&own, Some(&bob.token)).await;
    assert_eq!(ids(&list), [before.as_str()]);
    let (_, public) = a.get("/api/v1/timelines/public", None).await;
    assert_eq!(ids(&public), [before.as_str()], "anonymous reads come from the replica");
    let (_, account) = a.get(&format!("/api/v1/accounts/{}", alice.id), None).await;
    assert_eq!(account["statuses_count"], 1);
    // A row the replica does not have yet is looked up on the primary rather than missing.
    let (status, got) = b.get(&format!("/api/v1/statuses/{during}"), Some(&bob.token)).await;
    assert_eq!((status, got["id"].as_str()), (StatusCode::OK, Some(during.as_str())));

    drop(paused);
    db.caught_up().await;
    let (_, home) = b.get("/api/v1/timelines/home", Some(&bob.token)).await;
    assert_eq!(ids(&home), [during.clone(), before.clone()], "bob sees it once the replica has replayed it");
    let (_, public) = a.get("/api/v1/timelines/public", None).await;
    assert_eq!(ids(&public), [during, before]);

    let metrics = a.client.get(a.url("/metrics")).send().await?.text().await?;
    assert!(metrics.contains(r#"starling_store_reads_total{database="replica"}"#), "{metrics}");
    assert!(metrics.contains(r#"starling_store_reads_total{database="primary"}"#), "{metrics}");
    Ok(())
}

#[tokio::test]
async fn a_replica_that_does_not_answer_leaves_every_read_to_the_primary() -> TestResult {
    let Some((primary, replica)) = servers() else { return Ok(()) };
    let db = TestDatabase::create(&primary, &replica, "down").await;
    // Nothing listens on port 1; the primary itself is no standby either.
    let closed = "postgres://postgres@127.0.0.1:1/test".to_string();
    let app = node(&db, vec![closed, db.primary_url()]).await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let id = app.say(&alice, "nobody replicates this").await;
    let (_, home) = app.get("/api/v1/timelines/home", Some(&bob.token)).await;
    assert_eq!(ids(&home), [id.as_str()]);
    let (_, public) = app.get("/api/v1/timelines/public", None).await;
    assert_eq!(ids(&public), [id.as_str()]);
    let (status, got) = app.get(&format!("/api/v1/statuses/{id}"), None).await;
    assert_eq!((status, got["id"].as_str()), (StatusCode::OK, Some(id.as_str())));
    Ok(())
}

#[tokio::test]
async fn a_replica_that_goes_away_mid_way_costs_no_request() -> TestResult {
    let Some((primary, replica)) = servers() else { return Ok(()) };
    let _one_at_a_time = REPLAY.lock().await;
    let db = TestDatabase::create(&primary, &replica, "away").await;
    // The node reaches the replica as a role of its own, which can then be shut out of the
    // replica (the role is replicated like everything else) without touching other tests.
    let mut admin = PgConnection::connect(&primary).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE ROLE {} LOGIN", db.name))).execute(&mut admin).await?;
    let as_role = db.replica_url().replacen("postgres@", &format!("{}@", db.name), 1);
    assert_ne!(as_role, db.replica_url(), "the replica URL names its user");
    db.caught_up().await;
    let app = node(&db, vec![as_role]).await;
    let alice = app.sign_up("alice").await;
    let id = app.say(&alice, "still readable").await;
    db.caught_up().await;
    let (_, public) = app.get("/api/v1/timelines/public", None).await;
    assert_eq!(ids(&public), [id.as_str()]);

    sqlx::query(sqlx::AssertSqlSafe(format!("ALTER ROLE {} NOLOGIN", db.name))).execute(&mut admin).await?;
    db.caught_up().await;
    let mut standby = PgConnection::connect(&replica).await?;
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1")
        .bind(&db.name)
        .execute(&mut standby)
        .await?;
    for _ in 0..3 {
        let (status, got) = app.get(&format!("/api/v1/statuses/{id}"), None).await;
        assert_eq!((status, got["id"].as_str()), (StatusCode::OK, Some(id.as_str())));
        let (status, public) = app.get("/api/v1/timelines/public", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&public), [id.as_str()]);
    }
    Ok(())
}

#[tokio::test]
async fn replicas_need_a_postgresql_primary() {
    let app_dir = temp_dir();
    let mut settings = starling_server::config::Settings::with_defaults(
        "127.0.0.1:0".parse().expect("an address"),
        &app_dir,
        vec![7; 32],
    );
    settings.replica_urls = vec!["postgres://postgres@127.0.0.1:5433/test".into()];
    let refused = starling_server::start_node(settings).await.err().map(|e| e.to_string());
    let _ = std::fs::remove_dir_all(&app_dir);
    assert!(refused.as_deref().is_some_and(|e| e.contains("need a PostgreSQL database")), "{refused:?}");
}

#[test]
fn the_test_database_url_keeps_everything_but_the_database() {
    assert_eq!(with_database("postgres://u@h:5433/test", "other"), "postgres://u@h:5433/other");
}
