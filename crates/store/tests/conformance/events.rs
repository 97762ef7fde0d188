//! The event log: every change appends its event, in commit order, and nothing else does.

use starling_core::event::{EventKind, SCHEMA_VERSION};
use starling_core::model::*;
use starling_core::page::PageRequest;
use starling_core::{Id, Store};

use super::*;

pub async fn every_mutation_appends_its_event_in_order(store: &dyn Store) {
    let app = store
        .create_app(NewApp {
            id: id(),
            name: "app".into(),
            website: None,
            redirect_uris: vec!["urn:ietf:wg:oauth:2.0:oob".into()],
            scopes: "read".into(),
            client_id: "client".into(),
            client_secret: "secret".into(),
            created_at: Timestamp::now(),
        })
        .await
        .unwrap();
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let token = store
        .create_token(NewToken {
            id: id(),
            app_id: app.id,
            account_id: Some(alice.id),
            scopes: "read".into(),
            created_at: Timestamp::now(),
            expires_at: None,
            grant: "password".into(),
        })
        .await
        .unwrap();
    store.revoke_token(token.id).await.unwrap();
    store.revoke_token(token.id).await.unwrap();
    store.update_account(alice.id, AccountUpdate { bot: Some(true), ..Default::default() }).await.unwrap();
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(bob.id, alice.id).await.unwrap();
    let status = post(store, &alice, "hello").await;
    store
        .edit_status(
            status.id,
            StatusEdit {
                text: "hello!".into(),
                content: "<p>hello!</p>".into(),
                spoiler_text: String::new(),
                sensitive: false,
                language: None,
                mentions: vec![],
                tags: vec![],
                edited_at: Timestamp::now(),
            },
        )
        .await
        .unwrap();
    store.favourite(bob.id, status.id, Timestamp::now()).await.unwrap();
    store.favourite(bob.id, status.id, Timestamp::now()).await.unwrap();
    store.unfavourite(bob.id, status.id, Timestamp::now()).await.unwrap();
    reblog(store, &bob, &status).await;
    reblog(store, &bob, &status).await;
    store.unreblog(bob.id, status.id, Timestamp::now()).await.unwrap();
    store.unreblog(bob.id, status.id, Timestamp::now()).await.unwrap();
    store.unfollow(bob.id, alice.id).await.unwrap();
    store.unfollow(bob.id, alice.id).await.unwrap();
    store.delete_status(status.id, alice.id, Timestamp::now()).await.unwrap();
    // Reads and authorization codes leave no trace in the log.
    store.home_timeline(alice.id, PageRequest::first(20)).await.unwrap();
    store
        .create_auth_code(AuthCode {
            code_hash: "h".into(),
            app_id: app.id,
            account_id: alice.id,
            redirect_uri: "urn:ietf:wg:oauth:2.0:oob".into(),
            scopes: "read".into(),
            code_challenge: None,
            code_challenge_method: None,
            expires_at: Timestamp::now(),
        })
        .await
        .unwrap();
    store.take_auth_code("h").await.unwrap();

    let events = all_events(store).await;
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    use EventKind::*;
    assert_eq!(
        kinds,
        vec![
            AppCreated,
            AccountCreated,
            AccountCreated,
            TokenIssued,
            TokenRevoked,
            AccountUpdated,
            Followed,
            StatusCreated,
            StatusEdited,
            Favourited,
            Unfavourited,
            Reblogged,
            Unreblogged,
            Unfollowed,
            StatusDeleted,
        ]
    );
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq), "sequence numbers increase");
    assert!(events.iter().all(|e| e.schema_version == SCHEMA_VERSION));
    assert!(events.iter().all(|e| e.created_at.0 > 0));
    let subjects: Vec<Option<Id>> = events.iter().map(|e| e.subject_id).collect();
    assert_eq!(subjects[0], Some(app.id));
    assert_eq!(subjects[3], Some(token.id));
    assert_eq!(subjects[7], Some(status.id));
    assert_eq!(events[5].payload["bot"], true);
}

pub async fn events_after_pages_through_the_log(store: &dyn Store) {
    assert!(store.events_after(0, 10).await.unwrap().is_empty());
    for i in 0..5 {
        account(store, &format!("user{i}")).await;
    }
    let all = all_events(store).await;
    assert_eq!(all.len(), 5);
    let first = store.events_after(0, 2).await.unwrap();
    assert_eq!(first, all[..2]);
    let next = store.events_after(first[1].seq, 2).await.unwrap();
    assert_eq!(next, all[2..4]);
    let rest = store.events_after(next[1].seq, 10).await.unwrap();
    assert_eq!(rest, all[4..]);
    assert!(store.events_after(all[4].seq, 10).await.unwrap().is_empty());
    assert!(store.events_after(0, 0).await.unwrap().is_empty());
    let usernames: Vec<String> =
        all.iter().map(|e| e.payload["username"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(usernames, ["user0", "user1", "user2", "user3", "user4"]);
}

pub async fn the_log_knows_its_last_sequence_and_pages_each_actors_events(store: &dyn Store) {
    assert_eq!(store.last_event_seq().await.unwrap(), 0, "an empty log");
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    assert_eq!(store.last_event_seq().await.unwrap(), last_seq(store).await);
    for i in 0..3 {
        post(store, &alice, &format!("s{i}")).await;
        post(store, &bob, &format!("b{i}")).await;
    }
    store.follow(alice.id, bob.id).await.unwrap();
    let all = all_events(store).await;
    assert_eq!(store.last_event_seq().await.unwrap(), all.last().map_or(0, |e| e.seq));

    let mine: Vec<_> = all.iter().filter(|e| e.actor_id == Some(alice.id)).cloned().collect();
    assert_eq!(mine.len(), 5);
    let page = store.events_by_actor(alice.id, PageRequest::first(40)).await.unwrap();
    assert_eq!(page.items, mine.iter().rev().cloned().collect::<Vec<_>>(), "newest first, only the actor's");
    assert_eq!(page.cursors, mine.iter().rev().map(|e| Id(e.seq)).collect::<Vec<_>>(), "the cursors are sequences");

    let seq = |i: usize| Id(mine[i].seq);
    let req = |max_id: Option<usize>, since_id: Option<usize>, min_id: Option<usize>, limit: u32| PageRequest {
        max_id: max_id.map(seq),
        since_id: since_id.map(seq),
        min_id: min_id.map(seq),
        limit,
    };
    let cases: Vec<(PageRequest, Vec<Id>)> = vec![
        (req(None, None, None, 2), vec![seq(4), seq(3)]),
        (req(Some(3), None, None, 2), vec![seq(2), seq(1)]),
        (req(Some(0), None, None, 2), vec![]),
        (req(None, None, Some(1), 2), vec![seq(3), seq(2)]),
        (req(None, None, Some(4), 5), vec![]),
        (req(None, Some(1), None, 2), vec![seq(4), seq(3)]),
        (req(Some(4), Some(1), None, 10), vec![seq(3), seq(2)]),
    ];
    for (request, expected) in cases {
        let page = store.events_by_actor(alice.id, request).await.unwrap();
        assert_eq!(page.items.iter().map(|e| Id(e.seq)).collect::<Vec<_>>(), expected, "{request:?}");
        assert_eq!(page.cursors, expected);
    }
    assert!(store.events_by_actor(Id(42), PageRequest::first(40)).await.unwrap().items.is_empty());
}
