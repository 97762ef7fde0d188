//! Several nodes on one database, announcing to each other over Redis.

use crate::helpers::*;

#[tokio::test]
async fn a_post_on_one_node_streams_live_from_another_through_redis() -> TestResult {
    let Some(url) = redis_url("multi-node Redis") else { return Ok(()) };
    // Without the bus, node B would only see node A's writes at its next look at the log, an
    // hour away: delivery within the test's time means the announcement came through Redis.
    let hour = std::time::Duration::from_secs(3600);
    // Both nodes share one database, so they share one Redis prefix too.
    let prefix = unique_redis_prefix();
    let mut a = spawn_app_with(|s| {
        s.redis_url = Some(url.clone());
        s.redis_prefix = prefix.clone();
        s.pipeline_poll = hour;
        s.node_id = Some(1);
    })
    .await;
    let dir = a.share_dir();
    let b = spawn_app_in(dir, |s| {
        s.redis_url = Some(url.clone());
        s.redis_prefix = prefix.clone();
        s.pipeline_poll = hour;
        s.node_id = Some(2);
    })
    .await;
    let alice = a.sign_up("alice").await;
    let bob = b.sign_up("bob").await;
    b.follow(&bob, &alice).await;
    let before = b.state.hub.connections();
    let (socket, _) =
        tokio_tungstenite::connect_async(b.ws_url(&format!("stream=user&access_token={}", bob.token))).await?;
    b.state.hub.wait_connections(|n| *n > before).await;
    let mut stream = WsClient { socket };
    let id = a.say(&alice, "written on node A").await;
    let msg = stream.next().await;
    assert_eq!((msg.event.as_str(), msg.json()["id"].as_str()), ("update", Some(id.as_str())));
    // Notifications too, whichever node's notifier stored them.
    a.follow(&alice, &bob).await;
    let msg = stream.next().await;
    assert_eq!((msg.event.as_str(), msg.json()["type"].as_str()), ("notification", Some("follow")));
    assert_eq!(msg.json()["account"]["id"], alice.id.as_str());
    Ok(())
}

#[tokio::test]
async fn typing_and_presence_cross_nodes_through_redis() -> TestResult {
    let Some(url) = redis_url("multi-node Redis") else { return Ok(()) };
    let prefix = unique_redis_prefix();
    let mut a = spawn_app_with(|s| {
        s.redis_url = Some(url.clone());
        s.redis_prefix = prefix.clone();
        s.node_id = Some(1);
    })
    .await;
    let dir = a.share_dir();
    let b = spawn_app_in(dir, |s| {
        s.redis_url = Some(url.clone());
        s.redis_prefix = prefix.clone();
        s.node_id = Some(2);
    })
    .await;
    let alice = a.sign_up("alice").await;
    let bob = b.sign_up("bob").await;
    let (status, chat) =
        a.post("/api/v1/chats", Some(&alice.token), serde_json::json!({"account_ids": [bob.id]})).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{chat}");
    let chat = chat["id"].as_str().unwrap_or_default().to_string();
    let user = |u: &User| format!("stream=user&access_token={}", u.token);
    let mut alice_stream = a.stream(&user(&alice)).await;

    // Bob's first connection anywhere: alice, on the other node, hears he is online.
    let bob_on_b = b.stream(&user(&bob)).await;
    let online = alice_stream.next_of(&["chat.presence"]).await;
    assert_eq!(online.json(), serde_json::json!({"account_id": bob.id, "online": true}));
    // Typing on node B reaches alice on node A; it is stored nowhere.
    let before = a.state.store.last_event_seq().await?;
    let (status, _) = b.post(&format!("/api/v1/chats/{chat}/typing"), Some(&bob.token), serde_json::json!({})).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let typing = alice_stream.next_of(&["chat.typing"]).await;
    assert_eq!(typing.json()["account"]["id"], bob.id.as_str());
    assert_eq!(a.state.store.last_event_seq().await?, before);

    // Still online while any node has him: closing node B's connection after opening one on
    // node A changes nothing; closing that one too makes him offline.
    let bob_on_a = a.stream(&user(&bob)).await;
    drop(bob_on_b);
    tokio::time::timeout(std::time::Duration::from_secs(10), b.state.hub.wait_connections(|n| *n == 0)).await?;
    // Node B's signals arrive in the order it sent them: were it to announce bob offline, that
    // would come before this typing signal, which it sends after a pause for the announcement.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    b.post(&format!("/api/v1/chats/{chat}/typing"), Some(&bob.token), serde_json::json!({})).await;
    let next = alice_stream.next_of(&["chat.presence", "chat.typing"]).await;
    assert_eq!(next.event, "chat.typing", "bob is still online on node A: {:?}", next.payload);
    drop(bob_on_a);
    let offline = alice_stream.next_of(&["chat.presence"]).await;
    assert_eq!(offline.json(), serde_json::json!({"account_id": bob.id, "online": false}));
    Ok(())
}

fn nats_url() -> Option<String> {
    match std::env::var("STARLING_TEST_NATS_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            let message = "*** NATS JetStream tests SKIPPED: STARLING_TEST_NATS_URL is not set ***";
            assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{message}\n").as_bytes());
            None
        }
    }
}

/// Waits (bounded) until the publisher has stored everything in the log on the stream.
async fn published_all(app: &TestApp) -> Result<i64, Box<dyn std::error::Error>> {
    let last = app.state.store.last_event_seq().await?;
    for _ in 0..1000 {
        if app.state.store.consumer_offset(starling_server::nats::CONSUMER).await? >= last {
            return Ok(last);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Err("the NATS publisher did not catch up within 10 s".into())
}

#[tokio::test]
async fn every_event_reaches_jetstream_exactly_once_even_when_published_again() -> TestResult {
    let Some(url) = nats_url() else { return Ok(()) };
    let stream_name = format!("STARLING_TEST_{}_{}", std::process::id(), starling_core::model::Timestamp::now().0);
    let configure = |s: &mut starling_server::config::Settings| {
        s.nats_url = Some(url.clone());
        s.nats_stream = stream_name.clone();
    };
    let app = spawn_app_with(configure).await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let id = app.say(&alice, "to the stream").await;
    app.post(&format!("/api/v1/statuses/{id}/favourite"), Some(&bob.token), serde_json::json!({})).await;
    let last = published_all(&app).await?;

    let js = async_nats::jetstream::new(async_nats::connect(&url).await?);
    let mut stream = js.get_stream(&stream_name).await?;
    assert_eq!(stream.info().await?.state.messages, last as u64, "one message per event");
    let mut kinds = Vec::new();
    for n in 1..=last as u64 {
        let msg = stream.get_raw_message(n).await?;
        let msg_id = msg.headers.get(async_nats::header::NATS_MESSAGE_ID).map(|v| v.to_string());
        assert_eq!(msg_id, Some(n.to_string()), "the message id is the event's sequence");
        let event: serde_json::Value = serde_json::from_slice(&msg.payload)?;
        assert_eq!(event["seq"], n as i64);
        assert_eq!(
            msg.subject.as_str(),
            format!("{}.{}", stream_name.to_lowercase(), event["kind"].as_str().unwrap_or(""))
        );
        kinds.push(event["kind"].as_str().unwrap_or_default().to_string());
    }
    assert!(kinds.contains(&"status.created".to_string()) && kinds.contains(&"status.favourited".to_string()));

    // A crash between publishing and storing the offset means publishing again: rewind the
    // offset as such a crash would leave it, restart, and the stream still holds each event once.
    let dir = app.stop().await;
    let db = dir.join("starling.db");
    {
        let conn = rusqlite::Connection::open(&db)?;
        conn.execute_batch("UPDATE consumer_offsets SET seq = 0 WHERE consumer = 'nats'")?;
    }
    let app = spawn_app_in(dir, configure).await;
    published_all(&app).await?;
    assert_eq!(stream.info().await?.state.messages, last as u64, "duplicates were dropped");
    js.delete_stream(&stream_name).await?;
    Ok(())
}
