//! Keyword filters: created with their keywords, changed keyword by keyword, listed newest
//! first, their account's alone, logged, and part of what is hidden from their account.

use starling_core::event::EventKind;
use starling_core::filters::{Filter, FilterAction, FilterContext, FilterKeyword, FilterUpdate, NewFilter};
use starling_core::model::*;
use starling_core::{Store, StoreError};

use super::*;

fn keyword(word: &str, whole_word: bool) -> FilterKeyword {
    FilterKeyword { id: id(), keyword: word.into(), whole_word }
}

async fn make(store: &dyn Store, owner: &Account, title: &str, words: &[&str]) -> Filter {
    store
        .create_filter(NewFilter {
            id: id(),
            account_id: owner.id,
            title: title.into(),
            context: vec![FilterContext::Home, FilterContext::Public],
            action: FilterAction::Warn,
            expires_at: None,
            keywords: words.iter().map(|w| keyword(w, true)).collect(),
            created_at: Timestamp::now(),
        })
        .await
        .unwrap()
}

pub async fn filters_are_made_changed_and_deleted_by_their_account_only(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let seq = last_seq(store).await;
    let spoilers = make(store, &alice, "Spoilers", &["finale", "ending"]).await;
    assert_eq!(spoilers.title, "Spoilers");
    assert_eq!(spoilers.context, vec![FilterContext::Home, FilterContext::Public]);
    let words: Vec<&str> = spoilers.keywords.iter().map(|k| k.keyword.as_str()).collect();
    assert_eq!(words, vec!["finale", "ending"]);
    let food = make(store, &alice, "Food", &["soup"]).await;
    let listed: Vec<_> = store.filters(alice.id).await.unwrap().iter().map(|f| f.id).collect();
    assert_eq!(listed, vec![food.id, spoilers.id], "the newest first");
    assert!(store.filters(bob.id).await.unwrap().is_empty());
    assert!(matches!(store.filter(spoilers.id, bob.id).await, Err(StoreError::NotFound)), "alice's alone");

    let finale = spoilers.keywords[0].clone();
    let ending = spoilers.keywords[1].id;
    let later = Timestamp(Timestamp::now().0 + 60_000);
    let update = FilterUpdate {
        title: Some("No spoilers".into()),
        context: Some(vec![FilterContext::Thread]),
        action: Some(FilterAction::Hide),
        expires_at: Some(Some(later)),
        add: vec![keyword("twist", false)],
        change: vec![FilterKeyword { whole_word: false, keyword: "Finale".into(), ..finale }],
        remove: vec![ending],
    };
    let changed = store.update_filter(spoilers.id, alice.id, update, Timestamp::now()).await.unwrap();
    assert_eq!(
        (changed.title.as_str(), changed.action, changed.expires_at),
        ("No spoilers", FilterAction::Hide, Some(later))
    );
    assert_eq!(changed.context, vec![FilterContext::Thread]);
    let words: Vec<(&str, bool)> = changed.keywords.iter().map(|k| (k.keyword.as_str(), k.whole_word)).collect();
    assert_eq!(words, vec![("Finale", false), ("twist", false)]);
    assert_eq!(store.filter(spoilers.id, alice.id).await.unwrap(), changed);
    let theirs = FilterUpdate { title: Some("mine now".into()), ..FilterUpdate::default() };
    assert!(matches!(
        store.update_filter(spoilers.id, bob.id, theirs, Timestamp::now()).await,
        Err(StoreError::NotFound)
    ));
    let foreign = FilterUpdate { remove: vec![food.keywords[0].id], ..FilterUpdate::default() };
    assert!(
        matches!(
            store.update_filter(spoilers.id, alice.id, foreign, Timestamp::now()).await,
            Err(StoreError::NotFound)
        ),
        "another filter's keyword"
    );
    assert_eq!(store.filter(spoilers.id, alice.id).await.unwrap(), changed, "a refused change changes nothing");

    assert!(store.hidden(alice.id).await.unwrap().filters.iter().any(|f| f.id == food.id));
    assert!(matches!(store.delete_filter(food.id, bob.id, Timestamp::now()).await, Err(StoreError::NotFound)));
    store.delete_filter(food.id, alice.id, Timestamp::now()).await.unwrap();
    assert!(matches!(store.filter(food.id, alice.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.filters(alice.id).await.unwrap().len(), 1);
    assert_eq!(
        kinds_after(store, seq).await,
        vec![EventKind::FilterCreated, EventKind::FilterCreated, EventKind::FilterUpdated, EventKind::FilterDeleted]
    );
}
