//! Media: attached once, by their owner's write, to their uploader's status, story or chat
//! message only; read back with what carries them; let go when that is deleted.

use starling_core::chat::NewChatMessage;
use starling_core::media::{Focus, MediaMeta, MediaUpdate, NewMedia};
use starling_core::model::{Account, NewStatus, Timestamp};
use starling_core::page::PageRequest;
use starling_core::store::AccountStatusesFilter;
use starling_core::story::NewStory;
use starling_core::{Id, Store, StoreError};

use super::{account, chat_of, draft, id, message};

pub fn new_media(owner: &Account) -> NewMedia {
    let id = id();
    NewMedia {
        id,
        account_id: owner.id,
        content_type: "image/png".into(),
        file_key: format!("media/{id}/original.png"),
        preview_content_type: "image/jpeg".into(),
        preview_key: format!("media/{id}/small.jpg"),
        description: "a test pattern".into(),
        focus: Focus { x: 0.25, y: -0.5 },
        meta: MediaMeta { width: 1600, height: 900, preview_width: 640, preview_height: 360, bytes: 12_345 },
        blurhash: "L00000fQfQfQfQfQfQfQfQfQfQfQ".into(),
        created_at: Timestamp::now(),
    }
}

pub async fn media_are_recorded_unattached_and_updated_by_their_owner_only(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let before = store.last_event_seq().await.unwrap();
    let created = store.create_media(new_media(&alice)).await.unwrap();
    assert!(!created.attached);
    assert_eq!(created.focus, Focus { x: 0.25, y: -0.5 });
    assert_eq!(created.meta.preview_width, 640);
    assert_eq!(store.media(created.id).await.unwrap(), created);
    assert_eq!(store.last_event_seq().await.unwrap(), before, "an upload is not an action on anything yet");

    let update = MediaUpdate { description: Some("a better one".into()), focus: None };
    let updated = store.update_media(created.id, alice.id, update.clone()).await.unwrap();
    assert_eq!((updated.description.as_str(), updated.focus), ("a better one", created.focus));
    assert!(matches!(store.update_media(created.id, bob.id, update.clone()).await, Err(StoreError::NotFound)));
    assert!(matches!(store.media(id()).await, Err(StoreError::NotFound)));

    store.create_status(NewStatus { media_ids: vec![created.id], ..draft(&alice, "with a picture") }).await.unwrap();
    assert!(store.media(created.id).await.unwrap().attached);
    assert!(matches!(store.update_media(created.id, alice.id, update).await, Err(StoreError::Conflict(_))));
}

pub async fn a_status_carries_its_media_in_order_and_lets_them_go_when_deleted(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let (a, b) =
        (store.create_media(new_media(&alice)).await.unwrap(), store.create_media(new_media(&alice)).await.unwrap());
    let status = store.create_status(NewStatus { media_ids: vec![b.id, a.id], ..draft(&alice, "two") }).await.unwrap();
    let order = |s: &starling_core::model::Status| s.media.iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(order(&status), vec![b.id, a.id], "as given, not by id");
    assert_eq!(order(&store.status(status.id).await.unwrap()), vec![b.id, a.id]);
    assert!(status.media.iter().all(|m| m.attached));

    // A reblog shows its original's media.
    let reblog = store.reblog(bob.id, status.id, id(), status.visibility, Timestamp::now()).await.unwrap();
    let reblog = store.status(reblog.id).await.unwrap();
    assert_eq!(reblog.reblog.as_deref().map(order), Some(vec![b.id, a.id]));

    // Only media-carrying statuses with `only_media`, reblogs by their original.
    let plain = super::post(store, &alice, "no picture").await;
    let filter = AccountStatusesFilter { only_media: true, ..AccountStatusesFilter::default() };
    let page = store.account_statuses(alice.id, None, filter, PageRequest::first(10)).await.unwrap();
    assert_eq!(super::ids(&page), vec![status.id]);
    let page = store.account_statuses(bob.id, None, filter, PageRequest::first(10)).await.unwrap();
    assert_eq!(super::ids(&page), vec![reblog.id]);
    let public = store.public_timeline(PageRequest::first(10), true).await.unwrap();
    assert_eq!(super::ids(&public), vec![status.id]);
    assert!(!super::ids(&store.public_timeline(PageRequest::first(10), false).await.unwrap()).is_empty());
    let _ = plain;

    store.delete_status(status.id, alice.id, Timestamp::now()).await.unwrap();
    assert!(!store.media(a.id).await.unwrap().attached, "free for a redraft");
    let redraft = store.create_status(NewStatus { media_ids: vec![a.id], ..draft(&alice, "again") }).await.unwrap();
    assert_eq!(order(&redraft), vec![a.id]);
}

pub async fn only_the_uploaders_free_media_can_be_attached(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let mine = store.create_media(new_media(&alice)).await.unwrap();
    let theirs = store.create_media(new_media(&bob)).await.unwrap();
    let seq = store.last_event_seq().await.unwrap();
    let stolen = store.create_status(NewStatus { media_ids: vec![mine.id, theirs.id], ..draft(&alice, "x") }).await;
    assert!(matches!(stolen, Err(StoreError::NotFound)));
    assert_eq!(store.last_event_seq().await.unwrap(), seq, "the failed status left nothing");
    assert!(!store.media(mine.id).await.unwrap().attached, "nor attached what came before the bad one");
    let missing = store.create_status(NewStatus { media_ids: vec![id()], ..draft(&alice, "x") }).await;
    assert!(matches!(missing, Err(StoreError::NotFound)));

    store.create_status(NewStatus { media_ids: vec![mine.id], ..draft(&alice, "first") }).await.unwrap();
    let twice = store.create_status(NewStatus { media_ids: vec![mine.id], ..draft(&alice, "second") }).await;
    assert!(matches!(twice, Err(StoreError::NotFound)), "attached once");
}

pub async fn stories_and_chat_messages_carry_media_too(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let for_story = store.create_media(new_media(&alice)).await.unwrap();
    let now = Timestamp::now();
    let story = store
        .create_story(NewStory {
            id: id(),
            account_id: alice.id,
            text: String::new(),
            media_ids: vec![for_story.id],
            created_at: now,
            expires_at: now.plus_seconds(60),
        })
        .await
        .unwrap();
    assert_eq!(story.media.iter().map(|m| m.id).collect::<Vec<_>>(), vec![for_story.id]);
    assert_eq!(store.story(story.id, bob.id, now).await.unwrap().media.len(), 1);
    store.delete_story(story.id, alice.id, now).await.unwrap();
    assert!(!store.media(for_story.id).await.unwrap().attached);

    let chat = chat_of(store, &alice, &[&bob]).await;
    let picture = store.create_media(new_media(&bob)).await.unwrap();
    let sent = store
        .send_chat_message(NewChatMessage { media_ids: vec![picture.id], ..message(chat.id, bob.id, "look") })
        .await
        .unwrap();
    assert_eq!(sent.media.iter().map(|m| m.id).collect::<Vec<_>>(), vec![picture.id]);
    let page = store.chat_messages(chat.id, alice.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(page.items[0].media.len(), 1);
    let listed = store.chat(chat.id, alice.id).await.unwrap();
    assert_eq!(listed.last_message.map(|m| m.media.len()), Some(1));
    let not_hers = NewChatMessage { media_ids: vec![picture.id], ..message(chat.id, alice.id, "mine now?") };
    assert!(matches!(store.send_chat_message(not_hers).await, Err(StoreError::NotFound)));
    let _: Id = sent.id;
}

pub async fn unattached_media_are_purged_once_old_and_attached_ones_never(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let old = Timestamp(Timestamp::now().0 - 2 * 24 * 3600 * 1000);
    let stale = store.create_media(NewMedia { created_at: old, ..new_media(&alice) }).await.unwrap();
    let used = store.create_media(NewMedia { created_at: old, ..new_media(&alice) }).await.unwrap();
    let fresh = store.create_media(new_media(&alice)).await.unwrap();
    store.create_status(NewStatus { media_ids: vec![used.id], ..draft(&alice, "kept") }).await.unwrap();
    let day_ago = Timestamp(Timestamp::now().0 - 24 * 3600 * 1000);
    let purged = store.purge_unattached_media(day_ago, 100).await.unwrap();
    assert_eq!(purged.iter().map(|m| m.id).collect::<Vec<_>>(), vec![stale.id], "with its keys, for the files");
    assert_eq!(purged[0].file_key, stale.file_key);
    assert!(matches!(store.media(stale.id).await, Err(StoreError::NotFound)));
    assert!(store.media(used.id).await.is_ok() && store.media(fresh.id).await.is_ok());
    assert!(store.purge_unattached_media(day_ago, 100).await.unwrap().is_empty());
}
