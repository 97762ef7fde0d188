//! Followed hashtags: the list an account follows, and what following a tag brings home:
//! public statuses carrying it, from anyone, under the same home rule as everything else.

use std::future::Future;

use starling_core::Store;
use starling_core::event::EventKind;
use starling_core::model::*;
use starling_core::page::PageRequest;
use starling_store::{HomeMode, StoreOptions};

use super::home::{consistent, home_ids, newest_first};
use super::*;

fn tagged(author: &Account, text: &str, tags: &[&str]) -> NewStatus {
    NewStatus { tags: tags.iter().map(|t| t.to_string()).collect(), ..draft(author, text) }
}

fn retag(text: &str, tags: &[&str]) -> StatusEdit {
    StatusEdit {
        text: text.to_string(),
        content: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        language: None,
        mentions: Vec::new(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        edited_at: Timestamp::now(),
    }
}

pub async fn followed_tags_are_listed_newest_first_paged_and_logged(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let before = last_seq(store).await;
    for tag in ["birds", "trees", "rivers"] {
        assert_eq!(store.follow_tag(alice.id, tag).await.unwrap(), Change::Made);
    }
    assert_eq!(store.follow_tag(alice.id, "birds").await.unwrap(), Change::Unchanged, "followed once");
    assert_eq!(kinds_after(store, before).await, vec![EventKind::TagFollowed; 3]);
    let event = all_events(store).await.pop().unwrap();
    assert_eq!((event.actor_id, event.subject_id), (Some(alice.id), None));
    assert_eq!(event.payload["tag"], "rivers");

    let all = store.followed_tags(alice.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(all.items, vec!["rivers", "trees", "birds"], "newest follow first");
    let first = store.followed_tags(alice.id, PageRequest::first(2)).await.unwrap();
    assert_eq!(first.items, vec!["rivers", "trees"]);
    let next = PageRequest { max_id: first.next_max_id(), ..PageRequest::first(2) };
    assert_eq!(store.followed_tags(alice.id, next).await.unwrap().items, vec!["birds"]);
    let above = PageRequest { min_id: all.cursors.last().copied(), ..PageRequest::first(1) };
    assert_eq!(store.followed_tags(alice.id, above).await.unwrap().items, vec!["trees"], "right above birds");
    assert!(store.followed_tags(bob.id, PageRequest::first(10)).await.unwrap().items.is_empty());

    let asked = ["oceans", "birds", "rivers"].map(String::from);
    assert_eq!(store.following_tags(alice.id, &asked).await.unwrap(), vec!["birds", "rivers"], "in the order asked");
    assert!(store.following_tags(bob.id, &asked).await.unwrap().is_empty());
    assert!(store.following_tags(alice.id, &[]).await.unwrap().is_empty());

    store.follow_tag(bob.id, "trees").await.unwrap();
    let mut followers = store.tag_follower_ids(&["trees".into(), "birds".into(), "oceans".into()]).await.unwrap();
    followers.sort();
    assert_eq!(followers, vec![alice.id, bob.id], "each once");
    assert!(store.tag_follower_ids(&["oceans".into()]).await.unwrap().is_empty());
    store.unfollow_tag(bob.id, "trees").await.unwrap();

    let before = last_seq(store).await;
    assert_eq!(store.unfollow_tag(alice.id, "trees").await.unwrap(), Change::Made);
    assert_eq!(store.unfollow_tag(alice.id, "trees").await.unwrap(), Change::Unchanged);
    assert_eq!(store.unfollow_tag(bob.id, "birds").await.unwrap(), Change::Unchanged, "bob never followed it");
    assert_eq!(kinds_after(store, before).await, vec![EventKind::TagUnfollowed]);
    let left = store.followed_tags(alice.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(left.items, vec!["rivers", "birds"]);
}

/// Everything a followed hashtag does to one home, checked against the rule after each step.
/// Runs on a materialised store and on a pulled one.
pub async fn followed_hashtags_bring_public_statuses_home(store: &dyn Store) {
    let bob = account(store, "bob").await;
    let stranger = account(store, "stranger").await;
    let friend = account(store, "friend").await;
    let other = account(store, "other").await;
    store.follow(bob.id, friend.id).await.unwrap();

    let before = store.create_status(tagged(&stranger, "#birds before", &["birds"])).await.unwrap();
    let untagged = post(store, &stranger, "nothing to see").await;
    assert!(home_ids(store, &bob).await.is_empty());
    store.follow_tag(bob.id, "birds").await.unwrap();
    assert_eq!(home_ids(store, &bob).await, vec![before.id], "following brings the tag's recent statuses");
    consistent(store).await;

    // New statuses carrying the tag come in; only public, original ones, and replies only as
    // the home rule allows them (to someone the reader follows).
    let after = store.create_status(tagged(&stranger, "#Birds after", &["birds"])).await.unwrap();
    for visibility in [Visibility::Unlisted, Visibility::Private] {
        store.create_status(NewStatus { visibility, ..tagged(&stranger, "#birds quiet", &["birds"]) }).await.unwrap();
    }
    let boost = reblog(store, &other, &after).await;
    let by_other = post(store, &other, "other speaks").await;
    let to_other = store
        .create_status(NewStatus {
            in_reply_to_id: Some(by_other.id),
            ..tagged(&stranger, "#birds @other", &["birds"])
        })
        .await
        .unwrap();
    assert_eq!(home_ids(store, &bob).await, vec![after.id, before.id]);
    assert!(!home_ids(store, &bob).await.contains(&boost.id), "a reblog does not reach tag followers");
    consistent(store).await;
    // Following the addressee lets that reply in.
    store.follow(bob.id, other.id).await.unwrap();
    let home = home_ids(store, &bob).await;
    assert!(home.contains(&to_other.id) && home.contains(&by_other.id) && home.contains(&boost.id));
    consistent(store).await;
    store.unfollow(bob.id, other.id).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, vec![after.id, before.id]);
    consistent(store).await;

    // Edits move a status in and out with its tags.
    store.edit_status(untagged.id, retag("now about #birds", &["birds"])).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&untagged, &after, &before]));
    store.edit_status(before.id, retag("about nothing", &[])).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&untagged, &after]));
    consistent(store).await;

    // A status of a followed account stays when the tag goes; the rest leaves.
    let by_friend = store.create_status(tagged(&friend, "#birds from a friend", &["birds"])).await.unwrap();
    let mine = store.create_status(tagged(&bob, "#birds of my own", &["birds"])).await.unwrap();
    assert_eq!(home_ids(store, &bob).await, newest_first(&[&mine, &by_friend, &untagged, &after]));
    store.unfollow_tag(bob.id, "birds").await.unwrap();
    assert_eq!(home_ids(store, &bob).await, vec![mine.id, by_friend.id]);
    consistent(store).await;
    let later = store.create_status(tagged(&stranger, "#birds later", &["birds"])).await.unwrap();
    assert!(!home_ids(store, &bob).await.contains(&later.id));

    // The questions a cache of homes asks agree.
    store.follow_tag(bob.id, "birds").await.unwrap();
    assert!(store.home_recipients(later.id).await.unwrap().contains(&bob.id));
    assert!(!store.home_recipients(boost.id).await.unwrap().contains(&bob.id));
    let home = home_ids(store, &bob).await;
    assert_eq!(store.home_backfill(bob.id, 40).await.unwrap(), home);
    assert_eq!(store.home_admitted(bob.id, &[later.id, boost.id, to_other.id]).await.unwrap(), vec![later.id]);
    consistent(store).await;
}

pub async fn pulled_homes_follow_hashtags_too<F, Fut>(open: impl Fn(StoreOptions) -> Fut)
where
    F: Fixture,
    Fut: Future<Output = F>,
{
    let fixture = open(StoreOptions { homes: HomeMode::Pulled, ..StoreOptions::default() }).await;
    followed_hashtags_bring_public_statuses_home(fixture.store()).await;
    fixture.finish().await;
    // A popular author's tagged statuses are merged for their followers, fanned out to the
    // tag's followers all the same.
    let fixture = open(StoreOptions { fanout_threshold: 0, ..StoreOptions::default() }).await;
    let store = fixture.store();
    let star = account(store, "star").await;
    let fan = account(store, "fan").await;
    let birder = account(store, "birder").await;
    store.follow(fan.id, star.id).await.unwrap();
    store.follow_tag(birder.id, "birds").await.unwrap();
    store.follow_tag(fan.id, "birds").await.unwrap();
    let tagged = store.create_status(tagged(&star, "#birds", &["birds"])).await.unwrap();
    let plain = post(store, &star, "plain").await;
    assert_eq!(home_ids(store, &fan).await, vec![plain.id, tagged.id], "once each");
    assert_eq!(home_ids(store, &birder).await, vec![tagged.id]);
    consistent(store).await;
    fixture.finish().await;
}
