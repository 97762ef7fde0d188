//! Deleting an account and everything it made, for an operator (`starling admin delete`) or a
//! moderator (`DELETE /api/v1/admin/accounts/:id`). Each piece goes through the store method
//! that removes it in normal use, so counters, homes, notifications and the event log stay as
//! exact as they are for any deletion; the account is suspended first, so that its content is
//! hidden at once while the rest follows.

use starling_core::model::Timestamp;
use starling_core::page::PageRequest;
use starling_core::store::AccountStatusesFilter;
use starling_core::{Id, Store, StoreResult};

/// What was deleted with the account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    pub statuses: u64,
    pub favourites: u64,
    pub follows: u64,
    pub stories: u64,
}

const BATCH: u32 = 100;

pub async fn erase_account(store: &dyn Store, account: Id, actor: Option<Id>) -> StoreResult<Erased> {
    let by = actor.unwrap_or(account);
    let mut erased = Erased::default();
    store.suspend_account(account, actor).await?;
    loop {
        let page = store
            .account_statuses(account, Some(account), AccountStatusesFilter::default(), PageRequest::first(BATCH))
            .await?;
        if page.items.is_empty() {
            break;
        }
        for status in &page.items {
            match store.delete_status(status.id, by, Timestamp::now()).await {
                // A reblog goes with its original, which may have been deleted just before.
                Ok(_) | Err(starling_core::StoreError::NotFound) => erased.statuses += 1,
                Err(e) => return Err(e),
            }
        }
    }
    loop {
        let page = store.favourites(account, PageRequest::first(BATCH)).await?;
        if page.items.is_empty() {
            break;
        }
        for status in &page.items {
            store.unfavourite(account, status.id, Timestamp::now()).await?;
            erased.favourites += 1;
        }
    }
    loop {
        let following = store.following(account, PageRequest::first(BATCH)).await?;
        let followers = store.followers(account, PageRequest::first(BATCH)).await?;
        if following.items.is_empty() && followers.items.is_empty() {
            break;
        }
        for other in &following.items {
            store.unfollow(account, other.id).await?;
            erased.follows += 1;
        }
        for other in &followers.items {
            store.unfollow(other.id, account).await?;
            erased.follows += 1;
        }
    }
    loop {
        let asking = store.follow_requests(account, PageRequest::first(BATCH)).await?;
        if asking.items.is_empty() {
            break;
        }
        for other in &asking.items {
            store.reject_follow_request(account, other.id, by, Timestamp::now()).await?;
        }
    }
    for story in store.account_stories(account, account, Timestamp::now()).await? {
        store.delete_story(story.id, account, Timestamp::now()).await?;
        erased.stories += 1;
    }
    for filter in store.filters(account).await? {
        store.delete_filter(filter.id, account, Timestamp::now()).await?;
    }
    store.erase_account(account, actor).await?;
    Ok(erased)
}
