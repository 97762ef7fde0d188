//! Chats: participants only, a chat of two per pair, messages paged, idempotency, read
//! positions and unread counts, leaving.

use starling_core::chat::{Chat, NewChat, NewChatMessage};
use starling_core::event::EventKind;
use starling_core::model::{Account, Timestamp};
use starling_core::page::PageRequest;
use starling_core::{Id, Store, StoreError};

use super::{account, id};

pub async fn chat_of(store: &dyn Store, creator: &Account, others: &[&Account]) -> Chat {
    let chat = NewChat {
        id: id(),
        creator: creator.id,
        others: others.iter().map(|a| a.id).collect(),
        created_at: Timestamp::now(),
    };
    store.create_chat(chat).await.unwrap().chat
}

pub fn message(chat: Id, sender: Id, text: &str) -> NewChatMessage {
    NewChatMessage {
        id: id(),
        chat_id: chat,
        sender,
        text: text.to_string(),
        content: format!("<p>{text}</p>"),
        idempotency_key: None,
        media_ids: Vec::new(),
        created_at: Timestamp::now(),
    }
}

pub async fn a_chat_of_two_is_unique_per_pair_and_groups_are_not(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let before = store.last_event_seq().await.unwrap();
    let first = store
        .create_chat(NewChat { id: id(), creator: alice.id, others: vec![bob.id], created_at: Timestamp::now() })
        .await
        .unwrap();
    assert!(first.made);
    assert!(!first.chat.group);
    assert_eq!(first.chat.others.iter().map(|a| a.id).collect::<Vec<_>>(), vec![bob.id]);
    assert_eq!((first.chat.unread_count, first.chat.last_message.clone()), (0, None));
    let again = store
        .create_chat(NewChat { id: id(), creator: bob.id, others: vec![alice.id], created_at: Timestamp::now() })
        .await
        .unwrap();
    assert!(!again.made, "the pair's chat is found again, whoever asks");
    assert_eq!(again.chat.id, first.chat.id);
    assert_eq!(again.chat.others.iter().map(|a| a.id).collect::<Vec<_>>(), vec![alice.id]);

    let group = chat_of(store, &alice, &[&bob, &carol]).await;
    let other_group = chat_of(store, &alice, &[&bob, &carol]).await;
    assert!(group.group);
    assert_ne!(group.id, other_group.id);
    let created: Vec<EventKind> = store.events_after(before, 10).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(created, vec![EventKind::ChatCreated; 3]);
    let event = store.events_after(before, 10).await.unwrap().remove(1);
    assert_eq!(event.payload["participants"], serde_json::json!([alice.id, bob.id, carol.id]));

    let missing = NewChat { id: id(), creator: alice.id, others: vec![id(), bob.id], created_at: Timestamp::now() };
    let seq = store.last_event_seq().await.unwrap();
    assert!(matches!(store.create_chat(missing).await, Err(StoreError::NotFound)));
    assert_eq!(store.last_event_seq().await.unwrap(), seq, "nothing of a failed chat is kept");
}

pub async fn only_participants_reach_a_chat(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let eve = account(store, "eve").await;
    let chat = chat_of(store, &alice, &[&bob]).await;
    store.send_chat_message(message(chat.id, alice.id, "hi")).await.unwrap();
    let page = PageRequest::first(10);
    assert!(matches!(store.chat(chat.id, eve.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.chat_messages(chat.id, eve.id, page).await, Err(StoreError::NotFound)));
    assert!(matches!(store.send_chat_message(message(chat.id, eve.id, "let me in")).await, Err(StoreError::NotFound)));
    assert!(matches!(store.mark_chat_read(chat.id, eve.id, id(), Timestamp::now()).await, Err(StoreError::NotFound)));
    assert!(matches!(store.leave_chat(chat.id, eve.id, Timestamp::now()).await, Err(StoreError::NotFound)));
    assert!(store.chats(eve.id, page).await.unwrap().items.is_empty());
    assert!(matches!(store.chat(id(), alice.id).await, Err(StoreError::NotFound)));
    let mut partners = store.chat_partners(alice.id).await.unwrap();
    partners.sort();
    assert_eq!(partners, vec![bob.id]);
    assert!(store.chat_partners(eve.id).await.unwrap().is_empty());
}

pub async fn messages_are_paged_newest_first_and_move_the_chat_up(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let with_bob = chat_of(store, &alice, &[&bob]).await;
    let with_carol = chat_of(store, &alice, &[&carol]).await;
    let before = store.last_event_seq().await.unwrap();
    let mut sent = Vec::new();
    for text in ["one", "two", "three"] {
        sent.push(store.send_chat_message(message(with_bob.id, bob.id, text)).await.unwrap().id);
    }
    let page = store.chat_messages(with_bob.id, alice.id, PageRequest::first(2)).await.unwrap();
    assert_eq!(page.items.iter().map(|m| m.id).collect::<Vec<_>>(), vec![sent[2], sent[1]]);
    assert_eq!(page.items[0].text, "three");
    assert_eq!(page.items[0].account.id, bob.id);
    let rest = PageRequest { max_id: page.next_max_id(), ..PageRequest::first(10) };
    let rest = store.chat_messages(with_bob.id, alice.id, rest).await.unwrap();
    assert_eq!(rest.items.iter().map(|m| m.id).collect::<Vec<_>>(), vec![sent[0]]);

    let events = store.events_after(before, 10).await.unwrap();
    assert!(events.iter().all(|e| e.kind == EventKind::ChatMessage && e.actor_id == Some(bob.id)));
    assert_eq!(events[0].payload["chat_id"], serde_json::json!(with_bob.id));
    assert_eq!(events[0].payload["participants"], serde_json::json!([alice.id, bob.id]));

    // The chat with the newest activity comes first, and shows its last message.
    let chats = store.chats(alice.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(chats.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![with_bob.id, with_carol.id]);
    assert_eq!(chats.items[0].last_message.as_ref().map(|m| m.id), Some(sent[2]));
    assert_eq!(chats.cursors[0], sent[2], "paged by last activity");
    store.send_chat_message(message(with_carol.id, alice.id, "hey")).await.unwrap();
    let chats = store.chats(alice.id, PageRequest::first(1)).await.unwrap();
    assert_eq!(chats.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![with_carol.id]);
    let next = PageRequest { max_id: chats.next_max_id(), ..PageRequest::first(10) };
    let next = store.chats(alice.id, next).await.unwrap();
    assert_eq!(next.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![with_bob.id]);
}

pub async fn an_idempotency_key_sends_a_chat_message_once(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let chat = chat_of(store, &alice, &[&bob]).await;
    let keyed = |text: &str| NewChatMessage { idempotency_key: Some("k-1".into()), ..message(chat.id, alice.id, text) };
    let first = store.send_chat_message(keyed("once")).await.unwrap();
    let seq = store.last_event_seq().await.unwrap();
    let retry = store.send_chat_message(keyed("once")).await.unwrap();
    assert_eq!(retry.id, first.id);
    assert_eq!(store.chat_message(first.id).await.unwrap(), first, "a message reads back as it was sent");
    assert!(matches!(store.chat_message(id()).await, Err(StoreError::NotFound)));
    assert_eq!(store.last_event_seq().await.unwrap(), seq, "a retry writes nothing");
    // Keys are the sender's: the same key from someone else is another message.
    let other = NewChatMessage { idempotency_key: Some("k-1".into()), ..message(chat.id, bob.id, "mine") };
    assert_ne!(store.send_chat_message(other).await.unwrap().id, first.id);
    let page = store.chat_messages(chat.id, bob.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(page.items.len(), 2);
}

pub async fn read_positions_move_forward_and_count_what_others_wrote(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let chat = chat_of(store, &alice, &[&bob, &carol]).await;
    let m1 = store.send_chat_message(message(chat.id, bob.id, "1")).await.unwrap();
    let m2 = store.send_chat_message(message(chat.id, carol.id, "2")).await.unwrap();
    store.send_chat_message(message(chat.id, alice.id, "3")).await.unwrap();
    let m4 = store.send_chat_message(message(chat.id, bob.id, "4")).await.unwrap();

    // Alice's own message moved her position to it; only bob's later one is unread.
    let as_alice = store.chat(chat.id, alice.id).await.unwrap();
    assert_eq!(as_alice.unread_count, 1);
    let as_carol = store.chat(chat.id, carol.id).await.unwrap();
    assert_eq!((as_carol.unread_count, as_carol.last_read_id), (2, Some(m2.id)));
    let as_bob = store.chat(chat.id, bob.id).await.unwrap();
    assert_eq!(as_bob.unread_count, 0, "sending moved bob's position past what the others wrote");
    assert_eq!(as_bob.last_message.map(|m| m.id), Some(m4.id));
    let messages = store.chat_messages(chat.id, carol.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(messages.items.last().map(|m| m.id), Some(m1.id));

    let before = store.last_event_seq().await.unwrap();
    let read = store.mark_chat_read(chat.id, carol.id, m4.id, Timestamp::now()).await.unwrap();
    assert_eq!((read.unread_count, read.last_read_id), (0, Some(m4.id)));
    let back = store.mark_chat_read(chat.id, carol.id, m2.id, Timestamp::now()).await.unwrap();
    assert_eq!(back.last_read_id, Some(m4.id), "never backwards");
    let events = store.events_after(before, 10).await.unwrap();
    assert_eq!(events.len(), 1, "a position that does not move logs nothing");
    assert_eq!(events[0].kind, EventKind::ChatRead);
    assert_eq!(events[0].payload["last_read_id"], serde_json::json!(m4.id));
    // Never past the newest message: a message sent afterwards is unread.
    let ahead = store.mark_chat_read(chat.id, bob.id, id(), Timestamp::now()).await.unwrap();
    assert_eq!(ahead.last_read_id, Some(m4.id));
    store.send_chat_message(message(chat.id, alice.id, "5")).await.unwrap();
    assert_eq!(store.chat(chat.id, bob.id).await.unwrap().unread_count, 1);
    // Each participant sees how far the others have read, in the order they joined.
    let as_alice = store.chat(chat.id, alice.id).await.unwrap();
    assert_eq!(as_alice.read_positions, vec![(bob.id, Some(m4.id)), (carol.id, Some(m4.id))]);
    let fresh = chat_of(store, &bob, &[&carol]).await;
    let as_bob = store.chat(fresh.id, bob.id).await.unwrap();
    assert_eq!(as_bob.read_positions, vec![(carol.id, None)], "nothing read yet");
}

pub async fn leaving_a_chat_takes_the_participant_out(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let chat = chat_of(store, &alice, &[&bob, &carol]).await;
    let before = store.last_event_seq().await.unwrap();
    store.leave_chat(chat.id, carol.id, Timestamp::now()).await.unwrap();
    let events = store.events_after(before, 10).await.unwrap();
    assert_eq!(events[0].kind, EventKind::ChatLeft);
    assert_eq!(events[0].payload["participants"], serde_json::json!([alice.id, bob.id]));
    assert!(matches!(store.chat(chat.id, carol.id).await, Err(StoreError::NotFound)));
    let as_alice = store.chat(chat.id, alice.id).await.unwrap();
    assert_eq!(as_alice.others.iter().map(|a| a.id).collect::<Vec<_>>(), vec![bob.id]);
    assert!(as_alice.group, "a group chat stays one");
    let sent = store.send_chat_message(message(chat.id, bob.id, "after")).await.unwrap();
    let event = store.events_after(store.last_event_seq().await.unwrap() - 1, 1).await.unwrap().remove(0);
    assert_eq!(event.subject_id, Some(sent.id));
    assert_eq!(event.payload["participants"], serde_json::json!([alice.id, bob.id]), "carol is told no more");
}
