use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn requests_without_a_token_get_401_with_a_json_error() -> TestResult {
    let app = spawn_app().await;
    for path in ["/api/v1/accounts/verify_credentials", "/api/v1/timelines/home", "/api/v1/favourites"] {
        let (status, body) = app.get(path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["error"], "The access token is invalid");
    }
    let (status, _) = app.post("/api/v1/statuses", None, json!({"status": "hi"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn an_app_token_cannot_act_as_a_user() -> TestResult {
    let app = spawn_app().await;
    let client = app.register_app("read write").await;
    let token = app.app_token(&client, "read write").await;
    let (status, body) = app.post("/api/v1/statuses", Some(&token), json!({"status": "hi"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "This method requires an authenticated user");
    Ok(())
}

#[tokio::test]
async fn malformed_input_is_a_clear_client_error() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bad_json = app
        .client
        .post(app.url("/api/v1/statuses"))
        .bearer_auth(&alice.token)
        .header("content-type", "application/json")
        .body("{\"status\": ")
        .send()
        .await?;
    assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = bad_json.json().await?;
    assert!(body["error"].as_str().unwrap_or_default().contains("JSON"), "{body}");

    let (status, _) =
        app.post("/api/v1/statuses", Some(&alice.token), json!({"status": "x", "sensitive": "perhaps"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) =
        app.post("/api/v1/statuses", Some(&alice.token), json!({"status": "x", "in_reply_to_id": "not-an-id"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for path in ["/api/v1/statuses/abc", "/api/v1/statuses/-1", "/api/v1/accounts/99999999999999999999", "/api/v1/nope"]
    {
        let (status, body) = app.get(path, Some(&alice.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"], "Record not found");
    }
    let huge = app
        .client
        .post(app.url("/api/v1/statuses"))
        .bearer_auth(&alice.token)
        .json(&json!({"status": "x".repeat(2 * 1024 * 1024)}))
        .send()
        .await?;
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.account(&alice).await["statuses_count"], 0);
    Ok(())
}

#[tokio::test]
async fn the_instance_describes_itself_as_mastodon_compatible() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    app.say(&alice, "one").await;
    for path in ["/api/v1/instance", "/api/v2/instance"] {
        let (status, body) = app.get(path, None).await;
        assert_eq!(status, StatusCode::OK);
        let version = body["version"].as_str().unwrap_or_default();
        assert!(version.starts_with("4.3.0 (compatible; Starling "), "{version}");
        let limits = &body["configuration"]["statuses"];
        assert_eq!(limits["max_characters"], 500);
        if path.contains("v1") {
            assert_eq!(body["stats"]["user_count"], 1);
            assert_eq!(body["stats"]["status_count"], 1);
        } else {
            assert_eq!(body["usage"]["users"]["active_month"], 1);
            assert_eq!(body["api_versions"]["mastodon"], 2);
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_saturated_node_sheds_requests_with_503_and_recovers() -> TestResult {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app_with(|s| s.max_in_flight = 2).await;
    let alice = app.sign_up("alice").await;
    // Two requests in flight: their bodies are still arriving.
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut tcp = tokio::net::TcpStream::connect(&addr).await?;
        let head = format!(
            "POST /api/v1/statuses HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"status\": ",
            alice.token
        );
        tcp.write_all(head.as_bytes()).await?;
        slow.push(tcp);
    }
    let shed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let response = app.request(Method::GET, "/api/v1/timelines/public", None, None).await;
            if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                return response;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await?;
    assert_eq!(shed.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    let body: serde_json::Value = shed.json().await?;
    assert_eq!(body["error"], "The server is busy; retry in a moment");
    // Liveness still answers.
    assert_eq!(app.request(Method::GET, "/api/v1/streaming/health", None, None).await.status(), StatusCode::OK);
    // Once the slow requests end, the node serves again, and nothing half-sent was stored.
    drop(slow);
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while app.request(Method::GET, "/api/v1/timelines/public", None, None).await.status() != StatusCode::OK {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await?;
    assert_eq!(app.account(&alice).await["statuses_count"], 0);
    Ok(())
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_with_408() -> TestResult {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(|s| s.request_timeout = std::time::Duration::from_millis(500)).await;
    let alice = app.sign_up("alice").await;
    // A body announced and never finished, as a stalled (or hostile) client leaves it.
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await?;
    let head = format!(
        "POST /api/v1/statuses HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"status\": ",
        alice.token
    );
    tcp.write_all(head.as_bytes()).await?;
    let mut answer = vec![0; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read(&mut answer)).await??;
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.account(&alice).await["statuses_count"], 0);
    Ok(())
}
