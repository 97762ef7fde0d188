//! The conformance suite every `Store` backend must pass, written once against `&dyn Store`.
//!
//! Each check is a small async function that starts from an empty store. A backend's test file
//! provides a `Fixture` (a fresh, empty store, a way to reopen it with other options and a way
//! to clean it up) and invokes `conformance_tests!(fresh, fresh_with)`, which generates one named
//! `#[tokio::test]` per check, so a failure names the behaviour that broke and the backend it
//! broke on. `fresh()` opens a store with the default options; `fresh_with(options)` with the
//! given ones, for the few checks that need them (they receive `fresh_with` itself).
//! A backend that needs an external server passes `skip_if = f` as a third argument: each test
//! first calls `f()`, and passes without running its check when that returns true (`f` says
//! why, loudly, or fails when skipping is not allowed).

#![allow(clippy::unwrap_used, dead_code)]

mod accounts;
mod chats;
mod events;
mod filters;
mod home;
mod idempotency;
mod kept;
mod leases;
mod media;
mod notifications;
mod pulled;
mod replay;
mod reports;
mod requests;
mod safety;
mod search;
mod statuses;
mod stories;
mod tags;
mod timelines;
mod trends;

use std::sync::LazyLock;

use starling_core::event::{Event, EventKind};
use starling_core::model::*;
use starling_core::notify::Notification;
use starling_core::page::Page;
use starling_core::{Id, IdGenerator, Store};
use starling_store::StoreOptions;

pub use accounts::*;
pub use chats::*;
pub use events::*;
pub use filters::*;
pub use home::*;
pub use idempotency::*;
pub use kept::*;
pub use leases::*;
pub use media::*;
pub use notifications::*;
pub use pulled::*;
pub use replay::*;
pub use reports::*;
pub use requests::*;
pub use safety::*;
pub use search::*;
pub use statuses::*;
pub use stories::*;
pub use tags::*;
pub use timelines::*;
pub use trends::*;

/// A fresh, empty store for one check.
pub trait Fixture {
    fn store(&self) -> &dyn Store;
    /// Closes the store and removes whatever it left behind.
    fn finish(self) -> impl std::future::Future<Output = ()>;
    /// Closes the store and opens the same database again with `options`, as a restart with
    /// another configuration would.
    fn reopen(&mut self, options: StoreOptions) -> impl std::future::Future<Output = ()>;
}

/// Generates one `#[tokio::test]` per check, each with its own store from `$fresh().await`.
macro_rules! conformance_tests {
    ($fresh:path, $fresh_with:path) => {
        $crate::conformance::conformance_tests!($fresh, $fresh_with, skip_if = $crate::conformance::never);
    };
    ($fresh:path, $fresh_with:path, skip_if = $skip:path) => {
        $crate::conformance::conformance_tests!(@each $fresh, $skip;
            // accounts, apps, tokens, follows
            accounts_are_created_and_found_by_id_and_username,
            usernames_and_emails_are_unique_case_insensitively,
            credentials_are_found_by_username_or_email_in_any_case,
            account_updates_change_only_what_is_given,
            apps_are_found_by_id_and_client_id_which_is_unique,
            tokens_are_issued_and_revoking_twice_logs_once,
            a_password_change_signs_out_every_other_session,
            a_suspension_signs_the_account_out_until_lifted,
            an_authorization_code_works_once,
            follows_keep_counters_exact_and_log_one_event_each,
            following_a_missing_account_is_not_found_and_changes_nothing,
            relationships_report_both_directions_in_the_order_asked,
            followers_and_following_are_paged_by_follow_id,
            follower_ids_are_every_current_follower_and_nobody_else,
            instance_counts_count_accounts_and_original_statuses,
            followers_who_ask_are_named_in_each_new_posts_event,
            // statuses
            a_status_is_created_with_its_mentions_tags_version_and_event,
            a_failed_write_leaves_no_trace,
            an_idempotency_key_returns_the_first_status_and_writes_once,
            replies_move_the_parents_replies_count,
            a_reply_to_a_missing_status_is_not_found,
            direct_statuses_do_not_count_towards_statuses_count,
            edits_keep_the_full_history_oldest_first,
            a_quote_carries_the_status_it_quotes_one_level_deep,
            reblogs_cannot_be_edited,
            deleting_a_status_removes_its_reblogs_and_fixes_every_counter,
            deleting_a_reblog_lowers_the_originals_reblogs_count,
            statuses_come_back_in_the_order_asked,
            favourites_are_counted_once_and_flagged_for_the_viewer,
            reblogging_twice_returns_the_same_reblog_and_unreblog_undoes_it,
            favourites_and_favourited_by_are_paged_by_favourite_id,
            reblogged_by_is_paged_by_reblog_id,
            // timelines
            the_home_timeline_shows_the_viewer_and_followed_accounts_only,
            the_home_timeline_hides_replies_to_accounts_the_viewer_does_not_follow,
            the_public_timeline_shows_public_originals_without_replies_to_others,
            the_tag_timeline_shows_public_statuses_with_the_tag,
            account_statuses_depend_on_who_is_looking,
            account_statuses_can_exclude_replies_and_reblogs,
            timelines_are_paged_by_status_id,
            context_lists_ancestors_oldest_first_and_descendants_in_thread_order,
            // notifications and markers
            applying_notifications_stores_each_once_and_moves_the_offset_forward_only,
            notifications_are_listed_newest_first_paged_and_filtered_for_their_recipient,
            each_retraction_removes_exactly_what_it_should,
            a_notification_is_its_recipients_and_dismissing_it_logs_its_event,
            clearing_removes_all_of_the_recipients_notifications_only,
            markers_are_set_read_and_versioned,
            unread_notifications_are_those_above_the_notifications_marker,
            notifications_between_are_the_recipients_in_a_sequence_range_oldest_first,
            // the event log
            every_mutation_appends_its_event_in_order,
            events_after_pages_through_the_log,
            the_log_knows_its_last_sequence_and_pages_each_actors_events,
            // replay: the projections rebuilt from the log
            a_rebuild_from_the_log_matches_the_live_projections,
            a_tampered_or_lagging_live_state_is_reported,
            // materialised home timelines
            a_new_status_reaches_followers_homes_at_once,
            unfollowing_removes_the_followees_statuses_from_home_but_not_from_their_profile,
            following_brings_recent_statuses_into_home,
            deleting_a_status_retracts_it_and_its_reblogs_from_every_home,
            mentions_decide_who_sees_reblogs_of_private_statuses_at_home,
            trimming_keeps_the_newest_entries_and_the_home_timeline_ends_there,
            home_timelines_match_their_rules_after_a_busy_history,
            // followed hashtags
            followed_tags_are_listed_newest_first_paged_and_logged,
            followed_hashtags_bring_public_statuses_home,
            // home timelines kept outside the store
            home_recipients_backfill_and_admitted_agree_with_home_timelines,
            home_recipients_follow_the_fan_out_rules,
            a_lease_has_one_holder_until_it_expires_or_is_released,
            leases_are_listed_by_prefix_while_unexpired,
            // reports
            reports_are_recorded_listed_newest_first_and_logged,
            a_report_is_resolved_once_and_roles_are_given,
            // keyword filters
            filters_are_made_changed_and_deleted_by_their_account_only,
            // follow requests
            a_follow_request_is_asked_once_then_approved_into_a_follow,
            a_follow_request_is_rejected_withdrawn_or_ended_by_a_block,
            // blocks and mutes
            a_block_ends_follows_both_ways_and_is_logged_after_them,
            blocks_and_mutes_are_listed_newest_first_and_paged,
            a_mute_is_one_sided_replaced_by_muting_again_and_ends_by_itself,
            notifications_from_hidden_accounts_are_neither_listed_nor_counted,
            moderators_limits_are_logged_and_hide_as_they_should,
            an_erased_account_is_blanked_signed_out_and_stays_suspended,
            // bookmarks and pins
            bookmarks_are_private_paged_newest_first_and_go_with_their_status,
            pins_are_listed_newest_first_flagged_and_go_with_their_status,
            // idempotent requests
            an_idempotency_key_is_claimed_once_then_replays_its_answer,
            a_released_or_abandoned_idempotency_key_runs_again,
            idempotency_keys_are_purged_once_old_with_the_keys_statuses_were_made_with,
            // stories
            a_story_is_created_seen_by_its_author_and_gone_at_expiry,
            a_view_counts_once_per_viewer_and_never_for_the_author,
            reactions_are_once_per_account_and_emoji_and_counted_per_emoji,
            the_story_feed_is_the_viewers_and_their_followees_unexpired_stories,
            // search
            accounts_are_found_by_username_or_display_name_prefix,
            hashtags_are_found_by_prefix_most_used_first,
            statuses_are_found_by_every_word_only_where_the_viewer_may_see_them,
            the_index_follows_the_log_in_batches_and_says_how_far,
            a_stronger_match_ranks_above_a_weaker_one_of_the_same_age,
            // trends
            hashtag_use_is_counted_per_day_by_statuses_and_distinct_accounts,
            engaged_statuses_are_fresh_public_originals_most_engaged_first,
            // media
            media_are_recorded_unattached_and_updated_by_their_owner_only,
            a_status_carries_its_media_in_order_and_lets_them_go_when_deleted,
            only_the_uploaders_free_media_can_be_attached,
            stories_and_chat_messages_carry_media_too,
            unattached_media_are_purged_once_old_and_attached_ones_never,
            // chats
            a_chat_of_two_is_unique_per_pair_and_groups_are_not,
            only_participants_reach_a_chat,
            messages_are_paged_newest_first_and_move_the_chat_up,
            an_idempotency_key_sends_a_chat_message_once,
            read_positions_move_forward_and_count_what_others_wrote,
            leaving_a_chat_takes_the_participant_out,
        );
        $crate::conformance::conformance_tests!(@with_options $fresh_with, $skip;
            popular_authors_are_merged_into_home_timelines_when_read,
            pulled_home_timelines_follow_the_materialised_rules,
            a_pulled_store_writes_no_home_entries_and_has_nothing_to_trim_or_check,
            pulled_homes_follow_hashtags_too,
        );
    };
    (@with_options $fresh_with:path, $skip:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                if $skip() {
                    return;
                }
                $crate::conformance::$check($fresh_with).await;
            }
        )*
    };
    (@each $fresh:path, $skip:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                use $crate::conformance::Fixture as _;
                if $skip() {
                    return;
                }
                let fixture = $fresh().await;
                $crate::conformance::$check(fixture.store()).await;
                fixture.finish().await;
            }
        )*
    };
}
pub(crate) use conformance_tests;

/// The `skip_if` of backends that are always available.
pub fn never() -> bool {
    false
}

// ---- helpers shared by the checks ---------------------------------------------------------------

static IDS: LazyLock<IdGenerator> = LazyLock::new(|| IdGenerator::new(7));

/// A fresh, time-ordered id: later calls give larger ids, as the server's generator does.
pub fn id() -> Id {
    IDS.next()
}

pub fn new_account(username: &str) -> NewAccount {
    NewAccount {
        id: id(),
        username: username.to_string(),
        email: format!("{}@example.org", username.to_lowercase()),
        password_hash: format!("$argon2id$hash-of-{username}"),
        display_name: String::new(),
        locale: "en".into(),
        role: Role::User,
        created_at: Timestamp::now(),
    }
}

pub async fn account(store: &dyn Store, username: &str) -> Account {
    store.create_account(new_account(username)).await.unwrap()
}

/// A public, top-level status by `author`; change fields with `NewStatus { .., ..draft() }`.
pub fn draft(author: &Account, text: &str) -> NewStatus {
    NewStatus {
        id: id(),
        account_id: author.id,
        app_id: None,
        text: text.to_string(),
        content: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        visibility: Visibility::Public,
        language: Some("en".into()),
        in_reply_to_id: None,
        mentions: Vec::new(),
        tags: Vec::new(),
        idempotency_key: None,
        media_ids: Vec::new(),
        quote_of_id: None,
        created_at: Timestamp::now(),
    }
}

pub async fn post(store: &dyn Store, author: &Account, text: &str) -> Status {
    store.create_status(draft(author, text)).await.unwrap()
}

pub async fn post_as(store: &dyn Store, author: &Account, text: &str, visibility: Visibility) -> Status {
    store.create_status(NewStatus { visibility, ..draft(author, text) }).await.unwrap()
}

pub async fn reply(store: &dyn Store, author: &Account, parent: &Status, text: &str) -> Status {
    store.create_status(NewStatus { in_reply_to_id: Some(parent.id), ..draft(author, text) }).await.unwrap()
}

pub async fn reblog(store: &dyn Store, account: &Account, original: &Status) -> Status {
    store.reblog(account.id, original.id, id(), Visibility::Public, Timestamp::now()).await.unwrap()
}

pub async fn fetch_account(store: &dyn Store, account: &Account) -> Account {
    store.account(account.id).await.unwrap()
}

pub async fn fetch_status(store: &dyn Store, status: &Status) -> Status {
    store.status(status.id).await.unwrap()
}

/// The ids of a page's items, newest first.
pub fn ids<T: HasId>(page: &Page<T>) -> Vec<Id> {
    page.items.iter().map(HasId::id).collect()
}

pub fn ids_of<T: HasId>(items: &[T]) -> Vec<Id> {
    items.iter().map(HasId::id).collect()
}

pub trait HasId {
    fn id(&self) -> Id;
}

impl HasId for Status {
    fn id(&self) -> Id {
        self.id
    }
}

impl HasId for Account {
    fn id(&self) -> Id {
        self.id
    }
}

impl HasId for Notification {
    fn id(&self) -> Id {
        self.id
    }
}

pub async fn all_events(store: &dyn Store) -> Vec<Event> {
    store.events_after(0, 10_000).await.unwrap()
}

pub async fn last_seq(store: &dyn Store) -> i64 {
    all_events(store).await.last().map_or(0, |e| e.seq)
}

/// The kinds of the events appended after `seq`, in order.
pub async fn kinds_after(store: &dyn Store, seq: i64) -> Vec<EventKind> {
    store.events_after(seq, 10_000).await.unwrap().into_iter().map(|e| e.kind).collect()
}
