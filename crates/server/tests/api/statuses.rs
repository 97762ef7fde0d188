use reqwest::{Method, StatusCode};
use serde_json::json;
use starling_core::event::EventKind;

use crate::helpers::*;

#[tokio::test]
async fn a_status_is_rendered_to_safe_html_with_tags_and_mentions() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let status = app
        .post_status(
            &alice,
            json!({"status": "Hi @bob! <script>alert(1)</script> #Rust https://example.org/x", "language": "en"}),
        )
        .await;
    let content = status["content"].as_str().unwrap_or_default();
    assert!(!content.contains("<script>"), "{content}");
    assert!(content.contains("&lt;script&gt;"), "{content}");
    assert!(content.contains("href=\"https://example.org/x\""), "{content}");
    assert!(content.contains(&format!("href=\"{}/tags/rust\"", app.base)), "{content}");
    assert_eq!(status["tags"], json!([{"name": "rust", "url": format!("{}/tags/rust", app.base)}]));
    assert_eq!(status["mentions"][0]["id"], bob.id.as_str());
    assert_eq!(status["mentions"][0]["acct"], "bob");
    assert_eq!(status["visibility"], "public");
    assert_eq!(status["language"], "en");
    assert_eq!(status["account"]["id"], alice.id.as_str());
    assert_eq!(status["application"]["name"], "tests");
    assert_eq!(status["favourited"], false);
    assert_eq!(app.account(&alice).await["statuses_count"], 1);
    Ok(())
}

#[tokio::test]
async fn a_status_longer_than_500_characters_or_empty_is_rejected() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let (status, body) = app.post("/api/v1/statuses", Some(&alice.token), json!({"status": "a".repeat(501)})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "Validation failed: Text character limit of 500 exceeded");
    let (status, body) = app.post("/api/v1/statuses", Some(&alice.token), json!({"status": "   "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "Validation failed: Text can't be blank");
    let (status, _) =
        app.post("/api/v1/statuses", Some(&alice.token), json!({"status": "x", "visibility": "secret"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.account(&alice).await["statuses_count"], 0, "nothing was stored");
    Ok(())
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retry_return_the_same_status() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let send = || {
        app.client
            .post(app.url("/api/v1/statuses"))
            .bearer_auth(&alice.token)
            .header("Idempotency-Key", "retry-1")
            .json(&json!({"status": "only once"}))
            .send()
    };
    let first: serde_json::Value = send().await?.json().await?;
    let second: serde_json::Value = send().await?.json().await?;
    assert_eq!(first["id"], second["id"]);
    assert_eq!(app.account(&alice).await["statuses_count"], 1);
    Ok(())
}

#[tokio::test]
async fn edits_keep_every_version_oldest_first() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let id = app.say(&alice, "first #one").await;
    let (status, edited) = app
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{id}"),
            Some(&alice.token),
            Some(json!({"status": "second #two"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert!(edited["edited_at"].is_string());
    assert_eq!(edited["tags"][0]["name"], "two");
    app.call(
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&alice.token),
        Some(json!({"status": "third", "spoiler_text": "cw"})),
    )
    .await;
    let (status, history) = app.get(&format!("/api/v1/statuses/{id}/history"), Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK);
    let contents: Vec<&str> = history.as_array().into_iter().flatten().filter_map(|v| v["content"].as_str()).collect();
    assert_eq!(contents.len(), 3);
    assert!(
        contents[0].contains("first") && contents[1].contains("second") && contents[2].contains("third"),
        "{contents:?}"
    );
    assert_eq!(history[2]["spoiler_text"], "cw");
    assert_eq!(history[2]["sensitive"], true);
    let (_, source) = app.get(&format!("/api/v1/statuses/{id}/source"), Some(&alice.token)).await;
    assert_eq!(source, json!({"id": id, "text": "third", "spoiler_text": "cw"}));
    let (_, tagged) = app.get("/api/v1/timelines/tag/one", None).await;
    assert!(ids(&tagged).is_empty(), "the old tag no longer applies");
    Ok(())
}

#[tokio::test]
async fn nobody_edits_or_deletes_someone_elses_status() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let mallory = app.sign_up("mallory").await;
    let id = app.say(&alice, "mine").await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{id}"),
            Some(&mallory.token),
            Some(json!({"status": "yours now"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&mallory.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, still) = app.get(&format!("/api/v1/statuses/{id}"), None).await;
    assert!(still["content"].as_str().unwrap_or_default().contains("mine"));
    Ok(())
}

#[tokio::test]
async fn deleting_a_status_removes_it_with_its_reblogs_and_fixes_counters() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let id = app.say(&alice, "soon gone").await;
    let reply = app.post_status(&bob, json!({"status": "reply", "in_reply_to_id": id})).await;
    app.post(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token), json!({})).await;
    app.post(&format!("/api/v1/statuses/{id}/favourite"), Some(&bob.token), json!({})).await;
    assert_eq!(app.account(&bob).await["statuses_count"], 2);

    let (status, deleted) = app.call(Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&alice.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["text"], "soon gone", "delete-and-redraft gets the source");
    assert_eq!(app.get(&format!("/api/v1/statuses/{id}"), Some(&alice.token)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.account(&alice).await["statuses_count"], 0);
    assert_eq!(app.account(&bob).await["statuses_count"], 1, "the reblog went with it; the reply stays");
    let (_, kept) = app.get(&format!("/api/v1/statuses/{}", reply["id"].as_str().unwrap_or_default()), None).await;
    assert_eq!(kept["in_reply_to_id"], id.as_str());
    let (_, favs) = app.get("/api/v1/favourites", Some(&bob.token)).await;
    assert!(ids(&favs).is_empty());
    Ok(())
}

#[tokio::test]
async fn replies_count_and_thread_context() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let root = app.say(&alice, "root").await;
    let r1 = app.post_status(&bob, json!({"status": "@alice r1", "in_reply_to_id": root})).await;
    let r1 = r1["id"].as_str().unwrap_or_default().to_string();
    let r2 = app.post_status(&alice, json!({"status": "r2", "in_reply_to_id": r1})).await;
    let r2 = r2["id"].as_str().unwrap_or_default().to_string();
    let r3 = app.post_status(&bob, json!({"status": "r3", "in_reply_to_id": root})).await;
    let r3 = r3["id"].as_str().unwrap_or_default().to_string();

    let (_, root_status) = app.get(&format!("/api/v1/statuses/{root}"), None).await;
    assert_eq!(root_status["replies_count"], 2);
    let (_, r1_status) = app.get(&format!("/api/v1/statuses/{r1}"), None).await;
    assert_eq!(r1_status["in_reply_to_account_id"], alice.id.as_str());

    let (_, ctx) = app.get(&format!("/api/v1/statuses/{r2}/context"), None).await;
    assert_eq!(ids(&ctx["ancestors"]), vec![root.clone(), r1.clone()]);
    assert!(ids(&ctx["descendants"]).is_empty());
    let (_, ctx) = app.get(&format!("/api/v1/statuses/{root}/context"), None).await;
    assert_eq!(ids(&ctx["descendants"]), vec![r1, r2, r3]);
    let (status, body) =
        app.post("/api/v1/statuses", Some(&bob.token), json!({"status": "x", "in_reply_to_id": "999"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    Ok(())
}

#[tokio::test]
async fn favourites_and_reblogs_are_counted_once_and_undone() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    let id = app.say(&alice, "like me").await;
    for user in [&bob, &carol, &bob] {
        let (status, s) = app.post(&format!("/api/v1/statuses/{id}/favourite"), Some(&user.token), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(s["favourited"], true);
    }
    let (status, reblog) = app.post(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{reblog}");
    assert_eq!(reblog["reblog"]["id"], id.as_str());
    assert_eq!(reblog["reblog"]["reblogged"], true);
    let (_, again) = app.post(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token), json!({})).await;
    assert_eq!(again["id"], reblog["id"], "reblogging twice returns the first reblog");

    let (_, s) = app.get(&format!("/api/v1/statuses/{id}"), Some(&bob.token)).await;
    assert_eq!((s["favourites_count"].as_i64(), s["reblogs_count"].as_i64()), (Some(2), Some(1)));
    assert_eq!((s["favourited"].as_bool(), s["reblogged"].as_bool()), (Some(true), Some(true)));
    let (_, s) = app.get(&format!("/api/v1/statuses/{id}"), Some(&alice.token)).await;
    assert_eq!((s["favourited"].as_bool(), s["reblogged"].as_bool()), (Some(false), Some(false)));

    let (_, by) = app.get(&format!("/api/v1/statuses/{id}/favourited_by"), None).await;
    assert_eq!(ids(&by), vec![carol.id.clone(), bob.id.clone()]);
    let (_, by) = app.get(&format!("/api/v1/statuses/{id}/reblogged_by"), None).await;
    assert_eq!(ids(&by), vec![bob.id.clone()]);
    let (_, favs) = app.get("/api/v1/favourites", Some(&carol.token)).await;
    assert_eq!(ids(&favs), vec![id.clone()]);

    let (_, s) = app.post(&format!("/api/v1/statuses/{id}/unfavourite"), Some(&bob.token), json!({})).await;
    assert_eq!((s["favourites_count"].as_i64(), s["favourited"].as_bool()), (Some(1), Some(false)));
    let (_, s) = app.post(&format!("/api/v1/statuses/{id}/unreblog"), Some(&bob.token), json!({})).await;
    assert_eq!((s["reblogs_count"].as_i64(), s["reblogged"].as_bool()), (Some(0), Some(false)));
    assert_eq!(app.account(&bob).await["statuses_count"], 0);
    Ok(())
}

#[tokio::test]
async fn private_statuses_reach_followers_and_direct_ones_the_mentioned_only() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let follower = app.sign_up("follower").await;
    let stranger = app.sign_up("stranger").await;
    let friend = app.sign_up("friend").await;
    app.follow(&follower, &alice).await;
    let private = app.post_status(&alice, json!({"status": "followers only", "visibility": "private"})).await;
    let direct = app.post_status(&alice, json!({"status": "@friend psst", "visibility": "direct"})).await;
    let private = private["id"].as_str().unwrap_or_default();
    let direct = direct["id"].as_str().unwrap_or_default();

    let app = &app;
    let can = |user: Option<&User>, id: &str| {
        let path = format!("/api/v1/statuses/{id}");
        let token = user.map(|u| u.token.clone());
        async move { app.get(&path, token.as_deref()).await.0 == StatusCode::OK }
    };
    assert!(can(Some(&alice), private).await && can(Some(&follower), private).await);
    assert!(!can(Some(&stranger), private).await && !can(None, private).await);
    assert!(can(Some(&alice), direct).await && can(Some(&friend), direct).await);
    assert!(!can(Some(&follower), direct).await && !can(Some(&stranger), direct).await);

    let (_, for_stranger) = app.get(&format!("/api/v1/accounts/{}/statuses", alice.id), Some(&stranger.token)).await;
    assert!(ids(&for_stranger).is_empty());
    let (_, for_follower) = app.get(&format!("/api/v1/accounts/{}/statuses", alice.id), Some(&follower.token)).await;
    assert_eq!(ids(&for_follower), vec![private.to_string()]);
    let (status, _) = app.post(&format!("/api/v1/statuses/{private}/reblog"), Some(&follower.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "private statuses cannot be reblogged by others");
    let (status, _) =
        app.post(&format!("/api/v1/statuses/{private}/favourite"), Some(&stranger.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "what one cannot see one cannot favourite");
    assert_eq!(app.account(&alice).await["statuses_count"], 1, "direct statuses are not counted");
    Ok(())
}

#[tokio::test]
async fn every_action_is_in_the_event_log() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &alice).await;
    let id = app.say(&alice, "logged").await;
    app.call(
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&alice.token),
        Some(json!({"status": "logged twice"})),
    )
    .await;
    app.post(&format!("/api/v1/statuses/{id}/favourite"), Some(&bob.token), json!({})).await;
    app.post(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token), json!({})).await;
    app.post(&format!("/api/v1/accounts/{}/unfollow", alice.id), Some(&bob.token), json!({})).await;
    app.call(Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&alice.token), None).await;

    let events = app.state.store.events_after(0, 1000).await?;
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    for expected in [
        EventKind::AppCreated,
        EventKind::AccountCreated,
        EventKind::TokenIssued,
        EventKind::Followed,
        EventKind::StatusCreated,
        EventKind::StatusEdited,
        EventKind::Favourited,
        EventKind::Reblogged,
        EventKind::Unfollowed,
        EventKind::StatusDeleted,
    ] {
        assert!(kinds.contains(&expected), "{expected:?} missing from {kinds:?}");
    }
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq), "sequence increases");
    let deleted =
        events.iter().rfind(|e| e.kind == EventKind::StatusDeleted).map(|e| e.subject_id.map(|s| s.to_string()));
    assert_eq!(deleted, Some(Some(id)));
    Ok(())
}

#[tokio::test]
async fn quote_posts_show_what_they_quote_to_those_who_may_see_it() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    app.follow(&bob, &alice).await;
    let original = app.say(&alice, "an original thought").await;
    let (status, _) = app.get(&format!("/api/v1/statuses/{original}"), Some(&bob.token)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, shown) = app.get(&format!("/api/v1/statuses/{original}"), Some(&bob.token)).await;
    assert_eq!(shown["quote"], serde_json::Value::Null);
    assert_eq!(shown["quote_approval"], json!({"automatic": ["public"], "manual": [], "current_user": "automatic"}));

    let quote = app.post_status(&bob, json!({"status": "so true", "quoted_status_id": original})).await;
    assert_eq!(quote["quote"]["state"], "accepted");
    assert_eq!(quote["quote"]["quoted_status"]["id"], original.as_str());
    assert_eq!(quote["quote"]["quoted_status"]["content"], "<p>an original thought</p>");
    let quote_id = quote["id"].as_str().unwrap_or_default().to_string();
    // A quote of a quote shows the first one in full, and what it quotes by id only.
    let nested = app.post_status(&carol, json!({"status": "meta", "quoted_status_id": quote_id})).await;
    assert_eq!(nested["quote"]["quoted_status"]["id"], quote_id.as_str());
    assert_eq!(nested["quote"]["quoted_status"]["quote"], json!({"state": "accepted", "quoted_status_id": original}));

    // Followers-only statuses: quotable by their author only, and the quote stays followers-only.
    let secret = app.post_status(&alice, json!({"status": "for my followers", "visibility": "private"})).await;
    let secret = secret["id"].as_str().unwrap_or_default().to_string();
    let (status, body) =
        app.post("/api/v1/statuses", Some(&bob.token), json!({"status": "x", "quoted_status_id": secret})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let own = app.post_status(&alice, json!({"status": "quoting myself", "quoted_status_id": secret})).await;
    assert_eq!((own["visibility"].as_str(), own["quote"]["state"].as_str()), (Some("private"), Some("accepted")));
    let own_id = own["id"].as_str().unwrap_or_default().to_string();
    let (_, as_bob) = app.get(&format!("/api/v1/statuses/{own_id}"), Some(&bob.token)).await;
    assert_eq!(as_bob["quote"]["quoted_status"]["id"], secret.as_str(), "bob follows alice: he may see it");
    assert_eq!(as_bob["quote_approval"]["current_user"], "denied");

    // What may not be quoted, and what does not exist.
    let dm = app.post_status(&alice, json!({"status": "@bob psst", "visibility": "direct"})).await;
    let dm = dm["id"].as_str().unwrap_or_default().to_string();
    for (id, who) in [(dm.as_str(), &bob), (secret.as_str(), &carol), ("123", &bob), ("nope", &bob)] {
        let (status, body) =
            app.post("/api/v1/statuses", Some(&who.token), json!({"status": "x", "quoted_status_id": id})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{id}: {body}");
    }

    // Deleted: the quote says so.
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/statuses/{original}"), Some(&alice.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, orphan) = app.get(&format!("/api/v1/statuses/{quote_id}"), None).await;
    assert_eq!(orphan["quote"], json!({"state": "deleted", "quoted_status": null}));
    Ok(())
}

#[tokio::test]
async fn bookmarks_are_private_and_listed_newest_first() -> TestResult {
    let app = spawn_app().await;
    let (alice, bob) = (app.sign_up("alice").await, app.sign_up("bob").await);
    let first = app.say(&bob, "worth keeping").await;
    let second = app.say(&bob, "also worth keeping").await;
    for id in [&first, &second] {
        let (status, body) = app.post(&format!("/api/v1/statuses/{id}/bookmark"), Some(&alice.token), json!({})).await;
        assert_eq!((status, &body["bookmarked"]), (StatusCode::OK, &json!(true)), "{body}");
    }
    let (_, list) = app.get("/api/v1/bookmarks", Some(&alice.token)).await;
    assert_eq!(ids(&list), vec![second.clone(), first.clone()]);
    // Bookmarks are the bookmarker's: bob sees none on his own post, and has none.
    let (_, seen_by_bob) = app.get(&format!("/api/v1/statuses/{first}"), Some(&bob.token)).await;
    assert_eq!(seen_by_bob["bookmarked"], false);
    assert_eq!(app.get("/api/v1/bookmarks", Some(&bob.token)).await.1, json!([]));
    let (_, body) = app.post(&format!("/api/v1/statuses/{first}/unbookmark"), Some(&alice.token), json!({})).await;
    assert_eq!(body["bookmarked"], false);
    assert_eq!(ids(&app.get("/api/v1/bookmarks?limit=1", Some(&alice.token)).await.1), vec![second.clone()]);
    // A private post bookmarked stays out of reach of whoever may not see it.
    let hidden = app.post_status(&bob, json!({"status": "followers only", "visibility": "private"})).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/statuses/{}/bookmark", hidden["id"].as_str().unwrap_or("-")),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn authors_pin_up_to_five_of_their_own_posts_to_their_profile() -> TestResult {
    let app = spawn_app().await;
    let (alice, bob) = (app.sign_up("alice").await, app.sign_up("bob").await);
    let mut posts = Vec::new();
    for i in 0..6 {
        posts.push(app.say(&alice, &format!("post {i}")).await);
    }
    for id in &posts[..5] {
        let (status, body) = app.post(&format!("/api/v1/statuses/{id}/pin"), Some(&alice.token), json!({})).await;
        assert_eq!((status, &body["pinned"]), (StatusCode::OK, &json!(true)), "{body}");
    }
    let (status, body) = app.post(&format!("/api/v1/statuses/{}/pin", posts[5]), Some(&alice.token), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a sixth: {body}");
    // Someone else's post, a private mention and a reblog cannot be pinned.
    let (status, _) = app.post(&format!("/api/v1/statuses/{}/pin", posts[0]), Some(&bob.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let dm = app.post_status(&alice, json!({"status": "@bob psst", "visibility": "direct"})).await;
    app.post(&format!("/api/v1/statuses/{}/unpin", posts[4]), Some(&alice.token), json!({})).await;
    let (status, _) = app
        .post(&format!("/api/v1/statuses/{}/pin", dm["id"].as_str().unwrap_or("-")), Some(&alice.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Anyone sees them on her profile, newest pin first.
    let (_, pinned) = app.get(&format!("/api/v1/accounts/{}/statuses?pinned=true", alice.id), None).await;
    let expected: Vec<String> = posts[..4].iter().rev().cloned().collect();
    assert_eq!(ids(&pinned), expected);
    let (_, all) = app.get(&format!("/api/v1/accounts/{}/statuses", alice.id), Some(&alice.token)).await;
    assert_eq!(all.as_array().map(Vec::len), Some(7), "the profile still has every post");
    Ok(())
}
