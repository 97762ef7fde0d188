use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn sign_up_gives_a_token_for_the_new_account() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let (status, me) = app.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["acct"], "alice");
    assert_eq!(me["statuses_count"], 0);
    assert_eq!(me["source"]["privacy"], "public");
    assert_eq!(me["url"], app.url("/@alice"));
    Ok(())
}

#[tokio::test]
async fn a_username_is_taken_whatever_its_case() -> TestResult {
    let app = spawn_app().await;
    app.sign_up("alice").await;
    let client = app.register_app("read write").await;
    let token = app.app_token(&client, "read write").await;
    let (status, body) = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"username": "ALICE", "email": "other@example.org", "password": "long enough", "agreement": true, "locale": "en"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "Validation failed: Username has already been taken");
    assert_eq!(body["details"]["username"][0]["error"], "ERR_TAKEN");
    let (status, body) = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"username": "alice2", "email": "Alice@Example.org", "password": "long enough", "agreement": true, "locale": "en"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "Validation failed: Email has already been taken");
    Ok(())
}

#[tokio::test]
async fn sign_up_refuses_invalid_input_with_422() -> TestResult {
    let app = spawn_app().await;
    let client = app.register_app("read write").await;
    let token = app.app_token(&client, "read write").await;
    let cases = [
        (json!({"username": "bad name", "email": "a@b.org", "password": "long enough", "agreement": true}), "username"),
        (json!({"username": "bob", "email": "not-an-email", "password": "long enough", "agreement": true}), "email"),
        (json!({"username": "bob", "email": "a@b.org", "password": "short", "agreement": true}), "password"),
        (json!({"username": "bob", "email": "a@b.org", "password": "long enough", "agreement": false}), "agreement"),
    ];
    for (body, field) in cases {
        let (status, err) = app.post("/api/v1/accounts", Some(&token), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {err}");
        assert!(err["details"][field].is_array(), "{field}: {err}");
    }
    assert_eq!(app.get("/api/v1/accounts/lookup?acct=bob", None).await.0, StatusCode::NOT_FOUND, "nothing was created");
    Ok(())
}

#[tokio::test]
async fn closed_registrations_refuse_sign_up() -> TestResult {
    let app = spawn_app_with(|s| s.registrations_open = false).await;
    let client = app.register_app("read write").await;
    let token = app.app_token(&client, "read write").await;
    let (status, body) = app
        .post(
            "/api/v1/accounts",
            Some(&token),
            json!({"username": "bob", "email": "a@b.org", "password": "long enough", "agreement": true}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, instance) = app.get("/api/v1/instance", None).await;
    assert_eq!(instance["registrations"], false);
    Ok(())
}

#[tokio::test]
async fn update_credentials_changes_the_profile() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    app.sign_up("bob").await;
    let (status, me) = app
        .call(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            Some(json!({"display_name": "Alice A.", "note": "Friend of @bob <3 #rust"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["display_name"], "Alice A.");
    assert_eq!(me["source"]["note"], "Friend of @bob <3 #rust");
    let note = me["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("&lt;3") && note.contains("class=\"u-url mention\"") && note.contains("/tags/rust"),
        "{note}"
    );
    let (_, public) = app.get(&format!("/api/v1/accounts/{}", alice.id), None).await;
    assert_eq!(public["display_name"], "Alice A.");
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            Some(json!({"display_name": "x".repeat(31)})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    Ok(())
}

#[tokio::test]
async fn lookup_finds_local_accounts_by_acct() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let (status, found) = app.get("/api/v1/accounts/lookup?acct=Alice", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["id"], alice.id.as_str());
    let domain = app.base.trim_start_matches("http://").to_string();
    let (status, _) = app.get(&format!("/api/v1/accounts/lookup?acct=alice@{domain}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/accounts/lookup?acct=alice@elsewhere.example", None).await.0, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn follow_and_unfollow_keep_counters_and_relationships_exact() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&alice, &bob).await;
    app.follow(&alice, &bob).await; // again: no double count
    assert_eq!(app.account(&alice).await["following_count"], 1);
    assert_eq!(app.account(&bob).await["followers_count"], 1);

    let (status, rels) =
        app.get(&format!("/api/v1/accounts/relationships?id[]={}&id[]={}", bob.id, alice.id), Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rels[0]["id"], bob.id.as_str());
    assert_eq!(rels[0]["following"], true);
    assert_eq!(rels[0]["followed_by"], false);
    let (_, rels) = app.get(&format!("/api/v1/accounts/relationships?id[]={}", alice.id), Some(&bob.token)).await;
    assert_eq!(rels[0]["followed_by"], true);

    let (status, rel) = app.post(&format!("/api/v1/accounts/{}/unfollow", bob.id), Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rel["following"], false);
    app.post(&format!("/api/v1/accounts/{}/unfollow", bob.id), Some(&alice.token), json!({})).await;
    assert_eq!(app.account(&alice).await["following_count"], 0);
    assert_eq!(app.account(&bob).await["followers_count"], 0);
    Ok(())
}

#[tokio::test]
async fn one_cannot_follow_oneself_or_nobody() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let (status, _) = app.post(&format!("/api/v1/accounts/{}/follow", alice.id), Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post("/api/v1/accounts/12345/follow", Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn followers_page_with_link_headers() -> TestResult {
    let app = spawn_app().await;
    let star = app.sign_up("star").await;
    let mut fans = Vec::new();
    for i in 0..5 {
        let fan = app.sign_up(&format!("fan{i}")).await;
        app.follow(&fan, &star).await;
        fans.push(fan);
    }
    let resp = app.request(Method::GET, &format!("/api/v1/accounts/{}/followers?limit=2", star.id), None, None).await;
    let link = resp.headers().get("link").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let first: serde_json::Value = resp.json().await?;
    assert_eq!(ids(&first), vec![fans[4].id.clone(), fans[3].id.clone()], "newest follow first");
    assert!(link.contains("rel=\"next\"") && link.contains("rel=\"prev\""), "{link}");
    let next = link.split(',').find(|l| l.contains("rel=\"next\"")).unwrap_or_default();
    let next_url = next.trim().trim_start_matches('<').split('>').next().unwrap_or_default();
    let second: serde_json::Value = app.client.get(next_url).send().await?.json().await?;
    assert_eq!(ids(&second), vec![fans[2].id.clone(), fans[1].id.clone()]);
    let (_, following) = app.get(&format!("/api/v1/accounts/{}/following", fans[0].id), None).await;
    assert_eq!(ids(&following), vec![star.id.clone()]);
    Ok(())
}

#[tokio::test]
async fn a_password_change_signs_out_every_other_session_and_its_streams() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let client = app.register_app("read write").await;
    let phone = app.password_token(&client, "alice", "read write").await;
    let mut phone_stream = app.stream(&format!("stream=user&access_token={phone}")).await;

    // The old password must be the account's, the new one acceptable.
    let change = |old: &str, new: &str| {
        app.post("/api/v1/user/password_change", Some(&alice.token), json!({"old_password": old, "new_password": new}))
    };
    let (status, error) = change("wrong-password", "a new secret phrase").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["details"]["old_password"][0]["error"], "ERR_INVALID");
    let (status, error) = change("password-alice", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["details"]["new_password"][0]["error"], "ERR_TOO_SHORT");
    assert_eq!(app.get("/api/v1/accounts/verify_credentials", Some(&phone)).await.0, StatusCode::OK);

    let (status, changed) = change("password-alice", "a new secret phrase").await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["revoked_tokens"], 1);
    // The other session is out at once, on HTTP and on its open stream.
    let (status, body) = app.get("/api/v1/accounts/verify_credentials", Some(&phone)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("The access token was revoked")));
    let closed = phone_stream.close_reason().await?;
    assert_eq!(closed.as_deref(), Some("the access token was revoked"));
    // The session that changed it goes on; only the new password signs in.
    assert_eq!(app.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.0, StatusCode::OK);
    let sign_in = |password: &str| {
        app.post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "username": "alice", "password": password,
                   "client_id": client.client_id, "client_secret": client.client_secret}),
        )
    };
    assert_eq!(sign_in("password-alice").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(sign_in("a new secret phrase").await.0, StatusCode::OK);
    // The audit trail has it.
    let (_, audit) = app.get("/api/v1/audit", Some(&alice.token)).await;
    let kinds: Vec<&str> = audit.as_array().into_iter().flatten().filter_map(|e| e["type"].as_str()).collect();
    assert!(kinds.contains(&"account.password_changed"), "{kinds:?}");
    Ok(())
}

#[tokio::test]
async fn a_suspended_account_is_cut_off_live_and_refused_until_lifted() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let mallory = app.sign_up("mallory").await;
    let mut socket = app.stream(&format!("stream=user&access_token={}", mallory.token)).await;
    let mallory_id = mallory.id.parse::<i64>().map(starling_core::Id)?;

    app.state.store.suspend_account(mallory_id, None).await?;
    // Her open stream is closed at once, saying why.
    let closed = socket.close_reason().await?;
    assert_eq!(closed.as_deref(), Some("the access token was revoked"));
    let (status, _) = app.get("/api/v1/accounts/verify_credentials", Some(&mallory.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Her password signs nobody in, as a wrong one would not.
    let client = app.register_app("read write").await;
    let sign_in = || {
        app.post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "username": "mallory", "password": "password-mallory",
                   "client_id": client.client_id, "client_secret": client.client_secret}),
        )
    };
    let (status, refused) = sign_in().await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // Others are untouched.
    assert_eq!(app.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.0, StatusCode::OK);

    app.state.store.unsuspend_account(mallory_id, None).await?;
    let (status, token) = sign_in().await;
    assert_eq!(status, StatusCode::OK, "{token}");
    Ok(())
}

#[tokio::test]
async fn a_report_names_an_account_and_statuses_the_reporter_may_see() -> TestResult {
    let app = spawn_app().await;
    let (alice, mallory) = (app.sign_up("alice").await, app.sign_up("mallory").await);
    let spam = app.say(&mallory, "buy followers now").await;
    let hidden = app.post_status(&mallory, json!({"status": "followers only", "visibility": "private"})).await;
    let alices = app.say(&alice, "mine").await;
    let report = |body: serde_json::Value| app.post("/api/v1/reports", Some(&alice.token), body);

    let (status, made) =
        report(json!({"account_id": mallory.id, "status_ids": [spam], "comment": "spam", "category": "spam"})).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    assert_eq!(made["target_account"]["id"], mallory.id.as_str());
    assert_eq!((made["status_ids"].clone(), made["category"].clone()), (json!([spam]), json!("spam")));
    assert_eq!((made["action_taken"].clone(), made["comment"].clone()), (json!(false), json!("spam")));

    // What the reporter cannot see is missing; someone else's status, oneself, a bad category
    // or a long comment are refused.
    let (status, _) = report(json!({"account_id": mallory.id, "status_ids": [hidden["id"]]})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for bad in [
        json!({"account_id": mallory.id, "status_ids": [alices]}),
        json!({"account_id": alice.id}),
        json!({"account_id": mallory.id, "category": "boring"}),
        json!({"account_id": mallory.id, "comment": "x".repeat(1001)}),
        json!({}),
    ] {
        assert_eq!(report(bad.clone()).await.0, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let (status, _) = report(json!({"account_id": "999999999999"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The operators have it, once.
    let open = app.state.store.reports(false, starling_core::page::PageRequest::first(10)).await?;
    assert_eq!(open.items.len(), 1);
    assert_eq!(open.items[0].account.username, "alice");
    Ok(())
}
