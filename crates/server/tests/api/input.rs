//! Hostile input over real HTTP, on SQLite and on PostgreSQL: NUL and control characters,
//! fields over their limits, HTML meant to run in someone else's browser, and handles and
//! hashtags typed in look-alike Unicode forms. Each is refused with a 4xx or stored harmless,
//! never a 5xx, and nothing already stored is lost.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::*;

/// Signs up `username` without asserting success.
async fn try_sign_up(app: &TestApp, username: &str, email: &str, password: &str) -> (StatusCode, Value) {
    let client = app.register_app("read write follow").await;
    let app_token = app.app_token(&client, "read write follow").await;
    app.post(
        "/api/v1/accounts",
        Some(&app_token),
        json!({"username": username, "email": email, "password": password, "agreement": true}),
    )
    .await
}

fn refused(status: StatusCode, what: &str, body: &Value) {
    assert!(status.is_client_error(), "{what}: {status} {body}");
}

async fn hostile_input_is_refused_or_harmless(app: &TestApp) {
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let kept = app.say(&alice, "kept #safe").await;
    let token = Some(alice.token.as_str());
    let chat = app.post("/api/v1/chats", token, json!({"account_ids": [bob.id]})).await.1["id"].clone();
    let chat = chat.as_str().unwrap_or_default().to_string();

    // NUL and other control characters, in every text a user can send.
    for bad in ["nul\u{0}here", "bell\u{7}", "escape\u{1b}[31m"] {
        for (method, path, body) in [
            (Method::POST, "/api/v1/statuses".to_string(), json!({"status": bad})),
            (Method::POST, "/api/v1/statuses".to_string(), json!({"status": "ok", "spoiler_text": bad})),
            (Method::PATCH, "/api/v1/accounts/update_credentials".to_string(), json!({"display_name": bad})),
            (Method::PATCH, "/api/v1/accounts/update_credentials".to_string(), json!({"note": bad})),
            (Method::POST, format!("/api/v1/chats/{chat}/messages"), json!({"content": bad})),
            (Method::POST, "/api/v1/stories".to_string(), json!({"text": bad})),
        ] {
            let (status, body) = app.call(method, &path, token, Some(body)).await;
            refused(status, &format!("{path} with {bad:?}"), &body);
        }
    }
    // NUL where it would only be looked up: refused or found to name nothing, never a 5xx.
    for path in [
        "/api/v2/search?q=a%00b",
        "/api/v2/search?q=%23a%00b&type=hashtags",
        "/api/v1/accounts/lookup?acct=al%00ice",
        "/api/v1/timelines/tag/a%00b",
        "/api/v1/tags/a%00b",
        "/api/v1/notifications?types[]=mention%00",
        "/system/a%00b.png",
    ] {
        let (status, body) = app.get(path, token).await;
        let empty = |v: &Value| v.as_array().is_some_and(Vec::is_empty);
        let nothing = body.as_object().is_some_and(|o| o.values().all(empty));
        assert!(status.is_client_error() || empty(&body) || nothing, "{path}: {status} {body}");
    }
    let (status, body) = app.post("/api/v1/tags/a%00b/follow", token, json!({})).await;
    refused(status, "following a tag with NUL", &body);

    // Every field has a limit, and going over it is a 422.
    for (method, path, body) in [
        (Method::POST, "/api/v1/statuses".to_string(), json!({"status": "x".repeat(501)})),
        (Method::POST, "/api/v1/statuses".to_string(), json!({"status": "x", "spoiler_text": "y".repeat(500)})),
        (Method::PATCH, "/api/v1/accounts/update_credentials".to_string(), json!({"display_name": "d".repeat(31)})),
        (Method::PATCH, "/api/v1/accounts/update_credentials".to_string(), json!({"note": "n".repeat(501)})),
        (Method::POST, format!("/api/v1/chats/{chat}/messages"), json!({"content": "m".repeat(5001)})),
        (Method::POST, "/api/v1/stories".to_string(), json!({"text": "s".repeat(501)})),
        (Method::POST, "/api/v1/chats".to_string(), json!({"account_ids": vec!["1"; 300]})),
    ] {
        let (status, body) = app.call(method, &path, token, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
    }
    for (username, email, password) in [
        ("u".repeat(31), "long@example.org".to_string(), "password-long".to_string()),
        ("longmail".to_string(), format!("{}@example.org", "e".repeat(250)), "password-long".to_string()),
        ("longpass".to_string(), "pass@example.org".to_string(), "p".repeat(257)),
        ("shortpass".to_string(), "short@example.org".to_string(), "p".repeat(7)),
    ] {
        let (status, body) = try_sign_up(app, &username, &email, &password).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{username} {email}: {body}");
    }

    // HTML never comes back as markup: statuses, notes, chats and stories are escaped; display
    // names and content warnings are plain text, as in Mastodon, for clients to escape.
    let attack = r#"<script>alert(1)</script><img src=x onerror=alert(1)> "><svg onload=alert(1)> <a href="javascript:alert(1)">x</a>"#;
    let status = app.post_status(&alice, json!({"status": attack, "spoiler_text": attack})).await;
    let content = status["content"].as_str().unwrap_or_default();
    for markup in ["<script", "<img", "<svg", "<a href=\"javascript", "onerror=alert(1)>"] {
        assert!(!content.contains(markup), "{markup} in {content}");
    }
    assert!(content.contains("&lt;script&gt;"), "{content}");
    assert_eq!(status["spoiler_text"], attack);
    let (_, me) = app
        .call(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            token,
            Some(json!({"display_name": "<b>bold</b>", "note": attack})),
        )
        .await;
    assert_eq!(me["display_name"], "<b>bold</b>");
    let note = me["note"].as_str().unwrap_or_default();
    assert!(!note.contains("<script") && !note.contains("<img") && note.contains("&lt;img"), "{note}");
    let (_, message) = app.post(&format!("/api/v1/chats/{chat}/messages"), token, json!({"content": attack})).await;
    let html = message["content"].as_str().unwrap_or_default();
    assert!(!html.contains("<script") && !html.contains("<img") && !html.is_empty(), "{message}");

    // Nothing stored before was lost along the way.
    let (status, found) = app.get(&format!("/api/v1/statuses/{kept}"), token).await;
    assert_eq!((status, found["content"].as_str()), (StatusCode::OK, Some(found["content"].as_str().unwrap_or("-"))));
    assert!(found["content"].as_str().unwrap_or_default().starts_with("<p>kept"), "{found}");
    assert_eq!(app.account(&alice).await["statuses_count"], 2);
}

/// Handles and hashtags typed in compatibility forms (full width, say) are the ASCII ones;
/// look-alikes from other scripts are refused.
async fn handles_and_hashtags_are_normalised(app: &TestApp) {
    let (status, body) = try_sign_up(app, "ｃａｒｏｌ", "carol@example.org", "password-carol").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let carol = body["access_token"].as_str().unwrap_or_default().to_string();
    let (_, me) = app.get("/api/v1/accounts/verify_credentials", Some(&carol)).await;
    assert_eq!(me["username"], "carol");
    let (status, body) = try_sign_up(app, "CAROL", "carol2@example.org", "password-carol").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["details"]["username"][0]["error"], "ERR_TAKEN");
    // A Cyrillic "а" is not a Latin "a".
    let (status, _) = try_sign_up(app, "\u{430}lice", "cyrillic@example.org", "password-cyr").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, found) = app.get("/api/v1/accounts/lookup?acct=@%EF%BC%A3AROL", None).await;
    assert_eq!((status, &found["id"]), (StatusCode::OK, &me["id"]), "@ＣAROL is carol");
    let (_, found) = app.get("/api/v2/search?q=%EF%BD%83ar&type=accounts", Some(&carol)).await;
    assert_eq!(found["accounts"][0]["id"], me["id"], "ｃar finds carol");

    let wide = app.post("/api/v1/statuses", Some(&carol), json!({"status": "full width #Ｒｕｓｔ"})).await.1;
    let plain = app.post("/api/v1/statuses", Some(&carol), json!({"status": "ascii #rust"})).await.1;
    assert_eq!(wide["tags"][0]["name"], "rust", "{wide}");
    let accented = app.post("/api/v1/statuses", Some(&carol), json!({"status": "#café"})).await.1;
    let url = accented["tags"][0]["url"].as_str().unwrap_or_default();
    assert!(url.ends_with("/tags/caf%C3%A9"), "a tag's URL is percent-encoded: {url}");
    let (_, tagged) = app.get("/api/v1/timelines/tag/rust", None).await;
    assert_eq!(ids(&tagged), vec![plain["id"].as_str().unwrap_or("-"), wide["id"].as_str().unwrap_or("-")]);
    let (_, tagged) = app.get("/api/v1/timelines/tag/%EF%BC%B2UST", None).await;
    assert_eq!(tagged.as_array().map(Vec::len), Some(2), "#ＲUST is #rust");
}

#[tokio::test]
async fn hostile_input_on_sqlite() -> TestResult {
    let app = spawn_app().await;
    hostile_input_is_refused_or_harmless(&app).await;
    handles_and_hashtags_are_normalised(&app).await;
    Ok(())
}

/// The same on PostgreSQL, which refuses some input SQLite would store (a NUL in a text).
#[tokio::test]
async fn hostile_input_on_postgres() -> TestResult {
    let Some(url) = std::env::var("STARLING_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        let message = "*** PostgreSQL input tests SKIPPED: STARLING_TEST_POSTGRES_URL is not set ***";
        assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
        eprintln!("\n{message}\n");
        return Ok(());
    };
    let name = format!("starling_input_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&url).await?;
    for sql in [format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), format!("CREATE DATABASE {name}")] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await?;
    }
    let (prefix, _) = url.rsplit_once('/').ok_or("a database in the URL")?;
    let database_url = format!("{prefix}/{name}");
    {
        let app = spawn_app_with(|s| s.database_url = database_url).await;
        hostile_input_is_refused_or_harmless(&app).await;
        handles_and_hashtags_are_normalised(&app).await;
        app.stop().await;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await?;
    Ok(())
}
