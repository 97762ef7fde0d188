//! Keyword filters over the API: `hide` takes matching statuses out of the contexts it names,
//! `warn` marks them (`filtered`), live streams follow both, and every change reaches the
//! owner's streams as `filters_changed`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn ok(app: &TestApp, method: Method, path: &str, user: &User, body: Option<Value>) -> Value {
    let (status, answer) = app.call(method.clone(), path, Some(&user.token), body).await;
    assert_eq!(status, StatusCode::OK, "{method} {path}: {answer}");
    answer
}

fn find<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|s| s["id"] == id)
}

#[tokio::test]
async fn a_hide_filter_removes_a_matching_post_from_home_and_a_warn_filter_marks_it() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&alice, &bob).await;
    let soup = app.say(&bob, "I love SOUP").await;
    let finale = app.say(&bob, "what a finale!").await;
    let plain = app.say(&bob, "nothing to see").await;
    let mut alice_home = app.stream(&format!("stream=user&access_token={}", alice.token)).await;

    let hide = ok(
        &app,
        Method::POST,
        "/api/v2/filters",
        &alice,
        Some(json!({ "title": "No soup", "context": ["home"], "filter_action": "hide",
                     "keywords_attributes": [{ "keyword": "soup", "whole_word": true }] })),
    )
    .await;
    assert_eq!((hide["filter_action"].as_str(), hide["context"].clone()), (Some("hide"), json!(["home"])), "{hide}");
    assert_eq!(hide["keywords"][0]["keyword"], "soup");
    assert_eq!(alice_home.next_of(&["filters_changed"]).await.event, "filters_changed");
    // A form, as many clients send it, with the keywords unindexed.
    let (status, warn) = app
        .call(
            Method::POST,
            "/api/v2/filters?title=Spoilers&context[]=home&context[]=public&filter_action=warn\
             &keywords_attributes[][keyword]=finale&keywords_attributes[][whole_word]=false&expires_in=3600",
            Some(&alice.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{warn}");
    assert!(warn["expires_at"].is_string(), "{warn}");
    let warn_id = warn["id"].as_str().expect("id").to_string();

    let home = ok(&app, Method::GET, "/api/v1/timelines/home", &alice, None).await;
    assert!(find(&home, &soup).is_none(), "hidden at home: {home}");
    let marked = find(&home, &finale).expect("warned, not hidden");
    assert_eq!(marked["filtered"][0]["filter"]["title"], "Spoilers", "{marked}");
    assert_eq!(marked["filtered"][0]["keyword_matches"], json!(["finale"]));
    assert_eq!(find(&home, &plain).expect("shown")["filtered"], json!([]));
    // Where the hide filter does not apply, the post shows; the warn filter marks in public.
    let public = ok(&app, Method::GET, "/api/v1/timelines/public", &alice, None).await;
    assert_eq!(find(&public, &soup).expect("public shows it")["filtered"], json!([]));
    assert_eq!(find(&public, &finale).expect("marked")["filtered"][0]["filter"]["id"], warn_id);
    // Filters are their owner's: bob sees everything unmarked.
    let bobs = ok(&app, Method::GET, &format!("/api/v1/accounts/{}/statuses", bob.id), &bob, None).await;
    assert!(bobs.as_array().into_iter().flatten().all(|s| s["filtered"] == json!([])));
    let (status, _) = app.get(&format!("/api/v2/filters/{warn_id}"), Some(&bob.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Live: a hidden post does not reach alice's home stream; the next one does.
    let more = app.say(&bob, "more soup please").await;
    let next = app.say(&bob, "just bread").await;
    let update = alice_home.next_of(&["update"]).await.json();
    assert_eq!(update["id"], next, "{more} was held back");

    // Changed: the hide filter now covers public too, and a keyword is added and removed.
    let hide_id = hide["id"].as_str().expect("id").to_string();
    let soup_keyword = hide["keywords"][0]["id"].as_str().expect("keyword id").to_string();
    let changed = ok(
        &app,
        Method::PUT,
        &format!("/api/v2/filters/{hide_id}"),
        &alice,
        Some(json!({ "context": ["home", "public"],
                     "keywords_attributes": [{ "keyword": "broth" }, { "id": soup_keyword, "keyword": "soup", "whole_word": false }] })),
    )
    .await;
    let words: Vec<&str> =
        changed["keywords"].as_array().into_iter().flatten().filter_map(|k| k["keyword"].as_str()).collect();
    assert_eq!(words, vec!["soup", "broth"], "{changed}");
    assert_eq!(alice_home.next_of(&["filters_changed"]).await.event, "filters_changed");
    let public = ok(&app, Method::GET, "/api/v1/timelines/public", &alice, None).await;
    assert!(find(&public, &soup).is_none() && find(&public, &more).is_none(), "{public}");
    let broth = ok(&app, Method::GET, &format!("/api/v2/filters/{hide_id}/keywords"), &alice, None).await;
    let broth = broth[1]["id"].as_str().expect("broth's id").to_string();
    ok(&app, Method::DELETE, &format!("/api/v2/filters/keywords/{broth}"), &alice, None).await;
    let (status, _) = app.get(&format!("/api/v2/filters/keywords/{broth}"), Some(&alice.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let added = ok(
        &app,
        Method::POST,
        &format!("/api/v2/filters/{hide_id}/keywords"),
        &alice,
        Some(json!({ "keyword": "stew" })),
    )
    .await;
    assert_eq!((added["keyword"].as_str(), added["whole_word"].as_bool()), (Some("stew"), Some(true)));
    let (status, _) =
        app.get(&format!("/api/v2/filters/keywords/{}", added["id"].as_str().unwrap_or("")), Some(&bob.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a keyword is its filter's owner's");

    // Deleted, the post is back at home.
    ok(&app, Method::DELETE, &format!("/api/v2/filters/{hide_id}"), &alice, None).await;
    assert!(crate::helpers::home(&app, &alice, "").await.contains(&soup));
    let listed = ok(&app, Method::GET, "/api/v2/filters", &alice, None).await;
    assert_eq!(ids(&listed), vec![warn_id]);
}

#[tokio::test]
async fn filters_refuse_what_makes_no_sense() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    for body in [
        json!({ "context": ["home"] }),
        json!({ "title": "  ", "context": ["home"] }),
        json!({ "title": "t" }),
        json!({ "title": "t", "context": ["everywhere"] }),
        json!({ "title": "t", "context": ["home"], "filter_action": "blur" }),
        json!({ "title": "t", "context": ["home"], "keywords_attributes": [{ "keyword": "" }] }),
        json!({ "title": "t", "context": ["home"], "keywords_attributes": [{ "id": "1", "keyword": "x" }] }),
        json!({ "title": "t", "context": ["home"], "expires_in": -5 }),
    ] {
        let (status, answer) = app.post("/api/v2/filters", Some(&alice.token), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
    }
    let (_, listed) = app.get("/api/v2/filters", Some(&alice.token)).await;
    assert_eq!(listed, json!([]), "nothing was stored");
    let (status, _) = app.get("/api/v2/filters", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
