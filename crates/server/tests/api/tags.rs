//! Followed hashtags over real HTTP and WebSocket: following, the list of followed tags, and
//! public statuses carrying a followed tag in the home timeline and on the user stream, with
//! homes kept in memory (a node on SQLite), in the database, and in Redis.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use starling_server::config::HomeTimelines;

use crate::helpers::*;

fn names(list: &Value) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|t| t["name"].as_str().map(String::from)).collect()
}

#[tokio::test]
async fn hashtags_are_followed_listed_and_unfollowed() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;

    // A tag nobody used is unknown until followed; then it is known to its follower.
    let (status, _) = app.get("/api/v1/tags/birds", Some(&alice.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, tag) = app.post("/api/v1/tags/%23Birds/follow", Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{tag}");
    assert_eq!((tag["name"].as_str(), &tag["following"]), (Some("birds"), &json!(true)));
    assert_eq!(tag["history"].as_array().map(Vec::len), Some(7));
    let (status, again) = app.post("/api/v1/tags/birds/follow", Some(&alice.token), json!({})).await;
    assert_eq!((status, &again["following"]), (StatusCode::OK, &json!(true)), "following again is harmless");
    let (status, tag) = app.get("/api/v1/tags/BIRDS", Some(&alice.token)).await;
    assert_eq!((status, &tag["following"]), (StatusCode::OK, &json!(true)));
    let (status, _) = app.get("/api/v1/tags/birds", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unknown to everyone else: nobody used it");
    app.say(&bob, "look #birds").await;
    let (_, tag) = app.get("/api/v1/tags/birds", None).await;
    assert_eq!(tag["following"], Value::Null, "an anonymous caller is told nothing of following");
    let (_, tag) = app.get("/api/v1/tags/birds", Some(&bob.token)).await;
    assert_eq!(tag["following"], false);

    // The list, newest follow first, paged with Link headers.
    for name in ["trees", "rivers"] {
        let (status, _) = app.post(&format!("/api/v1/tags/{name}/follow"), Some(&alice.token), json!({})).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, list) = app.get("/api/v1/followed_tags", Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(names(&list), ["rivers", "trees", "birds"]);
    assert!(list.as_array().into_iter().flatten().all(|t| t["following"] == true));
    let first = app.request(Method::GET, "/api/v1/followed_tags?limit=2", Some(&alice.token), None).await;
    let link = first.headers().get("link").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let next = link.split(['<', '>']).nth(1).unwrap_or_default().to_string();
    assert!(link.contains("rel=\"next\"") && next.contains("max_id="), "{link}");
    assert_eq!(names(&first.json::<Value>().await?), ["rivers", "trees"]);
    let path = next.trim_start_matches(&app.url(""));
    let (_, rest) = app.get(path, Some(&alice.token)).await;
    assert_eq!(names(&rest), ["birds"]);
    let (_, none) = app.get("/api/v1/followed_tags", Some(&bob.token)).await;
    assert_eq!(none, json!([]));

    // Trends and search say whether the caller follows each tag.
    let (_, found) = app.get("/api/v2/search?q=%23bir&type=hashtags", Some(&alice.token)).await;
    assert_eq!((names(&found["hashtags"]), &found["hashtags"][0]["following"]), (vec!["birds".into()], &json!(true)));

    let (status, tag) = app.post("/api/v1/tags/trees/unfollow", Some(&alice.token), json!({})).await;
    assert_eq!((status, &tag["following"]), (StatusCode::OK, &json!(false)));
    let (status, _) = app.post("/api/v1/tags/oceans/unfollow", Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "unfollowing what was not followed is harmless");
    let (_, list) = app.get("/api/v1/followed_tags", Some(&alice.token)).await;
    assert_eq!(names(&list), ["rivers", "birds"]);

    // Bad input and missing rights.
    for bad in ["2026", "two%20words", "tag!"] {
        let (status, body) = app.post(&format!("/api/v1/tags/{bad}/follow"), Some(&alice.token), json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| e.contains("hashtag")), "{body}");
        let (status, _) = app.get(&format!("/api/v1/tags/{bad}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad} names nothing");
    }
    let (status, _) = app.post("/api/v1/tags/birds/follow", None, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get("/api/v1/followed_tags", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A user's token that may only read may not follow.
    let reader = app.register_app("read write follow").await;
    let read_only = app.password_token(&reader, "alice", "read").await;
    let (status, _) = app.post("/api/v1/tags/birds/follow", Some(&read_only), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, list) = app.get("/api/v1/followed_tags", Some(&read_only)).await;
    assert_eq!((status, names(&list)), (StatusCode::OK, vec!["rivers".into(), "birds".into()]));
    Ok(())
}

/// One scenario for every place homes are kept: a followed tag's public statuses reach the
/// home timeline and the user stream, and leave with the tag.
async fn followed_tags_feed_the_home(app: TestApp) -> TestResult {
    let reader = app.sign_up("reader").await;
    let birder = app.sign_up("birder").await;
    let earlier = app.say(&birder, "an old #birds post").await;
    assert_eq!(home(&app, &reader, "").await, Vec::<String>::new());
    let (status, _) = app.post("/api/v1/tags/birds/follow", Some(&reader.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home(&app, &reader, "").await, std::slice::from_ref(&earlier), "the newest are brought in");

    let mut stream = app.stream(&format!("stream=user&access_token={}", reader.token)).await;
    let live = app.say(&birder, "a heron! #Birds").await;
    let update = stream.next_of(&["update"]).await;
    assert_eq!(update.json()["id"], live.as_str(), "live on the user stream");
    let private = app.post_status(&birder, json!({"status": "#birds for friends", "visibility": "private"})).await;
    let unlisted = app.post_status(&birder, json!({"status": "#birds quietly", "visibility": "unlisted"})).await;
    let home_now = home(&app, &reader, "").await;
    assert_eq!(home_now, vec![live.clone(), earlier.clone()], "only public statuses reach tag followers");
    assert!(!home_now.contains(&private["id"].as_str().unwrap_or_default().to_string()));
    assert!(!home_now.contains(&unlisted["id"].as_str().unwrap_or_default().to_string()));

    // An edit that adds the tag brings a status in; deleting one is told live.
    let plain = app.say(&birder, "no tag yet").await;
    let (status, edited) = app
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{plain}"),
            Some(&birder.token),
            Some(json!({"status": "now #birds"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(home(&app, &reader, "").await, vec![plain.clone(), live.clone(), earlier.clone()]);
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/statuses/{live}"), Some(&birder.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let deleted = stream.next_of(&["delete"]).await;
    assert_eq!(deleted.payload, live);
    assert_eq!(home(&app, &reader, "").await, vec![plain.clone(), earlier.clone()]);

    // Unfollowing takes them out, unless their author is followed.
    app.post("/api/v1/tags/birds/unfollow", Some(&reader.token), json!({})).await;
    assert_eq!(home(&app, &reader, "").await, Vec::<String>::new());
    app.post("/api/v1/tags/birds/follow", Some(&reader.token), json!({})).await;
    app.follow(&reader, &birder).await;
    app.post("/api/v1/tags/birds/unfollow", Some(&reader.token), json!({})).await;
    let home_now = home(&app, &reader, "").await;
    assert!(home_now.contains(&plain) && home_now.contains(&earlier), "{home_now:?}");
    Ok(())
}

#[tokio::test]
async fn followed_tags_feed_homes_kept_in_memory() -> TestResult {
    followed_tags_feed_the_home(spawn_app().await).await
}

#[tokio::test]
async fn followed_tags_feed_homes_kept_in_the_database() -> TestResult {
    followed_tags_feed_the_home(spawn_app_with(|s| s.home_timelines = HomeTimelines::Store).await).await
}

#[tokio::test]
async fn followed_tags_feed_homes_kept_in_redis() -> TestResult {
    let Some(url) = redis_url("followed tags in Redis homes") else { return Ok(()) };
    let prefix = unique_redis_prefix();
    let app = spawn_app_with(|s| {
        s.redis_url = Some(url);
        s.redis_prefix = prefix;
    })
    .await;
    assert_eq!(app.state.feeds.as_ref().map(|f| f.kind()), Some("redis"));
    followed_tags_feed_the_home(app).await
}
