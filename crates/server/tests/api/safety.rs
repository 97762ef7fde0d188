//! Blocks and mutes over the API: a block hides two accounts from each other through every
//! endpoint and stream; a mute takes an account out of the muter's timelines (and its
//! notifications, when asked) but leaves its profile and its statuses reachable.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn ok(app: &TestApp, path: &str, user: &User) -> Value {
    let (status, body) = app.get(path, Some(&user.token)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn act(app: &TestApp, path: &str, user: &User, body: Value) -> Value {
    let (status, answer) = app.post(path, Some(&user.token), body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    answer
}

/// Every status id anywhere in a list of statuses: each status, what it reblogs or quotes.
fn status_ids(list: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for s in list.as_array().into_iter().flatten() {
        for v in [s, &s["reblog"], &s["quote"]["quoted_status"]] {
            if let Some(id) = v["id"].as_str() {
                out.push(id.to_string());
            }
        }
    }
    out
}

fn account_ids(list: &Value) -> Vec<String> {
    ids(list)
}

/// Who caused each notification in a list, newest first.
fn notifiers(list: &Value) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|n| n["account"]["id"].as_str().map(String::from)).collect()
}

#[tokio::test]
async fn a_blocked_user_sees_nothing_of_the_blocker_through_any_endpoint_or_stream() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    app.follow(&bob, &alice).await;
    app.follow(&alice, &bob).await;
    app.follow(&bob, &carol).await;
    let before = app.say(&alice, "before the block #quiet").await;
    act(&app, &format!("/api/v1/statuses/{before}/reblog"), &carol, json!({})).await;
    let carols_reply =
        app.post_status(&carol, json!({ "status": "@alice a reply", "in_reply_to_id": before })).await["id"]
            .as_str()
            .map(String::from)
            .expect("reply id");
    act(&app, &format!("/api/v1/statuses/{before}/favourite"), &bob, json!({})).await;
    let story = act(&app, "/api/v1/stories", &alice, json!({ "text": "a story" })).await;
    let story = story["id"].as_str().expect("story id").to_string();
    app.settle().await;
    let (_, notes) = app.get("/api/v1/notifications", Some(&alice.token)).await;
    assert!(notifiers(&notes).contains(&bob.id));

    let mut bob_home = app.stream(&format!("stream=user&access_token={}", bob.token)).await;
    let mut bob_public = app.stream(&format!("stream=public&access_token={}", bob.token)).await;
    let mut bob_tag = app.stream(&format!("stream=hashtag&tag=quiet&access_token={}", bob.token)).await;
    let mut alice_notes = app.stream(&format!("stream=user:notification&access_token={}", alice.token)).await;

    let rel = act(&app, &format!("/api/v1/accounts/{}/block", bob.id), &alice, json!({})).await;
    assert_eq!(
        (rel["blocking"].as_bool(), rel["following"].as_bool(), rel["followed_by"].as_bool()),
        (Some(true), Some(false), Some(false))
    );
    let (_, rels) = app.get(&format!("/api/v1/accounts/relationships?id[]={}", alice.id), Some(&bob.token)).await;
    assert_eq!(rels[0]["blocked_by"], true, "{rels}");
    assert_eq!(rels[0]["following"], false, "the block ended bob's follow too");

    // What alice posts now reaches none of bob's streams; carol's next post is the probe that
    // shows the streams are alive and ordered.
    let after = app.say(&alice, "after the block #quiet").await;
    let probe = app.say(&carol, "a probe of the block #quiet").await;
    for stream in [&mut bob_home, &mut bob_public, &mut bob_tag] {
        let next = stream.next_of(&["update"]).await;
        assert_eq!(next.json()["id"], probe, "alice's post was skipped");
    }
    // bob's mention of alice notifies her of nothing, live or listed.
    let mention = app.say(&bob, "@alice can you hear me").await;
    let carols_like = act(&app, &format!("/api/v1/statuses/{after}/favourite"), &carol, json!({})).await;
    assert_eq!(carols_like["favourited"], true);
    let note = alice_notes.next_of(&["notification"]).await;
    assert_eq!(note.json()["account"]["id"], carol.id, "bob's mention was not pushed");
    let (_, notes) = app.get("/api/v1/notifications", Some(&alice.token)).await;
    let from = notifiers(&notes);
    assert!(!from.contains(&bob.id), "bob's favourite and mention are hidden: {from:?}");
    let (_, unread) = app.get("/api/v1/notifications/unread_count", Some(&alice.token)).await;
    assert_eq!(unread["count"].as_i64(), Some(from.len() as i64), "{unread}");

    // Every read of bob's leaves alice out.
    for path in ["/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/quiet"] {
        let list = ok(&app, path, &bob).await;
        let seen = status_ids(&list);
        assert!(!seen.contains(&before) && !seen.contains(&after), "{path}: {seen:?}");
        assert!(seen.contains(&probe), "{path} still shows carol: {seen:?}");
    }
    let profile = ok(&app, &format!("/api/v1/accounts/{}/statuses", alice.id), &bob).await;
    assert_eq!(profile, json!([]));
    for path in [format!("/api/v1/statuses/{after}"), format!("/api/v1/statuses/{before}/context")] {
        let (status, _) = app.get(&path, Some(&bob.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let thread = ok(&app, &format!("/api/v1/statuses/{carols_reply}/context"), &bob).await;
    assert_eq!(thread["ancestors"], json!([]), "carol's reply shows without alice's post");
    for (path, body) in [
        (format!("/api/v1/statuses/{after}/favourite"), json!({})),
        (format!("/api/v1/statuses/{after}/reblog"), json!({})),
        ("/api/v1/statuses".to_string(), json!({ "status": "hi", "in_reply_to_id": after })),
        (format!("/api/v1/stories/{story}/view"), json!({})),
    ] {
        let (status, answer) = app.post(&path, Some(&bob.token), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
    }
    let (status, _) = app.post(&format!("/api/v1/accounts/{}/follow", alice.id), Some(&bob.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no new follow across a block");
    let (status, _) = app.post("/api/v1/chats", Some(&bob.token), json!({ "account_ids": [alice.id] })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no chat across a block");
    let (status, _) = app.get(&format!("/api/v1/accounts/{}/stories", alice.id), Some(&bob.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let feed = ok(&app, "/api/v1/stories", &bob).await;
    assert!(!feed.to_string().contains(&story), "{feed}");
    let found = ok(&app, "/api/v2/search?q=alice&type=accounts", &bob).await;
    assert_eq!(found["accounts"], json!([]), "{found}");
    // Statuses are searchable once indexed: carol's probe shows when they are.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let found = loop {
        let found = ok(&app, "/api/v2/search?q=block&type=statuses", &bob).await;
        if ids(&found["statuses"]).contains(&probe) {
            break found;
        }
        assert!(tokio::time::Instant::now() < deadline, "the probe was never indexed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(ids(&found["statuses"]), vec![probe.clone()], "alice's posts are not found");

    // It works both ways: alice sees nothing of bob either.
    let (status, _) = app.get(&format!("/api/v1/statuses/{mention}"), Some(&alice.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ok(&app, &format!("/api/v1/accounts/{}/statuses", bob.id), &alice).await, json!([]));
    let blocks = ok(&app, "/api/v1/blocks", &alice).await;
    assert_eq!(account_ids(&blocks), vec![bob.id.clone()]);

    // Lifted, bob sees alice's public posts again; the follows stay ended.
    let rel = act(&app, &format!("/api/v1/accounts/{}/unblock", bob.id), &alice, json!({})).await;
    assert_eq!((rel["blocking"].as_bool(), rel["following"].as_bool()), (Some(false), Some(false)));
    assert_eq!(ok(&app, &format!("/api/v1/statuses/{after}"), &bob).await["id"], after);
    assert_eq!(ok(&app, "/api/v1/blocks", &alice).await, json!([]));
    let back = app.say(&alice, "lifted #quiet").await;
    // bob's own mention of alice went to his public stream before; then comes alice's post.
    assert_eq!(bob_public.next_of(&["update"]).await.json()["id"], mention);
    assert_eq!(bob_public.next_of(&["update"]).await.json()["id"], back);
}

#[tokio::test]
async fn a_muted_accounts_posts_leave_home_but_stay_on_its_profile() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let dave = app.sign_up("dave").await;
    app.follow(&alice, &bob).await;
    app.follow(&alice, &dave).await;
    let early = app.say(&bob, "an early post").await;
    assert!(home(&app, &alice, "").await.contains(&early));
    let mut alice_home = app.stream(&format!("stream=user&access_token={}", alice.token)).await;

    let rel = act(&app, &format!("/api/v1/accounts/{}/mute", bob.id), &alice, json!({})).await;
    assert_eq!((rel["muting"].as_bool(), rel["muting_notifications"].as_bool()), (Some(true), Some(true)));
    assert_eq!(rel["following"], true, "a mute ends no follow");
    act(&app, &format!("/api/v1/accounts/{}/mute", dave.id), &alice, json!({ "notifications": false })).await;

    assert!(!home(&app, &alice, "").await.contains(&early), "gone from home");
    let profile = ok(&app, &format!("/api/v1/accounts/{}/statuses", bob.id), &alice).await;
    assert_eq!(ids(&profile), vec![early.clone()], "still on bob's profile");
    assert_eq!(ok(&app, &format!("/api/v1/statuses/{early}"), &alice).await["id"], early, "and reachable");
    let (_, bobs_rel) = app.get(&format!("/api/v1/accounts/relationships?id[]={}", alice.id), Some(&bob.token)).await;
    assert_eq!(bobs_rel[0]["muting"], false, "a mute is one-sided");

    // Live: bob's new post does not reach alice's home stream; alice's own does.
    let muted = app.say(&bob, "while muted").await;
    let own = app.say(&alice, "my own").await;
    assert_eq!(alice_home.next_of(&["update"]).await.json()["id"], own);
    assert!(!home(&app, &alice, "").await.contains(&muted));

    // Notifications: bob's are hidden, dave's (muted without them) are not.
    let mine = app.say(&alice, "like this").await;
    act(&app, &format!("/api/v1/statuses/{mine}/favourite"), &bob, json!({})).await;
    act(&app, &format!("/api/v1/statuses/{mine}/favourite"), &dave, json!({})).await;
    let note = alice_home.next_of(&["notification"]).await;
    assert_eq!(note.json()["account"]["id"], dave.id, "bob's favourite was not pushed");
    let notes = ok(&app, "/api/v1/notifications", &alice).await;
    assert_eq!(notifiers(&notes), vec![dave.id.clone()]);

    let mutes = ok(&app, "/api/v1/mutes", &alice).await;
    assert_eq!(account_ids(&mutes), vec![dave.id.clone(), bob.id.clone()]);
    assert_eq!(mutes[1]["mute_expires_at"], Value::Null);

    // A mute for a second ends by itself: bob's posts come home again.
    let rel = act(&app, &format!("/api/v1/accounts/{}/mute", bob.id), &alice, json!({ "duration": 1 })).await;
    assert_eq!(rel["muting"], true);
    let mutes = ok(&app, "/api/v1/mutes", &alice).await;
    assert!(mutes[1]["mute_expires_at"].is_string() || mutes[0]["mute_expires_at"].is_string(), "{mutes}");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !home(&app, &alice, "").await.contains(&early) {
        assert!(tokio::time::Instant::now() < deadline, "the mute never ended");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let rel = ok(&app, &format!("/api/v1/accounts/relationships?id[]={}", bob.id), &alice).await;
    assert_eq!(rel[0]["muting"], false);

    let rel = act(&app, &format!("/api/v1/accounts/{}/unmute", dave.id), &alice, json!({})).await;
    assert_eq!(rel["muting"], false);
    assert_eq!(ok(&app, "/api/v1/mutes", &alice).await, json!([]));
}

#[tokio::test]
async fn blocks_and_mutes_refuse_what_makes_no_sense() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    for action in ["block", "mute"] {
        let (status, body) =
            app.post(&format!("/api/v1/accounts/{}/{action}", alice.id), Some(&alice.token), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action} oneself: {body}");
        let (status, _) =
            app.post(&format!("/api/v1/accounts/999999999/{action}"), Some(&alice.token), json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action} nobody");
        let (status, _) = app.post(&format!("/api/v1/accounts/{}/{action}", bob.id), None, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    for duration in [json!(-1), json!("soon"), json!(400 * 24 * 3600)] {
        let (status, body) = app
            .post(&format!("/api/v1/accounts/{}/mute", bob.id), Some(&alice.token), json!({ "duration": duration }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "duration {duration}: {body}");
    }
    let (_, rel) = app.get(&format!("/api/v1/accounts/relationships?id[]={}", bob.id), Some(&alice.token)).await;
    assert_eq!(rel[0]["muting"], false, "nothing was stored");
    let (status, _) = app.get("/api/v1/blocks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
