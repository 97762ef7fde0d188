//! Stories over real HTTP and WebSocket: who sees them, views and reactions told live to the
//! author only, expiry.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn user_stream(user: &User) -> String {
    format!("stream=user&access_token={}", user.token)
}

async fn story(app: &TestApp, user: &User, body: Value) -> Value {
    let (status, story) = app.post("/api/v1/stories", Some(&user.token), body).await;
    assert_eq!(status, StatusCode::OK, "{story}");
    story
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// Marks `user`'s account locked: its stories are for its followers only.
async fn lock(app: &TestApp, user: &User) {
    let (status, me) = app
        .call(Method::PATCH, "/api/v1/accounts/update_credentials", Some(&user.token), Some(json!({"locked": true})))
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["locked"], true);
}

#[tokio::test]
async fn a_story_is_posted_listed_by_account_and_deleted_by_its_author_only() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    app.follow(&bob, &alice).await;
    let first = story(&app, &alice, json!({"text": "morning"})).await;
    let second = story(&app, &alice, json!({"text": "coffee", "duration": 3600})).await;
    assert_eq!(first["account"]["id"], alice.id.as_str());
    assert_eq!((first["text"].as_str(), first["seen"].as_bool()), (Some("morning"), Some(true)));
    assert_eq!(first["views_count"], 0, "the author sees the view count");
    assert_eq!(first["media_attachments"], json!([]));
    let lasts = |s: &Value| {
        let at = |k: &str| s[k].as_str().and_then(time_of).unwrap_or_default();
        at("expires_at") - at("created_at")
    };
    assert_eq!(lasts(&first), 24 * 3600 * 1000, "a day unless the author says");
    assert_eq!(lasts(&second), 3600 * 1000);

    // Bob follows Alice: her group is in his bar, unseen, oldest story first.
    let (status, feed) = app.get("/api/v1/stories", Some(&bob.token)).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    assert_eq!(feed.as_array().map(Vec::len), Some(1));
    assert_eq!(feed[0]["account"]["id"], alice.id.as_str());
    assert_eq!(ids(&feed[0]["stories"]), vec![id(&first), id(&second)]);
    assert_eq!(feed[0]["has_unseen"], true);
    assert_eq!(feed[0]["stories"][0]["views_count"], Value::Null, "only the author sees the count");
    // Carol follows nobody: her bar is empty, but Alice's account is open, so her page shows them.
    let (_, feed) = app.get("/api/v1/stories", Some(&carol.token)).await;
    assert_eq!(feed, json!([]));
    let (status, listed) = app.get(&format!("/api/v1/accounts/{}/stories", alice.id), Some(&carol.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&listed), vec![id(&first), id(&second)]);

    let path = format!("/api/v1/stories/{}", id(&first));
    let (status, _) = app.call(Method::DELETE, &path, Some(&bob.token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the author deletes");
    let (status, deleted) = app.call(Method::DELETE, &path, Some(&alice.token), None).await;
    assert_eq!((status, id(&deleted)), (StatusCode::OK, id(&first)));
    let (status, _) = app.get(&path, Some(&alice.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    Ok(())
}

fn time_of(rfc3339: &str) -> Option<i64> {
    starling_core::model::Timestamp::parse_rfc3339(rfc3339).map(|t| t.0)
}

#[tokio::test]
async fn bad_stories_and_reactions_are_refused_with_422() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    for body in [
        json!({"text": "   "}),
        json!({}),
        json!({"text": "x", "duration": 0}),
        json!({"text": "x", "duration": 86401}),
        json!({"text": "x", "duration": "soon"}),
        json!({"text": "x".repeat(501)}),
        json!({"text": "x", "media_ids": ["1"]}),
    ] {
        let (status, error) = app.post("/api/v1/stories", Some(&alice.token), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {error}");
        assert!(error["error"].is_string());
    }
    let s = story(&app, &alice, json!({"text": "react to me"})).await;
    for emoji in ["", "abc", "👍👍", ":+1:"] {
        let (status, _) = app
            .post(&format!("/api/v1/stories/{}/reactions", id(&s)), Some(&alice.token), json!({"emoji": emoji}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{emoji:?}");
    }
    let (status, _) = app.post("/api/v1/stories/12345/view", Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/api/v1/stories/not-an-id", Some(&alice.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn the_author_hears_of_each_viewer_once_and_never_of_themself() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    app.follow(&bob, &alice).await;
    let mut alice_stream = app.stream(&user_stream(&alice)).await;
    let mut bob_stream = app.stream(&user_stream(&bob)).await;
    let mut carol_stream = app.stream(&user_stream(&carol)).await;

    let s = story(&app, &alice, json!({"text": "live"})).await;
    // Her follower's bar updates live; so do her own other tabs.
    let created = bob_stream.next().await;
    assert_eq!(created.event, "story.created");
    assert_eq!(created.json()["id"], id(&s).as_str());
    assert_eq!(created.json()["seen"], false);
    assert_eq!(alice_stream.next().await.event, "story.created");

    let view = format!("/api/v1/stories/{}/view", id(&s));
    let (status, seen) = app.post(&view, Some(&bob.token), json!({})).await;
    assert_eq!((status, &seen["seen"]), (StatusCode::OK, &json!(true)));
    app.post(&view, Some(&bob.token), json!({})).await;
    app.post(&view, Some(&alice.token), json!({})).await;
    app.post(&format!("/api/v1/stories/{}/reactions", id(&s)), Some(&bob.token), json!({"emoji": "❤️"})).await;
    app.post(&format!("/api/v1/stories/{}/reactions", id(&s)), Some(&alice.token), json!({"emoji": "🔥"})).await;
    app.post(&view, Some(&carol.token), json!({})).await;

    // Exactly: bob's one view, bob's reaction, carol's view; nothing for alice's own acts.
    let viewed = alice_stream.next().await;
    assert_eq!(viewed.event, "story.viewed");
    assert_eq!(viewed.json()["story_id"], id(&s).as_str());
    assert_eq!(viewed.json()["viewer"]["id"], bob.id.as_str());
    assert!(viewed.json()["viewed_at"].is_string());
    let reacted = alice_stream.next().await;
    assert_eq!(reacted.event, "story.reacted");
    assert_eq!(
        (reacted.json()["account"]["id"].as_str(), reacted.json()["emoji"].as_str()),
        (Some(bob.id.as_str()), Some("❤️"))
    );
    assert!(reacted.json()["reacted_at"].is_string());
    let third = alice_stream.next().await;
    assert_eq!(
        (third.event.as_str(), third.json()["viewer"]["id"].as_str()),
        ("story.viewed", Some(carol.id.as_str()))
    );

    // Nobody else hears of views or reactions; carol follows nobody and heard nothing at all.
    let sentinel = app.say(&alice, "sentinel").await;
    let next = bob_stream.next().await;
    assert_eq!((next.event.as_str(), next.json()["id"].as_str()), ("update", Some(sentinel.as_str())));
    app.follow(&carol, &alice).await;
    let sentinel = app.say(&alice, "for carol").await;
    assert_eq!(carol_stream.next().await.json()["id"], sentinel.as_str());

    // The author's list of viewers, newest first; nobody else may read it.
    let viewers = format!("/api/v1/stories/{}/viewers", id(&s));
    let (status, list) = app.get(&viewers, Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let who: Vec<&str> = list.as_array().into_iter().flatten().filter_map(|v| v["account"]["id"].as_str()).collect();
    assert_eq!(who, vec![carol.id.as_str(), bob.id.as_str()]);
    let (status, _) = app.get(&viewers, Some(&bob.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Counts per emoji, `me` for the reader.
    let (_, as_bob) = app.get(&format!("/api/v1/stories/{}", id(&s)), Some(&bob.token)).await;
    assert_eq!(
        as_bob["reactions"],
        json!([{"emoji": "❤️", "count": 1, "me": true}, {"emoji": "🔥", "count": 1, "me": false}])
    );
    let (_, as_alice) = app.get(&format!("/api/v1/stories/{}", id(&s)), Some(&alice.token)).await;
    assert_eq!(as_alice["views_count"], 2);
    let unreact = format!("/api/v1/stories/{}/reactions/{}", id(&s), "%E2%9D%A4%EF%B8%8F");
    let (status, after) = app.call(Method::DELETE, &unreact, Some(&bob.token), None).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["reactions"], json!([{"emoji": "🔥", "count": 1, "me": false}]));
    Ok(())
}

#[tokio::test]
async fn a_locked_accounts_stories_are_for_its_followers_only() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    lock(&app, &alice).await;
    // Following a locked account asks it; alice approves bob.
    let (_, rel) = app.post(&format!("/api/v1/accounts/{}/follow", alice.id), Some(&bob.token), json!({})).await;
    assert_eq!(rel["requested"], true, "{rel}");
    let (status, rel) =
        app.post(&format!("/api/v1/follow_requests/{}/authorize", bob.id), Some(&alice.token), json!({})).await;
    assert_eq!((status, &rel["followed_by"]), (StatusCode::OK, &json!(true)), "{rel}");
    let s = story(&app, &alice, json!({"text": "friends only"})).await;
    let story_path = format!("/api/v1/stories/{}", id(&s));

    let (status, _) = app.get(&story_path, Some(&bob.token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, listed) = app.get(&format!("/api/v1/accounts/{}/stories", alice.id), Some(&bob.token)).await;
    assert_eq!((status, ids(&listed)), (StatusCode::OK, vec![id(&s)]));

    for (method, path, body) in [
        (Method::GET, story_path.clone(), None),
        (Method::GET, format!("/api/v1/accounts/{}/stories", alice.id), None),
        (Method::POST, format!("{story_path}/view"), Some(json!({}))),
        (Method::POST, format!("{story_path}/reactions"), Some(json!({"emoji": "👀"}))),
        (Method::DELETE, format!("{story_path}/reactions/%F0%9F%91%80"), None),
        (Method::GET, format!("{story_path}/viewers"), None),
        (Method::DELETE, story_path.clone(), None),
    ] {
        let (status, body) = app.call(method.clone(), &path, Some(&eve.token), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
    }
    let (_, feed) = app.get("/api/v1/stories", Some(&eve.token)).await;
    assert_eq!(feed, json!([]));
    let (_, as_alice) = app.get(&story_path, Some(&alice.token)).await;
    assert_eq!(as_alice["views_count"], 0, "eve's attempts left no trace");
    Ok(())
}

/// Whether alice's stories are gone from every endpoint, for her and for her follower bob.
async fn expired_everywhere(app: &TestApp, alice: &User, bob: &User, story: &str) -> bool {
    for path in [format!("/api/v1/stories/{story}"), format!("/api/v1/stories/{story}/viewers")] {
        let (status, _) = app.get(&path, Some(&alice.token)).await;
        if status != StatusCode::NOT_FOUND {
            return false;
        }
    }
    let (_, feed) = app.get("/api/v1/stories", Some(&bob.token)).await;
    let (_, listed) = app.get(&format!("/api/v1/accounts/{}/stories", alice.id), Some(&bob.token)).await;
    feed == json!([]) && listed == json!([])
}

#[tokio::test]
async fn stories_vanish_everywhere_at_expiry_and_are_purged() -> TestResult {
    let app = spawn_app_with(|s| {
        s.story_lifetime = std::time::Duration::from_secs(2);
        s.story_sweep = std::time::Duration::from_secs(1);
    })
    .await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let short = story(&app, &alice, json!({"text": "brief", "duration": 1})).await;
    let (status, _) = app.post("/api/v1/stories", Some(&alice.token), json!({"text": "long", "duration": 3})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "longer than the configured lifetime");
    let default = story(&app, &alice, json!({"text": "default"})).await;
    app.post(&format!("/api/v1/stories/{}/view", id(&default)), Some(&bob.token), json!({})).await;
    let (_, feed) = app.get("/api/v1/stories", Some(&bob.token)).await;
    assert_eq!(ids(&feed[0]["stories"]), vec![id(&short), id(&default)]);

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !expired_everywhere(&app, &alice, &bob, &id(&default)).await {
        assert!(tokio::time::Instant::now() < deadline, "the stories did not expire");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (status, _) = app.post(&format!("/api/v1/stories/{}/view", id(&default)), Some(&bob.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The sweeper removes them; their events stay in the author's audit trail.
    loop {
        let metrics = app.client.get(app.url("/metrics")).send().await?.text().await?;
        let count = metrics
            .lines()
            .find(|l| l.starts_with("starling_stories_purged_total"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse::<f64>().ok());
        // The recorder is the process's: at least this test's two stories.
        if count.is_some_and(|n| n >= 2.0) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline + std::time::Duration::from_secs(5), "not purged: {metrics}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (status, audit) = app.get("/api/v1/audit", Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let kinds: Vec<&str> = audit.as_array().into_iter().flatten().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "story.created").count(), 2, "{audit}");
    Ok(())
}
