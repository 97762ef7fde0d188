//! Home timelines in Redis sorted sets (ADR 11): the worker's writes, reads served from Redis,
//! homes rebuilt when missing, and the store answering when Redis cannot.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use starling_core::Id;
use starling_core::page::PageRequest;
use starling_server::feeds::redis_homes::RedisHomes;
use starling_server::feeds::{Feeds, scripts};

use crate::helpers::*;

async fn spawn_with_redis(url: &str, configure: impl FnOnce(&mut starling_server::Settings)) -> TestApp {
    let prefix = unique_redis_prefix();
    spawn_app_with(|s| {
        s.redis_url = Some(url.to_string());
        s.redis_prefix = prefix;
        configure(s);
    })
    .await
}

fn feeds(app: &TestApp) -> &Feeds {
    app.state.feeds.as_ref().expect("a node with Redis keeps home timelines there")
}

fn in_redis(app: &TestApp) -> &RedisHomes {
    feeds(app).redis_homes().expect("the homes are in Redis")
}

fn account_id(user: &User) -> Id {
    Id(user.id.parse().expect("numeric account id"))
}

/// The members of a user's home in Redis, oldest first, the marker last.
async fn redis_home(app: &TestApp, user: &User) -> Vec<String> {
    let mut conn = in_redis(app).conn().expect("connects");
    redis::cmd("ZRANGE")
        .arg(in_redis(app).home_key(account_id(user)))
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .expect("ZRANGE")
}

fn member(id: &str) -> String {
    scripts::member(Id(id.parse().expect("numeric status id")))
}

/// Deletes every key the app wrote under its prefix (as a Redis that lost its data would),
/// the worker's offset too unless `keep_offset`.
async fn flush(app: &TestApp, keep_offset: bool) {
    let feeds = in_redis(app);
    let mut conn = feeds.conn().expect("connects");
    let pattern = format!("{}*", feeds.offset_key().trim_end_matches("feeds:offset"));
    let keys: Vec<String> = redis::cmd("KEYS").arg(&pattern).query_async(&mut conn).await.expect("KEYS");
    let doomed: Vec<String> = keys.into_iter().filter(|k| !keep_offset || *k != feeds.offset_key()).collect();
    if !doomed.is_empty() {
        let () = redis::cmd("DEL").arg(&doomed).query_async(&mut conn).await.expect("DEL");
    }
}

#[tokio::test]
async fn a_post_reaches_followers_homes_in_redis_and_is_served_from_there() -> TestResult {
    let Some(url) = redis_url("Redis home timeline") else { return Ok(()) };
    let app = spawn_with_redis(&url, |_| {}).await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    app.follow(&bob, &alice).await;
    assert_eq!(home(&app, &bob, "").await, Vec::<String>::new());
    assert_eq!(redis_home(&app, &bob).await, ["a"], "an empty home exists: the marker alone");

    let hello = app.say(&alice, "hello").await;
    let dm = app.post_status(&alice, serde_json::json!({"status": "@bob psst", "visibility": "direct"})).await;
    assert_eq!(home(&app, &bob, "").await, std::slice::from_ref(&hello));
    assert_eq!(redis_home(&app, &bob).await, [member(&hello), "a".to_string()], "written by the worker");
    assert!(!redis_home(&app, &bob).await.contains(&member(dm["id"].as_str().unwrap_or_default())));
    assert_eq!(home(&app, &carol, "").await, Vec::<String>::new(), "carol follows no one");
    assert_eq!(home(&app, &alice, "").await, [hello]);
    let stats = &feeds(&app).stats;
    assert_eq!((stats.served_from_cache(), stats.served_from_store()), (4, 0));
    Ok(())
}

#[tokio::test]
async fn deleting_and_unfollowing_take_statuses_out_of_homes_in_redis() -> TestResult {
    let Some(url) = redis_url("Redis home timeline") else { return Ok(()) };
    let app = spawn_with_redis(&url, |_| {}).await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let first = app.say(&alice, "first").await;
    let second = app.say(&alice, "second").await;
    assert_eq!(home(&app, &bob, "").await, [second.clone(), first.clone()]);

    let (status, _) =
        app.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{first}"), Some(&alice.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home(&app, &bob, "").await, std::slice::from_ref(&second));
    assert!(!redis_home(&app, &bob).await.contains(&member(&first)), "removed from the set, not only filtered");

    let (status, _) =
        app.post(&format!("/api/v1/accounts/{}/unfollow", alice.id), Some(&bob.token), serde_json::json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home(&app, &bob, "").await, Vec::<String>::new());
    assert_eq!(redis_home(&app, &bob).await, ["a"]);
    assert_eq!(feeds(&app).stats.served_from_store(), 0);
    Ok(())
}

#[tokio::test]
async fn following_brings_the_followees_recent_statuses_into_a_home_in_redis() -> TestResult {
    let Some(url) = redis_url("Redis home timeline") else { return Ok(()) };
    let app = spawn_with_redis(&url, |_| {}).await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let mut posted = Vec::new();
    for i in 0..3 {
        posted.push(app.say(&alice, &format!("post {i}")).await);
    }
    let own = app.say(&bob, "mine").await;
    assert_eq!(home(&app, &bob, "").await, std::slice::from_ref(&own));
    app.follow(&bob, &alice).await;
    let mut expected = vec![own];
    expected.extend(posted.iter().rev().cloned());
    assert_eq!(home(&app, &bob, "").await, expected);
    assert_eq!(feeds(&app).stats.served_from_store(), 0);
    Ok(())
}

#[tokio::test]
async fn pages_of_a_home_in_redis_are_the_stores_pages() -> TestResult {
    let Some(url) = redis_url("Redis home timeline") else { return Ok(()) };
    let app = spawn_with_redis(&url, |_| {}).await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let mut posted = Vec::new();
    for i in 0..7 {
        posted.push(app.say(&alice, &format!("post {i}")).await);
    }
    posted.push(app.say(&bob, "bob's own").await);
    let everything: Vec<String> = posted.iter().rev().cloned().collect();
    assert_eq!(home(&app, &bob, "").await, everything);

    let (mid, low) = (&posted[4], &posted[1]);
    let cursor = |s: &String| Some(Id(s.parse().unwrap_or_default()));
    let cases = [
        ("?limit=3", PageRequest::first(3)),
        (&*format!("?limit=3&max_id={mid}"), PageRequest { max_id: cursor(mid), ..PageRequest::first(3) }),
        (&*format!("?limit=3&min_id={low}"), PageRequest { min_id: cursor(low), ..PageRequest::first(3) }),
        (&*format!("?limit=3&since_id={low}"), PageRequest { since_id: cursor(low), ..PageRequest::first(3) }),
        (
            &*format!("?max_id={mid}&since_id={low}"),
            PageRequest { max_id: cursor(mid), since_id: cursor(low), ..PageRequest::first(20) },
        ),
    ];
    for (query, request) in cases {
        let page = app.state.store.home_timeline(account_id(&bob), request).await?;
        let expected: Vec<String> = page.items.iter().map(|s| s.id.to_string()).collect();
        assert!(!expected.is_empty(), "{query}");
        assert_eq!(home(&app, &bob, query).await, expected, "{query}");
    }
    // The Link header points at the same cursors as it does for the store's pages.
    let resp = app.request(reqwest::Method::GET, "/api/v1/timelines/home?limit=3", Some(&bob.token), None).await;
    let link = resp.headers().get("link").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(link.contains(&format!("max_id={}", everything[2])), "{link}");
    assert!(link.contains(&format!("min_id={}", everything[0])), "{link}");
    assert_eq!(feeds(&app).stats.served_from_store(), 0);
    Ok(())
}

#[tokio::test]
async fn a_home_in_redis_keeps_its_newest_statuses_up_to_the_cap() -> TestResult {
    let Some(url) = redis_url("Redis home timeline") else { return Ok(()) };
    let app = spawn_with_redis(&url, |s| s.home_cap = 3).await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    assert_eq!(home(&app, &bob, "").await, Vec::<String>::new());
    let mut posted = Vec::new();
    for i in 0..5 {
        posted.push(app.say(&alice, &format!("post {i}")).await);
    }
    let newest: Vec<String> = posted.iter().rev().take(3).cloned().collect();
    assert_eq!(home(&app, &bob, "").await, newest);
    let mut members: Vec<String> = newest.iter().rev().map(|id| member(id)).collect();
    members.push("a".to_string());
    assert_eq!(redis_home(&app, &bob).await, members, "the oldest went, the marker stayed");
    assert_eq!(home(&app, &bob, &format!("?max_id={}", newest[2])).await, Vec::<String>::new(), "a capped home ends");
    Ok(())
}

#[tokio::test]
async fn a_home_lost_from_redis_is_rebuilt_complete() -> TestResult {
    let Some(url) = redis_url("Redis home timeline") else { return Ok(()) };
    let app = spawn_with_redis(&url, |s| s.pipeline_poll = Duration::from_millis(20)).await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let mut expected = Vec::new();
    for i in 0..3 {
        expected.insert(0, app.say(&alice, &format!("post {i}")).await);
    }
    assert_eq!(home(&app, &bob, "").await, expected);
    let rebuilds = feeds(&app).stats.rebuilds();

    // The homes go, the offset stays: the next read rebuilds the home from the store.
    flush(&app, true).await;
    assert_eq!(home(&app, &bob, "").await, expected);
    assert_eq!(feeds(&app).stats.rebuilds(), rebuilds + 1);
    assert_eq!(redis_home(&app, &bob).await.len(), 4);

    // Everything goes, as when Redis restarts without persistence: reads stay correct, and once
    // the worker has started again from the log's end, new posts reach the rebuilt home.
    flush(&app, false).await;
    assert_eq!(home(&app, &bob, "").await, expected);
    let served = feeds(&app).stats.served_from_cache();
    expected.insert(0, app.say(&alice, "after the loss").await);
    let deadline = Instant::now() + Duration::from_secs(10);
    while feeds(&app).stats.served_from_cache() == served {
        assert!(Instant::now() < deadline, "the home is served from Redis again");
        assert_eq!(home(&app, &bob, "").await, expected);
    }
    assert!(redis_home(&app, &bob).await.contains(&member(&expected[0])));
    Ok(())
}

#[tokio::test]
async fn with_redis_unreachable_homes_are_served_from_the_store_at_once() -> TestResult {
    // Nothing listens on port 1: every connection is refused. The node still starts and serves.
    let app = spawn_app_with(|s| {
        s.redis_url = Some("redis://127.0.0.1:1/".to_string());
        s.redis_prefix = unique_redis_prefix();
    })
    .await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let hello = app.say(&alice, "hello").await;
    let started = Instant::now();
    assert_eq!(home(&app, &bob, "").await, [hello]);
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    let stats = &feeds(&app).stats;
    assert_eq!((stats.served_from_cache(), stats.served_from_store()), (0, 1));
    Ok(())
}

#[tokio::test]
async fn the_scripts_write_only_existing_homes_cap_them_and_install_builds_whole() -> TestResult {
    let Some(url) = redis_url("Redis home timeline") else { return Ok(()) };
    let feeds = RedisHomes::new(&url, &unique_redis_prefix())?;
    let mut conn = feeds.conn()?;
    let (home, other, offset) = (feeds.home_key(Id(1)), feeds.home_key(Id(2)), feeds.offset_key());
    let reader = conn.clone();
    let members = |key: String| {
        let mut conn = reader.clone();
        async move { redis::cmd("ZRANGE").arg(key).arg(0).arg(-1).query_async::<Vec<String>>(&mut conn).await }
    };
    let exists = |key: String| {
        let mut conn = reader.clone();
        async move { redis::cmd("EXISTS").arg(key).query_async::<bool>(&mut conn).await }
    };

    // Adding to a missing home leaves it missing: one id would make it look complete.
    assert_eq!(scripts::add(&mut conn, std::slice::from_ref(&home), Id(5), 3).await?, 0);
    assert!(!exists(home.clone()).await?);

    // A build is installed only while the worker has not moved past what the build saw.
    assert!(!scripts::install(&mut conn, &home, &format!("{home}:s1"), &offset, &[Id(3)], 10).await?, "no offset");
    assert_eq!(scripts::init_offset(&mut conn, &offset, 10).await?, Some(10));
    assert_eq!(scripts::init_offset(&mut conn, &offset, 99).await?, Some(10), "set once");
    assert!(scripts::install(&mut conn, &home, &format!("{home}:s2"), &offset, &[Id(3), Id(2), Id(1)], 10).await?);
    assert!(!exists(format!("{home}:s2")).await?, "the scratch key became the home");
    let ttl: i64 = redis::cmd("PTTL").arg(&home).query_async(&mut conn).await?;
    assert_eq!(ttl, -1, "the home does not expire with its scratch key");
    assert_eq!(
        members(home.clone()).await?,
        [scripts::member(Id(1)), scripts::member(Id(2)), scripts::member(Id(3)), "a".into()]
    );
    assert!(scripts::install(&mut conn, &home, &format!("{home}:s3"), &offset, &[Id(9)], 10).await?);
    assert!(!members(home.clone()).await?.contains(&scripts::member(Id(9))), "an existing home is kept");

    // The cap drops the oldest ids and never the marker.
    assert_eq!(scripts::add(&mut conn, &[home.clone(), other.clone()], Id(4), 3).await?, 1);
    assert_eq!(
        members(home.clone()).await?,
        [scripts::member(Id(2)), scripts::member(Id(3)), scripts::member(Id(4)), "a".into()]
    );
    assert!(!exists(other.clone()).await?);

    // Pages walk down by max_id and up by min_id, never reaching the marker.
    assert_eq!(scripts::read(&mut conn, &home, &PageRequest::first(2)).await?, Some(vec![Id(4), Id(3)]));
    let older = PageRequest { max_id: Some(Id(4)), ..PageRequest::first(5) };
    assert_eq!(scripts::read(&mut conn, &home, &older).await?, Some(vec![Id(3), Id(2)]));
    let newer = PageRequest { min_id: Some(Id(2)), ..PageRequest::first(5) };
    assert_eq!(scripts::read(&mut conn, &home, &newer).await?, Some(vec![Id(3), Id(4)]));
    assert_eq!(scripts::read(&mut conn, &other, &PageRequest::first(5)).await?, None, "missing");

    scripts::remove(&mut conn, &[home.clone(), other.clone()], Id(3)).await?;
    assert_eq!(scripts::read(&mut conn, &home, &PageRequest::first(5)).await?, Some(vec![Id(4), Id(2)]));
    assert!(!exists(other.clone()).await?);

    // A worker moved past the build: the build is dropped, the home stays missing.
    assert!(scripts::advance(&mut conn, &offset, 10, 20).await?);
    assert!(!scripts::advance(&mut conn, &offset, 10, 30).await?, "only from where the batch started");
    assert!(!scripts::install(&mut conn, &other, &format!("{other}:s4"), &offset, &[Id(1)], 15).await?);
    assert!(!exists(other.clone()).await?);
    assert!(!exists(format!("{other}:s4")).await?);

    scripts::forget(&mut conn, &[home.clone(), offset]).await?;
    assert!(!exists(home).await?);
    Ok(())
}
