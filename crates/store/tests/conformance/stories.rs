//! Stories: expiry, views counted once, reactions once per account and emoji, the feed.

use starling_core::event::EventKind;
use starling_core::model::Timestamp;
use starling_core::page::PageRequest;
use starling_core::story::{NewStory, Story};
use starling_core::{Id, Store, StoreError};

use super::{account, id};

pub fn new_story(author: Id, text: &str, at: Timestamp, seconds: i64) -> NewStory {
    NewStory {
        id: id(),
        account_id: author,
        text: text.to_string(),
        media_ids: Vec::new(),
        created_at: at,
        expires_at: at.plus_seconds(seconds),
    }
}

async fn kinds_since(store: &dyn Store, after: i64) -> Vec<EventKind> {
    store.events_after(after, 100).await.unwrap().into_iter().map(|e| e.kind).collect()
}

fn story_ids(stories: &[Story]) -> Vec<Id> {
    stories.iter().map(|s| s.id).collect()
}

pub async fn a_story_is_created_seen_by_its_author_and_gone_at_expiry(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let now = Timestamp::now();
    let before = store.last_event_seq().await.unwrap();
    let story = store.create_story(new_story(alice.id, "hello", now, 60)).await.unwrap();
    assert_eq!((story.text.as_str(), story.account.id, story.views_count), ("hello", alice.id, 0));
    assert_eq!(story.expires_at, now.plus_seconds(60));
    assert!(story.seen, "the author has seen their own story");
    assert_eq!(kinds_since(store, before).await, vec![EventKind::StoryCreated]);

    let as_bob = store.story(story.id, bob.id, now).await.unwrap();
    assert!(!as_bob.seen);
    let later = now.plus_seconds(60);
    assert!(matches!(store.story(story.id, bob.id, later).await, Err(StoreError::NotFound)), "expired");
    assert!(store.account_stories(alice.id, bob.id, later).await.unwrap().is_empty());
    assert!(matches!(store.view_story(story.id, bob.id, later).await, Err(StoreError::NotFound)));
    assert!(matches!(store.react_to_story(story.id, bob.id, "🔥", later).await, Err(StoreError::NotFound)));
    assert!(matches!(store.story_viewers(story.id, PageRequest::first(10), later).await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_story(story.id, alice.id, later).await, Err(StoreError::NotFound)));

    // Purging removes exactly the expired ones and writes no event.
    let fresh = store.create_story(new_story(alice.id, "still here", now, 3600)).await.unwrap();
    let seq = store.last_event_seq().await.unwrap();
    assert_eq!(store.purge_expired_stories(later).await.unwrap(), 1);
    assert_eq!(store.purge_expired_stories(later).await.unwrap(), 0);
    assert_eq!(store.last_event_seq().await.unwrap(), seq, "expiry is no one's action");
    assert_eq!(story_ids(&store.account_stories(alice.id, bob.id, later).await.unwrap()), vec![fresh.id]);
    // The expired story's own events stay in the log.
    let created: Vec<Id> = store
        .events_after(before, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::StoryCreated)
        .filter_map(|e| e.subject_id)
        .collect();
    assert_eq!(created, vec![story.id, fresh.id]);
}

pub async fn a_view_counts_once_per_viewer_and_never_for_the_author(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let now = Timestamp::now();
    let story = store.create_story(new_story(alice.id, "look", now, 600)).await.unwrap();
    let before = store.last_event_seq().await.unwrap();

    let first = store.view_story(story.id, bob.id, now).await.unwrap();
    assert!(first.made);
    assert!(first.story.seen);
    assert_eq!(first.story.views_count, 1);
    let again = store.view_story(story.id, bob.id, now.plus_seconds(1)).await.unwrap();
    assert!(!again.made, "a repeated view is not counted");
    assert_eq!(again.story.views_count, 1);
    let own = store.view_story(story.id, alice.id, now).await.unwrap();
    assert!(!own.made, "the author's view is not counted");
    store.view_story(story.id, carol.id, now.plus_seconds(2)).await.unwrap();

    assert_eq!(kinds_since(store, before).await, vec![EventKind::StoryViewed, EventKind::StoryViewed]);
    let events = store.events_after(before, 10).await.unwrap();
    assert_eq!(events[0].actor_id, Some(bob.id));
    assert_eq!(events[0].subject_id, Some(story.id));
    assert_eq!(events[0].payload["author_id"], serde_json::json!(alice.id));

    let viewers = store.story_viewers(story.id, PageRequest::first(10), now).await.unwrap();
    let who: Vec<Id> = viewers.items.iter().map(|v| v.account.id).collect();
    assert_eq!(who, vec![carol.id, bob.id], "newest view first");
    assert_eq!(viewers.items[1].viewed_at, now, "the first view's time is kept");
    let page = store.story_viewers(story.id, PageRequest::first(1), now).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let rest = PageRequest { max_id: page.next_max_id(), ..PageRequest::first(10) };
    let rest = store.story_viewers(story.id, rest, now).await.unwrap();
    assert_eq!(rest.items.iter().map(|v| v.account.id).collect::<Vec<_>>(), vec![bob.id]);
    assert_eq!(store.story(story.id, carol.id, now).await.unwrap().views_count, 2);
}

pub async fn reactions_are_once_per_account_and_emoji_and_counted_per_emoji(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let now = Timestamp::now();
    let story = store.create_story(new_story(alice.id, "react", now, 600)).await.unwrap();
    let before = store.last_event_seq().await.unwrap();

    assert!(store.react_to_story(story.id, bob.id, "❤️", now).await.unwrap().made);
    assert!(!store.react_to_story(story.id, bob.id, "❤️", now).await.unwrap().made, "once per emoji");
    assert!(store.react_to_story(story.id, bob.id, "🔥", now).await.unwrap().made);
    let as_carol = store.react_to_story(story.id, carol.id, "❤️", now).await.unwrap().story;
    let counts: Vec<(&str, i64, bool)> = as_carol.reactions.iter().map(|r| (r.emoji.as_str(), r.count, r.me)).collect();
    assert_eq!(counts, vec![("❤️", 2, true), ("🔥", 1, false)], "most used first; `me` is the viewer's");

    let removed = store.unreact_to_story(story.id, bob.id, "❤️", now).await.unwrap();
    assert!(removed.made);
    assert!(!store.unreact_to_story(story.id, bob.id, "❤️", now).await.unwrap().made);
    let counts: Vec<(String, i64, bool)> =
        removed.story.reactions.iter().map(|r| (r.emoji.clone(), r.count, r.me)).collect();
    assert_eq!(counts, vec![("❤️".to_string(), 1, false), ("🔥".to_string(), 1, true)]);
    assert_eq!(
        kinds_since(store, before).await,
        vec![EventKind::StoryReacted, EventKind::StoryReacted, EventKind::StoryReacted, EventKind::StoryUnreacted]
    );
    assert!(matches!(store.react_to_story(id(), bob.id, "❤️", now).await, Err(StoreError::NotFound)));
    // The author's list of viewers says who reacted with what.
    store.view_story(story.id, bob.id, now).await.unwrap();
    store.view_story(story.id, carol.id, now).await.unwrap();
    let viewers = store.story_viewers(story.id, PageRequest::first(10), now).await.unwrap();
    let reactions: Vec<(Id, Vec<String>)> = viewers.items.iter().map(|v| (v.account.id, v.reactions.clone())).collect();
    assert_eq!(reactions, vec![(carol.id, vec!["❤️".to_string()]), (bob.id, vec!["🔥".to_string()])]);
}

pub async fn the_story_feed_is_the_viewers_and_their_followees_unexpired_stories(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let dave = account(store, "dave").await;
    store.follow(alice.id, bob.id).await.unwrap();
    store.follow(alice.id, carol.id).await.unwrap();
    let now = Timestamp::now();
    let own = store.create_story(new_story(alice.id, "mine", now, 600)).await.unwrap();
    let b1 = store.create_story(new_story(bob.id, "b1", now, 600)).await.unwrap();
    let b2 = store.create_story(new_story(bob.id, "b2", now, 600)).await.unwrap();
    store.create_story(new_story(carol.id, "expired soon", now, 1)).await.unwrap();
    store.create_story(new_story(dave.id, "not followed", now, 600)).await.unwrap();
    store.view_story(b1.id, alice.id, now).await.unwrap();

    let feed = store.story_feed(alice.id, now.plus_seconds(5)).await.unwrap();
    let mut got = story_ids(&feed);
    got.sort();
    assert_eq!(got, vec![own.id, b1.id, b2.id]);
    let bobs: Vec<(Id, bool)> = feed.iter().filter(|s| s.account.id == bob.id).map(|s| (s.id, s.seen)).collect();
    assert_eq!(bobs, vec![(b1.id, true), (b2.id, false)], "oldest first, seen per story");

    let deleted = store.delete_story(b2.id, bob.id, now).await.unwrap();
    assert_eq!(deleted.id, b2.id);
    let last = store.events_after(store.last_event_seq().await.unwrap() - 1, 1).await.unwrap();
    assert_eq!(last[0].kind, EventKind::StoryDeleted);
    assert!(matches!(store.story(b2.id, alice.id, now).await, Err(StoreError::NotFound)));
    assert_eq!(story_ids(&store.account_stories(bob.id, alice.id, now).await.unwrap()), vec![b1.id]);
}
