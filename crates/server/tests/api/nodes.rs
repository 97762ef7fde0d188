//! Several nodes on one database, announcing to each other over Redis.

use crate::helpers::*;

fn redis_url() -> Option<String> {
    match std::env::var("STARLING_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            let message = "*** multi-node Redis tests SKIPPED: STARLING_TEST_REDIS_URL is not set ***";
            assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
            // Straight to the process's stderr: the test harness would swallow `eprintln!`.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{message}\n").as_bytes());
            None
        }
    }
}

#[tokio::test]
async fn a_post_on_one_node_streams_live_from_another_through_redis() -> TestResult {
    let Some(url) = redis_url() else { return Ok(()) };
    // Without the bus, node B would only see node A's writes at its next look at the log, an
    // hour away: delivery within the test's time means the announcement came through Redis.
    let hour = std::time::Duration::from_secs(3600);
    let mut a = spawn_app_with(|s| {
        s.redis_url = Some(url.clone());
        s.pipeline_poll = hour;
        s.node_id = 1;
    })
    .await;
    let dir = a.share_dir();
    let b = spawn_app_in(dir, |s| {
        s.redis_url = Some(url.clone());
        s.pipeline_poll = hour;
        s.node_id = 2;
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
    Ok(())
}
