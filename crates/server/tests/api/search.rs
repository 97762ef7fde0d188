//! `GET /api/v2/search` over real HTTP: what it finds, and only for whom it may.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn search(app: &TestApp, user: Option<&User>, query: &str) -> Value {
    let (status, found) = app.get(&format!("/api/v2/search?{query}"), user.map(|u| u.token.as_str())).await;
    assert_eq!(status, StatusCode::OK, "{query}: {found}");
    found
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|v| v[key].as_str().map(String::from)).collect()
}

#[tokio::test]
async fn a_status_is_found_by_its_words_only_by_those_who_may_see_it() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    app.follow(&bob, &alice).await;
    let public = app.say(&alice, "Penguins are wonderful birds").await;
    let private =
        app.post_status(&alice, json!({"status": "penguins for my followers", "visibility": "private"})).await;
    let private = private["id"].as_str().unwrap_or_default().to_string();

    // Searchable within a second of being posted.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    let found = loop {
        let found = search(&app, Some(&bob), "q=penguins&type=statuses").await;
        if ids(&found["statuses"]).len() == 2 || tokio::time::Instant::now() >= deadline {
            break found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let mut ids = ids(&found["statuses"]);
    ids.sort();
    let mut expected = vec![public.clone(), private.clone()];
    expected.sort();
    assert_eq!(ids, expected, "bob follows alice");
    assert_eq!(found["accounts"], json!([]));
    assert_eq!(ids_of(&search(&app, Some(&eve), "q=penguins").await), vec![public.clone()], "eve does not");
    assert_eq!(ids_of(&search(&app, None, "q=penguins").await), vec![public.clone()], "nor does anyone anonymous");
    assert_eq!(ids_of(&search(&app, None, "q=wonderful+penguins").await), vec![public.clone()]);
    assert!(ids_of(&search(&app, None, "q=penguins+kangaroos").await).is_empty(), "every word");
    let mine = search(&app, Some(&bob), &format!("q=penguins&type=statuses&account_id={}", bob.id)).await;
    assert_eq!(mine["statuses"], json!([]));
    // The caller's own flags come with what is found.
    app.post(&format!("/api/v1/statuses/{public}/favourite"), Some(&bob.token), json!({})).await;
    let found = search(&app, Some(&bob), "q=wonderful").await;
    assert_eq!(found["statuses"][0]["favourited"], true);
    Ok(())
}

fn ids_of(found: &Value) -> Vec<String> {
    ids(&found["statuses"])
}

#[tokio::test]
async fn accounts_and_hashtags_are_found_by_prefix() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let alina = app.sign_up("alina").await;
    let bob = app.sign_up("bob").await;
    app.call(
        reqwest::Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&bob.token),
        Some(json!({"display_name": "Alien Bob"})),
    )
    .await;
    let found = search(&app, Some(&alice), "q=ali&type=accounts").await;
    assert_eq!(names(&found["accounts"], "username"), vec!["alice", "alina", "bob"]);
    let handle = format!("q=%40alina%40{}&type=accounts", app.state.settings.domain());
    assert_eq!(names(&search(&app, None, &handle).await["accounts"], "username")[0], "alina");
    app.follow(&alice, &bob).await;
    let followed = search(&app, Some(&alice), "q=ali&type=accounts&following=true").await;
    assert_eq!(names(&followed["accounts"], "username"), vec!["bob"]);
    let _ = alina;

    for text in ["#rustlang is fun", "more #rustlang", "#rusty tools", "#go"] {
        app.say(&alice, text).await;
    }
    let tags = search(&app, None, "q=%23rust&type=hashtags").await;
    assert_eq!(names(&tags["hashtags"], "name"), vec!["rustlang", "rusty"]);
    assert!(tags["hashtags"][0]["url"].as_str().unwrap_or_default().ends_with("/tags/rustlang"));
    assert_eq!(search(&app, None, "q=rust&type=hashtags&limit=1").await["hashtags"].as_array().map(Vec::len), Some(1));

    for (query, code) in [
        ("", StatusCode::BAD_REQUEST),
        ("q=x&type=people", StatusCode::BAD_REQUEST),
        ("q=x&following=true", StatusCode::UNAUTHORIZED),
    ] {
        let (status, body) = app.get(&format!("/api/v2/search?{query}"), None).await;
        assert_eq!(status, code, "{query}: {body}");
    }
    Ok(())
}

#[tokio::test]
async fn resolve_true_or_false_is_accepted_and_finds_the_same() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let puffins = app.say(&alice, "#puffins nest on the cliffs").await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let plain = loop {
        let found = search(&app, Some(&alice), "q=puffins").await;
        if ids_of(&found) == vec![puffins.clone()] {
            break found;
        }
        assert!(tokio::time::Instant::now() < deadline, "not indexed: {found}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(names(&plain["hashtags"], "name"), vec!["puffins"]);
    // Clients send `resolve=true` to look a handle up, and `resolve=false` for what is known:
    // every account is local, so both must find what a plain search finds.
    let handle = format!("q=%40alice%40{}", app.state.settings.domain());
    let plain_handle = search(&app, Some(&alice), &handle).await;
    assert_eq!(names(&plain_handle["accounts"], "username"), vec!["alice"]);
    for resolve in ["false", "true"] {
        assert_eq!(search(&app, Some(&alice), &format!("q=puffins&resolve={resolve}")).await, plain, "{resolve}");
        assert_eq!(search(&app, Some(&alice), &format!("{handle}&resolve={resolve}")).await, plain_handle, "{resolve}");
        let anonymous = search(&app, None, &format!("{handle}&type=accounts&resolve={resolve}")).await;
        assert_eq!(names(&anonymous["accounts"], "username"), vec!["alice"], "{resolve}");
    }
    Ok(())
}
