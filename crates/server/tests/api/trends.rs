//! Trends over real HTTP and WebSocket: hashtags by distinct accounts, statuses by fresh
//! engagement, and the `trends` event on public streams.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

fn names(list: &Value) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|t| t["name"].as_str().map(String::from)).collect()
}

#[tokio::test]
async fn a_tag_five_accounts_use_trends_above_one_posted_fifty_times_by_one() -> TestResult {
    let app = spawn_app_with(|s| s.trends_interval = std::time::Duration::from_millis(200)).await;
    let mut public = app.stream("stream=public").await;
    let loud = app.sign_up("loud").await;
    for i in 0..50 {
        app.say(&loud, &format!("buy now #spam {i}")).await;
    }
    let mut crowd = Vec::new();
    for i in 0..5 {
        let user = app.sign_up(&format!("fan{i}")).await;
        app.say(&user, "what a match #finals").await;
        crowd.push(user);
    }
    app.say(&crowd[0], "and again #finals").await;

    let (status, trending) = app.get("/api/v1/trends/tags", None).await;
    assert_eq!(status, StatusCode::OK, "{trending}");
    assert_eq!(names(&trending), vec!["finals"], "one account cannot make a tag trend");
    let today = &trending[0]["history"][0];
    assert_eq!((today["uses"].as_str(), today["accounts"].as_str()), (Some("6"), Some("5")));
    assert_eq!(trending[0]["history"].as_array().map(Vec::len), Some(7));
    let (_, alias) = app.get("/api/v1/trends", None).await;
    assert_eq!(names(&alias), vec!["finals"]);

    // The tag itself, and in search, with the same history; a tag nobody used is 404.
    let (status, tag) = app.get("/api/v1/tags/Finals", None).await;
    assert_eq!((status, tag["name"].as_str()), (StatusCode::OK, Some("finals")));
    assert_eq!(tag["history"][0]["accounts"], "5");
    let (_, spam) = app.get("/api/v1/tags/spam", None).await;
    assert_eq!((spam["history"][0]["uses"].as_str(), spam["history"][0]["accounts"].as_str()), (Some("50"), Some("1")));
    let (status, _) = app.get("/api/v1/tags/neverused", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, found) = app.get("/api/v2/search?q=fin&type=hashtags", None).await;
    assert_eq!(found["hashtags"][0]["history"][0]["accounts"], "5");

    // Public streams hear the new list, as a signal (no event id).
    let event = public.next_of(&["trends"]).await;
    assert_eq!(names(&event.json()), vec!["finals"]);
    assert_eq!(event.event_id, -1);
    Ok(())
}

#[tokio::test]
async fn statuses_trend_by_fresh_engagement_and_only_public_ones() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    let quiet = app.say(&alice, "nobody notices").await;
    let liked = app.say(&alice, "a nice thought").await;
    let hot = app.say(&alice, "a great thought").await;
    let private = app.post_status(&alice, json!({"status": "for friends", "visibility": "private"})).await;
    let private = private["id"].as_str().unwrap_or_default().to_string();
    app.follow(&bob, &alice).await;
    for fan in [&bob, &carol] {
        app.post(&format!("/api/v1/statuses/{hot}/favourite"), Some(&fan.token), json!({})).await;
    }
    app.post(&format!("/api/v1/statuses/{hot}/reblog"), Some(&carol.token), json!({})).await;
    app.post(&format!("/api/v1/statuses/{liked}/favourite"), Some(&bob.token), json!({})).await;
    app.post(&format!("/api/v1/statuses/{private}/favourite"), Some(&bob.token), json!({})).await;

    let (status, trending) = app.get("/api/v1/trends/statuses", Some(&bob.token)).await;
    assert_eq!(status, StatusCode::OK, "{trending}");
    assert_eq!(ids(&trending), vec![hot.clone(), liked.clone()], "{quiet} has no engagement");
    assert_eq!(trending[0]["favourited"], true, "with the reader's own flags");
    let (_, page) = app.get("/api/v1/trends/statuses?limit=1&offset=1", None).await;
    assert_eq!(ids(&page), vec![liked]);
    Ok(())
}
