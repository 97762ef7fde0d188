//! `Idempotency-Key` over real HTTP: every create answered once per key and caller, replayed
//! to retries (after a restart too), refused on another endpoint or while the first runs, and
//! run again after a failure.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use starling_core::model::Timestamp;
use starling_core::store::{IdempotencyClaim, IdempotencyState};

use crate::helpers::*;

/// Sends `body` as JSON to `path` with `key`; the status, whether it was a replay, and the body.
async fn keyed(app: &TestApp, user: &User, path: &str, key: &str, body: Value) -> (StatusCode, bool, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(&user.token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .expect("sent");
    answer(response).await
}

async fn answer(response: reqwest::Response) -> (StatusCode, bool, Value) {
    let status = response.status();
    let replayed = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    (status, replayed, response.json().await.unwrap_or(Value::Null))
}

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(RgbImage::new(8, 8)).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).expect("png");
    out
}

#[tokio::test]
async fn every_create_is_answered_once_per_key_and_replayed() -> TestResult {
    let app = spawn_app().await;
    let (alice, bob, carol) = (app.sign_up("alice").await, app.sign_up("bob").await, app.sign_up("carol").await);

    // A story.
    let (status, replayed, first) = keyed(&app, &alice, "/api/v1/stories", "story-1", json!({"text": "hi"})).await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{first}");
    let (status, replayed, again) = keyed(&app, &alice, "/api/v1/stories", "story-1", json!({"text": "hi"})).await;
    assert_eq!((status, replayed), (StatusCode::OK, true));
    assert_eq!(again, first, "the same answer");
    let (_, mine) = app.get(&format!("/api/v1/accounts/{}/stories", alice.id), Some(&alice.token)).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "one story: {mine}");

    // A group chat (groups are not unique per set of members, so a second would show).
    let members = json!({"account_ids": [bob.id, carol.id]});
    let (_, _, chat) = keyed(&app, &alice, "/api/v1/chats", "chat-1", members.clone()).await;
    let (status, replayed, again) = keyed(&app, &alice, "/api/v1/chats", "chat-1", members).await;
    assert_eq!((status, replayed, &again["id"]), (StatusCode::OK, true, &chat["id"]));
    let (_, chats) = app.get("/api/v1/chats", Some(&alice.token)).await;
    assert_eq!(chats.as_array().map(Vec::len), Some(1), "one chat: {chats}");

    // An upload: each retry is a new multipart body, with its own boundary.
    let upload = || async {
        let form = Form::new().part("file", Part::bytes(png()).file_name("a.png")).text("description", "dots");
        let response = app
            .client
            .post(app.url("/api/v2/media"))
            .bearer_auth(&alice.token)
            .header("Idempotency-Key", "media-1")
            .multipart(form)
            .send()
            .await
            .expect("sent");
        answer(response).await
    };
    let (status, replayed, media) = upload().await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{media}");
    let (status, replayed, again) = upload().await;
    assert_eq!((status, replayed, &again["id"]), (StatusCode::OK, true, &media["id"]));

    // A status, as Mastodon keeps them.
    let (_, _, post) = keyed(&app, &alice, "/api/v1/statuses", "post-1", json!({"status": "once"})).await;
    let (_, replayed, again) = keyed(&app, &alice, "/api/v1/statuses", "post-1", json!({"status": "once"})).await;
    assert_eq!((replayed, &again["id"]), (true, &post["id"]));
    assert_eq!(app.account(&alice).await["statuses_count"], 1);

    // Keys are each caller's own: bob's "story-1" is another story.
    let (_, replayed, bobs) = keyed(&app, &bob, "/api/v1/stories", "story-1", json!({"text": "mine"})).await;
    assert!(!replayed);
    assert_ne!(bobs["id"], first["id"]);
    Ok(())
}

#[tokio::test]
async fn a_key_is_for_one_endpoint_and_reruns_after_a_failure() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;

    // A failed request keeps nothing: its retry runs.
    let (status, _, error) = keyed(&app, &alice, "/api/v1/stories", "k", json!({"text": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let (status, replayed, story) = keyed(&app, &alice, "/api/v1/stories", "k", json!({"text": "fixed"})).await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{story}");
    assert_eq!(story["text"], "fixed");

    // The same key on another endpoint is a client's mistake, and nothing is written.
    let (status, _, error) = keyed(&app, &alice, "/api/v1/statuses", "k", json!({"status": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"], "This Idempotency-Key was already used for a different request");
    assert_eq!(app.account(&alice).await["statuses_count"], 0);

    // A key must be a printable, bounded string.
    let (status, _, _) = keyed(&app, &alice, "/api/v1/statuses", &"x".repeat(1000), json!({"status": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    Ok(())
}

#[tokio::test]
async fn a_retry_while_the_first_request_runs_is_told_to_wait() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    // The first request holds the key, as one still running on this or another node would.
    let now = Timestamp::now();
    let claim = IdempotencyClaim {
        scope: format!("account:{}", alice.id),
        key: "busy".into(),
        fingerprint: "POST /api/v1/statuses".into(),
        now,
        stale_before: Timestamp(now.0 - 60_000),
        expired_before: Timestamp(now.0 - 86_400_000),
    };
    assert_eq!(app.state.store.claim_idempotency_key(claim).await?, IdempotencyState::Claimed);

    let (status, _, error) = keyed(&app, &alice, "/api/v1/statuses", "busy", json!({"status": "x"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(app.account(&alice).await["statuses_count"], 0);
    Ok(())
}

#[tokio::test]
async fn answers_are_replayed_after_a_restart_and_never_to_a_revoked_token() -> TestResult {
    let mut app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let (_, _, story) = keyed(&app, &alice, "/api/v1/stories", "s", json!({"text": "kept"})).await;

    let dir = app.share_dir();
    app.stop().await;
    let app = spawn_app_in(dir, |_| {}).await;
    let (status, replayed, again) = keyed(&app, &alice, "/api/v1/stories", "s", json!({"text": "kept"})).await;
    assert_eq!((status, replayed, &again["id"]), (StatusCode::OK, true, &story["id"]));

    let token = starling_server::auth::token_id_of(&app.state, &alice.token).ok_or("a token id")?;
    app.state.store.revoke_token(token).await?;
    let (status, _, error) = keyed(&app, &alice, "/api/v1/stories", "s", json!({"text": "kept"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    Ok(())
}
