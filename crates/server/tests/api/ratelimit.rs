//! Rate limits over real HTTP, as Mastodon sets them: per token, per address without one,
//! stricter for sign-ups; counted in the process, or in Redis across nodes.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn limited_app(configure: impl FnOnce(&mut starling_server::Settings)) -> TestApp {
    spawn_app_with(|s| {
        s.rate_limits = true;
        configure(s);
    })
    .await
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

async fn sign_up_status(app: &TestApp, app_token: &str, name: &str) -> StatusCode {
    let body = json!({"username": name, "email": format!("{name}@example.org"), "password": format!("password-{name}"), "agreement": true, "locale": "en"});
    app.post("/api/v1/accounts", Some(app_token), body).await.0
}

#[tokio::test]
async fn three_hundred_requests_in_five_minutes_then_429_per_address_and_per_token() -> TestResult {
    let app = limited_app(|_| {}).await;
    let alice = app.sign_up("alice").await;
    // Signing alice up spent a little of this address's budget (registering the app, its token).
    let first = app.request(reqwest::Method::GET, "/api/v1/timelines/public", None, None).await;
    assert_eq!((first.status(), header(&first, "x-ratelimit-limit")), (StatusCode::OK, "300".to_string()));
    let left: u32 = header(&first, "x-ratelimit-remaining").parse()?;
    assert!((290..300).contains(&left), "{left} left");
    for i in 1..=left {
        let response = app.request(reqwest::Method::GET, "/api/v1/timelines/public", None, None).await;
        assert_eq!(response.status(), StatusCode::OK, "request {i}");
        assert_eq!(header(&response, "x-ratelimit-remaining"), (left - i).to_string());
    }
    let refused = app.request(reqwest::Method::GET, "/api/v1/timelines/public", None, None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
    let reset = header(&refused, "x-ratelimit-reset");
    assert!(reset.ends_with('Z') && reset.contains('T'), "an ISO 8601 time: {reset}");
    let body: serde_json::Value = refused.json().await?;
    assert!(body["error"].as_str().is_some(), "{body}");
    // A token has a budget of its own; the web client's files and the dashboard are not limited.
    let (status, _) = app.get("/api/v1/timelines/home", Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK);
    for path in ["/", "/web/js/app.js", "/api/v1/stats"] {
        assert_eq!(app.request(reqwest::Method::GET, path, None, None).await.status(), StatusCode::OK, "{path}");
    }
    Ok(())
}

#[tokio::test]
async fn five_sign_ups_per_address_in_half_an_hour() -> TestResult {
    let app = limited_app(|_| {}).await;
    let client = app.register_app("read write follow").await;
    let app_token = app.app_token(&client, "read write follow").await;
    for i in 0..5 {
        assert_eq!(sign_up_status(&app, &app_token, &format!("user{i}")).await, StatusCode::OK);
    }
    assert_eq!(sign_up_status(&app, &app_token, "user5").await, StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}

#[tokio::test]
async fn nodes_sharing_redis_share_the_counts() -> TestResult {
    let Some(url) = redis_url("rate limits in Redis") else { return Ok(()) };
    let prefix = unique_redis_prefix();
    let mut one = limited_app(|s| {
        s.redis_url = Some(url.clone());
        s.redis_prefix = prefix.clone();
        s.node_id = Some(1);
    })
    .await;
    let dir = one.share_dir();
    let two = spawn_app_in(dir, |s| {
        s.rate_limits = true;
        s.redis_url = Some(url.clone());
        s.redis_prefix = prefix.clone();
        s.node_id = Some(2);
    })
    .await;
    let client = one.register_app("read write follow").await;
    let app_token = one.app_token(&client, "read write follow").await;
    for (i, node) in [&one, &two, &one, &two, &one].into_iter().enumerate() {
        assert_eq!(sign_up_status(node, &app_token, &format!("user{i}")).await, StatusCode::OK, "sign-up {i}");
    }
    assert_eq!(sign_up_status(&two, &app_token, "user5").await, StatusCode::TOO_MANY_REQUESTS, "counted on both");
    assert_eq!(sign_up_status(&one, &app_token, "user6").await, StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget() -> TestResult {
    let app = limited_app(|s| s.trusted_proxies = vec!["127.0.0.1".parse().expect("an address")]).await;
    let client = app.register_app("read write follow").await;
    let app_token = app.app_token(&client, "read write follow").await;
    let sign_up = |name: String, from: &'static str| {
        let body = json!({"username": name, "email": format!("{name}@example.org"), "password": format!("password-{name}"), "agreement": true, "locale": "en"});
        app.client
            .post(app.url("/api/v1/accounts"))
            .bearer_auth(&app_token)
            .header("x-forwarded-for", from)
            .json(&body)
            .send()
    };
    for i in 0..5 {
        assert_eq!(sign_up(format!("a{i}"), "203.0.113.5").await?.status(), StatusCode::OK);
    }
    assert_eq!(sign_up("a5".into(), "203.0.113.5").await?.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sign_up("b0".into(), "203.0.113.6").await?.status(), StatusCode::OK, "another client behind the proxy");
    // What a client writes on the left of the header is not believed.
    assert_eq!(sign_up("a6".into(), "198.51.100.1, 203.0.113.5").await?.status(), StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}
