//! Blocks and mutes: a block ends the follows both ways and hides each account from the other,
//! a mute hides the muted from the muter only, for as long as it lasts; both are logged, listed
//! newest first, shown in relationships and applied to notifications.

use starling_core::event::EventKind;
use starling_core::model::*;
use starling_core::page::PageRequest;
use starling_core::safety::Mute;
use starling_core::store::NotificationFilter;
use starling_core::{Id, Store, StoreError};

use super::*;

const FOREVER: Mute = Mute { notifications: true, expires_at: None };

pub async fn a_block_ends_follows_both_ways_and_is_logged_after_them(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    store.follow(alice.id, bob.id).await.unwrap();
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(carol.id, bob.id).await.unwrap();
    let bobs_post = post(store, &bob, "hello").await;
    assert!(ids(&store.home_timeline(alice.id, PageRequest::first(10)).await.unwrap()).contains(&bobs_post.id));
    let seq = last_seq(store).await;
    let at = Timestamp::now();

    assert_eq!(store.block(alice.id, bob.id, at).await.unwrap(), Change::Made);
    assert_eq!(store.block(alice.id, bob.id, at).await.unwrap(), Change::Unchanged, "once");
    assert!(matches!(store.block(alice.id, Id(42), at).await, Err(StoreError::NotFound)));
    assert!(!store.is_following(alice.id, bob.id).await.unwrap());
    assert!(!store.is_following(bob.id, alice.id).await.unwrap());
    assert!(store.is_following(carol.id, bob.id).await.unwrap(), "others' follows stay");
    let (alice_now, bob_now) = (fetch_account(store, &alice).await, fetch_account(store, &bob).await);
    assert_eq!((alice_now.followers_count, alice_now.following_count), (0, 0));
    assert_eq!((bob_now.followers_count, bob_now.following_count), (1, 0));
    assert!(
        !ids(&store.home_timeline(alice.id, PageRequest::first(10)).await.unwrap()).contains(&bobs_post.id),
        "an ended follow takes the statuses out of home, as an unfollow does"
    );
    assert_eq!(
        kinds_after(store, seq).await,
        vec![EventKind::Unfollowed, EventKind::Unfollowed, EventKind::Blocked],
        "the follows end before the block, each logged"
    );

    let from_alice = store.relationships(alice.id, &[bob.id]).await.unwrap();
    assert!(from_alice[0].blocking && !from_alice[0].blocked_by && !from_alice[0].following);
    let from_bob = store.relationships(bob.id, &[alice.id]).await.unwrap();
    assert!(!from_bob[0].blocking && from_bob[0].blocked_by);
    let hidden_from_bob = store.hidden(bob.id).await.unwrap();
    assert!(hidden_from_bob.blocked(alice.id), "a block hides both ways");
    assert!(store.hidden(alice.id).await.unwrap().blocked(bob.id));
    assert!(!store.hidden(carol.id).await.unwrap().blocked(bob.id));

    let seq = last_seq(store).await;
    assert_eq!(store.unblock(alice.id, bob.id, at).await.unwrap(), Change::Made);
    assert_eq!(store.unblock(alice.id, bob.id, at).await.unwrap(), Change::Unchanged);
    assert!(!store.is_following(alice.id, bob.id).await.unwrap(), "the follows it ended stay ended");
    assert!(store.hidden(bob.id).await.unwrap().blocks.is_empty());
    assert_eq!(kinds_after(store, seq).await, vec![EventKind::Unblocked]);
    let event = store.events_after(seq, 1).await.unwrap().remove(0);
    assert_eq!((event.actor_id, event.subject_id), (Some(alice.id), Some(bob.id)));
}

pub async fn blocks_and_mutes_are_listed_newest_first_and_paged(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let others = [account(store, "b").await, account(store, "c").await, account(store, "d").await];
    let at = Timestamp::now();
    for other in &others {
        store.block(alice.id, other.id, at).await.unwrap();
        store.mute(alice.id, other.id, FOREVER, at).await.unwrap();
    }
    let first = store.blocks(alice.id, PageRequest::first(2)).await.unwrap();
    assert_eq!(ids(&first), vec![others[2].id, others[1].id], "the newest block first");
    assert!(first.cursors.iter().all(|c| !others.iter().any(|o| o.id == *c)), "cursors are block ids");
    let rest = PageRequest { max_id: first.cursors.last().copied(), ..PageRequest::first(2) };
    assert_eq!(ids(&store.blocks(alice.id, rest).await.unwrap()), vec![others[0].id]);
    assert!(store.blocks(others[0].id, PageRequest::first(10)).await.unwrap().items.is_empty(), "alice's own");

    let mutes = store.mutes(alice.id, at, PageRequest::first(2)).await.unwrap();
    let listed: Vec<Id> = mutes.items.iter().map(|m| m.account.id).collect();
    assert_eq!(listed, vec![others[2].id, others[1].id]);
    assert!(mutes.items.iter().all(|m| m.mute == FOREVER));
    let rest = PageRequest { max_id: mutes.cursors.last().copied(), ..PageRequest::first(2) };
    let more = store.mutes(alice.id, at, rest).await.unwrap();
    assert_eq!(more.items.iter().map(|m| m.account.id).collect::<Vec<_>>(), vec![others[0].id]);
}

pub async fn a_mute_is_one_sided_replaced_by_muting_again_and_ends_by_itself(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    store.follow(alice.id, bob.id).await.unwrap();
    let seq = last_seq(store).await;
    let now = Timestamp::now();
    let quiet = Mute { notifications: false, expires_at: None };
    assert_eq!(store.mute(alice.id, bob.id, quiet, now).await.unwrap(), Change::Made);
    assert_eq!(store.mute(alice.id, bob.id, quiet, now).await.unwrap(), Change::Unchanged, "the same mute");
    assert!(matches!(store.mute(alice.id, Id(42), quiet, now).await, Err(StoreError::NotFound)));
    assert!(store.is_following(alice.id, bob.id).await.unwrap(), "a mute ends no follow");
    let rel = store.relationships(alice.id, &[bob.id]).await.unwrap().remove(0);
    assert!(rel.muting && !rel.muting_notifications && rel.following);
    assert!(!store.relationships(bob.id, &[alice.id]).await.unwrap()[0].muting, "one-sided");
    assert!(store.hidden(bob.id).await.unwrap().is_empty());
    assert!(store.hidden(alice.id).await.unwrap().muted(bob.id, now));

    // Muting again replaces the mute: now with notifications, and ending in a second.
    let brief = Mute { notifications: true, expires_at: Some(Timestamp(now.0 + 1_000)) };
    assert_eq!(store.mute(alice.id, bob.id, brief, now).await.unwrap(), Change::Made);
    let rel = store.relationships(alice.id, &[bob.id]).await.unwrap().remove(0);
    assert!(rel.muting && rel.muting_notifications);
    let hidden = store.hidden(alice.id).await.unwrap();
    assert_eq!(hidden.mutes.get(&bob.id), Some(&brief));
    assert!(hidden.muted(bob.id, now) && !hidden.muted(bob.id, Timestamp(now.0 + 1_000)));
    let later = Timestamp(now.0 + 1_000);
    assert!(store.mutes(alice.id, later, PageRequest::first(10)).await.unwrap().items.is_empty(), "ended");
    assert_eq!(store.mutes(alice.id, now, PageRequest::first(10)).await.unwrap().items.len(), 1);

    assert_eq!(store.unmute(alice.id, bob.id, now).await.unwrap(), Change::Made);
    assert_eq!(store.unmute(alice.id, bob.id, now).await.unwrap(), Change::Unchanged);
    assert!(!store.relationships(alice.id, &[bob.id]).await.unwrap()[0].muting);
    assert_eq!(kinds_after(store, seq).await, vec![EventKind::Muted, EventKind::Muted, EventKind::Unmuted]);
    let events = store.events_after(seq, 10).await.unwrap();
    assert_eq!(events[1].payload["notifications"], true);
    assert_eq!(events[1].payload["expires_at"], serde_json::json!(brief.expires_at.map(|t| t.to_rfc3339())));
}

pub async fn notifications_from_hidden_accounts_are_neither_listed_nor_counted(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let (bob, carol, dave) = (account(store, "bob").await, account(store, "carol").await, account(store, "dave").await);
    let status = post(store, &alice, "like me").await;
    let at = Timestamp::now();
    for fan in [&bob, &carol, &dave] {
        store.favourite(fan.id, status.id, at).await.unwrap();
    }
    run_notifier(store).await;
    let everyone = NotificationFilter::default();
    let from =
        |list: &[starling_core::notify::Notification]| list.iter().map(|n| n.from_account.id).collect::<Vec<_>>();
    let listed = store.notifications(alice.id, &everyone, PageRequest::first(10)).await.unwrap().items;
    assert_eq!(from(&listed), vec![dave.id, carol.id, bob.id]);
    assert_eq!(store.unread_notifications(alice.id).await.unwrap(), 3);

    // bob blocks alice (either side hides), carol is muted with her notifications, dave is
    // muted without them.
    store.block(bob.id, alice.id, at).await.unwrap();
    store.mute(alice.id, carol.id, FOREVER, at).await.unwrap();
    store.mute(alice.id, dave.id, Mute { notifications: false, expires_at: None }, at).await.unwrap();
    let listed = store.notifications(alice.id, &everyone, PageRequest::first(10)).await.unwrap().items;
    assert_eq!(from(&listed), vec![dave.id]);
    assert_eq!(store.unread_notifications(alice.id).await.unwrap(), 1);

    // Lifted, they are back: the notifications were kept, only hidden.
    store.unblock(bob.id, alice.id, at).await.unwrap();
    store.unmute(alice.id, carol.id, at).await.unwrap();
    assert_eq!(store.unread_notifications(alice.id).await.unwrap(), 3);
}

pub async fn moderators_limits_are_logged_and_hide_as_they_should(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    store.follow(bob.id, alice.id).await.unwrap();
    let app = store.create_app(super::accounts::new_app("limits")).await.unwrap();
    let token = store.create_token(super::accounts::new_token(&app, Some(&carol))).await.unwrap();
    let seq = last_seq(store).await;
    let moderator = Some(bob.id);

    assert_eq!(store.limit_account(alice.id, Limit::Silence, true, moderator).await.unwrap(), Change::Made);
    assert_eq!(store.limit_account(alice.id, Limit::Silence, true, moderator).await.unwrap(), Change::Unchanged);
    assert!(fetch_account(store, &alice).await.silenced);
    assert!(store.hidden(carol.id).await.unwrap().silenced.contains(&alice.id), "carol does not follow her");
    assert!(!store.hidden(bob.id).await.unwrap().silenced.contains(&alice.id), "bob does");
    assert!(!store.hidden(alice.id).await.unwrap().silenced.contains(&alice.id), "nor is she hidden from herself");
    assert!(store.hidden_from_everyone().await.unwrap().silenced.contains(&alice.id));
    assert_eq!(store.limit_account(alice.id, Limit::Silence, false, moderator).await.unwrap(), Change::Made);
    assert!(!fetch_account(store, &alice).await.silenced);

    assert_eq!(store.limit_account(carol.id, Limit::Disable, true, None).await.unwrap(), Change::Made);
    assert!(fetch_account(store, &carol).await.disabled);
    assert!(store.token(token.id).await.unwrap().revoked, "disabling signs the account out");
    assert_eq!(store.limit_account(carol.id, Limit::Disable, false, None).await.unwrap(), Change::Made);
    assert!(matches!(store.limit_account(Id(42), Limit::Disable, true, None).await, Err(StoreError::NotFound)));

    store.suspend_account(alice.id, moderator).await.unwrap();
    assert!(store.hidden(carol.id).await.unwrap().blocked(alice.id), "a suspended account is hidden from everyone");
    assert!(store.hidden_from_everyone().await.unwrap().blocked(alice.id));
    assert!(!store.hidden(alice.id).await.unwrap().blocked(alice.id));
    let kinds = kinds_after(store, seq).await;
    assert_eq!(
        kinds,
        vec![
            EventKind::Silenced,
            EventKind::Unsilenced,
            EventKind::TokenRevoked,
            EventKind::Disabled,
            EventKind::Enabled,
            EventKind::Suspended
        ]
    );
}

pub async fn an_erased_account_is_blanked_signed_out_and_stays_suspended(store: &dyn Store) {
    let app = store.create_app(super::accounts::new_app("erase")).await.unwrap();
    let alice = account(store, "alice").await;
    let token = store.create_token(super::accounts::new_token(&app, Some(&alice))).await.unwrap();
    store
        .update_account(alice.id, AccountUpdate { display_name: Some("Alice A.".into()), ..AccountUpdate::default() })
        .await
        .unwrap();
    let seq = last_seq(store).await;
    assert_eq!(store.erase_account(alice.id, None).await.unwrap(), Change::Made);
    assert_eq!(store.erase_account(alice.id, None).await.unwrap(), Change::Unchanged);
    let erased = fetch_account(store, &alice).await;
    assert!(erased.suspended && erased.display_name.is_empty() && erased.username == "alice");
    assert!(store.token(token.id).await.unwrap().revoked);
    assert!(
        matches!(store.credentials("alice@example.org").await, Err(StoreError::NotFound)),
        "her email is forgotten"
    );
    assert_eq!(store.unsuspend_account(alice.id, None).await.unwrap(), Change::Unchanged, "for good");
    assert!(matches!(store.create_account(new_account("ALICE")).await, Err(StoreError::Conflict(_))));
    assert_eq!(kinds_after(store, seq).await, vec![EventKind::TokenRevoked, EventKind::AccountDeleted]);
}
