//! The authorisation matrix: for every endpoint that takes an object's id, a user who may not
//! see (or change) that object gets the very answer a missing id gets, so that the answer
//! tells nothing about whether it exists; and afterwards the owner finds everything as it was.
//!
//! Objects: statuses of each visibility, a notification, a chat, a story and its viewers, an
//! upload, and an account's audit trail. Callers: a stranger, a follower (who may see the
//! followers-only status and the story but change nothing), and a user mentioned in a private
//! mention (who may see it but change nothing).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// An id no object has.
const MISSING: &str = "999999999999";

struct World {
    alice: User,
    bob: User,
    carol: User,
    mallory: User,
    public: String,
    unlisted: String,
    private: String,
    direct: String,
    notification: String,
    chat: String,
    message: String,
    story: String,
    media: String,
}

async fn ok(app: &TestApp, method: Method, path: &str, user: &User, body: Value) -> Value {
    let (status, answer) = app.call(method, path, Some(&user.token), Some(body)).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

async fn upload(app: &TestApp, user: &User) -> String {
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(RgbImage::new(4, 4)).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).expect("png");
    let form = Form::new().part("file", Part::bytes(png).file_name("dots.png")).text("description", "alice's dots");
    let response =
        app.client.post(app.url("/api/v2/media")).bearer_auth(&user.token).multipart(form).send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    id(&response.json::<Value>().await.expect("json"))
}

/// Alice's objects, and the people around her: bob follows her, carol is mentioned and chats
/// with her, mallory is a stranger.
async fn world(app: &TestApp) -> World {
    let (alice, bob, carol, mallory) = (
        app.sign_up("alice").await,
        app.sign_up("bob").await,
        app.sign_up("carol").await,
        app.sign_up("mallory").await,
    );
    app.follow(&bob, &alice).await;
    let mut ids = Vec::new();
    for (text, visibility) in
        [("public", "public"), ("unlisted", "unlisted"), ("followers", "private"), ("@carol secret", "direct")]
    {
        let status =
            ok(app, Method::POST, "/api/v1/statuses", &alice, json!({"status": text, "visibility": visibility})).await;
        ids.push(id(&status));
    }
    let [public, unlisted, private, direct] = <[String; 4]>::try_from(ids).expect("four statuses");
    ok(app, Method::POST, &format!("/api/v1/statuses/{public}/favourite"), &bob, json!({})).await;
    app.settle().await;
    let (_, notifications) = app.get("/api/v1/notifications?types[]=favourite", Some(&alice.token)).await;
    let notification = id(&notifications[0]);
    assert!(!notification.is_empty(), "{notifications}");
    let chat = id(&ok(app, Method::POST, "/api/v1/chats", &alice, json!({"account_ids": [carol.id]})).await);
    let message =
        id(&ok(app, Method::POST, &format!("/api/v1/chats/{chat}/messages"), &alice, json!({"content": "hi"})).await);
    // Locked: her story is for her followers.
    ok(app, Method::PATCH, "/api/v1/accounts/update_credentials", &alice, json!({"locked": true})).await;
    let story = id(&ok(app, Method::POST, "/api/v1/stories", &alice, json!({"text": "today"})).await);
    ok(app, Method::POST, &format!("/api/v1/stories/{story}/view"), &bob, json!({})).await;
    let media = upload(app, &alice).await;
    World { alice, bob, carol, mallory, public, unlisted, private, direct, notification, chat, message, story, media }
}

/// `method path` with `{id}` as `id`, sent by `user`, must be answered exactly as with an id
/// that does not exist: the same refusal, the same body.
async fn as_if_missing(app: &TestApp, user: &User, method: Method, path: &str, id: &str, body: Value) {
    let real = app.call(method.clone(), &path.replace("{id}", id), Some(&user.token), Some(body.clone())).await;
    let missing = app.call(method.clone(), &path.replace("{id}", MISSING), Some(&user.token), Some(body)).await;
    assert!(real.0.is_client_error(), "{method} {path} ({id}) let {user:?} in: {} {}", real.0, real.1);
    assert_eq!(
        anonymous(real, id),
        anonymous(missing, MISSING),
        "{method} {path} ({id}) answers differently than for a missing id"
    );
}

/// An answer with the id the client sent taken out: echoing the request back tells nothing.
fn anonymous((status, body): (StatusCode, Value), id: &str) -> (StatusCode, String) {
    (status, body.to_string().replace(id, "{id}"))
}

/// Every way to read or change a status someone may not see, or to touch it through another.
async fn status_hidden_from(app: &TestApp, user: &User, status: &str) {
    for (method, path) in [
        (Method::GET, "/api/v1/statuses/{id}"),
        (Method::GET, "/api/v1/statuses/{id}/context"),
        (Method::GET, "/api/v1/statuses/{id}/history"),
        (Method::GET, "/api/v1/statuses/{id}/favourited_by"),
        (Method::GET, "/api/v1/statuses/{id}/reblogged_by"),
        (Method::POST, "/api/v1/statuses/{id}/favourite"),
        (Method::POST, "/api/v1/statuses/{id}/unfavourite"),
        (Method::POST, "/api/v1/statuses/{id}/reblog"),
        (Method::POST, "/api/v1/statuses/{id}/unreblog"),
        (Method::POST, "/api/v1/statuses/{id}/bookmark"),
        (Method::POST, "/api/v1/statuses/{id}/unbookmark"),
    ] {
        as_if_missing(app, user, method, path, status, json!({})).await;
    }
    for body in [json!({"status": "re", "in_reply_to_id": "{id}"}), json!({"status": "qt", "quoted_status_id": "{id}"})]
    {
        let with = |id: &str| serde_json::from_str::<Value>(&body.to_string().replace("{id}", id)).expect("json");
        let real = app.post("/api/v1/statuses", Some(&user.token), with(status)).await;
        let missing = app.post("/api/v1/statuses", Some(&user.token), with(MISSING)).await;
        assert!(real.0.is_client_error(), "{user:?} referred to {status}: {real:?}");
        assert_eq!(
            anonymous(real, status),
            anonymous(missing, MISSING),
            "a reference to {status} answers differently than to a missing id"
        );
    }
    status_unchangeable_by(app, user, status).await;
}

/// A status only its author may edit, delete or read the source of.
async fn status_unchangeable_by(app: &TestApp, user: &User, status: &str) {
    as_if_missing(app, user, Method::PUT, "/api/v1/statuses/{id}", status, json!({"status": "defaced"})).await;
    as_if_missing(app, user, Method::DELETE, "/api/v1/statuses/{id}", status, json!({})).await;
    as_if_missing(app, user, Method::GET, "/api/v1/statuses/{id}/source", status, json!({})).await;
    as_if_missing(app, user, Method::POST, "/api/v1/statuses/{id}/pin", status, json!({})).await;
    as_if_missing(app, user, Method::POST, "/api/v1/statuses/{id}/unpin", status, json!({})).await;
}

async fn notification_hidden_from(app: &TestApp, user: &User, notification: &str) {
    as_if_missing(app, user, Method::GET, "/api/v1/notifications/{id}", notification, json!({})).await;
    as_if_missing(app, user, Method::POST, "/api/v1/notifications/{id}/dismiss", notification, json!({})).await;
}

async fn chat_hidden_from(app: &TestApp, user: &User, w: &World) {
    for (method, path, body) in [
        (Method::GET, "/api/v1/chats/{id}", json!({})),
        (Method::GET, "/api/v1/chats/{id}/messages", json!({})),
        (Method::POST, "/api/v1/chats/{id}/messages", json!({"content": "let me in"})),
        (Method::POST, "/api/v1/chats/{id}/read", json!({"last_read_id": w.message})),
        (Method::POST, "/api/v1/chats/{id}/typing", json!({})),
        (Method::POST, "/api/v1/chats/{id}/leave", json!({})),
    ] {
        as_if_missing(app, user, method, path, &w.chat, body).await;
    }
}

async fn upload_hidden_from(app: &TestApp, user: &User, media: &str) {
    as_if_missing(app, user, Method::GET, "/api/v1/media/{id}", media, json!({})).await;
    as_if_missing(app, user, Method::PUT, "/api/v1/media/{id}", media, json!({"description": "mine now"})).await;
    let attach = |id: &str| json!({"status": "look", "media_ids": [id]});
    let real = app.post("/api/v1/statuses", Some(&user.token), attach(media)).await;
    let missing = app.post("/api/v1/statuses", Some(&user.token), attach(MISSING)).await;
    assert!(real.0.is_client_error(), "{user:?} attached alice's upload: {real:?}");
    assert_eq!(anonymous(real, media), anonymous(missing, MISSING));
}

#[tokio::test]
async fn nobody_reaches_what_is_not_theirs_and_learns_nothing() -> TestResult {
    let app = spawn_app().await;
    let w = world(&app).await;

    // A stranger: none of the hidden statuses, and no changing the visible ones.
    for status in [&w.private, &w.direct] {
        status_hidden_from(&app, &w.mallory, status).await;
    }
    for status in [&w.public, &w.unlisted] {
        status_unchangeable_by(&app, &w.mallory, status).await;
    }
    notification_hidden_from(&app, &w.mallory, &w.notification).await;
    chat_hidden_from(&app, &w.mallory, &w).await;
    upload_hidden_from(&app, &w.mallory, &w.media).await;
    for (method, path, body) in [
        (Method::GET, "/api/v1/stories/{id}", json!({})),
        (Method::POST, "/api/v1/stories/{id}/view", json!({})),
        (Method::GET, "/api/v1/stories/{id}/viewers", json!({})),
        (Method::POST, "/api/v1/stories/{id}/reactions", json!({"emoji": "🔥"})),
        (Method::DELETE, "/api/v1/stories/{id}/reactions/🔥", json!({})),
        (Method::DELETE, "/api/v1/stories/{id}", json!({})),
    ] {
        as_if_missing(&app, &w.mallory, method, path, &w.story, body).await;
    }
    // A locked account's stories are for its followers.
    as_if_missing(&app, &w.mallory, Method::GET, "/api/v1/accounts/{id}/stories", &w.alice.id, json!({})).await;
    let audit = app.get(&format!("/api/v1/audit?account_id={}", w.alice.id), Some(&w.mallory.token)).await;
    assert_eq!(audit.0, StatusCode::FORBIDDEN);
    assert_eq!(audit, app.get(&format!("/api/v1/audit?account_id={MISSING}"), Some(&w.mallory.token)).await);

    // A follower sees the followers-only status and the story, and changes neither.
    status_hidden_from(&app, &w.bob, &w.direct).await;
    for status in [&w.public, &w.private] {
        status_unchangeable_by(&app, &w.bob, status).await;
    }
    for (method, path) in [(Method::GET, "/api/v1/stories/{id}/viewers"), (Method::DELETE, "/api/v1/stories/{id}")] {
        let (status, _) = app.call(method, &path.replace("{id}", &w.story), Some(&w.bob.token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: only the author");
    }
    notification_hidden_from(&app, &w.bob, &w.notification).await;
    chat_hidden_from(&app, &w.bob, &w).await;
    upload_hidden_from(&app, &w.bob, &w.media).await;

    // The one mentioned in a private mention reads it, and changes nothing.
    let (status, _) = app.get(&format!("/api/v1/statuses/{}", w.direct), Some(&w.carol.token)).await;
    assert_eq!(status, StatusCode::OK);
    status_unchangeable_by(&app, &w.carol, &w.direct).await;
    status_hidden_from(&app, &w.carol, &w.private).await;

    // Alice finds everything as she left it.
    let alice = Some(w.alice.token.as_str());
    for (status, text) in [(&w.public, "public"), (&w.unlisted, "unlisted"), (&w.private, "followers")] {
        let (code, found) = app.get(&format!("/api/v1/statuses/{status}"), alice).await;
        assert_eq!((code, found["content"].as_str()), (StatusCode::OK, Some(format!("<p>{text}</p>").as_str())));
        assert_eq!(found["reblogs_count"], 0);
    }
    let (_, public) = app.get(&format!("/api/v1/statuses/{}", w.public), alice).await;
    assert_eq!(public["favourites_count"], 1, "bob's like only");
    assert_eq!(app.get(&format!("/api/v1/statuses/{}", w.direct), alice).await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/v1/notifications/{}", w.notification), alice).await.0, StatusCode::OK);
    let (_, messages) = app.get(&format!("/api/v1/chats/{}/messages", w.chat), alice).await;
    assert_eq!(ids(&messages), vec![w.message.clone()]);
    let (_, chat) = app.get(&format!("/api/v1/chats/{}", w.chat), alice).await;
    assert_eq!(chat["accounts"].as_array().map(Vec::len), Some(1), "carol is still in it: {chat}");
    let (_, viewers) = app.get(&format!("/api/v1/stories/{}/viewers", w.story), alice).await;
    assert_eq!(viewers.as_array().map(Vec::len), Some(1), "bob only: {viewers}");
    assert_eq!(viewers[0]["reactions"], json!([]));
    let (_, media) = app.get(&format!("/api/v1/media/{}", w.media), alice).await;
    assert_eq!(media["description"], "alice's dots");
    assert_eq!(app.account(&w.alice).await["statuses_count"], 3, "private mentions are not counted");
    Ok(())
}
