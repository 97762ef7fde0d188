use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// Alice gets a follow, a favourite and a mention from bob.
async fn three_notifications(app: &TestApp) -> (User, User) {
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let status = app.say(&alice, "hello").await;
    app.post(&format!("/api/v1/statuses/{status}/favourite"), Some(&bob.token), json!({})).await;
    app.post_status(&bob, json!({"status": "@alice hi"})).await;
    app.settle().await;
    (alice, bob)
}

fn types(list: &serde_json::Value) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|n| n["type"].as_str().map(String::from)).collect()
}

#[tokio::test]
async fn notifications_are_listed_newest_first_and_filtered_by_type() -> TestResult {
    let app = spawn_app().await;
    let (alice, bob) = three_notifications(&app).await;
    let (status, all) = app.get("/api/v1/notifications", Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(types(&all), ["mention", "favourite", "follow"]);
    assert_eq!(all[0]["account"]["id"], bob.id.as_str());
    assert_eq!(all[1]["status"]["favourited"], false, "the recipient's own flags");
    let (_, only) = app.get("/api/v1/notifications?types[]=follow&types[]=mention", Some(&alice.token)).await;
    assert_eq!(types(&only), ["mention", "follow"]);
    let (_, except) = app.get("/api/v1/notifications?exclude_types[]=mention", Some(&alice.token)).await;
    assert_eq!(types(&except), ["favourite", "follow"]);
    let (_, page) = app.get("/api/v1/notifications?limit=1", Some(&alice.token)).await;
    assert_eq!(types(&page), ["mention"]);
    let (_, older) = app
        .get(&format!("/api/v1/notifications?max_id={}", all[0]["id"].as_str().unwrap_or_default()), Some(&alice.token))
        .await;
    assert_eq!(types(&older), ["favourite", "follow"]);
    Ok(())
}

#[tokio::test]
async fn a_notification_is_only_its_recipients_to_read_or_dismiss() -> TestResult {
    let app = spawn_app().await;
    let (alice, bob) = three_notifications(&app).await;
    let (_, all) = app.get("/api/v1/notifications", Some(&alice.token)).await;
    let id = all[0]["id"].as_str().unwrap_or_default().to_string();
    let (status, one) = app.get(&format!("/api/v1/notifications/{id}"), Some(&alice.token)).await;
    assert_eq!((status, one["type"].as_str()), (StatusCode::OK, Some("mention")));
    assert_eq!(app.get(&format!("/api/v1/notifications/{id}"), Some(&bob.token)).await.0, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&format!("/api/v1/notifications/{id}/dismiss"), Some(&bob.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&format!("/api/v1/notifications/{id}/dismiss"), Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, rest) = app.get("/api/v1/notifications", Some(&alice.token)).await;
    assert_eq!(types(&rest), ["favourite", "follow"]);
    let (status, _) = app.post("/api/v1/notifications/clear", Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    app.settle().await;
    let (_, none) = app.get("/api/v1/notifications", Some(&alice.token)).await;
    assert_eq!(none, json!([]));
    Ok(())
}

#[tokio::test]
async fn undoing_an_action_withdraws_its_notification() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let status = app.say(&alice, "hello").await;
    app.post(&format!("/api/v1/statuses/{status}/favourite"), Some(&bob.token), json!({})).await;
    app.follow(&bob, &alice).await;
    app.settle().await;
    assert_eq!(types(&app.get("/api/v1/notifications", Some(&alice.token)).await.1), ["follow", "favourite"]);
    app.post(&format!("/api/v1/statuses/{status}/unfavourite"), Some(&bob.token), json!({})).await;
    app.post(&format!("/api/v1/accounts/{}/unfollow", alice.id), Some(&bob.token), json!({})).await;
    app.settle().await;
    assert_eq!(app.get("/api/v1/notifications", Some(&alice.token)).await.1, json!([]));
    Ok(())
}

#[tokio::test]
async fn the_unread_count_follows_the_notifications_marker() -> TestResult {
    let app = spawn_app().await;
    let (alice, _) = three_notifications(&app).await;
    let (_, count) = app.get("/api/v1/notifications/unread_count", Some(&alice.token)).await;
    assert_eq!(count["count"], 3);
    let (_, all) = app.get("/api/v1/notifications", Some(&alice.token)).await;
    let middle = all[1]["id"].as_str().unwrap_or_default().to_string();
    let (status, marker) =
        app.post("/api/v1/markers", Some(&alice.token), json!({"notifications": {"last_read_id": middle}})).await;
    assert_eq!(status, StatusCode::OK, "{marker}");
    assert_eq!(marker["notifications"]["last_read_id"], middle.as_str());
    assert_eq!(marker["notifications"]["version"], 0);
    let (_, count) = app.get("/api/v1/notifications/unread_count", Some(&alice.token)).await;
    assert_eq!(count["count"], 1);
    let (_, markers) = app.get("/api/v1/markers?timeline[]=notifications&timeline[]=home", Some(&alice.token)).await;
    assert_eq!(markers["notifications"]["last_read_id"], middle.as_str());
    assert!(markers.get("home").is_none());
    let (status, _) = app.post("/api/v1/markers", Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    Ok(())
}

#[tokio::test]
async fn the_audit_trail_shows_ones_own_actions_only() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let status = app.say(&alice, "audited").await;
    app.post(&format!("/api/v1/statuses/{status}/favourite"), Some(&bob.token), json!({})).await;
    let (code, trail) = app.get("/api/v1/audit", Some(&alice.token)).await;
    assert_eq!(code, StatusCode::OK);
    let kinds: Vec<&str> = trail.as_array().into_iter().flatten().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"status.created"), "newest first: {kinds:?}");
    assert!(kinds.contains(&"account.created") && !kinds.contains(&"status.favourited"), "{kinds:?}");
    assert_eq!(trail[0]["subject_id"], status.as_str());
    let (code, _) = app.get(&format!("/api/v1/audit?account_id={}", bob.id), Some(&alice.token)).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (_, page) = app.get("/api/v1/audit?limit=1", Some(&alice.token)).await;
    assert_eq!(page.as_array().map(Vec::len), Some(1));
    Ok(())
}

#[tokio::test]
async fn following_with_notify_announces_every_new_post() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    let (_, rel) =
        app.post(&format!("/api/v1/accounts/{}/follow", alice.id), Some(&bob.token), json!({"notify": true})).await;
    assert_eq!(rel["notifying"], true);
    let (_, rels) = app.get(&format!("/api/v1/accounts/relationships?id={}", alice.id), Some(&bob.token)).await;
    assert_eq!(rels[0]["notifying"], true);

    let post = app.say(&alice, "news").await;
    let carols = app.say(&carol, "carol's").await;
    app.post_status(&alice, json!({"status": "@carol a reply to someone else", "in_reply_to_id": carols})).await;
    app.post_status(&alice, json!({"status": "@carol direct", "visibility": "direct"})).await;
    app.settle().await;
    let (_, notes) = app.get("/api/v1/notifications?types[]=status", Some(&bob.token)).await;
    assert_eq!(types(&notes), ["status"], "one for the post; none for the reply or the direct status");
    assert_eq!(notes[0]["status"]["id"], post.as_str());

    let (_, rel) =
        app.post(&format!("/api/v1/accounts/{}/follow", alice.id), Some(&bob.token), json!({"notify": false})).await;
    assert_eq!((rel["following"].as_bool(), rel["notifying"].as_bool()), (Some(true), Some(false)));
    app.say(&alice, "quiet").await;
    app.settle().await;
    let (_, notes) = app.get("/api/v1/notifications?types[]=status", Some(&bob.token)).await;
    assert_eq!(notes.as_array().map(Vec::len), Some(1));
    Ok(())
}
