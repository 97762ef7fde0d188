//! Reports: recorded with their accounts and statuses, listed newest first, logged.

use starling_core::event::EventKind;
use starling_core::model::{Change, Role, Timestamp};
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

pub async fn a_report_is_resolved_once_and_roles_are_given(store: &dyn Store) {
    let (alice, mallory, mod_) =
        (account(store, "alice").await, account(store, "mallory").await, account(store, "moda").await);
    let report = store
        .create_report(NewReport {
            id: id(),
            account: alice.id,
            target: mallory.id,
            status_ids: vec![],
            comment: String::new(),
            category: Category::Other,
            created_at: Timestamp::now(),
        })
        .await
        .unwrap();
    assert_eq!(store.report(report.id).await.unwrap(), report);
    assert!(matches!(store.report(Id(42)).await, Err(starling_core::StoreError::NotFound)));
    let seq = last_seq(store).await;

    assert_eq!(store.set_role(mod_.id, Role::Moderator, None).await.unwrap(), Change::Made);
    assert_eq!(store.set_role(mod_.id, Role::Moderator, None).await.unwrap(), Change::Unchanged);
    assert_eq!(fetch_account(store, &mod_).await.role, Role::Moderator);
    let resolved = store.resolve_report(report.id, mod_.id).await.unwrap();
    let at = resolved.resolved_at.expect("resolved");
    assert_eq!(store.resolve_report(report.id, mod_.id).await.unwrap().resolved_at, Some(at), "once");
    assert!(store.reports(false, PageRequest::first(10)).await.unwrap().items.is_empty());
    assert_eq!(store.reports(true, PageRequest::first(10)).await.unwrap().items, vec![resolved]);
    let events = store.events_after(seq, 10).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::RoleChanged, EventKind::ReportResolved]);
    assert_eq!(events[0].payload["role"], "moderator");
    let staff = store.admin_accounts(false, true, PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&staff), vec![mod_.id]);
    store.suspend_account(mallory.id, Some(mod_.id)).await.unwrap();
    assert_eq!(ids(&store.admin_accounts(true, false, PageRequest::first(10)).await.unwrap()), vec![mallory.id]);
    let all = store.admin_accounts(false, false, PageRequest::first(2)).await.unwrap();
    assert_eq!(ids(&all), vec![mod_.id, mallory.id], "newest first");
    assert_eq!((events[1].actor_id, events[1].subject_id), (Some(mod_.id), Some(report.id)));
}
