//! Timelines, their visibility rules and paging, and threads.

use starling_core::model::*;
use starling_core::page::PageRequest;
use starling_core::store::AccountStatusesFilter;
use starling_core::{Id, Store, StoreError};

use super::*;

fn first(limit: u32) -> PageRequest {
    PageRequest::first(limit)
}

async fn home(store: &dyn Store, viewer: &Account) -> Vec<Id> {
    ids(&store.home_timeline(viewer.id, first(40)).await.unwrap())
}

async fn public(store: &dyn Store) -> Vec<Id> {
    ids(&store.public_timeline(first(40), false).await.unwrap())
}

async fn tag(store: &dyn Store, name: &str) -> Vec<Id> {
    ids(&store.tag_timeline(name, first(40)).await.unwrap())
}

async fn of(store: &dyn Store, author: &Account, viewer: Option<&Account>, filter: AccountStatusesFilter) -> Vec<Id> {
    ids(&store.account_statuses(author.id, viewer.map(|v| v.id), filter, first(40)).await.unwrap())
}

fn newest_first(statuses: &[&Status]) -> Vec<Id> {
    statuses.iter().rev().map(|s| s.id).collect()
}

pub async fn the_home_timeline_shows_the_viewer_and_followed_accounts_only(store: &dyn Store) {
    let viewer = account(store, "viewer").await;
    let friend = account(store, "friend").await;
    let booster = account(store, "booster").await;
    let stranger = account(store, "stranger").await;
    store.follow(viewer.id, friend.id).await.unwrap();
    store.follow(viewer.id, booster.id).await.unwrap();

    let f_public = post(store, &friend, "public").await;
    let f_private = post_as(store, &friend, "private", Visibility::Private).await;
    let f_unlisted = post_as(store, &friend, "unlisted", Visibility::Unlisted).await;
    let f_direct = NewStatus { visibility: Visibility::Direct, mentions: vec![viewer.id], ..draft(&friend, "dm") };
    store.create_status(f_direct).await.unwrap();
    let s_public = post(store, &stranger, "stranger public").await;
    let s_private = post_as(store, &stranger, "stranger private", Visibility::Private).await;
    let own = post(store, &viewer, "own").await;
    let own_private = post_as(store, &viewer, "own private", Visibility::Private).await;
    let own_direct = NewStatus { visibility: Visibility::Direct, mentions: vec![friend.id], ..draft(&viewer, "dm") };
    store.create_status(own_direct).await.unwrap();
    let boost = reblog(store, &booster, &s_public).await;
    reblog(store, &stranger, &f_public).await;
    // A reblog of something the viewer may not see stays hidden even from a followed booster.
    reblog(store, &booster, &s_private).await;

    let expected = newest_first(&[&f_public, &f_private, &f_unlisted, &own, &own_private, &boost]);
    assert_eq!(home(store, &viewer).await, expected);
    let boosted = store.home_timeline(viewer.id, first(1)).await.unwrap();
    assert_eq!(boosted.items[0].reblog.as_ref().map(|r| r.id), Some(s_public.id), "reblogs come hydrated");

    store.unfollow(viewer.id, booster.id).await.unwrap();
    assert_eq!(home(store, &viewer).await, newest_first(&[&f_public, &f_private, &f_unlisted, &own, &own_private]));
    let loner = account(store, "loner").await;
    assert!(home(store, &loner).await.is_empty());
}

pub async fn the_home_timeline_hides_replies_to_accounts_the_viewer_does_not_follow(store: &dyn Store) {
    let viewer = account(store, "viewer").await;
    let friend = account(store, "friend").await;
    let other_friend = account(store, "other_friend").await;
    let stranger = account(store, "stranger").await;
    store.follow(viewer.id, friend.id).await.unwrap();
    store.follow(viewer.id, other_friend.id).await.unwrap();

    let by_stranger = post(store, &stranger, "stranger").await;
    let by_other_friend = post(store, &other_friend, "other friend").await;
    let by_viewer = post(store, &viewer, "viewer").await;
    let by_friend = post(store, &friend, "friend").await;
    reply(store, &friend, &by_stranger, "to a stranger").await;
    let to_followed = reply(store, &friend, &by_other_friend, "to a followed account").await;
    let to_viewer = reply(store, &friend, &by_viewer, "to the viewer").await;
    let to_self = reply(store, &friend, &by_friend, "a thread").await;
    let own_reply = reply(store, &viewer, &by_stranger, "the viewer's own reply").await;
    reply(store, &stranger, &by_friend, "a stranger's reply").await;

    let expected =
        newest_first(&[&by_other_friend, &by_viewer, &by_friend, &to_followed, &to_viewer, &to_self, &own_reply]);
    assert_eq!(home(store, &viewer).await, expected);
}

pub async fn the_public_timeline_shows_public_originals_without_replies_to_others(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let a_public = post(store, &alice, "public").await;
    post_as(store, &alice, "unlisted", Visibility::Unlisted).await;
    post_as(store, &alice, "private", Visibility::Private).await;
    let direct = NewStatus { visibility: Visibility::Direct, mentions: vec![bob.id], ..draft(&alice, "dm") };
    store.create_status(direct).await.unwrap();
    let b_public = post(store, &bob, "bob public").await;
    let thread = reply(store, &alice, &a_public, "a thread").await;
    reply(store, &alice, &b_public, "a reply to bob").await;
    reblog(store, &bob, &a_public).await;

    assert_eq!(public(store).await, newest_first(&[&a_public, &b_public, &thread]));
    let only_media = store.public_timeline(first(40), true).await.unwrap();
    assert!(only_media.items.is_empty(), "no media exists yet");
}

pub async fn the_tag_timeline_shows_public_statuses_with_the_tag(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let tagged = |text: &str, visibility: Visibility, tags: &[&str]| NewStatus {
        visibility,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ..draft(&alice, text)
    };
    let public_rust = store.create_status(tagged("#Rust", Visibility::Public, &["Rust"])).await.unwrap();
    assert_eq!(public_rust.tags, vec!["rust".to_string()]);
    store.create_status(tagged("#rust", Visibility::Unlisted, &["rust"])).await.unwrap();
    store.create_status(tagged("#rust", Visibility::Private, &["rust"])).await.unwrap();
    let other = store.create_status(tagged("#go", Visibility::Public, &["go"])).await.unwrap();
    let by_bob = post(store, &bob, "bob").await;
    let reply_rust = NewStatus { in_reply_to_id: Some(by_bob.id), ..tagged("#rust", Visibility::Public, &["rust"]) };
    let reply_rust = store.create_status(reply_rust).await.unwrap();
    reblog(store, &bob, &public_rust).await;

    let expected = newest_first(&[&public_rust, &reply_rust]);
    assert_eq!(tag(store, "rust").await, expected);
    assert_eq!(tag(store, "RUST").await, expected, "tags match without regard to case");
    assert_eq!(tag(store, "go").await, vec![other.id]);
    assert!(tag(store, "nothing").await.is_empty());
}

pub async fn account_statuses_depend_on_who_is_looking(store: &dyn Store) {
    let author = account(store, "author").await;
    let follower = account(store, "follower").await;
    let stranger = account(store, "stranger").await;
    let mentioned = account(store, "mentioned").await;
    let friend = account(store, "friend").await;
    store.follow(follower.id, author.id).await.unwrap();
    store.follow(author.id, friend.id).await.unwrap();

    let friends_public = post(store, &friend, "friend public").await;
    let friends_private = post_as(store, &friend, "friend private", Visibility::Private).await;
    let public = post(store, &author, "public").await;
    let unlisted = post_as(store, &author, "unlisted", Visibility::Unlisted).await;
    let private = post_as(store, &author, "private", Visibility::Private).await;
    let direct = NewStatus { visibility: Visibility::Direct, mentions: vec![mentioned.id], ..draft(&author, "dm") };
    let direct = store.create_status(direct).await.unwrap();
    let private_mention =
        NewStatus { visibility: Visibility::Private, mentions: vec![mentioned.id], ..draft(&author, "pm") };
    let private_mention = store.create_status(private_mention).await.unwrap();
    let boost_public = reblog(store, &author, &friends_public).await;
    // Only those who may see the friend's private status see the author's reblog of it.
    let boost_private = reblog(store, &author, &friends_private).await;

    let all = AccountStatusesFilter::default();
    let everyone = newest_first(&[&public, &unlisted, &boost_public]);
    assert_eq!(of(store, &author, None, all).await, everyone, "anonymous");
    assert_eq!(of(store, &author, Some(&stranger), all).await, everyone, "a stranger");
    assert_eq!(
        of(store, &author, Some(&follower), all).await,
        newest_first(&[&public, &unlisted, &private, &private_mention, &boost_public]),
        "a follower"
    );
    assert_eq!(
        of(store, &author, Some(&mentioned), all).await,
        newest_first(&[&public, &unlisted, &direct, &private_mention, &boost_public]),
        "the mentioned"
    );
    assert_eq!(
        of(store, &author, Some(&author), all).await,
        newest_first(&[&public, &unlisted, &private, &direct, &private_mention, &boost_public, &boost_private]),
        "the author"
    );
    assert!(of(store, &stranger, None, all).await.is_empty());
}

pub async fn account_statuses_can_exclude_replies_and_reblogs(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let by_bob = post(store, &bob, "bob").await;
    let top = post(store, &alice, "top").await;
    let thread = reply(store, &alice, &top, "thread").await;
    let to_bob = reply(store, &alice, &by_bob, "to bob").await;
    let boost = reblog(store, &alice, &by_bob).await;

    let filter = |exclude_replies, exclude_reblogs| AccountStatusesFilter {
        exclude_replies,
        exclude_reblogs,
        only_media: false,
    };
    assert_eq!(of(store, &alice, None, filter(false, false)).await, newest_first(&[&top, &thread, &to_bob, &boost]));
    assert_eq!(of(store, &alice, None, filter(true, false)).await, newest_first(&[&top, &thread, &boost]));
    assert_eq!(of(store, &alice, None, filter(false, true)).await, newest_first(&[&top, &thread, &to_bob]));
    assert_eq!(of(store, &alice, None, filter(true, true)).await, newest_first(&[&top, &thread]));
    let only_media = AccountStatusesFilter { only_media: true, ..filter(false, false) };
    assert!(of(store, &alice, Some(&alice), only_media).await.is_empty(), "no media exists yet");
}

pub async fn timelines_are_paged_by_status_id(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let mut s = Vec::new();
    for i in 0..5 {
        s.push(
            store.create_status(NewStatus { tags: vec!["t".into()], ..draft(&alice, &format!("s{i}")) }).await.unwrap(),
        );
    }
    let sid = |i: usize| s[i].id;
    let req = |max_id: Option<usize>, since_id: Option<usize>, min_id: Option<usize>, limit: u32| PageRequest {
        max_id: max_id.map(sid),
        since_id: since_id.map(sid),
        min_id: min_id.map(sid),
        limit,
    };
    let cases: Vec<(PageRequest, Vec<Id>)> = vec![
        (req(None, None, None, 2), vec![sid(4), sid(3)]),
        (req(Some(3), None, None, 2), vec![sid(2), sid(1)]),
        (req(Some(1), None, None, 2), vec![sid(0)]),
        (req(Some(0), None, None, 2), vec![]),
        (req(None, None, Some(1), 2), vec![sid(3), sid(2)]),
        (req(None, None, Some(3), 5), vec![sid(4)]),
        (req(None, None, Some(4), 5), vec![]),
        (req(None, Some(1), None, 2), vec![sid(4), sid(3)]),
        (req(None, Some(1), None, 10), vec![sid(4), sid(3), sid(2)]),
        (req(Some(4), Some(1), None, 10), vec![sid(3), sid(2)]),
        (req(None, Some(0), Some(2), 10), vec![sid(4), sid(3)]),
    ];
    for (request, expected) in cases {
        let pages = [
            store.public_timeline(request, false).await.unwrap(),
            store.home_timeline(alice.id, request).await.unwrap(),
            store.tag_timeline("t", request).await.unwrap(),
            store.account_statuses(alice.id, None, AccountStatusesFilter::default(), request).await.unwrap(),
        ];
        for (which, page) in ["public", "home", "tag", "account"].iter().zip(pages) {
            assert_eq!(ids(&page), expected, "{which} timeline, {request:?}");
            assert_eq!(page.cursors, expected, "{which} timeline cursors are status ids");
        }
    }
}

pub async fn context_lists_ancestors_oldest_first_and_descendants_in_thread_order(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let root = post(store, &alice, "root").await;
    let a1 = reply(store, &bob, &root, "a1").await;
    let b1 = reply(store, &alice, &a1, "b1").await;
    let a2 = reply(store, &bob, &root, "a2").await;
    let c1 = reply(store, &bob, &b1, "c1").await;
    let b2 = reply(store, &bob, &a1, "b2").await;
    let elsewhere = post(store, &bob, "unrelated").await;
    reblog(store, &bob, &root).await;

    let (ancestors, descendants) = store.context(root.id).await.unwrap();
    assert!(ancestors.is_empty());
    assert_eq!(ids_of(&descendants), vec![a1.id, b1.id, c1.id, b2.id, a2.id], "depth first, oldest first");

    let (ancestors, descendants) = store.context(b1.id).await.unwrap();
    assert_eq!(ids_of(&ancestors), vec![root.id, a1.id]);
    assert_eq!(ids_of(&descendants), vec![c1.id]);
    assert_eq!(ancestors[1].text, "a1", "context statuses come hydrated");

    let (ancestors, descendants) = store.context(elsewhere.id).await.unwrap();
    assert!(ancestors.is_empty() && descendants.is_empty());
    assert!(matches!(store.context(Id(42)).await, Err(StoreError::NotFound)));

    // With a1 gone the thread breaks there: c1's ancestors stop at b1.
    store.delete_status(a1.id, bob.id, Timestamp::now()).await.unwrap();
    let (ancestors, _) = store.context(c1.id).await.unwrap();
    assert_eq!(ids_of(&ancestors), vec![b1.id]);
    let (_, descendants) = store.context(root.id).await.unwrap();
    assert_eq!(ids_of(&descendants), vec![a2.id]);
}
