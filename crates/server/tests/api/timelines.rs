use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn home_shows_oneself_and_followed_accounts_but_not_strangers() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let stranger = app.sign_up("stranger").await;
    app.follow(&alice, &bob).await;
    let own = app.say(&alice, "mine").await;
    let followed = app.say(&bob, "from bob").await;
    let private = app.post_status(&bob, json!({"status": "bob private", "visibility": "private"})).await;
    app.say(&stranger, "from a stranger").await;
    let strangers = app.say(&stranger, "another").await;
    let reblog = app.post(&format!("/api/v1/statuses/{strangers}/reblog"), Some(&bob.token), json!({})).await.1;
    app.post_status(
        &bob,
        json!({"status": "@stranger a reply to someone alice does not follow", "in_reply_to_id": strangers}),
    )
    .await;

    let (status, home) = app.get("/api/v1/timelines/home", Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ids(&home),
        vec![
            reblog["id"].as_str().unwrap_or_default().to_string(),
            private["id"].as_str().unwrap_or_default().to_string(),
            followed,
            own
        ]
    );
    assert_eq!(home[0]["reblog"]["id"], strangers.as_str());
    assert_eq!(app.get("/api/v1/timelines/home", None).await.0, StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn public_and_hashtag_timelines_show_only_public_statuses() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let public = app.say(&alice, "hello #Starling").await;
    for visibility in ["unlisted", "private"] {
        app.post_status(&alice, json!({"status": format!("{visibility} #starling"), "visibility": visibility})).await;
    }
    app.post_status(&alice, json!({"status": "@alice direct #starling", "visibility": "direct"})).await;
    app.post(&format!("/api/v1/statuses/{public}/reblog"), Some(&alice.token), json!({})).await;

    let (_, timeline) = app.get("/api/v1/timelines/public", None).await;
    assert_eq!(ids(&timeline), vec![public.clone()]);
    let (_, local) = app.get("/api/v1/timelines/public?local=true", None).await;
    assert_eq!(ids(&local), vec![public.clone()]);
    for tag in ["starling", "STARLING", "%23starling"] {
        let (_, tagged) = app.get(&format!("/api/v1/timelines/tag/{tag}"), None).await;
        assert_eq!(ids(&tagged), vec![public.clone()], "{tag}");
    }
    let (_, none) = app.get("/api/v1/timelines/tag/nothing", None).await;
    assert_eq!(none, json!([]));
    Ok(())
}

#[tokio::test]
async fn timelines_page_by_max_id_since_id_and_min_id() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let mut posted = Vec::new();
    for i in 0..7 {
        posted.push(app.say(&alice, &format!("post {i}")).await);
    }
    posted.reverse(); // newest first
    let path = format!("/api/v1/accounts/{}/statuses", alice.id);

    let mut seen = Vec::new();
    let mut next = Some(app.url(&format!("{path}?limit=3")));
    while let Some(url) = next.take() {
        let resp = app.client.get(&url).send().await?;
        let link = resp.headers().get("link").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let page: serde_json::Value = resp.json().await?;
        seen.extend(ids(&page));
        next = link
            .split(", ")
            .find(|l| l.ends_with("rel=\"next\""))
            .map(|l| l.trim_start_matches('<').split('>').next().unwrap_or_default().to_string());
    }
    assert_eq!(seen, posted, "every status once, newest first");

    let (_, since) = app.get(&format!("{path}?since_id={}&limit=2", posted[4]), None).await;
    assert_eq!(ids(&since), posted[0..2].to_vec(), "since_id: the newest above it");
    let (_, min) = app.get(&format!("{path}?min_id={}&limit=2", posted[4]), None).await;
    assert_eq!(ids(&min), posted[2..4].to_vec(), "min_id: the ones right above it");
    let (_, max) = app.get(&format!("{path}?max_id={}&limit=2", posted[1]), None).await;
    assert_eq!(ids(&max), posted[2..4].to_vec());
    let (_, clamped) = app.get(&format!("{path}?limit=1000"), None).await;
    assert_eq!(ids(&clamped).len(), 7);
    let (status, _) = app.call(Method::GET, &format!("{path}?limit=lots"), None, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    Ok(())
}

#[tokio::test]
async fn account_statuses_filter_replies_and_reblogs() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let bobs = app.say(&bob, "bob's").await;
    let plain = app.say(&alice, "plain").await;
    let reply = app.post_status(&alice, json!({"status": "@bob reply", "in_reply_to_id": bobs})).await;
    let reblog = app.post(&format!("/api/v1/statuses/{bobs}/reblog"), Some(&alice.token), json!({})).await.1;
    let path = format!("/api/v1/accounts/{}/statuses", alice.id);
    let (_, all) = app.get(&path, None).await;
    assert_eq!(
        ids(&all),
        vec![
            reblog["id"].as_str().unwrap_or_default().to_string(),
            reply["id"].as_str().unwrap_or_default().to_string(),
            plain.clone()
        ]
    );
    let (_, no_replies) = app.get(&format!("{path}?exclude_replies=true&exclude_reblogs=true"), None).await;
    assert_eq!(ids(&no_replies), vec![plain]);
    let (_, pinned) = app.get(&format!("{path}?pinned=true"), None).await;
    assert_eq!(pinned, json!([]));
    Ok(())
}
