//! Live delivery over real WebSocket and SSE connections.

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

fn user_stream(user: &User) -> String {
    format!("stream=user&access_token={}", user.token)
}

#[tokio::test]
async fn a_post_reaches_its_followers_and_its_author_live() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let mut bob_stream = app.stream(&user_stream(&bob)).await;
    let mut alice_stream = app.stream(&user_stream(&alice)).await;
    let id = app.say(&alice, "hello followers").await;

    let msg = bob_stream.next().await;
    assert_eq!((msg.event.as_str(), msg.stream.clone()), ("update", vec!["user".to_string()]));
    assert_eq!(msg.json()["id"], id.as_str());
    assert!(msg.event_id > 0);
    let own = alice_stream.next().await;
    assert_eq!(own.json()["id"], id.as_str());
    Ok(())
}

#[tokio::test]
async fn each_notification_reaches_the_right_person_only() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    let mut alice_stream = app.stream(&format!("stream=user:notification&access_token={}", alice.token)).await;
    let mut carol_stream = app.stream(&format!("stream=user:notification&access_token={}", carol.token)).await;

    app.follow(&bob, &alice).await;
    let status = app.say(&alice, "notice me").await;
    app.post(&format!("/api/v1/statuses/{status}/favourite"), Some(&bob.token), json!({})).await;
    app.post(&format!("/api/v1/statuses/{status}/reblog"), Some(&bob.token), json!({})).await;
    app.post_status(&bob, json!({"status": "a reply", "in_reply_to_id": status})).await;
    app.post_status(&bob, json!({"status": "hey @alice"})).await;
    // Alice's own actions on her own status notify nobody.
    app.post(&format!("/api/v1/statuses/{status}/favourite"), Some(&alice.token), json!({})).await;
    app.call(Method::PUT, &format!("/api/v1/statuses/{status}"), Some(&alice.token), Some(json!({"status": "edited"})))
        .await;
    // Carol hears of the edit of a status she reblogged, and of nothing else.
    app.post(&format!("/api/v1/statuses/{status}/reblog"), Some(&carol.token), json!({})).await;
    app.call(
        Method::PUT,
        &format!("/api/v1/statuses/{status}"),
        Some(&alice.token),
        Some(json!({"status": "edited again"})),
    )
    .await;

    let mut kinds = Vec::new();
    for _ in 0..6 {
        let msg = alice_stream.next().await;
        assert_eq!(msg.event, "notification");
        assert_eq!(msg.stream, vec!["user:notification".to_string()]);
        let n = msg.json();
        kinds.push(n["type"].as_str().unwrap_or_default().to_string());
        if n["type"] != "follow" {
            assert!(n["status"]["id"].is_string(), "{n}");
        }
    }
    assert_eq!(kinds, ["follow", "favourite", "reblog", "mention", "mention", "reblog"]);
    let carol_msg = carol_stream.next().await;
    assert_eq!(carol_msg.json()["type"], "update");
    assert_eq!(carol_msg.json()["account"]["id"], alice.id.as_str());

    app.settle().await;
    let (status_code, listed) = app.get("/api/v1/notifications", Some(&alice.token)).await;
    assert_eq!(status_code, StatusCode::OK);
    let types: Vec<&str> = listed.as_array().into_iter().flatten().filter_map(|n| n["type"].as_str()).collect();
    assert_eq!(types, ["reblog", "mention", "mention", "reblog", "favourite", "follow"], "newest first");
    let (_, bobs) = app.get("/api/v1/notifications", Some(&bob.token)).await;
    let bob_types: Vec<&str> = bobs.as_array().into_iter().flatten().filter_map(|n| n["type"].as_str()).collect();
    assert_eq!(bob_types, ["update", "update"], "bob reblogged the status, so he hears of both edits");
    Ok(())
}

#[tokio::test]
async fn edits_and_deletes_reach_followers_live() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let mut bob_stream = app.stream(&user_stream(&bob)).await;
    let id = app.say(&alice, "first").await;
    let created = bob_stream.next().await;
    app.call(Method::PUT, &format!("/api/v1/statuses/{id}"), Some(&alice.token), Some(json!({"status": "second"})))
        .await;
    // One step at a time: an edit routed after its status was deleted is not delivered (the
    // delete that follows it says all there is to say), so a quick delete could overtake it.
    let updated = bob_stream.next().await;
    app.call(Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&alice.token), None).await;
    let deleted = bob_stream.next().await;
    assert_eq!(created.event, "update");
    assert_eq!(updated.event, "status.update");
    assert!(updated.json()["content"].as_str().unwrap_or_default().contains("second"));
    assert_eq!((deleted.event.as_str(), deleted.payload.as_str()), ("delete", id.as_str()));
    assert!(created.event_id < updated.event_id && updated.event_id < deleted.event_id);
    Ok(())
}

#[tokio::test]
async fn hashtag_and_public_streams_by_subscription() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let mut anonymous = app.stream("stream=public").await;
    anonymous.send_json(json!({"type": "subscribe", "stream": "hashtag", "tag": "Rust"})).await;
    anonymous.send_json(json!({"type": "subscribe", "stream": "user"})).await;
    let refused = anonymous.next().await;
    assert!(refused.event.is_empty(), "an error message, not an event: {refused:?}");
    app.post_status(&alice, json!({"status": "not public", "visibility": "unlisted"})).await;
    let id = app.say(&alice, "loving #rust").await;
    let first = anonymous.next().await;
    let second = anonymous.next().await;
    let mut streams = vec![first.stream.clone(), second.stream.clone()];
    streams.sort();
    assert_eq!(streams, vec![vec!["hashtag".to_string(), "rust".to_string()], vec!["public".to_string()]]);
    assert_eq!(first.json()["id"], id.as_str());
    assert_eq!(second.json()["id"], id.as_str());

    anonymous.send_json(json!({"type": "unsubscribe", "stream": "hashtag", "tag": "rust"})).await;
    // Commands are handled in order: the answer to a bad one means the unsubscribe is done.
    anonymous.send_json(json!({"type": "subscribe", "stream": "no-such-stream"})).await;
    assert!(anonymous.next().await.event.is_empty());
    let later = app.say(&alice, "more #rust").await;
    let only = anonymous.next().await;
    assert_eq!((only.stream.clone(), only.json()["id"].clone()), (vec!["public".to_string()], json!(later)));
    Ok(())
}

#[tokio::test]
async fn every_connection_of_a_user_gets_every_message() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let mut tab1 = app.stream(&user_stream(&alice)).await;
    let mut tab2 = app.stream(&user_stream(&alice)).await;
    let id = app.say(&alice, "two tabs").await;
    assert_eq!(tab1.next().await.json()["id"], id.as_str());
    assert_eq!(tab2.next().await.json()["id"], id.as_str());
    Ok(())
}

#[tokio::test]
async fn a_reconnecting_client_gets_what_it_missed_in_order_then_live() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let mut stream = app.stream(&user_stream(&bob)).await;
    app.say(&alice, "seen").await;
    let seen = stream.next().await;
    drop(stream);

    let missed = [app.say(&alice, "missed 1").await, app.say(&alice, "missed 2").await];
    app.post(&format!("/api/v1/accounts/{}/follow", alice.id), Some(&alice.token), json!({})).await; // refused: no event
    app.settle().await;
    let mut resumed = app.stream(&format!("{}&last_event_id={}", user_stream(&bob), seen.event_id)).await;
    let live = app.say(&alice, "live").await;
    let got: Vec<String> = [resumed.next().await, resumed.next().await, resumed.next().await]
        .iter()
        .map(|m| m.json()["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(got, vec![missed[0].clone(), missed[1].clone(), live]);
    Ok(())
}

#[tokio::test]
async fn a_status_committed_while_the_server_was_down_is_delivered_after_restart() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let first = app.say(&alice, "before").await;
    app.settle().await;
    let last_seen = app.state.store.last_event_seq().await?;
    // Commit a favourite and a status directly to the store while no pipeline is running.
    let dir = app.stop().await;
    let store =
        starling_store::connect(&starling_server::config::default_database_url(&dir), &Default::default()).await?;
    let now = starling_core::model::Timestamp::now();
    store.favourite(starling_core::Id(bob.id.parse()?), starling_core::Id(first.parse()?), now).await?;
    drop(store);

    let app = spawn_app_in(dir, |_| {}).await;
    let mut stream = app.stream(&format!("stream=user&access_token={}&last_event_id={last_seen}", alice.token)).await;
    let msg = stream.next().await;
    assert_eq!(msg.event, "notification");
    assert_eq!(msg.json()["type"], "favourite");
    app.settle().await;
    let (_, listed) = app.get("/api/v1/notifications?types[]=favourite", Some(&alice.token)).await;
    assert_eq!(ids(&listed).len(), 1, "the notifier caught up from the log: {listed}");
    Ok(())
}

#[tokio::test]
async fn direct_and_private_statuses_never_reach_streams_that_may_not_read_them() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let follower = app.sign_up("follower").await;
    let friend = app.sign_up("friend").await;
    app.follow(&follower, &alice).await;
    let mut follower_stream = app.stream(&user_stream(&follower)).await;
    let mut friend_direct = app.stream(&format!("stream=direct&access_token={}", friend.token)).await;
    let mut public = app.stream("stream=public").await;

    let direct = app.post_status(&alice, json!({"status": "@friend secret", "visibility": "direct"})).await;
    let private = app.post_status(&alice, json!({"status": "followers only", "visibility": "private"})).await;
    let public_id = app.say(&alice, "everyone").await;

    let conversation = friend_direct.next().await;
    assert_eq!(conversation.event, "conversation");
    assert_eq!(conversation.json()["last_status"]["id"], direct["id"]);
    let first = follower_stream.next().await;
    assert_eq!(first.json()["id"], private["id"], "the follower sees the private status but not the direct one");
    assert_eq!(follower_stream.next().await.json()["id"], public_id.as_str());
    assert_eq!(public.next().await.json()["id"], public_id.as_str(), "neither private nor direct on the public stream");
    Ok(())
}

#[tokio::test]
async fn a_slow_client_is_dropped_without_delaying_a_fast_one() -> TestResult {
    let app = spawn_app_with(|s| s.stream_queue = 4).await;
    let alice = app.sign_up("alice").await;
    // The slow client never reads; its socket buffers fill, then its queue, then it is cut off.
    let slow = app.stream("stream=public").await;
    let mut fast = app.stream("stream=public").await;
    let mut posted = 0;
    while app.state.hub.connections() == 2 && posted < 5000 {
        let id = app.say(&alice, &format!("{posted} {}", "padding ".repeat(60))).await;
        posted += 1;
        let msg = fast.next().await;
        assert_eq!(msg.json()["id"], id.as_str(), "the fast client keeps up, in order");
    }
    assert_eq!(app.state.hub.connections(), 1, "the slow client was disconnected after {posted} posts");
    drop(slow);
    Ok(())
}

#[tokio::test]
async fn server_sent_events_stream_and_resume_with_last_event_id() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let first = app.say(&alice, "first").await;
    app.settle().await;
    let after = app.state.store.last_event_seq().await?;
    let second = app.say(&alice, "second").await;
    app.settle().await;

    let before = app.state.hub.connections();
    let resp =
        app.client.get(app.url("/api/v1/streaming/public")).header("Last-Event-ID", (after).to_string()).send().await?;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    app.state.hub.wait_connections(|n| *n > before).await;
    let third = app.say(&alice, "third").await;
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    while !(text.contains(&third) && text.matches("event: update").count() >= 2) {
        let chunk =
            tokio::time::timeout(std::time::Duration::from_secs(10), body.next()).await?.ok_or("stream ended")??;
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(!text.contains(&format!("\"id\":\"{first}\"")), "nothing before Last-Event-ID: {text}");
    let second_at = text.find(&format!("\"id\":\"{second}\"")).ok_or("second missing")?;
    let third_at = text.find(&format!("\"id\":\"{third}\"")).ok_or("third missing")?;
    assert!(second_at < third_at);
    assert!(text.contains("id: "), "every event carries its id: {text}");
    let (status, _) = app.get("/api/v1/streaming/user", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn streams_are_pinged_and_closed_with_a_close_frame_on_shutdown() -> TestResult {
    let app = spawn_app_with(|s| s.stream_ping = std::time::Duration::from_millis(50)).await;
    let alice = app.sign_up("alice").await;
    let mut stream = app.stream(&user_stream(&alice)).await;
    let ping = tokio::time::timeout(std::time::Duration::from_secs(10), stream.socket.next()).await?;
    assert!(matches!(ping, Some(Ok(tokio_tungstenite::tungstenite::Message::Ping(_)))), "{ping:?}");
    app.state.begin_shutdown();
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), stream.socket.next()).await?;
        match msg {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 1001);
                break;
            }
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn metrics_and_stats_report_connections_events_and_delivery_latency() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let mut stream = app.stream(&user_stream(&alice)).await;
    let id = app.say(&alice, "measured").await;
    assert_eq!(stream.next().await.json()["id"], id.as_str());
    app.settle().await;

    let (status, stats) = app.get("/api/v1/stats", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["connections"], 1);
    assert_eq!(stats["pipeline_lag_events"], 0);
    assert!(stats["events_total"].as_u64().unwrap_or(0) >= 4, "{stats}");
    assert!(stats["deliveries_total"].as_u64().unwrap_or(0) >= 1, "{stats}");
    assert!(stats["delivery_latency_ms"]["samples"].as_u64().unwrap_or(0) >= 1, "{stats}");
    assert!(stats["delivery_latency_ms"]["p99"].is_number(), "{stats}");
    assert_eq!(stats["statuses"], 1);

    let metrics = app.client.get(app.url("/metrics")).send().await?;
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await?;
    for name in [
        "starling_http_requests_total",
        "starling_http_request_duration_seconds_bucket",
        "starling_events_total{type=\"status.created\"}",
        "starling_delivery_latency_seconds_bucket",
        "starling_stream_connections",
        "starling_pipeline_lag_events",
        "starling_stream_queue_depth_max",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics:\n{text}");
    }
    assert!(text.contains("route=\"/api/v1/statuses\""), "routes are labelled by pattern");
    Ok(())
}

#[tokio::test]
async fn a_client_that_missed_too_much_is_told_to_resync() -> TestResult {
    let app = spawn_app_with(|s| s.stream_replay_max = 3).await;
    let alice = app.sign_up("alice").await;
    app.settle().await;
    let last_seen = app.state.store.last_event_seq().await?;
    for i in 0..4 {
        app.say(&alice, &format!("missed {i}")).await;
    }
    let mut resumed = app.stream(&format!("{}&last_event_id={last_seen}", user_stream(&alice))).await;
    let msg = resumed.next().await;
    assert_eq!(msg.event, "resync");
    assert_eq!(msg.event_id, app.state.store.last_event_seq().await?, "resume from here after refetching");
    let live = app.say(&alice, "live again").await;
    assert_eq!(resumed.next().await.json()["id"], live.as_str());
    Ok(())
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_dropped() -> TestResult {
    let app = spawn_app_with(|s| s.stream_ping = std::time::Duration::from_millis(20)).await;
    let alice = app.sign_up("alice").await;
    let mut stream = app.stream(&user_stream(&alice)).await;
    // Not reading means not answering: the client only sends its pongs when it reads. The
    // server gives up after two unanswered pings and drops the connection.
    app.state.hub.wait_connections(|n| *n == 0).await;
    let mut ended = false;
    while let Ok(next) = tokio::time::timeout(std::time::Duration::from_secs(10), stream.socket.next()).await {
        match next {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Ping(_))) => continue,
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                assert_eq!(frame.map(|f| f.reason.to_string()).as_deref(), Some("no answer to pings"));
                ended = true;
                break;
            }
            Some(Err(_)) | None => {
                ended = true;
                break;
            }
            Some(Ok(other)) => panic!("unexpected message {other:?}"),
        }
    }
    assert!(ended, "the server ended the connection");
    Ok(())
}

#[tokio::test]
async fn counts_of_a_status_reach_those_who_may_be_showing_it_live() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    app.follow(&bob, &alice).await;
    let post = app.say(&alice, "count me").await;
    let secret = app.post_status(&alice, json!({"status": "for followers", "visibility": "private"})).await;
    let secret = secret["id"].as_str().unwrap_or_default().to_string();
    let mut bob_stream = app.stream(&user_stream(&bob)).await;
    let mut public = app.stream("stream=public").await;
    let mut carol_stream = app.stream(&user_stream(&carol)).await;

    app.post(&format!("/api/v1/statuses/{post}/favourite"), Some(&carol.token), json!({})).await;
    for stream in [&mut bob_stream, &mut public] {
        let counts = stream.next_of(&["status.counts"]).await;
        assert_eq!(counts.json(), json!({"id": post, "replies_count": 0, "reblogs_count": 0, "favourites_count": 1}));
        assert_eq!(counts.event_id, -1, "a signal: not stored, not replayed");
    }
    app.post(&format!("/api/v1/statuses/{post}/reblog"), Some(&carol.token), json!({})).await;
    app.post_status(&bob, json!({"status": "@alice agreed", "in_reply_to_id": post})).await;
    let mut last = bob_stream.next_of(&["status.counts"]).await.json();
    while last["replies_count"] != 1 {
        last = bob_stream.next_of(&["status.counts"]).await.json();
    }
    assert_eq!((&last["reblogs_count"], &last["favourites_count"]), (&json!(1), &json!(1)));

    // A private status's counts go to its followers' streams only, never to public ones, and
    // not to a stranger.
    app.post(&format!("/api/v1/statuses/{secret}/favourite"), Some(&bob.token), json!({})).await;
    let mut counts = bob_stream.next_of(&["status.counts"]).await.json();
    while counts["id"] != secret.as_str() {
        counts = bob_stream.next_of(&["status.counts"]).await.json();
    }
    assert_eq!(counts["favourites_count"], 1);
    app.say(&carol, "a marker").await;
    loop {
        let message = public.next().await;
        assert_ne!(message.json()["id"].as_str(), Some(secret.as_str()), "{message:?}");
        if message.event == "update" {
            break;
        }
    }
    let (status, _) = app.call(Method::GET, "/api/v1/timelines/home", Some(&carol.token), None).await;
    assert_eq!(status, StatusCode::OK);
    carol_stream.expect_nothing_of(&["status.counts"]).await;
    Ok(())
}

#[tokio::test]
async fn revoking_a_token_closes_its_open_streams_at_once() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let client = app.register_app("read write").await;
    let token = app.password_token(&client, "alice", "read write").await;
    let mut socket = app.stream(&format!("stream=user&access_token={token}")).await;
    let mut other = app.stream(&user_stream(&alice)).await;
    let sse = app.client.get(app.url("/api/v1/streaming/user")).bearer_auth(&token).send().await?;
    assert_eq!(sse.status(), StatusCode::OK);
    let mut sse_body = sse.bytes_stream();
    app.state.hub.wait_connections(|n| *n >= 3).await;

    let (status, _) = app
        .post(
            "/oauth/revoke",
            None,
            json!({"token": token, "client_id": client.client_id, "client_secret": client.client_secret}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The WebSocket is closed by the server, saying why.
    let closed = socket.close_reason().await?;
    assert_eq!(closed.as_deref(), Some("the access token was revoked"));
    // The event stream ends.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(_)) = sse_body.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream ended");
    // Alice's other connection, with another token, stays open and live.
    app.say(&alice, "still here").await;
    assert_eq!(other.next_of(&["update"]).await.json()["content"], "<p>still here</p>");
    Ok(())
}

#[tokio::test]
async fn pages_of_other_sites_may_not_open_streams() -> TestResult {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let connect = |origin: Option<&str>| {
        let mut request = app.ws_url(&user_stream(&alice)).into_client_request().expect("a request");
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", origin.parse().expect("a header"));
        }
        tokio_tungstenite::connect_async(request)
    };
    match connect(Some("https://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("a page of another site got a stream: {:?}", other.map(|_| ())),
    }
    let sse =
        app.client.get(app.url("/api/v1/streaming/public")).header("origin", "https://evil.example").send().await?;
    assert_eq!(sse.status(), StatusCode::FORBIDDEN);
    // This server's own pages, and programs (no Origin), may.
    assert!(connect(Some(&app.base)).await.is_ok());
    assert!(connect(None).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_without_delaying_the_others() -> TestResult {
    let app = spawn_app_with(|s| s.stream_queue = 16).await;
    let alice = app.sign_up("alice").await;
    let (bob, carol) = (app.sign_up("bob").await, app.sign_up("carol").await);
    app.follow(&bob, &alice).await;
    app.follow(&carol, &alice).await;
    let mut fast = app.stream(&user_stream(&bob)).await;
    // Carol's client reads nothing, through a receive buffer as small as the kernel allows.
    app.settle().await;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(2048)?;
    let tcp = socket.connect(app.base.trim_start_matches("http://").parse()?).await?;
    let (_stalled, _) = tokio_tungstenite::client_async(app.ws_url(&user_stream(&carol)), tcp).await?;
    app.state.hub.wait_connections(|n| *n == 2).await;

    let words = "a long post that fills buffers quickly ".repeat(11);
    // Enough to fill what the kernel and the server buffer for the stalled socket (a few MB).
    let posts = 3000;
    let reader = tokio::spawn(async move {
        let mut received = 0;
        while received < posts {
            if fast.next().await.event == "update" {
                received += 1;
            }
        }
        fast
    });
    for i in 0..posts {
        app.say(&alice, &format!("{i} {words}")).await;
    }
    // Every post reached the reader (each within the 10 s a message may take), and the stalled
    // client was let go rather than being waited for.
    let mut fast = tokio::time::timeout(std::time::Duration::from_secs(120), reader).await??;
    tokio::time::timeout(std::time::Duration::from_secs(15), app.state.hub.wait_connections(|n| *n == 1)).await?;
    app.say(&alice, "after").await;
    assert_eq!(fast.next_of(&["update"]).await.json()["content"], "<p>after</p>");
    Ok(())
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_only_its_own_stream() -> TestResult {
    use tokio_tungstenite::tungstenite::Message;
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let mut big = app.stream(&user_stream(&alice)).await;
    let mut other = app.stream(&user_stream(&alice)).await;
    // 64 KiB is the most a client may send in one message; nothing it has to say is that long.
    let text = format!(r#"{{"type":"subscribe","stream":"hashtag","tag":"{}"}}"#, "a".repeat(100 * 1024));
    let _ = futures_util::SinkExt::send(&mut big.socket, Message::text(text)).await;
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match big.socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await?;
    // The server drops the connection at once (the protocol library refuses to read on); a
    // close frame saying 1009 would do too.
    assert!(matches!(ended, Some(1009) | None), "the stream went on: {ended:?}");
    app.say(&alice, "still streaming").await;
    assert_eq!(other.next_of(&["update"]).await.json()["content"], "<p>still streaming</p>");
    Ok(())
}
