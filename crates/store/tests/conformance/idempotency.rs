//! Idempotent requests: a key is claimed once per scope, answered or released by its request,
//! replayed to retries, taken over when abandoned, and forgotten once old; no event in the log.

use starling_core::Store;
use starling_core::model::{NewStatus, Timestamp};
use starling_core::store::{IdempotencyClaim, IdempotencyState, StoredAnswer};

use super::*;

const MINUTE: i64 = 60_000;

fn claim_at(scope: &str, key: &str, fingerprint: &str, now: Timestamp) -> IdempotencyClaim {
    IdempotencyClaim {
        scope: scope.into(),
        key: key.into(),
        fingerprint: fingerprint.into(),
        now,
        stale_before: Timestamp(now.0 - MINUTE),
        expired_before: Timestamp(now.0 - 24 * 60 * MINUTE),
    }
}

fn created(body: &str) -> StoredAnswer {
    StoredAnswer { status: 200, content_type: "application/json".into(), body: body.as_bytes().to_vec() }
}

pub async fn an_idempotency_key_is_claimed_once_then_replays_its_answer(store: &dyn Store) {
    let t = Timestamp(10_000_000_000);
    let at = |ms: i64| Timestamp(t.0 + ms);
    let before = store.last_event_seq().await.unwrap();
    let post = "POST /api/v1/stories";

    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "k", post, t)).await.unwrap(),
        IdempotencyState::Claimed
    );
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "k", post, at(1_000))).await.unwrap(),
        IdempotencyState::InProgress,
        "a second request while the first runs"
    );
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:2", "k", post, at(1_000))).await.unwrap(),
        IdempotencyState::Claimed,
        "keys are per scope"
    );

    store.answer_idempotency_key("account:1", "k", created(r#"{"id":"7"}"#)).await.unwrap();
    let replay = store.claim_idempotency_key(claim_at("account:1", "k", post, at(2_000))).await.unwrap();
    assert_eq!(replay, IdempotencyState::Answered(created(r#"{"id":"7"}"#)));
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "k", "POST /api/v1/chats", at(2_000))).await.unwrap(),
        IdempotencyState::Mismatch,
        "the same key on another endpoint"
    );
    // An answered key is never taken over as abandoned, however long its retries wait.
    let much_later = store.claim_idempotency_key(claim_at("account:1", "k", post, at(60 * MINUTE))).await.unwrap();
    assert_eq!(much_later, IdempotencyState::Answered(created(r#"{"id":"7"}"#)));
    // Once expired it is free again.
    let next_day = at(24 * 60 * MINUTE + 1);
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "k", post, next_day)).await.unwrap(),
        IdempotencyState::Claimed
    );

    assert_eq!(store.last_event_seq().await.unwrap(), before, "idempotency keys are not events");
}

pub async fn a_released_or_abandoned_idempotency_key_runs_again(store: &dyn Store) {
    let t = Timestamp(20_000_000_000);
    let post = "POST /api/v2/media";

    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "a", post, t)).await.unwrap(),
        IdempotencyState::Claimed
    );
    store.release_idempotency_key("account:1", "a").await.unwrap();
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "a", post, Timestamp(t.0 + 1))).await.unwrap(),
        IdempotencyState::Claimed,
        "released: the retry runs"
    );
    // Releasing never drops an answer.
    store.answer_idempotency_key("account:1", "a", created("{}")).await.unwrap();
    store.release_idempotency_key("account:1", "a").await.unwrap();
    assert!(matches!(
        store.claim_idempotency_key(claim_at("account:1", "a", post, Timestamp(t.0 + 2))).await.unwrap(),
        IdempotencyState::Answered(_)
    ));

    // A claim left unanswered (its node died) is taken over once stale, not before.
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "b", post, t)).await.unwrap(),
        IdempotencyState::Claimed
    );
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "b", post, Timestamp(t.0 + MINUTE))).await.unwrap(),
        IdempotencyState::InProgress
    );
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "b", post, Timestamp(t.0 + MINUTE + 1))).await.unwrap(),
        IdempotencyState::Claimed
    );
}

pub async fn idempotency_keys_are_purged_once_old_with_the_keys_statuses_were_made_with(store: &dyn Store) {
    let alice = account(store, "alice").await;
    let now = Timestamp::now();
    let post = "POST /api/v1/statuses";
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "old", post, now)).await.unwrap(),
        IdempotencyState::Claimed
    );
    store.answer_idempotency_key("account:1", "old", created("{}")).await.unwrap();
    let first =
        store.create_status(NewStatus { idempotency_key: Some("s".into()), ..draft(&alice, "one") }).await.unwrap();
    let later = Timestamp(now.0 + 2 * MINUTE);
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "new", post, later)).await.unwrap(),
        IdempotencyState::Claimed
    );

    assert_eq!(
        store.purge_idempotency_keys(Timestamp(now.0 + MINUTE)).await.unwrap(),
        2,
        "the old answer and the status's key"
    );
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "old", post, later)).await.unwrap(),
        IdempotencyState::Claimed,
        "forgotten"
    );
    assert_eq!(
        store.claim_idempotency_key(claim_at("account:1", "new", post, later)).await.unwrap(),
        IdempotencyState::InProgress,
        "the newer claim stays"
    );
    let second =
        store.create_status(NewStatus { idempotency_key: Some("s".into()), ..draft(&alice, "two") }).await.unwrap();
    assert_ne!(second.id, first.id, "the status's key was forgotten too");
    assert_eq!(fetch_status(store, &first).await.text, "one", "the status itself stays");
}
