//! Whose home shows a status, asked of the store once and shared by the two consumers that need
//! it soon after the status is written: live delivery (`realtime::route`) and the home timeline
//! cache (`feeds::worker`). Each used to ask for itself, which doubled the largest read a post
//! causes (a row per follower).
//!
//! Sharing an answer computed a moment earlier is safe for both: whatever changes it later (a
//! follow, an unfollow, a deletion) is a later event in the log, which both apply after this
//! one. An answer is kept with the event it was asked for; an edit (a later event, whose new
//! hashtags may reach other homes) asks again, once for both consumers.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use starling_core::{Id, Store, StoreResult};

/// The most ids kept over all recent answers (8 MB): a few thousand posts' worth, enough for the
/// two consumers to meet, however many followers the authors have.
const KEEP_IDS: usize = 1_000_000;

#[derive(Default)]
pub struct Recipients {
    recent: Mutex<Recent>,
}

#[derive(Default)]
struct Recent {
    /// Each status's answer, with the sequence of the event it was asked for.
    by_status: HashMap<Id, (Arc<[Id]>, i64)>,
    /// Oldest first.
    order: VecDeque<Id>,
    ids: usize,
}

impl Recipients {
    /// The accounts whose home shows `status` (the store's `home_recipients`), as of the event
    /// at `seq` or later: an answer kept for an earlier event is asked again.
    pub async fn of(&self, store: &dyn Store, status: Id, seq: i64) -> StoreResult<Arc<[Id]>> {
        if let Some((known, as_of)) = self.recent().by_status.get(&status)
            && *as_of >= seq
        {
            return Ok(Arc::clone(known));
        }
        let answer: Arc<[Id]> = store.home_recipients(status).await?.into();
        let mut recent = self.recent();
        match recent.by_status.insert(status, (Arc::clone(&answer), seq)) {
            None => {
                recent.order.push_back(status);
                recent.ids += answer.len();
            }
            Some((replaced, _)) => recent.ids = recent.ids - replaced.len() + answer.len(),
        }
        while recent.ids > KEEP_IDS && recent.order.len() > 1 {
            let Some(oldest) = recent.order.pop_front() else { break };
            if let Some((dropped, _)) = recent.by_status.remove(&oldest) {
                recent.ids -= dropped.len();
            }
        }
        Ok(answer)
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        // What it guards is a cache of store answers: after a panic elsewhere it is still right.
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use starling_core::model::*;
    use starling_core::{IdGenerator, Store};
    use starling_store::{SqliteStore, StoreOptions};

    use super::*;

    #[tokio::test]
    async fn the_store_is_asked_once_per_status() {
        let store = SqliteStore::open("sqlite::memory:", &StoreOptions::default()).await.expect("opens");
        let ids = IdGenerator::new(1);
        let account = |name: &str| NewAccount {
            id: ids.next(),
            username: name.into(),
            email: format!("{name}@example.org"),
            password_hash: "x".into(),
            display_name: String::new(),
            locale: "en".into(),
            role: Role::User,
            created_at: Timestamp::now(),
        };
        let alice = store.create_account(account("alice")).await.expect("alice");
        let bob = store.create_account(account("bob")).await.expect("bob");
        store.follow(bob.id, alice.id).await.expect("follows");
        let status = store
            .create_status(NewStatus {
                id: ids.next(),
                account_id: alice.id,
                app_id: None,
                text: "hi".into(),
                content: "<p>hi</p>".into(),
                spoiler_text: String::new(),
                sensitive: false,
                visibility: Visibility::Public,
                language: None,
                in_reply_to_id: None,
                mentions: vec![],
                tags: vec![],
                idempotency_key: None,
                media_ids: Vec::new(),
                quote_of_id: None,
                created_at: Timestamp::now(),
            })
            .await
            .expect("posts");
        let recipients = Recipients::default();
        let first = recipients.of(&store, status.id, 1).await.expect("asks");
        let mut sorted = first.to_vec();
        sorted.sort_unstable();
        let mut expected = vec![alice.id, bob.id];
        expected.sort_unstable();
        assert_eq!(sorted, expected);
        // bob leaves; the answer kept is the one both consumers share (the unfollow is a later
        // event, which each applies after this one).
        store.unfollow(bob.id, alice.id).await.expect("unfollows");
        let again = recipients.of(&store, status.id, 1).await.expect("asks");
        assert!(Arc::ptr_eq(&first, &again), "answered from what was kept");
    }
}
