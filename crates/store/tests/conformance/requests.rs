//! Follow requests: asked once, listed newest first, approved into a follow that notifies
//! nobody again, or rejected (or withdrawn); a block ends them; each step is logged and shown
//! in relationships.

use starling_core::event::EventKind;
use starling_core::model::*;
use starling_core::notify::NotificationKind;
use starling_core::page::PageRequest;
use starling_core::store::NotificationFilter;
use starling_core::{Id, Store, StoreError};

use super::*;

async fn kinds_of_notifications(store: &dyn Store, recipient: &Account) -> Vec<NotificationKind> {
    run_notifier(store).await;
    let page = store.notifications(recipient.id, &NotificationFilter::default(), PageRequest::first(20)).await.unwrap();
    page.items.iter().map(|n| n.kind).collect()
}

pub async fn a_follow_request_is_asked_once_then_approved_into_a_follow(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let (bob, carol) = (account(store, "bob").await, account(store, "carol").await);
    let seq = last_seq(store).await;
    let at = Timestamp::now();
    assert_eq!(store.request_follow(bob.id, alice.id, at).await.unwrap(), Change::Made);
    assert_eq!(store.request_follow(bob.id, alice.id, at).await.unwrap(), Change::Unchanged, "once");
    assert_eq!(store.request_follow(carol.id, alice.id, at).await.unwrap(), Change::Made);
    assert!(matches!(store.request_follow(bob.id, Id(42), at).await, Err(StoreError::NotFound)));
    assert!(!store.is_following(bob.id, alice.id).await.unwrap(), "a request is no follow");
    let page = store.follow_requests(alice.id, PageRequest::first(1)).await.unwrap();
    assert_eq!(ids(&page), vec![carol.id], "the newest request first");
    let rest = PageRequest { max_id: page.cursors.last().copied(), ..PageRequest::first(5) };
    assert_eq!(ids(&store.follow_requests(alice.id, rest).await.unwrap()), vec![bob.id]);
    let rel = store.relationships(bob.id, &[alice.id]).await.unwrap().remove(0);
    assert!(rel.requested && !rel.following && !rel.requested_by);
    assert!(store.relationships(alice.id, &[bob.id]).await.unwrap()[0].requested_by);
    assert_eq!(kinds_of_notifications(store, &alice).await, vec![NotificationKind::FollowRequest; 2]);

    assert_eq!(store.authorize_follow_request(alice.id, bob.id, at).await.unwrap(), Change::Made);
    assert!(matches!(store.authorize_follow_request(alice.id, bob.id, at).await, Err(StoreError::NotFound)));
    assert!(store.is_following(bob.id, alice.id).await.unwrap());
    assert_eq!(fetch_account(store, &alice).await.followers_count, 1);
    let rel = store.relationships(bob.id, &[alice.id]).await.unwrap().remove(0);
    assert!(rel.following && !rel.requested);
    // bob's request notification is gone with the request, and the follow told nobody anew;
    // carol's stays.
    let kinds = kinds_of_notifications(store, &alice).await;
    assert_eq!(kinds, vec![NotificationKind::FollowRequest]);
    assert_eq!(ids(&store.follow_requests(alice.id, PageRequest::first(5)).await.unwrap()), vec![carol.id]);
    assert_eq!(store.request_follow(bob.id, alice.id, at).await.unwrap(), Change::Unchanged, "a follower asks nothing");
    assert_eq!(
        kinds_after(store, seq).await,
        vec![
            EventKind::FollowRequested,
            EventKind::FollowRequested,
            EventKind::FollowRequestAuthorized,
            EventKind::Followed
        ]
    );
}

pub async fn a_follow_request_is_rejected_withdrawn_or_ended_by_a_block(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let (bob, carol, dave) = (account(store, "bob").await, account(store, "carol").await, account(store, "dave").await);
    let at = Timestamp::now();
    for asker in [&bob, &carol, &dave] {
        store.request_follow(asker.id, alice.id, at).await.unwrap();
    }
    let seq = last_seq(store).await;
    assert_eq!(store.reject_follow_request(alice.id, bob.id, alice.id, at).await.unwrap(), Change::Made);
    assert_eq!(store.reject_follow_request(alice.id, bob.id, alice.id, at).await.unwrap(), Change::Unchanged);
    assert_eq!(store.reject_follow_request(alice.id, carol.id, carol.id, at).await.unwrap(), Change::Made, "withdrawn");
    store.block(alice.id, dave.id, at).await.unwrap();
    assert!(store.follow_requests(alice.id, PageRequest::first(5)).await.unwrap().items.is_empty());
    for other in [&bob, &carol, &dave] {
        assert!(!store.is_following(other.id, alice.id).await.unwrap());
    }
    assert!(kinds_of_notifications(store, &alice).await.is_empty(), "every request notification went with it");
    let events = store.events_after(seq, 10).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::FollowRequestRejected,
            EventKind::FollowRequestRejected,
            EventKind::FollowRequestRejected,
            EventKind::Blocked
        ]
    );
    assert_eq!((events[0].actor_id, events[0].subject_id), (Some(alice.id), Some(bob.id)));
    assert_eq!((events[1].actor_id, events[1].subject_id), (Some(carol.id), Some(alice.id)), "carol withdrew");
}
