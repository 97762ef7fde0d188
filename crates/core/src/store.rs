//! The storage contract. One trait, one small error type, one implementation per backend
//! (SQLite embedded, PostgreSQL for scale-out), and one conformance suite that every
//! implementation must pass. No SQL type crosses this boundary.
//!
//! Each mutating method is one transaction that writes the state rows, keeps the counters
//! exact, updates the home timelines it affects (so a new status is in its followers' homes
//! when `create_status` returns; unless the store leaves home timelines to Redis, ADR 11) and
//! appends its event(s) to the log; either all of it commits or none of it does.

use async_trait::async_trait;

use crate::chat::{Chat, ChatMessage, CreatedChat, NewChat, NewChatMessage};
use crate::event::Event;
use crate::filters::{Filter, FilterUpdate, NewFilter};
use crate::id::Id;
use crate::media::{Media, MediaUpdate, NewMedia};
use crate::model::*;
use crate::notify::{Derived, Notification, NotificationKind};
use crate::page::{Page, PageRequest};
use crate::projection::{HomeTimelineCheck, LiveState};
use crate::safety::{Hidden, Mute, Muted};
use crate::story::{NewStory, Story, StoryChange, StoryView};
use crate::trends::{Engagement, TagDay};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist (or no longer does).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was violated; the string names what was taken (e.g. `username`).
    #[error("{0} is already taken")]
    Conflict(String),
    /// Anything else: connection loss, a corrupt row. Logged, never shown to clients.
    #[error("storage failure: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How many entries a materialised home timeline keeps, as Mastodon's feeds do: what the server
/// passes to [`Store::trim_home_timelines`] and `starling replay` to
/// [`Store::home_timeline_differences`]. Following an account copies at most this many of its
/// statuses into the follower's home, so that a home is complete down to its oldest kept entry.
pub const HOME_TIMELINE_CAP: u32 = 800;

/// How many months after the current one have their partitions made ahead of time.
pub const PARTITION_MONTHS_AHEAD: u32 = 2;

/// Filters for an account's own timeline (`GET /api/v1/accounts/:id/statuses`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountStatusesFilter {
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    pub only_media: bool,
}

/// What `/api/v1/instance` reports about the server's size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstanceCounts {
    pub users: i64,
    /// Statuses written here, not counting reblogs.
    pub statuses: i64,
}

/// Which notifications a list shows: only `types` when given, never `exclude_types`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    pub types: Vec<NotificationKind>,
    pub exclude_types: Vec<NotificationKind>,
}

/// A reading position (`GET /api/v1/markers`): the last item a user has seen in a timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// `home` or `notifications`.
    pub timeline: String,
    pub last_read_id: Id,
    /// Bumped on every update, so clients can detect concurrent changes.
    pub version: i64,
    pub updated_at: Timestamp,
}

/// A claim on a piece of work shared by the nodes of one deployment (a node id, a worker), held
/// by one process until it expires or is released.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub expires_at: Timestamp,
}

/// A request's claim on its `Idempotency-Key`, within the caller's `scope` (an account or an
/// app's token). `fingerprint` names the request (its method and path): the same key on another
/// endpoint is a mistake, not a retry. Times come from the caller's clock, as for leases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyClaim {
    pub scope: String,
    pub key: String,
    pub fingerprint: String,
    pub now: Timestamp,
    /// A claim still unanswered from before this is abandoned (its request died with its node):
    /// it is taken over.
    pub stale_before: Timestamp,
    /// A key claimed before this has expired, answered or not: it is free again.
    pub expired_before: Timestamp,
}

/// The answer kept for an idempotent request, replayed to each retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Where a claimed `Idempotency-Key` stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyState {
    /// The key is the caller's now: run the request, then answer or release the key.
    Claimed,
    /// Another request with this key is running.
    InProgress,
    /// The request already ran: this is its answer.
    Answered(StoredAnswer),
    /// The key was used for a different request.
    Mismatch,
}

/// One partition of a table the store splits by time (PostgreSQL: statuses and the event log,
/// one partition per month; see `starling partitions`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionInfo {
    /// The partitioned table (`statuses` or `events`).
    pub table: String,
    pub name: String,
    /// The first millisecond the partition holds; `None` for the partition of everything older.
    pub from: Option<Timestamp>,
    /// The first millisecond it no longer holds (exclusive).
    pub to: Timestamp,
    /// The planner's estimate (exact after `ANALYZE`), cheap to read on a large table.
    pub estimated_rows: i64,
    /// Table and index bytes on disk.
    pub bytes: i64,
}

/// A hashtag and how many statuses carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagUse {
    pub name: String,
    pub uses: i64,
}

/// What a status search looks for and in whose eyes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusSearch {
    /// The words to find, all of them, as written (case and accents aside).
    pub words: Vec<String>,
    /// Whose visibility rules apply; `None` sees public and unlisted statuses only.
    pub viewer: Option<Id>,
    /// Only this account's statuses.
    pub account: Option<Id>,
    pub limit: u32,
    pub offset: u32,
    /// Now, for ranking: newer matches rank higher.
    pub now: Timestamp,
}

/// The per-viewer flags of a set of statuses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewerFlags {
    pub favourited: Vec<Id>,
    pub reblogged: Vec<Id>,
    pub bookmarked: Vec<Id>,
    /// The viewer's own statuses among them that are pinned to their profile.
    pub pinned: Vec<Id>,
}

/// How many statuses an account may pin, as Mastodon allows.
pub const MAX_PINNED: usize = 5;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs and `/api/v1/instance`.
    fn backend(&self) -> &'static str;

    // ---- apps, tokens, authorization codes -------------------------------------------------

    /// Appends `app.created`. `client_id` is unique.
    async fn create_app(&self, app: NewApp) -> StoreResult<App>;
    async fn app(&self, id: Id) -> StoreResult<App>;
    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<App>;

    /// Appends `token.issued`.
    async fn create_token(&self, token: NewToken) -> StoreResult<TokenRecord>;
    async fn token(&self, id: Id) -> StoreResult<TokenRecord>;
    /// A token and the account it was issued to (`None` for an app's own token), as every
    /// authenticated request needs them: one call, which a backend may answer in one trip.
    /// `NotFound` when either is missing.
    async fn token_with_account(&self, id: Id) -> StoreResult<(TokenRecord, Option<Account>)> {
        let token = self.token(id).await?;
        let account = match token.account_id {
            Some(account) => Some(self.account(account).await?),
            None => None,
        };
        Ok((token, account))
    }
    /// Marks the token revoked and appends `token.revoked`; revoking twice is not an error
    /// and logs nothing the second time.
    async fn revoke_token(&self, id: Id) -> StoreResult<Change>;
    /// Sets the account's password hash and revokes every live token of the account but
    /// `keep` (the session that changed it), with its pending authorization codes: whoever
    /// knew the old password is signed out everywhere. Appends `token.revoked` for each token,
    /// then `account.password_changed`. Returns how many tokens were revoked.
    async fn change_password(&self, account: Id, password_hash: String, keep: Option<Id>) -> StoreResult<u64>;
    /// Suspends the account: revokes every token of it (each with `token.revoked`, which closes
    /// its streams on every node) and its pending authorization codes, and appends
    /// `account.suspended` with `actor`, the moderator (`None`: an operator's command line).
    /// Unchanged when it already was.
    async fn suspend_account(&self, account: Id, actor: Option<Id>) -> StoreResult<Change>;
    /// Lifts a suspension (`account.unsuspended`); the account signs in again.
    async fn unsuspend_account(&self, account: Id, actor: Option<Id>) -> StoreResult<Change>;
    /// The last step of deleting an account, once its content is gone: its profile is blanked,
    /// its email and password forgotten, and it stays suspended for good (its username stays
    /// taken, so that nobody else can pass for it); `account.deleted` with `actor` as for
    /// suspensions. Unchanged when it already was.
    async fn erase_account(&self, account: Id, actor: Option<Id>) -> StoreResult<Change>;
    /// Puts `limit` on the account (`on`) or lifts it, with `account.silenced`/`unsilenced` or
    /// `account.disabled`/`enabled` and `actor` as for suspensions. Disabling signs the account
    /// out everywhere, as suspending does. Unchanged when it already stood so.
    async fn limit_account(&self, account: Id, limit: Limit, on: bool, actor: Option<Id>) -> StoreResult<Change>;

    async fn create_auth_code(&self, code: AuthCode) -> StoreResult<()>;
    /// Removes and returns the code: a code works once.
    async fn take_auth_code(&self, code_hash: &str) -> StoreResult<AuthCode>;

    // ---- accounts ---------------------------------------------------------------------------

    /// Appends `account.created`. `username` is unique case-insensitively and `email` is unique:
    /// a clash is `Conflict("username")` or `Conflict("email")`.
    async fn create_account(&self, account: NewAccount) -> StoreResult<Account>;
    async fn account(&self, id: Id) -> StoreResult<Account>;
    /// Case-insensitive.
    async fn account_by_username(&self, username: &str) -> StoreResult<Account>;
    /// The accounts among `usernames` (case-insensitive) that exist, in no particular order.
    async fn accounts_by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<Account>>;
    /// Existing accounts among `ids`, in the order of `ids`; missing ones are skipped.
    async fn accounts(&self, ids: &[Id]) -> StoreResult<Vec<Account>>;
    /// By username (case-insensitive) or email (case-insensitive).
    async fn credentials(&self, login: &str) -> StoreResult<Credentials>;
    /// Appends `account.updated`.
    async fn update_account(&self, id: Id, update: AccountUpdate) -> StoreResult<Account>;

    // ---- follows ----------------------------------------------------------------------------

    /// Appends `account.followed` and bumps both counters unless already following.
    /// Following oneself is the caller's job to refuse.
    async fn follow(&self, follower: Id, followee: Id) -> StoreResult<Change>;
    /// Appends `account.unfollowed` and lowers both counters if there was a follow.
    async fn unfollow(&self, follower: Id, followee: Id) -> StoreResult<Change>;
    /// Whether the follower is notified of every new post of the followee (`notify` on follow);
    /// appends `account.follow_updated` when it changes. `NotFound` when there is no follow.
    async fn set_follow_notify(&self, follower: Id, followee: Id, notify: bool) -> StoreResult<Change>;
    async fn is_following(&self, follower: Id, followee: Id) -> StoreResult<bool>;
    /// Every follower of `account`, by id only (what routing a delivery needs), in no order.
    async fn follower_ids(&self, account: Id) -> StoreResult<Vec<Id>>;
    /// One entry per id in `ids` that names an existing account, in order.
    async fn relationships(&self, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Relationship>>;
    /// Paged by follow id (newest follow first).
    async fn followers(&self, account: Id, page: PageRequest) -> StoreResult<Page<Account>>;
    async fn following(&self, account: Id, page: PageRequest) -> StoreResult<Page<Account>>;

    // ---- follow requests (to locked accounts) --------------------------------------------------

    /// `follower` asks to follow `followee` (`account.follow_requested`); unchanged when it
    /// already asked or already follows. Whether the followee is locked is the caller's rule.
    async fn request_follow(&self, follower: Id, followee: Id, at: Timestamp) -> StoreResult<Change>;
    /// The followee approves `follower`'s request: `account.follow_request_authorized`, then
    /// the follow as `follow` makes it (its `account.followed` notifies nobody: the request
    /// did). `NotFound` when there is no such request.
    async fn authorize_follow_request(&self, followee: Id, follower: Id, at: Timestamp) -> StoreResult<Change>;
    /// Ends the request without a follow (`account.follow_request_rejected`), by `actor`: the
    /// followee rejecting it or the follower withdrawing it. Unchanged when there was none.
    async fn reject_follow_request(&self, followee: Id, follower: Id, actor: Id, at: Timestamp) -> StoreResult<Change>;
    /// Who asks to follow `followee`, the newest request first, paged by the request.
    async fn follow_requests(&self, followee: Id, page: PageRequest) -> StoreResult<Page<Account>>;

    // ---- keyword filters ----------------------------------------------------------------------
    //
    // A filter is its account's alone: every method answers `NotFound` for anyone else's.

    /// Creates a filter with its keywords (`filter.created`).
    async fn create_filter(&self, filter: NewFilter) -> StoreResult<Filter>;
    /// Changes a filter and its keywords (`filter.updated`); a keyword to change or remove that
    /// is not the filter's is `NotFound`.
    async fn update_filter(&self, id: Id, account: Id, update: FilterUpdate, at: Timestamp) -> StoreResult<Filter>;
    /// Deletes a filter with its keywords (`filter.deleted`).
    async fn delete_filter(&self, id: Id, account: Id, at: Timestamp) -> StoreResult<()>;
    async fn filter(&self, id: Id, account: Id) -> StoreResult<Filter>;
    /// The account's filters, the newest first, expired ones included.
    async fn filters(&self, account: Id) -> StoreResult<Vec<Filter>>;

    // ---- blocks and mutes (the rule they make is `safety::Hidden`'s) -------------------------

    /// `account` blocks `target`: the follows between them end both ways (each as `unfollow`
    /// ends one, with its `account.unfollowed`), so do their follow requests (each
    /// `account.follow_request_rejected` by `account`), then `account.blocked`. Unchanged when it
    /// already blocked. Blocking oneself is the caller's job to refuse.
    async fn block(&self, account: Id, target: Id, at: Timestamp) -> StoreResult<Change>;
    /// Lifts the block (`account.unblocked`); the follows it ended stay ended.
    async fn unblock(&self, account: Id, target: Id, at: Timestamp) -> StoreResult<Change>;
    /// The accounts `account` blocks, the newest block first, paged by the block.
    async fn blocks(&self, account: Id, page: PageRequest) -> StoreResult<Page<Account>>;
    /// `account` mutes `target` as `mute` says (`account.muted`); muting again replaces the
    /// mute, and the same mute again is unchanged. Muting oneself is the caller's job to refuse.
    async fn mute(&self, account: Id, target: Id, mute: Mute, at: Timestamp) -> StoreResult<Change>;
    /// Ends the mute (`account.unmuted`), whether or not it had expired.
    async fn unmute(&self, account: Id, target: Id, at: Timestamp) -> StoreResult<Change>;
    /// The mutes of `account` still in force at `now`, the newest first, paged by the mute.
    async fn mutes(&self, account: Id, now: Timestamp, page: PageRequest) -> StoreResult<Page<Muted>>;
    /// Everyone and everything hidden from `viewer`: the blocks either way (and suspended
    /// accounts, hidden as if they blocked everyone), its mutes, its keyword filters (expired
    /// ones included; `Hidden` checks them against the time) and the silenced accounts it does
    /// not follow.
    async fn hidden(&self, viewer: Id) -> StoreResult<Hidden>;
    /// What is hidden from a reader who is signed out: suspended accounts, and silenced ones
    /// from public timelines.
    async fn hidden_from_everyone(&self) -> StoreResult<Hidden>;

    // ---- followed hashtags --------------------------------------------------------------------

    /// Follows `tag` (normalised, without `#`) and appends `tag.followed`, unless already
    /// following. Public statuses carrying it then reach the account's home timeline.
    async fn follow_tag(&self, account: Id, tag: &str) -> StoreResult<Change>;
    /// Appends `tag.unfollowed` if the tag was followed.
    async fn unfollow_tag(&self, account: Id, tag: &str) -> StoreResult<Change>;
    /// The tags `account` follows, paged by when each was followed (newest first).
    async fn followed_tags(&self, account: Id, page: PageRequest) -> StoreResult<Page<String>>;
    /// Those of `tags` (normalised) that `account` follows, in the order given.
    async fn following_tags(&self, account: Id, tags: &[String]) -> StoreResult<Vec<String>>;
    /// Every account following any of `tags` (normalised), each once, in no order: who may have
    /// had a public status carrying them at home.
    async fn tag_follower_ids(&self, tags: &[String]) -> StoreResult<Vec<Id>>;

    // ---- statuses ---------------------------------------------------------------------------

    /// Creates a status, its first version, its mentions and tags, bumps the author's
    /// `statuses_count` (except for direct statuses, as Mastodon does) and the parent's
    /// `replies_count`, and appends `status.created`.
    ///
    /// With an `idempotency_key` already used by the same account, nothing is written and the
    /// status created the first time is returned. `NotFound` if `in_reply_to_id` names no
    /// status.
    async fn create_status(&self, status: NewStatus) -> StoreResult<Status>;
    async fn status(&self, id: Id) -> StoreResult<Status>;
    /// Existing statuses among `ids`, in the order of `ids`.
    async fn statuses(&self, ids: &[Id]) -> StoreResult<Vec<Status>>;
    /// Replaces the content, mentions and tags, sets `edited_at`, appends a version and
    /// `status.edited`. Reblogs cannot be edited (`NotFound`).
    async fn edit_status(&self, id: Id, edit: StatusEdit) -> StoreResult<Status>;
    /// Every version, oldest first (the original is version 0).
    async fn status_versions(&self, id: Id) -> StoreResult<Vec<StatusVersion>>;
    /// Deletes the status with its reblogs, favourites, mentions, tags and versions, keeps every
    /// counter exact, and appends one `status.deleted` per reblog that goes with it, then one for
    /// the status itself (consumers learn the reblog ids from those events). Replies keep their
    /// `in_reply_to_id`. Returns the status as it was, for delete-and-redraft.
    async fn delete_status(&self, id: Id, actor: Id, at: Timestamp) -> StoreResult<Status>;

    /// Ancestors oldest first and descendants in thread order (depth-first, oldest first),
    /// without any visibility filtering: the caller filters.
    async fn context(&self, id: Id) -> StoreResult<(Vec<Status>, Vec<Status>)>;

    // ---- bookmarks and pins -------------------------------------------------------------------

    /// Bookmarks `status` for `account` alone (`status.bookmarked`); unchanged when it was.
    async fn bookmark(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change>;
    /// Removes a bookmark (`status.unbookmarked`); unchanged when there was none.
    async fn unbookmark(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change>;
    /// What `account` bookmarked, most recently bookmarked first, paged by the bookmark.
    async fn bookmarks(&self, account: Id, page: PageRequest) -> StoreResult<Page<Status>>;
    /// Pins the author's own `status` to their profile (`status.pinned`). The caller checks
    /// that it may be pinned (its author's, no reblog, not a private mention, under the limit).
    async fn pin(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change>;
    async fn unpin(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change>;
    /// The account's pinned statuses, most recently pinned first.
    async fn pinned_statuses(&self, account: Id) -> StoreResult<Vec<Status>>;

    // ---- reports ------------------------------------------------------------------------------

    /// Records a report (`report.created`). The caller checks that the statuses are the
    /// target's and that the reporter may see them.
    async fn create_report(&self, report: crate::report::NewReport) -> StoreResult<crate::report::Report>;
    /// Reports, newest first, open ones or handled ones.
    async fn reports(&self, resolved: bool, page: PageRequest) -> StoreResult<Page<crate::report::Report>>;
    async fn report(&self, id: Id) -> StoreResult<crate::report::Report>;
    /// Marks a report handled by the moderator `by` (`report.resolved`); one already handled
    /// stays as it was.
    async fn resolve_report(&self, id: Id, by: Id) -> StoreResult<crate::report::Report>;
    /// Gives the account a role (`account.role_changed`, with `actor`: `None` for an operator's
    /// command line); unchanged when it had it.
    async fn set_role(&self, account: Id, role: Role, actor: Option<Id>) -> StoreResult<Change>;
    /// Every account, newest first, for moderators: only suspended ones, or only staff
    /// (moderators and above), when asked.
    async fn admin_accounts(&self, suspended: bool, staff: bool, page: PageRequest) -> StoreResult<Page<Account>>;

    // ---- favourites and reblogs -------------------------------------------------------------

    /// Appends `status.favourited`; bumps `favourites_count`.
    async fn favourite(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change>;
    async fn unfavourite(&self, account: Id, status: Id, at: Timestamp) -> StoreResult<Change>;
    /// Creates a reblog status (a status whose `reblog` is `original`), bumps the original's
    /// `reblogs_count` and the reblogger's `statuses_count`, appends `status.reblogged`.
    /// Reblogging twice returns the existing reblog.
    async fn reblog(
        &self,
        account: Id,
        original: Id,
        reblog_id: Id,
        visibility: Visibility,
        at: Timestamp,
    ) -> StoreResult<Status>;
    /// Deletes the account's reblog of `original` if there is one; appends `status.unreblogged`.
    async fn unreblog(&self, account: Id, original: Id, at: Timestamp) -> StoreResult<Change>;
    /// Paged by favourite id.
    async fn favourited_by(&self, status: Id, page: PageRequest) -> StoreResult<Page<Account>>;
    /// Paged by reblog status id.
    async fn reblogged_by(&self, status: Id, page: PageRequest) -> StoreResult<Page<Account>>;
    /// The statuses `account` favourited, paged by favourite id.
    async fn favourites(&self, account: Id, page: PageRequest) -> StoreResult<Page<Status>>;
    /// Which of `ids` the viewer has favourited and reblogged.
    async fn viewer_flags(&self, viewer: Id, ids: &[Id]) -> StoreResult<ViewerFlags>;

    // ---- timelines (all paged by status id, filtered by what `viewer` may see) --------------

    /// The viewer's own statuses and those of accounts they follow (reblogs included), without
    /// direct statuses, and without replies to accounts the viewer does not follow. Once
    /// [`trim_home_timelines`](Store::trim_home_timelines) has cut it, it ends at its oldest kept
    /// entry, as Mastodon's capped feeds do. A store opened with `HomeMode::Pulled` keeps no
    /// home tables: it computes the page from statuses and follows, with no floor and no cap.
    async fn home_timeline(&self, viewer: Id, page: PageRequest) -> StoreResult<Page<Status>>;
    /// Cuts every home timeline longer than `keep` entries down to its newest `keep`: older
    /// statuses no longer show in it (nor on its later pages), whoever wrote them. Returns how
    /// many entries were removed. Trimming on every write would cost a count per follower of
    /// every author, so the server calls this periodically with [`HOME_TIMELINE_CAP`] instead;
    /// between two calls a home may hold more. Nothing to do (0) for a pulled store.
    async fn trim_home_timelines(&self, keep: u32) -> StoreResult<u64>;
    /// Public statuses, no reblogs. `local` is accepted for compatibility: every account is local.
    async fn public_timeline(&self, page: PageRequest, only_media: bool) -> StoreResult<Page<Status>>;
    /// Public statuses carrying the (lower-cased) tag.
    async fn tag_timeline(&self, tag: &str, page: PageRequest) -> StoreResult<Page<Status>>;
    /// An account's statuses that `viewer` may see.
    async fn account_statuses(
        &self,
        account: Id,
        viewer: Option<Id>,
        filter: AccountStatusesFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Status>>;

    async fn instance_counts(&self) -> StoreResult<InstanceCounts>;

    // ---- notifications (a projection of the log, kept by the notifier) ---------------------

    /// The last event sequence `consumer` has applied; 0 when it never ran.
    async fn consumer_offset(&self, consumer: &str) -> StoreResult<i64>;
    /// In one transaction: stores the notifications in `derived` (one per event and recipient:
    /// applying the same event twice stores nothing new), applies its retractions, and moves
    /// `consumer`'s offset forward to `upto` (never backwards). Returns the notifications that
    /// were newly stored, in order, ready to be pushed to their recipients.
    async fn apply_notifications(
        &self,
        consumer: &str,
        upto: i64,
        derived: Vec<Derived>,
    ) -> StoreResult<Vec<Notification>>;
    /// The recipient's notifications, newest first, paged by notification id, without those
    /// from accounts hidden from it (`Hidden::hides_notifications_from`).
    async fn notifications(
        &self,
        recipient: Id,
        filter: &NotificationFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Notification>>;
    /// One of the recipient's notifications; someone else's is `NotFound`.
    async fn notification(&self, recipient: Id, id: Id) -> StoreResult<Notification>;
    /// Notifications caused by events with `after < seq <= upto`, for `recipient`, oldest first
    /// (what a reconnecting stream missed).
    async fn notifications_between(&self, recipient: Id, after: i64, upto: i64) -> StoreResult<Vec<Notification>>;
    /// Every stored notification caused by events with `after < seq <= upto`, whoever it is for,
    /// ordered by event (what live delivery pushes for a batch of events, whichever node stored
    /// the notifications).
    async fn notifications_for_events(&self, after: i64, upto: i64) -> StoreResult<Vec<Notification>>;
    /// Deletes one notification and appends `notification.dismissed`; `NotFound` if it is not
    /// the recipient's.
    async fn dismiss_notification(&self, recipient: Id, id: Id, at: Timestamp) -> StoreResult<()>;
    /// Deletes all of the recipient's notifications and appends `notifications.cleared`.
    async fn clear_notifications(&self, recipient: Id, at: Timestamp) -> StoreResult<()>;
    /// How many of the recipient's notifications are newer than their `notifications` marker,
    /// counting only those `notifications` lists.
    async fn unread_notifications(&self, recipient: Id) -> StoreResult<i64>;

    // ---- markers ------------------------------------------------------------------------

    /// The account's markers for the given timelines (`home`, `notifications`) that are set.
    async fn markers(&self, account: Id, timelines: &[String]) -> StoreResult<Vec<Marker>>;
    /// Sets a marker, bumping its version, and appends `marker.updated`.
    async fn set_marker(&self, account: Id, timeline: &str, last_read_id: Id, at: Timestamp) -> StoreResult<Marker>;

    // ---- search -------------------------------------------------------------------------------

    /// Accounts whose username or display name starts with `prefix`, case-insensitively: an
    /// exact username first, then usernames, then display names, each by followers. With
    /// `followed_by`, only accounts it follows.
    async fn search_accounts(
        &self,
        prefix: &str,
        followed_by: Option<Id>,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<Account>>;
    /// Hashtags starting with `prefix` (lower-cased), the most used first.
    async fn search_tags(&self, prefix: &str, limit: u32, offset: u32) -> StoreResult<Vec<TagUse>>;
    /// Statuses (not reblogs) containing every one of the words that `search.viewer` may see,
    /// by relevance weighed down by age, as far as the full-text index has followed the log
    /// (see `index_for_search`).
    async fn search_statuses(&self, search: StatusSearch) -> StoreResult<Vec<Status>>;
    /// Brings the full-text index along the event log towards `upto`: the statuses created,
    /// edited or deleted by the events since the last call, one bounded batch per call.
    /// Returns the sequence the index now covers. A backend whose index keeps itself in each
    /// write (PostgreSQL) covers everything at once. The consumer's offset is `"search"`.
    async fn index_for_search(&self, upto: i64) -> StoreResult<i64>;

    // ---- trends -------------------------------------------------------------------------------

    /// How each hashtag was used per UTC day by public original statuses created since
    /// `since`: statuses and distinct accounts. Only `tags` (lower-cased) when given.
    async fn tag_days(&self, since: Timestamp, tags: Option<Vec<String>>) -> StoreResult<Vec<TagDay>>;
    /// Public original statuses created since `since` with any favourite, reblog or reply, the
    /// most engaged first, at most `limit`.
    async fn engaged_statuses(&self, since: Timestamp, limit: u32) -> StoreResult<Vec<(Id, Engagement)>>;

    // ---- media --------------------------------------------------------------------------------

    /// Records an uploaded file, unattached.
    async fn create_media(&self, media: NewMedia) -> StoreResult<Media>;
    async fn media(&self, id: Id) -> StoreResult<Media>;
    /// Changes the description or focus of `account`'s unattached media; `NotFound` for
    /// someone else's, `Conflict("media")` once it is attached.
    async fn update_media(&self, id: Id, account: Id, update: MediaUpdate) -> StoreResult<Media>;
    /// Forgets up to `limit` media uploaded before `before` that nothing carries, and returns
    /// them, so that their files can be deleted.
    async fn purge_unattached_media(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<Media>>;

    // ---- stories ----------------------------------------------------------------------------
    //
    // A story past its `expires_at` is gone for every method at once, whether or not
    // `purge_expired_stories` has removed its rows yet: reads and writes take the current time.
    // Who may see whose stories is the caller's rule; these only hide expired ones.

    /// Creates a story and appends `story.created`.
    async fn create_story(&self, story: NewStory) -> StoreResult<Story>;
    /// The story as `viewer` sees it; `NotFound` when it does not exist or has expired.
    async fn story(&self, id: Id, viewer: Id, now: Timestamp) -> StoreResult<Story>;
    /// The unexpired stories of `viewer` and of every account they follow, as `viewer` sees
    /// them, by account and then oldest first.
    async fn story_feed(&self, viewer: Id, now: Timestamp) -> StoreResult<Vec<Story>>;
    /// `account`'s unexpired stories as `viewer` sees them, oldest first.
    async fn account_stories(&self, account: Id, viewer: Id, now: Timestamp) -> StoreResult<Vec<Story>>;
    /// Deletes the story with its views and reactions and appends `story.deleted`; returns it
    /// as it was (seen by `actor`). `NotFound` when it does not exist or has expired.
    async fn delete_story(&self, id: Id, actor: Id, at: Timestamp) -> StoreResult<Story>;
    /// Records `viewer`'s first view of the story and appends `story.viewed`. A repeated view,
    /// or the author's own, writes nothing (`made` is false).
    async fn view_story(&self, id: Id, viewer: Id, at: Timestamp) -> StoreResult<StoryChange>;
    /// Who viewed the story and when, newest view first, paged by view. Expired: `NotFound`.
    async fn story_viewers(&self, id: Id, page: PageRequest, now: Timestamp) -> StoreResult<Page<StoryView>>;
    /// Adds `account`'s reaction with `emoji` (once per account and emoji) and appends
    /// `story.reacted`; an existing reaction writes nothing.
    async fn react_to_story(&self, id: Id, account: Id, emoji: &str, at: Timestamp) -> StoreResult<StoryChange>;
    /// Removes that reaction if there is one, appending `story.unreacted`.
    async fn unreact_to_story(&self, id: Id, account: Id, emoji: &str, at: Timestamp) -> StoreResult<StoryChange>;
    /// Deletes every story expired at `now`, with its views and reactions; returns how many.
    /// No event: expiry is no one's action, and the stories' own events stay in the log.
    async fn purge_expired_stories(&self, now: Timestamp) -> StoreResult<u64>;

    // ---- chats ------------------------------------------------------------------------------
    //
    // Every method that names a chat answers `NotFound` to anyone who is not one of its
    // participants, exactly as for a chat that does not exist.

    /// Creates a chat of `creator` and `others` and appends `chat.created`. A chat of two is
    /// unique per pair: asking again finds it (`made` false, nothing written). `NotFound` when
    /// one of `others` does not exist.
    async fn create_chat(&self, chat: NewChat) -> StoreResult<CreatedChat>;
    async fn chat(&self, id: Id, viewer: Id) -> StoreResult<Chat>;
    /// The viewer's chats, newest activity first, paged by the id of their last activity.
    async fn chats(&self, viewer: Id, page: PageRequest) -> StoreResult<Page<Chat>>;
    /// The chat's messages, newest first, paged by message id.
    async fn chat_messages(&self, chat: Id, viewer: Id, page: PageRequest) -> StoreResult<Page<ChatMessage>>;
    /// One message, whoever asks: for live delivery, which reaches the participants the
    /// message's event names. Clients go through `chat_messages`.
    async fn chat_message(&self, id: Id) -> StoreResult<ChatMessage>;
    /// Stores a message, moves the chat's activity and the sender's read position to it, and
    /// appends `chat.message`. With an idempotency key the sender already used in this chat,
    /// nothing is written and the first message is returned.
    async fn send_chat_message(&self, message: NewChatMessage) -> StoreResult<ChatMessage>;
    /// Moves the viewer's read position forward to `last_read_id` (never back, never past the
    /// newest message) and appends `chat.read` when it moved. Returns the chat as it is then.
    async fn mark_chat_read(&self, chat: Id, viewer: Id, last_read_id: Id, at: Timestamp) -> StoreResult<Chat>;
    /// Takes the viewer out of the chat and appends `chat.left`. Whether a chat may be left
    /// (only group chats) is the caller's rule.
    async fn leave_chat(&self, chat: Id, viewer: Id, at: Timestamp) -> StoreResult<()>;
    /// Everyone who shares at least one chat with `account`, without it: who hears whether it
    /// is online.
    async fn chat_partners(&self, account: Id) -> StoreResult<Vec<Id>>;

    // ---- event log --------------------------------------------------------------------------

    /// Events with `seq > after`, oldest first, at most `limit`.
    async fn events_after(&self, after: i64, limit: u32) -> StoreResult<Vec<Event>>;
    /// The sequence of the newest event; 0 for an empty log.
    async fn last_event_seq(&self) -> StoreResult<i64>;
    /// The events `actor` caused, newest first, paged by sequence (the cursors are `Id(seq)`).
    async fn events_by_actor(&self, actor: Id, page: PageRequest) -> StoreResult<Page<Event>>;

    // ---- replay -----------------------------------------------------------------------------

    /// Every account's and status's counters, every notification, the newest event sequence
    /// and `notifier`'s offset, all read from one snapshot, so that they agree with each other
    /// and with the log up to `last_event_seq` even while the server writes. `starling replay`
    /// compares this with a `Projection` rebuilt from the log up to that sequence.
    async fn live_state(&self, notifier: &str) -> StoreResult<LiveState>;
    /// Recomputes, from the statuses and follows alone, which entries each home timeline should
    /// hold, and compares them with the stored ones, within each account's newest `keep`
    /// entries on both sides (so that trimming is not a difference), all in one read snapshot.
    /// `starling replay` reports what this finds with the rebuilt projections. A pulled store
    /// materialises nothing, so there is nothing to compare: an empty check.
    async fn home_timeline_differences(&self, keep: u32) -> StoreResult<HomeTimelineCheck>;

    // ---- leases (work shared by the nodes of one deployment) ---------------------------------
    //
    // Leases are coordination, not actions of anyone's: they append no event. Times come from
    // the caller's clock; nodes keep their clocks in step (NTP), as their time-ordered ids
    // already require, and lease lengths leave a margin far above any skew.

    /// Takes the lease `name` for `holder` until `now + ttl_ms` if it is free, expired or
    /// already `holder`'s (renewing it). True when `holder` holds it afterwards.
    async fn acquire_lease(&self, name: &str, holder: &str, now: Timestamp, ttl_ms: i64) -> StoreResult<bool>;
    /// Gives the lease up if `holder` holds it, so that another node may take it at once.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
    /// The leases whose names start with `prefix` and that are unexpired at `now`, by name.
    async fn leases(&self, prefix: &str, now: Timestamp) -> StoreResult<Vec<Lease>>;

    // ---- idempotent requests (`Idempotency-Key`) ----------------------------------------------
    //
    // Like leases, transport bookkeeping rather than anyone's action: no event in the log.

    /// Claims `claim.key` for one run of a request, or says why not (see [`IdempotencyState`]).
    async fn claim_idempotency_key(&self, claim: IdempotencyClaim) -> StoreResult<IdempotencyState>;
    /// Keeps the answer of the request that claimed `key`, for its retries.
    async fn answer_idempotency_key(&self, scope: &str, key: &str, answer: StoredAnswer) -> StoreResult<()>;
    /// Frees an unanswered claim (its request failed), so that a retry runs it again.
    async fn release_idempotency_key(&self, scope: &str, key: &str) -> StoreResult<()>;
    /// Forgets keys claimed before `before`: the answers kept for retries, and the keys statuses
    /// were created with. Returns how many were forgotten.
    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64>;

    // ---- partitions (backends that split tables by time) ------------------------------------

    /// Makes sure the partitions for the month of `now` and the months after it, up to
    /// [`PARTITION_MONTHS_AHEAD`], exist, so that no write ever finds its month missing; several
    /// nodes may call it at once. Returns the names of the partitions it created. A backend
    /// that does not partition returns nothing.
    async fn prepare_partitions(&self, now: Timestamp) -> StoreResult<Vec<String>>;
    /// Every partition, by table and then oldest first; empty for a backend that does not
    /// partition.
    async fn partitions(&self) -> StoreResult<Vec<PartitionInfo>>;

    // ---- home timelines kept outside the store (ADR 11) --------------------------------------
    //
    // What a cache of home timelines (Redis sorted sets) asks the store. Each answer applies
    // the one home rule `home_timeline` applies, to statuses and follows as they are now, in
    // either home mode.

    /// The accounts whose home timeline shows `status` (a status or a reblog) now: its author,
    /// and each follower of the author the rule admits (never for a direct status; a reply to
    /// someone else only for followers who follow the addressee too; a reblog only for those
    /// who may see its original). Empty when the status does not exist.
    async fn home_recipients(&self, status: Id) -> StoreResult<Vec<Id>>;
    /// The newest `limit` status ids of `account`'s home timeline as statuses and follows make
    /// it now, newest first: what a missing cached home is rebuilt from.
    async fn home_backfill(&self, account: Id, limit: u32) -> StoreResult<Vec<Id>>;
    /// Those of `ids` that still exist and still belong in `viewer`'s home timeline, in the
    /// order of `ids`: what guards a cached home against entries a race left stale.
    async fn home_admitted(&self, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Id>>;
}
