//! The moderation API over real HTTP: only moderators with an `admin:` scope; reports listed,
//! shown and resolved; an account suspended (its stream closed) and unsuspended; every action
//! in the moderator's audit trail.

use reqwest::{Method, StatusCode};
use serde_json::json;
use starling_core::Id;
use starling_core::model::Role;

use crate::helpers::*;

fn id_of(user: &User) -> Id {
    Id(user.id.parse().unwrap_or_default())
}

#[tokio::test]
async fn moderators_handle_reports_and_suspend_accounts() -> TestResult {
    let app = spawn_app().await;
    let (alice, mallory, moda) = (app.sign_up("alice").await, app.sign_up("mallory").await, app.sign_up("moda").await);
    let spam = app.say(&mallory, "buy followers").await;
    let (_, made) =
        app.post("/api/v1/reports", Some(&alice.token), json!({"account_id": mallory.id, "status_ids": [spam]})).await;
    let report = made["id"].as_str().unwrap_or_default().to_string();

    // Nobody but staff, and staff only with an admin scope.
    for user in [&alice, &moda] {
        let (status, _) = app.get("/api/v1/admin/reports", Some(&user.token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    app.state.store.set_role(id_of(&moda), Role::Moderator, None).await?;
    let (status, _) = app.get("/api/v1/admin/reports", Some(&moda.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "read and write grant no admin scope");
    let client = app.register_app("read write admin:read admin:write").await;
    let token = app.password_token(&client, "moda", "read write admin:read admin:write").await;
    let moda = User { id: moda.id.clone(), token };

    let (status, list) = app.get("/api/v1/admin/reports", Some(&moda.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(ids(&list), vec![report.clone()]);
    assert_eq!(list[0]["account"]["username"], "alice");
    assert_eq!(list[0]["target_account"]["email"], "mallory@example.org");
    assert_eq!(list[0]["statuses"][0]["id"], spam.as_str());
    assert_eq!(app.get(&format!("/api/v1/admin/reports/{report}"), Some(&moda.token)).await.1["id"], report.as_str());

    // Suspending through the report: the account is cut off live, the report handled.
    let mut stream = app.stream(&format!("stream=user&access_token={}", mallory.token)).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/accounts/{}/action", mallory.id),
            Some(&moda.token),
            json!({"type": "suspend", "report_id": report}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(stream.close_reason().await.is_ok(), "the suspended account's stream was closed");
    assert_eq!(app.get("/api/v1/accounts/verify_credentials", Some(&mallory.token)).await.0, StatusCode::UNAUTHORIZED);
    let (_, shown) = app.get(&format!("/api/v1/admin/accounts/{}", mallory.id), Some(&moda.token)).await;
    assert_eq!(shown["suspended"], true);
    assert_eq!(app.get("/api/v1/admin/reports", Some(&moda.token)).await.1, json!([]), "no open report left");
    let (_, handled) = app.get("/api/v1/admin/reports?resolved=true", Some(&moda.token)).await;
    assert_eq!(handled[0]["action_taken"], true);

    // Not on oneself, not on staff of one's rank; an unsupported action is said so.
    let (status, _) = app
        .post(&format!("/api/v1/admin/accounts/{}/action", moda.id), Some(&moda.token), json!({"type": "suspend"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(&format!("/api/v1/admin/accounts/{}/action", alice.id), Some(&moda.token), json!({"type": "sensitive"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, suspended) = app.get("/api/v1/admin/accounts?suspended=true", Some(&moda.token)).await;
    assert_eq!(
        suspended.as_array().map(|a| a.iter().map(|x| x["username"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("mallory")])
    );
    let (_, staff) = app.get("/api/v1/admin/accounts?staff=true", Some(&moda.token)).await;
    assert_eq!(staff[0]["role"]["name"], "moderator");
    let (_, everyone) = app.get("/api/v1/admin/accounts?limit=2", Some(&moda.token)).await;
    assert_eq!(everyone.as_array().map(Vec::len), Some(2), "paged, newest first: {everyone}");
    assert_eq!(everyone[0]["username"], "moda");
    let (status, lifted) =
        app.post(&format!("/api/v1/admin/accounts/{}/unsuspend", mallory.id), Some(&moda.token), json!({})).await;
    assert_eq!((status, &lifted["suspended"]), (StatusCode::OK, &json!(false)));
    // The moderator's audit trail has every action.
    let (_, trail) = app.call(Method::GET, "/api/v1/audit", Some(&moda.token), None).await;
    let kinds: Vec<&str> = trail.as_array().into_iter().flatten().filter_map(|e| e["type"].as_str()).collect();
    for kind in ["account.suspended", "report.resolved", "account.unsuspended"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    Ok(())
}

/// A moderator of the app with the admin scopes.
async fn moderator(app: &TestApp, name: &str) -> User {
    let user = app.sign_up(name).await;
    app.state.store.set_role(id_of(&user), Role::Moderator, None).await.expect("role");
    let client = app.register_app("read write admin:read admin:write").await;
    let token = app.password_token(&client, name, "read write admin:read admin:write").await;
    User { id: user.id, token }
}

async fn act(app: &TestApp, moda: &User, target: &User, action: &str) {
    let path = match action {
        "unsilence" | "enable" | "unsuspend" => format!("/api/v1/admin/accounts/{}/{action}", target.id),
        _ => format!("/api/v1/admin/accounts/{}/action", target.id),
    };
    let (status, body) = app.post(&path, Some(&moda.token), json!({ "type": action })).await;
    assert_eq!(status, StatusCode::OK, "{action}: {body}");
}

#[tokio::test]
async fn silenced_disabled_and_suspended_accounts_are_limited_as_moderators_say() {
    let app = spawn_app().await;
    let moda = moderator(&app, "moda").await;
    let (alice, bob, carol) = (app.sign_up("alice").await, app.sign_up("bob").await, app.sign_up("carol").await);
    app.follow(&bob, &alice).await;
    let post = app.say(&alice, "breaking #news").await;
    let carols = app.say(&carol, "a quiet day").await;
    let (status, _) = app.post(&format!("/api/v1/statuses/{carols}/favourite"), Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let public_ids = |user: Option<&User>, path: &'static str| {
        let app = &app;
        let token = user.map(|u| u.token.clone());
        async move { ids(&app.get(path, token.as_deref()).await.1) }
    };

    // Silenced: out of the public and hashtag timelines of those who do not follow alice.
    act(&app, &moda, &alice, "silence").await;
    for path in ["/api/v1/timelines/public", "/api/v1/timelines/tag/news"] {
        assert!(!public_ids(Some(&carol), path).await.contains(&post), "{path} as carol");
        assert!(!public_ids(None, path).await.contains(&post), "{path} signed out");
        assert!(public_ids(Some(&bob), path).await.contains(&post), "{path} as her follower bob");
    }
    let (_, profile) = app.get(&format!("/api/v1/accounts/{}/statuses", alice.id), Some(&carol.token)).await;
    assert_eq!(ids(&profile), vec![post.clone()], "her profile still shows it");
    assert_eq!(app.get(&format!("/api/v1/admin/accounts/{}", alice.id), Some(&moda.token)).await.1["silenced"], true);
    assert_eq!(
        app.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.0,
        StatusCode::OK,
        "she still signs in"
    );
    act(&app, &moda, &alice, "unsilence").await;
    assert!(public_ids(Some(&carol), "/api/v1/timelines/public").await.contains(&post));

    // Disabled: signed out and refused sign-in; what she wrote stays.
    act(&app, &moda, &alice, "disable").await;
    assert_eq!(app.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.0, StatusCode::UNAUTHORIZED);
    let client = app.register_app("read").await;
    let (status, _) = app
        .post(
            "/oauth/token",
            None,
            json!({ "grant_type": "password", "username": "alice", "password": "password-alice",
                    "client_id": client.client_id, "client_secret": client.client_secret, "scope": "read" }),
        )
        .await;
    assert!(status.is_client_error(), "a disabled account signs nobody in: {status}");
    assert_eq!(app.get(&format!("/api/v1/statuses/{post}"), Some(&carol.token)).await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/v1/admin/accounts/{}", alice.id), Some(&moda.token)).await.1["disabled"], true);
    act(&app, &moda, &alice, "enable").await;
    let alice_again = User { id: alice.id.clone(), token: app.password_token(&client, "alice", "read").await };
    assert_eq!(app.get("/api/v1/accounts/verify_credentials", Some(&alice_again.token)).await.0, StatusCode::OK);

    // Suspended: her content is hidden from everyone, her notifications too.
    let (_, notes) = app.get("/api/v1/notifications", Some(&carol.token)).await;
    assert_eq!(notes[0]["account"]["id"], alice.id.as_str(), "{notes}");
    act(&app, &moda, &alice, "suspend").await;
    for user in [Some(&carol), Some(&bob), None] {
        let token = user.map(|u| u.token.as_str());
        assert_eq!(app.get(&format!("/api/v1/statuses/{post}"), token).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/api/v1/accounts/{}/statuses", alice.id), token).await.1, json!([]));
        assert!(!public_ids(user, "/api/v1/timelines/public").await.contains(&post));
    }
    assert!(!home(&app, &bob, "").await.contains(&post), "nor at her followers' homes");
    assert_eq!(app.get("/api/v1/notifications", Some(&carol.token)).await.1, json!([]));
    assert_eq!(app.get("/api/v1/notifications/unread_count", Some(&carol.token)).await.1["count"], 0);
    let (_, found) = app.get("/api/v2/search?q=alice&type=accounts", Some(&carol.token)).await;
    assert_eq!(found["accounts"], json!([]));
    // Lifted, it is all back.
    act(&app, &moda, &alice, "unsuspend").await;
    assert_eq!(app.get(&format!("/api/v1/statuses/{post}"), Some(&carol.token)).await.0, StatusCode::OK);
    assert!(home(&app, &bob, "").await.contains(&post));
    let (_, trail) = app.call(Method::GET, "/api/v1/audit", Some(&moda.token), None).await;
    let kinds: Vec<&str> = trail.as_array().into_iter().flatten().filter_map(|e| e["type"].as_str()).collect();
    for kind in ["account.silenced", "account.unsilenced", "account.disabled", "account.enabled"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
}

#[tokio::test]
async fn a_deleted_account_takes_what_it_made_with_it_and_keeps_its_name() {
    let app = spawn_app().await;
    let moda = moderator(&app, "moda").await;
    let (alice, bob) = (app.sign_up("alice").await, app.sign_up("bob").await);
    app.follow(&bob, &alice).await;
    app.follow(&alice, &bob).await;
    let bobs = app.say(&bob, "hello alice").await;
    let (status, _) = app.post(&format!("/api/v1/statuses/{bobs}/favourite"), Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let hers = app.say(&alice, "my post").await;
    let reply = app.post_status(&alice, json!({ "status": "a reply", "in_reply_to_id": bobs })).await;
    let (status, _) = app.post("/api/v1/stories", Some(&alice.token), json!({ "text": "today" })).await;
    assert_eq!(status, StatusCode::OK);

    for user in [&alice, &moda] {
        let (status, _) =
            app.call(Method::DELETE, &format!("/api/v1/admin/accounts/{}", user.id), Some(&bob.token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only moderators delete accounts");
    }
    let (status, shown) =
        app.call(Method::DELETE, &format!("/api/v1/admin/accounts/{}", alice.id), Some(&moda.token), None).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(
        (shown["suspended"].as_bool(), shown["email"].as_str()),
        (Some(true), Some(format!("deleted-{}@invalid", alice.id).as_str()))
    );

    // Her statuses are gone from the store itself, and every count she moved is back.
    for id in [&hers, reply["id"].as_str().unwrap_or_default()] {
        let gone = app.state.store.status(Id(id.parse().unwrap_or_default())).await;
        assert!(matches!(gone, Err(starling_core::StoreError::NotFound)), "{id}");
    }
    let (_, bobs_post) = app.get(&format!("/api/v1/statuses/{bobs}"), Some(&bob.token)).await;
    assert_eq!(
        (bobs_post["favourites_count"].as_i64(), bobs_post["replies_count"].as_i64()),
        (Some(0), Some(0)),
        "{bobs_post}"
    );
    let bob_now = app.account(&bob).await;
    assert_eq!((bob_now["followers_count"].as_i64(), bob_now["following_count"].as_i64()), (Some(0), Some(0)));
    let (_, stories) = app.get("/api/v1/stories", Some(&bob.token)).await;
    assert_eq!(stories, json!([]));
    // Nobody can take her name, and nothing lifts the deletion.
    let (status, _) =
        app.post(&format!("/api/v1/admin/accounts/{}/unsuspend", alice.id), Some(&moda.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(app.state.store.account(id_of(&alice)).await.is_ok_and(|a| a.suspended), "it stays suspended");
    let app_token = {
        let client = app.register_app("read write").await;
        app.app_token(&client, "read write").await
    };
    let (status, _) = app
        .post(
            "/api/v1/accounts",
            Some(&app_token),
            json!({"username": "alice", "email": "new@example.org", "password": "another-password", "agreement": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "her username stays taken");
    let (_, trail) = app.call(Method::GET, "/api/v1/audit", Some(&moda.token), None).await;
    let kinds: Vec<&str> = trail.as_array().into_iter().flatten().filter_map(|e| e["type"].as_str()).collect();
    assert!(kinds.contains(&"account.deleted"), "{kinds:?}");
}
