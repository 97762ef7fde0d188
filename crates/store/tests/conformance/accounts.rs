//! Accounts, apps, tokens, authorization codes and follows.

use starling_core::event::EventKind;
use starling_core::model::*;
use starling_core::page::PageRequest;
use starling_core::store::InstanceCounts;
use starling_core::{Id, Store, StoreError};

use super::*;

pub async fn accounts_are_created_and_found_by_id_and_username(store: &dyn Store) {
    let new = NewAccount { display_name: "Alice A.".into(), role: Role::Admin, ..new_account("Alice") };
    let alice = store.create_account(new.clone()).await.unwrap();
    assert_eq!(alice.id, new.id);
    assert_eq!(alice.username, "Alice");
    assert_eq!(alice.display_name, "Alice A.");
    assert_eq!(alice.role, Role::Admin);
    assert_eq!(alice.created_at, new.created_at);
    assert_eq!((alice.followers_count, alice.following_count, alice.statuses_count), (0, 0, 0));
    assert_eq!(alice.last_status_at, None);
    assert!(!alice.locked && !alice.bot);

    assert_eq!(store.account(alice.id).await.unwrap(), alice);
    assert_eq!(store.account_by_username("alice").await.unwrap(), alice, "lookup ignores case");
    assert_eq!(store.account_by_username("ALICE").await.unwrap(), alice);
    assert!(matches!(store.account_by_username("nobody").await, Err(StoreError::NotFound)));
    assert!(matches!(store.account(Id(42)).await, Err(StoreError::NotFound)));

    let bob = account(store, "bob").await;
    let found = store.accounts_by_usernames(&["BOB".into(), "alice".into(), "carol".into()]).await.unwrap();
    let mut found = ids_of(&found);
    found.sort();
    let mut expected = vec![alice.id, bob.id];
    expected.sort();
    assert_eq!(found, expected);
    assert!(store.accounts_by_usernames(&[]).await.unwrap().is_empty());

    let listed = store.accounts(&[bob.id, Id(42), alice.id]).await.unwrap();
    assert_eq!(ids_of(&listed), vec![bob.id, alice.id], "in the order asked, missing ones skipped");

    let events = all_events(store).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].kind, EventKind::AccountCreated);
    assert_eq!(events[0].subject_id, Some(alice.id));
    assert_eq!(events[0].payload["username"], "Alice");
}

pub async fn usernames_and_emails_are_unique_case_insensitively(store: &dyn Store) {
    account(store, "alice").await;
    let clash = NewAccount { email: "other@example.org".into(), ..new_account("ALICE") };
    assert!(
        matches!(store.create_account(clash).await, Err(StoreError::Conflict(ref w)) if w == "username"),
        "the same username in other case is taken"
    );
    let clash = NewAccount { email: "Alice@Example.ORG".into(), ..new_account("alice2") };
    assert!(
        matches!(store.create_account(clash).await, Err(StoreError::Conflict(ref w)) if w == "email"),
        "the same e-mail in other case is taken"
    );
    assert_eq!(all_events(store).await.len(), 1, "a refused account logs nothing");
    account(store, "alice_2").await;
}

pub async fn credentials_are_found_by_username_or_email_in_any_case(store: &dyn Store) {
    let alice = account(store, "alice").await;
    for login in ["alice", "ALICE", "alice@example.org", "Alice@Example.Org"] {
        let c = store.credentials(login).await.unwrap();
        assert_eq!(c.account, alice, "{login}");
        assert_eq!(c.email, "alice@example.org");
        assert_eq!(c.password_hash, "$argon2id$hash-of-alice");
    }
    assert!(matches!(store.credentials("bob").await, Err(StoreError::NotFound)));
    assert!(matches!(store.credentials("").await, Err(StoreError::NotFound)));
}

pub async fn account_updates_change_only_what_is_given(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let seq = last_seq(store).await;
    let update = AccountUpdate {
        display_name: Some("Alice".into()),
        note: Some(("hi *there*".into(), "<p>hi *there*</p>".into())),
        ..Default::default()
    };
    let updated = store.update_account(alice.id, update).await.unwrap();
    assert_eq!(updated.display_name, "Alice");
    assert_eq!(updated.note_source, "hi *there*");
    assert_eq!(updated.note, "<p>hi *there*</p>");
    assert!(!updated.locked && !updated.bot);

    let updated =
        store.update_account(alice.id, AccountUpdate { locked: Some(true), ..Default::default() }).await.unwrap();
    assert!(updated.locked);
    assert_eq!(updated.display_name, "Alice", "unchanged fields stay");
    assert_eq!(fetch_account(store, &alice).await, updated);
    assert_eq!(kinds_after(store, seq).await, vec![EventKind::AccountUpdated, EventKind::AccountUpdated]);

    assert!(matches!(store.update_account(Id(42), AccountUpdate::default()).await, Err(StoreError::NotFound)));
}

pub(super) fn new_app(client_id: &str) -> NewApp {
    NewApp {
        id: id(),
        name: "Tusky".into(),
        website: Some("https://tusky.app".into()),
        redirect_uris: vec!["urn:ietf:wg:oauth:2.0:oob".into(), "https://example.org/cb".into()],
        scopes: "read write".into(),
        client_id: client_id.into(),
        client_secret: "secret".into(),
        created_at: Timestamp::now(),
    }
}

pub async fn apps_are_found_by_id_and_client_id_which_is_unique(store: &dyn Store) {
    let new = new_app("client-1");
    let app = store.create_app(new.clone()).await.unwrap();
    assert_eq!(app.id, new.id);
    assert_eq!(app.redirect_uris, new.redirect_uris);
    assert_eq!(store.app(app.id).await.unwrap(), app);
    assert_eq!(store.app_by_client_id("client-1").await.unwrap(), app);
    assert!(matches!(store.app_by_client_id("client-2").await, Err(StoreError::NotFound)));
    assert!(matches!(store.app(Id(42)).await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.create_app(new_app("client-1")).await,
        Err(StoreError::Conflict(ref w)) if w == "client_id"
    ));
    let events = all_events(store).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::AppCreated);
    assert_eq!(events[0].subject_id, Some(app.id));
}

pub(super) fn new_token(app: &App, account: Option<&Account>) -> NewToken {
    NewToken {
        id: id(),
        app_id: app.id,
        account_id: account.map(|a| a.id),
        scopes: "read".into(),
        created_at: Timestamp::now(),
        expires_at: Some(Timestamp::now().plus_seconds(3600)),
        grant: "password".into(),
    }
}

pub async fn tokens_are_issued_and_revoking_twice_logs_once(store: &dyn Store) {
    let app = store.create_app(new_app("c")).await.unwrap();
    let alice = account(store, "alice").await;
    let seq = last_seq(store).await;

    let new = new_token(&app, Some(&alice));
    let token = store.create_token(new.clone()).await.unwrap();
    assert_eq!(token.account_id, Some(alice.id));
    assert_eq!(token.expires_at, new.expires_at);
    assert!(!token.revoked);
    assert_eq!(store.token(token.id).await.unwrap(), token);
    let app_token = store.create_token(new_token(&app, None)).await.unwrap();
    assert_eq!(store.token(app_token.id).await.unwrap().account_id, None);
    assert_eq!(store.token_with_account(token.id).await.unwrap(), (token.clone(), Some(alice.clone())));
    assert_eq!(store.token_with_account(app_token.id).await.unwrap(), (app_token.clone(), None));
    assert!(matches!(store.token_with_account(Id(42)).await, Err(StoreError::NotFound)));

    assert_eq!(store.revoke_token(token.id).await.unwrap(), Change::Made);
    assert!(store.token(token.id).await.unwrap().revoked);
    assert_eq!(store.revoke_token(token.id).await.unwrap(), Change::Unchanged);
    assert!(!store.token(app_token.id).await.unwrap().revoked, "other tokens are untouched");
    assert!(matches!(store.revoke_token(Id(42)).await, Err(StoreError::NotFound)));
    assert!(matches!(store.token(Id(42)).await, Err(StoreError::NotFound)));

    let events = store.events_after(seq, 100).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::TokenIssued, EventKind::TokenIssued, EventKind::TokenRevoked]);
    assert_eq!(events[0].payload["grant"], "password");
    assert_eq!(events[2].subject_id, Some(token.id));

    let unknown_app = NewToken { app_id: Id(42), ..new_token(&app, None) };
    assert!(store.create_token(unknown_app).await.is_err(), "a token needs an existing app");
}

pub async fn a_password_change_signs_out_every_other_session(store: &dyn Store) {
    let app = store.create_app(new_app("c")).await.unwrap();
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let current = store.create_token(new_token(&app, Some(&alice))).await.unwrap();
    let other = store.create_token(new_token(&app, Some(&alice))).await.unwrap();
    let already = store.create_token(new_token(&app, Some(&alice))).await.unwrap();
    store.revoke_token(already.id).await.unwrap();
    let bobs = store.create_token(new_token(&app, Some(&bob))).await.unwrap();
    let code = AuthCode {
        code_hash: "pending".into(),
        app_id: app.id,
        account_id: alice.id,
        redirect_uri: "https://example.org/cb".into(),
        scopes: "read".into(),
        code_challenge: None,
        code_challenge_method: None,
        expires_at: Timestamp::now().plus_seconds(600),
    };
    store.create_auth_code(code).await.unwrap();
    let seq = last_seq(store).await;

    assert_eq!(store.change_password(alice.id, "new-hash".into(), Some(current.id)).await.unwrap(), 1);
    assert_eq!(store.credentials("alice").await.unwrap().password_hash, "new-hash");
    assert!(!store.token(current.id).await.unwrap().revoked, "the session that changed it stays");
    assert!(store.token(other.id).await.unwrap().revoked);
    assert!(!store.token(bobs.id).await.unwrap().revoked, "other accounts are untouched");
    assert!(matches!(store.take_auth_code("pending").await, Err(StoreError::NotFound)), "pending codes are void");
    let events = store.events_after(seq, 100).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::TokenRevoked, EventKind::PasswordChanged]);
    assert_eq!(events[0].subject_id, Some(other.id));
    assert_eq!(events[1].actor_id, Some(alice.id));
    assert_eq!(events[1].payload["revoked_tokens"], 1);

    // Without a session to keep (an operator's reset), every token goes.
    assert_eq!(store.change_password(alice.id, "reset".into(), None).await.unwrap(), 1);
    assert!(store.token(current.id).await.unwrap().revoked);
    assert!(matches!(store.change_password(Id(42), "x".into(), None).await, Err(StoreError::NotFound)));
}

pub async fn a_suspension_signs_the_account_out_until_lifted(store: &dyn Store) {
    let app = store.create_app(new_app("c")).await.unwrap();
    let alice = account(store, "alice").await;
    let mallory = account(store, "mallory").await;
    let tokens = [
        store.create_token(new_token(&app, Some(&mallory))).await.unwrap(),
        store.create_token(new_token(&app, Some(&mallory))).await.unwrap(),
    ];
    let alices = store.create_token(new_token(&app, Some(&alice))).await.unwrap();
    let seq = last_seq(store).await;

    assert_eq!(store.suspend_account(mallory.id, Some(alice.id)).await.unwrap(), Change::Made);
    assert!(fetch_account(store, &mallory).await.suspended);
    assert!(store.credentials("mallory").await.unwrap().account.suspended, "sign-in sees it");
    for token in &tokens {
        assert!(store.token(token.id).await.unwrap().revoked);
    }
    assert!(!store.token(alices.id).await.unwrap().revoked);
    let (_, account) = store.token_with_account(tokens[0].id).await.unwrap();
    assert!(account.is_some_and(|a| a.suspended));
    assert_eq!(store.suspend_account(mallory.id, None).await.unwrap(), Change::Unchanged, "already suspended");
    let events = store.events_after(seq, 100).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::TokenRevoked, EventKind::TokenRevoked, EventKind::Suspended]);
    assert_eq!((events[2].actor_id, events[2].subject_id), (Some(alice.id), Some(mallory.id)));
    assert_eq!(events[2].payload["revoked_tokens"], 2);

    assert_eq!(store.unsuspend_account(mallory.id, None).await.unwrap(), Change::Made);
    assert!(!fetch_account(store, &mallory).await.suspended);
    assert_eq!(store.unsuspend_account(mallory.id, None).await.unwrap(), Change::Unchanged);
    assert_eq!(kinds_after(store, seq).await.last(), Some(&EventKind::Unsuspended));
    assert!(store.token(tokens[0].id).await.unwrap().revoked, "lifting it gives no token back");
    assert!(matches!(store.suspend_account(Id(42), None).await, Err(StoreError::NotFound)));
}

pub async fn an_authorization_code_works_once(store: &dyn Store) {
    let app = store.create_app(new_app("c")).await.unwrap();
    let alice = account(store, "alice").await;
    let code = AuthCode {
        code_hash: "ab12".into(),
        app_id: app.id,
        account_id: alice.id,
        redirect_uri: "https://example.org/cb".into(),
        scopes: "read write".into(),
        code_challenge: Some("challenge".into()),
        code_challenge_method: Some("S256".into()),
        expires_at: Timestamp::now().plus_seconds(600),
    };
    store.create_auth_code(code.clone()).await.unwrap();
    assert_eq!(store.take_auth_code("ab12").await.unwrap(), code);
    assert!(matches!(store.take_auth_code("ab12").await, Err(StoreError::NotFound)));
    assert!(matches!(store.take_auth_code("other").await, Err(StoreError::NotFound)));
}

pub async fn follows_keep_counters_exact_and_log_one_event_each(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let seq = last_seq(store).await;

    assert_eq!(store.follow(alice.id, bob.id).await.unwrap(), Change::Made);
    assert_eq!(store.follow(alice.id, bob.id).await.unwrap(), Change::Unchanged);
    assert!(store.is_following(alice.id, bob.id).await.unwrap());
    assert!(!store.is_following(bob.id, alice.id).await.unwrap());
    let (a, b) = (fetch_account(store, &alice).await, fetch_account(store, &bob).await);
    assert_eq!((a.following_count, a.followers_count), (1, 0));
    assert_eq!((b.following_count, b.followers_count), (0, 1));

    assert_eq!(store.follow(bob.id, alice.id).await.unwrap(), Change::Made);
    assert_eq!(fetch_account(store, &alice).await.followers_count, 1);

    assert_eq!(store.unfollow(alice.id, bob.id).await.unwrap(), Change::Made);
    assert_eq!(store.unfollow(alice.id, bob.id).await.unwrap(), Change::Unchanged);
    assert!(!store.is_following(alice.id, bob.id).await.unwrap());
    let (a, b) = (fetch_account(store, &alice).await, fetch_account(store, &bob).await);
    assert_eq!((a.following_count, a.followers_count), (0, 1));
    assert_eq!((b.following_count, b.followers_count), (1, 0));

    let events = store.events_after(seq, 100).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::Followed, EventKind::Followed, EventKind::Unfollowed]);
    assert_eq!((events[0].actor_id, events[0].subject_id), (Some(alice.id), Some(bob.id)));
    assert_eq!((events[2].actor_id, events[2].subject_id), (Some(alice.id), Some(bob.id)));
}

pub async fn following_a_missing_account_is_not_found_and_changes_nothing(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let seq = last_seq(store).await;
    assert!(matches!(store.follow(alice.id, Id(42)).await, Err(StoreError::NotFound)));
    assert_eq!(fetch_account(store, &alice).await.following_count, 0);
    assert!(kinds_after(store, seq).await.is_empty());
    assert_eq!(store.unfollow(alice.id, Id(42)).await.unwrap(), Change::Unchanged);
}

pub async fn relationships_report_both_directions_in_the_order_asked(store: &dyn Store) {
    let me = account(store, "me").await;
    let followed = account(store, "followed").await;
    let follower = account(store, "follower").await;
    let mutual = account(store, "mutual").await;
    let stranger = account(store, "stranger").await;
    store.follow(me.id, followed.id).await.unwrap();
    store.follow(follower.id, me.id).await.unwrap();
    store.follow(me.id, mutual.id).await.unwrap();
    store.follow(mutual.id, me.id).await.unwrap();
    store.follow(stranger.id, followed.id).await.unwrap();

    let rels = store.relationships(me.id, &[stranger.id, Id(42), mutual.id, follower.id, followed.id]).await.unwrap();
    let got: Vec<(Id, bool, bool)> = rels.iter().map(|r| (r.id, r.following, r.followed_by)).collect();
    assert_eq!(
        got,
        vec![
            (stranger.id, false, false),
            (mutual.id, true, true),
            (follower.id, false, true),
            (followed.id, true, false),
        ]
    );
    assert!(store.relationships(me.id, &[]).await.unwrap().is_empty());
}

pub async fn followers_and_following_are_paged_by_follow_id(store: &dyn Store) {
    let star = account(store, "star").await;
    let mut fans = Vec::new();
    for i in 0..5 {
        let fan = account(store, &format!("fan{i}")).await;
        store.follow(fan.id, star.id).await.unwrap();
        store.follow(star.id, fan.id).await.unwrap();
        fans.push(fan.id);
    }
    let newest_first: Vec<Id> = fans.iter().rev().copied().collect();

    let all = store.followers(star.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&all), newest_first);
    assert_eq!(all.cursors.len(), 5);
    assert!(all.cursors.windows(2).all(|w| w[0] > w[1]), "cursors are follow ids, newest first");

    let first = store.followers(star.id, PageRequest::first(2)).await.unwrap();
    assert_eq!(ids(&first), newest_first[..2]);
    let next = PageRequest { max_id: first.next_max_id(), ..PageRequest::first(2) };
    let second = store.followers(star.id, next).await.unwrap();
    assert_eq!(ids(&second), newest_first[2..4]);
    let next = PageRequest { max_id: second.next_max_id(), ..PageRequest::first(2) };
    let third = store.followers(star.id, next).await.unwrap();
    assert_eq!(ids(&third), newest_first[4..]);
    let next = PageRequest { max_id: third.next_max_id(), ..PageRequest::first(2) };
    assert!(store.followers(star.id, next).await.unwrap().items.is_empty());

    // min_id: the page right above the cursor, still newest first.
    let cursor_of_fan1 = all.cursors[3];
    let above = store.followers(star.id, PageRequest { min_id: Some(cursor_of_fan1), ..PageRequest::first(2) });
    assert_eq!(ids(&above.await.unwrap()), vec![fans[3], fans[2]]);
    // since_id: the newest page, stopping at the cursor.
    let since = store.followers(star.id, PageRequest { since_id: Some(cursor_of_fan1), ..PageRequest::first(2) });
    assert_eq!(ids(&since.await.unwrap()), vec![fans[4], fans[3]]);
    let since = store.followers(star.id, PageRequest { since_id: Some(cursor_of_fan1), ..PageRequest::first(10) });
    assert_eq!(ids(&since.await.unwrap()), vec![fans[4], fans[3], fans[2]]);

    let following = store.following(star.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&following), newest_first);
    let following =
        store.following(star.id, PageRequest { max_id: following.cursors.get(1).copied(), ..PageRequest::first(10) });
    assert_eq!(ids(&following.await.unwrap()), newest_first[2..]);
    assert_eq!(ids(&store.following(fans[0], PageRequest::first(10)).await.unwrap()), vec![star.id]);
    assert!(store.followers(Id(42), PageRequest::first(10)).await.unwrap().items.is_empty());
}

pub async fn follower_ids_are_every_current_follower_and_nobody_else(store: &dyn Store) {
    let star = account(store, "star").await;
    let other = account(store, "other").await;
    let mut fans = Vec::new();
    for i in 0..4 {
        let fan = account(store, &format!("fan{i}")).await;
        store.follow(fan.id, star.id).await.unwrap();
        fans.push(fan.id);
    }
    // Followed the other way, or someone else: not a follower of the star.
    store.follow(star.id, other.id).await.unwrap();
    store.follow(fans[0], other.id).await.unwrap();
    store.unfollow(fans[3], star.id).await.unwrap();
    let mut ids = store.follower_ids(star.id).await.unwrap();
    ids.sort();
    assert_eq!(ids, fans[..3].to_vec());
    assert!(store.follower_ids(Id(42)).await.unwrap().is_empty());
}

pub async fn instance_counts_count_accounts_and_original_statuses(store: &dyn Store) {
    assert_eq!(store.instance_counts().await.unwrap(), InstanceCounts { users: 0, statuses: 0 });
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let first = post(store, &alice, "one").await;
    post(store, &bob, "two").await;
    store.reblog(bob.id, first.id, id(), Visibility::Public, Timestamp::now()).await.unwrap();
    assert_eq!(store.instance_counts().await.unwrap(), InstanceCounts { users: 2, statuses: 2 });
}

pub async fn followers_who_ask_are_named_in_each_new_posts_event(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    assert!(
        matches!(store.set_follow_notify(bob.id, alice.id, true).await, Err(StoreError::NotFound)),
        "no follow yet"
    );
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(carol.id, alice.id).await.unwrap();
    assert_eq!(store.set_follow_notify(bob.id, alice.id, true).await.unwrap(), Change::Made);
    assert_eq!(store.set_follow_notify(bob.id, alice.id, true).await.unwrap(), Change::Unchanged);
    let rels = store.relationships(bob.id, &[alice.id]).await.unwrap();
    assert!(rels[0].following && rels[0].notifying);
    assert!(!store.relationships(carol.id, &[alice.id]).await.unwrap()[0].notifying);

    let before = store.last_event_seq().await.unwrap();
    let open = post(store, &alice, "for everyone").await;
    let quiet = post_as(store, &alice, "direct", Visibility::Direct).await;
    let events = store.events_after(before, 10).await.unwrap();
    let notified = |status: Id| {
        events
            .iter()
            .find(|e| e.kind == EventKind::StatusCreated && e.subject_id == Some(status))
            .map(|e| e.payload["notify_followers"].clone())
    };
    assert_eq!(notified(open.id), Some(serde_json::json!([bob.id])));
    assert_eq!(notified(quiet.id), Some(serde_json::json!([])), "direct statuses notify nobody");

    assert_eq!(store.set_follow_notify(bob.id, alice.id, false).await.unwrap(), Change::Made);
    let kinds: Vec<EventKind> = store.events_after(before, 10).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds.last(), Some(&EventKind::FollowUpdated));
    store.unfollow(bob.id, alice.id).await.unwrap();
    store.follow(bob.id, alice.id).await.unwrap();
    assert!(!store.relationships(bob.id, &[alice.id]).await.unwrap()[0].notifying, "a new follow starts quiet");
}
