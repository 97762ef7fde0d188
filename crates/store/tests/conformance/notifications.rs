//! Notifications (a projection of the log, applied as the notifier does: read the events, derive,
//! apply) and markers.

use serde_json::json;
use starling_core::event::EventKind;
use starling_core::model::*;
use starling_core::notify::{self, Derived, Notification, NotificationKind, Retraction};
use starling_core::page::PageRequest;
use starling_core::store::{Marker, NotificationFilter};
use starling_core::{Id, Store, StoreError};

use super::*;

const NOTIFIER: &str = "notifier";

/// What the notifier does: derives the notifications of every event it has not applied yet and
/// applies them as one batch. Returns what was newly stored.
pub async fn run_notifier(store: &dyn Store) -> Vec<Notification> {
    let after = store.consumer_offset(NOTIFIER).await.unwrap();
    let events = store.events_after(after, 10_000).await.unwrap();
    let Some(upto) = events.last().map(|e| e.seq) else { return Vec::new() };
    let derived = events.iter().map(notify::derive).collect();
    store.apply_notifications(NOTIFIER, upto, derived).await.unwrap()
}

/// Applies one retraction as if an event had caused it, without moving the notifier's offset.
async fn retract(store: &dyn Store, retraction: Retraction) {
    let at = store.consumer_offset(NOTIFIER).await.unwrap();
    let derived = Derived { notifications: vec![], retractions: vec![retraction] };
    assert!(store.apply_notifications(NOTIFIER, at, vec![derived]).await.unwrap().is_empty());
}

fn all_kinds() -> NotificationFilter {
    NotificationFilter::default()
}

/// The recipient's notifications, newest first.
async fn listed(store: &dyn Store, recipient: &Account) -> Vec<Notification> {
    store.notifications(recipient.id, &all_kinds(), PageRequest::first(40)).await.unwrap().items
}

fn of(stored: &[Notification], recipient: &Account) -> Vec<Notification> {
    stored.iter().filter(|n| n.recipient == recipient.id).cloned().collect()
}

fn newest_first(notifications: &[Notification]) -> Vec<Id> {
    notifications.iter().rev().map(|n| n.id).collect()
}

/// (recipient, kind, from, status) of a notification: what the retraction check compares.
type Row = (Id, &'static str, Id, Option<Id>);

async fn everything(store: &dyn Store, accounts: &[&Account]) -> Vec<Row> {
    let mut rows = Vec::new();
    for a in accounts {
        for n in listed(store, a).await {
            rows.push((n.recipient, n.kind.as_str(), n.from_account.id, n.status.map(|s| s.id)));
        }
    }
    rows.sort();
    rows
}

/// `rows` without one occurrence of each of `gone`, which must all be there.
fn minus(mut rows: Vec<Row>, gone: &[Row]) -> Vec<Row> {
    for g in gone {
        let at = rows.iter().position(|r| r == g);
        assert!(at.is_some(), "{g:?} was there to be retracted");
        rows.remove(at.unwrap_or_default());
    }
    rows
}

pub async fn applying_notifications_stores_each_once_and_moves_the_offset_forward_only(store: &dyn Store) {
    use NotificationKind::*;
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    assert_eq!(store.consumer_offset(NOTIFIER).await.unwrap(), 0, "a consumer that never ran is at 0");
    let status = post(store, &alice, "hello").await;
    store.favourite(bob.id, status.id, Timestamp::now()).await.unwrap();
    store.follow(bob.id, alice.id).await.unwrap();
    let answer = NewStatus {
        in_reply_to_id: Some(status.id),
        mentions: vec![alice.id, carol.id],
        ..draft(&bob, "@alice @carol")
    };
    let answer = store.create_status(answer).await.unwrap();

    let events = all_events(store).await;
    let upto = events.last().map(|e| e.seq).unwrap_or_default();
    let derived: Vec<Derived> = events.iter().map(notify::derive).collect();
    let stored = store.apply_notifications(NOTIFIER, upto, derived.clone()).await.unwrap();
    let got: Vec<(Id, NotificationKind, Option<Id>)> =
        stored.iter().map(|n| (n.recipient, n.kind, n.status.as_ref().map(|s| s.id))).collect();
    assert_eq!(
        got,
        vec![
            (alice.id, Favourite, Some(status.id)),
            (alice.id, Follow, None),
            (alice.id, Mention, Some(answer.id)),
            (carol.id, Mention, Some(answer.id)),
        ],
        "in the order of the events, the parent's author before the other mentioned"
    );
    assert!(stored.windows(2).all(|w| w[0].id < w[1].id), "ids increase in the order stored");
    let favourited = events.iter().find(|e| e.kind == EventKind::Favourited).unwrap();
    assert_eq!((stored[0].event_seq, stored[0].created_at), (favourited.seq, favourited.created_at));
    assert_eq!(stored[0].from_account, fetch_account(store, &bob).await, "the account comes hydrated");
    assert_eq!(stored[0].status, Some(fetch_status(store, &status).await), "the status comes hydrated");
    assert_eq!(store.consumer_offset(NOTIFIER).await.unwrap(), upto);
    let alices = of(&stored, &alice);
    let listed_alice = listed(store, &alice).await;
    assert_eq!(listed_alice, alices.iter().rev().cloned().collect::<Vec<_>>(), "listed as they were returned");
    assert_eq!(store.last_event_seq().await.unwrap(), upto, "applying logs nothing");

    let again = store.apply_notifications(NOTIFIER, upto, derived.clone()).await.unwrap();
    assert!(again.is_empty(), "an event notifies each recipient once");
    assert_eq!(listed(store, &alice).await, listed_alice);
    assert_eq!(listed(store, &carol).await.len(), 1);

    store.apply_notifications(NOTIFIER, upto - 2, vec![]).await.unwrap();
    assert_eq!(store.consumer_offset(NOTIFIER).await.unwrap(), upto, "the offset never moves back");

    // A batch that overlaps what was applied stores only what is new, and returns only that.
    store.favourite(carol.id, status.id, Timestamp::now()).await.unwrap();
    let events = all_events(store).await;
    let newest = events.last().map(|e| e.seq).unwrap_or_default();
    let stored = store.apply_notifications(NOTIFIER, newest, events.iter().map(notify::derive).collect()).await;
    let got: Vec<(Id, NotificationKind, Id)> =
        stored.unwrap().iter().map(|n| (n.recipient, n.kind, n.from_account.id)).collect();
    assert_eq!(got, vec![(alice.id, Favourite, carol.id)]);
    assert_eq!(store.consumer_offset(NOTIFIER).await.unwrap(), newest);

    // Consumers keep their own offsets.
    assert_eq!(store.consumer_offset("other").await.unwrap(), 0);
    store.apply_notifications("other", 3, vec![]).await.unwrap();
    assert_eq!(store.consumer_offset("other").await.unwrap(), 3);
    assert_eq!(store.consumer_offset(NOTIFIER).await.unwrap(), newest);
}

pub async fn notifications_are_listed_newest_first_paged_and_filtered_for_their_recipient(store: &dyn Store) {
    use NotificationKind::*;
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let status = post(store, &alice, "hello").await;
    store.follow(bob.id, alice.id).await.unwrap();
    store.favourite(bob.id, status.id, Timestamp::now()).await.unwrap();
    reblog(store, &carol, &status).await;
    let answer = reply(store, &carol, &status, "hi").await;
    store.create_status(NewStatus { mentions: vec![alice.id], ..draft(&bob, "@alice") }).await.unwrap();
    store.follow(alice.id, bob.id).await.unwrap();
    let stored = run_notifier(store).await;

    let n = of(&stored, &alice);
    assert_eq!(n.iter().map(|n| n.kind).collect::<Vec<_>>(), vec![Follow, Favourite, Reblog, Mention, Mention]);
    let page = store.notifications(alice.id, &all_kinds(), PageRequest::first(40)).await.unwrap();
    assert_eq!(ids(&page), newest_first(&n));
    let nid = |i: usize| n[i].id;
    let req = |max_id: Option<usize>, since_id: Option<usize>, min_id: Option<usize>, limit: u32| PageRequest {
        max_id: max_id.map(nid),
        since_id: since_id.map(nid),
        min_id: min_id.map(nid),
        limit,
    };
    let cases: Vec<(PageRequest, Vec<Id>)> = vec![
        (req(None, None, None, 2), vec![nid(4), nid(3)]),
        (req(Some(3), None, None, 2), vec![nid(2), nid(1)]),
        (req(Some(1), None, None, 2), vec![nid(0)]),
        (req(Some(0), None, None, 2), vec![]),
        (req(None, None, Some(1), 2), vec![nid(3), nid(2)]),
        (req(None, None, Some(3), 5), vec![nid(4)]),
        (req(None, None, Some(4), 5), vec![]),
        (req(None, Some(1), None, 2), vec![nid(4), nid(3)]),
        (req(None, Some(1), None, 10), vec![nid(4), nid(3), nid(2)]),
        (req(Some(4), Some(1), None, 10), vec![nid(3), nid(2)]),
    ];
    for (request, expected) in cases {
        let page = store.notifications(alice.id, &all_kinds(), request).await.unwrap();
        assert_eq!(ids(&page), expected, "{request:?}");
        assert_eq!(page.cursors, expected, "the cursors are notification ids");
    }

    let filtered = |types: &[NotificationKind], exclude_types: &[NotificationKind], request: PageRequest| {
        let filter = NotificationFilter { types: types.to_vec(), exclude_types: exclude_types.to_vec() };
        async move { ids(&store.notifications(alice.id, &filter, request).await.unwrap()) }
    };
    let all = PageRequest::first(40);
    assert_eq!(filtered(&[Mention], &[], all).await, vec![nid(4), nid(3)]);
    assert_eq!(filtered(&[], &[Mention, Follow], all).await, vec![nid(2), nid(1)]);
    assert_eq!(filtered(&[Mention, Follow], &[Mention], all).await, vec![nid(0)], "excluded wins");
    assert!(filtered(&[Update], &[], all).await.is_empty());
    assert_eq!(filtered(&[Mention, Reblog], &[], PageRequest::first(2)).await, vec![nid(4), nid(3)]);
    let older = PageRequest { max_id: Some(nid(3)), ..PageRequest::first(2) };
    assert_eq!(filtered(&[Mention, Reblog], &[], older).await, vec![nid(2)]);

    let bobs = listed(store, &bob).await;
    assert_eq!(bobs.iter().map(|n| (n.kind, n.from_account.id)).collect::<Vec<_>>(), vec![(Follow, alice.id)]);
    assert!(listed(store, &carol).await.is_empty());

    // A notification whose status is gone is left out of the list before the notifier has
    // retracted it, but can still be read alone; once retracted it is gone.
    store.delete_status(answer.id, carol.id, Timestamp::now()).await.unwrap();
    assert_eq!(
        ids(&store.notifications(alice.id, &all_kinds(), all).await.unwrap()),
        vec![nid(4), nid(2), nid(1), nid(0)]
    );
    let orphan = store.notification(alice.id, nid(3)).await.unwrap();
    assert_eq!((orphan.kind, orphan.status), (Mention, None));
    assert!(run_notifier(store).await.is_empty());
    assert!(matches!(store.notification(alice.id, nid(3)).await, Err(StoreError::NotFound)));
}

pub async fn each_retraction_removes_exactly_what_it_should(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let dave = account(store, "dave").await;
    let everyone = [&alice, &bob, &carol, &dave];
    let s1 = post(store, &alice, "one").await;
    let s2 = post(store, &alice, "two").await;
    store.favourite(bob.id, s1.id, Timestamp::now()).await.unwrap();
    store.favourite(bob.id, s2.id, Timestamp::now()).await.unwrap();
    store.favourite(carol.id, s1.id, Timestamp::now()).await.unwrap();
    reblog(store, &bob, &s1).await;
    let carols_reblog = reblog(store, &carol, &s1).await;
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(bob.id, carol.id).await.unwrap();
    store.follow(dave.id, alice.id).await.unwrap();
    let both = store.create_status(NewStatus { mentions: vec![alice.id, dave.id], ..draft(&bob, "@alice @dave") });
    let both = both.await.unwrap();
    let answer = reply(store, &carol, &s2, "re").await;
    store.follow(carol.id, dave.id).await.unwrap();
    run_notifier(store).await;
    let (fav, reblogged, follow, mention) = ("favourite", "reblog", "follow", "mention");
    let mut expected = everything(store, &everyone).await;
    assert_eq!(expected.len(), 12);

    store.unfavourite(bob.id, s1.id, Timestamp::now()).await.unwrap();
    run_notifier(store).await;
    expected = minus(expected, &[(alice.id, fav, bob.id, Some(s1.id))]);
    assert_eq!(everything(store, &everyone).await, expected, "an unfavourite takes that favourite only");

    store.unreblog(bob.id, s1.id, Timestamp::now()).await.unwrap();
    run_notifier(store).await;
    expected = minus(expected, &[(alice.id, reblogged, bob.id, Some(s1.id))]);
    assert_eq!(everything(store, &everyone).await, expected, "an unreblog takes that reblog only");

    store.delete_status(carols_reblog.id, carol.id, Timestamp::now()).await.unwrap();
    run_notifier(store).await;
    expected = minus(expected, &[(alice.id, reblogged, carol.id, Some(s1.id))]);
    assert_eq!(everything(store, &everyone).await, expected, "deleting a reblog undoes it");

    store.unfollow(bob.id, carol.id).await.unwrap();
    run_notifier(store).await;
    expected = minus(expected, &[(carol.id, follow, bob.id, None)]);
    assert_eq!(everything(store, &everyone).await, expected, "an unfollow takes that follow only");

    // The reply to s2 is a status of its own: its notification stays.
    store.delete_status(s2.id, alice.id, Timestamp::now()).await.unwrap();
    run_notifier(store).await;
    expected = minus(expected, &[(alice.id, fav, bob.id, Some(s2.id))]);
    assert_eq!(everything(store, &everyone).await, expected, "a deleted status takes what is about it");
    assert!(expected.contains(&(alice.id, mention, carol.id, Some(answer.id))));

    // One event notified alice and dave; alice dismisses hers.
    let seq = listed(store, &alice)
        .await
        .iter()
        .find(|n| n.status.as_ref().map(|s| s.id) == Some(both.id))
        .unwrap()
        .event_seq;
    retract(store, Retraction::Dismissed { recipient: alice.id, event_seq: seq }).await;
    expected = minus(expected, &[(alice.id, mention, bob.id, Some(both.id))]);
    assert_eq!(everything(store, &everyone).await, expected, "a dismissal takes the recipient's only");

    // Dave clears up to that event: carol's later follow stays.
    retract(store, Retraction::Cleared { recipient: dave.id, upto_seq: seq }).await;
    expected = minus(expected, &[(dave.id, mention, bob.id, Some(both.id))]);
    assert_eq!(everything(store, &everyone).await, expected, "a clear takes the recipient's up to its event");
    assert!(expected.contains(&(dave.id, follow, carol.id, None)));

    // `Of` about no status matches only notifications about no status, for every recipient.
    retract(store, Retraction::Of { kind: NotificationKind::Mention, from_account: carol.id, status_id: None }).await;
    assert_eq!(everything(store, &everyone).await, expected);
    retract(store, Retraction::Of { kind: NotificationKind::Follow, from_account: carol.id, status_id: None }).await;
    expected = minus(expected, &[(dave.id, follow, carol.id, None)]);
    assert_eq!(everything(store, &everyone).await, expected);

    retract(store, Retraction::Between { kind: NotificationKind::Follow, from_account: dave.id, recipient: bob.id })
        .await;
    assert_eq!(everything(store, &everyone).await, expected, "dave never followed bob");
    retract(store, Retraction::AboutStatus(Id(42))).await;
    assert_eq!(everything(store, &everyone).await, expected);
    assert_eq!(
        expected,
        {
            let mut left = vec![
                (alice.id, fav, carol.id, Some(s1.id)),
                (alice.id, follow, bob.id, None),
                (alice.id, follow, dave.id, None),
                (alice.id, mention, carol.id, Some(answer.id)),
            ];
            left.sort();
            left
        },
        "what is left"
    );
}

pub async fn a_notification_is_its_recipients_and_dismissing_it_logs_its_event(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let status = post(store, &alice, "hello").await;
    store.favourite(bob.id, status.id, Timestamp::now()).await.unwrap();
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(alice.id, bob.id).await.unwrap();
    let stored = run_notifier(store).await;
    let (fav, follow) = (&stored[0], &stored[1]);
    assert_eq!(&store.notification(alice.id, fav.id).await.unwrap(), fav);
    assert!(matches!(store.notification(bob.id, fav.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.notification(alice.id, Id(42)).await, Err(StoreError::NotFound)));

    let seq = last_seq(store).await;
    let before = listed(store, &alice).await;
    assert!(matches!(store.dismiss_notification(bob.id, fav.id, Timestamp::now()).await, Err(StoreError::NotFound)));
    assert_eq!(listed(store, &alice).await, before, "someone else's notification is left alone");
    assert!(kinds_after(store, seq).await.is_empty());

    let at = Timestamp::now();
    store.dismiss_notification(alice.id, fav.id, at).await.unwrap();
    assert_eq!(ids_of(&listed(store, &alice).await), vec![follow.id]);
    assert!(matches!(store.notification(alice.id, fav.id).await, Err(StoreError::NotFound)));
    let events = store.events_after(seq, 100).await.unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!((e.kind, e.actor_id, e.subject_id), (EventKind::NotificationDismissed, Some(alice.id), Some(fav.id)));
    assert_eq!(e.payload["event_seq"], json!(fav.event_seq), "the event that caused it, for replays");
    assert_eq!(e.created_at, at);

    assert!(matches!(store.dismiss_notification(alice.id, fav.id, at).await, Err(StoreError::NotFound)));
    assert_eq!(last_seq(store).await, e.seq, "a failed dismissal logs nothing");
    assert!(run_notifier(store).await.is_empty(), "applying the dismissal brings nothing back");
    assert_eq!(ids_of(&listed(store, &alice).await), vec![follow.id]);
    assert_eq!(listed(store, &bob).await.len(), 1);
}

pub async fn clearing_removes_all_of_the_recipients_notifications_only(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let status = post(store, &alice, "hello").await;
    store.favourite(bob.id, status.id, Timestamp::now()).await.unwrap();
    store.favourite(carol.id, status.id, Timestamp::now()).await.unwrap();
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(alice.id, bob.id).await.unwrap();
    run_notifier(store).await;
    assert_eq!(listed(store, &alice).await.len(), 3);
    // An event the notifier has not applied yet when alice clears.
    store.follow(carol.id, alice.id).await.unwrap();
    let upto = store.last_event_seq().await.unwrap();

    let at = Timestamp::now();
    store.clear_notifications(alice.id, at).await.unwrap();
    assert!(listed(store, &alice).await.is_empty());
    assert_eq!(listed(store, &bob).await.len(), 1, "only the recipient's");
    let events = store.events_after(upto, 100).await.unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!((e.kind, e.actor_id, e.subject_id), (EventKind::NotificationsCleared, Some(alice.id), Some(alice.id)));
    assert_eq!(e.payload["upto_seq"], json!(upto));
    assert_eq!(e.created_at, at);

    // The notifier catches up: the follow from before the clear is stored and retracted in the
    // same batch, so nobody is told of it.
    assert!(run_notifier(store).await.is_empty());
    assert!(listed(store, &alice).await.is_empty());
    assert_eq!(listed(store, &bob).await.len(), 1);

    // What happens afterwards notifies again.
    let later = post(store, &alice, "again").await;
    store.favourite(bob.id, later.id, Timestamp::now()).await.unwrap();
    assert_eq!(run_notifier(store).await.len(), 1);
    assert_eq!(listed(store, &alice).await.len(), 1);

    // Clearing an empty list still logs: the notifier may have events up to now to apply.
    let seq = last_seq(store).await;
    store.clear_notifications(carol.id, Timestamp::now()).await.unwrap();
    assert_eq!(kinds_after(store, seq).await, vec![EventKind::NotificationsCleared]);
}

pub async fn markers_are_set_read_and_versioned(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let both = vec!["home".to_string(), "notifications".to_string()];
    assert!(store.markers(alice.id, &both).await.unwrap().is_empty());
    let seq = last_seq(store).await;

    let t = Timestamp::now();
    let home = store.set_marker(alice.id, "home", Id(100), t).await.unwrap();
    assert_eq!(home, Marker { timeline: "home".into(), last_read_id: Id(100), version: 0, updated_at: t });
    let events = store.events_after(seq, 10).await.unwrap();
    assert_eq!((events[0].kind, events[0].actor_id), (EventKind::MarkerUpdated, Some(alice.id)));
    assert_eq!(events[0].payload["timeline"], "home");
    assert_eq!(events[0].payload["last_read_id"], json!(Id(100)));
    assert_eq!(events[0].created_at, t);

    let home = store.set_marker(alice.id, "home", Id(200), t.plus_seconds(1)).await.unwrap();
    assert_eq!((home.last_read_id, home.version, home.updated_at), (Id(200), 1, t.plus_seconds(1)));
    let home = store.set_marker(alice.id, "home", Id(200), t.plus_seconds(2)).await.unwrap();
    assert_eq!(home.version, 2, "every update bumps the version");
    let notes = store.set_marker(alice.id, "notifications", Id(7), t.plus_seconds(3)).await.unwrap();
    assert_eq!((notes.timeline.as_str(), notes.last_read_id, notes.version), ("notifications", Id(7), 0));

    let asked = vec!["notifications".to_string(), "home".to_string()];
    assert_eq!(store.markers(alice.id, &asked).await.unwrap(), vec![notes.clone(), home.clone()], "in the order asked");
    assert_eq!(store.markers(alice.id, &both[..1]).await.unwrap(), vec![home]);
    assert!(store.markers(alice.id, &["public".to_string()]).await.unwrap().is_empty());
    assert!(store.markers(alice.id, &[]).await.unwrap().is_empty());
    assert!(store.markers(bob.id, &both).await.unwrap().is_empty(), "markers are per account");
    assert_eq!(kinds_after(store, seq).await, vec![EventKind::MarkerUpdated; 4]);
}

pub async fn unread_notifications_are_those_above_the_notifications_marker(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let status = post(store, &alice, "hello").await;
    assert_eq!(store.unread_notifications(alice.id).await.unwrap(), 0);
    store.favourite(bob.id, status.id, Timestamp::now()).await.unwrap();
    store.follow(bob.id, alice.id).await.unwrap();
    let answer = reply(store, &bob, &status, "hi").await;
    store.follow(alice.id, bob.id).await.unwrap();
    let n = of(&run_notifier(store).await, &alice);
    assert_eq!(n.len(), 3);
    assert_eq!(store.unread_notifications(alice.id).await.unwrap(), 3, "all of them without a marker");
    assert_eq!(store.unread_notifications(bob.id).await.unwrap(), 1);

    let at = Timestamp::now();
    store.set_marker(alice.id, "home", n[2].id, at).await.unwrap();
    assert_eq!(store.unread_notifications(alice.id).await.unwrap(), 3, "the home marker does not count");
    store.set_marker(alice.id, "notifications", n[0].id, at).await.unwrap();
    assert_eq!(store.unread_notifications(alice.id).await.unwrap(), 2);
    store.set_marker(alice.id, "notifications", n[2].id, at).await.unwrap();
    assert_eq!(store.unread_notifications(alice.id).await.unwrap(), 0);
    assert_eq!(store.unread_notifications(bob.id).await.unwrap(), 1);

    // Counted as the list shows them: one whose status is gone is not.
    store.set_marker(alice.id, "notifications", n[0].id, at).await.unwrap();
    store.delete_status(answer.id, bob.id, at).await.unwrap();
    assert_eq!(store.unread_notifications(alice.id).await.unwrap(), 1);
}

pub async fn notifications_between_are_the_recipients_in_a_sequence_range_oldest_first(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let status = post(store, &alice, "hello").await;
    store.favourite(bob.id, status.id, Timestamp::now()).await.unwrap();
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(alice.id, bob.id).await.unwrap();
    store.favourite(carol.id, status.id, Timestamp::now()).await.unwrap();
    let answer = reply(store, &carol, &status, "hi").await;
    let stored = run_notifier(store).await;
    let a = of(&stored, &alice);
    assert_eq!(a.len(), 4);
    let last = store.last_event_seq().await.unwrap();
    let between = |recipient: Id, after: i64, upto: i64| async move {
        store.notifications_between(recipient, after, upto).await.unwrap()
    };

    assert_eq!(between(alice.id, 0, last).await, a, "all of them, oldest first, as stored");
    assert_eq!(ids_of(&between(alice.id, a[0].event_seq, a[2].event_seq).await), vec![a[1].id, a[2].id]);
    assert_eq!(ids_of(&between(alice.id, a[1].event_seq, a[2].event_seq).await), vec![a[2].id], "not bob's");
    assert_eq!(ids_of(&between(alice.id, a[0].event_seq - 1, a[0].event_seq).await), vec![a[0].id]);
    assert!(between(alice.id, a[3].event_seq, last).await.is_empty());
    assert!(between(alice.id, a[2].event_seq, a[1].event_seq).await.is_empty());
    assert_eq!(between(bob.id, 0, last).await, of(&stored, &bob));
    assert!(between(carol.id, 0, last).await.is_empty());

    // For live delivery: everyone's, by event, within the range.
    let everyone = store.notifications_for_events(0, last).await.unwrap();
    let mut expected = stored.clone();
    expected.sort_by_key(|n| (n.event_seq, n.id));
    assert_eq!(everyone, expected);
    let window = store.notifications_for_events(a[1].event_seq, a[2].event_seq).await.unwrap();
    let bobs = of(&stored, &bob);
    assert_eq!(window, vec![bobs[0].clone(), a[2].clone()], "bob's follow lies between alice's two");

    // As in the list, one whose status is gone is left out.
    store.delete_status(answer.id, carol.id, Timestamp::now()).await.unwrap();
    assert_eq!(ids_of(&between(alice.id, 0, last).await), ids_of(&a[..3]));
}
