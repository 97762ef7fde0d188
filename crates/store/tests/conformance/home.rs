//! Materialised home timelines: what each write does to the followers' homes at once, the
//! read-time merge of popular authors, trimming, and the check that recomputes every home from
//! statuses and follows. The rules themselves (who sees what) are in `timelines.rs`.

use std::future::Future;

use starling_core::model::*;
use starling_core::page::PageRequest;
use starling_core::store::{AccountStatusesFilter, HOME_TIMELINE_CAP};
use starling_core::{Id, Store};
use starling_store::StoreOptions;

use super::*;

pub(super) async fn home_ids(store: &dyn Store, viewer: &Account) -> Vec<Id> {
    ids(&store.home_timeline(viewer.id, PageRequest::first(40)).await.unwrap())
}

pub(super) fn newest_first(statuses: &[&Status]) -> Vec<Id> {
    let mut ids: Vec<Id> = statuses.iter().map(|s| s.id).collect();
    ids.sort_by(|a, b| b.cmp(a));
    ids
}

/// The stored entries agree with the rules; returns how many there are.
pub(super) async fn consistent(store: &dyn Store) -> u64 {
    let check = store.home_timeline_differences(HOME_TIMELINE_CAP).await.unwrap();
    assert_eq!(check.differences, vec![]);
    assert_eq!(check.live, check.rebuilt);
    check.live
}

/// Pages through the whole home timeline with `limit`, down by `max_id`, then up again by
/// `min_id` from below the oldest, and checks both walks and a `since_id` page against `expected`.
pub(super) async fn pages_through(store: &dyn Store, viewer: &Account, expected: &[Id], limit: u32) {
    let mut down = Vec::new();
    let mut req = PageRequest::first(limit);
    loop {
        let page = store.home_timeline(viewer.id, req).await.unwrap();
        assert_eq!(page.cursors, ids(&page), "home cursors are status ids");
        let Some(last) = page.next_max_id() else { break };
        down.extend(ids(&page));
        req = PageRequest { max_id: Some(last), ..PageRequest::first(limit) };
    }
    assert_eq!(down, expected, "paging down by max_id with limit {limit}");

    let mut up = Vec::new();
    let mut req = PageRequest { min_id: Some(Id(0)), ..PageRequest::first(limit) };
    loop {
        let page = store.home_timeline(viewer.id, req).await.unwrap();
        let Some(first) = page.prev_min_id() else { break };
        up.splice(0..0, ids(&page));
        req = PageRequest { min_id: Some(first), ..PageRequest::first(limit) };
    }
    assert_eq!(up, expected, "paging up by min_id with limit {limit}");

    if expected.len() > 2 {
        let since = PageRequest { since_id: Some(expected[expected.len() - 1]), ..PageRequest::first(limit) };
        let page = store.home_timeline(viewer.id, since).await.unwrap();
        let want: Vec<Id> = expected.iter().take((limit as usize).min(expected.len() - 1)).copied().collect();
        assert_eq!(ids(&page), want, "since_id: the newest above it");
    }
}

pub async fn a_new_status_reaches_followers_homes_at_once(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let dave = account(store, "dave").await;
    let erin = account(store, "erin").await;
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(carol.id, alice.id).await.unwrap();
    store.follow(carol.id, erin.id).await.unwrap();
    store.follow(dave.id, bob.id).await.unwrap();

    // No worker and no waiting: the entries are written with the status.
    let hello = post(store, &alice, "hello").await;
    for viewer in [&alice, &bob, &carol] {
        assert_eq!(home_ids(store, viewer).await, vec![hello.id], "{}", viewer.username);
    }
    assert!(home_ids(store, &dave).await.is_empty(), "dave follows bob, not alice");

    let private = post_as(store, &alice, "followers only", Visibility::Private).await;
    let dm = NewStatus { visibility: Visibility::Direct, mentions: vec![bob.id], ..draft(&alice, "@bob psst") };
    store.create_status(dm).await.unwrap();
    let by_erin = post(store, &erin, "erin").await;
    let to_erin = reply(store, &alice, &by_erin, "@erin hi").await;
    let boost = reblog(store, &bob, &hello).await;

    assert_eq!(home_ids(store, &alice).await, newest_first(&[&to_erin, &private, &hello]), "no direct status");
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&boost, &private, &hello]), "no reply to a stranger");
    assert_eq!(home_ids(store, &carol).await, newest_first(&[&to_erin, &by_erin, &private, &hello]));
    assert_eq!(home_ids(store, &dave).await, vec![boost.id], "a reblog reaches the reblogger's followers");
    assert_eq!(home_ids(store, &erin).await, vec![by_erin.id]);
    consistent(store).await;
}

pub async fn unfollowing_removes_the_followees_statuses_from_home_but_not_from_their_profile(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(bob.id, carol.id).await.unwrap();

    let by_carol = post(store, &carol, "carol").await;
    let by_alice = post(store, &alice, "alice").await;
    let boost = reblog(store, &alice, &by_carol).await;
    let to_carol = reply(store, &alice, &by_carol, "@carol indeed").await;
    let by_bob = post(store, &bob, "bob").await;
    let everything = newest_first(&[&by_bob, &to_carol, &boost, &by_alice, &by_carol]);
    assert_eq!(home_ids(store, &bob).await, everything);

    // Alice's reply to carol shows only while bob follows carol too.
    store.unfollow(bob.id, carol.id).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&by_bob, &boost, &by_alice]));
    store.unfollow(bob.id, alice.id).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, vec![by_bob.id], "alice's statuses and reblogs are gone");
    consistent(store).await;

    let profile =
        store.account_statuses(alice.id, Some(bob.id), AccountStatusesFilter::default(), PageRequest::first(40));
    assert_eq!(ids(&profile.await.unwrap()), newest_first(&[&to_carol, &boost, &by_alice]), "the profile keeps them");

    store.follow(bob.id, alice.id).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&by_bob, &boost, &by_alice]));
    store.follow(bob.id, carol.id).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, everything, "following again brings everything back");
    consistent(store).await;
}

pub async fn following_brings_recent_statuses_into_home(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let erin = account(store, "erin").await;
    store.follow(bob.id, carol.id).await.unwrap();

    let by_erin = post(store, &erin, "erin").await;
    let older = post(store, &alice, "older").await;
    let private = post_as(store, &alice, "followers only", Visibility::Private).await;
    let dm = NewStatus { visibility: Visibility::Direct, mentions: vec![bob.id], ..draft(&alice, "@bob psst") };
    store.create_status(dm).await.unwrap();
    reply(store, &alice, &by_erin, "@erin a reply bob will not see").await;
    let carols_reply = reply(store, &carol, &older, "@alice a reply to alice").await;
    // The store lets anyone reblog anything (the API is stricter); whether it shows depends on
    // whether the viewer may see the original.
    let carols_boost = reblog(store, &carol, &private).await;
    assert!(home_ids(store, &bob).await.is_empty(), "carol's reply and reblog concern someone bob does not follow");

    store.follow(bob.id, alice.id).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&carols_boost, &carols_reply, &private, &older]));
    let newer = post(store, &alice, "newer").await;
    assert_eq!(home_ids(store, &bob).await[0], newer.id);
    consistent(store).await;
}

pub async fn deleting_a_status_retracts_it_and_its_reblogs_from_every_home(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let dave = account(store, "dave").await;
    store.follow(bob.id, alice.id).await.unwrap();
    store.follow(carol.id, alice.id).await.unwrap();
    store.follow(dave.id, carol.id).await.unwrap();

    let doomed = post(store, &alice, "doomed").await;
    let kept = post(store, &alice, "kept").await;
    let carols_boost = reblog(store, &carol, &doomed).await;
    let bobs_boost = reblog(store, &bob, &kept).await;
    assert_eq!(home_ids(store, &dave).await, vec![carols_boost.id]);
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&bobs_boost, &kept, &doomed]));

    store.delete_status(doomed.id, alice.id, Timestamp::now()).await.unwrap();
    assert_eq!(home_ids(store, &alice).await, vec![kept.id]);
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&bobs_boost, &kept]));
    assert_eq!(home_ids(store, &carol).await, vec![kept.id], "the reblog went with its original");
    assert!(home_ids(store, &dave).await.is_empty());

    store.unreblog(bob.id, kept.id, Timestamp::now()).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, vec![kept.id], "an undone reblog leaves too");
    store.delete_status(kept.id, alice.id, Timestamp::now()).await.unwrap();
    for viewer in [&alice, &bob, &carol, &dave] {
        assert!(home_ids(store, viewer).await.is_empty(), "{}", viewer.username);
    }
    assert_eq!(consistent(store).await, 0, "no entry is left behind");
}

pub async fn mentions_decide_who_sees_reblogs_of_private_statuses_at_home(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let dave = account(store, "dave").await;
    store.follow(dave.id, bob.id).await.unwrap();

    let pm = NewStatus { visibility: Visibility::Private, mentions: vec![dave.id], ..draft(&alice, "@dave psst") };
    let pm = store.create_status(pm).await.unwrap();
    let boost = reblog(store, &bob, &pm).await;
    assert_eq!(home_ids(store, &dave).await, vec![boost.id], "dave may see the original: it mentions him");

    let edit = |mentions: Vec<Id>| StatusEdit {
        text: "psst".into(),
        content: "<p>psst</p>".into(),
        spoiler_text: String::new(),
        sensitive: false,
        language: None,
        mentions,
        tags: Vec::new(),
        edited_at: Timestamp::now(),
    };
    store.edit_status(pm.id, edit(Vec::new())).await.unwrap();
    assert!(home_ids(store, &dave).await.is_empty(), "no longer mentioned, dave may not see it");
    consistent(store).await;
    store.edit_status(pm.id, edit(vec![dave.id])).await.unwrap();
    assert_eq!(home_ids(store, &dave).await, vec![boost.id]);
    consistent(store).await;
}

pub async fn trimming_keeps_the_newest_entries_and_the_home_timeline_ends_there(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let carols_old = post(store, &carol, "written before the cut").await;
    store.follow(bob.id, alice.id).await.unwrap();
    let mut s = Vec::new();
    for i in 0..6 {
        s.push(post(store, &alice, &format!("s{i}")).await);
    }
    assert_eq!(store.trim_home_timelines(HOME_TIMELINE_CAP).await.unwrap(), 0, "nothing is over the cap");

    assert_eq!(store.trim_home_timelines(4).await.unwrap(), 4, "two of alice's and two of bob's");
    let newest_four = newest_first(&[&s[5], &s[4], &s[3], &s[2]]);
    assert_eq!(home_ids(store, &bob).await, newest_four);
    assert_eq!(home_ids(store, &alice).await, newest_four);
    let below = PageRequest { max_id: Some(s[2].id), ..PageRequest::first(40) };
    assert!(store.home_timeline(bob.id, below).await.unwrap().items.is_empty(), "the timeline ends at the cut");
    let profile = store.account_statuses(alice.id, None, AccountStatusesFilter::default(), PageRequest::first(40));
    assert_eq!(profile.await.unwrap().items.len(), 6, "the profile keeps everything");
    assert_eq!(store.trim_home_timelines(4).await.unwrap(), 0);

    let s6 = post(store, &alice, "s6").await;
    assert_eq!(home_ids(store, &bob).await.len(), 5, "between two trims a home may grow past the cap");
    assert_eq!(store.trim_home_timelines(4).await.unwrap(), 2);
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&s6, &s[5], &s[4], &s[3]]));

    // A status older than the cut does not come back by following its author.
    store.follow(bob.id, carol.id).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&s6, &s[5], &s[4], &s[3]]));
    assert_eq!(home_ids(store, &carol).await, vec![carols_old.id], "carol's home was never cut");
    // Trimmed entries are not differences, whatever the window compared.
    assert_eq!(consistent(store).await, 9);
    let narrow = store.home_timeline_differences(2).await.unwrap();
    assert_eq!((narrow.differences, narrow.live, narrow.rebuilt), (vec![], 5, 5));
}

pub async fn home_timelines_match_their_rules_after_a_busy_history(store: &dyn Store) {
    let cast = busy_history(store).await;
    let entries = consistent(store).await;
    assert!(entries >= 8, "not vacuous: {entries} entries");
    let small = store.home_timeline_differences(1).await.unwrap();
    assert_eq!(small.differences, vec![]);
    assert_eq!(small.live, 4, "each of the four accounts has something at home");
    // Carol follows alice; alice's mention of carol and the unlisted status are there, the
    // deleted status and its reblogs are not.
    let carols = store.home_timeline(cast.carol.id, PageRequest::first(40)).await.unwrap();
    assert!(ids(&carols).contains(&cast.kept.id));
    assert!(carols.items.iter().all(|s| s.reblog.is_none()), "carol's reblog went with its original");
}

/// Options with a fan-out threshold of 2 followers: an author with 3 is popular.
fn popular_at_two() -> StoreOptions {
    StoreOptions { fanout_threshold: 2, ..StoreOptions::default() }
}

pub async fn popular_authors_are_merged_into_home_timelines_when_read<F, Fut>(open: impl FnOnce(StoreOptions) -> Fut)
where
    F: Fixture,
    Fut: Future<Output = F>,
{
    let mut fixture = open(popular_at_two()).await;
    let store = fixture.store();
    let star = account(store, "star").await;
    let friend = account(store, "friend").await;
    let stranger = account(store, "stranger").await;
    let fan_a = account(store, "fan_a").await;
    let fan_b = account(store, "fan_b").await;
    let fan_c = account(store, "fan_c").await;
    for fan in [&fan_a, &fan_b, &fan_c] {
        store.follow(fan.id, star.id).await.unwrap();
    }
    store.follow(fan_a.id, friend.id).await.unwrap();

    let by_stranger = post(store, &stranger, "stranger").await;
    let mut star_shown = Vec::new();
    let mut friend_shown = Vec::new();
    for i in 0..4 {
        star_shown.push(post(store, &star, &format!("star {i}")).await);
        friend_shown.push(post(store, &friend, &format!("friend {i}")).await);
    }
    star_shown.push(post_as(store, &star, "for followers", Visibility::Private).await);
    let dm = NewStatus { visibility: Visibility::Direct, mentions: vec![fan_a.id], ..draft(&star, "@fan_a hi") };
    store.create_status(dm).await.unwrap();
    let to_stranger = reply(store, &star, &by_stranger, "@stranger hi").await;
    star_shown.push(reblog(store, &star, &friend_shown[1]).await);
    friend_shown.push(post(store, &friend, "friend last").await);

    let stars: Vec<&Status> = star_shown.iter().collect();
    let both: Vec<&Status> = star_shown.iter().chain(&friend_shown).collect();
    let mut own: Vec<&Status> = stars.clone();
    own.push(&to_stranger);
    assert_eq!(home_ids(store, &fan_a).await, newest_first(&both), "merged with fanned-out statuses, by id");
    assert_eq!(home_ids(store, &fan_b).await, newest_first(&stars), "no direct status, no reply to a stranger");
    assert_eq!(home_ids(store, &star).await, newest_first(&own), "the author's own home has their entries");
    for limit in [1, 2, 3, 5] {
        pages_through(store, &fan_a, &newest_first(&both), limit).await;
    }
    // Entries were written for each author (the stranger has one too) and for fan_a's friend,
    // none for the star's fans.
    let entries = consistent(store).await;
    assert_eq!(entries, (own.len() + 2 * friend_shown.len() + 1) as u64);

    // Down to the threshold: new statuses are fanned out again, and those merged before stay
    // merged, so nothing disappears nor shows twice.
    store.unfollow(fan_c.id, star.id).await.unwrap();
    assert!(home_ids(store, &fan_c).await.is_empty());
    let after = post(store, &star, "after").await;
    star_shown.push(after.clone());
    let stars: Vec<&Status> = star_shown.iter().collect();
    assert_eq!(home_ids(store, &fan_b).await, newest_first(&stars));
    assert_eq!(consistent(store).await, entries + 3, "the star's own entry, fan_a's and fan_b's");
    // Back above it: the follow copies only what was fanned out; the rest is merged when read.
    store.follow(fan_c.id, star.id).await.unwrap();
    assert_eq!(home_ids(store, &fan_c).await, newest_first(&stars));
    assert_eq!(consistent(store).await, entries + 4);
    let fan_a_home = home_ids(store, &fan_a).await;

    // The threshold applies to statuses written from now on: reopening with another one
    // changes nothing already written.
    fixture.reopen(StoreOptions::default()).await;
    let store = fixture.store();
    assert_eq!(home_ids(store, &fan_a).await, fan_a_home);
    let fanned = post(store, &star, "fanned out to all three").await;
    assert_eq!(home_ids(store, &fan_c).await[0], fanned.id);
    assert_eq!(consistent(store).await, entries + 8);
    fixture.reopen(StoreOptions { fanout_threshold: 0, ..StoreOptions::default() }).await;
    let store = fixture.store();
    let merged = post(store, &friend, "merged now").await;
    assert_eq!(home_ids(store, &fan_a).await[0], merged.id);
    assert_eq!(consistent(store).await, entries + 9, "only friend's own entry");

    // Trimming to nothing removes every entry there is: that many were written, no more.
    assert_eq!(store.trim_home_timelines(0).await.unwrap(), entries + 9);
    assert_eq!(consistent(store).await, 0);
    fixture.finish().await;
}
