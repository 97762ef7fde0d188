//! Chats over real HTTP and WebSocket: participants only, live messages to every connection of
//! every participant, typing and presence that are never stored, catching up after a reconnect.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn user_stream(user: &User) -> String {
    format!("stream=user&access_token={}", user.token)
}

const CHAT_EVENTS: [&str; 5] = ["chat.created", "chat.message", "chat.read", "chat.left", "chat.typing"];

async fn chat(app: &TestApp, creator: &User, others: &[&User]) -> String {
    let ids: Vec<&str> = others.iter().map(|u| u.id.as_str()).collect();
    let (status, chat) = app.post("/api/v1/chats", Some(&creator.token), json!({ "account_ids": ids })).await;
    assert_eq!(status, StatusCode::OK, "{chat}");
    chat["id"].as_str().unwrap_or_default().to_string()
}

async fn send(app: &TestApp, user: &User, chat: &str, content: &str) -> Value {
    let (status, message) =
        app.post(&format!("/api/v1/chats/{chat}/messages"), Some(&user.token), json!({ "content": content })).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    message
}

#[tokio::test]
async fn a_message_in_a_group_reaches_the_others_and_the_senders_other_tab_live() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    let eve = app.sign_up("eve").await;
    let mut alice_tab1 = app.stream(&user_stream(&alice)).await;
    let mut alice_tab2 = app.stream(&user_stream(&alice)).await;
    let mut bob_stream = app.stream(&user_stream(&bob)).await;
    let mut carol_stream = app.stream(&user_stream(&carol)).await;
    let mut eve_stream = app.stream(&user_stream(&eve)).await;

    let id = chat(&app, &alice, &[&bob, &carol]).await;
    let created = bob_stream.next_of(&CHAT_EVENTS).await;
    assert_eq!(created.event, "chat.created");
    assert_eq!(created.json()["id"], id.as_str());
    assert_eq!(created.json()["group"], true);
    let mut others: Vec<String> = created.json()["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["id"].as_str().map(String::from))
        .collect();
    others.sort();
    let mut expected = vec![alice.id.clone(), carol.id.clone()];
    expected.sort();
    assert_eq!(others, expected, "bob sees the others");
    assert_eq!(carol_stream.next_of(&CHAT_EVENTS).await.event, "chat.created");
    assert_eq!(alice_tab1.next_of(&CHAT_EVENTS).await.event, "chat.created");
    assert_eq!(alice_tab2.next_of(&CHAT_EVENTS).await.event, "chat.created");

    let sent = send(&app, &alice, &id, "hello @bob, see https://example.org").await;
    assert_eq!(sent["chat_id"], id.as_str());
    assert_eq!(sent["account"]["id"], alice.id.as_str());
    assert_eq!(sent["text"], "hello @bob, see https://example.org");
    assert!(sent["content"].as_str().unwrap_or_default().contains("href=\"https://example.org\""), "{sent}");
    for stream in [&mut bob_stream, &mut carol_stream, &mut alice_tab1, &mut alice_tab2] {
        let msg = stream.next_of(&CHAT_EVENTS).await;
        assert_eq!(msg.event, "chat.message");
        assert_eq!(msg.json()["id"], sent["id"]);
        assert!(msg.event_id > 0, "stored, so resumable");
    }
    let reply = send(&app, &carol, &id, "hi all").await;
    for stream in [&mut bob_stream, &mut alice_tab1, &mut alice_tab2, &mut carol_stream] {
        assert_eq!(stream.next_of(&CHAT_EVENTS).await.json()["id"], reply["id"]);
    }

    // Eve is in no chat: she heard none of it, not even presence.
    app.follow(&eve, &alice).await;
    let sentinel = app.say(&alice, "public news").await;
    let next = eve_stream.next().await;
    assert_eq!((next.event.as_str(), next.json()["id"].as_str()), ("update", Some(sentinel.as_str())));
    Ok(())
}

#[tokio::test]
async fn a_non_participant_gets_404_on_every_chat_endpoint() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    let id = chat(&app, &alice, &[&bob]).await;
    let message = send(&app, &alice, &id, "private").await;
    let before = app.state.store.last_event_seq().await?;
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/chats/{id}"), None),
        (Method::GET, format!("/api/v1/chats/{id}/messages"), None),
        (Method::POST, format!("/api/v1/chats/{id}/messages"), Some(json!({"content": "let me in"}))),
        (Method::POST, format!("/api/v1/chats/{id}/messages"), Some(json!({}))),
        (Method::POST, format!("/api/v1/chats/{id}/read"), Some(json!({"last_read_id": message["id"]}))),
        (Method::POST, format!("/api/v1/chats/{id}/typing"), Some(json!({}))),
        (Method::POST, format!("/api/v1/chats/{id}/leave"), Some(json!({}))),
    ] {
        let (status, body) = app.call(method.clone(), &path, Some(&eve.token), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_eq!(body["error"], "Record not found");
    }
    let (_, list) = app.get("/api/v1/chats", Some(&eve.token)).await;
    assert_eq!(list, json!([]));
    assert_eq!(app.state.store.last_event_seq().await?, before, "nothing eve tried was written");
    let (status, _) = app.get(&format!("/api/v1/chats/{id}"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn an_offline_participant_catches_up_on_reconnect_and_through_the_api() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let id = chat(&app, &alice, &[&bob]).await;
    let mut bob_stream = app.stream(&user_stream(&bob)).await;
    let first = send(&app, &alice, &id, "are you there?").await;
    let seen = bob_stream.next_of(&CHAT_EVENTS).await;
    assert_eq!(seen.json()["id"], first["id"]);
    drop(bob_stream);

    let missed = [send(&app, &alice, &id, "one").await, send(&app, &alice, &id, "two").await];
    app.post(&format!("/api/v1/chats/{id}/typing"), Some(&alice.token), json!({})).await;
    app.settle().await;
    let mut resumed = app.stream(&format!("{}&last_event_id={}", user_stream(&bob), seen.event_id)).await;
    let live = send(&app, &alice, &id, "live").await;
    let got: Vec<(String, Value)> =
        [resumed.next_of(&CHAT_EVENTS).await, resumed.next_of(&CHAT_EVENTS).await, resumed.next_of(&CHAT_EVENTS).await]
            .iter()
            .map(|m| (m.event.clone(), m.json()["id"].clone()))
            .collect();
    let expected: Vec<(String, Value)> =
        [&missed[0], &missed[1], &live].iter().map(|m| ("chat.message".to_string(), m["id"].clone())).collect();
    assert_eq!(got, expected, "in order, once each, and the typing signal is not replayed");

    // Through the API: unread count, the messages newest first, then reading them.
    let (_, chats) = app.get("/api/v1/chats", Some(&bob.token)).await;
    assert_eq!(chats[0]["id"], id.as_str());
    assert_eq!(chats[0]["unread_count"], 4);
    assert_eq!(chats[0]["last_message"]["id"], live["id"]);
    let (_, messages) = app.get(&format!("/api/v1/chats/{id}/messages?limit=3"), Some(&bob.token)).await;
    assert_eq!(
        ids(&messages),
        vec![live["id"].as_str(), missed[1]["id"].as_str(), missed[0]["id"].as_str()]
            .into_iter()
            .map(|s| s.unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    );
    let mut alice_stream = app.stream(&user_stream(&alice)).await;
    let (status, read) =
        app.post(&format!("/api/v1/chats/{id}/read"), Some(&bob.token), json!({"last_read_id": live["id"]})).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!((read["unread_count"].as_i64(), &read["last_read_id"]), (Some(0), &live["id"]));
    let told = alice_stream.next_of(&CHAT_EVENTS).await;
    assert_eq!(told.event, "chat.read");
    assert_eq!(told.json()["account_id"], bob.id.as_str());
    assert_eq!(told.json()["last_read_id"], live["id"]);
    Ok(())
}

#[tokio::test]
async fn typing_reaches_the_others_only_and_presence_follows_connections() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    let id = chat(&app, &alice, &[&bob, &carol]).await;
    let mut alice_stream = app.stream(&user_stream(&alice)).await;
    let mut carol_stream = app.stream(&user_stream(&carol)).await;
    // Carol came online after alice: alice hears of it.
    let online = alice_stream.next_of(&["chat.presence"]).await;
    assert_eq!(online.json(), json!({"account_id": carol.id, "online": true}));
    assert_eq!(online.event_id, -1, "a signal carries no event id");

    let bob_stream = app.stream(&user_stream(&bob)).await;
    for stream in [&mut alice_stream, &mut carol_stream] {
        let msg = stream.next_of(&["chat.presence"]).await;
        assert_eq!(msg.json(), json!({"account_id": bob.id, "online": true}));
    }
    let (status, body) = app.post(&format!("/api/v1/chats/{id}/typing"), Some(&carol.token), json!({})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let typing = alice_stream.next_of(&["chat.typing", "chat.message"]).await;
    assert_eq!(typing.event, "chat.typing");
    assert_eq!(typing.json()["chat_id"], id.as_str());
    assert_eq!(typing.json()["account"]["id"], carol.id.as_str());
    // Carol's own stream does not echo her typing: the next chat event she sees is a message.
    let sent = send(&app, &alice, &id, "after typing").await;
    let next = carol_stream.next_of(&["chat.typing", "chat.message"]).await;
    assert_eq!((next.event.as_str(), &next.json()["id"]), ("chat.message", &sent["id"]));

    drop(bob_stream);
    let offline = alice_stream.next_of(&["chat.presence"]).await;
    assert_eq!(offline.json(), json!({"account_id": bob.id, "online": false}));
    Ok(())
}

#[tokio::test]
async fn chats_of_two_are_found_again_groups_can_be_left_and_bad_requests_are_422() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    let pair = chat(&app, &alice, &[&bob]).await;
    assert_eq!(chat(&app, &bob, &[&alice]).await, pair, "one chat per pair, whoever asks");
    let (status, _) = app.post(&format!("/api/v1/chats/{pair}/leave"), Some(&bob.token), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a chat of two cannot be left");

    for body in [
        json!({}),
        json!({"account_ids": []}),
        json!({"account_ids": [alice.id]}),
        json!({"account_ids": ["123"]}),
        json!({"account_ids": ["x"]}),
    ] {
        let (status, error) = app.post("/api/v1/chats", Some(&alice.token), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {error}");
    }
    for body in [
        json!({}),
        json!({"content": "  "}),
        json!({"content": "x".repeat(5001)}),
        json!({"content": "x", "media_ids": ["1"]}),
    ] {
        let (status, error) =
            app.post(&format!("/api/v1/chats/{pair}/messages"), Some(&alice.token), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {error}");
    }
    let (status, _) = app.post(&format!("/api/v1/chats/{pair}/read"), Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // An idempotency key sends once.
    let keyed = || {
        app.client
            .post(app.url(&format!("/api/v1/chats/{pair}/messages")))
            .bearer_auth(&alice.token)
            .header("Idempotency-Key", "msg-1")
            .json(&json!({"content": "only once"}))
            .send()
    };
    let first: Value = keyed().await?.json().await?;
    let again: Value = keyed().await?.json().await?;
    assert_eq!(first["id"], again["id"]);
    let (_, messages) = app.get(&format!("/api/v1/chats/{pair}/messages"), Some(&bob.token)).await;
    assert_eq!(messages.as_array().map(Vec::len), Some(1));

    // A group chat: leaving takes carol out; she can no longer read it and is told no more.
    let group = chat(&app, &alice, &[&bob, &carol]).await;
    let mut carol_stream = app.stream(&user_stream(&carol)).await;
    let (status, _) = app.post(&format!("/api/v1/chats/{group}/leave"), Some(&carol.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let left = carol_stream.next_of(&CHAT_EVENTS).await;
    assert_eq!((left.event.as_str(), &left.json()["account_id"]), ("chat.left", &json!(carol.id)));
    let (status, _) = app.get(&format!("/api/v1/chats/{group}"), Some(&carol.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    send(&app, &alice, &group, "carol is gone").await;
    app.follow(&carol, &alice).await;
    let sentinel = app.say(&alice, "sentinel").await;
    let next = carol_stream.next_of(&["chat.message", "update"]).await;
    assert_eq!(next.json()["id"], sentinel.as_str(), "no chat message after leaving");

    // Newest activity first, paged with Link headers.
    let (_, list) = app.get("/api/v1/chats", Some(&alice.token)).await;
    assert_eq!(ids(&list), vec![group.clone(), pair.clone()]);
    let page = app.client.get(app.url("/api/v1/chats?limit=1")).bearer_auth(&alice.token).send().await?;
    let link = page.headers().get("link").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(link.contains("rel=\"next\""), "{link}");
    let body: Value = page.json().await?;
    assert_eq!(ids(&body), vec![group]);
    Ok(())
}
