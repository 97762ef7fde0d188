//! `live_state` against a rebuild from the log (`starling replay`): after a busy history
//! written through the store and applied by the notifier, the two agree exactly, and a
//! tampered live state is caught.

use starling_core::Store;
use starling_core::model::*;
use starling_core::notify::NotificationKind;
use starling_core::page::PageRequest;
use starling_core::projection::{Difference, LiveState, NotificationRecord, Object, Projection};
use starling_core::store::NotificationFilter;

use super::*;

const NOTIFIER: &str = "notifier";

/// The projection of the log up to `upto`, read in small batches as the CLI reads it in big ones.
pub async fn rebuild(store: &dyn Store, upto: i64) -> Projection {
    let mut projection = Projection::new();
    let mut after = 0;
    while after < upto {
        let events = store.events_after(after, 7).await.unwrap();
        let Some(last) = events.last().map(|e| e.seq) else { break };
        events.iter().take_while(|e| e.seq <= upto).for_each(|e| projection.apply(e));
        after = last;
    }
    projection
}

fn edit(text: &str) -> StatusEdit {
    StatusEdit {
        text: text.into(),
        content: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        language: None,
        mentions: Vec::new(),
        tags: Vec::new(),
        edited_at: Timestamp::now(),
    }
}

pub struct Cast {
    pub alice: Account,
    pub bob: Account,
    pub carol: Account,
    pub dave: Account,
    pub kept: Status,
}

/// Every kind of write that moves a counter or a notification, with the notifier running
/// between some of them (as it lags behind the writes in a live server).
pub async fn busy_history(store: &dyn Store) -> Cast {
    let now = Timestamp::now;
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let dave = account(store, "dave").await;
    for (follower, followee) in [(&bob, &alice), (&carol, &alice), (&dave, &alice), (&alice, &bob)] {
        store.follow(follower.id, followee.id).await.unwrap();
    }
    store.unfollow(dave.id, alice.id).await.unwrap();

    let doomed = store.create_status(NewStatus { mentions: vec![bob.id], ..draft(&alice, "hi @bob") }).await.unwrap();
    let kept = post_as(store, &alice, "quiet", Visibility::Unlisted).await;
    let r1 = reply(store, &bob, &doomed, "a reply").await;
    reply(store, &carol, &r1, "a reply to the reply").await;
    store
        .create_status(NewStatus { mentions: vec![carol.id], ..draft(&alice, "psst @carol") })
        .await
        .map(|_| ())
        .unwrap();
    let direct = NewStatus { visibility: Visibility::Direct, mentions: vec![dave.id], ..draft(&bob, "@dave hush") };
    store.create_status(direct).await.unwrap();
    let carols_reblog = reblog(store, &carol, &doomed).await;
    reblog(store, &bob, &doomed).await;
    reblog(store, &dave, &kept).await;
    // A reply to a reblog is a reply to its original.
    reply(store, &dave, &carols_reblog, "replying to a reblog").await;
    store.favourite(bob.id, doomed.id, now()).await.unwrap();
    store.favourite(carol.id, doomed.id, now()).await.unwrap();
    store.favourite(dave.id, r1.id, now()).await.unwrap();
    store.favourite(carol.id, kept.id, now()).await.unwrap();
    store.unfavourite(carol.id, doomed.id, now()).await.unwrap();
    store.edit_status(doomed.id, edit("hi again")).await.unwrap();
    run_notifier(store).await;

    let first = store.notifications(alice.id, &NotificationFilter::default(), PageRequest::first(1)).await.unwrap();
    store.dismiss_notification(alice.id, first.items[0].id, now()).await.unwrap();
    store.delete_status(doomed.id, alice.id, now()).await.unwrap();
    store.unreblog(dave.id, kept.id, now()).await.unwrap();
    store.clear_notifications(carol.id, now()).await.unwrap();
    store.follow(dave.id, carol.id).await.unwrap();
    store.favourite(bob.id, kept.id, now()).await.unwrap();
    run_notifier(store).await;
    Cast { alice, bob, carol, dave, kept }
}

pub async fn a_rebuild_from_the_log_matches_the_live_projections(store: &dyn Store) {
    let cast = busy_history(store).await;
    let live = store.live_state(NOTIFIER).await.unwrap();
    assert_eq!(live.last_event_seq, last_seq(store).await);
    assert_eq!(live.notifier_offset, live.last_event_seq);
    let projection = rebuild(store, live.last_event_seq).await;
    assert_eq!(projection.diff(&live), vec![]);

    // Not vacuous: the history left counters and notifications of every kind behind.
    assert_eq!(live.accounts.len(), 4);
    let alice = live.accounts[&cast.alice.id];
    assert_eq!((alice.followers_count, alice.following_count, alice.statuses_count), (2, 1, 2));
    assert_eq!(live.accounts[&cast.bob.id].statuses_count, 1, "the reply; not the direct one, nor the deleted reblog");
    assert_eq!(live.accounts[&cast.dave.id].statuses_count, 1, "the reply to a reblog; the reblog was undone");
    let kept = live.statuses[&cast.kept.id];
    assert_eq!((kept.replies_count, kept.reblogs_count, kept.favourites_count), (0, 0, 2));
    let kinds: Vec<NotificationKind> = live.notifications.values().map(|n| n.kind).collect();
    for kind in [NotificationKind::Follow, NotificationKind::Mention, NotificationKind::Favourite] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let carols: Vec<NotificationKind> =
        live.notifications.iter().filter(|((r, _), _)| *r == cast.carol.id).map(|(_, n)| n.kind).collect();
    assert_eq!(carols, vec![NotificationKind::Follow], "carol keeps only the follow that came after her clear");
}

pub async fn a_tampered_or_lagging_live_state_is_reported(store: &dyn Store) {
    let cast = busy_history(store).await;
    let live = store.live_state(NOTIFIER).await.unwrap();
    let projection = rebuild(store, live.last_event_seq).await;

    let mut tampered: LiveState = live.clone();
    tampered.accounts.get_mut(&cast.alice.id).unwrap().followers_count += 5;
    tampered.statuses.get_mut(&cast.kept.id).unwrap().favourites_count = 0;
    let (&dropped, &record) = tampered.notifications.iter().next().unwrap();
    tampered.notifications.remove(&dropped);
    assert_eq!(
        projection.diff(&tampered),
        vec![
            Difference::Counter { of: Object::Account(cast.alice.id), counter: "followers_count", live: 7, rebuilt: 2 },
            Difference::Counter { of: Object::Status(cast.kept.id), counter: "favourites_count", live: 0, rebuilt: 2 },
            Difference::NotificationMissingLive { key: dropped, rebuilt: record },
        ]
    );

    // A write the notifier has not applied yet: the rebuild has its notification, the live
    // state does not, and the report says why.
    store.follow(cast.bob.id, cast.dave.id).await.unwrap();
    let lagging = store.live_state(NOTIFIER).await.unwrap();
    let projection = rebuild(store, lagging.last_event_seq).await;
    let follow = NotificationRecord { kind: NotificationKind::Follow, from_account: cast.bob.id, status_id: None };
    assert_eq!(
        projection.diff(&lagging),
        vec![
            Difference::NotifierBehind { offset: live.last_event_seq, last_event_seq: lagging.last_event_seq },
            Difference::NotificationMissingLive { key: (cast.dave.id, lagging.last_event_seq), rebuilt: follow },
        ]
    );
    run_notifier(store).await;
    let caught_up = store.live_state(NOTIFIER).await.unwrap();
    assert_eq!(projection.diff(&caught_up), vec![]);
}
