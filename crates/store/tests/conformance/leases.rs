//! Leases: one holder at a time, taken over only once expired, renewed and released by their
//! holder alone, and no event in the log.

use starling_core::Store;
use starling_core::model::Timestamp;

pub async fn a_lease_has_one_holder_until_it_expires_or_is_released(store: &dyn Store) {
    let t = Timestamp(1_000_000);
    let later = |ms: i64| Timestamp(t.0 + ms);
    let before = store.last_event_seq().await.unwrap();

    assert!(store.acquire_lease("job/notifier", "node-a", t, 10_000).await.unwrap(), "a free lease is taken");
    assert!(!store.acquire_lease("job/notifier", "node-b", later(5_000), 10_000).await.unwrap(), "held by another");
    assert!(
        store.acquire_lease("job/notifier", "node-a", later(5_000), 10_000).await.unwrap(),
        "renewed by its holder"
    );
    // The renewal moved the expiry to 15 s: at 12 s it is still node-a's.
    assert!(!store.acquire_lease("job/notifier", "node-b", later(12_000), 10_000).await.unwrap(), "renewal extends it");
    assert!(store.acquire_lease("job/notifier", "node-b", later(15_000), 10_000).await.unwrap(), "expired: taken over");
    assert!(
        !store.acquire_lease("job/notifier", "node-a", later(16_000), 10_000).await.unwrap(),
        "the old holder lost it"
    );

    // Only the holder can release it.
    store.release_lease("job/notifier", "node-a").await.unwrap();
    assert!(!store.acquire_lease("job/notifier", "node-c", later(17_000), 10_000).await.unwrap());
    store.release_lease("job/notifier", "node-b").await.unwrap();
    assert!(store.acquire_lease("job/notifier", "node-c", later(17_000), 10_000).await.unwrap(), "released: free");

    assert_eq!(store.last_event_seq().await.unwrap(), before, "leases are not events");
}

pub async fn leases_are_listed_by_prefix_while_unexpired(store: &dyn Store) {
    let t = Timestamp(2_000_000);
    for (name, holder, ttl) in
        [("node/2", "b", 10_000), ("node/1", "a", 10_000), ("node/3", "c", 1_000), ("job/x", "a", 10_000)]
    {
        assert!(store.acquire_lease(name, holder, t, ttl).await.unwrap());
    }
    // A name with a LIKE wildcard in it is matched literally.
    assert!(store.acquire_lease("node_%", "d", t, 10_000).await.unwrap());

    let listed = store.leases("node/", Timestamp(t.0 + 5_000)).await.unwrap();
    let names: Vec<(&str, &str)> = listed.iter().map(|l| (l.name.as_str(), l.holder.as_str())).collect();
    assert_eq!(names, [("node/1", "a"), ("node/2", "b")], "node/3 has expired; job/x and node_% do not match");
    assert_eq!(listed[0].expires_at, Timestamp(t.0 + 10_000));
    assert_eq!(store.leases("", Timestamp(t.0 + 5_000)).await.unwrap().len(), 4);
    assert!(store.leases("node/", Timestamp(t.0 + 10_000)).await.unwrap().is_empty(), "expiry is exclusive");
}
