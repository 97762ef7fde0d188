//! Home timelines kept outside the store (ADR 11): a store opened with `HomeMode::Pulled` writes
//! no home entries and computes homes when read, with the same rules; and the three questions a
//! cache of homes asks (`home_recipients`, `home_backfill`, `home_admitted`) agree with the
//! home timeline in either mode.

use std::future::Future;

use starling_core::event::EventKind;
use starling_core::model::*;
use starling_core::page::PageRequest;
use starling_core::store::HOME_TIMELINE_CAP;
use starling_core::{Id, Store};
use starling_store::{HomeMode, StoreOptions};

use super::home::{home_ids, newest_first, pages_through};
use super::*;

fn pulled() -> StoreOptions {
    StoreOptions { homes: HomeMode::Pulled, ..StoreOptions::default() }
}

/// Every status and reblog the log ever announced, deleted ones included, oldest first.
async fn every_status_id(store: &dyn Store) -> Vec<Id> {
    all_events(store)
        .await
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::StatusCreated => e.subject_id,
            EventKind::Reblogged => serde_json::from_value(e.payload["reblog_id"].clone()).ok(),
            _ => None,
        })
        .collect()
}

/// For each viewer and every status ever written: the viewer is among the status's recipients,
/// the viewer's backfill holds it, and `home_admitted` keeps it exactly when the home timeline
/// shows it. Returns how many (viewer, status) pairs are shown, so callers can check that the
/// agreement is not vacuous.
async fn the_cache_questions_agree_with_home_timelines(store: &dyn Store, viewers: &[&Account]) -> usize {
    let statuses = every_status_id(store).await;
    let mut backwards = statuses.clone();
    backwards.reverse();
    let mut shown = 0;
    for viewer in viewers {
        let home = ids(&store.home_timeline(viewer.id, PageRequest::first(1000)).await.unwrap());
        assert_eq!(store.home_backfill(viewer.id, 1000).await.unwrap(), home, "backfill of {}", viewer.username);
        let admitted = store.home_admitted(viewer.id, &backwards).await.unwrap();
        let expected: Vec<Id> = backwards.iter().copied().filter(|s| home.contains(s)).collect();
        assert_eq!(admitted, expected, "admitted for {}, in the order asked", viewer.username);
        for &status in &statuses {
            let recipients = store.home_recipients(status).await.unwrap();
            assert_eq!(
                recipients.contains(&viewer.id),
                home.contains(&status),
                "{} as a recipient of {status}",
                viewer.username
            );
        }
        shown += home.len();
    }
    shown
}

/// The materialised home's checks, each on a fresh pulled store: the homes computed when read
/// show exactly what the materialised ones show.
pub async fn pulled_home_timelines_follow_the_materialised_rules<F, Fut>(open: impl Fn(StoreOptions) -> Fut)
where
    F: Fixture,
    Fut: Future<Output = F>,
{
    let fixture = open(pulled()).await;
    a_new_status_reaches_followers_homes_at_once(fixture.store()).await;
    fixture.finish().await;
    let fixture = open(pulled()).await;
    unfollowing_removes_the_followees_statuses_from_home_but_not_from_their_profile(fixture.store()).await;
    fixture.finish().await;
    let fixture = open(pulled()).await;
    following_brings_recent_statuses_into_home(fixture.store()).await;
    fixture.finish().await;
    let fixture = open(pulled()).await;
    deleting_a_status_retracts_it_and_its_reblogs_from_every_home(fixture.store()).await;
    fixture.finish().await;
    let fixture = open(pulled()).await;
    mentions_decide_who_sees_reblogs_of_private_statuses_at_home(fixture.store()).await;
    fixture.finish().await;
}

pub async fn a_pulled_store_writes_no_home_entries_and_has_nothing_to_trim_or_check<F, Fut>(
    open: impl Fn(StoreOptions) -> Fut,
) where
    F: Fixture,
    Fut: Future<Output = F>,
{
    let mut fixture = open(pulled()).await;
    let store = fixture.store();
    let cast = busy_history(store).await;
    let everyone = [&cast.alice, &cast.bob, &cast.carol, &cast.dave];
    let shown = the_cache_questions_agree_with_home_timelines(store, &everyone).await;
    assert!(shown >= 8, "not vacuous: {shown} statuses shown at home");
    assert!(home_ids(store, &cast.bob).await.contains(&cast.kept.id), "bob follows alice");
    pages_through(store, &cast.bob, &home_ids(store, &cast.bob).await, 1).await;
    assert_eq!(store.trim_home_timelines(1).await.unwrap(), 0, "nothing materialised, nothing trimmed");
    let check = store.home_timeline_differences(HOME_TIMELINE_CAP).await.unwrap();
    assert_eq!((check.live, check.rebuilt, check.differences), (0, 0, vec![]));

    // Opened as a materialised store, the same database has no entries: the writes made none.
    fixture.reopen(StoreOptions::default()).await;
    for viewer in everyone {
        assert_eq!(home_ids(fixture.store(), viewer).await, vec![], "{}", viewer.username);
    }
    fixture.finish().await;
}

pub async fn home_recipients_backfill_and_admitted_agree_with_home_timelines(store: &dyn Store) {
    let cast = busy_history(store).await;
    let shown =
        the_cache_questions_agree_with_home_timelines(store, &[&cast.alice, &cast.bob, &cast.carol, &cast.dave]).await;
    assert!(shown >= 8, "not vacuous: {shown} statuses shown at home");
}

pub async fn home_recipients_follow_the_fan_out_rules(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let erin = account(store, "erin").await;
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(carol.id, alice.id).await.unwrap();
    store.follow(carol.id, erin.id).await.unwrap();
    let sorted = |mut ids: Vec<Id>| {
        ids.sort();
        ids
    };
    let all = |accounts: &[&Account]| sorted(accounts.iter().map(|a| a.id).collect());

    let hello = post(store, &alice, "hello").await;
    assert_eq!(sorted(store.home_recipients(hello.id).await.unwrap()), all(&[&alice, &bob, &carol]));
    let private = post_as(store, &alice, "followers only", Visibility::Private).await;
    assert_eq!(sorted(store.home_recipients(private.id).await.unwrap()), all(&[&alice, &bob, &carol]));
    let dm = NewStatus { visibility: Visibility::Direct, mentions: vec![bob.id], ..draft(&alice, "@bob psst") };
    let dm = store.create_status(dm).await.unwrap();
    assert_eq!(store.home_recipients(dm.id).await.unwrap(), vec![], "a direct status reaches no home");
    let by_erin = post(store, &erin, "erin").await;
    let to_erin = reply(store, &alice, &by_erin, "@erin hi").await;
    assert_eq!(
        sorted(store.home_recipients(to_erin.id).await.unwrap()),
        all(&[&alice, &carol]),
        "a reply to erin reaches only the followers who follow erin too"
    );
    // A reblog shows only where its original may: erin's private status is for her followers
    // (the store lets anyone reblog anything; the API is stricter).
    let secret = post_as(store, &erin, "erin's followers only", Visibility::Private).await;
    let boost = reblog(store, &alice, &secret).await;
    assert_eq!(store.home_recipients(boost.id).await.unwrap(), vec![carol.id], "not bob, not even alice");

    // The backfill is the newest first, cut to the limit; admitted keeps the order asked.
    let newest = newest_first(&[&to_erin, &private, &hello]);
    assert_eq!(store.home_backfill(alice.id, 2).await.unwrap(), newest[..2]);
    assert_eq!(store.home_backfill(alice.id, 100).await.unwrap(), newest);
    let asked = [hello.id, dm.id, by_erin.id, private.id, Id(1)];
    assert_eq!(store.home_admitted(bob.id, &asked).await.unwrap(), vec![hello.id, private.id]);
    assert_eq!(store.home_admitted(bob.id, &[]).await.unwrap(), vec![]);

    // Unfollowing and deleting take statuses out of every answer.
    store.unfollow(carol.id, erin.id).await.unwrap();
    assert_eq!(sorted(store.home_recipients(to_erin.id).await.unwrap()), all(&[&alice]));
    store.delete_status(hello.id, alice.id, Timestamp::now()).await.unwrap();
    assert_eq!(store.home_recipients(hello.id).await.unwrap(), vec![], "a deleted status reaches no one");
    assert_eq!(store.home_admitted(bob.id, &asked).await.unwrap(), vec![private.id]);
    assert!(!store.home_backfill(bob.id, 100).await.unwrap().contains(&hello.id));
}
