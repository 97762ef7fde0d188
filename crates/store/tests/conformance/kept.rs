//! Bookmarks and pins: each once per account and status, listed newest first, shown in the
//! viewer's flags, logged, and gone with their status.

use starling_core::event::EventKind;
use starling_core::model::*;
use starling_core::page::PageRequest;
use starling_core::{Id, Store, StoreError};

use super::*;

pub async fn bookmarks_are_private_paged_newest_first_and_go_with_their_status(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let (one, two, three) =
        (post(store, &bob, "one").await, post(store, &bob, "two").await, post(store, &alice, "3").await);
    let seq = last_seq(store).await;
    let at = Timestamp::now();
    for status in [&two, &one, &three] {
        assert_eq!(store.bookmark(alice.id, status.id, at).await.unwrap(), Change::Made);
    }
    assert_eq!(store.bookmark(alice.id, one.id, at).await.unwrap(), Change::Unchanged, "once");
    assert!(matches!(store.bookmark(alice.id, Id(42), at).await, Err(StoreError::NotFound)));

    let page = store.bookmarks(alice.id, PageRequest::first(2)).await.unwrap();
    assert_eq!(ids(&page), vec![three.id, one.id], "most recently bookmarked first");
    assert!(page.cursors.iter().all(|c| ![one.id, two.id, three.id].contains(c)), "cursors are bookmark ids");
    let older = PageRequest { max_id: page.cursors.last().copied(), ..PageRequest::first(2) };
    let rest = store.bookmarks(alice.id, older).await.unwrap();
    assert_eq!(ids(&rest), vec![two.id]);
    assert!(store.bookmarks(bob.id, PageRequest::first(10)).await.unwrap().items.is_empty(), "alice's own");
    let flags = store.viewer_flags(alice.id, &[one.id, two.id, three.id]).await.unwrap();
    assert_eq!(flags.bookmarked, vec![one.id, two.id, three.id]);
    assert!(store.viewer_flags(bob.id, &[one.id]).await.unwrap().bookmarked.is_empty());

    assert_eq!(store.unbookmark(alice.id, two.id, at).await.unwrap(), Change::Made);
    assert_eq!(store.unbookmark(alice.id, two.id, at).await.unwrap(), Change::Unchanged);
    store.delete_status(one.id, bob.id, at).await.unwrap();
    assert_eq!(ids(&store.bookmarks(alice.id, PageRequest::first(10)).await.unwrap()), vec![three.id]);
    let kinds = kinds_after(store, seq).await;
    assert_eq!(
        kinds,
        vec![
            EventKind::Bookmarked,
            EventKind::Bookmarked,
            EventKind::Bookmarked,
            EventKind::Unbookmarked,
            EventKind::StatusDeleted
        ]
    );
}

pub async fn pins_are_listed_newest_first_flagged_and_go_with_their_status(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let (first, second) = (post(store, &alice, "first").await, post(store, &alice, "second").await);
    let seq = last_seq(store).await;
    let t = Timestamp::now();
    assert_eq!(store.pin(alice.id, first.id, t).await.unwrap(), Change::Made);
    assert_eq!(store.pin(alice.id, second.id, Timestamp(t.0 + 1)).await.unwrap(), Change::Made);
    assert_eq!(store.pin(alice.id, first.id, t).await.unwrap(), Change::Unchanged);
    let pinned = store.pinned_statuses(alice.id).await.unwrap();
    assert_eq!(ids_of(&pinned), vec![second.id, first.id]);
    assert_eq!(store.viewer_flags(alice.id, &[first.id]).await.unwrap().pinned, vec![first.id]);
    assert_eq!(store.unpin(alice.id, second.id, t).await.unwrap(), Change::Made);
    store.delete_status(first.id, alice.id, t).await.unwrap();
    assert!(store.pinned_statuses(alice.id).await.unwrap().is_empty());
    let kinds = kinds_after(store, seq).await;
    assert_eq!(kinds[..3], [EventKind::Pinned, EventKind::Pinned, EventKind::Unpinned]);
}
