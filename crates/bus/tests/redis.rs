//! The Redis bus against a real Redis server (`STARLING_TEST_REDIS_URL`).

use std::time::Duration;

use starling_bus::{Bus, RedisBus};

fn redis_url() -> Option<String> {
    match std::env::var("STARLING_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            let message = "*** Redis bus tests SKIPPED: STARLING_TEST_REDIS_URL is not set ***";
            assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
            // Straight to the process's stderr: the test harness would swallow `eprintln!`.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{message}\n").as_bytes());
            None
        }
    }
}

#[tokio::test]
async fn an_announcement_on_one_node_wakes_the_others() {
    let Some(url) = redis_url() else { return };
    let a = RedisBus::start(&url).expect("bus a");
    let b = RedisBus::start(&url).expect("bus b");
    let mut on_b = b.subscribe();
    // The subscriber connects in the background and announces once when it is subscribed;
    // consume that, then a's announcement must arrive.
    tokio::time::timeout(Duration::from_secs(10), on_b.changed()).await.expect("b subscribed");
    let mut heard = false;
    for _ in 0..50 {
        a.announce(42);
        if tokio::time::timeout(Duration::from_millis(200), on_b.changed()).await.is_ok() {
            heard = true;
            break;
        }
    }
    assert!(heard, "node b never heard node a");
}

#[tokio::test]
async fn announcing_locally_works_without_redis() {
    // Nothing listens on this port: the bus keeps retrying in the background, and local
    // announcements are unaffected.
    let bus = RedisBus::start("redis://127.0.0.1:1/").expect("a well-formed URL");
    let mut rx = bus.subscribe();
    bus.announce(1);
    assert!(tokio::time::timeout(Duration::from_secs(5), rx.changed()).await.unwrap_or(false));
}

#[test]
fn a_malformed_url_is_refused() {
    assert!(RedisBus::start("not a url").is_err());
}
