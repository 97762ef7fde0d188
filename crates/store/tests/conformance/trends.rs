//! The counts trends are computed from: per-day hashtag use by distinct accounts, and fresh
//! statuses' engagement; public originals only.

use starling_core::model::{NewStatus, Timestamp, Visibility};
use starling_core::trends::{DAY_MS, TagDay, day_of};
use starling_core::{Id, Store};

use super::{account, draft};

async fn tagged(
    store: &dyn Store,
    author: &starling_core::model::Account,
    tag: &str,
    at: Timestamp,
    visibility: Visibility,
) -> Id {
    let status =
        NewStatus { tags: vec![tag.to_string()], created_at: at, visibility, ..draft(author, &format!("#{tag}")) };
    store.create_status(status).await.unwrap().id
}

pub async fn hashtag_use_is_counted_per_day_by_statuses_and_distinct_accounts(store: &dyn Store) {
    let now = Timestamp::now();
    let yesterday = Timestamp(now.0 - DAY_MS);
    let mut crowd = Vec::new();
    for name in ["a1", "a2", "a3"] {
        crowd.push(account(store, name).await);
    }
    let loud = account(store, "loud").await;
    for a in &crowd {
        tagged(store, a, "crowd", now, Visibility::Public).await;
    }
    for _ in 0..4 {
        tagged(store, &loud, "spam", now, Visibility::Public).await;
    }
    tagged(store, &loud, "crowd", yesterday, Visibility::Public).await;
    // Not public, or not an original: not counted.
    tagged(store, &loud, "crowd", now, Visibility::Unlisted).await;
    tagged(store, &loud, "crowd", now, Visibility::Private).await;
    let original = tagged(store, &crowd[0], "reblogged", now, Visibility::Public).await;
    store.reblog(loud.id, original, super::id(), Visibility::Public, now).await.unwrap();

    let mut days = store.tag_days(Timestamp(now.0 - 7 * DAY_MS), None).await.unwrap();
    days.sort_by(|a, b| (&a.tag, a.day).cmp(&(&b.tag, b.day)));
    let today = day_of(now);
    let day = |tag: &str, day: i64, uses: i64, accounts: i64| TagDay { tag: tag.into(), day, uses, accounts };
    assert_eq!(
        days,
        vec![
            day("crowd", day_of(yesterday), 1, 1),
            day("crowd", today, 3, 3),
            day("reblogged", today, 1, 1),
            day("spam", today, 4, 1)
        ]
    );
    let only = store.tag_days(Timestamp(now.0 - 7 * DAY_MS), Some(vec!["spam".into()])).await.unwrap();
    assert_eq!(only, vec![day("spam", today, 4, 1)]);
    let recent = store.tag_days(Timestamp(now.0 - 60_000), Some(vec!["crowd".into()])).await.unwrap();
    assert_eq!(recent, vec![day("crowd", today, 3, 3)], "since bounds by time");
}

pub async fn engaged_statuses_are_fresh_public_originals_most_engaged_first(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let carol = account(store, "carol").await;
    let now = Timestamp::now();
    let quiet = super::post(store, &alice, "nobody cares").await;
    let liked = super::post(store, &alice, "liked").await;
    let hot = super::post(store, &alice, "hot").await;
    let hidden = super::post_as(store, &alice, "private but loved", Visibility::Private).await;
    for fan in [&bob, &carol] {
        store.favourite(fan.id, hot.id, now).await.unwrap();
        store.favourite(fan.id, hidden.id, now).await.unwrap();
    }
    store.favourite(bob.id, liked.id, now).await.unwrap();
    store.reblog(carol.id, hot.id, super::id(), Visibility::Public, now).await.unwrap();
    let found = store.engaged_statuses(Timestamp(now.0 - DAY_MS), 10).await.unwrap();
    let ids: Vec<Id> = found.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, vec![hot.id, liked.id], "{quiet:?} has none; private ones never trend");
    assert_eq!((found[0].1.favourites, found[0].1.reblogs, found[0].1.replies), (2, 1, 0));
    assert_eq!(store.engaged_statuses(Timestamp(now.0 - DAY_MS), 1).await.unwrap().len(), 1);
    assert!(store.engaged_statuses(Timestamp(now.0 + 60_000), 10).await.unwrap().is_empty(), "nothing since then");
}
