//! Home timelines in the server's memory (ADR 14), the default for a node on embedded SQLite:
//! the worker keeps them, reads are served from them, and after a restart each home is rebuilt
//! from the database when first read. `STARLING_HOME_TIMELINES=store` keeps them in the
//! database instead.

use reqwest::StatusCode;
use starling_core::Id;
use starling_core::page::PageRequest;
use starling_server::config::{HomeSource, HomeTimelines};
use starling_server::feeds::Feeds;

use crate::helpers::*;

fn feeds(app: &TestApp) -> &Feeds {
    app.state.feeds.as_ref().expect("a node on SQLite keeps home timelines in memory")
}

/// The ids the memory cache holds for `user`, newest first; `None` when the home is missing.
fn in_memory(app: &TestApp, user: &User) -> Option<Vec<String>> {
    let homes = feeds(app).memory_homes().expect("the homes are in memory");
    let account = Id(user.id.parse().expect("numeric account id"));
    homes.read(account, &PageRequest::first(40)).map(|ids| ids.iter().map(|id| id.to_string()).collect())
}

#[tokio::test]
async fn a_node_on_sqlite_keeps_homes_in_memory_and_serves_them_from_there() -> TestResult {
    let app = spawn_app().await;
    assert_eq!(app.state.settings.home_source(), HomeSource::Memory);
    assert_eq!(feeds(&app).kind(), "memory");
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    assert_eq!(home(&app, &bob, "").await, Vec::<String>::new());
    assert_eq!(in_memory(&app, &bob), Some(vec![]), "read once: the home exists, empty");

    let hello = app.say(&alice, "hello").await;
    let dm = app.post_status(&alice, serde_json::json!({"status": "@bob psst", "visibility": "direct"})).await;
    assert_eq!(home(&app, &bob, "").await, std::slice::from_ref(&hello));
    assert_eq!(in_memory(&app, &bob), Some(vec![hello.clone()]), "written by the worker; no direct status");
    assert!(!home(&app, &bob, "").await.contains(&dm["id"].as_str().unwrap_or_default().to_string()));

    let (status, _) =
        app.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{hello}"), Some(&alice.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home(&app, &bob, "").await, Vec::<String>::new());
    assert_eq!(in_memory(&app, &bob), Some(vec![]), "removed, not only filtered");

    let kept = app.say(&alice, "kept").await;
    assert_eq!(home(&app, &bob, "").await, std::slice::from_ref(&kept));
    let (status, _) =
        app.post(&format!("/api/v1/accounts/{}/unfollow", alice.id), Some(&bob.token), serde_json::json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home(&app, &bob, "").await, Vec::<String>::new(), "rebuilt without the unfollowed");
    let stats = &feeds(&app).stats;
    assert_eq!(stats.served_from_store(), 0, "every read came from memory");
    assert!(stats.served_from_cache() >= 6);
    Ok(())
}

#[tokio::test]
async fn after_a_restart_each_home_is_rebuilt_from_the_database_when_read() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let mut expected = Vec::new();
    for i in 0..3 {
        expected.insert(0, app.say(&alice, &format!("post {i}")).await);
    }
    assert_eq!(home(&app, &bob, "").await, expected);

    let app = spawn_app_in(app.stop().await, |_| {}).await;
    assert_eq!(in_memory(&app, &bob), None, "memory starts empty");
    assert_eq!(home(&app, &bob, "").await, expected, "the same home, rebuilt");
    assert_eq!(feeds(&app).stats.rebuilds(), 1);
    assert_eq!(home(&app, &bob, &format!("?max_id={}", expected[0])).await, expected[1..], "and paged");
    expected.insert(0, app.say(&alice, "after the restart").await);
    assert_eq!(home(&app, &bob, "").await, expected, "new posts reach the rebuilt home");
    assert_eq!(feeds(&app).stats.rebuilds(), 1);
    Ok(())
}

#[tokio::test]
async fn homes_can_stay_in_the_database() -> TestResult {
    let app = spawn_app_with(|s| s.home_timelines = HomeTimelines::Store).await;
    assert_eq!(app.state.settings.home_source(), HomeSource::Store);
    assert!(app.state.feeds.is_none());
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let hello = app.say(&alice, "hello").await;
    assert_eq!(home(&app, &bob, "").await, std::slice::from_ref(&hello));
    // Written in the post's transaction: the store answers without any worker.
    let page = app.state.store.home_timeline(Id(bob.id.parse()?), PageRequest::first(20)).await?;
    assert_eq!(page.items.iter().map(|s| s.id.to_string()).collect::<Vec<_>>(), [hello]);
    Ok(())
}
