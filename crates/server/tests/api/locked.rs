//! Locked accounts: following one asks it, it approves or rejects each request, and its
//! followers-only statuses reach only those it approved.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn act(app: &TestApp, path: &str, user: &User) -> Value {
    let (status, answer) = app.post(path, Some(&user.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    answer
}

async fn lock(app: &TestApp, user: &User, locked: bool) {
    let (status, me) = app
        .call(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(&user.token),
            Some(json!({ "locked": locked })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["locked"], locked);
}

async fn requests(app: &TestApp, user: &User) -> Vec<String> {
    let (status, list) = app.get("/api/v1/follow_requests", Some(&user.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    ids(&list)
}

async fn notification_kinds(app: &TestApp, user: &User) -> Vec<(String, String)> {
    app.settle().await;
    let (_, list) = app.get("/api/v1/notifications", Some(&user.token)).await;
    list.as_array()
        .into_iter()
        .flatten()
        .map(|n| (n["type"].as_str().unwrap_or("").to_string(), n["account"]["id"].as_str().unwrap_or("").to_string()))
        .collect()
}

#[tokio::test]
async fn a_locked_accounts_private_post_reaches_only_approved_followers() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    lock(&app, &alice, true).await;
    let mut alice_notes = app.stream(&format!("stream=user:notification&access_token={}", alice.token)).await;

    for asker in [&bob, &carol] {
        let rel = act(&app, &format!("/api/v1/accounts/{}/follow", alice.id), asker).await;
        assert_eq!((rel["requested"].as_bool(), rel["following"].as_bool()), (Some(true), Some(false)), "{rel}");
        let note = alice_notes.next_of(&["notification"]).await.json();
        assert_eq!(
            (note["type"].as_str(), note["account"]["id"].as_str()),
            (Some("follow_request"), Some(asker.id.as_str()))
        );
        assert_eq!(note["status"], Value::Null);
    }
    assert_eq!(requests(&app, &alice).await, vec![carol.id.clone(), bob.id.clone()]);
    let (_, rel) = app.get(&format!("/api/v1/accounts/relationships?id[]={}", bob.id), Some(&alice.token)).await;
    assert_eq!(rel[0]["requested_by"], true, "{rel}");
    assert_eq!(app.account(&alice).await["followers_count"], 0, "a request is no follow");

    let rel = act(&app, &format!("/api/v1/follow_requests/{}/authorize", bob.id), &alice).await;
    assert_eq!((rel["followed_by"].as_bool(), rel["requested_by"].as_bool()), (Some(true), Some(false)), "{rel}");
    let rel = act(&app, &format!("/api/v1/follow_requests/{}/reject", carol.id), &alice).await;
    assert_eq!((rel["followed_by"].as_bool(), rel["requested_by"].as_bool()), (Some(false), Some(false)), "{rel}");
    assert_eq!(requests(&app, &alice).await, Vec::<String>::new());
    let (status, _) =
        app.post(&format!("/api/v1/follow_requests/{}/authorize", carol.id), Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to approve");
    // The requests' notifications went with them; approving told alice nothing new.
    assert_eq!(notification_kinds(&app, &alice).await, Vec::<(String, String)>::new());

    // Alice's followers-only post reaches bob, live and at home, and nobody else.
    let mut bob_home = app.stream(&format!("stream=user&access_token={}", bob.token)).await;
    let mut carol_home = app.stream(&format!("stream=user&access_token={}", carol.token)).await;
    let private = app.post_status(&alice, json!({ "status": "for my followers", "visibility": "private" })).await;
    let private = private["id"].as_str().expect("id").to_string();
    assert_eq!(bob_home.next_of(&["update"]).await.json()["id"], private);
    assert!(home(&app, &bob, "").await.contains(&private));
    carol_home.expect_nothing_of(&["update"]).await;
    let (status, _) = app.get(&format!("/api/v1/statuses/{private}"), Some(&carol.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, profile) = app.get(&format!("/api/v1/accounts/{}/statuses", alice.id), Some(&carol.token)).await;
    assert!(!ids(&profile).contains(&private), "{profile}");
    let (_, profile) = app.get(&format!("/api/v1/accounts/{}/statuses", alice.id), Some(&bob.token)).await;
    assert!(ids(&profile).contains(&private), "{profile}");
}

#[tokio::test]
async fn unfollowing_withdraws_a_request_and_unlocking_approves_the_rest() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let (bob, carol) = (app.sign_up("bob").await, app.sign_up("carol").await);
    lock(&app, &alice, true).await;
    for asker in [&bob, &carol] {
        act(&app, &format!("/api/v1/accounts/{}/follow", alice.id), asker).await;
    }
    let rel = act(&app, &format!("/api/v1/accounts/{}/unfollow", alice.id), &carol).await;
    assert_eq!(rel["requested"], false);
    assert_eq!(requests(&app, &alice).await, vec![bob.id.clone()]);
    let kinds = notification_kinds(&app, &alice).await;
    assert_eq!(kinds, vec![("follow_request".to_string(), bob.id.clone())], "carol's withdrawn request is gone");

    lock(&app, &alice, false).await;
    assert_eq!(requests(&app, &alice).await, Vec::<String>::new());
    let (_, rel) = app.get(&format!("/api/v1/accounts/relationships?id[]={}", alice.id), Some(&bob.token)).await;
    assert_eq!((rel[0]["following"].as_bool(), rel[0]["requested"].as_bool()), (Some(true), Some(false)), "{rel}");
    // An open account is followed at once.
    let rel = act(&app, &format!("/api/v1/accounts/{}/follow", alice.id), &carol).await;
    assert_eq!(rel["following"], true);
    assert_eq!(app.account(&alice).await["followers_count"], 2);
}
