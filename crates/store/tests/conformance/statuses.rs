//! Statuses: creation, idempotency, replies, edits, deletion, favourites and reblogs.

use serde_json::json;
use starling_core::event::EventKind;
use starling_core::model::*;
use starling_core::page::PageRequest;
use starling_core::{Id, Store, StoreError};

use super::*;

pub async fn a_status_is_created_with_its_mentions_tags_version_and_event(store: &dyn Store) {
    let app = store
        .create_app(NewApp {
            id: id(),
            name: "Elk".into(),
            website: Some("https://elk.zone".into()),
            redirect_uris: vec![],
            scopes: "read".into(),
            client_id: "elk".into(),
            client_secret: "s".into(),
            created_at: Timestamp::now(),
        })
        .await
        .unwrap();
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let seq = last_seq(store).await;

    let new = NewStatus {
        app_id: Some(app.id),
        spoiler_text: "cw".into(),
        sensitive: true,
        mentions: vec![bob.id, carol.id, bob.id],
        tags: vec!["Rust".into(), "sqlite".into(), "rust".into()],
        ..draft(&alice, "hi @bob @carol #Rust #sqlite")
    };
    let status = store.create_status(new.clone()).await.unwrap();
    assert_eq!(status.id, new.id);
    assert_eq!(status.account.id, alice.id);
    assert_eq!(status.account.statuses_count, 1, "the author is shown with the new count");
    assert_eq!(status.text, new.text);
    assert_eq!(status.content, new.content);
    assert_eq!(status.spoiler_text, "cw");
    assert!(status.sensitive);
    assert_eq!(status.language.as_deref(), Some("en"));
    assert_eq!(status.visibility, Visibility::Public);
    assert_eq!(status.created_at, new.created_at);
    assert_eq!(status.edited_at, None);
    assert_eq!((status.in_reply_to_id, status.in_reply_to_account_id), (None, None));
    assert!(status.reblog.is_none());
    assert_eq!((status.replies_count, status.reblogs_count, status.favourites_count), (0, 0, 0));
    assert_eq!(
        status.mentions,
        vec![MentionRef { id: bob.id, username: "bob".into() }, MentionRef { id: carol.id, username: "carol".into() }],
        "mentions in order, each once"
    );
    assert_eq!(status.tags, vec!["rust".to_string(), "sqlite".to_string()], "lower-cased, in order, each once");
    assert_eq!(status.application, Some(AppRef { name: "Elk".into(), website: Some("https://elk.zone".into()) }));
    assert_eq!(fetch_status(store, &status).await, status);

    let alice = fetch_account(store, &alice).await;
    assert_eq!(alice.statuses_count, 1);
    assert_eq!(alice.last_status_at, Some(new.created_at));

    let versions = store.status_versions(status.id).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!((versions[0].version, versions[0].text.as_str()), (0, new.text.as_str()));
    assert_eq!(versions[0].created_at, new.created_at);

    let events = store.events_after(seq, 100).await.unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.kind, EventKind::StatusCreated);
    assert_eq!((e.actor_id, e.subject_id), (Some(alice.id), Some(status.id)));
    assert_eq!(e.schema_version, starling_core::event::SCHEMA_VERSION);
    assert_eq!(e.created_at, new.created_at);
    assert_eq!(e.payload["mentions"], json!([bob.id, carol.id]));
    assert_eq!(e.payload["tags"], json!(["rust", "sqlite"]));
    assert_eq!(e.payload["text"], json!(new.text));
    assert_eq!(e.payload["visibility"], "public");
}

pub async fn a_failed_write_leaves_no_trace(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let parent = post(store, &alice, "parent").await;
    let seq = last_seq(store).await;

    // The status row cannot be written (its id is taken) after the parent lookup succeeded:
    // nothing of the attempt may remain, neither counters nor tags nor events.
    let clash = NewStatus {
        id: parent.id,
        in_reply_to_id: Some(parent.id),
        tags: vec!["ghost".into()],
        idempotency_key: Some("k".into()),
        ..draft(&bob, "dup")
    };
    assert!(store.create_status(clash).await.is_err());
    assert_eq!(fetch_status(store, &parent).await, parent);
    assert_eq!(fetch_account(store, &bob).await.statuses_count, 0);
    assert!(store.tag_timeline("ghost", PageRequest::first(10)).await.unwrap().items.is_empty());
    assert!(kinds_after(store, seq).await.is_empty());

    // The key was not taken by the failed attempt.
    let retry = store.create_status(NewStatus { idempotency_key: Some("k".into()), ..draft(&bob, "ok") }).await;
    assert_eq!(retry.unwrap().text, "ok");
}

pub async fn an_idempotency_key_returns_the_first_status_and_writes_once(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let seq = last_seq(store).await;

    let first = store.create_status(NewStatus { idempotency_key: Some("key-1".into()), ..draft(&alice, "one") });
    let first = first.await.unwrap();
    let again = store.create_status(NewStatus { idempotency_key: Some("key-1".into()), ..draft(&alice, "two") });
    let again = again.await.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.text, "one");
    assert_eq!(fetch_account(store, &alice).await.statuses_count, 1);
    assert_eq!(kinds_after(store, seq).await, vec![EventKind::StatusCreated]);

    let other_key = store.create_status(NewStatus { idempotency_key: Some("key-2".into()), ..draft(&alice, "3") });
    assert_ne!(other_key.await.unwrap().id, first.id);
    let other_account = store.create_status(NewStatus { idempotency_key: Some("key-1".into()), ..draft(&bob, "4") });
    assert_ne!(other_account.await.unwrap().id, first.id, "keys belong to one account");
    assert_eq!(fetch_account(store, &alice).await.statuses_count, 2);
}

pub async fn replies_move_the_parents_replies_count(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let parent = post(store, &alice, "parent").await;

    let r1 = reply(store, &bob, &parent, "r1").await;
    assert_eq!((r1.in_reply_to_id, r1.in_reply_to_account_id), (Some(parent.id), Some(alice.id)));
    let r2 = reply(store, &carol, &parent, "r2").await;
    let nested = reply(store, &alice, &r1, "nested").await;
    assert_eq!(nested.in_reply_to_account_id, Some(bob.id));
    assert_eq!(fetch_status(store, &parent).await.replies_count, 2, "only direct replies count");
    assert_eq!(fetch_status(store, &r1).await.replies_count, 1);

    store.delete_status(r1.id, bob.id, Timestamp::now()).await.unwrap();
    assert_eq!(fetch_status(store, &parent).await.replies_count, 1);

    store.delete_status(parent.id, alice.id, Timestamp::now()).await.unwrap();
    let r2 = fetch_status(store, &r2).await;
    assert_eq!(r2.in_reply_to_id, Some(parent.id), "replies keep pointing at a deleted parent");
    assert_eq!(fetch_status(store, &nested).await.in_reply_to_id, Some(r1.id));
}

pub async fn a_reply_to_a_missing_status_is_not_found(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let seq = last_seq(store).await;
    let orphan = NewStatus { in_reply_to_id: Some(Id(42)), ..draft(&alice, "hello?") };
    let id = orphan.id;
    assert!(matches!(store.create_status(orphan).await, Err(StoreError::NotFound)));
    assert!(matches!(store.status(id).await, Err(StoreError::NotFound)));
    assert_eq!(fetch_account(store, &alice).await.statuses_count, 0);
    assert!(kinds_after(store, seq).await.is_empty());
}

pub async fn direct_statuses_do_not_count_towards_statuses_count(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let direct = NewStatus { visibility: Visibility::Direct, mentions: vec![bob.id], ..draft(&alice, "psst") };
    let direct = store.create_status(direct).await.unwrap();
    assert_eq!(fetch_account(store, &alice).await.statuses_count, 0);
    post_as(store, &alice, "followers only", Visibility::Private).await;
    post_as(store, &alice, "quiet", Visibility::Unlisted).await;
    assert_eq!(fetch_account(store, &alice).await.statuses_count, 2);
    store.delete_status(direct.id, alice.id, Timestamp::now()).await.unwrap();
    assert_eq!(fetch_account(store, &alice).await.statuses_count, 2);
}

fn edit(text: &str, mentions: Vec<Id>, tags: &[&str]) -> StatusEdit {
    StatusEdit {
        text: text.into(),
        content: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        language: Some("de".into()),
        mentions,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        edited_at: Timestamp::now(),
    }
}

pub async fn edits_keep_the_full_history_oldest_first(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let new = NewStatus { mentions: vec![bob.id], tags: vec!["first".into()], ..draft(&alice, "v0 #first") };
    let status = store.create_status(new.clone()).await.unwrap();
    let seq = last_seq(store).await;

    let e1 =
        StatusEdit { edited_at: Timestamp(new.created_at.0 + 1000), ..edit("v1 #second", vec![carol.id], &["second"]) };
    let edited = store.edit_status(status.id, e1.clone()).await.unwrap();
    assert_eq!(edited.text, "v1 #second");
    assert_eq!(edited.content, "<p>v1 #second</p>");
    assert_eq!(edited.language.as_deref(), Some("de"));
    assert_eq!(edited.edited_at, Some(e1.edited_at));
    assert_eq!(edited.created_at, status.created_at);
    assert_eq!(edited.mentions, vec![MentionRef { id: carol.id, username: "carol".into() }]);
    assert_eq!(edited.tags, vec!["second".to_string()]);
    assert!(store.tag_timeline("first", PageRequest::first(10)).await.unwrap().items.is_empty());
    assert_eq!(ids(&store.tag_timeline("second", PageRequest::first(10)).await.unwrap()), vec![status.id]);
    let e2 = StatusEdit { edited_at: Timestamp(new.created_at.0 + 2000), ..edit("v2", vec![], &[]) };
    let edited = store.edit_status(status.id, e2.clone()).await.unwrap();
    assert_eq!(fetch_status(store, &status).await, edited);
    assert!(edited.mentions.is_empty() && edited.tags.is_empty());
    assert_eq!(fetch_account(store, &alice).await.statuses_count, 1, "an edit is not a new status");

    let versions = store.status_versions(status.id).await.unwrap();
    let summary: Vec<(i32, &str, Timestamp)> =
        versions.iter().map(|v| (v.version, v.text.as_str(), v.created_at)).collect();
    assert_eq!(
        summary,
        vec![(0, "v0 #first", new.created_at), (1, "v1 #second", e1.edited_at), (2, "v2", e2.edited_at)]
    );
    assert!(versions.iter().all(|v| v.status_id == status.id));
    assert_eq!(versions[0].language.as_deref(), Some("en"));

    assert!(store.tag_timeline("first", PageRequest::first(10)).await.unwrap().items.is_empty());
    assert!(store.tag_timeline("second", PageRequest::first(10)).await.unwrap().items.is_empty());

    let events = store.events_after(seq, 100).await.unwrap();
    let got: Vec<(EventKind, serde_json::Value)> =
        events.iter().map(|e| (e.kind, e.payload["version"].clone())).collect();
    assert_eq!(got, vec![(EventKind::StatusEdited, json!(1)), (EventKind::StatusEdited, json!(2))]);
    assert_eq!(events[0].created_at, e1.edited_at);

    assert!(matches!(store.edit_status(Id(42), edit("x", vec![], &[])).await, Err(StoreError::NotFound)));
    assert!(matches!(store.status_versions(Id(42)).await, Err(StoreError::NotFound)));
}

pub async fn reblogs_cannot_be_edited(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let original = post(store, &alice, "original").await;
    let boost = reblog(store, &bob, &original).await;
    assert!(matches!(store.edit_status(boost.id, edit("x", vec![], &[])).await, Err(StoreError::NotFound)));
    assert_eq!(fetch_status(store, &boost).await, boost);
}

pub async fn deleting_a_status_removes_its_reblogs_and_fixes_every_counter(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let dave = account(store, "dave").await;
    let parent = post(store, &dave, "parent").await;
    let doomed = store
        .create_status(NewStatus {
            in_reply_to_id: Some(parent.id),
            mentions: vec![dave.id],
            tags: vec!["doomed".into()],
            ..draft(&alice, "@dave #doomed")
        })
        .await
        .unwrap();
    let boost_b = reblog(store, &bob, &doomed).await;
    let boost_c = reblog(store, &carol, &doomed).await;
    store.favourite(dave.id, doomed.id, Timestamp::now()).await.unwrap();
    let answer = reply(store, &bob, &doomed, "answer").await;
    store.edit_status(doomed.id, edit("@dave #doomed edited", vec![dave.id], &["doomed"])).await.unwrap();
    let before = fetch_status(store, &doomed).await;
    assert_eq!((before.replies_count, before.reblogs_count, before.favourites_count), (1, 2, 1));
    let seq = last_seq(store).await;

    let at = Timestamp::now();
    let deleted = store.delete_status(doomed.id, alice.id, at).await.unwrap();
    assert_eq!(deleted, before, "the status is returned as it was");

    for gone in [doomed.id, boost_b.id, boost_c.id] {
        assert!(matches!(store.status(gone).await, Err(StoreError::NotFound)));
    }
    assert!(matches!(store.status_versions(doomed.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_status(doomed.id, alice.id, at).await, Err(StoreError::NotFound)));
    assert_eq!(fetch_status(store, &parent).await.replies_count, 0);
    assert_eq!(fetch_status(store, &answer).await.in_reply_to_id, Some(doomed.id));
    assert_eq!(fetch_account(store, &alice).await.statuses_count, 0);
    assert_eq!(fetch_account(store, &bob).await.statuses_count, 1, "bob keeps his reply, loses his reblog");
    assert_eq!(fetch_account(store, &carol).await.statuses_count, 0);
    assert_eq!(fetch_account(store, &dave).await.statuses_count, 1);
    assert!(store.favourites(dave.id, PageRequest::first(10)).await.unwrap().items.is_empty());
    assert!(store.favourited_by(doomed.id, PageRequest::first(10)).await.unwrap().items.is_empty());
    assert!(store.reblogged_by(doomed.id, PageRequest::first(10)).await.unwrap().items.is_empty());
    assert!(store.tag_timeline("doomed", PageRequest::first(10)).await.unwrap().items.is_empty());
    let flags = store.viewer_flags(bob.id, &[doomed.id]).await.unwrap();
    assert!(flags.reblogged.is_empty());
    let home = store.home_timeline(bob.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&home), vec![answer.id]);

    // One `status.deleted` per status that went: the reblogs first, then the original.
    let events = store.events_after(seq, 100).await.unwrap();
    let got: Vec<(EventKind, Option<Id>, Option<Id>)> =
        events.iter().map(|e| (e.kind, e.actor_id, e.subject_id)).collect();
    assert_eq!(
        got,
        vec![
            (EventKind::StatusDeleted, Some(alice.id), Some(boost_b.id)),
            (EventKind::StatusDeleted, Some(alice.id), Some(boost_c.id)),
            (EventKind::StatusDeleted, Some(alice.id), Some(doomed.id)),
        ]
    );
    assert_eq!(events[0].payload["reblog_of_id"], json!(doomed.id));
    assert_eq!(events[2].payload["author_id"], json!(alice.id));
    assert_eq!(events[2].payload["in_reply_to_id"], json!(parent.id));
    assert_eq!(events[2].created_at, at);
}

pub async fn deleting_a_reblog_lowers_the_originals_reblogs_count(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let original = post(store, &alice, "original").await;
    let boost = reblog(store, &bob, &original).await;
    assert_eq!(fetch_status(store, &original).await.reblogs_count, 1);
    let seq = last_seq(store).await;

    let deleted = store.delete_status(boost.id, bob.id, Timestamp::now()).await.unwrap();
    assert_eq!(deleted.reblog.as_ref().map(|r| r.id), Some(original.id));
    assert_eq!(fetch_status(store, &original).await.reblogs_count, 0);
    assert_eq!(fetch_account(store, &bob).await.statuses_count, 0);
    assert_eq!(fetch_account(store, &alice).await.statuses_count, 1);
    assert!(store.viewer_flags(bob.id, &[original.id]).await.unwrap().reblogged.is_empty());
    let events = store.events_after(seq, 100).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::StatusDeleted);
    assert_eq!(events[0].payload["reblog_of_id"], json!(original.id));

    let again = reblog(store, &bob, &original).await;
    assert_ne!(again.id, boost.id, "a new reblog after the old one was deleted");
    assert_eq!(fetch_status(store, &original).await.reblogs_count, 1);
}

pub async fn statuses_come_back_in_the_order_asked(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let s1 = post(store, &alice, "one").await;
    let s2 = post(store, &bob, "two").await;
    let boost = reblog(store, &bob, &s1).await;
    let got = store.statuses(&[s2.id, Id(42), boost.id, s1.id]).await.unwrap();
    assert_eq!(ids_of(&got), vec![s2.id, boost.id, s1.id]);
    let hydrated = &got[1];
    assert_eq!(hydrated.account.id, bob.id);
    assert_eq!(hydrated.text, "");
    let original = hydrated.reblog.as_deref().unwrap();
    assert_eq!(original.id, s1.id);
    assert_eq!(original.account.id, alice.id);
    assert_eq!(original.text, "one");
    assert_eq!(original.reblogs_count, 1);
    assert!(original.reblog.is_none());
    assert!(store.statuses(&[]).await.unwrap().is_empty());
}

pub async fn favourites_are_counted_once_and_flagged_for_the_viewer(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let liked = post(store, &alice, "liked").await;
    let other = post(store, &alice, "other").await;
    let seq = last_seq(store).await;

    let at = Timestamp::now();
    assert_eq!(store.favourite(bob.id, liked.id, at).await.unwrap(), Change::Made);
    assert_eq!(store.favourite(bob.id, liked.id, at).await.unwrap(), Change::Unchanged);
    assert_eq!(store.favourite(alice.id, liked.id, at).await.unwrap(), Change::Made);
    assert_eq!(fetch_status(store, &liked).await.favourites_count, 2);
    let flags = store.viewer_flags(bob.id, &[other.id, liked.id, Id(42)]).await.unwrap();
    assert_eq!(flags.favourited, vec![liked.id]);
    assert!(flags.reblogged.is_empty());
    assert!(store.viewer_flags(bob.id, &[]).await.unwrap().favourited.is_empty());

    assert_eq!(store.unfavourite(bob.id, liked.id, at).await.unwrap(), Change::Made);
    assert_eq!(store.unfavourite(bob.id, liked.id, at).await.unwrap(), Change::Unchanged);
    assert_eq!(store.unfavourite(bob.id, other.id, at).await.unwrap(), Change::Unchanged);
    assert_eq!(fetch_status(store, &liked).await.favourites_count, 1);
    assert!(store.viewer_flags(bob.id, &[liked.id]).await.unwrap().favourited.is_empty());
    assert!(matches!(store.favourite(bob.id, Id(42), at).await, Err(StoreError::NotFound)));

    let events = store.events_after(seq, 100).await.unwrap();
    let got: Vec<(EventKind, Option<Id>, Option<Id>)> =
        events.iter().map(|e| (e.kind, e.actor_id, e.subject_id)).collect();
    assert_eq!(
        got,
        vec![
            (EventKind::Favourited, Some(bob.id), Some(liked.id)),
            (EventKind::Favourited, Some(alice.id), Some(liked.id)),
            (EventKind::Unfavourited, Some(bob.id), Some(liked.id)),
        ]
    );
    assert_eq!(events[0].payload["author_id"], json!(alice.id));
    assert_eq!(events[0].created_at, at);
}

pub async fn reblogging_twice_returns_the_same_reblog_and_unreblog_undoes_it(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let original = post(store, &alice, "original").await;
    let seq = last_seq(store).await;

    let at = Timestamp::now();
    let boost = store.reblog(bob.id, original.id, id(), Visibility::Unlisted, at).await.unwrap();
    assert_eq!(boost.account.id, bob.id);
    assert_eq!(boost.visibility, Visibility::Unlisted);
    assert_eq!(boost.created_at, at);
    assert_eq!((boost.text.as_str(), boost.content.as_str()), ("", ""));
    assert!(boost.mentions.is_empty() && boost.tags.is_empty());
    assert_eq!(boost.reblog.as_ref().map(|r| (r.id, r.reblogs_count)), Some((original.id, 1)));
    assert_eq!(fetch_status(store, &boost).await, boost);

    let twice = store.reblog(bob.id, original.id, id(), Visibility::Public, Timestamp::now()).await.unwrap();
    assert_eq!(twice.id, boost.id);
    assert_eq!(fetch_status(store, &original).await.reblogs_count, 1);
    assert_eq!(fetch_account(store, &bob).await.statuses_count, 1);
    assert_eq!(store.viewer_flags(bob.id, &[original.id]).await.unwrap().reblogged, vec![original.id]);

    // Reblogging a reblog reblogs the original.
    let via = reblog(store, &carol, &boost).await;
    assert_eq!(via.reblog.as_ref().map(|r| r.id), Some(original.id));
    assert_eq!(fetch_status(store, &original).await.reblogs_count, 2);

    let at = Timestamp::now();
    assert_eq!(store.unreblog(bob.id, original.id, at).await.unwrap(), Change::Made);
    assert_eq!(store.unreblog(bob.id, original.id, at).await.unwrap(), Change::Unchanged);
    assert!(matches!(store.status(boost.id).await, Err(StoreError::NotFound)));
    assert_eq!(fetch_status(store, &original).await.reblogs_count, 1);
    assert_eq!(fetch_account(store, &bob).await.statuses_count, 0);
    assert!(store.viewer_flags(bob.id, &[original.id]).await.unwrap().reblogged.is_empty());
    assert!(matches!(store.reblog(bob.id, Id(42), id(), Visibility::Public, at).await, Err(StoreError::NotFound)));

    let events = store.events_after(seq, 100).await.unwrap();
    let got: Vec<(EventKind, Option<Id>, Option<Id>)> =
        events.iter().map(|e| (e.kind, e.actor_id, e.subject_id)).collect();
    assert_eq!(
        got,
        vec![
            (EventKind::Reblogged, Some(bob.id), Some(original.id)),
            (EventKind::Reblogged, Some(carol.id), Some(original.id)),
            (EventKind::Unreblogged, Some(bob.id), Some(original.id)),
        ]
    );
    assert_eq!(events[0].payload["reblog_id"], json!(boost.id));
    assert_eq!(events[2].payload["reblog_id"], json!(boost.id));
}

pub async fn favourites_and_favourited_by_are_paged_by_favourite_id(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let mut posts = Vec::new();
    for i in 0..4 {
        posts.push(post(store, &alice, &format!("s{i}")).await);
    }
    // Favourited in another order than posted: the list follows the favourites.
    for i in [2, 0, 3, 1] {
        store.favourite(alice.id, posts[i].id, Timestamp::now()).await.unwrap();
    }
    let expected = vec![posts[1].id, posts[3].id, posts[0].id, posts[2].id];
    let all = store.favourites(alice.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&all), expected);
    assert!(all.cursors.windows(2).all(|w| w[0] > w[1]));
    assert!(!all.cursors.contains(&posts[0].id), "cursors are favourite ids, not status ids");

    let first = store.favourites(alice.id, PageRequest::first(2)).await.unwrap();
    assert_eq!(ids(&first), expected[..2]);
    let second = store.favourites(alice.id, PageRequest { max_id: first.next_max_id(), ..PageRequest::first(2) });
    let second = second.await.unwrap();
    assert_eq!(ids(&second), expected[2..]);
    let newer = store.favourites(alice.id, PageRequest { min_id: second.prev_min_id(), ..PageRequest::first(1) });
    assert_eq!(ids(&newer.await.unwrap()), vec![expected[1]]);

    let fans = [account(store, "bob").await, account(store, "carol").await, account(store, "dave").await];
    for fan in &fans {
        store.favourite(fan.id, posts[0].id, Timestamp::now()).await.unwrap();
    }
    let by = store.favourited_by(posts[0].id, PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&by), vec![fans[2].id, fans[1].id, fans[0].id, alice.id]);
    let page =
        store.favourited_by(posts[0].id, PageRequest { max_id: by.cursors.get(1).copied(), ..PageRequest::first(1) });
    assert_eq!(ids(&page.await.unwrap()), vec![fans[0].id]);
    let page = store
        .favourited_by(posts[0].id, PageRequest { since_id: by.cursors.get(2).copied(), ..PageRequest::first(10) });
    assert_eq!(ids(&page.await.unwrap()), vec![fans[2].id, fans[1].id]);
}

pub async fn reblogged_by_is_paged_by_reblog_id(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let original = post(store, &alice, "original").await;
    let mut boosts = Vec::new();
    let mut fans = Vec::new();
    for name in ["bob", "carol", "dave"] {
        let fan = account(store, name).await;
        boosts.push(reblog(store, &fan, &original).await.id);
        fans.push(fan.id);
    }
    let by = store.reblogged_by(original.id, PageRequest::first(10)).await.unwrap();
    assert_eq!(ids(&by), vec![fans[2], fans[1], fans[0]]);
    assert_eq!(by.cursors, vec![boosts[2], boosts[1], boosts[0]]);
    let older = store.reblogged_by(original.id, PageRequest { max_id: Some(boosts[1]), ..PageRequest::first(10) });
    assert_eq!(ids(&older.await.unwrap()), vec![fans[0]]);
    let newer = store.reblogged_by(original.id, PageRequest { min_id: Some(boosts[0]), ..PageRequest::first(1) });
    assert_eq!(ids(&newer.await.unwrap()), vec![fans[1]]);
}

pub async fn a_quote_carries_the_status_it_quotes_one_level_deep(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let original = post(store, &alice, "the original").await;
    let quote =
        store.create_status(NewStatus { quote_of_id: Some(original.id), ..draft(&bob, "well said") }).await.unwrap();
    assert_eq!(quote.quote_of_id, Some(original.id));
    assert_eq!(quote.quote.as_ref().map(|q| q.text.as_str()), Some("the original"), "as created");
    let again =
        store.create_status(NewStatus { quote_of_id: Some(quote.id), ..draft(&alice, "and again") }).await.unwrap();
    let fetched = fetch_status(store, &again).await;
    let inner = fetched.quote.as_deref().unwrap();
    assert_eq!((inner.id, inner.quote_of_id), (quote.id, Some(original.id)));
    assert!(inner.quote.is_none(), "one level: the quoted status's own quote is not expanded");
    let boost = reblog(store, &alice, &quote).await;
    let shown = store.statuses(&[boost.id]).await.unwrap().pop().unwrap();
    assert_eq!(shown.reblog.and_then(|r| r.quote).map(|q| q.id), Some(original.id), "a boost shows the quote");
    // The quoted status may go; the quote stays and says what it quoted.
    store.delete_status(original.id, alice.id, Timestamp::now()).await.unwrap();
    let orphan = fetch_status(store, &quote).await;
    assert_eq!((orphan.quote_of_id, orphan.quote.is_none()), (Some(original.id), true));
}
