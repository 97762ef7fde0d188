//! Reports: recorded with their accounts and statuses, listed newest first, logged.

use starling_core::event::EventKind;
use starling_core::model::Timestamp;
use starling_core::page::PageRequest;
use starling_core::report::{Category, NewReport};
use starling_core::{Id, Store};

use super::*;

pub async fn reports_are_recorded_listed_newest_first_and_logged(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let mallory = account(store, "mallory").await;
    let spam = post(store, &mallory, "buy now").await;
    let seq = last_seq(store).await;
    let new = |comment: &str, statuses: Vec<Id>| NewReport {
        id: id(),
        account: alice.id,
        target: mallory.id,
        status_ids: statuses,
        comment: comment.into(),
        category: Category::Spam,
        created_at: Timestamp::now(),
    };
    let first = store.create_report(new("spam", vec![spam.id])).await.unwrap();
    assert_eq!((first.account.id, first.target.id), (alice.id, mallory.id));
    assert_eq!((first.status_ids.as_slice(), first.comment.as_str()), ([spam.id].as_slice(), "spam"));
    assert_eq!((first.category, first.resolved_at), (Category::Spam, None));
    let second = store.create_report(new("again", vec![])).await.unwrap();

    let open = store.reports(false, PageRequest::first(1)).await.unwrap();
    assert_eq!(open.items.iter().map(|r| r.id).collect::<Vec<_>>(), vec![second.id], "newest first");
    let older = PageRequest { max_id: open.cursors.last().copied(), ..PageRequest::first(10) };
    assert_eq!(store.reports(false, older).await.unwrap().items, vec![first.clone()]);
    assert!(store.reports(true, PageRequest::first(10)).await.unwrap().items.is_empty(), "none handled yet");

    // The report keeps naming the status after it is gone.
    store.delete_status(spam.id, mallory.id, Timestamp::now()).await.unwrap();
    let kept = store.reports(false, PageRequest::first(10)).await.unwrap();
    assert_eq!(kept.items[1].status_ids, vec![spam.id]);
    let events = store.events_after(seq, 10).await.unwrap();
    assert_eq!(events[0].kind, EventKind::Reported);
    assert_eq!((events[0].actor_id, events[0].subject_id), (Some(alice.id), Some(first.id)));
    assert_eq!(events[0].payload["target_account_id"], mallory.id.to_string());
}
